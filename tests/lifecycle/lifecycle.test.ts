// What `pulumi preview` / `up` / `refresh` / `destroy` do, played through the SDK's dynamic-provider
// host with the package installed from its tarball (see harness/). Each step asserts the local
// Jelou's request log and the state.
import { API_KEY, calls, OTHER_API_KEY, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";

const { LifecycleEngine } = require("../../harness/engine");

const PROGRAM = "programs/integrations.js";
const consumerDir = process.env.JELOU_CONSUMER_DIR as string;

const sandbox = useSandbox();

interface Declared {
    name: string;
    args: Record<string, unknown>;
    webhookFrom?: string;
}

function env(integrations: Declared[], extra: Record<string, string> = {}) {
    return {
        JELOU_TEST_SPEC: JSON.stringify({ integrations }),
        JELOU_API_KEY: API_KEY,
        JELOU_BASE_URL: sandbox.url,
        ...extra,
    };
}

function integration(projectId: string, args: Record<string, unknown> = {}, name = "support"): Declared {
    return {
        name,
        args: {
            projectId,
            webhookUrl: "https://support.example.com/jelou",
            authType: "bearer",
            authorization: WEBHOOK_TOKEN,
            retryBaseDelayMs: 1,
            ...args,
        },
    };
}

const urnOf = (name: string) => `urn:pulumi:test::jelou-test::pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration::${name}`;

describe("lifecycle of one stack", () => {
    const engine = new LifecycleEngine(consumerDir);
    const project = `life-${process.pid}`;
    const second = `life-${process.pid}-b`;
    let declared = [integration(project)];

    it("1. preview of a new stack calls nothing and plans a create", async () => {
        const { plan, errors } = await engine.run(PROGRAM, { preview: true, env: env(declared) });
        expect(errors).toEqual([]);
        expect(plan).toEqual([{ urn: urnOf("support"), op: "create" }]);
        expect(sandbox.requests).toHaveLength(0);
        expect(engine.state.size).toBe(0);
    });

    it("2. up creates with one POST and keeps the secrets secret", async () => {
        const { plan, errors, registrations } = await engine.run(PROGRAM, { env: env(declared) });
        expect(errors).toEqual([]);
        expect(plan).toEqual([{ urn: urnOf("support"), op: "create" }]);
        expect(calls(sandbox)).toEqual([`POST /v1/external-support/${project}`]);

        const entry = engine.state.get(urnOf("support"));
        const stored = sandbox.integration(project)!;
        expect(entry.id).toBe(stored.id);
        expect(entry.outputs).toMatchObject({
            projectId: project,
            brainId: project,
            webhookUrl: "https://support.example.com/jelou",
            authType: "bearer",
            authorization: WEBHOOK_TOKEN,
            createdAt: stored.createdAt,
            signingSecret: stored.signingSecret,
            schemaVersion: 2,
        });
        // The key and the address came from the environment: read when each operation runs, never kept in state.
        expect(entry.outputs).not.toHaveProperty("apiKey");
        expect(entry.outputs).not.toHaveProperty("baseUrl");
        expect(entry.inputs).not.toHaveProperty("apiKey");
        expect(entry.secrets).toEqual(expect.arrayContaining(["signingSecret", "authorization", "apiKey", "clientSecret"]));
        const checkpoint = JSON.stringify(engine.checkpoint());
        for (const secret of [stored.signingSecret, API_KEY, WEBHOOK_TOKEN]) expect(checkpoint).not.toContain(secret);

        const provider = registrations[0].inputs.__provider as string;
        expect(provider).toContain('require("pulumi-jelou/dynamic-provider")');
        expect(Buffer.byteLength(provider)).toBeLessThanOrEqual(512);
        for (const secret of [API_KEY, WEBHOOK_TOKEN]) expect(provider).not.toContain(secret);
    });

    it("3. up again with nothing changed calls nothing", async () => {
        const before = JSON.stringify([...engine.state]);
        const { plan } = await engine.run(PROGRAM, { env: env(declared) });
        expect(plan).toEqual([{ urn: urnOf("support"), op: "same" }]);
        expect(sandbox.requests).toHaveLength(0);
        expect(JSON.stringify([...engine.state])).toBe(before);
    });

    it("4. refresh calls nothing and leaves the state as it was", async () => {
        const before = JSON.stringify([...engine.state]);
        expect(await engine.refresh({ env: env(declared) })).toEqual([]);
        expect(sandbox.requests).toHaveLength(0);
        expect(JSON.stringify([...engine.state])).toBe(before);
    });

    it("5. a new webhookUrl deletes, then creates, and stores the new secret", async () => {
        const oldSecret = engine.state.get(urnOf("support")).outputs.signingSecret;
        declared = [integration(project, { webhookUrl: "https://support.example.com/v2" })];
        const { plan } = await engine.run(PROGRAM, { env: env(declared) });
        expect(plan).toEqual([{ urn: urnOf("support"), op: "replace", replaces: ["webhookUrl"], deleteBeforeReplace: true }]);
        // The GET shows that the project's integration is still ours before it is deleted.
        expect(calls(sandbox)).toEqual([
            `GET /v1/external-support/${project}`,
            `DELETE /v1/external-support/${project}`,
            `POST /v1/external-support/${project}`,
        ]);
        const outputs = engine.state.get(urnOf("support")).outputs;
        expect(outputs.webhookUrl).toBe("https://support.example.com/v2");
        expect(outputs.signingSecret).not.toBe(oldSecret);
        expect(outputs.signingSecret).toBe(sandbox.integration(project)!.signingSecret);
    });

    it("6. a new authType and authorization replace the same way", async () => {
        declared = [
            integration(project, {
                webhookUrl: "https://support.example.com/v2",
                authType: "api_key",
                authorization: "marker-newtoken-8e7d",
            }),
        ];
        const { plan } = await engine.run(PROGRAM, { env: env(declared) });
        expect(plan[0]).toMatchObject({ op: "replace", replaces: ["authType", "authorization"] });
        // The GET shows that the project's integration is still ours before it is deleted.
        expect(calls(sandbox)).toEqual([
            `GET /v1/external-support/${project}`,
            `DELETE /v1/external-support/${project}`,
            `POST /v1/external-support/${project}`,
        ]);
        expect(sandbox.integration(project)).toMatchObject({ authType: "api_key", authorization: "marker-newtoken-8e7d" });
        expect(engine.state.get(urnOf("support")).outputs.signingSecret).toBe(sandbox.integration(project)!.signingSecret);
    });

    it("7. a new API key in the environment changes nothing in the state: same, no call", async () => {
        const before = engine.state.get(urnOf("support")).outputs;
        const { plan } = await engine.run(PROGRAM, { env: env(declared, { JELOU_API_KEY: OTHER_API_KEY }) });
        expect(plan).toEqual([{ urn: urnOf("support"), op: "same" }]);
        expect(sandbox.requests).toHaveLength(0);
        expect(engine.state.get(urnOf("support")).outputs).toEqual(before);
    });

    it("9. two integrations for two projects with different API keys", async () => {
        declared = [
            integration(project, { ...declared[0].args, apiKey: OTHER_API_KEY }),
            integration(second, { apiKey: API_KEY }, "support-b"),
        ];
        const { plan } = await engine.run(PROGRAM, { env: env(declared) });
        // Given on the resource now: an update (no call) that keeps the key, a secret, in the state.
        expect(plan.map((p: { op: string }) => p.op).sort()).toEqual(["create", "update"]);
        expect(calls(sandbox)).toEqual([`POST /v1/external-support/${second}`]);
        expect(sandbox.requests[0].headers["x-api-key"]).toBe(API_KEY);
        expect(engine.state.get(urnOf("support")).outputs.apiKey).toBe(OTHER_API_KEY);
        expect(engine.state.get(urnOf("support-b")).outputs.apiKey).toBe(API_KEY);
    });

    it("10. destroy deletes each once, with the keys given on each resource (over JELOU_API_KEY), and leaves nothing", async () => {
        // The environment's key is neither: the resource's own arguments win.
        const { errors } = await engine.destroy({ env: env(declared, { JELOU_API_KEY: "marker-apikey-unused-0000" }) });
        expect(errors).toEqual([]);
        expect(calls(sandbox).sort()).toEqual(
            [project, second].flatMap((p) => [`GET /v1/external-support/${p}`, `DELETE /v1/external-support/${p}`]).sort(),
        );
        const keyFor = (p: string) => sandbox.requests.find((r) => r.method === "DELETE" && r.path.endsWith(p))!.headers["x-api-key"];
        expect(keyFor(project)).toBe(OTHER_API_KEY);
        expect(keyFor(second)).toBe(API_KEY);
        expect(engine.state.size).toBe(0);
        expect(sandbox.integration(project)).toBeUndefined();
        expect(sandbox.integration(second)).toBeUndefined();
    });
});

describe("a webhook that comes from another resource", () => {
    it("8. unknown at preview: preview plans a replace without crashing, up replaces", async () => {
        const engine = new LifecycleEngine(consumerDir);
        const project = `life-${process.pid}-unknown`;
        await engine.run(PROGRAM, { env: env([integration(project)]) });
        sandbox.clearLog();

        const fromReceiver = [{ ...integration(project), webhookFrom: "receiver" }];
        const preview = await engine.run(PROGRAM, { preview: true, env: env(fromReceiver) });
        expect(preview.errors).toEqual([]);
        const integrationRegistration = preview.registrations.find((r: { name: string }) => r.name === "support");
        expect(integrationRegistration.inputs.webhookUrl).toBe("04da6b54-80e4-46f7-96ec-b56ff0331ba9");
        expect(preview.plan).toEqual([{ urn: urnOf("support"), op: "replace", replaces: ["webhookUrl"], deleteBeforeReplace: true }]);
        expect(sandbox.requests).toHaveLength(0);

        const otherOutputs = { "test:index:Receiver": { url: "https://receiver.example.com/hook" } };
        const up = await engine.run(PROGRAM, { env: env(fromReceiver), otherOutputs });
        expect(up.errors).toEqual([]);
        // The GET shows that the project's integration is still ours before it is deleted.
        expect(calls(sandbox)).toEqual([
            `GET /v1/external-support/${project}`,
            `DELETE /v1/external-support/${project}`,
            `POST /v1/external-support/${project}`,
        ]);
        expect(sandbox.integration(project)!.webhookUrl).toBe("https://receiver.example.com/hook");
        await engine.destroy({ env: env(fromReceiver) });
        expect(sandbox.integration(project)).toBeUndefined();
    });
});

describe("bad input", () => {
    it("is reported by preview as check failures naming each property, before any API call", async () => {
        const engine = new LifecycleEngine(consumerDir);
        const bad = integration(`life-${process.pid}-bad`, {
            webhookUrl: "http://support.example.com",
            authType: "basic",
            authorization: undefined,
        });
        const { plan, errors } = await engine.run(PROGRAM, { preview: true, env: env([bad]) });
        expect(plan).toEqual([{ urn: urnOf("support"), op: "failed" }]);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toMatch(/check failed: (.*; )?webhookUrl must be an absolute https: URL/);
        expect(errors[0]).toMatch(/authorization is required when authType is "basic"/);
        expect(sandbox.requests).toHaveLength(0);
    });
});
