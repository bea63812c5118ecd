/**
 * The one reader of a resource's stored outputs, for every schema version this package has
 * written. diff, read, update and delete get the outputs as the engine kept them, which may be
 * 0.1.0's (no `schemaVersion`: the program had resolved the connection and kept it in every
 * resource) or a partial create's record; nothing else in the provider reads old state.
 */
import { JelouError } from "../api/errors";
import { AUTH_TYPES, AuthType } from "../api/types";
import { CONNECTION_KEYS, ConnectionKey } from "./connection";
import { IntegrationOutputs } from "./types";

/** Stored outputs, read. */
export interface StoredState {
    outputs: IntegrationOutputs;
    /** In state written by 0.1.0: the connection it kept, which the current stack's values override. */
    earlierConnection?: Partial<Record<ConnectionKey, unknown>>;
}

/** Stored outputs the provider cannot read as any version it wrote. */
export class JelouDamagedStateError extends JelouError {}

type Stored = Partial<Record<string, unknown>>;

export function readState(id: string, stored: Stored): StoredState {
    const required = (key: string): string => {
        const value = stored[key];
        if (typeof value === "string" && value !== "") return value;
        throw new JelouDamagedStateError(
            `ExternalSupportIntegration ${id}: the state has no usable ${key}, so the provider cannot tell which integration it is. ` +
                "Run `pulumi refresh` to see what Jelou holds, or `pulumi state delete <urn>` and adopt the integration again.",
        );
    };
    const authType = required("authType");
    if (!(AUTH_TYPES as readonly string[]).includes(authType)) {
        throw new JelouDamagedStateError(`ExternalSupportIntegration ${id}: the state's authType is not one of ${AUTH_TYPES.join(", ")}.`);
    }
    const outputs: IntegrationOutputs = {
        projectId: required("projectId"),
        webhookUrl: required("webhookUrl"),
        authType: authType as AuthType,
        authorization: text(stored.authorization),
        baseUrl: text(stored.baseUrl),
        apiKey: text(stored.apiKey),
        clientId: text(stored.clientId),
        clientSecret: text(stored.clientSecret),
        maxAttempts: number(stored.maxAttempts),
        requestTimeoutMs: number(stored.requestTimeoutMs),
        totalTimeoutMs: number(stored.totalTimeoutMs),
        retryBaseDelayMs: number(stored.retryBaseDelayMs),
        maxRequestsPerSecond: number(stored.maxRequestsPerSecond),
        rotationTriggers: stringMap(stored.rotationTriggers),
        adoptExisting: flag(stored.adoptExisting),
        inPlaceUpdates: flag(stored.inPlaceUpdates),
        detectDrift: flag(stored.detectDrift),
        brainId: text(stored.brainId),
        createdAt: text(stored.createdAt),
        signingSecret: text(stored.signingSecret),
        secretRotatedAt: text(stored.secretRotatedAt),
        createPending: flag(stored.createPending),
        createWindow: createWindow(stored.createWindow),
        schemaVersion: number(stored.schemaVersion),
    };
    for (const key of Object.keys(outputs) as (keyof IntegrationOutputs)[]) if (outputs[key] === undefined) delete outputs[key];
    if (outputs.schemaVersion !== undefined) return { outputs };
    // 0.1.0 kept whatever the program had resolved: the connection is the current stack's first, and these the last resort.
    const earlierConnection: Partial<Record<ConnectionKey, unknown>> = {};
    for (const key of CONNECTION_KEYS) {
        earlierConnection[key] = stored[key];
        delete outputs[key];
    }
    return { outputs, earlierConnection };
}

function text(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

function number(value: unknown): number | undefined {
    return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function flag(value: unknown): boolean | undefined {
    return typeof value === "boolean" ? value : undefined;
}

function stringMap(value: unknown): Record<string, string> | undefined {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

function createWindow(value: unknown): IntegrationOutputs["createWindow"] {
    if (typeof value !== "object" || value === null) return undefined;
    const { from, to } = value as { from?: unknown; to?: unknown };
    return typeof from === "string" && typeof to === "string" ? { from, to } : undefined;
}
