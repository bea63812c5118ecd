/**
 * Every rule about what may be retried lives here, with its reason. Callers describe a failed
 * attempt (HTTP status, network error code, Retry-After) and the kind of call.
 */

/** `idempotent`: GET, PATCH, DELETE and regenerate (the last secret returned wins); `create`: the POST that creates. */
export type CallKind = "idempotent" | "create";

/** What a failed attempt says about the request: never reached Jelou, unknown, or answered for good. */
export type AttemptOutcome = "not-processed" | "unknown" | "answered";

export interface FailedAttempt {
    status?: number;
    code?: string;
    retryAfterMs?: number;
}

export const RETRYABLE_STATUSES = [408, 429, 500, 502, 503, 504];

export function attemptOutcome({ status, code, retryAfterMs }: FailedAttempt): AttemptOutcome {
    if (status === undefined) {
        // Refused at connect: nothing was sent.
        if (code === "ECONNREFUSED") return "not-processed";
        // An over-large or malformed answer, or a refused redirect, is an answer: repeating gets the same.
        if (code === "ERR_BAD_RESPONSE" || code === "ERR_FR_MAX_BODY_LENGTH_EXCEEDED" || code === "ERR_FR_TOO_MANY_REDIRECTS") {
            return "answered";
        }
        // Timeout or connection dropped after sending: Jelou may have acted on it.
        return "unknown";
    }
    // 429 is refused before any work is done.
    if (status === 429) return "not-processed";
    // 503 with Retry-After: the service declares itself unavailable, so it did not take the request.
    if (status === 503 && retryAfterMs !== undefined) return "not-processed";
    // 408 and 5xx: the request may have been processed before the failure.
    if (RETRYABLE_STATUSES.includes(status)) return "unknown";
    // Any other status is Jelou's final word.
    return "answered";
}

/** Whether one failed attempt may be sent again. */
export function shouldRetry(attempt: FailedAttempt, kind: CallKind): boolean {
    const outcome = attemptOutcome(attempt);
    if (outcome === "not-processed") return true;
    // A create whose outcome is unknown is not repeated blindly: the caller recovers it (see create.ts).
    if (outcome === "unknown") return kind === "idempotent";
    return false;
}
