// An integration whose signing secret is exported as a secret stack output.
// Against Jelou: `pulumi config set --secret jelou:apiKey <key>` and `pulumi config set projectId <id>`.
// Against the local Jelou: JELOU_BASE_URL=http://127.0.0.1:8787 JELOU_API_KEY=<the key it was started with>.
import * as pulumi from "@pulumi/pulumi";
import { ExternalSupportIntegration } from "pulumi-jelou";

const config = new pulumi.Config();

const integration = new ExternalSupportIntegration("support", {
    projectId: config.get("projectId") ?? process.env.JELOU_PROJECT_ID ?? "demo-project",
    webhookUrl: config.get("webhookUrl") ?? process.env.JELOU_WEBHOOK_URL ?? "https://support.example.com/jelou",
    authType: "bearer",
    authorization: config.getSecret("webhookToken") ?? process.env.JELOU_WEBHOOK_TOKEN ?? "change-me-webhook-token",
    // Change the version (`pulumi config set secretVersion 2`) to have Jelou issue a new signing secret.
    rotationTriggers: { version: config.get("secretVersion") ?? process.env.JELOU_SECRET_VERSION ?? "1" },
});

export const integrationId = integration.id;
export const brainId = integration.brainId;
export const signingSecret = integration.signingSecret; // already a secret output
