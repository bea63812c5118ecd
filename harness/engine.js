// Plays the Pulumi engine's part offline: runs a program under mocks in the consumer project to
// learn what it declares, then drives the SDK's dynamic-provider host over gRPC exactly as the
// engine does (Configure, Check, Diff, Create, Read, Update, Delete), keeping a state per URN
// between runs so that runs play like `pulumi preview` / `up` / `refresh` / `destroy`.
// Plain CommonJS: used by the tests, `npm run demo` and `npm run bench`.
// @ts-check
"use strict";
const { execFile } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { secretKeys, unwrapSecrets } = require("./capture");
const { ProviderHost } = require("./provider-host");
/** @typedef {import("./provider-host").HostError} HostError */

const OUR_TYPE = "pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration";
/** @typedef {import("./capture").Props} Props */
/** @typedef {import("./capture").Registration} Registration */
/** @typedef {import("./secrets").PassphraseCrypter} PassphraseCrypter */

/**
 * What the engine keeps per URN between runs (secret values in plaintext, as in memory).
 * @typedef {object} StateEntry
 * @property {string} id
 * @property {string} type
 * @property {string} name
 * @property {Props} inputs the checked inputs
 * @property {Props} outputs
 * @property {string[]} secrets the top-level property names that are secret
 * @property {string[]} [initErrors] the reasons of a create or update that failed to initialize
 */

/**
 * One resource's step in a run: `failed` when it threw (its message is in the run's `errors`).
 * @typedef {object} PlanStep
 * @property {string} urn
 * @property {"create" | "same" | "update" | "replace" | "delete" | "failed"} op
 * @property {string[]} [replaces] for `replace`: the properties that force it
 * @property {boolean} [deleteBeforeReplace] for `replace`
 */

/**
 * What `run` returns.
 * @typedef {object} RunResult
 * @property {PlanStep[]} plan in the order the steps finished
 * @property {string[]} errors `<urn>: <message>` per failed step
 * @property {Registration[]} registrations what the program declared (pass back as `registrations` to skip running it)
 */

/**
 * @typedef {object} RunOptions
 * @property {boolean} [preview] `pulumi preview` rather than `pulumi up`
 * @property {NodeJS.ProcessEnv} [env] the stack's config (PULUMI_CONFIG...) and the pipeline's environment
 * @property {Record<string, Props>} [otherOutputs] outputs of other resource types, by type
 * @property {Registration[]} [registrations] what the program declares, already known: the program is not run
 */

/** @typedef {{ id: string, type: string, urn: string, inputs: Props, outputs: Props }} CheckpointEntry */
/** @typedef {{ program: string, host: string, errors: string[] }} EngineLog */
/** @typedef {{ started?: (host: ProviderHost) => void, stopping?: (host: ProviderHost) => void }} EngineHooks */

const PLACEHOLDER = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "<encrypted>" };

/**
 * Runs `limit` tasks at a time, like the engine's step parallelism.
 * @template T
 * @param {T[]} items @param {number} limit @param {(item: T) => Promise<void>} task
 */
async function inParallel(items, limit, task) {
    const queue = [...items];
    const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
        while (queue.length > 0) await task(/** @type {T} */ (queue.shift()));
    });
    await Promise.all(workers);
}

/**
 * JSON with sorted keys: the engine compares property values, not the order a Struct returns them in.
 * @param {any} value
 * @returns {string}
 */
function canonical(value) {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object") {
        return `{${Object.keys(value)
            .sort()
            .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
            .join(",")}}`;
    }
    return JSON.stringify(value);
}

class LifecycleEngine {
    /**
     * @param {string} consumerDir the project holding the programs and the installed package
     * @param {{ parallel?: number }} [options] how many resources are stepped at a time
     */
    constructor(consumerDir, { parallel = 10 } = {}) {
        this.consumerDir = consumerDir;
        this.parallel = parallel;
        /** @type {Map<string, StateEntry>} urn -> { id, type, name, inputs, outputs, secrets } */
        this.state = new Map();
        /** @type {EngineLog} */
        this.log = { program: "", host: "", errors: [] };
        /**
         * Optional observers of each command's provider host: `started(host)` once it is configured,
         * `stopping(host)` before it is stopped (the generated lifecycle test kills hosts mid-request
         * and reads their CPU time there).
         * @type {EngineHooks}
         */
        this.hooks = {};
        /** @type {NodeJS.ProcessEnv | undefined} the env of the last run, for a later refresh or destroy */
        this.stackEnv = undefined;
    }

    /**
     * `pulumi preview` (preview: true) or `pulumi up`.
     * @param {string} program the program's path in the consumer project
     * @param {RunOptions} [options]
     * @returns {Promise<RunResult>}
     */
    async run(program, { preview = false, env = {}, otherOutputs = {}, registrations: declared } = {}) {
        // A stack's config and the pipeline's environment persist between commands: a later refresh
        // or destroy given none runs with these.
        this.stackEnv = env;
        // `registrations`: what the program declares, already known (from an earlier run of it), so
        // that a test running many commands does not run the program each time.
        const registrations = declared ?? (await this.runProgram(program, { preview, env, otherOutputs }));
        const ours = registrations.filter((r) => r.type === OUR_TYPE);
        /** @type {PlanStep[]} */
        const plan = [];
        /** @type {string[]} */
        const errors = [];
        const host = await this.startHost(env);
        try {
            await inParallel(ours, this.parallel, async (registration) => {
                try {
                    plan.push(await this.step(host, registration, preview));
                } catch (error) {
                    errors.push(this.recordError(registration.urn, /** @type {HostError} */ (error)));
                    plan.push({ urn: registration.urn, op: "failed" });
                }
            });
            const declared = new Set(ours.map((r) => r.urn));
            const gone = [...this.state.keys()].filter((urn) => !declared.has(urn));
            plan.push(...gone.map((urn) => ({ urn, op: /** @type {const} */ ("delete") })));
            if (!preview) await this.deleteEach(host, gone, errors);
        } finally {
            await this.stopHost(host);
        }
        return { plan, errors, registrations };
    }

    /**
     * One resource's step: Check, then Create, or Diff then nothing, Update or a replacement.
     * @param {ProviderHost} host @param {Registration} registration @param {boolean} preview
     * @returns {Promise<PlanStep>}
     */
    async step(host, registration, preview) {
        const { urn } = registration;
        const news = unwrapSecrets(registration.inputs);
        const old = this.state.get(urn);
        const checked = await host.check(urn, old ? old.inputs : {}, news);
        if (checked.failures.length > 0) {
            throw new Error(
                `check failed: ${checked.failures.map((f) => (f.reason.includes(f.property) ? f.reason : `${f.property}: ${f.reason}`)).join("; ")}`,
            );
        }
        const secrets = [...new Set([...registration.additionalSecretOutputs, ...secretKeys(registration.inputs)])];
        /** @param {string} id @param {Props} outputs @param {string[]} [initErrors] */
        const record = (id, outputs, initErrors) =>
            this.state.set(urn, {
                id,
                type: registration.type,
                name: registration.name,
                inputs: checked.inputs,
                outputs,
                secrets,
                initErrors,
            });
        // The engine keeps a resource whose create or update failed to initialize, with the id and
        // properties the provider gave, and its reasons as init errors; then reports the failure.
        /** @param {() => Promise<void>} operation */
        const orRecordInitFailure = async (operation) => {
            try {
                return await operation();
            } catch (caught) {
                const error = /** @type {HostError} */ (caught);
                if (error.initFailure) record(error.initFailure.id, error.initFailure.outputs, error.initFailure.reasons);
                throw error;
            }
        };
        const create = () =>
            orRecordInitFailure(async () => {
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
                    const replaced = /** @type {StateEntry} */ (this.state.get(urn));
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

    /**
     * `pulumi refresh`: Read every resource; returns the URNs whose state changed.
     * @param {{ env?: NodeJS.ProcessEnv }} [options] by default the last run's
     * @returns {Promise<string[]>}
     */
    async refresh({ env = this.stackEnv ?? {} } = {}) {
        const host = await this.startHost(env);
        /** @type {string[]} */
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

    /**
     * `pulumi destroy`.
     * @param {{ env?: NodeJS.ProcessEnv }} [options] by default the last run's
     * @returns {Promise<{ errors: string[] }>}
     */
    async destroy({ env = this.stackEnv ?? {} } = {}) {
        const host = await this.startHost(env);
        /** @type {string[]} */
        const errors = [];
        try {
            await this.deleteEach(host, [...this.state.keys()], errors);
        } finally {
            await this.stopHost(host);
        }
        return { errors };
    }

    /**
     * Deletes these resources, in parallel, recording each failure in `errors`.
     * @param {ProviderHost} host @param {string[]} urns @param {string[]} errors
     */
    async deleteEach(host, urns, errors) {
        await inParallel(urns, this.parallel, async (urn) => {
            try {
                await this.deleteOne(host, urn);
            } catch (error) {
                errors.push(this.recordError(urn, /** @type {HostError} */ (error)));
            }
        });
    }

    /** @param {ProviderHost} host @param {string} urn */
    async deleteOne(host, urn) {
        const entry = /** @type {StateEntry} */ (this.state.get(urn));
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
     * @param {{ crypter?: PassphraseCrypter }} [options]
     * @returns {CheckpointEntry[]}
     */
    checkpoint({ crypter } = {}) {
        /** @param {unknown} value */
        const sealed = (value) => (crypter ? crypter.seal(value) : PLACEHOLDER);
        /** @param {Props} values @param {string[]} secrets */
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
     * @param {PassphraseCrypter} crypter
     */
    stackExport(crypter) {
        const resources = this.checkpoint({ crypter }).map(({ urn, id, type, inputs, outputs }) => ({
            urn,
            custom: true,
            id,
            type,
            inputs,
            outputs,
        }));
        return { version: 3, deployment: { secrets_providers: crypter.secretsProvider, resources } };
    }

    /**
     * Runs the program under mocks in the consumer project (harness/run-program.js).
     * @param {string} program
     * @param {{ preview: boolean, env: NodeJS.ProcessEnv, otherOutputs: Record<string, Props> }} options
     * @returns {Promise<Registration[]>}
     */
    async runProgram(program, { preview, env, otherOutputs }) {
        const work = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-run-"));
        const requestPath = path.join(work, "request.json");
        const responsePath = path.join(work, "response.json");
        const state = Object.fromEntries([...this.state].map(([urn, e]) => [urn, { id: e.id, outputs: e.outputs }]));
        fs.writeFileSync(requestPath, JSON.stringify({ program, preview, state, otherOutputs }));
        try {
            const output = await /** @type {Promise<string>} */ (
                new Promise((resolve) => {
                    execFile(
                        process.execPath,
                        ["run-program.js", requestPath, responsePath],
                        {
                            cwd: this.consumerDir,
                            env: { ...process.env, ...env },
                        },
                        (_error, stdout, stderr) => resolve(stdout + stderr),
                    );
                })
            );
            this.log.program += output;
            const response = JSON.parse(fs.readFileSync(responsePath, "utf8"));
            if (response.error) throw new Error(`program failed: ${response.error}`);
            return response.registrations;
        } finally {
            fs.rmSync(work, { recursive: true, force: true });
        }
    }

    /** @param {string} urn @param {HostError} error @returns {string} the message, also logged */
    recordError(urn, error) {
        const message = `${urn}: ${error.details || error.message}`;
        this.log.errors.push(message);
        return message;
    }

    /** @param {NodeJS.ProcessEnv} env */
    async startHost(env) {
        const host = await ProviderHost.start(this.consumerDir, env);
        if (this.hooks.started) this.hooks.started(host);
        return host;
    }

    /** @param {ProviderHost} host */
    async stopHost(host) {
        if (this.hooks.stopping) this.hooks.stopping(host);
        await host.stop();
        this.log.host += host.output;
    }
}

module.exports = { LifecycleEngine, ProviderHost, OUR_TYPE };
