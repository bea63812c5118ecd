const { execFileSync } = require("child_process");
const path = require("path");
const { createConsumer, consumerPackageManager } = require("../../harness/consumer");

module.exports = async () => {
    process.env.JELOU_CONSUMER_DIR = createConsumer();
    checkMatrixLeg(process.env.JELOU_CONSUMER_DIR);
};

/**
 * Under scripts/matrix.js, proves the leg runs where it says: jest's own Node (which the provider
 * host and the programs are spawned with), the `node` on PATH (which npm, pnpm and the package's bin
 * run on), and the @pulumi/pulumi installed in the consumer. Prints them; throws on a mismatch.
 */
function checkMatrixLeg(consumerDir) {
    const { JELOU_MATRIX_NODE_MAJOR: major, JELOU_MATRIX_SDK: sdk } = process.env;
    if (!major && !sdk) return;
    const pathNode = execFileSync("node", ["-p", "process.version"], { encoding: "utf8" }).trim();
    const sdkJson = require.resolve("@pulumi/pulumi/package.json", { paths: [consumerDir] });
    const consumerSdk = require(sdkJson).version;
    const pm = consumerPackageManager();
    process.stdout.write(
        `\n[matrix] jest on ${process.version} (${process.execPath}); node on PATH ${pathNode}; ` +
            `consumer installed by ${pm} with @pulumi/pulumi ${consumerSdk} (${path.relative(consumerDir, sdkJson)})\n`,
    );
    const problems = [];
    if (major && process.versions.node.split(".")[0] !== major) problems.push(`jest runs on ${process.version}, not Node ${major}`);
    if (major && !pathNode.startsWith(`v${major}.`)) problems.push(`the node on PATH is ${pathNode}, not Node ${major}`);
    if (sdk && consumerSdk !== sdk) problems.push(`the consumer has @pulumi/pulumi ${consumerSdk}, not ${sdk}`);
    if (problems.length > 0) throw new Error(`matrix leg mismatch: ${problems.join("; ")}`);
}
