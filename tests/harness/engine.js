// Plays the Pulumi engine's part offline: runs a program under mocks in the consumer project to
// learn what it declares, then drives the SDK's dynamic-provider host over gRPC exactly as the
// engine does (Configure, Check, Diff, Create, Read, Update, Delete), keeping a state per URN
// between runs so that runs play like `pulumi preview` / `up` / `refresh` / `destroy`.
// Plain CommonJS: used by the tests, `npm run demo` and `npm run bench`.
"use strict";
const { spawn, execFile } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { secretKeys, unwrapSecrets } = require("./capture");

const OUR_TYPE = "pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration";
const CIPHERTEXT = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "<encrypted>" };

/** The SDK pieces, loaded from the consumer's own @pulumi/pulumi so both sides speak one protocol. */
function sdk(consumerDir) {
    const from = (id) => require(require.resolve(id, { paths: [consumerDir] }));
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [consumerDir] }));
    const fromSdk = (id) => require(require.resolve(id, { paths: [sdkDir] }));
    return {
        hostPath: require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [consumerDir] }),
        grpc: fromSdk("@grpc/grpc-js"),
        services: from("@pulumi/pulumi/proto/provider_grpc_pb"),
        messages: from("@pulumi/pulumi/proto/provider_pb"),
        struct: fromSdk("google-protobuf/google/protobuf/struct_pb"),
    };
}

/** The dynamic-provider host, spawned as the engine spawns it, with a promise-based client. */
class ProviderHost {
    static async start(consumerDir, env = {}) {
        const host = new ProviderHost(consumerDir);
        await host.boot(env);
        return host;
    }

    constructor(consumerDir) {
        this.sdk = sdk(consumerDir);
        this.consumerDir = consumerDir;
        this.output = "";
    }

    async boot(env) {
        const started = process.hrtime.bigint();
        // The engine passes its own address; the dynamic-provider host never dials it.
        this.child = spawn(process.execPath, [this.sdk.hostPath, "127.0.0.1:1"], {
            cwd: this.consumerDir,
            env: { ...process.env, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.child.stderr.on("data", (chunk) => (this.output += chunk));
        const port = await new Promise((resolve, reject) => {
            let buffered = "";
            const onData = (chunk) => {
                this.output += chunk;
                buffered += chunk;
                const line = buffered.split("\n")[0];
                if (buffered.includes("\n")) {
                    this.child.stdout.off("data", onData);
                    this.child.stdout.on("data", (more) => (this.output += more));
                    resolve(Number(line.trim()));
                }
            };
            this.child.stdout.on("data", onData);
            this.child.once("exit", (code) => reject(new Error(`provider host exited (${code}): ${this.output}`)));
        });
        const { grpc, services } = this.sdk;
        this.client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        this.bootMs = Number(process.hrtime.bigint() - started) / 1e6;
        // The host refuses CRUD calls until it has been configured, even with nothing.
        await this.rpc("configure", "ConfigureRequest", { setArgs: this.toStruct({}), setAcceptsecrets: true });
    }

    call(method, request) {
        return new Promise((resolve, reject) => {
            this.client[method](request, (error, response) => (error ? reject(error) : resolve(response)));
        });
    }

    toStruct(value) {
        return this.sdk.struct.Struct.fromJavaScript(value);
    }

    /** Builds a request from setter names and values, and sends it. */
    rpc(method, type, fields) {
        const request = new this.sdk.messages[type]();
        for (const [setter, value] of Object.entries(fields)) request[setter](value);
        return this.call(method, request);
    }

    async check(urn, olds, news) {
        const response = await this.rpc("check", "CheckRequest", { setUrn: urn, setOlds: this.toStruct(olds), setNews: this.toStruct(news) });
        return {
            inputs: response.getInputs().toJavaScript(),
            failures: response.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    async diff(urn, id, olds, news) {
        const response = await this.rpc("diff", "DiffRequest", { setUrn: urn, setId: id, setOlds: this.toStruct(olds), setNews: this.toStruct(news) });
        const { DiffChanges } = this.sdk.messages.DiffResponse;
        const changes = { [DiffChanges.DIFF_NONE]: false, [DiffChanges.DIFF_SOME]: true }[response.getChanges()];
        return { changes, replaces: response.getReplacesList(), deleteBeforeReplace: response.getDeletebeforereplace() };
    }

    async create(urn, properties) {
        const response = await this.rpc("create", "CreateRequest", { setUrn: urn, setProperties: this.toStruct(properties) });
        return { id: response.getId(), outputs: response.getProperties().toJavaScript() };
    }

    async read(urn, id, properties, inputs) {
        const response = await this.rpc("read", "ReadRequest", {
            setUrn: urn, setId: id, setProperties: this.toStruct(properties), setInputs: this.toStruct(inputs),
        });
        return { id: response.getId(), outputs: response.getProperties().toJavaScript() };
    }

    async update(urn, id, olds, news) {
        const response = await this.rpc("update", "UpdateRequest", { setUrn: urn, setId: id, setOlds: this.toStruct(olds), setNews: this.toStruct(news) });
        return { outputs: response.getProperties().toJavaScript() };
    }

    async delete(urn, id, properties) {
        await this.rpc("delete", "DeleteRequest", { setUrn: urn, setId: id, setProperties: this.toStruct(properties) });
    }

    async stop() {
        this.client.close();
        if (this.child.exitCode === null) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill();
            await exited;
        }
    }
}

/** Runs `limit` tasks at a time, like the engine's step parallelism. */
async function inParallel(items, limit, task) {
    const queue = [...items];
    const workers = Array.from({ length: Math.min(limit, queue.length) }, async () => {
        while (queue.length > 0) await task(queue.shift());
    });
    await Promise.all(workers);
}

class LifecycleEngine {
    /** @param consumerDir the project holding the programs and the installed package */
    constructor(consumerDir, { parallel = 10 } = {}) {
        this.consumerDir = consumerDir;
        this.parallel = parallel;
        /** urn -> { id, type, name, inputs, outputs, secrets } */
        this.state = new Map();
        this.log = { program: "", host: "", errors: [] };
    }

    /** `pulumi preview` (preview: true) or `pulumi up`. */
    async run(program, { preview = false, env = {}, otherOutputs = {} } = {}) {
        const registrations = await this.runProgram(program, { preview, env, otherOutputs });
        const ours = registrations.filter((r) => r.type === OUR_TYPE);
        const plan = [];
        const errors = [];
        const host = await ProviderHost.start(this.consumerDir, env);
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
            throw new Error(`check failed: ${checked.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
        }
        const secrets = [...new Set([...registration.additionalSecretOutputs, ...secretKeys(registration.inputs)])];
        const record = (id, outputs) =>
            this.state.set(urn, { id, type: registration.type, name: registration.name, inputs: checked.inputs, outputs, secrets });
        if (!old) {
            if (!preview) {
                const created = await host.create(urn, checked.inputs);
                record(created.id, created.outputs);
            }
            return { urn, op: "create" };
        }
        const diff = await host.diff(urn, old.id, old.outputs, checked.inputs);
        if (!diff.changes) return { urn, op: "same" };
        if (diff.replaces.length > 0) {
            if (!preview) {
                if (diff.deleteBeforeReplace || registration.deleteBeforeReplace) {
                    await host.delete(urn, old.id, old.outputs);
                    this.state.delete(urn);
                    const created = await host.create(urn, checked.inputs);
                    record(created.id, created.outputs);
                } else {
                    const created = await host.create(urn, checked.inputs);
                    await host.delete(urn, old.id, old.outputs);
                    record(created.id, created.outputs);
                }
            }
            return { urn, op: "replace", replaces: diff.replaces, deleteBeforeReplace: diff.deleteBeforeReplace };
        }
        if (!preview) {
            const updated = await host.update(urn, old.id, old.outputs, checked.inputs);
            record(old.id, updated.outputs);
        }
        return { urn, op: "update" };
    }

    /** `pulumi refresh`: Read every resource; returns the URNs whose state changed. */
    async refresh({ env = {} } = {}) {
        const host = await ProviderHost.start(this.consumerDir, env);
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
                if (JSON.stringify(read.outputs) !== JSON.stringify(entry.outputs) || read.id !== entry.id) {
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
    async destroy({ env = {} } = {}) {
        const host = await ProviderHost.start(this.consumerDir, env);
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

    /** The state as a checkpoint file would hold it: secret values only as ciphertext. */
    checkpoint() {
        const seal = (values, secrets) =>
            Object.fromEntries(Object.entries(values).map(([k, v]) => [k, secrets.includes(k) ? CIPHERTEXT : v]));
        return [...this.state].map(([urn, entry]) => ({
            urn,
            id: entry.id,
            type: entry.type,
            inputs: seal(entry.inputs, entry.secrets),
            outputs: seal(entry.outputs, entry.secrets),
        }));
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

    async stopHost(host) {
        await host.stop();
        this.log.host += host.output;
    }
}

module.exports = { LifecycleEngine, ProviderHost, OUR_TYPE };
