import * as http from "http";
import { AddressInfo } from "net";

export interface Received {
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    /** The raw body, as received. */
    body: string;
}

/**
 * A receiver that records what it gets and answers `status` (200 by default), on 127.0.0.1,
 * started before the tests of a file and stopped after them.
 */
export function useSpyReceiver(): { readonly url: string; received: Received[]; answer(status: number): void } {
    const received: Received[] = [];
    let status = 200;
    let server: http.Server;
    let url = "";
    beforeAll(async () => {
        server = http.createServer((req, res) => {
            const chunks: Buffer[] = [];
            req.on("data", (c: Buffer) => chunks.push(c));
            req.on("end", () => {
                received.push({
                    method: req.method ?? "",
                    path: req.url ?? "",
                    headers: req.headers,
                    body: Buffer.concat(chunks).toString("utf8"),
                });
                res.writeHead(status).end();
            });
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jelou`;
    });
    beforeEach(() => {
        received.length = 0;
        status = 200;
    });
    afterAll(async () => {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
    });
    return {
        get url() {
            return url;
        },
        received,
        answer: (s: number) => void (status = s),
    };
}
