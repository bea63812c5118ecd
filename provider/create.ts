import { IntegrationFields, JelouClient } from "./client";
import { JelouConflictError, JelouError, JelouNotFoundError } from "./errors";
import { JelouIntegration } from "./types";

/** How many times a create whose outcome was unknown is checked and sent again. */
const CREATE_ROUNDS = 3;

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
    fields: Required<Pick<IntegrationFields, "webhookUrl" | "authType">> & IntegrationFields,
    log: (line: string) => void = () => undefined,
): Promise<JelouIntegration & { signingSecret: string; recovered: boolean }> {
    for (let round = 1; ; round++) {
        try {
            const created = await client.create(projectId, fields);
            return { ...created, signingSecret: created.signingSecret as string, recovered: false };
        } catch (error) {
            if (!(error instanceof JelouError) || error.outcome !== "unknown" || round >= CREATE_ROUNDS) throw error;
            log(`pulumi-jelou: create of project ${projectId} may or may not have happened (${error.status ?? error.code}); asking Jelou`);
            const existing = await findIntegration(client, projectId, error);
            if (!existing) {
                log(`pulumi-jelou: project ${projectId} has no integration; sending the create again`);
                continue;
            }
            if (existing.webhookUrl !== fields.webhookUrl || existing.authType !== fields.authType) {
                throw new JelouConflictError(
                    `Creating the integration of project ${projectId} failed (${error.message}) and the project now has ` +
                        `an integration with another webhook (${existing.webhookUrl}, ${existing.authType}); it is not ours. ` +
                        "Delete it in Jelou, set adoptExisting: true to take it over, or use another projectId.",
                    { status: error.status, method: error.method, path: error.path },
                );
            }
            log(`pulumi-jelou: project ${projectId} has the integration; regenerating its secret, the only way to learn it`);
            const regenerated = await client.regenerateSecret(projectId);
            return { ...existing, signingSecret: regenerated.signingSecret as string, recovered: true };
        }
    }
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
