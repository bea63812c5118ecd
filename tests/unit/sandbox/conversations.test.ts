// The local Jelou's conversation flow (start, close, get), the events it sends (a test per
// documented shape, field for field), and the panel's signed reply endpoint.
import { MESSAGE_TYPES } from "../../../provider/receiver/events";
import { signPayload, verifySignature } from "../../../provider/receiver/signature";
import { SandboxError } from "../../../provider/sandbox/server";
import { API_KEY, useSandbox, WEBHOOK_TOKEN } from "../../support/fixtures";
import { useSpyReceiver } from "../../support/spy-receiver";

const sandbox = useSandbox({ allowLoopbackHttpWebhooks: true });
const spy = useSpyReceiver();

let n = 0;
function project(authType: "bearer" | "api_key" | "basic" | "no_auth" = "bearer"): string {
    const id = `flow-${++n}`;
    sandbox.seed(id, { webhookUrl: spy.url, authType, authorization: authType === "no_auth" ? undefined : WEBHOOK_TOKEN });
    return id;
}

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = { "x-api-key": API_KEY }) {
    const response = await fetch(`${sandbox.url}/v1/external-support/${path}`, {
        method,
        headers: { "content-type": "application/json", ...headers },
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
}

const start = (id: string, body: Record<string, unknown> = {}) =>
    api("POST", `${id}/conversations/start`, { botId: "bot-1", userId: "user-1", ...body });
const close = (id: string, body: Record<string, unknown> = {}) =>
    api("POST", `${id}/conversations/close`, { botId: "bot-1", userId: "user-1", ...body });

/** The last event the spy got, checked as signed with the project's current secret. */
function lastEvent(projectId: string): any {
    const got = spy.received.at(-1)!;
    expect(verifySignature(got.body, got.headers["x-jelou-signature"], sandbox.integration(projectId)!.signingSecret)).toEqual({
        valid: true,
    });
    expect(got.headers["content-type"]).toBe("application/json");
    return JSON.parse(got.body);
}

const sorted = (o: object) => Object.keys(o).sort();

describe("conversation flow", () => {
    it("start answers the conversation and sends conversation.start; get reads it; close closes it and sends conversation.close", async () => {
        const id = project();
        const started = await start(id, {
            initialMessage: "Hola",
            metadata: { orderId: 42 },
            assignment: { type: "queue", target: "billing" },
        });
        expect(started.status).toBe(200);
        expect(started.body).toMatchObject({ statusMessage: "success", status: 1 });
        const conversation = started.body.data;
        expect(sorted(conversation)).toEqual(["_id", "roomId", "startAt", "state"]);
        expect(conversation).toMatchObject({ _id: expect.stringMatching(/^[0-9a-f]{24}$/), state: "active" });
        expect(spy.received).toHaveLength(1);
        expect(lastEvent(id)).toMatchObject({
            event: "conversation.start",
            conversation: { id: conversation._id },
            room_id: conversation.roomId,
        });

        const read = await api("GET", `${id}/conversations/${conversation._id}`);
        expect(read.body.data).toEqual(conversation);
        expect(spy.received).toHaveLength(1); // a GET sends no event

        const closed = await close(id, { redirectPayload: { type: "text", text: "Gracias por escribirnos" } });
        expect(closed.status).toBe(200);
        expect(spy.received).toHaveLength(2);
        expect(lastEvent(id)).toMatchObject({ event: "conversation.close", conversation: { id: conversation._id } });
        const after = await api("GET", `${id}/conversations/${conversation._id}`);
        expect(sorted(after.body.data)).toEqual(["_id", "endAt", "endedReason", "roomId", "startAt", "state"]);
        expect(after.body.data).toMatchObject({ state: "closed", endedReason: "closed_by_operator", roomId: conversation.roomId });
        expect(Date.parse(after.body.data.endAt)).toBeGreaterThanOrEqual(Date.parse(after.body.data.startAt));
    });

    it("answers the bare shape on request", async () => {
        sandbox.setShape("bare");
        const id = project();
        const started = await start(id);
        expect(sorted(started.body)).toEqual(["_id", "roomId", "startAt", "state"]);
        expect((await api("GET", `${id}/conversations/${started.body._id}`)).body).toEqual(started.body);
    });

    it("keeps one room per bot and user across conversations", async () => {
        const id = project();
        const first = (await start(id)).body.data;
        await close(id);
        const second = (await start(id)).body.data;
        expect(second._id).not.toBe(first._id);
        expect(second.roomId).toBe(first.roomId);
        expect((await start(id, { userId: "user-2" })).body.data.roomId).not.toBe(first.roomId);
    });

    it("refuses what the reference says it refuses: 401, 422, 404", async () => {
        const id = project();
        expect((await api("POST", `${id}/conversations/start`, { botId: "b", userId: "u" }, { "x-api-key": "wrong" })).status).toBe(401);
        const invalid = await api("POST", `${id}/conversations/start`, {
            botId: "",
            metadata: "x",
            assignment: { type: "robot", target: "t" },
        });
        expect(invalid.status).toBe(422);
        expect(invalid.body).toMatchObject({ statusMessage: "failed", status: 0 });
        expect(invalid.body.message).toEqual([
            "botId is required and must be a string",
            "userId is required and must be a string",
            "metadata must be an object",
            "assignment must be { type: queue | operator | team, target }",
        ]);
        expect((await close(id, { redirectPayload: { type: "video" } })).body.message).toEqual([
            "redirectPayload must be { type: text | edge, text }",
        ]);
        expect((await api("POST", `${id}/conversations/start`, "{not json")).status).toBe(400);
        // No active conversation to close, an unknown conversation, a project without integration.
        expect((await close(id)).status).toBe(404);
        expect((await api("GET", `${id}/conversations/${"0".repeat(24)}`)).status).toBe(404);
        expect((await start("no-such-project")).status).toBe(404);
        // A second start while the first is active.
        expect((await start(id)).status).toBe(200);
        expect((await start(id)).status).toBe(422);
        // A conversation of another project is not found through this one.
        const other = project();
        const theirs = (await start(other)).body.data._id;
        expect((await api("GET", `${id}/conversations/${theirs}`)).status).toBe(404);
        expect(spy.received.map((r) => JSON.parse(r.body).event)).toEqual(["conversation.start", "conversation.start"]);
    });

    it("answers 404 for unknown bots and users when it is given a directory", async () => {
        const { JelouSandbox } = await import("../../../provider/sandbox/server");
        const strict = await JelouSandbox.start({
            apiKeys: [API_KEY],
            allowLoopbackHttpWebhooks: true,
            directory: { bots: [{ id: "bot-1", name: "Ventas" }], users: [{ id: "user-1", name: "Ana" }] },
        });
        try {
            strict.seed("p", { webhookUrl: spy.url, authType: "no_auth" });
            const post = (body: unknown) =>
                fetch(`${strict.url}/v1/external-support/p/conversations/start`, {
                    method: "POST",
                    headers: { "x-api-key": API_KEY, "content-type": "application/json" },
                    body: JSON.stringify(body),
                });
            expect((await post({ botId: "bot-9", userId: "user-1" })).status).toBe(404);
            expect((await post({ botId: "bot-1", userId: "user-9" })).status).toBe(404);
            expect((await post({ botId: "bot-1", userId: "user-1" })).status).toBe(200);
            expect(JSON.parse(spy.received.at(-1)!.body)).toMatchObject({
                bot: { id: "bot-1", name: "Ventas" },
                contact: { id: "user-1", name: "Ana" },
            });
        } finally {
            await strict.stop();
        }
    });
});

describe("events, field for field", () => {
    it("conversation.start: the local Jelou's choice of fields (the reference's are unreadable)", async () => {
        const id = project();
        const { _id, roomId } = (
            await start(id, { initialMessage: "Hola", metadata: { orderId: 42 }, assignment: { type: "team", target: "soporte" } })
        ).body.data;
        const event = lastEvent(id);
        expect(sorted(event)).toEqual([
            "assignment",
            "bot",
            "contact",
            "conversation",
            "event",
            "initial_message",
            "metadata",
            "project_id",
            "room_id",
            "timestamp",
        ]);
        expect(event).toEqual({
            event: "conversation.start",
            timestamp: expect.any(Number),
            project_id: id,
            room_id: roomId,
            conversation: { id: _id },
            contact: { id: "user-1", name: "User user-1" },
            bot: { id: "bot-1", name: "Bot bot-1" },
            assignment: { type: "team", target: "soporte" },
            metadata: { orderId: 42 },
            initial_message: "Hola",
        });
        expect(Number.isInteger(event.timestamp)).toBe(true);
        // Without the optional inputs, the optional fields are absent.
        const bare = project();
        await start(bare);
        expect(sorted(lastEvent(bare))).toEqual(["bot", "contact", "conversation", "event", "project_id", "room_id", "timestamp"]);
    });

    it("conversation.close: event, timestamp (epoch ms), project_id documented; reason and message chosen", async () => {
        const id = project();
        const { _id, roomId } = (await start(id)).body.data;
        const before = Date.now();
        await close(id, { redirectPayload: { type: "text", text: "Te pasamos con el bot" } });
        const event = lastEvent(id);
        expect(event).toEqual({
            event: "conversation.close",
            timestamp: expect.any(Number),
            project_id: id,
            room_id: roomId,
            conversation: { id: _id },
            contact: { id: "user-1", name: "User user-1" },
            bot: { id: "bot-1", name: "Bot bot-1" },
            reason: "closed_by_operator",
            message: { type: "text", text: "Te pasamos con el bot" },
        });
        expect(event.timestamp).toBeGreaterThanOrEqual(before);
    });

    const CONTENT_KEYS: Record<string, string[]> = {
        text: ["body"],
        image: ["caption", "mime_type", "url"],
        video: ["caption", "mime_type", "url"],
        audio: ["mime_type", "url"],
        document: ["filename", "mime_type", "url"],
    };

    it.each(MESSAGE_TYPES.map((t) => [t]))("message of type %s: every documented field, no other", async (type) => {
        const id = project();
        const { _id, roomId } = (await start(id)).body.data;
        const delivery = await sandbox.sendEvent(id, { messageType: type });
        expect(delivery).toMatchObject({ status: 200, event: `message:${type}` });
        const event = lastEvent(id);
        expect(sorted(event)).toEqual([
            "bot",
            "contact",
            "conversation",
            "event_type",
            "field",
            "object",
            "project_id",
            "room_id",
            "timestamp",
            "value",
        ]);
        expect(event).toEqual({
            field: "messages",
            object: "message_event",
            event_type: "message",
            timestamp: expect.any(Number),
            project_id: id,
            room_id: roomId,
            contact: { id: "user-1", name: "User user-1" },
            conversation: { id: _id },
            bot: { id: "bot-1", name: "Bot bot-1" },
            value: { id: expect.any(String), type, content: expect.any(Object) },
        });
        expect(sorted(event.value.content)).toEqual(CONTENT_KEYS[type]);
        for (const v of Object.values(event.value.content)) expect(typeof v).toBe("string");
        if (type !== "text") expect(event.value.content.url).toMatch(/^https:\/\//);
        // The body sent is the body signed, and the one recorded.
        expect(sandbox.deliveries.at(-1)!.body).toBe(spy.received.at(-1)!.body);
    });

    it("the default sendEvent is a text message, in a made-up conversation when none is active", async () => {
        const id = project();
        await sandbox.sendEvent(id);
        const event = lastEvent(id);
        expect(event).toMatchObject({
            event_type: "message",
            project_id: id,
            value: { type: "text", content: { body: expect.any(String) } },
        });
        expect(sandbox.conversations().some((c) => c._id === event.conversation.id)).toBe(false);
    });

    it("sends a given text, conversation events on request, and refuses what Jelou would not send", async () => {
        const id = project();
        const { _id } = (await start(id)).body.data;
        await sandbox.sendEvent(id, { conversationId: _id, content: { body: "¿Dónde está mi pedido?" } });
        expect(lastEvent(id).value.content).toEqual({ body: "¿Dónde está mi pedido?" });
        await sandbox.sendEvent(id, { type: "conversation.close", conversationId: _id });
        expect(lastEvent(id)).toMatchObject({ event: "conversation.close", conversation: { id: _id } });
        expect(sandbox.conversation(_id)!.state).toBe("active"); // an event alone changes nothing
        await close(id);
        await expect(sandbox.sendEvent(id, { conversationId: _id })).rejects.toThrow(SandboxError);
        await expect(sandbox.sendEvent(id, { conversationId: _id })).rejects.toThrow(/closed/);
        await expect(sandbox.sendEvent(id, { conversationId: "nope" })).rejects.toThrow(/no conversation nope/);
        await expect(sandbox.sendEvent(id, { messageType: "sticker" as never })).rejects.toThrow(/Unknown message type "sticker"/);
        await expect(sandbox.sendEvent(id, { messageType: "image", content: { body: "x" } as never })).rejects.toThrow(/value.content.url/);
        await expect(sandbox.sendEvent("nobody")).rejects.toThrow(/no integration for project nobody/);
    });

    it.each([
        ["bearer", { authorization: `Bearer ${WEBHOOK_TOKEN}` }],
        ["api_key", { "x-api-key": WEBHOOK_TOKEN }],
        ["basic", { authorization: `Basic ${WEBHOOK_TOKEN}` }],
        ["no_auth", {}],
    ] as const)(
        "flow events carry the header authType %s calls for, and the current secret after a rotation",
        async (authType, expected) => {
            const id = project(authType);
            await start(id);
            expect(spy.received.at(-1)!.headers).toMatchObject(expected);
            if (authType === "no_auth")
                expect(spy.received.at(-1)!.headers.authorization ?? spy.received.at(-1)!.headers["x-api-key"]).toBeUndefined();
            await api("POST", `${id}/secret/regenerate`);
            await close(id);
            lastEvent(id); // verified with the regenerated secret
        },
    );
});

describe("the panel's reply endpoint, POST /v1/external-support/webhook", () => {
    const replyBody = (projectId: string, roomId: string, overrides: Record<string, unknown> = {}) =>
        JSON.stringify({
            field: "messages",
            object: "message_event",
            event_type: "incoming_message",
            project_id: projectId,
            room_id: roomId,
            bot_id: "bot-1",
            user_id: "user-1",
            value: { id: "reply-1", type: "text", content: { body: "Hola, soy Ana de soporte" } },
            ...overrides,
        });
    const post = (body: string, headers: Record<string, string>) =>
        fetch(`${sandbox.url}/v1/external-support/webhook`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body,
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    it("records a reply signed with the project's current secret, with its conversation", async () => {
        const id = project();
        const { _id, roomId } = (await start(id)).body.data;
        const body = replyBody(id, roomId);
        const answer = await post(body, { "x-jelou-signature": signPayload(body, sandbox.integration(id)!.signingSecret) });
        expect(answer).toEqual({ status: 200, body: { message: ["Message sent"], statusMessage: "success", status: 1 } });
        expect(sandbox.replies.at(-1)).toEqual({
            projectId: id,
            roomId,
            botId: "bot-1",
            userId: "user-1",
            conversationId: _id,
            body,
            value: { id: "reply-1", type: "text", content: { body: "Hola, soy Ana de soporte" } },
            receivedAt: expect.any(String),
        });
    });

    it("refuses with 401 a reply unsigned, badly signed, signed with an old secret or another project's", async () => {
        const id = project();
        const other = project();
        const body = replyBody(id, "room-1");
        const old = sandbox.integration(id)!.signingSecret;
        await api("POST", `${id}/secret/regenerate`);
        for (const headers of <Array<Record<string, string>>>[
            {},
            { "x-jelou-signature": "sha256=zz" },
            { "x-jelou-signature": signPayload(`${body} `, sandbox.integration(id)!.signingSecret) },
            { "x-jelou-signature": signPayload(body, old) },
            { "x-jelou-signature": signPayload(body, sandbox.integration(other)!.signingSecret) },
        ]) {
            const answer = await post(body, headers);
            expect(answer.status).toBe(401);
            expect(answer.body).toMatchObject({ statusMessage: "failed", status: 0 });
        }
        expect(sandbox.replies.filter((r) => r.projectId === id)).toEqual([]);
    });

    it("answers 400 to a signed body that is not JSON and 422 to one that is not a reply", async () => {
        const id = project();
        const secret = sandbox.integration(id)!.signingSecret;
        expect((await post("{nope", { "x-jelou-signature": signPayload("{nope", secret) })).status).toBe(400);
        const wrong = replyBody(id, "room-1", { event_type: "message", value: { id: "v", type: "text", content: {} } });
        const answer = await post(wrong, { "x-jelou-signature": signPayload(wrong, secret) });
        expect(answer.status).toBe(422);
        expect(answer.body.message).toEqual(['event_type must be "incoming_message"', "value.content.body is not a string"]);
    });

    it("is the create of a project named webhook when it carries API credentials", async () => {
        const created = await api("POST", "webhook", { webhookUrl: "https://support.example.com/jelou" });
        expect(created.status).toBe(200);
        expect(sandbox.integration("webhook")).toBeDefined();
    });
});
