/**
 * Every rule about what may be retried, and what a failed attempt says about the request, lives
 * here with its reason. Callers describe a failed attempt (HTTP status, network error code,
 * Retry-After) and the kind of call.
 */

/** `idempotent`: GET, PATCH, DELETE and regenerate (the last secret returned wins); `create`: the POST that creates. */
export type CallKind = "idempotent" | "create";

/**
 * What a failed attempt says about the request: surely not sent, may have taken effect, or refused
 * for good by the server's own answer.
 */
export type AttemptOutcome = "not-processed" | "unknown" | "answered";

export interface FailedAttempt {
    status?: number;
    code?: string;
    retryAfterMs?: number;
    /** A success status whose body could not be used. */
    unusable?: boolean;
}

export const RETRYABLE_STATUSES = [408, 429, 500, 502, 503, 504];

/**
 * TLS failures of the certificate check, which happens in the handshake, before any byte of the
 * request is sent. Sending again cannot help: the address or the trusted authorities must change.
 */
export const CERTIFICATE_FAILURES = new Set([
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    "UNABLE_TO_GET_ISSUER_CERT",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
    "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
    "CERT_SIGNATURE_FAILURE",
    "CERT_NOT_YET_VALID",
    "CERT_HAS_EXPIRED",
    "ERROR_IN_CERT_NOT_BEFORE_FIELD",
    "ERROR_IN_CERT_NOT_AFTER_FIELD",
    "CERT_CHAIN_TOO_LONG",
    "CERT_REVOKED",
    "INVALID_CA",
    "PATH_LENGTH_EXCEEDED",
    "INVALID_PURPOSE",
    "CERT_UNTRUSTED",
    "CERT_REJECTED",
    "HOSTNAME_MISMATCH",
    "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Set by the client when an HTTPS_PROXY answered the CONNECT itself: the request never reached Jelou. */
export const PROXY_REFUSED = "ERR_PROXY_REFUSED";

/** Failures that prove nothing of the request was sent: refused at connect, by the proxy, or in the TLS handshake. */
export function neverSent(code: string | undefined): boolean {
    return code === "ECONNREFUSED" || code === PROXY_REFUSED || (code !== undefined && CERTIFICATE_FAILURES.has(code));
}

export function attemptOutcome({ status, code, unusable }: FailedAttempt): AttemptOutcome {
    // Refused at connect, by the proxy, or in the TLS handshake: nothing was sent. Nothing later is.
    if (status === undefined) return neverSent(code) ? "not-processed" : "unknown";
    // A success whose answer was lost or garbled: it may well have been applied.
    if (unusable || status < 300) return "unknown";
    // A redirect is not followed (see client.ts), but may answer a request that was applied (303 after a POST).
    if (status < 400) return "unknown";
    // 408, 429 and 5xx prove nothing: gateways answer them after the request went through (a 429 or a
    // 503 with Retry-After has been seen over a create that had landed).
    if (RETRYABLE_STATUSES.includes(status) || status >= 500) return "unknown";
    // Any other status is the server's final word on this request.
    return "answered";
}

/** The outcome of a call from all its attempts: one that may have taken effect makes the call's unknown. */
export function callOutcome(attempts: AttemptOutcome[]): AttemptOutcome {
    if (attempts.includes("unknown")) return "unknown";
    return attempts[attempts.length - 1] ?? "not-processed";
}

/**
 * Jelou saying "not now" to the account: a 429, or a 503 with Retry-After. The governor (governor.ts)
 * slows every operation down on it; such an attempt is retried when the governor allows.
 */
export function isThrottling({ status, retryAfterMs }: FailedAttempt): boolean {
    return status === 429 || (status === 503 && retryAfterMs !== undefined);
}

/** Whether one failed attempt may be sent again. */
export function shouldRetry(attempt: FailedAttempt, kind: CallKind): boolean {
    if (attempt.unusable) return false;
    // The certificate will be refused again.
    if (attempt.code !== undefined && CERTIFICATE_FAILURES.has(attempt.code)) return false;
    // Nothing was sent.
    if (attempt.code === "ECONNREFUSED" || attempt.code === PROXY_REFUSED) return true;
    if (kind === "create") {
        // The server says "not now". Should the first attempt have landed after all, the retry meets 409,
        // which the create saga checks as possibly ours (create.ts). Anything else is not sent blindly again.
        return isThrottling(attempt);
    }
    if (attempt.status === undefined) return true;
    return RETRYABLE_STATUSES.includes(attempt.status);
}

/**
 * With a governor, throttled attempts (429, or 503 with Retry-After) are not counted in maxAttempts:
 * the governor's wait replaces the backoff, and totalTimeoutMs bounds them. This bounds them too.
 */
export const MAX_THROTTLED_RETRIES = 20;

/** What comes after a failed attempt: stop, or wait this long and send again. */
export type NextAttempt = { retry: false } | { retry: true; waitMs: number; throttled: boolean };

/**
 * The retries of one call: which failed attempt is sent again, and after how long. The backoff
 * doubles from `retryBaseDelayMs` with up to 20 % jitter, and waits at least what a Retry-After asks.
 * Under a governor a throttled attempt waits for the governor instead, and does not count.
 */
export class RetrySchedule {
    private counted = 0;
    private throttled = 0;

    constructor(
        private readonly settings: { maxAttempts: number; retryBaseDelayMs: number },
        private readonly kind: CallKind,
        private readonly governed: boolean,
        private readonly random: () => number = Math.random,
    ) {}

    after(attempt: FailedAttempt): NextAttempt {
        if (!shouldRetry(attempt, this.kind)) return { retry: false };
        if (this.governed && isThrottling(attempt)) {
            return ++this.throttled > MAX_THROTTLED_RETRIES ? { retry: false } : { retry: true, waitMs: 0, throttled: true };
        }
        if (++this.counted >= this.settings.maxAttempts) return { retry: false };
        const delay = Math.max(this.settings.retryBaseDelayMs * 2 ** (this.counted - 1), attempt.retryAfterMs ?? 0);
        return { retry: true, waitMs: delay * (1 + 0.2 * this.random()), throttled: false };
    }
}

/** Longer Retry-After values are not Jelou's: a text of more is read as "not said". */
const MAX_RETRY_AFTER_LENGTH = 64;

/**
 * A Retry-After header (seconds, or an HTTP date) in milliseconds from `now`; undefined when absent.
 * One that cannot be read still says "not now", with no time: 0.
 */
export function retryAfterMs(header: unknown, now = Date.now()): number | undefined {
    if (header === undefined || header === null) return undefined;
    if (typeof header !== "string" || header.length > MAX_RETRY_AFTER_LENGTH) return 0;
    const seconds = Number(header);
    if (header.trim() !== "" && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const at = Date.parse(header);
    return Number.isNaN(at) ? 0 : Math.max(0, at - now);
}
