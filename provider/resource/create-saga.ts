/**
 * The create saga: every path ends in one of three states.
 *   (a) done: Jelou's integration and a non-empty signing secret that Jelou holds now;
 *   (b) failed, with nothing created: Jelou refused the create, or said 404 when asked;
 *   (c) incomplete: the integration exists, or may, but no usable secret was learned. The engine
 *       records the resource as partially created (JelouIncompleteCreateError), and the next
 *       `pulumi up` sends it an Update that resumes the saga at `check`.
 * An answer that cannot be used is not an answer: a create that may have been applied is never
 * taken as failed, nor sent again, before Jelou has been asked.
 *
 *   send ──usable──────────────────────────────► done
 *    │ unusable answer, unknown outcome,
 *    │ or a 409 after an earlier attempt of ours
 *    ▼
 *   check (GET) ──404──► send again (at most CREATE_ROUNDS), then (b)
 *    │ ours ──► learn-secret (regenerate) ──usable──► done; else (c)
 *    │ not ours (another id or createdAt, or created outside our create window)
 *    │     ──► adopt (adoptExisting: PATCH, then learn-secret), else (b)
 *    └ cannot tell (GET failed, or only webhook and auth type to go by) ──► adopt (adoptExisting), else (c)
 *
 * The create window is when our POSTs were sent, by the local clock: an integration whose webhook and
 * auth type match ours is ours only when Jelou's createdAt falls in it (ownership.ts). A partially
 * created resource keeps the window, so the create it resumes in a later run judges the same way.
 */
import { CreatedIntegration, RemoteIntegration } from "../api/answers";
import { IntegrationFields, JelouClient } from "../api/client";
import {
    JelouConflictError,
    JelouError,
    JelouIncompleteCreateError,
    JelouNotFoundError,
    JelouTimeoutError,
    JelouUnusableAnswerError,
} from "../api/errors";
import { CreateWindow, ownership } from "./ownership";
import { AuthType } from "../api/types";

/** How many times a create is sent in all, when Jelou says (404) that the previous one did not land. */
export const CREATE_ROUNDS = 3;
/** How many regenerates may be tried to learn one usable secret (each invalidates the previous). */
const SECRET_ROUNDS = 3;

export type DeclaredFields = { webhookUrl: string; authType: AuthType } & IntegrationFields;

export interface CreateOptions {
    /** Take over an integration the project already has (PATCH it, regenerate its secret). */
    adoptExisting?: boolean;
    log?: (line: string) => void;
    /** The declared inputs: what the engine records when the saga ends incomplete. */
    declared: Record<string, unknown>;
    /** When the create being resumed sent its POSTs; unknown for a partial recorded by 0.2.0. */
    createWindow?: CreateWindow;
}

/** A finished create: Jelou's integration and the secret it holds now. */
export interface CreatedResult extends RemoteIntegration {
    /** Jelou's id, or `standInId(projectId)` when Jelou never said it (see README). */
    id: string;
    signingSecret: string;
    /** When the secret was issued: by the create itself, or by the regenerate of a recovery or adoption. */
    secretIssuedAt: string;
}

type State =
    | { step: "send"; round: number }
    | { step: "check"; round: number; cause: string; said: RemoteIntegration }
    | { step: "learn-secret"; integration: RemoteIntegration }
    | { step: "adopt"; existing: RemoteIntegration }
    | { step: "done"; result: CreatedResult };

/**
 * Regenerates the project's signing secret until an answer can be used: each regenerate
 * invalidates the previous secret, so an unusable or lost answer is followed by another, and the
 * last usable one is the secret Jelou holds. Throws the last error when none was usable.
 */
export async function issueNewSecret(
    client: JelouClient,
    projectId: string,
    log: (line: string) => void = () => undefined,
): Promise<{ signingSecret: string; secretIssuedAt: string }> {
    let last: JelouError = new JelouTimeoutError(`No time was left to regenerate the secret of project ${projectId} (totalTimeoutMs).`);
    for (let round = 1; round <= SECRET_ROUNDS && client.remainingMs() > 0; round++) {
        try {
            const issued = await client.regenerateSecret(projectId);
            return { signingSecret: issued.signingSecret, secretIssuedAt: issued.issuedAt ?? now() };
        } catch (error) {
            if (!(error instanceof JelouError)) throw error;
            last = error;
            if (!(error instanceof JelouUnusableAnswerError) && error.outcome !== "unknown") break;
            log(`pulumi-jelou: the new secret of project ${projectId} could not be read; regenerating again`);
        }
    }
    throw last;
}

/** The resource id used when Jelou never said its own; Jelou addresses integrations by project anyway. */
export function standInId(projectId: string): string {
    return `project/${projectId}`;
}

export function isStandInId(id: string | undefined, projectId: string): boolean {
    return id === standInId(projectId);
}

/** Creates the project's integration (see the diagram above). */
export function createIntegration(
    client: JelouClient,
    projectId: string,
    fields: DeclaredFields,
    options: CreateOptions,
): Promise<CreatedResult> {
    return new CreateSaga(client, projectId, fields, options).run({ step: "send", round: 1 });
}

/**
 * Finishes a create that ended incomplete (c): asks Jelou first, as after any answer that could
 * not be used. `known` is what the recorded state knows of the integration.
 */
export function resumeCreate(
    client: JelouClient,
    projectId: string,
    fields: DeclaredFields,
    known: RemoteIntegration,
    options: CreateOptions,
): Promise<CreatedResult> {
    const cause = "an earlier create ended without a usable signing secret";
    return new CreateSaga(client, projectId, fields, options).run({ step: "check", round: 1, cause, said: known });
}

class CreateSaga {
    private readonly log: (line: string) => void;
    /** When our POSTs were sent: from before the first, to after the last answer (or its failure). */
    private window?: CreateWindow;

    constructor(
        private readonly client: JelouClient,
        private readonly projectId: string,
        private readonly fields: DeclaredFields,
        private readonly options: CreateOptions,
    ) {
        this.log = options.log ?? (() => undefined);
        this.window = options.createWindow && { ...options.createWindow };
    }

    async run(start: State): Promise<CreatedResult> {
        let state = start;
        for (;;) {
            switch (state.step) {
                case "send":
                    state = await this.send(state.round);
                    break;
                case "check":
                    state = await this.check(state.round, state.cause, state.said);
                    break;
                case "learn-secret":
                    state = await this.learnSecret(state.integration);
                    break;
                case "adopt":
                    state = await this.adopt(state.existing);
                    break;
                case "done":
                    return state.result;
            }
        }
    }

    private async send(round: number): Promise<State> {
        let created: CreatedIntegration;
        this.window = { from: this.window?.from ?? Date.now(), to: Date.now() };
        try {
            created = await this.client.create(this.projectId, this.fields);
        } catch (error) {
            this.window.to = Date.now();
            if (!(error instanceof JelouError)) throw error;
            const said = error instanceof JelouUnusableAnswerError ? error.said : {};
            // Ours may have landed: the answer was unusable, an attempt's outcome is unknown, or an earlier round's create
            // (or one of the client's own retries) may be what this 409 is about.
            const mayHaveLanded = error instanceof JelouUnusableAnswerError || error.outcome === "unknown" || round > 1;
            if (mayHaveLanded) return { step: "check", round, cause: error.message, said };
            if (error instanceof JelouConflictError && this.options.adoptExisting) {
                this.log(`pulumi-jelou: project ${this.projectId} already has an integration; adopting it (adoptExisting)`);
                return { step: "adopt", existing: await this.client.get(this.projectId) };
            }
            // Jelou's own refusal of our only request: nothing was created.
            throw error;
        }
        return this.done(created, { signingSecret: created.signingSecret, secretIssuedAt: created.createdAt ?? now() });
    }

    private async check(round: number, cause: string, said: RemoteIntegration): Promise<State> {
        this.log(`pulumi-jelou: the create of project ${this.projectId} may have been applied; asking Jelou`);
        let remote: RemoteIntegration;
        try {
            remote = await this.client.get(this.projectId);
        } catch (error) {
            if (!(error instanceof JelouNotFoundError)) {
                return this.incomplete(said, `${cause}; and Jelou could not be asked whether it exists: ${(error as Error).message}`);
            }
            if (round < CREATE_ROUNDS) {
                this.log(`pulumi-jelou: project ${this.projectId} has no integration; sending the create again`);
                return { step: "send", round: round + 1 };
            }
            throw new JelouError(
                `Creating the integration of project ${this.projectId} failed ${CREATE_ROUNDS} times (last: ${cause}), and Jelou ` +
                    "says (404) that the project has no integration, so nothing was created. Run `pulumi up` again.",
                { status: 404 },
            );
        }
        const known = { ...said, webhookUrl: this.fields.webhookUrl, authType: this.fields.authType, createWindow: this.window };
        const verdict = ownership(known, remote);
        if (verdict.ours === true) {
            this.log(
                `pulumi-jelou: project ${this.projectId} has our integration (same ${verdict.by}); regenerating its secret, the only way to learn it`,
            );
            return { step: "learn-secret", integration: { ...said, ...remote } };
        }
        if (this.options.adoptExisting) return { step: "adopt", existing: remote };
        if (verdict.ours === undefined) {
            return this.incomplete(
                said,
                `${cause}; and Jelou's answer cannot show whether the project's integration is ours (${verdict.by})`,
                "nothing was regenerated. If that integration is this resource's, set adoptExisting: true on the resource and " +
                    "run `pulumi up`: it takes the integration over (PATCH to the declared webhook, then a new secret).",
            );
        }
        throw new JelouConflictError(
            `Creating the integration of project ${this.projectId} failed (${cause}), and the project has an integration ` +
                `that is not ours (another ${verdict.by}: ${this.client.redact(describe(remote))}). Nothing of ours was created. ` +
                "Delete it in Jelou, set adoptExisting: true to take it over, or use another projectId.",
            { status: 409 },
        );
    }

    private async learnSecret(integration: RemoteIntegration): Promise<State> {
        try {
            return this.done(integration, await issueNewSecret(this.client, this.projectId, this.log));
        } catch (error) {
            if (!(error instanceof JelouError)) throw error;
            return this.incomplete(integration, `its signing secret could not be learned: ${error.message}`);
        }
    }

    private async adopt(existing: RemoteIntegration): Promise<State> {
        // GET cannot show the webhook's credential, so the declared fields are always sent.
        const patched = await this.client.update(this.projectId, this.fields);
        return { step: "learn-secret", integration: { ...existing, ...patched } };
    }

    private done(integration: RemoteIntegration, secret: { signingSecret: string; secretIssuedAt: string }): State {
        if (integration.id === undefined) {
            this.log(
                `pulumi-jelou: Jelou did not say the id of project ${this.projectId}'s integration; using ${standInId(this.projectId)}`,
            );
        }
        return { step: "done", result: { ...integration, id: integration.id ?? standInId(this.projectId), ...secret } };
    }

    /** (c): the engine records the resource, without a secret, and the next `up` resumes at `check`. */
    private incomplete(known: RemoteIntegration, reason: string, next?: string): never {
        const { id, brainId, createdAt } = known;
        const createWindow = this.window && { from: new Date(this.window.from).toISOString(), to: new Date(this.window.to).toISOString() };
        throw new JelouIncompleteCreateError(
            `The integration of project ${this.projectId} may exist in Jelou, but no usable signing secret was learned (${reason}). ` +
                "Pulumi records it as partially created; " +
                (next ??
                    "run `pulumi up` again: it asks Jelou and, if the integration is ours, regenerates its secret. Nothing needs deleting by hand."),
            id ?? standInId(this.projectId),
            compact({ ...this.options.declared, brainId, createdAt, createPending: true, createWindow }),
            [reason],
        );
    }
}

function describe(remote: RemoteIntegration): string {
    const parts = [
        remote.id && `id ${remote.id}`,
        remote.webhookUrl && `webhook ${remote.webhookUrl}`,
        remote.authType,
        remote.createdAt && `created ${remote.createdAt}`,
    ];
    return parts.filter(Boolean).join(", ") || "no details";
}

function now(): string {
    return new Date().toISOString();
}

/** The engine's property structs cannot hold `undefined`. */
export function compact<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
