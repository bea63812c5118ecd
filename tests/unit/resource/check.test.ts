import { provider } from "../../support/engine-view";
import { DEFAULT_BASE_URL } from "../../../provider/api/types";
import { UNKNOWN } from "../../../provider/resource/types";

const valid = {
    projectId: "p1",
    webhookUrl: "https://support.example.com/jelou",
    authType: "bearer",
    authorization: "token-0001",
    apiKey: "key-0001",
};

async function failuresOf(news: Record<string, unknown>) {
    const { failures } = await provider.check({}, news);
    return failures ?? [];
}

describe("check", () => {
    it("accepts valid inputs and applies defaults", async () => {
        const { inputs, failures } = await provider.check({}, { ...valid, authType: undefined, authorization: undefined });
        expect(failures).toEqual([]);
        expect(inputs).toMatchObject({ authType: "no_auth" });
        // Not given on the resource: read from config or the environment (else DEFAULT_BASE_URL) when each operation runs.
        expect(inputs).not.toHaveProperty("baseUrl");
    });

    it.each([
        ["projectId", { projectId: "" }, /projectId is required/],
        ["projectId", { projectId: ".." }, /cannot be "\." or "\.\."/],
        ["projectId", { projectId: 42 }, /projectId is required/],
        ["webhookUrl", { webhookUrl: undefined }, /absolute https: URL/],
        ["webhookUrl", { webhookUrl: "http://support.example.com" }, /absolute https: URL.*http:/],
        ["webhookUrl", { webhookUrl: "support.example.com/hook" }, /absolute https: URL/],
        ["authType", { authType: "oauth" }, /one of "bearer", "api_key", "basic", "no_auth"/],
        ["authorization", { authType: "basic", authorization: undefined }, /required when authType is "basic"/],
        ["authorization", { authType: "no_auth" }, /must not be set when authType is "no_auth"/],
        ["clientSecret", { apiKey: undefined, clientId: "id" }, /clientSecret is required/],
        ["baseUrl", { baseUrl: "http://api.example.com" }, /https:.*loopback/],
        ["baseUrl", { baseUrl: "ftp://127.0.0.1" }, /https: URL/],
        ["baseUrl", { baseUrl: "https://user:pw@gateway.jelou.ai/jelouapi" }, /must not contain a user or password/],
        ["maxAttempts", { maxAttempts: 0 }, /whole number from 1 to 10/],
        [
            "baseUrl",
            { baseUrl: `${DEFAULT_BASE_URL}/v1/external-support/` },
            new RegExp(`before /v1/external-support.*use ${DEFAULT_BASE_URL}$`),
        ],
        // Any /v1 step: the provider adds /v1/external-support/..., and /v1/v1/... is no Jelou path.
        ["baseUrl", { baseUrl: `${DEFAULT_BASE_URL}/v1` }, new RegExp(`before /v1/external-support.*use ${DEFAULT_BASE_URL}$`)],
        ["baseUrl", { baseUrl: `${DEFAULT_BASE_URL}/V1/` }, new RegExp(`use ${DEFAULT_BASE_URL}$`)],
        ["baseUrl", { baseUrl: `${DEFAULT_BASE_URL}/v1/external-support/acme` }, new RegExp(`use ${DEFAULT_BASE_URL}$`)],
        ["baseUrl", { baseUrl: "http://127.0.0.1:8787/v1" }, /use http:\/\/127\.0\.0\.1:8787$/],
        // A key pasted with its newline would be sent, and echoed by a 401, verbatim.
        ["apiKey", { apiKey: "key-0001\n" }, /apiKey has leading or trailing whitespace.*remove it/],
        ["apiKey", { apiKey: " key-0001" }, /apiKey has leading or trailing whitespace/],
        ["apiKey", { apiKey: "key\u0000-0001" }, /apiKey contains control characters/],
        ["apiKey", { apiKey: "abc" }, /apiKey is too short to be real \(at least 8 characters\)/],
        ["clientSecret", { apiKey: undefined, clientId: "id", clientSecret: "sec\t" }, /clientSecret has leading or trailing whitespace/],
        ["clientSecret", { apiKey: undefined, clientId: "id", clientSecret: "s3" }, /clientSecret is too short/],
        ["clientId", { apiKey: undefined, clientId: "id\n", clientSecret: "secret-0001" }, /clientId has leading or trailing whitespace/],
        ["authorization", { authorization: "token-0001 " }, /authorization has leading or trailing whitespace/],
        ["authorization", { authorization: "tok" }, /authorization is too short to be real/],
        [
            "webhookUrl",
            { webhookUrl: "https://user:pass@support.example.com/jelou" },
            /must not contain a user or password: set authType and authorization/,
        ],
        ["webhookUrl", { webhookUrl: "https://user@support.example.com/jelou" }, /must not contain a user or password/],
        ["baseUrl", { baseUrl: "https://gateway.jelou.ai/jelouapi?x=1" }, /must not have a query.*or a fragment/],
        ["baseUrl", { baseUrl: "https://gateway.jelou.ai/jelouapi#top" }, /must not have a query.*or a fragment/],
        ["baseUrl", { baseUrl: "https://gateway.jelou.ai/jelouapi?" }, /must not have a query/],
    ])("names %s when it is wrong (%o)", async (property, change, reason) => {
        const failures = await failuresOf({ ...valid, ...change });
        expect(failures).toHaveLength(1);
        expect(failures[0].property).toBe(property);
        expect(failures[0].reason).toMatch(reason);
    });

    it("reports every problem at once", async () => {
        const failures = await failuresOf({ projectId: "", webhookUrl: "nope", authType: "x", clientId: "id" });
        expect(failures.map((f) => f.property).sort()).toEqual(["authType", "clientSecret", "projectId", "webhookUrl"]);
    });

    it("names each property once in its message", async () => {
        const failures = await failuresOf({
            projectId: "",
            webhookUrl: "nope",
            authType: "x",
            clientId: "id",
            baseUrl: "https://h.example.com/v1",
            maxAttempts: 0,
        });
        expect(failures.length).toBeGreaterThanOrEqual(6);
        // The engine shows the property beside the reason: a reason that starts with it again says it twice.
        for (const { property, reason } of failures) {
            expect(reason).toContain(property);
            expect(reason.startsWith(`${property}: `)).toBe(false);
        }
    });

    it("a baseUrl without a /v1 step is accepted, whatever its path", async () => {
        for (const baseUrl of [
            DEFAULT_BASE_URL,
            "https://gateway.jelou.ai/platform",
            "https://h.example.com/v10",
            "https://h.example.com/api/v1beta",
        ]) {
            expect(await failuresOf({ ...valid, baseUrl })).toEqual([]);
        }
    });

    it("no credentials anywhere is not a check failure (a preview calls nothing); the create refuses to run, calling nothing", async () => {
        const saved = Object.fromEntries(["JELOU_API_KEY", "JELOU_CLIENT_ID", "JELOU_CLIENT_SECRET"].map((k) => [k, process.env[k]]));
        for (const key of Object.keys(saved)) delete process.env[key];
        try {
            const { failures } = await provider.check({}, { ...valid, apiKey: undefined });
            expect(failures).toEqual([]);
            // 127.0.0.1:9 (discard): were anything sent, it would fail differently.
            const create = provider.create({ ...valid, apiKey: undefined, baseUrl: "http://127.0.0.1:9" });
            await expect(create).rejects.toThrow(
                /^Jelou was not called: no Jelou credentials\. .*resource's apiKey.*jelou:apiKey.*JELOU_API_KEY/,
            );
        } finally {
            for (const [key, value] of Object.entries(saved)) if (value !== undefined) process.env[key] = value;
        }
    });

    it("allows plain http only to loopback hosts", async () => {
        for (const baseUrl of ["http://127.0.0.1:8787", "http://localhost:1", "http://[::1]:2", "http://127.8.9.10"]) {
            expect(await failuresOf({ ...valid, baseUrl })).toEqual([]);
        }
        expect(await failuresOf({ ...valid, baseUrl: "http://128.0.0.1" })).toHaveLength(1);
    });

    it("does not validate values unknown during preview, and does not crash on them", async () => {
        const everythingUnknown = Object.fromEntries(
            ["projectId", "webhookUrl", "authType", "authorization", "apiKey", "baseUrl", "maxAttempts"].map((k) => [k, UNKNOWN]),
        );
        const { inputs, failures } = await provider.check({}, everythingUnknown);
        expect(failures).toEqual([]);
        expect(inputs).toMatchObject(everythingUnknown);
        expect(await failuresOf({ ...valid, authType: UNKNOWN, authorization: undefined })).toEqual([]);
    });
});
