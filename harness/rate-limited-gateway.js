// A rate-limited gateway in front of the local Jelou, for the tests and `npm run bench`: it lets
// `rate` requests a second through (a token bucket holding one second's worth) and answers 429
// beyond, before the request reaches Jelou, as API gateways do; with `retryAfter`, the 429 says when
// to come back in whole seconds (Retry-After: 1, what a gateway can say of a 40 ms wait). Several
// provider hosts may share one gateway: that is several stacks against one account.
// Plain CommonJS: used by tests/lifecycle/big-stack.test.ts and scripts/bench.js. Binds 127.0.0.1 only.
// @ts-check
"use strict";
const http = require("http");

/**
 * @typedef {object} GatewayOptions
 * @property {string} upstream the local Jelou's URL
 * @property {number} rate requests a second let through
 * @property {boolean} [retryAfter] whether a 429 says when to come back
 */

/** One request seen: status 429 when refused here, 0 until answered. @typedef {{ method: string | undefined, path: string | undefined, status: number }} GatewayRequest */

class RateLimitedGateway {
    /** @param {GatewayOptions} options */
    static async start(options) {
        const gateway = new RateLimitedGateway(options);
        await /** @type {Promise<void>} */ (new Promise((resolve) => gateway.server.listen(0, "127.0.0.1", resolve)));
        return gateway;
    }

    /** @param {GatewayOptions} options */
    constructor({ upstream, rate, retryAfter = false }) {
        this.upstream = new URL(upstream);
        this.rate = rate;
        this.retryAfter = retryAfter;
        this.tokens = rate;
        this.lastRefill = Date.now();
        /** @type {GatewayRequest[]} Every request seen: { method, path, status } (status 429 when refused here). */
        this.requests = [];
        this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
        /** @type {Set<import("net").Socket>} */
        this.sockets = new Set();
        this.server = http.createServer((req, res) => this.handle(req, res));
        this.server.on("connection", (socket) => {
            this.sockets.add(socket);
            socket.on("close", () => this.sockets.delete(socket));
        });
    }

    get url() {
        return `http://127.0.0.1:${/** @type {import("net").AddressInfo} */ (this.server.address()).port}`;
    }

    /** Forgets the requests seen and fills the bucket, e.g. between two runs. @param {{ rate?: number, retryAfter?: boolean }} [options] */
    reset({ rate = this.rate, retryAfter = this.retryAfter } = {}) {
        this.rate = rate;
        this.retryAfter = retryAfter;
        this.tokens = rate;
        this.lastRefill = Date.now();
        this.requests.length = 0;
    }

    /** How many requests reached the gateway, and how many it refused. */
    counts() {
        const refused = this.requests.filter((r) => r.status === 429).length;
        return { requests: this.requests.length, refused, passed: this.requests.length - refused };
    }

    take() {
        const now = Date.now();
        this.tokens = Math.min(this.rate, this.tokens + ((now - this.lastRefill) / 1000) * this.rate);
        this.lastRefill = now;
        if (this.tokens < 1) return false;
        this.tokens -= 1;
        return true;
    }

    /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
    handle(req, res) {
        const entry = { method: req.method, path: req.url, status: 0 };
        this.requests.push(entry);
        if (!this.take()) {
            entry.status = 429;
            req.resume();
            /** @type {Record<string, string>} */
            const headers = { "content-type": "application/json" };
            if (this.retryAfter) headers["retry-after"] = String(Math.max(1, Math.ceil((1 - this.tokens) / this.rate)));
            res.writeHead(429, headers);
            res.end(JSON.stringify({ message: ["Too Many Requests"], statusMessage: "failed", status: 0 }));
            return;
        }
        const forward = http.request(
            {
                host: this.upstream.hostname,
                port: this.upstream.port,
                method: req.method,
                path: req.url,
                headers: { ...req.headers, host: this.upstream.host },
                agent: this.agent,
            },
            (answer) => {
                entry.status = /** @type {number} */ (answer.statusCode);
                res.writeHead(/** @type {number} */ (answer.statusCode), answer.headers);
                answer.pipe(res);
            },
        );
        forward.on("error", () => res.destroy());
        req.pipe(forward);
    }

    async stop() {
        for (const socket of this.sockets) socket.destroy();
        this.agent.destroy();
        await /** @type {Promise<void>} */ (new Promise((resolve) => this.server.close(() => resolve())));
    }
}

module.exports = { RateLimitedGateway };
