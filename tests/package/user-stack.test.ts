// A user's stack test (tests/package/user-stack: their program, their jest config, their spec) run as the
// user runs it, in its own jest: it passes on the stack as written and fails, naming the property,
// when the stack's config is broken, as `pulumi preview` would.
import { spawnSync } from "child_process";
import * as path from "path";

const USER_STACK = path.join(__dirname, "user-stack");

function runUserTests(stackConfig: Record<string, string> = {}) {
    const env: NodeJS.ProcessEnv = { ...process.env, STACK_CONFIG: JSON.stringify(stackConfig) };
    for (const key of Object.keys(env)) if (key.startsWith("JELOU_")) delete env[key];
    const run = spawnSync(process.execPath, [require.resolve("jest/bin/jest"), "-c", path.join(USER_STACK, "jest.config.js"), "--ci"], {
        cwd: USER_STACK,
        env,
        encoding: "utf8",
        timeout: 120_000,
    });
    return { status: run.status, output: `${run.stdout}\n${run.stderr}` };
}

describe("a user's stack test under jelouMocks", () => {
    it("passes on a good stack, with no Jelou credentials anywhere", () => {
        const { status, output } = runUserTests();
        expect(output).toMatch(/Tests:\s+2 passed, 2 total/);
        expect(status).toBe(0);
    });

    it("fails on a plain-http webhook, and the failure names webhookUrl and the fix", () => {
        const { status, output } = runUserTests({ "support:webhookUrl": "http://support.example.com/jelou" });
        expect(status).not.toBe(0);
        expect(output).toContain('ExternalSupportIntegration "support" has invalid inputs: webhookUrl must be an absolute https: URL');
    });
});
