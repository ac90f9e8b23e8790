// The ES-module package's size budget: ttsocket.wasm + ttsocket.mjs (the JS glue) at most 30,000 bytes raw,
// as README.md promises ("under 30 KB together"), for the toolchain this run built with
// (tests/web/toolchain.mjs: Emscripten 3.1.6 on the host, or 3.1.69 with TT_EMSCRIPTEN=trixie). A size is
// a property of the build, not a timing: the same sources and compiler always give the same bytes.
// tests/web/run.sh builds the package first (cmake --build --preset web --target ttsocket_web_package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TOOLCHAIN, WEB_BUILD_DIR } from './toolchain.mjs';

// The budget, in bytes: .wasm + glue, raw (not gzipped).
const PACKAGE_BUDGET_BYTES = 30000;

const pkg = process.env.TT_WEB_PACKAGE || path.join(WEB_BUILD_DIR, 'web/package');

test(`package: ttsocket.wasm + ttsocket.mjs fit in ${PACKAGE_BUDGET_BYTES} bytes (${TOOLCHAIN} Emscripten)`, (t) => {
  const wasm = fs.statSync(path.join(pkg, 'ttsocket.wasm')).size;
  const glue = fs.statSync(path.join(pkg, 'ttsocket.mjs')).size;
  const total = wasm + glue;
  t.diagnostic(`wasm ${wasm} B + glue ${glue} B = ${total} B (budget ${PACKAGE_BUDGET_BYTES} B, ` +
    `${PACKAGE_BUDGET_BYTES - total} B to spare)`);
  // A glue file this large was not minified (no terser: tests/deps.sh installs it); say so rather than
  // only report the sum.
  assert.ok(total <= PACKAGE_BUDGET_BYTES,
    `the web package is ${total} B (wasm ${wasm} + glue ${glue}), over its ${PACKAGE_BUDGET_BYTES} B budget` +
    (glue > 15000 ? '; the glue looks unminified: run tests/deps.sh (terser) and rebuild' : ''));
});
