// A complete webhook receiver for Jelou's external-support events, run next to the support panel:
// - checks what Jelou sends: the auth header its authType calls for (bearer here), and
//   X-Jelou-Signature over the raw body (parseEvent: verify first, then parse);
// - answers at once (200; 400 for a signed body that is not JSON, 401 for a bad token or
//   signature, 413 for a body over 1 MiB), and does the work after answering;
// - handles the three documented events: conversation.start (tracks the conversation), message
//   (replies to the user through Jelou's reply endpoint, signed), conversation.close (forgets it);
// - survives a rotation without a restart: the signing secret is a mounted Kubernetes Secret file,
//   re-read when a signature fails, if the file changed (one stat) or else at most once every
//   reloadIntervalMs, so hostile traffic cannot make it read the file in a loop.
// Run (after `npm install` here): JELOU_SIGNING_SECRET_FILE=/var/run/secrets/jelou/JELOU_SIGNING_SECRET
// JELOU_WEBHOOK_TOKEN=… HOST=0.0.0.0 PORT=8080 npm run receiver   (HOST defaults to 127.0.0.1, PORT to 8080)
import { promises as fsp, readFileSync, statSync } from "fs";
import * as http from "http";
import { createHash, randomUUID, timingSafeEqual } from "crypto";
import { JelouEvent, MessageEvent, parseEvent, signPayload } from "pulumi-jelou";

export const DEFAULT_REPLY_URL = "https://chatbot.jelou.ai/v1/external-support/webhook";
const MAX_BODY = 1024 * 1024;

/** Where the signing secret comes from: `current()` now, `refresh()` after a failed signature. */
export interface SecretSource {
    current(): string;
    /** Looks again; resolves true when the secret changed. */
    refresh(): Promise<boolean>;
}

/**
 * A secret in a file, as a Kubernetes Secret volume mounts it (a symlink swapped atomically on
 * update). Read once at start; `refresh` re-reads it when its identity (device, inode, size, mtime,
 * following symlinks) changed, and otherwise at most once every `intervalMs`. Concurrent refreshes
 * share one read.
 */
export class SecretFile implements SecretSource {
    /** How many times the file was read, the first read included. */
    reads = 0;
    private secret: string;
    private identity: string;
    private lastRead: number;
    private inFlight?: Promise<boolean>;

    constructor(
        readonly path: string,
        readonly intervalMs = 5000,
    ) {
        this.identity = identityOf(statSync(path));
        this.secret = this.parse(readFileSync(path, "utf8"));
        this.lastRead = Date.now();
        this.reads = 1;
    }

    current(): string {
        return this.secret;
    }

    refresh(): Promise<boolean> {
        this.inFlight ??= this.reload().finally(() => (this.inFlight = undefined));
        return this.inFlight;
    }

    private async reload(): Promise<boolean> {
        try {
            const identity = identityOf(await fsp.stat(this.path));
            if (identity === this.identity && Date.now() - this.lastRead < this.intervalMs) return false;
            const text = await fsp.readFile(this.path, "utf8");
            this.reads += 1;
            this.lastRead = Date.now();
            this.identity = identity;
            const secret = this.parse(text);
            if (secret === "" || secret === this.secret) return false;
            this.secret = secret;
            return true;
        } catch {
            // Mid-swap or unmounted: keep the secret we have and try again on a later failure.
            return false;
        }
    }

    private parse(text: string): string {
        return text.trim();
    }
}

function identityOf(stat: { dev: number; ino: number; size: number; mtimeMs: number }): string {
    return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}

/** A fixed secret, or one read by a function each time. */
export function secretFrom(read: () => string): SecretSource {
    return { current: read, refresh: async () => false };
}

/** A conversation the receiver follows, from its conversation.start to its conversation.close. */
export interface TrackedConversation {
    roomId?: string;
    botId?: string;
    userId?: string;
    startedAt: number;
    messages: number;
}

export interface ReceiverOptions {
    /** The signing secret: a SecretFile (a mounted Kubernetes Secret), or any SecretSource. */
    secret: SecretSource;
    /** The bearer token Jelou must send (authType "bearer"); omit to skip the check. */
    webhookToken?: string;
    /** Jelou's reply endpoint (the panel answers the user there). */
    replyUrl?: string;
    /** How long a reply to Jelou may take, in milliseconds (default 10000). */
    replyTimeoutMs?: number;
    /** What to answer a user's message; undefined sends nothing. Default: an acknowledgement. */
    answer?: (event: MessageEvent) => string | undefined;
    /** Every event accepted, typed (unknown events included). */
    onEvent?: (event: JelouEvent) => void;
    /** Log lines: never a secret, a token or a body. */
    log?: (line: string) => void;
}

export interface Receiver {
    server: http.Server;
    /** Conversations started and not closed, by conversation id. */
    conversations: Map<string, TrackedConversation>;
    stats: { accepted: number; refused: number; replies: number; replyFailures: number };
    /** Resolves when the work started after answering (replies to Jelou) is done. */
    settled(): Promise<void>;
}

/** Constant-time comparison of a header with what it must be. */
function sameText(received: string | undefined, expected: string): boolean {
    const digest = (text: string) => createHash("sha256").update(text).digest();
    return typeof received === "string" && timingSafeEqual(digest(received), digest(expected));
}

function defaultAnswer(event: MessageEvent): string {
    const { value } = event;
    return value.type === "text"
        ? `Recibimos tu mensaje: "${value.content.body}". Un agente te responde en breve.`
        : `Recibimos tu ${value.type}. Un agente lo revisa en breve.`;
}

export function createReceiver(options: ReceiverOptions): Receiver {
    const {
        secret,
        webhookToken,
        replyUrl = DEFAULT_REPLY_URL,
        replyTimeoutMs = 10_000,
        answer = defaultAnswer,
        onEvent,
        log = () => undefined,
    } = options;
    const conversations = new Map<string, TrackedConversation>();
    const stats = { accepted: 0, refused: 0, replies: 0, replyFailures: 0 };
    const pending = new Set<Promise<void>>();

    const later = (work: () => Promise<void>) => {
        const task = work().catch((error: Error) => log(`work after answering failed: ${error.message}`));
        pending.add(task);
        void task.finally(() => pending.delete(task));
    };

    async function reply(event: MessageEvent, text: string): Promise<void> {
        // Serialize once, sign that string, send that string.
        const body = JSON.stringify({
            field: "messages",
            object: "message_event",
            event_type: "incoming_message",
            project_id: event.project_id,
            room_id: event.room_id,
            bot_id: event.bot.id,
            user_id: event.contact.id,
            value: { id: randomUUID(), type: "text", content: { body: text } },
        });
        try {
            const response = await fetch(replyUrl, {
                method: "POST",
                headers: { "content-type": "application/json", "x-jelou-signature": signPayload(body, secret.current()) },
                body,
                redirect: "manual",
                signal: AbortSignal.timeout(replyTimeoutMs),
            });
            await response.arrayBuffer().catch(() => undefined);
            if (response.ok) stats.replies += 1;
            else {
                stats.replyFailures += 1;
                log(`reply to room ${event.room_id}: Jelou answered ${response.status}`);
            }
        } catch (error) {
            stats.replyFailures += 1;
            log(`reply to room ${event.room_id} failed: ${(error as Error).name}`);
        }
    }

    function handle(parsed: JelouEvent): void {
        onEvent?.(parsed);
        if (parsed.kind === "conversation.start") {
            const e = parsed.event;
            const id = e.conversation?.id ?? e.room_id;
            if (id)
                conversations.set(id, { roomId: e.room_id, botId: e.bot?.id, userId: e.contact?.id, startedAt: Date.now(), messages: 0 });
            log(`conversation.start ${id ?? "(no id)"}`);
        } else if (parsed.kind === "message") {
            const e = parsed.event;
            const tracked = conversations.get(e.conversation.id);
            if (tracked) tracked.messages += 1;
            log(`message ${e.value.type} in conversation ${e.conversation.id}`);
            const text = answer(e);
            if (text !== undefined) later(() => reply(e, text));
        } else if (parsed.kind === "conversation.close") {
            const e = parsed.event;
            const id = e.conversation?.id ?? [...conversations].find(([, c]) => c.roomId === e.room_id)?.[0];
            if (id) conversations.delete(id);
            log(`conversation.close ${id ?? "(unknown conversation)"} (${e.reason ?? "no reason given"})`);
        } else {
            // Signed by Jelou but not a documented shape: acknowledge it, keep it for a look.
            log(`unknown event acknowledged: ${parsed.why}`);
        }
    }

    async function verdict(raw: Buffer, headers: http.IncomingHttpHeaders): Promise<[number, string, JelouEvent?]> {
        if (webhookToken !== undefined && !sameText(headers.authorization, `Bearer ${webhookToken}`))
            return [401, "missing or wrong bearer token"];
        let result = parseEvent(raw, headers["x-jelou-signature"], secret.current());
        // After a rotation Jelou signs with the new secret at once: look at the secret file again.
        if (!result.ok && result.reason === "bad-signature" && (await secret.refresh())) {
            log("signing secret reloaded");
            result = parseEvent(raw, headers["x-jelou-signature"], secret.current());
        }
        if (!result.ok) return [result.reason === "not-json" ? 400 : 401, result.message];
        return [200, "ok", result.event];
    }

    const server = http.createServer((req, res) => {
        const done = (status: number, text: string) => {
            if (status >= 400) stats.refused += 1;
            if (!res.headersSent) res.writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: "close" });
            res.end(text);
        };
        req.on("error", () => req.destroy());
        if (req.method !== "POST") return done(405, "POST events here");
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_BODY) {
                done(413, "body too large");
                req.destroy();
            } else chunks.push(chunk);
        });
        req.on("end", () => {
            if (size > MAX_BODY) return;
            verdict(Buffer.concat(chunks), req.headers)
                .then(([status, text, event]) => {
                    done(status, text);
                    if (event) {
                        stats.accepted += 1;
                        handle(event);
                    }
                })
                .catch((error: Error) => {
                    log(`receiver error: ${error.name}`);
                    done(500, "receiver error");
                });
        });
    });
    server.on("clientError", (_error, socket) => socket.destroy());

    return {
        server,
        conversations,
        stats,
        async settled() {
            while (pending.size > 0) await Promise.all([...pending]);
        },
    };
}

if (require.main === module) {
    const file = process.env.JELOU_SIGNING_SECRET_FILE ?? "/var/run/secrets/jelou/JELOU_SIGNING_SECRET";
    const receiver = createReceiver({
        secret: new SecretFile(file, Number(process.env.JELOU_SECRET_RELOAD_MS ?? 5000)),
        webhookToken: process.env.JELOU_WEBHOOK_TOKEN,
        replyUrl: process.env.JELOU_REPLY_URL ?? DEFAULT_REPLY_URL,
        log: (line) => console.log(line),
    });
    const host = process.env.HOST || "127.0.0.1";
    const port = Number(process.env.PORT || 8080);
    receiver.server.listen(port, host, () => console.log(`receiver listening on http://${host}:${port}`));
}
