// The web build when the game runs on a pthread: tests/web/driver.c built with -pthread -sPROXY_TO_PTHREAD
// (driver_threads.js; main() runs on a worker, the heap is a SharedArrayBuffer) in a cross-origin
// isolated page in headless Chromium. Every scenario of the non-threaded runs must give the same trace,
// after the driver's first line saying that main() runs on a worker; each callback checks that it runs
// on that thread (the driver prints "WRONG THREAD" otherwise, which breaks the trace).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer, refusedPort } from './peer.mjs';
import { scenarios, checkTrace } from './scenarios.mjs';
import { launchChromium } from './chromium.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = process.env.TT_WEB_BUILD || path.join(WEB_BUILD_DIR, 'web/tests');

let peer, browser, ctx;
before(async () => {
  peer = await startPeer({ isolated: true,
    staticRoots: { '/build/': buildDir, '/page/': path.join(here, 'threads-page') } });
  ctx = { url: peer.url, refusedUrl: `ws://127.0.0.1:${await refusedPort()}/`, env: 'chromium' };
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await peer?.close();
});

// Runs one scenario in a fresh page; returns its trace lines and the page's uncaught exceptions.
async function run(args, timeoutMs = 60000) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(`${peer.httpUrl}/page/index.html?args=${encodeURIComponent(JSON.stringify(args))}`);
    const isolated = await page.evaluate(() => self.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function');
    assert.ok(isolated, 'the page is cross-origin isolated (SharedArrayBuffer available)');
    const ended = await page.waitForFunction(() => window.done === true, null, { timeout: timeoutMs })
      .then(() => true, () => false);
    const lines = await page.evaluate(() => window.lines);
    return { lines: ended ? lines : [...lines, 'TIMEOUT'], errors };
  } finally {
    await page.close();
  }
}

test('web build with the game on a pthread (-pthread -sPROXY_TO_PTHREAD) in a cross-origin isolated Chromium page', async (t) => {
  for (const sc of scenarios(ctx)) {
    await t.test(sc.name, async () => {
      const { lines, errors } = await run(sc.args);
      assert.equal(lines[0], 'main on a worker', `the game thread:\n${lines.join('\n')}`);
      checkTrace(assert, sc, lines.slice(1), peer.log);
      // The program's exit (emscripten_force_exit on the worker) ends in an ExitStatus that Emscripten
      // throws on the page's thread; anything else uncaught is a failure.
      assert.deepEqual(errors.filter((e) => !/^ExitStatus\b/.test(e)), [], 'no uncaught exception in the page');
    });
  }
});
