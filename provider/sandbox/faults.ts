/**
 * Faults the local Jelou can inject. `-after` faults let the request take effect and then lose
 * the answer: the ambiguous failures a client must recover from without losing a secret.
 */
export type Fault =
    | { kind: "status"; status: number; retryAfter?: string }
    | { kind: "status-after"; status: number }
    | { kind: "hang" }
    | { kind: "drop" }
    | { kind: "drop-after" };

export interface RandomFaults {
    /** Share of requests that fail, from 0 to 1. */
    rate: number;
    /** Seed of the generator, so a run can be repeated. */
    seed: number;
    /** Faults drawn from, with equal chance. */
    faults: Fault[];
}

/** Decides the fault (if any) of each request: queued faults first, then random ones. */
export class FaultPlan {
    private queued: Fault[] = [];
    private random?: { rate: number; faults: Fault[]; next: () => number };

    queue(fault: Fault, count: number): void {
        for (let i = 0; i < count; i++) this.queued.push(fault);
    }

    setRandom(random: RandomFaults | undefined): void {
        this.random = random && { rate: random.rate, faults: random.faults, next: mulberry32(random.seed) };
    }

    clear(): void {
        this.queued = [];
        this.random = undefined;
    }

    next(): Fault | undefined {
        const queued = this.queued.shift();
        if (queued) return queued;
        if (!this.random || this.random.faults.length === 0) return undefined;
        if (this.random.next() >= this.random.rate) return undefined;
        return this.random.faults[Math.floor(this.random.next() * this.random.faults.length)];
    }
}

/** A small seeded generator (public-domain mulberry32): the same seed gives the same faults. */
export function mulberry32(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export function describeFault(fault: Fault): string {
    return "status" in fault ? `${fault.kind}:${fault.status}` : fault.kind;
}
