import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, resolveConnection } from "./connection";
import * as provider from "./dynamic-provider";
import { AuthType, SECRET_OUTPUTS } from "./types";

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
    declare readonly baseUrl: pulumi.Output<string>;

    constructor(name: string, args: ExternalSupportIntegrationArgs, opts?: pulumi.CustomResourceOptions) {
        const connection = resolveConnection(name, args, new pulumi.Config("jelou"), process.env);
        const props = {
            projectId: args.projectId,
            webhookUrl: args.webhookUrl,
            authType: args.authType,
            authorization: secretIfGiven(args.authorization),
            rotationTriggers: args.rotationTriggers,
            adoptExisting: args.adoptExisting,
            ...connection,
            apiKey: secretIfGiven(connection.apiKey),
            clientSecret: secretIfGiven(connection.clientSecret),
            brainId: undefined,
            createdAt: undefined,
            signingSecret: undefined,
            secretRotatedAt: undefined,
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
