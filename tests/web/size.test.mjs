// The ES-module package's size: ttsocket.wasm + ttsocket.mjs (the JS glue), raw, for the toolchain this run
// built with (tests/web/toolchain.mjs: Emscripten 3.1.6 on the host, or 3.1.69 with TT_EMSCRIPTEN=trixie).
// A size is a property of the build, not a timing: the same sources and compiler always give the same
// bytes. tests/web/run.sh builds the package first (cmake --build --preset web --target ttsocket_web_package).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { TOOLCHAIN, WEB_BUILD_DIR } from './toolchain.mjs';

// The target: 30,000 bytes (.wasm + glue, raw, not gzipped), with every toolchain.
const TARGET_BYTES = 30000;
// Each toolchain's package as it is now (README, "Web build size"): the test fails on any growth, so a
// change that adds bytes says so by raising its number here, and one that shrinks the package lowers it
// in the same commit. The gap to TARGET_BYTES is what later features may spend.
const CEILING_BYTES = { host: 29375, trixie: 28590 };
const ceiling = Math.min(TARGET_BYTES, CEILING_BYTES[TOOLCHAIN] ?? TARGET_BYTES);

const pkg = process.env.TT_WEB_PACKAGE || path.join(WEB_BUILD_DIR, 'web/package');

function packageSize() {
  const wasm = fs.statSync(path.join(pkg, 'ttsocket.wasm')).size;
  const glue = fs.statSync(path.join(pkg, 'ttsocket.mjs')).size;
  return { wasm, glue, total: wasm + glue };
}

// A glue file this large was not minified (no terser: tests/deps.sh installs it); say so rather than only
// report the sum.
function hint({ glue }) {
  return glue > 15000 ? '; the glue looks unminified: run tests/deps.sh (terser) and rebuild' : '';
}

test(`package: ttsocket.wasm + ttsocket.mjs within the ${TARGET_BYTES} B target (${TOOLCHAIN} Emscripten)`, (t) => {
  const s = packageSize();
  t.diagnostic(`wasm ${s.wasm} B + glue ${s.glue} B = ${s.total} B (target ${TARGET_BYTES} B, ` +
    `${TARGET_BYTES - s.total} B to spare)`);
  assert.ok(s.total <= TARGET_BYTES,
    `the web package is ${s.total} B (wasm ${s.wasm} + glue ${s.glue}), over the ${TARGET_BYTES} B target` + hint(s));
});

test(`package: no larger than its recorded ${ceiling} B (${TOOLCHAIN} Emscripten)`, (t) => {
  const s = packageSize();
  t.diagnostic(`${s.total} B, ceiling ${ceiling} B`);
  assert.ok(s.total <= ceiling,
    `the web package is ${s.total} B (wasm ${s.wasm} + glue ${s.glue}), over its ${ceiling} B ceiling: ` +
    `raise CEILING_BYTES.${TOOLCHAIN} if the growth is wanted (at most to ${TARGET_BYTES})` + hint(s));
});
