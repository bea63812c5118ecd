/**
 * The conversation flow of the local Jelou: the panel starts and closes conversations
 * (`POST .../{projectId}/conversations/start|close`), reads one (`GET .../conversations/{id}`), and
 * replies to the user (`POST /v1/external-support/webhook`, signed). Starts and closes return the
 * event to send; server.ts delivers it. Documented bodies and errors (docs/jelou-api.md#conversations-and-events); the
 * success bodies of start and close are not documented and answer the conversation as GET does.
 */
import { randomUUID } from "crypto";
import { messageValueProblem, MessageValue } from "../receiver/events";
import { verifySignature } from "../receiver/signature";
import type { AnswerShape, SandboxIntegration } from "./api";
import { conversationCloseEvent, conversationStartEvent, objectId, Participant, SandboxConversation } from "./delivery";

/** A reply the panel sent to a user through Jelou, accepted (its signature was valid). */
export interface PanelReply {
    projectId: string;
    roomId: string;
    botId: string;
    userId: string;
    value: MessageValue;
    /** The conversation of that room, when the local Jelou knows it. */
    conversationId?: string;
    /** The exact body received. */
    body: string;
    receivedAt: string;
}

/** Bots and users a project knows; without them any id is accepted (and named after it). */
export interface SandboxDirectory {
    bots?: Participant[];
    users?: Participant[];
}

export interface FlowAnswer {
    status: number;
    answer: unknown;
    /** The event to send to the project's webhook, and its name. */
    event?: { name: string; body: unknown };
}

const ASSIGNMENT_TYPES = ["queue", "operator", "team"];
const REDIRECT_TYPES = ["text", "edge"];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const nonEmpty = (value: unknown): value is string => typeof value === "string" && value.trim() !== "";

function shaped(shape: AnswerShape, data: unknown, message = "Success"): unknown {
    return shape === "bare" ? data : { message: [message], statusMessage: "success", status: 1, data };
}

/** What GET answers for a conversation: `_id`, `roomId`, `state`, `startAt`, then `endAt`, `endedReason` once closed. */
export function conversationView(c: SandboxConversation): Record<string, unknown> {
    return {
        _id: c._id,
        roomId: c.roomId,
        state: c.state,
        startAt: c.startAt,
        ...(c.endAt !== undefined && { endAt: c.endAt }),
        ...(c.endedReason !== undefined && { endedReason: c.endedReason }),
    };
}

export class SandboxConversations {
    /** By conversation id. */
    readonly conversations = new Map<string, SandboxConversation>();
    readonly replies: PanelReply[] = [];
    /** One room per project, bot and user, kept across conversations. */
    private readonly rooms = new Map<string, string>();

    constructor(
        private readonly integrations: Map<string, SandboxIntegration>,
        private readonly directory: SandboxDirectory = {},
    ) {}

    /** Answers `rest` (the path after `{projectId}/conversations/`) of one project. */
    handle(method: string, projectId: string, rest: string, raw: string, shape: AnswerShape): FlowAnswer {
        if (method === "GET" && rest !== "" && !rest.includes("/")) {
            let id: string;
            try {
                id = decodeURIComponent(rest);
            } catch {
                return { status: 400, answer: { message: ["Malformed conversationId"] } };
            }
            const found = this.conversations.get(id);
            if (!found || found.projectId !== projectId) return { status: 404, answer: { message: [`Conversation ${id} not found`] } };
            return { status: 200, answer: shaped(shape, conversationView(found)) };
        }
        if (rest !== "start" && rest !== "close") return { status: 404, answer: { message: ["Not found"] } };
        if (method !== "POST") return { status: 405, answer: { message: [`Method ${method} not allowed`] } };
        let body: unknown;
        try {
            body = raw === "" ? {} : JSON.parse(raw);
        } catch {
            return { status: 400, answer: { message: ["Body is not JSON"] } };
        }
        if (!isObject(body)) return { status: 422, answer: { message: ["The body must be a JSON object"] } };
        const problems = rest === "start" ? startProblems(body) : closeProblems(body);
        if (problems.length > 0) return { status: 422, answer: { message: problems } };
        if (!this.integrations.has(projectId)) {
            return { status: 404, answer: { message: [`Project ${projectId} has no external-support integration to send events to`] } };
        }
        const bot = this.find("bots", body.botId as string);
        if (!bot) return { status: 404, answer: { message: [`Bot ${body.botId} not found`] } };
        const contact = this.find("users", body.userId as string);
        if (!contact) return { status: 404, answer: { message: [`User ${body.userId} not found`] } };
        return rest === "start" ? this.start(projectId, bot, contact, body, shape) : this.close(projectId, bot, contact, body, shape);
    }

    /** The active conversation of a project, bot and user, if any. */
    active(projectId: string, botId?: string, userId?: string): SandboxConversation | undefined {
        const matching = [...this.conversations.values()].filter(
            (c) =>
                c.projectId === projectId &&
                c.state === "active" &&
                (botId === undefined || c.bot.id === botId) &&
                (userId === undefined || c.contact.id === userId),
        );
        return matching.at(-1);
    }

    /**
     * The panel's reply (`POST /v1/external-support/webhook`): authenticated by X-Jelou-Signature
     * alone, verified over the raw bytes with the current secret of any integration before the body
     * is read; the project it names must be the one whose secret signed it.
     */
    reply(raw: Buffer, signature: string | string[] | undefined): FlowAnswer {
        const integrations = [...this.integrations.values()];
        const check = verifySignature(
            raw,
            signature,
            integrations.map((i) => i.signingSecret),
        );
        if (!check.valid) {
            const why = check.reason === "missing-secret" ? "no integration holds a signing secret" : check.message;
            return { status: 401, answer: { message: [`Unauthorized: ${why}`] } };
        }
        const signer = integrations[check.secretIndex ?? 0];
        let body: unknown;
        try {
            body = JSON.parse(raw.toString("utf8"));
        } catch {
            return { status: 400, answer: { message: ["Body is not JSON"] } };
        }
        if (!isObject(body)) return { status: 422, answer: { message: ["The body must be a JSON object"] } };
        if (body.project_id !== signer.brainId) {
            return { status: 401, answer: { message: ["Unauthorized: the signature is not made with the signing secret of project_id"] } };
        }
        const problems = replyProblems(body);
        if (problems.length > 0) return { status: 422, answer: { message: problems } };
        const conversation = [...this.conversations.values()]
            .reverse()
            .find((c) => c.projectId === signer.brainId && c.roomId === body.room_id);
        this.replies.push({
            projectId: signer.brainId,
            roomId: body.room_id as string,
            botId: body.bot_id as string,
            userId: body.user_id as string,
            value: body.value as MessageValue,
            ...(conversation && { conversationId: conversation._id }),
            body: raw.toString("utf8"),
            receivedAt: new Date().toISOString(),
        });
        return { status: 200, answer: { message: ["Message sent"], statusMessage: "success", status: 1 } };
    }

    private start(projectId: string, bot: Participant, contact: Participant, body: Json, shape: AnswerShape): FlowAnswer {
        if (this.active(projectId, bot.id, contact.id)) {
            return { status: 422, answer: { message: [`User ${contact.id} already has an active conversation with bot ${bot.id}`] } };
        }
        const roomKey = JSON.stringify([projectId, bot.id, contact.id]);
        if (!this.rooms.has(roomKey)) this.rooms.set(roomKey, randomUUID());
        const conversation: SandboxConversation = {
            _id: objectId(),
            roomId: this.rooms.get(roomKey)!,
            projectId,
            bot,
            contact,
            state: "active",
            startAt: new Date().toISOString(),
            ...(body.initialMessage !== undefined && { initialMessage: body.initialMessage as string }),
            ...(body.metadata !== undefined && { metadata: body.metadata as Record<string, unknown> }),
            ...(body.assignment !== undefined && { assignment: body.assignment as SandboxConversation["assignment"] }),
        };
        this.conversations.set(conversation._id, conversation);
        return {
            status: 200,
            answer: shaped(shape, conversationView(conversation), "Conversation started"),
            event: { name: "conversation.start", body: conversationStartEvent(conversation) },
        };
    }

    private close(projectId: string, bot: Participant, contact: Participant, body: Json, shape: AnswerShape): FlowAnswer {
        const conversation = this.active(projectId, bot.id, contact.id);
        if (!conversation) {
            return { status: 404, answer: { message: [`User ${contact.id} has no active conversation with bot ${bot.id}`] } };
        }
        conversation.state = "closed";
        conversation.endAt = new Date().toISOString();
        conversation.endedReason = "closed_by_operator";
        if (body.redirectPayload !== undefined)
            conversation.redirectPayload = body.redirectPayload as SandboxConversation["redirectPayload"];
        return {
            status: 200,
            answer: shaped(shape, conversationView(conversation), "Conversation closed"),
            event: { name: "conversation.close", body: conversationCloseEvent(conversation) },
        };
    }

    private find(kind: "bots" | "users", id: string): Participant | undefined {
        const known = this.directory[kind];
        if (!known) return { id, name: kind === "bots" ? `Bot ${id}` : `User ${id}` };
        return known.find((p) => p.id === id);
    }
}

function requiredIds(body: Json): string[] {
    return ["botId", "userId"].filter((key) => !nonEmpty(body[key])).map((key) => `${key} is required and must be a string`);
}

function startProblems(body: Json): string[] {
    const problems = requiredIds(body);
    if (body.initialMessage !== undefined && typeof body.initialMessage !== "string") problems.push("initialMessage must be a string");
    if (body.metadata !== undefined && !isObject(body.metadata)) problems.push("metadata must be an object");
    if (body.assignment !== undefined) {
        const a = body.assignment;
        if (!isObject(a) || !ASSIGNMENT_TYPES.includes(a.type as string) || !nonEmpty(a.target)) {
            problems.push(`assignment must be { type: ${ASSIGNMENT_TYPES.join(" | ")}, target }`);
        }
    }
    return problems;
}

function closeProblems(body: Json): string[] {
    const problems = requiredIds(body);
    if (body.redirectPayload !== undefined) {
        const r = body.redirectPayload;
        if (!isObject(r) || !REDIRECT_TYPES.includes(r.type as string) || (r.text !== undefined && typeof r.text !== "string")) {
            problems.push(`redirectPayload must be { type: ${REDIRECT_TYPES.join(" | ")}, text }`);
        }
    }
    return problems;
}

function replyProblems(body: Json): string[] {
    const problems: string[] = [];
    const constants = { field: "messages", object: "message_event", event_type: "incoming_message" } as const;
    for (const [key, expected] of Object.entries(constants)) {
        if (body[key] !== expected) problems.push(`${key} must be "${expected}"`);
    }
    for (const key of ["room_id", "bot_id", "user_id"]) if (!nonEmpty(body[key])) problems.push(`${key} is required and must be a string`);
    const value = messageValueProblem(body.value);
    if (value) problems.push(value);
    return problems;
}
