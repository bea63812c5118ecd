import { SETTING_KEYS } from "../api/settings";
import type { AuthType, JelouCredentials, RequestSettings } from "../api/types";

/** The module and type name the resource registers under; together the type token in state and in mocks. */
export const RESOURCE_MODULE = "jelou";
export const RESOURCE_TYPE_NAME = "ExternalSupportIntegration";
/** `pulumi.dynamic.Resource` prefixes its module with `pulumi-nodejs:dynamic/`. */
export const RESOURCE_TYPE = `pulumi-nodejs:dynamic/${RESOURCE_MODULE}:${RESOURCE_TYPE_NAME}`;

/** The engine's placeholder for a value that is not known yet (during preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

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
     * With `createPending`: when that create sent its POSTs (ISO 8601, local clock), so that the
     * create resumed later can tell ours from an integration created at another time (ownership.ts).
     */
    createWindow?: { from: string; to: string };
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
export const UPDATE_PROPERTIES = [...SETTING_KEYS, "adoptExisting", "inPlaceUpdates"] as const;

/** Changing this is an in-place update that regenerates the signing secret. */
export const ROTATION_PROPERTY = "rotationTriggers";

/** Outputs kept only as Pulumi secrets. */
export const SECRET_OUTPUTS = ["signingSecret", "authorization", "apiKey", "clientSecret"];
