import * as pulumi from "@pulumi/pulumi";
import { ExternalSupportIntegration } from "../../../provider";
import { API_KEY, CLIENT_ID, CLIENT_SECRET, WEBHOOK_TOKEN } from "../../support/fixtures";

const { installCapture, settle, secretKeys, unwrapSecrets } = require("../../../harness/capture");

const CONFIG_KEY = "marker-configkey-6a0b2c4e";
const ENV_KEY = "marker-envkey-1e3f5a7c";
const SIGNING_SECRET = "marker-signingsecret-0f1e2d3c";

interface Registration {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    additionalSecretOutputs: string[];
    deleteBeforeReplace: boolean;
}

function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

let registrations: Registration[];
const savedEnv = { ...process.env };

beforeEach(() => {
    for (const key of ["JELOU_API_KEY", "JELOU_CLIENT_ID", "JELOU_CLIENT_SECRET", "JELOU_BASE_URL"]) delete process.env[key];
    pulumi.runtime.setAllConfig({}, []);
    registrations = installCapture(pulumi, {
        outputsFor: (_registration: Registration, args: { inputs: Record<string, unknown> }) => ({
            ...unwrapSecrets(args.inputs),
            __id: "integration-1",
            brainId: args.inputs.projectId,
            createdAt: "2026-01-15T10:30:00.000Z",
            signingSecret: SIGNING_SECRET,
        }),
    });
});
afterAll(() => {
    process.env = savedEnv;
});

async function declare(args: Partial<ConstructorParameters<typeof ExternalSupportIntegration>[1]> = {}) {
    const integration = new ExternalSupportIntegration("support", {
        projectId: "p1",
        webhookUrl: "https://support.example.com/jelou",
        ...args,
    });
    await valueOf(integration.id);
    await settle(pulumi);
    expect(registrations).toHaveLength(1);
    return { integration, registration: registrations[0] };
}

describe("ExternalSupportIntegration under mocks", () => {
    it("registers its own type with every output, and marks the secret outputs", async () => {
        const { integration, registration } = await declare({ apiKey: API_KEY, authType: "bearer", authorization: WEBHOOK_TOKEN });
        expect(registration.type).toBe("pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration");
        expect(registration.additionalSecretOutputs.sort()).toEqual(["apiKey", "authorization", "clientSecret", "signingSecret"]);
        expect(registration.deleteBeforeReplace).toBe(true);
        expect(await valueOf(integration.id)).toBe("integration-1");
        expect(await valueOf(integration.signingSecret)).toBe(SIGNING_SECRET);
        expect(await valueOf(integration.brainId)).toBe("p1");
        expect(await valueOf(integration.createdAt)).toBe("2026-01-15T10:30:00.000Z");
        expect(await valueOf(integration.webhookUrl)).toBe("https://support.example.com/jelou");
    });

    it("gives its secret outputs to the program as secret Outputs, whatever the engine applies", async () => {
        const { integration } = await declare({ apiKey: API_KEY, authType: "bearer", authorization: WEBHOOK_TOKEN });
        for (const output of [integration.signingSecret, integration.authorization, integration.apiKey, integration.clientSecret]) {
            expect(await pulumi.isSecret(output)).toBe(true);
        }
        expect(await pulumi.isSecret(integration.webhookUrl)).toBe(false);
        const wired = pulumi.interpolate`secret=${integration.signingSecret}`;
        expect(await pulumi.isSecret(wired)).toBe(true);
    });

    it("sends plain-string credentials as secrets", async () => {
        const { registration } = await declare({ apiKey: API_KEY, authType: "bearer", authorization: WEBHOOK_TOKEN });
        expect(secretKeys(registration.inputs).sort()).toEqual(["apiKey", "authorization"]);
        expect(unwrapSecrets(registration.inputs)).toMatchObject({ apiKey: API_KEY, authorization: WEBHOOK_TOKEN });
    });

    it("registers the connection given on the resource, and nothing from stack config or the environment", async () => {
        process.env.JELOU_API_KEY = ENV_KEY;
        process.env.JELOU_BASE_URL = "http://127.0.0.1:8787";
        pulumi.runtime.setAllConfig(
            { "jelou:apiKey": CONFIG_KEY, "jelou:baseUrl": "http://127.0.0.1:9", "jelou:maxAttempts": "7", "jelou:detectDrift": "true" },
            ["jelou:apiKey"],
        );
        const { registration } = await declare({ maxAttempts: 2 });
        const inputs = unwrapSecrets(registration.inputs);
        expect(inputs.maxAttempts).toBe(2);
        for (const key of [
            "apiKey",
            "clientId",
            "clientSecret",
            "baseUrl",
            "requestTimeoutMs",
            "totalTimeoutMs",
            "retryBaseDelayMs",
            "detectDrift",
        ]) {
            expect(inputs[key]).toBeUndefined();
        }
        expect(JSON.stringify(registration.inputs)).not.toContain(CONFIG_KEY);
        expect(JSON.stringify(registration.inputs)).not.toContain(ENV_KEY);
    });

    it("registers credentials given on the resource as secrets, a client id and secret included", async () => {
        const { registration } = await declare({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, baseUrl: "http://127.0.0.1:8787" });
        expect(unwrapSecrets(registration.inputs)).toMatchObject({
            clientId: CLIENT_ID,
            clientSecret: CLIENT_SECRET,
            baseUrl: "http://127.0.0.1:8787",
        });
        expect(secretKeys(registration.inputs)).toEqual(["clientSecret"]);
    });

    it("is declared without any credentials (previews and users' unit tests need none)", async () => {
        const { integration, registration } = await declare();
        expect(await valueOf(integration.id)).toBe("integration-1");
        expect(unwrapSecrets(registration.inputs).apiKey).toBeUndefined();
    });

    it("keeps every credential out of the serialized provider", async () => {
        const { registration } = await declare({
            clientId: CLIENT_ID,
            clientSecret: CLIENT_SECRET,
            authType: "basic",
            authorization: WEBHOOK_TOKEN,
        });
        const serialized = String(registration.inputs.__provider);
        expect(serialized).toContain("exports.handler");
        for (const marker of [CLIENT_SECRET, WEBHOOK_TOKEN, API_KEY, "marker-"]) expect(serialized).not.toContain(marker);
    });
});
