// Rotation without lockout: the secret rotated through the lifecycle harness (rotationTriggers,
// played through the SDK's dynamic-provider host), written to a Kubernetes-style Secret mount by
// an atomic symlink swap, picked up by the running example receiver without a restart; once the
// file holds the new secret, no event signed with it is refused.
import * as fs from "fs";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { createReceiver, SecretFile } from "../../examples/wired-secret/receiver";
import { API_KEY, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";

const { LifecycleEngine } = require("../../harness/engine");

const PROGRAM = "programs/integrations.js";
const URN = "urn:pulumi:test::jelou-test::pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration::support";
const KEY = "JELOU_SIGNING_SECRET";

const sandbox = useSandbox({ allowLoopbackHttpWebhooks: true });

/**
 * A Secret volume as the kubelet lays it out: `KEY -> ..data/KEY`, `..data -> ..<timestamp>/`;
 * an update writes a new timestamped directory, points `..data_tmp` at it and renames that over
 * `..data` (one atomic step), then removes the old directory.
 */
class SecretMount {
    private generation = 0;
    constructor(readonly dir: string) {
        fs.mkdirSync(dir, { recursive: true });
    }
    get file(): string {
        return path.join(this.dir, KEY);
    }
    write(value: string): void {
        const previous = this.generation > 0 ? fs.readlinkSync(path.join(this.dir, "..data")) : undefined;
        const version = `..2026_12_02_00_00_00.${++this.generation}`;
        fs.mkdirSync(path.join(this.dir, version));
        fs.writeFileSync(path.join(this.dir, version, KEY), value);
        fs.symlinkSync(version, path.join(this.dir, "..data_tmp"));
        fs.renameSync(path.join(this.dir, "..data_tmp"), path.join(this.dir, "..data"));
        if (!fs.existsSync(this.file)) fs.symlinkSync(path.join("..data", KEY), this.file);
        if (previous) fs.rmSync(path.join(this.dir, previous), { recursive: true });
    }
}

function stack(projectId: string, webhookUrl: string, version: string) {
    return {
        env: {
            JELOU_TEST_SPEC: JSON.stringify({
                integrations: [
                    {
                        name: "support",
                        args: { projectId, webhookUrl, authType: "bearer", authorization: WEBHOOK_TOKEN, rotationTriggers: { version } },
                    },
                ],
            }),
            JELOU_API_KEY: API_KEY,
            JELOU_BASE_URL: sandbox.url,
        },
    };
}

async function panel(p: string, body: unknown) {
    const response = await fetch(`${sandbox.url}/v1/external-support/${p}`, {
        method: "POST",
        headers: { "x-api-key": API_KEY, "content-type": "application/json" },
        body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
}

it("a rotation reaches the running receiver through its mounted file, with no event refused after the file changes", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-mount-"));
    const mount = new SecretMount(path.join(root, "jelou"));
    mount.write("not-yet-the-secret");
    // A long interval: every pick-up below comes from the file having changed, not from time passing.
    const secret = new SecretFile(mount.file, 60_000);
    const receiver = createReceiver({ secret, webhookToken: WEBHOOK_TOKEN, replyUrl: `${sandbox.url}/v1/external-support/webhook` });
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/jelou`;
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `rotation-receiver-${process.pid}`;
    try {
        const up = await engine.run(PROGRAM, stack(project, url, "1"));
        expect(up.errors).toEqual([]);
        const first = engine.state.get(URN).outputs.signingSecret as string;
        mount.write(first); // Pulumi updates the Kubernetes Secret; the kubelet swaps the file

        const started = await panel(`${project}/conversations/start`, { botId: "bot-1", userId: "user-1" });
        expect(started.status).toBe(200);
        const conversationId = started.body.data._id;
        expect(sandbox.deliveries.at(-1)).toMatchObject({ event: "conversation.start", status: 200 });
        expect((await sandbox.sendEvent(project, { conversationId })).status).toBe(200);
        await receiver.settled();
        expect(secret.reads).toBe(2);

        // Rotate: a change of rotationTriggers regenerates the secret in place (one update).
        const rotated = await engine.run(PROGRAM, stack(project, url, "2"));
        expect(rotated.plan).toEqual([{ urn: URN, op: "update" }]);
        const second = engine.state.get(URN).outputs.signingSecret as string;
        expect(second).not.toBe(first);
        expect(sandbox.integration(project)!.signingSecret).toBe(second);
        expect(engine.state.get(URN).id).toBe(sandbox.integration(project)!.id);

        // The window: Jelou signs with the new secret at once, the file still holds the old one.
        expect((await sandbox.sendEvent(project, { conversationId })).status).toBe(401);
        expect(secret.reads).toBe(2); // unchanged file, interval not passed: no read

        mount.write(second);
        const statuses: number[] = [];
        for (const type of ["text", "image", "document", "text"] as const) {
            statuses.push((await sandbox.sendEvent(project, { conversationId, messageType: type })).status!);
        }
        expect((await panel(`${project}/conversations/close`, { botId: "bot-1", userId: "user-1" })).status).toBe(200);
        statuses.push(sandbox.deliveries.at(-1)!.status!);
        expect(statuses).toEqual([200, 200, 200, 200, 200]);
        expect(secret.reads).toBe(3); // one read for the change, then the new secret in memory
        expect(secret.current()).toBe(second);
        expect(receiver.server.listening).toBe(true); // the same process all along

        // The receiver's replies after the rotation are signed with the new secret, and accepted.
        await receiver.settled();
        const replies = sandbox.replies.filter((r) => r.projectId === project);
        expect(replies).toHaveLength(5);
        expect(receiver.stats.replyFailures).toBe(0);
        expect(receiver.conversations.size).toBe(0);
    } finally {
        await engine.destroy();
        receiver.server.closeAllConnections();
        await new Promise((r) => receiver.server.close(r));
        fs.rmSync(root, { recursive: true, force: true });
    }
});
