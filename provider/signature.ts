/**
 * Signing of webhook events: `X-Jelou-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body
 * keyed with the integration's signing secret. For receivers (verify) and for messages sent back
 * to Jelou (sign), which must carry the same header over the exact body string sent.
 */
import { createHmac, timingSafeEqual } from "crypto";

export const SIGNATURE_HEADER = "x-jelou-signature";

export type SignatureCheck =
    | { valid: true }
    | { valid: false; reason: "missing-header" | "malformed-header" | "missing-secret" | "mismatch"; message: string };

/** The header value for a body: `sha256=<hex>`. Sign the exact bytes you send. */
export function signPayload(body: string | Buffer, signingSecret: string): string {
    return `sha256=${createHmac("sha256", signingSecret).update(body).digest("hex")}`;
}

/**
 * Verifies a received `X-Jelou-Signature` against the raw body (before any JSON parsing), in
 * constant time. Never throws; the result says why a signature is refused.
 */
export function verifySignature(
    body: string | Buffer,
    header: string | string[] | undefined,
    signingSecret: string,
): SignatureCheck {
    if (typeof signingSecret !== "string" || signingSecret === "") {
        return { valid: false, reason: "missing-secret", message: "no signing secret to verify with" };
    }
    const value = Array.isArray(header) ? header[0] : header;
    if (value === undefined || value.trim() === "") {
        return { valid: false, reason: "missing-header", message: "the request has no X-Jelou-Signature header" };
    }
    const match = /^sha256=([0-9a-f]{64})$/i.exec(value.trim());
    if (!match) {
        return { valid: false, reason: "malformed-header", message: 'X-Jelou-Signature must be "sha256=" and 64 hex digits' };
    }
    const received = Buffer.from(match[1].toLowerCase(), "hex");
    const expected = createHmac("sha256", signingSecret).update(body).digest();
    return timingSafeEqual(received, expected)
        ? { valid: true }
        : { valid: false, reason: "mismatch", message: "X-Jelou-Signature does not match the body and the signing secret" };
}
