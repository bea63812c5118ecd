// Runs one Pulumi program under the SDK's mocks inside the consumer project and writes down what
// it registered. Usage: node run-program.js <request.json> <response.json>
//   request: { program, preview, state: { [urn]: { id, outputs } }, otherOutputs: { [type]: outputs } }
"use strict";
const fs = require("fs");
const path = require("path");

const [requestPath, responsePath] = process.argv.slice(2);
const request = JSON.parse(fs.readFileSync(requestPath, "utf8"));

// TypeScript programs (the examples) are transpiled with the consumer's own TypeScript.
require.extensions[".ts"] = (module, filename) => {
    const ts = require("typescript");
    const source = fs.readFileSync(filename, "utf8");
    const { outputText } = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021, esModuleInterop: true },
        fileName: filename,
    });
    module._compile(outputText, filename);
};

const pulumi = require("@pulumi/pulumi");
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

(async () => {
    try {
        require(path.resolve(request.program));
        await settle(pulumi);
        fs.writeFileSync(responsePath, JSON.stringify({ registrations }));
        process.exit(0);
    } catch (error) {
        fs.writeFileSync(responsePath, JSON.stringify({ error: String((error && error.message) || error) }));
        process.exit(1);
    }
})();
