import * as pulumi from "@pulumi/pulumi";
import * as provider from "../dynamic-provider";
import { AuthType } from "../api/types";
import { refuseLinkedInstall } from "./linked-install";
import { RESOURCE_MODULE, RESOURCE_TYPE_NAME, SECRET_OUTPUTS } from "./types";

/**
 * How the provider reaches Jelou. Each may be left out: the provider then reads stack config
 * `jelou:*`, then `JELOU_*` from the environment, when each operation runs (see the README's
 * Credentials). Only what is given here is kept in the resource's state. A change of any of these
 * is an update that calls nothing: later calls use the new value. These comments quote the table
 * in provider/api/settings.ts (tests/unit/api/settings.test.ts keeps them in step).
 */
export interface ConnectionArgs {
    /**
     * The Jelou API key, sent as `x-api-key`; wins over `clientId` + `clientSecret`. Kept as a secret.
     * Credentials come whole from one place. Default: `jelou:apiKey`, then `JELOU_API_KEY`.
     */
    apiKey?: pulumi.Input<string>;
    /**
     * With `clientSecret`, HTTP Basic credentials instead of an API key. Default: `jelou:clientId`, then
     * `JELOU_CLIENT_ID`.
     */
    clientId?: pulumi.Input<string>;
    /**
     * With `clientId`; kept as a secret. Default: `jelou:clientSecret`, then `JELOU_CLIENT_SECRET`.
     */
    clientSecret?: pulumi.Input<string>;
    /**
     * The API's address before `/v1/external-support` (which the provider adds): `https:` (plain `http:` only
     * on loopback), no query or fragment. Default: `jelou:baseUrl`, then `JELOU_BASE_URL`, then
     * `https://gateway.jelou.ai/jelouapi`.
     */
    baseUrl?: pulumi.Input<string>;
    /**
     * Attempts per API call, the first included. A whole number from 1 to 10. Default: `jelou:maxAttempts`,
     * then `JELOU_MAX_ATTEMPTS`, then 4.
     */
    maxAttempts?: pulumi.Input<number>;
    /**
     * Time limit of one HTTP attempt over the whole exchange, headers and body, in milliseconds. A whole
     * number from 100 to 600000. Default: `jelou:requestTimeoutMs`, then `JELOU_REQUEST_TIMEOUT_MS`, then
     * 30000.
     */
    requestTimeoutMs?: pulumi.Input<number>;
    /**
     * Time limit of one whole operation (create, update, read or delete) with every call, retry and recovery
     * round it makes, in milliseconds. A whole number from 100 to 3600000. Default: `jelou:totalTimeoutMs`,
     * then `JELOU_TOTAL_TIMEOUT_MS`, then 120000.
     */
    totalTimeoutMs?: pulumi.Input<number>;
    /**
     * First backoff delay before a retry, in milliseconds; each retry doubles it, plus up to 20 % jitter, and
     * a `Retry-After` is honoured. A whole number from 1 to 60000. Default: `jelou:retryBaseDelayMs`, then
     * `JELOU_RETRY_BASE_DELAY_MS`, then 250.
     */
    retryBaseDelayMs?: pulumi.Input<number>;
    /**
     * A known rate limit of the Jelou account, in requests per second: the provider never sends more in any
     * one second, for all the resources of the run that use the account. Without it the provider learns the
     * limit from Jelou's 429s. A whole number from 1 to 10000. Default: `jelou:maxRequestsPerSecond`, then
     * `JELOU_MAX_REQUESTS_PER_SECOND`.
     */
    maxRequestsPerSecond?: pulumi.Input<number>;
    /**
     * Make `pulumi refresh` ask Jelou (one GET) instead of returning the state as it is; an integration
     * deleted outside Pulumi then leaves the state. Default: `jelou:detectDrift`, then `JELOU_DETECT_DRIFT`,
     * then `false`.
     */
    detectDrift?: pulumi.Input<boolean>;
}

export interface ExternalSupportIntegrationArgs extends ConnectionArgs {
    /**
     * The Jelou project (brain) to integrate; one integration per project. A change replaces the
     * integration (the old one is deleted first): a new id and a new `signingSecret`.
     */
    projectId: pulumi.Input<string>;
    /**
     * The absolute `https:` URL Jelou sends events to (`http:` only on loopback, against a local
     * Jelou); no `user:pass@` (use `authType` and `authorization`). A change replaces the
     * integration, or is one PATCH in place with `inPlaceUpdates`.
     */
    webhookUrl: pulumi.Input<string>;
    /**
     * How Jelou authenticates itself to the webhook. Default `"no_auth"`. A change replaces the
     * integration, or is one PATCH in place with `inPlaceUpdates`.
     */
    authType?: pulumi.Input<AuthType>;
    /**
     * The credential Jelou sends to the webhook: required unless `authType` is `"no_auth"`, refused
     * with it. Kept as a secret. A change replaces the integration, or is one PATCH with `inPlaceUpdates`.
     */
    authorization?: pulumi.Input<string>;
    /**
     * Any change of these values regenerates the signing secret in place (like `random`'s
     * keepers): one GET, then the regenerate. Values are kept as strings, so `1` and `"1"` are the
     * same trigger; an empty map is the same as none.
     */
    rotationTriggers?: pulumi.Input<Record<string, pulumi.Input<string | number | boolean>>>;
    /**
     * When the project already has an integration, take it over (PATCH to the declared webhook,
     * then a new secret) instead of failing. Default false. A change is an update that calls nothing.
     */
    adoptExisting?: pulumi.Input<boolean>;
    /**
     * Default false: a change of webhookUrl, authType or authorization replaces the integration
     * (delete, then create: a new id and a new signingSecret). True: it is one PATCH in place
     * (same id, same signingSecret, no window without an integration). projectId always replaces.
     * A change of this flag itself is an update that calls nothing.
     */
    inPlaceUpdates?: pulumi.Input<boolean>;
}

/**
 * The integration between a Jelou project and an external support panel. Its `signingSecret`
 * (shown by Jelou once) is kept as a Pulumi secret; changing the webhook or its auth replaces the
 * integration, deleting the old one first, and yields a new secret (or, with `inPlaceUpdates`, is
 * one PATCH that keeps both). Every argument given is also an output.
 */
export class ExternalSupportIntegration extends pulumi.dynamic.Resource {
    /** The Jelou project (brain) integrated. */
    declare readonly projectId: pulumi.Output<string>;
    /** The project (brain) id as Jelou says it. */
    declare readonly brainId: pulumi.Output<string>;
    /** Where Jelou sends events. */
    declare readonly webhookUrl: pulumi.Output<string>;
    /** How Jelou authenticates itself to the webhook (`"no_auth"` when not given). */
    declare readonly authType: pulumi.Output<AuthType>;
    /** What Jelou sends to the webhook; a Pulumi secret. */
    declare readonly authorization: pulumi.Output<string | undefined>;
    /** When Jelou created the integration, as Jelou said it (ISO 8601). */
    declare readonly createdAt: pulumi.Output<string>;
    /** HMAC-SHA256 key of the `X-Jelou-Signature` header on every event; a Pulumi secret. */
    declare readonly signingSecret: pulumi.Output<string>;
    /** When the current signing secret was issued (create, rotation or adoption), ISO 8601. */
    declare readonly secretRotatedAt: pulumi.Output<string>;
    /** The rotation triggers, values as strings. */
    declare readonly rotationTriggers: pulumi.Output<Record<string, string> | undefined>;
    /** Whether an existing integration of the project may be taken over. */
    declare readonly adoptExisting: pulumi.Output<boolean | undefined>;
    /** Whether webhook and auth changes are PATCHed in place. */
    declare readonly inPlaceUpdates: pulumi.Output<boolean | undefined>;
    /** Given on the resource only; one from config or the environment is not kept. A Pulumi secret. */
    declare readonly apiKey: pulumi.Output<string | undefined>;
    /** Given on the resource only. */
    declare readonly clientId: pulumi.Output<string | undefined>;
    /** Given on the resource only; a Pulumi secret. */
    declare readonly clientSecret: pulumi.Output<string | undefined>;
    /** Given on the resource only (the one used may come from config or the environment). */
    declare readonly baseUrl: pulumi.Output<string | undefined>;
    /** Given on the resource only. */
    declare readonly maxAttempts: pulumi.Output<number | undefined>;
    /** Given on the resource only, in milliseconds. */
    declare readonly requestTimeoutMs: pulumi.Output<number | undefined>;
    /** Given on the resource only, in milliseconds. */
    declare readonly totalTimeoutMs: pulumi.Output<number | undefined>;
    /** Given on the resource only, in milliseconds. */
    declare readonly retryBaseDelayMs: pulumi.Output<number | undefined>;
    /** Given on the resource only, requests per second. */
    declare readonly maxRequestsPerSecond: pulumi.Output<number | undefined>;
    /** Given on the resource only. */
    declare readonly detectDrift: pulumi.Output<boolean | undefined>;
    /** The layout version of this resource's state (2 since 0.2.0; absent in state written by 0.1.0). */
    declare readonly schemaVersion: pulumi.Output<number>;

    constructor(name: string, args: ExternalSupportIntegrationArgs, opts?: pulumi.CustomResourceOptions) {
        refuseLinkedInstall();
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
            maxRequestsPerSecond: args.maxRequestsPerSecond,
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
            RESOURCE_MODULE,
            RESOURCE_TYPE_NAME,
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
