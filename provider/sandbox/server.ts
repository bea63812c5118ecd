/**
 * A local Jelou: the five external-support endpoints of the documented API on 127.0.0.1, for
 * tests and for trying a stack without Jelou. It keeps everything in memory.
 */
import { randomBytes, randomUUID } from "crypto";
import * as http from "http";
import { AddressInfo, Socket } from "net";
import { AUTH_TYPES, AuthType } from "../types";
import { isLoopbackHost } from "../validation";
import { deliverEvent, Delivery, sampleEvent } from "./events";
import { describeFault, Fault, FaultPlan, RandomFaults } from "./faults";

export { Delivery } from "./events";
export { Fault, RandomFaults } from "./faults";

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
}

export interface SandboxIntegration {
    id: string;
    brainId: string;
    webhookUrl: string;
    authType: AuthType;
    authorization?: string;
    signingSecret: string;
    createdAt: string;
    updatedAt?: string;
    regeneratedAt?: string;
}

export interface LoggedRequest {
    method: string;
    /** The path as sent, still percent-encoded. */
    path: string;
    headers: http.IncomingHttpHeaders;
    status?: number;
    fault?: string;
}

const API_PREFIX = "/v1/external-support/";
/** Control endpoint of the sandbox itself (not part of Jelou's API): POST here sends an event. */
const EVENTS_PREFIX = "/__sandbox/events/";

export class JelouSandbox {
    /** Every request received, in order. */
    readonly requests: LoggedRequest[] = [];
    /** Every event sent to a webhook, in order. */
    readonly deliveries: Delivery[] = [];
    private readonly store = new Map<string, SandboxIntegration>();
    private readonly faults = new FaultPlan();
    private readonly sockets = new Set<Socket>();
    private readonly server: http.Server;
    private latencyMs: number;
    private shape: "envelope" | "bare";

    private constructor(private readonly options: SandboxOptions) {
        this.latencyMs = options.latencyMs ?? 0;
        this.shape = options.shape ?? "envelope";
        this.server = http.createServer((req, res) => void this.handle(req, res));
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
        return [...this.store.values()].map((i) => ({ ...i }));
    }

    integration(projectId: string): SandboxIntegration | undefined {
        const found = this.store.get(projectId);
        return found && { ...found };
    }

    /** Puts an integration in place directly, as if made outside Pulumi. */
    seed(projectId: string, fields: Pick<SandboxIntegration, "webhookUrl" | "authType"> & { authorization?: string }): SandboxIntegration {
        const integration = this.newIntegration(projectId, fields);
        this.store.set(projectId, integration);
        return { ...integration };
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

    setShape(shape: "envelope" | "bare"): void {
        this.shape = shape;
    }

    clearLog(): void {
        this.requests.length = 0;
    }

    /** POSTs an event (a sample by default) to the project's webhook, signed with its current secret. */
    async sendEvent(projectId: string, event: unknown = sampleEvent(projectId)): Promise<Delivery> {
        const integration = this.store.get(projectId);
        if (!integration) throw new Error(`The local Jelou has no integration for project ${projectId}.`);
        const delivery = await deliverEvent(integration, event);
        this.deliveries.push(delivery);
        return delivery;
    }

    async stop(): Promise<void> {
        for (const socket of this.sockets) socket.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const entry: LoggedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers };
        this.requests.push(entry);
        const body = await readBody(req);
        if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
        const fault = this.faults.next();
        if (fault) entry.fault = describeFault(fault);
        if (fault?.kind === "hang") return; // the socket stays open until the client gives up or stop()
        if (fault?.kind === "drop") return void req.socket.destroy();
        if (fault?.kind === "status") {
            const headers = fault.retryAfter ? { "retry-after": fault.retryAfter } : undefined;
            return this.send(res, entry, fault.status, { message: [`Injected ${fault.status}`] }, headers);
        }
        const [status, answer] = entry.path.startsWith(EVENTS_PREFIX)
            ? await this.eventRoute(entry, req.headers, body)
            : this.route(entry, req.headers, body);
        if (fault?.kind === "drop-after") return void req.socket.destroy();
        if (fault?.kind === "status-after") {
            return this.send(res, entry, fault.status, { message: [`Injected ${fault.status} after processing`] });
        }
        this.send(res, entry, status, answer);
    }

    private route(entry: LoggedRequest, headers: http.IncomingHttpHeaders, raw: string): [number, unknown] {
        const pathOnly = entry.path.split("?")[0];
        const at = pathOnly.indexOf(API_PREFIX);
        if (at < 0) return [404, { message: ["Not found"] }];
        if (!this.authorized(headers)) return [401, { message: ["Unauthorized: invalid or missing credentials"] }];
        const segments = pathOnly.slice(at + API_PREFIX.length).split("/");
        let projectId: string;
        try {
            projectId = decodeURIComponent(segments[0]);
        } catch {
            return [400, { message: ["Malformed projectId"] }];
        }
        const rest = segments.slice(1).join("/");
        let body: Record<string, unknown> = {};
        if (raw !== "") {
            try {
                body = JSON.parse(raw);
            } catch {
                return [400, { message: ["Body is not JSON"] }];
            }
        }
        const existing = this.store.get(projectId);
        if (rest === "secret/regenerate" && entry.method === "POST") {
            if (!existing) return [404, { message: [`No integration for project ${projectId}`] }];
            existing.signingSecret = randomBytes(32).toString("hex");
            existing.regeneratedAt = new Date().toISOString();
            return [200, { ...publicView(existing), signingSecret: existing.signingSecret, regeneratedAt: existing.regeneratedAt }];
        }
        if (rest !== "" || projectId === "") return [404, { message: ["Not found"] }];
        switch (entry.method) {
            case "POST": {
                const problems = this.fieldProblems(body, true);
                if (problems.length > 0) return [422, { message: problems }];
                if (existing) return [409, { message: [`Project ${projectId} already has an integration`] }];
                const created = this.newIntegration(projectId, body as Pick<SandboxIntegration, "webhookUrl" | "authType">);
                this.store.set(projectId, created);
                return [200, { ...publicView(created), signingSecret: created.signingSecret }];
            }
            case "GET":
                return existing ? [200, publicView(existing)] : [404, { message: [`No integration for project ${projectId}`] }];
            case "PATCH": {
                if (!existing) return [404, { message: [`No integration for project ${projectId}`] }];
                const problems = this.fieldProblems(body, false);
                if (problems.length > 0) return [422, { message: problems }];
                for (const key of ["webhookUrl", "authType", "authorization"] as const) {
                    if (body[key] !== undefined) (existing as unknown as Record<string, unknown>)[key] = body[key];
                }
                existing.updatedAt = new Date().toISOString();
                return [200, { ...publicView(existing), updatedAt: existing.updatedAt }];
            }
            case "DELETE":
                if (!existing) return [404, { message: [`No integration for project ${projectId}`] }];
                this.store.delete(projectId);
                return [200, { message: ["Integration deleted successfully"] }];
            default:
                return [405, { message: [`Method ${entry.method} not allowed`] }];
        }
    }

    private async eventRoute(entry: LoggedRequest, headers: http.IncomingHttpHeaders, raw: string): Promise<[number, unknown]> {
        if (entry.method !== "POST") return [405, { message: ["POST sends an event"] }];
        if (!this.authorized(headers)) return [401, { message: ["Unauthorized: invalid or missing credentials"] }];
        const projectId = decodeURIComponent(entry.path.slice(EVENTS_PREFIX.length));
        if (!this.store.has(projectId)) return [404, { message: [`No integration for project ${projectId}`] }];
        let event: unknown;
        try {
            event = raw === "" ? undefined : JSON.parse(raw);
        } catch {
            return [400, { message: ["The event must be JSON"] }];
        }
        const { status, error, url } = await this.sendEvent(projectId, event);
        return [200, { projectId, url, status, error }];
    }

    private authorized(headers: http.IncomingHttpHeaders): boolean {
        const key = headers["x-api-key"];
        if (typeof key === "string" && (this.options.apiKeys ?? []).includes(key)) return true;
        const basic = /^Basic (.+)$/i.exec(headers.authorization ?? "");
        if (!basic) return false;
        const decoded = Buffer.from(basic[1], "base64").toString();
        return (this.options.clients ?? []).some((c) => decoded === `${c.clientId}:${c.clientSecret}`);
    }

    private fieldProblems(body: Record<string, unknown>, creating: boolean): string[] {
        const problems: string[] = [];
        if (creating || body.webhookUrl !== undefined) {
            if (!this.acceptableWebhook(body.webhookUrl)) problems.push("webhookUrl must be a public HTTPS URL");
        }
        if (body.authType !== undefined && !AUTH_TYPES.includes(body.authType as AuthType)) {
            problems.push(`authType must be one of ${AUTH_TYPES.join(", ")}`);
        }
        return problems;
    }

    private acceptableWebhook(value: unknown): boolean {
        if (typeof value !== "string") return false;
        try {
            const url = new URL(value);
            if (url.protocol === "https:") return true;
            return url.protocol === "http:" && !!this.options.allowLoopbackHttpWebhooks && isLoopbackHost(url.hostname);
        } catch {
            return false;
        }
    }

    private newIntegration(projectId: string, fields: { webhookUrl: string; authType?: AuthType; authorization?: string }): SandboxIntegration {
        return {
            id: randomUUID(),
            brainId: projectId,
            webhookUrl: fields.webhookUrl,
            authType: fields.authType ?? "no_auth",
            authorization: fields.authorization,
            signingSecret: randomBytes(32).toString("hex"),
            createdAt: new Date().toISOString(),
        };
    }

    private send(res: http.ServerResponse, entry: LoggedRequest, status: number, payload: unknown, headers: Record<string, string> = {}): void {
        entry.status = status;
        const ok = status < 400;
        const record = payload as Record<string, unknown>;
        const isMessageOnly = Object.keys(record).length === 1 && "message" in record;
        let answer: unknown = payload;
        if (this.shape === "envelope" || !ok || isMessageOnly) {
            answer = ok && !isMessageOnly
                ? { message: ["Success"], statusMessage: "success", status: 1, data: payload }
                : { message: record.message, statusMessage: ok ? "success" : "error", status: ok ? 1 : 0 };
        }
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(answer));
    }
}

/** The integration as GET shows it: never the secret, never the webhook's credential. */
function publicView(integration: SandboxIntegration): Omit<SandboxIntegration, "signingSecret" | "authorization"> {
    const { signingSecret: _secret, authorization: _authorization, ...rest } = integration;
    return rest;
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks).toString()));
        req.on("error", () => resolve(""));
    });
}
