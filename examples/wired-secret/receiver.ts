// A webhook receiver that checks what Jelou sends: the auth header its authType calls for, and
// X-Jelou-Signature over the raw body, with the signing secret mounted from the Kubernetes Secret.
// Run: JELOU_SIGNING_SECRET=… JELOU_WEBHOOK_TOKEN=… PORT=8080 npx ts-node receiver.ts
import * as http from "http";
import { verifySignature } from "pulumi-jelou";

export interface ReceiverOptions {
    /** The current signing secret (a function, so a rotated secret can be reloaded). */
    signingSecret: () => string;
    /** The bearer token Jelou must send (authType "bearer"); omit to skip the check. */
    webhookToken?: string;
    onEvent?: (event: unknown) => void;
}

export function createReceiver({ signingSecret, webhookToken, onEvent }: ReceiverOptions): http.Server {
    return http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
            if (webhookToken !== undefined && req.headers.authorization !== `Bearer ${webhookToken}`) {
                res.writeHead(401).end("missing or wrong bearer token");
                return;
            }
            // Verify the raw bytes, before any JSON parsing.
            const raw = Buffer.concat(chunks);
            const check = verifySignature(raw, req.headers["x-jelou-signature"], signingSecret());
            if (!check.valid) {
                res.writeHead(401).end(check.message);
                return;
            }
            onEvent?.(JSON.parse(raw.toString("utf8")));
            res.writeHead(204).end();
        });
    });
}

if (require.main === module) {
    const secret = process.env.JELOU_SIGNING_SECRET;
    if (!secret) throw new Error("Set JELOU_SIGNING_SECRET (mounted from the jelou-webhook Secret).");
    createReceiver({
        signingSecret: () => secret,
        webhookToken: process.env.JELOU_WEBHOOK_TOKEN,
        onEvent: (event) => console.log("event", (event as { event?: string }).event),
    }).listen(Number(process.env.PORT ?? 8080));
}
