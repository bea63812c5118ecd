// A user's stack, as it would sit in their repository: the integration, and a Kubernetes Secret
// that hands its signing secret to the webhook receiver.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ExternalSupportIntegration } from "pulumi-jelou";

const config = new pulumi.Config();

export const integration = new ExternalSupportIntegration("support", {
    projectId: config.require("projectId"),
    webhookUrl: config.require("webhookUrl"),
    authType: "bearer",
    authorization: config.requireSecret("webhookToken"),
    rotationTriggers: { version: config.requireNumber("secretVersion") },
});

export const receiverSecret = new k8s.core.v1.Secret("jelou-signing-secret", {
    metadata: { namespace: "support" },
    stringData: { signingSecret: integration.signingSecret },
});

export const integrationId = integration.id;
