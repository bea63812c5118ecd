// The README as a user meets it: every ```ts block is a program that type-checks under --strict
// against the packed package (with @pulumi/kubernetes, as the examples use it), the first one comes
// early, the whole stays short, and every local link points at a file that exists.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
const consumer = process.env.JELOU_CONSUMER_DIR!;

/** The ```ts blocks (a block marked ```ts jest is a test file, checked by tests/package/user-stack instead). */
function typeScriptBlocks(): { line: number; code: string }[] {
    const blocks: { line: number; code: string }[] = [];
    const lines = README.split("\n");
    for (let i = 0; i < lines.length; i++) {
        if (lines[i].trim() !== "```ts") continue;
        const end = lines.indexOf("```", i + 1);
        blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join("\n") });
        i = end;
    }
    return blocks;
}

describe("the README", () => {
    it("opens with TypeScript within its first 60 lines, and stays within 450 lines", () => {
        expect(typeScriptBlocks()[0].line).toBeLessThanOrEqual(60);
        expect(README.split("\n").length).toBeLessThanOrEqual(450);
    });

    it("links only to files that exist", () => {
        const links = [...README.matchAll(/\]\(((?:docs\/|examples\/|[A-Z]+\.md)[^)#]*)/g)].map((m) => m[1]);
        expect(links.length).toBeGreaterThan(3);
        expect(links.filter((link) => !fs.existsSync(path.join(ROOT, link)))).toEqual([]);
    });

    it("every TypeScript example type-checks under --strict against the packed package", () => {
        const dir = path.join(consumer, "readme");
        fs.mkdirSync(dir, { recursive: true });
        // @pulumi/kubernetes from this repository, seen through the consumer's node_modules (preserveSymlinks):
        // it then shares the consumer's @pulumi/pulumi, as in a user's stack.
        const k8s = path.join(consumer, "node_modules", "@pulumi", "kubernetes");
        if (!fs.existsSync(k8s)) fs.symlinkSync(path.join(ROOT, "node_modules", "@pulumi", "kubernetes"), k8s, "dir");
        const files = typeScriptBlocks().map(({ line, code }) => {
            // Each block is its own module; "./index" (the test's stack) is the block before it.
            const file = path.join(dir, `readme-line-${line}.ts`);
            fs.writeFileSync(file, code);
            return file;
        });
        expect(files.length).toBeGreaterThanOrEqual(3);
        const config = path.join(dir, "tsconfig.json");
        fs.writeFileSync(
            config,
            JSON.stringify({
                compilerOptions: {
                    strict: true,
                    noEmit: true,
                    target: "ES2022",
                    module: "commonjs",
                    moduleResolution: "node10",
                    types: ["node"],
                    skipLibCheck: true,
                    preserveSymlinks: true,
                },
                files,
            }),
        );
        const tsc = path.join(consumer, "node_modules", "typescript", "bin", "tsc");
        const run = spawnSync(process.execPath, [tsc, "-p", config], { cwd: consumer, encoding: "utf8", timeout: 180_000 });
        expect(`${run.stdout}${run.stderr}`).toBe("");
        expect(run.status).toBe(0);
    });
});
