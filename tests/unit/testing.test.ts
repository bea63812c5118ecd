// The contract of pulumi-jelou/testing's jelouMocks, resource by resource.
import * as pulumi from "@pulumi/pulumi";
import { spawnSync } from "child_process";
import { ExternalSupportIntegration } from "pulumi-jelou";
import { EXTERNAL_SUPPORT_INTEGRATION_TYPE, JelouMockCheckError, MOCK_CREATED_AT, jelouMocks, valueOf } from "pulumi-jelou/testing";

const inner: pulumi.runtime.MockResourceArgs[] = [];
const savedEnv = { ...process.env };

function useMocks(mocks: pulumi.runtime.Mocks, config: Record<string, string> = {}) {
    pulumi.runtime.setMocks(mocks, "support", "test", false);
    pulumi.runtime.setAllConfig(config, []);
}

beforeEach(() => {
    for (const key of Object.keys(process.env)) if (key.startsWith("JELOU_")) delete process.env[key];
    inner.length = 0;
    useMocks(
        jelouMocks({
            newResource: (args) => {
                inner.push(args);
                return { id: `inner-${args.name}`, state: { ...args.inputs, fromInner: true } };
            },
            call: (args) => ({ called: args.token }),
        }),
    );
});
afterAll(() => {
    process.env = savedEnv;
});

class Thing extends pulumi.CustomResource {
    declare readonly size: pulumi.Output<number>;
    constructor(name: string, size: number) {
        super("test:index:Thing", name, { size });
    }
}

const declared = { projectId: "acme-support", webhookUrl: "https://support.example.com/jelou" };

describe("jelouMocks: an ExternalSupportIntegration", () => {
    it("gets the outputs of a created integration without credentials: id, brainId, createdAt, a secret signingSecret, the checked inputs", async () => {
        const integration = new ExternalSupportIntegration("support", {
            ...declared,
            authType: "bearer",
            authorization: "receiver-token-0123",
            rotationTriggers: { version: 2, weekly: false },
        });
        const id = await valueOf(integration.id);
        expect(id).toMatch(/^mock-[0-9a-f]{24}$/);
        expect(await valueOf(integration.brainId)).toBe("acme-support");
        expect(await valueOf(integration.createdAt)).toBe(MOCK_CREATED_AT);
        expect(await valueOf(integration.secretRotatedAt)).toBe(MOCK_CREATED_AT);
        expect(await valueOf(integration.webhookUrl)).toBe(declared.webhookUrl);
        expect(await valueOf(integration.authorization)).toBe("receiver-token-0123");
        expect(await valueOf(integration.rotationTriggers)).toEqual({ version: "2", weekly: "false" });
        expect(await valueOf(integration.schemaVersion)).toBe(2);
        const signingSecret = await valueOf(integration.signingSecret);
        expect(signingSecret).toMatch(/^mock-signing-secret-[0-9a-f]{32}$/);
        expect(await pulumi.isSecret(integration.signingSecret)).toBe(true);
        expect(await valueOf(integration.apiKey)).toBeUndefined();
        expect(inner).toHaveLength(0);
    });

    it("applies check's defaults: authType no_auth", async () => {
        const integration = new ExternalSupportIntegration("plain", declared);
        expect(await valueOf(integration.authType)).toBe("no_auth");
    });

    it("gives each resource its own stable id and secret: the same name and project, the same values", async () => {
        const a = new ExternalSupportIntegration("a", declared);
        const b = new ExternalSupportIntegration("b", declared);
        const again = new ExternalSupportIntegration("a", { ...declared, webhookUrl: "https://other.example.com/jelou" });
        const [idA, idB, idAgain] = await Promise.all([valueOf(a.id), valueOf(b.id), valueOf(again.id)]);
        expect(idA).not.toBe(idB);
        expect(idAgain).toBe(idA);
        expect(await valueOf(a.signingSecret)).not.toBe(await valueOf(b.signingSecret));
    });

    it.each([
        ["webhookUrl", { webhookUrl: "http://support.example.com/jelou" }, /webhookUrl must be an absolute https: URL/],
        ["projectId", { projectId: ".." }, /projectId cannot be "\." or "\.\."/],
        ["authorization", { authType: "bearer" as const }, /authorization is required when authType is "bearer"/],
        ["authorization", { authType: "basic" as const, authorization: "token\n" }, /authorization has leading or trailing whitespace/],
        ["rotationTriggers", { rotationTriggers: { version: { major: 1 } as unknown as string } }, /rotationTriggers\.version is not one/],
        ["webhookUrl", { webhookUrl: "https://user:pass@support.example.com/jelou" }, /webhookUrl must not contain a user or password/],
    ])("fails the registration when check refuses %s, naming it", async (property, args, message) => {
        const integration = new ExternalSupportIntegration("bad", { ...declared, ...args });
        const failure = await valueOf(integration.id).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(failure).toBeInstanceOf(Error);
        expect(String((failure as Error).message)).toMatch(message);
        expect(String((failure as Error).message)).toContain('ExternalSupportIntegration "bad" has invalid inputs');
        await expect(valueOf(integration.signingSecret)).rejects.toThrow(message);
    });

    it("keeps check's failures on the error, property by property", () => {
        const error = new JelouMockCheckError("x", [
            { property: "webhookUrl", reason: "webhookUrl must be https" },
            { property: "projectId", reason: "required" },
        ]);
        expect(error.failures.map((f) => f.property)).toEqual(["webhookUrl", "projectId"]);
        expect(error.message).toBe('ExternalSupportIntegration "x" has invalid inputs: webhookUrl must be https; projectId: required');
    });

    it("judges a webhook by the stack's jelou:baseUrl as the provider does: http on loopback is allowed against a local Jelou only", async () => {
        const local = "http://127.0.0.1:9/hook";
        await expect(valueOf(new ExternalSupportIntegration("remote", { ...declared, webhookUrl: local }).id)).rejects.toThrow(
            /webhookUrl/,
        );
        useMocks(jelouMocks(), { "jelou:baseUrl": "http://127.0.0.1:8787" });
        expect(await valueOf(new ExternalSupportIntegration("local", { ...declared, webhookUrl: local }).id)).toMatch(/^mock-/);
    });

    it("reports a bad connection setting from the stack config, naming where it came from", async () => {
        useMocks(jelouMocks(), { "jelou:baseUrl": "https://gateway.example.com/v1/external-support" });
        await expect(valueOf(new ExternalSupportIntegration("cfg", declared).id)).rejects.toThrow(/stack config jelou:baseUrl/);
    });

    it("needs no credentials, but still refuses a malformed one given on the resource", async () => {
        await expect(valueOf(new ExternalSupportIntegration("key", { ...declared, apiKey: " key-with-space " }).id)).rejects.toThrow(
            /apiKey has leading or trailing whitespace/,
        );
    });

    it("keeps the id of an imported integration", async () => {
        const integration = new ExternalSupportIntegration("imported", declared, { import: "jelou-integration-42" });
        expect(await valueOf(integration.id)).toBe("jelou-integration-42");
    });
});

describe("jelouMocks: everything else", () => {
    it("hands other resources and calls to the inner mocks", async () => {
        const other = new Thing("thing", 3);
        expect(await valueOf(other.id)).toBe("inner-thing");
        expect(inner.map((r) => [r.type, r.inputs])).toEqual([["test:index:Thing", { size: 3 }]]);
        const result = await pulumi.runtime.invoke("test:index:lookup", { q: 1 });
        expect(result).toEqual({ called: "test:index:lookup" });
    });

    it("echoes other resources' inputs without inner mocks", async () => {
        useMocks(jelouMocks());
        const other = new Thing("thing", 3);
        expect(await valueOf(other.id)).toBe("thing_id");
        expect(await valueOf(other.size)).toBe(3);
        expect(EXTERNAL_SUPPORT_INTEGRATION_TYPE).toBe("pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration");
    });
});

describe("jelouMocks in a plain Node process, from the packed package", () => {
    // Run where the tarball is installed: `pulumi-jelou/testing` must resolve through the exports map.
    function runScript(extra: string) {
        const script = [
            'const pulumi = require("@pulumi/pulumi");',
            'const { jelouMocks, valueOf } = require("pulumi-jelou/testing");',
            'const { ExternalSupportIntegration } = require("pulumi-jelou");',
            'pulumi.runtime.setMocks(jelouMocks(), "p", "s", false);',
            'const bad = new ExternalSupportIntegration("bad", { projectId: "p", webhookUrl: "http://support.example.com" });',
            'valueOf(bad.id).then(() => console.log("resolved"), (e) => { console.log("refused:", e.message.includes("webhookUrl must")); ' +
                extra +
                " });",
        ].join("\n");
        return spawnSync(process.execPath, ["-e", script], { cwd: process.env.JELOU_CONSUMER_DIR, encoding: "utf8", timeout: 60_000 });
    }

    it("a refusal rejects the outputs and does not stop the process", () => {
        const run = runScript("");
        expect(run.stdout).toContain("refused: true");
        expect(run.status).toBe(0);
    });

    it("every other unhandled rejection still fails the process", () => {
        const run = runScript('Promise.reject(new Error("unrelated failure"));');
        expect(run.stdout).toContain("refused: true");
        expect(run.stderr).toContain("unrelated failure");
        expect(run.status).not.toBe(0);
    });
});
