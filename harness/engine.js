// Plays the Pulumi engine's part offline: runs a program under mocks in the consumer project to
// learn what it declares, then drives the SDK's dynamic-provider host over gRPC exactly as the
// engine does (Configure, Check, Diff, Create, Read, Update, Delete), keeping a state per URN
// between runs so that runs play like `pulumi preview` / `up` / `refresh` / `destroy`.
// Plain CommonJS: used by the tests, `npm run demo` and `npm run bench`.
"use strict";
const { execFile } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { secretKeys, unwrapSecrets } = require("./capture");
const { ProviderHost } = require("./provider-host");

const OUR_TYPE = "pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration";
const PLACEHOLDER = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "<encrypted>" };

/** Runs `limit` tasks at a time, like the engine's step parallelism. */
async function inParallel(items, limit, task) {
    const queue = [...items];
    const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
        while (queue.length > 0) await task(queue.shift());
    });
    await Promise.all(workers);
}

/** JSON with sorted keys: the engine compares property values, not the order a Struct returns them in. */
function canonical(value) {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    }
    return JSON.stringify(value);
}

class LifecycleEngine {
    /** @param consumerDir the project holding the programs and the installed package */
    constructor(consumerDir, { parallel = 10 } = {}) {
        this.consumerDir = consumerDir;
        this.parallel = parallel;
        /** urn -> { id, type, name, inputs, outputs, secrets } */
        this.state = new Map();
        this.log = { program: "", host: "", errors: [] };
        /**
         * Optional observers of each command's provider host: `started(host)` once it is configured,
         * `stopping(host)` before it is stopped (the generated lifecycle test kills hosts mid-request
         * and reads their CPU time there).
         */
        this.hooks = {};
    }

    /** `pulumi preview` (preview: true) or `pulumi up`. */
    async run(program, { preview = false, env = {}, otherOutputs = {}, registrations: declared } = {}) {
        // A stack's config and the pipeline's environment persist between commands: a later refresh
        // or destroy given none runs with these.
        this.stackEnv = env;
        // `registrations`: what the program declares, already known (from an earlier run of it), so
        // that a test running many commands does not run the program each time.
        const registrations = declared ?? await this.runProgram(program, { preview, env, otherOutputs });
        const ours = registrations.filter((r) => r.type === OUR_TYPE);
        const plan = [];
        const errors = [];
        const host = await this.startHost(env);
        try {
            await inParallel(ours, this.parallel, async (registration) => {
                try {
                    plan.push(await this.step(host, registration, preview));
                } catch (error) {
                    errors.push(this.recordError(registration.urn, error));
                    plan.push({ urn: registration.urn, op: "failed" });
                }
            });
            const declared = new Set(ours.map((r) => r.urn));
            const gone = [...this.state.keys()].filter((urn) => !declared.has(urn));
            plan.push(...gone.map((urn) => ({ urn, op: "delete" })));
            if (!preview) await this.deleteEach(host, gone, errors);
        } finally {
            await this.stopHost(host);
        }
        return { plan, errors, registrations };
    }

    async step(host, registration, preview) {
        const { urn } = registration;
        const news = unwrapSecrets(registration.inputs);
        const old = this.state.get(urn);
        const checked = await host.check(urn, old ? old.inputs : {}, news);
        if (checked.failures.length > 0) {
            throw new Error(`check failed: ${checked.failures.map((f) => (f.reason.includes(f.property) ? f.reason : `${f.property}: ${f.reason}`)).join("; ")}`);
        }
        const secrets = [...new Set([...registration.additionalSecretOutputs, ...secretKeys(registration.inputs)])];
        const record = (id, outputs, initErrors) =>
            this.state.set(urn, { id, type: registration.type, name: registration.name, inputs: checked.inputs, outputs, secrets, initErrors });
        // The engine keeps a resource whose create or update failed to initialize, with the id and
        // properties the provider gave, and its reasons as init errors; then reports the failure.
        const orRecordInitFailure = async (operation) => {
            try {
                return await operation();
            } catch (error) {
                if (error.initFailure) record(error.initFailure.id, error.initFailure.outputs, error.initFailure.reasons);
                throw error;
            }
        };
        const create = () => orRecordInitFailure(async () => {
            const created = await host.create(urn, checked.inputs);
            record(created.id, created.outputs);
        });
        if (!old) {
            if (!preview) await create();
            return { urn, op: "create" };
        }
        const diff = await host.diff(urn, old.id, old.outputs, checked.inputs);
        // As the engine's step generator does: a resource with init errors gets an Update even with no diff.
        const initErrors = old.initErrors && old.initErrors.length > 0;
        if (!diff.changes && !initErrors) return { urn, op: "same" };
        if (diff.replaces.length > 0) {
            if (!preview) {
                if (diff.deleteBeforeReplace || registration.deleteBeforeReplace) {
                    await host.delete(urn, old.id, old.outputs);
                    this.state.delete(urn);
                    await create();
                } else {
                    const replaced = this.state.get(urn);
                    await create();
                    await host.delete(urn, replaced.id, replaced.outputs);
                }
            }
            return { urn, op: "replace", replaces: diff.replaces, deleteBeforeReplace: diff.deleteBeforeReplace };
        }
        if (!preview) {
            await orRecordInitFailure(async () => {
                const updated = await host.update(urn, old.id, old.outputs, checked.inputs);
                record(old.id, updated.outputs);
            });
        }
        return { urn, op: "update" };
    }

    /** `pulumi refresh`: Read every resource; returns the URNs whose state changed. */
    async refresh({ env = this.stackEnv ?? {} } = {}) {
        const host = await this.startHost(env);
        const changed = [];
        try {
            for (const [urn, entry] of this.state) {
                const read = await host.read(urn, entry.id, entry.outputs, entry.inputs);
                // An empty id: the resource no longer exists, and the engine drops it from state.
                if (read.id === "") {
                    changed.push(urn);
                    this.state.delete(urn);
                    continue;
                }
                if (canonical(read.outputs) !== canonical(entry.outputs) || read.id !== entry.id) {
                    changed.push(urn);
                    this.state.set(urn, { ...entry, id: read.id, outputs: read.outputs });
                }
            }
        } finally {
            await this.stopHost(host);
        }
        return changed;
    }

    /** `pulumi destroy`. */
    async destroy({ env = this.stackEnv ?? {} } = {}) {
        const host = await this.startHost(env);
        const errors = [];
        try {
            await this.deleteEach(host, [...this.state.keys()], errors);
        } finally {
            await this.stopHost(host);
        }
        return { errors };
    }

    /** Deletes these resources, in parallel, recording each failure in `errors`. */
    async deleteEach(host, urns, errors) {
        await inParallel(urns, this.parallel, async (urn) => {
            try {
                await this.deleteOne(host, urn);
            } catch (error) {
                errors.push(this.recordError(urn, error));
            }
        });
    }

    async deleteOne(host, urn) {
        const entry = this.state.get(urn);
        await host.delete(urn, entry.id, entry.outputs);
        this.state.delete(urn);
    }

    /**
     * The state as a checkpoint file would hold it. `this.state` itself keeps secret values in
     * plaintext (as the engine holds them in memory during a deployment); here each secret property
     * is replaced. Without a crypter by a fixed placeholder `{ <sig>, ciphertext: "<encrypted>" }`:
     * the shape of Pulumi's secret envelope but not real ciphertext (enough to show nothing leaks).
     * With a crypter (harness/secrets.js, Pulumi's passphrase scheme) by real ciphertext that
     * decrypts to the value.
     */
    checkpoint({ crypter } = {}) {
        const sealed = (value) => (crypter ? crypter.seal(value) : PLACEHOLDER);
        const seal = (values, secrets) =>
            Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secrets.includes(k) ? sealed(v) : v]));
        return [...this.state].map(([urn, entry]) => ({
            urn,
            id: entry.id,
            type: entry.type,
            inputs: seal(entry.inputs, entry.secrets),
            outputs: seal(entry.outputs, entry.secrets),
        }));
    }

    /**
     * The checkpoint in the shape of `pulumi stack export` on a passphrase-protected stack: the
     * secrets provider's salt, then the resources with their secrets encrypted by `crypter`.
     */
    stackExport(crypter) {
        const resources = this.checkpoint({ crypter }).map(({ urn, id, type, inputs, outputs }) => ({ urn, custom: true, id, type, inputs, outputs }));
        return { version: 3, deployment: { secrets_providers: crypter.secretsProvider, resources } };
    }

    async runProgram(program, { preview, env, otherOutputs }) {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-run-"));
        const requestPath = path.join(work, "request.json");
        const responsePath = path.join(work, "response.json");
        const state = Object.fromEntries([...this.state].map(([urn, e]) => [urn, { id: e.id, outputs: e.outputs }]));
        fs.writeFileSync(requestPath, JSON.stringify({ program, preview, state, otherOutputs }));
        try {
            const output = await new Promise((resolve) => {
                execFile(process.execPath, ["run-program.js", requestPath, responsePath], {
                    cwd: this.consumerDir,
                    env: { ...process.env, ...env },
                }, (_error, stdout, stderr) => resolve(stdout + stderr));
            });
            this.log.program += output;
            const response = JSON.parse(fs.readFileSync(responsePath, "utf8"));
            if (response.error) throw new Error(`program failed: ${response.error}`);
            return response.registrations;
        } finally {
            fs.rmSync(work, { recursive: true, force: true });
        }
    }

    recordError(urn, error) {
        const message = `${urn}: ${error.details || error.message}`;
        this.log.errors.push(message);
        return message;
    }

    async startHost(env) {
        const host = await ProviderHost.start(this.consumerDir, env);
        if (this.hooks.started) this.hooks.started(host);
        return host;
    }

    async stopHost(host) {
        if (this.hooks.stopping) this.hooks.stopping(host);
        await host.stop();
        this.log.host += host.output;
    }
}

module.exports = { LifecycleEngine, ProviderHost, OUR_TYPE };
