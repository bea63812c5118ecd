// A user's program, type-checked with `tsc --noEmit --strict` against the packed package
// (tests/package/types.test.ts). Each @ts-expect-error is a mistake the types must catch: if the types
// stopped catching it, tsc would fail on the unused directive.
import * as pulumi from "@pulumi/pulumi";
import { AuthType, ExternalSupportIntegration, ExternalSupportIntegrationArgs, parseEvent, verifySignature } from "pulumi-jelou";
import { jelouMocks, valueOf, EXTERNAL_SUPPORT_INTEGRATION_TYPE } from "pulumi-jelou/testing";

const config = new pulumi.Config();
const authType: AuthType = "bearer";

const args: ExternalSupportIntegrationArgs = {
    projectId: "acme-support",
    webhookUrl: "https://support.example.com/jelou",
    authType,
    authorization: config.requireSecret("webhookToken"),
    rotationTriggers: { version: 4, monthly: true, label: "2026-12", fromConfig: config.requireNumber("secretVersion") },
    adoptExisting: false,
    inPlaceUpdates: true,
    detectDrift: true,
    maxAttempts: 3,
    requestTimeoutMs: 10_000,
    totalTimeoutMs: 60_000,
    retryBaseDelayMs: 100,
};
const integration = new ExternalSupportIntegration("support", args);

// Every output the README promises is declared, with its type.
export const outputs: {
    id: pulumi.Output<string>;
    signingSecret: pulumi.Output<string>;
    secretRotatedAt: pulumi.Output<string>;
    brainId: pulumi.Output<string>;
    createdAt: pulumi.Output<string>;
    authType: pulumi.Output<AuthType>;
    rotationTriggers: pulumi.Output<Record<string, string> | undefined>;
    adoptExisting: pulumi.Output<boolean | undefined>;
    inPlaceUpdates: pulumi.Output<boolean | undefined>;
    detectDrift: pulumi.Output<boolean | undefined>;
    maxAttempts: pulumi.Output<number | undefined>;
    requestTimeoutMs: pulumi.Output<number | undefined>;
    totalTimeoutMs: pulumi.Output<number | undefined>;
    retryBaseDelayMs: pulumi.Output<number | undefined>;
    baseUrl: pulumi.Output<string | undefined>;
    schemaVersion: pulumi.Output<number>;
} = integration;

// @ts-expect-error rotationTriggers values are strings, numbers or booleans, not objects
new ExternalSupportIntegration("nested", { ...args, rotationTriggers: { version: { major: 4 } } });
// @ts-expect-error authType is one of the four documented kinds
new ExternalSupportIntegration("oauth", { ...args, authType: "oauth" });
// @ts-expect-error projectId is required
new ExternalSupportIntegration("none", { webhookUrl: "https://support.example.com/jelou" });
// @ts-expect-error maxAttempts is a number
new ExternalSupportIntegration("attempts", { ...args, maxAttempts: "3" });

const mocks: pulumi.runtime.Mocks = jelouMocks({ newResource: (a) => ({ id: a.name, state: a.inputs }), call: (a) => a.inputs });
export const mocked: pulumi.runtime.Mocks = jelouMocks() && mocks;
export const token: string = EXTERNAL_SUPPORT_INTEGRATION_TYPE;
export const secretValue: Promise<string> = valueOf(integration.signingSecret);

const parsed = parseEvent(Buffer.from("{}"), undefined, ["old-secret", "new-secret"]);
export const eventKind: string = parsed.ok ? parsed.event.kind : parsed.reason;
export const verified: boolean = verifySignature("{}", "sig", ["a", "b"]).valid;
