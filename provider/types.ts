/** How Jelou authenticates itself to the webhook. */
export type AuthType = "bearer" | "api_key" | "basic" | "no_auth";

export const AUTH_TYPES: readonly AuthType[] = ["bearer", "api_key", "basic", "no_auth"];

export const DEFAULT_BASE_URL = "https://gateway.jelou.ai/jelouapi";

/** The module and type name the resource registers under; together the type token in state and in mocks. */
export const RESOURCE_MODULE = "jelou";
export const RESOURCE_TYPE_NAME = "ExternalSupportIntegration";
/** `pulumi.dynamic.Resource` prefixes its module with `pulumi-nodejs:dynamic/`. */
export const RESOURCE_TYPE = `pulumi-nodejs:dynamic/${RESOURCE_MODULE}:${RESOURCE_TYPE_NAME}`;

/** The engine's placeholder for a value that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

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

/** The properties the provider receives: the resource's inputs, resolved and plain. */
export interface IntegrationInputs extends JelouCredentials, RequestSettings {
    projectId: string;
    webhookUrl: string;
    authType: AuthType;
    authorization?: string;
    /** Given on the resource; else read from config or the environment when each operation runs. */
    baseUrl?: string;
    /** Any change of this map regenerates the signing secret (like `random`'s keepers). */
    rotationTriggers?: Record<string, string>;
    /** Take over an integration the project already has instead of failing. */
    adoptExisting?: boolean;
    /** A change of webhookUrl, authType or authorization is one PATCH (same id, same secret) instead of a replace. */
    inPlaceUpdates?: boolean;
    /** `read` asks Jelou (GET) instead of returning the state as it is. */
    detectDrift?: boolean;
}

/** What the provider stores: every input plus what Jelou returned. */
export interface IntegrationOutputs extends IntegrationInputs {
    brainId?: string;
    /** As Jelou said it; used to tell our integration from another when Jelou does not say ids. */
    createdAt?: string;
    /** Absent only while `createPending`. */
    signingSecret?: string;
    /** When the current signing secret was issued (by the create, a rotation or an adoption). */
    secretRotatedAt?: string;
    /**
     * Set on a resource recorded as partially created: the integration exists, or may, but its
     * secret was not learned. The next update finishes the create (see create.ts).
     */
    createPending?: boolean;
    /**
     * The version of the state's layout (connection.ts): absent in state written by 0.1.0, whose
     * connection values were resolved by the program from anywhere. From 2 on, a credential or
     * other connection setting in the state is one given on the resource.
     */
    schemaVersion?: number;
}

/** Changing one of these replaces the integration (Jelou addresses it by project). */
export const REPLACE_PROPERTIES = ["projectId", "webhookUrl", "authType", "authorization"] as const;

/** With `inPlaceUpdates`, changing one of these is one PATCH instead of a replace. */
export const PATCHABLE_PROPERTIES = ["webhookUrl", "authType", "authorization"] as const;

/** Changing one of these only changes how the API is called: an in-place update, no API call. */
export const UPDATE_PROPERTIES = [
    "apiKey",
    "clientId",
    "clientSecret",
    "baseUrl",
    "maxAttempts",
    "requestTimeoutMs",
    "totalTimeoutMs",
    "retryBaseDelayMs",
    "maxRequestsPerSecond",
    "adoptExisting",
    "inPlaceUpdates",
    "detectDrift",
] as const;

/** Changing this is an in-place update that regenerates the signing secret. */
export const ROTATION_PROPERTY = "rotationTriggers";

/** Outputs kept only as Pulumi secrets. */
export const SECRET_OUTPUTS = ["signingSecret", "authorization", "apiKey", "clientSecret"];
