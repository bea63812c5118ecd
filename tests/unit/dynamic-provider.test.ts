import { provider } from "../support/engine-view";
import { JelouAuthenticationError, JelouConflictError, JelouServerError, JelouValidationError } from "../../provider/api/errors";
import { UNKNOWN } from "../../provider/resource/types";
import { API_KEY, calls, CLIENT_ID, CLIENT_SECRET, OTHER_API_KEY, providerInputs, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";

const sandbox = useSandbox();

async function checked(news: Record<string, unknown>): Promise<Record<string, unknown>> {
    const result = await provider.check({}, news);
    expect(result.failures).toEqual([]);
    return result.inputs as Record<string, unknown>;
}

async function created(overrides: Record<string, unknown> = {}) {
    const inputs = await checked(providerInputs(sandbox, overrides));
    const result = await provider.create(inputs);
    return { inputs, id: result.id, outs: result.outs as Record<string, unknown> };
}

describe("create", () => {
    it.each(["envelope", "bare"] as const)("sends one POST with x-api-key and keeps the secret (%s answers)", async (shape) => {
        sandbox.setShape(shape);
        const { inputs, id, outs } = await created();
        const stored = sandbox.integration(inputs.projectId as string)!;

        expect(calls(sandbox)).toEqual([`POST /v1/external-support/${inputs.projectId}`]);
        expect(sandbox.requests[0].headers["x-api-key"]).toBe(API_KEY);
        expect(sandbox.requests[0].headers.authorization).toBeUndefined();
        expect(id).toBe(stored.id);
        expect(outs.signingSecret).toBe(stored.signingSecret);
        expect(outs.signingSecret).toMatch(/^[0-9a-f]{64}$/);
        expect(outs).toMatchObject({
            projectId: inputs.projectId,
            brainId: inputs.projectId,
            webhookUrl: "https://support.example.com/jelou",
            authType: "bearer",
            authorization: WEBHOOK_TOKEN,
            apiKey: API_KEY,
            baseUrl: sandbox.url,
            createdAt: stored.createdAt,
        });
        expect(stored).toMatchObject({ webhookUrl: outs.webhookUrl, authType: "bearer", authorization: WEBHOOK_TOKEN });
    });

    it("authenticates with HTTP Basic from a client id and secret", async () => {
        const { inputs } = await created({ apiKey: undefined, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
        const expected = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;
        expect(sandbox.requests).toHaveLength(1);
        expect(sandbox.requests[0].headers.authorization).toBe(expected);
        expect(sandbox.requests[0].headers["x-api-key"]).toBeUndefined();
        expect(sandbox.integration(inputs.projectId as string)).toBeDefined();
    });

    it("path-encodes the projectId", async () => {
        for (const projectId of ["a/b", "../x", "%2e%2e", "proyecto-ñandú-✓", "q?x=1#y"]) {
            sandbox.clearLog();
            await created({ projectId });
            expect(calls(sandbox)).toEqual([`POST /v1/external-support/${encodeURIComponent(projectId)}`]);
            expect(sandbox.integration(projectId)).toBeDefined();
        }
    });

    it("reports 401 with what to check and without the key", async () => {
        const inputs = await checked(providerInputs(sandbox, { apiKey: "marker-wrong-key-31415" }));
        const error = await provider.create(inputs).catch((e) => e);
        expect(error).toBeInstanceOf(JelouAuthenticationError);
        expect(error.status).toBe(401);
        expect(error.message).toContain("401");
        expect(error.message).toContain("they came from the resource's apiKey: set valid ones in the program");
        expect(error.apiMessages).toEqual(["Unauthorized: invalid or missing credentials"]);
        expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain("marker-wrong-key");
        expect(sandbox.requests).toHaveLength(1);
    });

    it("reports 422 with Jelou's own messages", async () => {
        // Past check on purpose: the API's own validation must still be surfaced.
        const inputs = { ...(await checked(providerInputs(sandbox))), webhookUrl: "http://support.example.com/jelou" };
        const error = await provider.create(inputs).catch((e) => e);
        expect(error).toBeInstanceOf(JelouValidationError);
        expect(error.status).toBe(422);
        expect(error.apiMessages).toEqual(["webhookUrl must be a public HTTPS URL"]);
        expect(error.message).toContain("webhookUrl must be a public HTTPS URL");
    });

    it("reports a second integration for the project as a conflict naming the ways out", async () => {
        // Made outside this program (a second resource of the program is refused before any call: ownership.test.ts).
        const inputs = await checked(providerInputs(sandbox));
        sandbox.seed(inputs.projectId as string, { webhookUrl: "https://elsewhere.example.com/hook", authType: "no_auth" });
        sandbox.clearLog();
        const error = await provider.create(inputs).catch((e) => e);
        expect(error).toBeInstanceOf(JelouConflictError);
        expect(error.status).toBe(409);
        expect(error.message).toContain(`Project ${inputs.projectId} already has an integration`);
        expect(error.message).toContain("adoptExisting: true");
        expect(sandbox.requests).toHaveLength(1);
    });
});

describe("read, diff and update call nothing", () => {
    it("read returns the state as it is", async () => {
        const { id, outs } = await created();
        sandbox.clearLog();
        const result = await provider.read(id, outs);
        expect(result).toEqual({ id, props: outs });
        expect(sandbox.requests).toHaveLength(0);
    });

    it("read without state points to adoptExisting", async () => {
        await expect(provider.read("some-id", {})).rejects.toThrow(/adoptExisting: true/);
        expect(sandbox.requests).toHaveLength(0);
    });

    it("diff: nothing changed means no changes", async () => {
        const { id, inputs, outs } = await created();
        sandbox.clearLog();
        expect(await provider.diff(id, outs, inputs)).toMatchObject({ changes: false, replaces: [] });
        expect(sandbox.requests).toHaveLength(0);
    });

    it.each([
        ["projectId", "another-project"],
        ["webhookUrl", "https://support.example.com/v2"],
        ["authType", "api_key"],
        ["authorization", "another-token"],
    ])("diff: a new %s replaces, deleting first", async (key, value) => {
        const { id, inputs, outs } = await created();
        const result = await provider.diff(id, outs, { ...inputs, [key]: value });
        expect(result).toEqual({ changes: true, replaces: [key], deleteBeforeReplace: true });
    });

    it("diff: a value unknown during preview counts as a change", async () => {
        const { id, inputs, outs } = await created();
        const result = await provider.diff(id, outs, { ...inputs, webhookUrl: UNKNOWN });
        expect(result).toMatchObject({ changes: true, replaces: ["webhookUrl"], deleteBeforeReplace: true });
    });

    it.each([
        ["apiKey", OTHER_API_KEY],
        ["baseUrl", "http://127.0.0.1:1"],
        ["maxAttempts", 2],
    ])("diff: a new %s is an in-place update", async (key, value) => {
        const { id, inputs, outs } = await created();
        expect(await provider.diff(id, outs, { ...inputs, [key]: value })).toMatchObject({ changes: true, replaces: [] });
    });

    it("update stores new credentials and keeps the secret and everything else", async () => {
        const { id, inputs, outs } = await created();
        sandbox.clearLog();
        const news = { ...inputs, apiKey: undefined, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
        const result = await provider.update(id, outs, news);
        expect(sandbox.requests).toHaveLength(0);
        expect(result.outs).toEqual({ ...outs, apiKey: undefined, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });

        await provider.delete(id, result.outs);
        expect(sandbox.requests[0].headers.authorization).toMatch(/^Basic /);
        expect(sandbox.integration(inputs.projectId as string)).toBeUndefined();
    });
});

describe("delete", () => {
    it("confirms the integration is ours (GET), sends one DELETE, and an integration already gone is success", async () => {
        const { id, inputs, outs } = await created();
        sandbox.clearLog();
        await provider.delete(id, outs);
        expect(calls(sandbox)).toEqual([`GET /v1/external-support/${inputs.projectId}`, `DELETE /v1/external-support/${inputs.projectId}`]);
        expect(sandbox.integration(inputs.projectId as string)).toBeUndefined();

        sandbox.clearLog();
        await expect(provider.delete(id, outs)).resolves.toBeUndefined();
        expect(sandbox.requests.map((r) => r.status)).toEqual([404]);
    });

    it("reports 5xx after its retries as retryable, with Jelou's message, and deletes nothing it could not check", async () => {
        const { id, inputs, outs } = await created({ maxAttempts: 2 });
        sandbox.clearLog();
        sandbox.injectFaults({ kind: "status", status: 500 }, 2);
        const error = await provider.delete(id, outs).catch((e) => e);
        expect(error).toBeInstanceOf(JelouServerError);
        expect(error.status).toBe(500);
        expect(error.message).toContain("Injected 500");
        expect(error.message).toContain("may be retried");
        expect(error.message).toContain("nothing was changed");
        expect(calls(sandbox)).toEqual(Array(2).fill(`GET /v1/external-support/${inputs.projectId}`));
        expect(sandbox.integration(inputs.projectId as string)).toBeDefined();
    });
});
