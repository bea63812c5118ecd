/**
 * Signing of webhook events: `X-Jelou-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw body
 * keyed with the integration's signing secret. For receivers (verify) and for messages sent back
 * to Jelou (sign), which must carry the same header over the exact body string sent.
 */
import { createHmac, timingSafeEqual } from "crypto";

export const SIGNATURE_HEADER = "x-jelou-signature";

/**
 * Why a signature is refused: one vocabulary for `verifySignature` and `parseEvent` (answer 401).
 * Before 0.3.0 `verifySignature` said `"mismatch"` for what is now `"bad-signature"`.
 */
export type SignatureFailureReason = "missing-header" | "malformed-header" | "missing-secret" | "bad-signature";

export type SignatureCheck =
    /** `secretIndex`: which of the secrets matched, when several were given. */
    { valid: true; secretIndex?: number } | { valid: false; reason: SignatureFailureReason; message: string };

/** The header value for a body: `sha256=<hex>`. Sign the exact bytes you send. */
export function signPayload(body: string | Buffer, signingSecret: string): string {
    return `sha256=${createHmac("sha256", signingSecret).update(body).digest("hex")}`;
}

/**
 * Verifies a received `X-Jelou-Signature` against the raw body (before any JSON parsing), in
 * constant time. `signingSecrets` is one secret, or several (say the new and the old one while a
 * rotation rolls out): the signature is valid if any of them made it, and every one is tried, so
 * the time taken does not say which. Never throws; the result says why a signature is refused.
 */
export function verifySignature(
    body: string | Buffer,
    header: string | string[] | undefined,
    signingSecrets: string | readonly string[],
): SignatureCheck {
    const several = Array.isArray(signingSecrets);
    const secrets = (several ? (signingSecrets as readonly unknown[]) : [signingSecrets]).filter(
        (s): s is string => typeof s === "string" && s !== "",
    );
    if (secrets.length === 0) {
        return { valid: false, reason: "missing-secret", message: "no signing secret to verify with" };
    }
    const value = Array.isArray(header) ? header[0] : header;
    if (typeof value !== "string" || value.trim() === "") {
        return { valid: false, reason: "missing-header", message: "the request has no X-Jelou-Signature header" };
    }
    const match = /^sha256=([0-9a-f]{64})$/i.exec(value.trim());
    if (!match) {
        return { valid: false, reason: "malformed-header", message: 'X-Jelou-Signature must be "sha256=" and 64 hex digits' };
    }
    if (typeof body !== "string" && !(body instanceof Uint8Array)) {
        return { valid: false, reason: "bad-signature", message: "X-Jelou-Signature cannot match: the body is neither a string nor bytes" };
    }
    const received = Buffer.from(match[1].toLowerCase(), "hex");
    let matched = -1;
    secrets.forEach((secret, index) => {
        const expected = createHmac("sha256", secret).update(body).digest();
        if (timingSafeEqual(received, expected) && matched < 0) matched = index;
    });
    if (matched < 0) {
        return { valid: false, reason: "bad-signature", message: "X-Jelou-Signature does not match the body and the signing secret" };
    }
    return several ? { valid: true, secretIndex: (signingSecrets as readonly unknown[]).indexOf(secrets[matched]) } : { valid: true };
}
