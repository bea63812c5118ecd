import { NO_CREDENTIALS_HELP } from "../api/errors";
import { AUTH_TYPES, DEFAULT_BASE_URL } from "../api/types";
import { UNKNOWN } from "./types";
import { firstInvisible, trimTrailing } from "../api/text";

export interface CheckFailure {
    property: string;
    reason: string;
}

export interface ValidationOptions {
    /**
     * Whether a missing credential is a failure (default true). Users' unit tests under mocks
     * (`pulumi-jelou/testing`) check everything else without credentials.
     */
    requireCredentials?: boolean;
    /** The base URL the provider will call when the inputs give none (from stack config or the environment). */
    baseUrl?: string;
}

export interface ValidationResult {
    /** The inputs with defaults applied; values not known yet are passed through untouched. */
    inputs: Record<string, unknown>;
    failures: CheckFailure[];
}

/** The request settings, with their bounds; defaults live in client.ts. */
export const REQUEST_SETTING_BOUNDS: Record<string, { min: number; max: number }> = {
    maxAttempts: { min: 1, max: 10 },
    requestTimeoutMs: { min: 100, max: 600_000 },
    totalTimeoutMs: { min: 100, max: 3_600_000 },
    retryBaseDelayMs: { min: 1, max: 60_000 },
    /** A known limit of the account (governor.ts); no default. */
    maxRequestsPerSecond: { min: 1, max: 10_000 },
};

const MAX_PROJECT_ID_LENGTH = 256;
const MAX_URL_LENGTH = 2048;
const MAX_SECRET_LENGTH = 4096;
/** Shorter credentials are not real ones, and could not be told apart from ordinary words when redacting. */
export const MIN_SECRET_LENGTH = 8;
 
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Why a credential-like value cannot be used as it is, or undefined. Stray whitespace (a key pasted
 * with its newline) would be sent verbatim and echoed back by a 401.
 */
export function secretValueProblem(property: string, value: string, { minLength = MIN_SECRET_LENGTH } = {}): string | undefined {
    if (value.trim() !== value) return `${property} has leading or trailing whitespace (a newline from a file or a paste?): remove it`;
    if (CONTROL_CHARACTERS.test(value)) return `${property} contains control characters: set it to the value alone`;
    // HTTP headers carry bytes, not characters: anything else is sent mangled (axios writes Latin-1 at best).
    const foreign = firstNonPrintableAscii(value);
    if (foreign !== undefined) {
        return `${property} contains a character outside printable ASCII (at position ${foreign + 1}), which would be sent mangled: ` +
            "copy the value again from where it was issued";
    }
    if (value.length < minLength) return `${property} is too short to be real (at least ${minLength} characters): check that it is the whole value`;
    if (value.length > MAX_SECRET_LENGTH) return `${property} must be at most ${MAX_SECRET_LENGTH} characters`;
    return undefined;
}

function firstNonPrintableAscii(value: string): number | undefined {
    for (let i = 0; i < value.length; i++) {
        const code = value.charCodeAt(i);
        if (code < 0x20 || code > 0x7e) return i;
    }
    return undefined;
}

/**
 * Why a value Jelou stores as sent holds whitespace or a control character, or undefined. URL
 * parsing drops a leading space, a tab or a newline, but Jelou receives them, and a projectId with
 * a trailing space comes back in every answer as a brainId that matches nothing.
 */
function invisibleCharacterProblem(property: string, value: string, fix: string): string | undefined {
    const found = firstInvisible(value);
    if (!found) return undefined;
    return `${property} contains ${found.name} at position ${found.index + 1}, which Jelou would store as sent: ${fix}`;
}

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/** True for localhost, 127.0.0.0/8 and ::1: the only hosts plain http may reach. */
export function isLoopbackHost(hostname: string): boolean {
    const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
    return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Why a base URL cannot be used, or undefined when it can. */
export function baseUrlProblem(value: string): string | undefined {
    // Judged before any parse or pattern runs over it.
    if (value.length > MAX_URL_LENGTH) return `baseUrl must be at most ${MAX_URL_LENGTH} characters, such as ${DEFAULT_BASE_URL}`;
    const invisible = invisibleCharacterProblem("baseUrl", value, `remove it (such as ${DEFAULT_BASE_URL})`);
    if (invisible) return invisible;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return `baseUrl must be an absolute URL such as ${DEFAULT_BASE_URL}`;
    }
    // It is stored in plain state and shown in previews: no credential may ride in it.
    if (url.username || url.password) return "baseUrl must not contain a user or password: give credentials as apiKey or clientId + clientSecret";
    if (url.search || url.hash || /[?#]/.test(value)) {
        return "baseUrl must not have a query (?…) or a fragment (#…): give only the address before /v1/external-support, such as " + DEFAULT_BASE_URL;
    }
    // The provider adds /v1/external-support/...: a /v1 step in baseUrl would call /v1/v1/...
    const v1 = /(^|\/)v1(\/|$)/i.exec(url.pathname);
    if (v1) {
        return `baseUrl must be the address before /v1/external-support, which the provider adds itself: ` +
            `use ${url.origin}${trimTrailing(url.pathname.slice(0, v1.index), "/")}`;
    }
    if (url.protocol === "https:") return undefined;
    if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
    if (url.protocol === "http:") {
        return "baseUrl must use https: (plain http: is allowed only for a loopback host such as 127.0.0.1, " +
            "so that credentials never travel in clear text)";
    }
    return `baseUrl must be an https: URL such as ${DEFAULT_BASE_URL}`;
}

/**
 * Validates the resource's inputs before any API call. Reports every problem, each naming the
 * property and the fix; never throws, whatever it is given.
 */
export function validateInputs(news: Record<string, unknown>, { requireCredentials = true, baseUrl: fallbackBaseUrl }: ValidationOptions = {}): ValidationResult {
    const failures: CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    const inputs: Record<string, unknown> = {};

    const projectId = news.projectId;
    if (!isUnknown(projectId)) {
        if (typeof projectId !== "string" || projectId.trim() === "") {
            fail("projectId", "projectId is required: set it to the Jelou project (brain) id, a non-empty string");
        } else if (projectId === "." || projectId === "..") {
            fail("projectId", 'projectId cannot be "." or "..": URLs would resolve it as a path step; use the project id');
        } else if (projectId.length > MAX_PROJECT_ID_LENGTH) {
            fail("projectId", `projectId must be at most ${MAX_PROJECT_ID_LENGTH} characters`);
        } else {
            const problem = invisibleCharacterProblem("projectId", projectId, "set it to the Jelou project (brain) id alone, with no spaces");
            if (problem) fail("projectId", problem);
        }
    }
    inputs.projectId = projectId;

    const authType = news.authType ?? "no_auth";
    if (!isUnknown(authType) && !AUTH_TYPES.includes(authType as never)) {
        fail("authType", `authType must be one of ${AUTH_TYPES.map((t) => `"${t}"`).join(", ")} (default "no_auth")`);
    }
    inputs.authType = authType;

    const authorization = news.authorization;
    if (!isUnknown(authorization) && !isUnknown(authType) && AUTH_TYPES.includes(authType as never)) {
        const given = authorization !== undefined && authorization !== null && authorization !== "";
        if (authType === "no_auth" && given) {
            fail("authorization", 'authorization must not be set when authType is "no_auth": remove it, or set authType');
        } else if (authType !== "no_auth" && !given) {
            fail("authorization", `authorization is required when authType is "${authType}": set the credential Jelou sends to the webhook`);
        }
    }
    const authorizationFailed = failures.some((f) => f.property === "authorization");
    if (!authorizationFailed && !isUnknown(authorization) && authorization !== undefined && authorization !== null && authorization !== "") {
        if (typeof authorization !== "string") fail("authorization", "authorization must be a string");
        else {
            const problem = secretValueProblem("authorization", authorization);
            if (problem) fail("authorization", problem);
        }
    }
    if (authorization !== undefined && authorization !== null && authorization !== "") inputs.authorization = authorization;

    checkCredentials(news, fail, requireCredentials);
    for (const key of ["apiKey", "clientId", "clientSecret"]) {
        if (news[key] !== undefined && news[key] !== null && news[key] !== "") inputs[key] = news[key];
    }

    // Only a baseUrl given on the resource is an input; one from config or the environment is read when each operation runs.
    const given = news.baseUrl === null || news.baseUrl === "" ? undefined : news.baseUrl;
    if (given !== undefined && !isUnknown(given)) {
        const problem = typeof given === "string" ? baseUrlProblem(given) : "baseUrl must be a string URL";
        if (problem) fail("baseUrl", problem);
    }
    if (given !== undefined) inputs.baseUrl = typeof given === "string" && !isUnknown(given) ? trimTrailing(given, "/") : given;
    const baseUrl = given ?? fallbackBaseUrl ?? DEFAULT_BASE_URL;

    const webhookUrl = news.webhookUrl;
    if (!isUnknown(webhookUrl)) {
        const problem = webhookUrlProblem(webhookUrl, typeof baseUrl === "string" && isLoopbackUrl(baseUrl));
        if (problem) fail("webhookUrl", problem);
    }
    inputs.webhookUrl = webhookUrl;

    checkRotationTriggers(news.rotationTriggers, inputs, fail);
    for (const key of ["adoptExisting", "inPlaceUpdates", "detectDrift"]) {
        const value = news[key];
        if (value === undefined || value === null) continue;
        if (!isUnknown(value) && typeof value !== "boolean") fail(key, `${key} must be true or false`);
        inputs[key] = value;
    }

    for (const [key, { min, max }] of Object.entries(REQUEST_SETTING_BOUNDS)) {
        const value = news[key];
        if (value === undefined || value === null) continue;
        if (!isUnknown(value) && (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)) {
            fail(key, `${key} must be a whole number from ${min} to ${max}`);
        }
        inputs[key] = value;
    }

    return { inputs, failures };
}

const MAX_TRIGGERS = 64;

/**
 * A map of strings, numbers or booleans, kept as strings: `1` and `"1"` are the same trigger, so
 * writing a value one way or the other rotates nothing. An empty map is the same as none.
 */
function checkRotationTriggers(value: unknown, inputs: Record<string, unknown>, fail: (property: string, reason: string) => void): void {
    if (value === undefined || value === null) return;
    if (isUnknown(value)) {
        inputs.rotationTriggers = value;
        return;
    }
    const reason = "rotationTriggers must be a map of strings, numbers or booleans, such as { version: 3 } or { month: \"2026-11\" }";
    if (typeof value !== "object" || Array.isArray(value)) return void fail("rotationTriggers", reason);
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > MAX_TRIGGERS) return void fail("rotationTriggers", `rotationTriggers must have at most ${MAX_TRIGGERS} entries`);
    const bad = entries.find(([, v]) => !(typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))));
    if (bad) return void fail("rotationTriggers", `${reason}; rotationTriggers.${bad[0]} is not one`);
    if (entries.length > 0) inputs.rotationTriggers = Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
}

function isLoopbackUrl(value: string): boolean {
    try {
        return isLoopbackHost(new URL(value).hostname);
    } catch {
        return false;
    }
}

/** Jelou wants a public https: URL; a local Jelou may also call a receiver on loopback over http:. */
function webhookUrlProblem(value: unknown, localJelou: boolean): string | undefined {
    const fix = "webhookUrl must be an absolute https: URL of your receiver, such as https://support.example.com/jelou";
    if (typeof value !== "string" || value === "") return fix;
    if (value.length > MAX_URL_LENGTH) return `webhookUrl must be at most ${MAX_URL_LENGTH} characters`;
    const invisible = invisibleCharacterProblem("webhookUrl", value, "remove it (percent-encode a space that belongs in the URL as %20)");
    if (invisible) return invisible;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return fix;
    }
    // State keeps webhookUrl in plain text, and Jelou would send the password in every event's URL.
    if (url.username || url.password) {
        return "webhookUrl must not contain a user or password: set authType and authorization, which are kept secret";
    }
    if (url.protocol === "http:" && localJelou && isLoopbackHost(url.hostname)) return undefined;
    if (url.protocol !== "https:") return `${fix} (got a ${url.protocol} URL)`;
    return undefined;
}

function checkCredentials(news: Record<string, unknown>, fail: (property: string, reason: string) => void, required: boolean): void {
    const { apiKey, clientId, clientSecret } = news;
    for (const [key, value] of Object.entries({ apiKey, clientId, clientSecret })) {
        if (value !== undefined && value !== null && value !== "" && !isUnknown(value)) {
            if (typeof value !== "string") fail(key, `${key} must be a string`);
            else {
                // A client id is not secret: any length will do, but not stray whitespace.
                const problem = secretValueProblem(key, value, { minLength: key === "clientId" ? 1 : MIN_SECRET_LENGTH });
                if (problem) fail(key, problem);
            }
        }
    }
    if ([apiKey, clientId, clientSecret].some(isUnknown)) return;
    const has = (v: unknown) => typeof v === "string" && v !== "";
    if (has(apiKey)) return;
    if (has(clientId) && has(clientSecret)) return;
    if (has(clientId) || has(clientSecret)) {
        const missing = has(clientId) ? "clientSecret" : "clientId";
        fail(missing, `${missing} is required with ${missing === "clientId" ? "clientSecret" : "clientId"}: ` +
            `set jelou:${missing} (or ${envName(missing)}, or the resource's ${missing}), or use an apiKey instead`);
        return;
    }
    if (required) fail("apiKey", `no Jelou credentials. ${NO_CREDENTIALS_HELP}`);
}

function envName(key: string): string {
    return `JELOU_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}
