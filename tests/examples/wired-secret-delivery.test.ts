// The local Jelou delivers signed events to the receiver of examples/wired-secret (built on
// verifySignature), with the secret the provider stored; a rotation makes the old secret useless.
import { execFile } from "child_process";
import * as http from "http";
import { AddressInfo } from "net";
import * as path from "path";
import { promisify } from "util";
import { createReceiver, secretFrom } from "../../examples/wired-secret/receiver";
import { provider } from "../support/engine-view";
import { API_KEY, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";

const sandbox = useSandbox({ allowLoopbackHttpWebhooks: true });
const received: Array<{ event: unknown }> = [];
let receiverSecret = "";
let receiver: http.Server;
let receiverUrl: string;

beforeAll(async () => {
    receiver = createReceiver({
        secret: secretFrom(() => receiverSecret),
        webhookToken: WEBHOOK_TOKEN,
        answer: () => undefined,
        onEvent: (event) => received.push({ event }),
    }).server;
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    receiver.unref();
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/jelou`;
});
afterAll(async () => {
    receiver.closeAllConnections();
    await new Promise((r) => receiver.close(r));
});

let n = 0;
async function integration(overrides: Record<string, unknown> = {}) {
    const { inputs, failures } = await provider.check(
        {},
        {
            projectId: `events-${++n}`,
            webhookUrl: receiverUrl,
            authType: "bearer",
            authorization: WEBHOOK_TOKEN,
            apiKey: API_KEY,
            baseUrl: sandbox.url,
            ...overrides,
        },
    );
    expect(failures).toEqual([]);
    const created = await provider.create(inputs!);
    return { inputs: inputs!, id: created.id, outs: created.outs };
}

describe("events from the local Jelou", () => {
    it("are signed with the stored secret and carry the bearer token, and the receiver accepts them", async () => {
        const { inputs, outs } = await integration();
        receiverSecret = outs.signingSecret;
        received.length = 0;
        const delivery = await sandbox.sendEvent(inputs.projectId as string);
        expect(delivery).toMatchObject({ url: receiverUrl, status: 200, event: "message:text" });
        expect(received).toHaveLength(1);
        expect(received[0].event).toMatchObject({ kind: "message", event: { event_type: "message", project_id: inputs.projectId } });
    });

    it("signed with a rotated-away secret are refused by the receiver", async () => {
        const { id, inputs, outs } = await integration({ rotationTriggers: { v: "1" } });
        receiverSecret = outs.signingSecret;
        const news = { ...inputs, rotationTriggers: { v: "2" } };
        const { outs: rotated } = await provider.update(id, outs, news);
        expect((await sandbox.sendEvent(inputs.projectId as string)).status).toBe(401);
        receiverSecret = rotated.signingSecret;
        expect((await sandbox.sendEvent(inputs.projectId as string)).status).toBe(200);
    });

    it("without the webhook's token are refused", async () => {
        const { inputs, outs } = await integration({ authType: "api_key" });
        receiverSecret = outs.signingSecret;
        expect((await sandbox.sendEvent(inputs.projectId as string)).status).toBe(401);
    });

    it.each([
        ["bearer", { authorization: `Bearer ${WEBHOOK_TOKEN}` }],
        ["api_key", { "x-api-key": WEBHOOK_TOKEN }],
        ["basic", { authorization: `Basic ${WEBHOOK_TOKEN}` }],
        ["no_auth", {}],
    ])("carry the header authType %s calls for", async (authType, expected) => {
        const seen: http.IncomingHttpHeaders[] = [];
        const spy = http.createServer((req, res) => {
            seen.push(req.headers);
            res.writeHead(200).end();
        });
        await new Promise<void>((resolve) => spy.listen(0, "127.0.0.1", resolve));
        const url = `http://127.0.0.1:${(spy.address() as AddressInfo).port}/`;
        const { inputs } = await integration({
            webhookUrl: url,
            authType,
            authorization: authType === "no_auth" ? undefined : WEBHOOK_TOKEN,
        });
        await sandbox.sendEvent(inputs.projectId as string);
        spy.close();
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject(expected);
        if (authType === "no_auth") expect(seen[0].authorization ?? seen[0]["x-api-key"]).toBeUndefined();
        expect(seen[0]["x-jelou-signature"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    });

    it("can be sent by `jelou-sandbox send-event` from the installed package", async () => {
        const { inputs, outs } = await integration();
        receiverSecret = outs.signingSecret;
        const bin = path.join(process.env.JELOU_CONSUMER_DIR as string, "node_modules", ".bin", "jelou-sandbox");
        const { stdout } = await promisify(execFile)(bin, ["send-event", "--project", inputs.projectId as string, "--url", sandbox.url], {
            env: { ...process.env, JELOU_API_KEY: API_KEY },
        });
        expect(stdout).toContain(`Event message:text delivered to ${receiverUrl}: the receiver answered 200`);
        expect(sandbox.deliveries.at(-1)).toMatchObject({ projectId: inputs.projectId, status: 200 });
    });

    it("a plain-http webhook passes check only against a loopback Jelou", async () => {
        const local = await provider.check({}, { projectId: "p", webhookUrl: receiverUrl, apiKey: API_KEY, baseUrl: sandbox.url });
        expect(local.failures).toEqual([]);
        const real = await provider.check({}, { projectId: "p", webhookUrl: receiverUrl, apiKey: API_KEY });
        expect(real.failures).toEqual([{ property: "webhookUrl", reason: expect.stringContaining("https:") }]);
    });
});
