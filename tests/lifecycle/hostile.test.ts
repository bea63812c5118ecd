// The provider against a gateway that applies requests and then answers them badly (hostile/gateway.ts),
// in front of the faithful local Jelou. Every case asserts the end state: what Jelou holds against what
// the provider returned (no orphan, no lost secret, no stranger's integration touched), and that no
// credential or signing secret shows in any message or log line.
import * as http from "http";
import { provider } from "../support/engine-view";
import { JelouIncompleteCreateError, JelouValidationError, makeRedactor } from "../../provider/api/errors";
import { API_KEY, providerInputs, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";
import { HostileGateway, Misbehaviour } from "../support/hostile-gateway";

const sandbox = useSandbox();
let gateway: HostileGateway;
beforeAll(async () => {
    gateway = await HostileGateway.start(sandbox.url);
});
afterAll(() => gateway.stop());
beforeEach(() => gateway.reset());

/** Everything the provider said: log lines, and the messages of the errors it threw. */
let said: string[] = [];
beforeEach(() => {
    said = [];
    jest.spyOn(console, "error").mockImplementation((...args: unknown[]) => void said.push(args.map(String).join(" ")));
});
afterEach(() => {
    jest.restoreAllMocks();
    // No credential, webhook token or signing secret Jelou ever issued, in any form the redactor knows.
    const secrets = [API_KEY, WEBHOOK_TOKEN, ...sandbox.integrations().map((i) => i.signingSecret), ...issued];
    const withheld = makeRedactor(secrets);
    for (const line of said) {
        for (const secret of secrets) expect(line).not.toContain(secret);
        expect(withheld(line)).toBe(line);
    }
});
/** Every signing secret any answer carried (including ones since replaced). */
const issued: string[] = [];

const PATH = (projectId: string, rest = "") => new RegExp(`^/v1/external-support/${projectId}${rest}$`);

async function inputsFor(overrides: Record<string, unknown> = {}) {
    const { inputs, failures } = await provider.check({}, providerInputs(sandbox, { baseUrl: gateway.url, ...overrides }));
    expect(failures).toEqual([]);
    return inputs as Record<string, unknown>;
}

async function attempt<T>(operation: Promise<T>): Promise<T | Error> {
    try {
        return await operation;
    } catch (error) {
        said.push((error as Error).message);
        return error as Error;
    }
}

/** State (a): Jelou holds exactly one integration for the project, and the state has its secret. */
function expectSettled(projectId: string, outs: Record<string, unknown>) {
    const held = sandbox.integrations().filter((i) => i.brainId === projectId);
    expect(held).toHaveLength(1);
    expect(outs.signingSecret).toBe(held[0].signingSecret);
    expect(String(outs.signingSecret).trim()).not.toBe("");
    issued.push(held[0].signingSecret);
}

describe("a create answer whose id cannot be read is used: the secret is there, and the id stands in (issue 16, item 5)", () => {
    it.each([
        ["a 200 without id", { kind: "drop-field", field: "id" }],
        ["a 200 whose id is not a short plain string", { kind: "set-field", field: "id", value: "x".repeat(5000) }],
        ["a 200 whose id is beyond 2^53", { kind: "set-field", field: "id", value: 2 ** 53 + 2 }],
    ] as Array<[string, Misbehaviour]>)("%s", async (_name, misbehaviour) => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), misbehaviour);
        const result = await provider.create(inputs);
        expectSettled(projectId, result.outs);
        expect(gateway.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /v1/external-support/${projectId}`]);
        expect(result.id).toBe(`project/${projectId}`);
    });
});

describe("a create that Jelou applied but answered badly is recovered: GET, then regenerate", () => {
    const cases: Array<[string, Misbehaviour]> = [
        ["a 200 without signingSecret", { kind: "drop-field", field: "signingSecret" }],
        ["a 200 with an empty signingSecret", { kind: "set-field", field: "signingSecret", value: "" }],
        ["a 200 with a whitespace signingSecret", { kind: "set-field", field: "signingSecret", value: "   " }],
        ["a 200 with a signingSecret that is not a string", { kind: "set-field", field: "signingSecret", value: 42 }],
        ["a 200 whose id carries the API key", { kind: "set-field", field: "id", value: `id-${API_KEY}` }],
        ["a 200 text body", { kind: "replace", status: 200, contentType: "text/plain", body: "OK" }],
        ["a 200 HTML body", { kind: "replace", status: 200, contentType: "text/html", body: "<html><body>Saved</body></html>" }],
        ["a 200 failure envelope", { kind: "replace", status: 200, body: '{"message":["oops"],"statusMessage":"failed","status":0}' }],
        ["a 204", { kind: "replace", status: 204 }],
        ["headers, then a connection reset", { kind: "reset-after-headers" }],
        ["a truncated body", { kind: "truncate" }],
        ["a 500 after applying it", { kind: "replace", status: 500, body: "{}" }],
    ];
    it.each(cases)("%s", async (_name, misbehaviour) => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), misbehaviour);
        const result = await provider.create(inputs);
        expectSettled(projectId, result.outs);
        expect(gateway.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
            `POST /v1/external-support/${projectId}`,
            `GET /v1/external-support/${projectId}`,
            `POST /v1/external-support/${projectId}/secret/regenerate`,
        ]);
        // The envelope GET does not say the id: it is Jelou's own when the bad answer did say a usable one, else the stand-in.
        expect([sandbox.integration(projectId)!.id, `project/${projectId}`]).toContain(result.id);
    });

    it.each([
        ["429", { kind: "replace", status: 429, retryAfter: "0", body: "{}" }],
        ["503 with Retry-After", { kind: "replace", status: 503, retryAfter: "0", body: "{}" }],
    ] as Array<[string, Misbehaviour]>)(
        "a %s over a create that landed: the client's retry meets 409, which is checked as maybe ours",
        async (_name, misbehaviour) => {
            const inputs = await inputsFor();
            const projectId = inputs.projectId as string;
            gateway.when("POST", PATH(projectId), misbehaviour);
            const result = await provider.create(inputs);
            expectSettled(projectId, result.outs);
            expect(gateway.requests.map((r) => r.method + " " + r.path.replace(projectId, "P"))).toEqual([
                "POST /v1/external-support/P",
                "POST /v1/external-support/P",
                "GET /v1/external-support/P",
                "POST /v1/external-support/P/secret/regenerate",
            ]);
        },
    );

    it("the recovery's regenerate answered with an empty secret is regenerated again; the last usable one is kept", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), { kind: "drop-field", field: "signingSecret" });
        gateway.when("POST", PATH(projectId, "/secret/regenerate"), { kind: "set-field", field: "signingSecret", value: "" });
        const result = await provider.create(inputs);
        expectSettled(projectId, result.outs);
        expect(gateway.requests.filter((r) => r.path.endsWith("/regenerate"))).toHaveLength(2);
    });

    it("a secret never learned ends as partially created, and the next update (as the engine sends it) finishes the create", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), { kind: "drop-field", field: "signingSecret" });
        gateway.when(
            "POST",
            PATH(projectId, "/secret/regenerate"),
            { kind: "replace", status: 200, contentType: "text/html", body: "<p>ok</p>" },
            3,
        );
        const error = await attempt(provider.create(inputs));
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
        const partial = error as JelouIncompleteCreateError;
        // What the engine records: the declared inputs (so the next diff is no replace), no secret, and the mark.
        // The POST's answer said Jelou's id (only the secret was missing): that id is what is recorded.
        expect(partial.id).toBe(sandbox.integration(projectId)!.id);
        expect(partial.properties).toMatchObject({ ...inputs, createPending: true });
        expect(partial.properties.signingSecret).toBeUndefined();
        expect(await provider.diff(partial.id, partial.properties, inputs)).toMatchObject({ changes: false, replaces: [] });
        expect(sandbox.integrations().filter((i) => i.brainId === projectId)).toHaveLength(1);

        gateway.reset();
        const { outs } = await provider.update(partial.id, partial.properties, inputs);
        expectSettled(projectId, outs!);
        expect(outs!.createPending).toBeUndefined();
        expect(gateway.requests.map((r) => `${r.method} ${r.path.replace(projectId, "P")}`)).toEqual([
            "GET /v1/external-support/P",
            "POST /v1/external-support/P/secret/regenerate",
        ]);
    });

    it("a create that may have landed, when Jelou cannot be asked either, is recorded as partial, never as failed", async () => {
        const inputs = await inputsFor({ maxAttempts: 2 });
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), { kind: "truncate" });
        gateway.when("GET", PATH(projectId), { kind: "replace", status: 200, contentType: "text/html", body: "<html>portal</html>" }, 2);
        const error = await attempt(provider.create(inputs));
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
        expect((error as Error).message).toMatch(/may exist in Jelou.*run `pulumi up` again/);
        // Then the update learns that the create had landed, and completes it.
        gateway.reset();
        const partial = error as JelouIncompleteCreateError;
        const { outs } = await provider.update(partial.id, partial.properties, inputs);
        expectSettled(projectId, outs!);
    });

    it("a partial whose create never landed is created by the update (GET 404, then POST)", async () => {
        const inputs = await inputsFor({ maxAttempts: 1 });
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), { kind: "not-jelou", status: 502 });
        gateway.when("GET", PATH(projectId), { kind: "not-jelou", status: 502 });
        const partial = (await attempt(provider.create(inputs))) as JelouIncompleteCreateError;
        expect(partial).toBeInstanceOf(JelouIncompleteCreateError);
        expect(sandbox.integration(projectId)).toBeUndefined();
        const { outs } = await provider.update(partial.id, partial.properties, inputs);
        expectSettled(projectId, outs!);
    });
});

describe("never a stranger's integration", () => {
    async function ourIntegrationReplacedByAStranger(overrides: Record<string, unknown> = {}) {
        const inputs = await inputsFor(overrides);
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        await fetch(`${sandbox.url}/v1/external-support/${projectId}`, { method: "DELETE", headers: { "x-api-key": API_KEY } });
        // A few ms later, so that createdAt differs too (the envelope GET says no id).
        await new Promise((r) => setTimeout(r, 5));
        const stranger = sandbox.seed(projectId, { webhookUrl: "https://someone-else.example.com/hook", authType: "no_auth" });
        gateway.reset();
        return { inputs, projectId, id, outs, stranger };
    }

    it.each(["envelope", "bare"] as const)(
        "destroy leaves it alone and drops ours from state with a warning naming both (%s)",
        async (shape) => {
            sandbox.setShape(shape);
            const { projectId, id, outs, stranger } = await ourIntegrationReplacedByAStranger();
            await provider.delete(id, outs);
            expect(sandbox.integration(projectId)).toMatchObject({ id: stranger.id, signingSecret: stranger.signingSecret });
            expect(gateway.requests.map((r) => r.method)).toEqual(["GET"]);
            const warning = said.find((line) => line.includes("not ours"))!;
            expect(warning).toContain(id);
            if (shape === "bare") expect(warning).toContain(stranger.id);
        },
    );

    it("rotation refuses to regenerate its secret, and says what happened and how to adopt", async () => {
        const { inputs, projectId, id, outs, stranger } = await ourIntegrationReplacedByAStranger({ rotationTriggers: { v: "1" } });
        const error = await attempt(provider.update(id, outs, { ...inputs, rotationTriggers: { v: "2" } }));
        expect((error as Error).message).toMatch(
            /Rotating the signing secret was refused.*not ours.*nothing was changed in Jelou.*adoptExisting: true/,
        );
        expect(sandbox.integration(projectId)!.signingSecret).toBe(stranger.signingSecret);
        expect(gateway.requests.map((r) => r.method)).toEqual(["GET"]);
    });

    it("a rotation whose regenerate is answered with an empty secret records nothing and says so", async () => {
        const inputs = await inputsFor({ rotationTriggers: { v: "1" } });
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        gateway.when("POST", PATH(projectId, "/secret/regenerate"), { kind: "set-field", field: "signingSecret", value: "" }, 3);
        const error = await attempt(provider.update(id, outs, { ...inputs, rotationTriggers: { v: "2" } }));
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/empty signingSecret/);
        // The engine keeps the old outputs; the triggers still differ, so the next up rotates again.
        const { outs: rotated } = await provider.update(id, outs, { ...inputs, rotationTriggers: { v: "2" } });
        expectSettled(projectId, rotated!);
    });

    it("an answer whose webhook carries one of our secrets is neither shown nor used as Jelou's word", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        sandbox.seed(projectId, { webhookUrl: `https://someone-else.example.com/hook?token=${WEBHOOK_TOKEN}`, authType: "no_auth" });
        gateway.when("POST", PATH(projectId), { kind: "replace", status: 500, body: "{}" });
        const error = await attempt(provider.create(inputs));
        expect((error as Error).message).toMatch(/webhookUrl holding a credential/);
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
        expect(sandbox.integration(projectId)!.webhookUrl).toContain("someone-else");
    });
});

describe("what is not Jelou's answer is not Jelou's word", () => {
    it("a gateway's HTML 404 (wrong baseUrl) is an error naming the URL and baseUrl, never 'already gone'", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        gateway.when("GET", PATH(projectId), { kind: "not-jelou", status: 404 });
        const error = await attempt(provider.delete(id, outs));
        expect((error as Error).message).toContain(
            `${gateway.url}/v1/external-support/${projectId} answered 404 with a body that is not Jelou's`,
        );
        expect((error as Error).message).toContain(`Check baseUrl (now ${gateway.url})`);
        expect(sandbox.integration(projectId)).toBeDefined();
    });

    it.each<Misbehaviour["kind"]>(["reset-after-headers", "truncate"])(
        "an ownership GET answered 200 and then cut off (%s) changes nothing and says the call may be retried",
        async (kind) => {
            const inputs = await inputsFor();
            const projectId = inputs.projectId as string;
            const { id, outs } = await provider.create(inputs);
            gateway.when("GET", PATH(projectId), { kind } as Misbehaviour, 10);
            const error = await attempt(provider.delete(id, outs));
            expect((error as Error).message).toContain(
                `${gateway.url}/v1/external-support/${projectId} answered 200 but the body was cut off`,
            );
            expect((error as Error).message).toContain("may be retried");
            expect(gateway.requests.some((r) => r.method === "DELETE")).toBe(false);
            expect(sandbox.integration(projectId)).toBeDefined();
        },
    );

    it("a DELETE answered with HTML is checked with a GET: Jelou's 404 says it is done", async () => {
        const inputs = await inputsFor();
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        gateway.reset();
        gateway.when("DELETE", PATH(projectId), { kind: "replace", status: 200, contentType: "text/html", body: "<p>bye</p>" });
        await provider.delete(id, outs);
        expect(gateway.requests.map((r) => r.method)).toEqual(["GET", "DELETE", "GET"]);
        expect(sandbox.integration(projectId)).toBeUndefined();
    });
});

describe("bounded time", () => {
    it("a body trickled one byte at a time cannot stretch a destroy past totalTimeoutMs", async () => {
        const inputs = await inputsFor({ requestTimeoutMs: 300, totalTimeoutMs: 1000, maxAttempts: 10 });
        const projectId = inputs.projectId as string;
        const { id, outs } = await provider.create(inputs);
        // Each trickled answer would take about 8 s (one byte every 40 ms) and keeps the socket busy.
        gateway.when("GET", PATH(projectId), { kind: "trickle", intervalMs: 40 }, 10);
        const started = Date.now();
        const error = await attempt(provider.delete(id, outs));
        const elapsed = Date.now() - started;
        expect((error as Error).message).toMatch(/requestTimeoutMs \(300 ms\)|totalTimeoutMs \(1000 ms\)/);
        // The deadline, not a speed: the limit plus scheduling slack, far below one trickled answer.
        expect(elapsed).toBeLessThan(1000 + 1000);
        expect(sandbox.integration(projectId)).toBeDefined();
    });

    it("totalTimeoutMs bounds the whole create, recovery rounds included", async () => {
        const inputs = await inputsFor({ requestTimeoutMs: 400, totalTimeoutMs: 1200, maxAttempts: 10 });
        const projectId = inputs.projectId as string;
        gateway.when("POST", PATH(projectId), { kind: "trickle", intervalMs: 50 }, 10);
        gateway.when("GET", PATH(projectId), { kind: "trickle", intervalMs: 50 }, 10);
        const started = Date.now();
        const error = await attempt(provider.create(inputs));
        expect(Date.now() - started).toBeLessThan(1200 + 1000);
        // The create was applied before its answer trickled: recorded as partial, never lost.
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
        expect(sandbox.integration(projectId)).toBeDefined();
    });
});

describe("secrets", () => {
    it.each(["raw", "json", "url", "html", "split-tags"] as const)("a 401 that echoes the API key (%s) never shows it", async (form) => {
        const inputs = await inputsFor();
        gateway.when("POST", PATH(inputs.projectId as string), { kind: "echo", status: 401, form });
        const error = await attempt(provider.create(inputs));
        expect((error as Error).message).toMatch(/failed with 401/);
        expect((error as Error).message).not.toMatch(/marker-apikey/);
    });

    it("redacts secrets of any length, in every encoded form, before and after other rewriting", () => {
        const redact = makeRedactor(["ab1", 'p&s<w>"d/+ x']);
        expect(redact("got ab1 here")).toBe("got [REDACTED] here");
        for (const form of [
            'p&s<w>"d/+ x',
            "p&amp;s&lt;w&gt;&quot;d&#x2F;+ x",
            "p%26s%3Cw%3E%22d%2F%2B%20x",
            "p%26s%3cw%3e%22d%2f%2b%20x",
            'p&s<w>\\"d/+ x',
        ]) {
            expect(redact(`x ${form} y`)).not.toContain("p&s");
        }
        // Undecodable by the forms above, but a reader could: withheld whole.
        expect(redact("a<i></i>b1 and a&#98;1")).toMatch(/withheld/);
    });

    it("a loopback Jelou is never reached through a proxy from the environment", async () => {
        const seen: string[] = [];
        const proxy = http.createServer((req, res) => {
            seen.push(`${req.method} ${req.url} ${req.headers["x-api-key"] ?? ""}`);
            res.writeHead(502).end();
        });
        await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
        const proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
        const saved = { ...process.env };
        Object.assign(process.env, {
            HTTP_PROXY: proxyUrl,
            http_proxy: proxyUrl,
            ALL_PROXY: proxyUrl,
            all_proxy: proxyUrl,
            NO_PROXY: "",
            no_proxy: "",
        });
        try {
            const inputs = await inputsFor();
            const { outs } = await provider.create(inputs);
            expectSettled(inputs.projectId as string, outs);
        } finally {
            process.env = saved;
            await new Promise((r) => proxy.close(r));
        }
        expect(seen).toEqual([]);
    });
});

describe("in-place updates under a hostile API", () => {
    const NEW_TOKEN = "receiver-token-new-4f9a2c";

    async function createdInPlace() {
        const inputs = await inputsFor({ inPlaceUpdates: true });
        const { id, outs } = await provider.create(inputs);
        issued.push(String(outs.signingSecret));
        return { id, inputs, outs: outs as Record<string, unknown>, projectId: inputs.projectId as string };
    }

    it("a PATCH answered with a success envelope and no data is a done update: the state follows Jelou", async () => {
        const { id, inputs, outs, projectId } = await createdInPlace();
        gateway.when("PATCH", PATH(projectId), {
            kind: "replace",
            status: 200,
            contentType: "application/json",
            body: JSON.stringify({ message: ["Integration updated"], statusMessage: "success", status: 1 }),
        });
        const news = (await provider.check({}, { ...inputs, webhookUrl: "https://moved.example.com/jelou" })).inputs!;
        const { outs: updated } = await provider.update(id, outs, news);
        expect(updated).toMatchObject({ webhookUrl: "https://moved.example.com/jelou", signingSecret: outs.signingSecret });
        expect(sandbox.integration(projectId)).toMatchObject({
            id,
            webhookUrl: "https://moved.example.com/jelou",
            signingSecret: outs.signingSecret,
        });
    });

    it("a refused PATCH that echoes the old authorization (raw, URL-encoded, base64) shows none of it, and is no conflict", async () => {
        const { id, inputs, outs, projectId } = await createdInPlace();
        const old = String(outs.authorization);
        const echo = `duplicate: current authorization ${old}; ${encodeURIComponent(old)}; ${Buffer.from(old).toString("base64").split("=")[0]}`;
        gateway.when("PATCH", PATH(projectId), {
            kind: "replace",
            status: 422,
            contentType: "application/json",
            body: JSON.stringify({ message: [echo], statusMessage: "failed", status: 0 }),
        });
        const news = (await provider.check({}, { ...inputs, authorization: NEW_TOKEN })).inputs!;
        const error = await attempt(provider.update(id, outs, news));
        expect(error).toBeInstanceOf(JelouValidationError);
        const message = (error as Error).message;
        for (const form of [old, encodeURIComponent(old), Buffer.from(old).toString("base64").split("=")[0], NEW_TOKEN])
            expect(message).not.toContain(form);
        expect(message).toContain("Nothing was changed in Jelou");
        expect(message).not.toMatch(/adoptExisting/);
    });
});
