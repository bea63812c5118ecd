#!/usr/bin/env node
/**
 * `jelou-sandbox`: runs the local Jelou until interrupted.
 * Arguments are parsed with Node's own util.parseArgs: no dependency for a handful of flags.
 */
import { parseArgs } from "util";
import { JelouSandbox } from "./server";

const USAGE = `Usage: jelou-sandbox [--port 8787] [--api-key KEY] [--client-id ID --client-secret SECRET] [--bare] [--latency MS]
Credentials default to JELOU_API_KEY, JELOU_CLIENT_ID and JELOU_CLIENT_SECRET from the environment.`;

async function main(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            port: { type: "string", default: "8787" },
            "api-key": { type: "string" },
            "client-id": { type: "string" },
            "client-secret": { type: "string" },
            bare: { type: "boolean", default: false },
            latency: { type: "string", default: "0" },
            "allow-http-webhooks": { type: "boolean", default: false },
            help: { type: "boolean", short: "h", default: false },
        },
    });
    if (values.help) return void console.log(USAGE);
    const port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, got "${values.port}"`);
    const apiKey = values["api-key"] ?? process.env.JELOU_API_KEY;
    const clientId = values["client-id"] ?? process.env.JELOU_CLIENT_ID;
    const clientSecret = values["client-secret"] ?? process.env.JELOU_CLIENT_SECRET;
    if (!apiKey && !(clientId && clientSecret)) {
        throw new Error("Give the credentials the local Jelou accepts: --api-key (or JELOU_API_KEY), or --client-id and --client-secret.");
    }
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

main(process.argv.slice(2)).catch((error: Error) => {
    console.error(`jelou-sandbox: ${error.message}\n${USAGE}`);
    process.exit(2);
});
