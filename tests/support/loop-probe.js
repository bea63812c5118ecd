// Loaded into a provider host with NODE_OPTIONS=--require: measures how long the host's own work
// holds its event loop. A 20 ms timer notes, for each gap between two ticks, the CPU time the process
// spent in it (process.cpuUsage): on a loaded machine a gap can be long because the process was not
// scheduled, but only the process's own synchronous work makes it long in CPU time. Gaps of more than
// 100 ms of CPU are appended to $JELOU_LOOP_PROBE_DIR/<pid> as "<epoch ms at the gap's end> <cpu ms>".
// Plain CommonJS, no dependency: it runs before the host's own code.
"use strict";
const fs = require("fs");
const path = require("path");

const dir = process.env.JELOU_LOOP_PROBE_DIR;
if (dir) {
    const file = path.join(dir, String(process.pid));
    let last = process.cpuUsage();
    const timer = setInterval(() => {
        const used = process.cpuUsage(last);
        last = process.cpuUsage();
        const cpuMs = (used.user + used.system) / 1000;
        if (cpuMs > 100) {
            try {
                fs.appendFileSync(file, `${Date.now()} ${Math.round(cpuMs)}\n`);
            } catch {
                // the directory is gone: the test is over
            }
        }
    }, 20);
    timer.unref();
}
