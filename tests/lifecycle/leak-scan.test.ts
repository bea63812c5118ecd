// A full lifecycle with marker credentials, errors and retries included; everything a user or a log
// could see is collected and searched for the markers and for every signing secret Jelou issued.
import { API_KEY, CLIENT_ID, CLIENT_SECRET, OTHER_API_KEY, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";

const { LifecycleEngine } = require("../../harness/engine");

const PROGRAM = "programs/integrations.js";
const WRONG_KEY = "marker-wrongkey-4b5c6d7e";
/** In the pipeline's environment, and never used: stack config comes first. */
const ENV_KEY = "marker-envkey-8c9d0e1f";

const sandbox = useSandbox();

it("no credential or signing secret appears in logs, errors, __provider or the non-secret state", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const seen: string[] = [];
    const secrets = new Set<string>();
    // Credentials from stack config or the environment, in no resource's inputs or outputs, even as secrets.
    const fromStack = [API_KEY, OTHER_API_KEY, ENV_KEY];
    const stateHolding: string[] = [];
    const snapshot = (result?: { registrations: Array<{ inputs: Record<string, unknown> }> }) => {
        seen.push(JSON.stringify(engine.checkpoint()));
        for (const [urn, entry] of engine.state) {
            const raw = JSON.stringify([entry.inputs, entry.outputs]);
            for (const key of fromStack) if (raw.includes(key)) stateHolding.push(`${urn} holds a credential from the stack`);
        }
        for (const r of result?.registrations ?? []) {
            const raw = JSON.stringify(r.inputs);
            for (const key of fromStack)
                if (raw.includes(key)) stateHolding.push(`${r.inputs.projectId}'s registration holds a credential from the stack`);
        }
        for (const r of result?.registrations ?? []) seen.push(String(r.inputs.__provider));
        for (const i of sandbox.integrations()) secrets.add(i.signingSecret);
    };
    const pid = process.pid;
    const conflicted = `leak-${pid}-taken`;
    sandbox.seed(conflicted, { webhookUrl: "https://someone-else.example.com", authType: "no_auth" });
    const stack = (webhook: string, extra: object[] = []) => ({
        JELOU_TEST_SPEC: JSON.stringify({
            integrations: [
                {
                    name: "a",
                    args: {
                        projectId: `leak-${pid}-a`,
                        webhookUrl: webhook,
                        authType: "bearer",
                        authorization: WEBHOOK_TOKEN,
                        retryBaseDelayMs: 1,
                        requestTimeoutMs: 500,
                    },
                },
                {
                    name: "b",
                    args: {
                        projectId: `leak-${pid}-b`,
                        webhookUrl: webhook,
                        authType: "basic",
                        authorization: WEBHOOK_TOKEN,
                        clientId: CLIENT_ID,
                        clientSecret: CLIENT_SECRET,
                        retryBaseDelayMs: 1,
                    },
                },
                ...extra,
            ],
        }),
        JELOU_BASE_URL: sandbox.url,
        JELOU_API_KEY: ENV_KEY,
        PULUMI_CONFIG: JSON.stringify({ "jelou:apiKey": API_KEY }),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(["jelou:apiKey"]),
    });
    const failing = [
        { name: "wrong-key", args: { projectId: `leak-${pid}-c`, webhookUrl: "https://x.example.com", apiKey: WRONG_KEY } },
        { name: "taken", args: { projectId: conflicted, webhookUrl: "https://x.example.com", retryBaseDelayMs: 1 } },
    ];

    snapshot(await engine.run(PROGRAM, { preview: true, env: stack("https://one.example.com") }));
    // The four creates lose their answers (and are recovered), then the first recovery call is refused once.
    sandbox.injectFaults({ kind: "drop-after" }, 4);
    sandbox.injectFaults({ kind: "status", status: 503, retryAfter: "0" });
    const up = await engine.run(PROGRAM, { env: stack("https://one.example.com", failing) });
    snapshot(up);
    expect(up.errors.join("\n")).toMatch(/wrong-key.*401/);
    expect(up.errors.join("\n")).toMatch(/taken.*adoptExisting/);
    snapshot(await engine.run(PROGRAM, { env: stack("https://one.example.com") }));
    await engine.refresh();
    snapshot();
    // The replace's ownership GET fails once and is retried: a throttled retry (the 503 above) is the governor's
    // to report, so a plain one makes sure the retry lines are in the scan.
    sandbox.injectFaults({ kind: "status", status: 500 });
    snapshot(await engine.run(PROGRAM, { env: stack("https://two.example.com") }));
    snapshot(
        await engine.run(PROGRAM, {
            env: { ...stack("https://two.example.com"), PULUMI_CONFIG: JSON.stringify({ "jelou:apiKey": OTHER_API_KEY }) },
        }),
    );
    await engine.destroy();
    snapshot();

    expect(stateHolding).toEqual([]);
    const everything = [...seen, engine.log.program, engine.log.host, ...engine.log.errors].join("\n");
    // The scan covered what it claims to: errors, retries and serialized providers are in it.
    expect(everything).toContain("Jelou refused the credentials");
    expect(everything).toContain("pulumi-jelou: retrying");
    expect(everything).toContain("regenerating its secret");
    expect(everything).toContain('require("pulumi-jelou/dynamic-provider")');
    expect(secrets.size).toBeGreaterThanOrEqual(4);

    const markers = [
        API_KEY,
        OTHER_API_KEY,
        ENV_KEY,
        CLIENT_SECRET,
        WEBHOOK_TOKEN,
        WRONG_KEY,
        Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64"),
        ...secrets,
    ];
    const leaks = markers.filter((marker) => everything.includes(marker));
    expect(leaks).toEqual([]);
}, 180_000); // a whole lifecycle with faults: minutes when the machine is loaded
