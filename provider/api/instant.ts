/**
 * Times as Jelou may write them, read without guessing. The reference shows `createdAt` both with
 * milliseconds (`…:55.998Z`) and without (`…:55Z`); other gateways write no zone, epoch seconds or
 * milliseconds, or an HTTP date. Each reading keeps its precision, and two times are compared at the
 * coarser precision of the two by truncation, never rounding: `…:55.998Z` and `…:55Z` are the same
 * second. A time that cannot be read without guessing is "not said" (undefined), never "different".
 *
 * Linear by construction: the text is capped first and read by one left-to-right pass.
 */

/** A moment and the width of the interval its rendering names: [ms, ms + precisionMs). */
export interface Instant {
    ms: number;
    precisionMs: number;
}

/** Longer than any rendering this reads (an ISO time with a 9-digit fraction and an offset is 35). */
const MAX_TIME_LENGTH = 64;
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const DAY = 24 * 60 * MINUTE;
const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** Reads a time; undefined when it is not one of the unambiguous renderings below. */
export function readInstant(value: unknown): Instant | undefined {
    if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? readEpoch(String(value)) : undefined;
    if (typeof value !== "string" || value.length === 0 || value.length > MAX_TIME_LENGTH) return undefined;
    const text = value.trim();
    if (isDigits(text, 0, text.length)) return readEpoch(text);
    if (text.length > 3 && text[3] === ",") return readHttpDate(text);
    return readIso(text);
}

/** Whether two readings can name the same moment: equal once truncated to the coarser precision. */
export function sameInstant(a: Instant, b: Instant): boolean {
    const precision = Math.max(a.precisionMs, b.precisionMs);
    return Math.floor(a.ms / precision) === Math.floor(b.ms / precision);
}

/** The last millisecond a reading may name. */
export function latestMs(instant: Instant): number {
    return instant.ms + instant.precisionMs - 1;
}

/**
 * Epoch seconds or milliseconds: 10 digits are seconds and 13 are milliseconds (both cover 2001 to
 * 2286); any other length could be either, so it is not read.
 */
function readEpoch(digits: string): Instant | undefined {
    if (digits.length === 10) return { ms: Number(digits) * SECOND, precisionMs: SECOND };
    if (digits.length === 13) return { ms: Number(digits), precisionMs: 1 };
    return undefined;
}

/**
 * ISO 8601 / RFC 3339: `YYYY-MM-DD`, optionally `T` (or a space) `hh:mm`, `:ss`, a fraction of any
 * length (`.` or `,`), and `Z` or `±hh:mm` / `±hhmm` / `±hh`. No zone reads as UTC.
 */
function readIso(text: string): Instant | undefined {
    const cursor = new Cursor(text);
    const year = cursor.number(4);
    if (year === undefined || !cursor.take("-")) return undefined;
    const month = cursor.number(2);
    if (month === undefined || !cursor.take("-")) return undefined;
    const day = cursor.number(2);
    if (day === undefined) return undefined;
    if (cursor.done()) return utc(year, month, day, 0, 0, 0, 0, DAY);
    if (!cursor.take("T") && !cursor.take("t") && !cursor.take(" ")) return undefined;
    const hour = cursor.number(2);
    if (hour === undefined || !cursor.take(":")) return undefined;
    const minute = cursor.number(2);
    if (minute === undefined) return undefined;
    let second = 0;
    let fractionMs = 0;
    let precisionMs = MINUTE;
    if (cursor.take(":")) {
        const s = cursor.number(2);
        if (s === undefined) return undefined;
        second = s;
        precisionMs = SECOND;
        if (cursor.take(".") || cursor.take(",")) {
            const digits = cursor.digits();
            if (digits.length === 0) return undefined;
            // Truncated to milliseconds: a finer fraction says nothing more that JavaScript can hold.
            const kept = digits.slice(0, 3);
            fractionMs = Number(kept.padEnd(3, "0"));
            precisionMs = 10 ** (3 - kept.length);
        }
    }
    const offsetMinutes = readOffset(cursor);
    if (offsetMinutes === undefined || !cursor.done()) return undefined;
    const instant = utc(year, month, day, hour, minute, second, fractionMs, precisionMs);
    return instant && { ms: instant.ms - offsetMinutes * MINUTE, precisionMs };
}

/** `Z`, `±hh:mm`, `±hhmm`, `±hh`, or nothing (UTC); undefined when malformed. */
function readOffset(cursor: Cursor): number | undefined {
    if (cursor.done()) return 0;
    if (cursor.take("Z") || cursor.take("z")) return 0;
    const sign = cursor.take("+") ? 1 : cursor.take("-") ? -1 : 0;
    if (sign === 0) return undefined;
    const hours = cursor.number(2);
    if (hours === undefined || hours > 23) return undefined;
    if (cursor.done()) return sign * hours * 60;
    cursor.take(":");
    const minutes = cursor.number(2);
    if (minutes === undefined || minutes > 59) return undefined;
    return sign * (hours * 60 + minutes);
}

/** An HTTP date (RFC 9110 IMF-fixdate): `Sun, 06 Nov 1994 08:49:37 GMT`. */
function readHttpDate(text: string): Instant | undefined {
    const cursor = new Cursor(text);
    const weekday = cursor.word(3);
    if (weekday === undefined || !WEEKDAYS.includes(weekday) || !cursor.take(",") || !cursor.take(" ")) return undefined;
    const day = cursor.number(2);
    if (day === undefined || !cursor.take(" ")) return undefined;
    const month = MONTHS.indexOf(cursor.word(3) ?? "") + 1;
    if (month === 0 || !cursor.take(" ")) return undefined;
    const year = cursor.number(4);
    if (year === undefined || !cursor.take(" ")) return undefined;
    const hour = cursor.number(2);
    if (hour === undefined || !cursor.take(":")) return undefined;
    const minute = cursor.number(2);
    if (minute === undefined || !cursor.take(":")) return undefined;
    const second = cursor.number(2);
    if (second === undefined || !cursor.take(" ") || cursor.word(3) !== "gmt" || !cursor.done()) return undefined;
    return utc(year, month, day, hour, minute, second, 0, SECOND);
}

/** A calendar time in UTC; undefined when a field is out of range (Feb 30 is not March 2). */
function utc(
    year: number,
    month: number,
    day: number,
    hour: number,
    minute: number,
    second: number,
    ms: number,
    precisionMs: number,
): Instant | undefined {
    if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    date.setUTCHours(hour, minute, second, ms);
    if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return undefined;
    return { ms: date.getTime(), precisionMs };
}

function isDigits(text: string, from: number, to: number): boolean {
    if (from >= to || to > text.length) return false;
    for (let i = from; i < to; i++) {
        const c = text.charCodeAt(i);
        if (c < 48 || c > 57) return false;
    }
    return true;
}

/** One left-to-right pass over a capped text. */
class Cursor {
    private at = 0;

    constructor(private readonly text: string) {}

    done(): boolean {
        return this.at === this.text.length;
    }

    take(char: string): boolean {
        if (this.text[this.at] !== char) return false;
        this.at += 1;
        return true;
    }

    /** Exactly `width` digits. */
    number(width: number): number | undefined {
        if (!isDigits(this.text, this.at, this.at + width)) return undefined;
        const value = Number(this.text.slice(this.at, this.at + width));
        this.at += width;
        return value;
    }

    /** As many digits as follow. */
    digits(): string {
        const from = this.at;
        while (isDigits(this.text, this.at, this.at + 1)) this.at += 1;
        return this.text.slice(from, this.at);
    }

    /** `width` letters, lower-cased. */
    word(width: number): string | undefined {
        const word = this.text.slice(this.at, this.at + width);
        if (word.length !== width) return undefined;
        this.at += width;
        return word.toLowerCase();
    }
}
