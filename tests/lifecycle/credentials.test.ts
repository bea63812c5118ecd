// Where the provider's credentials come from, played through the SDK's dynamic-provider host:
// the harness sends Configure as the engine does (the whole stack config, namespaced keys, secrets
// as secret values), and the host runs with the pipeline's environment. Each case asserts which key
// each request carried and that no key from config or the environment lands in the state.
import * as fs from "fs";
import * as path from "path";
import { calls, useSandbox, WEBHOOK_TOKEN } from "../support/fixtures";

const { LifecycleEngine } = require("../../harness/engine");

const PROGRAM = "programs/integrations.js";
const URN = (name = "support") => `urn:pulumi:test::jelou-test::pulumi-nodejs:dynamic/jelou:ExternalSupportIntegration::${name}`;
const KEYS = Array.from({ length: 20 }, (_, i) => `marker-apikey-cred-${String(i).padStart(2, "0")}`);
let nextKey = 0;
const freshKey = () => KEYS[nextKey++];

const sandbox = useSandbox({ apiKeys: KEYS });

function declare(projects: string[], args: Record<string, unknown> = {}) {
    return JSON.stringify({
        integrations: projects.map((projectId, i) => ({
            name: i === 0 ? "support" : `support-${i}`,
            args: {
                projectId,
                webhookUrl: "https://support.example.com/jelou",
                authType: "bearer",
                authorization: WEBHOOK_TOKEN,
                retryBaseDelayMs: 1,
                ...args,
            },
        })),
    });
}

/** A stack whose API key is `jelou:apiKey`, a secret, as `pulumi config set --secret` leaves it. */
function configStack(spec: string, apiKey: string, extra: Record<string, string> = {}) {
    return {
        JELOU_TEST_SPEC: spec,
        PULUMI_CONFIG: JSON.stringify({ "jelou:apiKey": apiKey, "jelou:baseUrl": sandbox.url, "jelou-test:unrelated": "x", ...extra }),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(["jelou:apiKey"]),
    };
}

const keysSent = (method: string) => sandbox.requests.filter((r) => r.method === method).map((r) => r.headers["x-api-key"]);

function expectNoneStored(engine: { state: Map<string, { inputs: object; outputs: object }> }, ...keys: string[]) {
    for (const entry of engine.state.values()) {
        const raw = JSON.stringify([entry.inputs, entry.outputs]);
        for (const key of keys) expect(raw).not.toContain(key);
        expect(entry.outputs).not.toHaveProperty("apiKey");
    }
}

it("key rotation, then destroy with no up in between: the destroy uses the stack's new key", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `rotate-key-${process.pid}`;
    const [oldKey, newKey] = [freshKey(), freshKey()];
    const spec = declare([project]);
    expect((await engine.run(PROGRAM, { env: configStack(spec, oldKey) })).errors).toEqual([]);
    expectNoneStored(engine, oldKey);

    // The old key is revoked in Jelou and `pulumi config set --secret jelou:apiKey <new>`; then `pulumi destroy`.
    sandbox.revokeApiKey(oldKey);
    sandbox.clearLog();
    const { errors } = await engine.destroy({ env: configStack(spec, newKey) });
    expect(errors).toEqual([]);
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`, `DELETE /v1/external-support/${project}`]);
    expect(keysSent("DELETE")).toEqual([newKey]);
    expect(sandbox.integration(project)).toBeUndefined();
});

it("a resource removed from the program in the same up as a key change is deleted with the new key", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const [kept, removed] = [`kept-${process.pid}`, `removed-${process.pid}`];
    const [oldKey, newKey] = [freshKey(), freshKey()];
    await engine.run(PROGRAM, { env: configStack(declare([kept, removed]), oldKey) });
    sandbox.revokeApiKey(oldKey);
    sandbox.clearLog();

    const { plan, errors } = await engine.run(PROGRAM, { env: configStack(declare([kept]), newKey) });
    expect(errors).toEqual([]);
    // The kept one's state holds no key, so a new key changes nothing in it.
    expect(plan).toEqual(
        expect.arrayContaining([
            { urn: URN(), op: "same" },
            { urn: URN("support-1"), op: "delete" },
        ]),
    );
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${removed}`, `DELETE /v1/external-support/${removed}`]);
    expect(keysSent("DELETE")).toEqual([newKey]);
    expect(sandbox.integration(removed)).toBeUndefined();
    await engine.destroy();
    expect(sandbox.integration(kept)).toBeUndefined();
});

it("from the environment only: JELOU_API_KEY and JELOU_BASE_URL, and neither is kept", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `env-only-${process.pid}`;
    const key = freshKey();
    const env = { JELOU_TEST_SPEC: declare([project]), JELOU_API_KEY: key, JELOU_BASE_URL: sandbox.url };
    const { errors, registrations } = await engine.run(PROGRAM, { env });
    expect(errors).toEqual([]);
    expect(keysSent("POST")).toEqual([key]);
    expect(JSON.stringify(registrations[0].inputs)).not.toContain(key);
    expectNoneStored(engine, key);
    expect(engine.state.get(URN()).outputs).not.toHaveProperty("baseUrl");
    await engine.destroy();
    expect(sandbox.integration(project)).toBeUndefined();
});

it("an apiKey given on the resource wins over jelou:apiKey, and is the one its delete uses", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const project = `explicit-${process.pid}`;
    const [explicit, configured] = [freshKey(), freshKey()];
    const env = configStack(declare([project], { apiKey: explicit }), configured);
    await engine.run(PROGRAM, { env });
    expect(keysSent("POST")).toEqual([explicit]);
    const entry = engine.state.get(URN());
    // Given explicitly: an input, kept as a secret, and recorded by a state that says it was given (schemaVersion 2).
    expect(entry.outputs).toMatchObject({ apiKey: explicit, schemaVersion: 2 });
    expect(entry.secrets).toContain("apiKey");
    expect(JSON.stringify(engine.checkpoint())).not.toContain(explicit);
    expect(JSON.stringify(entry)).not.toContain(configured);
    sandbox.clearLog();
    await engine.destroy();
    expect(keysSent("DELETE")).toEqual([explicit]);
});

it("no credentials anywhere (a pull request from a fork): the preview passes and calls nothing; the up refuses to create, naming apiKey once and the three ways", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const env = { JELOU_TEST_SPEC: declare([`none-${process.pid}`]), PULUMI_CONFIG: JSON.stringify({ "jelou:baseUrl": sandbox.url }) };
    const preview = await engine.run(PROGRAM, { preview: true, env });
    expect(preview).toMatchObject({ plan: [{ urn: URN(), op: "create" }], errors: [] });
    expect(sandbox.requests).toHaveLength(0);
    const { plan, errors } = await engine.run(PROGRAM, { env });
    expect(plan).toEqual([{ urn: URN(), op: "failed" }]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
        /Jelou was not called: no Jelou credentials\. Give Jelou credentials in one of three ways: the resource's apiKey.*jelou:apiKey.*JELOU_API_KEY/,
    );
    expect(errors[0]).not.toMatch(/apiKey: apiKey/);
    expect(sandbox.requests).toHaveLength(0);
    expect(engine.state.size).toBe(0);
});

it("a rejected key says where it came from and what to change, never its value", async () => {
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    const revoked = freshKey();
    sandbox.revokeApiKey(revoked);
    const fromConfig = await engine.run(PROGRAM, { env: configStack(declare([`rejected-${process.pid}`]), revoked) });
    expect(fromConfig.errors[0]).toMatch(
        /401.*they came from stack config jelou:apiKey: set valid ones with `pulumi config set --secret jelou:apiKey <value>`/,
    );
    const fromEnv = await engine.run(PROGRAM, {
        env: { JELOU_TEST_SPEC: declare([`rejected-env-${process.pid}`]), JELOU_API_KEY: revoked, JELOU_BASE_URL: sandbox.url },
    });
    expect(fromEnv.errors[0]).toMatch(/401.*they came from JELOU_API_KEY in the environment of the Pulumi CLI/);
    expect(fromEnv.errors[0]).toContain(`${sandbox.url}/v1/external-support/rejected-env-${process.pid}`);
    for (const error of [...fromConfig.errors, ...fromEnv.errors, engine.log.host]) expect(error).not.toContain(revoked);
});

/**
 * State as 0.1.0 wrote it (tests/support/fixtures/state-0.1.0.json): the program had resolved the key
 * (from jelou:apiKey) and the address, and every resource kept both in its outputs.
 */
async function earlierState(project: string, storedKey: string) {
    return stateFromFixture("state-0.1.0.json", project, { apiKey: storedKey, baseUrl: sandbox.url });
}

/** An engine whose state holds one resource as a fixture recorded it, for a project seeded in the local Jelou. */
async function stateFromFixture(fixture: string, project: string, placeholders: Record<string, string>) {
    const seeded = sandbox.seed(project, {
        webhookUrl: "https://support.example.com/jelou",
        authType: "bearer",
        authorization: WEBHOOK_TOKEN,
    });
    const text = fs.readFileSync(path.join(__dirname, "..", "support", "fixtures", fixture), "utf8");
    const values = {
        project,
        id: seeded.id,
        createdAt: seeded.createdAt,
        signingSecret: seeded.signingSecret,
        authorization: WEBHOOK_TOKEN,
        ...placeholders,
    };
    const filled = Object.entries(values).reduce((t, [key, value]) => t.split(`{{${key}}}`).join(value), text);
    const entry = JSON.parse(filled);
    const engine = new LifecycleEngine(process.env.JELOU_CONSUMER_DIR);
    engine.state.set(entry.urn, entry);
    sandbox.clearLog();
    return { engine, seeded };
}

it("0.1.0 state: refresh, up and destroy work with no replace; the stack's key wins and the next up drops the stored one", async () => {
    const project = `upgrade-${process.pid}`;
    const [storedKey, stackKey] = [freshKey(), freshKey()];
    const { engine, seeded } = await earlierState(project, storedKey);
    sandbox.revokeApiKey(storedKey);
    const env = configStack(declare([project]), stackKey, { "jelou:detectDrift": "true" });

    // refresh, with detectDrift from today's config: one GET, with the stack's key, and nothing changes.
    expect(await engine.refresh({ env })).toEqual([]);
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`]);
    expect(keysSent("GET")).toEqual([stackKey]);
    sandbox.clearLog();

    // up: an update that calls nothing and rewrites the state without the stored key and address.
    const up = await engine.run(PROGRAM, { env });
    expect(up.errors).toEqual([]);
    expect(up.plan).toEqual([{ urn: URN(), op: "update" }]);
    expect(sandbox.requests).toHaveLength(0);
    const entry = engine.state.get(URN());
    expect(entry.id).toBe(seeded.id);
    expect(entry.outputs).toMatchObject({ signingSecret: seeded.signingSecret, createdAt: seeded.createdAt, schemaVersion: 2 });
    expect(entry.outputs).not.toHaveProperty("baseUrl");
    expectNoneStored(engine, storedKey, stackKey);

    // Then nothing more changes, and destroy deletes it with the stack's key.
    expect((await engine.run(PROGRAM, { env })).plan).toEqual([{ urn: URN(), op: "same" }]);
    await engine.destroy({ env });
    expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`, `DELETE /v1/external-support/${project}`]);
    expect(keysSent("DELETE")).toEqual([stackKey]);
    expect(sandbox.integration(project)).toBeUndefined();
});

it("0.1.0 state in a stack that no longer gives any key: destroy uses the stored one, and a 401 says so", async () => {
    const project = `upgrade-stored-${process.pid}`;
    const storedKey = freshKey();
    const { engine } = await earlierState(project, storedKey);
    sandbox.revokeApiKey(storedKey);
    const env = { JELOU_TEST_SPEC: declare([project]) };
    const failed = await engine.destroy({ env });
    expect(failed.errors[0]).toMatch(
        /401.*they came from the apiKey kept in the state by pulumi-jelou 0\.1\.0.*pulumi config set --secret jelou:apiKey/,
    );
    expect(failed.errors[0]).not.toContain(storedKey);
    expect(keysSent("GET")).toEqual([storedKey]);
    expect(engine.state.size).toBe(1);

    // Given the new key in config, the same destroy goes through.
    const newKey = freshKey();
    expect((await engine.destroy({ env: configStack(env.JELOU_TEST_SPEC, newKey) })).errors).toEqual([]);
    expect(keysSent("DELETE")).toEqual([newKey]);
    expect(sandbox.integration(project)).toBeUndefined();
});

it.each(["pulumi-jelou/dynamic-provider", "pulumi-jelou/dist/dynamic-provider.js"])(
    "0.2.0 state whose provider is require(%j): refresh, no-change up, rotation and destroy work",
    async (providerModule) => {
        const project = `state-020-${providerModule.length}-${process.pid}`;
        // State as 0.2.0 wrote it (tests/support/fixtures/state-0.2.0.json), with either `__provider` module path it could write.
        const { engine, seeded } = await stateFromFixture("state-0.2.0.json", project, { providerModule });
        const key = freshKey();
        const env = configStack(declare([project]), key, { "jelou:detectDrift": "true" });

        expect(await engine.refresh({ env })).toEqual([]);
        expect(calls(sandbox)).toEqual([`GET /v1/external-support/${project}`]);
        sandbox.clearLog();

        const same = await engine.run(PROGRAM, { env });
        expect(same.errors).toEqual([]);
        expect(same.plan).toEqual([{ urn: URN(), op: "same" }]);
        expect(sandbox.requests).toHaveLength(0);

        const rotated = await engine.run(PROGRAM, { env: configStack(declare([project], { rotationTriggers: { version: "2" } }), key) });
        expect(rotated.errors).toEqual([]);
        const entry = engine.state.get(URN());
        expect(entry.id).toBe(seeded.id);
        expect(entry.outputs.signingSecret).toBe(sandbox.integration(project)?.signingSecret);
        expect(entry.outputs.signingSecret).not.toBe(seeded.signingSecret);

        expect((await engine.destroy({ env })).errors).toEqual([]);
        expect(sandbox.integration(project)).toBeUndefined();
        expectNoneStored(engine, key);
    },
);
