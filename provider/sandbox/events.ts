/**
 * Event delivery by the local Jelou: a sample event POSTed to the integration's webhookUrl, signed
 * with its current secret (`X-Jelou-Signature`) and carrying the auth header its authType calls for,
 * so a receiver can be tested end to end without Jelou.
 */
import { randomUUID } from "crypto";
import { signPayload } from "../signature";
import { AuthType } from "../types";

export interface DeliveryTarget {
    brainId: string;
    webhookUrl: string;
    authType: AuthType;
    authorization?: string;
    signingSecret: string;
}

export interface Delivery {
    projectId: string;
    url: string;
    /** The receiver's status, or undefined when it could not be reached. */
    status?: number;
    error?: string;
    /** The exact body sent, as signed. */
    body: string;
}

/** An illustrative event: Jelou's reference does not document the events' own fields. */
export function sampleEvent(projectId: string): Record<string, unknown> {
    return {
        id: randomUUID(),
        event: "message.created",
        projectId,
        createdAt: new Date().toISOString(),
        data: { conversationId: randomUUID(), from: "user", text: "Hola, necesito ayuda con mi pedido" },
    };
}

export function webhookAuthHeaders(authType: AuthType, authorization: string | undefined): Record<string, string> {
    if (!authorization || authType === "no_auth") return {};
    if (authType === "bearer") return { authorization: `Bearer ${authorization}` };
    if (authType === "basic") return { authorization: `Basic ${authorization}` };
    return { "x-api-key": authorization };
}

export async function deliverEvent(target: DeliveryTarget, event: unknown, timeoutMs = 10_000): Promise<Delivery> {
    const body = JSON.stringify(event);
    const delivery: Delivery = { projectId: target.brainId, url: target.webhookUrl, body };
    try {
        const response = await fetch(target.webhookUrl, {
            method: "POST",
            headers: {
                "content-type": "application/json",
                "x-jelou-signature": signPayload(body, target.signingSecret),
                ...webhookAuthHeaders(target.authType, target.authorization),
            },
            body,
            redirect: "manual",
            signal: AbortSignal.timeout(timeoutMs),
        });
        delivery.status = response.status;
        await response.arrayBuffer();
    } catch (error) {
        delivery.error = (error as Error).message;
    }
    return delivery;
}
