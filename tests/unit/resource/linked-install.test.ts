// A linked install (npm install ../pulumi-jelou without --install-links, npm link, a workspace link)
// is refused when the resource is declared, from the resolved paths: the package was reached through
// node_modules but its files live outside every node_modules. Every other layout is accepted.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { linkedInstallProblem } from "../../../provider/resource/linked-install";

let root: string;
beforeEach(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "jelou-linked-")));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** A directory tree: a path ending in "/" is a directory, "a -> b" a symlink, else an empty package.json of ours. */
function tree(entries: string[]): void {
    for (const entry of entries) {
        const [from, to] = entry.split(" -> ");
        const at = path.join(root, from);
        fs.mkdirSync(path.dirname(at), { recursive: true });
        if (to) fs.symlinkSync(path.join(root, to), at, "dir");
        else if (from.endsWith("/")) fs.mkdirSync(at, { recursive: true });
        else fs.writeFileSync(at, JSON.stringify({ name: "pulumi-jelou" }));
    }
}

const at = (rel: string) => path.join(root, rel);

describe("linkedInstallProblem", () => {
    it("refuses a symlink in the stack's node_modules to a checkout outside any node_modules, naming --install-links and the tarball", () => {
        tree(["checkout/package.json", "stack/node_modules/", "stack/node_modules/pulumi-jelou -> checkout"]);
        const problem = linkedInstallProblem({ packageRoot: at("checkout"), programDir: at("stack") });
        expect(problem).toContain(`installed as a link (${at("stack/node_modules/pulumi-jelou")} -> ${at("checkout")})`);
        expect(problem).toContain(`npm install --install-links ${at("checkout")}`);
        expect(problem).toMatch(/npm pack.*\.tgz/);
    });

    it("finds the link in a parent's node_modules too (a program in a subfolder, a workspace root)", () => {
        tree(["packages/jelou/package.json", "node_modules/", "node_modules/pulumi-jelou -> packages/jelou", "infra/stack/"]);
        expect(linkedInstallProblem({ packageRoot: at("packages/jelou"), programDir: at("infra/stack") })).toMatch(/installed as a link/);
    });

    it("accepts a real copy (tarball or --install-links), pnpm's link into node_modules/.pnpm, and sources not reached through node_modules", () => {
        tree([
            "copy/node_modules/pulumi-jelou/package.json",
            "pnpm/node_modules/.pnpm/pulumi-jelou@0.2.0/node_modules/pulumi-jelou/package.json",
            "pnpm/node_modules/pulumi-jelou -> pnpm/node_modules/.pnpm/pulumi-jelou@0.2.0/node_modules/pulumi-jelou",
            "repo/package.json",
            "repo/node_modules/",
        ]);
        expect(linkedInstallProblem({ packageRoot: at("copy/node_modules/pulumi-jelou"), programDir: at("copy") })).toBeUndefined();
        const pnpmReal = fs.realpathSync(at("pnpm/node_modules/pulumi-jelou"));
        expect(linkedInstallProblem({ packageRoot: pnpmReal, programDir: at("pnpm") })).toBeUndefined();
        // This repository's own tests: jest maps the package name to provider/, and nothing links to it.
        expect(linkedInstallProblem({ packageRoot: at("repo"), programDir: at("repo") })).toBeUndefined();
    });

    it("accepts a link to another copy of the package than the one loaded", () => {
        tree(["other/package.json", "checkout/package.json", "stack/node_modules/", "stack/node_modules/pulumi-jelou -> other"]);
        expect(linkedInstallProblem({ packageRoot: at("checkout"), programDir: at("stack") })).toBeUndefined();
    });
});

describe("the built package, linked into a stack", () => {
    it("throws when the resource is declared, before anything is registered", () => {
        const consumer = process.env.JELOU_CONSUMER_DIR!;
        // A checkout: the installed package's files, outside any node_modules, with the node_modules its
        // dependencies sit in (the consumer's under npm, the package's own under pnpm's .pnpm store).
        const installed = fs.realpathSync(path.join(consumer, "node_modules", "pulumi-jelou"));
        fs.cpSync(installed, at("checkout"), { recursive: true, dereference: true });
        // pnpm gives an installed package a node_modules/.bin of its own: the checkout's is the link below.
        fs.rmSync(at("checkout/node_modules"), { recursive: true, force: true });
        fs.symlinkSync(path.dirname(installed), at("checkout/node_modules"), "dir");
        tree(["stack/node_modules/", "stack/node_modules/pulumi-jelou -> checkout"]);
        const program = [
            'const { ExternalSupportIntegration } = require("pulumi-jelou");',
            'try { new ExternalSupportIntegration("support", { projectId: "p", webhookUrl: "https://h.example.com/jelou" }); console.log("declared"); }',
            "catch (error) { console.log(error.message); }",
        ].join("\n");
        const run = spawnSync(process.execPath, ["-e", program], { cwd: at("stack"), encoding: "utf8", timeout: 60_000 });
        expect(run.stdout).toContain("installed as a link");
        expect(run.stdout).toContain("npm install --install-links");
    });
});
