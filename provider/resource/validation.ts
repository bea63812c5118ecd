import { AUTH_TYPES, DEFAULT_BASE_URL } from "../api/types";
import {
    CONNECTION_SETTINGS,
    invisibleCharacterProblem,
    isLoopbackHost,
    isSettingGiven,
    MAX_URL_LENGTH,
    secretValueProblem,
    SETTING_KEYS,
} from "../api/settings";
import { UNKNOWN } from "./types";
import { trimTrailing } from "../api/text";

export interface CheckFailure {
    property: string;
    reason: string;
}

export interface ValidationOptions {
    /** The base URL the provider will call when the inputs give none (from stack config or the environment). */
    baseUrl?: string;
}

export interface ValidationResult {
    /** The inputs with defaults applied; values not known yet are passed through untouched. */
    inputs: Record<string, unknown>;
    failures: CheckFailure[];
}

const MAX_PROJECT_ID_LENGTH = 256;

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN;
}

/**
 * Validates what the integration is (not how Jelou is reached) before any API call. Reports every
 * problem, each naming the property and the fix; never throws, whatever it is given. The connection
 * settings are only passed through: resolveConnection judges them, wherever they were given.
 */
export function validateInputs(news: Record<string, unknown>, { baseUrl: fallbackBaseUrl }: ValidationOptions = {}): ValidationResult {
    const failures: CheckFailure[] = [];
    const fail = (property: string, reason: string) => failures.push({ property, reason });
    const inputs: Record<string, unknown> = {};

    const projectId = news.projectId;
    if (!isUnknown(projectId)) {
        if (typeof projectId !== "string" || projectId.trim() === "") {
            fail("projectId", "projectId is required: set it to the Jelou project (brain) id, a non-empty string");
        } else if (projectId === "." || projectId === "..") {
            fail("projectId", 'projectId cannot be "." or "..": URLs would resolve it as a path step; use the project id');
        } else if (projectId.length > MAX_PROJECT_ID_LENGTH) {
            fail("projectId", `projectId must be at most ${MAX_PROJECT_ID_LENGTH} characters`);
        } else {
            const problem = invisibleCharacterProblem(
                "projectId",
                projectId,
                "set it to the Jelou project (brain) id alone, with no spaces",
            );
            if (problem) fail("projectId", problem);
        }
    }
    inputs.projectId = projectId;

    const authType = news.authType ?? "no_auth";
    if (!isUnknown(authType) && !AUTH_TYPES.includes(authType as never)) {
        fail("authType", `authType must be one of ${AUTH_TYPES.map((t) => `"${t}"`).join(", ")} (default "no_auth")`);
    }
    inputs.authType = authType;

    const authorization = news.authorization;
    if (!isUnknown(authorization) && !isUnknown(authType) && AUTH_TYPES.includes(authType as never)) {
        const given = authorization !== undefined && authorization !== null && authorization !== "";
        if (authType === "no_auth" && given) {
            fail("authorization", 'authorization must not be set when authType is "no_auth": remove it, or set authType');
        } else if (authType !== "no_auth" && !given) {
            fail(
                "authorization",
                `authorization is required when authType is "${authType}": set the credential Jelou sends to the webhook`,
            );
        }
    }
    const authorizationFailed = failures.some((f) => f.property === "authorization");
    if (
        !authorizationFailed &&
        !isUnknown(authorization) &&
        authorization !== undefined &&
        authorization !== null &&
        authorization !== ""
    ) {
        if (typeof authorization !== "string") fail("authorization", "authorization must be a string");
        else {
            const problem = secretValueProblem("authorization", authorization);
            if (problem) fail("authorization", problem);
        }
    }
    if (authorization !== undefined && authorization !== null && authorization !== "") inputs.authorization = authorization;

    for (const key of SETTING_KEYS) {
        const value = news[key];
        if (!isSettingGiven(key, value, "resource")) continue;
        inputs[key] =
            CONNECTION_SETTINGS[key].kind === "url" && typeof value === "string" && !isUnknown(value) ? trimTrailing(value, "/") : value;
    }
    // The webhook may be a loopback http: URL when the Jelou called is local.
    const given = news.baseUrl === null || news.baseUrl === "" ? undefined : news.baseUrl;
    const baseUrl = given ?? fallbackBaseUrl ?? DEFAULT_BASE_URL;

    const webhookUrl = news.webhookUrl;
    if (!isUnknown(webhookUrl)) {
        const problem = webhookUrlProblem(webhookUrl, typeof baseUrl === "string" && isLoopbackUrl(baseUrl));
        if (problem) fail("webhookUrl", problem);
    }
    inputs.webhookUrl = webhookUrl;

    checkRotationTriggers(news.rotationTriggers, inputs, fail);
    for (const key of ["adoptExisting", "inPlaceUpdates"]) {
        const value = news[key];
        if (value === undefined || value === null) continue;
        if (!isUnknown(value) && typeof value !== "boolean") fail(key, `${key} must be true or false`);
        inputs[key] = value;
    }

    return { inputs, failures };
}

const MAX_TRIGGERS = 64;

/**
 * A map of strings, numbers or booleans, kept as strings: `1` and `"1"` are the same trigger, so
 * writing a value one way or the other rotates nothing. An empty map is the same as none.
 */
function checkRotationTriggers(value: unknown, inputs: Record<string, unknown>, fail: (property: string, reason: string) => void): void {
    if (value === undefined || value === null) return;
    if (isUnknown(value)) {
        inputs.rotationTriggers = value;
        return;
    }
    const reason = 'rotationTriggers must be a map of strings, numbers or booleans, such as { version: 3 } or { month: "2026-11" }';
    if (typeof value !== "object" || Array.isArray(value)) return void fail("rotationTriggers", reason);
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > MAX_TRIGGERS) return void fail("rotationTriggers", `rotationTriggers must have at most ${MAX_TRIGGERS} entries`);
    const bad = entries.find(
        ([, v]) => !(typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))),
    );
    if (bad) return void fail("rotationTriggers", `${reason}; rotationTriggers.${bad[0]} is not one`);
    if (entries.length > 0) inputs.rotationTriggers = Object.fromEntries(entries.map(([k, v]) => [k, String(v)]));
}

function isLoopbackUrl(value: string): boolean {
    try {
        return isLoopbackHost(new URL(value).hostname);
    } catch {
        return false;
    }
}

/** Jelou wants a public https: URL; a local Jelou may also call a receiver on loopback over http:. */
function webhookUrlProblem(value: unknown, localJelou: boolean): string | undefined {
    const fix = "webhookUrl must be an absolute https: URL of your receiver, such as https://support.example.com/jelou";
    if (typeof value !== "string" || value === "") return fix;
    if (value.length > MAX_URL_LENGTH) return `webhookUrl must be at most ${MAX_URL_LENGTH} characters`;
    const invisible = invisibleCharacterProblem("webhookUrl", value, "remove it (percent-encode a space that belongs in the URL as %20)");
    if (invisible) return invisible;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return fix;
    }
    // State keeps webhookUrl in plain text, and Jelou would send the password in every event's URL.
    if (url.username || url.password) {
        return "webhookUrl must not contain a user or password: set authType and authorization, which are kept secret";
    }
    if (url.protocol === "http:" && localJelou && isLoopbackHost(url.hostname)) return undefined;
    if (url.protocol !== "https:") return `${fix} (got a ${url.protocol} URL)`;
    return undefined;
}
