/**
 * No super-linear regular expression runs over foreign text: the lint rule that CI runs
 * (`npm run lint`) flags the patterns issue 16 found, and the provider's source has none.
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { capUtf8, stripTags, trimTrailing } from "../../../provider/api/text";

const ROOT = path.resolve(__dirname, "../../..");
const RULES = ["regexp/no-super-linear-move", "regexp/no-super-linear-backtracking"];

/** Runs ESLint as CI does (its config loads by dynamic import, which jest's VM cannot do): the super-linear reports. */
function superLinearReports(args: string[], input?: string): string[] {
    const result = spawnSync(
        process.execPath,
        [path.join(ROOT, "node_modules", "eslint", "bin", "eslint.js"), "--format", "json", ...args],
        {
            cwd: ROOT,
            input,
            encoding: "utf8",
            maxBuffer: 64 << 20,
        },
    );
    const results = JSON.parse(result.stdout) as Array<{ filePath: string; messages: Array<{ ruleId: string | null; line: number }> }>;
    return results.flatMap((r) =>
        r.messages.filter((m) => RULES.includes(m.ruleId ?? "")).map((m) => `${path.relative(ROOT, r.filePath)}:${m.line} ${m.ruleId}`),
    );
}

describe("the lint rule against super-linear patterns", () => {
    it.each([
        ["tag stripping", 'export const f = (t: string) => t.replace(/<[^>]*>/g, " ");'],
        ["trailing slash trimming", 'export const f = (t: string) => t.replace(/\\/+$/, "");'],
    ])("flags %s as it stood before issue 16", (_what, code) => {
        expect(superLinearReports(["--stdin", "--stdin-filename", "provider/snippet.ts"], code)).toEqual([
            "provider/snippet.ts:1 regexp/no-super-linear-move",
        ]);
    });

    it("finds none in provider/, scripts/ or tests/", () => {
        expect(superLinearReports(["provider", "scripts", "tests"])).toEqual([]);
    });
});

describe("the linear-time replacements", () => {
    it("trimTrailing drops only the trailing run", () => {
        expect(trimTrailing("https://x.example//", "/")).toBe("https://x.example");
        expect(trimTrailing("////", "/")).toBe("");
        expect(trimTrailing(`${"/".repeat(60_000)}x`, "/")).toBe(`${"/".repeat(60_000)}x`);
    });

    it("stripTags replaces closed tags and keeps an unclosed < as text", () => {
        expect(stripTags("<h1>502</h1> Bad <b>Gateway", " ")).toBe(" 502  Bad  Gateway");
        expect(stripTags("a < b and <c", "")).toBe("a < b and <c");
        expect(stripTags("<<<>x", "")).toBe("x");
    });

    it("capUtf8 cuts on a character boundary", () => {
        const capped = capUtf8("é".repeat(10_000), 1001);
        expect(Buffer.byteLength(capped, "utf8")).toBeLessThanOrEqual(1001);
        expect(capped).not.toContain("\uFFFD");
        expect(capped.endsWith("…")).toBe(true);
    });
});
