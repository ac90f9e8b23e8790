// The npm package (build/web/web/package) in Chromium, driven from tests/web/package-page: text with a
// leading U+FEFF as the browser's own WebSocket has it, listeners that throw, an out-of-memory send, and
// the package in a module worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from './peer.mjs';
import { launchChromium } from './chromium.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let peer, browser, page;
const pageErrors = [];
before(async () => {
  peer = await startPeer({ staticRoots: { '/pkg/': path.join(WEB_BUILD_DIR, 'web/package'),
    '/support/': path.join(here, '../support'), '/': path.join(here, 'package-page') } });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${peer.httpUrl}/index.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
});
after(async () => {
  await browser?.close();
  await peer?.close();
});

test('a leading U+FEFF in a sent text message and in the client close reason is kept, as by WebSocket', async () => {
  const r = await page.evaluate((u) => window.checks.bomEcho(u), `${peer.url}/echo?tag=bom`);
  assert.deepEqual(r.pkg, ['message "\uFEFFhi"', 'close 4000 "\uFEFFbye" true']);
  assert.deepEqual(r.pkg, r.ref);
  assert.deepEqual(peer.log.bom, { code: 4000, reason: '\uFEFFbye' });
});

test('a leading U+FEFF in the server close reason is kept, as by WebSocket', async () => {
  const r = await page.evaluate((u) => window.checks.bomServerClose(u),
    `${peer.url}/close?code=4000&reason=${encodeURIComponent('\uFEFFbye')}`);
  assert.deepEqual(r.pkg, ['close 4000 "\uFEFFbye" true']);
  assert.deepEqual(r.pkg, r.ref);
});

test('listeners that throw are reported and every later callback is still delivered in order', async () => {
  const r = await page.evaluate((u) => window.checks.throwing(u), `${peer.url}/echo`);
  assert.deepEqual(r.first, ['connect:connectSocket:ok', 'connect:complete', 'open', 'send:success', 'send:complete',
    'message "x"', 'close 1000 "done" true']);
  assert.deepEqual(r.thrown, ['in connect success', 'in onOpen', 'in second onOpen', 'in success', 'in onMessage']);
  assert.deepEqual(r.second, ['connect:connectSocket:ok', 'connect:complete', 'open', 'message "y"',
    'close 1000 "done" true']);
});

test('a send whose data cannot be allocated fails with "out of memory"; the next send works', async () => {
  pageErrors.length = 0;
  const r = await page.evaluate((u) => window.checks.oomSend(u), `${peer.url}/echo`);
  assert.deepEqual(r, ['connect:connectSocket:ok', 'connect:complete', 'open', 'heap[0..16] unchanged: true',
    'send:fail sendSocketMessage:fail out of memory', 'send:complete', 'send:sendSocketMessage:ok',
    'message "kept"', 'close 1000 "done" true']);
  assert.deepEqual(pageErrors, []);
});

test('connectSocket and configure whose arguments cannot be allocated report out of memory', async () => {
  const r = await page.evaluate((u) => window.checks.oomConnect(u), `${peer.url}/echo`);
  assert.equal(r.rc, -2, 'configure: TT_ENOMEM');
  assert.deepEqual(r.log, ['returned a task', 'connect:fail connectSocket:fail out of memory', 'connect:complete']);
});

test('the backend option and getter: auto picks wx when there is one, browser and wx can be forced', async () => {
  const r = await page.evaluate((u) => window.checks.backend(u), `${peer.url}/echo`);
  assert.deepEqual(r, ['browser', 'wx', 0, 'browser', -1, 'browser', 0, 'wx',
    'connect:connectSocket:ok', 'connect:complete', 'open', 'message "via wx"', 'close 1000 "done" true',
    'connectSocket,send,close']);
});

test('in a module worker (no window, no document) the package connects, echoes and closes', async () => {
  const r = await page.evaluate((u) => window.checks.worker(u), `${peer.url}/echo`);
  assert.deepEqual(r, ['connect:connectSocket:ok', 'connect:complete', 'open', 'message "in a worker"',
    'close 1000 "done" true']);
});

// The raw module (ttsocket-web/module, tt.module) has every member ttsocket.d.mts declares, and nothing the
// types promise is missing from the build (the package's EXPORTED_RUNTIME_METHODS and EXPORTED_FUNCTIONS).
test('the raw module has every member its types (ttsocket.d.mts) declare', async () => {
  const dts = fs.readFileSync(path.join(WEB_BUILD_DIR, 'web/package/ttsocket.d.mts'), 'utf8');
  const body = dts.slice(dts.indexOf('export interface TTSocketModule {'));
  const names = [...body.slice(0, body.indexOf('\n}')).matchAll(/^ {2}(\w+)[(:]/gm)].map((m) => m[1]);
  assert.ok(names.includes('UTF8ToString') && names.includes('_tt_version') && names.includes('HEAPU8'));
  const r = await page.evaluate((n) => window.checks.moduleMembers(n), names);
  assert.deepEqual(r.types, Object.fromEntries(names.map((n) => [n, n.startsWith('HEAP') ? 'object' : 'function'])));
  assert.match(r.version, /^\d+\.\d+\.\d+$/);
});

// The numbers bridge.c passes to index.js are named on both sides; a renumbering on one side only would
// deliver a success as a fail, or a text message as binary, without any other test noticing the cause.
test('index.js names the numbers bridge.c sends with the same values (EMIT_*, RESULT_*, TT_DATA_TEXT)', () => {
  const src = path.join(here, '../../web');
  const bridge = fs.readFileSync(path.join(src, 'package/bridge.c'), 'utf8');
  const header = fs.readFileSync(path.join(here, '../../include/ttsocket.h'), 'utf8');
  const index = fs.readFileSync(path.join(src, 'package/index.js'), 'utf8');
  const pairs = (text, re) => Object.fromEntries([...text.matchAll(re)].map((m) => [m[1], Number(m[2])]));
  const c = { ...pairs(bridge, /\b((?:EMIT|RESULT)_[A-Z]+) = (\d+)/g), ...pairs(header, /\b(TT_DATA_TEXT) = (\d+)/g) };
  const js = pairs(index, /\b((?:EMIT|RESULT)_[A-Z]+|TT_DATA_TEXT) = (\d+)/g);
  assert.equal(Object.keys(c).length, 9, `bridge.c and ttsocket.h define ${Object.keys(c).join(', ')}`);
  assert.deepEqual(js, c);
});
