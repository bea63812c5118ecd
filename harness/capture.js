// Runs Pulumi programs under the SDK's mocks and records every RegisterResource request as the
// engine would receive it. Plain CommonJS: it runs inside jest and inside the consumer project
// (where it is handed the consumer's own @pulumi/pulumi).
"use strict";

const SECRET_SIG = "4dabf18193072939515e22adb298388d";

function isSecretWrapper(value) {
    return value !== null && typeof value === "object" && value[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
}

/**
 * Installs mocks on `pulumi` and returns the list registrations are recorded in.
 * `outputsFor(registration)` gives each resource's outputs (defaults to its inputs, unwrapped).
 */
function installCapture(pulumi, { preview = false, project = "jelou-test", stack = "test", outputsFor } = {}) {
    const registrations = [];
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const registration = registrations.find((r) => r.name === args.name && r.type === args.type);
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

/** Waits until every registration the program started has been answered. */
async function settle(pulumi) {
    await pulumi.runtime.waitForRPCs();
}

function withoutId(state) {
    if (!state || !("__id" in state)) return state;
    const { __id, ...rest } = state;
    return rest;
}

/** What the engine hands a provider that does not accept secrets: wrappers removed. */
function unwrapSecrets(value) {
    if (isSecretWrapper(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** The top-level property names whose values are secret-wrapped. */
function secretKeys(inputs) {
    return Object.keys(inputs).filter((k) => isSecretWrapper(inputs[k]));
}

module.exports = { installCapture, settle, unwrapSecrets, secretKeys, isSecretWrapper };
