import * as net from "net";
import { JelouClient } from "../../../provider/api/client";
import { createIntegration } from "../../../provider/resource/create-saga";
import { provider } from "../../support/engine-view";
import {
    errorFromResponse,
    JelouConflictError,
    JelouConnectionError,
    JelouIncompleteCreateError,
    JelouRateLimitError,
    JelouServerError,
} from "../../../provider/api/errors";
import { Governor } from "../../../provider/api/governor";
import { shouldRetry } from "../../../provider/api/retry-policy";
import { Fault, JelouSandbox } from "../../../provider/sandbox/server";
import { API_KEY, calls, providerInputs, useSandbox } from "../../support/fixtures";

const sandbox = useSandbox();

let n = 0;
const newProject = () => `retry-${++n}`;
const hook = { webhookUrl: "https://support.example.com/jelou", authType: "no_auth" as const };

function client(overrides: Record<string, unknown> = {}) {
    return new JelouClient({ baseUrl: sandbox.url, apiKey: API_KEY, retryBaseDelayMs: 1, requestTimeoutMs: 300, ...overrides });
}

describe("the retry rules", () => {
    it.each([
        [{ code: "ECONNREFUSED" }, true, true],
        [{ code: "ECONNRESET" }, true, false],
        [{ code: "ETIMEDOUT" }, true, false],
        // A cut-off or garbled answer: worth asking again for an idempotent call, never a resent create.
        [{ code: "ERR_BAD_RESPONSE" }, true, false],
        [{ status: 200, unusable: true }, false, false],
        [{ status: 408 }, true, false],
        [{ status: 429 }, true, true],
        [{ status: 500 }, true, false],
        [{ status: 502 }, true, false],
        [{ status: 503 }, true, false],
        [{ status: 503, retryAfterMs: 1000 }, true, true],
        [{ status: 504 }, true, false],
        [{ status: 400 }, false, false],
        [{ status: 401 }, false, false],
        [{ status: 404 }, false, false],
        [{ status: 409 }, false, false],
        [{ status: 422 }, false, false],
    ])("%o: idempotent %s, create %s", (attempt, idempotent, create) => {
        expect(shouldRetry(attempt, "idempotent")).toBe(idempotent);
        expect(shouldRetry(attempt, "create")).toBe(create);
    });
});

describe("idempotent calls", () => {
    const faults: Array<[string, Fault]> = [
        ["a dropped connection", { kind: "drop" }],
        ["a hang past the timeout", { kind: "hang" }],
        ...[408, 429, 500, 502, 503, 504].map((status): [string, Fault] => [`${status}`, { kind: "status", status }]),
    ];
    it.each(faults)("are retried after %s", async (_name, fault) => {
        const projectId = newProject();
        sandbox.seed(projectId, hook);
        sandbox.injectFaults(fault);
        const found = await client().get(projectId);
        expect(found.brainId).toBe(projectId);
        expect(calls(sandbox)).toEqual([`GET /v1/external-support/${projectId}`, `GET /v1/external-support/${projectId}`]);
    });

    it("stop after maxAttempts with the last error", async () => {
        sandbox.injectFaults({ kind: "status", status: 503 }, 10);
        const error = await client({ maxAttempts: 3 })
            .delete(newProject())
            .catch((e) => e);
        expect(error).toBeInstanceOf(JelouServerError);
        expect(sandbox.requests).toHaveLength(3);
    });

    it.each([400, 401, 404, 409, 422])("are not retried after %s", async (status) => {
        sandbox.injectFaults({ kind: "status", status });
        await expect(client().get(newProject())).rejects.toMatchObject({ status });
        expect(sandbox.requests).toHaveLength(1);
    });

    it("honour Retry-After in seconds and as a date", async () => {
        const projectId = newProject();
        sandbox.seed(projectId, hook);
        sandbox.injectFaults({ kind: "status", status: 429, retryAfter: "1" });
        let started = Date.now();
        await client().get(projectId);
        expect(Date.now() - started).toBeGreaterThanOrEqual(950);

        sandbox.injectFaults({ kind: "status", status: 503, retryAfter: new Date(Date.now() + 2000).toUTCString() });
        started = Date.now();
        await client().get(projectId);
        expect(Date.now() - started).toBeGreaterThanOrEqual(900);
        expect(sandbox.requests).toHaveLength(4);
    });

    it("give up at once when Retry-After is past the total deadline", async () => {
        sandbox.injectFaults({ kind: "status", status: 429, retryAfter: "120" });
        const error = await client({ totalTimeoutMs: 5000 })
            .get(newProject())
            .catch((e) => e);
        expect(error).toBeInstanceOf(JelouRateLimitError);
        expect(error.message).toContain("retried later");
        expect(sandbox.requests).toHaveLength(1);
    });

    it("are retried while the connection is refused, until Jelou answers", async () => {
        const port = await freePort();
        const late = client({ baseUrl: `http://127.0.0.1:${port}`, retryBaseDelayMs: 100, maxAttempts: 6 })
            .get("p1")
            .catch((e) => e);
        await new Promise((r) => setTimeout(r, 150));
        const revived = await JelouSandbox.start({ port, apiKeys: [API_KEY] });
        try {
            revived.seed("p1", hook);
            expect((await late).brainId).toBe("p1");
        } finally {
            await revived.stop();
        }
    });

    it("regenerate after a lost answer: retried, and the last secret returned is the one Jelou holds", async () => {
        const projectId = newProject();
        sandbox.seed(projectId, hook);
        sandbox.injectFaults({ kind: "drop-after" });
        const { signingSecret } = await client().regenerateSecret(projectId);
        expect(calls(sandbox)).toEqual([
            `POST /v1/external-support/${projectId}/secret/regenerate`,
            `POST /v1/external-support/${projectId}/secret/regenerate`,
        ]);
        expect(signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
    });
});

describe("create", () => {
    async function create(projectId: string) {
        const inputs = (await provider.check({}, providerInputs(sandbox, { projectId, requestTimeoutMs: 300 }))).inputs!;
        return provider.create(inputs);
    }
    const POST = (p: string) => `POST /v1/external-support/${p}`;
    const GET = (p: string) => `GET /v1/external-support/${p}`;

    it.each([
        ["429", { kind: "status", status: 429, retryAfter: "0" }],
        ["503 with Retry-After", { kind: "status", status: 503, retryAfter: "0" }],
    ] as Array<[string, Fault]>)("is sent again after %s, which Jelou did not process", async (_name, fault) => {
        const projectId = newProject();
        sandbox.injectFaults(fault);
        const { outs } = await create(projectId);
        expect(calls(sandbox)).toEqual([POST(projectId), POST(projectId)]);
        expect(outs.signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
    });

    it.each([
        ["500 before processing", { kind: "status", status: 500 }],
        ["503 without Retry-After", { kind: "status", status: 503 }],
        ["a hang past the timeout", { kind: "hang" }],
        ["a dropped connection", { kind: "drop" }],
    ] as Array<[string, Fault]>)("after %s asks Jelou, finds nothing, and sends it again", async (_name, fault) => {
        const projectId = newProject();
        sandbox.injectFaults(fault);
        const { outs } = await create(projectId);
        expect(calls(sandbox)).toEqual([POST(projectId), GET(projectId), POST(projectId)]);
        expect(outs.signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
    });

    it.each([
        ["500 after processing", { kind: "status-after", status: 500 }],
        ["the connection dropped mid-answer", { kind: "drop-after" }],
    ] as Array<[string, Fault]>)("after %s finds its integration and regenerates the lost secret", async (_name, fault) => {
        sandbox.setShape("bare"); // the bare GET says the id
        const projectId = newProject();
        sandbox.injectFaults(fault);
        const { id, outs } = await create(projectId);
        expect(calls(sandbox)).toEqual([POST(projectId), GET(projectId), `POST /v1/external-support/${projectId}/secret/regenerate`]);
        const held = sandbox.integration(projectId)!;
        expect(id).toBe(held.id);
        expect(outs.signingSecret).toBe(held.signingSecret);
        expect(sandbox.integrations().filter((i) => i.brainId === projectId)).toHaveLength(1);
    });

    it("recovered against the GET envelope, which says no id, gets the stand-in id and the secret Jelou holds", async () => {
        const projectId = newProject();
        sandbox.injectFaults({ kind: "drop-after" });
        const { id, outs } = await create(projectId);
        expect(id).toBe(`project/${projectId}`);
        expect(outs).toMatchObject({
            signingSecret: sandbox.integration(projectId)!.signingSecret,
            createdAt: sandbox.integration(projectId)!.createdAt,
        });
    });

    it("after an unknown outcome, an integration with another webhook is not taken as ours, nor ours forgotten", async () => {
        const projectId = newProject();
        const other = sandbox.seed(projectId, { webhookUrl: "https://someone-else.example.com", authType: "no_auth" });
        sandbox.injectFaults({ kind: "status", status: 500 });
        const error = await create(projectId).catch((e) => e);
        // Created in our create window with another webhook: weak evidence either way, so recorded as partial, never dropped.
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
        expect(error.message).toContain(`project ${projectId}`);
        expect(error.message).toMatch(/cannot show whether.*another webhook or auth type.*adoptExisting: true/);
        expect(calls(sandbox)).toEqual([POST(projectId), GET(projectId)]);
        expect(sandbox.integration(projectId)!.signingSecret).toBe(other.signingSecret);
    });

    it("is checked after its last round too: a last create that landed unseen is found and its secret regenerated", async () => {
        const projectId = newProject();
        sandbox.injectFaults({ kind: "status", status: 500 });
        let resends = 0;
        const created = await createIntegration(client(), projectId, hook, {
            declared: {},
            // Each resend is answered with a fault: before processing, then after processing on the last round.
            log: (line) => {
                if (!line.includes("sending the create again")) return;
                resends += 1;
                sandbox.injectFaults(resends < 2 ? { kind: "status", status: 500 } : { kind: "status-after", status: 500 });
            },
        });
        expect(calls(sandbox)).toEqual([
            POST(projectId),
            GET(projectId),
            POST(projectId),
            GET(projectId),
            POST(projectId),
            GET(projectId),
            `POST /v1/external-support/${projectId}/secret/regenerate`,
        ]);
        expect(created.signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
    });

    it("sent again and refused with 409 checks whether its earlier attempt landed late, and recovers it", async () => {
        const projectId = newProject();
        sandbox.injectFaults({ kind: "status", status: 500 });
        const created = await createIntegration(client(), projectId, hook, {
            declared: {},
            // The first create lands late, between the check and the resend.
            log: (line) => void (line.includes("sending the create again") && sandbox.seed(projectId, hook)),
        });
        expect(calls(sandbox)).toEqual([
            POST(projectId),
            GET(projectId),
            POST(projectId),
            GET(projectId),
            `POST /v1/external-support/${projectId}/secret/regenerate`,
        ]);
        expect(created.signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
    });

    it("whose outcome cannot be learned is not sent again: it is recorded as partially created, with the declared inputs", async () => {
        const projectId = newProject();
        sandbox.injectFaults({ kind: "status", status: 500 }, 50);
        const error = await create(projectId).catch((e) => e);
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
        expect(error.message).toMatch(/may exist in Jelou.*500.*could not be asked.*partially created; run `pulumi up` again/);
        expect(error.id).toBe(`project/${projectId}`);
        expect(error.properties).toMatchObject({
            projectId,
            webhookUrl: "https://support.example.com/jelou",
            authType: "bearer",
            createPending: true,
        });
        expect(error.properties.signingSecret).toBeUndefined();
        expect(error.reasons).toHaveLength(1);
        expect(calls(sandbox)).toEqual([POST(projectId), GET(projectId), GET(projectId), GET(projectId), GET(projectId)]);
    });

    // Without a governor (the provider always has one: see below), a 429 counts in maxAttempts like any failure.
    const ungoverned = (projectId: string) =>
        createIntegration(client(), projectId, hook, { declared: { projectId, ...hook } }).then((result) => ({ outs: result }));

    it("that keeps meeting 429 is sent a bounded number of times, then asked about, since a 429 may hide a landed create", async () => {
        const projectId = newProject();
        sandbox.injectFaults({ kind: "status", status: 429, retryAfter: "0" }, 50);
        const error = await ungoverned(projectId).catch((e) => e);
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
        expect(calls(sandbox)).toEqual([...Array(4).fill(POST(projectId)), ...Array(4).fill(GET(projectId))]);
    });

    it("met with 429 until the client gives up asks Jelou, and on Jelou's 404 sends it again", async () => {
        const projectId = newProject();
        sandbox.injectFaults({ kind: "status", status: 429, retryAfter: "0" }, 4);
        const { outs } = await ungoverned(projectId);
        expect(calls(sandbox)).toEqual([...Array(4).fill(POST(projectId)), GET(projectId), POST(projectId)]);
        expect(outs.signingSecret).toBe(sandbox.integration(projectId)!.signingSecret);
    });

    it("that fails every round, each time with Jelou's 404 to the check, ends with nothing created and says so", async () => {
        const projectId = newProject();
        sandbox.injectFaults({ kind: "status", status: 500 });
        const error = await createIntegration(client(), projectId, hook, {
            declared: {},
            log: (line) => void (line.includes("sending the create again") && sandbox.injectFaults({ kind: "status", status: 500 })),
        }).catch((e) => e);
        expect(calls(sandbox)).toEqual([POST(projectId), GET(projectId), POST(projectId), GET(projectId), POST(projectId), GET(projectId)]);
        expect(error.message).toMatch(
            /failed 3 times \(last: .*500.*\), and Jelou says \(404\) that the project has no integration, so nothing was created/,
        );
        expect(sandbox.integration(projectId)).toBeUndefined();
    });
});

describe("through the account's governor", () => {
    it("a throttled attempt waits for the governor and does not count in maxAttempts; any other failure does", async () => {
        const projectId = newProject();
        sandbox.seed(projectId, hook);
        const governor = new Governor();
        sandbox.injectFaults({ kind: "status", status: 429 }, 2);
        await expect(client({ maxAttempts: 1, governor }).get(projectId)).resolves.toMatchObject({ brainId: projectId });
        expect(calls(sandbox)).toEqual(Array(3).fill(`GET /v1/external-support/${projectId}`));
        sandbox.clearLog();
        sandbox.injectFaults({ kind: "status", status: 500 }, 1);
        await expect(client({ maxAttempts: 1, governor }).get(projectId)).rejects.toBeInstanceOf(JelouServerError);
        expect(sandbox.requests).toHaveLength(1);
    });

    it("the deadline coming while an attempt waits for its turn says so, and nothing was sent", async () => {
        const projectId = newProject();
        const governor = new Governor({ maxRequestsPerSecond: 1 });
        await client({ governor })
            .get(projectId)
            .catch(() => undefined);
        sandbox.clearLog();
        const error = await client({ governor, totalTimeoutMs: 200 })
            .get(projectId)
            .catch((e) => e);
        expect(error.message).toMatch(/not completed within totalTimeoutMs \(200 ms\).*while it waited for its turn.*maxRequestsPerSecond/);
        expect(error.outcome).toBe("not-processed");
        expect(sandbox.requests).toHaveLength(0);
    });
});

describe("errors", () => {
    it("a 422 saying the integration exists is a conflict", () => {
        const error = errorFromResponse(
            422,
            "POST",
            "/v1/external-support/p1",
            { message: ["Integration already exists for this project"] },
            (t) => t,
        );
        expect(error).toBeInstanceOf(JelouConflictError);
    });

    it("a connection refused for good says what to check", async () => {
        const error = await client({ baseUrl: `http://127.0.0.1:${await freePort()}`, maxAttempts: 2 })
            .get("p1")
            .catch((e) => e);
        expect(error).toBeInstanceOf(JelouConnectionError);
        expect(error.message).toMatch(/ECONNREFUSED.*may be retried/);
        expect(error.message).toContain("is baseUrl right");
    });
});

function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const server = net.createServer().listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}
