/**
 * Hostile server behaviours, by class, for the generated lifecycle test: each one is plain data (so a
 * failing run prints and replays it) drawn by fast-check, and becomes one request's misbehaviour at
 * the hostile gateway (gateway.ts) or, for the transport class, one command's way of reaching Jelou.
 * The classes are the ones of issue 16; every shape or form used is in the reference
 * (docs/jelou-api.md) or is one the issue names as met in the wild.
 */
import fc from "fast-check";
import { Misbehaviour } from "./hostile-gateway";

export const BEHAVIOUR_CLASSES = [
    /** Documented shapes and precisions: createdAt with or without milliseconds, the envelope without id or authType, the bare object. */
    "field-shapes",
    /** Forms a field takes that the reference does not show: createdAt with no zone, as epoch ms, as an HTTP date; an id beyond 2^53. */
    "field-forms",
    /** The stored webhook answered in an RFC 3986-equivalent form (`~` as `%7E`, lowercase hex, host case, default port). */
    "url-forms",
    /** Error bodies of any JSON shape, depth and size, up to the 1 MiB cap; applied or not. */
    "error-bodies",
    /** Text built to make regexes backtrack: `<` x 50k (and at the 1 MiB cap), `/` x 60k. */
    "backtracking",
    /** A 3xx on any method, applied or not. */
    "redirects",
    /** 429 and 503, with or without Retry-After, applied or not. */
    "rate-limits",
    /** Applied, then a 500: plain, or quoting the secret the honest answer carried. */
    "applied-then-failed",
    /** The connection reset before the request was applied, after the headers, or the body cut. */
    "connection",
    /** A whole command through a TLS listener with a self-signed certificate, a refused port, or an HTTPS proxy. */
    "transport",
] as const;
export type BehaviourClass = (typeof BEHAVIOUR_CLASSES)[number];

export type ErrorBodyShape =
    | { shape: "json"; value: unknown }
    | { shape: "to-string-trap" }
    | { shape: "hostile-keys" }
    | { shape: "deep"; depth: number; of: "objects" | "arrays" }
    | { shape: "many-messages"; count: number }
    | { shape: "objects-in-message"; count: number }
    | { shape: "huge-string"; bytes: number }
    | { shape: "error-object" };

export type Behaviour =
    | { cls: "honest" }
    | { cls: "field-shapes"; form: "createdAt-seconds" | "createdAt-millis" | "unwrap-envelope" | "no-id" | "no-authType" }
    | { cls: "field-forms"; form: "createdAt-no-zone" | "createdAt-epoch-ms" | "createdAt-http-date" | "id-beyond-2^53" | "id-object" }
    | { cls: "url-forms"; form: "tilde-encoded" | "lowercase-hex" | "uppercase-host" | "default-port" }
    | { cls: "error-bodies"; status: number; apply: boolean; body: ErrorBodyShape }
    | { cls: "backtracking"; status: number; apply: boolean; text: "lt-50k" | "lt-50k-json" | "slash-60k" | "lt-cap" }
    | { cls: "redirects"; status: number; apply: boolean; to: "same-host" | "elsewhere" }
    | { cls: "rate-limits"; status: 429 | 503; retryAfter?: "0" | "1"; apply: boolean }
    | { cls: "applied-then-failed"; form: "quote-secret" | "plain-500" }
    | { cls: "connection"; form: "reset-before" | "reset-after-headers" | "truncate" };

export type Transport = "gateway" | "tls-self-signed" | "refused" | "https-proxy";

/** The 1 MiB cap on a body the client reads. */
export const BODY_CAP = 1 << 20;

/**
 * Whether Jelou may have applied a request it answered with this status. A refusal (another 4xx) and
 * a throttle (429, 503 with Retry-After) say it was not (docs/jelou-api.md#errors): the provider
 * trusts that, so a server that applies and then refuses is outside what it can guarantee (README,
 * "What the provider guarantees") and is not drawn.
 */
function mayHaveApplied(status: number, retryAfter?: string): boolean {
    if (status === 429 || (status === 503 && retryAfter !== undefined)) return false;
    return !(status >= 400 && status < 500 && status !== 408);
}

const honestlyApplied = <B extends { status: number; apply: boolean; retryAfter?: string }>(b: B): B => ({
    ...b,
    apply: b.apply && mayHaveApplied(b.status, b.retryAfter),
});

export function behaviourArbitrary(classes: readonly BehaviourClass[]): fc.Arbitrary<Behaviour> {
    const byClass: Record<Exclude<BehaviourClass, "transport">, fc.Arbitrary<Behaviour>> = {
        "field-shapes": fc.record({
            cls: fc.constant("field-shapes" as const),
            form: fc.constantFrom("createdAt-seconds", "createdAt-millis", "unwrap-envelope", "no-id", "no-authType"),
        }),
        "field-forms": fc.record({
            cls: fc.constant("field-forms" as const),
            form: fc.constantFrom("createdAt-no-zone", "createdAt-epoch-ms", "createdAt-http-date", "id-beyond-2^53", "id-object"),
        }),
        "url-forms": fc.record({
            cls: fc.constant("url-forms" as const),
            form: fc.constantFrom("tilde-encoded", "lowercase-hex", "uppercase-host", "default-port"),
        }),
        "error-bodies": fc
            .record({
                cls: fc.constant("error-bodies" as const),
                status: fc.constantFrom(400, 422, 500, 502),
                apply: fc.boolean(),
                body: errorBodyArbitrary(),
            })
            .map(honestlyApplied),
        backtracking: fc
            .record({
                cls: fc.constant("backtracking" as const),
                status: fc.constantFrom(400, 500),
                apply: fc.boolean(),
                text: fc.constantFrom("lt-50k", "lt-50k-json", "slash-60k", "lt-cap"),
            })
            .map(honestlyApplied),
        redirects: fc.record({
            cls: fc.constant("redirects" as const),
            status: fc.constantFrom(301, 302, 303, 307, 308),
            apply: fc.boolean(),
            to: fc.constantFrom("same-host", "elsewhere"),
        }),
        "rate-limits": fc
            .record(
                {
                    cls: fc.constant("rate-limits" as const),
                    status: fc.constantFrom(429 as const, 503 as const),
                    retryAfter: fc.constantFrom("0" as const, "1" as const),
                    apply: fc.boolean(),
                },
                { requiredKeys: ["cls", "status", "apply"] },
            )
            .map(honestlyApplied),
        "applied-then-failed": fc.record({
            cls: fc.constant("applied-then-failed" as const),
            form: fc.constantFrom("quote-secret", "plain-500"),
        }),
        connection: fc.record({
            cls: fc.constant("connection" as const),
            form: fc.constantFrom("reset-before", "reset-after-headers", "truncate"),
        }),
    };
    const drawn = classes.filter((c): c is Exclude<BehaviourClass, "transport"> => c !== "transport").map((c) => byClass[c]);
    // Honest answers stay the most common, so that runs get far enough to meet the later steps.
    return drawn.length === 0
        ? fc.constant({ cls: "honest" })
        : fc.oneof(
              { arbitrary: fc.constant<Behaviour>({ cls: "honest" }), weight: 3 },
              ...drawn.map((arbitrary) => ({ arbitrary, weight: 1 })),
          );
}

/** The classes that describe how Jelou writes its answers rather than a fault: drawn once per run, per method. */
export const FORMAT_CLASSES = ["field-shapes", "field-forms", "url-forms"] as const;
export type FormatBehaviour = Extract<Behaviour, { cls: (typeof FORMAT_CLASSES)[number] }>;

export function formatArbitrary(
    classes: readonly BehaviourClass[],
): fc.Arbitrary<Array<{ method: "GET" | "POST" | "PATCH"; behaviour: FormatBehaviour }>> {
    const formats = FORMAT_CLASSES.filter((c) => classes.includes(c));
    if (formats.length === 0) return fc.constant([]);
    return fc
        .array(
            fc.record({
                method: fc.constantFrom("GET" as const, "POST" as const, "PATCH" as const),
                behaviour: behaviourArbitrary(formats) as fc.Arbitrary<FormatBehaviour>,
            }),
            { maxLength: 2 },
        )
        .map((list) => list.filter((f) => (f.behaviour as Behaviour).cls !== "honest"));
}

function errorBodyArbitrary(): fc.Arbitrary<ErrorBodyShape> {
    return fc.oneof(
        fc.record({ shape: fc.constant("json" as const), value: fc.jsonValue({ maxDepth: 4 }) }),
        fc.constant({ shape: "to-string-trap" as const }),
        fc.constant({ shape: "hostile-keys" as const }),
        fc.record({
            shape: fc.constant("deep" as const),
            depth: fc.constantFrom(1_000, 20_000, 200_000),
            of: fc.constantFrom("objects" as const, "arrays" as const),
        }),
        fc.record({ shape: fc.constant("many-messages" as const), count: fc.constantFrom(12_000, 70_000) }),
        fc.record({ shape: fc.constant("objects-in-message" as const), count: fc.constantFrom(1, 500, 20_000) }),
        fc.record({ shape: fc.constant("huge-string" as const), bytes: fc.constantFrom(100_000, BODY_CAP - 64) }),
        fc.constant({ shape: "error-object" as const }),
    );
}

export function errorBody(spec: ErrorBodyShape): string {
    switch (spec.shape) {
        case "json":
            return JSON.stringify({ message: spec.value, statusMessage: "failed", status: 0 });
        case "to-string-trap":
            return '{"message":[{"toString":1}],"statusMessage":"failed","status":0}';
        case "hostile-keys":
            return '{"message":{"__proto__":{"polluted":1},"constructor":{"prototype":1},"toString":"x","valueOf":2},"error":{"__proto__":[]}}';
        case "deep": {
            // Inside `message`: arrays nest in its list, objects in its place.
            const [open, close] = spec.of === "objects" ? ['{"message":', "}"] : ["[", "]"];
            return `{"message":[${open.repeat(spec.depth)}"x"${close.repeat(spec.depth)}],"statusMessage":"failed","status":0}`;
        }
        case "many-messages":
            return JSON.stringify({
                message: Array.from({ length: spec.count }, (_, i) => `bad ${i}`),
                statusMessage: "failed",
                status: 0,
            });
        case "objects-in-message":
            return JSON.stringify({
                message: Array.from({ length: spec.count }, (_, i) => ({ code: i, key: "field", description: { nested: [i] } })),
            });
        case "huge-string":
            return JSON.stringify({ message: ["m".repeat(spec.bytes)] });
        case "error-object":
            return JSON.stringify({
                message: "Validation failed",
                statusMessage: "failed",
                status: 0,
                error: { code: "E_VALIDATION", key: "webhookUrl", description: "must be https" },
            });
    }
}

function backtrackingBody(text: Extract<Behaviour, { cls: "backtracking" }>["text"]): { body: string; contentType: string } {
    switch (text) {
        case "lt-50k":
            return { body: "<".repeat(50_000), contentType: "text/html" };
        case "lt-50k-json":
            return {
                body: JSON.stringify({ message: ["<".repeat(50_000)], statusMessage: "failed", status: 0 }),
                contentType: "application/json",
            };
        case "slash-60k":
            return { body: "/".repeat(60_000), contentType: "text/plain" };
        case "lt-cap":
            return { body: "<".repeat(BODY_CAP - 1), contentType: "text/plain" };
    }
}

/** RFC 3986-equivalent forms of a URL: the same resource, spelled differently. */
export function equivalentUrl(url: string, form: Extract<Behaviour, { cls: "url-forms" }>["form"]): string {
    switch (form) {
        case "tilde-encoded":
            return url.replace(/~/g, "%7E");
        case "lowercase-hex":
            return url.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
        case "uppercase-host":
            return url.replace(/^https:\/\/([^/]+)/i, (_m, host: string) => `HTTPS://${host.toUpperCase()}`);
        case "default-port":
            return url.replace(/^(https:\/\/[^/:]+)(\/|$)/i, "$1:443$2");
    }
}

function createdAtForm(value: string, form: string): unknown {
    const time = Date.parse(value);
    if (Number.isNaN(time)) return value;
    const iso = new Date(time).toISOString();
    switch (form) {
        case "createdAt-seconds":
            return iso.replace(/\.\d{3}Z$/, "Z");
        case "createdAt-millis":
            return iso;
        case "createdAt-no-zone":
            return iso.replace(/Z$/, "");
        case "createdAt-epoch-ms":
            return time;
        case "createdAt-http-date":
            return new Date(time).toUTCString();
    }
    return value;
}

/** Rewrites a 2xx JSON answer's data (envelope or bare); anything else passes as it is. */
function rewriteData(
    answer: { status: number; body: string },
    change: (data: Record<string, unknown>, whole: Record<string, unknown>) => unknown,
): { status: number; body: string } {
    if (answer.status < 200 || answer.status > 299) return answer;
    let parsed: Record<string, unknown>;
    try {
        parsed = JSON.parse(answer.body);
    } catch {
        return answer;
    }
    if (!parsed || typeof parsed !== "object") return answer;
    const data = (parsed.data && typeof parsed.data === "object" ? parsed.data : parsed) as Record<string, unknown>;
    const result = change(data, parsed);
    return { status: answer.status, body: typeof result === "string" ? result : JSON.stringify(parsed) };
}

/** The gateway's misbehaviour for one request drawn as `behaviour`. */
export function misbehaviourOf(behaviour: Behaviour, gatewayUrl: string): Misbehaviour {
    const label = (b: Behaviour) => JSON.stringify(b);
    switch (behaviour.cls) {
        case "honest":
            return { kind: "honest" };
        case "field-shapes":
        case "field-forms":
            return {
                kind: "transform",
                label: label(behaviour),
                rewrite: (answer) =>
                    rewriteData(answer, (data, whole) => {
                        const form = behaviour.form;
                        if (form.startsWith("createdAt-")) {
                            if (typeof data.createdAt === "string") data.createdAt = createdAtForm(data.createdAt, form);
                        } else if (form === "unwrap-envelope") {
                            return whole.data && typeof whole.data === "object" ? JSON.stringify(whole.data) : undefined;
                        } else if (form === "no-id") delete data.id;
                        else if (form === "no-authType") delete data.authType;
                        // A number JSON can carry but a double cannot: the answer's text holds it exactly.
                        else if (form === "id-beyond-2^53" && "id" in data)
                            return JSON.stringify(whole).replace(/"id":"[^"]*"/, '"id":9007199254740993');
                        else if (form === "id-object" && "id" in data) data.id = { value: data.id };
                        return undefined;
                    }),
            };
        case "url-forms":
            return {
                kind: "transform",
                label: label(behaviour),
                rewrite: (answer) =>
                    rewriteData(answer, (data) => {
                        if (typeof data.webhookUrl === "string") data.webhookUrl = equivalentUrl(data.webhookUrl, behaviour.form);
                        return undefined;
                    }),
            };
        case "error-bodies":
            return {
                kind: "replace",
                status: behaviour.status,
                contentType: "application/json",
                body: errorBody(behaviour.body),
                apply: behaviour.apply,
            };
        case "backtracking": {
            const { body, contentType } = backtrackingBody(behaviour.text);
            return { kind: "replace", status: behaviour.status, contentType, body, apply: behaviour.apply };
        }
        case "redirects":
            return {
                kind: "redirect",
                status: behaviour.status,
                location: behaviour.to === "same-host" ? `${gatewayUrl}/login?next=%2Fv1` : "https://login.example.invalid/sso",
                apply: behaviour.apply,
            };
        case "rate-limits":
            return {
                kind: "replace",
                status: behaviour.status,
                retryAfter: behaviour.retryAfter,
                contentType: "application/json",
                body: '{"message":["Too many requests"],"statusMessage":"failed","status":0}',
                apply: behaviour.apply,
            };
        case "applied-then-failed":
            return {
                kind: "transform",
                label: label(behaviour),
                rewrite: (answer) => {
                    if (behaviour.form === "plain-500")
                        return { status: 500, body: '{"message":["Internal server error"],"statusMessage":"failed","status":0}' };
                    const secret = /"signingSecret":"([^"]*)"/.exec(answer.body)?.[1] ?? "unknown";
                    return {
                        status: 500,
                        body: JSON.stringify({ message: [`failed to deliver secret ${secret}`], statusMessage: "failed", status: 0 }),
                    };
                },
            };
        case "connection":
            return { kind: behaviour.form };
    }
}

/** A short name for counting what was drawn. */
export function behaviourName(behaviour: Behaviour): string {
    switch (behaviour.cls) {
        case "honest":
            return "honest";
        case "field-shapes":
        case "field-forms":
        case "url-forms":
        case "applied-then-failed":
        case "connection":
            return `${behaviour.cls}:${behaviour.form}`;
        case "error-bodies":
            return `${behaviour.cls}:${behaviour.body.shape}:${behaviour.status}${behaviour.apply ? ":applied" : ""}`;
        case "backtracking":
            return `${behaviour.cls}:${behaviour.text}${behaviour.apply ? ":applied" : ""}`;
        case "redirects":
            return `${behaviour.cls}:${behaviour.status}${behaviour.apply ? ":applied" : ""}`;
        case "rate-limits":
            return `${behaviour.cls}:${behaviour.status}:${behaviour.retryAfter ?? "no-retry-after"}${behaviour.apply ? ":applied" : ""}`;
    }
}
