// Bundle test: tests/web/bundle is a sample app importing the npm package (build/web/web/package) by
// name; Vite 7 bundles it (the wasm must be emitted as an asset via new URL(..., import.meta.url)), and
// the output runs in headless Chromium, served from 127.0.0.1 next to the echo peer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startPeer } from './peer.mjs';
import { launchChromium } from './chromium.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const outDir = path.join(WEB_BUILD_DIR, 'bundle');
const vite = path.join(root, 'tests/node_modules/.bin/vite');

let peer, browser;
before(async () => {
  const env = { ...process.env, TT_BUNDLE_OUT: outDir, TT_WEB_PACKAGE: path.join(WEB_BUILD_DIR, 'web/package'), NODE_PATH: '' };
  await promisify(execFile)(vite, ['build', '--config', path.join(here, 'bundle/vite.config.mjs')], { env });
  peer = await startPeer({ staticRoots: { '/': outDir } });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await peer?.close();
});

test('Vite 7 bundle of the package', async (t) => {
  await t.test('the wasm is emitted as a hashed asset and referenced by the bundle', () => {
    const assets = fs.readdirSync(path.join(outDir, 'assets'));
    const wasm = assets.find((f) => /^ttsocket-.*\.wasm$/.test(f));
    assert.ok(wasm, `no wasm asset in ${assets}`);
    const js = assets.filter((f) => f.endsWith('.js')).map((f) => fs.readFileSync(path.join(outDir, 'assets', f), 'utf8')).join('\n');
    assert.ok(js.includes(wasm), 'the bundle names the emitted wasm');
  });

  await t.test('echo round-trip in Chromium through the bundled package', async () => {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${peer.httpUrl}/index.html?ws=${encodeURIComponent(peer.url + '/echo?tag=bundle')}`);
    await page.waitForFunction(() => window.__ttResult?.done === true, null, { timeout: 30000 });
    const r = await page.evaluate(() => window.__ttResult);
    assert.deepEqual(errors, []);
    assert.equal(r.version, '0.1.0');
    assert.equal(r.configure, 0);
    assert.deepEqual(r.events, [
      'connect:success connectSocket:ok 1',
      'open rs=1 protocol=',
      'send sendSocketMessage:ok',
      'text "bundle\\u0000hello"',
      'send sendSocketMessage:ok',
      'binary 1,2,3,250',
      'close closeSocket:ok',
      'closed 4000 done true rs=3',
    ]);
    assert.deepEqual(peer.log.bundle, { code: 4000, reason: 'done' });
    await page.close();
  });
});
