// The web build on the mini-game container backend, in headless Chromium: the page's global WebSocket is
// deleted and an emulated host (tests/support/container/emulator.js, test code written from the Douyin and
// WeChat docs, on the captured real WebSocket) is installed as the global tt or wx. The same scenarios and
// exact traces as browser.test.mjs, except what the container adds (the host's errMsg as the error
// detail); then every hostile-host case with its one documented outcome (README "Mini-game containers").
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
const DETAIL = 'emulated host: connection failed';

let peer, browser, page, ctx;
const consoleErrors = [];
before(async () => {
  peer = await startPeer({ staticRoots: { '/build/': buildDir, '/container-page/': path.join(here, 'container-page'),
    '/support/': path.join(here, '../support') } });
  ctx = { url: peer.url, refusedUrl: `ws://127.0.0.1:${await refusedPort()}/`, env: 'container', failDetail: DETAIL,
    maxTasks: 5 };
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(`${peer.httpUrl}/container-page/index.html`);
  await page.waitForFunction(() => window.driverReady === true);
});
after(async () => {
  await browser?.close();
  await peer?.close();
});

async function run(vendor, args, { hostile = {}, at = {} } = {}) {
  await page.evaluate(([v, h]) => window.installHost(v, h), [vendor, hostile]);
  const lines = await page.evaluate(([a, t]) => window.runScenario(a, 60000, t), [args, at]);
  const log = await page.evaluate(() => window.emuLog);
  return { lines, log };
}
export { run };

const CONNECT = [
  'T1 connect-returned rs=CONNECTING',
  'T1 connect:success rs=CONNECTING errMsg=connectSocket:ok id=1',
  'T1 connect:complete rs=CONNECTING errMsg=connectSocket:ok id=1',
];
const OPEN = ['T1 open rs=OPEN protocol= extensions='];
const failed = (detail) => [
  `T1 error rs=CLOSED errMsg=onSocketError: WebSocket connection failed detail=${detail}`,
  'T1 close rs=CLOSED code=1006 reason= clean=0',
];
const CLOSE_CALL = ['T1 close:success rs=CLOSING errMsg=closeSocket:ok', 'T1 close:complete rs=CLOSING errMsg=closeSocket:ok'];
const SENT = ['T1 send:success rs=OPEN errMsg=sendSocketMessage:ok', 'T1 send:complete rs=OPEN errMsg=sendSocketMessage:ok'];

test('no global WebSocket in the container page', async () => {
  assert.equal(await page.evaluate(() => window.noGlobalWebSocket), true);
});

test('backend: chosen at run time, forced by tt_runtime_config.backend', async () => {
  const { lines } = await run('tt', ['backend', 'x']);
  assert.deepEqual(lines, ['backend tt', 'force native: rc=-1 backend tt', 'force browser: rc=0 backend none',
    'force tt: rc=0 backend tt', 'force wx: rc=0 backend none', 'END']);
  const wx = await run('wx', ['backend', 'x']);
  assert.equal(wx.lines[0], 'backend wx');
});

for (const vendor of ['tt', 'wx']) {
  test(`web build on the emulated ${vendor}.connectSocket in Chromium`, async (t) => {
    for (const sc of scenarios(ctx)) {
      if (vendor === 'wx' && !/echo|refused|client close 1001/.test(sc.name)) continue;
      await t.test(sc.name, async () => {
        const { lines, log } = await run(vendor, sc.args);
        checkTrace(assert, sc, lines, peer.log);
        assert.ok(log.some((l) => l.startsWith('connectSocket ')), 'the host was used');
      });
    }
  });
}

test('close 1001 reaches the host as 1001; the timeout and the request header are passed to it', async () => {
  const c = await run('tt', ['client_close', `${peer.url}/echo`, '1001', 'background']);
  assert.ok(c.log.includes('close {"code":1001,"reason":"background"}'), c.log.join('\n'));
  const o = await run('tt', ['connect_wait', `${peer.url}/silent`, '', '400']);
  assert.match(o.log[0], /"timeout":1400/);
});

test('forcing a backend the page does not have: the connection fails, no exception', async () => {
  const { lines } = await run('tt', ['wx:connect_wait', `${peer.url}/echo`]);
  assert.deepEqual(lines.slice(0, 3), CONNECT);
  assert.match(lines[3], /^T1 error rs=CLOSED errMsg=onSocketError: WebSocket connection failed detail=/);
  assert.equal(lines[4], 'T1 close rs=CLOSED code=1006 reason= clean=0');
});

test('no uncaught exception in the page', () => {
  assert.deepEqual(consoleErrors, []);
});
