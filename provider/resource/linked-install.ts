/**
 * A linked install (`npm install ../pulumi-jelou`, `npm link`, a workspace link) puts a symlink in
 * `node_modules` whose files live outside any `node_modules`. Pulumi's closure serializer then copies
 * the provider's code into the state by value instead of one `require` line, and every real preview
 * fails in the provider host (`Cannot find module 'axios/...'`). It is refused when the resource is
 * declared, from the resolved paths: reached through `node_modules`, living outside every one.
 */
import * as fs from "fs";
import * as path from "path";

const PACKAGE_NAME = "pulumi-jelou";

export interface InstallLayout {
    /** This package's root directory as Node loaded it (symlinks resolved). */
    packageRoot: string;
    /** Where the program runs (Pulumi runs it in the project's directory). */
    programDir: string;
}

/** The entries `node_modules/pulumi-jelou` a program in `programDir` would resolve, nearest first. */
function installEntries(programDir: string): string[] {
    const entries: string[] = [];
    for (let dir = path.resolve(programDir); ; dir = path.dirname(dir)) {
        if (path.basename(dir) !== "node_modules") entries.push(path.join(dir, "node_modules", PACKAGE_NAME));
        if (path.dirname(dir) === dir) return entries;
    }
}

function insideNodeModules(file: string): boolean {
    return file.split(path.sep).includes("node_modules");
}

/** Why this install cannot work under Pulumi, or undefined when it can (or when it was not reached through node_modules). */
export function linkedInstallProblem({ packageRoot, programDir }: InstallLayout): string | undefined {
    if (insideNodeModules(packageRoot)) return undefined;
    for (const entry of installEntries(programDir)) {
        let real: string;
        try {
            if (!fs.lstatSync(entry).isSymbolicLink()) continue;
            real = fs.realpathSync(entry);
        } catch {
            continue;
        }
        if (real !== packageRoot) continue;
        return (
            `${PACKAGE_NAME} is installed as a link (${entry} -> ${real}), so its files live outside node_modules: ` +
            "Pulumi would copy the provider's code into the state instead of requiring the package, and every preview would fail. " +
            `Install a real copy: \`npm install --install-links ${real}\`, or \`npm pack\` there and \`npm install\` the .tgz it writes.`
        );
    }
    return undefined;
}

/** The directory of this package's package.json, found from this file (wherever the build puts it). */
function packageRootOf(dir: string): string {
    for (let at = dir; ; at = path.dirname(at)) {
        try {
            if (JSON.parse(fs.readFileSync(path.join(at, "package.json"), "utf8")).name === PACKAGE_NAME) return at;
        } catch {
            // no package.json here, or not ours: look further up
        }
        if (path.dirname(at) === at) return dir;
    }
}

let checked: string | undefined | null = null;

/** Throws, once per process and then on every declaration, when the package is a linked install. */
export function refuseLinkedInstall(): void {
    if (checked === null) {
        checked = linkedInstallProblem({ packageRoot: fs.realpathSync(packageRootOf(__dirname)), programDir: process.cwd() });
    }
    if (checked !== undefined) throw new Error(checked);
}
