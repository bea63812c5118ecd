/** The vocabulary of the Jelou API that the client speaks: who calls, how, and what an integration is. */
/** How Jelou authenticates itself to the webhook. */
export type AuthType = "bearer" | "api_key" | "basic" | "no_auth";

export const AUTH_TYPES: readonly AuthType[] = ["bearer", "api_key", "basic", "no_auth"];

export const DEFAULT_BASE_URL = "https://gateway.jelou.ai/jelouapi";

/** Credentials used to call the Jelou API: an API key, or a client id and secret. */
export interface JelouCredentials {
    apiKey?: string;
    clientId?: string;
    clientSecret?: string;
}

/** How the client retries and times out. Every field has a default (see client.ts). */
export interface RequestSettings {
    /** Attempts per API call, the first included. */
    maxAttempts?: number;
    /** Time limit of one HTTP attempt over the whole exchange (headers and body), in milliseconds. Default 30000. */
    requestTimeoutMs?: number;
    /**
     * Time limit of one whole operation (create, update, read or delete) with every call, retry and
     * recovery round it makes, in milliseconds. Default 120000.
     */
    totalTimeoutMs?: number;
    /** First backoff delay in milliseconds; each retry doubles it, plus up to 20 % jitter. */
    retryBaseDelayMs?: number;
    /**
     * A known rate limit of the Jelou account, in requests per second: the host's governor never
     * sends more in any one second. No default: the governor learns the limit from Jelou's 429s.
     */
    maxRequestsPerSecond?: number;
}
