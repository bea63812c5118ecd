// The user's own jest setup for their stack. Here "pulumi-jelou" resolves to this repository's sources.
/** @type {import('jest').Config} */
module.exports = {
    rootDir: __dirname,
    testEnvironment: "node",
    testMatch: ["**/*.spec.ts"],
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/../../tsconfig.json" }] },
    moduleNameMapper: {
        "^pulumi-jelou$": "<rootDir>/../../../provider/index.ts",
        "^pulumi-jelou/testing$": "<rootDir>/../../../provider/testing.ts",
    },
};
