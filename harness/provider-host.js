// The SDK's dynamic-provider host, spawned exactly as the Pulumi engine spawns it (in the
// program's directory, with an engine address), and a promise-based gRPC client for it that
// sends properties as the engine sends them to a provider that does not accept secrets.
// Plain CommonJS: used by the lifecycle engine, the tests, `npm run demo` and `npm run bench`.
// @ts-check
"use strict";
const { spawn } = require("child_process");
const path = require("path");

/** Property values as a Struct carries them (JSON-like). @typedef {Record<string, any>} Props */

/**
 * The SDK's generated gRPC and protobuf modules, loaded at run time from the consumer project: typed
 * loosely, by what is used here.
 * @typedef {object} Sdk
 * @property {string} hostPath the dynamic-provider host's entry file
 * @property {{ credentials: { createInsecure(): unknown } }} grpc
 * @property {{ ResourceProviderClient: new (address: string, credentials: unknown) => ProviderClient }} services
 * @property {Record<string, any>} messages provider_pb: request classes by name, ErrorResourceInitFailed, DiffResponse
 * @property {{ Struct: { fromJavaScript(value: Props): unknown } }} struct
 * @property {{ Status: { deserializeBinary(bytes: Uint8Array): any } }} status
 */

/**
 * The generated client: one callback-style method per RPC.
 * @typedef {{ close(): void } & Record<string, any>} ProviderClient
 */

/**
 * What the host packs into ErrorResourceInitFailed: a resource created but not initialized.
 * @typedef {{ id: string, outputs: Props, reasons: string[] }} InitFailure
 */

/**
 * A gRPC error from the host, with the init failure it carries if any.
 * @typedef {Error & { details?: string, metadata?: { get(key: string): any[] }, initFailure?: InitFailure }} HostError
 */

/** @typedef {{ inputs: Props, failures: { property: string, reason: string }[] }} CheckResult */
/** `changes` is undefined when the provider does not know (DIFF_UNKNOWN). @typedef {{ changes: boolean | undefined, replaces: string[], deleteBeforeReplace: boolean }} DiffResult */
/** @typedef {{ id: string, outputs: Props }} CreateResult */
/** An empty `id`: the resource is gone. @typedef {{ id: string, outputs: Props }} ReadResult */
/** @typedef {{ outputs: Props }} UpdateResult */

/**
 * The SDK pieces, loaded from the consumer's own @pulumi/pulumi so both sides speak one protocol.
 * @param {string} consumerDir
 * @returns {Sdk}
 */
function sdk(consumerDir) {
    /** @param {string} id */
    const from = (id) => require(require.resolve(id, { paths: [consumerDir] }));
    const sdkDir = path.dirname(require.resolve("@pulumi/pulumi/package.json", { paths: [consumerDir] }));
    /** @param {string} id */
    const fromSdk = (id) => require(require.resolve(id, { paths: [sdkDir] }));
    return {
        hostPath: require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [consumerDir] }),
        grpc: fromSdk("@grpc/grpc-js"),
        services: from("@pulumi/pulumi/proto/provider_grpc_pb"),
        messages: from("@pulumi/pulumi/proto/provider_pb"),
        struct: fromSdk("google-protobuf/google/protobuf/struct_pb"),
        status: from("@pulumi/pulumi/proto/status_pb"),
    };
}

/** The dynamic-provider host, spawned as the engine spawns it, with a promise-based client. */
class ProviderHost {
    /** @param {string} consumerDir @param {NodeJS.ProcessEnv} [env] @returns {Promise<ProviderHost>} */
    static async start(consumerDir, env = {}) {
        const host = new ProviderHost(consumerDir);
        await host.boot(env);
        return host;
    }

    /** @param {string} consumerDir */
    constructor(consumerDir) {
        this.sdk = sdk(consumerDir);
        this.consumerDir = consumerDir;
        /** The host's stdout and stderr so far. */
        this.output = "";
        // Declared only (set by boot()):
        /** @type {import("child_process").ChildProcessByStdio<null, import("stream").Readable, import("stream").Readable>} */
        this.child = /** @type {any} */ (undefined);
        /** @type {ProviderClient} */
        this.client = /** @type {any} */ (undefined);
        /** @type {number} milliseconds from spawning to a configured host */
        this.bootMs = 0;
    }

    /** @param {NodeJS.ProcessEnv} env */
    async boot(env) {
        const started = process.hrtime.bigint();
        // The stack's config reaches the program as PULUMI_CONFIG (what the CLI sets for the language
        // host) and the provider only through Configure: the host does not get those variables.
        const { PULUMI_CONFIG: config = "{}", PULUMI_CONFIG_SECRET_KEYS: secretKeys = "[]", ...hostEnv } = { ...process.env, ...env };
        // The engine passes its own address; the dynamic-provider host never dials it.
        this.child = spawn(process.execPath, [this.sdk.hostPath, "127.0.0.1:1"], {
            cwd: this.consumerDir,
            env: hostEnv,
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.child.stderr.on("data", (chunk) => (this.output += chunk));
        const port = await /** @type {Promise<number>} */ (
            new Promise((resolve, reject) => {
                let buffered = "";
                /** @param {string} chunk */
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
            })
        );
        const { grpc, services } = this.sdk;
        this.client = new services.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        this.bootMs = Number(process.hrtime.bigint() - started) / 1e6;
        await this.configure(JSON.parse(config), JSON.parse(secretKeys));
    }

    /**
     * Configure as the engine sends it to a dynamic provider: the whole stack config, every
     * namespace, keys as `namespace:key`, values as strings, secret ones as secret values (which
     * the host unwraps). The host refuses CRUD calls until it has been configured, even with nothing.
     * @param {Record<string, unknown>} config @param {string[]} secretKeys
     */
    async configure(config, secretKeys) {
        const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
        /** @type {Props} */
        const args = {};
        const request = new this.sdk.messages.ConfigureRequest();
        for (const [key, value] of Object.entries(config)) {
            const text = typeof value === "string" ? value : JSON.stringify(value);
            args[key] = secretKeys.includes(key) ? { "4dabf18193072939515e22adb298388d": SECRET_SIG, value: text } : text;
            request.getVariablesMap().set(key, text);
        }
        request.setArgs(this.toStruct(args));
        request.setAcceptsecrets(true);
        request.setAcceptresources(true);
        await this.call("configure", request);
    }

    /** @param {string} method @param {unknown} request @returns {Promise<any>} the response message */
    call(method, request) {
        return new Promise((resolve, reject) => {
            this.client[method](request, (/** @type {HostError | null} */ error, /** @type {any} */ response) =>
                error ? reject(this.withInitFailure(error)) : resolve(response),
            );
        });
    }

    /**
     * A resource created but not initialized: the host packs `id`, `properties` and `reasons` of
     * the provider's error into an ErrorResourceInitFailed in the status details, as the engine reads
     * them. Sets `error.initFailure` to them.
     * @param {HostError} error
     * @returns {HostError}
     */
    withInitFailure(error) {
        const raw = error.metadata && error.metadata.get("grpc-status-details-bin")[0];
        if (!raw) return error;
        const status = this.sdk.status.Status.deserializeBinary(raw);
        for (const detail of status.getDetailsList()) {
            if (detail.getTypeName() !== "pulumirpc.ErrorResourceInitFailed") continue;
            const failed = this.sdk.messages.ErrorResourceInitFailed.deserializeBinary(detail.getValue_asU8());
            error.initFailure = { id: failed.getId(), outputs: failed.getProperties().toJavaScript(), reasons: failed.getReasonsList() };
        }
        return error;
    }

    /** @param {Props} value */
    toStruct(value) {
        return this.sdk.struct.Struct.fromJavaScript(value);
    }

    /**
     * Builds a request from setter names and values, and sends it.
     * @param {string} method @param {string} type the request message's class @param {Record<string, unknown>} fields
     */
    rpc(method, type, fields) {
        const request = new this.sdk.messages[type]();
        for (const [setter, value] of Object.entries(fields)) request[setter](value);
        return this.call(method, request);
    }

    /** @param {string} urn @param {Props} olds @param {Props} news @returns {Promise<CheckResult>} */
    async check(urn, olds, news) {
        const response = await this.rpc("check", "CheckRequest", {
            setUrn: urn,
            setOlds: this.toStruct(olds),
            setNews: this.toStruct(news),
        });
        return {
            inputs: response.getInputs().toJavaScript(),
            failures: response.getFailuresList().map((/** @type {any} */ f) => ({ property: f.getProperty(), reason: f.getReason() })),
        };
    }

    /** @param {string} urn @param {string} id @param {Props} olds @param {Props} news @returns {Promise<DiffResult>} */
    async diff(urn, id, olds, news) {
        const response = await this.rpc("diff", "DiffRequest", {
            setUrn: urn,
            setId: id,
            setOlds: this.toStruct(olds),
            setNews: this.toStruct(news),
        });
        const { DiffChanges } = this.sdk.messages.DiffResponse;
        const changes = { [DiffChanges.DIFF_NONE]: false, [DiffChanges.DIFF_SOME]: true }[response.getChanges()];
        return { changes, replaces: response.getReplacesList(), deleteBeforeReplace: response.getDeletebeforereplace() };
    }

    /** @param {string} urn @param {Props} properties @returns {Promise<CreateResult>} */
    async create(urn, properties) {
        const response = await this.rpc("create", "CreateRequest", { setUrn: urn, setProperties: this.toStruct(properties) });
        return { id: response.getId(), outputs: response.getProperties().toJavaScript() };
    }

    /** @param {string} urn @param {string} id @param {Props} properties @param {Props} inputs @returns {Promise<ReadResult>} */
    async read(urn, id, properties, inputs) {
        const response = await this.rpc("read", "ReadRequest", {
            setUrn: urn,
            setId: id,
            setProperties: this.toStruct(properties),
            setInputs: this.toStruct(inputs),
        });
        return { id: response.getId(), outputs: response.getProperties().toJavaScript() };
    }

    /** @param {string} urn @param {string} id @param {Props} olds @param {Props} news @returns {Promise<UpdateResult>} */
    async update(urn, id, olds, news) {
        const response = await this.rpc("update", "UpdateRequest", {
            setUrn: urn,
            setId: id,
            setOlds: this.toStruct(olds),
            setNews: this.toStruct(news),
        });
        return { outputs: response.getProperties().toJavaScript() };
    }

    /** @param {string} urn @param {string} id @param {Props} properties @returns {Promise<void>} */
    async delete(urn, id, properties) {
        await this.rpc("delete", "DeleteRequest", { setUrn: urn, setId: id, setProperties: this.toStruct(properties) });
    }

    async stop() {
        this.client.close();
        // A host killed by a signal has exitCode null and signalCode set: it has already exited.
        if (this.child.exitCode === null && this.child.signalCode === null) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill();
            await exited;
        }
    }
}

module.exports = { ProviderHost };
