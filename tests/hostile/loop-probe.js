// Loaded into a provider host with NODE_OPTIONS=--require: measures how long the host's event loop
// is held. A 20 ms timer notes how late each tick runs; the longest delay so far is written to
// $JELOU_LOOP_PROBE_DIR/<pid> (rewritten only when it grows, so a blocked loop costs nothing extra).
// Plain CommonJS, no dependency: it runs before the host's own code.
"use strict";
const fs = require("fs");
const path = require("path");

const dir = process.env.JELOU_LOOP_PROBE_DIR;
if (dir) {
    const file = path.join(dir, String(process.pid));
    const INTERVAL_MS = 20;
    let expected = Date.now() + INTERVAL_MS;
    let longest = 0;
    const timer = setInterval(() => {
        const now = Date.now();
        const late = now - expected;
        expected = now + INTERVAL_MS;
        if (late > longest) {
            longest = late;
            try {
                fs.writeFileSync(file, String(longest));
            } catch {
                // the directory is gone: the test is over
            }
        }
    }, INTERVAL_MS);
    timer.unref();
}
