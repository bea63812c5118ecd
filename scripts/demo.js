#!/usr/bin/env node
// `npm run demo`: the product's story in one run, against a local Jelou on 127.0.0.1. It deploys
// examples/basic (preview, create, a no-op up, a secret rotation, destroy), says after each step
// which API calls it made (method and path from the local Jelou's request log, never a header or
// a body), shows the integration while it exists, shows that the checkpoint holds the signing
// secret only as ciphertext, and ends with a one-line verdict (exit 1 when anything failed).
//
// With a `pulumi` CLI on PATH it runs the real `pulumi preview` / `up` / `destroy` on a temporary
// local file backend with a passphrase, and the checkpoint is `pulumi stack export`. Without one
// it runs the same program through the offline lifecycle harness (harness: the program under
// the SDK's mocks, its provider through the SDK's dynamic-provider host over gRPC, as the engine
// drives it).
//
// About "ciphertext" on the harness path: the harness's state store (engine.state) holds secret
// values in plaintext, as the engine does in memory during a deployment, and its plain
// `checkpoint()` only swaps them for a fixed placeholder shaped like Pulumi's secret envelope. That
// would be "marked secret", not "encrypted", and this demo must not call it ciphertext. So the demo
// writes the checkpoint the way Pulumi's local backend does with its default passphrase secrets
// provider (harness/secrets.js: PBKDF2-SHA256 key, AES-256-GCM, `v1:<nonce>:<ciphertext>`
// under the secret signature 4dabf18193072939515e22adb298388d), then checks that the plaintext is
// nowhere in it and that the entry decrypts back to the secret: real ciphertext, honestly made by
// the demo's stand-in for the engine, and said so in the output.
"use strict";
const { execFile, spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { createConsumer, removeConsumer } = require("../harness/consumer");
const { LifecycleEngine, OUR_TYPE } = require("../harness/engine");
const { PassphraseCrypter, SECRET_SIG } = require("../harness/secrets");

const started = process.hrtime.bigint();
const PROGRAM = "examples/basic/index.ts";
const PROJECT_ID = "demo-project";
const API_PREFIX = "/v1/external-support/";

// ---- output: every line goes through say(), which never lets a known secret out ----------------

const known = new Set(); // every secret the demo has seen: API key, webhook token, passphrase, signing secrets
const failures = [];

function say(line = "") {
    let text = String(line);
    for (const secret of known) {
        if (secret && text.includes(secret)) {
            text = text.split(secret).join("[redacted]");
            fail("the demo was about to print a secret (redacted)");
        }
    }
    process.stdout.write(`${text}\n`);
}

function fail(what) {
    if (!failures.includes(what)) failures.push(what);
}

const fingerprint = (secret) => crypto.createHash("sha256").update(secret).digest("hex").slice(0, 12);
const mask = (secret) =>
    typeof secret === "string" && secret !== ""
        ? `${"*".repeat(8)} (${secret.length} characters, SHA-256 fingerprint ${fingerprint(secret)})`
        : "(none)";
const seconds = (fromNs) => (Number(process.hrtime.bigint() - fromNs) / 1e9).toFixed(1);
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The API calls made since `mark` (an index into the local Jelou's request log): method, path and status only. */
function callsSince(sandbox, mark) {
    return sandbox.requests.slice(mark).map((r) => `${r.method} ${r.path.split("?")[0]} -> ${r.status ?? "no answer"}`);
}

/** One step's story: what it did, its API calls, their count. */
function report(number, title, does, calls, { expectCalls } = {}) {
    say(`${number}. ${title}: ${does} — ${plural(calls.length, "API call")}`);
    for (const call of calls) say(`     ${call}`);
    if (expectCalls !== undefined && calls.length !== expectCalls) {
        fail(`${title} made ${calls.length} API calls, expected ${expectCalls}`);
    }
}

// ---- the two ways to run the program: the harness, or the real pulumi CLI -----------------------

function pulumiOnPath() {
    return spawnSync("pulumi", ["version"], { stdio: "ignore" }).status === 0;
}

/** The offline lifecycle harness, playing `pulumi preview` / `up` / `destroy` and the checkpoint. */
class HarnessRunner {
    constructor(consumerDir, env, passphrase) {
        this.engine = new LifecycleEngine(consumerDir);
        this.env = env;
        this.passphrase = passphrase;
        this.name =
            "no `pulumi` CLI on PATH, so the program runs through harness, which plays Pulumi's engine " +
            "(the SDK's own provider host, driven as `pulumi` drives it)";
    }

    async run(extraEnv = {}, preview = false) {
        const { plan, errors } = await this.engine.run(PROGRAM, { preview, env: { ...this.env, ...extraEnv } });
        if (errors.length > 0) throw new Error(errors.join("; "));
        return plan.map((p) => `${p.op} ${p.urn.split("::").pop()}`);
    }

    preview() {
        return this.run({}, true);
    }
    up(extraEnv) {
        return this.run(extraEnv);
    }

    async destroy() {
        const { errors } = await this.engine.destroy({ env: this.env });
        if (errors.length > 0) throw new Error(errors.join("; "));
        return [this.engine.state.size === 0 ? "state empty" : `${this.engine.state.size} left in state`];
    }

    /** What the harness's in-memory state (the engine's memory) holds: id and plaintext secret. */
    current() {
        const entry = [...this.engine.state.values()].find((e) => e.type === OUR_TYPE);
        return entry ? { id: entry.id, secret: entry.outputs.signingSecret } : undefined;
    }

    /** The checkpoint, encrypted as Pulumi's passphrase secrets provider does (see the top comment). */
    checkpoint() {
        // Deriving the key takes PBKDF2's 1,000,000 iterations: once per run.
        this.crypter = this.crypter || new PassphraseCrypter(this.passphrase);
        return {
            text: JSON.stringify(this.engine.stackExport(this.crypter), null, 4),
            how:
                "the harness keeps its state in memory, as Pulumi's engine does during a run, and wrote this checkpoint " +
                "the way Pulumi's local backend does with its passphrase secrets provider (AES-256-GCM, key from the passphrase)",
            decrypt: (entry) => this.crypter.unseal(entry),
        };
    }

    cleanup() {}
}

/** The real CLI on a temporary local file backend, protected by a random passphrase. */
class CliRunner {
    constructor(consumerDir, env, passphrase) {
        this.projectDir = path.join(consumerDir, "examples", "basic");
        this.backend = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-demo-backend-"));
        this.env = {
            ...process.env,
            ...env,
            PULUMI_BACKEND_URL: `file://${this.backend}`,
            PULUMI_CONFIG_PASSPHRASE: passphrase,
            PULUMI_SKIP_UPDATE_CHECK: "true",
        };
        this.name = "the `pulumi` CLI found on PATH runs the program, on a temporary local file backend with a passphrase";
    }

    /**
     * Runs pulumi without blocking: the local Jelou answers the provider from this very process, so a
     * synchronous child (execFileSync) would leave every API call unanswered until it timed out.
     */
    pulumi(...args) {
        return new Promise((resolve, reject) => {
            execFile(
                "pulumi",
                args,
                { cwd: this.projectDir, env: this.env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
                (error, stdout, stderr) => {
                    if (!error) return resolve(stdout);
                    // pulumi prints its diagnostics (secrets masked) on stdout and stderr: keep the error lines.
                    const printed = `${stdout}\n${stderr}`.split("\n").map((l) => l.trim());
                    const reasons = printed.filter((l) => /^error:/i.test(l)).slice(0, 3);
                    reject(new Error(`pulumi ${args[0]} failed: ${reasons.join(" ") || `exit ${error.code}`}`));
                },
            );
        });
    }

    async init() {
        await this.pulumi("stack", "init", "demo", "--non-interactive");
        return this;
    }

    /** The "Resources:" summary pulumi prints at the end of a preview, up or destroy. */
    static summary(output) {
        const lines = output.split("\n");
        const at = lines.findIndex((l) => l.trim() === "Resources:");
        if (at < 0) return [];
        const block = [];
        for (const line of lines.slice(at + 1)) {
            if (line.trim() === "") break;
            block.push(line.trim());
        }
        return block;
    }

    async preview() {
        return CliRunner.summary(await this.pulumi("preview", "--non-interactive"));
    }

    async up(extraEnv = {}) {
        // The harness gets the secret version from the environment; a real stack keeps it in its config.
        if (extraEnv.JELOU_SECRET_VERSION) await this.pulumi("config", "set", "secretVersion", extraEnv.JELOU_SECRET_VERSION);
        return CliRunner.summary(await this.pulumi("up", "--yes", "--non-interactive"));
    }

    async destroy() {
        return CliRunner.summary(await this.pulumi("destroy", "--yes", "--non-interactive"));
    }

    async current() {
        const outputs = JSON.parse(await this.pulumi("stack", "output", "--json", "--show-secrets"));
        return outputs.integrationId ? { id: outputs.integrationId, secret: outputs.signingSecret } : undefined;
    }

    async checkpoint() {
        const text = await this.pulumi("stack", "export");
        return {
            text,
            how: "`pulumi stack export`, as the local file backend keeps it (passphrase secrets provider)",
            // Pulumi itself decrypts: the same export with --show-secrets, the entry at the same place.
            decrypt: async () => ours(JSON.parse(await this.pulumi("stack", "export", "--show-secrets"))).outputs.signingSecret,
        };
    }

    cleanup() {
        fs.rmSync(this.backend, { recursive: true, force: true });
        fs.rmSync(path.join(this.projectDir, "Pulumi.demo.yaml"), { force: true });
    }
}

/** Our resource in a `pulumi stack export` document. */
function ours(exported) {
    const found = ((exported.deployment || {}).resources || []).find((r) => r.type === OUR_TYPE);
    if (!found) throw new Error("the checkpoint has no ExternalSupportIntegration");
    return found;
}

// ---- the story ---------------------------------------------------------------------------------

/** Shows the checkpoint's signingSecret entry as stored, and fails unless it is ciphertext of the secret. */
async function showCheckpoint(runner, secrets, label) {
    const { text, how, decrypt } = await runner.checkpoint();
    const entry = ours(JSON.parse(text)).outputs.signingSecret;
    const isEnvelope = Boolean(
        entry && typeof entry === "object" && entry[SECRET_SIG] && /^v1:[^:]+:[^:]+$/.test(String(entry.ciphertext)),
    );
    say(label);
    say(`   ${how}`);
    if (isEnvelope) {
        const cut = entry.ciphertext.length > 48 ? `${entry.ciphertext.slice(0, 48)}…` : entry.ciphertext;
        say(`   its signingSecret entry as stored: ${JSON.stringify({ ...entry, ciphertext: cut })}`);
        say(`   (ciphertext shown truncated: ${entry.ciphertext.length} characters in the file)`);
    } else {
        // Not an envelope: say what it is without printing it (it could be the plaintext).
        say(`   its signingSecret entry is not ciphertext: a ${entry === undefined ? "missing entry" : typeof entry}`);
    }
    if (!isEnvelope) fail("the checkpoint's signingSecret is not a secret envelope with ciphertext");
    // The plaintext must not be anywhere in the serialized checkpoint, in any step's secret.
    const leaked = secrets.filter((s) => text.includes(s));
    if (leaked.length > 0) fail(`the checkpoint holds ${plural(leaked.length, "secret")} in plaintext`);
    say(
        `   plaintext search: ${leaked.length === 0 ? "none" : leaked.length} of ${plural(secrets.length, "secret value")} ` +
            `(signing secrets so far, API key, webhook token) found in the ${text.length}-character checkpoint`,
    );
    const current = secrets[0];
    let back;
    try {
        back = isEnvelope ? await decrypt(entry) : undefined;
    } catch (error) {
        back = undefined;
    }
    if (back !== current) fail("the checkpoint's ciphertext does not decrypt to the signing secret");
    else say(`   decrypted with the stack's passphrase it gives back the signing secret (fingerprint ${fingerprint(back)})`);
}

async function main() {
    say("pulumi-jelou lets a Pulumi program create and look after a Jelou support integration: the link that");
    say("sends a Jelou project's conversations to your support panel, with a signing secret to check them by.");
    say("This demo starts a stand-in for Jelou on this machine, creates an integration from examples/basic,");
    say("changes nothing, rotates the secret, deletes the integration, and shows what it asked Jelou each time.");
    say();

    const { JelouSandbox } = require("../dist/sandbox/server");
    const apiKey = crypto.randomBytes(16).toString("hex");
    const webhookToken = crypto.randomBytes(24).toString("base64url");
    const passphrase = crypto.randomBytes(16).toString("hex");
    for (const secret of [apiKey, webhookToken, passphrase]) known.add(secret);
    const signingSecrets = [];
    const plaintexts = () => [...signingSecrets.slice().reverse(), apiKey, webhookToken];

    // The step under way: its number and name, and where its calls start in the request log.
    let step = { number: 1, title: "start", mark: 0, reported: false };
    const begin = (number, title) => (step = { number, title, mark: sandbox.requests.length, reported: false });
    const done = (does, expectCalls) => {
        report(step.number, step.title, does, callsSince(sandbox, step.mark), { expectCalls });
        step.reported = true;
    };
    let sandbox;
    let consumerDir;
    let ownConsumer = false;
    let runner;
    try {
        const t = process.hrtime.bigint();
        sandbox = await JelouSandbox.start({ apiKeys: [apiKey] });
        // The jest suite has already installed the package once (JELOU_CONSUMER_DIR): reuse it there.
        consumerDir = process.env.JELOU_CONSUMER_DIR;
        if (!consumerDir || !fs.existsSync(path.join(consumerDir, "node_modules", "pulumi-jelou"))) {
            consumerDir = createConsumer();
            ownConsumer = true;
        }
        const env = {
            JELOU_BASE_URL: sandbox.url,
            JELOU_API_KEY: apiKey,
            JELOU_PROJECT_ID: PROJECT_ID,
            JELOU_WEBHOOK_TOKEN: webhookToken,
        };
        runner = pulumiOnPath()
            ? await new CliRunner(consumerDir, env, passphrase).init()
            : new HarnessRunner(consumerDir, env, passphrase);
        done(`a local Jelou listens on ${sandbox.url} (this machine only)`, 0);
        say(
            `   pulumi-jelou ${ownConsumer ? "was packed and installed into a throwaway project, as a user gets it" : "comes from the test run's install"} (${seconds(t)} s)`,
        );
        say(`   ${runner.name}`);

        begin(2, "preview");
        let plan = await runner.preview();
        done(`works out what \`pulumi up\` would change, and changes nothing (plan: ${plan.join(", ")})`, 0);

        begin(3, "up");
        plan = await runner.up();
        done(`creates the integration in Jelou (${plan.join(", ")})`, 1);
        const created = await runner.current();
        if (!created || !created.id || typeof created.secret !== "string") throw new Error("no integration id or signing secret in state");
        known.add(created.secret);
        signingSecrets.push(created.secret);
        say(`   integration id: ${created.id}`);
        say(`   signing secret: ${mask(created.secret)}`);
        const held = sandbox.integration(PROJECT_ID);
        if (held && held.id === created.id && held.signingSecret === created.secret) {
            say(
                `   checked in the local Jelou (its own records, no API call): integration ${held.id} exists for project ` +
                    `${PROJECT_ID}, with the same signing secret`,
            );
        } else {
            fail("the local Jelou does not hold the integration that was created");
        }

        begin(4, "checkpoint");
        step.reported = true;
        await showCheckpoint(
            runner,
            plaintexts(),
            "4. checkpoint: reads the state Pulumi keeps between runs (whoever reads it must not learn the secret) — 0 API calls",
        );

        begin(5, "up again");
        plan = await runner.up();
        done(`nothing changed in the program, so nothing changes in Jelou (${plan.join(", ")})`, 0);

        begin(6, "rotate");
        plan = await runner.up({ JELOU_SECRET_VERSION: "2" });
        done(`secretVersion 1 -> 2 asks Jelou for a new signing secret, same integration (${plan.join(", ")})`, 2);
        const rotated = await runner.current();
        if (!rotated || typeof rotated.secret !== "string") throw new Error("no signing secret in state after the rotation");
        known.add(rotated.secret);
        signingSecrets.push(rotated.secret);
        say(`   integration id: ${rotated.id} (${rotated.id === created.id ? "unchanged" : "CHANGED"})`);
        say(`   signing secret: ${mask(rotated.secret)} (${rotated.secret === created.secret ? "NOT rotated" : "a new one"})`);
        if (rotated.id !== created.id) fail("the rotation changed the integration id");
        if (rotated.secret === created.secret) fail("the rotation kept the old signing secret");
        if ((sandbox.integration(PROJECT_ID) || {}).signingSecret !== rotated.secret)
            fail("the local Jelou holds another signing secret than the state");
        await showCheckpoint(runner, plaintexts(), "   the checkpoint again, after the rotation:");

        begin(7, "destroy");
        plan = await runner.destroy();
        done(`deletes the integration from Jelou (${plan.join(", ")})`, 2);
        const left = sandbox.integrations().length;
        say(`   checked in the local Jelou: ${left === 0 ? "no integration left" : `${plural(left, "integration")} left`}`);
        if (left !== 0) fail(`${plural(left, "integration")} left in Jelou after destroy`);
        if (await runner.current()) fail("the state still holds the integration after destroy");
    } catch (error) {
        // Provider errors are redacted at the source (and say() redacts anything known on top); the
        // harness prefixes the resource's URN, which tells a newcomer nothing here.
        const why = String(error.message)
            .split("\n")[0]
            .replace(/^urn:pulumi:\S+?: /, "");
        fail(`${step.title} failed: ${why}`);
        if (step.reported || !sandbox) {
            say(`   ${step.title} failed: ${why}`);
        } else {
            const calls = callsSince(sandbox, step.mark);
            say(`${step.number}. ${step.title}: FAILED — ${why} — ${plural(calls.length, "API call")}`);
            for (const call of calls) say(`     ${call}`);
        }
    } finally {
        if (runner) runner.cleanup();
        if (sandbox) await sandbox.stop();
        if (ownConsumer) removeConsumer(consumerDir);
    }

    const elapsed = `${seconds(started)} s`;
    say();
    if (failures.length === 0) {
        say(`demo: OK — created, kept the secret encrypted, rotated it, destroyed, nothing left in Jelou (${elapsed})`);
    } else {
        say(`demo: FAILED — ${failures.join("; ")} (${elapsed})`);
    }
    process.exitCode = failures.length === 0 ? 0 : 1;
}

main().catch((error) => {
    say(`demo: FAILED — ${error.message.split("\n")[0]}`);
    process.exitCode = 1;
});
