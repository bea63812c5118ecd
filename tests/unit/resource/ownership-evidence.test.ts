// Ownership evidence that cannot be fooled, as pure properties: times compared at the coarser
// precision of the two (instant.ts), addresses by their RFC 3986 normal form (url-form.ts), and the
// verdict rules (ownership.ts): only strong evidence says "not ours", and webhook and auth type alone
// never say "ours" for an integration created outside our create window, unless the user consents.
import fc from "fast-check";
import { readInstant, sameInstant } from "../../../provider/api/instant";
import { CLOCK_TOLERANCE_MS, ownership } from "../../../provider/resource/ownership";
import { normalUrl, sameUrl } from "../../../provider/resource/url-form";

// 2001-09-09 to 2286-11-20: where 10 digits are epoch seconds and 13 are milliseconds.
const instants = fc.integer({ min: 1_000_000_000_000, max: 9_999_999_999_999 });
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A documented or seen rendering of `ms`, and the precision it keeps (in ms). */
type Rendering = { render: (ms: number) => string | number; precisionMs: number };
const iso = (digits: number, zone: "Z" | "" | "offset"): Rendering => ({
    precisionMs: digits === -1 ? 60_000 : 10 ** Math.max(0, 3 - digits),
    render: (ms) => {
        const offsetMinutes = zone === "offset" ? ((ms / 7) % 14) * 60 - 330 : 0; // whole hours and half hours, either sign
        const d = new Date(ms + Math.trunc(offsetMinutes) * 60_000);
        const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
        const seconds = digits === -1 ? "" : `:${pad(d.getUTCSeconds())}`;
        // Digits beyond milliseconds say nothing more; they are written as zeros here.
        const fraction = digits > 0 ? `.${pad(d.getUTCMilliseconds(), 3).padEnd(digits, "0").slice(0, digits)}` : "";
        const m = Math.trunc(offsetMinutes);
        const offset =
            zone === "Z" ? "Z" : zone === "" ? "" : `${m < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(m) / 60))}:${pad(Math.abs(m) % 60)}`;
        return `${date}${seconds}${fraction}${offset}`;
    },
});
const RENDERINGS: Rendering[] = [
    ...[-1, 0, 1, 2, 3, 6, 9].flatMap((digits) => (["Z", "", "offset"] as const).map((zone) => iso(digits, zone))),
    { precisionMs: 1, render: (ms) => ms },
    { precisionMs: 1, render: (ms) => String(ms) },
    { precisionMs: 1000, render: (ms) => Math.floor(ms / 1000) },
    {
        precisionMs: 1000,
        render: (ms) => {
            const d = new Date(ms);
            return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
        },
    },
];
const renderings = fc.constantFrom(...RENDERINGS);

describe("times", () => {
    it("any two renderings of one instant are the same time, at any two precisions", () => {
        fc.assert(
            fc.property(instants, renderings, renderings, (t, a, b) => {
                const [x, y] = [readInstant(a.render(t)), readInstant(b.render(t))];
                expect(x).toBeDefined();
                expect(y).toBeDefined();
                expect(x!.precisionMs).toBe(a.precisionMs);
                expect(sameInstant(x!, y!)).toBe(true);
            }),
            { numRuns: 2000 },
        );
    });

    it("instants in different seconds are different, in any renderings keeping seconds", () => {
        const fine = fc.constantFrom(...RENDERINGS.filter((r) => r.precisionMs <= 1000));
        fc.assert(
            fc.property(instants, instants, fine, fine, (t, u, a, b) => {
                fc.pre(Math.floor(t / 1000) !== Math.floor(u / 1000));
                expect(sameInstant(readInstant(a.render(t))!, readInstant(b.render(u))!)).toBe(false);
            }),
            { numRuns: 2000 },
        );
    });

    it("truncates, never rounds: .998 and .999 are in their own second", () => {
        const second = readInstant("2026-03-01T10:20:55Z")!;
        expect(sameInstant(readInstant("2026-03-01T10:20:55.998Z")!, second)).toBe(true);
        expect(sameInstant(readInstant("2026-03-01T10:20:55.999999Z")!, second)).toBe(true);
        expect(sameInstant(readInstant("2026-03-01T10:20:56.001Z")!, second)).toBe(false);
        expect(sameInstant(readInstant("2026-03-01T10:20:55.4Z")!, readInstant("2026-03-01T10:20:55.49Z")!)).toBe(true);
        expect(sameInstant(readInstant("2026-03-01T10:20:55.4Z")!, readInstant("2026-03-01T10:20:55.51Z")!)).toBe(false);
    });

    it.each([
        "yesterday",
        "",
        "2026-02-30T10:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "12345678901",
        "123456789012",
        "2026-01-01T10:00:00+25:00",
        "Sun, 32 Nov 2026 08:49:37 GMT",
        "2026-01-01T10:00:00Q",
    ])("what cannot be read without guessing is not said: %j", (text) => {
        expect(readInstant(text)).toBeUndefined();
    });

    it("reads any text in time linear in its length: a long one is not read at all", () => {
        fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => void readInstant(text)));
        expect(readInstant(`2026-01-01T10:00:00.${"0".repeat(10_000_000)}Z`)).toBeUndefined();
        expect(readInstant("1".repeat(100_000))).toBeUndefined();
    });
});

const UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
const escape = (c: string, upper: boolean) => {
    const hex = c.charCodeAt(0).toString(16).padStart(2, "0");
    return `%${upper ? hex.toUpperCase() : hex.toLowerCase()}`;
};
/** A path segment: unreserved characters, and reserved ones that always stay escaped. */
const segment = fc
    .array(
        fc.oneof(
            fc.constantFrom(...UNRESERVED),
            fc.constantFrom("%2F", "%3F", "%23", "%25", "%20", "!", "$", "'", "(", ")", "*", "+", ",", ";", "=", ":", "@"),
        ),
        { minLength: 1, maxLength: 8 },
    )
    .map((chars) => chars.join(""))
    .filter((s) => s !== "." && s !== "..");
const path = fc.array(segment, { maxLength: 4 });
const hostName = fc
    .array(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789"), { minLength: 1, maxLength: 10 })
    .map((c) => `${c.join("")}.example.com`);

/** Another spelling of the same address, as RFC 3986 section 6.2.2 allows. */
function respell(host: string, segments: string[], query: string, random: () => number): string {
    const flip = (s: string) => [...s].map((c) => (random() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join("");
    const spellSegment = (s: string) => {
        let out = "";
        for (let i = 0; i < s.length; i++) {
            if (s[i] === "%") {
                out += `%${random() < 0.5 ? s.slice(i + 1, i + 3).toLowerCase() : s.slice(i + 1, i + 3).toUpperCase()}`;
                i += 2;
            } else if (UNRESERVED.includes(s[i]) && random() < 0.4) {
                out += escape(s[i], random() < 0.5);
            } else {
                out += s[i];
            }
        }
        return out;
    };
    const parts: string[] = [];
    for (const s of segments) {
        if (random() < 0.2) parts.push(".");
        if (random() < 0.2) parts.push("detour", "..");
        parts.push(spellSegment(s));
    }
    const port = random() < 0.5 ? ":443" : "";
    const trailing = segments.length > 0 && random() < 0.3 ? "/" : "";
    const body = parts.length > 0 ? `/${parts.join("/")}${trailing}` : random() < 0.5 ? "/" : "";
    return `${flip("https")}://${flip(host)}${port}${body}${query ? `?${spellSegment(query)}` : ""}`;
}

describe("addresses", () => {
    it("any address and any RFC 3986-equivalent spelling of it are the same", () => {
        fc.assert(
            fc.property(hostName, path, fc.option(segment, { nil: "" }), fc.integer(), (host, segments, query, seed) => {
                let state = seed >>> 0;
                const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
                const plain = `https://${host}${segments.length ? `/${segments.join("/")}` : ""}${query ? `?${query}` : ""}`;
                const other = respell(host, segments, query, random);
                expect(normalUrl(other)).toBeDefined();
                expect(sameUrl(plain, other)).toBe(true);
            }),
            { numRuns: 2000 },
        );
    });

    it("distinct paths are distinct addresses, however they are spelled", () => {
        fc.assert(
            fc.property(hostName, path, path, fc.integer(), (host, a, b, seed) => {
                const decoded = (segments: string[]) => segments.map((s) => decodeURIComponent(s)).join("/");
                fc.pre(decoded(a) !== decoded(b));
                let state = seed >>> 0;
                const random = () => (state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32;
                expect(sameUrl(respell(host, a, "", random), respell(host, b, "", random))).toBe(false);
            }),
            { numRuns: 2000 },
        );
    });

    it.each([
        ["https://h.example.com/~team/jelou", "https://h.example.com/%7Eteam/jelou"],
        ["https://h.example.com/a%2fb", "https://h.example.com/a%2Fb"],
        ["https://H.EXAMPLE.com:443", "https://h.example.com/"],
        ["https://h.example.com/a/./b/../c", "https://h.example.com/a/c"],
        ["https://h.example.com/jelou/", "https://h.example.com/jelou"],
    ])("%s is %s", (a, b) => expect(sameUrl(a, b)).toBe(true));

    it.each([
        ["https://h.example.com/a%2Fb", "https://h.example.com/a/b"],
        ["https://h.example.com/A", "https://h.example.com/a"],
        ["https://h.example.com:8443/a", "https://h.example.com/a"],
        ["http://h.example.com/a", "https://h.example.com/a"],
    ])("%s is not %s", (a, b) => expect(sameUrl(a, b)).toBe(false));

    it("a text over the cap is not read as an address, and equals only itself", () => {
        const long = `https://h.example.com/${"a".repeat(5000)}`;
        expect(normalUrl(long)).toBeUndefined();
        expect(sameUrl(long, long.replace("h.example", "H.EXAMPLE"))).toBe(false);
        expect(sameUrl(long, long)).toBe(true);
    });
});

describe("the verdict", () => {
    const WEBHOOK = { webhookUrl: "https://support.example.com/jelou", authType: "bearer" as const };
    const at = (ms: number) => new Date(ms).toISOString();

    it("webhook and auth type say ours only for an integration created in our create window (with the tolerance)", () => {
        const window = { from: Date.parse("2026-03-01T10:00:00Z"), to: Date.parse("2026-03-01T10:00:05Z") };
        fc.assert(
            fc.property(fc.integer({ min: -3 * CLOCK_TOLERANCE_MS, max: 3 * CLOCK_TOLERANCE_MS }), (shift) => {
                const createdAt = window.from + shift;
                const verdict = ownership({ ...WEBHOOK, createWindow: window }, { ...WEBHOOK, createdAt: at(createdAt) });
                const inside = createdAt >= window.from - CLOCK_TOLERANCE_MS && createdAt <= window.to + CLOCK_TOLERANCE_MS;
                expect(verdict.ours).toBe(inside ? true : false);
            }),
        );
    });

    it("without a create window, webhook and auth type never say ours; consent does; strong evidence is never overridden", () => {
        const remote = { ...WEBHOOK, createdAt: "2026-03-01T10:00:00Z" };
        expect(ownership({ ...WEBHOOK }, remote).ours).toBeUndefined();
        expect(ownership({ ...WEBHOOK, webhookUrl: "https://other.example.com" }, remote).ours).toBeUndefined();
        expect(ownership({ ...WEBHOOK, consent: true }, remote).ours).toBe(true);
        expect(ownership({ ...WEBHOOK, consent: true, createdAt: "2026-03-01T10:00:01Z" }, remote)).toEqual({
            ours: false,
            by: "createdAt",
        });
        expect(ownership({ id: "a", consent: true }, { ...remote, id: "b" })).toEqual({ ours: false, by: "id" });
    });

    it("a createdAt that cannot be read is not said: never 'not ours'", () => {
        fc.assert(
            fc.property(fc.string({ maxLength: 40 }), fc.constantFrom("2026-03-01T10:00:00Z", "2026-03-01T10:00:00.123Z"), (text, ours) => {
                fc.pre(readInstant(text) === undefined);
                expect(ownership({ createdAt: ours }, { createdAt: text }).ours).toBeUndefined();
            }),
        );
    });
});
