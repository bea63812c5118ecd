// The signing secret wired into a Kubernetes Secret that the webhook receiver (receiver.ts) mounts
// as a volume (the file JELOU_SIGNING_SECRET, e.g. under /var/run/secrets/jelou). It stays a Pulumi
// secret all the way: in state, in the preview, and in the Kubernetes Secret's inputs. A replace or
// a rotation updates the Secret in the same `pulumi up`; the kubelet then swaps the mounted file and
// the receiver re-reads it on the first signature that fails (README, "Rotation without lockout").
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ExternalSupportIntegration } from "pulumi-jelou";

const config = new pulumi.Config();
const namespace = config.get("namespace") ?? "support";

const integration = new ExternalSupportIntegration("support", {
    projectId: config.require("projectId"),
    webhookUrl: config.require("webhookUrl"),
    authType: "bearer",
    authorization: config.requireSecret("webhookToken"),
    // Rotate the signing secret every month without replacing the integration.
    rotationTriggers: { month: new Date().toISOString().slice(0, 7) },
});

const receiverSecret = new k8s.core.v1.Secret("jelou-webhook", {
    metadata: { name: "jelou-webhook", namespace },
    stringData: {
        JELOU_SIGNING_SECRET: integration.signingSecret,
        JELOU_WEBHOOK_TOKEN: integration.authorization.apply((token) => token ?? ""),
    },
});

export const secretName = receiverSecret.metadata.name;
export const secretRotatedAt = integration.secretRotatedAt;
