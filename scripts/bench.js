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
const { RateLimitedGateway } = require("../harness/rate-limited-gateway");

const PROGRAM = "programs/integrations.js";
// The big-stack size; a smaller one (BENCH_BIG_COUNT=100) only to check the bench itself quickly.
const BIG = Number(process.env.BENCH_BIG_COUNT || 1000);
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
        JELOU_API_KEY: apiKey,
        JELOU_BASE_URL: sandbox.url,
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
    await measure("up, new webhookUrl with inPlaceUpdates (PATCH)", 2, () =>
        engine.run(PROGRAM, { env: spec("https://c.example/hook", "2", true) }),
    );
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

/** Internal, for this bench only: the provider host without its governor (see provider/governor.ts). */
const GOVERNOR_OFF = { JELOU_INTERNAL_NO_GOVERNOR: "1" };

let scaleRun = 0;

async function scale(consumerDir, provider, sandbox, apiKey, count, latencyMs, env = {}) {
    const run = ++scaleRun;
    sandbox.setLatency(latencyMs);
    const host = await ProviderHost.start(consumerDir, env);
    try {
        const start = process.hrtime.bigint();
        await Promise.all(
            Array.from({ length: count }, (_, i) =>
                host.create(`urn:scale-${i}`, props(provider, sandbox, apiKey, `scale-${run}-${count}-${i}`)),
            ),
        );
        return { count, wallMs: ms(start), idealMs: latencyMs, peakMb: peakRssMb(host.child.pid) };
    } finally {
        await host.stop();
        sandbox.setLatency(0);
    }
}

/** The lifecycle engine, noting the host's peak RSS before each host stops. */
class MeasuredEngine extends LifecycleEngine {
    /** When the program had declared its resources: the provider's steps start then. */
    async runProgram(...args) {
        const registrations = await super.runProgram(...args);
        this.stepsFrom = process.hrtime.bigint();
        return registrations;
    }

    async stopHost(host) {
        this.peakMb = Math.max(this.peakMb || 0, peakRssMb(host.child.pid));
        await super.stopHost(host);
    }
}

function bigSpec(prefix, count, env) {
    // Compact: the whole spec travels in one environment variable (at most 128 KiB on Linux).
    const integrations = Array.from({ length: count }, (_, i) => ({
        name: `${prefix}${i}`,
        args: { projectId: `${prefix}${i}`, webhookUrl: "https://b.example/h" },
    }));
    return { JELOU_TEST_SPEC: JSON.stringify({ integrations }), ...env };
}

/** `up` then `destroy` of `count` integrations per stack, each stack its own host, all behind one rate-limited gateway. */
async function bigStack(consumerDir, sandbox, apiKey, { count, rate, parallel, retryAfter, stacks = 1 }) {
    const gateway = await RateLimitedGateway.start({ upstream: sandbox.url, rate, retryAfter });
    const env = { JELOU_API_KEY: apiKey, JELOU_BASE_URL: gateway.url };
    const runs = Array.from({ length: stacks }, (_, s) => ({
        prefix: `big${parallel}${retryAfter ? "r" : "n"}${stacks}s${s}-`,
        engine: new MeasuredEngine(consumerDir, { parallel: parallel === "all" ? count : parallel }),
    }));
    const total = count * stacks;
    const ours = () => sandbox.integrations().filter((i) => runs.some((r) => i.brainId.startsWith(r.prefix)));
    try {
        sandbox.clearLog();
        let start = process.hrtime.bigint();
        const ups = await Promise.all(runs.map((r) => r.engine.run(PROGRAM, { env: bigSpec(r.prefix, count, env) })));
        const upMs = ms(start);
        // The steps: from the last program's registrations to the end (host start included, the program under mocks not).
        const stepsMs = ms(runs.map((r) => r.engine.stepsFrom).reduce((a, b) => (a > b ? a : b)));
        const upCounts = gateway.counts();
        const inState = new Set(runs.flatMap((r) => [...r.engine.state.values()].map((e) => e.id)));
        const held = ours();
        const failed = ups.reduce((sum, u) => sum + u.errors.length, 0);
        const created = runs.reduce((sum, r) => sum + [...r.engine.state.values()].filter((e) => !e.initErrors).length, 0);
        const orphans = held.filter((i) => !inState.has(i.id)).length;
        const notes = runs.reduce(
            (sum, r) => sum + r.engine.log.host.split("\n").filter((l) => l.includes("is limiting requests")).length,
            0,
        );
        gateway.reset();
        sandbox.clearLog();
        start = process.hrtime.bigint();
        const downs = await Promise.all(runs.map((r) => r.engine.destroy()));
        const downMs = ms(start);
        const downCounts = gateway.counts();
        return {
            parallel,
            retryAfter,
            stacks,
            total,
            rate,
            up: {
                created,
                failed,
                orphans,
                requests: upCounts.requests / total,
                refused: upCounts.refused,
                wallMs: stepsMs,
                totalMs: upMs,
                floorMs: (total / rate) * 1000,
                notes,
            },
            down: {
                deleted: held.length - ours().length,
                failed: downs.reduce((sum, d) => sum + d.errors.length, 0),
                requests: downCounts.requests / total,
                refused: downCounts.refused,
                wallMs: downMs,
                floorMs: ((2 * total) / rate) * 1000,
            },
            peakMb: Math.max(...runs.map((r) => r.engine.peakMb)),
        };
    } finally {
        await gateway.stop();
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
        // Governor on and off side by side, alternating, median of 3 each: what the governor costs without any limit.
        const scaled = [];
        for (const count of [1, 10, 100, 1000]) {
            const on = [];
            const off = [];
            for (let round = 0; round < 3; round++) {
                off.push(await scale(consumerDir, provider, sandbox, apiKey, count, 20, GOVERNOR_OFF));
                on.push(await scale(consumerDir, provider, sandbox, apiKey, count, 20));
            }
            const mid = (runs) => ({ wallMs: median(runs.map((r) => r.wallMs)), peakMb: median(runs.map((r) => r.peakMb)) });
            scaled.push({ count, idealMs: 20, on: mid(on), off: mid(off) });
        }
        const big = [];
        const only = process.env.BENCH_ONLY;
        if (only !== "scale") {
            for (const parallel of [16, "all"]) {
                for (const retryAfter of [true, false]) {
                    big.push(await bigStack(consumerDir, sandbox, apiKey, { count: BIG, rate: 25, parallel, retryAfter }));
                    console.error(`bench: ${JSON.stringify(big[big.length - 1])}`);
                }
            }
            for (const retryAfter of [true, false]) {
                big.push(await bigStack(consumerDir, sandbox, apiKey, { count: BIG / 2, rate: 25, parallel: 16, retryAfter, stacks: 2 }));
                console.error(`bench: ${JSON.stringify(big[big.length - 1])}`);
            }
        }
        const pct = (a, b) => `${(a / 1000).toFixed(1)} s (${(a / b).toFixed(2)} × floor)`;
        const who = (b) =>
            b.stacks > 1 ? `${b.stacks} hosts × ${b.total / b.stacks}, 16 each` : b.parallel === "all" ? "all at once" : `${b.parallel}`;

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
            "## Scale: creates at once through one host, local Jelou adding 20 ms per request, no rate limit",
            "",
            "The governor on (as shipped) and off (`JELOU_INTERNAL_NO_GOVERNOR=1`, an internal switch for this comparison only), " +
                "alternating in one run, median of 3 each.",
            "",
            "| integrations | wall time, governor on | wall time, governor off | ideal | host peak RSS on / off |",
            "|---:|---:|---:|---:|---:|",
            ...scaled.map(
                (s) =>
                    `| ${s.count} | ${s.on.wallMs.toFixed(0)} ms | ${s.off.wallMs.toFixed(0)} ms | ${s.idealMs} ms | ${s.on.peakMb.toFixed(0)} / ${s.off.peakMb.toFixed(0)} MiB |`,
            ),
            "",
            ...(big.length === 0
                ? []
                : [
                      `## Big stacks: ${big[0].total} integrations behind a gateway allowing ${big[0].rate} requests a second (429 beyond), no limit configured`,
                      "",
                      "Through the SDK's host with the lifecycle engine's parallel steps; the gateway refuses before Jelou sees the request. " +
                          "Wall time of an `up`: its steps, from the program's last registration (the harness runs the program under mocks first; " +
                          "`pulumi up` runs it alongside the steps); with the program, as measured whole. " +
                          "Floor: N/R for the creates, 2N/R for the destroy (the ownership GET and the DELETE). " +
                          "Bars: all created in the one `up`, no orphan, ≤ 1.2 requests per integration, ≤ 1.3 × floor; destroy ≤ 2.4 and ≤ 1.3 × floor.",
                      "",
                      "| step | parallel | Retry-After | done | failed | orphans | requests / integration | refused (429) | wall time | host peak RSS | throttling notes |",
                      "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
                      ...big.flatMap((b) => [
                          `| up | ${who(b)} | ${b.retryAfter ? "yes" : "no"} | ${b.up.created} | ${b.up.failed} | ${b.up.orphans} | ${b.up.requests.toFixed(3)} | ${b.up.refused} | ${pct(b.up.wallMs, b.up.floorMs)}; with the program ${(b.up.totalMs / 1000).toFixed(1)} s | ${b.peakMb.toFixed(0)} MiB | ${b.up.notes} |`,
                          `| destroy | ${who(b)} | ${b.retryAfter ? "yes" : "no"} | ${b.down.deleted} | ${b.down.failed} | | ${b.down.requests.toFixed(3)} | ${b.down.refused} | ${pct(b.down.wallMs, b.down.floorMs)} | | |`,
                      ]),
                      "",
                  ]),
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
