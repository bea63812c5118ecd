// The example receiver (examples/wired-secret/receiver.ts) against the local Jelou's conversation
// flow: a start, messages answered through the panel's reply endpoint (signed), a close; it answers
// before doing the work, and hostile bodies get 400/401/413 without bringing it down.
import * as fs from "fs";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { createReceiver, Receiver, SecretFile } from "../../examples/wired-secret/receiver";
import { JelouEvent } from "../../provider/receiver/events";
import { signPayload } from "../../provider/receiver/signature";
import { API_KEY, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";

const sandbox = useSandbox({ allowLoopbackHttpWebhooks: true });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-receiver-"));
const lines: string[] = [];
const events: JelouEvent[] = [];

async function listen(receiver: Receiver): Promise<string> {
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/jelou`;
}

async function stop(receiver: Receiver): Promise<void> {
    receiver.server.closeAllConnections();
    await new Promise((r) => receiver.server.close(r));
}

let n = 0;
/** A project whose webhook is a fresh receiver reading its secret from a file. */
async function setup(options: { replyTimeoutMs?: number } = {}) {
    const projectId = `receiver-${++n}`;
    const secretPath = path.join(dir, `secret-${n}`);
    fs.writeFileSync(secretPath, "placeholder-secret");
    // The receiver's URL is known once it listens; the secret once the integration exists.
    const receiver = createReceiver({
        secret: { current: () => fs.readFileSync(secretPath, "utf8"), refresh: async () => false },
        webhookToken: WEBHOOK_TOKEN,
        replyUrl: `${sandbox.url}/v1/external-support/webhook`,
        replyTimeoutMs: options.replyTimeoutMs,
        onEvent: (e) => events.push(e),
        log: (line) => lines.push(line),
    });
    const url = await listen(receiver);
    const integration = sandbox.seed(projectId, { webhookUrl: url, authType: "bearer", authorization: WEBHOOK_TOKEN });
    fs.writeFileSync(secretPath, integration.signingSecret);
    return { projectId, receiver, url, secret: integration.signingSecret };
}

async function panel(method: string, p: string, body?: unknown) {
    const response = await fetch(`${sandbox.url}/v1/external-support/${p}`, {
        method,
        headers: { "x-api-key": API_KEY, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
}

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
    lines.length = 0;
    events.length = 0;
});

it("follows a conversation: start, messages answered through Jelou (signed), close", async () => {
    const { projectId, receiver } = await setup();
    try {
        const started = await panel("POST", `${projectId}/conversations/start`, {
            botId: "bot-1",
            userId: "user-7",
            initialMessage: "Hola",
        });
        expect(started.status).toBe(200);
        const { _id, roomId } = started.body.data;
        expect(sandbox.deliveries.at(-1)).toMatchObject({ event: "conversation.start", status: 200 });
        expect(receiver.conversations.get(_id)).toMatchObject({ roomId, botId: "bot-1", userId: "user-7", messages: 0 });

        const text = await sandbox.sendEvent(projectId, { conversationId: _id, content: { body: "¿Dónde está mi pedido 1234?" } });
        expect(text.status).toBe(200);
        const image = await sandbox.sendEvent(projectId, { conversationId: _id, messageType: "image" });
        expect(image.status).toBe(200);
        await receiver.settled();
        expect(receiver.conversations.get(_id)!.messages).toBe(2);

        // Each reply reached the local Jelou's reply endpoint, which records only validly signed ones.
        const replies = sandbox.replies.filter((r) => r.projectId === projectId);
        expect(replies).toHaveLength(2);
        expect(replies[0]).toMatchObject({ roomId, botId: "bot-1", userId: "user-7", conversationId: _id, value: { type: "text" } });
        expect((replies[0].value.content as { body: string }).body).toContain("¿Dónde está mi pedido 1234?");
        expect((replies[1].value.content as { body: string }).body).toContain("image");
        expect(receiver.stats).toMatchObject({ replies: 2, replyFailures: 0 });

        expect((await panel("POST", `${projectId}/conversations/close`, { botId: "bot-1", userId: "user-7" })).status).toBe(200);
        expect(sandbox.deliveries.at(-1)).toMatchObject({ event: "conversation.close", status: 200 });
        expect(receiver.conversations.has(_id)).toBe(false);
        expect(events.map((e) => e.kind)).toEqual(["conversation.start", "message", "message", "conversation.close"]);
        expect((await panel("GET", `${projectId}/conversations/${_id}`)).body.data.state).toBe("closed");
    } finally {
        await stop(receiver);
    }
});

it("answers Jelou before replying: an event gets its 200 while the reply to Jelou hangs", async () => {
    const { projectId, receiver } = await setup({ replyTimeoutMs: 300 });
    try {
        const { _id } = (await panel("POST", `${projectId}/conversations/start`, { botId: "b", userId: "u" })).body.data;
        sandbox.injectFaults({ kind: "hang" }); // the next request the local Jelou gets: the receiver's reply
        const delivery = await sandbox.sendEvent(projectId, { conversationId: _id });
        expect(delivery.status).toBe(200);
        expect(receiver.stats.replies).toBe(0);
        await receiver.settled();
        expect(receiver.stats).toMatchObject({ replies: 0, replyFailures: 1 });
        expect(lines.some((l) => l.includes("failed"))).toBe(true);
    } finally {
        await stop(receiver);
    }
});

it("refuses hostile requests with 400, 401, 405 or 413, and keeps serving", async () => {
    const { projectId, receiver, url, secret } = await setup();
    try {
        const post = (body: string | Buffer, headers: Record<string, string>) =>
            fetch(url, { method: "POST", headers: { authorization: `Bearer ${WEBHOOK_TOKEN}`, ...headers }, body }).then(
                (r) => r.status,
                () => "reset",
            );
        const notJson = "{this is not json";
        expect(await post(notJson, { "x-jelou-signature": signPayload(notJson, secret) })).toBe(400);
        expect(await post(notJson, {})).toBe(401);
        expect(await post(notJson, { "x-jelou-signature": "sha256=nothex" })).toBe(401);
        const event = JSON.stringify({ event: "conversation.close", timestamp: 1, project_id: projectId });
        expect(await post(event, { "x-jelou-signature": signPayload(event, "another-secret-entirely") })).toBe(401);
        expect(await post(event, { "x-jelou-signature": signPayload(event, secret), authorization: "Bearer wrong" })).toBe(401);
        expect(
            await post(Buffer.from([0xff, 0xfe, 0x00]), { "x-jelou-signature": signPayload(Buffer.from([0xff, 0xfe, 0x00]), secret) }),
        ).toBe(400);
        expect([413, "reset"]).toContain(
            await post(Buffer.alloc(2 * 1024 * 1024, 0x20), { "x-jelou-signature": signPayload("x", secret) }),
        );
        expect((await fetch(url)).status).toBe(405);
        // A signed event of an undocumented shape is acknowledged, and kept as unknown.
        const odd = JSON.stringify({ event: "conversation.transfer", to: "team-2" });
        expect(await post(odd, { "x-jelou-signature": signPayload(odd, secret) })).toBe(200);
        expect(events.at(-1)).toEqual({
            kind: "unknown",
            raw: { event: "conversation.transfer", to: "team-2" },
            why: 'undocumented event "conversation.transfer"',
        });
        // Still serving the flow.
        expect((await sandbox.sendEvent(projectId)).status).toBe(200);
        expect(lines.join("\n")).not.toContain(secret);
        expect(lines.join("\n")).not.toContain(WEBHOOK_TOKEN);
    } finally {
        await stop(receiver);
    }
});

it("reads its secret from a file once, and not again on each refused signature", async () => {
    const file = path.join(dir, "counted");
    fs.writeFileSync(file, "  counted-secret-value\n");
    const secret = new SecretFile(file, 60_000);
    expect(secret.current()).toBe("counted-secret-value"); // the file's trailing newline is not part of it
    const receiver = createReceiver({ secret });
    const url = await listen(receiver);
    try {
        for (let i = 0; i < 20; i++) {
            const body = `{"n":${i}}`;
            const status = (await fetch(url, { method: "POST", body, headers: { "x-jelou-signature": signPayload(body, "wrong-secret") } }))
                .status;
            expect(status).toBe(401);
        }
        // The file did not change and the interval has not passed: no read after the first.
        expect(secret.reads).toBe(1);
    } finally {
        await stop(receiver);
    }
});
