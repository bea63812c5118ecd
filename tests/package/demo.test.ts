// `npm run demo`, run as a newcomer runs it (a child process), with tests/support/demo-spy.js
// preloaded to learn the secrets its local Jelou handles: the story's steps and their API calls,
// the id while the integration exists, the checkpoint's ciphertext, no secret in the output, and
// a verdict that says what failed when something does.
import { spawn } from "child_process";
import { createHash } from "crypto";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const SPY = path.join(__dirname, "..", "support", "demo-spy.js");

interface DemoRun {
    code: number | null;
    output: string;
    signingSecrets: string[];
    others: string[];
}

/** Runs the demo as `npm run demo` does (node scripts/demo.js), reusing the suite's installed consumer. */
function runDemo(extraEnv: Record<string, string> = {}): Promise<DemoRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", SPY, "scripts/demo.js"], {
            cwd: ROOT,
            env: { ...process.env, ...extraEnv },
            stdio: ["ignore", "pipe", "pipe", "ipc"],
        });
        const run: DemoRun = { code: null, output: "", signingSecrets: [], others: [] };
        child.stdout!.on("data", (chunk) => (run.output += chunk));
        child.stderr!.on("data", (chunk) => (run.output += chunk));
        child.on("message", (message: { signingSecret?: string; authorization?: string; apiKeys?: string[] }) => {
            if (message.signingSecret) run.signingSecrets.push(message.signingSecret);
            if (message.authorization) run.others.push(message.authorization);
            if (message.apiKeys) run.others.push(...message.apiKeys);
        });
        child.on("error", reject);
        child.on("close", (code) => resolve({ ...run, code }));
    });
}

const fingerprint = (secret: string) => createHash("sha256").update(secret).digest("hex").slice(0, 12);

describe("npm run demo", () => {
    let run: DemoRun;
    beforeAll(async () => {
        run = await runDemo();
    }, 180000);

    it("exits 0 with the verdict as its last line", () => {
        expect(run.code).toBe(0);
        const lines = run.output.trimEnd().split("\n");
        expect(lines[lines.length - 1]).toMatch(
            /^demo: OK — created, kept the secret encrypted, rotated it, destroyed, nothing left in Jelou \(\d+\.\d s\)$/,
        );
    });

    it("opens with plain sentences before anything runs", () => {
        const opening = run.output.split("\n1. start:")[0];
        expect(opening).toMatch(/^pulumi-jelou lets a Pulumi program create and look after a Jelou support integration/);
        expect(opening).not.toMatch(/harness|gRPC|mocks|dynamic provider/i);
    });

    it("tells each step with its API calls and their count", () => {
        const calls = "(?:\\n {5}.+)*";
        const step = (pattern: string) => new RegExp(`^${pattern}`, "m");
        expect(run.output).toMatch(step(`1\\. start: a local Jelou listens on http://127\\.0\\.0\\.1:\\d+ .* — 0 API calls`));
        expect(run.output).toMatch(step(`2\\. preview: .*plan: create support.* — 0 API calls\\n(?! {5})`));
        expect(run.output).toMatch(
            step(`3\\. up: creates the integration .* — 1 API call\\n {5}POST /v1/external-support/demo-project -> 200\\n(?! {5})`),
        );
        expect(run.output).toMatch(step(`4\\. checkpoint: .* — 0 API calls`));
        expect(run.output).toMatch(step(`5\\. up again: .*same support.* — 0 API calls\\n(?! {5})`));
        expect(run.output).toMatch(
            step(
                `6\\. rotate: .*update support.* — 2 API calls\\n {5}GET /v1/external-support/demo-project -> 200\\n` +
                    ` {5}POST /v1/external-support/demo-project/secret/regenerate -> 200\\n(?! {5})`,
            ),
        );
        expect(run.output).toMatch(
            step(
                `7\\. destroy: .* — 2 API calls\\n {5}GET /v1/external-support/demo-project -> 200\\n` +
                    ` {5}DELETE /v1/external-support/demo-project -> 200${calls}\\n {3}checked in the local Jelou: no integration left`,
            ),
        );
        // Call lines carry a method, a path and a status: no header, no body, no query.
        for (const line of run.output.split("\n").filter((l) => /^ {5}\S/.test(l))) {
            expect(line).toMatch(/^ {5}(GET|POST|PATCH|DELETE) \/v1\/external-support\/[\w/-]+ -> \d{3}$/);
        }
    });

    it("prints the id and the masked secret while the integration exists, confirmed by the local Jelou", () => {
        const id = /^ {3}integration id: ([0-9a-f-]{36})$/m.exec(run.output)?.[1];
        expect(id).toBeDefined();
        const destroyAt = run.output.indexOf("\n7. destroy:");
        expect(run.output.indexOf(`integration id: ${id}`)).toBeGreaterThan(run.output.indexOf("\n3. up:"));
        expect(run.output.indexOf(`integration id: ${id}`)).toBeLessThan(destroyAt);
        expect(run.output.indexOf(`integration ${id} exists for project demo-project`)).toBeLessThan(destroyAt);
        // The masked secret is the one Jelou issued: its length and fingerprint, first and after the rotation.
        expect(run.signingSecrets).toHaveLength(2);
        const [first, second] = run.signingSecrets;
        expect(run.output).toContain(`signing secret: ******** (${first.length} characters, SHA-256 fingerprint ${fingerprint(first)})\n`);
        expect(run.output).toContain(
            `signing secret: ******** (${second.length} characters, SHA-256 fingerprint ${fingerprint(second)}) (a new one)`,
        );
        expect(run.output.indexOf(fingerprint(second))).toBeLessThan(destroyAt);
    });

    it("shows the checkpoint's signingSecret as ciphertext that decrypts back to the secret", () => {
        const envelope =
            /its signingSecret entry as stored: \{"4dabf18193072939515e22adb298388d":"1b47061264138c4ac30d75fd1eb44270","ciphertext":"v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+…"\}/g;
        expect(run.output.match(envelope)).toHaveLength(2);
        expect(run.output.match(/plaintext search: none of \d+ secret values/g)).toHaveLength(2);
        expect(run.output).toContain(`gives back the signing secret (fingerprint ${fingerprint(run.signingSecrets[1])})`);
    });

    it("never prints a secret", () => {
        expect(run.others.length).toBeGreaterThanOrEqual(2); // the API key and the webhook token
        for (const secret of [...run.signingSecrets, ...run.others]) {
            expect(secret.length).toBeGreaterThanOrEqual(16);
            expect(run.output).not.toContain(secret);
            expect(run.output).not.toContain(secret.slice(0, 16));
        }
        // Nor anything shaped like one: the local Jelou's secrets are 64 hex characters.
        expect(run.output).not.toMatch(/[0-9a-f]{40,}/i);
    });
});

describe("npm run demo when a step fails", () => {
    it("exits 1 with a verdict that names the failed step", async () => {
        // The spy answers the first API call (the create) with 403, which the provider does not retry.
        const run = await runDemo({ DEMO_SPY_FAULT: "403" });
        expect(run.code).toBe(1);
        const lines = run.output.trimEnd().split("\n");
        expect(lines[lines.length - 1]).toMatch(/^demo: FAILED — up failed: Jelou API POST .*403.* \(\d+\.\d s\)$/);
        expect(run.output).toMatch(/^3\. up: FAILED — .*403.* — 1 API call\n {5}POST \/v1\/external-support\/demo-project -> 403$/m);
        expect(run.output).not.toMatch(/^demo: OK/m);
        for (const secret of run.others) expect(run.output).not.toContain(secret);
    }, 180000);
});
