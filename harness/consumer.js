// Builds the package the way a user gets it (npm pack) and installs the tarball into a temporary
// consumer project, once per test run. Plain CommonJS: also used by the demo and the benchmark.
//
// JELOU_CONSUMER_PM=pnpm installs the consumer with pnpm (the `pnpm` on PATH) in its default,
// isolated layout instead of npm's flat one: the package then sits behind a symlink into
// node_modules/.pnpm and sees only its own dependencies, which is what the matrix's pnpm leg
// (scripts/matrix.js) tests. The layout is checked after the install and refused if hoisted.
// @ts-check
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { toolEnv } = require("./tool-env");

const ROOT = path.resolve(__dirname, "..");

/** The package manager the consumer is installed with: "npm" (default) or "pnpm". @returns {"npm" | "pnpm"} */
function consumerPackageManager() {
    const pm = process.env.JELOU_CONSUMER_PM || "npm";
    if (pm !== "npm" && pm !== "pnpm") throw new Error(`JELOU_CONSUMER_PM must be npm or pnpm, not ${JSON.stringify(pm)}`);
    return pm;
}

/** Packs the package and installs it, with the SDK and TypeScript versions the repo tests with. @returns {string} its directory */
function createConsumer() {
    const pm = consumerPackageManager();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-consumer-"));
    // npm and pnpm with a private configuration (tool-env.js), written beside the consumer.
    const config = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-consumer-config-"));
    const env = toolEnv(config);
    /** @param {string} cmd @param {string[]} args @param {string} cwd */
    const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    const packed = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dir], ROOT))[0].filename;
    /** @param {string} name @returns {string} */
    const version = (name) => require(require.resolve(`${name}/package.json`, { paths: [ROOT] })).version;
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "jelou-consumer", version: "1.0.0", private: true }));
    const specs = [
        path.join(dir, path.basename(packed)),
        `@pulumi/pulumi@${version("@pulumi/pulumi")}`,
        `typescript@${version("typescript")}`,
        // What a TypeScript stack has beside them; the type-level test compiles a user program with it.
        `@types/node@${version("@types/node")}`,
    ];
    if (pm === "pnpm") {
        // The layout is stated on the command line so that no user or global config can turn hoisting
        // on. Dependency build scripts stay skipped (pnpm's default; the only one, protobufjs's
        // postinstall, is a version notice), but newer pnpm fails the install over skipped ones.
        run(
            "pnpm",
            [
                "add",
                "--prefer-offline",
                "--config.node-linker=isolated",
                "--config.shamefully-hoist=false",
                "--config.strict-dep-builds=false",
                ...specs,
            ],
            dir,
        );
        assertIsolatedLayout(dir);
    } else {
        run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", ...specs], dir);
    }
    fs.rmSync(config, { recursive: true, force: true });
    for (const file of ["capture.js", "run-program.js"]) {
        fs.copyFileSync(path.join(__dirname, file), path.join(dir, file));
    }
    fs.cpSync(path.join(ROOT, "tests", "support", "programs"), path.join(dir, "programs"), { recursive: true });
    fs.cpSync(path.join(ROOT, "examples"), path.join(dir, "examples"), {
        recursive: true,
        filter: (src) => !src.includes("node_modules"),
    });
    return dir;
}

/**
 * pnpm's isolated layout: the package is a symlink into node_modules/.pnpm, and its own
 * dependencies (axios) are not visible from the project's top level.
 * @param {string} dir
 */
function assertIsolatedLayout(dir) {
    const link = path.join(dir, "node_modules", "pulumi-jelou");
    const real = fs.realpathSync(link);
    const problems = [];
    if (!fs.lstatSync(link).isSymbolicLink() || !real.includes(`${path.sep}.pnpm${path.sep}`)) {
        problems.push(`node_modules/pulumi-jelou is not a symlink into node_modules/.pnpm (${real})`);
    }
    if (fs.existsSync(path.join(dir, "node_modules", "axios"))) problems.push("axios is hoisted to the top level");
    const modules = fs.readFileSync(path.join(dir, "node_modules", ".modules.yaml"), "utf8");
    if (!/nodeLinker["']?:\s*["']?isolated/.test(modules)) problems.push("node_modules/.modules.yaml does not say nodeLinker isolated");
    if (problems.length > 0) throw new Error(`the pnpm consumer is not in the isolated layout: ${problems.join("; ")}`);
}

/** @param {string | undefined} dir */
function removeConsumer(dir) {
    if (dir && dir.includes("jelou-consumer-")) fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = { createConsumer, removeConsumer, consumerPackageManager };
