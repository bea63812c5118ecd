/**
 * A webhook address in its RFC 3986 normal form (section 6.2.2), so that two spellings of one address
 * compare equal: scheme and host case, a default port, an empty path and `/`, dot segments (the WHATWG
 * parser does these), then percent-encoding: an encoded unreserved character is decoded (`%7E` is `~`)
 * and every other escape has upper-case hex digits (`%2f` is `%2F`). Trailing slashes of the path are
 * dropped: events reach the same handler either way on every framework seen, and earlier releases
 * compared addresses so. The fragment is never sent, so it is dropped too.
 *
 * Linear: the text is capped, and escapes are rewritten in one pass.
 */

/** As answers.ts caps a webhookUrl: longer is not an address this compares. */
const MAX_URL_LENGTH = 2048;

/** The normal form, or undefined when the text is not an absolute URL this can read. */
export function normalUrl(value: string): string | undefined {
    if (value.length > MAX_URL_LENGTH) return undefined;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return undefined;
    }
    const userinfo = url.username || url.password ? `${normalEscapes(url.username)}:${normalEscapes(url.password)}@` : "";
    const path = withoutTrailingSlashes(normalEscapes(url.pathname));
    return `${url.protocol}//${userinfo}${url.host}${path}${normalEscapes(url.search)}`;
}

/** Equal addresses; a text that is not one is equal only to itself. */
export function sameUrl(a: string, b: string): boolean {
    const [x, y] = [normalUrl(a), normalUrl(b)];
    return x === undefined || y === undefined ? a === b : x === y;
}

function isUnreserved(code: number): boolean {
    return (
        (code >= 0x41 && code <= 0x5a) ||
        (code >= 0x61 && code <= 0x7a) ||
        (code >= 0x30 && code <= 0x39) ||
        code === 0x2d ||
        code === 0x2e ||
        code === 0x5f ||
        code === 0x7e
    );
}

function hexValue(char: string): number {
    const code = char.charCodeAt(0);
    if (code >= 0x30 && code <= 0x39) return code - 0x30;
    if (code >= 0x41 && code <= 0x46) return code - 0x41 + 10;
    if (code >= 0x61 && code <= 0x66) return code - 0x61 + 10;
    return -1;
}

/** `%7e` becomes `~`; `%2f` becomes `%2F`; a `%` that starts no escape is left as it is. */
function normalEscapes(text: string): string {
    let out = "";
    for (let i = 0; i < text.length; i++) {
        const high = text[i] === "%" && i + 2 < text.length ? hexValue(text[i + 1] ?? "") : -1;
        const low = high >= 0 ? hexValue(text[i + 2] ?? "") : -1;
        if (low < 0) {
            out += text[i];
            continue;
        }
        const code = high * 16 + low;
        out += isUnreserved(code) ? String.fromCharCode(code) : `%${text[i + 1]}${text[i + 2]}`.toUpperCase();
        i += 2;
    }
    return out;
}

function withoutTrailingSlashes(path: string): string {
    let end = path.length;
    while (end > 0 && path[end - 1] === "/") end -= 1;
    return path.slice(0, end);
}
