/**
 * The receiver's side of the integration: the events Jelou sends to `webhookUrl`, typed, and
 * `parseEvent`, which verifies the signature over the raw bytes first and only then parses.
 *
 * Shapes follow the reference (docs/jelou-api.md#conversations-and-events). What it documents is required here; what it
 * leaves unreadable (the fields of `conversation.start`, most of `conversation.close`) is optional,
 * so a receiver written against these types never relies on a guess. Anything that does not match
 * a documented shape is an `unknown` event that keeps the raw object: a receiver should
 * acknowledge it and move on rather than refuse it.
 */
import { SignatureFailureReason, verifySignature } from "./signature";

/** The documented message types (`value.type`). */
export const MESSAGE_TYPES = ["text", "image", "video", "audio", "document"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface TextContent {
    body: string;
}
export interface MediaContent {
    /** An HTTPS URL. */
    url: string;
    mime_type: string;
}
export interface CaptionedMediaContent extends MediaContent {
    caption?: string;
}
export interface DocumentContent extends MediaContent {
    filename?: string;
}

/** `value` of a message: `{ id, type, content }`, content by type. */
export type MessageValue =
    | { id: string; type: "text"; content: TextContent }
    | { id: string; type: "image"; content: CaptionedMediaContent }
    | { id: string; type: "video"; content: CaptionedMediaContent }
    | { id: string; type: "audio"; content: MediaContent }
    | { id: string; type: "document"; content: DocumentContent };

/** `message`: the end user wrote during an active conversation. Every field is documented. */
export interface MessageEvent {
    field: "messages";
    object: "message_event";
    event_type: "message";
    /** Epoch milliseconds. */
    timestamp: number;
    project_id: string;
    room_id: string;
    contact: { id: string; name: string };
    conversation: { id: string };
    bot: { id: string; name: string };
    value: MessageValue;
}

/** Who the conversation is assigned to, as given to `conversations/start`. */
export interface Assignment {
    type: "queue" | "operator" | "team";
    target: string;
}

/**
 * `conversation.start`: a conversation was started by the panel. The reference names the event but
 * its fields are not readable; only `event` is certain. The others are what the local Jelou sends
 * (by analogy with `message` and `conversation.close`), and are optional for that reason.
 */
export interface ConversationStartEvent {
    event: "conversation.start";
    timestamp?: number;
    project_id?: string;
    room_id?: string;
    conversation?: { id: string };
    contact?: { id: string; name?: string };
    bot?: { id: string; name?: string };
    assignment?: Assignment;
    metadata?: Record<string, unknown>;
    initial_message?: string;
}

/**
 * `conversation.close`: a conversation was closed by the panel. `event`, `timestamp` and
 * `project_id` are documented; the page says the event carries the closing reason and the message
 * sent to the user, without readable names: `reason` and `message` are the local Jelou's choice.
 */
export interface ConversationCloseEvent {
    event: "conversation.close";
    /** Epoch milliseconds. */
    timestamp: number;
    project_id: string;
    room_id?: string;
    conversation?: { id: string };
    contact?: { id: string; name?: string };
    bot?: { id: string; name?: string };
    /** Why it closed, e.g. `closed_by_operator` (the conversation's `endedReason`). */
    reason?: string;
    /** What was sent to the user on closing (the close call's `redirectPayload`). */
    message?: { type: "text" | "edge"; text?: string };
}

/** An event, by kind; `unknown` keeps whatever was received (already verified as signed by Jelou). */
export type JelouEvent =
    | { kind: "message"; event: MessageEvent }
    | { kind: "conversation.start"; event: ConversationStartEvent }
    | { kind: "conversation.close"; event: ConversationCloseEvent }
    | { kind: "unknown"; raw: unknown; why: string };

/** A signature refusal (answer 401), or a signed body that is not UTF-8 JSON (answer 400). */
export type ParseFailureReason = SignatureFailureReason | "not-json";

export type ParseResult =
    | { ok: true; event: JelouEvent; /** which of the secrets given verified the signature */ secretIndex: number }
    | { ok: false; reason: ParseFailureReason; message: string };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === "string";
const isOptional = (value: unknown, test: (v: unknown) => boolean) => value === undefined || test(value);

/** The first documented field that does not match, or undefined. */
function contentProblem(type: MessageType, content: unknown): string | undefined {
    if (!isObject(content)) return "value.content is not an object";
    if (type === "text") return isString(content.body) ? undefined : "value.content.body is not a string";
    if (!isString(content.url)) return "value.content.url is not a string";
    if (!isString(content.mime_type)) return "value.content.mime_type is not a string";
    if ((type === "image" || type === "video") && !isOptional(content.caption, isString)) return "value.content.caption is not a string";
    if (type === "document" && !isOptional(content.filename, isString)) return "value.content.filename is not a string";
    return undefined;
}

/** Why a message `value` ({ id, type, content }) is not a documented one, or undefined. */
export function messageValueProblem(value: unknown): string | undefined {
    if (!isObject(value) || !isString(value.id)) return "value is not { id, type, content }";
    if (!MESSAGE_TYPES.includes(value.type as MessageType))
        return `value.type ${JSON.stringify(value.type)} is not a documented message type`;
    return contentProblem(value.type as MessageType, value.content);
}

function messageProblem(raw: Json): string | undefined {
    if (raw.field !== "messages") return 'field is not "messages"';
    if (raw.object !== "message_event") return 'object is not "message_event"';
    if (typeof raw.timestamp !== "number" || !Number.isFinite(raw.timestamp)) return "timestamp is not a number";
    for (const key of ["project_id", "room_id"]) if (!isString(raw[key])) return `${key} is not a string`;
    const contact = raw.contact;
    if (!isObject(contact) || !isString(contact.id) || !isString(contact.name)) return "contact is not { id, name }";
    if (!isObject(raw.conversation) || !isString(raw.conversation.id)) return "conversation is not { id }";
    const bot = raw.bot;
    if (!isObject(bot) || !isString(bot.id) || !isString(bot.name)) return "bot is not { id, name }";
    return messageValueProblem(raw.value);
}

function participantProblem(raw: Json, key: string): string | undefined {
    const value = raw[key];
    if (value === undefined) return undefined;
    return isObject(value) && isString(value.id) && isOptional(value.name, isString) ? undefined : `${key} is not { id, name }`;
}

function conversationEventProblem(raw: Json, closing: boolean): string | undefined {
    if (closing) {
        if (typeof raw.timestamp !== "number") return "timestamp is not a number";
        if (!isString(raw.project_id)) return "project_id is not a string";
    }
    if (!isOptional(raw.timestamp, (v) => typeof v === "number")) return "timestamp is not a number";
    for (const key of ["project_id", "room_id", "reason", "initial_message"]) {
        if (!isOptional(raw[key], isString)) return `${key} is not a string`;
    }
    if (!isOptional(raw.conversation, (v) => isObject(v) && isString(v.id))) return "conversation is not { id }";
    return participantProblem(raw, "contact") ?? participantProblem(raw, "bot");
}

/** A documented `message` event: every field the reference documents is there, with its type. */
export function isMessageEvent(raw: unknown): raw is MessageEvent {
    return isObject(raw) && raw.event_type === "message" && messageProblem(raw) === undefined;
}

/** A documented `conversation.start` event. */
export function isConversationStartEvent(raw: unknown): raw is ConversationStartEvent {
    return isObject(raw) && raw.event === "conversation.start" && conversationEventProblem(raw, false) === undefined;
}

/** A documented `conversation.close` event. */
export function isConversationCloseEvent(raw: unknown): raw is ConversationCloseEvent {
    return isObject(raw) && raw.event === "conversation.close" && conversationEventProblem(raw, true) === undefined;
}

/**
 * Types an event already parsed (and verified): a documented shape, or `unknown` with the reason.
 * Never throws.
 */
export function classifyEvent(raw: unknown): JelouEvent {
    try {
        if (isMessageEvent(raw)) return { kind: "message", event: raw };
        if (isConversationStartEvent(raw)) return { kind: "conversation.start", event: raw };
        if (isConversationCloseEvent(raw)) return { kind: "conversation.close", event: raw };
        if (!isObject(raw)) return { kind: "unknown", raw, why: "the event is not a JSON object" };
        if (raw.event_type === "message") return { kind: "unknown", raw, why: `message event: ${messageProblem(raw)}` };
        if (raw.event === "conversation.start" || raw.event === "conversation.close") {
            return {
                kind: "unknown",
                raw,
                why: `${raw.event} event: ${conversationEventProblem(raw, raw.event === "conversation.close")}`,
            };
        }
        const name = isString(raw.event) ? raw.event : isString(raw.event_type) ? raw.event_type : undefined;
        return { kind: "unknown", raw, why: name ? `undocumented event "${name}"` : "no event or event_type field" };
    } catch {
        // A hostile object (getters, proxies) cannot come from JSON.parse; this is belt and braces.
        return { kind: "unknown", raw, why: "the event could not be read" };
    }
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Verifies `X-Jelou-Signature` over the raw body (constant time, before parsing anything) with any
 * of `secrets` (one, or several while a rotation rolls out), then parses and types the event.
 * Never throws, whatever the input: a refusal says why (`reason`, and a `message` that holds no
 * secret and no part of the body). Answer 401 to the signature reasons and 400 to `not-json`.
 */
export function parseEvent(
    rawBody: string | Buffer | Uint8Array,
    signatureHeader: string | string[] | undefined | null,
    secrets: string | readonly string[],
): ParseResult {
    let body: Buffer;
    try {
        body =
            typeof rawBody === "string"
                ? Buffer.from(rawBody, "utf8")
                : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
    } catch {
        return { ok: false, reason: "not-json", message: "the body is neither a string nor bytes" };
    }
    const check = verifySignature(body, signatureHeader ?? undefined, secrets as string[]);
    if (!check.valid) return { ok: false, reason: check.reason, message: check.message };
    let parsed: unknown;
    try {
        parsed = JSON.parse(UTF8.decode(body));
    } catch {
        return { ok: false, reason: "not-json", message: "the body is signed but is not UTF-8 JSON" };
    }
    return { ok: true, event: classifyEvent(parsed), secretIndex: check.secretIndex ?? 0 };
}
