/**
 * Transport (issue 16, item 6): a proxy sees only CONNECT and its own answer is never Jelou's, on the
 * lowest axios the package's range admits as well as on the one installed; a refused certificate is
 * "not sent"; a redirect on a create may have landed, so the create saga asks Jelou.
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import type { JelouClient as Client } from "../../../provider/api/client";
import { JelouClient } from "../../../provider/api/client";
import { createIntegration } from "../../../provider/resource/create-saga";
import { JelouConnectionError, JelouIncompleteCreateError, JelouNotFoundError } from "../../../provider/api/errors";
import { API_KEY, WEBHOOK_TOKEN } from "../../support/fixtures";

const ROOT = path.resolve(__dirname, "../../..");
const FIELDS = { webhookUrl: "https://support.example.com/jelou", authType: "bearer" as const, authorization: WEBHOOK_TOKEN };
const servers: net.Server[] = [];
afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function listen<T extends net.Server>(server: T): Promise<number> {
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as net.AddressInfo).port;
}

describe("the axios floor", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
    const floor = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "axios-floor", "package.json"), "utf8")).version as string;

    it("is the first version that tunnels https: through a proxy with CONNECT (1.16.1), and axios-floor installs exactly it", () => {
        expect(floor).toBe("1.16.1");
        expect(pkg.dependencies.axios).toBe(`^${floor}`);
        expect(pkg.devDependencies["axios-floor"]).toBe(`npm:axios@${floor}`);
    });
});

/** The client built on one axios: the one installed, or the floor of the range. */
function clientOn(which: "axios" | "axios-floor"): typeof Client {
    let Loaded: typeof Client | undefined;
    jest.isolateModules(() => {
        if (which === "axios-floor") jest.doMock("axios", () => jest.requireActual("axios-floor"));
        Loaded = (jest.requireActual("../../../provider/api/client") as typeof import("../../../provider/api/client")).JelouClient;
        // The module the client gets is the one asked for.
        const expected = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", which, "package.json"), "utf8")).version;
        expect(
            (jest.requireMock("axios") as { VERSION?: string }).VERSION ?? (jest.requireActual("axios") as { VERSION: string }).VERSION,
        ).toBe(expected);
    });
    jest.dontMock("axios");
    return Loaded!;
}

describe.each(["axios", "axios-floor"] as const)("an HTTPS_PROXY, on %s", (which) => {
    const saved: Record<string, string | undefined> = {};
    const PROXY_VARS = ["HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"];
    beforeEach(() =>
        PROXY_VARS.forEach((v) => {
            saved[v] = process.env[v];
            delete process.env[v];
        }),
    );
    afterEach(() =>
        PROXY_VARS.forEach((v) => {
            if (saved[v] === undefined) delete process.env[v];
            else process.env[v] = saved[v];
        }),
    );

    /** A proxy that answers every CONNECT itself, with a body shaped like Jelou's "not found". */
    async function proxy(): Promise<{ seen: string[] }> {
        const seen: string[] = [];
        const server = net.createServer((socket) => {
            let data = "";
            socket.on("data", (chunk) => {
                data += chunk.toString("latin1");
                if (!data.includes("\r\n\r\n")) return;
                seen.push(data);
                const body = JSON.stringify({ message: ["Integration not found"], statusMessage: "failed", status: 0 });
                socket.end(
                    `HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
                );
            });
            socket.on("error", () => undefined);
        });
        process.env.HTTPS_PROXY = `http://127.0.0.1:${await listen(server)}`;
        return { seen };
    }

    it("sees only a CONNECT (no key, no body), and its own 404 is not Jelou's", async () => {
        const { seen } = await proxy();
        const Loaded = clientOn(which);
        const client = new Loaded({
            baseUrl: "https://127.0.0.1:1",
            apiKey: API_KEY,
            maxAttempts: 2,
            retryBaseDelayMs: 1,
            requestTimeoutMs: 2000,
        });
        for (const call of [() => client.delete("p1"), () => client.create("p1", FIELDS)]) {
            const error = await call().catch((e) => e);
            expect(error).not.toBeInstanceOf(JelouNotFoundError);
            expect(error.name).toBe("JelouConnectionError");
            expect(error.code).toBe("ERR_PROXY_REFUSED");
            expect(error.outcome).toBe("not-processed");
            expect(error.message).toMatch(/HTTPS_PROXY/);
            expect(error.message).not.toContain("Integration not found");
        }
        expect(seen.length).toBeGreaterThanOrEqual(2);
        for (const request of seen) {
            expect(request).toMatch(/^CONNECT 127\.0\.0\.1:1 HTTP\/1\.1\r\n/);
            expect(request.toLowerCase()).not.toContain("x-api-key");
            expect(request).not.toContain(API_KEY);
            expect(request).not.toContain(WEBHOOK_TOKEN);
            expect(request).not.toContain("webhookUrl");
        }
    });
});

describe("a TLS handshake failure is not sent", () => {
    it("a self-signed certificate: not recorded as a partial create, not retried, and the error says what to fix", async () => {
        let connections = 0;
        let requests = 0;
        const server = https.createServer(
            {
                cert: fs.readFileSync(path.join(__dirname, "..", "..", "support", "fixtures", "tls", "cert.pem")),
                key: fs.readFileSync(path.join(__dirname, "..", "..", "support", "fixtures", "tls", "key.pem")),
            },
            (_req, res) => {
                requests += 1;
                res.end("{}");
            },
        );
        server.on("connection", () => {
            connections += 1;
        });
        server.on("tlsClientError", () => undefined);
        const port = await listen(server);
        const client = new JelouClient({
            baseUrl: `https://localhost:${port}`,
            apiKey: API_KEY,
            retryBaseDelayMs: 1,
            requestTimeoutMs: 2000,
        });
        const error = await createIntegration(client, "p1", FIELDS, { declared: {} }).catch((e) => e);
        expect(error).not.toBeInstanceOf(JelouIncompleteCreateError);
        expect(error).toBeInstanceOf(JelouConnectionError);
        expect(error.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
        expect(error.outcome).toBe("not-processed");
        expect(error.message).not.toMatch(/may be retried|run `pulumi up` again/);
        expect(error.message).toMatch(/certificate.*baseUrl.*NODE_EXTRA_CA_CERTS/);
        expect(requests).toBe(0);
        expect(connections).toBe(1);
    });
});

describe("a redirect on a create", () => {
    it("may have landed: the saga asks Jelou (GET) before it says anything", async () => {
        const seen: string[] = [];
        const server = http.createServer((req, res) => {
            seen.push(`${req.method}`);
            if (req.method === "POST") {
                res.writeHead(303, { location: "/elsewhere" });
                res.end();
            } else {
                res.writeHead(503, { "content-type": "application/json" });
                res.end(JSON.stringify({ message: "busy" }));
            }
        });
        const port = await listen(server);
        const client = new JelouClient({
            baseUrl: `http://127.0.0.1:${port}`,
            apiKey: API_KEY,
            maxAttempts: 1,
            retryBaseDelayMs: 1,
            requestTimeoutMs: 2000,
        });
        const error = await createIntegration(client, "p1", FIELDS, { declared: {} }).catch((e) => e);
        expect(seen).toEqual(["POST", "GET"]);
        expect(error).toBeInstanceOf(JelouIncompleteCreateError);
    });
});
