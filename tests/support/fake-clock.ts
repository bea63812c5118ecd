import { Clock } from "../../provider/api/governor";

/** A clock whose time moves only when told: timers fire in order, with promises settled between them. */
export class FakeClock implements Clock {
    private time = 0;
    private timers: Array<{ at: number; id: number; callback: () => void }> = [];
    private nextId = 1;

    now(): number {
        return this.time;
    }

    setTimeout(callback: () => void, ms: number): unknown {
        const id = this.nextId++;
        this.timers.push({ at: this.time + Math.max(0, ms), id, callback });
        return id;
    }

    clearTimeout(handle: unknown): void {
        this.timers = this.timers.filter((timer) => timer.id !== handle);
    }

    /** Runs timers in time order until none is left or `untilMs` is reached; at most `maxSteps` of them. */
    async run(untilMs = Infinity, maxSteps = 1_000_000): Promise<void> {
        for (let step = 0; step < maxSteps; step++) {
            await settled();
            if (this.timers.length === 0) return;
            let next = this.timers[0];
            for (const timer of this.timers) if (timer.at < next.at || (timer.at === next.at && timer.id < next.id)) next = timer;
            if (next.at > untilMs) {
                this.time = untilMs;
                return;
            }
            this.timers = this.timers.filter((timer) => timer !== next);
            this.time = Math.max(this.time, next.at);
            next.callback();
        }
        throw new Error("the fake clock ran out of steps");
    }
}

/** Lets every pending promise callback run. */
export function settled(): Promise<void> {
    return new Promise((resolve) => setImmediate(resolve));
}
