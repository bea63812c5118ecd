/**
 * The provider operations. This module's exports object is itself the `ResourceProvider` handed
 * to `dynamic.Resource`: when the package is installed, Pulumi serializes it as one
 * `require("pulumi-jelou/dynamic-provider")` instead of copying the code into every resource's
 * state. Nothing here may hold a credential, a client or a connection between calls.
 */
import type * as pulumi from "@pulumi/pulumi";
import { JelouClient } from "./client";
import { createIntegration, issueNewSecret } from "./create";
import { JelouNotFoundError } from "./errors";
import { IntegrationInputs, IntegrationOutputs, JelouIntegration, REPLACE_PROPERTIES, ROTATION_PROPERTY, UPDATE_PROPERTIES } from "./types";
import { isUnknown, validateInputs } from "./validation";

const PROVIDER_KEY = "__provider";

export async function check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, failures } = validateInputs(news);
    return { inputs, failures };
}

export async function diff(
    _id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
): Promise<pulumi.dynamic.DiffResult> {
    const changed = (key: string) => isUnknown(news[key]) || !sameValue(olds[key], news[key]);
    const replaces = REPLACE_PROPERTIES.filter(changed);
    const updates = [...UPDATE_PROPERTIES, ROTATION_PROPERTY].filter(changed);
    return {
        changes: replaces.length > 0 || updates.length > 0,
        replaces,
        // Jelou allows one integration per project: the old one must go before the new one is created.
        deleteBeforeReplace: true,
    };
}

export async function create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const props = withoutProvider(inputs) as unknown as IntegrationInputs;
    const fields = { webhookUrl: props.webhookUrl, authType: props.authType, authorization: props.authorization };
    const integration = await createIntegration(clientFor(props), props.projectId, fields, { adoptExisting: props.adoptExisting, log });
    const outs: IntegrationOutputs = {
        ...props,
        brainId: integration.brainId ?? props.projectId,
        createdAt: integration.createdAt ?? integration.secretIssuedAt,
        signingSecret: integration.signingSecret,
        secretRotatedAt: integration.secretIssuedAt,
    };
    return { id: integration.id, outs: compact(outs) };
}

/**
 * The API cannot give the signing secret back, so by default the state is the truth and nothing
 * is called. With detectDrift, Jelou is asked: gone means gone (the next up creates it again), and
 * a webhook or auth type changed outside Pulumi shows as a diff; the secret always comes from state.
 */
export async function read(id: string, props?: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
    if (!props || typeof props.signingSecret !== "string") {
        throw new Error(
            `ExternalSupportIntegration ${id}: there is no state to read, and Jelou never shows a signing secret twice, ` +
                "so `pulumi import` cannot bring this integration in. Declare the resource with adoptExisting: true " +
                "instead: the next `pulumi up` takes the existing integration over and regenerates its secret.",
        );
    }
    const state = props as unknown as IntegrationOutputs;
    if (state.detectDrift !== true) return { id, props };
    let remote: JelouIntegration;
    try {
        remote = await clientFor(state).get(state.projectId);
    } catch (error) {
        // An empty id tells the engine the resource no longer exists.
        if (error instanceof JelouNotFoundError) return { id: "", props: {} };
        throw error;
    }
    if (remote.id !== undefined && remote.id !== id) {
        // Recreated outside Pulumi: the secret in state is not its secret. Treat ours as gone, so the next
        // up creates it, which Jelou refuses while the other exists (adoptExisting takes that one over).
        log(`pulumi-jelou: project ${state.projectId} now has another integration (${remote.id}); ours (${id}) is gone`);
        return { id: "", props: {} };
    }
    return { id, props: { ...props, webhookUrl: remote.webhookUrl, authType: remote.authType } };
}

/**
 * Reached for what changes how the API is called (stored, no call) and for rotationTriggers
 * (one regenerate); see diff. Every other output, the signing secret above all, is kept.
 */
export async function update(
    _id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
    const previous = olds as unknown as IntegrationOutputs;
    const inputs = withoutProvider(news) as unknown as IntegrationInputs;
    let { signingSecret, secretRotatedAt } = previous;
    if (!sameValue(previous.rotationTriggers, inputs.rotationTriggers)) {
        ({ signingSecret, secretIssuedAt: secretRotatedAt } = await issueNewSecret(clientFor({ ...inputs, signingSecret }), inputs.projectId));
    }
    const outs: IntegrationOutputs = {
        ...inputs,
        brainId: previous.brainId,
        createdAt: previous.createdAt,
        signingSecret,
        secretRotatedAt: secretRotatedAt ?? previous.createdAt,
    };
    return { outs: compact(outs) };
}

async function deleteIntegration(_id: string, props: Record<string, unknown>): Promise<void> {
    const state = props as unknown as IntegrationOutputs;
    try {
        await clientFor(state).delete(state.projectId);
    } catch (error) {
        // Already gone is what delete wants.
        if (error instanceof JelouNotFoundError) return;
        throw error;
    }
}
export { deleteIntegration as delete };

function clientFor(props: IntegrationInputs & { signingSecret?: string }): JelouClient {
    return new JelouClient({
        baseUrl: props.baseUrl,
        apiKey: props.apiKey,
        clientId: props.clientId,
        clientSecret: props.clientSecret,
        maxAttempts: props.maxAttempts,
        requestTimeoutMs: props.requestTimeoutMs,
        totalTimeoutMs: props.totalTimeoutMs,
        retryBaseDelayMs: props.retryBaseDelayMs,
        redact: [props.authorization, props.signingSecret],
        onRetry: ({ method, path, attempt, status, code }) =>
            log(`pulumi-jelou: retrying ${method} ${path} (attempt ${attempt}) after ${status ?? code}`),
    });
}

/** The host's stderr reaches the engine's diagnostics: say what is retried or recovered, never with what. */
function log(line: string): void {
    console.error(line);
}

function withoutProvider(props: Record<string, unknown>): Record<string, unknown> {
    const { [PROVIDER_KEY]: _provider, ...rest } = props;
    return rest;
}

/** The engine's property structs cannot hold `undefined`. */
function compact<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
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
