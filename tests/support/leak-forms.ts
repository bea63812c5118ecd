/**
 * The forms a secret can take in text a user or a log could read: as it is, URL-encoded (either hex
 * case, `+` or `%20` for spaces), base64 (padded, unpadded, URL-safe) of the value and of `user:value`
 * pairs given, hex, JSON's \u escapes, and HTML's numeric entities. Built here, independently of the
 * provider's redactor, so that the scan does not share the redactor's blind spots.
 */
export function encodedForms(secret: string): string[] {
    const bytes = Buffer.from(secret, "utf8");
    const base64 = bytes.toString("base64");
    const forms = new Set<string>([
        secret,
        encodeURIComponent(secret),
        encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
        encodeURIComponent(secret).replace(/%20/g, "+"),
        base64,
        bytes.toString("base64").split("=")[0],
        bytes.toString("base64url"),
        bytes.toString("hex"),
        [...secret].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
        [...secret].map((c) => `&#${c.charCodeAt(0)};`).join(""),
        [...secret].map((c) => `&#x${c.charCodeAt(0).toString(16)};`).join(""),
    ]);
    return [...forms].filter((form) => form.length >= 6);
}

/** Every secret (by index into `secrets`) found in `text` in any form, and the form. */
export function findLeaks(text: string, secrets: Iterable<string>): Array<{ secret: number; form: string }> {
    const found: Array<{ secret: number; form: string }> = [];
    let index = 0;
    for (const secret of secrets) {
        for (const form of encodedForms(secret)) {
            if (text.includes(form)) {
                found.push({ secret: index, form: form === secret ? "as is" : form.slice(0, 12) });
                break;
            }
        }
        index += 1;
    }
    return found;
}
