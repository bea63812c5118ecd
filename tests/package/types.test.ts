// The package's types as a user's TypeScript sees them: a user program (tests/support/programs/typed-stack.ts)
// checked with `tsc --noEmit --strict` against the packed package installed in the consumer project,
// with both module resolutions users have (typesVersions for "node10", the exports map for "node16").
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const consumer = process.env.JELOU_CONSUMER_DIR!;

function typeCheck(moduleResolution: "node10" | "node16", file = "programs/typed-stack.ts") {
    const config = path.join(consumer, `tsconfig.${moduleResolution}.json`);
    fs.writeFileSync(
        config,
        JSON.stringify({
            compilerOptions: {
                strict: true,
                noEmit: true,
                target: "ES2022",
                module: moduleResolution === "node16" ? "node16" : "commonjs",
                moduleResolution,
                types: ["node"],
                // The SDK's own declarations are not under test.
                skipLibCheck: true,
            },
            files: [file],
        }),
    );
    const tsc = path.join(consumer, "node_modules", "typescript", "bin", "tsc");
    const run = spawnSync(process.execPath, [tsc, "-p", config], { cwd: consumer, encoding: "utf8", timeout: 120_000 });
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("the package's types, as a user's strict TypeScript sees them", () => {
    it.each(["node10", "node16"] as const)(
        "a user program type-checks under --strict (moduleResolution %s), and each mistake in it is caught",
        (resolution) => {
            const { status, output } = typeCheck(resolution);
            expect(output).toBe("");
            expect(status).toBe(0);
        },
    );

    it("a mistake the program does not mark is reported, naming the property", () => {
        const program = path.join(consumer, "programs", "typed-mistake.ts");
        fs.writeFileSync(
            program,
            [
                'import { ExternalSupportIntegration } from "pulumi-jelou";',
                'new ExternalSupportIntegration("x", { projectId: "p", webhookUrl: "https://h.example.com", rotationTriggers: { v: [1] } });',
            ].join("\n"),
        );
        const { status, output } = typeCheck("node16", "programs/typed-mistake.ts");
        expect(status).not.toBe(0);
        expect(output).toMatch(/typed-mistake\.ts\(2,\d+\): error TS2322: Type 'number\[\]' is not assignable/);
    });
});
