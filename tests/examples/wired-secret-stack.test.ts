// examples/wired-secret under the SDK's mocks: the signing secret must reach the Kubernetes
// Secret's inputs still marked secret (mocks do not apply additionalSecretOutputs, so this holds
// only because the resource marks its secret outputs itself).
import * as pulumi from "@pulumi/pulumi";
import { API_KEY } from "../support/fixtures";

const { installCapture, settle, isSecretWrapper, unwrapSecrets } = require("../../harness/capture");

const SIGNING_SECRET = "marker-wired-signing-secret-77";
const TOKEN = "marker-wired-token-88";

interface Registration {
    type: string;
    inputs: Record<string, unknown>;
}

/** The value at `path`, and whether any level on the way is a secret. */
function lookup(value: unknown, path: string[]): { value: unknown; secret: boolean } {
    let secret = false;
    let current = value;
    for (const key of [...path, ""]) {
        if (isSecretWrapper(current)) {
            secret = true;
            current = (current as { value: unknown }).value;
        }
        if (key === "") break;
        current = (current as Record<string, unknown>)?.[key];
    }
    return { value: current, secret };
}

it("keeps the signing secret and the webhook token secret into the Kubernetes Secret", async () => {
    process.env.JELOU_API_KEY = API_KEY;
    const registrations: Registration[] = installCapture(pulumi, {
        project: "wired",
        outputsFor: (_r: Registration, args: Registration) =>
            args.type.includes("ExternalSupportIntegration")
                ? {
                      ...unwrapSecrets(args.inputs),
                      __id: "integration-1",
                      signingSecret: SIGNING_SECRET,
                      secretRotatedAt: "2026-11-01T00:00:00Z",
                  }
                : unwrapSecrets(args.inputs),
    });
    pulumi.runtime.setAllConfig(
        { "wired:projectId": "p1", "wired:webhookUrl": "https://support.example.com/jelou", "wired:webhookToken": TOKEN },
        ["wired:webhookToken"],
    );
    // A plain require: a separate module registry would hide axios from the closure serializer.
    require("../../examples/wired-secret/index.ts");
    await settle(pulumi);

    const secret = registrations.find((r) => r.type === "kubernetes:core/v1:Secret")!;
    expect(secret).toBeDefined();
    expect(lookup(secret.inputs, ["stringData", "JELOU_SIGNING_SECRET"])).toEqual({ value: SIGNING_SECRET, secret: true });
    expect(lookup(secret.inputs, ["stringData", "JELOU_WEBHOOK_TOKEN"])).toEqual({ value: TOKEN, secret: true });
    const integration = registrations.find((r) => r.type.endsWith(":ExternalSupportIntegration"))!;
    expect(unwrapSecrets(integration.inputs).rotationTriggers).toEqual({ month: expect.stringMatching(/^\d{4}-\d{2}$/) });
    delete process.env.JELOU_API_KEY;
});
