/**
 * The provider's `check`: every input problem before any API call. Shared by the provider and by
 * `pulumi-jelou/testing`, so that users' unit tests judge inputs exactly as `pulumi preview` does.
 */
import { resolveConnection, StackConfig } from "./connection";
import { IntegrationInputs } from "./types";
import { CheckFailure, validateInputs } from "./validation";

export interface CheckOptions {
    /** The stack configuration (namespaced keys such as `jelou:apiKey`). */
    config?: StackConfig;
    env: NodeJS.ProcessEnv;
    /**
     * Whether no credentials at all is a failure (default false: a preview calls nothing, and neither
     * do users' tests under mocks; the operation that calls Jelou refuses to run without them).
     */
    requireCredentials?: boolean;
}

export interface CheckedInputs {
    /**
     * The inputs with defaults applied, as the provider stores them; `__provider` is left out.
     * Absent when a required field failed (the engine then stops at the failures).
     */
    inputs?: IntegrationInputs;
    failures: CheckFailure[];
}

/** The properties without the serialized provider the SDK adds to every dynamic resource's. */
export function withoutProvider<T extends object>(props: T & { __provider?: unknown }): T {
    const { __provider: _provider, ...rest } = props;
    return rest as T;
}

export function checkInputs(news: object, { config, env, requireCredentials = false }: CheckOptions): CheckedInputs {
    const given: Record<string, unknown> = { ...withoutProvider(news) };
    // The connection settings, wherever given, are judged by resolveConnection; the rest by validateInputs: each once.
    const resolution = resolveConnection({ given, config, env, requireCredentials });
    const { inputs, failures } = validateInputs(given, { baseUrl: resolution.baseUrl });
    return {
        inputs: hasRequiredFields(inputs) ? inputs : undefined,
        failures: [...failures, ...resolution.failures],
    };
}

/** Judged by validateInputs: what is left to show the compiler is that the required fields are there (known or not yet). */
function hasRequiredFields(inputs: object): inputs is IntegrationInputs {
    const fields: Partial<Record<string, unknown>> = { ...inputs };
    return typeof fields.projectId === "string" && typeof fields.webhookUrl === "string" && typeof fields.authType === "string";
}
