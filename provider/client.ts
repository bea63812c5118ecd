import axios, { AxiosError, CreateAxiosDefaults } from "axios";
import axiosRetry, { retryAfter } from "axios-retry";
import { connectionError, errorFromResponse, JelouError, makeRedactor, NO_CREDENTIALS_HELP, Redactor } from "./errors";
import { attemptOutcome, CallKind, FailedAttempt, shouldRetry } from "./retry-policy";
import { AuthType, JelouCredentials, JelouIntegration, RequestSettings } from "./types";
import { baseUrlProblem } from "./validation";

export const REQUEST_DEFAULTS: Required<RequestSettings> = {
    maxAttempts: 4,
    requestTimeoutMs: 30_000,
    totalTimeoutMs: 120_000,
    retryBaseDelayMs: 250,
};

/** Jelou answers are small; anything larger is not Jelou. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface JelouClientOptions extends JelouCredentials, RequestSettings {
    baseUrl: string;
    /** Values to redact from anything the API echoes, besides the credentials (e.g. the webhook's authorization). */
    redact?: ReadonlyArray<string | undefined>;
    /** Told of every retry (for logs and tests); never given a header or a body. */
    onRetry?: (retry: RetryEvent) => void;
}

export interface RetryEvent {
    method: string;
    path: string;
    attempt: number;
    status?: number;
    code?: string;
}

export interface IntegrationFields {
    webhookUrl?: string;
    authType?: AuthType;
    authorization?: string;
}

/**
 * A client for `/v1/external-support`. Build one per operation: the provider is serialized into
 * state and must capture no client, no connection and no credential.
 */
export class JelouClient {
    private readonly axiosConfig: CreateAxiosDefaults;
    private readonly redactor: Redactor;
    private readonly settings: Required<RequestSettings>;

    constructor(private readonly options: JelouClientOptions) {
        const problem = baseUrlProblem(options.baseUrl);
        if (problem) throw new JelouError(problem);
        this.settings = {
            maxAttempts: options.maxAttempts ?? REQUEST_DEFAULTS.maxAttempts,
            requestTimeoutMs: options.requestTimeoutMs ?? REQUEST_DEFAULTS.requestTimeoutMs,
            totalTimeoutMs: options.totalTimeoutMs ?? REQUEST_DEFAULTS.totalTimeoutMs,
            retryBaseDelayMs: options.retryBaseDelayMs ?? REQUEST_DEFAULTS.retryBaseDelayMs,
        };
        this.redactor = makeRedactor([options.apiKey, options.clientSecret, basicToken(options), ...(options.redact ?? [])]);
        this.axiosConfig = {
            baseURL: `${options.baseUrl.replace(/\/+$/, "")}/v1/external-support`,
            headers: { ...authHeaders(options), "content-type": "application/json", "user-agent": "pulumi-jelou" },
            timeout: this.settings.requestTimeoutMs,
            // A redirect would carry x-api-key to wherever it points; refuse them all.
            maxRedirects: 0,
            maxContentLength: MAX_RESPONSE_BYTES,
            transitional: { clarifyTimeoutError: true, silentJSONParsing: true, forcedJSONParsing: true },
        };
    }

    /** POST /{projectId}: creates the integration; the answer holds the signing secret. */
    async create(projectId: string, fields: IntegrationFields): Promise<JelouIntegration> {
        return (await this.call("create", "POST", projectPath(projectId), fields, "secret"))!;
    }

    async get(projectId: string): Promise<JelouIntegration> {
        return (await this.call("idempotent", "GET", projectPath(projectId), undefined, "integration"))!;
    }

    async update(projectId: string, fields: IntegrationFields): Promise<JelouIntegration> {
        return (await this.call("idempotent", "PATCH", projectPath(projectId), fields, "integration"))!;
    }

    async delete(projectId: string): Promise<void> {
        await this.call("idempotent", "DELETE", projectPath(projectId), undefined, "nothing");
    }

    /** Retried like an idempotent call: each answer invalidates the previous secret, and the last one wins. */
    async regenerateSecret(projectId: string): Promise<JelouIntegration> {
        return (await this.call("idempotent", "POST", `${projectPath(projectId)}/secret/regenerate`, undefined, "secret"))!;
    }

    /** `expect`: what the answer must hold (an integration, one with its signing secret, or nothing). */
    private async call(
        kind: CallKind,
        method: string,
        url: string,
        body: IntegrationFields | undefined,
        expect: "nothing" | "integration" | "secret",
    ): Promise<JelouIntegration | undefined> {
        const started = Date.now();
        const path = `/v1/external-support${url}`;
        // A fresh instance per call: the retry state and the deadline belong to this call.
        const http = axios.create(this.axiosConfig);
        axiosRetry(http, {
            retries: this.settings.maxAttempts - 1,
            shouldResetTimeout: true,
            retryCondition: (error) => {
                const attempt = describeAttempt(error);
                if (!shouldRetry(attempt, kind)) return false;
                const retriesSoFar = error.config?.["axios-retry"]?.retryCount ?? 0;
                const wait = Math.max(attempt.retryAfterMs ?? 0, this.settings.retryBaseDelayMs * 2 ** retriesSoFar);
                // Past the total deadline (a long Retry-After included), fail now with the real error.
                return Date.now() - started + wait < this.settings.totalTimeoutMs;
            },
            retryDelay: (retryCount, error) => axiosRetry.exponentialDelay(retryCount - 1, error, this.settings.retryBaseDelayMs),
            onRetry: (retryCount, error) => {
                const { status, code } = describeAttempt(error);
                this.options.onRetry?.({ method, path, attempt: retryCount + 1, status, code });
            },
        });
        try {
            const response = await http.request({ method, url, data: body });
            const integration = unwrap(response.data);
            if (expect === "nothing") return integration;
            if (!integration) {
                throw new JelouError(`Jelou API ${method} ${path} answered ${response.status} without an integration in the body.`, {
                    status: response.status, method, path,
                });
            }
            if (expect === "secret" && typeof integration.signingSecret !== "string") {
                throw new JelouError(`Jelou API ${method} ${path} answered ${response.status} without a signingSecret.`, {
                    status: response.status, method, path,
                });
            }
            return integration;
        } catch (error) {
            throw this.toJelouError(error, method, path);
        }
    }

    /** Never rethrows the HTTP library's error: it carries the request headers. */
    private toJelouError(error: unknown, method: string, path: string): JelouError {
        if (error instanceof JelouError) return error;
        if (!(error instanceof AxiosError)) {
            return new JelouError(`Jelou API ${method} ${path} failed: ${this.redactor(String((error as Error)?.message ?? error))}`, { method, path });
        }
        const attempt = describeAttempt(error);
        let result: JelouError;
        if (error.response && error.response.status >= 300 && error.response.status < 400) {
            result = new JelouError(
                `Jelou API ${method} ${path} answered with a redirect (${error.response.status}); redirects are refused so ` +
                    "that credentials are never sent elsewhere: check baseUrl (the part before /v1/external-support).",
                { status: error.response.status, method, path },
            );
        } else if (error.response) {
            result = errorFromResponse(error.response.status, method, path, error.response.data, this.redactor);
        } else {
            result = connectionError(method, path, error.code ?? "ERR_NETWORK", describeNetworkFailure(error.code));
        }
        result.outcome = attemptOutcome(attempt);
        return result;
    }
}

function describeAttempt(error: AxiosError): FailedAttempt {
    const header = error.response?.headers?.["retry-after"];
    return {
        status: error.response?.status,
        code: error.code,
        retryAfterMs: header === undefined ? undefined : retryAfter(error),
    };
}

function describeNetworkFailure(code: string | undefined): string {
    switch (code) {
        case "ECONNREFUSED": return "connection refused (is baseUrl right, and is Jelou reachable?)";
        case "ETIMEDOUT":
        case "ECONNABORTED": return "no answer before the request timeout (requestTimeoutMs)";
        case "ECONNRESET": return "the connection was dropped before the answer";
        case "ERR_BAD_RESPONSE": return "the answer was malformed or larger than 1 MiB";
        case "ENOTFOUND": return "the host of baseUrl was not found";
        default: return "network error";
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

/** Accepts both documented shapes: the bare integration, or `{ message, status, data: integration }`. */
export function unwrap(data: unknown): JelouIntegration | undefined {
    if (!data || typeof data !== "object") return undefined;
    const record = data as Record<string, unknown>;
    const inner = record.data && typeof record.data === "object" ? (record.data as Record<string, unknown>) : record;
    return typeof inner.id === "string" || typeof inner.signingSecret === "string" ? (inner as unknown as JelouIntegration) : undefined;
}
