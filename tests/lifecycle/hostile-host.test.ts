// The create saga through the SDK's dynamic-provider host, behind the hostile gateway: a create
// whose secret could not be learned is recorded by the engine as partially created (the host's
// ErrorResourceInitFailed), and the next `up` sends it an Update with no diff, which finishes it.
import { API_KEY, calls, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";
import { HostileGateway } from "../support/hostile-gateway";

const { LifecycleEngine } = require("../../harness/engine");

const PROGRAM = "programs/integrations.js";
const URN = "urn:pulumi:test::jelou-test::pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration::support";

const sandbox = useSandbox();
let gateway: HostileGateway;
beforeAll(async () => {
    gateway = await HostileGateway.start(sandbox.url);
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.reset());

function stack(projectId: string) {
    const args = {
        projectId,
        webhookUrl: "https://support.example.com/jelou",
        authType: "bearer",
        authorization: WEBHOOK_TOKEN,
        retryBaseDelayMs: 1,
    };
    return {
        env: {
            JELOU_TEST_SPEC: JSON.stringify({ integrations: [{ name: "support", args }] }),
            JELOU_API_KEY: API_KEY,
            JELOU_BASE_URL: gateway.url,
        },
    };
}

it("a create whose secret was never learned is recorded as partially created, and the next up completes it", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `partial-${process.pid}`;
    const path = new RegExp(`^/v1/external-support/${project}(/secret/regenerate)?$`);
    // Applied, but answered without a secret; then every regenerate of the recovery answered the same way.
    gateway.when("POST", path, { kind: "drop-field", field: "signingSecret" }, 4);

    const first = await engine.run(PROGRAM, stack(project));
    expect(first.plan).toEqual([{ urn: URN, op: "failed" }]);
    expect(first.errors).toHaveLength(1);
    expect(first.errors[0]).toMatch(/may exist in Jelou.*partially created; run `pulumi up` again/);
    const held = sandbox.integration(project)!;
    const partial = engine.state.get(URN);
    expect(partial.id).toBe(held.id);
    expect(partial.initErrors).toHaveLength(1);
    // The declared inputs, so the next diff is not a replace; no secret, since none was learned.
    expect(partial.outputs).toMatchObject({
        projectId: project,
        webhookUrl: "https://support.example.com/jelou",
        authType: "bearer",
        createPending: true,
    });
    expect(partial.outputs.signingSecret).toBeUndefined();
    for (const line of [...first.errors, engine.log.host]) expect(line).not.toContain(held.signingSecret);
    sandbox.clearLog();

    const second = await engine.run(PROGRAM, stack(project));
    expect(second.errors).toEqual([]);
    expect(second.plan).toEqual([{ urn: URN, op: "update" }]);
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`, `POST /v1/external-support/${project}/secret/regenerate`]);
    const done = engine.state.get(URN);
    expect(done.id).toBe(held.id);
    expect(done.initErrors).toBeUndefined();
    expect(done.outputs.createPending).toBeUndefined();
    expect(done.outputs.signingSecret).toBe(sandbox.integration(project)!.signingSecret);
    expect(done.secrets).toContain("signingSecret");
    expect(sandbox.integrations().filter((i) => i.brainId === project)).toHaveLength(1);

    sandbox.clearLog();
    expect((await engine.run(PROGRAM, stack(project))).plan).toEqual([{ urn: URN, op: "same" }]);
    expect(sandbox.requests).toHaveLength(0);
    await engine.destroy({ env: stack(project).env });
    expect(sandbox.integration(project)).toBeUndefined();
});

it("a partially created resource can be refreshed and destroyed before any other up: the record keeps __provider", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `partial-destroy-${process.pid}`;
    gateway.when(
        "POST",
        new RegExp(`^/v1/external-support/${project}(/secret/regenerate)?$`),
        { kind: "drop-field", field: "signingSecret" },
        4,
    );
    const first = await engine.run(PROGRAM, stack(project));
    expect(first.plan).toEqual([{ urn: URN, op: "failed" }]);
    // The engine records exactly the error's properties; read and delete find the provider there.
    expect(engine.state.get(URN).outputs.__provider).toMatch(/require\("pulumi-jelou\/dynamic-provider"\)/);
    await engine.refresh({ env: stack(project).env });
    expect(engine.state.get(URN).outputs.createPending).toBe(true);
    sandbox.clearLog();
    await engine.destroy({ env: stack(project).env });
    expect(engine.state.size).toBe(0);
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`, `DELETE /v1/external-support/${project}`]);
    expect(sandbox.integration(project)).toBeUndefined();
});

it("a create the gateway answered 503 after it landed, retried into a 409, is ours: one integration, its secret in state", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `landed-${process.pid}`;
    gateway.when("POST", new RegExp(`^/v1/external-support/${project}$`), { kind: "replace", status: 503, retryAfter: "0" });

    const { plan, errors } = await engine.run(PROGRAM, stack(project));
    expect(errors).toEqual([]);
    expect(plan).toEqual([{ urn: URN, op: "create" }]);
    expect(calls(sandbox)).toEqual([
        `POST /v1/external-support/${project}`,
        `POST /v1/external-support/${project}`,
        `GET /v1/external-support/${project}`,
        `POST /v1/external-support/${project}/secret/regenerate`,
    ]);
    const held = sandbox.integration(project)!;
    // Jelou's GET envelope does not say the id, and no answer that did was usable: the stand-in id,
    // with Jelou's createdAt, which later ownership checks compare.
    expect(engine.state.get(URN)).toMatchObject({
        id: `project/${project}`,
        outputs: { signingSecret: held.signingSecret, createdAt: held.createdAt },
    });
    await engine.destroy({ env: stack(project).env });
    expect(sandbox.integration(project)).toBeUndefined();
});

it("two resources of one program for the same project: one is created, the other refused before any call, naming the project", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `twice-${process.pid}`;
    const args = {
        projectId: project,
        webhookUrl: "https://support.example.com/jelou",
        authType: "bearer",
        authorization: WEBHOOK_TOKEN,
        retryBaseDelayMs: 1,
    };
    const env = {
        JELOU_TEST_SPEC: JSON.stringify({
            integrations: [
                { name: "first", args },
                { name: "second", args },
            ],
        }),
        JELOU_API_KEY: API_KEY,
        JELOU_BASE_URL: gateway.url,
    };
    // Whichever create comes second would meet 429, then 409, then an integration created seconds ago with its webhook.
    gateway.when("POST", new RegExp(`^/v1/external-support/${project}$`), { kind: "replace", status: 429, retryAfter: "0", body: "{}" });
    gateway.when("POST", new RegExp(`^/v1/external-support/${project}$`), { kind: "honest" });
    const { plan, errors } = await engine.run(PROGRAM, { env });
    expect(plan.map((p: { op: string }) => p.op).sort()).toEqual(["create", "failed"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`Project ${project} is declared by two resources of this program`);
    const held = sandbox.integration(project)!;
    const created = [...engine.state.values()].filter(
        (entry: { outputs: Record<string, unknown> }) => entry.outputs.signingSecret !== undefined,
    );
    expect(created).toHaveLength(1);
    expect(created[0].outputs.signingSecret).toBe(held.signingSecret);
    // The first resource's 429 and its retry (then its GET and regenerate); not one request from the second.
    expect(gateway.requests.map((r) => `${r.method} ${r.path.replace(project, "P")}`)).toEqual([
        "POST /v1/external-support/P",
        "POST /v1/external-support/P",
        "GET /v1/external-support/P",
        "POST /v1/external-support/P/secret/regenerate",
    ]);
    await engine.destroy({ env });
    expect(sandbox.integration(project)).toBeUndefined();
});
