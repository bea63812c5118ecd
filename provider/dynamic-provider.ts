/**
 * The provider operations. This module's exports object is itself the `ResourceProvider` handed
 * to `dynamic.Resource`: when the package is installed, Pulumi serializes it as one
 * `require("pulumi-jelou/dynamic-provider")` instead of copying the code into every resource's
 * state. Nothing here may hold a credential, a client or a connection between calls.
 */
import type * as pulumi from "@pulumi/pulumi";
import { JelouClient } from "./client";
import { createIntegration } from "./create";
import { JelouNotFoundError } from "./errors";
import { IntegrationInputs, IntegrationOutputs, REPLACE_PROPERTIES, UPDATE_PROPERTIES } from "./types";
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
    const updates = UPDATE_PROPERTIES.filter(changed);
    return {
        changes: replaces.length > 0 || updates.length > 0,
        replaces,
        // Jelou allows one integration per project: the old one must go before the new one is created.
        deleteBeforeReplace: true,
    };
}

export async function create(inputs: Record<string, unknown>): Promise<pulumi.dynamic.CreateResult> {
    const props = withoutProvider(inputs) as unknown as IntegrationInputs;
    const integration = await createIntegration(clientFor(props), props.projectId, {
        webhookUrl: props.webhookUrl,
        authType: props.authType,
        authorization: props.authorization,
    }, log);
    const outs: IntegrationOutputs = {
        ...props,
        brainId: integration.brainId ?? props.projectId,
        createdAt: integration.createdAt ?? new Date().toISOString(),
        signingSecret: integration.signingSecret,
    };
    return { id: integration.id, outs: compact(outs) };
}

/** The API cannot give the signing secret back, so the state is the truth: no call. */
export async function read(id: string, props?: Record<string, unknown>): Promise<pulumi.dynamic.ReadResult> {
    if (!props || typeof props.signingSecret !== "string") {
        throw new Error(
            `ExternalSupportIntegration ${id}: there is no state to read, and Jelou never shows a signing secret twice, ` +
                "so `pulumi import` cannot bring this integration in. Declare the resource with adoptExisting: true " +
                "instead: the next `pulumi up` takes the existing integration over and regenerates its secret.",
        );
    }
    return { id, props };
}

/** Only what changes how the API is called reaches here (see diff): store it, call nothing, keep the rest. */
export async function update(
    _id: string,
    olds: Record<string, unknown>,
    news: Record<string, unknown>,
): Promise<pulumi.dynamic.UpdateResult> {
    const previous = olds as unknown as IntegrationOutputs;
    const outs: IntegrationOutputs = {
        ...(withoutProvider(news) as unknown as IntegrationInputs),
        brainId: previous.brainId,
        createdAt: previous.createdAt,
        signingSecret: previous.signingSecret,
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
    return (a ?? undefined) === (b ?? undefined) || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}
