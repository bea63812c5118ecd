#!/usr/bin/env node
/**
 * `jelou-sandbox`: runs the local Jelou until interrupted, or asks a running one to send an event.
 * Arguments are parsed with Node's own util.parseArgs: no dependency for a handful of flags.
 */
import { parseArgs } from "util";
import { authHeaders } from "../client";
import { JelouSandbox } from "./server";

const USAGE = `Usage:
  jelou-sandbox [--port 8787] [--api-key KEY] [--client-id ID --client-secret SECRET] [--bare] [--latency MS] [--allow-http-webhooks]
  jelou-sandbox send-event --project ID [--url http://127.0.0.1:8787] [--api-key KEY] [--event JSON]
Credentials default to JELOU_API_KEY, JELOU_CLIENT_ID and JELOU_CLIENT_SECRET; --url to JELOU_BASE_URL.`;

const OPTIONS = {
    port: { type: "string", default: "8787" },
    "api-key": { type: "string" },
    "client-id": { type: "string" },
    "client-secret": { type: "string" },
    bare: { type: "boolean", default: false },
    latency: { type: "string", default: "0" },
    "allow-http-webhooks": { type: "boolean", default: false },
    url: { type: "string" },
    project: { type: "string" },
    event: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

function credentials(values: Values) {
    const apiKey = values["api-key"] ?? process.env.JELOU_API_KEY;
    const clientId = values["client-id"] ?? process.env.JELOU_CLIENT_ID;
    const clientSecret = values["client-secret"] ?? process.env.JELOU_CLIENT_SECRET;
    if (!apiKey && !(clientId && clientSecret)) {
        throw new Error("Give the credentials of the local Jelou: --api-key (or JELOU_API_KEY), or --client-id and --client-secret.");
    }
    return { apiKey, clientId, clientSecret };
}

async function serve(values: Values): Promise<void> {
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got "${values.port}"`);
    const { apiKey, clientId, clientSecret } = credentials(values);
    const sandbox = await JelouSandbox.start({
        port,
        apiKeys: apiKey ? [apiKey] : [],
        clients: clientId && clientSecret ? [{ clientId, clientSecret }] : [],
        shape: values.bare ? "bare" : "envelope",
        latencyMs: Number(values.latency),
        allowLoopbackHttpWebhooks: values["allow-http-webhooks"],
        keepAlive: true,
    });
    console.log(`Local Jelou listening: JELOU_BASE_URL=${sandbox.url}`);
    const stop = () => void sandbox.stop().then(() => process.exit(0));
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}

async function sendEvent(values: Values): Promise<void> {
    if (!values.project) throw new Error("send-event needs --project");
    const url = (values.url ?? process.env.JELOU_BASE_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "");
    const response = await fetch(`${url}/__sandbox/events/${encodeURIComponent(values.project)}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...authHeaders(credentials(values)) },
        body: values.event,
    });
    const answer = (await response.json()) as { message?: string[]; data?: { url: string; status?: number; error?: string } };
    const delivery = answer.data ?? (answer as { url: string; status?: number; error?: string });
    if (!response.ok) throw new Error(`the local Jelou answered ${response.status}: ${(answer.message ?? []).join("; ")}`);
    if (delivery.status === undefined) throw new Error(`the event could not be delivered to ${delivery.url}: ${delivery.error}`);
    console.log(`Event delivered to ${delivery.url}: the receiver answered ${delivery.status}`);
    if (delivery.status >= 300) process.exitCode = 1;
}

async function main(argv: string[]): Promise<void> {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    if (values.help) return void console.log(USAGE);
    const command = positionals[0] ?? "serve";
    if (command === "serve") return serve(values);
    if (command === "send-event") return sendEvent(values);
    throw new Error(`unknown command "${command}"`);
}

main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`jelou-sandbox: ${error.message}\n${USAGE}`);
    process.exit(2);
});
