import { isJelouBody, RemoteIntegration } from "./answers";
import { attemptOutcome } from "./retry-policy";
import { capUtf8, clip, replaceAll, stripTags, trimTrailing } from "./text";

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

/**
 * The most an error's message may hold, in UTF-8 bytes: it travels in a gRPC status to the engine,
 * and is shown whole. Everything foreign in it was redacted before it was cut.
 */
export const MAX_ERROR_MESSAGE_BYTES = 16 * 1024;
/** How many of Jelou's messages an error quotes, and how long each may be. */
const MAX_API_MESSAGES = 20;
const MAX_API_MESSAGE_LENGTH = 300;
/** How deep and how many values of an error body are looked at for messages, whatever its shape. */
const MAX_BODY_DEPTH = 8;
const MAX_BODY_VALUES = 1000;

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
    /** Whether Jelou may have acted on the failed request, all attempts considered (see retry-policy.ts); set by the client. */
    outcome?: "not-processed" | "unknown" | "answered";

    constructor(message: string, details: JelouErrorDetails = {}) {
        super(capUtf8(message, MAX_ERROR_MESSAGE_BYTES));
        this.name = new.target.name;
        this.status = details.status;
        this.method = details.method;
        this.path = details.path;
        this.apiMessages = details.apiMessages ?? [];
        this.code = details.code;
    }

    /** Sets `outcome` and returns the error, for one-expression throws. */
    withOutcome(outcome: JelouError["outcome"]): this {
        this.outcome = outcome;
        return this;
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
/** The operation ran out of time (`totalTimeoutMs`), retries and recovery included. */
export class JelouTimeoutError extends JelouConnectionError {}
/**
 * A success status whose body cannot be used (not JSON, no secret where one is due, a field that is
 * not a plain string): the request may have taken effect, and the caller must find out.
 */
export class JelouUnusableAnswerError extends JelouError {
    /** The usable fields the answer did carry. */
    readonly said: RemoteIntegration;

    constructor(message: string, details: JelouErrorDetails & { said?: RemoteIntegration } = {}) {
        super(message, details);
        this.said = details.said ?? {};
    }
}

/**
 * Thrown by `create` when the integration exists (or may exist) in Jelou but its signing secret
 * could not be learned. The SDK's host turns an error carrying `id`, `properties` and `reasons`
 * into ErrorResourceInitFailed: the engine records the resource with them, and the next
 * `pulumi up` sends it an Update, which finishes the job. `properties` never hold a secret the
 * engine would not know to keep secret.
 */
export class JelouIncompleteCreateError extends JelouError {
    constructor(
        message: string,
        readonly id: string,
        readonly properties: Record<string, unknown>,
        readonly reasons: string[],
    ) {
        super(message);
        this.reasons = reasons.map((reason) => capUtf8(reason, MAX_ERROR_MESSAGE_BYTES));
    }
}

/** Replaces every known secret value in a text; built by the client from what it sends. */
export type Redactor = (text: string) => string;

export const REDACTED = "[REDACTED]";
const WITHHELD = "[withheld: the text held a credential in a form that could not be redacted]";

/**
 * Redacts each secret in the forms a server may echo it in: as is, JSON-escaped, URL-encoded
 * (either hex case, `+` for spaces) and HTML-escaped. A text that still holds a secret once
 * decoded (tags removed, entities, percent or JSON escapes undone) is withheld whole.
 *
 * Plain substring searches, longest form first, over the whole text: linear in its length
 * whatever it holds, so it runs before any cut (a cut never leaves part of a secret behind).
 */
export function makeRedactor(secrets: ReadonlyArray<string | undefined>): Redactor {
    const values = [...new Set(secrets.filter((s): s is string => typeof s === "string" && s !== ""))];
    const forms = [...new Set(values.flatMap(encodedForms))].filter((form) => form !== "").sort((a, b) => b.length - a.length);
    if (forms.length === 0) return (text) => text;
    return (text) => {
        let redacted = typeof text === "string" ? text : "";
        for (const form of forms) redacted = replaceAll(redacted, form, REDACTED);
        return decodedVariants(redacted).some((variant) => values.some((value) => variant.includes(value))) ? WITHHELD : redacted;
    };
}

function encodedForms(value: string): string[] {
    const json = JSON.stringify(value).slice(1, -1);
    const percent = encodeURIComponent(value);
    const html = value.replace(/[&<>"'/]/g, (c) => HTML_ESCAPES[c]);
    const bytes = Buffer.from(value, "utf8");
    const base64 = bytes.toString("base64");
    return [
        value,
        // A server may echo a credential as it reached it (a Basic header's token, without its padding) or re-encode it.
        base64,
        trimTrailing(base64, "="),
        // A value that is itself base64 (the Basic token), echoed without its padding.
        ...(isPaddedBase64Like(value) ? [trimTrailing(value, "=")] : []),
        bytes.toString("base64url"),
        encodeURIComponent(encodeURIComponent(value)),
        json,
        json.replace(/\//g, "\\/"),
        percent,
        percent.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()),
        percent.replace(/%20/g, "+"),
        html,
        value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`),
        value.replace(/[&<>"']/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`),
    ];
}

/** Ends in `=` padding after at least 8 other characters. */
function isPaddedBase64Like(value: string): boolean {
    const bare = trimTrailing(value, "=");
    return bare !== value && bare.length >= 8 && !bare.slice(-8).includes("=");
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "/": "&#x2F;" };

/** The text as a reader could decode it, several ways, to catch a secret that no form above matched. */
function decodedVariants(text: string): string[] {
    const noTags = stripTags(text, "");
    const variants = [text, noTags];
    for (const base of [text, noTags]) {
        const html = decodeHtml(base);
        variants.push(html, decodeJson(base), decodePercent(base), decodePercent(html), decodeHtml(decodePercent(base)));
    }
    return variants.flatMap((v) => [v, v.replace(/\s+/g, "")]);
}

function decodeHtml(text: string): string {
    const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };
    return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, code: string) => {
        if (code[0] !== "#") return named[code.toLowerCase()] ?? entity;
        const point = code[1].toLowerCase() === "x" ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
        return point <= 0x10ffff ? String.fromCodePoint(point) : entity;
    });
}

function decodeJson(text: string): string {
    return text.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, code: string) =>
        code.length === 5
            ? String.fromCharCode(parseInt(code.slice(1), 16))
            : (({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" } as Record<string, string>)[code] ?? code),
    );
}

function decodePercent(text: string): string {
    return text.replace(/\+/g, " ").replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
        try {
            return decodeURIComponent(run);
        } catch {
            return run;
        }
    });
}

const ALREADY_EXISTS = /already (has|have|exists?)|exists already|duplicate/i;

/**
 * Jelou's messages from an error body: `message` (a string, or strings and numbers in arrays or
 * objects of any shape), else `error` (a string, or an object with a `description`), or a
 * text/HTML page. Each text is redacted whole first, before tags are stripped or it is clipped, and
 * again after, so that no rewriting can bring a secret back together or cut one where the redaction
 * would miss it. Never throws, whatever the body: the walk is iterative and bounded in depth and
 * values, reads only own data properties, and never turns a foreign object into a string.
 */
export function apiMessagesFrom(body: unknown, redact: Redactor = (text) => text): string[] {
    return readApiMessages(body, redact).messages;
}

function readApiMessages(body: unknown, redact: Redactor): { messages: string[]; more: boolean } {
    const tidy = (text: string) => clip(redact(stripTags(redact(text), " ").replace(/\s+/g, " ").trim()), MAX_API_MESSAGE_LENGTH);
    let texts: { texts: string[]; more: boolean } = { texts: [], more: false };
    if (typeof body === "string") texts = { texts: body.trim() === "" ? [] : [body], more: false };
    else if (body !== null && typeof body === "object" && !Array.isArray(body)) {
        texts = collectTexts(ownValue(body, "message"));
        if (texts.texts.length === 0) {
            const error = ownValue(body, "error");
            texts = collectTexts(typeof error === "string" ? error : ownValue(error, "description"));
        }
    }
    const messages = texts.texts.map(tidy).filter((message) => message !== "");
    return { messages, more: texts.more };
}

/** Strings and finite numbers under `root`, in document order: at most MAX_API_MESSAGES + whether there were more. */
function collectTexts(root: unknown): { texts: string[]; more: boolean } {
    const texts: string[] = [];
    const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
    let visited = 0;
    while (stack.length > 0) {
        if (visited++ >= MAX_BODY_VALUES) return { texts, more: true };
        const { value, depth } = stack.pop()!;
        if (typeof value === "string") {
            if (value.trim() === "") continue;
            if (texts.length === MAX_API_MESSAGES) return { texts, more: true };
            texts.push(value);
        } else if (typeof value === "number" && Number.isFinite(value)) {
            if (texts.length === MAX_API_MESSAGES) return { texts, more: true };
            texts.push(String(value));
        } else if (value !== null && typeof value === "object" && depth < MAX_BODY_DEPTH) {
            const children = ownValues(value as object, MAX_BODY_VALUES);
            for (let i = children.length - 1; i >= 0; i--) stack.push({ value: children[i], depth: depth + 1 });
        }
    }
    return { texts, more: false };
}

/** The value of an own data property; never a getter's, never an inherited one. */
function ownValue(value: unknown, key: string): unknown {
    if (value === null || typeof value !== "object") return undefined;
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    return descriptor && "value" in descriptor ? descriptor.value : undefined;
}

/** The first `max` own data values of an object or array, in order. */
function ownValues(value: object, max: number): unknown[] {
    const keys = Array.isArray(value)
        ? Array.from({ length: Math.min(value.length, max) }, (_, i) => String(i))
        : Object.keys(value).slice(0, max);
    return keys.map((key) => ownValue(value, key));
}

/** The one place that turns an HTTP error answer into an error class and a message saying what to do. */
export function errorFromResponse(
    status: number,
    method: string,
    path: string,
    body: unknown,
    redact: Redactor,
    where: { url: string; baseUrl: string; credentialsHint?: string } = { url: path, baseUrl: "" },
): JelouError {
    // A create or regenerate (the client's only POSTs) that may have been applied: its answer may hold the new
    // signing secret, which the redactor cannot know. Jelou's text is not quoted at all.
    const withheld = method === "POST" && attemptOutcome({ status }) === "unknown";
    const { messages: apiMessages, more } = withheld ? { messages: [], more: false } : readApiMessages(body, redact);
    const details: JelouErrorDetails = { status, method, path, apiMessages };
    const said = withheld
        ? " (Jelou's text is not shown: the answer to a request that may have been applied can hold the new signing secret)"
        : apiMessages.length > 0
          ? `: ${apiMessages.join("; ")}${more ? "; (more messages not shown)" : ""}`
          : "";
    const head = `Jelou API ${method} ${where.url} failed with ${status}${said}`;

    if (status === 401 || status === 403) {
        return new JelouAuthenticationError(
            `${head}. Jelou refused the credentials: ${where.credentialsHint ?? CREDENTIALS_HINT}.`,
            details,
        );
    }
    // Only a create can meet the project's existing integration; a PATCH's "duplicate" is about its fields.
    const isCreate = method === "POST" && !path.endsWith("/secret/regenerate");
    if (isCreate && (status === 409 || (status === 422 && apiMessages.some((m) => ALREADY_EXISTS.test(m))))) {
        return new JelouConflictError(
            `${head}. The project already has an integration, and Jelou allows one per project. ` +
                "Delete it in Jelou (or from the stack that manages it), set adoptExisting: true to take it over, " +
                "or use another projectId.",
            details,
        );
    }
    if (status === 400 || status === 422) {
        const unchanged = method === "PATCH" ? " Nothing was changed in Jelou." : "";
        return new JelouValidationError(
            `${head}. Jelou refused the request's fields; fix the inputs it names, then run \`pulumi up\` again.${unchanged}`,
            details,
        );
    }
    if (status === 404 && isJelouBody(body)) {
        return new JelouNotFoundError(`${head}. The project has no integration (or does not exist).`, details);
    }
    if (status === 404) {
        // A gateway's or web server's own 404: the address is wrong, which says nothing about the integration.
        return new JelouError(
            `Jelou API ${method} ${where.url} answered 404 with a body that is not Jelou's (no JSON envelope): ` +
                `the address is probably wrong. Check baseUrl (now ${where.baseUrl}), the part before /v1/external-support; ` +
                "if it is right, the answer was garbled on the way and the call may be retried (run `pulumi up` again).",
            details,
        );
    }
    if (status === 429) {
        return new JelouRateLimitError(`${head}. Jelou is rate limiting; the call may be retried later.`, details);
    }
    if (status >= 500) {
        return new JelouServerError(`${head}. Jelou failed on its side; the call may be retried.`, details);
    }
    return new JelouError(`${head}.`, details);
}

export function connectionError(
    method: string,
    path: string,
    code: string,
    what: string,
    url = path,
    retryable = true,
): JelouConnectionError {
    return new JelouConnectionError(
        `Jelou API ${method} ${url} failed: ${what} (${code}).${retryable ? " The call may be retried." : ""}`,
        { method, path, code },
    );
}
