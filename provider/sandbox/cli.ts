#!/usr/bin/env node
/**
 * `jelou-sandbox`: runs the local Jelou until interrupted (one log line per request), or acts as
 * the panel against a running one: create an integration by hand, send an event, start, close or
 * read a conversation.
 * Arguments are parsed with Node's own util.parseArgs: no dependency for a handful of flags.
 * Usage mistakes print the usage and exit 2; anything else that fails says why and exits 1.
 */
import { parseArgs } from "util";
import { authHeaders } from "../api/client";
import { MESSAGE_TYPES } from "../receiver/events";
import { classifyFailure, Delivery, DeliveryFailureKind, place } from "./delivery";
import { JelouSandbox, RequestSummary } from "./server";
import { trimTrailing } from "../api/text";

const USAGE = `Usage:
  jelou-sandbox [--port 8787] [--api-key KEY] [--client-id ID --client-secret SECRET] [--bare] [--latency MS]
                [--allow-http-webhooks] [--delivery-timeout MS]
  jelou-sandbox create --project ID --webhook URL [--auth-type bearer|api_key|basic|no_auth] [--authorization VALUE]
  jelou-sandbox send-event --project ID [--type text|image|video|audio|document|conversation.start|conversation.close]
                [--conversation ID] [--text BODY] [--event JSON]
  jelou-sandbox start-conversation --project ID --bot ID --user ID [--message TEXT] [--metadata JSON] [--assignment TYPE:TARGET]
  jelou-sandbox close-conversation --project ID --bot ID --user ID [--redirect-text TEXT]
  jelou-sandbox get-conversation --project ID --conversation ID
Every command but the first talks to a running local Jelou: --url (default JELOU_BASE_URL, then http://127.0.0.1:8787).
Credentials default to JELOU_API_KEY, JELOU_CLIENT_ID and JELOU_CLIENT_SECRET.`;

const OPTIONS = {
    port: { type: "string", default: "8787" },
    "api-key": { type: "string" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    bare: { type: "boolean", default: false },
    latency: { type: "string", default: "0" },
    "allow-http-webhooks": { type: "boolean", default: false },
    "delivery-timeout": { type: "string", default: "10000" },
    url: { type: "string" },
    project: { type: "string" },
    type: { type: "string" },
    conversation: { type: "string" },
    text: { type: "string" },
    event: { type: "string" },
    bot: { type: "string" },
    user: { type: "string" },
    message: { type: "string" },
    metadata: { type: "string" },
    assignment: { type: "string" },
    "redirect-text": { type: "string" },
    webhook: { type: "string" },
    "auth-type": { type: "string" },
    authorization: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

/** A mistake in the command line: the usage text follows it. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** The command was well formed but failed: the message says why, without the usage text. */
export class CommandError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CommandError";
    }
}

function credentials(values: Values) {
    const apiKey = values["api-key"] ?? process.env.JELOU_API_KEY;
    const clientId = values["client-id"] ?? process.env.JELOU_CLIENT_ID;
    const clientSecret = values["client-secret"] ?? process.env.JELOU_CLIENT_SECRET;
    if (!apiKey && !(clientId && clientSecret)) {
        throw new UsageError("Give the credentials of the local Jelou: --api-key (or JELOU_API_KEY), or --client-id and --client-secret.");
    }
    return { apiKey, clientId, clientSecret };
}

function count(values: Values, flag: "port" | "latency" | "delivery-timeout", max: number): number {
    const value = Number(values[flag]);
    if (!Number.isInteger(value) || value < 0 || value > max)
        throw new UsageError(`--${flag} must be a whole number from 0 to ${max}, got "${values[flag]}"`);
    return value;
}

function need(values: Values, command: string, ...flags: Array<"project" | "bot" | "user" | "conversation">): void {
    const missing = flags.filter((flag) => !values[flag]);
    if (missing.length > 0) throw new UsageError(`${command} needs ${missing.map((f) => `--${f}`).join(", ")}`);
}

function json(flag: string, text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        throw new UsageError(`--${flag} must be JSON`);
    }
}

/** One line per request: time, method, path, status, duration. Never a header or a body. */
export function requestLine(r: RequestSummary, at = new Date()): string {
    const status = r.status === undefined ? "-" : String(r.status);
    return `${at.toISOString()} ${r.method} ${r.path} ${status} ${r.durationMs}ms${r.fault ? ` (fault ${r.fault})` : ""}`;
}

function deliveryLine(d: Delivery, at = new Date()): string {
    const outcome = d.status === undefined ? `not delivered: ${d.error}` : String(d.status);
    return `${at.toISOString()} event ${d.event} -> ${place(d.url)} ${outcome} ${d.durationMs}ms`;
}

async function serve(values: Values): Promise<void> {
    const port = count(values, "port", 65535);
    const latencyMs = count(values, "latency", 600_000);
    const deliveryTimeoutMs = count(values, "delivery-timeout", 600_000);
    const { apiKey, clientId, clientSecret } = credentials(values);
    let sandbox: JelouSandbox;
    try {
        sandbox = await JelouSandbox.start({
            port,
            apiKeys: apiKey ? [apiKey] : [],
            clients: clientId && clientSecret ? [{ clientId, clientSecret }] : [],
            shape: values.bare ? "bare" : "envelope",
            latencyMs,
            deliveryTimeoutMs,
            allowLoopbackHttpWebhooks: values["allow-http-webhooks"],
            keepAlive: true,
            onRequest: (request) => {
                console.log(requestLine(request));
                if (request.hint) console.log(`  hint: ${request.hint}`);
            },
            onDelivery: (delivery) => console.log(deliveryLine(delivery)),
        });
    } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === "EADDRINUSE")
            throw new CommandError(`port ${port} on 127.0.0.1 is in use: pick another with --port (0 picks a free one)`);
        throw new CommandError(`could not start: ${(error as Error).message}`);
    }
    console.log(`Local Jelou listening: JELOU_BASE_URL=${sandbox.url}`);
    const stop = () => void sandbox.stop().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}

function baseUrl(values: Values): string {
    const url = trimTrailing(values.url ?? process.env.JELOU_BASE_URL ?? "http://127.0.0.1:8787", "/");
    try {
        new URL(url);
    } catch {
        throw new UsageError(`--url must be a URL, got "${url}"`);
    }
    return url;
}

/** Calls the local Jelou; a failure to reach it says why. */
async function call(values: Values, method: string, path: string, body?: unknown): Promise<{ status: number; answer: Json }> {
    const url = `${baseUrl(values)}${path}`;
    const headers = { "content-type": "application/json", ...authHeaders(credentials(values)) };
    let response: Response;
    try {
        response = await fetch(url, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            redirect: "manual",
            signal: AbortSignal.timeout(60_000),
        });
    } catch (error) {
        const { failure, error: why } = classifyFailure(error, 60_000);
        const hint = failure === "refused" ? " Is jelou-sandbox running there (see --url)?" : "";
        throw new CommandError(`could not reach the local Jelou at ${place(url)}: ${why}.${hint}`);
    }
    const text = await response.text().catch(() => "");
    let answer: Json = {};
    try {
        const parsed: unknown = text === "" ? {} : JSON.parse(text);
        answer = isJson(parsed) ? parsed : {};
    } catch {
        throw new CommandError(`${place(url)} answered ${response.status} with a body that is not JSON: is it a local Jelou?`);
    }
    if (!response.ok) {
        const said = answer.message;
        const messages = Array.isArray(said) ? said.filter((m) => typeof m === "string").join("; ") : typeof said === "string" ? said : "";
        throw new CommandError(
            `the local Jelou answered ${response.status} to ${method} ${new URL(url).pathname}${messages ? `: ${messages}` : ""}`,
        );
    }
    return { status: response.status, answer };
}

const FAILURE_HINT: Record<DeliveryFailureKind, string> = {
    refused: "is the receiver running, on that host and port?",
    timeout: "the receiver must answer quickly (do the work after answering), or raise --delivery-timeout",
    tls: "an https: webhook needs a receiver with a certificate the local Jelou trusts; a plain-http receiver on loopback takes an http: webhookUrl (--allow-http-webhooks)",
    dns: "check the host of the webhookUrl",
    reset: "the receiver closed the connection without answering: see its log",
    other: "see the receiver's log",
};

function statusHint(status: number): string {
    if (status === 401 || status === 403)
        return "it refused the event: check it verifies with the current signing secret and expects the webhook's auth header";
    if (status >= 300 && status < 400) return "the local Jelou does not follow redirects: give the final URL as webhookUrl";
    if (status >= 500) return "the receiver failed: see its log";
    return "a receiver must answer 2xx to an event it accepts";
}

/** What `pulumi up` does, by hand: one POST; the answer's signing secret is shown this once, as Jelou does. */
async function create(values: Values): Promise<void> {
    need(values, "create", "project");
    if (!values.webhook) throw new UsageError("create needs --webhook (the URL Jelou sends events to)");
    const body: Record<string, unknown> = {
        webhookUrl: values.webhook,
        authType: values["auth-type"] ?? (values.authorization ? "bearer" : "no_auth"),
    };
    if (values.authorization !== undefined) body.authorization = values.authorization;
    const { answer } = await call(values, "POST", `/v1/external-support/${encodeURIComponent(values.project!)}`, body);
    const data = conversationData(answer);
    console.log(
        `Integration ${data.id} created for project ${data.brainId} -> ${place(String(data.webhookUrl))} (${data.authType ?? body.authType})`,
    );
    console.log(`signingSecret (shown once, as Jelou does): ${data.signingSecret}`);
}

async function sendEvent(values: Values): Promise<void> {
    need(values, "send-event", "project");
    let request: Record<string, unknown>;
    if (values.event !== undefined) {
        if (values.type !== undefined) throw new UsageError("give --event (a raw JSON event) or --type, not both");
        request = { raw: json("event", values.event) };
    } else {
        const type = values.type ?? "text";
        const messageTypes: readonly string[] = MESSAGE_TYPES;
        if (type === "conversation.start" || type === "conversation.close") request = { type };
        else if (type === "message" || messageTypes.includes(type))
            request = { type: "message", messageType: type === "message" ? "text" : type };
        else
            throw new UsageError(
                `--type must be one of ${[...MESSAGE_TYPES, "conversation.start", "conversation.close"].join(", ")}, got "${type}"`,
            );
        if (values.text !== undefined) {
            if (request.messageType !== "text") throw new UsageError("--text goes with a text message (--type text)");
            request.content = { body: values.text };
        }
        if (values.conversation) request.conversationId = values.conversation;
    }
    const { answer } = await call(values, "POST", `/__sandbox/events/${encodeURIComponent(values.project!)}`, request);
    const delivery = (answer.data ?? answer) as {
        url: string;
        event: string;
        status?: number;
        error?: string;
        failure?: DeliveryFailureKind;
    };
    const where = place(delivery.url);
    if (delivery.status === undefined) {
        const kind = delivery.failure ?? "other";
        throw new CommandError(`the event was not delivered to ${where}: ${kind}: ${delivery.error}; ${FAILURE_HINT[kind]}`);
    }
    if (delivery.status >= 300)
        throw new CommandError(`the receiver at ${where} answered ${delivery.status} to ${delivery.event}: ${statusHint(delivery.status)}`);
    console.log(`Event ${delivery.event} delivered to ${where}: the receiver answered ${delivery.status}`);
}

type Json = Record<string, unknown>;

function isJson(value: unknown): value is Json {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function conversationData(answer: Json): Json {
    const data = "statusMessage" in answer ? answer.data : answer;
    return isJson(data) ? data : {};
}

async function startConversation(values: Values): Promise<void> {
    need(values, "start-conversation", "project", "bot", "user");
    const body: Record<string, unknown> = { botId: values.bot, userId: values.user };
    if (values.message !== undefined) body.initialMessage = values.message;
    if (values.metadata !== undefined) body.metadata = json("metadata", values.metadata);
    if (values.assignment !== undefined) {
        const at = values.assignment.indexOf(":");
        if (at < 1) throw new UsageError("--assignment must be TYPE:TARGET, e.g. queue:billing");
        body.assignment = { type: values.assignment.slice(0, at), target: values.assignment.slice(at + 1) };
    }
    const { answer } = await call(values, "POST", `/v1/external-support/${encodeURIComponent(values.project!)}/conversations/start`, body);
    const data = conversationData(answer);
    console.log(`Conversation ${data._id} started (room ${data.roomId}); Jelou sends conversation.start to the webhook`);
}

async function closeConversation(values: Values): Promise<void> {
    need(values, "close-conversation", "project", "bot", "user");
    const body: Record<string, unknown> = { botId: values.bot, userId: values.user };
    if (values["redirect-text"] !== undefined) body.redirectPayload = { type: "text", text: values["redirect-text"] };
    const { answer } = await call(values, "POST", `/v1/external-support/${encodeURIComponent(values.project!)}/conversations/close`, body);
    const data = conversationData(answer);
    console.log(`Conversation ${data._id} closed (${data.endedReason}); Jelou sends conversation.close to the webhook`);
}

async function getConversation(values: Values): Promise<void> {
    need(values, "get-conversation", "project", "conversation");
    const path = `/v1/external-support/${encodeURIComponent(values.project!)}/conversations/${encodeURIComponent(values.conversation!)}`;
    const { answer } = await call(values, "GET", path);
    console.log(JSON.stringify(conversationData(answer), null, 2));
}

const COMMANDS: Record<string, (values: Values) => Promise<void>> = {
    serve,
    create,
    "send-event": sendEvent,
    "start-conversation": startConversation,
    "close-conversation": closeConversation,
    "get-conversation": getConversation,
};

async function main(argv: string[]): Promise<void> {
    let parsed: { values: Values; positionals: string[] };
    try {
        parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    } catch (error) {
        throw new UsageError((error as Error).message);
    }
    const { values, positionals } = parsed;
    if (values.help) return void console.log(USAGE);
    const command = positionals[0] ?? "serve";
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}"`);
    return run(values);
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((error: Error) => {
        if (error instanceof UsageError) {
            console.error(`jelou-sandbox: ${error.message}\n${USAGE}`);
            process.exit(2);
        }
        console.error(`jelou-sandbox: ${error.message}`);
        process.exit(1);
    });
}
