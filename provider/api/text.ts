/**
 * Linear-time text helpers for foreign text (Jelou's answers) and user input (baseUrl): each is one
 * pass with indexOf or a loop, never a regular expression that can backtrack. eslint-plugin-regexp
 * (`npm run lint`) keeps such patterns out of the code; these are what to use instead.
 */

/** The text without the trailing run of `char` (`/\/+$/` is quadratic on a long run not at the end). */
export function trimTrailing(text: string, char: string): string {
    let end = text.length;
    while (end > 0 && text[end - 1] === char) end--;
    return text.slice(0, end);
}

/**
 * Each `<…>` replaced by `replacement`; a `<` with no `>` after it is kept as text. (`/<[^>]*>/g`
 * rescans the rest of the text from every `<` when no `>` follows: a `<`-bomb is quadratic.)
 */
export function stripTags(text: string, replacement: string): string {
    let out = "";
    let from = 0;
    for (;;) {
        const open = text.indexOf("<", from);
        if (open === -1) break;
        const close = text.indexOf(">", open + 1);
        // No `>` after this `<`: no later `<` can close either.
        if (close === -1) break;
        out += text.slice(from, open) + replacement;
        from = close + 1;
    }
    return out + text.slice(from);
}

/** Every occurrence of `needle` replaced; `split`/`join` is a plain substring search. */
export function replaceAll(text: string, needle: string, replacement: string): string {
    return needle === "" || !text.includes(needle) ? text : text.split(needle).join(replacement);
}

/** At most `maxBytes` of UTF-8, cut on a character boundary, with `…` when cut. */
export function capUtf8(text: string, maxBytes: number): string {
    if (text.length * 3 <= maxBytes || Buffer.byteLength(text, "utf8") <= maxBytes) return text;
    const ellipsis = "…";
    const budget = maxBytes - Buffer.byteLength(ellipsis, "utf8");
    // Decoding a cut buffer may end in a replacement character for a split sequence: drop it.
    let cut = Buffer.from(text, "utf8").subarray(0, budget).toString("utf8");
    if (cut.endsWith("\uFFFD") && !text.startsWith(cut)) cut = cut.slice(0, -1);
    return cut + ellipsis;
}

/** At most `max` UTF-16 units, with `…` when cut; never splits a surrogate pair. */
export function clip(text: string, max: number): string {
    if (text.length <= max) return text;
    const end = /[\uD800-\uDBFF]/.test(text[max - 1]) ? max - 1 : max;
    return `${text.slice(0, end)}…`;
}

// Whitespace (Unicode's), C0 and C1 controls, DEL, and the invisible format characters (zero-width, bidi, BOM).

const INVISIBLE = /[\s\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/** The first whitespace, control or invisible character, as a position and a name, or undefined. */
export function firstInvisible(text: string): { index: number; name: string } | undefined {
    const match = INVISIBLE.exec(text);
    if (!match) return undefined;
    const code = match[0].charCodeAt(0);
    const names: Record<number, string> = { 0x20: "a space", 0x09: "a tab", 0x0a: "a newline", 0x0d: "a carriage return" };
    return { index: match.index, name: names[code] ?? `the character U+${code.toString(16).toUpperCase().padStart(4, "0")}` };
}
