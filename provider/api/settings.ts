/**
 * The connection settings: how the provider reaches Jelou, rather than what the integration is.
 * This table is their one home: kind, default, bounds, stack config key, environment variable and
 * doc. The client's defaults, the resource's doc comments (ConnectionArgs) and the README's table
 * all come from or are checked against it (tests/unit/api/settings.test.ts).
 *
 * `judgeSetting` is the one judge of a setting's value, wherever it was given: `check` and every
 * operation use it (through resource/connection.ts), so a problem is worded the same way everywhere
 * and names the setting once, as the user wrote it.
 */
import { firstInvisible, trimTrailing } from "./text";

export type SettingKind = "credential" | "url" | "whole number" | "flag";

/** Where a setting's value came from, for messages that say what to change. */
export type SettingSource = "resource" | "config" | "environment" | "earlier-state";

interface SettingSpec {
    kind: SettingKind;
    /** Stack config key, handed to the provider by `configure`. */
    configKey: string;
    /** Read from the Pulumi CLI's environment (the provider host's). */
    envVar: string;
    /**
     * Not named `default`: Pulumi's closure serializer (isImportStarResult) takes an object with a
     * `default` for a module and throws when it holds a string or a number.
     */
    defaultValue?: string | number | boolean;
    /** A whole number's bounds, inclusive. */
    min?: number;
    max?: number;
    /** A credential's shortest believable length. */
    minLength?: number;
    /** One line for the resource's doc comment and the README. */
    doc: string;
}

/** Shorter credentials are not real ones, and could not be told apart from ordinary words when redacting. */
export const MIN_SECRET_LENGTH = 8;
const MAX_SECRET_LENGTH = 4096;
export const MAX_URL_LENGTH = 2048;

export const CONNECTION_SETTINGS = {
    apiKey: {
        kind: "credential",
        configKey: "jelou:apiKey",
        envVar: "JELOU_API_KEY",
        minLength: MIN_SECRET_LENGTH,
        doc: "The Jelou API key, sent as `x-api-key`; wins over `clientId` + `clientSecret`. Kept as a secret. Credentials come whole from one place.",
    },
    clientId: {
        // A client id is not secret: any length will do, but not stray whitespace.
        kind: "credential",
        configKey: "jelou:clientId",
        envVar: "JELOU_CLIENT_ID",
        minLength: 1,
        doc: "With `clientSecret`, HTTP Basic credentials instead of an API key.",
    },
    clientSecret: {
        kind: "credential",
        configKey: "jelou:clientSecret",
        envVar: "JELOU_CLIENT_SECRET",
        minLength: MIN_SECRET_LENGTH,
        doc: "With `clientId`; kept as a secret.",
    },
    baseUrl: {
        kind: "url",
        configKey: "jelou:baseUrl",
        envVar: "JELOU_BASE_URL",
        defaultValue: "https://gateway.jelou.ai/jelouapi",
        doc: "The API's address before `/v1/external-support` (which the provider adds): `https:` (plain `http:` only on loopback), no query or fragment.",
    },
    maxAttempts: {
        kind: "whole number",
        configKey: "jelou:maxAttempts",
        envVar: "JELOU_MAX_ATTEMPTS",
        defaultValue: 4,
        min: 1,
        max: 10,
        doc: "Attempts per API call, the first included.",
    },
    requestTimeoutMs: {
        kind: "whole number",
        configKey: "jelou:requestTimeoutMs",
        envVar: "JELOU_REQUEST_TIMEOUT_MS",
        defaultValue: 30_000,
        min: 100,
        max: 600_000,
        doc: "Time limit of one HTTP attempt over the whole exchange, headers and body, in milliseconds.",
    },
    totalTimeoutMs: {
        kind: "whole number",
        configKey: "jelou:totalTimeoutMs",
        envVar: "JELOU_TOTAL_TIMEOUT_MS",
        defaultValue: 120_000,
        min: 100,
        max: 3_600_000,
        doc: "Time limit of one whole operation (create, update, read or delete) with every call, retry and recovery round it makes, in milliseconds.",
    },
    retryBaseDelayMs: {
        kind: "whole number",
        configKey: "jelou:retryBaseDelayMs",
        envVar: "JELOU_RETRY_BASE_DELAY_MS",
        defaultValue: 250,
        min: 1,
        max: 60_000,
        doc: "First backoff delay before a retry, in milliseconds; each retry doubles it, plus up to 20 % jitter, and a `Retry-After` is honoured.",
    },
    maxRequestsPerSecond: {
        // No default: the governor (governor.ts) learns the limit from Jelou's 429s.
        kind: "whole number",
        configKey: "jelou:maxRequestsPerSecond",
        envVar: "JELOU_MAX_REQUESTS_PER_SECOND",
        min: 1,
        max: 10_000,
        doc:
            "A known rate limit of the Jelou account, in requests per second: the provider never sends more in any one second, " +
            "for all the resources of the run that use the account. Without it the provider learns the limit from Jelou's 429s.",
    },
    detectDrift: {
        kind: "flag",
        configKey: "jelou:detectDrift",
        envVar: "JELOU_DETECT_DRIFT",
        defaultValue: false,
        doc: "Make `pulumi refresh` ask Jelou (one GET) instead of returning the state as it is; an integration deleted outside Pulumi then leaves the state.",
    },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof CONNECTION_SETTINGS;
export const SETTING_KEYS = Object.keys(CONNECTION_SETTINGS) as SettingKey[];

type KindOf<K extends SettingKey> = (typeof CONNECTION_SETTINGS)[K]["kind"];
/** The value a setting has once judged. */
export type SettingValue<K extends SettingKey> = KindOf<K> extends "whole number" ? number : KindOf<K> extends "flag" ? boolean : string;

export type Judgement<K extends SettingKey> = { value: SettingValue<K>; problem?: undefined } | { problem: string };

export const DEFAULT_BASE_URL = CONNECTION_SETTINGS.baseUrl.defaultValue;

/** The name of a setting where the user gave it: what to look for, and where to change it. */
export function settingName(key: SettingKey, source: SettingSource): string {
    switch (source) {
        case "resource":
            return `the resource's ${key}`;
        case "config":
            return `stack config ${CONNECTION_SETTINGS[key].configKey}`;
        case "environment":
            return CONNECTION_SETTINGS[key].envVar;
        case "earlier-state":
            return `the ${key} kept in the state by pulumi-jelou 0.1.0`;
    }
}

/**
 * Whether a setting was given at all in a source. Unset config or environment is empty text; on
 * the resource an empty credential or URL means "not given", but an empty number or flag is a
 * wrong value, refused by the judge.
 */
export function isSettingGiven(key: SettingKey, raw: unknown, source: SettingSource): boolean {
    if (raw === undefined || raw === null) return false;
    if (raw !== "") return true;
    const { kind } = CONNECTION_SETTINGS[key];
    return source === "resource" && (kind === "whole number" || kind === "flag");
}

/**
 * Judges one setting's value (given, not empty, known) from one source: the value to use, or a
 * problem that names the setting where it was given, once, and the fix. Stack config and the
 * environment hold text, so there "7" is a number and "true" a flag; on the resource they must be
 * typed. Never throws, whatever it is given.
 */
export function judgeSetting<K extends SettingKey>(key: K, raw: unknown, source: SettingSource): Judgement<K> {
    const spec: SettingSpec = CONNECTION_SETTINGS[key];
    const name = settingName(key, source);
    const text = source !== "resource";
    const judged = (value: string | number | boolean) => ({ value: value as SettingValue<K> });
    switch (spec.kind) {
        case "credential": {
            if (typeof raw !== "string") return { problem: `${name} must be a string` };
            const problem = secretValueProblem(name, raw, { minLength: spec.minLength });
            return problem ? { problem } : judged(raw);
        }
        case "url": {
            if (typeof raw !== "string") return { problem: `${name} must be a string URL` };
            const problem = baseUrlProblem(raw, name);
            return problem ? { problem } : judged(trimTrailing(raw, "/"));
        }
        case "whole number": {
            const value = text && typeof raw === "string" && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
            const { min = 0, max = Number.MAX_SAFE_INTEGER } = spec;
            if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
                return { problem: `${name} must be a whole number from ${min} to ${max}` };
            }
            return judged(value);
        }
        case "flag": {
            const value = text && raw === "true" ? true : text && raw === "false" ? false : raw;
            if (typeof value !== "boolean") return { problem: `${name} must be true or false` };
            return judged(value);
        }
    }
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * Why a credential-like value cannot be used as it is, or undefined. Stray whitespace (a key pasted
 * with its newline) would be sent verbatim and echoed back by a 401.
 */
export function secretValueProblem(property: string, value: string, { minLength = MIN_SECRET_LENGTH } = {}): string | undefined {
    if (value.trim() !== value) return `${property} has leading or trailing whitespace (a newline from a file or a paste?): remove it`;
    if (CONTROL_CHARACTERS.test(value)) return `${property} contains control characters: set it to the value alone`;
    // HTTP headers carry bytes, not characters: anything else is sent mangled (axios writes Latin-1 at best).
    const foreign = firstNonPrintableAscii(value);
    if (foreign !== undefined) {
        return (
            `${property} contains a character outside printable ASCII (at position ${foreign + 1}), which would be sent mangled: ` +
            "copy the value again from where it was issued"
        );
    }
    if (value.length < minLength)
        return `${property} is too short to be real (at least ${minLength} characters): check that it is the whole value`;
    if (value.length > MAX_SECRET_LENGTH) return `${property} must be at most ${MAX_SECRET_LENGTH} characters`;
    return undefined;
}

function firstNonPrintableAscii(value: string): number | undefined {
    for (let i = 0; i < value.length; i++) {
        const code = value.charCodeAt(i);
        if (code < 0x20 || code > 0x7e) return i;
    }
    return undefined;
}

/**
 * Why a value Jelou stores as sent holds whitespace or a control character, or undefined. URL
 * parsing drops a leading space, a tab or a newline, but Jelou receives them, and a projectId with
 * a trailing space comes back in every answer as a brainId that matches nothing.
 */
export function invisibleCharacterProblem(property: string, value: string, fix: string): string | undefined {
    const found = firstInvisible(value);
    if (!found) return undefined;
    return `${property} contains ${found.name} at position ${found.index + 1}, which Jelou would store as sent: ${fix}`;
}

/** True for localhost, 127.0.0.0/8 and ::1: the only hosts plain http may reach. */
export function isLoopbackHost(hostname: string): boolean {
    const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
    return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Why a base URL cannot be used, or undefined when it can; `name` says where it was given. */
export function baseUrlProblem(value: string, name = "baseUrl"): string | undefined {
    // Judged before any parse or pattern runs over it.
    if (value.length > MAX_URL_LENGTH) return `${name} must be at most ${MAX_URL_LENGTH} characters, such as ${DEFAULT_BASE_URL}`;
    const invisible = invisibleCharacterProblem(name, value, `remove it (such as ${DEFAULT_BASE_URL})`);
    if (invisible) return invisible;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return `${name} must be an absolute URL such as ${DEFAULT_BASE_URL}`;
    }
    // It is stored in plain state and shown in previews: no credential may ride in it.
    if (url.username || url.password)
        return `${name} must not contain a user or password: give credentials as apiKey or clientId + clientSecret`;
    if (url.search || url.hash || /[?#]/.test(value)) {
        return (
            `${name} must not have a query (?…) or a fragment (#…): give only the address before /v1/external-support, such as ` +
            DEFAULT_BASE_URL
        );
    }
    // The provider adds /v1/external-support/...: a /v1 step in baseUrl would call /v1/v1/...
    const v1 = /(^|\/)v1(\/|$)/i.exec(url.pathname);
    if (v1) {
        return (
            `${name} must be the address before /v1/external-support, which the provider adds itself: ` +
            `use ${url.origin}${trimTrailing(url.pathname.slice(0, v1.index), "/")}`
        );
    }
    if (url.protocol === "https:") return undefined;
    if (url.protocol === "http:" && isLoopbackHost(url.hostname)) return undefined;
    if (url.protocol === "http:") {
        return (
            `${name} must use https: (plain http: is allowed only for a loopback host such as 127.0.0.1, ` +
            "so that credentials never travel in clear text)"
        );
    }
    return `${name} must be an https: URL such as ${DEFAULT_BASE_URL}`;
}
