// Runs Pulumi programs under the SDK's mocks and records every RegisterResource request as the
// engine would receive it. Plain CommonJS: it runs inside jest and inside the consumer project
// (where it is handed the consumer's own @pulumi/pulumi).
// @ts-check
"use strict";

/** Property values as a Struct carries them (JSON-like). @typedef {Record<string, any>} Props */

/**
 * One RegisterResource request, as the engine receives it.
 * @typedef {object} Registration
 * @property {string} type
 * @property {string} name
 * @property {string} urn
 * @property {boolean} custom
 * @property {Props} inputs as serialized for the engine: secrets still wrapped, unknowns as the sentinel
 * @property {string[]} additionalSecretOutputs
 * @property {boolean} deleteBeforeReplace
 */

/**
 * What a mock's `newResource` is handed (the part used here).
 * @typedef {{ name: string, type: string, inputs: any }} MockResourceArgs
 */

/**
 * The part of `@pulumi/pulumi` used here: the consumer's own copy is handed in at run time.
 * @typedef {object} PulumiSdk
 * @property {object} runtime
 * @property {(mocks: { newResource: (args: MockResourceArgs) => { id: string, state: any }, call: () => Record<string, any> }, project?: string, stack?: string, preview?: boolean) => unknown} runtime.setMocks
 * @property {() => any} runtime.getMonitor
 * @property {() => Promise<void>} runtime.waitForRPCs
 */

/**
 * @typedef {object} CaptureOptions
 * @property {boolean} [preview]
 * @property {string} [project]
 * @property {string} [stack]
 * @property {(registration: Registration, args: MockResourceArgs) => any} [outputsFor] each resource's outputs (an `__id` key gives its id)
 */

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** @param {unknown} value @returns {value is { [SECRET_SIG]: string, value: unknown }} */
function isSecretWrapper(value) {
    return (
        value !== null &&
        typeof value === "object" &&
        /** @type {Record<string, unknown>} */ (value)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270"
    );
}

/**
 * Installs mocks on `pulumi` and returns the list registrations are recorded in.
 * `outputsFor(registration)` gives each resource's outputs (defaults to its inputs, unwrapped).
 * @param {PulumiSdk} pulumi
 * @param {CaptureOptions} [options]
 * @returns {Registration[]}
 */
function installCapture(pulumi, { preview = false, project = "jelou-test", stack = "test", outputsFor } = {}) {
    /** @type {Registration[]} */
    const registrations = [];
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                // Registered (and so recorded) before the mock is asked for its outputs.
                const registration = /** @type {Registration} */ (registrations.find((r) => r.name === args.name && r.type === args.type));
                const state = outputsFor ? outputsFor(registration, args) : unwrapSecrets(args.inputs);
                return { id: state && state.__id ? state.__id : `${args.name}-id`, state: withoutId(state) };
            },
            call: () => ({}),
        },
        project,
        stack,
        preview,
    );
    const monitor = pulumi.runtime.getMonitor();
    const register = monitor.registerResource.bind(monitor);
    /** @param {any} req a RegisterResourceRequest @param {unknown} callback */
    monitor.registerResource = (req, callback) => {
        registrations.push({
            type: req.getType(),
            name: req.getName(),
            urn: `urn:pulumi:${stack}::${project}::${req.getType()}::${req.getName()}`,
            custom: req.getCustom(),
            // As serialized for the engine: secrets still wrapped, unknowns as the sentinel.
            inputs: req.getObject() ? req.getObject().toJavaScript() : {},
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
        });
        return register(req, callback);
    };
    return registrations;
}

/** Waits until every registration the program started has been answered. @param {PulumiSdk} pulumi */
async function settle(pulumi) {
    await pulumi.runtime.waitForRPCs();
}

/** @param {any} state */
function withoutId(state) {
    if (!state || !("__id" in state)) return state;
    const { __id, ...rest } = state;
    return rest;
}

/**
 * What the engine hands a provider that does not accept secrets: wrappers removed.
 * @param {any} value
 * @returns {any}
 */
function unwrapSecrets(value) {
    if (isSecretWrapper(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** The top-level property names whose values are secret-wrapped. @param {Props} inputs @returns {string[]} */
function secretKeys(inputs) {
    return Object.keys(inputs).filter((k) => isSecretWrapper(inputs[k]));
}

module.exports = { installCapture, settle, unwrapSecrets, secretKeys, isSecretWrapper };
