// Fault soak through the SDK's dynamic-provider host: the local Jelou fails 30 % of requests
// (seeded), and a hostile gateway in front of it answers another 15 % badly after applying them
// (no secret, an empty one, no id, text, HTML, 204, a reset or a cut body, a 503 over a landed
// create), while 50 integrations are created, half replaced, a quarter rotated and all destroyed.
// Like a user in a pipeline, a run that reports errors is run again; at the end the state and the
// local Jelou must agree exactly, secrets included, and nothing may be left behind.
import { Fault } from "../../provider/sandbox/server";
import { API_KEY, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";
import { HostileGateway, Misbehaviour } from "../support/hostile-gateway";

const { LifecycleEngine } = require("../../harness/engine");

const PROGRAM = "programs/integrations.js";
const COUNT = 50;
const FAULTS: Fault[] = [
    { kind: "status", status: 500 },
    { kind: "status", status: 502 },
    { kind: "status", status: 503 },
    { kind: "status", status: 429, retryAfter: "1" },
    { kind: "drop" },
    { kind: "hang" },
    { kind: "status-after", status: 500 },
    { kind: "drop-after" },
];
const BAD_ANSWERS: Misbehaviour[] = [
    { kind: "drop-field", field: "signingSecret" },
    { kind: "set-field", field: "signingSecret", value: "  " },
    { kind: "drop-field", field: "id" },
    { kind: "replace", status: 200, contentType: "text/plain", body: "OK" },
    { kind: "replace", status: 200, contentType: "text/html", body: "<html><body>OK</body></html>" },
    { kind: "replace", status: 204 },
    { kind: "replace", status: 503, retryAfter: "0" },
    { kind: "reset-after-headers" },
    { kind: "truncate" },
];
/** What a clear error looks like: the call, and what to do about it. */
const CLEAR_ERROR =
    /Jelou API (GET|POST|PATCH|DELETE) (http:\/\/127\.0\.0\.1:\d+)?\/v1\/external-support\/soak-\d+(?!\d).*(may be retried|pulumi up|adoptExisting)/s;

const sandbox = useSandbox();
let gateway: HostileGateway;
beforeAll(async () => {
    gateway = await HostileGateway.start(sandbox.url);
});
afterAll(() => gateway.stop());

function stack(version: { replaced: boolean; rotated: boolean }) {
    const integrations = Array.from({ length: COUNT }, (_, i) => ({
        name: `soak-${i}`,
        args: {
            projectId: `soak-${i}`,
            webhookUrl: version.replaced && i % 2 === 0 ? "https://support.example.com/v2" : "https://support.example.com/v1",
            authType: "bearer",
            authorization: WEBHOOK_TOKEN,
            rotationTriggers: { round: version.rotated && i % 4 === 1 ? "2" : "1" },
            maxAttempts: 6,
            requestTimeoutMs: 300,
            retryBaseDelayMs: 5,
        },
    }));
    return { JELOU_TEST_SPEC: JSON.stringify({ integrations }), JELOU_API_KEY: API_KEY, JELOU_BASE_URL: gateway.url };
}

it("loses no secret and leaves no orphan under 30 % faults", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR, { parallel: 20 });
    sandbox.setRandomFaults({ rate: 0.3, seed: 20261124, faults: FAULTS });
    gateway.setRandom({ rate: 0.15, seed: 20261202, pool: BAD_ANSWERS });
    const errors: string[] = [];
    let operations = 0;
    let standIns = 0;
    const converge = async (env: Record<string, string>) => {
        for (let run = 1; run <= 4; run++) {
            const result = await engine.run(PROGRAM, { env });
            operations += result.plan.filter((p: { op: string }) => p.op !== "same").length;
            errors.push(...result.errors);
            if (result.errors.length === 0) return;
        }
        throw new Error(`did not converge: ${errors.slice(-3).join(" | ")}`);
    };
    const agree = () => {
        expect(engine.state.size).toBe(COUNT);
        for (const entry of engine.state.values()) {
            const held = sandbox.integration(entry.outputs.projectId);
            expect(held).toBeDefined();
            // Jelou's id, or the stand-in when no usable answer said it; either way Jelou's createdAt.
            if (entry.id === `project/${held!.brainId}`) standIns += 1;
            else expect(entry.id).toBe(held!.id);
            expect({ createdAt: entry.outputs.createdAt, secret: entry.outputs.signingSecret, webhook: entry.outputs.webhookUrl }).toEqual({
                createdAt: held!.createdAt,
                secret: held!.signingSecret,
                webhook: held!.webhookUrl,
            });
        }
    };

    await converge(stack({ replaced: false, rotated: false }));
    agree();
    const created = new Map([...engine.state.values()].map((e) => [e.outputs.projectId, e.outputs.signingSecret]));

    await converge(stack({ replaced: true, rotated: true }));
    agree();
    for (const entry of engine.state.values()) {
        const i = Number(entry.outputs.projectId.split("-")[1]);
        const changed = i % 2 === 0 || i % 4 === 1;
        expect(entry.outputs.signingSecret !== created.get(entry.outputs.projectId)).toBe(changed);
    }

    operations += engine.state.size;
    for (let run = 1; run <= 4 && engine.state.size > 0; run++) {
        const { errors: destroyErrors } = await engine.destroy();
        errors.push(...destroyErrors);
    }
    expect(engine.state.size).toBe(0);
    expect(sandbox.integrations().filter((i) => i.brainId.startsWith("soak-"))).toEqual([]);

    for (const error of errors) expect(error).toMatch(CLEAR_ERROR);
    const faults = sandbox.requests.filter((r) => r.fault).length;
    const count = (pattern: RegExp) => (engine.log.host.match(pattern) ?? []).length;
    const figures = {
        operations,
        requests: sandbox.requests.length,
        faults,
        badAnswers: gateway.requests.filter((r) => r.misbehaviour !== "honest").length,
        standInIds: standIns,
        retries: count(/pulumi-jelou: retrying/g),
        recoveredCreates: count(/has our integration \(same [^)]*\); regenerating its secret/g),
        createsSentAgain: count(/has no integration; sending the create again/g),
        errorsThenRetriedByRerun: errors.length,
    };
    console.log(
        `fault soak: ${JSON.stringify(figures)}${errors.length ? `\nerrors, each fixed by the next run:\n${errors.join("\n")}` : ""}`,
    );
    expect(faults).toBeGreaterThan(0.2 * sandbox.requests.length);
    expect(figures.retries).toBeGreaterThan(0);
    expect(figures.recoveredCreates).toBeGreaterThan(0);
    expect(figures.badAnswers).toBeGreaterThan(0.1 * gateway.requests.length);
    sandbox.setRandomFaults(undefined);
    gateway.setRandom(undefined);
}, 300_000); // each random 429 with Retry-After pauses every operation of the host (the governor)
