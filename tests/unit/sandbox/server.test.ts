import { execFile, spawn } from "child_process";
import * as path from "path";
import { promisify } from "util";
import { API_KEY, CLIENT_ID, CLIENT_SECRET, useSandbox } from "../../support/fixtures";

const sandbox = useSandbox();

let n = 0;
const project = () => `sandbox-project-${++n}`;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = { "x-api-key": API_KEY }) {
    const response = await fetch(`${sandbox.url}/jelouapi/v1/external-support/${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}

const hook = { webhookUrl: "https://support.example.com/jelou", authType: "bearer", authorization: "token-1" };

describe("local Jelou", () => {
    it("creates (envelope), reads without the secret, patches, regenerates and deletes", async () => {
        const id = project();
        const created = await api("POST", id, hook);
        expect(created.status).toBe(200);
        expect(created.body).toMatchObject({ statusMessage: "success", status: 1, data: { brainId: id, authType: "bearer" } });
        const secret = created.body.data.signingSecret;
        expect(secret).toMatch(/^[0-9a-f]{64}$/);

        const read = await api("GET", id);
        // As documented: the GET envelope carries neither id nor authType.
        expect(Object.keys(read.body.data).sort()).toEqual(["brainId", "createdAt", "webhookUrl"]);
        expect(read.body.data).toMatchObject({ brainId: id, createdAt: created.body.data.createdAt, webhookUrl: hook.webhookUrl });
        expect(JSON.stringify(read.body)).not.toContain(secret);
        expect(JSON.stringify(read.body)).not.toContain("token-1");

        const patched = await api("PATCH", id, { webhookUrl: "https://support.example.com/v2" });
        expect(patched.body.data).toMatchObject({ webhookUrl: "https://support.example.com/v2", authType: "bearer" });
        expect(patched.body.data.updatedAt).toBeDefined();

        const regenerated = await api("POST", `${id}/secret/regenerate`);
        expect(Object.keys(regenerated.body.data).sort()).toEqual(["brainId", "signingSecret"]);
        expect(regenerated.body.data.signingSecret).toMatch(/^[0-9a-f]{64}$/);
        expect(regenerated.body.data.signingSecret).not.toBe(secret);
        expect(sandbox.integration(id)!.signingSecret).toBe(regenerated.body.data.signingSecret);

        const deleted = await api("DELETE", id);
        expect(deleted.status).toBe(200);
        expect(deleted.body).toEqual({ message: ["Integration deleted successfully"], statusMessage: "success", status: 1 });
        expect(sandbox.integration(id)).toBeUndefined();
        const gone = await api("GET", id);
        expect(gone.status).toBe(404);
        expect(gone.body).toMatchObject({ statusMessage: "failed", status: 0 });
    });

    it("answers the bare shape on request, with the fields the reference shows for each call", async () => {
        sandbox.setShape("bare");
        const id = project();
        const created = await api("POST", id, hook);
        expect(Object.keys(created.body).sort()).toEqual(["authType", "brainId", "createdAt", "id", "signingSecret", "webhookUrl"]);
        expect(created.body.signingSecret).toMatch(/^[0-9a-f]{64}$/);
        expect(Object.keys((await api("GET", id)).body).sort()).toEqual(["authType", "brainId", "createdAt", "id", "webhookUrl"]);
        expect(Object.keys((await api("PATCH", id, { authType: "no_auth" })).body).sort()).toEqual([
            "authType",
            "brainId",
            "createdAt",
            "id",
            "updatedAt",
            "webhookUrl",
        ]);
        expect(Object.keys((await api("POST", `${id}/secret/regenerate`)).body).sort()).toEqual(["regeneratedAt", "signingSecret"]);
    });

    it("accepts HTTP Basic and refuses wrong credentials with 401", async () => {
        const basic = `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`;
        expect((await api("POST", project(), hook, { authorization: basic })).status).toBe(200);
        expect((await api("POST", project(), hook, { authorization: "Basic eDp5" })).status).toBe(401);
        expect((await api("POST", project(), hook, { "x-api-key": "wrong" })).status).toBe(401);
        expect((await api("POST", project(), hook, {})).status).toBe(401);
    });

    it("refuses invalid fields with 422 and a message array, a second create with 409, unknown projects with 404", async () => {
        const id = project();
        const invalid = await api("POST", id, { webhookUrl: "http://x.example", authType: "magic" });
        expect(invalid.status).toBe(422);
        expect(invalid.body.message).toEqual([
            "webhookUrl must be a public HTTPS URL",
            "authType must be one of bearer, api_key, basic, no_auth",
        ]);
        expect((await api("POST", id, hook)).status).toBe(200);
        expect((await api("POST", id, hook)).status).toBe(409);
        const unknown = project();
        for (const [method, path] of [
            ["GET", unknown],
            ["PATCH", unknown],
            ["DELETE", unknown],
            ["POST", `${unknown}/secret/regenerate`],
        ]) {
            expect((await api(method, path, method === "PATCH" ? { authType: "no_auth" } : undefined)).status).toBe(404);
        }
    });

    it("serves the API at its root and under /jelouapi and /platform only: any other prefix is a 404 that creates nothing", async () => {
        const call = (prefix: string, id: string) =>
            fetch(`${sandbox.url}${prefix}/v1/external-support/${id}`, {
                method: "POST",
                headers: { "content-type": "application/json", "x-api-key": API_KEY },
                body: JSON.stringify(hook),
            });
        for (const prefix of ["/v1", "/jelouapi/v1", "/api", "/jelouapi/x", "/platformx"]) {
            const id = project();
            const response = await call(prefix, id);
            expect([prefix, response.status]).toEqual([prefix, 404]);
            expect(((await response.json()) as { message: string[] }).message[0]).toMatch(
                /^Not found: the API is at \/v1\/external-support\/, \/jelouapi\/v1\/external-support\/, \/platform\/v1\/external-support\//,
            );
            expect(sandbox.integration(id)).toBeUndefined();
        }
        for (const prefix of ["", "/jelouapi", "/platform"]) {
            const response = await call(prefix, project());
            expect([prefix, response.status]).toEqual([prefix, 200]);
            await response.arrayBuffer();
        }
    });

    it("logs method, path and headers, and injects faults", async () => {
        sandbox.injectFaults({ kind: "status", status: 429, retryAfter: "2" });
        const limited = await api("GET", "anything");
        expect(limited.status).toBe(429);
        expect(limited.headers.get("retry-after")).toBe("2");
        expect(sandbox.requests[0]).toMatchObject({ method: "GET", path: "/jelouapi/v1/external-support/anything", fault: "status:429" });
        expect(sandbox.requests[0].headers["x-api-key"]).toBe(API_KEY);

        sandbox.injectFaults({ kind: "drop" });
        await expect(api("GET", "anything")).rejects.toThrow();

        const id = project();
        sandbox.injectFaults({ kind: "drop-after" });
        await expect(api("POST", id, hook)).rejects.toThrow();
        expect(sandbox.integration(id)).toBeDefined();

        sandbox.injectFaults({ kind: "hang" });
        await expect(fetch(`${sandbox.url}/v1/external-support/x`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    });

    it("adds latency", async () => {
        sandbox.setLatency(120);
        const started = Date.now();
        await api("GET", "anything");
        expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    });

    it("draws random faults repeatably from a seed", async () => {
        const draw = async () => {
            sandbox.setRandomFaults({ rate: 0.5, seed: 7, faults: [{ kind: "status", status: 503 }] });
            const statuses: number[] = [];
            for (let i = 0; i < 20; i++) statuses.push((await api("GET", "nothing")).status);
            return statuses;
        };
        const first = await draw();
        expect(first).toContain(503);
        expect(first).toContain(404);
        expect(await draw()).toEqual(first);
    });
});

describe("jelou-sandbox, the installed command", () => {
    it("serves the API on 127.0.0.1, refuses wrong credentials, and never prints the key", async () => {
        const bin = path.join(process.env.JELOU_CONSUMER_DIR as string, "node_modules", ".bin", "jelou-sandbox");
        const child = spawn(bin, ["--port", "0"], { env: { ...process.env, JELOU_API_KEY: API_KEY }, stdio: ["ignore", "pipe", "pipe"] });
        try {
            let printed = "";
            const url = await new Promise<string>((resolve, reject) => {
                child.stdout.on("data", (chunk) => {
                    printed += chunk;
                    const match = /JELOU_BASE_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(printed);
                    if (match) resolve(match[1]);
                });
                child.once("exit", (code) => reject(new Error(`exited ${code}: ${printed}`)));
            });
            const get = (key: string) => fetch(`${url}/v1/external-support/p1`, { headers: { "x-api-key": key } });
            expect((await get(API_KEY)).status).toBe(404);
            expect((await get("wrong")).status).toBe(401);
            expect(printed).not.toContain(API_KEY);
        } finally {
            child.kill();
        }
    });

    it("refuses to start without the credentials it accepts", async () => {
        const bin = path.join(process.env.JELOU_CONSUMER_DIR as string, "node_modules", ".bin", "jelou-sandbox");
        const env = { ...process.env };
        for (const key of ["JELOU_API_KEY", "JELOU_CLIENT_ID", "JELOU_CLIENT_SECRET"]) delete env[key];
        const error = await promisify(execFile)(bin, ["--port", "0"], { env }).catch((e) => e);
        expect(error.code).toBe(2);
        expect(error.stderr).toContain("--api-key (or JELOU_API_KEY)");
    });
});
