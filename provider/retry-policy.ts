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

export function attemptOutcome({ status, code, unusable }: FailedAttempt): AttemptOutcome {
    // Refused at connect: nothing was sent.
    if (status === undefined) return code === "ECONNREFUSED" ? "not-processed" : "unknown";
    // A success whose answer was lost or garbled: it may well have been applied.
    if (unusable || status < 300) return "unknown";
    // A redirect is refused before the API sees the request (see client.ts).
    if (status < 400) return "answered";
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
    // Nothing was sent.
    if (attempt.code === "ECONNREFUSED") return true;
    if (kind === "create") {
        // The server says "not now". Should the first attempt have landed after all, the retry meets 409,
        // which the create saga checks as possibly ours (create.ts). Anything else is not sent blindly again.
        return isThrottling(attempt);
    }
    if (attempt.status === undefined) return true;
    return RETRYABLE_STATUSES.includes(attempt.status);
}
