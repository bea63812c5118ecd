#!/usr/bin/env node
// `npm run demo`: starts the local Jelou, deploys examples/basic against it, then tears it down.
// With a `pulumi` CLI on PATH: real `pulumi up --yes` / `pulumi destroy --yes` on a temporary
// local file backend. Without one: the same program through the offline lifecycle harness
// (the SDK's dynamic-provider host driven over gRPC, as the engine drives it).
"use strict";
const { execFileSync, spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { createConsumer, removeConsumer } = require("../tests/harness/consumer");
const { LifecycleEngine } = require("../tests/harness/engine");

const PROGRAM = "examples/basic/index.ts";

function pulumiOnPath() {
    return spawnSync("pulumi", ["version"], { stdio: "ignore" }).status === 0;
}

function mask(secret) {
    if (typeof secret !== "string") return "(none)";
    const fingerprint = crypto.createHash("sha256").update(secret).digest("hex").slice(0, 8);
    return `${"*".repeat(16)} (${secret.length} chars, sha256 fingerprint ${fingerprint})`;
}

function withPulumiCli(consumerDir, env) {
    const projectDir = path.join(consumerDir, "examples", "basic");
    const backend = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-demo-backend-"));
    const pulumiEnv = {
        ...process.env, ...env,
        PULUMI_BACKEND_URL: `file://${backend}`,
        PULUMI_CONFIG_PASSPHRASE: crypto.randomBytes(16).toString("hex"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    const pulumi = (...args) => execFileSync("pulumi", args, { cwd: projectDir, env: pulumiEnv, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    try {
        pulumi("stack", "init", "demo", "--non-interactive");
        process.stdout.write(pulumi("up", "--yes", "--non-interactive"));
        const outputs = JSON.parse(pulumi("stack", "output", "--json", "--show-secrets"));
        const up = { id: outputs.integrationId, secret: outputs.signingSecret };
        process.stdout.write(pulumi("destroy", "--yes", "--non-interactive"));
        return up;
    } finally {
        fs.rmSync(backend, { recursive: true, force: true });
    }
}

async function withHarness(consumerDir, env) {
    const engine = new LifecycleEngine(consumerDir);
    const up = await engine.run(PROGRAM, { env });
    if (up.errors.length > 0) throw new Error(`up failed: ${up.errors.join("; ")}`);
    console.log(`up: ${up.plan.map((p) => `${p.op} ${p.urn.split("::").pop()}`).join(", ")}`);
    const [entry] = [...engine.state.values()];
    const result = { id: entry.id, secret: entry.outputs.signingSecret };
    const down = await engine.destroy({ env });
    if (down.errors.length > 0) throw new Error(`destroy failed: ${down.errors.join("; ")}`);
    console.log(`destroy: ${engine.state.size === 0 ? "state empty" : `${engine.state.size} left in state`}`);
    return result;
}

async function main() {
    const { JelouSandbox } = require("../dist/sandbox/server");
    const apiKey = crypto.randomBytes(16).toString("hex");
    const sandbox = await JelouSandbox.start({ apiKeys: [apiKey] });
    console.log(`local Jelou on ${sandbox.url}`);
    console.log("packing pulumi-jelou and installing it into a temporary project…");
    const consumerDir = createConsumer();
    const env = { JELOU_BASE_URL: sandbox.url, JELOU_API_KEY: apiKey, JELOU_PROJECT_ID: "demo-project" };
    let ok = false;
    try {
        const cli = pulumiOnPath();
        console.log(cli
            ? "ran: real `pulumi up --yes` / `pulumi destroy --yes` (pulumi CLI found, local file backend)"
            : "ran: the offline lifecycle harness (no pulumi CLI on PATH): examples/basic under the SDK's mocks, " +
              "its provider through the SDK's dynamic-provider host over gRPC");
        const result = cli ? withPulumiCli(consumerDir, env) : await withHarness(consumerDir, env);
        console.log(`integration id: ${result.id}`);
        console.log(`signing secret: ${mask(result.secret)}`);
        ok = Boolean(result.id) && typeof result.secret === "string" && sandbox.integrations().length === 0;
    } finally {
        console.log("local Jelou request log:");
        for (const r of sandbox.requests) console.log(`  ${r.method} ${r.path} -> ${r.status ?? "no answer"}`);
        await sandbox.stop();
        removeConsumer(consumerDir);
    }
    console.log(ok ? "demo: OK (deployed and torn down)" : "demo: FAILED");
    process.exitCode = ok ? 0 : 1;
}

main().catch((error) => {
    console.error(`demo: FAILED: ${error.message}`);
    process.exitCode = 1;
});
