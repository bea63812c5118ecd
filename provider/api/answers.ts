/**
 * Every answer shape Jelou documents, read by one function (docs/jelou-api.md#answer-shapes).
 * Each call has a bare shape and an envelope `{ message, statusMessage, status, data }`,
 * and they differ in fields: the GET envelope says neither `id` nor `authType`, regenerate's
 * envelope has no `regeneratedAt`, delete has no `data`. A field Jelou did not return is left
 * undefined, which means "not said", never "different".
 *
 * An answer that cannot be used (not JSON, a failure envelope in a 2xx, no secret where one is
 * due, a server-chosen field that is not a short plain string) is reported as such, so the caller
 * can treat the request as "may have happened" and find out.
 */
import { readInstant } from "./instant";
import { AUTH_TYPES, AuthType } from "./types";

export type AnswerKind = "create" | "get" | "update" | "delete" | "regenerate";

/** What Jelou said about an integration; undefined means "not said". */
export interface RemoteIntegration {
    id?: string;
    brainId?: string;
    webhookUrl?: string;
    authType?: AuthType;
    createdAt?: string;
    updatedAt?: string;
}

/** A usable create answer: a non-empty signing secret, and Jelou's id when it said one it can be read. */
export interface CreatedIntegration extends RemoteIntegration {
    signingSecret: string;
}

/** A usable regenerate answer. */
export interface IssuedSecret {
    signingSecret: string;
    /** `regeneratedAt`, said by the bare shape only. */
    issuedAt?: string;
    brainId?: string;
}

export type Parsed<K extends AnswerKind> = K extends "create"
    ? CreatedIntegration
    : K extends "regenerate"
      ? IssuedSecret
      : K extends "delete"
        ? undefined
        : RemoteIntegration;

export type AnswerReading<K extends AnswerKind> =
    | { usable: true; value: Parsed<K> }
    /** `said`: whatever usable fields the answer did carry (a create answer with an id but no secret, say). */
    | { usable: false; reason: string; said: RemoteIntegration };

/** Short and printable: these are kept in plain state and shown in every preview. */

const PLAIN_ID = /^(?! )[^\u0000-\u001f\u007f]{1,256}(?<! )$/;
const MAX_URL_LENGTH = 2048;
const MAX_SECRET_LENGTH = 4096;

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Reads one 2xx answer. `body` is what the HTTP client decoded: an object for JSON, a string for
 * anything else, undefined or "" for an empty body.
 */
export function readAnswer<K extends AnswerKind>(kind: K, body: unknown): AnswerReading<K> {
    const unusable = (reason: string, said: RemoteIntegration = {}): AnswerReading<K> => ({ usable: false, reason, said });
    if (kind === "delete") {
        // The documented delete answer is a message envelope with no data; an empty body (204) says as much.
        if (body === undefined || body === null || body === "") return { usable: true, value: undefined as Parsed<K> };
        if (!isRecord(body)) return unusable(describeNonJson(body));
        if (isFailureEnvelope(body)) return unusable("a failure envelope (statusMessage failed / status 0) with a success status");
        return { usable: true, value: undefined as Parsed<K> };
    }
    if (!isRecord(body)) return unusable(describeNonJson(body));
    if (isFailureEnvelope(body)) return unusable("a failure envelope (statusMessage failed / status 0) with a success status");
    const fields = isRecord(body.data) ? body.data : body;
    // A field that cannot be read is "not said": it makes the answer unusable only where the step needs it.
    const { said, unreadable } = readFields(fields);
    const notSaid = unreadable.length > 0 ? ` (${unreadable.join("; ")}, read as not said)` : "";

    if (kind === "regenerate") {
        const secret = readSecret(fields.signingSecret);
        if (!secret.ok) return unusable(secret.reason + notSaid, said);
        const issuedAt = plainTimestamp(fields.regeneratedAt) ?? undefined;
        return { usable: true, value: { signingSecret: secret.value, issuedAt, brainId: said.brainId } as Parsed<K> };
    }
    if (kind === "create") {
        // The id is optional: Jelou addresses integrations by project, and the saga stands in for one never said.
        const secret = readSecret(fields.signingSecret);
        if (!secret.ok) return unusable(secret.reason + notSaid, said);
        return { usable: true, value: { ...said, signingSecret: secret.value } as Parsed<K> };
    }
    // PATCH's envelope is not documented: a success with no data (like DELETE's) says the change was
    // made, and nothing reads its fields but an adoption, which keeps what the GET said.
    if (kind === "update") return { usable: true, value: said as Parsed<K> };
    // GET: an integration without its secret. The envelope may say neither id nor authType;
    // an answer that names nothing at all is no description of an integration.
    if (said.webhookUrl === undefined && said.id === undefined && said.createdAt === undefined) {
        return unusable(`no integration in the body${notSaid}`, said);
    }
    return { usable: true, value: said as Parsed<K> };
}

/** True for a JSON body shaped like Jelou's answers (an envelope or an object with a message). */
export function isJelouBody(body: unknown): boolean {
    if (!isRecord(body)) return false;
    return "message" in body || "statusMessage" in body || ("status" in body && "data" in body) || isRecord(body.error);
}

function readFields(fields: Record<string, unknown>): { said: RemoteIntegration; unreadable: string[] } {
    const said: RemoteIntegration = {};
    const problems: string[] = [];
    // A field not said is left out, never set to undefined: merging what two answers said keeps both.
    for (const key of ["id", "brainId"] as const) {
        const value = plainId(fields[key]);
        if (value === null) problems.push(`a ${key} that is not a short plain string`);
        else if (value !== undefined) said[key] = value;
    }
    // A time that cannot be read is not said: it never makes the answer unusable (instant.ts).
    for (const key of ["createdAt", "updatedAt"] as const) {
        const value = plainTimestamp(fields[key]);
        if (value !== undefined) said[key] = value;
    }
    if (fields.webhookUrl !== undefined && fields.webhookUrl !== null) {
        const url = fields.webhookUrl;
        if (typeof url !== "string" || url.length > MAX_URL_LENGTH || CONTROL.test(url) || !parsesAsUrl(url)) {
            problems.push("a webhookUrl that is not a URL");
        } else {
            said.webhookUrl = url;
        }
    }
    if (fields.authType !== undefined && fields.authType !== null) {
        if (!AUTH_TYPES.includes(fields.authType as AuthType)) problems.push("an unknown authType");
        else said.authType = fields.authType as AuthType;
    }
    return { said, unreadable: problems };
}

/**
 * undefined: not said; null: said, but not something to keep in plain state. A JSON number beyond
 * 2^53 lost its digits in JSON.parse: it cannot be read, and the raw text is not parsed again for it.
 */
function plainId(value: unknown): string | undefined | null {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return String(value);
    return typeof value === "string" && PLAIN_ID.test(value) ? value : null;
}

/** A time as Jelou wrote it (an epoch number as its digits), or undefined when it cannot be read. */
function plainTimestamp(value: unknown): string | undefined {
    if (readInstant(value) === undefined) return undefined;
    return typeof value === "number" ? String(value) : (value as string).trim();
}

function readSecret(value: unknown): { ok: true; value: string } | { ok: false; reason: string } {
    if (value === undefined || value === null) return { ok: false, reason: "no signingSecret" };
    if (typeof value !== "string") return { ok: false, reason: "a signingSecret that is not a string" };
    if (value.trim() === "") return { ok: false, reason: "an empty signingSecret" };
    if (value.length > MAX_SECRET_LENGTH || CONTROL.test(value)) return { ok: false, reason: "a signingSecret that is not a plain string" };
    return { ok: true, value };
}

function isFailureEnvelope(body: Record<string, unknown>): boolean {
    return body.status === 0 || (typeof body.statusMessage === "string" && /^(failed|fail|error)$/i.test(body.statusMessage));
}

function describeNonJson(body: unknown): string {
    if (body === undefined || body === null || body === "") return "an empty body";
    if (typeof body === "string") return /^\s*</.test(body) ? "an HTML or XML page, not JSON" : "text, not JSON";
    return "JSON that is not an object";
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

function parsesAsUrl(value: string): boolean {
    try {
        new URL(value);
        return true;
    } catch {
        return false;
    }
}
