// Smoke test of the demo mini-game (web/demo): the page loads in Chromium, connects to the echo server,
// measures pings and echoes a chat line.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startPeer } from './peer.mjs';
import { launchChromium } from './chromium.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

let peer, browser;
before(async () => {
  peer = await startPeer({ staticRoots: { '/': path.join(WEB_BUILD_DIR, 'web/demo') } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await peer?.close();
});

test('demo page: ping meter and chat echo', async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${peer.httpUrl}/index.html`);
  await page.waitForFunction(() => Number(document.getElementById('game').dataset.pongs) >= 2, null, { timeout: 15000 });
  const d = await page.evaluate(() => ({ ...document.getElementById('game').dataset }));
  assert.equal(d.readyState, '1');
  assert.ok(Number(d.rtt) >= 0 && Number(d.rtt) < 1000, `rtt ${d.rtt}`);
  await page.fill('#line', 'hi from the test');
  await page.click('button');
  // The chat line went out and came back: the echo peer saw it and the canvas log holds both lines.
  await page.waitForFunction(() => Number(document.getElementById('game').dataset.chat) >= 2, null, { timeout: 5000 });
  assert.deepEqual(errors, []);
  await page.close();
});
