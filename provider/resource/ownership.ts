/**
 * Whether the integration a project has now is the one in state. Jelou addresses integrations by
 * project, so before a DELETE, a PATCH or a regenerate the provider must show that the project's
 * current integration is ours. Evidence comes in two strengths:
 *   strong: the id, or `createdAt` (compared at the coarser precision of the two, instant.ts), or a
 *     `createdAt` outside the time our own create requests were sent. Equal is ours; different is not.
 *   weak: webhook and auth type. Another stack of the same program declares the same ones, and a
 *     change made outside Pulumi changes them, so they show nothing on their own. The same webhook and
 *     auth type count as ours only for an integration created while our create was being sent (the
 *     create window), or with the user's consent (`adoptExisting`).
 * A field Jelou did not say, or said in a form that cannot be read, is "not said", never "different".
 * Only strong evidence says "not ours"; weak evidence that cannot say "ours" says "cannot tell",
 * and the caller refuses the step instead of acting or forgetting ours.
 */
import { RemoteIntegration } from "../api/answers";
import type { JelouClient } from "../api/client";
import { JelouNotFoundError } from "../api/errors";
import { latestMs, readInstant, sameInstant } from "../api/instant";
import { AuthType } from "../api/types";
import { sameUrl } from "./url-form";

export { sameUrl } from "./url-form";

/**
 * How far Jelou's clock may be from ours when a `createdAt` is compared with the time of our create
 * requests: 5 minutes, the default maximum clock skew Kerberos tolerates between hosts that keep time
 * by NTP. A stranger's integration created with our webhook and auth type less than this before our
 * first POST cannot be told from ours (see the README's guarantees).
 */
export const CLOCK_TOLERANCE_MS = 5 * 60 * 1000;

/** When our create requests were sent, by the local clock (epoch ms): the first POST, and after the last one. */
export interface CreateWindow {
    from: number;
    to: number;
}

/** What the state knows of our integration. */
export interface KnownIntegration {
    id?: string;
    createdAt?: string;
    webhookUrl?: string;
    authType?: AuthType;
    /** Known to the create that sent the requests, and kept with a partially created resource. */
    createWindow?: CreateWindow;
    /** `adoptExisting`: the project's integration is the user's to take over when Jelou cannot show whose it is. */
    consent?: boolean;
}

/** ours: true and false come from strong evidence (or the user's consent); undefined is "cannot tell". */
export type Verdict = { ours: true; by: string } | { ours: false; by: string } | { ours: undefined; by: string };

export function ownership(known: KnownIntegration, remote: RemoteIntegration): Verdict {
    if (known.id !== undefined && remote.id !== undefined) return { ours: known.id === remote.id, by: "id" };
    const [ourTime, theirTime] = [readInstant(known.createdAt), readInstant(remote.createdAt)];
    if (ourTime && theirTime) return { ours: sameInstant(ourTime, theirTime), by: "createdAt" };
    let createdWhileOursWasSent = false;
    if (known.createWindow && theirTime) {
        if (latestMs(theirTime) < known.createWindow.from - CLOCK_TOLERANCE_MS) {
            return { ours: false, by: "createdAt, before our first create request" };
        }
        if (theirTime.ms > known.createWindow.to + CLOCK_TOLERANCE_MS) {
            return { ours: false, by: "createdAt, after our create requests" };
        }
        createdWhileOursWasSent = true;
    }
    const weak = weakEvidence(known, remote);
    if (weak === "same" && createdWhileOursWasSent)
        return { ours: true, by: "webhook and auth type, created while ours was being created" };
    if (known.consent) return { ours: true, by: "adoptExisting (Jelou cannot show whose it is)" };
    switch (weak) {
        case "same":
            return {
                ours: undefined,
                by: known.createWindow
                    ? "the same webhook and auth type, but Jelou does not say when it was created"
                    : "the same webhook and auth type, which another stack's integration may share",
            };
        case "different":
            return { ours: undefined, by: "another webhook or auth type, which a change outside Pulumi also makes" };
        default:
            return { ours: undefined, by: "nothing Jelou said can be compared" };
    }
}

function weakEvidence(known: KnownIntegration, remote: RemoteIntegration): "same" | "different" | undefined {
    if (known.webhookUrl === undefined || remote.webhookUrl === undefined) return undefined;
    const sameAuth = remote.authType === undefined || known.authType === undefined || remote.authType === known.authType;
    return sameUrl(known.webhookUrl, remote.webhookUrl) && sameAuth ? "same" : "different";
}

export type Found =
    | { state: "ours"; remote: RemoteIntegration }
    | { state: "gone" }
    /** Strong evidence: another id or another createdAt. Ours is gone from Jelou. */
    | { state: "not-ours"; remote: RemoteIntegration; by: string }
    /** Jelou's answer cannot show whose the project's integration is: refuse the step, keep ours. */
    | { state: "cannot-tell"; remote: RemoteIntegration; by: string };

/**
 * Asks Jelou for the project's integration and says whether it is ours. Throws when the GET failed
 * (or its answer cannot be used): never act on a stranger's.
 */
export async function findOurs(client: JelouClient, projectId: string, known: KnownIntegration): Promise<Found> {
    let remote: RemoteIntegration;
    try {
        remote = await client.get(projectId);
    } catch (error) {
        if (error instanceof JelouNotFoundError) return { state: "gone" };
        // Keep the error's class and status (a 401 stays an authentication error); say what was not done.
        if (error instanceof Error) {
            error.message =
                `Jelou could not be asked whether project ${projectId}'s integration is ours, so nothing was changed ` +
                `(run the same \`pulumi up\` or \`pulumi destroy\` again once Jelou answers): ${error.message}`;
        }
        throw error;
    }
    const verdict = ownership(known, remote);
    if (verdict.ours === true) return { state: "ours", remote };
    if (verdict.ours === false) return { state: "not-ours", remote, by: verdict.by };
    return { state: "cannot-tell", remote, by: verdict.by };
}
