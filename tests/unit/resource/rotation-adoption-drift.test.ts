import { provider } from "../../support/engine-view";
import { calls, providerInputs, useSandbox, WEBHOOK_TOKEN } from "../../support/fixtures";
import { UNKNOWN } from "../../../provider/resource/types";

const sandbox = useSandbox();

async function created(overrides: Record<string, unknown> = {}) {
    const { inputs, failures } = await provider.check({}, providerInputs(sandbox, overrides));
    expect(failures).toEqual([]);
    const result = await provider.create(inputs!);
    sandbox.clearLog();
    return { inputs: inputs as Record<string, unknown>, id: result.id, outs: result.outs as Record<string, unknown> };
}

describe("rotation", () => {
    it("a new rotationTriggers is an in-place update: one GET to confirm it is ours, one regenerate", async () => {
        sandbox.setShape("bare");
        const { id, inputs, outs } = await created({ rotationTriggers: { version: "1" } });
        expect(outs.secretRotatedAt).toBe(outs.createdAt);
        const news = (await provider.check({}, { ...inputs, rotationTriggers: { version: "2" } })).inputs!;
        expect(await provider.diff(id, outs, news)).toMatchObject({ changes: true, replaces: [] });

        const { outs: rotated } = await provider.update(id, outs, news);
        const held = sandbox.integration(inputs.projectId as string)!;
        expect(calls(sandbox)).toEqual([
            `GET /v1/external-support/${inputs.projectId}`,
            `POST /v1/external-support/${inputs.projectId}/secret/regenerate`,
        ]);
        expect(rotated.signingSecret).toBe(held.signingSecret);
        expect(rotated.signingSecret).not.toBe(outs.signingSecret);
        expect(rotated.secretRotatedAt).toBe(held.regeneratedAt);
        expect(rotated).toEqual({
            ...outs,
            rotationTriggers: { version: "2" },
            signingSecret: held.signingSecret,
            secretRotatedAt: held.regeneratedAt,
        });
    });

    it("the same triggers in another order, or none and an empty map, change nothing", async () => {
        const { id, inputs, outs } = await created({ rotationTriggers: { a: "1", b: "2" } });
        expect(await provider.diff(id, outs, { ...inputs, rotationTriggers: { b: "2", a: "1" } })).toMatchObject({ changes: false });
        const plain = await created();
        const withEmpty = (await provider.check({}, { ...plain.inputs, rotationTriggers: {} })).inputs!;
        expect(await provider.diff(plain.id, plain.outs, withEmpty)).toMatchObject({ changes: false });
        expect(sandbox.requests).toHaveLength(0);
    });

    it('numbers and booleans are triggers too, kept as strings: 3 and "3" are the same trigger', async () => {
        const { id, inputs: declared, outs } = await created({ rotationTriggers: { version: "3", monthly: "true" } });
        const { inputs, failures } = await provider.check({}, { ...declared, rotationTriggers: { version: 3, monthly: true } });
        expect(failures).toEqual([]);
        expect(inputs!.rotationTriggers).toEqual({ version: "3", monthly: "true" });
        expect(await provider.diff(id, outs, inputs!)).toMatchObject({ changes: false });
        const bumped = (await provider.check({}, { ...inputs!, rotationTriggers: { version: 4, monthly: true } })).inputs!;
        expect(await provider.diff(id, outs, bumped)).toMatchObject({ changes: true, replaces: [] });
    });

    it.each([
        [{ version: { major: 3 } }, "version"],
        [{ version: Number.NaN }, "version"],
        [{ list: ["a"] }, "list"],
        [{ none: null }, "none"],
    ])("a trigger that is not a string, number or boolean is refused, naming it: %j", async (rotationTriggers, key) => {
        const { failures } = await provider.check({}, providerInputs(sandbox, { rotationTriggers }));
        expect(failures).toEqual([{ property: "rotationTriggers", reason: expect.stringContaining(`rotationTriggers.${key} is not one`) }]);
        expect(sandbox.requests).toHaveLength(0);
    });
});

describe("adoption", () => {
    it("takes over the project's existing integration: PATCH to the declared webhook, then regenerate", async () => {
        sandbox.setShape("bare");
        const inputs = (await provider.check({}, providerInputs(sandbox, { adoptExisting: true }))).inputs!;
        const projectId = inputs.projectId as string;
        const existing = sandbox.seed(projectId, { webhookUrl: "https://old.example.com", authType: "no_auth" });
        sandbox.clearLog();

        const { id, outs } = await provider.create(inputs);
        const held = sandbox.integration(projectId)!;
        expect(calls(sandbox)).toEqual([
            `POST /v1/external-support/${projectId}`,
            `GET /v1/external-support/${projectId}`,
            `PATCH /v1/external-support/${projectId}`,
            `POST /v1/external-support/${projectId}/secret/regenerate`,
        ]);
        expect(id).toBe(existing.id);
        expect(held).toMatchObject({ webhookUrl: inputs.webhookUrl, authType: "bearer", authorization: WEBHOOK_TOKEN });
        expect(outs).toMatchObject({
            signingSecret: held.signingSecret,
            secretRotatedAt: held.regeneratedAt,
            createdAt: existing.createdAt,
        });
        expect(held.signingSecret).not.toBe(existing.signingSecret);
    });

    it("without an existing integration, adoptExisting creates as usual with one POST", async () => {
        const inputs = (await provider.check({}, providerInputs(sandbox, { adoptExisting: true }))).inputs!;
        const { outs } = await provider.create(inputs);
        expect(calls(sandbox)).toEqual([`POST /v1/external-support/${inputs.projectId}`]);
        expect(outs.signingSecret).toBe(sandbox.integration(inputs.projectId as string)!.signingSecret);
    });
});

/** PATCHes the integration directly, as someone would in Jelou's console. */
async function changeByHand(inputs: Record<string, unknown>, fields: Record<string, string>): Promise<void> {
    await fetch(`${sandbox.url}/v1/external-support/${inputs.projectId}`, {
        method: "PATCH",
        headers: { "x-api-key": inputs.apiKey as string, "content-type": "application/json" },
        body: JSON.stringify(fields),
    });
}

describe("drift detection", () => {
    it("is off by default: read calls nothing", async () => {
        const { id, outs } = await created();
        expect(await provider.read(id, outs)).toEqual({ id, props: outs });
        expect(sandbox.requests).toHaveLength(0);
    });

    it("reads the webhook and auth type from Jelou (bare answers) and keeps the secret from state", async () => {
        sandbox.setShape("bare");
        const { id, inputs, outs } = await created({ detectDrift: true });
        const projectId = inputs.projectId as string;
        expect(await provider.read(id, outs)).toEqual({ id, props: outs });
        expect(calls(sandbox)).toEqual([`GET /v1/external-support/${projectId}`]);

        await changeByHand(inputs, { webhookUrl: "https://changed-by-hand.example.com", authType: "no_auth" });
        const { props } = await provider.read(id, outs);
        expect(props).toEqual({ ...outs, webhookUrl: "https://changed-by-hand.example.com", authType: "no_auth" });
        expect(await provider.diff(id, props!, inputs)).toMatchObject({ changes: true, replaces: ["webhookUrl", "authType"] });
    });

    it("keeps the state's value of a field Jelou does not say (the GET envelope has no authType and no id)", async () => {
        const { id, inputs, outs } = await created({ detectDrift: true });
        await changeByHand(inputs, { authType: "no_auth" });
        expect(await provider.read(id, outs)).toEqual({ id, props: outs });
        await changeByHand(inputs, { webhookUrl: "https://changed-by-hand.example.com" });
        expect((await provider.read(id, outs)).props).toEqual({ ...outs, webhookUrl: "https://changed-by-hand.example.com" });
    });

    it("a webhook written another way (host case, default port, trailing slash) is no drift", async () => {
        const { id, inputs, outs } = await created({ detectDrift: true, webhookUrl: "https://support.example.com/jelou" });
        await changeByHand(inputs, { webhookUrl: "https://SUPPORT.example.com:443/jelou/" });
        const { props } = await provider.read(id, outs);
        expect(props).toEqual(outs);
        expect(await provider.diff(id, props!, inputs)).toMatchObject({ changes: false });
    });

    it("an integration recreated outside Pulumi reads as gone: the secret in state is not its secret", async () => {
        sandbox.setShape("bare");
        const { id, outs, inputs } = await created({ detectDrift: true });
        const projectId = inputs.projectId as string;
        await fetch(`${sandbox.url}/v1/external-support/${projectId}`, {
            method: "DELETE",
            headers: { "x-api-key": inputs.apiKey as string },
        });
        sandbox.seed(projectId, { webhookUrl: inputs.webhookUrl as string, authType: "bearer" });
        expect(await provider.read(id, outs)).toEqual({ id: "" }); // an empty id is how the engine is told "gone"
    });

    it("an integration deleted outside Pulumi reads as gone", async () => {
        const { id, outs, inputs } = await created({ detectDrift: true });
        await fetch(`${sandbox.url}/v1/external-support/${inputs.projectId}`, {
            method: "DELETE",
            headers: { "x-api-key": inputs.apiKey as string },
        });
        expect(await provider.read(id, outs)).toEqual({ id: "" }); // an empty id is how the engine is told "gone"
    });
});

describe("in-place repair of auth drift", () => {
    it("a new authType is patched together with the declared authorization: a GET never shows what Jelou holds", async () => {
        const { id, inputs, outs } = await created({ inPlaceUpdates: true });
        const projectId = inputs.projectId as string;
        // As a drift read leaves it after someone switched the integration to no_auth outside Pulumi.
        const drifted = { ...outs, authType: "no_auth" };
        const diff = await provider.diff(id, drifted, inputs);
        expect(diff).toMatchObject({ changes: true, replaces: [] });
        await provider.update(id, drifted, inputs);
        const patch = sandbox.requests.find((r) => r.method === "PATCH");
        expect(JSON.parse(String(patch!.body))).toEqual({ authType: "bearer", authorization: WEBHOOK_TOKEN });
        expect(sandbox.integration(projectId)).toMatchObject({ authType: "bearer", authorization: WEBHOOK_TOKEN });
    });

    it("inPlaceUpdates not known yet at preview: the state's setting decides, so the preview does not show a replace the up will not do", async () => {
        const { id, inputs, outs } = await created({ inPlaceUpdates: true });
        const news = { ...inputs, webhookUrl: "https://moved.example.com/jelou", inPlaceUpdates: UNKNOWN };
        expect(await provider.diff(id, outs, news)).toMatchObject({ changes: true, replaces: [] });
        expect(await provider.diff(id, { ...outs, inPlaceUpdates: false }, news)).toMatchObject({ replaces: ["webhookUrl"] });
    });
});
