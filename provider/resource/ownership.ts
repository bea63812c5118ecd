/**
 * Whether the integration a project has now is the one in state. Jelou addresses integrations by
 * project, so before a DELETE or a regenerate the provider must show that the project's current
 * integration is ours: by id when Jelou says it, else by `createdAt`, else by webhook and auth
 * type. A field Jelou did not return is "not said", never "different".
 */
import { RemoteIntegration } from "../api/answers";
import type { JelouClient } from "../api/client";
import { JelouError, JelouNotFoundError } from "../api/errors";
import { trimTrailing } from "../api/text";
import { AuthType } from "../api/types";

/** What the state knows of our integration. */
export interface KnownIntegration {
    id?: string;
    createdAt?: string;
    webhookUrl?: string;
    authType?: AuthType;
}

export type Verdict = { ours: true; by: string } | { ours: false; by: string } | { ours: undefined; by: string };

export function ownership(known: KnownIntegration, remote: RemoteIntegration): Verdict {
    if (known.id !== undefined && remote.id !== undefined) return { ours: known.id === remote.id, by: "id" };
    if (known.createdAt !== undefined && remote.createdAt !== undefined) {
        return { ours: sameInstant(known.createdAt, remote.createdAt), by: "createdAt" };
    }
    if (known.webhookUrl !== undefined && remote.webhookUrl !== undefined) {
        const sameAuth = remote.authType === undefined || known.authType === undefined || remote.authType === known.authType;
        return { ours: sameUrl(known.webhookUrl, remote.webhookUrl) && sameAuth, by: "webhook and auth type" };
    }
    return { ours: undefined, by: "nothing Jelou said" };
}

/** Equal addresses: host case, a default port and a trailing slash do not change where events go. */
export function sameUrl(a: string, b: string): boolean {
    return canonicalUrl(a) === canonicalUrl(b);
}

function canonicalUrl(value: string): string {
    try {
        const url = new URL(value);
        const path = trimTrailing(url.pathname, "/");
        return `${url.protocol}//${url.username}:${url.password}@${url.host}${path}${url.search}`;
    } catch {
        return value;
    }
}

function sameInstant(a: string, b: string): boolean {
    const [x, y] = [Date.parse(a), Date.parse(b)];
    return Number.isNaN(x) || Number.isNaN(y) ? a === b : x === y;
}

export type Found =
    | { state: "ours"; remote: RemoteIntegration }
    | { state: "gone" }
    | { state: "not-ours"; remote: RemoteIntegration; by: string };

/**
 * Asks Jelou for the project's integration and says whether it is ours. Throws when that cannot be
 * shown (the GET failed, or its answer names nothing to compare): never act on a stranger's.
 */
export async function findOurs(client: JelouClient, projectId: string, known: KnownIntegration): Promise<Found> {
    let remote: RemoteIntegration;
    try {
        remote = await client.get(projectId);
    } catch (error) {
        if (error instanceof JelouNotFoundError) return { state: "gone" };
        // Keep the error's class and status (a 401 stays an authentication error); say what was not done.
        if (error instanceof Error) {
            error.message = `Jelou could not be asked whether project ${projectId}'s integration is ours, so nothing was changed: ${error.message}`;
        }
        throw error;
    }
    const verdict = ownership(known, remote);
    if (verdict.ours === true) return { state: "ours", remote };
    if (verdict.ours === false) return { state: "not-ours", remote, by: verdict.by };
    throw new JelouError(
        `Jelou's description of project ${projectId}'s integration does not say whether it is ours (no id, createdAt or ` +
            "webhook to compare); nothing was changed.",
        { method: "GET" },
    );
}
