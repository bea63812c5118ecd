// The one table of connection settings: its judge, and the docs that quote it.
import { readFileSync } from "fs";
import { join } from "path";
import { CONNECTION_SETTINGS, judgeSetting, SETTING_KEYS, SettingKey, SettingSource } from "../../../provider/api/settings";
import { REQUEST_DEFAULTS } from "../../../provider/api/client";
import { CREDENTIAL_KEYS, REQUEST_SETTING_KEYS, resolveConnection } from "../../../provider/resource/connection";
import { docSentence, readmeTable } from "../../support/settings-docs";

const ROOT = join(__dirname, "..", "..", "..");

/** Each doc comment of ConnectionArgs, by property, as one line of text. */
function connectionArgsDocs(): Map<string, string> {
    const source = readFileSync(join(ROOT, "provider/resource/external-support-integration.ts"), "utf8");
    const start = source.indexOf("export interface ConnectionArgs {");
    const body = source.slice(start, source.indexOf("\n}", start));
    const docs = new Map<string, string>();
    for (let open = body.indexOf("/**"); open !== -1; open = body.indexOf("/**", open + 3)) {
        const close = body.indexOf("*/", open);
        const text = body
            .slice(open + 3, close)
            .split("\n")
            .map((line) => line.trim().replace(/^\* ?/, ""))
            .join(" ");
        const declaration = body.slice(close + 2, body.indexOf(";", close)).trim();
        docs.set(declaration.slice(0, declaration.indexOf("?")), text.split(/\s+/).filter(Boolean).join(" "));
    }
    return docs;
}

describe("the table of connection settings", () => {
    it("gives every setting the config key jelou:<name> and the environment variable JELOU_<NAME>", () => {
        for (const key of SETTING_KEYS) {
            expect(CONNECTION_SETTINGS[key].configKey).toBe(`jelou:${key}`);
            expect(CONNECTION_SETTINGS[key].envVar).toBe(`JELOU_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
        }
    });

    it("sorts the settings the connection reads by kind", () => {
        const ofKind = (kind: string) => SETTING_KEYS.filter((key) => CONNECTION_SETTINGS[key].kind === kind);
        expect(ofKind("credential")).toEqual(CREDENTIAL_KEYS);
        expect(ofKind("whole number")).toEqual(REQUEST_SETTING_KEYS);
    });

    it("is where the client's defaults come from", () => {
        for (const [key, value] of Object.entries(REQUEST_DEFAULTS))
            expect(CONNECTION_SETTINGS[key as SettingKey]).toHaveProperty("defaultValue", value);
    });

    it("is quoted by the README's table of connection settings, row for row", () => {
        const readme = readFileSync(join(ROOT, "README.md"), "utf8");
        expect(readme).toContain(`\n${readmeTable()}\n`);
    });

    it("is quoted by the resource's doc comments: the doc, the bounds, the config key, the environment variable and the default", () => {
        const docs = connectionArgsDocs();
        expect([...docs.keys()]).toEqual(SETTING_KEYS);
        for (const key of SETTING_KEYS) {
            expect(docs.get(key)).toBe(`${CONNECTION_SETTINGS[key].doc} ${docSentence(key)}`);
        }
    });
});

describe("judgeSetting", () => {
    const SOURCES: SettingSource[] = ["resource", "config", "environment", "earlier-state"];

    it("names the setting where it was given, once, with the fix", () => {
        const names = {
            resource: "the resource's maxAttempts",
            config: "stack config jelou:maxAttempts",
            environment: "JELOU_MAX_ATTEMPTS",
        };
        for (const [source, name] of Object.entries(names)) {
            expect(judgeSetting("maxAttempts", 0, source as SettingSource)).toEqual({
                problem: `${name} must be a whole number from 1 to 10`,
            });
        }
        expect(judgeSetting("baseUrl", "http://jelou.example.com", "environment")).toEqual({
            problem: expect.stringMatching(/^JELOU_BASE_URL must use https:/),
        });
        expect(judgeSetting("apiKey", "short", "config")).toEqual({
            problem: expect.stringMatching(/^stack config jelou:apiKey is too short to be real/),
        });
        expect(judgeSetting("detectDrift", "yes", "environment")).toEqual({ problem: "JELOU_DETECT_DRIFT must be true or false" });
    });

    it("reads numbers and flags from text in config and the environment, but wants them typed on the resource", () => {
        expect(judgeSetting("requestTimeoutMs", " 5000 ", "environment")).toEqual({ value: 5000 });
        expect(judgeSetting("detectDrift", "true", "config")).toEqual({ value: true });
        expect(judgeSetting("requestTimeoutMs", "5000", "resource")).toHaveProperty("problem");
        expect(judgeSetting("detectDrift", "true", "resource")).toHaveProperty("problem");
    });

    it("accepts exactly the bounds of every whole-number setting, from every source", () => {
        for (const key of SETTING_KEYS) {
            const spec: { kind: string; min?: number; max?: number } = CONNECTION_SETTINGS[key];
            if (spec.kind !== "whole number" || spec.min === undefined || spec.max === undefined) continue;
            for (const source of SOURCES) {
                expect(judgeSetting(key, spec.min, source)).toEqual({ value: spec.min });
                expect(judgeSetting(key, spec.max, source)).toEqual({ value: spec.max });
                expect(judgeSetting(key, spec.min - 1, source)).toHaveProperty("problem");
                expect(judgeSetting(key, spec.max + 1, source)).toHaveProperty("problem");
                expect(judgeSetting(key, spec.min + 0.5, source)).toHaveProperty("problem");
            }
        }
    });
});

describe("every setting from the environment", () => {
    const VALID: Record<SettingKey, string> = {
        apiKey: "marker-key-env",
        clientId: "client-1",
        clientSecret: "marker-secret-env",
        baseUrl: "http://127.0.0.1:8787/",
        maxAttempts: "3",
        requestTimeoutMs: "1000",
        totalTimeoutMs: "2000",
        retryBaseDelayMs: "5",
        maxRequestsPerSecond: "7",
        detectDrift: "true",
    };

    it("is read from its JELOU_* variable, below the resource and stack config", () => {
        const env = Object.fromEntries(SETTING_KEYS.map((key) => [CONNECTION_SETTINGS[key].envVar, VALID[key]]));
        const { connection, failures } = resolveConnection({ given: {}, env });
        expect(failures).toEqual([]);
        expect(connection).toEqual({
            credentials: { apiKey: "marker-key-env", clientId: "client-1", clientSecret: "marker-secret-env" },
            credentialSource: "environment",
            baseUrl: "http://127.0.0.1:8787",
            maxAttempts: 3,
            requestTimeoutMs: 1000,
            totalTimeoutMs: 2000,
            retryBaseDelayMs: 5,
            maxRequestsPerSecond: 7,
            detectDrift: true,
        });
        const over = resolveConnection({
            given: { maxAttempts: 2 },
            config: { get: (k) => (k === "jelou:totalTimeoutMs" ? "9000" : undefined) },
            env,
        });
        expect(over.connection).toMatchObject({ maxAttempts: 2, totalTimeoutMs: 9000, requestTimeoutMs: 1000 });
    });

    it("is refused, naming the variable once, when it cannot be used", () => {
        for (const key of SETTING_KEYS) {
            if (CONNECTION_SETTINGS[key].kind === "credential") continue;
            const env = { JELOU_API_KEY: "marker-key-env", [CONNECTION_SETTINGS[key].envVar]: "ftp://nope" };
            const { connection, failures } = resolveConnection({ given: {}, env });
            expect(connection).toBeUndefined();
            expect(failures).toEqual([
                { property: key, reason: expect.stringMatching(new RegExp(`^${CONNECTION_SETTINGS[key].envVar} must`)) },
            ]);
            expect(failures[0].reason.split(CONNECTION_SETTINGS[key].envVar)).toHaveLength(2);
        }
    });
});
