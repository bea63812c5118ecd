// `npm run lint` (run by CI through the test matrix): typescript-eslint's recommended rules, and
// eslint-plugin-regexp's static analysis of backtracking, which flags patterns that take
// super-linear time (today's `/<[^>]*>/g` and `/\/+$/` as they stood, which no recommended preset
// flags): no such pattern may run over foreign text, and whether a text is foreign is decided far
// away, so every pattern is checked. Formatting is Prettier's (`.prettierrc.json`), checked by the
// same script. CommonJS, so it loads on Node 20.
"use strict";
const tseslint = require("typescript-eslint");
const regexp = require("eslint-plugin-regexp");

module.exports = tseslint.config(
    { ignores: ["dist/**", "node_modules/**", ".tmp/**", "coverage/**", "examples/**/node_modules/**"] },
    {
        files: ["**/*.ts", "**/*.js"],
        languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: "module" },
        linterOptions: { reportUnusedDisableDirectives: "error" },
        plugins: { regexp },
        rules: {
            "regexp/no-super-linear-move": ["error", { report: "certain", ignoreSticky: false, ignorePartial: false }],
            "regexp/no-super-linear-backtracking": ["error", { report: "certain" }],
        },
    },
    {
        files: ["**/*.ts"],
        extends: [tseslint.configs.recommended],
        rules: {
            "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
        },
    },
    {
        // Tests hand the provider what the engine could (anything), and load the JavaScript harness with require.
        files: ["tests/**/*.ts"],
        rules: {
            "@typescript-eslint/no-explicit-any": "off",
            "@typescript-eslint/no-require-imports": "off",
        },
    },
);
