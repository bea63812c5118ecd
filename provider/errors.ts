/**
 * Errors raised by calls to Jelou. Each carries the HTTP status, the method and path, and
 * Jelou's own messages, and never a header, a credential, a request body or a signing secret:
 * they are built from those plain fields only, never from the HTTP library's error object.
 */

const CREDENTIALS_HINT =
    "check the credentials (jelou:apiKey / JELOU_API_KEY, or jelou:clientId + jelou:clientSecret / " +
    "JELOU_CLIENT_ID + JELOU_CLIENT_SECRET, or the resource's apiKey / clientId + clientSecret)";

/** Where credentials come from, in the order they are looked for. */
export const NO_CREDENTIALS_HELP =
    "Give Jelou credentials in one of three ways: the resource's apiKey (or clientId + clientSecret) argument; " +
    "stack config `pulumi config set --secret jelou:apiKey <key>` (or jelou:clientId + `--secret jelou:clientSecret`); " +
    "or the environment variable JELOU_API_KEY (or JELOU_CLIENT_ID + JELOU_CLIENT_SECRET).";

export interface JelouErrorDetails {
    status?: number;
    method?: string;
    path?: string;
    /** Jelou's own messages (the `message` of the error body), already redacted. */
    apiMessages?: string[];
    /** Network error code (ECONNREFUSED, ECONNRESET, ETIMEDOUT…), for connection errors. */
    code?: string;
}

export class JelouError extends Error {
    readonly status?: number;
    readonly method?: string;
    readonly path?: string;
    readonly apiMessages: string[];
    readonly code?: string;
    /** Whether Jelou may have acted on the failed request (see retry-policy.ts); set by the client. */
    outcome?: "not-processed" | "unknown" | "answered";

    constructor(message: string, details: JelouErrorDetails = {}) {
        super(message);
        this.name = new.target.name;
        this.status = details.status;
        this.method = details.method;
        this.path = details.path;
        this.apiMessages = details.apiMessages ?? [];
        this.code = details.code;
    }
}

/** 401 / 403: the API refused the credentials. */
export class JelouAuthenticationError extends JelouError {}
/** 400 / 422: the API refused a field. */
export class JelouValidationError extends JelouError {}
/** 404: the project has no integration. */
export class JelouNotFoundError extends JelouError {}
/** 409 (or 422 saying so): the project already has an integration. */
export class JelouConflictError extends JelouError {}
/** 429: too many requests. */
export class JelouRateLimitError extends JelouError {}
/** 5xx: Jelou or its gateway failed. */
export class JelouServerError extends JelouError {}
/** No HTTP answer: connection refused or dropped, timeout, redirect refused, answer too large. */
export class JelouConnectionError extends JelouError {}

/** Replaces every known secret value in a text; built by the client from what it sends. */
export type Redactor = (text: string) => string;

export function makeRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
    // Short values would redact ordinary words; Jelou's credentials and secrets are long.
    const values = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
    values.sort((a, b) => b.length - a.length);
    return (text) => values.reduce((acc, value) => acc.split(value).join("[REDACTED]"), text);
}

const ALREADY_EXISTS = /already (has|have|exists?)|exists already|duplicate/i;

/**
 * Jelou's messages from an error body: `message` as an array or a string, or a text/HTML page.
 * Redacted before they are clipped, so that no part of a secret survives a cut.
 */
export function apiMessagesFrom(body: unknown, redact: Redactor = (text) => text): string[] {
    const tidy = (text: string) => clip(redact(text));
    if (body && typeof body === "object") {
        const message = (body as { message?: unknown }).message;
        if (Array.isArray(message)) return message.map((m) => tidy(String(m)));
        if (typeof message === "string") return [tidy(message)];
        const error = (body as { error?: unknown }).error;
        if (typeof error === "string") return [tidy(error)];
        return [];
    }
    if (typeof body === "string" && body.trim() !== "") {
        return [tidy(body.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim())];
    }
    return [];
}

function clip(text: string): string {
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The one place that turns an HTTP error answer into an error class and a message saying what to do. */
export function errorFromResponse(
    status: number,
    method: string,
    path: string,
    body: unknown,
    redact: Redactor,
): JelouError {
    const apiMessages = apiMessagesFrom(body, redact);
    const details: JelouErrorDetails = { status, method, path, apiMessages };
    const said = apiMessages.length > 0 ? `: ${apiMessages.join("; ")}` : "";
    const head = `Jelou API ${method} ${path} failed with ${status}${said}`;

    if (status === 401 || status === 403) {
        return new JelouAuthenticationError(`${head}. Jelou refused the credentials: ${CREDENTIALS_HINT}.`, details);
    }
    if (status === 409 || (status === 422 && apiMessages.some((m) => ALREADY_EXISTS.test(m)))) {
        return new JelouConflictError(
            `${head}. The project already has an integration, and Jelou allows one per project. ` +
                "Delete it in Jelou (or from the stack that manages it), set adoptExisting: true to take it over, " +
                "or use another projectId.",
            details,
        );
    }
    if (status === 400 || status === 422) {
        return new JelouValidationError(`${head}. Jelou refused the request's fields; fix the inputs it names.`, details);
    }
    if (status === 404) {
        return new JelouNotFoundError(`${head}. The project has no integration (or does not exist).`, details);
    }
    if (status === 429) {
        return new JelouRateLimitError(`${head}. Jelou is rate limiting; the call may be retried later.`, details);
    }
    if (status >= 500) {
        return new JelouServerError(`${head}. Jelou failed on its side; the call may be retried.`, details);
    }
    return new JelouError(`${head}.`, details);
}

export function connectionError(method: string, path: string, code: string, what: string): JelouConnectionError {
    return new JelouConnectionError(
        `Jelou API ${method} ${path} failed: ${what} (${code}). The call may be retried.`,
        { method, path, code },
    );
}
