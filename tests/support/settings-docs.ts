/**
 * How the README and the resource's doc comments quote the table of connection settings
 * (provider/api/settings.ts). tests/unit/api/settings.test.ts holds them to exactly this text.
 */
import { CONNECTION_SETTINGS, SETTING_KEYS, SettingKey } from "../../provider/api/settings";

function formatDefault(value: string | number | boolean): string {
    return typeof value === "number" ? String(value) : `\`${value}\``;
}

/** What values a setting takes, in words. */
export function settingValues(key: SettingKey): string {
    const spec: { kind: string; min?: number; max?: number; minLength?: number } = CONNECTION_SETTINGS[key];
    switch (spec.kind) {
        case "credential":
            return key === "clientId" ? "string" : `string, secret, at least ${spec.minLength} characters`;
        case "url":
            return "`https:` URL (`http:` on loopback)";
        case "whole number":
            return `whole number, ${spec.min}–${spec.max}`;
        default:
            return "`true` or `false`";
    }
}

/** The sentence every doc comment of a setting ends with: its bounds, then where it is read from. */
export function docSentence(key: SettingKey): string {
    const spec: { kind: string; configKey: string; envVar: string; defaultValue?: string | number | boolean; min?: number; max?: number } =
        CONNECTION_SETTINGS[key];
    const bounds = spec.kind === "whole number" ? `A whole number from ${spec.min} to ${spec.max}. ` : "";
    const fallback = spec.defaultValue === undefined ? "" : `, then ${formatDefault(spec.defaultValue)}`;
    return `${bounds}Default: \`${spec.configKey}\`, then \`${spec.envVar}\`${fallback}.`;
}

/** The README's table of connection settings, one row per setting, in the table's order. */
export function readmeTable(): string {
    const rows = SETTING_KEYS.map((key) => {
        const spec: { configKey: string; envVar: string; defaultValue?: string | number | boolean; doc: string } = CONNECTION_SETTINGS[key];
        const fallback = spec.defaultValue === undefined ? "none" : formatDefault(spec.defaultValue);
        return `| \`${key}\` | \`${spec.configKey}\` | \`${spec.envVar}\` | ${fallback} | ${settingValues(key)} | ${spec.doc} |`;
    });
    return ["| setting | stack config | environment | default | values | what it is |", "|---|---|---|---|---|---|", ...rows].join("\n");
}
