// `jelou-sandbox`, the installed command: a log line per request (never a header or a body), the
// --allow-http-webhooks hint, usage text for usage mistakes only, send-event failures that say
// why, and the conversation commands.
import { ChildProcessWithoutNullStreams, execFile, spawn } from "child_process";
import * as http from "http";
import * as net from "net";
import { AddressInfo } from "net";
import * as path from "path";
import { API_KEY, useSandbox, WEBHOOK_TOKEN } from "../../support/fixtures";
import { useSpyReceiver } from "../../support/spy-receiver";
import { classifyFailure } from "../../../provider/sandbox/delivery";

const bin = () => path.join(process.env.JELOU_CONSUMER_DIR as string, "node_modules", ".bin", "jelou-sandbox");
const sandbox = useSandbox({ allowLoopbackHttpWebhooks: true, deliveryTimeoutMs: 500 });
const spy = useSpyReceiver();

interface Run {
    code: number;
    stdout: string;
    stderr: string;
}

function run(args: string[], env: Record<string, string | undefined> = { JELOU_API_KEY: API_KEY }): Promise<Run> {
    return new Promise((resolve) => {
        execFile(bin(), args, { env: { ...process.env, JELOU_BASE_URL: sandbox.url, ...env } }, (error, stdout, stderr) => {
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
    });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    return port;
}

/** Starts `jelou-sandbox` and resolves with its URL and a way to read what it printed. */
async function serve(
    args: string[],
): Promise<{ url: string; child: ChildProcessWithoutNullStreams; printed: () => string; lines: (n: number) => Promise<string[]> }> {
    const child = spawn(bin(), ["--port", "0", ...args], { env: { ...process.env, JELOU_API_KEY: API_KEY } });
    let printed = "";
    child.stdout.on("data", (chunk) => (printed += chunk));
    child.stderr.on("data", (chunk) => (printed += chunk));
    const url = await new Promise<string>((resolve, reject) => {
        const look = () => {
            const match = /JELOU_BASE_URL=(http:\/\/127\.0\.0\.1:\d+)/.exec(printed);
            if (match) resolve(match[1]);
        };
        child.stdout.on("data", look);
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${printed}`)));
    });
    const requestLines = () => printed.split("\n").filter((l) => /^\d{4}-\d\d-\d\dT\S+Z (GET|POST|PATCH|DELETE|PUT) /.test(l));
    // Waits until the sandbox has printed n request lines (it prints once the answer is done).
    const lines = async (n: number) => {
        while (requestLines().length < n) await new Promise((r) => setTimeout(r, 20));
        return requestLines();
    };
    return { url, child, printed: () => printed, lines };
}

describe("serving", () => {
    it("prints one line per request: time, method, path, status, duration; never a header, a body or a query", async () => {
        const { url, child, printed, lines } = await serve(["--allow-http-webhooks"]);
        try {
            await fetch(`${url}/v1/external-support/p1`, { headers: { "x-api-key": API_KEY } });
            await fetch(`${url}/v1/external-support/p1?token=marker-query-value`, { headers: { "x-api-key": "marker-wrong-key-4242" } });
            await fetch(`${url}/v1/external-support/p1`, {
                method: "POST",
                headers: { "x-api-key": API_KEY, "content-type": "application/json" },
                body: JSON.stringify({ webhookUrl: "https://support.example.com/jelou", authType: "bearer", authorization: WEBHOOK_TOKEN }),
            });
            const logged = await lines(3);
            expect(logged).toHaveLength(3);
            expect(logged[0]).toMatch(/^\S+Z GET \/v1\/external-support\/p1 404 \d+ms$/);
            expect(logged[1]).toMatch(/^\S+Z GET \/v1\/external-support\/p1 401 \d+ms$/);
            expect(logged[2]).toMatch(/^\S+Z POST \/v1\/external-support\/p1 200 \d+ms$/);
            for (const secret of [
                API_KEY,
                "marker-wrong-key-4242",
                "marker-query-value",
                WEBHOOK_TOKEN,
                "webhookUrl",
                "support.example.com",
            ]) {
                expect(printed()).not.toContain(secret);
            }
            expect(printed()).not.toMatch(/[0-9a-f]{64}/); // no signing secret
        } finally {
            child.kill();
        }
    });

    it("names --allow-http-webhooks when it refuses a plain-http webhook", async () => {
        const { url, child, printed, lines } = await serve([]);
        try {
            const refused = await fetch(`${url}/v1/external-support/p2`, {
                method: "POST",
                headers: { "x-api-key": API_KEY, "content-type": "application/json" },
                body: JSON.stringify({ webhookUrl: "http://127.0.0.1:9999/jelou" }),
            });
            expect(refused.status).toBe(422);
            expect(JSON.stringify(await refused.json())).toContain("--allow-http-webhooks");
            await lines(1);
            expect(printed()).toMatch(/POST \/v1\/external-support\/p2 422 \d+ms\n {2}hint: .*--allow-http-webhooks/);
            // A refused non-loopback http webhook is a plain 422: no hint.
            await fetch(`${url}/v1/external-support/p3`, {
                method: "POST",
                headers: { "x-api-key": API_KEY, "content-type": "application/json" },
                body: JSON.stringify({ webhookUrl: "http://support.example.com/jelou" }),
            });
            await lines(2);
            expect(printed().match(/hint:/g)).toHaveLength(1);
        } finally {
            child.kill();
        }
    });

    it("logs each event it delivers, without the webhook's query", async () => {
        const { url, child, printed, lines } = await serve(["--allow-http-webhooks"]);
        try {
            await fetch(`${url}/v1/external-support/p4`, {
                method: "POST",
                headers: { "x-api-key": API_KEY, "content-type": "application/json" },
                body: JSON.stringify({ webhookUrl: `${spy.url}?key=marker-webhook-query` }),
            });
            await fetch(`${url}/v1/external-support/p4/conversations/start`, {
                method: "POST",
                headers: { "x-api-key": API_KEY, "content-type": "application/json" },
                body: JSON.stringify({ botId: "b", userId: "u" }),
            });
            await lines(2);
            expect(printed()).toMatch(new RegExp(`event conversation.start -> ${spy.url.replace(/[/.]/g, "\\$&")} 200 \\d+ms`));
            expect(printed()).not.toContain("marker-webhook-query");
        } finally {
            child.kill();
        }
    });
});

describe("usage text only for usage mistakes", () => {
    it.each([
        [["--nope"], /Unknown option '--nope'/],
        [["frobnicate"], /unknown command "frobnicate"/],
        [["send-event"], /send-event needs --project/],
        [["send-event", "--project", "p", "--type", "sticker"], /--type must be one of text, image/],
        [["start-conversation", "--project", "p"], /start-conversation needs --bot, --user/],
        [["--port", "99999"], /--port must be a whole number/],
    ])("%j prints the usage and exits 2", async (args, message) => {
        const result = await run(args);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).toContain("Usage:");
    });

    it("a failure at run time says why, exits 1 and prints no usage", async () => {
        const port = await closedPort();
        const unreachable = await run(["send-event", "--project", "p", "--url", `http://127.0.0.1:${port}`]);
        expect(unreachable.code).toBe(1);
        expect(unreachable.stderr).toContain(
            `could not reach the local Jelou at http://127.0.0.1:${port}/__sandbox/events/p: connection refused`,
        );
        expect(unreachable.stderr).toContain("Is jelou-sandbox running there");
        expect(unreachable.stderr).not.toContain("Usage:");

        const blocker = http.createServer();
        await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
        try {
            const busy = await run(["--port", String((blocker.address() as AddressInfo).port)]);
            expect(busy.code).toBe(1);
            expect(busy.stderr).toMatch(/port \d+ on 127\.0\.0\.1 is in use/);
            expect(busy.stderr).not.toContain("Usage:");
        } finally {
            blocker.close();
        }
    });
});

describe("create, by hand", () => {
    it("creates the integration as the provider would (one POST) and prints the signing secret once", async () => {
        const result = await run([
            "create",
            "--project",
            "cli-create",
            "--webhook",
            "https://support.example.com/jelou",
            "--auth-type",
            "bearer",
            "--authorization",
            "token-0001",
        ]);
        expect(result).toMatchObject({ code: 0, stderr: "" });
        const held = sandbox.integration("cli-create")!;
        expect(held).toMatchObject({ webhookUrl: "https://support.example.com/jelou", authType: "bearer", authorization: "token-0001" });
        expect(result.stdout).toBe(
            `Integration ${held.id} created for project cli-create -> https://support.example.com/jelou (bearer)\n` +
                `signingSecret (shown once, as Jelou does): ${held.signingSecret}\n`,
        );
        // A second create for the project is Jelou's 409, said as such.
        const again = await run(["create", "--project", "cli-create", "--webhook", "https://support.example.com/jelou"]);
        expect(again.code).toBe(1);
        expect(again.stderr).toMatch(/^jelou-sandbox: the local Jelou answered 409 to POST \/v1\/external-support\/cli-create/);
    });

    it("without --webhook is a usage mistake", async () => {
        const result = await run(["create", "--project", "p"]);
        expect(result.code).toBe(2);
        expect(result.stderr).toMatch(/create needs --webhook/);
    });
});

describe("send-event says why an event was not delivered", () => {
    let n = 0;
    const projectWith = (webhookUrl: string) => {
        const id = `cli-${++n}`;
        sandbox.seed(id, { webhookUrl, authType: "no_auth" });
        return id;
    };

    it("delivers and says so", async () => {
        const id = projectWith(spy.url);
        const result = await run(["send-event", "--project", id, "--type", "document"]);
        expect(result).toMatchObject({ code: 0, stderr: "" });
        expect(result.stdout).toBe(`Event message:document delivered to ${spy.url}: the receiver answered 200\n`);
        expect(JSON.parse(spy.received.at(-1)!.body).value.type).toBe("document");
    });

    it("refused: nothing listens at the webhook", async () => {
        const url = `http://127.0.0.1:${await closedPort()}/jelou`;
        const result = await run(["send-event", "--project", projectWith(url)]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`the event was not delivered to ${url}: refused: connection refused`);
        expect(result.stderr).toContain("is the receiver running");
    });

    it("timeout: the receiver does not answer in time", async () => {
        const silent = http.createServer(() => undefined);
        await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
        try {
            const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/jelou`;
            const result = await run(["send-event", "--project", projectWith(url)]);
            expect(result.code).toBe(1);
            expect(result.stderr).toContain(`not delivered to ${url}: timeout: no answer within 500 ms`);
            expect(result.stderr).toContain("--delivery-timeout");
        } finally {
            silent.closeAllConnections();
            silent.close();
        }
    });

    it("tls: an https webhook that does not speak TLS", async () => {
        const url = spy.url.replace("http:", "https:");
        const result = await run(["send-event", "--project", projectWith(url)]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`not delivered to ${url}: tls: TLS failed`);
    });

    it.each([
        [500, "the receiver failed"],
        [401, "it refused the event: check it verifies with the current signing secret"],
    ])("status: the receiver answered %i", async (status, hint) => {
        spy.answer(status);
        const result = await run(["send-event", "--project", projectWith(spy.url)]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`the receiver at ${spy.url} answered ${status} to message:text: ${hint}`);
    });

    it("the local Jelou's own refusal: an unknown project, wrong credentials", async () => {
        const unknown = await run(["send-event", "--project", "nobody"]);
        expect(unknown.code).toBe(1);
        expect(unknown.stderr).toContain(
            "the local Jelou answered 404 to POST /__sandbox/events/nobody: No integration for project nobody",
        );
        const wrong = await run(["send-event", "--project", "nobody"], { JELOU_API_KEY: "marker-wrong-key-5151" });
        expect(wrong.stderr).toContain("answered 401");
        expect(wrong.stderr).not.toContain("marker-wrong-key-5151");
    });
});

describe("conversations from the command line", () => {
    it("start, a message in it, get, close: each event reaches the webhook", async () => {
        const id = "cli-conversation";
        sandbox.seed(id, { webhookUrl: spy.url, authType: "bearer", authorization: WEBHOOK_TOKEN });
        const started = await run([
            "start-conversation",
            "--project",
            id,
            "--bot",
            "bot-1",
            "--user",
            "user-1",
            "--message",
            "Hola",
            "--assignment",
            "queue:billing",
            "--metadata",
            '{"order":7}',
        ]);
        expect(started.code).toBe(0);
        const conversationId = /Conversation ([0-9a-f]{24}) started \(room (\S+)\)/.exec(started.stdout)![1];
        expect(JSON.parse(spy.received.at(-1)!.body)).toMatchObject({
            event: "conversation.start",
            conversation: { id: conversationId },
            initial_message: "Hola",
            assignment: { type: "queue", target: "billing" },
            metadata: { order: 7 },
        });

        const said = await run(["send-event", "--project", id, "--conversation", conversationId, "--text", "¿Y mi pedido?"]);
        expect(said.code).toBe(0);
        expect(JSON.parse(spy.received.at(-1)!.body)).toMatchObject({
            conversation: { id: conversationId },
            value: { type: "text", content: { body: "¿Y mi pedido?" } },
        });

        const read = await run(["get-conversation", "--project", id, "--conversation", conversationId]);
        expect(JSON.parse(read.stdout)).toMatchObject({ _id: conversationId, state: "active" });

        const closed = await run(["close-conversation", "--project", id, "--bot", "bot-1", "--user", "user-1", "--redirect-text", "Adiós"]);
        expect(closed.stdout).toContain(`Conversation ${conversationId} closed (closed_by_operator)`);
        expect(JSON.parse(spy.received.at(-1)!.body)).toMatchObject({
            event: "conversation.close",
            message: { type: "text", text: "Adiós" },
        });

        const again = await run(["close-conversation", "--project", id, "--bot", "bot-1", "--user", "user-1"]);
        expect(again.code).toBe(1);
        expect(again.stderr).toContain("the local Jelou answered 404");
        expect(again.stderr).not.toContain("Usage:");

        const late = await run(["send-event", "--project", id, "--conversation", conversationId]);
        expect(late.code).toBe(1);
        expect(late.stderr).toContain(`Conversation ${conversationId} is closed`);
        const event = await run(["send-event", "--project", id, "--type", "conversation.close", "--conversation", conversationId]);
        expect(event.stdout).toContain("Event conversation.close delivered");
    });
});

describe("delivery failures never quote a webhook's user, password or query", () => {
    it("fetch's own message, which quotes the URL whole, is reduced to scheme, host and path", () => {
        const quoted = new TypeError(
            "Request cannot be constructed from a URL that includes credentials: https://hookuser:hookPASSWORD@127.0.0.1:9/h?token=QUERYTOKEN",
        );
        const { failure, error } = classifyFailure(quoted, 1000);
        expect(failure).toBe("other");
        expect(error).toContain("https://127.0.0.1:9/h");
        expect(error).not.toMatch(/hookuser|hookPASSWORD|QUERYTOKEN/);
    });
});
