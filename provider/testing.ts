/**
 * `pulumi-jelou/testing`: Pulumi mocks for users' unit tests of stacks that declare an
 * `ExternalSupportIntegration` (`pulumi.runtime.setMocks(jelouMocks())`). Inputs are judged by the
 * provider's own check, as `pulumi preview` would judge them, without credentials and without any
 * call to Jelou; the outputs look like a created integration's.
 */
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "crypto";
import { runInThisContext } from "vm";
import { checkInputs } from "./resource/check";
import { SCHEMA_VERSION } from "./resource/connection";
import { CheckFailure } from "./resource/validation";
import { RESOURCE_TYPE, UNKNOWN } from "./resource/types";

/** The type token the resource registers under, for a `Mocks` of your own. */
export const EXTERNAL_SUPPORT_INTEGRATION_TYPE = RESOURCE_TYPE;

/** When the mocked integrations were "created": fixed, so that tests and snapshots are repeatable. */
export const MOCK_CREATED_AT = "2026-01-01T00:00:00.000Z";

/** The registration failed check: what `pulumi preview` would report, one failure per property. */
export class JelouMockCheckError extends Error {
    readonly failures: readonly CheckFailure[];

    constructor(name: string, failures: CheckFailure[]) {
        const reasons = failures.map((f) => (f.reason.includes(f.property) ? f.reason : `${f.property}: ${f.reason}`));
        super(`ExternalSupportIntegration "${name}" has invalid inputs: ${reasons.join("; ")}`);
        this.name = "JelouMockCheckError";
        this.failures = failures;
    }
}

/**
 * A `pulumi.runtime.Mocks` that handles `ExternalSupportIntegration` registrations and hands every
 * other resource and call to `inner` (default: echo the inputs, id `<name>_id`).
 *
 * For an integration it runs the provider's check on the declared inputs: when they are refused,
 * the registration fails, so `integration.id.promise()` (and every output) rejects with a
 * {@link JelouMockCheckError} naming the property and the fix. Otherwise the outputs are the
 * checked inputs (defaults applied, `rotationTriggers` as strings) plus a stable fake `id`,
 * `brainId` (the project), `createdAt`, `secretRotatedAt` and a non-empty fake `signingSecret`,
 * all derived from the resource's name and project, so two runs give the same values.
 */
export function jelouMocks(inner?: pulumi.runtime.Mocks): pulumi.runtime.Mocks {
    reportRefusalsThroughOutputs();
    return {
        call: (args) => (inner ? inner.call(args) : args.inputs),
        newResource: (args) => {
            if (args.type !== RESOURCE_TYPE) return inner ? inner.newResource(args) : { id: `${args.name}_id`, state: args.inputs };
            return mockIntegration(args);
        },
    };
}

function mockIntegration(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const declared = plain(args.inputs) as Record<string, unknown>;
    // The stack config set with pulumi.runtime.setConfig / setAllConfig plays the engine's Configure.
    const config = { get: (key: string) => pulumi.runtime.getConfig(key) };
    const { inputs, failures } = checkInputs(declared, { config, env: process.env, requireCredentials: false });
    if (failures.length > 0 || !inputs) throw new JelouMockCheckError(args.name, failures);
    const projectId = inputs.projectId;
    const digest = createHash("sha256").update(`${projectId}\0${args.name}`).digest("hex");
    // An imported integration keeps the id it was imported with.
    const id = args.id || `mock-${digest.slice(0, 24)}`;
    return {
        id,
        state: {
            ...inputs,
            brainId: projectId,
            createdAt: MOCK_CREATED_AT,
            secretRotatedAt: MOCK_CREATED_AT,
            signingSecret: `mock-signing-secret-${digest.slice(24, 56)}`,
            schemaVersion: SCHEMA_VERSION,
        },
    };
}

const REFUSAL = /ExternalSupportIntegration "[^"]*" has invalid inputs: /;
let listening = false;

/**
 * The SDK makes a failed registration an unhandled rejection on purpose: under `pulumi` the
 * language host reports it and fails the program, but under jest it would stop the test file at
 * once, so a test could not assert a refusal and the other tests of the file would not report. A
 * refusal made by these mocks is reported through the resource's outputs (`valueOf` rejects, and
 * so does every output built from them) instead; every other unhandled rejection is left to fail
 * the process as before.
 */
function reportRefusalsThroughOutputs(): void {
    if (listening) return;
    listening = true;
    hostProcess().on("unhandledRejection", (reason) => {
        // Duck-typed: under jest the SDK's errors may come from another realm's Error.
        if (REFUSAL.test(String((reason as { message?: unknown } | undefined)?.message ?? ""))) return;
        throw reason;
    });
}

/**
 * The process Node reports unhandled rejections to. Under jest, `process` is the test file's own
 * copy, whose listeners Node never calls; the vm module evaluates in Node's main context.
 */
function hostProcess(): NodeJS.Process {
    return (runInThisContext("process") as NodeJS.Process | undefined) ?? process;
}

/**
 * The value of an output once its resource is registered, rejecting when the registration failed
 * (a refused check). Use it instead of `output.apply(resolve)`: an `apply` callback never runs for
 * a resource whose registration failed, so such a test would hang instead of failing.
 */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    // Every Output has promise() at run time; the SDK leaves it out of its public types.
    return (output as unknown as { promise(): Promise<T> }).promise();
}

/** The inputs as the provider receives them: secrets unwrapped, values not known yet as the engine's placeholder. */
function plain(value: unknown): unknown {
    if (pulumi.isUnknown(value)) return UNKNOWN;
    if (Array.isArray(value)) return value.map(plain);
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return plain(record.value);
        return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}
