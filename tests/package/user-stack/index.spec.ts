// The user's unit test of their stack, written as Pulumi's testing guide and this package's README
// suggest. (This repository runs it twice from tests/package/user-stack.test.ts: as it is, and with a
// broken config given through STACK_CONFIG, to show that it catches the mistake.)
import * as pulumi from "@pulumi/pulumi";
import { jelouMocks, valueOf } from "pulumi-jelou/testing";

const config: Record<string, string> = {
    "support:projectId": "acme-support",
    "support:webhookUrl": "https://support.example.com/jelou",
    "support:webhookToken": "receiver-token-0123456789",
    "support:secretVersion": "3",
    ...JSON.parse(process.env.STACK_CONFIG ?? "{}"),
};

describe("support stack", () => {
    let stack: typeof import("./index");

    beforeAll(async () => {
        pulumi.runtime.setMocks(jelouMocks(), "support", "test", false);
        pulumi.runtime.setAllConfig(config, ["support:webhookToken"]);
        stack = await import("./index");
    });

    it("creates the integration for the project", async () => {
        expect(await valueOf(stack.integrationId)).toBeTruthy();
        expect(await valueOf(stack.integration.brainId)).toBe("acme-support");
    });

    it("hands the signing secret to the receiver's Secret, still a secret", async () => {
        const signingSecret = await valueOf(stack.integration.signingSecret);
        expect(await valueOf(stack.receiverSecret.stringData)).toEqual({ signingSecret });
        expect(await pulumi.isSecret(stack.receiverSecret.stringData)).toBe(true);
    });
});
