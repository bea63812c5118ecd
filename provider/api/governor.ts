/**
 * One governor per Jelou account in the host process: every attempt of every operation asks it for
 * a turn, and tells it how the attempt was answered. Jelou's rate limits are not documented, so the
 * governor learns them from the throttling it meets, as AWS SDK v3's adaptive retry mode does
 * (`DefaultRateLimiter` of `@smithy/util-retry`: a token bucket whose rate follows CUBIC):
 *
 * - a 429, or a 503 with Retry-After, pauses every request until the time it names;
 * - the first throttling turns the token bucket on at 0.7 × the rate Jelou was accepting (the
 *   answers of the last second); each later throttling lowers it again, once per burst (answers to
 *   requests sent before the last lowering say nothing new); successes bring it back along CUBIC's
 *   curve, never above twice the rate measured;
 * - the requests in flight are bounded too: 16 at first (Pulumi's default `--parallel`), growing by
 *   half a request per success while the bound is what holds requests back, and cut like the rate
 *   by a throttling that met the bound;
 * - a known limit (`maxRequestsPerSecond`) is a ceiling from the start: never more requests than
 *   that in any one second, and the learned rate never above it.
 *
 * Waiting requests go first come, first served, those of operations that already sent one first, so
 * that a started operation (a create's check, a delete after its ownership GET) finishes before new
 * ones start. The governor lives in module scope, for this host process only: it is never
 * serialized into `__provider` or state, and it keeps a hash of the credential, never the credential.
 */
import { createHash } from "crypto";
import { trimTrailing } from "./text";
import { JelouCredentials } from "./types";

export interface Clock {
    now(): number;
    setTimeout(callback: () => void, ms: number): unknown;
    clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
    now: () => Date.now(),
    setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** How an attempt was answered: throttled (429, or 503 with Retry-After), answered otherwise, or not at all (undefined). */
export interface AttemptAnswer {
    throttled: boolean;
    /** From Retry-After, in milliseconds. */
    retryAfterMs?: number;
}

/** A turn to send one attempt; released once, with how it was answered. */
export interface Permit {
    release(answer: AttemptAnswer | undefined): void;
}

export interface AdmitOptions {
    /** The operation already sent a request: it goes before operations that have not. */
    continuing?: boolean;
    /** The operation's deadline: waiting ends, rejected with the signal's reason. */
    signal?: AbortSignal;
}

export interface GovernorOptions {
    /** A known limit of the account, requests per second. */
    maxRequestsPerSecond?: number;
    clock?: Clock;
    /** Told, at most once every REPORT_INTERVAL_MS, when throttling holds requests back. */
    report?: (line: string) => void;
    /** What the account is called in reports (the API's host). */
    name?: string;
}

/** CUBIC's constants, as in AWS SDK v3. */
const BETA = 0.7;
const SCALE = 0.4;
/** Never slower than this, in requests per second, whatever the throttling. */
const MIN_RATE = 0.5;
const INITIAL_CONCURRENCY = 16;
const MAX_CONCURRENCY = 1024;
/** Growth of the bound on requests in flight per success, while it holds requests back (× 1.5 a round trip). */
const CONCURRENCY_GROWTH = 0.5;
export const REPORT_INTERVAL_MS = 10_000;
/** The success rate is measured over the last second, in 10 slices. */
const SLICE_MS = 100;
const SLICES = 10;

interface Waiter {
    resolve: (permit: Permit) => void;
    reject: (reason: unknown) => void;
    signal?: AbortSignal;
    onAbort?: () => void;
}

export class Governor {
    private readonly clock: Clock;
    private readonly report?: (line: string) => void;
    private readonly name: string;
    private ceiling = Infinity;
    /** Times of the last `ceiling` admissions, oldest first (a ring). */
    private recent: number[] = [];
    private recentStart = 0;

    /** The token bucket is on once Jelou has throttled us. */
    private limited = false;
    private rate = Infinity;
    private tokens = 0;
    private lastRefill = 0;
    private lastMaxRate = 0;
    private lastThrottleAt = 0;
    private timeWindow = 0;
    /** Bumped at each lowering: a throttled answer to a request sent before it lowers nothing again. */
    private epoch = 0;

    private concurrency = INITIAL_CONCURRENCY;
    private slowStart = true;
    private inFlight = 0;
    private pausedUntil = 0;

    private readonly slices = new Array<number>(SLICES).fill(0);
    private sliceAt = 0;

    private readonly continuing: Waiter[] = [];
    private readonly fresh: Waiter[] = [];
    private timer: unknown;
    private timerAt = Infinity;
    private lastReportAt = -Infinity;
    private throttledSinceReport = 0;

    constructor(options: GovernorOptions = {}) {
        this.clock = options.clock ?? systemClock;
        this.report = options.report;
        this.name = options.name ?? "Jelou";
        this.lowerCeiling(options.maxRequestsPerSecond);
    }

    /** A known limit; the lowest one given wins (several resources may name one for the same account). */
    lowerCeiling(maxRequestsPerSecond: number | undefined): void {
        if (maxRequestsPerSecond === undefined || !(maxRequestsPerSecond > 0) || maxRequestsPerSecond >= this.ceiling) return;
        this.ceiling = Math.max(1, Math.floor(maxRequestsPerSecond));
        this.recent = this.recentInOrder().slice(-this.ceiling);
        this.recentStart = 0;
        this.rate = Math.min(this.rate, this.ceiling);
    }

    /** Waits for a turn to send one attempt. */
    admit({ continuing = false, signal }: AdmitOptions = {}): Promise<Permit> {
        if (signal?.aborted) return Promise.reject(signal.reason);
        return new Promise<Permit>((resolve, reject) => {
            const waiter: Waiter = { resolve, reject, signal };
            const queue = continuing ? this.continuing : this.fresh;
            if (signal) {
                waiter.onAbort = () => {
                    const at = queue.indexOf(waiter);
                    if (at >= 0) queue.splice(at, 1);
                    reject(signal.reason);
                    this.pump();
                };
                signal.addEventListener("abort", waiter.onAbort, { once: true });
            }
            queue.push(waiter);
            this.pump();
        });
    }

    /** When everyone may send again after a Retry-After (0 when not paused). */
    resumesAt(): number {
        return this.pausedUntil > this.clock.now() ? this.pausedUntil : 0;
    }

    /** What the governor allows now, for reports and tests. */
    snapshot(): { rate: number; concurrency: number; inFlight: number; waiting: number; pausedUntil: number; ceiling: number } {
        return {
            rate: this.limited ? this.rate : this.ceiling,
            concurrency: Math.floor(this.concurrency),
            inFlight: this.inFlight,
            waiting: this.continuing.length + this.fresh.length,
            pausedUntil: this.pausedUntil,
            ceiling: this.ceiling,
        };
    }

    /** Admits as many waiters as the pause, the bound in flight, the ceiling and the bucket allow; else sets a timer. */
    private pump(): void {
        const now = this.clock.now();
        while (this.continuing.length + this.fresh.length > 0) {
            if (now < this.pausedUntil) return this.wakeAt(this.pausedUntil);
            if (this.inFlight >= Math.floor(this.concurrency)) return this.maybeReport(now);
            const ceilingAt = this.ceilingAllowsAt(now);
            if (ceilingAt > now) return this.wakeAt(ceilingAt);
            if (this.limited) {
                this.refill(now);
                if (this.tokens < 1) return this.wakeAt(now + Math.ceil(((1 - this.tokens) / this.rate) * 1000));
                this.tokens -= 1;
            }
            this.admitNext(now);
        }
    }

    private admitNext(now: number): void {
        const waiter = (this.continuing.length > 0 ? this.continuing : this.fresh).shift()!;
        if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
        this.inFlight += 1;
        if (this.ceiling !== Infinity) this.remember(now);
        const epoch = this.epoch;
        // Whether the bound in flight is what held requests back: only then does an answer say anything about it.
        const bound = this.inFlight >= Math.floor(this.concurrency);
        let released = false;
        waiter.resolve({
            release: (answer) => {
                if (released) return;
                released = true;
                this.inFlight -= 1;
                if (answer?.throttled) this.onThrottle(epoch, bound, answer.retryAfterMs);
                else if (answer) this.onSuccess(bound);
                this.pump();
            },
        });
    }

    private onThrottle(epoch: number, bound: boolean, retryAfterMs: number | undefined): void {
        const now = this.clock.now();
        this.throttledSinceReport += 1;
        if (retryAfterMs !== undefined && retryAfterMs > 0) this.pausedUntil = Math.max(this.pausedUntil, now + retryAfterMs);
        if (epoch < this.epoch) return;
        this.epoch += 1;
        const measured = this.successRate(now);
        const rateToUse = this.limited ? Math.min(measured, this.rate) : measured;
        this.lastMaxRate = rateToUse;
        this.lastThrottleAt = now;
        this.timeWindow = Math.cbrt((rateToUse * (1 - BETA)) / SCALE);
        this.setRate(rateToUse * BETA);
        // What the bucket held was a licence to be refused again.
        this.tokens = 0;
        this.limited = true;
        if (bound) this.concurrency = Math.max(1, Math.floor(this.concurrency * BETA));
        this.slowStart = false;
        this.maybeReport(now);
    }

    private onSuccess(bound: boolean): void {
        const now = this.clock.now();
        this.countSuccess(now);
        if (bound) {
            this.concurrency = Math.min(MAX_CONCURRENCY, this.concurrency + (this.slowStart ? CONCURRENCY_GROWTH : 1 / this.concurrency));
        }
        if (!this.limited) return;
        const sinceThrottle = (now - this.lastThrottleAt) / 1000;
        const cubic = SCALE * (sinceThrottle - this.timeWindow) ** 3 + this.lastMaxRate;
        // Never grown past twice what Jelou is accepting now; never cut by a success.
        this.setRate(Math.min(cubic, Math.max(this.rate, 2 * this.successRate(now))));
    }

    private setRate(rate: number): void {
        const now = this.clock.now();
        if (this.limited) this.refill(now);
        else this.lastRefill = now;
        this.rate = Math.min(this.ceiling, Math.max(MIN_RATE, rate));
        this.tokens = Math.min(this.tokens, this.capacity());
    }

    /** One second's worth of requests may go at once. */
    private capacity(): number {
        return Math.max(1, this.rate);
    }

    private refill(now: number): void {
        this.tokens = Math.min(this.capacity(), this.tokens + ((now - this.lastRefill) / 1000) * this.rate);
        this.lastRefill = now;
    }

    /** When the ceiling allows another admission: one second after the `ceiling`-th last one. */
    private ceilingAllowsAt(now: number): number {
        if (this.ceiling === Infinity || this.recent.length < this.ceiling) return now;
        return this.recent[this.recentStart] + 1000;
    }

    private remember(now: number): void {
        if (this.recent.length < this.ceiling) {
            this.recent.push(now);
            return;
        }
        this.recent[this.recentStart] = now;
        this.recentStart = (this.recentStart + 1) % this.recent.length;
    }

    private recentInOrder(): number[] {
        return [...this.recent.slice(this.recentStart), ...this.recent.slice(0, this.recentStart)];
    }

    /** Successes in the last second. */
    private successRate(now: number): number {
        this.advanceSlices(now);
        return this.slices.reduce((sum, count) => sum + count, 0);
    }

    private countSuccess(now: number): void {
        this.advanceSlices(now);
        this.slices[Math.floor(now / SLICE_MS) % SLICES] += 1;
    }

    private advanceSlices(now: number): void {
        const current = Math.floor(now / SLICE_MS);
        for (let slice = Math.max(this.sliceAt + 1, current - SLICES + 1); slice <= current; slice++) this.slices[slice % SLICES] = 0;
        this.sliceAt = Math.max(this.sliceAt, current);
    }

    private wakeAt(at: number): void {
        this.maybeReport(this.clock.now());
        if (this.timer !== undefined && this.timerAt <= at) return;
        if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
        this.timerAt = at;
        this.timer = this.clock.setTimeout(
            () => {
                this.timer = undefined;
                this.timerAt = Infinity;
                this.pump();
            },
            Math.max(0, at - this.clock.now()),
        );
    }

    /** At most one line every REPORT_INTERVAL_MS, and only while throttling holds requests back. */
    private maybeReport(now: number): void {
        const waiting = this.continuing.length + this.fresh.length;
        if (!this.report || !this.limited || waiting === 0 || now - this.lastReportAt < REPORT_INTERVAL_MS) return;
        this.lastReportAt = now;
        const paused =
            this.pausedUntil > now ? `; paused by Retry-After, resuming in ${((this.pausedUntil - now) / 1000).toFixed(1)} s` : "";
        const rate = this.rate >= 10 ? this.rate.toFixed(0) : this.rate.toFixed(1);
        const sentWithinS = Math.ceil(waiting / this.rate + Math.max(0, this.pausedUntil - now) / 1000);
        this.report(
            `pulumi-jelou: ${this.name} is limiting requests (${this.throttledSinceReport} throttled answers since the last note): ` +
                `${waiting} operations waiting, sending about ${rate} requests/s${paused}; these should be sent within about ${sentWithinS} s`,
        );
        this.throttledSinceReport = 0;
    }
}

const governors = new Map<string, Governor>();

/**
 * The account's governor in this host process: one per base URL and credential (hashed). None when
 * JELOU_INTERNAL_NO_GOVERNOR=1, which only `npm run bench` sets, to show what the governor costs.
 */
export function governorFor(
    baseUrl: string,
    credentials: JelouCredentials,
    { maxRequestsPerSecond, report }: { maxRequestsPerSecond?: number; report?: (line: string) => void } = {},
): Governor | undefined {
    if (process.env.JELOU_INTERNAL_NO_GOVERNOR === "1") return undefined;
    const identity = credentials.apiKey ? `key:${credentials.apiKey}` : `client:${credentials.clientId}:${credentials.clientSecret}`;
    const key = `${trimTrailing(baseUrl, "/")} ${createHash("sha256").update(identity).digest("hex")}`;
    let governor = governors.get(key);
    if (!governor) {
        governor = new Governor({ maxRequestsPerSecond, report, name: `Jelou (${hostOf(baseUrl)})` });
        governors.set(key, governor);
    } else {
        governor.lowerCeiling(maxRequestsPerSecond);
    }
    return governor;
}

function hostOf(baseUrl: string): string {
    try {
        return new URL(baseUrl).host;
    } catch {
        return "Jelou";
    }
}
