/**
 * What one provider operation needs before it decides anything: where its connection comes from
 * (resolved once, from the resource, the stack config, the environment and 0.1.0's state), every
 * value its messages must never show, and its client. The operation builds one at its top and hands
 * it down; nothing below climbs back for the connection.
 */
import { JelouClient } from "../api/client";
import { JelouError } from "../api/errors";
import { governorFor } from "../api/governor";
import {
    Connection,
    ConnectionKey,
    ConnectionResolution,
    CREDENTIAL_KEYS,
    credentialsHint,
    resolveConnection,
    StackConfig,
} from "./connection";

export interface OperationSources {
    /** The connection settings given on the resource (its inputs, or state written from 0.2.0 on). */
    given: Partial<Record<ConnectionKey, unknown>>;
    /** The connection 0.1.0 kept in the state: the last resort, after the current stack's. */
    earlier?: Partial<Record<ConnectionKey, unknown>>;
    config?: StackConfig;
    env: NodeJS.ProcessEnv;
}

export class OperationContext {
    readonly resolution: ConnectionResolution;
    private client?: JelouClient;

    constructor(
        private readonly sources: OperationSources,
        /** Values besides the credentials that no message may show (authorizations, signing secrets). */
        private readonly secrets: ReadonlyArray<string | undefined>,
        private readonly log: (line: string) => void,
    ) {
        this.resolution = resolveConnection(sources);
    }

    /** Known without credentials: a refresh that asks Jelou nothing needs none. */
    get detectDrift(): boolean {
        return this.resolution.detectDrift;
    }

    /**
     * The operation's client, built on first use so that a step that calls nothing needs no
     * credentials; throws, calling nothing, when no usable connection was found.
     */
    jelou(): JelouClient {
        this.client ??= this.buildClient(this.usableConnection());
        return this.client;
    }

    private usableConnection(): Connection {
        const { connection, failures } = this.resolution;
        if (!connection) throw new JelouError(`Jelou was not called: ${failures.map((f) => f.reason).join("; ")}`);
        return connection;
    }

    private buildClient(connection: Connection): JelouClient {
        // A credential kept by 0.1.0 is redacted too, even when the stack's is the one sent.
        const earlierCredentials = CREDENTIAL_KEYS.map((key) => this.sources.earlier?.[key]);
        return new JelouClient({
            baseUrl: connection.baseUrl,
            ...connection.credentials,
            maxAttempts: connection.maxAttempts,
            requestTimeoutMs: connection.requestTimeoutMs,
            totalTimeoutMs: connection.totalTimeoutMs,
            retryBaseDelayMs: connection.retryBaseDelayMs,
            // One per account for the whole host process: every operation's attempts wait in the same queue.
            governor: governorFor(connection.baseUrl, connection.credentials, {
                maxRequestsPerSecond: connection.maxRequestsPerSecond,
                report: this.log,
            }),
            credentialsHint: credentialsHint(connection),
            redact: [...this.secrets, ...earlierCredentials].filter((v): v is string => typeof v === "string"),
            // Throttled retries are the governor's to report, once in a while, not one line each.
            onRetry: ({ method, path, attempt, status, code, throttled }) =>
                throttled || this.log(`pulumi-jelou: retrying ${method} ${path} (attempt ${attempt}) after ${status ?? code}`),
        });
    }
}
