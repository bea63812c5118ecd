/**
 * Event delivery by the local Jelou: the documented events (`message`, `conversation.start`,
 * `conversation.close`) POSTed to the integration's webhookUrl, signed with its current secret
 * (`X-Jelou-Signature` over the exact body string sent) and carrying the auth header its authType
 * calls for, so a receiver can be tested end to end without Jelou.
 */
import { randomBytes, randomUUID } from "crypto";
import { ConversationCloseEvent, ConversationStartEvent, MessageEvent, MessageType, MessageValue } from "../receiver/events";
import { signPayload } from "../receiver/signature";
import { AuthType } from "../api/types";

export interface DeliveryTarget {
    brainId: string;
    webhookUrl: string;
    authType: AuthType;
    authorization?: string;
    signingSecret: string;
}

/** Why an event could not be delivered: no HTTP answer at all. */
export type DeliveryFailureKind = "refused" | "timeout" | "tls" | "dns" | "reset" | "other";

export interface Delivery {
    projectId: string;
    url: string;
    /** What was sent: `message:text`, `conversation.start`, ..., or `custom`. */
    event: string;
    /** The receiver's status, or undefined when it could not be reached. */
    status?: number;
    /** Why it could not be reached (with `failure`), in words. */
    error?: string;
    failure?: DeliveryFailureKind;
    durationMs: number;
    /** The exact body sent, as signed. */
    body: string;
}

/** Someone in a conversation: the bot, or the end user (the event's `contact`). */
export interface Participant {
    id: string;
    name: string;
}

/** A conversation as the local Jelou keeps it; `_id`, `roomId`, `state`, ... are what GET answers. */
export interface SandboxConversation {
    _id: string;
    roomId: string;
    projectId: string;
    bot: Participant;
    contact: Participant;
    state: "active" | "closed";
    startAt: string;
    endAt?: string;
    endedReason?: string;
    initialMessage?: string;
    metadata?: Record<string, unknown>;
    assignment?: { type: "queue" | "operator" | "team"; target: string };
    redirectPayload?: { type: "text" | "edge"; text?: string };
}

/** Sample content of each message type; media URLs are HTTPS, as documented. */
export const SAMPLE_CONTENT: { [T in MessageType]: Extract<MessageValue, { type: T }>["content"] } = {
    text: { body: "Hola, necesito ayuda con mi pedido" },
    image: { url: "https://media.example.com/jelou/photo.jpg", mime_type: "image/jpeg", caption: "Foto del producto" },
    video: { url: "https://media.example.com/jelou/clip.mp4", mime_type: "video/mp4", caption: "Así llegó" },
    audio: { url: "https://media.example.com/jelou/voice.ogg", mime_type: "audio/ogg" },
    document: { url: "https://media.example.com/jelou/invoice.pdf", mime_type: "application/pdf", filename: "factura.pdf" },
};

/** A Mongo-style id (24 hex digits), like the `_id` of a conversation. */
export function objectId(): string {
    return randomBytes(12).toString("hex");
}

/** A `message` event, field for field as documented. */
export function messageEvent(
    conversation: SandboxConversation,
    type: MessageType = "text",
    content: MessageValue["content"] = SAMPLE_CONTENT[type],
): MessageEvent {
    return {
        field: "messages",
        object: "message_event",
        event_type: "message",
        timestamp: Date.now(),
        project_id: conversation.projectId,
        room_id: conversation.roomId,
        contact: { id: conversation.contact.id, name: conversation.contact.name },
        conversation: { id: conversation._id },
        bot: { id: conversation.bot.id, name: conversation.bot.name },
        value: { id: randomUUID(), type, content } as MessageValue,
    };
}

/** `conversation.start`: the reference's fields are unreadable; these are the local Jelou's choice. */
export function conversationStartEvent(conversation: SandboxConversation): ConversationStartEvent {
    return {
        event: "conversation.start",
        timestamp: Date.now(),
        project_id: conversation.projectId,
        room_id: conversation.roomId,
        conversation: { id: conversation._id },
        contact: { id: conversation.contact.id, name: conversation.contact.name },
        bot: { id: conversation.bot.id, name: conversation.bot.name },
        ...(conversation.assignment && { assignment: conversation.assignment }),
        ...(conversation.metadata && { metadata: conversation.metadata }),
        ...(conversation.initialMessage !== undefined && { initial_message: conversation.initialMessage }),
    };
}

/** `conversation.close`: `event`, `timestamp`, `project_id` documented; the rest is the local Jelou's choice. */
export function conversationCloseEvent(conversation: SandboxConversation): ConversationCloseEvent {
    return {
        event: "conversation.close",
        timestamp: Date.now(),
        project_id: conversation.projectId,
        room_id: conversation.roomId,
        conversation: { id: conversation._id },
        contact: { id: conversation.contact.id, name: conversation.contact.name },
        bot: { id: conversation.bot.id, name: conversation.bot.name },
        reason: conversation.endedReason ?? "closed_by_operator",
        ...(conversation.redirectPayload && { message: conversation.redirectPayload }),
    };
}

/** A stand-in conversation for events sent without one (ids made up, nothing recorded). */
export function adHocConversation(projectId: string): SandboxConversation {
    return {
        _id: objectId(),
        roomId: randomUUID(),
        projectId,
        bot: { id: "sandbox-bot", name: "Sandbox Bot" },
        contact: { id: "sandbox-user", name: "Sandbox User" },
        state: "active",
        startAt: new Date().toISOString(),
    };
}

export function webhookAuthHeaders(authType: AuthType, authorization: string | undefined): Record<string, string> {
    if (!authorization || authType === "no_auth") return {};
    if (authType === "bearer") return { authorization: `Bearer ${authorization}` };
    if (authType === "basic") return { authorization: `Basic ${authorization}` };
    return { "x-api-key": authorization };
}

const TLS_CODES = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO$|ERR_OSSL)/;

/** A URL as it may be shown: scheme, host and path; its user, password and query may be credentials. */
export function place(url: string): string {
    try {
        const parsed = new URL(url);
        return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
    } catch {
        return "(not a URL)";
    }
}

/** fetch's messages may quote the webhook URL whole. */
function withoutUrlSecrets(text: string): string {
    return text.replace(/(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*:\/\/[^\s'"<>]+/gi, place);
}

/** Why a fetch got no answer, from its error (and the error's cause, where undici puts the code). */
export function classifyFailure(error: unknown, timeoutMs: number): { failure: DeliveryFailureKind; error: string } {
    const err = error as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string; name?: string } };
    const code = err?.cause?.code ?? err?.code ?? "";
    const detail = withoutUrlSecrets(err?.cause?.message ?? err?.message ?? String(error));
    if (err?.name === "TimeoutError" || err?.name === "AbortError" || /TIMEOUT|ETIMEDOUT/.test(code)) {
        return { failure: "timeout", error: `no answer within ${timeoutMs} ms` };
    }
    if (code === "ECONNREFUSED") return { failure: "refused", error: "connection refused (nothing listens there)" };
    if (TLS_CODES.test(code) || /SSL|TLS|certificate/i.test(detail)) return { failure: "tls", error: `TLS failed: ${detail}` };
    if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { failure: "dns", error: `the host name does not resolve (${code})` };
    if (code === "ECONNRESET" || code === "EPIPE" || code === "UND_ERR_SOCKET") {
        return { failure: "reset", error: "the connection was closed before an answer" };
    }
    return { failure: "other", error: code ? `${code}: ${detail}` : detail };
}

/** Sends one event: serialized once, that exact string signed and sent. */
export async function deliverEvent(target: DeliveryTarget, event: unknown, name: string, timeoutMs = 10_000): Promise<Delivery> {
    const body = JSON.stringify(event);
    const started = Date.now();
    const delivery: Delivery = { projectId: target.brainId, url: target.webhookUrl, event: name, body, durationMs: 0 };
    try {
        const response = await fetch(target.webhookUrl, {
            method: "POST",
            headers: {
                "content-type": "application/json",
                "x-jelou-signature": signPayload(body, target.signingSecret),
                ...webhookAuthHeaders(target.authType, target.authorization),
            },
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(timeoutMs),
        });
        delivery.status = response.status;
        await response.arrayBuffer().catch(() => undefined);
    } catch (error) {
        Object.assign(delivery, classifyFailure(error, timeoutMs));
    }
    delivery.durationMs = Date.now() - started;
    return delivery;
}
