/**
 * The provider operations. This module's exports object is itself the `ResourceProvider` handed
 * to `dynamic.Resource`: when the package is installed, Pulumi serializes it as one
 * `require("pulumi-jelou/dynamic-provider")` instead of copying the code into every resource's
 * state. Nothing here may hold a client or a connection between calls; the stack configuration the
 * engine hands `configure` lives in this process only and is never serialized.
 */
import type * as pulumi from "@pulumi/pulumi";
import { RemoteIntegration } from "./answers";
import { IntegrationFields, JelouClient } from "./client";
import { compact, createIntegration, CreatedResult, DeclaredFields, isStandInId, issueNewSecret, resumeCreate } from "./create";
import { Connection, CONNECTION_KEYS, CREDENTIAL_KEYS, credentialsHint, isEarlierState, resolveConnection, SCHEMA_VERSION, StackConfig } from "./connection";
import { JelouError, JelouNotFoundError, JelouUnusableAnswerError } from "./errors";
import { governorFor } from "./governor";
import { findOurs, KnownIntegration, ownership, sameUrl } from "./ownership";
import { IntegrationInputs, IntegrationOutputs, PATCHABLE_PROPERTIES, REPLACE_PROPERTIES, ROTATION_PROPERTY, UPDATE_PROPERTIES } from "./types";
import { checkInputs, withoutProvider } from "./check";
import { isUnknown } from "./validation";

/** The stack's configuration, from the engine (once per host process, before the first operation). */
let stackConfig: StackConfig | undefined;

/** Takes `pulumi.dynamic.ConfigureRequest`; only `config.get` is used. */
export async function configure(req: { config: StackConfig }): Promise<void> {
    stackConfig = req.config;
}

/** Every input problem, missing credentials included, before any API call. */
export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    return checkInputs(news, { config: stackConfig, env: process.env });
}

export async function diff(
    _id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
): Promise<pulumi.dynamic.DiffResult> {
    const changed = (key: string) => isUnknown(news[key]) || !sameValue(olds[key], news[key]);
    // With inPlaceUpdates, the webhook and its auth are patched; projectId still replaces.
    // Not known yet at preview: the state's setting is the best guess of what the up will do.
    const inPlace = isUnknown(news.inPlaceUpdates) ? olds.inPlaceUpdates === true : news.inPlaceUpdates === true;
    const patchable: readonly string[] = inPlace ? PATCHABLE_PROPERTIES : [];
    const replaces = REPLACE_PROPERTIES.filter((key) => changed(key) && !patchable.includes(key));
    const updates = [...UPDATE_PROPERTIES, ROTATION_PROPERTY, ...patchable].filter(changed);
    return {
        // State written by 0.1.0 is rewritten once (no API call), dropping the connection it kept.
        changes: replaces.length > 0 || updates.length > 0 || isEarlierState(olds),
        replaces,
        // Jelou allows one integration per project: the old one must go before the new one is created.
        deleteBeforeReplace: true,
    };
}

export async function create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const props = withoutProvider(inputs) as unknown as IntegrationInputs;
    const integration = await createIntegration(clientFor(connectionFor(props), props), props.projectId, declaredFields(props), {
        adoptExisting: props.adoptExisting,
        log,
        // With __provider: the host records the error's properties as they are, and read and delete need it.
        declared: { ...inputs, schemaVersion: SCHEMA_VERSION },
    });
    return { id: integration.id, outs: outputsOf(props, integration) };
}

/**
 * The API cannot give the signing secret back, so by default the state is the truth and nothing
 * is called. With detectDrift, Jelou is asked: gone means gone (the next up creates it again), and
 * a webhook or auth type changed outside Pulumi shows as a diff; the secret always comes from state,
 * and a field Jelou does not say keeps the state's value.
 */
export async function read(id: string, props?: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
    if (!props || (typeof props.signingSecret !== "string" && props.createPending !== true)) {
        throw new Error(
            `ExternalSupportIntegration ${id}: there is no state to read, and Jelou never shows a signing secret twice, ` +
                "so `pulumi import` cannot bring this integration in. Declare the resource with adoptExisting: true " +
                "instead: the next `pulumi up` takes the existing integration over and regenerates its secret.",
        );
    }
    const state = props as unknown as IntegrationOutputs;
    const sources = sourcesOf(props);
    if (!resolveConnection({ ...sources, config: stackConfig, env: process.env }).detectDrift || state.createPending) return { id, props };
    let remote: RemoteIntegration;
    try {
        remote = await clientFor(connectionFor(sources.given, sources.earlier), state).get(state.projectId);
    } catch (error) {
        // An empty id tells the engine the resource no longer exists.
        if (error instanceof JelouNotFoundError) return { id: "", props: {} };
        throw error;
    }
    const identity = ownership({ id: jelouId(id, state), createdAt: state.createdAt }, remote);
    if (identity.ours === false) {
        // Recreated outside Pulumi: the secret in state is not its secret. Treat ours as gone, so the next
        // up creates it, which Jelou refuses while the other exists (adoptExisting takes that one over).
        log(`pulumi-jelou: project ${state.projectId} now has another integration (another ${identity.by}); ours (${id}) is gone`);
        return { id: "", props: {} };
    }
    const webhookUrl = remote.webhookUrl !== undefined && !sameUrl(remote.webhookUrl, state.webhookUrl) ? remote.webhookUrl : state.webhookUrl;
    return { id, props: { ...props, webhookUrl, authType: remote.authType ?? state.authType } };
}

/**
 * Reached for what changes how the API is called (stored, no call), for rotationTriggers (one
 * ownership GET, one regenerate), and by the engine for a resource recorded as partially created,
 * whose create it finishes. Every other output, the signing secret above all, is kept.
 */
export async function update(
    id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
    const previous = olds as unknown as IntegrationOutputs;
    const inputs = withoutProvider(news) as unknown as IntegrationInputs;
    if (previous.createPending || typeof previous.signingSecret !== "string") {
        const known = { id: jelouId(id, previous), brainId: previous.brainId, createdAt: previous.createdAt };
        const client = clientFor(connectionFor(inputs, earlierOf(olds)), inputs);
        const integration = await resumeCreate(client, inputs.projectId, declaredFields(inputs), known, {
            adoptExisting: inputs.adoptExisting,
            log,
            declared: { ...news, schemaVersion: SCHEMA_VERSION },
        });
        return { outs: outputsOf(inputs, integration) };
    }
    let { signingSecret, secretRotatedAt } = previous;
    const patch = inputs.inPlaceUpdates === true ? changedFields(previous, inputs) : undefined;
    const rotate = !sameValue(previous.rotationTriggers, inputs.rotationTriggers);
    if (patch || rotate) {
        // The state's values are redacted too: until the PATCH lands, the old authorization is the live one.
        const client = clientFor(connectionFor(inputs, earlierOf(olds)), { ...inputs, signingSecret }, [
            previous.authorization, previous.apiKey, previous.clientSecret,
        ]);
        // One ownership GET before either: neither the webhook nor the secret of a stranger's integration is ours to change.
        await confirmOursBefore(patch ? "Updating the webhook in place" : "Rotating the signing secret", client, id, previous);
        if (patch) await client.update(inputs.projectId, patch);
        if (rotate) ({ signingSecret, secretIssuedAt: secretRotatedAt } = await issueNewSecret(client, inputs.projectId, log));
    }
    const outs: IntegrationOutputs = {
        ...inputs,
        brainId: previous.brainId,
        createdAt: previous.createdAt,
        signingSecret,
        secretRotatedAt: secretRotatedAt ?? previous.createdAt,
        schemaVersion: SCHEMA_VERSION,
    };
    return { outs: compact(outs) };
}

async function deleteIntegration(id: string, props: Record<string, unknown>): Promise<void> {
    const state = props as unknown as IntegrationOutputs;
    const sources = sourcesOf(props);
    const client = clientFor(connectionFor(sources.given, sources.earlier), state);
    const found = await findOurs(client, state.projectId, knownOf(id, state));
    if (found.state === "gone") return;
    if (found.state === "not-ours") {
        log(
            `pulumi-jelou: warning: project ${state.projectId}'s integration is not ours (ours: ${id}; Jelou's: ` +
                `${found.remote.id ?? "id not said"}, another ${found.by}); it was left alone and ours is dropped from the state`,
        );
        return;
    }
    try {
        await client.delete(state.projectId);
    } catch (error) {
        // Already gone is what delete wants.
        if (error instanceof JelouNotFoundError) return;
        if (!(error instanceof JelouError) || (error.outcome !== "unknown" && !(error instanceof JelouUnusableAnswerError))) throw error;
        // The DELETE may have been applied: only Jelou can say.
        const after = await findOurs(client, state.projectId, knownOf(id, state));
        if (after.state !== "ours") return;
        throw error;
    }
}
export { deleteIntegration as delete };

/** The webhook fields that differ from the state's: what one PATCH sends (Jelou changes only the fields sent). */
function changedFields(previous: IntegrationOutputs, inputs: IntegrationInputs): IntegrationFields | undefined {
    const fields: IntegrationFields = {};
    if (!sameValue(previous.webhookUrl, inputs.webhookUrl)) fields.webhookUrl = inputs.webhookUrl;
    if (!sameValue(previous.authType, inputs.authType)) fields.authType = inputs.authType;
    if (!sameValue(previous.authorization, inputs.authorization) && inputs.authorization !== undefined) fields.authorization = inputs.authorization;
    // A GET never shows the authorization Jelou holds: with a new auth type (a drift repair included),
    // the declared one is sent too, or Jelou could keep an empty or stale credential under it.
    if (fields.authType !== undefined && inputs.authorization !== undefined) fields.authorization = inputs.authorization;
    return Object.keys(fields).length > 0 ? fields : undefined;
}

/** Before a PATCH or a regenerate: the project's integration must be ours, or it is not ours to change. */
async function confirmOursBefore(action: string, client: JelouClient, id: string, state: IntegrationOutputs): Promise<void> {
    const found = await findOurs(client, state.projectId, knownOf(id, state));
    if (found.state === "ours") return;
    const what = found.state === "gone"
        ? `project ${state.projectId} has no integration any more (deleted outside Pulumi)`
        : `project ${state.projectId}'s integration is not ours (ours: ${id}; Jelou's: ${found.remote.id ?? "id not said"}, another ${found.by})`;
    throw new JelouError(
        `${action} was refused: ${what}; nothing was changed in Jelou. To manage the project's integration again, ` +
            "run `pulumi refresh` with detectDrift: true (or jelou:detectDrift) so ours leaves the state, then `pulumi up` " +
            "with adoptExisting: true to take the project's integration over (or without it, to create one if there is none).",
    );
}

function declaredFields(props: IntegrationInputs): DeclaredFields {
    return { webhookUrl: props.webhookUrl, authType: props.authType, authorization: props.authorization };
}

function outputsOf(props: IntegrationInputs, integration: CreatedResult): Record<string, unknown> {
    const outs: IntegrationOutputs = {
        ...props,
        brainId: integration.brainId ?? props.projectId,
        createdAt: integration.createdAt,
        signingSecret: integration.signingSecret,
        secretRotatedAt: integration.secretIssuedAt,
        schemaVersion: SCHEMA_VERSION,
    };
    return compact(outs) as unknown as Record<string, unknown>;
}

/** What the state knows of our integration, for ownership checks; a stand-in id is not Jelou's. */
function knownOf(id: string, state: IntegrationOutputs): KnownIntegration {
    return { id: jelouId(id, state), createdAt: state.createdAt, webhookUrl: state.webhookUrl, authType: state.authType };
}

function jelouId(id: string, state: IntegrationInputs): string | undefined {
    return id === "" || isStandInId(id, state.projectId) ? undefined : id;
}

/** Outputs written by 0.1.0 hold a connection resolved from anywhere: the current stack's comes first. */
function sourcesOf(outputs: Record<string, unknown>): { given: Record<string, unknown>; earlier?: Record<string, unknown> } {
    return isEarlierState(outputs) ? { given: withoutConnection(outputs), earlier: outputs } : { given: outputs };
}

function earlierOf(olds: Record<string, unknown>): Record<string, unknown> | undefined {
    return isEarlierState(olds) ? olds : undefined;
}

/** The connection for this operation; throws, calling nothing, when there is none that can be used. */
function connectionFor(given: object, earlier?: Record<string, unknown>): OperationConnection {
    const { connection, failures } = resolveConnection({ given: withoutProvider(given as Record<string, unknown>), earlier, config: stackConfig, env: process.env });
    if (!connection) {
        throw new JelouError(`Jelou was not called: ${failures.map((f) => f.reason).join("; ")}`);
    }
    // A credential kept by 0.1.0 is redacted too, even when the stack's is the one sent.
    const otherCredentials = CREDENTIAL_KEYS.map((key) => earlier?.[key]).filter((v): v is string => typeof v === "string");
    return { ...connection, otherCredentials };
}

type OperationConnection = Connection & { otherCredentials: string[] };

function clientFor(connection: OperationConnection, props: IntegrationInputs & { signingSecret?: string }, alsoSecret: unknown[] = []): JelouClient {
    return new JelouClient({
        baseUrl: connection.baseUrl,
        ...connection.credentials,
        maxAttempts: connection.maxAttempts,
        requestTimeoutMs: connection.requestTimeoutMs,
        totalTimeoutMs: connection.totalTimeoutMs,
        retryBaseDelayMs: connection.retryBaseDelayMs,
        // One per account for the whole host process: every operation's attempts wait in the same queue.
        governor: governorFor(connection.baseUrl, connection.credentials, { maxRequestsPerSecond: connection.maxRequestsPerSecond, report: log }),
        credentialsHint: credentialsHint(connection),
        redact: [props.authorization, props.signingSecret, ...connection.otherCredentials, ...alsoSecret.filter((v): v is string => typeof v === "string")],
        // Throttled retries are the governor's to report, once in a while, not one line each.
        onRetry: ({ method, path, attempt, status, code, throttled }) =>
            throttled || log(`pulumi-jelou: retrying ${method} ${path} (attempt ${attempt}) after ${status ?? code}`),
    });
}

/** The host's stderr reaches the engine's diagnostics: say what is retried or recovered, never with what. */
function log(line: string): void {
    console.error(line);
}

function withoutConnection(props: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(props).filter(([key]) => !(CONNECTION_KEYS as readonly string[]).includes(key)));
}


function sameValue(a: unknown, b: unknown): boolean {
    return (a ?? undefined) === (b ?? undefined) || canonical(a) === canonical(b);
}

/** JSON with sorted keys, so that maps equal but for key order compare equal. */
function canonical(value: unknown): string {
    if (value === undefined || value === null) return "null";
    if (typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
}
