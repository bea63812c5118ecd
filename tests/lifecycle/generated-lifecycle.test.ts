/**
 * Generated lifecycles (issue 16, "a generator, not a list"): fast-check draws sequences of commands
 * on one stack (create, update that replaces, rotation, in-place update, refresh with detectDrift,
 * destroy), a provider host killed in the middle of a request, a second owner of the project (another
 * stack, or a second resource of the same program), and for every request a hostile server behaviour
 * from the classes in tests/support/hostile-behaviours.ts. Each command runs as the engine runs it (the lifecycle
 * harness: the SDK's dynamic-provider host over gRPC, a new host per command) against the local Jelou
 * behind the hostile gateway. After every command the invariants of the README's "What the provider
 * guarantees" are checked against ground truth: the local Jelou's integrations and request log, the
 * engine's state, and everything the host and the errors said.
 *
 * A command that fails, or whose host was killed, is followed by what a user or a pipeline does next:
 * the same command again (a killed `up` leaves a pending create out of the state, which the harness
 * models by recording nothing), following the command an error names (`adoptExisting: true`,
 * `pulumi refresh` with detectDrift). The invariants that an interruption may break until then
 * (no orphan, no stale secret) are checked after that; the others after every command.
 *
 *   npx jest tests/lifecycle/generated-lifecycle.test.ts                        default run (~50 s; CI)
 *   JELOU_GENERATOR_SCALE=10 npx jest tests/lifecycle/generated-lifecycle.test.ts  ten times the runs
 *   JELOU_GENERATOR_ALL=1      also draw what CLASSES_PENDING_FIX holds back (fails on today's code)
 *   JELOU_GENERATOR_CLASSES=url-forms,field-shapes   draw only these classes (pending or not)
 *   JELOU_GENERATOR_REPORT=1   record violations and go on, then print them with their seed and path
 *   JELOU_GENERATOR_SEED=<n> [JELOU_GENERATOR_PATH=<p>]   replay a run fast-check printed
 *   JELOU_GENERATOR_SHRINK=1   shrink a failure (slow: every command starts a host)
 *
 * Timing is an invariant here, not a benchmark: a command's wall time is bounded by totalTimeoutMs
 * per operation plus a generous allowance for starting a host on a loaded machine, and CPU by the
 * host's own CPU time (/proc/<pid>/stat) and by the longest event-loop delay a probe saw in it.
 */
import { execFileSync } from "child_process";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { API_KEY, OTHER_API_KEY, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";
import {
    Behaviour,
    BEHAVIOUR_CLASSES,
    BehaviourClass,
    behaviourArbitrary,
    behaviourName,
    formatArbitrary,
    FormatBehaviour,
    misbehaviourOf,
    Transport,
} from "../support/hostile-behaviours";
import { Misbehaviour } from "../support/hostile-gateway";
import { HostileGateway } from "../support/hostile-gateway";
import { findLeaks } from "../support/leak-forms";
import { TransportFaults } from "../support/hostile-transport";

const { LifecycleEngine, OUR_TYPE } = require("../../harness/engine");

/**
 * Classes the generator holds back because a known bug still breaks them (with the seed that found
 * it). Empty: every class of issue 16 is drawn, and each of its regression scenarios below failed
 * on 0.2.0's code.
 */
const CLASSES_PENDING_FIX: ReadonlyArray<BehaviourClass | Scenery> = [];

/** Generated parts of a run that are not a server behaviour. */
type Scenery = "stranger-same-webhook" | "second-resource";

const SCALE = Math.max(1, Number(process.env.JELOU_GENERATOR_SCALE ?? "1") || 1);
const ALL = process.env.JELOU_GENERATOR_ALL === "1";
const REPORT = process.env.JELOU_GENERATOR_REPORT === "1";
const RUNS = 3 * SCALE;
const MAX_STEPS = 5;

/** The resource's request settings: small, so that a hostile answer costs seconds, not minutes. */
const TOTAL_TIMEOUT_MS = 4000;
const SETTINGS = { maxAttempts: 3, requestTimeoutMs: 1500, totalTimeoutMs: TOTAL_TIMEOUT_MS, retryBaseDelayMs: 1 };
/** Starting a host, Configure, Check and Diff on a loaded 2-core machine: generous on purpose. */
const COMMAND_ALLOWANCE_MS = 25_000;
/** A host still busy this long after its bound is killed, and the command counts as unbounded. */
const WATCHDOG_GRACE_MS = 15_000;
/**
 * CPU a host may spend per operation, and the longest its event loop may be held by its own work
 * (CPU time between two ticks of a 20 ms timer: scheduling delays on a loaded machine do not count).
 */
const CPU_PER_OPERATION_MS = 5_000;
const LOOP_HELD_MAX_MS = 2_000;

const WEBHOOKS = [
    "https://support.example.com/~team/jelou",
    "https://hooks.example.com/a%2Fb/jelou",
    "https://support.example.com/jelou/v2",
];
const STRANGER_WEBHOOK = "https://other-team.example.com/jelou";
const STRANGER_TOKEN = "marker-strangertoken-6e1f0a9b";
/** An error that names a way out: a command, a setting to change, or that a rerun helps. */
const WAY_OUT = /pulumi (up|refresh|destroy|import|config|stack)\b|adoptExisting|may be retried|run .{0,40} again|check baseUrl/i;
/** An error that names the command restoring an integration it may have left in Jelou without a state. */
const RESTORES_ORPHAN = /pulumi (up|refresh)\b|adoptExisting/;
/** An error that says the request may have been applied. */
const MAY_HAVE_LANDED = /may (exist|have (landed|been applied))/i;

type Change = "none" | "webhook" | "in-place" | "rotate";
interface Server {
    transport: Transport;
    shape: "envelope" | "bare";
    /** The n-th request of the command gets the n-th behaviour; later ones are honest. */
    behaviours: Behaviour[];
}
type Step =
    | { op: "up"; change: Change; server: Server }
    | { op: "refresh"; detectDrift: boolean; server: Server }
    | { op: "destroy"; server: Server }
    | { op: "kill"; during: "up" | "destroy" | "refresh"; change: Change; atRequest: number; applied: boolean }
    | { op: "stranger"; sameWebhook: boolean; dayOld: boolean }
    | { op: "twin"; server: Server };
interface Scenario {
    /**
     * How this run's Jelou writes its answers, per method (a field's precision or form, a URL's
     * spelling): every answer to that method says it so, in every command, retries and reruns included.
     */
    format: Array<{ method: "GET" | "POST" | "PATCH"; behaviour: FormatBehaviour }>;
    steps: Step[];
}

function scenarioArbitrary(enabled: ReadonlyArray<BehaviourClass | Scenery>): fc.Arbitrary<Scenario> {
    const classes = BEHAVIOUR_CLASSES.filter((c) => enabled.includes(c));
    const transports: Transport[] = enabled.includes("transport") ? ["gateway", "tls-self-signed", "refused", "https-proxy"] : ["gateway"];
    const server: fc.Arbitrary<Server> = fc.record({
        transport: fc.oneof(
            { arbitrary: fc.constant<Transport>("gateway"), weight: 6 },
            { arbitrary: fc.constantFrom(...transports), weight: 1 },
        ),
        shape: fc.constantFrom("envelope" as const, "bare" as const),
        behaviours: fc.array(behaviourArbitrary(classes), { maxLength: 4 }),
    });
    const change = fc.constantFrom<Change>("none", "webhook", "in-place", "rotate");
    const steps: Array<fc.Arbitrary<Step>> = [
        fc.record({ op: fc.constant("up" as const), change, server }),
        fc.record({ op: fc.constant("refresh" as const), detectDrift: fc.boolean(), server }),
        fc.record({ op: fc.constant("destroy" as const), server }),
        fc.record({
            op: fc.constant("kill" as const),
            during: fc.constantFrom("up" as const, "destroy" as const, "refresh" as const),
            change,
            atRequest: fc.integer({ min: 0, max: 2 }),
            applied: fc.boolean(),
        }),
        fc.record({ op: fc.constant("stranger" as const), sameWebhook: fc.constant(false), dayOld: fc.boolean() }),
    ];
    if (enabled.includes("stranger-same-webhook"))
        steps.push(fc.record({ op: fc.constant("stranger" as const), sameWebhook: fc.constant(true), dayOld: fc.boolean() }));
    if (enabled.includes("second-resource")) steps.push(fc.record({ op: fc.constant("twin" as const), server }));
    // Every run starts with an up: a stack is created before anything else happens to it.
    return fc
        .tuple(
            formatArbitrary(classes),
            fc.record({ op: fc.constant("up" as const), change: fc.constant<Change>("none"), server }),
            fc.array(fc.oneof(...steps), { maxLength: MAX_STEPS - 1 }),
        )
        .map(([format, first, rest]) => ({ format, steps: [first, ...rest] }));
}

interface Violation {
    invariant:
        | "no orphan"
        | "no stale or lost secret"
        | "no stranger's integration changed"
        | "no secret in clear"
        | "bounded time and CPU"
        | "never stuck";
    detail: string;
    step: number;
    /** The server behaviours drawn for the command where it showed. */
    drawn: string[];
}

class InvariantViolation extends Error {
    constructor(
        readonly violations: Violation[],
        scenario: Scenario,
    ) {
        super(
            `${violations.map((v) => `[${v.invariant}] step ${v.step}: ${v.detail} (drawn: ${v.drawn.join(", ") || "honest"})`).join("\n")}\nscenario: ${JSON.stringify(scenario)}`,
        );
    }
}

const sandbox = useSandbox();
let gateway: HostileGateway;
let transport: TransportFaults;
let template: { registration: Record<string, unknown> };
let probeDir: string;
const figures = {
    runs: 0,
    steps: 0,
    commands: 0,
    commandWallMs: 0,
    hostCpuMs: 0,
    requests: 0,
    kills: 0,
    killsReached: 0,
    drawn: new Map<string, number>(),
    transports: new Map<string, number>(),
    violations: [] as Array<Violation & { seed?: number; path?: string; scenario: string }>,
};
const CLK_TCK = (() => {
    try {
        return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
        return 100;
    }
})();

beforeAll(async () => {
    gateway = await HostileGateway.start(sandbox.url);
    transport = await TransportFaults.start();
    probeDir = fs.mkdtempSync(path.join(os.tmpdir(), "jelou-loop-probe-"));
    // What the program declares, once: later commands change only plain inputs of this registration.
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const spec = { integrations: [{ name: "a", args: argsFor("template", { webhook: 0, rotation: 0, inPlace: false }) }] };
    const registrations = await engine.runProgram("programs/integrations.js", {
        preview: true,
        env: { JELOU_TEST_SPEC: JSON.stringify(spec), JELOU_API_KEY: API_KEY },
        otherOutputs: {},
    });
    template = { registration: registrations.find((r: { type: string }) => r.type === OUR_TYPE) };
});
afterAll(async () => {
    await gateway.stop();
    await transport.stop();
    fs.rmSync(probeDir, { recursive: true, force: true });
    const count = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1]));
    console.log(
        `generated lifecycles: ${JSON.stringify({ ...figures, drawn: undefined, transports: count(figures.transports), violations: figures.violations.length })}\n` +
            `server behaviours drawn (${[...figures.drawn.values()].reduce((a, b) => a + b, 0)}): ${JSON.stringify(count(figures.drawn))}` +
            (figures.violations.length ? `\nviolations:\n${figures.violations.map((v) => JSON.stringify(v)).join("\n")}` : ""),
    );
});

interface Declared {
    webhook: number;
    rotation: number;
    inPlace: boolean;
    adoptExisting?: boolean;
}

function argsFor(
    projectId: string,
    declared: Declared,
    authorization = WEBHOOK_TOKEN,
    webhookUrl = WEBHOOKS[declared.webhook % WEBHOOKS.length],
) {
    return {
        projectId,
        webhookUrl,
        authType: "bearer",
        authorization,
        rotationTriggers: { round: String(declared.rotation) },
        inPlaceUpdates: declared.inPlace,
        adoptExisting: declared.adoptExisting === true,
        ...SETTINGS,
    };
}

/** The registration the program would send for a resource `name` with these arguments. */
function registration(name: string, args: ReturnType<typeof argsFor>) {
    const base = template.registration as { urn: string; name: string; inputs: Record<string, unknown> };
    const inputs = { ...base.inputs };
    for (const [key, value] of Object.entries(args)) {
        // The secret-wrapped authorization keeps its wrapper, with this value.
        const current = inputs[key] as Record<string, unknown> | undefined;
        inputs[key] =
            current && typeof current === "object" && "value" in current && key === "authorization" ? { ...current, value } : value;
    }
    return { ...base, name, urn: base.urn.replace(/::a$/, `::${name}`), inputs };
}

/** One generated run: a project of its own, stack A (the one under test) and, when drawn, stack B. */
class Run {
    readonly project: string;
    readonly a = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR, { parallel: 4 });
    readonly b = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR, { parallel: 4 });
    readonly violations: Violation[] = [];
    declared: Declared = { webhook: 0, rotation: 0, inPlace: false };
    twin = false;
    stranger?: { id: string; signingSecret: string; webhookUrl: string; authType: string; since: number };
    private host?: {
        child: {
            pid: number;
            kill(signal: string): boolean;
            exitCode: number | null;
            signalCode: string | null;
            once(e: string, f: () => void): void;
        };
    };
    private cpuAtStart = new Map<number, number>();
    private configuredAt = new Map<number, number>();
    private cpuUsed = 0;
    private pids: number[] = [];
    private outputSeen = { a: { host: 0, program: 0, errors: 0 }, b: { host: 0, program: 0, errors: 0 } };
    private step = 0;
    private drawn: string[] = [];

    constructor(
        index: number,
        private readonly format: Scenario["format"],
    ) {
        this.project = `gen-${process.pid}-${index}`;
        for (const engine of [this.a, this.b]) {
            engine.hooks = {
                started: (host: NonNullable<Run["host"]>) => {
                    this.host = host;
                    this.pids.push(host.child.pid);
                    this.cpuAtStart.set(host.child.pid, cpuTimeMs(host.child.pid));
                    this.configuredAt.set(host.child.pid, Date.now());
                },
                stopping: (host: NonNullable<Run["host"]>) => {
                    const before = this.cpuAtStart.get(host.child.pid);
                    const now = cpuTimeMs(host.child.pid);
                    if (before !== undefined && now >= 0) this.cpuUsed += now - before;
                },
            };
        }
    }

    violation(invariant: Violation["invariant"], detail: string): void {
        this.violations.push({ invariant, detail, step: this.step, drawn: [...this.drawn] });
    }

    env(server: Pick<Server, "transport">, { detectDrift = false, apiKey = API_KEY } = {}): Record<string, string> {
        const baseUrl = {
            gateway: gateway.url,
            "tls-self-signed": transport.tlsUrl,
            refused: transport.refusedUrl,
            "https-proxy": transport.tlsUrl,
        }[server.transport];
        const proxy = server.transport === "https-proxy" ? transport.proxyUrl : "";
        return {
            JELOU_API_KEY: apiKey,
            JELOU_BASE_URL: baseUrl,
            PULUMI_CONFIG: JSON.stringify(detectDrift ? { "jelou:detectDrift": "true" } : {}),
            HTTPS_PROXY: proxy,
            https_proxy: proxy,
            HTTP_PROXY: "",
            http_proxy: "",
            NO_PROXY: "",
            no_proxy: "",
            ALL_PROXY: "",
            all_proxy: "",
            // Pinned, so that a zone-less time means the same on every machine: Jelou's own zone (UTC-5).
            TZ: "America/Guayaquil",
            NODE_OPTIONS: `--require ${path.join(__dirname, "..", "support", "loop-probe.js")}`,
            JELOU_LOOP_PROBE_DIR: probeDir,
        };
    }

    registrations(): unknown[] {
        const args = argsFor(this.project, this.declared);
        return [registration("a", args), ...(this.twin ? [registration("a-twin", args)] : [])];
    }

    /** Serves the command's requests with the drawn behaviours, in order; later ones honestly. */
    serve(server: Server, record = true): void {
        sandbox.setShape(server.shape);
        let n = 0;
        gateway.setPicker((method) => {
            const behaviour = server.behaviours[n++];
            return behaviour && behaviour.cls !== "honest" ? misbehaviourOf(behaviour, gateway.url) : this.formatted(method);
        });
        if (!record) return;
        this.drawn = [
            ...server.behaviours.map(behaviourName),
            ...(server.transport !== "gateway" ? [`transport:${server.transport}`] : []),
            ...(server.shape === "bare" ? ["shape:bare"] : []),
        ];
        for (const b of server.behaviours) figures.drawn.set(behaviourName(b), (figures.drawn.get(behaviourName(b)) ?? 0) + 1);
        figures.transports.set(server.transport, (figures.transports.get(server.transport) ?? 0) + 1);
    }

    /** This run's Jelou's way of answering `method` (honest when none was drawn). */
    formatted(method: string): Misbehaviour {
        const format = this.format.find((f) => f.method === method);
        return format ? misbehaviourOf(format.behaviour, gateway.url) : { kind: "honest" };
    }

    honest(): Server {
        return { transport: "gateway", shape: "envelope", behaviours: [] };
    }

    /** Runs one command of stack A, bounded by a watchdog; returns its errors. */
    async command(kind: "up" | "destroy" | "refresh", server: Server, { detectDrift = false, operations = 1 } = {}): Promise<string[]> {
        figures.commands += 1;
        const bound = operations * TOTAL_TIMEOUT_MS + COMMAND_ALLOWANCE_MS;
        const requestsBefore = gateway.requests.length;
        this.cpuUsed = 0;
        this.pids = [];
        const started = Date.now();
        let watchdogFired = false;
        const watchdog = setTimeout(() => {
            watchdogFired = true;
            this.killHost();
        }, bound + WATCHDOG_GRACE_MS);
        let errors: string[];
        let abandoned = false;
        let giveUp: NodeJS.Timeout | undefined;
        const run = async (): Promise<string[]> => {
            const env = this.env(server, { detectDrift });
            if (kind === "up") return (await this.a.run("programs/integrations.js", { env, registrations: this.registrations() })).errors;
            if (kind === "destroy") return (await this.a.destroy({ env })).errors;
            try {
                await this.a.refresh({ env });
                return [];
            } catch (error) {
                const message = (error as { details?: string }).details || (error as Error).message;
                this.a.log.errors.push(message);
                return [message];
            }
        };
        try {
            // Even a killed host's call could stay unanswered: the command is abandoned then, and that is a violation too.
            errors = await Promise.race([
                run(),
                new Promise<string[]>((resolve) => {
                    giveUp = setTimeout(
                        () => {
                            abandoned = true;
                            resolve(["interrupted"]);
                        },
                        bound + 2 * WATCHDOG_GRACE_MS,
                    );
                }),
            ]);
        } catch (error) {
            errors = [(error as Error).message];
        } finally {
            clearTimeout(watchdog);
            clearTimeout(giveUp);
            gateway.setPicker(undefined);
        }
        if (abandoned)
            this.violation("bounded time and CPU", `${kind} did not end even ${WATCHDOG_GRACE_MS} ms after its host was killed: abandoned`);
        const elapsed = Date.now() - started;
        figures.commandWallMs += elapsed;
        figures.hostCpuMs += Math.round(this.cpuUsed);
        figures.requests += gateway.requests.length - requestsBefore;
        if (watchdogFired) errors = errors.map(() => "interrupted");
        const reachedJelou = gateway.requests.length > requestsBefore;
        for (const error of errors) {
            if (!reachedJelou && MAY_HAVE_LANDED.test(error))
                this.violation(
                    "never stuck",
                    `nothing reached Jelou (${server.transport}), yet the error says it may have been applied: ${error.slice(0, 300)}`,
                );
        }
        if (watchdogFired)
            this.violation(
                "bounded time and CPU",
                `${kind} was still running ${bound + WATCHDOG_GRACE_MS} ms after it started; its host was killed`,
            );
        else if (elapsed > bound)
            this.violation(
                "bounded time and CPU",
                `${kind} took ${elapsed} ms (bound ${bound} ms: ${operations} x totalTimeoutMs + ${COMMAND_ALLOWANCE_MS} ms to start a host)`,
            );
        if (this.cpuUsed > operations * CPU_PER_OPERATION_MS)
            this.violation("bounded time and CPU", `${kind}'s host used ${this.cpuUsed} ms of CPU`);
        for (const pid of this.pids) {
            const file = path.join(probeDir, String(pid));
            // Loading the SDK at the host's start is the engine's cost, not the provider's: only gaps after Configure count.
            const configuredAt = this.configuredAt.get(pid) ?? 0;
            const gaps = fs.existsSync(file)
                ? fs
                      .readFileSync(file, "utf8")
                      .trim()
                      .split("\n")
                      .map((line) => line.split(" ").map(Number))
                : [];
            const held = Math.max(0, ...gaps.filter(([at, cpu]) => at - cpu >= configuredAt).map(([, cpu]) => cpu));
            if (held > LOOP_HELD_MAX_MS) this.violation("bounded time and CPU", `${kind}'s host held its event loop for ${held} ms of CPU`);
            fs.rmSync(file, { force: true });
        }
        return errors;
    }

    killHost(): void {
        const host = this.host;
        if (host && host.child.exitCode === null && host.child.signalCode === null) host.child.kill("SIGKILL");
    }

    apply(change: Change): void {
        if (change === "webhook") this.declared = { ...this.declared, webhook: this.declared.webhook + 1, inPlace: false };
        if (change === "in-place") this.declared = { ...this.declared, webhook: this.declared.webhook + 1, inPlace: true };
        if (change === "rotate") this.declared = { ...this.declared, rotation: this.declared.rotation + 1 };
    }

    async play(step: Step, index: number): Promise<void> {
        this.step = index;
        this.drawn = [];
        figures.steps += 1;
        switch (step.op) {
            case "up":
            case "twin": {
                if (step.op === "up") this.apply(step.change);
                this.twin = step.op === "twin";
                this.serve(step.server);
                const errors = await this.command("up", step.server, { operations: 2 });
                this.twin = false;
                // The program is fixed (the twin removed) and run again, as a user would.
                await this.settle("up", errors, step.op === "twin");
                return;
            }
            case "refresh": {
                this.serve(step.server);
                const before = new Map([...this.a.state].map(([urn, e]) => [urn, { ...e.outputs }]));
                const heldBefore = sandbox.integration(this.project);
                const errors = await this.command("refresh", step.server, { detectDrift: step.detectDrift });
                if (errors.length === 0) this.checkRefresh(before, heldBefore);
                await this.settle("refresh", errors, false, step.detectDrift);
                return;
            }
            case "destroy": {
                this.serve(step.server);
                const errors = await this.command("destroy", step.server);
                await this.settle("destroy", errors, false);
                return;
            }
            case "kill": {
                figures.kills += 1;
                if (step.during === "up") this.apply(step.change);
                let n = 0;
                let reached = false;
                sandbox.setShape("envelope");
                this.drawn = [`kill:${step.during}:${step.atRequest}:${step.applied ? "applied" : "not-applied"}`];
                gateway.setPicker((method) => {
                    if (n++ !== step.atRequest) return this.formatted(method);
                    reached = true;
                    return { kind: "hold", apply: step.applied, held: () => this.killAndWait() };
                });
                const kind = step.during;
                await this.command(kind, this.honest(), { detectDrift: kind === "refresh", operations: 2 });
                if (reached) figures.killsReached += 1;
                // Errors of a killed host are the engine's, not the provider's: not judged. The engine's next step is.
                this.checkAlways([]);
                await this.settle(kind, reached ? ["interrupted"] : [], false, kind === "refresh");
                return;
            }
            case "stranger": {
                if (this.stranger) return;
                // Another stack declares the same project; it acts with its own key, through an honest gateway.
                const args = argsFor(
                    this.project,
                    { webhook: 0, rotation: 0, inPlace: false },
                    STRANGER_TOKEN,
                    step.sameWebhook ? WEBHOOKS[this.declared.webhook % WEBHOOKS.length] : STRANGER_WEBHOOK,
                );
                sandbox.setShape("envelope");
                this.drawn = [`stranger:${step.sameWebhook ? "same-webhook" : "other-webhook"}${step.dayOld ? ":day-old" : ""}`];
                const env = this.env({ transport: "gateway" }, { apiKey: OTHER_API_KEY });
                await this.b.run("programs/integrations.js", { env, registrations: [registration("b", args)] });
                const [entry] = [...this.b.state.values()];
                const held = sandbox.integration(this.project);
                if (entry && held && entry.outputs.signingSecret === held.signingSecret) {
                    if (step.dayOld) ageIntegration(this.project, entry);
                    const now = sandbox.integration(this.project)!;
                    this.stranger = {
                        id: now.id,
                        signingSecret: now.signingSecret,
                        webhookUrl: now.webhookUrl,
                        authType: now.authType,
                        since: sandbox.requests.length,
                    };
                }
                this.checkAlways([]);
                return;
            }
        }
    }

    private async killAndWait(): Promise<void> {
        const host = this.host;
        if (!host || host.child.exitCode !== null || host.child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => host.child.once("exit", resolve));
        host.child.kill("SIGKILL");
        await exited;
    }

    /**
     * After a command: the invariants that always hold; then, if it failed or was interrupted, the
     * engine's next step (the same command, honestly served, following what an error names) until
     * it succeeds (at most three times); then the invariants that a settled command restores.
     */
    async settle(kind: "up" | "destroy" | "refresh", errors: string[], twinRemoved: boolean, detectDrift = false): Promise<void> {
        const real = errors.filter((e) => e !== "interrupted");
        this.checkAlways(real);
        // A command that failed (not one that was interrupted) may leave an integration no state holds only if its error names the way back.
        if (real.length > 0 && real.length === errors.length && this.orphan() && !real.some((e) => RESTORES_ORPHAN.test(e))) {
            this.violation(
                "no orphan",
                `${kind} failed and left ${this.orphan()} in Jelou with no state, and no error names the command that restores it: ${real.join(" | ").slice(0, 400)}`,
            );
        }
        let pending = errors.length > 0 || twinRemoved;
        for (let attempt = 0; pending && attempt < 3; attempt++) {
            const advice = errors.join("\n");
            if (kind === "up" && /adoptExisting/.test(advice)) {
                // The project has an integration this stack cannot show is its own: with a stranger there, the refusal is the answer.
                if (this.stranger) return this.checkSettled({ refused: true });
                this.declared = { ...this.declared, adoptExisting: true };
            }
            if (/pulumi refresh/.test(advice) && kind !== "refresh") {
                this.serve(this.honest(), false);
                this.checkAlways(await this.command("refresh", this.honest(), { detectDrift: true }));
            }
            this.serve(this.honest(), false);
            errors = await this.command(kind, this.honest(), { detectDrift, operations: 2 });
            this.declared = { ...this.declared, adoptExisting: false };
            this.checkAlways(errors);
            pending = errors.length > 0;
        }
        if (pending) {
            this.violation(
                "never stuck",
                `${kind} still fails after three runs that follow what its errors say: ${errors.join(" | ").slice(0, 600)}`,
            );
            return;
        }
        // A refresh without detectDrift settles nothing: the state is what it was.
        if (kind === "refresh" && !detectDrift) return;
        this.checkSettled({ refused: false });
    }

    /** No stranger's integration changed, no secret in clear, and every error names a way out. */
    checkAlways(errors: string[]): void {
        for (const error of errors) {
            if (!WAY_OUT.test(error)) this.violation("never stuck", `an error names no way out: ${error.slice(0, 400)}`);
        }
        if (this.stranger) {
            const held = sandbox.integration(this.project);
            const s = this.stranger;
            if (
                !held ||
                held.id !== s.id ||
                held.signingSecret !== s.signingSecret ||
                held.webhookUrl !== s.webhookUrl ||
                held.authType !== s.authType
            ) {
                this.violation(
                    "no stranger's integration changed",
                    `the other stack's integration ${s.id} is now ${held ? `${held.id} (secret ${held.signingSecret === s.signingSecret ? "same" : "regenerated"}, webhook ${held.webhookUrl})` : "deleted"}`,
                );
                this.stranger = undefined;
            } else {
                const touched = sandbox.requests
                    .slice(s.since)
                    .filter(
                        (r) =>
                            r.headers["x-api-key"] === API_KEY &&
                            r.path.includes(`/${this.project}`) &&
                            (r.method === "DELETE" || r.method === "PATCH" || r.path.endsWith("/secret/regenerate")),
                    );
                if (touched.some((r) => r.status !== undefined && r.status < 300)) {
                    this.violation(
                        "no stranger's integration changed",
                        `stack A sent ${touched.map((r) => `${r.method} ${r.path}`).join(", ")} while the other stack's integration held the project`,
                    );
                    this.stranger = undefined;
                }
            }
        }
        this.scanForSecrets();
    }

    /** Everything said since the last scan: host output, errors, the program's output, and the checkpoints. */
    scanForSecrets(): void {
        const said: string[] = [];
        for (const [name, engine] of [
            ["a", this.a],
            ["b", this.b],
        ] as const) {
            const seen = this.outputSeen[name];
            said.push(engine.log.host.slice(seen.host), engine.log.program.slice(seen.program), ...engine.log.errors.slice(seen.errors));
            this.outputSeen[name] = { host: engine.log.host.length, program: engine.log.program.length, errors: engine.log.errors.length };
            said.push(JSON.stringify(engine.checkpoint()));
        }
        const secrets = [
            API_KEY,
            OTHER_API_KEY,
            WEBHOOK_TOKEN,
            STRANGER_TOKEN,
            ...gateway.secretsSeen,
            ...sandbox.integrations().map((i) => i.signingSecret),
        ];
        const text = said.join("\n");
        for (const leak of findLeaks(text, secrets)) {
            const line = text.split("\n").find((l) => findLeaks(l, [secrets[leak.secret]]).length > 0) ?? "";
            const which =
                leak.secret < 4
                    ? ["the API key", "the other API key", "the webhook token", "the other stack's token"][leak.secret]
                    : "a signing secret";
            this.violation("no secret in clear", `${which} (${leak.form}) in: ${redactAll(line, secrets).slice(0, 300)}`);
        }
        for (const sighting of transport.proxied.splice(0)) {
            if (sighting.method !== "CONNECT")
                this.violation(
                    "no secret in clear",
                    `the proxy read a ${sighting.method} ${sighting.url} with headers ${Object.keys(sighting.headers).join(", ")}`,
                );
        }
    }

    /**
     * A refresh (detectDrift) reports only what changed in Jelou: when nobody changed the integration
     * since the state's write (Jelou holds the same secret and webhook), it neither drops ours nor
     * reports a changed webhook, which the next up would turn into a replacement and a new secret.
     */
    checkRefresh(before: Map<string, Record<string, unknown>>, heldBefore: ReturnType<typeof sandbox.integration>): void {
        const held = sandbox.integration(this.project);
        if (!held || !heldBefore || held.signingSecret !== heldBefore.signingSecret || held.webhookUrl !== heldBefore.webhookUrl) return;
        for (const [urn, outputs] of before) {
            if (outputs.signingSecret !== held.signingSecret || outputs.webhookUrl !== held.webhookUrl) continue;
            const after = this.a.state.get(urn);
            if (!after)
                this.violation("no orphan", `refresh dropped ${urn.split("::").pop()} from the state, and Jelou still holds it, unchanged`);
            else if (after.outputs.webhookUrl !== outputs.webhookUrl) {
                this.violation(
                    "no stale or lost secret",
                    `refresh reported the webhook changed to ${after.outputs.webhookUrl}; Jelou holds ${held.webhookUrl}, as sent: the next up replaces it for nothing`,
                );
            }
        }
    }

    /** The id of an integration Jelou holds for the project that no state holds (the other stack's excepted). */
    orphan(): string | undefined {
        const held = sandbox.integration(this.project);
        if (!held || (this.stranger && held.id === this.stranger.id)) return undefined;
        const ours = [...this.a.state.values()].some((e: { outputs: { projectId?: string } }) => e.outputs.projectId === this.project);
        return ours ? undefined : held.id;
    }

    /** No orphan, no stale or lost secret: what a command that succeeded leaves. */
    checkSettled({ refused }: { refused: boolean }): void {
        const held = sandbox.integration(this.project);
        const ours = [...this.a.state.values()].filter((e: { outputs: { projectId?: string } }) => e.outputs.projectId === this.project);
        const strangers = held !== undefined && this.stranger !== undefined && held.id === this.stranger.id;
        if (held && !strangers && ours.length === 0)
            this.violation("no orphan", `Jelou holds ${held.id} for ${this.project} and no state does`);
        for (const entry of ours) {
            const what = `state's ${entry.name} (${entry.id})`;
            if (entry.outputs.createPending)
                this.violation("no stale or lost secret", `${what} is still partially created after a command that succeeded`);
            else if (!held)
                this.violation("no stale or lost secret", `${what} holds a secret, and Jelou has no integration for ${this.project}`);
            else if (strangers) this.violation("no stale or lost secret", `${what} is the other stack's integration`);
            else if (entry.outputs.signingSecret !== held.signingSecret)
                this.violation("no stale or lost secret", `${what} holds a secret that is not the one Jelou holds now`);
        }
        if (refused && ours.some((e: { outputs: { createPending?: boolean } }) => !e.outputs.createPending) && strangers) {
            this.violation("no stale or lost secret", "stack A holds a record of the project the other stack owns");
        }
    }

    /** At the end: the stack is brought up and destroyed honestly, and nothing may be left. */
    async finish(): Promise<void> {
        this.step = -1;
        this.drawn = ["finish"];
        this.serve(this.honest());
        await this.settle("up", await this.command("up", this.honest(), { operations: 2 }), false);
        this.serve(this.honest());
        await this.settle("destroy", await this.command("destroy", this.honest()), false);
        const held = sandbox.integration(this.project);
        if (this.a.state.size > 0) this.violation("never stuck", `destroy left ${this.a.state.size} resource(s) in the state`);
        if (held && !(this.stranger && held.id === this.stranger.id))
            this.violation("no orphan", `after destroy, Jelou still holds ${held.id} for ${this.project}`);
    }

    async cleanUp(): Promise<void> {
        if (this.b.state.size > 0)
            await this.b.destroy({ env: this.env({ transport: "gateway" }, { apiKey: OTHER_API_KEY }) }).catch(() => undefined);
        if (sandbox.integration(this.project)) {
            await fetch(`${sandbox.url}/v1/external-support/${this.project}`, { method: "DELETE", headers: { "x-api-key": API_KEY } });
        }
    }
}

/** Makes the other stack's integration a day old, in the local Jelou and in that stack's state alike. */
function ageIntegration(projectId: string, entry: { outputs: Record<string, unknown> }): void {
    const store = (sandbox as unknown as { api: { store: Map<string, { createdAt: string }> } }).api.store;
    const integration = store.get(projectId)!;
    integration.createdAt = new Date(Date.parse(integration.createdAt) - 86_400_000).toISOString();
    entry.outputs.createdAt = integration.createdAt;
}

/** The host's CPU time (user + system) in ms, or -1 once it has exited. */
function cpuTimeMs(pid: number): number {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
    } catch {
        return -1;
    }
}

function redactAll(text: string, secrets: string[]): string {
    return secrets.reduce((t, s) => t.split(s).join("[secret]"), text);
}

let runIndex = 0;
async function playScenario(scenario: Scenario, meta: { seed?: number; path?: string } = {}): Promise<void> {
    const run = new Run(runIndex++, scenario.format ?? []);
    figures.runs += 1;
    for (const f of scenario.format ?? []) {
        const name = `format:${f.method}:${behaviourName(f.behaviour)}`;
        figures.drawn.set(name, (figures.drawn.get(name) ?? 0) + 1);
    }
    gateway.reset();
    try {
        for (const [index, step] of scenario.steps.entries()) {
            await run.play(step, index);
            if (run.violations.length > 0) break;
        }
        if (run.violations.length === 0) await run.finish();
    } finally {
        gateway.reset();
        await run.cleanUp();
    }
    if (run.violations.length > 0) {
        for (const v of run.violations) figures.violations.push({ ...v, ...meta, scenario: JSON.stringify(scenario) });
        if (!REPORT) throw new InvariantViolation(run.violations, scenario);
    }
}

/**
 * Failures found, kept as explicit scenarios (the seed that found each is noted). A scenario whose
 * class is still in CLASSES_PENDING_FIX is skipped until the fix is merged.
 */
const HONEST: Server = { transport: "gateway", shape: "envelope", behaviours: [] };
const up = (...behaviours: Behaviour[]): Step => ({ op: "up", change: "none", server: { ...HONEST, behaviours } });
const REGRESSIONS: Array<{ name: string; needs: BehaviourClass | Scenery; scenario: Scenario }> = [
    {
        // Seeds name runs of the exploration with JELOU_GENERATOR_ALL=1 JELOU_GENERATOR_REPORT=1, made while
        // the generator's arbitrary was still changing: the explicit scenarios are what replays.
        // seed 16016 path 4: "Cannot convert object to primitive value", and the applied create recorded nowhere.
        name: "an applied create answered 500 {message:[{toString:1}]}",
        needs: "error-bodies",
        scenario: { format: [], steps: [up({ cls: "error-bodies", status: 500, apply: true, body: { shape: "to-string-trap" } })] },
    },
    {
        name: "a create refused 422 {message:[{toString:1}]} keeps its status and guidance",
        needs: "error-bodies",
        scenario: { format: [], steps: [up({ cls: "error-bodies", status: 422, apply: false, body: { shape: "to-string-trap" } })] },
    },
    {
        name: "an applied create answered 500 with a message nested 200,000 deep",
        needs: "error-bodies",
        scenario: {
            format: [],
            steps: [up({ cls: "error-bodies", status: 500, apply: true, body: { shape: "deep", depth: 200_000, of: "arrays" } })],
        },
    },
    {
        name: "a create refused 422 with 12,000 short messages",
        needs: "error-bodies",
        scenario: {
            format: [],
            steps: [up({ cls: "error-bodies", status: 422, apply: false, body: { shape: "many-messages", count: 12_000 } })],
        },
    },
    {
        // seed 16016 path 6 met it with more around it.
        name: "a create answered 500 with 50,000 `<`",
        needs: "backtracking",
        scenario: { format: [], steps: [up({ cls: "backtracking", status: 500, apply: false, text: "lt-50k" })] },
    },
    {
        // seed 16016 paths 1 and 10 met the 307 and 308.
        name: "an applied create answered 303",
        needs: "redirects",
        scenario: { format: [], steps: [up({ cls: "redirects", status: 303, apply: true, to: "elsewhere" })] },
    },
    {
        name: "a rotation whose regenerate was applied and answered 500 quoting the new secret",
        needs: "applied-then-failed",
        scenario: {
            format: [],
            steps: [
                up(),
                {
                    op: "up",
                    change: "rotate",
                    server: {
                        ...HONEST,
                        behaviours: [
                            { cls: "honest" },
                            ...Array.from({ length: 3 }, (): Behaviour => ({ cls: "applied-then-failed", form: "quote-secret" })),
                        ],
                    },
                },
            ],
        },
    },
    {
        name: "a create through a TLS listener with a self-signed certificate",
        needs: "transport",
        scenario: {
            format: [],
            steps: [{ op: "up", change: "none", server: { transport: "tls-self-signed", shape: "envelope", behaviours: [] } }],
        },
    },
    {
        name: "createdAt with milliseconds in the create answer and in whole seconds in the GET envelope, then destroy",
        needs: "field-shapes",
        scenario: {
            format: [{ method: "GET", behaviour: { cls: "field-shapes", form: "createdAt-seconds" } }],
            steps: [up(), { op: "destroy", server: HONEST }],
        },
    },
    {
        name: "a GET whose createdAt has no zone, then destroy",
        needs: "field-forms",
        scenario: {
            format: [{ method: "GET", behaviour: { cls: "field-forms", form: "createdAt-no-zone" } }],
            steps: [up(), { op: "destroy", server: HONEST }],
        },
    },
    {
        name: "a GET whose createdAt is epoch milliseconds, then destroy",
        needs: "field-forms",
        scenario: {
            format: [{ method: "GET", behaviour: { cls: "field-forms", form: "createdAt-epoch-ms" } }],
            steps: [up(), { op: "destroy", server: HONEST }],
        },
    },
    {
        name: "Jelou spells the stored webhook's ~ as %7E, and a refresh detects drift",
        needs: "url-forms",
        scenario: {
            format: [{ method: "GET", behaviour: { cls: "url-forms", form: "tilde-encoded" } }],
            steps: [up(), { op: "refresh", detectDrift: true, server: HONEST }],
        },
    },
    {
        name: "another stack's day-old integration with our webhook, and our create answered 503 (not applied) then 409",
        needs: "stranger-same-webhook",
        scenario: {
            format: [],
            steps: [
                { op: "stranger", sameWebhook: true, dayOld: true },
                up({ cls: "rate-limits", status: 503, retryAfter: "0", apply: false }),
            ],
        },
    },
    {
        // seed 16016 path 3 (the second one's create through a self-signed TLS listener) and path 6.
        name: "two resources of one program name the same project; the second's create is answered 503 (not applied), then 409",
        needs: "second-resource",
        scenario: {
            format: [],
            steps: [
                up(),
                { op: "twin", server: { ...HONEST, behaviours: [{ cls: "rate-limits", status: 503, retryAfter: "0", apply: false }] } },
            ],
        },
    },
];

const EVERY_CLASS: ReadonlyArray<BehaviourClass | Scenery> = [...BEHAVIOUR_CLASSES, "stranger-same-webhook", "second-resource"];
/** JELOU_GENERATOR_CLASSES=a,b draws only these (the honest server and the lifecycle steps always). */
const ONLY = process.env.JELOU_GENERATOR_CLASSES?.split(",")
    .map((c) => c.trim())
    .filter(Boolean);
if (ONLY)
    for (const c of ONLY)
        if (!EVERY_CLASS.includes(c as BehaviourClass))
            throw new Error(`JELOU_GENERATOR_CLASSES: unknown class ${c} (one of ${EVERY_CLASS.join(", ")})`);
const enabled = ONLY
    ? EVERY_CLASS.filter((c) => ONLY.includes(c))
    : ALL
      ? EVERY_CLASS
      : EVERY_CLASS.filter((c) => !CLASSES_PENDING_FIX.includes(c));

it(
    `generated lifecycles keep every invariant after every step (${RUNS} runs of up to ${MAX_STEPS} steps)`,
    async () => {
        const seed = process.env.JELOU_GENERATOR_SEED !== undefined ? Number(process.env.JELOU_GENERATOR_SEED) : undefined;
        const replayPath = process.env.JELOU_GENERATOR_PATH;
        const baseSeed = seed ?? Date.now() ^ (Math.random() * 0x100000000);
        let index = 0;
        await fc.assert(
            fc.asyncProperty(scenarioArbitrary(enabled), async (scenario) => {
                const runPath = replayPath ?? String(index++);
                await playScenario(scenario, { seed: baseSeed, path: runPath });
            }),
            {
                numRuns: replayPath ? 1 : RUNS,
                seed: baseSeed,
                ...(replayPath ? { path: replayPath } : {}),
                endOnFailure: process.env.JELOU_GENERATOR_SHRINK !== "1",
            },
        );
    },
    600_000 * SCALE,
);

/**
 * `npm test` runs the suite in three legs (scripts/matrix.js) that differ in Node, SDK and package
 * manager, none of which these scenarios are about: they run in the first leg (and in plain jest),
 * which keeps the generator's share of `npm test` within its budget.
 */
const REGRESSION_LEG = process.env.JELOU_MATRIX_NODE_MAJOR === undefined || process.env.JELOU_MATRIX_NODE_MAJOR === "20";

describe("regressions", () => {
    for (const { name, needs, scenario } of REGRESSIONS) {
        const pending = !ALL && !ONLY?.includes(needs) && CLASSES_PENDING_FIX.includes(needs);
        (pending || !REGRESSION_LEG ? it.skip : it)(`${name} (${needs})`, () => playScenario(scenario), 300_000);
    }
});
