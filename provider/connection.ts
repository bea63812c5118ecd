import type * as pulumi from "@pulumi/pulumi";
import { NO_CREDENTIALS_HELP } from "./errors";

/** How the program reaches Jelou: given on the resource, else stack config `jelou:*`, else `JELOU_*`. */
export interface ConnectionArgs {
    apiKey?: pulumi.Input<string>;
    clientId?: pulumi.Input<string>;
    clientSecret?: pulumi.Input<string>;
    baseUrl?: pulumi.Input<string>;
    maxAttempts?: pulumi.Input<number>;
    requestTimeoutMs?: pulumi.Input<number>;
    totalTimeoutMs?: pulumi.Input<number>;
    retryBaseDelayMs?: pulumi.Input<number>;
    /** Make `pulumi refresh` ask Jelou (GET) instead of trusting the state; also `jelou:detectDrift`. */
    detectDrift?: pulumi.Input<boolean>;
}

/** The part of `pulumi.Config` used here, so tests can hand in their own. */
export interface ConfigSource {
    get(key: string): string | undefined;
    getSecret(key: string): pulumi.Output<string> | undefined;
    getNumber(key: string): number | undefined;
    getBoolean(key: string): boolean | undefined;
}

type Credentials = Pick<ConnectionArgs, "apiKey" | "clientId" | "clientSecret">;

const REQUEST_SETTINGS = ["maxAttempts", "requestTimeoutMs", "totalTimeoutMs", "retryBaseDelayMs"] as const;

/**
 * Resolves the connection in the program, where config works with every CLI version, so the
 * provider gets it as inputs and its serialized code holds none of it. Credentials come whole
 * from the first source that gives any (an API key from one place and a client secret from
 * another would be a surprise); baseUrl, the request settings and detectDrift are resolved one by one.
 */
export function resolveConnection(
    resourceName: string,
    args: ConnectionArgs,
    config: ConfigSource,
    env: NodeJS.ProcessEnv,
): ConnectionArgs {
    const sources: Credentials[] = [
        { apiKey: args.apiKey, clientId: args.clientId, clientSecret: args.clientSecret },
        { apiKey: config.getSecret("apiKey"), clientId: config.get("clientId"), clientSecret: config.getSecret("clientSecret") },
        { apiKey: nonEmpty(env.JELOU_API_KEY), clientId: nonEmpty(env.JELOU_CLIENT_ID), clientSecret: nonEmpty(env.JELOU_CLIENT_SECRET) },
    ];
    const credentials = sources.find((source) => Object.values(source).some((value) => value !== undefined));
    if (!credentials) {
        throw new Error(`ExternalSupportIntegration "${resourceName}" has no Jelou credentials. ${NO_CREDENTIALS_HELP}`);
    }
    const resolved: ConnectionArgs = {
        ...credentials,
        baseUrl: args.baseUrl ?? config.get("baseUrl") ?? nonEmpty(env.JELOU_BASE_URL),
    };
    for (const key of REQUEST_SETTINGS) {
        resolved[key] = args[key] ?? config.getNumber(key);
    }
    resolved.detectDrift = args.detectDrift ?? config.getBoolean("detectDrift");
    return resolved;
}

function nonEmpty(value: string | undefined): string | undefined {
    return value === undefined || value === "" ? undefined : value;
}
