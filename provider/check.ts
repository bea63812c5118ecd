/**
 * The provider's `check`: every input problem before any API call. Shared by the provider and by
 * `pulumi-jelou/testing`, so that users' unit tests judge inputs exactly as `pulumi preview` does.
 */
import { resolveConnection, StackConfig } from "./connection";
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
    /** The inputs with defaults applied, as the provider stores them; `__provider` is left out. */
    inputs: Record<string, unknown>;
    failures: CheckFailure[];
}

/** The properties without the serialized provider the SDK adds to every dynamic resource's. */
export function withoutProvider(props: Record<string, unknown>): Record<string, unknown> {
    const { __provider: _provider, ...rest } = props;
    return rest;
}

export function checkInputs(news: Record<string, unknown>, { config, env, requireCredentials = false }: CheckOptions): CheckedInputs {
    const given = withoutProvider(news);
    const resolution = resolveConnection({ given, config, env, requireCredentials });
    const { inputs, failures } = validateInputs(given, { requireCredentials: false, baseUrl: resolution.baseUrl });
    // A value given on the resource is reported once, by validateInputs, which names the fix.
    const reported = new Set(failures.map((f) => f.property));
    return { inputs, failures: [...failures, ...resolution.failures.filter((f) => !reported.has(f.property))] };
}
