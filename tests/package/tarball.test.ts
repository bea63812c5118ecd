// What a user downloads: the tarball `npm pack` (and so `npm publish`) would make, listed with
// `npm pack --dry-run --json`, holds only what the package needs at run time and for its types;
// every entry point package.json names is in it; and `npm publish --dry-run` is clean.
import { execFile } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";

const { toolEnv } = require("../../harness/tool-env");

const ROOT = path.resolve(__dirname, "../..");
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

interface Listing {
    name: string;
    version: string;
    files: { path: string }[];
}

/** The files `npm pack` would put in the tarball. dist/ was built by the global setup's `npm pack`. */
async function packListing(cwd = ROOT): Promise<Listing> {
    const config = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-pack-config-"));
    try {
        const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
            cwd,
            env: toolEnv(config),
        });
        return JSON.parse(stdout)[0];
    } finally {
        fs.rmSync(config, { recursive: true, force: true });
    }
}

/** What the tarball needs: the metadata files, and per module its JavaScript and its declarations. */
const REQUIRED = ["package.json", "README.md", "LICENSE", "CHANGELOG.md"];
const ALLOWED = (file: string) => REQUIRED.includes(file) || /^dist\/(.+\/)?[^/]+(\.js|\.d\.ts)$/.test(file);

/** Every `exports`, `typesVersions`, `main`, `types` and `bin` target, as a path inside the package. */
function entryPoints(manifest: typeof pkg): string[] {
    const targets: string[] = [];
    const walk = (value: unknown) => {
        if (typeof value === "string") targets.push(value);
        else if (Array.isArray(value)) value.forEach(walk);
        else if (value && typeof value === "object") Object.values(value).forEach(walk);
    };
    walk(manifest.exports);
    walk(manifest.typesVersions);
    walk(manifest.bin);
    walk(manifest.main);
    walk(manifest.types);
    return [...new Set(targets.map((t) => path.posix.normalize(t)))];
}

/** What is wrong with a listing; empty when it holds exactly what users need. */
function tarballProblems(files: string[], manifest: typeof pkg, root: string): string[] {
    const problems: string[] = [];
    const listed = new Set(files);
    for (const file of REQUIRED) if (!listed.has(file)) problems.push(`missing ${file}`);
    for (const file of files.filter((f) => !ALLOWED(f))) problems.push(`not for users: ${file}`);
    for (const file of files.filter((f) => /^dist\/.*\.js$/.test(f))) {
        const module = file.slice("dist/".length, -".js".length);
        if (!listed.has(`dist/${module}.d.ts`)) problems.push(`${file} has no declarations`);
        // Output without a source is left over from an older build.
        if (!fs.existsSync(path.join(root, "provider", `${module}.ts`))) problems.push(`${file} has no source in provider/ (stale build?)`);
        // No map is shipped, so no shipped file may point at one (or at sources users do not get).
        const text = fs.readFileSync(path.join(root, file), "utf8");
        if (/[#@] sourceMappingURL=/.test(text)) problems.push(`${file} points to a source map`);
    }
    for (const target of entryPoints(manifest)) {
        if (target.includes("*")) {
            const prefix = target.slice(0, target.indexOf("*"));
            if (!files.some((f) => f.startsWith(prefix))) problems.push(`entry point ${target} matches no file`);
        } else if (!listed.has(target)) {
            problems.push(`entry point ${target} is not in the tarball`);
        }
    }
    return problems;
}

describe("the tarball", () => {
    let listing: Listing;
    beforeAll(async () => {
        listing = await packListing();
    });

    it("holds only package.json, README.md, LICENSE, CHANGELOG.md and dist's JavaScript and declarations", () => {
        const files = listing.files.map((f) => f.path);
        expect(tarballProblems(files, pkg, ROOT)).toEqual([]);
        expect(files.filter((f) => /^(tests|provider|examples|scripts|\.tmp|node_modules)\//.test(f))).toEqual([]);
        expect(files.filter((f) => /\.ts$/.test(f) && !/\.d\.ts$/.test(f))).toEqual([]);
        expect(files.filter((f) => /\.(map|tsbuildinfo|tgz)$/.test(f))).toEqual([]);
        // One JavaScript file and one declaration file per module in provider/.
        const sources = fs
            .readdirSync(path.join(ROOT, "provider"), { recursive: true, encoding: "utf8" })
            .filter((f) => f.endsWith(".ts"))
            .map((f) => f.split(path.sep).join("/").replace(/\.ts$/, ""))
            .sort();
        expect(
            files
                .filter((f) => f.endsWith(".js"))
                .map((f) => f.slice(5, -3))
                .sort(),
        ).toEqual(sources);
        expect(
            files
                .filter((f) => f.endsWith(".d.ts"))
                .map((f) => f.slice(5, -5))
                .sort(),
        ).toEqual(sources);
    });

    it("has every entry point package.json names, and a runnable bin", () => {
        const files = new Set(listing.files.map((f) => f.path));
        const targets = entryPoints(pkg);
        expect(targets).toEqual(
            expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/dynamic-provider.js", "dist/sandbox/cli.js", "package.json"]),
        );
        for (const target of targets.filter((t) => !t.includes("*"))) expect([target, files.has(target)]).toEqual([target, true]);
        for (const bin of Object.values(pkg.bin as Record<string, string>)) {
            expect(fs.readFileSync(path.join(ROOT, bin), "utf8").startsWith("#!/usr/bin/env node\n")).toBe(true);
        }
    });

    it("would be refused by these checks if it held tests, sources, maps or lost an entry point", () => {
        const good = listing.files.map((f) => f.path);
        expect(tarballProblems([...good, "tests/lifecycle.test.ts"], pkg, ROOT)).toEqual(["not for users: tests/lifecycle.test.ts"]);
        expect(tarballProblems([...good, "provider/client.ts"], pkg, ROOT)).toEqual(["not for users: provider/client.ts"]);
        expect(tarballProblems([...good, "dist/client.js.map", "tsconfig.tsbuildinfo", ".tmp/x"], pkg, ROOT)).toHaveLength(3);
        expect(
            tarballProblems(
                good.filter((f) => f !== "dist/sandbox/cli.js"),
                pkg,
                ROOT,
            ),
        ).toEqual(["entry point dist/sandbox/cli.js is not in the tarball"]);
        expect(
            tarballProblems(
                good.filter((f) => f !== "CHANGELOG.md"),
                pkg,
                ROOT,
            ),
        ).toEqual(["missing CHANGELOG.md"]);
    });

    it("is what `npm pack` lists when `files` is widened to tests: refused", async () => {
        // A copy of the package with `files` widened, listed by npm itself.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-pack-"));
        try {
            fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, files: [...pkg.files, "tests"] }));
            for (const file of ["README.md", "LICENSE", "CHANGELOG.md"]) fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
            fs.cpSync(path.join(ROOT, "dist"), path.join(dir, "dist"), { recursive: true });
            fs.mkdirSync(path.join(dir, "tests"));
            fs.writeFileSync(path.join(dir, "tests", "x.test.ts"), "");
            const widened = (await packListing(dir)).files.map((f) => f.path);
            expect(tarballProblems(widened, pkg, ROOT)).toEqual(["not for users: tests/x.test.ts"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("npm publish --dry-run", () => {
    it("is clean (no warning) and uploads nothing", async () => {
        // The registry is a local server playing one where the package is not published yet (404).
        // npm's dry run reads the package's registry document (GET /pulumi-jelou, to refuse a version
        // already published) and must never upload (PUT). A token for it stands in for `npm login`
        // (without one npm warns that publishing needs a login, which says nothing about the package).
        const requests: string[] = [];
        const server = http.createServer((req, res) => {
            requests.push(`${req.method} ${req.url}`);
            res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "Not found" }));
        });
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-publish-"));
        try {
            // A private config (tool-env.js) with only this registry's token: the user's registry, proxy
            // and update-check settings neither help nor may change what this run does.
            const env = {
                ...toolEnv(dir, { network: false, npmrcLines: [`${registry.replace(/^http:/, "")}:_authToken=dry-run-only`] }),
                npm_config_registry: registry,
                npm_config_noproxy: "127.0.0.1",
            };
            const { stdout, stderr } = await promisify(execFile)("npm", ["publish", "--dry-run", "--ignore-scripts", "--json"], {
                cwd: ROOT,
                env,
            });
            const published = JSON.parse(stdout)[pkg.name];
            expect({ name: published.name, version: published.version }).toEqual({ name: pkg.name, version: pkg.version });
            expect(
                tarballProblems(
                    published.files.map((f: { path: string }) => f.path),
                    pkg,
                    ROOT,
                ),
            ).toEqual([]);
            expect(stderr.split("\n").filter((line) => /^npm (warn|error|ERR)/i.test(line))).toEqual([]);
            expect(stderr).toContain(`Publishing to ${registry} with tag latest and default access (dry-run)`);
            expect(requests.filter((r) => r !== `GET /${pkg.name}`)).toEqual([]);
        } finally {
            server.close();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
