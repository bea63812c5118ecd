// The receiver toolkit: parseEvent verifies first (raw bytes, one secret or several), then parses
// and types the event; it never throws, whatever arrives. verifySignature takes several secrets.
import * as fc from "fast-check";
import { classifyEvent, parseEvent } from "../../../provider/receiver/events";
import * as pkg from "../../../provider/index";
import { signPayload, verifySignature } from "../../../provider/receiver/signature";
import {
    conversationCloseEvent,
    conversationStartEvent,
    messageEvent,
    adHocConversation,
    SAMPLE_CONTENT,
} from "../../../provider/sandbox/delivery";

const SECRET = "a1b2c3d4e5f60718293a4b5c6d7e8f90";
const OLD = "0f9e8d7c6b5a49382716f5e4d3c2b1a0";

const signed = (event: unknown, secret = SECRET) => {
    const body = JSON.stringify(event);
    return { body, header: signPayload(body, secret) };
};

const conversation = adHocConversation("project-1");

describe("parseEvent", () => {
    it("is exported by the package", () => {
        expect(pkg.parseEvent).toBe(parseEvent);
        expect(pkg.MESSAGE_TYPES).toEqual(["text", "image", "video", "audio", "document"]);
    });

    it.each([
        ["message", messageEvent(conversation, "text")],
        ["message", messageEvent(conversation, "document")],
        ["conversation.start", conversationStartEvent(conversation)],
        ["conversation.close", conversationCloseEvent(conversation)],
    ])("types a %s event as sent by the local Jelou", (kind, event) => {
        const { body, header } = signed(event);
        expect(parseEvent(body, header, SECRET)).toEqual({ ok: true, secretIndex: 0, event: { kind, event } });
        expect(parseEvent(Buffer.from(body), [header], SECRET)).toMatchObject({ ok: true, event: { kind } });
        expect(parseEvent(new Uint8Array(Buffer.from(body)), header, SECRET)).toMatchObject({ ok: true, event: { kind } });
    });

    it("types the documented minimum: a close with only event, timestamp and project_id; a start with only event", () => {
        const close = { event: "conversation.close", timestamp: 1, project_id: "p" };
        expect(classifyEvent(close)).toEqual({ kind: "conversation.close", event: close });
        expect(classifyEvent({ event: "conversation.start" })).toEqual({
            kind: "conversation.start",
            event: { event: "conversation.start" },
        });
    });

    it.each([
        [{ event: "message.created" }, 'undocumented event "message.created"'],
        [{ hello: 1 }, "no event or event_type field"],
        [[1, 2], "the event is not a JSON object"],
        [null, "the event is not a JSON object"],
        [
            { ...messageEvent(conversation), value: { id: "v", type: "sticker", content: {} } },
            'message event: value.type "sticker" is not a documented message type',
        ],
        [
            { ...messageEvent(conversation), value: { id: "v", type: "image", content: { url: "https://x" } } },
            "message event: value.content.mime_type is not a string",
        ],
        [{ ...messageEvent(conversation), contact: { id: 7 } }, "message event: contact is not { id, name }"],
        [{ ...messageEvent(conversation), timestamp: "yesterday" }, "message event: timestamp is not a number"],
        [{ event: "conversation.close", project_id: "p" }, "conversation.close event: timestamp is not a number"],
        [{ event: "conversation.start", conversation: "c" }, "conversation.start event: conversation is not { id }"],
    ])("keeps a signed event that is not a documented shape as unknown, with the raw object (%#)", (raw, why) => {
        const { body, header } = signed(raw);
        expect(parseEvent(body, header, SECRET)).toEqual({ ok: true, secretIndex: 0, event: { kind: "unknown", raw, why } });
    });

    it("verifies before parsing: a bad signature on a body that is not JSON is a signature failure", () => {
        expect(parseEvent("{not json", signPayload("{not json", OLD), SECRET)).toMatchObject({ ok: false, reason: "bad-signature" });
        expect(parseEvent("{not json", signPayload("{not json", SECRET), SECRET)).toMatchObject({ ok: false, reason: "not-json" });
    });

    it("gives each refusal its reason", () => {
        const { body, header } = signed(messageEvent(conversation));
        expect(parseEvent(body, undefined, SECRET)).toMatchObject({ ok: false, reason: "missing-header" });
        expect(parseEvent(body, null, SECRET)).toMatchObject({ ok: false, reason: "missing-header" });
        expect(parseEvent(body, "sha256=abc", SECRET)).toMatchObject({ ok: false, reason: "malformed-header" });
        expect(parseEvent(body, header, OLD)).toMatchObject({ ok: false, reason: "bad-signature" });
        expect(parseEvent(`${body} `, header, SECRET)).toMatchObject({ ok: false, reason: "bad-signature" });
        expect(parseEvent(body, header, [])).toMatchObject({ ok: false, reason: "missing-secret" });
        expect(parseEvent(body, header, "")).toMatchObject({ ok: false, reason: "missing-secret" });
        // Bytes that are not UTF-8, signed: not JSON (never silently replaced characters).
        const bytes = Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]);
        expect(parseEvent(bytes, signPayload(bytes, SECRET), SECRET)).toMatchObject({ ok: false, reason: "not-json" });
    });

    it("accepts the old or the new secret while a rotation rolls out, and says which matched", () => {
        const { body, header } = signed(messageEvent(conversation), OLD);
        expect(parseEvent(body, header, [SECRET, OLD])).toMatchObject({ ok: true, secretIndex: 1 });
        expect(parseEvent(body, header, ["", OLD])).toMatchObject({ ok: true, secretIndex: 1 });
        expect(parseEvent(body, header, [SECRET])).toMatchObject({ ok: false, reason: "bad-signature" });
    });

    it("never puts a secret or the body in a refusal message", () => {
        const { body } = signed({ marker: "body-marker-3141" });
        for (const header of [undefined, "x", signPayload(body, OLD)]) {
            const result = parseEvent(body, header, SECRET);
            expect(result.ok).toBe(false);
            expect(JSON.stringify(result)).not.toMatch(/body-marker-3141|a1b2c3d4|0f9e8d7c/);
        }
    });

    it("never throws on hostile input (fuzzed bodies, headers and secrets)", () => {
        fc.assert(
            fc.property(
                fc.oneof(
                    fc.string(),
                    fc.uint8Array().map((a) => Buffer.from(a)),
                    fc.json(),
                    fc.constant(undefined as never),
                    fc.integer() as never,
                ),
                fc.oneof(fc.string(), fc.array(fc.string()), fc.constant(undefined), fc.constant(null), fc.constant(42 as never)),
                fc.oneof(fc.string(), fc.array(fc.string()), fc.constant([1, null] as never), fc.constant(undefined as never)),
                (body, header, secrets) => {
                    const result = parseEvent(body as string, header as string, secrets as string);
                    expect(typeof result.ok).toBe("boolean");
                },
            ),
            { numRuns: 1500 },
        );
        fc.assert(
            fc.property(fc.json(), (json) => {
                const header = signPayload(json, SECRET);
                const result = parseEvent(json, header, SECRET);
                expect(result.ok).toBe(true);
                if (result.ok && result.event.kind === "unknown") expect(result.event.raw).toEqual(JSON.parse(json));
            }),
            { numRuns: 500 },
        );
    });
});

describe("verifySignature with several secrets", () => {
    const body = JSON.stringify({ event: "conversation.close", timestamp: 1, project_id: "p" });

    it("is valid when any secret made the signature, naming its index; a single secret answers as before", () => {
        expect(verifySignature(body, signPayload(body, OLD), [SECRET, OLD])).toEqual({ valid: true, secretIndex: 1 });
        expect(verifySignature(body, signPayload(body, SECRET), [SECRET, OLD])).toEqual({ valid: true, secretIndex: 0 });
        expect(verifySignature(body, signPayload(body, SECRET), SECRET)).toEqual({ valid: true });
    });

    it("refuses when none did, skips empty secrets, and needs at least one", () => {
        expect(verifySignature(body, signPayload(body, "third-secret"), [SECRET, OLD])).toMatchObject({
            valid: false,
            reason: "bad-signature",
        });
        expect(verifySignature(body, signPayload(body, OLD), ["", OLD])).toEqual({ valid: true, secretIndex: 1 });
        expect(verifySignature(body, signPayload(body, OLD), [])).toMatchObject({ valid: false, reason: "missing-secret" });
        expect(verifySignature(body, signPayload(body, OLD), ["", ""])).toMatchObject({ valid: false, reason: "missing-secret" });
    });

    it("types every sample message of the local Jelou as a documented message", () => {
        for (const type of Object.keys(SAMPLE_CONTENT) as Array<keyof typeof SAMPLE_CONTENT>) {
            expect(classifyEvent(messageEvent(conversation, type)).kind).toBe("message");
        }
    });
});
