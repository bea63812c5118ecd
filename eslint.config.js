// Lint run by `npm run lint` (and so by CI). It holds one rule family for now: no regular expression
// that can take super-linear time may run over foreign text (Jelou's answers, user inputs such as
// baseUrl). A recommended preset flags neither `/<[^>]*>/g` nor `/\/+$/`; eslint-plugin-regexp's
// static analysis of backtracking does (see CHANGELOG, issue 16). CommonJS, so it loads on Node 20.
"use strict";
const tseslint = require("typescript-eslint");
const regexp = require("eslint-plugin-regexp");

module.exports = [
    { ignores: ["dist/**", "node_modules/**", ".tmp/**", "coverage/**"] },
    {
        files: ["provider/**/*.ts", "scripts/**/*.js", "harness/**/*.js", "tests/**/*.ts", "tests/**/*.js"],
        languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: "module" },
        // Loaded without its rules so that the code's existing `eslint-disable` comments name known rules.
        linterOptions: { reportUnusedDisableDirectives: "off" },
        plugins: { "@typescript-eslint": tseslint.plugin, regexp },
        rules: {
            // Every pattern, not only those that look foreign-facing: whether a text is foreign is decided far away.
            "regexp/no-super-linear-move": ["error", { report: "certain", ignoreSticky: false, ignorePartial: false }],
            "regexp/no-super-linear-backtracking": ["error", { report: "certain" }],
        },
    },
];
