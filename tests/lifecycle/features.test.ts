// Rotation, adoption and drift detection played through the SDK's dynamic-provider host, with the
// package installed from its tarball; each step asserts the local Jelou's request log and the state.
import { API_KEY, calls, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";

const { LifecycleEngine, ProviderHost } = require("../../harness/engine");

const PROGRAM = "programs/integrations.js";
const URN = "urn:pulumi:test::jelou-test::pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration::support";

const sandbox = useSandbox();

function stack(projectId: string, args: Record<string, unknown> = {}, extraEnv: Record<string, string> = {}) {
    return {
        env: {
            JELOU_TEST_SPEC: JSON.stringify({
                integrations: [
                    {
                        name: "support",
                        args: {
                            projectId,
                            webhookUrl: "https://support.example.com/jelou",
                            authType: "bearer",
                            authorization: WEBHOOK_TOKEN,
                            ...args,
                        },
                    },
                ],
            }),
            JELOU_API_KEY: API_KEY,
            JELOU_BASE_URL: sandbox.url,
            ...extraEnv,
        },
    };
}

async function outOfBand(method: string, projectId: string, body?: unknown) {
    await fetch(`${sandbox.url}/v1/external-support/${projectId}`, {
        method,
        headers: { "x-api-key": API_KEY, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    sandbox.clearLog();
}

it("rotation: a change of rotationTriggers regenerates the secret in place, after an ownership GET", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `rotate-${process.pid}`;
    await engine.run(PROGRAM, stack(project, { rotationTriggers: { month: "2026-11" } }));
    const before = engine.state.get(URN);
    sandbox.clearLog();

    expect((await engine.run(PROGRAM, stack(project, { rotationTriggers: { month: "2026-11" } }))).plan[0].op).toBe("same");
    expect(sandbox.requests).toHaveLength(0);

    const { plan } = await engine.run(PROGRAM, stack(project, { rotationTriggers: { month: "2026-12" } }));
    expect(plan).toEqual([{ urn: URN, op: "update" }]);
    // The GET shows the project's integration is still ours before its secret is regenerated.
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`, `POST /v1/external-support/${project}/secret/regenerate`]);
    const after = engine.state.get(URN);
    const held = sandbox.integration(project)!;
    expect(after.id).toBe(before.id);
    expect(after.outputs.signingSecret).toBe(held.signingSecret);
    expect(after.outputs.signingSecret).not.toBe(before.outputs.signingSecret);
    // The regenerate envelope does not say regeneratedAt: the provider's clock, after the create's.
    expect(Date.parse(after.outputs.secretRotatedAt)).toBeGreaterThanOrEqual(Date.parse(before.outputs.secretRotatedAt));
    expect(after.outputs.secretRotatedAt).not.toBe(before.outputs.secretRotatedAt);
    expect(after.secrets).toContain("signingSecret");
    await engine.destroy();
});

it("adoption: an integration made outside Pulumi is taken over, then managed as usual", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `adopt-${process.pid}`;
    const existing = sandbox.seed(project, { webhookUrl: "https://made-by-hand.example.com", authType: "no_auth" });
    sandbox.clearLog();

    const { plan, errors } = await engine.run(PROGRAM, stack(project, { adoptExisting: true }));
    expect(errors).toEqual([]);
    expect(plan).toEqual([{ urn: URN, op: "create" }]);
    expect(calls(sandbox)).toEqual([
        `POST /v1/external-support/${project}`,
        `GET /v1/external-support/${project}`,
        `PATCH /v1/external-support/${project}`,
        `POST /v1/external-support/${project}/secret/regenerate`,
    ]);
    const held = sandbox.integration(project)!;
    expect(held).toMatchObject({ id: existing.id, webhookUrl: "https://support.example.com/jelou", authType: "bearer" });
    expect(engine.state.get(URN)).toMatchObject({ id: existing.id, outputs: { signingSecret: held.signingSecret } });

    sandbox.clearLog();
    expect((await engine.run(PROGRAM, stack(project, { adoptExisting: true }))).plan[0].op).toBe("same");
    expect(sandbox.requests).toHaveLength(0);
    await engine.destroy();
    expect(sandbox.integration(project)).toBeUndefined();
});

it("drift detection (jelou:detectDrift): refresh asks Jelou, drift shows as a diff, gone is recreated", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `drift-${process.pid}`;
    const config = { PULUMI_CONFIG: JSON.stringify({ "jelou:detectDrift": "true" }) };
    const declared = stack(project, {}, config);
    await engine.run(PROGRAM, declared);
    const secret = engine.state.get(URN).outputs.signingSecret;
    sandbox.clearLog();

    expect(await engine.refresh()).toEqual([]);
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`]);

    await outOfBand("PATCH", project, { webhookUrl: "https://changed-by-hand.example.com" });
    expect(await engine.refresh()).toEqual([URN]);
    expect(engine.state.get(URN).outputs).toMatchObject({ webhookUrl: "https://changed-by-hand.example.com", signingSecret: secret });
    sandbox.clearLog();
    const repair = await engine.run(PROGRAM, declared);
    expect(repair.plan).toEqual([{ urn: URN, op: "replace", replaces: ["webhookUrl"], deleteBeforeReplace: true }]);
    expect(calls(sandbox)).toEqual([
        `GET /v1/external-support/${project}`,
        `DELETE /v1/external-support/${project}`,
        `POST /v1/external-support/${project}`,
    ]);
    expect(sandbox.integration(project)!.webhookUrl).toBe("https://support.example.com/jelou");

    await outOfBand("DELETE", project);
    expect(await engine.refresh()).toEqual([URN]);
    expect(engine.state.has(URN)).toBe(false);
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`]);
    sandbox.clearLog();
    expect((await engine.run(PROGRAM, declared)).plan).toEqual([{ urn: URN, op: "create" }]);
    expect(calls(sandbox)).toEqual([`POST /v1/external-support/${project}`]);
    expect(engine.state.get(URN).outputs.signingSecret).toBe(sandbox.integration(project)!.signingSecret);
    await engine.destroy();
});

it("import: a read without state fails through the host, pointing to adoptExisting, and calls nothing", async () => {
    const host = await ProviderHost.start(process.env.JELOU_CONSUMER_DIR);
    try {
        const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
        const { registrations } = await engine.run(PROGRAM, { preview: true, ...stack(`import-${process.pid}`) });
        const provider = registrations[0].inputs.__provider;
        await expect(host.read(URN, "existing-id", { __provider: provider }, {})).rejects.toThrow(/pulumi import.*adoptExisting: true/);
        expect(sandbox.requests).toHaveLength(0);
    } finally {
        await host.stop();
    }
});

describe("inPlaceUpdates: the webhook and its auth change with one PATCH, same id and secret", () => {
    const NEW_TOKEN = "marker-newtoken-in-place-01";

    it("a webhook and auth change previews as an update and is one PATCH with the changed fields; projectId still replaces", async () => {
        const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
        const project = `in-place-${process.pid}`;
        await engine.run(PROGRAM, stack(project, { inPlaceUpdates: true }));
        const created = engine.state.get(URN);
        sandbox.clearLog();

        const changed = stack(project, {
            inPlaceUpdates: true,
            webhookUrl: "https://support.example.com/v2",
            authType: "api_key",
            authorization: NEW_TOKEN,
        });
        const preview = await engine.run(PROGRAM, { preview: true, ...changed });
        expect(preview.plan).toEqual([{ urn: URN, op: "update" }]);
        expect(sandbox.requests).toHaveLength(0);

        const up = await engine.run(PROGRAM, changed);
        expect(up.errors).toEqual([]);
        expect(up.plan).toEqual([{ urn: URN, op: "update" }]);
        expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`, `PATCH /v1/external-support/${project}`]);
        expect(JSON.parse(sandbox.requests[1].body as string)).toEqual({
            webhookUrl: "https://support.example.com/v2",
            authType: "api_key",
            authorization: NEW_TOKEN,
        });
        const held = sandbox.integration(project)!;
        expect(held).toMatchObject({
            id: created.id,
            webhookUrl: "https://support.example.com/v2",
            authType: "api_key",
            authorization: NEW_TOKEN,
        });
        const updated = engine.state.get(URN);
        expect(updated.id).toBe(created.id);
        expect(updated.outputs.signingSecret).toBe(created.outputs.signingSecret);
        expect(updated.outputs.signingSecret).toBe(held.signingSecret);
        expect(updated.outputs).toMatchObject({
            webhookUrl: "https://support.example.com/v2",
            authType: "api_key",
            authorization: NEW_TOKEN,
        });

        // Only the fields that changed are sent.
        sandbox.clearLog();
        await engine.run(
            PROGRAM,
            stack(project, {
                inPlaceUpdates: true,
                webhookUrl: "https://support.example.com/v3",
                authType: "api_key",
                authorization: NEW_TOKEN,
            }),
        );
        expect(JSON.parse(sandbox.requests[1].body as string)).toEqual({ webhookUrl: "https://support.example.com/v3" });

        sandbox.clearLog();
        const moved = await engine.run(PROGRAM, stack(`${project}-moved`, { inPlaceUpdates: true }));
        expect(moved.plan).toEqual([{ urn: URN, op: "replace", replaces: ["projectId"], deleteBeforeReplace: true }]);
        await engine.destroy();
        expect(sandbox.integration(`${project}-moved`)).toBeUndefined();
    });

    it("without it (the default) the same change is a replace: delete first, a new secret", async () => {
        const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
        const project = `replace-default-${process.pid}`;
        await engine.run(PROGRAM, stack(project));
        const preview = await engine.run(PROGRAM, { preview: true, ...stack(project, { webhookUrl: "https://support.example.com/v2" }) });
        expect(preview.plan).toEqual([{ urn: URN, op: "replace", replaces: ["webhookUrl"], deleteBeforeReplace: true }]);
        await engine.destroy();
    });

    it("with detectDrift, a webhook changed outside Pulumi is repaired by the same PATCH, not a replace", async () => {
        const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
        const project = `in-place-drift-${process.pid}`;
        const declared = stack(project, { inPlaceUpdates: true, detectDrift: true });
        await engine.run(PROGRAM, declared);
        const { id, outputs } = engine.state.get(URN);
        await outOfBand("PATCH", project, { webhookUrl: "https://changed-by-hand.example.com" });
        expect(await engine.refresh()).toEqual([URN]);
        sandbox.clearLog();

        const repair = await engine.run(PROGRAM, declared);
        expect(repair.plan).toEqual([{ urn: URN, op: "update" }]);
        expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`, `PATCH /v1/external-support/${project}`]);
        expect(JSON.parse(sandbox.requests[1].body as string)).toEqual({ webhookUrl: "https://support.example.com/jelou" });
        expect(sandbox.integration(project)).toMatchObject({
            id,
            webhookUrl: "https://support.example.com/jelou",
            signingSecret: outputs.signingSecret,
        });
        expect(engine.state.get(URN).outputs.signingSecret).toBe(outputs.signingSecret);
        await engine.destroy();
    });

    it("refuses to patch an integration that is not ours, and says how to adopt it", async () => {
        const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
        const project = `in-place-foreign-${process.pid}`;
        await engine.run(PROGRAM, stack(project, { inPlaceUpdates: true }));
        await outOfBand("DELETE", project);
        const stranger = sandbox.seed(project, { webhookUrl: "https://someone-else.example.com", authType: "no_auth" });
        const up = await engine.run(PROGRAM, stack(project, { inPlaceUpdates: true, webhookUrl: "https://support.example.com/v2" }));
        expect(up.errors[0]).toMatch(
            /Updating the webhook in place was refused: .*not ours.*nothing was changed in Jelou.*adoptExisting: true/,
        );
        expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`]);
        expect(sandbox.integration(project)).toMatchObject({ id: stranger.id, webhookUrl: "https://someone-else.example.com" });
        engine.state.clear();
        sandbox.seed(project, { webhookUrl: "https://x.example.com", authType: "no_auth" });
    });
});
