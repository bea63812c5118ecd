/**
 * How the provider reaches Jelou, resolved inside the provider when each operation runs (never in
 * the program): given on the resource > stack config `jelou:*` (handed to `configure`) > `JELOU_*`
 * in the host's environment > what state written by 0.1.0 kept > the default.
 *
 * Only what was given on the resource is an input, and so kept in state. State written by 0.1.0
 * (no `schemaVersion`) holds whatever the program resolved then: there, the current stack's
 * values win and the stored ones are the last resort.
 */
import { NO_CREDENTIALS_HELP } from "../api/errors";
import {
    CONNECTION_SETTINGS,
    DEFAULT_BASE_URL,
    isSettingGiven,
    judgeSetting,
    SettingKey,
    settingName,
    SettingSource,
    SETTING_KEYS,
} from "../api/settings";
import { CheckFailure, isUnknown } from "./validation";
import { JelouCredentials, RequestSettings } from "../api/types";

/** The stack configuration the engine hands the provider (`configure`): namespaced keys, secrets unwrapped. */
export interface StackConfig {
    get(key: string): string | undefined;
}

/** Where the credentials of an operation came from, for messages that say what to change. */
export type CredentialSource = SettingSource;

export const CREDENTIAL_KEYS = ["apiKey", "clientId", "clientSecret"] as const;
export const REQUEST_SETTING_KEYS = [
    "maxAttempts",
    "requestTimeoutMs",
    "totalTimeoutMs",
    "retryBaseDelayMs",
    "maxRequestsPerSecond",
] as const;
/** Every property that says how Jelou is called, rather than what the integration is: the table in api/settings.ts. */
export const CONNECTION_KEYS: readonly SettingKey[] = SETTING_KEYS;
export type ConnectionKey = SettingKey;

/** The version of the state this package writes; state without it was written by 0.1.0. */
export const SCHEMA_VERSION = 2;

export interface Connection extends RequestSettings {
    credentials: JelouCredentials;
    credentialSource: CredentialSource;
    baseUrl: string;
    detectDrift: boolean;
}

export interface ConnectionSources {
    /** The resource's own arguments (its inputs, or new state's outputs). */
    given: Partial<Record<ConnectionKey, unknown>>;
    /** The connection kept by 0.1.0 in its outputs, whose values may have come from anywhere. */
    earlier?: Partial<Record<ConnectionKey, unknown>>;
    config?: StackConfig;
    env: NodeJS.ProcessEnv;
    /** Whether no credentials at all is a failure (default true). */
    requireCredentials?: boolean;
}

export interface ConnectionResolution {
    /** Absent when a value could not be used or no credentials were found; see `failures`. */
    connection?: Connection;
    failures: CheckFailure[];
    /** Known even without usable credentials (a refresh that asks nothing needs none). */
    detectDrift: boolean;
    /** The base URL that will be called, when it is known and usable. */
    baseUrl?: string;
}

type Source = { name: SettingSource; values: Partial<Record<string, unknown>> };

/** Whether these outputs were written by 0.1.0, which kept the resolved connection in every resource. */
export function isEarlierState(outputs: { schemaVersion?: unknown }): boolean {
    return outputs.schemaVersion === undefined;
}

/**
 * Resolves the connection, setting by setting, and judges every value it takes (api/settings.ts's
 * judgeSetting), wherever it came from: `check` reports these failures with the other inputs', and
 * an operation refuses to call Jelou with them. Each failure names the setting where it was given.
 */
export function resolveConnection({ given, earlier, config, env, requireCredentials = true }: ConnectionSources): ConnectionResolution {
    const failures: CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    const sources: Source[] = [
        { name: "resource", values: given },
        {
            name: "config",
            values: Object.fromEntries(SETTING_KEYS.map((key) => [key, readConfig(config, CONNECTION_SETTINGS[key].configKey)])),
        },
        { name: "environment", values: Object.fromEntries(SETTING_KEYS.map((key) => [key, env[CONNECTION_SETTINGS[key].envVar]])) },
        { name: "earlier-state", values: earlier ?? {} },
    ];
    const pick = (key: SettingKey) => {
        const source = sources.find(({ name, values }) => isSettingGiven(key, values[key], name));
        return source && { raw: source.values[key], from: source.name };
    };
    /** The setting's judged value; undefined when not given, not known yet, or refused (then reported). */
    const resolve = <K extends SettingKey>(key: K) => {
        const setting = pick(key);
        if (!setting || isUnknown(setting.raw)) return undefined;
        const judgement = judgeSetting(key, setting.raw, setting.from);
        if (judgement.problem !== undefined) fail(key, judgement.problem);
        return judgement.problem === undefined ? judgement.value : undefined;
    };
    // A value not known yet (preview) is judged when it is.
    const unknown = CONNECTION_KEYS.some((key) => isUnknown(given[key]));

    const detectDrift = resolve("detectDrift") ?? CONNECTION_SETTINGS.detectDrift.defaultValue;
    const base = pick("baseUrl");
    const baseUrl = base ? resolve("baseUrl") : DEFAULT_BASE_URL;

    const settings: RequestSettings = {};
    for (const key of REQUEST_SETTING_KEYS) {
        const value = resolve(key);
        if (value !== undefined) settings[key] = value;
    }

    // Credentials come whole from one source: a key from one place and a client secret from another would surprise.
    const credentialSource = sources.find(({ name, values }) => CREDENTIAL_KEYS.some((key) => isSettingGiven(key, values[key], name)));
    const credentials: JelouCredentials = {};
    if (!credentialSource) {
        if (requireCredentials) fail("apiKey", `no Jelou credentials. ${NO_CREDENTIALS_HELP}`);
    } else if (!CREDENTIAL_KEYS.some((key) => isUnknown(credentialSource.values[key]))) {
        const from = credentialSource.name;
        const has = (key: SettingKey) => isSettingGiven(key, credentialSource.values[key], from);
        for (const key of CREDENTIAL_KEYS) {
            if (!has(key)) continue;
            const judgement = judgeSetting(key, credentialSource.values[key], from);
            if (judgement.problem !== undefined) fail(key, judgement.problem);
            else credentials[key] = judgement.value;
        }
        if (!has("apiKey") && has("clientId") !== has("clientSecret")) {
            const [missing, other] = has("clientId") ? (["clientSecret", "clientId"] as const) : (["clientId", "clientSecret"] as const);
            fail(
                missing,
                `${settingName(missing, from)} is required with ${settingName(other, from)} ` +
                    "(credentials come whole from one place): set it there too, or use an apiKey instead",
            );
        }
    }

    const usable = failures.length === 0 && !unknown && credentialSource !== undefined && baseUrl !== undefined;
    if (!usable) return { failures, detectDrift, baseUrl };
    return {
        connection: { credentials, credentialSource: credentialSource.name, baseUrl, detectDrift, ...settings },
        failures,
        detectDrift,
        baseUrl,
    };
}

/** What a 401 says about the credentials it refused: where they came from and what to change, never their value. */
export function credentialsHint(connection: Pick<Connection, "credentials" | "credentialSource">): string {
    const keys: SettingKey[] = connection.credentials.apiKey ? ["apiKey"] : ["clientId", "clientSecret"];
    const names = keys.map((key) => settingName(key, connection.credentialSource)).join(" + ");
    const setConfig = `\`pulumi config set --secret ${CONNECTION_SETTINGS[keys[keys.length - 1]].configKey} <value>\``;
    switch (connection.credentialSource) {
        case "resource":
            return `they came from ${names}: set valid ones in the program`;
        case "config":
            return `they came from ${names}: set valid ones with ${setConfig}`;
        case "environment":
            return `they came from ${names} in the environment of the Pulumi CLI: export valid ones`;
        case "earlier-state":
            return (
                `they came from ${names}, since neither stack config jelou:* nor JELOU_* gives any now: ` +
                `set valid ones with ${setConfig} (or ${settingName(keys[0], "environment")}); ` +
                "they are used from then on, and the next `pulumi up` stops keeping credentials in the state"
            );
    }
}

/** The SDK's config reader throws when the engine sent no configuration at all. */
function readConfig(config: StackConfig | undefined, key: string): string | undefined {
    try {
        return config?.get(key);
    } catch {
        return undefined;
    }
}
