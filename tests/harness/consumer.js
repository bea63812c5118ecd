// Builds the package the way a user gets it (npm pack) and installs the tarball into a temporary
// consumer project, once per test run. Plain CommonJS: also used by the demo and the benchmark.
"use strict";
const { execFileSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "../..");

/** Packs the package and installs it, with the SDK and TypeScript versions the repo tests with. */
function createConsumer() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-consumer-"));
    const npm = (args, cwd) => execFileSync("npm", args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
    const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", dir], ROOT))[0].filename;
    const version = (name) => require(require.resolve(`${name}/package.json`, { paths: [ROOT] })).version;
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "jelou-consumer", version: "1.0.0", private: true }));
    npm(
        ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(dir, path.basename(packed)),
            `@pulumi/pulumi@${version("@pulumi/pulumi")}`, `typescript@${version("typescript")}`],
        dir,
    );
    for (const file of ["capture.js", "run-program.js"]) {
        fs.copyFileSync(path.join(__dirname, file), path.join(dir, file));
    }
    fs.cpSync(path.join(ROOT, "tests", "programs"), path.join(dir, "programs"), { recursive: true });
    fs.cpSync(path.join(ROOT, "examples"), path.join(dir, "examples"), {
        recursive: true,
        filter: (src) => !src.includes("node_modules"),
    });
    return dir;
}

function removeConsumer(dir) {
    if (dir && dir.includes("jelou-consumer-")) fs.rmSync(dir, { recursive: true, force: true });
}

module.exports = { createConsumer, removeConsumer };
