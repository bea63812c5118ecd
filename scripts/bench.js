#!/usr/bin/env node
// `npm run bench`: measures the provider through the SDK's dynamic-provider host against the local
// Jelou, prints a table and writes it to BENCHMARKS.md. Figures are printed, never asserted.
"use strict";
const axios = require("axios");
const crypto = require("crypto");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { createConsumer, removeConsumer } = require("../harness/consumer");
const { LifecycleEngine, ProviderHost } = require("../harness/engine");

const PROGRAM = "programs/integrations.js";
const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6;

async function lifecycleCalls(consumerDir, sandbox, apiKey) {
    const engine = new LifecycleEngine(consumerDir);
    const spec = (webhookUrl, round = "1", inPlaceUpdates = false) => ({
        JELOU_TEST_SPEC: JSON.stringify({
            integrations: [{ name: "bench", args: { projectId: "bench-life", webhookUrl, rotationTriggers: { round }, inPlaceUpdates } }],
        }),
        JELOU_API_KEY: apiKey, JELOU_BASE_URL: sandbox.url,
    });
    const rows = [];
    const measure = async (step, minimum, action) => {
        sandbox.clearLog();
        await action();
        rows.push({ step, calls: sandbox.requests.length, minimum });
    };
    let registrations;
    await measure("preview (new stack)", 0, () => engine.run(PROGRAM, { preview: true, env: spec("https://a.example/hook") }));
    await measure("up (create)", 1, async () => ({ registrations } = await engine.run(PROGRAM, { env: spec("https://a.example/hook") })));
    await measure("up, nothing changed", 0, () => engine.run(PROGRAM, { env: spec("https://a.example/hook") }));
    await measure("refresh", 0, () => engine.refresh({ env: spec("https://a.example/hook") }));
    await measure("up, new webhookUrl (replace)", 3, () => engine.run(PROGRAM, { env: spec("https://b.example/hook") }));
    await measure("up, new rotationTriggers (rotation)", 2, () => engine.run(PROGRAM, { env: spec("https://b.example/hook", "2") }));
    await measure("up, inPlaceUpdates turned on", 0, () => engine.run(PROGRAM, { env: spec("https://b.example/hook", "2", true) }));
    await measure("up, new webhookUrl with inPlaceUpdates (PATCH)", 2, () => engine.run(PROGRAM, { env: spec("https://c.example/hook", "2", true) }));
    await measure("destroy", 2, () => engine.destroy({ env: spec("https://c.example/hook", "2", true) }));
    return { rows, provider: registrations[0].inputs.__provider };
}

function props(provider, sandbox, apiKey, projectId) {
    return { __provider: provider, projectId, webhookUrl: "https://bench.example/hook", authType: "no_auth", apiKey, baseUrl: sandbox.url };
}

async function coldStarts(consumerDir, provider, sandbox, apiKey, runs) {
    const times = [];
    for (let i = 0; i < runs; i++) {
        const start = process.hrtime.bigint();
        const host = await ProviderHost.start(consumerDir);
        await host.create("urn:bench", props(provider, sandbox, apiKey, `cold-${i}`));
        times.push(ms(start));
        await host.stop();
    }
    return median(times);
}

async function overhead(consumerDir, provider, sandbox, apiKey, runs) {
    const host = await ProviderHost.start(consumerDir);
    const bare = axios.create({ baseURL: `${sandbox.url}/v1/external-support`, headers: { "x-api-key": apiKey } });
    const ratios = [];
    const viaHost = [];
    const direct = [];
    try {
        await host.create("urn:warm", props(provider, sandbox, apiKey, "warm"));
        for (let i = 0; i < runs; i++) {
            let start = process.hrtime.bigint();
            await host.create("urn:bench", props(provider, sandbox, apiKey, `host-${i}`));
            const hostMs = ms(start);
            start = process.hrtime.bigint();
            await bare.post(`/bare-${i}`, { webhookUrl: "https://bench.example/hook", authType: "no_auth" });
            const bareMs = ms(start);
            viaHost.push(hostMs);
            direct.push(bareMs);
            ratios.push(hostMs / bareMs);
        }
    } finally {
        await host.stop();
    }
    return { ratio: median(ratios), host: median(viaHost), bare: median(direct) };
}

function peakRssMb(pid) {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
}

async function scale(consumerDir, provider, sandbox, apiKey, count, latencyMs) {
    sandbox.setLatency(latencyMs);
    const host = await ProviderHost.start(consumerDir);
    try {
        const start = process.hrtime.bigint();
        await Promise.all(Array.from({ length: count }, (_, i) =>
            host.create(`urn:scale-${i}`, props(provider, sandbox, apiKey, `scale-${count}-${i}`))));
        return { count, wallMs: ms(start), idealMs: latencyMs, peakMb: peakRssMb(host.child.pid) };
    } finally {
        await host.stop();
        sandbox.setLatency(0);
    }
}

async function main() {
    const { JelouSandbox } = require("../dist/sandbox/server");
    const apiKey = crypto.randomBytes(16).toString("hex");
    const sandbox = await JelouSandbox.start({ apiKeys: [apiKey] });
    const consumerDir = createConsumer();
    try {
        const { rows, provider } = await lifecycleCalls(consumerDir, sandbox, apiKey);
        const cold = await coldStarts(consumerDir, provider, sandbox, apiKey, 10);
        const cost = await overhead(consumerDir, provider, sandbox, apiKey, 200);
        const scaled = [];
        for (const count of [1, 10, 100]) scaled.push(await scale(consumerDir, provider, sandbox, apiKey, count, 20));

        const lines = [
            "# Benchmarks",
            "",
            `Measured ${new Date().toISOString()} by \`npm run bench\` on ${os.cpus().length} × ${os.cpus()[0].model.trim()}, ` +
                `${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ` +
                `@pulumi/pulumi ${require(require.resolve("@pulumi/pulumi/package.json", { paths: [consumerDir] })).version}. ` +
                "The package is installed from its tarball; every call goes through the SDK's dynamic-provider host over gRPC to the local Jelou on 127.0.0.1.",
            "",
            "## API calls per lifecycle step",
            "",
            "| step | calls | minimum |",
            "|---|---:|---:|",
            ...rows.map((r) => `| ${r.step} | ${r.calls} | ${r.minimum} |`),
            "",
            "Destroy, replace, rotation and an in-place update each cost one `GET` more than the bare minimum of calls: " +
                "before a `DELETE`, a regenerate or a `PATCH` the provider asks Jelou whether the project's integration is still the one in the state, " +
                "so that it never deletes, or changes the webhook or the secret of, an integration someone else created.",
            "",
            "## Costs",
            "",
            "| measure | value |",
            "|---|---:|",
            `| \`__provider\` bytes per resource (tarball install) | ${Buffer.byteLength(provider)} |`,
            `| host cold start: spawn to first Create answered, median of 10 | ${cold.toFixed(0)} ms |`,
            `| Create through the host vs bare axios POST, median ratio of 200 | ${cost.ratio.toFixed(2)}× (${cost.host.toFixed(2)} ms vs ${cost.bare.toFixed(2)} ms) |`,
            "",
            "## Scale: creates at once through one host, local Jelou adding 20 ms per request",
            "",
            "| integrations | wall time | ideal | host peak RSS |",
            "|---:|---:|---:|---:|",
            ...scaled.map((s) => `| ${s.count} | ${s.wallMs.toFixed(0)} ms | ${s.idealMs} ms | ${s.peakMb.toFixed(0)} MiB |`),
            "",
        ];
        const table = lines.join("\n");
        console.log(table);
        fs.writeFileSync(path.join(__dirname, "..", "BENCHMARKS.md"), table);
    } finally {
        await sandbox.stop();
        removeConsumer(consumerDir);
    }
}

main().catch((error) => {
    console.error(`bench: FAILED: ${error.stack || error.message}`);
    process.exitCode = 1;
});
