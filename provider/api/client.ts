import axios, { AxiosError, AxiosInstance, AxiosResponse } from "axios";
import { setTimeout as sleep } from "timers/promises";
import { AnswerKind, AnswerReading, CreatedIntegration, IssuedSecret, Parsed, readAnswer, RemoteIntegration } from "./answers";
import {
    connectionError,
    errorFromResponse,
    JelouError,
    JelouTimeoutError,
    JelouUnusableAnswerError,
    makeRedactor,
    NO_CREDENTIALS_HELP,
    Redactor,
} from "./errors";
import { Governor, Permit } from "./governor";
import {
    AttemptOutcome,
    attemptOutcome,
    callOutcome,
    CallKind,
    CERTIFICATE_FAILURES,
    FailedAttempt,
    isThrottling,
    PROXY_REFUSED,
    retryAfterMs,
    RetrySchedule,
} from "./retry-policy";
import { AuthType, JelouCredentials, RequestSettings } from "./types";
import { baseUrlProblem, CONNECTION_SETTINGS } from "./settings";
import { trimTrailing } from "./text";

/** The defaults of the settings that have one (a known rate limit has none), from the table in settings.ts. */
export const REQUEST_DEFAULTS: Required<Omit<RequestSettings, "maxRequestsPerSecond">> = {
    maxAttempts: CONNECTION_SETTINGS.maxAttempts.defaultValue,
    requestTimeoutMs: CONNECTION_SETTINGS.requestTimeoutMs.defaultValue,
    totalTimeoutMs: CONNECTION_SETTINGS.totalTimeoutMs.defaultValue,
    retryBaseDelayMs: CONNECTION_SETTINGS.retryBaseDelayMs.defaultValue,
};

/** Jelou answers are small; anything larger is not Jelou. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface JelouClientOptions extends JelouCredentials, RequestSettings {
    baseUrl: string;
    /** Values to redact from anything the API echoes, besides the credentials (e.g. the webhook's authorization). */
    redact?: ReadonlyArray<string | undefined>;
    /** What a 401 or 403 says about the credentials: where they came from and what to change. */
    credentialsHint?: string;
    /** Told of every retry (for logs and tests); never given a header or a body. */
    onRetry?: (retry: RetryEvent) => void;
    /**
     * The account's governor (governor.ts): every attempt waits for its turn and tells it how it was
     * answered. Without one, a throttled attempt counts in maxAttempts and waits its backoff like any other.
     */
    governor?: Governor;
}

export interface RetryEvent {
    method: string;
    path: string;
    attempt: number;
    status?: number;
    code?: string;
    /** A throttled attempt retried through the governor, which reports throttling itself. */
    throttled?: boolean;
}

export interface IntegrationFields {
    webhookUrl?: string;
    authType?: AuthType;
    authorization?: string;
}

/** Set on an attempt's error when the operation's own deadline, not the attempt's, cut it. */
const DEADLINE_CODE = "ERR_OPERATION_DEADLINE";
const ATTEMPT_TIMEOUT_CODE = "ETIMEDOUT";

/**
 * A client for `/v1/external-support`, for one provider operation: build one per operation. The
 * provider is serialized into state and must capture no client, no connection and no credential.
 *
 * Time is bounded twice: each attempt has `requestTimeoutMs` over the whole exchange (connect,
 * headers and body, so a trickled body cannot stretch it), and everything the operation does with
 * this client, retries and recovery included, ends by `totalTimeoutMs` after the client was built.
 */
export class JelouClient {
    private readonly http: AxiosInstance;
    private readonly redactor: Redactor;
    private readonly settings: typeof REQUEST_DEFAULTS;
    private readonly startedAt = Date.now();
    private readonly operation: AbortSignal;
    /** Whether this operation has sent a request: its next ones go before other operations' first. */
    private started = false;

    constructor(private readonly options: JelouClientOptions) {
        const problem = baseUrlProblem(options.baseUrl);
        if (problem) throw new JelouError(problem);
        this.settings = {
            maxAttempts: options.maxAttempts ?? REQUEST_DEFAULTS.maxAttempts,
            requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_DEFAULTS.requestTimeoutMs,
            totalTimeoutMs: options.totalTimeoutMs ?? REQUEST_DEFAULTS.totalTimeoutMs,
            retryBaseDelayMs: options.retryBaseDelayMs ?? REQUEST_DEFAULTS.retryBaseDelayMs,
        };
        this.operation = AbortSignal.timeout(this.settings.totalTimeoutMs);
        this.redactor = makeRedactor([options.apiKey, options.clientSecret, basicToken(options), ...(options.redact ?? [])]);
        this.http = axios.create({
            baseURL: this.apiUrl,
            headers: { ...authHeaders(options), "content-type": "application/json", "user-agent": "pulumi-jelou" },
            // A redirect would carry x-api-key to wherever it points; refuse them all.
            maxRedirects: 0,
            maxContentLength: MAX_RESPONSE_BYTES,
            // Plain http: is allowed for loopback only; a proxy from the environment would see x-api-key in clear.
            // (A proxy for https: sees only CONNECT, so it stays as configured.)
            ...(new URL(options.baseUrl).protocol === "http:" ? { proxy: false as const } : {}),
            transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
        });
    }

    /** Everything before the project id in every URL called. */
    get apiUrl(): string {
        return `${trimTrailing(this.options.baseUrl, "/")}/v1/external-support`;
    }

    /** The URL actually called for an API path, as error messages show it. */
    private urlOf(path: string): string {
        return `${this.apiUrl}${path.slice("/v1/external-support".length)}`;
    }

    /** Milliseconds left before the operation's deadline (`totalTimeoutMs`). */
    remainingMs(): number {
        return Math.max(0, this.settings.totalTimeoutMs - (Date.now() - this.startedAt));
    }

    /** Redacts every credential and secret this client knows of; for messages built from Jelou's answers. */
    redact(text: string): string {
        return this.redactor(text);
    }

    /** POST /{projectId}: creates the integration; a usable answer holds its id and signing secret. */
    async create(projectId: string, fields: IntegrationFields): Promise<CreatedIntegration> {
        return this.call("create", "create", "POST", projectId, projectPath(projectId), fields);
    }

    /** GET /{projectId}: the project's integration, without its secret; fields it does not say are undefined. */
    async get(projectId: string): Promise<RemoteIntegration> {
        return this.call("get", "idempotent", "GET", projectId, projectPath(projectId));
    }

    /** PATCH /{projectId}: changes only the fields sent. */
    async update(projectId: string, fields: IntegrationFields): Promise<RemoteIntegration> {
        return this.call("update", "idempotent", "PATCH", projectId, projectPath(projectId), fields);
    }

    async delete(projectId: string): Promise<void> {
        await this.call("delete", "idempotent", "DELETE", projectId, projectPath(projectId));
    }

    /** Retried like an idempotent call: each answer invalidates the previous secret, and the last one wins. */
    async regenerateSecret(projectId: string): Promise<IssuedSecret> {
        return this.call("regenerate", "idempotent", "POST", projectId, `${projectPath(projectId)}/secret/regenerate`);
    }

    /**
     * One call, attempt after attempt: wait for the governor's turn, send with the attempt's own time
     * limit, read the answer; after a failure, retry-policy.ts says whether and when to send again.
     */
    private async call<K extends AnswerKind>(
        answer: K,
        kind: CallKind,
        method: string,
        projectId: string,
        url: string,
        body?: IntegrationFields,
    ): Promise<Parsed<K>> {
        const path = `/v1/external-support${url}`;
        const attempts: AttemptOutcome[] = [];
        const governor = this.options.governor;
        const schedule = new RetrySchedule(this.settings, kind, governor !== undefined);
        for (let attempt = 1; ; attempt++) {
            if (this.operation.aborted) throw this.deadlineError(method, path, attempts);
            const permit = governor ? await this.turn(governor, method, path, attempts) : undefined;
            let response: AxiosResponse | undefined;
            let error: AxiosError | undefined;
            try {
                response = await this.http.request({ method, url, data: body, signal: this.attemptSignal() });
            } catch (thrown) {
                const labelled = this.labelAbort(thrown);
                if (!(labelled instanceof AxiosError)) {
                    permit?.release(undefined);
                    throw this.toJelouError(labelled, method, path, attempts);
                }
                error = labelled;
            }
            const answered = error ? describeAttempt(error) : undefined;
            permit?.release(
                error && !error.response
                    ? undefined
                    : { throttled: !!answered && isThrottling(answered), retryAfterMs: answered?.retryAfterMs },
            );
            // An HTTPS_PROXY's own answer is never Jelou's, whatever its status.
            const refusal = this.proxyRefusal(response ?? error?.response);
            if (refusal) [response, error] = [undefined, refusal];

            if (response) {
                const reading = aboutProject(this.screen(readAnswer(answer, response.data)), projectId);
                if (reading.usable) return reading.value;
                attempts.push(attemptOutcome({ status: response.status, unusable: true }));
                throw new JelouUnusableAnswerError(
                    `Jelou API ${method} ${this.apiUrl}${url} answered ${response.status} with ${this.redact(reading.reason)}, ` +
                        "which cannot be used as Jelou's answer. The call may be retried (run `pulumi up` again).",
                    { status: response.status, method, path, said: reading.said },
                ).withOutcome(callOutcome(attempts));
            }

            const failed = describeAttempt(error!);
            attempts.push(attemptOutcome(failed));
            const next = failed.code === DEADLINE_CODE ? { retry: false as const } : schedule.after(failed);
            // Past the operation's deadline (a long Retry-After included), fail now with the real error.
            const waitMs = !next.retry ? 0 : next.throttled ? governor!.resumesAt() - Date.now() : next.waitMs;
            if (!next.retry || waitMs >= this.remainingMs()) throw this.toJelouError(error, method, path, attempts);
            this.options.onRetry?.({
                method,
                path,
                attempt: attempt + 1,
                status: failed.status,
                code: failed.code,
                throttled: next.throttled,
            });
            // A throttled retry waits for the governor's turn at the top of the loop.
            if (!next.throttled) await this.pause(next.waitMs, method, path, attempts);
        }
    }

    /** Waits for the governor's turn; the operation's deadline while waiting means nothing was sent. */
    private async turn(governor: Governor, method: string, path: string, attempts: AttemptOutcome[]): Promise<Permit> {
        try {
            const permit = await governor.admit({ continuing: this.started, signal: this.operation });
            this.started = true;
            return permit;
        } catch {
            throw this.deadlineError(method, path, attempts, true);
        }
    }

    /** The backoff before the next attempt, cut short only by the operation's deadline. */
    private async pause(ms: number, method: string, path: string, attempts: AttemptOutcome[]): Promise<void> {
        try {
            await sleep(ms, undefined, { signal: this.operation });
        } catch {
            throw this.deadlineError(method, path, attempts);
        }
    }

    /** Server-chosen fields go to plain state: one that holds a credential or secret makes the answer unusable. */
    private screen<K extends AnswerKind>(reading: AnswerReading<K>): AnswerReading<K> {
        const said = reading.usable ? (reading.value as RemoteIntegration | undefined) : reading.said;
        const leaking = Object.entries(said ?? {}).filter(
            ([key, value]) => key !== "signingSecret" && typeof value === "string" && this.redact(value) !== value,
        );
        if (leaking.length === 0) return reading;
        return { usable: false, reason: `a ${leaking.map(([key]) => key).join(" and ")} holding a credential`, said: {} };
    }

    /** One attempt's signal: its own time limit, within what is left of the operation's. */
    private attemptSignal(): AbortSignal {
        const attempt = AbortSignal.timeout(Math.max(1, Math.min(this.settings.requestTimeoutMs, this.remainingMs())));
        return AbortSignal.any([this.operation, attempt]);
    }

    /**
     * An answer to an https: call that did not come over TLS was written by the HTTPS_PROXY in answer to
     * CONNECT (the tunnelling agent hands it on as the response): Jelou never saw the request. Rejected
     * as a failure with no response, whatever its status and body say.
     */
    private proxyRefusal(response: AxiosResponse | undefined): AxiosError | undefined {
        if (!response || !this.apiUrl.startsWith("https:")) return undefined;
        const socket = (response.request as { socket?: { encrypted?: boolean } } | undefined)?.socket;
        if (!socket || socket.encrypted === true) return undefined;
        return new AxiosError(`the proxy answered ${Number(response.status)} itself`, PROXY_REFUSED, response.config, response.request);
    }

    /** axios reports either abort as ERR_CANCELED; say which limit it was. */
    private labelAbort(error: unknown): unknown {
        if (error instanceof AxiosError && (error.code === "ERR_CANCELED" || axios.isCancel(error))) {
            const labelled = new AxiosError(
                error.message,
                this.operation.aborted ? DEADLINE_CODE : ATTEMPT_TIMEOUT_CODE,
                error.config,
                error.request,
            );
            return labelled;
        }
        return error;
    }

    private deadlineError(method: string, path: string, attempts: AttemptOutcome[], waitingForTurn = false): JelouError {
        const why = waitingForTurn
            ? ", while it waited for its turn: Jelou has been limiting this account's requests and others went first " +
              "(set maxRequestsPerSecond if the account's limit is known, or lower `pulumi up --parallel`)"
            : "";
        return new JelouTimeoutError(
            `Jelou API ${method} ${this.urlOf(path)} was not completed within totalTimeoutMs (${this.settings.totalTimeoutMs} ms), ` +
                `the limit of the whole operation with its retries${why}. Run it again, or raise totalTimeoutMs.`,
            { method, path, code: DEADLINE_CODE },
        ).withOutcome(callOutcome(attempts));
    }

    /** Never rethrows the HTTP library's error: it carries the request headers. */
    private toJelouError(error: unknown, method: string, path: string, attempts: AttemptOutcome[]): JelouError {
        if (error instanceof JelouError) return error;
        if (!(error instanceof AxiosError)) {
            return new JelouError(`Jelou API ${method} ${path} failed: ${this.redact(String((error as Error)?.message ?? error))}`, {
                method,
                path,
            }).withOutcome(callOutcome(attempts));
        }
        if (error.code === DEADLINE_CODE) return this.deadlineError(method, path, attempts);
        let result: JelouError;
        if (error.response && error.response.status >= 300 && error.response.status < 400) {
            result = new JelouError(
                `Jelou API ${method} ${this.urlOf(path)} answered with a redirect ` +
                    `(${error.response.status}); redirects are refused so that credentials are never sent elsewhere: ` +
                    `check baseUrl (now ${this.options.baseUrl}), the part before /v1/external-support.`,
                { status: error.response.status, method, path },
            );
        } else if (error.response && error.response.status < 300) {
            // Headers said success, then the body was cut off (reset, or shorter than its Content-Length).
            result = new JelouUnusableAnswerError(
                `Jelou API ${method} ${this.urlOf(path)} answered ${error.response.status} ` +
                    "but the body was cut off, which cannot be used as Jelou's answer. The call may be retried (run `pulumi up` again).",
                { status: error.response.status, method, path },
            );
        } else if (error.response) {
            result = errorFromResponse(error.response.status, method, path, error.response.data, this.redactor, {
                url: this.urlOf(path),
                baseUrl: this.options.baseUrl,
                credentialsHint: this.options.credentialsHint,
            });
        } else {
            const code = error.code ?? "ERR_NETWORK";
            const what =
                code === PROXY_REFUSED
                    ? `${error.message} instead of tunnelling to Jelou, so nothing reached Jelou: check HTTPS_PROXY (or list Jelou's host in NO_PROXY)`
                    : CERTIFICATE_FAILURES.has(code)
                      ? "Jelou's TLS certificate was not accepted, so nothing was sent: check that baseUrl " +
                        `(now ${this.options.baseUrl}) is Jelou's address (a gateway with its own certificate authority needs it in NODE_EXTRA_CA_CERTS), ` +
                        "and once that is fixed, `pulumi up` sends it"
                      : describeNetworkFailure(error.code, this.settings.requestTimeoutMs);
            result = connectionError(method, path, code, what, this.urlOf(path), !CERTIFICATE_FAILURES.has(code));
        }
        return result.withOutcome(callOutcome(attempts));
    }
}

/**
 * An answer whose brainId names another project is not an answer about ours: it cannot say that
 * ours exists, is ours, or holds the secret it carries.
 */
function aboutProject<K extends AnswerKind>(reading: AnswerReading<K>, projectId: string): AnswerReading<K> {
    const said = reading.usable ? (reading.value as RemoteIntegration | undefined) : reading.said;
    if (said?.brainId === undefined || said.brainId === projectId) return reading;
    return { usable: false, reason: "a brainId that names another project", said: {} };
}

function describeAttempt(error: AxiosError): FailedAttempt {
    if (!error.response && error.code === undefined) return { code: "ERR_NETWORK" };
    const header = error.response?.headers?.["retry-after"];
    return {
        status: error.response?.status,
        code: error.code,
        retryAfterMs: retryAfterMs(header),
    };
}

function describeNetworkFailure(code: string | undefined, requestTimeoutMs: number): string {
    switch (code) {
        case "ECONNREFUSED":
            return "connection refused (is baseUrl right, and is Jelou reachable?)";
        case "ETIMEDOUT":
        case "ECONNABORTED":
            return `no whole answer within requestTimeoutMs (${requestTimeoutMs} ms)`;
        case "ECONNRESET":
            return "the connection was dropped before the whole answer";
        case "ERR_BAD_RESPONSE":
            return "the answer was cut off, malformed, or larger than 1 MiB";
        case "ENOTFOUND":
            return "the host of baseUrl was not found";
        default:
            return "network error";
    }
}

function projectPath(projectId: string): string {
    // URL parsers resolve "." and ".." even percent-encoded: they would address another endpoint.
    if (projectId === "." || projectId === "..") throw new JelouError(`projectId "${projectId}" cannot be used in a URL path.`);
    return `/${encodeURIComponent(projectId)}`;
}

/** base64(clientId:clientSecret), when those are the credentials in use. */
function basicToken(credentials: JelouCredentials): string | undefined {
    if (credentials.apiKey) return undefined;
    if (credentials.clientId && credentials.clientSecret) {
        return Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString("base64");
    }
    return undefined;
}

/** The header that authenticates to Jelou; an API key wins over a client id and secret when both are given. */
export function authHeaders(credentials: JelouCredentials): Record<string, string> {
    if (credentials.apiKey) return { "x-api-key": credentials.apiKey };
    const basic = basicToken(credentials);
    if (basic) return { authorization: `Basic ${basic}` };
    throw new JelouError(`No Jelou credentials. ${NO_CREDENTIALS_HELP}`);
}
