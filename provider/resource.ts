import * as pulumi from "@pulumi/pulumi";
import * as provider from "./dynamic-provider";
import { AuthType, SECRET_OUTPUTS } from "./types";

/**
 * How the provider reaches Jelou. Each may be left out: the provider then reads stack config
 * `jelou:*`, then `JELOU_*` from the environment, when each operation runs (see the README's
 * Credentials). Only what is given here is kept in the resource's state.
 */
export interface ConnectionArgs {
    apiKey?: pulumi.Input<string>;
    clientId?: pulumi.Input<string>;
    clientSecret?: pulumi.Input<string>;
    baseUrl?: pulumi.Input<string>;
    maxAttempts?: pulumi.Input<number>;
    requestTimeoutMs?: pulumi.Input<number>;
    totalTimeoutMs?: pulumi.Input<number>;
    retryBaseDelayMs?: pulumi.Input<number>;
    /** Make `pulumi refresh` ask Jelou (GET) instead of trusting the state; also `jelou:detectDrift`. */
    detectDrift?: pulumi.Input<boolean>;
}

export interface ExternalSupportIntegrationArgs extends ConnectionArgs {
    /** The Jelou project (brain) to integrate; one integration per project. */
    projectId: pulumi.Input<string>;
    /** The absolute https: URL Jelou sends events to. */
    webhookUrl: pulumi.Input<string>;
    /** How Jelou authenticates itself to the webhook; default "no_auth". */
    authType?: pulumi.Input<AuthType>;
    /** The credential Jelou sends to the webhook (required unless authType is "no_auth"); kept secret. */
    authorization?: pulumi.Input<string>;
    /** Any change of these values regenerates the signing secret in place, like `random`'s keepers. */
    rotationTriggers?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** When the project already has an integration, take it over instead of failing (default false). */
    adoptExisting?: pulumi.Input<boolean>;
    /**
     * Default false: a change of webhookUrl, authType or authorization replaces the integration
     * (delete, then create: a new id and a new signingSecret). True: it is one PATCH in place
     * (same id, same signingSecret, no window without an integration). projectId always replaces.
     */
    inPlaceUpdates?: pulumi.Input<boolean>;
}

/**
 * The integration between a Jelou project and an external support panel. Its `signingSecret`
 * (shown by Jelou once) is kept as a Pulumi secret; changing the webhook or its auth replaces the
 * integration, deleting the old one first, and yields a new secret.
 */
export class ExternalSupportIntegration extends pulumi.dynamic.Resource {
    declare readonly projectId: pulumi.Output<string>;
    declare readonly brainId: pulumi.Output<string>;
    declare readonly webhookUrl: pulumi.Output<string>;
    declare readonly authType: pulumi.Output<AuthType>;
    declare readonly authorization: pulumi.Output<string | undefined>;
    declare readonly createdAt: pulumi.Output<string>;
    /** HMAC-SHA256 key of the `X-Jelou-Signature` header on every event; a Pulumi secret. */
    declare readonly signingSecret: pulumi.Output<string>;
    /** When the current signing secret was issued (create, rotation or adoption). */
    declare readonly secretRotatedAt: pulumi.Output<string>;
    declare readonly rotationTriggers: pulumi.Output<Record<string, string> | undefined>;
    declare readonly apiKey: pulumi.Output<string | undefined>;
    declare readonly clientId: pulumi.Output<string | undefined>;
    declare readonly clientSecret: pulumi.Output<string | undefined>;
    declare readonly baseUrl: pulumi.Output<string | undefined>;

    constructor(name: string, args: ExternalSupportIntegrationArgs, opts?: pulumi.CustomResourceOptions) {
        // Nothing is resolved here: the provider reads the stack's config and environment when each operation runs.
        const props = {
            projectId: args.projectId,
            webhookUrl: args.webhookUrl,
            authType: args.authType,
            authorization: secretIfGiven(args.authorization),
            rotationTriggers: args.rotationTriggers,
            adoptExisting: args.adoptExisting,
            inPlaceUpdates: args.inPlaceUpdates,
            apiKey: secretIfGiven(args.apiKey),
            clientId: args.clientId,
            clientSecret: secretIfGiven(args.clientSecret),
            baseUrl: args.baseUrl,
            maxAttempts: args.maxAttempts,
            requestTimeoutMs: args.requestTimeoutMs,
            totalTimeoutMs: args.totalTimeoutMs,
            retryBaseDelayMs: args.retryBaseDelayMs,
            detectDrift: args.detectDrift,
            brainId: undefined,
            createdAt: undefined,
            signingSecret: undefined,
            secretRotatedAt: undefined,
            schemaVersion: undefined,
        };
        super(
            provider,
            name,
            props,
            // deleteBeforeReplace here too, not only in diff: Jelou allows one integration per project.
            pulumi.mergeOptions(opts, { additionalSecretOutputs: SECRET_OUTPUTS, deleteBeforeReplace: true }),
            "jelou",
            "ExternalSupportIntegration",
        );
        // The engine keeps these secret in state (additionalSecretOutputs); marking the outputs here too
        // keeps them secret in every resource they are wired into, whatever the engine's version.
        this.signingSecret = pulumi.secret(this.signingSecret);
        this.authorization = pulumi.secret(this.authorization);
        this.apiKey = pulumi.secret(this.apiKey);
        this.clientSecret = pulumi.secret(this.clientSecret);
    }
}

/** Secret even when the user passed a plain string. */
function secretIfGiven(value: pulumi.Input<string> | undefined): pulumi.Output<string> | undefined {
    return value === undefined ? undefined : pulumi.secret(value);
}
