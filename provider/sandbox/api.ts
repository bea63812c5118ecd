/**
 * The external-support API of the local Jelou, in memory: the five endpoints of the documented
 * API, one integration per project. Authentication, faults and the HTTP plumbing are server.ts's.
 */
import { randomBytes, randomUUID } from "crypto";
import { AUTH_TYPES, AuthType } from "../api/types";
import { isLoopbackHost } from "../api/settings";

export interface SandboxIntegration {
    id: string;
    brainId: string;
    webhookUrl: string;
    authType: AuthType;
    authorization?: string;
    signingSecret: string;
    createdAt: string;
    updatedAt?: string;
    regeneratedAt?: string;
}

type IntegrationFields = Pick<SandboxIntegration, "webhookUrl" | "authType"> & { authorization?: string };

/** The two documented answer shapes: `{ message, statusMessage, status, data }`, or the bare object. */
export type AnswerShape = "envelope" | "bare";

/**
 * The fields each call answers with, per shape, as the reference shows them (docs/jelou-api.md#answer-shapes):
 * the GET envelope says neither id nor authType, regenerate's envelope has no regeneratedAt, and
 * delete has no data in either shape.
 */
const FIELDS: Record<"create" | "get" | "update" | "regenerate", Record<AnswerShape, Array<keyof SandboxIntegration>>> = {
    create: {
        envelope: ["id", "brainId", "webhookUrl", "authType", "signingSecret", "createdAt"],
        bare: ["id", "brainId", "webhookUrl", "authType", "signingSecret", "createdAt"],
    },
    get: {
        envelope: ["brainId", "webhookUrl", "createdAt", "updatedAt"],
        bare: ["id", "brainId", "webhookUrl", "authType", "createdAt", "updatedAt"],
    },
    // The PATCH envelope is not readable in the reference; it is given the bare fields.
    update: {
        envelope: ["id", "brainId", "webhookUrl", "authType", "createdAt", "updatedAt"],
        bare: ["id", "brainId", "webhookUrl", "authType", "createdAt", "updatedAt"],
    },
    regenerate: { envelope: ["brainId", "signingSecret"], bare: ["signingSecret", "regeneratedAt"] },
};

function answer(kind: keyof typeof FIELDS, shape: AnswerShape, integration: SandboxIntegration): unknown {
    const data = Object.fromEntries(FIELDS[kind][shape].filter((k) => integration[k] !== undefined).map((k) => [k, integration[k]]));
    return shape === "bare" ? data : { message: ["Success"], statusMessage: "success", status: 1, data };
}

/** A failure as Jelou answers it, in either shape. */
export function failure(message: string[]): unknown {
    return { message, statusMessage: "failed", status: 0 };
}

/** The 422 message for a plain-http loopback webhook refused: it names the way to accept one. */
export const HTTP_WEBHOOK_REFUSED =
    "webhookUrl must be a public HTTPS URL (this local Jelou accepts http: webhooks on loopback only when started " +
    "with --allow-http-webhooks, or allowLoopbackHttpWebhooks: true)";

function isLoopbackHttp(value: unknown): boolean {
    try {
        const url = new URL(value as string);
        return url.protocol === "http:" && isLoopbackHost(url.hostname);
    } catch {
        return false;
    }
}

export class SandboxApi {
    readonly store = new Map<string, SandboxIntegration>();

    constructor(private readonly allowLoopbackHttpWebhooks: boolean) {}

    /** Answers one request; `rest` is the path after `/v1/external-support/`, still encoded. */
    handle(method: string, rest: string, raw: string, shape: AnswerShape = "envelope"): [number, unknown] {
        const segments = rest.split("/");
        let projectId: string;
        try {
            projectId = decodeURIComponent(segments[0]);
        } catch {
            return [400, { message: ["Malformed projectId"] }];
        }
        const action = segments.slice(1).join("/");
        let body: Record<string, unknown> = {};
        if (raw !== "") {
            try {
                body = JSON.parse(raw);
            } catch {
                return [400, { message: ["Body is not JSON"] }];
            }
        }
        const existing = this.store.get(projectId);
        if (action === "secret/regenerate" && method === "POST") {
            if (!existing) return [404, { message: [`No integration for project ${projectId}`] }];
            existing.signingSecret = randomBytes(32).toString("hex");
            existing.regeneratedAt = new Date().toISOString();
            return [200, answer("regenerate", shape, existing)];
        }
        if (action !== "" || projectId === "") return [404, { message: ["Not found"] }];
        switch (method) {
            case "POST": {
                const problems = this.fieldProblems(body, true);
                if (problems.length > 0) return [422, { message: problems }];
                if (existing) return [409, { message: [`Project ${projectId} already has an integration`] }];
                const created = this.add(projectId, body as IntegrationFields);
                return [200, answer("create", shape, created)];
            }
            case "GET":
                return existing ? [200, answer("get", shape, existing)] : [404, { message: [`No integration for project ${projectId}`] }];
            case "PATCH": {
                if (!existing) return [404, { message: [`No integration for project ${projectId}`] }];
                const problems = this.fieldProblems(body, false);
                // The reference documents 400 for a PATCH with invalid data (422 for a create).
                if (problems.length > 0) return [400, failure(problems)];
                // Only the fields sent change (fieldProblems has judged them).
                if (typeof body.webhookUrl === "string") existing.webhookUrl = body.webhookUrl;
                const authType = AUTH_TYPES.find((type) => type === body.authType);
                if (authType) existing.authType = authType;
                if (typeof body.authorization === "string") existing.authorization = body.authorization;
                existing.updatedAt = new Date().toISOString();
                return [200, answer("update", shape, existing)];
            }
            case "DELETE":
                if (!existing) return [404, { message: [`No integration for project ${projectId}`] }];
                this.store.delete(projectId);
                return [200, { message: ["Integration deleted successfully"], statusMessage: "success", status: 1 }];
            default:
                return [405, { message: [`Method ${method} not allowed`] }];
        }
    }

    /** Puts an integration in place, with a fresh id and signing secret. */
    add(projectId: string, fields: IntegrationFields): SandboxIntegration {
        const integration: SandboxIntegration = {
            id: randomUUID(),
            brainId: projectId,
            webhookUrl: fields.webhookUrl,
            authType: fields.authType ?? "no_auth",
            authorization: fields.authorization,
            signingSecret: randomBytes(32).toString("hex"),
            createdAt: new Date().toISOString(),
        };
        this.store.set(projectId, integration);
        return integration;
    }

    private fieldProblems(body: Record<string, unknown>, creating: boolean): string[] {
        const problems: string[] = [];
        if (creating || body.webhookUrl !== undefined) {
            if (!this.acceptableWebhook(body.webhookUrl)) {
                problems.push(isLoopbackHttp(body.webhookUrl) ? HTTP_WEBHOOK_REFUSED : "webhookUrl must be a public HTTPS URL");
            }
        }
        if (body.authType !== undefined && !AUTH_TYPES.includes(body.authType as AuthType)) {
            problems.push(`authType must be one of ${AUTH_TYPES.join(", ")}`);
        }
        return problems;
    }

    private acceptableWebhook(value: unknown): boolean {
        if (typeof value !== "string") return false;
        try {
            const url = new URL(value);
            if (url.protocol === "https:") return true;
            return url.protocol === "http:" && this.allowLoopbackHttpWebhooks && isLoopbackHost(url.hostname);
        } catch {
            return false;
        }
    }
}
