import fc from "fast-check";
import { provider } from "../../support/engine-view";
import { UNKNOWN } from "../../../provider/resource/types";
import { useSandbox } from "../../support/fixtures";

const PROPERTIES = [
    "projectId",
    "webhookUrl",
    "authType",
    "authorization",
    "apiKey",
    "clientId",
    "clientSecret",
    "baseUrl",
    "maxAttempts",
    "requestTimeoutMs",
    "totalTimeoutMs",
    "retryBaseDelayMs",
];

const sandbox = useSandbox();

/** Values of every shape check may meet: wrong types, huge and odd strings, nesting, unknowns. */
function oddValue(): fc.Arbitrary<unknown> {
    return fc.oneof(
        fc.constant(UNKNOWN),
        fc.constant(undefined),
        fc.constant(null),
        fc.string(),
        fc.string({ unit: "grapheme", maxLength: 50 }),
        fc.string({ minLength: 5000, maxLength: 20000 }),
        fc.webUrl(),
        fc.webUrl().map((u) => u.replace(/^https?:/, "http:")),
        fc.constantFrom("bearer", "api_key", "basic", "no_auth", "BEARER", "", ".", "..", "%2e%2e", "a/b", "http://127.0.0.1:1"),
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.anything({ maxDepth: 3 }),
    );
}

describe("check under generated inputs", () => {
    it("never throws, names a known property in every failure, and calls nothing", async () => {
        let runs = 0;
        await fc.assert(
            fc.asyncProperty(
                fc.dictionary(fc.constantFrom(...PROPERTIES, "__proto__", "extra", "constructor"), oddValue()),
                fc.option(fc.constant(sandbox.url)),
                async (news, baseUrl) => {
                    runs += 1;
                    const input = baseUrl ? { ...news, baseUrl } : news;
                    const result = await provider.check({}, input);
                    expect(Array.isArray(result.failures)).toBe(true);
                    for (const failure of result.failures ?? []) {
                        expect(PROPERTIES).toContain(failure.property);
                        expect(failure.reason).toContain(failure.property);
                    }
                    expect(() => JSON.stringify(result.inputs)).not.toThrow();
                },
            ),
            { numRuns: 1500, seed: 20261124 },
        );
        expect(runs).toBeGreaterThanOrEqual(1000);
        expect(sandbox.requests).toHaveLength(0);
    });

    it("accepts every well-formed input", async () => {
        await fc.assert(
            fc.asyncProperty(
                // Jelou stores a projectId as sent: no whitespace (see check).
                fc.string({ minLength: 1, maxLength: 100 }).filter((s) => !/\s/.test(s) && s !== "." && s !== ".."),
                fc.webUrl({ validSchemes: ["https"] }),
                fc.constantFrom("bearer", "api_key", "basic", "no_auth"),
                // A real credential: no stray whitespace or control characters, at least 8 characters (see check).
                fc.string({ minLength: 8, maxLength: 200 }).filter((s) => s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s)),
                async (projectId, webhookUrl, authType, secret) => {
                    const news = {
                        projectId,
                        webhookUrl,
                        authType,
                        apiKey: secret,
                        authorization: authType === "no_auth" ? undefined : secret,
                    };
                    expect((await provider.check({}, news)).failures).toEqual([]);
                },
            ),
            { numRuns: 500, seed: 7 },
        );
    });

    it("refuses, before any API call, what Jelou would store differently from what it was sent, naming the property once", async () => {
        const invisible = fc.constantFrom(
            " ",
            "\t",
            "\n",
            "\r",
            "\u0000",
            "\u001b",
            "\u007f",
            "\u0085",
            "\u00a0",
            "\u200b",
            "\u2028",
            "\u3000",
            "\ufeff",
        );
        // A space inside a credential is printable ASCII, and allowed (only at either end is it refused).
        const nonAscii = fc.oneof(
            invisible.filter((c) => c !== " "),
            fc.constantFrom("é", "€", "ñ", "\u00ff", "\u0100", "😀", "\u200e"),
        );
        /** A good value with `inserted` put at the start, the end or inside. */
        const spoiled = (good: string, inserted: fc.Arbitrary<string>) =>
            fc.tuple(inserted, fc.nat(good.length)).map(([c, at]) => `${good.slice(0, at)}${c}${good.slice(at)}`);
        const good = {
            projectId: "brain-4471",
            webhookUrl: "https://support.example.com/jelou?x=1",
            apiKey: "marker-apikey-7f3c9a1e5b",
            clientSecret: "marker-clientsecret-9b1d7e3a",
            authorization: "marker-webhooktoken-5c2a8f4d",
        };
        const cases = fc.oneof(
            spoiled(good.projectId, invisible).map((v) => ["projectId", v] as const),
            spoiled(good.webhookUrl, invisible).map((v) => ["webhookUrl", v] as const),
            spoiled(good.apiKey, nonAscii).map((v) => ["apiKey", v] as const),
            spoiled(good.clientSecret, nonAscii).map((v) => ["clientSecret", v] as const),
            spoiled(good.authorization, nonAscii).map((v) => ["authorization", v] as const),
            spoiled("client-id-4471", nonAscii).map((v) => ["clientId", v] as const),
        );
        const before = sandbox.requests.length;
        await fc.assert(
            fc.asyncProperty(cases, async ([property, value]) => {
                const base = {
                    projectId: good.projectId,
                    webhookUrl: good.webhookUrl,
                    authType: "bearer",
                    authorization: good.authorization,
                    baseUrl: sandbox.url,
                };
                const credentials =
                    property === "clientId" || property === "clientSecret"
                        ? { clientId: "client-id-4471", clientSecret: good.clientSecret }
                        : { apiKey: good.apiKey };
                const news = { ...base, ...credentials, [property]: value };
                const failures = (await provider.check({}, news)).failures ?? [];
                expect(failures.map((f) => f.property)).toEqual([property]);
                const reason = failures[0].reason;
                // Named once, with a fix; a credential's value is never quoted.
                expect(reason.split(property).length - 1).toBe(1);
                expect(reason).toMatch(/: \S/);
                if (property !== "projectId" && property !== "webhookUrl") expect(reason).not.toContain(value.trim());
            }),
            { numRuns: 400, seed: 16 },
        );
        expect(sandbox.requests.length).toBe(before);
    });

    it("refuses an over-long baseUrl before parsing it", async () => {
        const news = {
            projectId: "p",
            webhookUrl: "https://support.example.com/jelou",
            apiKey: "marker-apikey-7f3c9a1e5b",
            baseUrl: `https://jelou.example.com${"/".repeat(60_000)}`,
        };
        const failures = (await provider.check({}, news)).failures ?? [];
        expect(failures.map((f) => f.property)).toEqual(["baseUrl"]);
        expect(failures[0].reason).toMatch(/at most 2048 characters/);
    });
});
