/**
 * A local Jelou: the five external-support endpoints of the documented API, the conversation flow
 * (start, close, get, and the panel's signed replies) and signed event delivery, on 127.0.0.1, for
 * tests and for trying a stack and a receiver without Jelou. It keeps everything in memory.
 */
import * as http from "http";
import { AddressInfo, Socket } from "net";
import { MESSAGE_TYPES, MessageType, MessageValue, messageValueProblem } from "../receiver/events";
import { AnswerShape, failure, HTTP_WEBHOOK_REFUSED, SandboxApi, SandboxIntegration } from "./api";
import { FlowAnswer, PanelReply, SandboxConversations, SandboxDirectory } from "./conversations";
import {
    adHocConversation,
    conversationCloseEvent,
    conversationStartEvent,
    deliverEvent,
    Delivery,
    messageEvent,
    SAMPLE_CONTENT,
    SandboxConversation,
} from "./delivery";
import { describeFault, Fault, FaultPlan, RandomFaults } from "./faults";

export { SandboxIntegration } from "./api";
export { PanelReply, SandboxDirectory } from "./conversations";
export { Delivery, DeliveryFailureKind, Participant, SandboxConversation } from "./delivery";
export { Fault, RandomFaults } from "./faults";

/** A misuse of the local Jelou from code (an unknown project or conversation, a bad event request). */
export class SandboxError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "SandboxError";
    }
}

/**
 * What `sendEvent` sends. By default a text `message` in the project's latest active conversation
 * (or in a made-up one when there is none); `messageType` picks another documented type, `content`
 * replaces the sample content; the conversation events are sent as they stand, without changing
 * the conversation (use the start and close endpoints for the flow); `raw` sends any JSON as is.
 */
export type EventRequest =
    | { type?: "message"; messageType?: MessageType; content?: MessageValue["content"]; conversationId?: string }
    | { type: "conversation.start" | "conversation.close"; conversationId?: string }
    | { raw: unknown };

export interface SandboxOptions {
    /** Port on 127.0.0.1; 0 (default) picks a free one. */
    port?: number;
    /** API keys accepted in `x-api-key`. */
    apiKeys?: string[];
    /** Client ids and secrets accepted as HTTP Basic. */
    clients?: Array<{ clientId: string; clientSecret: string }>;
    /** Response shape: `{ message, statusMessage, status, data }` (default) or the bare object. */
    shape?: "envelope" | "bare";
    /** Delay added before each answer, in milliseconds. */
    latencyMs?: number;
    /** Accept http: webhooks on a loopback host (for local receivers); Jelou itself wants https:. */
    allowLoopbackHttpWebhooks?: boolean;
    /** Keep the process alive while the server runs (the CLI); in-process servers do not by default. */
    keepAlive?: boolean;
    /** The bots and users conversations may name; unknown ones get 404. Default: any id, named after it. */
    directory?: SandboxDirectory;
    /** How long an event delivery waits for the receiver, in milliseconds (default 10000). */
    deliveryTimeoutMs?: number;
    /** Called once per request, when its answer is done (or the connection closed): no header, no body. */
    onRequest?: (request: RequestSummary) => void;
    /** Called once per event delivered (or not). */
    onDelivery?: (delivery: Delivery) => void;
}

/** One request, for a log line: method, path without query, status (none when no answer), time. */
export interface RequestSummary {
    method: string;
    path: string;
    status?: number;
    fault?: string;
    durationMs: number;
    /** Advice for the operator, e.g. the flag that accepts a refused http webhook. */
    hint?: string;
}

export interface LoggedRequest {
    method: string;
    /** The path as sent, still percent-encoded. */
    path: string;
    headers: http.IncomingHttpHeaders;
    /** The request body as received (this is a test double: tests read what was sent). */
    body?: string;
    status?: number;
    fault?: string;
    hint?: string;
}

const API_PREFIX = "/v1/external-support/";
/**
 * Where the local Jelou serves the API: at its root, and under Jelou's two gateway paths, so that a
 * baseUrl copied from production (…/jelouapi, …/platform) works with only the host changed. Any
 * other prefix is a 404, as on Jelou: a baseUrl ending in /v1 would call /v1/v1/…, and must fail here too.
 */
const SERVED_PREFIXES = ["", "/jelouapi", "/platform"];
/** Control endpoint of the sandbox itself (not part of Jelou's API): POST here sends an event. */
const EVENTS_PREFIX = "/__sandbox/events/";
/** The panel's reply endpoint, on Jelou's chatbot host without a gateway prefix. */
const REPLY_PATH = "/v1/external-support/webhook";

export class JelouSandbox {
    /** Every request received, in order. */
    readonly requests: LoggedRequest[] = [];
    /** Every event sent to a webhook, in order. */
    readonly deliveries: Delivery[] = [];
    private readonly api: SandboxApi;
    private readonly flow: SandboxConversations;
    private readonly faults = new FaultPlan();
    private readonly sockets = new Set<Socket>();
    private readonly server: http.Server;
    private latencyMs: number;
    private shape: AnswerShape;

    private readonly revoked = new Set<string>();

    private constructor(private readonly options: SandboxOptions) {
        this.api = new SandboxApi(options.allowLoopbackHttpWebhooks ?? false);
        this.flow = new SandboxConversations(this.api.store, options.directory);
        this.latencyMs = options.latencyMs ?? 0;
        this.shape = options.shape ?? "envelope";
        this.server = http.createServer((req, res) => {
            this.handle(req, res).catch((error: Error) => {
                if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
                res.end(JSON.stringify({ message: [`Local Jelou failed: ${error.message}`] }));
            });
        });
        this.server.on("connection", (socket) => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
        });
    }

    static async start(options: SandboxOptions = {}): Promise<JelouSandbox> {
        if (!options.apiKeys?.length && !options.clients?.length) {
            throw new Error("The local Jelou needs the credentials it accepts: apiKeys and/or clients.");
        }
        const sandbox = new JelouSandbox(options);
        await new Promise<void>((resolve, reject) => {
            sandbox.server.once("error", reject);
            sandbox.server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
        });
        if (!options.keepAlive) sandbox.server.unref();
        return sandbox;
    }

    /** The base URL to give the provider (everything before /v1/external-support). */
    get url(): string {
        const { port } = this.server.address() as AddressInfo;
        return `http://127.0.0.1:${port}`;
    }

    get port(): number {
        return (this.server.address() as AddressInfo).port;
    }

    /** A copy of the integrations held, secrets included (this is a test double). */
    integrations(): SandboxIntegration[] {
        return [...this.api.store.values()].map((i) => ({ ...i }));
    }

    integration(projectId: string): SandboxIntegration | undefined {
        const found = this.api.store.get(projectId);
        return found && { ...found };
    }

    /** Puts an integration in place directly, as if made outside Pulumi. */
    seed(projectId: string, fields: Pick<SandboxIntegration, "webhookUrl" | "authType"> & { authorization?: string }): SandboxIntegration {
        return { ...this.api.add(projectId, fields) };
    }

    /** Stops accepting this API key, as Jelou does once a key is revoked. */
    revokeApiKey(key: string): void {
        this.revoked.add(key);
    }

    /** The next `count` requests get this fault. */
    injectFaults(fault: Fault, count = 1): void {
        this.faults.queue(fault, count);
    }

    /** Each later request gets a fault with this chance, drawn from a seeded generator. */
    setRandomFaults(random: RandomFaults | undefined): void {
        this.faults.setRandom(random);
    }

    clearFaults(): void {
        this.faults.clear();
    }

    setLatency(ms: number): void {
        this.latencyMs = ms;
    }

    setShape(shape: AnswerShape): void {
        this.shape = shape;
    }

    clearLog(): void {
        this.requests.length = 0;
    }

    /** Every reply the panel sent through `POST /v1/external-support/webhook` that was accepted, in order. */
    get replies(): PanelReply[] {
        return this.flow.replies;
    }

    /** A copy of a conversation (started through the API), or undefined. */
    conversation(conversationId: string): SandboxConversation | undefined {
        const found = this.flow.conversations.get(conversationId);
        return found && structuredClone(found);
    }

    /** Copies of every conversation, in the order they started. */
    conversations(): SandboxConversation[] {
        return [...this.flow.conversations.values()].map((c) => structuredClone(c));
    }

    /**
     * POSTs an event to the project's webhook (a text `message` by default; see EventRequest),
     * signed with its current secret and with its authType's header. Resolves with the delivery,
     * whatever the receiver answered; rejects (SandboxError) only for a request it cannot make.
     */
    async sendEvent(projectId: string, request: EventRequest = {}): Promise<Delivery> {
        const integration = this.api.store.get(projectId);
        if (!integration) throw new SandboxError(`The local Jelou has no integration for project ${projectId}.`);
        const [name, body] = this.eventFor(projectId, request);
        return this.deliver(integration, name, body);
    }

    private eventFor(projectId: string, request: EventRequest): [string, unknown] {
        if ("raw" in request) return ["custom", request.raw];
        const conversation = this.conversationFor(projectId, request.conversationId);
        if (request.type === "conversation.start") return ["conversation.start", conversationStartEvent(conversation)];
        if (request.type === "conversation.close") return ["conversation.close", conversationCloseEvent(conversation)];
        if (request.type !== undefined && request.type !== "message") {
            throw new SandboxError(`Unknown event type "${String(request.type)}": message, conversation.start or conversation.close.`);
        }
        const type = request.messageType ?? "text";
        if (!MESSAGE_TYPES.includes(type)) throw new SandboxError(`Unknown message type "${type}": one of ${MESSAGE_TYPES.join(", ")}.`);
        if (request.conversationId !== undefined && conversation.state !== "active") {
            throw new SandboxError(
                `Conversation ${request.conversationId} is closed: Jelou sends messages only during an active conversation.`,
            );
        }
        const content = request.content ?? SAMPLE_CONTENT[type];
        const problem = messageValueProblem({ id: "x", type, content });
        if (problem) throw new SandboxError(`Not a ${type} message: ${problem}.`);
        return [`message:${type}`, messageEvent(conversation, type, content)];
    }

    private conversationFor(projectId: string, conversationId: string | undefined): SandboxConversation {
        if (conversationId === undefined) return this.flow.active(projectId) ?? adHocConversation(projectId);
        const found = this.flow.conversations.get(conversationId);
        if (!found || found.projectId !== projectId) {
            throw new SandboxError(`The local Jelou has no conversation ${conversationId} in project ${projectId}.`);
        }
        return found;
    }

    private async deliver(integration: SandboxIntegration, name: string, body: unknown): Promise<Delivery> {
        const delivery = await deliverEvent(integration, body, name, this.options.deliveryTimeoutMs);
        this.deliveries.push(delivery);
        this.options.onDelivery?.(delivery);
        return delivery;
    }

    async stop(): Promise<void> {
        for (const socket of this.sockets) socket.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const entry: LoggedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers };
        this.requests.push(entry);
        const started = Date.now();
        res.once("close", () => {
            const { method, status, fault, hint } = entry;
            const summary: RequestSummary = { method, path: entry.path.split("?")[0], durationMs: Date.now() - started };
            if (status !== undefined) summary.status = status;
            if (fault !== undefined) summary.fault = fault;
            if (hint !== undefined) summary.hint = hint;
            this.options.onRequest?.(summary);
        });
        const bytes = await readBody(req);
        const body = bytes.toString();
        if (body !== "") entry.body = body;
        if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
        const fault = this.faults.next();
        if (fault) entry.fault = describeFault(fault);
        if (fault?.kind === "hang") return; // the socket stays open until the client gives up or stop()
        if (fault?.kind === "drop") return void req.socket.destroy();
        if (fault?.kind === "status") {
            const headers = fault.retryAfter ? { "retry-after": fault.retryAfter } : undefined;
            return this.send(res, entry, fault.status, { message: [`Injected ${fault.status}`] }, headers);
        }
        const [status, answer] = await this.route(entry, req.headers, body, bytes);
        if (fault?.kind === "drop-after") return void req.socket.destroy();
        if (fault?.kind === "status-after") {
            return this.send(res, entry, fault.status, { message: [`Injected ${fault.status} after processing`] });
        }
        this.send(res, entry, status, answer);
    }

    private async route(entry: LoggedRequest, headers: http.IncomingHttpHeaders, raw: string, bytes: Buffer): Promise<[number, unknown]> {
        if (entry.path.startsWith(EVENTS_PREFIX)) return this.eventRoute(entry, headers, raw);
        const pathOnly = entry.path.split("?")[0];
        // The reply endpoint is authenticated by its signature alone; a request with API credentials
        // there is the create of a project named "webhook".
        if (entry.method === "POST" && pathOnly === REPLY_PATH && !this.hasCredentials(headers)) {
            return this.answered(this.flow.reply(bytes, headers["x-jelou-signature"]));
        }
        const at = pathOnly.indexOf(API_PREFIX);
        if (at < 0 || !SERVED_PREFIXES.includes(pathOnly.slice(0, at))) {
            return [
                404,
                {
                    message: [
                        `Not found: the API is at ${SERVED_PREFIXES.map((p) => `${p}${API_PREFIX}`).join(", ")} (baseUrl is the address before /v1/external-support)`,
                    ],
                },
            ];
        }
        if (!this.authorized(headers)) return [401, { message: ["Unauthorized: invalid or missing credentials"] }];
        const rest = pathOnly.slice(at + API_PREFIX.length);
        const [encodedProject, section, ...more] = rest.split("/");
        if (section === "conversations") {
            let projectId: string;
            try {
                projectId = decodeURIComponent(encodedProject);
            } catch {
                return [400, { message: ["Malformed projectId"] }];
            }
            const answer = this.flow.handle(entry.method, projectId, more.join("/"), raw, this.shape);
            if (answer.event && answer.status === 200)
                await this.deliver(this.api.store.get(projectId)!, answer.event.name, answer.event.body);
            return this.answered(answer);
        }
        const [status, answer] = this.api.handle(entry.method, rest, raw, this.shape);
        const messages = (answer as { message?: unknown }).message;
        if (status === 422 && Array.isArray(messages) && messages.includes(HTTP_WEBHOOK_REFUSED)) {
            entry.hint =
                "a plain-http webhook was refused: start jelou-sandbox with --allow-http-webhooks to accept http: webhooks on loopback";
        }
        return [status, answer];
    }

    private answered({ status, answer }: FlowAnswer): [number, unknown] {
        return [status, answer];
    }

    private hasCredentials(headers: http.IncomingHttpHeaders): boolean {
        return headers["x-api-key"] !== undefined || /^Basic /i.test(headers.authorization ?? "");
    }

    private async eventRoute(entry: LoggedRequest, headers: http.IncomingHttpHeaders, raw: string): Promise<[number, unknown]> {
        if (entry.method !== "POST") return [405, { message: ["POST sends an event"] }];
        if (!this.authorized(headers)) return [401, { message: ["Unauthorized: invalid or missing credentials"] }];
        let projectId: string;
        try {
            projectId = decodeURIComponent(entry.path.slice(EVENTS_PREFIX.length));
        } catch {
            return [400, { message: ["Malformed projectId"] }];
        }
        if (!this.api.store.has(projectId)) return [404, { message: [`No integration for project ${projectId}`] }];
        let request: EventRequest;
        try {
            request = raw === "" ? {} : JSON.parse(raw);
        } catch {
            return [400, { message: ["The event request must be JSON"] }];
        }
        if (typeof request !== "object" || request === null) return [422, { message: ["The event request must be an object"] }];
        try {
            const { status, error, failure, url, event } = await this.sendEvent(projectId, request);
            return [200, { projectId, url, event, status, error, failure }];
        } catch (error) {
            if (error instanceof SandboxError) return [422, { message: [error.message] }];
            throw error;
        }
    }

    private authorized(headers: http.IncomingHttpHeaders): boolean {
        const key = headers["x-api-key"];
        if (typeof key === "string" && !this.revoked.has(key) && (this.options.apiKeys ?? []).includes(key)) return true;
        const basic = /^Basic (.+)$/i.exec(headers.authorization ?? "");
        if (!basic) return false;
        const decoded = Buffer.from(basic[1], "base64").toString();
        return (this.options.clients ?? []).some((c) => decoded === `${c.clientId}:${c.clientSecret}`);
    }

    private send(
        res: http.ServerResponse,
        entry: LoggedRequest,
        status: number,
        payload: unknown,
        headers: Record<string, string> = {},
    ): void {
        entry.status = status;
        // Success bodies come shaped from the API; every failure is Jelou's failure envelope.
        const record = payload as Record<string, unknown>;
        const answer = status >= 400 && !("statusMessage" in record) ? failure(record.message as string[]) : payload;
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(answer));
    }
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", () => resolve(Buffer.alloc(0)));
    });
}
