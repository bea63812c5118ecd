/**
 * A local Jelou: the five external-support endpoints of the documented API on 127.0.0.1, for
 * tests and for trying a stack without Jelou. It keeps everything in memory.
 */
import * as http from "http";
import { AddressInfo, Socket } from "net";
import { AnswerShape, failure, SandboxApi, SandboxIntegration } from "./api";
import { deliverEvent, Delivery, sampleEvent } from "./events";
import { describeFault, Fault, FaultPlan, RandomFaults } from "./faults";

export { SandboxIntegration } from "./api";
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
    private readonly api: SandboxApi;
    private readonly faults = new FaultPlan();
    private readonly sockets = new Set<Socket>();
    private readonly server: http.Server;
    private latencyMs: number;
    private shape: AnswerShape;

    private readonly revoked = new Set<string>();

    private constructor(private readonly options: SandboxOptions) {
        this.api = new SandboxApi(options.allowLoopbackHttpWebhooks ?? false);
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

    /** POSTs an event (a sample by default) to the project's webhook, signed with its current secret. */
    async sendEvent(projectId: string, event: unknown = sampleEvent(projectId)): Promise<Delivery> {
        const integration = this.api.store.get(projectId);
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
        const [status, answer] = await this.route(entry, req.headers, body);
        if (fault?.kind === "drop-after") return void req.socket.destroy();
        if (fault?.kind === "status-after") {
            return this.send(res, entry, fault.status, { message: [`Injected ${fault.status} after processing`] });
        }
        this.send(res, entry, status, answer);
    }

    private async route(entry: LoggedRequest, headers: http.IncomingHttpHeaders, raw: string): Promise<[number, unknown]> {
        if (entry.path.startsWith(EVENTS_PREFIX)) return this.eventRoute(entry, headers, raw);
        const pathOnly = entry.path.split("?")[0];
        const at = pathOnly.indexOf(API_PREFIX);
        if (at < 0) return [404, { message: ["Not found"] }];
        if (!this.authorized(headers)) return [401, { message: ["Unauthorized: invalid or missing credentials"] }];
        return this.api.handle(entry.method, pathOnly.slice(at + API_PREFIX.length), raw, this.shape);
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
        if (typeof key === "string" && !this.revoked.has(key) && (this.options.apiKeys ?? []).includes(key)) return true;
        const basic = /^Basic (.+)$/i.exec(headers.authorization ?? "");
        if (!basic) return false;
        const decoded = Buffer.from(basic[1], "base64").toString();
        return (this.options.clients ?? []).some((c) => decoded === `${c.clientId}:${c.clientSecret}`);
    }

    private send(res: http.ServerResponse, entry: LoggedRequest, status: number, payload: unknown, headers: Record<string, string> = {}): void {
        entry.status = status;
        // Success bodies come shaped from the API; every failure is Jelou's failure envelope.
        const record = payload as Record<string, unknown>;
        const answer = status >= 400 && !("statusMessage" in record) ? failure(record.message as string[]) : payload;
        res.writeHead(status, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(answer));
    }
}

function readBody(req: http.IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks).toString()));
        req.on("error", () => resolve(""));
    });
}
