// Ownership that cannot be fooled, in both directions, through the provider against the hostile
// gateway in front of the local Jelou. Each case asserts the end state: what Jelou holds, what the
// provider returned or refused, and that no stranger's integration was changed.
import { provider } from "../../support/engine-view";
import { JelouConflictError, JelouIncompleteCreateError } from "../../../provider/api/errors";
import { API_KEY, providerInputs, useSandbox } from "../../support/fixtures";
import { HostileGateway, Misbehaviour } from "../../support/hostile-gateway";

const sandbox = useSandbox();
let gateway: HostileGateway;
beforeAll(async () => {
    gateway = await HostileGateway.start(sandbox.url);
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.reset());

const PATH = (projectId: string, rest = "") => new RegExp(`^/v1/external-support/${projectId}${rest}$`);
const methods = () => gateway.requests.map((r) => r.method + (r.path.endsWith("/regenerate") ? " regenerate" : ""));
const DAY = 24 * 60 * 60 * 1000;

async function inputsFor(overrides: Record<string, unknown> = {}) {
    const { inputs, failures } = await provider.check({}, providerInputs(sandbox, { baseUrl: gateway.url, ...overrides }));
    expect(failures).toEqual([]);
    return inputs as Record<string, unknown>;
}

async function failure<T>(operation: Promise<T>): Promise<Error> {
    try {
        await operation;
    } catch (error) {
        return error as Error;
    }
    throw new Error("expected the operation to fail");
}

/** The current second, as Jelou's reference writes createdAt: with milliseconds, and without. */
function thisSecond() {
    const second = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().slice(0, 19);
    return { millis: `${second}.998Z`, seconds: `${second}Z` };
}

/** Created through the gateway with the create answer saying `createdAt`; the envelope GET (no id) then says another form. */
async function createdSaying(createdAt: string, overrides: Record<string, unknown> = {}) {
    const inputs = await inputsFor(overrides);
    const projectId = inputs.projectId as string;
    gateway.when("POST", PATH(projectId), { kind: "set-field", field: "createdAt", value: createdAt });
    const { id, outs } = await provider.create(inputs);
    expect(outs.createdAt).toBe(createdAt);
    gateway.reset();
    return { inputs, projectId, id, outs: outs as Record<string, unknown> };
}

describe("the same time at another precision, or in another documented form, is ours", () => {
    const { millis, seconds } = thisSecond();
    const renderings: Array<[string, unknown]> = [
        ["seconds, where the create said milliseconds", seconds],
        ["no zone (read as UTC)", seconds.slice(0, -1)],
        ["epoch milliseconds", Date.parse(millis)],
        ["epoch seconds", Math.floor(Date.parse(millis) / 1000)],
        ["an HTTP date", new Date(Date.parse(millis)).toUTCString()],
        ["an offset", seconds.replace("Z", "+00:00")],
    ];

    it.each(renderings)("destroy deletes ours when the GET says %s", async (_name, getCreatedAt) => {
        const { projectId, id, outs } = await createdSaying(millis);
        gateway.when("GET", PATH(projectId), { kind: "set-field", field: "createdAt", value: getCreatedAt });
        await provider.delete(id, outs);
        expect(methods()).toEqual(["GET", "DELETE"]);
        expect(sandbox.integration(projectId)).toBeUndefined();
    });

    it("rotation regenerates ours when the GET says the createdAt without milliseconds", async () => {
        const { inputs, projectId, id, outs } = await createdSaying(millis, { rotationTriggers: { v: "1" } });
        gateway.when("GET", PATH(projectId), { kind: "set-field", field: "createdAt", value: seconds });
        const { outs: rotated } = await provider.update(id, outs, { ...inputs, rotationTriggers: { v: "2" } });
        expect(methods()).toEqual(["GET", "POST regenerate"]);
        expect(rotated.signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
    });

    it("refresh with detectDrift keeps ours when the GET says the createdAt without milliseconds", async () => {
        const { projectId, id, outs } = await createdSaying(millis, { detectDrift: true });
        gateway.when("GET", PATH(projectId), { kind: "set-field", field: "createdAt", value: seconds });
        expect(await provider.read(id, outs)).toEqual({ id, props: outs });
    });

    it("a createdAt that cannot be read is not said: the answer is still used for what it does say", async () => {
        const { projectId, id, outs } = await createdSaying(millis);
        gateway.when("GET", PATH(projectId), { kind: "set-field", field: "createdAt", value: "a while ago" });
        const error = await failure(provider.delete(id, outs));
        // Not "not ours" (ours stays in the state), and not "unusable": it cannot tell, and says what to run.
        expect(error.message).toMatch(/cannot show whether.*neither deleted nor dropped from the state.*pulumi state delete/);
        expect(sandbox.integration(projectId)).toBeDefined();
    });
});

describe("an address Jelou stores in an RFC 3986-equivalent form is the same address", () => {
    const DECLARED = "https://support.example.com/~team/a%2fb";
    const STORED = "https://SUPPORT.example.com:443/%7Eteam/a%2Fb/";

    it("a lost create answer is recovered as ours (GET, then regenerate), not refused as a stranger's", async () => {
        const inputs = await inputsFor({ webhookUrl: DECLARED });
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), { kind: "replace", status: 500, body: "{}" });
        gateway.when("GET", PATH(projectId), { kind: "set-field", field: "webhookUrl", value: STORED });
        const { outs } = await provider.create(inputs);
        expect(methods()).toEqual(["POST", "GET", "POST regenerate"]);
        expect(outs.signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
    });

    it("refresh with detectDrift sees no drift, so the next up replaces nothing", async () => {
        const inputs = await inputsFor({ webhookUrl: DECLARED, detectDrift: true });
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        gateway.when("GET", PATH(projectId), { kind: "set-field", field: "webhookUrl", value: STORED });
        const { props } = await provider.read(id, outs);
        expect(props).toEqual(outs);
        expect(await provider.diff(id, props!, inputs)).toMatchObject({ changes: false });
    });
});

describe("webhook and auth type alone never make a stranger's integration ours", () => {
    it.each([
        ["429", { kind: "replace", status: 429, retryAfter: "0", body: "{}" }],
        ["503 with Retry-After", { kind: "replace", status: 503, retryAfter: "0", body: "{}" }],
    ] as Array<[string, Misbehaviour]>)(
        "a create retried after %s into a 409 leaves another stack's day-old integration alone",
        async (_name, misbehaviour) => {
            const inputs = await inputsFor();
            const projectId = inputs.projectId as string;
            // Another stack of the same program: the same webhook and auth type, created a day ago.
            const stranger = sandbox.seed(projectId, {
                webhookUrl: inputs.webhookUrl as string,
                authType: "bearer",
                authorization: "their-token",
            });
            gateway.when("POST", PATH(projectId), misbehaviour);
            gateway.when("GET", PATH(projectId), {
                kind: "set-field",
                field: "createdAt",
                value: new Date(Date.now() - DAY).toISOString(),
            });
            const error = await failure(provider.create(inputs));
            expect(error).toBeInstanceOf(JelouConflictError);
            expect(error.message).toMatch(/not ours \(another createdAt, before our first create request/);
            expect(methods()).toEqual(["POST", "POST", "GET"]);
            expect(sandbox.integration(projectId)).toMatchObject({ id: stranger.id, signingSecret: stranger.signingSecret });
        },
    );

    it("a partial create resumed later, without the time of its requests, regenerates nothing on webhook and auth type alone", async () => {
        const inputs = await inputsFor({ maxAttempts: 1 });
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), { kind: "not-jelou", status: 502 });
        gateway.when("GET", PATH(projectId), { kind: "not-jelou", status: 502 });
        const partial = (await failure(provider.create(inputs))) as JelouIncompleteCreateError;
        expect(partial).toBeInstanceOf(JelouIncompleteCreateError);
        expect(partial.properties.createWindow).toEqual({ from: expect.any(String), to: expect.any(String) });
        // As a partial recorded by 0.2.0 looks: no create window. Meanwhile another stack created the project's integration.
        const { createWindow: _dropped, ...recorded } = partial.properties;
        const stranger = sandbox.seed(projectId, {
            webhookUrl: inputs.webhookUrl as string,
            authType: "bearer",
            authorization: "their-token",
        });
        gateway.reset();
        const error = await failure(provider.update(partial.id, recorded, inputs));
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
        expect(error.message).toMatch(/cannot show whether.*set adoptExisting: true on the resource and run `pulumi up`/);
        expect(methods()).toEqual(["GET"]);
        expect(sandbox.integration(projectId)!.signingSecret).toBe(stranger.signingSecret);

        // With the window it recorded, the stranger's createdAt (a day later than our requests) says it is not ours.
        gateway.when("GET", PATH(projectId), { kind: "set-field", field: "createdAt", value: new Date(Date.now() + DAY).toISOString() });
        const refused = await failure(provider.update(partial.id, partial.properties, inputs));
        expect(refused).toBeInstanceOf(JelouConflictError);
        expect(sandbox.integration(projectId)!.signingSecret).toBe(stranger.signingSecret);
    });
});

describe("weak evidence never drops ours from the state", () => {
    it("destroy refuses, keeping ours, when only a changed webhook is there to compare, and says what to run", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        gateway.reset();
        // Ours, its webhook changed by hand; this GET says no createdAt (and the envelope no id).
        await fetch(`${sandbox.url}/v1/external-support/${projectId}`, {
            method: "PATCH",
            headers: { "x-api-key": API_KEY, "content-type": "application/json" },
            body: JSON.stringify({ webhookUrl: "https://changed-by-hand.example.com/jelou" }),
        });
        gateway.when("GET", PATH(projectId), { kind: "drop-field", field: "createdAt" });
        const error = await failure(provider.delete(id, outs));
        expect(error.message).toMatch(
            /Deleting the integration of project .* was refused.*another webhook or auth type.*neither deleted nor dropped.*`pulumi state delete/,
        );
        expect(methods()).toEqual(["GET"]);
        expect(sandbox.integration(projectId)).toBeDefined();
        // Once Jelou says enough again, the same destroy goes through.
        await provider.delete(id, outs);
        expect(sandbox.integration(projectId)).toBeUndefined();
    });

    it("rotation refuses on weak evidence and names the consent that lets it go on; with adoptExisting it rotates", async () => {
        const inputs = await inputsFor({ rotationTriggers: { v: "1" } });
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        gateway.when("GET", PATH(projectId), { kind: "drop-field", field: "createdAt" }, 2);
        const news = { ...inputs, rotationTriggers: { v: "2" } };
        const error = await failure(provider.update(id, outs, news));
        expect(error.message).toMatch(
            /Rotating the signing secret was refused.*cannot show.*nothing was changed in Jelou.*adoptExisting: true/,
        );
        expect(sandbox.integration(projectId)!.signingSecret).toBe(outs.signingSecret);
        const { outs: rotated } = await provider.update(id, outs, { ...news, adoptExisting: true });
        expect(rotated.signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
        expect(rotated.signingSecret).not.toBe(outs.signingSecret);
    });
});

describe("an answer about another project is not an answer about ours", () => {
    it("destroy deletes nothing when the ownership GET names another brainId", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        gateway.when("GET", PATH(projectId), { kind: "set-field", field: "brainId", value: "another-project" }, 10);
        const error = await failure(provider.delete(id, outs));
        expect(error.message).toMatch(/brainId that names another project/);
        expect(methods()).not.toContain("DELETE");
        expect(sandbox.integration(projectId)).toBeDefined();
    });

    it("a create answer naming another brainId is not ours to record: Jelou is asked, then ours is recovered", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), { kind: "set-field", field: "brainId", value: "another-project" });
        const { outs } = await provider.create(inputs);
        expect(methods()).toEqual(["POST", "GET", "POST regenerate"]);
        expect(outs).toMatchObject({ brainId: projectId, signingSecret: sandbox.integration(projectId)!.signingSecret });
    });
});

describe("one resource per project in a run", () => {
    it("a second resource of the program for the same project is refused before any call, naming it", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        const first = await provider.create(inputs);
        gateway.reset();
        // The second one's create would meet 429 then 409, and then see an integration created seconds ago with its webhook.
        gateway.when("POST", PATH(projectId), { kind: "replace", status: 429, retryAfter: "0", body: "{}" });
        const error = await failure(provider.create({ ...inputs }));
        expect(error.message).toContain(`Project ${projectId} is declared by two resources of this program`);
        expect(gateway.requests).toEqual([]);
        expect(sandbox.integration(projectId)!.signingSecret).toBe(first.outs.signingSecret);
    });

    it("a replace (delete, then create of the same project) is not a second resource", async () => {
        const inputs = await inputsFor();
        const { id, outs } = await provider.create(inputs);
        const moved = { ...inputs, webhookUrl: "https://support.example.com/v2" };
        expect(await provider.diff(id, outs, moved)).toMatchObject({ replaces: ["webhookUrl"] });
        await provider.delete(id, outs);
        const { outs: replaced } = await provider.create(moved);
        expect(replaced.signingSecret).toBe(sandbox.integration(inputs.projectId as string)!.signingSecret);
    });

    it("an existing resource keeps its project: a new one declaring it in the same run is refused", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        const existing = sandbox.seed(projectId, { webhookUrl: inputs.webhookUrl as string, authType: "bearer" });
        // As the engine diffs a resource of the state (here, one that holds the seeded integration).
        await provider.diff(existing.id, { ...inputs, createdAt: existing.createdAt, signingSecret: existing.signingSecret }, inputs);
        const error = await failure(provider.create(inputs));
        expect(error.message).toContain("declared by two resources of this program");
        expect(sandbox.integration(projectId)!.signingSecret).toBe(existing.signingSecret);
    });
});
