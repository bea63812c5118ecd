// Preloaded into `npm run demo` by tests/package/demo.test.ts (`node -r`), never by the demo itself: it
// tells the test, over the IPC channel the test opened, the API keys the demo's local Jelou
// accepts, every signing secret that Jelou issues and the webhook token it is given, so the test can prove none of them is
// printed. With DEMO_SPY_FAULT=<status> the first API call is answered with that status, so the
// test can watch the demo fail. Plain CommonJS, test-only.
"use strict";
const path = require("path");
const { JelouSandbox } = require(path.resolve(__dirname, "../../dist/sandbox/server"));

const tell = (message) => process.send && process.send(message);
// The channel must not keep the demo alive once it is done.
if (process.channel) process.channel.unref();

const start = JelouSandbox.start;
JelouSandbox.start = async function spiedStart(options = {}) {
    const seen = new Set();
    let sandbox;
    const onRequest = (summary) => {
        if (options.onRequest) options.onRequest(summary);
        for (const integration of sandbox ? sandbox.integrations() : []) {
            for (const [kind, value] of [
                ["signingSecret", integration.signingSecret],
                ["authorization", integration.authorization],
            ]) {
                if (value && !seen.has(value)) {
                    seen.add(value);
                    tell({ [kind]: value });
                }
            }
        }
    };
    sandbox = await start.call(this, { ...options, onRequest });
    tell({ apiKeys: options.apiKeys || [] });
    if (process.env.DEMO_SPY_FAULT) sandbox.injectFaults({ kind: "status", status: Number(process.env.DEMO_SPY_FAULT) }, 1);
    return sandbox;
};
