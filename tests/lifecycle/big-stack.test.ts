// Big stacks through the SDK's dynamic-provider host: N integrations in one `up`, and their
// destroy, behind a gateway that lets R requests a second through and answers 429 beyond (with and
// without Retry-After), at the engine's default parallelism and with every step at once. No limit is
// configured: the host's governor learns it. Invariants: every integration created in that one `up`,
// no orphan, a bounded number of requests; the person at the terminal is told, not once per request.
// (R = 25: at 16 in parallel the harness, on a slow machine, may not reach 50 a second.)
// Wall time is measured by `npm run bench`, never asserted here.
import { API_KEY, useSandbox } from "../support/fixtures";

const { LifecycleEngine } = require("../../harness/engine");

const { RateLimitedGateway } = require("../../harness/rate-limited-gateway");

const PROGRAM = "programs/integrations.js";
const N = 200;
const RATE = 25;

const sandbox = useSandbox();
let gateway: { url: string; reset(o?: object): void; counts(): { requests: number; refused: number }; stop(): Promise<void> };
beforeAll(async () => {
    gateway = await RateLimitedGateway.start({ upstream: sandbox.url, rate: RATE });
});
afterAll(() => gateway.stop());

function stack(prefix: string, env: Record<string, string> = {}) {
    const integrations = Array.from({ length: N }, (_, i) => ({
        name: `${prefix}-${i}`,
        args: { projectId: `${prefix}-${i}`, webhookUrl: "https://support.example.com/jelou", authType: "no_auth" },
    }));
    return { JELOU_TEST_SPEC: JSON.stringify({ integrations }), JELOU_API_KEY: API_KEY, JELOU_BASE_URL: gateway.url, ...env };
}

const ours = (prefix: string) => sandbox.integrations().filter((i) => i.brainId.startsWith(`${prefix}-`));

describe.each([
    ["16 (the default)", 16, true],
    ["16 (the default)", 16, false],
    ["all at once", N, true],
    ["all at once", N, false],
])("%s steps in parallel, Retry-After %s", (_name, parallel, retryAfter) => {
    it(`creates all ${N} in one up and destroys them all, within the request bounds`, async () => {
        const prefix = `big-${parallel}-${retryAfter ? "ra" : "plain"}`;
        const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR, { parallel });
        gateway.reset({ retryAfter });

        const started = Date.now();
        const up = await engine.run(PROGRAM, { env: stack(prefix) });
        const seconds = (Date.now() - started) / 1000;
        expect(up.errors).toEqual([]);
        expect(engine.state.size).toBe(N);
        const created = ours(prefix);
        expect(created).toHaveLength(N);
        // No orphan and no stale secret: each integration Jelou holds is the one in the state, with its secret.
        for (const integration of created) {
            const entry = engine.state.get(
                `urn:pulumi:test::jelou-test::pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration::${integration.brainId}`,
            );
            expect(entry).toMatchObject({ id: integration.id, outputs: { signingSecret: integration.signingSecret } });
            expect(entry.initErrors).toBeUndefined();
        }
        const createCounts = gateway.counts();
        expect(createCounts.refused).toBeGreaterThan(0);
        expect(createCounts.requests).toBeLessThanOrEqual(1.2 * N);
        // Told about the throttling through the host's diagnostics, never one line per request.
        const notes = (engine.log.host as string).split("\n").filter((line) => line.includes("is limiting requests"));
        expect(notes.length).toBeGreaterThanOrEqual(1);
        expect(notes.length).toBeLessThanOrEqual(1 + Math.floor(seconds / 10));
        expect(notes[0]).toMatch(
            /Jelou \(127\.0\.0\.1:\d+\) is limiting requests .*: \d+ operations waiting, sending about [\d.]+ requests\/s/,
        );
        expect(engine.log.host).not.toMatch(/retrying .* after 429/);

        gateway.reset({ retryAfter });
        const destroyed = await engine.destroy();
        expect(destroyed.errors).toEqual([]);
        expect(engine.state.size).toBe(0);
        expect(ours(prefix)).toHaveLength(0);
        expect(gateway.counts().requests).toBeLessThanOrEqual(2.4 * N);
    }, 300_000);
});

it("with a known limit (JELOU_MAX_REQUESTS_PER_SECOND) under the gateway's, nothing is refused", async () => {
    const prefix = "big-known";
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR, { parallel: N });
    gateway.reset({ retryAfter: true });
    const up = await engine.run(PROGRAM, { env: stack(prefix, { JELOU_MAX_REQUESTS_PER_SECOND: String(RATE - 5) }) });
    expect(up.errors).toEqual([]);
    expect(ours(prefix)).toHaveLength(N);
    expect(gateway.counts()).toMatchObject({ requests: N, refused: 0 });
    gateway.reset();
    expect((await engine.destroy()).errors).toEqual([]);
    expect(ours(prefix)).toHaveLength(0);
}, 300_000);
