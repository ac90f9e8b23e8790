// The ES-module package's size: ttsocket.wasm + ttsocket.mjs (the JS glue), raw, for the toolchain this run
// built with
// (tests/web/toolchain.mjs: Emscripten 3.1.6 on the host, or 3.1.69 with TT_EMSCRIPTEN=trixie). A size is
// a property of the build, not a timing: the same sources and compiler always give the same bytes.
// tests/web/run.sh builds the package first (cmake --build --preset web --target ttsocket_web_package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TOOLCHAIN, WEB_BUILD_DIR } from './toolchain.mjs';

// The target is 30,000 bytes (.wasm + glue, raw, not gzipped). With the mini-game container backend the
// package no longer meets it (README, "Backends": the sizes and what they are made of), so until it does
// the test holds each toolchain's package to the size it has now: it fails on any growth, and a change that
// shrinks the package lowers the ceiling here in the same commit. At or under the target, the target rules.
const TARGET_BYTES = 30000;
const CEILING_BYTES = { host: 31622, trixie: 30481 };
const PACKAGE_BUDGET_BYTES = Math.max(TARGET_BYTES, CEILING_BYTES[TOOLCHAIN] ?? TARGET_BYTES);

const pkg = process.env.TT_WEB_PACKAGE || path.join(WEB_BUILD_DIR, 'web/package');

test(`package: ttsocket.wasm + ttsocket.mjs no larger than ${PACKAGE_BUDGET_BYTES} bytes (${TOOLCHAIN} Emscripten)`, (t) => {
  const wasm = fs.statSync(path.join(pkg, 'ttsocket.wasm')).size;
  const glue = fs.statSync(path.join(pkg, 'ttsocket.mjs')).size;
  const total = wasm + glue;
  t.diagnostic(`wasm ${wasm} B + glue ${glue} B = ${total} B (ceiling ${PACKAGE_BUDGET_BYTES} B, ` +
    `${PACKAGE_BUDGET_BYTES - total} B to spare; target ${TARGET_BYTES} B ` +
    `${total <= TARGET_BYTES ? 'met' : `missed by ${total - TARGET_BYTES} B`})`);
  // A glue file this large was not minified (no terser: tests/deps.sh installs it); say so rather than
  // only report the sum.
  assert.ok(total <= PACKAGE_BUDGET_BYTES,
    `the web package is ${total} B (wasm ${wasm} + glue ${glue}), over its ${PACKAGE_BUDGET_BYTES} B ceiling` +
    (glue > 15000 ? '; the glue looks unminified: run tests/deps.sh (terser) and rebuild' : ''));
});
