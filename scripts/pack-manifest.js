#!/usr/bin/env node
// The package.json that goes into the tarball has no `prepare` (nor these pack scripts): in a
// tarball, dist/ is already built, and npm warns on install about any package with an install-time
// script ("install-scripts ... not yet covered by allowScripts"). The repository keeps `prepare`,
// which a git install needs to build dist/.
//
//   node scripts/pack-manifest.js strip     (prepack, after the build) writes the packed manifest
//   node scripts/pack-manifest.js restore   (postpack) puts the repository's package.json back
//
// The original is kept in .package.json.pack-original until postpack; a pack that stopped halfway
// leaves it there, and the next strip (or restore) puts it back first.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const MANIFEST = path.join(ROOT, "package.json");
const ORIGINAL = path.join(ROOT, ".package.json.pack-original");
const PACK_ONLY = ["prepare", "prepack", "postpack"];

function restore() {
    if (fs.existsSync(ORIGINAL)) fs.renameSync(ORIGINAL, MANIFEST);
}

function strip() {
    restore();
    const text = fs.readFileSync(MANIFEST, "utf8");
    const manifest = JSON.parse(text);
    fs.writeFileSync(ORIGINAL, text);
    for (const script of PACK_ONLY) delete manifest.scripts[script];
    fs.writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
}

const command = process.argv[2];
if (command === "strip") strip();
else if (command === "restore") restore();
else {
    process.stderr.write("usage: node scripts/pack-manifest.js strip|restore\n");
    process.exitCode = 2;
}
