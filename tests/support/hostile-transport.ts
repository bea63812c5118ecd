/**
 * Transport failures for the generated lifecycle test, each a server on 127.0.0.1 that a whole
 * command is pointed at: a TLS listener whose certificate is self-signed (the handshake fails before
 * any byte of the request is sent), a port where nothing listens (connection refused), and an HTTP
 * proxy for `HTTPS_PROXY` that records what reaches it. A proxy must only ever see CONNECT: a request
 * it can read (an axios that sends https: requests to the proxy in clear) carries the credential to
 * it, and its made-up answer would be taken as Jelou's. Every server stops in `stop()`.
 */
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as path from "path";

const FIXTURES = path.join(__dirname, "fixtures");

export interface ProxySighting {
    method: string;
    url: string;
    /** Header values of a request the proxy could read (none for CONNECT, which carries no request). */
    headers: Record<string, string>;
}

export class TransportFaults {
    readonly proxied: ProxySighting[] = [];
    private readonly sockets = new Set<net.Socket>();

    private constructor(
        private readonly tls: https.Server,
        private readonly proxy: http.Server,
        readonly refusedPort: number,
    ) {}

    static async start(): Promise<TransportFaults> {
        const tls = https.createServer(
            {
                key: fs.readFileSync(path.join(FIXTURES, "self-signed-key.pem")),
                cert: fs.readFileSync(path.join(FIXTURES, "self-signed-cert.pem")),
            },
            (_req, res) => {
                // Reached only by a client that accepts any certificate: it is not Jelou.
                res.writeHead(502, { "content-type": "text/plain" }).end("not Jelou");
            },
        );
        const proxy = http.createServer();
        const refusedPort = await freePort();
        const faults = new TransportFaults(tls, proxy, refusedPort);
        proxy.on("request", (req, res) => {
            faults.proxied.push({ method: req.method ?? "", url: req.url ?? "", headers: flat(req.headers) });
            // What a hostile proxy answers: something shaped like Jelou's answer.
            res.writeHead(200, { "content-type": "application/json" });
            res.end(
                JSON.stringify({
                    message: ["Success"],
                    statusMessage: "success",
                    status: 1,
                    data: { id: "from-the-proxy", signingSecret: "from-the-proxy" },
                }),
            );
        });
        proxy.on("connect", (req: http.IncomingMessage, client: net.Socket) => {
            faults.proxied.push({ method: "CONNECT", url: req.url ?? "", headers: {} });
            // Tunnels to the self-signed listener, wherever the client asked to go: the handshake then fails.
            const upstream = net.connect((tls.address() as net.AddressInfo).port, "127.0.0.1", () => {
                client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
                upstream.pipe(client);
                client.pipe(upstream);
            });
            for (const socket of [client, upstream]) {
                faults.sockets.add(socket);
                socket.on("error", () => socket.destroy());
                socket.on("close", () => faults.sockets.delete(socket));
            }
        });
        for (const server of [tls, proxy]) {
            server.on("connection", (socket: net.Socket) => {
                faults.sockets.add(socket);
                socket.on("close", () => faults.sockets.delete(socket));
            });
            server.on("tlsClientError", () => undefined);
            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            server.unref();
        }
        return faults;
    }

    get tlsUrl(): string {
        return `https://127.0.0.1:${(this.tls.address() as net.AddressInfo).port}`;
    }

    get refusedUrl(): string {
        return `http://127.0.0.1:${this.refusedPort}`;
    }

    get proxyUrl(): string {
        return `http://127.0.0.1:${(this.proxy.address() as net.AddressInfo).port}`;
    }

    async stop(): Promise<void> {
        for (const socket of this.sockets) socket.destroy();
        await Promise.all([this.tls, this.proxy].map((server) => new Promise((resolve) => server.close(resolve))));
    }
}

/** A port nothing listens on: bound, then released (another process taking it at once is unlikely). */
async function freePort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
}

function flat(headers: http.IncomingHttpHeaders): Record<string, string> {
    return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : String(v ?? "")]));
}
