import * as http from "http";
import { AddressInfo } from "net";
import { JelouClient } from "../../../provider/api/client";
import { apiMessagesFrom, makeRedactor, JelouConnectionError, JelouError, JelouValidationError } from "../../../provider/api/errors";
import { API_KEY, CLIENT_SECRET, WEBHOOK_TOKEN } from "../../support/fixtures";

/** A one-off loopback server answering every request with `handler`; closed after each test. */
const servers: http.Server[] = [];
async function serve(handler: http.RequestListener): Promise<{ url: string; hits: () => number }> {
    let hits = 0;
    const server = http.createServer((req, res) => {
        hits += 1;
        handler(req, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    server.unref();
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}
afterEach(async () => {
    await Promise.all(
        servers.splice(0).map(
            (s) =>
                new Promise((r) => {
                    s.closeAllConnections();
                    s.close(r);
                }),
        ),
    );
});

function client(baseUrl: string, extra: Partial<ConstructorParameters<typeof JelouClient>[0]> = {}) {
    return new JelouClient({ baseUrl, apiKey: API_KEY, retryBaseDelayMs: 1, requestTimeoutMs: 500, redact: [WEBHOOK_TOKEN], ...extra });
}

describe("JelouClient", () => {
    it("redacts credentials the API echoes in its messages", async () => {
        const { url } = await serve((req, res) => {
            res.writeHead(422, { "content-type": "application/json" });
            res.end(JSON.stringify({ message: [`bad key ${req.headers["x-api-key"]}`, `token ${WEBHOOK_TOKEN} refused`] }));
        });
        const error = await client(url)
            .create("p1", { webhookUrl: "https://x.example", authType: "bearer", authorization: WEBHOOK_TOKEN })
            .catch((e) => e);
        expect(error).toBeInstanceOf(JelouValidationError);
        expect(error.apiMessages).toEqual(["bad key [REDACTED]", "token [REDACTED] refused"]);
        const everything = JSON.stringify({ ...error, message: error.message, stack: error.stack });
        expect(everything).not.toContain(API_KEY);
        expect(everything).not.toContain(WEBHOOK_TOKEN);
    });

    it("redacts a secret the answer echoes across the point where long messages are cut", async () => {
        const { url } = await serve((req, res) => {
            res.writeHead(400, { "content-type": "application/json" });
            res.end(JSON.stringify({ message: `${"x".repeat(290)}${req.headers["x-api-key"]}` }));
        });
        const error = await client(url)
            .get("p1")
            .catch((e) => e);
        expect(error.apiMessages[0]).toBe(`${"x".repeat(290)}[REDACTED]`);
        expect(error.message).not.toContain(API_KEY.slice(0, 10));
    });

    it("redacts the Basic credential too", async () => {
        const { url } = await serve((req, res) => {
            res.writeHead(401, { "content-type": "text/plain" });
            res.end(`refused ${req.headers.authorization}`);
        });
        const error = await new JelouClient({ baseUrl: url, clientId: "id-1", clientSecret: CLIENT_SECRET }).get("p1").catch((e) => e);
        expect(error.status).toBe(401);
        expect(error.message).toContain("refused Basic [REDACTED]");
        expect(error.message).not.toContain(Buffer.from(`id-1:${CLIENT_SECRET}`).toString("base64"));
    });

    it("refuses redirects, so the key never reaches another host", async () => {
        const elsewhere = await serve((_req, res) => res.end("{}"));
        const { url } = await serve((_req, res) => {
            res.writeHead(307, { location: `${elsewhere.url}/v1/external-support/p1` });
            res.end();
        });
        const error = await client(url)
            .get("p1")
            .catch((e) => e);
        expect(error).toBeInstanceOf(JelouError);
        expect(error.message).toMatch(/redirect \(307\).*check baseUrl/);
        expect(elsewhere.hits()).toBe(0);
    });

    it("caps the size of an answer", async () => {
        const { url } = await serve((_req, res) => {
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify({ id: "x", padding: "a".repeat(2 * 1024 * 1024) }));
        });
        const error = await client(url)
            .get("p1")
            .catch((e) => e);
        expect(error).toBeInstanceOf(JelouConnectionError);
        expect(error.message).toContain("larger than 1 MiB");
    });

    it("shows a gateway's HTML error as text", async () => {
        const { url, hits } = await serve((_req, res) => {
            res.writeHead(502, { "content-type": "text/html" });
            res.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
        });
        const error = await client(url, { maxAttempts: 2 })
            .get("p1")
            .catch((e) => e);
        expect(error.status).toBe(502);
        expect(error.apiMessages).toEqual(["502 Bad Gateway"]);
        expect(hits()).toBe(2);
    });

    it("refuses plain http to a host that is not loopback before sending anything", () => {
        expect(() => client("http://jelou.example.com")).toThrow(/https:.*loopback/);
    });

    it("reads Jelou's messages as an array, a string, or nothing", () => {
        expect(apiMessagesFrom({ message: ["a", "b"] })).toEqual(["a", "b"]);
        expect(apiMessagesFrom({ message: "only" })).toEqual(["only"]);
        expect(apiMessagesFrom({})).toEqual([]);
        expect(apiMessagesFrom("")).toEqual([]);
    });
});

describe("makeRedactor: the forms a server may echo a credential in", () => {
    const clientSecret = "client-secret-9f8e7d6c";
    const basic = Buffer.from(`client-id:${clientSecret}`).toString("base64");
    it.each([
        ["base64 of the secret", Buffer.from(clientSecret).toString("base64")],
        ["the Basic token without its padding", basic.split("=")[0]],
        ["base64url", Buffer.from(clientSecret).toString("base64url")],
        ["URL-encoded twice", encodeURIComponent(encodeURIComponent(`${clientSecret}/x`))],
    ])("%s is redacted", (_form, echoed) => {
        const redact = makeRedactor([clientSecret, basic, `${clientSecret}/x`]);
        const text = redact(`the server said: ${echoed} (end)`);
        expect(text).not.toContain(echoed);
        expect(text).toContain("the server said:");
    });
});
