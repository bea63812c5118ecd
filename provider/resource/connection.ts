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
import { CheckFailure, REQUEST_SETTING_BOUNDS, baseUrlProblem, isUnknown, secretValueProblem, MIN_SECRET_LENGTH } from "./validation";
import { DEFAULT_BASE_URL, JelouCredentials, RequestSettings } from "../api/types";
import { trimTrailing } from "../api/text";

/** The stack configuration the engine hands the provider (`configure`): namespaced keys, secrets unwrapped. */
export interface StackConfig {
    get(key: string): string | undefined;
}

/** Where the credentials of an operation came from, for messages that say what to change. */
export type CredentialSource = "resource" | "config" | "environment" | "earlier-state";

export const CREDENTIAL_KEYS = ["apiKey", "clientId", "clientSecret"] as const;
export const REQUEST_SETTING_KEYS = ["maxAttempts", "requestTimeoutMs", "totalTimeoutMs", "retryBaseDelayMs", "maxRequestsPerSecond"] as const;
/** Every property that says how Jelou is called, rather than what the integration is. */
export const CONNECTION_KEYS = [...CREDENTIAL_KEYS, "baseUrl", ...REQUEST_SETTING_KEYS, "detectDrift"] as const;
export type ConnectionKey = (typeof CONNECTION_KEYS)[number];

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

type Source = { name: CredentialSource; values: Record<string, unknown> };

/** Whether these outputs were written by 0.1.0, which kept the resolved connection in every resource. */
export function isEarlierState(outputs: { schemaVersion?: unknown }): boolean {
    return outputs.schemaVersion === undefined;
}

/**
 * Resolves the connection. Values given on the resource were checked with the other inputs; values
 * from config, the environment or earlier state are checked here, each failure naming where it came from.
 */
export function resolveConnection({ given, earlier, config, env, requireCredentials = true }: ConnectionSources): ConnectionResolution {
    const failures: CheckFailure[] = [];
    // Values given on the resource were judged by check with the other inputs; here they only make the connection unusable.
    let usable = true;
    const fail = (from: CredentialSource, property: string, reason: string) => {
        usable = false;
        if (from !== "resource") failures.push({ property, reason });
    };
    const configured: Record<string, unknown> = Object.fromEntries(CONNECTION_KEYS.map((key) => [key, nonEmpty(readConfig(config, `jelou:${key}`))]));
    const environment: Record<string, unknown> = {
        apiKey: nonEmpty(env.JELOU_API_KEY),
        clientId: nonEmpty(env.JELOU_CLIENT_ID),
        clientSecret: nonEmpty(env.JELOU_CLIENT_SECRET),
        baseUrl: nonEmpty(env.JELOU_BASE_URL),
        maxRequestsPerSecond: nonEmpty(env.JELOU_MAX_REQUESTS_PER_SECOND),
    };
    const sources: Source[] = [
        { name: "resource", values: given },
        { name: "config", values: configured },
        { name: "environment", values: environment },
        { name: "earlier-state", values: earlier ?? {} },
    ];
    const pick = (key: string) => {
        const source = sources.find(({ values }) => nonEmpty(values[key]) !== undefined);
        return source && { value: source.values[key], from: source.name };
    };
    // A value not known yet (preview) is judged when it is.
    const unknown = CONNECTION_KEYS.some((key) => isUnknown(given[key]));

    let detectDrift = false;
    const drift = pick("detectDrift");
    if (drift && !isUnknown(drift.value)) {
        const value = drift.value === "true" ? true : drift.value === "false" ? false : drift.value;
        if (typeof value === "boolean") detectDrift = value;
        else fail(drift.from, "detectDrift", `${settingName("detectDrift", drift.from)} must be true or false`);
    }

    let baseUrl: string | undefined = DEFAULT_BASE_URL;
    const base = pick("baseUrl");
    if (base && isUnknown(base.value)) baseUrl = undefined;
    else if (base) {
        const value = String(base.value);
        const problem = baseUrlProblem(value);
        if (problem) {
            fail(base.from, "baseUrl", base.from === "resource" ? problem : `${settingName("baseUrl", base.from)}: ${problem}`);
            baseUrl = undefined;
        } else {
            baseUrl = trimTrailing(value, "/");
        }
    }

    const settings: RequestSettings = {};
    for (const key of REQUEST_SETTING_KEYS) {
        const setting = pick(key);
        if (!setting || isUnknown(setting.value)) continue;
        const value = typeof setting.value === "string" && /^\s*\d+\s*$/.test(setting.value) ? Number(setting.value) : setting.value;
        const { min, max } = REQUEST_SETTING_BOUNDS[key];
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            fail(setting.from, key, `${settingName(key, setting.from)} must be a whole number from ${min} to ${max}`);
        } else {
            settings[key] = value;
        }
    }

    // Credentials come whole from one source: a key from one place and a client secret from another would surprise.
    const credentialSource = sources.find(({ values }) => CREDENTIAL_KEYS.some((key) => nonEmpty(values[key]) !== undefined));
    const credentials: JelouCredentials = {};
    if (!credentialSource) {
        usable = false;
        if (requireCredentials) failures.push({ property: "apiKey", reason: `no Jelou credentials. ${NO_CREDENTIALS_HELP}` });
    } else if (!CREDENTIAL_KEYS.some((key) => isUnknown(credentialSource.values[key]))) {
        for (const key of CREDENTIAL_KEYS) {
            const value = nonEmpty(credentialSource.values[key]);
            if (value === undefined) continue;
            const name = settingName(key, credentialSource.name);
            const problem = typeof value === "string"
                ? secretValueProblem(name, value, { minLength: key === "clientId" ? 1 : MIN_SECRET_LENGTH })
                : `${name} must be a string`;
            if (problem) fail(credentialSource.name, key, problem);
            else credentials[key] = value as string;
        }
        if (!credentials.apiKey && credentials.clientId === undefined !== (credentials.clientSecret === undefined)) {
            const missing = credentials.clientId ? "clientSecret" : "clientId";
            const other = missing === "clientId" ? "clientSecret" : "clientId";
            fail(credentialSource.name, missing,
                `${settingName(missing, credentialSource.name)} is required with ${settingName(other, credentialSource.name)} ` +
                    "(credentials come whole from one place): set it there too, or use an apiKey instead");
        }
    }

    if (!usable || unknown || !credentialSource || baseUrl === undefined) return { failures, detectDrift, baseUrl };
    return {
        connection: { credentials, credentialSource: credentialSource.name, baseUrl, detectDrift, ...settings },
        failures,
        detectDrift,
        baseUrl,
    };
}

/** The name of a setting where the user gave it: what to look for, and where to change it. */
export function settingName(key: string, source: CredentialSource): string {
    switch (source) {
        case "resource": return `the resource's ${key}`;
        case "config": return `stack config jelou:${key}`;
        case "environment": return envName(key);
        case "earlier-state": return `the ${key} kept in the state by pulumi-jelou 0.1.0`;
    }
}

/** What a 401 says about the credentials it refused: where they came from and what to change, never their value. */
export function credentialsHint(connection: Pick<Connection, "credentials" | "credentialSource">): string {
    const keys = connection.credentials.apiKey ? ["apiKey"] : ["clientId", "clientSecret"];
    const names = keys.map((key) => settingName(key, connection.credentialSource)).join(" + ");
    switch (connection.credentialSource) {
        case "resource":
            return `they came from ${names}: set valid ones in the program`;
        case "config":
            return `they came from ${names}: set valid ones with \`pulumi config set --secret jelou:${keys.at(-1)} <value>\``;
        case "environment":
            return `they came from ${names} in the environment of the Pulumi CLI: export valid ones`;
        case "earlier-state":
            return `they came from ${names}, since neither stack config jelou:* nor JELOU_* gives any now: ` +
                `set valid ones with \`pulumi config set --secret jelou:${keys.at(-1)} <value>\` (or ${envName(keys[0])}); ` +
                "they are used from then on, and the next `pulumi up` stops keeping credentials in the state";
    }
}

function envName(key: string): string {
    return `JELOU_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The SDK's config reader throws when the engine sent no configuration at all. */
function readConfig(config: StackConfig | undefined, key: string): string | undefined {
    try {
        return config?.get(key);
    } catch {
        return undefined;
    }
}

function nonEmpty(value: unknown): unknown {
    return value === undefined || value === null || value === "" ? undefined : value;
}
