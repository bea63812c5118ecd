// Runs one Pulumi program under the SDK's mocks inside the consumer project and writes down what
// it registered. Usage: node run-program.js <request.json> <response.json>
//   request: { program, preview, state: { [urn]: { id, outputs } }, otherOutputs: { [type]: outputs } }
// @ts-check
"use strict";
const fs = require("fs");
const path = require("path");

/**
 * What the lifecycle engine asks for (harness/engine.js writes it).
 * @typedef {object} ProgramRequest
 * @property {string} program the program's path
 * @property {boolean} preview
 * @property {Record<string, { id: string, outputs: Record<string, any> }>} state by URN
 * @property {Record<string, Record<string, any>>} [otherOutputs] by resource type
 */

const [requestPath, responsePath] = process.argv.slice(2);
/** @type {ProgramRequest} */
const request = JSON.parse(fs.readFileSync(requestPath, "utf8"));

// TypeScript programs (the examples) are transpiled with the consumer's own TypeScript.
/** @param {any} module a Module (its internal `_compile` is used) @param {string} filename */
require.extensions[".ts"] = (module, filename) => {
    const ts = require("typescript");
    const source = fs.readFileSync(filename, "utf8");
    const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021, esModuleInterop: true },
        fileName: filename,
    });
    module._compile(outputText, filename);
};

// Typed by what capture.js uses of it (`runtime.waitForRPCs` is not in the SDK's declared types).
const pulumi = /** @type {import("./capture").PulumiSdk} */ (/** @type {unknown} */ (require("@pulumi/pulumi")));
const { installCapture, settle, unwrapSecrets } = require("./capture");

const registrations = installCapture(pulumi, {
    preview: request.preview,
    outputsFor: (registration, args) => {
        const known = request.state[registration.urn];
        if (known) return { ...known.outputs, __id: known.id };
        const inputs = unwrapSecrets(args.inputs);
        // A resource not created yet has its outputs unknown during a preview.
        if (request.preview) return inputs;
        return { ...inputs, ...((request.otherOutputs || {})[registration.type] || {}) };
    },
});

// A resource the SDK cannot serialize (e.g. its `__provider`) is never registered: the failure is an
// unhandled rejection that can come after the RPC queue looks drained. `pulumi up` reports it as an
// error, so the harness does too: it answers once the event loop has nothing left to do (with the
// mocks nothing stays open; the unref'd timer only bounds a program that keeps a handle open).
/** @type {unknown} */
let unhandled;
process.on("unhandledRejection", (error) => {
    if (unhandled === undefined) unhandled = error;
});
const drained = () =>
    new Promise((resolve) => {
        process.once("beforeExit", resolve);
        setTimeout(resolve, 10000).unref();
    });

(async () => {
    try {
        require(path.resolve(request.program));
        await settle(pulumi);
        await drained();
        if (unhandled !== undefined) throw unhandled;
        fs.writeFileSync(responsePath, JSON.stringify({ registrations }));
        process.exit(0);
    } catch (error) {
        fs.writeFileSync(responsePath, JSON.stringify({ error: String((error && /** @type {Error} */ (error).message) || error) }));
        process.exit(1);
    }
})();
