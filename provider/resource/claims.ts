/**
 * The projects the creates of this run claimed. One provider host process serves every resource of
 * this provider in a run and ends with it, so module scope is the run's scope. The host hands the
 * provider neither the URN nor the resource's name (`create` gets the inputs only, and `check` gets no
 * identity either), so a resource is known here by what it does:
 *   - a create (or a resumed create) claims its project; a second create of a claimed project in the
 *     same run is a second resource declaring it, refused before any API call;
 *   - an existing resource (its diff without a new projectId, its update) holds its project too;
 *   - a delete of the project (done, or the integration found gone or another's) releases it: a
 *     replace deletes first, then creates the same project, and is no second resource.
 * Nothing here is serialized: `__provider` is a `require` of the installed module, not a copy of it.
 */
import { JelouError } from "../api/errors";

const claimed = new Set<string>();

/** Claims `projectId` for a create; throws, naming it, when a create of this run already did. */
export function claimForCreate(projectId: string): void {
    if (claimed.has(projectId)) throw new SecondResourceError(projectId);
    claimed.add(projectId);
}

/** An existing resource keeps its project in this run: a create of it later is a second resource. Never refused. */
export function hold(projectId: string): void {
    claimed.add(projectId);
}

/** After the project's integration was deleted (or found gone) by this run. */
export function release(projectId: string): void {
    claimed.delete(projectId);
}

/** Two resources of one program declare the same project: Jelou holds one integration per project. */
export class SecondResourceError extends JelouError {
    constructor(readonly projectId: string) {
        super(
            `Project ${projectId} is declared by two resources of this program: another ExternalSupportIntegration created ` +
                `it in this run, and Jelou holds one integration per project, whose signing secret only one resource can keep. ` +
                "Nothing was sent to Jelou. Keep one resource per projectId (share its outputs) and run `pulumi up` again.",
        );
    }
}
