/**
 * A hostile gateway in front of the local Jelou, for tests only: it forwards a request to the
 * local Jelou (so the request is applied, as a real gateway would let it be) and then answers it
 * badly, the way real gateways and proxies do. The local Jelou stays a faithful Jelou; every
 * misbehaviour lives here.
 */
import * as http from "http";
import { AddressInfo, Socket } from "net";
import { mulberry32 } from "../../provider/sandbox/faults";

export type Misbehaviour =
    /** Forward and answer honestly. */
    | { kind: "honest" }
    /** Apply, then answer the JSON with `field` removed (in the envelope's data or the bare object). */
    | { kind: "drop-field"; field: string }
    /** Apply, then answer the JSON with `field` set to `value`. */
    | { kind: "set-field"; field: string; value: unknown }
    /** Apply (unless `apply: false`), then answer this status, content type and body instead. */
    | { kind: "replace"; status: number; contentType?: string; body?: string; retryAfter?: string; apply?: boolean }
    /** Apply (unless `apply: false`), then answer a redirect to `location`. */
    | { kind: "redirect"; status: number; location: string; apply?: boolean }
    /** Apply, then answer what `rewrite` makes of the honest answer (its status and body). */
    | {
          kind: "transform";
          label: string;
          rewrite: (answer: { status: number; body: string }) => { status: number; body: string; contentType?: string };
      }
    /** Do not apply; reset the connection once the request has been read. */
    | { kind: "reset-before" }
    /** Apply if `apply`, then wait for `held()` (a test kills the client meanwhile), then reset the connection. */
    | { kind: "hold"; apply: boolean; held: () => Promise<void> }
    /** Apply, send the status line and headers, then reset the connection. */
    | { kind: "reset-after-headers" }
    /** Apply, send half of the body under the full Content-Length, then close. */
    | { kind: "truncate" }
    /** Apply, then send the honest answer one byte every `intervalMs`. */
    | { kind: "trickle"; intervalMs: number }
    /** Do not apply; answer `status` with the request's credential headers echoed back in one form. */
    | { kind: "echo"; status: number; form: "raw" | "json" | "url" | "html" | "split-tags" }
    /** Do not apply; answer as a web server that is not Jelou (wrong baseUrl). */
    | { kind: "not-jelou"; status: number };

interface Rule {
    method: string;
    path: RegExp;
    misbehaviour: Misbehaviour;
    remaining: number;
}

export interface GatewayRequest {
    method: string;
    path: string;
    misbehaviour: Misbehaviour["kind"];
    /** The transform's label, when the misbehaviour is one. */
    label?: string;
}

/** Chooses a request's misbehaviour before the rules and the random draw; undefined leaves it to them. */
export type Picker = (method: string, path: string) => Misbehaviour | undefined;

export class HostileGateway {
    readonly requests: GatewayRequest[] = [];
    private rules: Rule[] = [];
    private random?: { rate: number; next: () => number; pool: Misbehaviour[] };
    private picker?: Picker;
    /** Every signing secret an answer forwarded from the local Jelou carried, honest or not. */
    readonly secretsSeen = new Set<string>();
    private readonly sockets = new Set<Socket>();
    private readonly timers = new Set<NodeJS.Timeout>();
    private readonly server: http.Server;

    private constructor(private readonly upstream: string) {
        // The local Jelou dropping the connection (one of its own faults) is passed on as a reset.
        this.server = http.createServer((req, res) => void this.handle(req, res).catch(() => req.socket.destroy()));
        this.server.on("connection", (socket) => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
        });
    }

    static async start(upstream: string): Promise<HostileGateway> {
        const gateway = new HostileGateway(upstream);
        await new Promise<void>((resolve) => gateway.server.listen(0, "127.0.0.1", resolve));
        gateway.server.unref();
        return gateway;
    }

    get url(): string {
        return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    }

    /** The next `times` requests matching `method` and `path` get this misbehaviour. */
    when(method: string, path: RegExp, misbehaviour: Misbehaviour, times = 1): this {
        this.rules.push({ method, path, misbehaviour, remaining: times });
        return this;
    }

    /** Requests no rule matches misbehave with this chance, drawn from a seeded generator. */
    setRandom(random: { rate: number; seed: number; pool: Misbehaviour[] } | undefined): void {
        this.random = random && { rate: random.rate, pool: random.pool, next: mulberry32(random.seed) };
    }

    /** Every request is first offered to `picker` (until it is set to undefined). */
    setPicker(picker: Picker | undefined): void {
        this.picker = picker;
    }

    reset(): void {
        this.rules = [];
        this.random = undefined;
        this.picker = undefined;
        this.requests.length = 0;
    }

    async stop(): Promise<void> {
        for (const timer of this.timers) clearTimeout(timer);
        for (const socket of this.sockets) socket.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private pick(method: string, path: string): Misbehaviour {
        const picked = this.picker?.(method, path);
        if (picked) return picked;
        const rule = this.rules.find((r) => r.remaining > 0 && r.method === method && r.path.test(path));
        if (rule) {
            rule.remaining -= 1;
            return rule.misbehaviour;
        }
        if (this.random && this.random.next() < this.random.rate) {
            return this.random.pool[Math.floor(this.random.next() * this.random.pool.length)];
        }
        return { kind: "honest" };
    }

    private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
        const body = await readAll(req);
        const method = req.method ?? "GET";
        const path = req.url ?? "/";
        const misbehaviour = this.pick(method, path);
        this.requests.push({
            method,
            path,
            misbehaviour: misbehaviour.kind,
            ...(misbehaviour.kind === "transform" ? { label: misbehaviour.label } : {}),
        });

        if (misbehaviour.kind === "echo") return this.echo(req, res, misbehaviour);
        if (misbehaviour.kind === "reset-before") return void req.socket.destroy();
        const applies = !("apply" in misbehaviour && misbehaviour.apply === false);
        if (misbehaviour.kind === "hold") {
            if (applies) await this.forward(method, path, req.headers, body);
            await misbehaviour.held();
            return void req.socket.destroy();
        }
        if (!applies && misbehaviour.kind === "replace") return this.replace(res, misbehaviour);
        if (!applies && misbehaviour.kind === "redirect") return this.redirect(res, misbehaviour);
        if (misbehaviour.kind === "not-jelou") {
            res.writeHead(misbehaviour.status, { "content-type": "text/html" });
            return void res.end(`<html><body><h1>${misbehaviour.status} Not Found</h1><p>nginx</p></body></html>`);
        }
        const answer = await this.forward(method, path, req.headers, body);
        switch (misbehaviour.kind) {
            case "honest":
                return this.send(res, answer.status, answer.headers["content-type"] ?? "application/json", answer.body);
            case "drop-field":
            case "set-field":
                return this.send(res, answer.status, "application/json", JSON.stringify(rewrite(answer.body, misbehaviour)));
            case "replace":
                return this.replace(res, misbehaviour);
            case "redirect":
                return this.redirect(res, misbehaviour);
            case "transform": {
                const rewritten = misbehaviour.rewrite({ status: answer.status, body: answer.body });
                return this.send(res, rewritten.status, rewritten.contentType ?? "application/json", rewritten.body);
            }
            case "reset-after-headers":
                res.writeHead(answer.status, {
                    "content-type": "application/json",
                    "content-length": String(Buffer.byteLength(answer.body)),
                });
                res.flushHeaders();
                return void setImmediate(() => req.socket.destroy());
            case "truncate": {
                res.writeHead(answer.status, {
                    "content-type": "application/json",
                    "content-length": String(Buffer.byteLength(answer.body)),
                });
                res.write(answer.body.slice(0, Math.floor(answer.body.length / 2)));
                return void setImmediate(() => req.socket.destroy());
            }
            case "trickle":
                return this.trickle(res, answer.status, answer.body, misbehaviour.intervalMs);
        }
    }

    private replace(res: http.ServerResponse, misbehaviour: Extract<Misbehaviour, { kind: "replace" }>): void {
        const headers: Record<string, string> = misbehaviour.retryAfter ? { "retry-after": misbehaviour.retryAfter } : {};
        if (misbehaviour.contentType) headers["content-type"] = misbehaviour.contentType;
        res.writeHead(misbehaviour.status, headers);
        res.end(misbehaviour.body ?? "");
    }

    private redirect(res: http.ServerResponse, misbehaviour: Extract<Misbehaviour, { kind: "redirect" }>): void {
        res.writeHead(misbehaviour.status, { location: misbehaviour.location, "content-type": "text/html" });
        res.end(`<html><body>Moved: <a href="${misbehaviour.location}">here</a></body></html>`);
    }

    private send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
        res.writeHead(status, { "content-type": contentType });
        res.end(body);
    }

    /** One byte at a time: each write keeps the socket busy, so only a deadline over the whole exchange stops it. */
    private trickle(res: http.ServerResponse, status: number, body: string, intervalMs: number): void {
        res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) });
        let at = 0;
        const tick = () => {
            if (res.destroyed || at >= body.length) return void res.end();
            res.write(body[at++]);
            const timer = setTimeout(() => {
                this.timers.delete(timer);
                tick();
            }, intervalMs);
            this.timers.add(timer);
        };
        tick();
    }

    private echo(req: http.IncomingMessage, res: http.ServerResponse, misbehaviour: Extract<Misbehaviour, { kind: "echo" }>): void {
        const said = [req.headers["x-api-key"], req.headers.authorization].filter(Boolean).join(" ");
        const text = `invalid credentials: ${said}`;
        let body: string;
        let contentType = "application/json";
        switch (misbehaviour.form) {
            case "raw":
                body = JSON.stringify({ message: [text], statusMessage: "failed", status: 0 });
                break;
            // JSON with every non-alphanumeric character escaped, as some serializers do.
            case "json":
                body = `{"message":["${[...text].map((c) => (/[a-z0-9 ]/i.test(c) ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)).join("")}"]}`;
                break;
            case "url":
                body = JSON.stringify({ message: [`invalid credentials: ${encodeURIComponent(said).toLowerCase()}`] });
                break;
            case "html":
                contentType = "text/html";
                body = `<p>invalid credentials: ${[...said].map((c) => `&#${c.charCodeAt(0)};`).join("")}</p>`;
                break;
            case "split-tags":
                contentType = "text/html";
                body = `<p>invalid credentials: ${[...said].join("<b></b>")}</p>`;
                break;
        }
        this.send(res, misbehaviour.status, contentType, body);
    }

    private forward(
        method: string,
        path: string,
        headers: http.IncomingHttpHeaders,
        body: Buffer,
    ): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
        return new Promise((resolve, reject) => {
            const request = http.request(
                `${this.upstream}${path}`,
                { method, headers: { ...headers, host: new URL(this.upstream).host } },
                (response) => {
                    void readAll(response).then((data) => {
                        const text = data.toString();
                        for (const found of text.matchAll(/"signingSecret":"([^"]{1,200})"/g)) this.secretsSeen.add(found[1]);
                        resolve({ status: response.statusCode ?? 502, headers: response.headers, body: text });
                    });
                },
            );
            request.on("error", reject);
            request.end(body);
        });
    }
}

function rewrite(text: string, misbehaviour: Extract<Misbehaviour, { kind: "drop-field" | "set-field" }>): unknown {
    const answer = JSON.parse(text) as Record<string, unknown>;
    const target = (answer.data && typeof answer.data === "object" ? answer.data : answer) as Record<string, unknown>;
    if (misbehaviour.kind === "drop-field") delete target[misbehaviour.field];
    else target[misbehaviour.field] = misbehaviour.value;
    return answer;
}

function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => resolve(Buffer.concat(chunks)));
        stream.on("error", () => resolve(Buffer.concat(chunks)));
    });
}
