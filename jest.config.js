/** @type {import('jest').Config} */
module.exports = {
    preset: "ts-jest",
    testEnvironment: "node",
    roots: ["<rootDir>/tests"],
    testMatch: ["**/*.test.ts"],
    // babel/istanbul instrumentation would be copied into every serialized __provider.
    coverageProvider: "v8",
    testTimeout: 60000,
    setupFilesAfterEnv: ["<rootDir>/tests/support/quiet-provider-logs.ts"],
    // Packs the package and installs the tarball into a temporary consumer, once per run.
    globalSetup: "<rootDir>/tests/support/global-setup.js",
    globalTeardown: "<rootDir>/tests/support/global-teardown.js",
    // The examples import the package by name; in tests that name is the source.
    moduleNameMapper: { "^pulumi-jelou$": "<rootDir>/provider/index.ts", "^pulumi-jelou/testing$": "<rootDir>/provider/testing.ts" },
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tests/tsconfig.json" }] },
};
