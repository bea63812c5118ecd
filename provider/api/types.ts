/** The vocabulary of the Jelou API that the client speaks: who calls, how, and what an integration is. */
/** How Jelou authenticates itself to the webhook. */
export type AuthType = "bearer" | "api_key" | "basic" | "no_auth";

export const AUTH_TYPES: readonly AuthType[] = ["bearer", "api_key", "basic", "no_auth"];

export { DEFAULT_BASE_URL } from "./settings";

/** Credentials used to call the Jelou API: an API key, or a client id and secret. */
export interface JelouCredentials {
    apiKey?: string;
    clientId?: string;
    clientSecret?: string;
}

/** How the client retries and times out. Defaults, bounds and docs: the table in settings.ts. */
export interface RequestSettings {
    maxAttempts?: number;
    requestTimeoutMs?: number;
    totalTimeoutMs?: number;
    retryBaseDelayMs?: number;
    /** No default: the governor learns the limit from Jelou's 429s. */
    maxRequestsPerSecond?: number;
}
