// The connection as the provider resolves it when an operation runs: the resource's arguments, then
// the stack config handed to `configure`, then the host's environment, then what 0.1.0 kept.
import { provider } from "../../support/engine-view";
import { resolveConnection, StackConfig } from "../../../provider/resource/connection";
import { DEFAULT_BASE_URL } from "../../../provider/api/types";

const config = (values: Record<string, string>): StackConfig => ({ get: (key) => values[key] });
const KEY = { resource: "marker-key-resource", config: "marker-key-config", env: "marker-key-env", earlier: "marker-key-earlier" };

describe("resolveConnection", () => {
    it("takes credentials from the resource, then config, then the environment, then 0.1.0's state", () => {
        const env = { JELOU_API_KEY: KEY.env };
        const cfg = config({ "jelou:apiKey": KEY.config });
        const earlier = { apiKey: KEY.earlier };
        const source = (given: object, c?: StackConfig, e: NodeJS.ProcessEnv = {}) =>
            resolveConnection({ given: given as Record<string, unknown>, config: c, env: e, earlier }).connection;
        expect(source({ apiKey: KEY.resource }, cfg, env)).toMatchObject({
            credentials: { apiKey: KEY.resource },
            credentialSource: "resource",
        });
        expect(source({}, cfg, env)).toMatchObject({ credentials: { apiKey: KEY.config }, credentialSource: "config" });
        expect(source({}, undefined, env)).toMatchObject({ credentials: { apiKey: KEY.env }, credentialSource: "environment" });
        expect(source({})).toMatchObject({ credentials: { apiKey: KEY.earlier }, credentialSource: "earlier-state" });
    });

    it("takes credentials whole from one source: a client id in config and a secret in the environment are not mixed", () => {
        const { connection, failures } = resolveConnection({
            given: {},
            config: config({ "jelou:clientId": "client-1" }),
            env: { JELOU_CLIENT_SECRET: "marker-secret-env" },
        });
        expect(connection).toBeUndefined();
        expect(failures).toEqual([
            {
                property: "clientSecret",
                reason: expect.stringMatching(/^stack config jelou:clientSecret is required with stack config jelou:clientId/),
            },
        ]);
    });

    it("resolves the other settings one by one, numbers and booleans from config strings", () => {
        const { connection } = resolveConnection({
            given: { maxAttempts: 2 },
            config: config({
                "jelou:apiKey": KEY.config,
                "jelou:maxAttempts": "7",
                "jelou:totalTimeoutMs": "60000",
                "jelou:detectDrift": "true",
            }),
            env: { JELOU_BASE_URL: "http://127.0.0.1:8787/" },
        });
        expect(connection).toEqual({
            credentials: { apiKey: KEY.config },
            credentialSource: "config",
            baseUrl: "http://127.0.0.1:8787",
            maxAttempts: 2,
            totalTimeoutMs: 60000,
            detectDrift: true,
        });
        expect(resolveConnection({ given: { apiKey: KEY.resource }, env: {} }).connection).toMatchObject({
            baseUrl: DEFAULT_BASE_URL,
            detectDrift: false,
        });
    });

    it.each([
        [{ "jelou:apiKey": `${KEY.config}\n` }, {}, "apiKey", /^stack config jelou:apiKey has leading or trailing whitespace/],
        [{ "jelou:apiKey": "" }, { JELOU_API_KEY: "short" }, "apiKey", /^JELOU_API_KEY is too short to be real/],
        [{ "jelou:maxAttempts": "many" }, {}, "maxAttempts", /^stack config jelou:maxAttempts must be a whole number from 1 to 10/],
        [{ "jelou:detectDrift": "yes" }, {}, "detectDrift", /^stack config jelou:detectDrift must be true or false/],
        [
            {},
            { JELOU_BASE_URL: "https://gateway.jelou.ai/jelouapi/v1/external-support" },
            "baseUrl",
            /^JELOU_BASE_URL must be the address before \/v1\/external-support.*use https:\/\/gateway\.jelou\.ai\/jelouapi$/,
        ],
        [{ "jelou:baseUrl": "http://jelou.example.com" }, {}, "baseUrl", /^stack config jelou:baseUrl must use https:/],
    ])("names where a bad value came from (%o %o)", (cfg, env, property, reason) => {
        const { connection, failures } = resolveConnection({
            given: {},
            config: config({ "jelou:apiKey": KEY.config, ...cfg }),
            env: env as NodeJS.ProcessEnv,
        });
        expect(connection).toBeUndefined();
        expect(failures).toEqual([{ property, reason: expect.stringMatching(reason) }]);
    });

    it("reads no config when the engine sent none (the SDK's reader throws then)", () => {
        const throwing: StackConfig = {
            get: () => {
                throw new TypeError("Cannot read properties of undefined");
            },
        };
        expect(resolveConnection({ given: {}, config: throwing, env: { JELOU_API_KEY: KEY.env } }).connection).toMatchObject({
            credentialSource: "environment",
        });
    });
});

describe("check with the stack's config", () => {
    const valid = { projectId: "p1", webhookUrl: "https://support.example.com/jelou" };
    afterEach(() => provider.configure({ config: config({}) }));

    it("passes without credentials on the resource when jelou:apiKey is set, and registers none", async () => {
        await provider.configure({ config: config({ "jelou:apiKey": KEY.config }) });
        const { inputs, failures } = await provider.check({}, valid);
        expect(failures).toEqual([]);
        expect(JSON.stringify(inputs)).not.toContain(KEY.config);
    });

    it("passes without credentials anywhere (a preview calls nothing); the create refuses, naming apiKey and the three ways", async () => {
        const { failures } = await provider.check({}, valid);
        expect(failures).toEqual([]);
        await expect(provider.create({ ...valid, baseUrl: "http://127.0.0.1:9" })).rejects.toThrow(
            /no Jelou credentials.*resource's apiKey.*jelou:apiKey.*JELOU_API_KEY/,
        );
    });

    it("still refuses credentials from config that cannot be used, naming where they came from", async () => {
        await provider.configure({ config: config({ "jelou:clientId": "client-1" }) });
        expect((await provider.check({}, valid)).failures).toEqual([
            {
                property: "clientSecret",
                reason: expect.stringMatching(/^stack config jelou:clientSecret is required with stack config jelou:clientId/),
            },
        ]);
    });

    it("allows an http loopback webhook when jelou:baseUrl is a local Jelou", async () => {
        await provider.configure({ config: config({ "jelou:apiKey": KEY.config, "jelou:baseUrl": "http://127.0.0.1:8787" }) });
        expect((await provider.check({}, { ...valid, webhookUrl: "http://127.0.0.1:9000/hook" })).failures).toEqual([]);
        await provider.configure({ config: config({ "jelou:apiKey": KEY.config }) });
        expect((await provider.check({}, { ...valid, webhookUrl: "http://127.0.0.1:9000/hook" })).failures).toEqual([
            { property: "webhookUrl", reason: expect.stringMatching(/https:/) },
        ]);
    });
});
