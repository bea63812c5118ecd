// The environment for npm and git when the tests (and the demo) spawn them: a private configuration,
// so that no run depends on the machine's settings, that keeps what reaching a registry needs.
//
// npm: a private user config (npm_config_userconfig) holding only the user's lines about reaching a
// registry (registry, scoped registries and their auth, proxy, certificates, TLS), so installs work
// behind the same proxy or mirror; every setting a test relies on is then stated in the environment,
// which wins over every config file: no update check (it would call whatever registry a test names),
// no funding or audit requests, scripts run (pack builds dist/), not a dry run, no links. The global
// config (the machine's, often where its certificates are) is left as it is.
// git: no global or system config (GIT_CONFIG_GLOBAL, GIT_CONFIG_NOSYSTEM), a fixed identity, no
// prompts; the tests never need a user's git setting.
// @ts-check
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");

/** Keys of a user's npmrc that say how to reach a registry: kept in the private config. */
const NETWORK_KEY =
    /^(registry|@[^:]+:registry|\/\/.+|proxy|https-proxy|http-proxy|noproxy|cafile|ca|ca\[\]|cert|key|strict-ssl|maxsockets|fetch-[a-z-]+|local-address)$/;

/** What every spawned npm is told, whatever the machine's config says. */
const NPM_SETTINGS = {
    npm_config_update_notifier: "false",
    npm_config_fund: "false",
    npm_config_audit: "false",
    npm_config_ignore_scripts: "false",
    npm_config_dry_run: "false",
    npm_config_install_links: "false",
    npm_config_global: "false",
};

/** The user's npmrc lines about reaching a registry (none when there is no such file). @param {string} file @returns {string[]} */
function networkLines(file) {
    let text;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch {
        return [];
    }
    return text
        .slice(0, 1 << 20)
        .split(/\r?\n/)
        .filter((line) => {
            const key = line.split("=")[0].trim();
            return !/^[;#]/.test(key) && NETWORK_KEY.test(key);
        });
}

/**
 * An environment for spawning npm and git with a private configuration written under `dir`.
 * `npmrcLines` adds lines to the private npm user config (a test's own registry token, say);
 * `network: false` keeps none of the user's registry lines (a test that talks only to its own registry).
 * @param {string} dir
 * @param {{ npmrcLines?: string[], network?: boolean, base?: NodeJS.ProcessEnv }} [options]
 * @returns {NodeJS.ProcessEnv}
 */
function toolEnv(dir, { npmrcLines = [], network = true, base = process.env } = {}) {
    const userNpmrc = base.npm_config_userconfig || base.NPM_CONFIG_USERCONFIG || path.join(base.HOME || os.homedir(), ".npmrc");
    const npmrc = path.join(dir, "private.npmrc");
    const gitconfig = path.join(dir, "private.gitconfig");
    fs.writeFileSync(npmrc, [...(network ? networkLines(userNpmrc) : []), ...npmrcLines, ""].join("\n"));
    fs.writeFileSync(gitconfig, "[user]\n\tname = pulumi-jelou tests\n\temail = tests@pulumi-jelou.invalid\n");
    /** @type {NodeJS.ProcessEnv} */
    const env = {};
    // npm_config_* in the environment are settings too: keep those about reaching a registry and the
    // cache (an npm running `npm test` passes its own down), drop the rest.
    for (const [key, value] of Object.entries(base)) {
        const setting = /^npm_config_(.+)$/i.exec(key);
        if (!setting) env[key] = value;
        else if ((network && NETWORK_KEY.test(setting[1].toLowerCase().replace(/_/g, "-"))) || /^cache$/i.test(setting[1]))
            env[key] = value;
    }
    return {
        ...env,
        ...NPM_SETTINGS,
        npm_config_userconfig: npmrc,
        GIT_CONFIG_GLOBAL: gitconfig,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_TERMINAL_PROMPT: "0",
    };
}

module.exports = { toolEnv, networkLines, NPM_SETTINGS };
