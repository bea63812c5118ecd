import { JelouSandbox, SandboxOptions } from "../../provider/sandbox/server";

/** Marker credentials: long and distinct, so a leak scan can find any of them anywhere. */
export const API_KEY = "marker-apikey-7f3c9a1e5b";
export const OTHER_API_KEY = "marker-apikey-2d8e4b6f0c";
export const CLIENT_ID = "client-id-4471";
export const CLIENT_SECRET = "marker-clientsecret-9b1d7e3a";
export const WEBHOOK_TOKEN = "marker-webhooktoken-5c2a8f4d";

/**
 * A local Jelou for the tests of one file: started before them, stopped after them, its log,
 * faults, shape and latency reset before each. The returned object forwards to it.
 */
export function useSandbox(options: SandboxOptions = {}): JelouSandbox {
    let current: JelouSandbox | undefined;
    beforeAll(async () => {
        current = await JelouSandbox.start({
            apiKeys: [API_KEY, OTHER_API_KEY],
            clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
            ...options,
        });
    });
    afterAll(() => current?.stop());
    beforeEach(() => {
        current!.clearLog();
        current!.clearFaults();
        current!.setShape("envelope");
        current!.setLatency(0);
    });
    return new Proxy({} as JelouSandbox, {
        get: (_target, key) => {
            const value = Reflect.get(current as JelouSandbox, key);
            return typeof value === "function" ? value.bind(current) : value;
        },
    });
}

let counter = 0;

/** Provider inputs for a fresh project, fast to retry against the local Jelou. */
export function providerInputs(sandbox: JelouSandbox, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    counter += 1;
    return {
        projectId: `project-${process.pid}-${counter}`,
        webhookUrl: "https://support.example.com/jelou",
        authType: "bearer",
        authorization: WEBHOOK_TOKEN,
        apiKey: API_KEY,
        baseUrl: sandbox.url,
        retryBaseDelayMs: 1,
        requestTimeoutMs: 1000,
        ...overrides,
    };
}

/** The requests the local Jelou saw, as "METHOD path". */
export function calls(sandbox: JelouSandbox): string[] {
    return sandbox.requests.map((r) => `${r.method} ${r.path}`);
}
