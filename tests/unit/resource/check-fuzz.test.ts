import fc from "fast-check";
import * as provider from "../../../provider/dynamic-provider";
import { UNKNOWN } from "../../../provider/resource/types";
import { useSandbox } from "../../support/fixtures";

const PROPERTIES = [
    "projectId", "webhookUrl", "authType", "authorization", "apiKey", "clientId", "clientSecret", "baseUrl",
    "maxAttempts", "requestTimeoutMs", "totalTimeoutMs", "retryBaseDelayMs",
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
                fc.string({ minLength: 1, maxLength: 100 }).filter((s) => s.trim() !== "" && s !== "." && s !== ".."),
                fc.webUrl({ validSchemes: ["https"] }),
                fc.constantFrom("bearer", "api_key", "basic", "no_auth"),
                // A real credential: no stray whitespace or control characters, at least 8 characters (see check).
                fc.string({ minLength: 8, maxLength: 200 }).filter((s) => s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s)),
                async (projectId, webhookUrl, authType, secret) => {
                    const news = { projectId, webhookUrl, authType, apiKey: secret, authorization: authType === "no_auth" ? undefined : secret };
                    expect((await provider.check({}, news)).failures).toEqual([]);
                },
            ),
            { numRuns: 500, seed: 7 },
        );
    });
});
