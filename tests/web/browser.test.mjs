// Web build in headless Debian Chromium (playwright-core): the same scenarios and exact traces as the
// Node run, with tests/web/driver.c built as an ES module (driver_browser.mjs) and run with callMain in a
// fresh module instance per scenario. Page, driver and WebSocket peer share one origin on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer, refusedPort } from './peer.mjs';
import { scenarios, checkTrace } from './scenarios.mjs';
import { launchChromium } from './chromium.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const buildDir = process.env.TT_WEB_BUILD || path.join(WEB_BUILD_DIR, 'web/tests');

let peer, browser, page, ctx;
const consoleErrors = [];
before(async () => {
  peer = await startPeer({ staticRoots: { '/build/': buildDir, '/page/': path.join(here, 'page') } });
  ctx = { url: peer.url, refusedUrl: `ws://127.0.0.1:${await refusedPort()}/`, env: 'chromium' };
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${peer.httpUrl}/page/index.html`);
  await page.waitForFunction(() => window.driverReady === true);
});
after(async () => {
  await browser?.close();
  await peer?.close();
});

test('web build in Chromium', async (t) => {
  for (const sc of scenarios(ctx)) {
    await t.test(sc.name, async () => {
      const lines = await page.evaluate(([args]) => window.runScenario(args, 60000), [sc.args]);
      checkTrace(assert, sc, lines, peer.log);
    });
  }
  await t.test('Chromium answered invalid UTF-8 with Close 1002', () => {
    assert.equal(peer.log.badutf8?.code, 1002);
  });
  await t.test('no uncaught exception in the page', () => {
    assert.deepEqual(consoleErrors, []);
  });
});

// tests/web/throwing.cpp: a C++ game (built with exceptions) whose first onMessage throws. The page
// reports the exception as uncaught, and the library goes on delivering: the second message, the close,
// and a poll afterwards that is not refused as "inside a callback".
test('a C++ exception thrown out of a callback does not stop the library', async () => {
  const errors = [];
  const p = await browser.context.newPage();
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(`${peer.httpUrl}/page/index.html`);
  await p.waitForFunction(() => window.driverReady === true);
  const lines = await p.evaluate((u) => window.runScenario([u], 20000, 'driver_throwing.mjs'), `${peer.url}/echo`);
  await p.close();
  assert.deepEqual(lines, ['open', 'message a', 'message b', 'close 1000 ok', 'poll(0) = 0']);
  assert.equal(errors.length, 1, `one uncaught exception in the page: ${errors}`);
});
