/**
 * The provider operations. This module's exports object is itself the `ResourceProvider` handed
 * to `dynamic.Resource`: when the package is installed, Pulumi serializes it as one
 * `require("pulumi-jelou/dynamic-provider")` instead of copying the code into every resource's
 * state. Nothing here may hold a client or a connection between calls; the stack configuration the
 * engine hands `configure` lives in this process only and is never serialized.
 */
import type * as pulumi from "@pulumi/pulumi";
import { RemoteIntegration } from "./api/answers";
import { IntegrationFields } from "./api/client";
import { JelouError, JelouNotFoundError, JelouUnusableAnswerError } from "./api/errors";
import { checkInputs, withoutProvider } from "./resource/check";
import { claimForCreate, hold, release } from "./resource/claims";
import { isEarlierState, SCHEMA_VERSION, StackConfig } from "./resource/connection";
import {
    compact,
    createIntegration,
    CreatedResult,
    DeclaredFields,
    isStandInId,
    issueNewSecret,
    resumeCreate,
} from "./resource/create-saga";
import { OperationContext, OperationSources } from "./resource/operation-context";
import { CreateWindow, findOurs, Found, KnownIntegration, ownership, sameUrl } from "./resource/ownership";
import { readState, StoredState } from "./resource/state";
import {
    IntegrationInputs,
    IntegrationOutputs,
    PATCHABLE_PROPERTIES,
    REPLACE_PROPERTIES,
    ROTATION_PROPERTY,
    UPDATE_PROPERTIES,
} from "./resource/types";
import { isUnknown } from "./resource/validation";

type Provider = pulumi.dynamic.ResourceProvider<IntegrationInputs, IntegrationOutputs>;

/** The stack's configuration, from the engine (once per host process, before the first operation). */
let stackConfig: StackConfig | undefined;

/** Takes `pulumi.dynamic.ConfigureRequest`; only `config.get` is used. */
export async function configure(req: { config: StackConfig }): Promise<void> {
    stackConfig = req.config;
}

/**
 * Every input problem before any API call. Missing credentials are not one: a preview calls nothing,
 * so it needs none (a pull request from a fork has no secrets); the first operation that calls Jelou
 * fails, calling nothing, naming apiKey and the three ways to give it. Credentials given but
 * unusable (half a pair, whitespace, too short) are refused here.
 */
export const check: NonNullable<Provider["check"]> = async (_olds, news) =>
    checkInputs(news, { config: stackConfig, env: process.env, requireCredentials: false });

export const diff: NonNullable<Provider["diff"]> = async (_id, olds, news) => {
    const [before, after]: Partial<Record<string, unknown>>[] = [{ ...olds }, { ...news }];
    const changed = (key: string) => isUnknown(after[key]) || !sameValue(before[key], after[key]);
    // This existing resource keeps its project through this run (a replace deletes it, then creates it again).
    if (typeof news.projectId === "string" && !changed("projectId")) hold(news.projectId);
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
};

export const create: Provider["create"] = async (declared) => {
    const inputs = withoutProvider(declared);
    // Before any API call: a second resource of this program for the same project would take the first one's integration.
    claimForCreate(inputs.projectId);
    const context = operationContext({ given: inputs }, [inputs.authorization]);
    const integration = await createIntegration(context.jelou(), inputs.projectId, declaredFields(inputs), {
        adoptExisting: inputs.adoptExisting,
        log,
        // With __provider: the host records the error's properties as they are, and read and delete need it.
        declared: { ...declared, schemaVersion: SCHEMA_VERSION },
    });
    return { id: integration.id, outs: outputsOf(inputs, integration) };
};

/**
 * The API cannot give the signing secret back, so by default the state is the truth and nothing
 * is called. With detectDrift, Jelou is asked: gone means gone (the next up creates it again), and
 * a webhook or auth type changed outside Pulumi shows as a diff; the secret always comes from state,
 * and a field Jelou does not say keeps the state's value.
 */
export const read: NonNullable<Provider["read"]> = async (id, props) => {
    if (!props || (typeof props.signingSecret !== "string" && props.createPending !== true)) {
        throw new Error(
            `ExternalSupportIntegration ${id}: there is no state to read, and Jelou never shows a signing secret twice, ` +
                "so `pulumi import` cannot bring this integration in. Declare the resource with adoptExisting: true " +
                "instead: the next `pulumi up` takes the existing integration over and regenerates its secret.",
        );
    }
    const stored = readState(id, { ...props });
    const state = stored.outputs;
    const context = operationContext(sourcesOf(stored), [state.authorization, state.signingSecret]);
    if (!context.detectDrift || state.createPending) return { id, props };
    let remote: RemoteIntegration;
    try {
        remote = await context.jelou().get(state.projectId);
    } catch (error) {
        // An empty id tells the engine the resource no longer exists.
        if (error instanceof JelouNotFoundError) return { id: "" };
        throw error;
    }
    const identity = ownership({ id: jelouId(id, state), createdAt: state.createdAt }, remote);
    if (identity.ours === false) {
        // Recreated outside Pulumi: the secret in state is not its secret. Treat ours as gone, so the next
        // up creates it, which Jelou refuses while the other exists (adoptExisting takes that one over).
        log(`pulumi-jelou: project ${state.projectId} now has another integration (another ${identity.by}); ours (${id}) is gone`);
        return { id: "" };
    }
    const webhookUrl =
        remote.webhookUrl !== undefined && !sameUrl(remote.webhookUrl, state.webhookUrl) ? remote.webhookUrl : state.webhookUrl;
    return { id, props: { ...props, webhookUrl, authType: remote.authType ?? state.authType } };
};

/**
 * Reached for what changes how the API is called (stored, no call), for rotationTriggers (one
 * ownership GET, one regenerate), and by the engine for a resource recorded as partially created,
 * whose create it finishes. Every other output, the signing secret above all, is kept.
 */
export const update: NonNullable<Provider["update"]> = async (id, olds, news) => {
    const stored = readState(id, { ...olds });
    const previous = stored.outputs;
    const inputs = withoutProvider(news);
    // The resource is in the state already: the project's first holder in this run, never a second one.
    hold(inputs.projectId);
    // The state's values are redacted too: until a PATCH lands, the old authorization is the live one.
    const context = operationContext({ given: inputs, earlier: stored.earlierConnection }, [
        inputs.authorization,
        previous.signingSecret,
        previous.authorization,
        previous.apiKey,
        previous.clientSecret,
    ]);
    if (previous.createPending || previous.signingSecret === undefined) {
        const known = { id: jelouId(id, previous), brainId: previous.brainId, createdAt: previous.createdAt };
        const integration = await resumeCreate(context.jelou(), inputs.projectId, declaredFields(inputs), known, {
            adoptExisting: inputs.adoptExisting,
            log,
            declared: { ...news, schemaVersion: SCHEMA_VERSION },
            createWindow: windowOf(previous),
        });
        return { outs: outputsOf(inputs, integration) };
    }
    let { signingSecret, secretRotatedAt } = previous;
    const patch = inputs.inPlaceUpdates === true ? changedFields(previous, inputs) : undefined;
    const rotate = !sameValue(previous.rotationTriggers, inputs.rotationTriggers);
    if (patch || rotate) {
        const client = context.jelou();
        // One ownership GET before either: neither the webhook nor the secret of a stranger's integration is ours to change.
        await confirmOursBefore(
            patch ? "Updating the webhook in place" : "Rotating the signing secret",
            context,
            id,
            previous,
            inputs.adoptExisting,
        );
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
};

const deleteIntegration: NonNullable<Provider["delete"]> = async (id, props) => {
    const stored = readState(id, { ...props });
    const state = stored.outputs;
    const context = operationContext(sourcesOf(stored), [state.authorization, state.signingSecret]);
    const client = context.jelou();
    const known = knownOf(id, state, state.adoptExisting);
    const found = await findOurs(client, state.projectId, known);
    if (found.state === "cannot-tell") throw deleteRefused(id, state, found);
    if (found.state === "not-ours") {
        log(
            `pulumi-jelou: warning: project ${state.projectId}'s integration is not ours (ours: ${id}; Jelou's: ` +
                `${found.remote.id ?? "id not said"}, another ${found.by}); it was left alone and ours is dropped from the state`,
        );
    }
    if (found.state === "ours") {
        try {
            await client.delete(state.projectId);
        } catch (error) {
            // Already gone is what delete wants.
            const gone = error instanceof JelouNotFoundError;
            if (!gone && (!(error instanceof JelouError) || (error.outcome !== "unknown" && !(error instanceof JelouUnusableAnswerError))))
                throw error;
            // The DELETE may have been applied: only Jelou can say.
            const after = gone ? undefined : await findOurs(client, state.projectId, known);
            if (after && after.state !== "gone" && after.state !== "not-ours") throw error;
        }
    }
    // Ours is gone from Jelou: a create of the project later in this run (a replace) is no second resource.
    release(state.projectId);
};
export { deleteIntegration as delete };

// The module's exports are the provider the SDK calls: this line fails to compile when one drifts from the SDK's contract.
void ({ configure, check, diff, create, read, update, delete: deleteIntegration } satisfies Provider);

/** Weak evidence is never enough to forget ours: say what the user can do. */
function deleteRefused(id: string, state: IntegrationOutputs, found: Extract<Found, { state: "cannot-tell" }>): JelouError {
    return new JelouError(
        `Deleting the integration of project ${state.projectId} was refused: Jelou's answer cannot show whether the ` +
            `project's integration is this resource's (ours: ${id}; ${found.by}), so it was neither deleted nor dropped ` +
            "from the state. If it is not this resource's, run `pulumi state delete <this resource's URN>` (Jelou keeps it). " +
            "If it is, set adoptExisting: true on the resource and run `pulumi up`, then destroy again.",
    );
}

/** The webhook fields that differ from the state's: what one PATCH sends (Jelou changes only the fields sent). */
function changedFields(previous: IntegrationOutputs, inputs: IntegrationInputs): IntegrationFields | undefined {
    const fields: IntegrationFields = {};
    if (!sameValue(previous.webhookUrl, inputs.webhookUrl)) fields.webhookUrl = inputs.webhookUrl;
    if (!sameValue(previous.authType, inputs.authType)) fields.authType = inputs.authType;
    if (!sameValue(previous.authorization, inputs.authorization) && inputs.authorization !== undefined)
        fields.authorization = inputs.authorization;
    // A GET never shows the authorization Jelou holds: with a new auth type (a drift repair included),
    // the declared one is sent too, or Jelou could keep an empty or stale credential under it.
    if (fields.authType !== undefined && inputs.authorization !== undefined) fields.authorization = inputs.authorization;
    return Object.keys(fields).length > 0 ? fields : undefined;
}

/** Before a PATCH or a regenerate: the project's integration must be ours, or it is not ours to change. */
async function confirmOursBefore(
    action: string,
    context: OperationContext,
    id: string,
    state: IntegrationOutputs,
    consent?: boolean,
): Promise<void> {
    const found = await findOurs(context.jelou(), state.projectId, knownOf(id, state, consent));
    if (found.state === "ours") return;
    if (found.state === "cannot-tell") {
        throw new JelouError(
            `${action} was refused: Jelou's answer cannot show whether project ${state.projectId}'s integration is this ` +
                `resource's (ours: ${id}; ${found.by}); nothing was changed in Jelou. If it is this resource's, set ` +
                "adoptExisting: true on the resource and run `pulumi up` again.",
        );
    }
    const what =
        found.state === "gone"
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

function outputsOf(props: IntegrationInputs, integration: CreatedResult): IntegrationOutputs {
    const outs: IntegrationOutputs = {
        ...props,
        brainId: integration.brainId ?? props.projectId,
        createdAt: integration.createdAt,
        signingSecret: integration.signingSecret,
        secretRotatedAt: integration.secretIssuedAt,
        schemaVersion: SCHEMA_VERSION,
    };
    return compact(outs);
}

/** What the state knows of our integration, for ownership checks; a stand-in id is not Jelou's. */
function knownOf(id: string, state: IntegrationOutputs, consent?: boolean): KnownIntegration {
    return {
        id: jelouId(id, state),
        createdAt: state.createdAt,
        webhookUrl: state.webhookUrl,
        authType: state.authType,
        createWindow: state.createPending ? windowOf(state) : undefined,
        consent: consent === true,
    };
}

/** The create window a partially created resource recorded; undefined when absent or unreadable. */
function windowOf(state: IntegrationOutputs): CreateWindow | undefined {
    const recorded = state.createWindow;
    if (!recorded || typeof recorded !== "object") return undefined;
    const [from, to] = [Date.parse(String(recorded.from)), Date.parse(String(recorded.to))];
    return Number.isNaN(from) || Number.isNaN(to) ? undefined : { from, to };
}

function jelouId(id: string, state: IntegrationInputs): string | undefined {
    return id === "" || isStandInId(id, state.projectId) ? undefined : id;
}

/** Where an operation on stored state finds its connection: 0.1.0's kept one is the last resort. */
function sourcesOf(stored: StoredState): Pick<OperationSources, "given" | "earlier"> {
    return { given: stored.outputs, earlier: stored.earlierConnection };
}

function operationContext(
    sources: Pick<OperationSources, "given" | "earlier">,
    secrets: ReadonlyArray<string | undefined>,
): OperationContext {
    return new OperationContext({ ...sources, config: stackConfig, env: process.env }, secrets, log);
}

/** The host's stderr reaches the engine's diagnostics: say what is retried or recovered, never with what. */
function log(line: string): void {
    console.error(line);
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
