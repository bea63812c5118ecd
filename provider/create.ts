import { IntegrationFields, JelouClient } from "./client";
import { JelouConflictError, JelouError, JelouNotFoundError } from "./errors";
import { JelouIntegration } from "./types";

/** How many times a create whose outcome was unknown is checked and sent again. */
const CREATE_ROUNDS = 3;

export type DeclaredFields = Required<Pick<IntegrationFields, "webhookUrl" | "authType">> & IntegrationFields;

export interface CreateOptions {
    /** Take over an integration the project already has (PATCH it, regenerate its secret). */
    adoptExisting?: boolean;
    log?: (line: string) => void;
}

export interface CreatedIntegration extends JelouIntegration {
    signingSecret: string;
    /** When the secret was issued: the create itself, or the regeneration of a recovery or adoption. */
    secretIssuedAt: string;
}

/**
 * Creates the integration without ever losing its signing secret. A create that surely did not
 * reach Jelou is retried by the client; one whose outcome is unknown (timeout after sending, 5xx,
 * connection dropped mid-answer) is not sent again blindly: Jelou is asked (GET) whether the
 * project now has an integration with this webhook. If so it is ours, and since the secret it was
 * created with is lost, it is regenerated (the only way to learn one); if not, the create is sent again.
 */
export async function createIntegration(
    client: JelouClient,
    projectId: string,
    fields: DeclaredFields,
    { adoptExisting = false, log = () => undefined }: CreateOptions = {},
): Promise<CreatedIntegration> {
    for (let round = 1; ; round++) {
        try {
            const created = await client.create(projectId, fields);
            const issuedAt = created.createdAt ?? new Date().toISOString();
            return { ...created, signingSecret: created.signingSecret as string, secretIssuedAt: issuedAt };
        } catch (error) {
            if (!(error instanceof JelouError)) throw error;
            // A conflict on a create sent again may be an earlier one of ours that landed late.
            const earlierMayHaveLanded = round > 1 && error instanceof JelouConflictError;
            if (error instanceof JelouConflictError && adoptExisting && !earlierMayHaveLanded) {
                log(`pulumi-jelou: project ${projectId} already has an integration; adopting it (adoptExisting)`);
                return adopt(client, projectId, fields, await client.get(projectId));
            }
            if (error.outcome !== "unknown" && !earlierMayHaveLanded) throw error;
            // Never stop on an unknown outcome without asking: a create that landed unseen would leave
            // an integration whose secret nobody has, and every later create would meet a 409.
            log(`pulumi-jelou: create of project ${projectId} may or may not have happened (${error.status ?? error.code}); asking Jelou`);
            const existing = await findIntegration(client, projectId, error);
            if (!existing) {
                if (round >= CREATE_ROUNDS) throw error;
                log(`pulumi-jelou: project ${projectId} has no integration; sending the create again`);
                continue;
            }
            const ours = existing.webhookUrl === fields.webhookUrl && existing.authType === fields.authType;
            if (!ours && adoptExisting) return adopt(client, projectId, fields, existing);
            if (!ours) {
                throw new JelouConflictError(
                    `Creating the integration of project ${projectId} failed (${error.message}) and the project now has ` +
                        `an integration with another webhook (${existing.webhookUrl}, ${existing.authType}); it is not ours. ` +
                        "Delete it in Jelou, set adoptExisting: true to take it over, or use another projectId.",
                    { status: error.status, method: error.method, path: error.path },
                );
            }
            log(`pulumi-jelou: project ${projectId} has the integration; regenerating its secret, the only way to learn it`);
            return { ...existing, ...(await issueNewSecret(client, projectId)) };
        }
    }
}

/** Brings an integration made elsewhere to the declared webhook and auth, and learns a secret for it. */
async function adopt(client: JelouClient, projectId: string, fields: DeclaredFields, existing: JelouIntegration): Promise<CreatedIntegration> {
    // GET cannot show the webhook's credential, so the declared fields are always sent.
    const patched = await client.update(projectId, fields);
    return { ...existing, ...patched, ...(await issueNewSecret(client, projectId)) };
}

/** Regenerates the project's signing secret: the only way to learn one after the create's answer. */
export async function issueNewSecret(client: JelouClient, projectId: string): Promise<{ signingSecret: string; secretIssuedAt: string }> {
    const regenerated = await client.regenerateSecret(projectId);
    return {
        signingSecret: regenerated.signingSecret as string,
        secretIssuedAt: regenerated.regeneratedAt ?? new Date().toISOString(),
    };
}

async function findIntegration(client: JelouClient, projectId: string, createError: JelouError): Promise<JelouIntegration | undefined> {
    try {
        return await client.get(projectId);
    } catch (error) {
        if (error instanceof JelouNotFoundError) return undefined;
        throw new JelouError(
            `Creating the integration of project ${projectId} failed (${createError.message}) and Jelou could not be ` +
                `asked whether it was created (${(error as Error).message}). Run \`pulumi up\` again: if the project ` +
                "has the integration by then, Jelou refuses a second one; set adoptExisting: true to take it over.",
            { status: createError.status, method: createError.method, path: createError.path },
        );
    }
}
