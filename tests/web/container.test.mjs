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
import { scenarios, checkTrace, fnv1a, payload } from './scenarios.mjs';
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

async function run(vendor, args, { hostile = {}, at = {}, options = {} } = {}) {
  await page.evaluate(([v, h, o]) => window.installHost(v, h, o), [vendor, hostile, options]);
  const lines = await page.evaluate(([a, t]) => window.runScenario(a, 60000, t), [args, at]);
  const log = await page.evaluate(() => window.emuLog);
  return { lines, log };
}

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
        // A URL the core refuses never reaches the host; every other scenario must have used it.
        const refused = (sc.expect || []).some((l) => / connect:fail /.test(l));
        assert.equal(log.some((l) => l.startsWith('connectSocket ')), !refused, 'the host was used iff the core accepted');
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

// Every way a host may misbehave, each with its one documented outcome (README "Mini-game containers").
const ECHO5 = (u) => ['echo', `${u}/echo`, 'text', '5'];
const msg = (type, n) => `T1 message rs=OPEN type=${type} len=${n} hash=${fnv1a(payload(type, n))}`;
const MSG5 = msg('text', 5);
const ECHOED = [...CONNECT, ...OPEN, ...SENT, MSG5, ...CLOSE_CALL, 'T1 close rs=CLOSED code=1000 reason=done clean=1', 'END'];
const BUFFERED = (atMessage) => [...CONNECT, ...OPEN, 'T1 buffered=5', ...SENT, 'T1 message rs=OPEN type=text len=5 hash=4f9f2cab',
  `T1 buffered=${atMessage}`, ...CLOSE_CALL, 'T1 close rs=CLOSED code=1000 reason=ok clean=1', 'END'];
const hostileCases = (u) => [
  { name: 'callbacks delivered synchronously inside connectSocket/send/close: same trace', hostile: { syncCallbacks: true },
    args: ECHO5(u), expect: ECHOED },
  { name: 'connectSocket fail delivered synchronously (ws:// refused): error with the host errMsg', hostile: { syncCallbacks: true },
    options: { skipDomainCheck: false }, args: ['connect_wait', `${u}/echo`],
    expect: [...CONNECT, ...failed('connectSocket:fail url scheme must be wss'), 'END'] },
  { name: 'connectSocket success only after onOpen: ignored, same trace', hostile: { successAfterOpen: true },
    args: ECHO5(u), expect: ECHOED },
  { name: 'onError without onClose: the error ends it (error + 1006), no hang', hostile: { errorWithoutClose: true },
    args: ['connect_wait', `${u}/reject`], expect: [...CONNECT, ...failed(DETAIL), 'END'] },
  { name: 'onClose twice: one onClose', hostile: { closeTwice: true },
    args: ['connect_wait', `${u}/close?code=4000&reason=bye`], expect: [...CONNECT, ...OPEN, 'T1 close rs=CLOSED code=4000 reason=bye clean=1', 'END'] },
  { name: 'events after onClose: ignored', hostile: { eventsAfterClose: true },
    args: ['connect_wait', `${u}/close?code=4000&reason=bye`], expect: [...CONNECT, ...OPEN, 'T1 close rs=CLOSED code=4000 reason=bye clean=1', 'END'] },
  ...['typed', 'dataview'].map((dataAs) => ({ name: `binary data as ${dataAs === 'typed' ? 'a Uint8Array inside a larger buffer' : 'a DataView'}: the same bytes`,
    hostile: { dataAs }, args: ['echo', `${u}/echo`, 'binary', '0,5,70000'],
    expect: [...CONNECT, ...OPEN, ...SENT, msg('binary', 0), ...SENT, msg('binary', 5), ...SENT, msg('binary', 70000),
      ...CLOSE_CALL, 'T1 close rs=CLOSED code=1000 reason=done clean=1', 'END'] })),
  { name: 'message data of another type: the connection fails (error + 1006)', hostile: { dataAs: 'number' },
    args: ['echo', `${u}/echo`, 'binary', '5'],
    expect: [...CONNECT, ...OPEN, ...SENT, ...failed('message data is neither string nor ArrayBuffer'), 'END'] },
  { name: 'connectSocket throws: connectSocket:ok, then error (the exception as detail) + 1006', hostile: { throwIn: 'connectSocket' },
    args: ['connect_wait', `${u}/echo`], expect: [...CONNECT, ...failed('host threw: emulated connectSocket exception'), 'END'] },
  { name: 'SocketTask.onOpen throws: error (the exception as detail) + 1006', hostile: { throwIn: 'onOpen' },
    args: ['connect_wait', `${u}/echo`], expect: [...CONNECT, ...failed('host threw: emulated onOpen exception'), 'END'] },
  { name: 'send throws: that send fails (not connected), then error (the exception as detail) + 1006', hostile: { throwIn: 'send' },
    args: ECHO5(u), expect: [...CONNECT, ...OPEN,
      'T1 send:fail rs=OPEN errMsg=sendSocketMessage:fail WebSocket is not connected',
      'T1 send:complete rs=OPEN errMsg=sendSocketMessage:fail WebSocket is not connected',
      ...failed('host threw: emulated send exception'), 'END'] },
  { name: 'close throws: error (the exception as detail) + 1006', hostile: { throwIn: 'close' },
    args: ['client_close', `${u}/echo`, '1000', 'bye'],
    expect: [...CONNECT, ...OPEN, ...CLOSE_CALL, ...failed('host threw: emulated close exception'), 'END'] },
  { name: 'send whose success/fail never comes: its bytes stay in bufferedAmount, nothing hangs', hostile: { sendSilent: true },
    args: ['buffered', `${u}/echo`], expect: BUFFERED(5) },
  { name: 'bufferedAmount: bytes handed to the host until its send reports', args: ['buffered', `${u}/echo`], expect: BUFFERED(0) },
  { name: "send's success delivered synchronously inside send: counted, then given back after send returns",
    hostile: { syncCallbacks: true }, args: ['buffered', `${u}/echo`], expect: BUFFERED(0) },
  { name: 'send reported as failed: error (the host errMsg) + 1006', hostile: { sendFail: true },
    args: ECHO5(u), expect: [...CONNECT, ...OPEN, ...SENT, ...failed('sendSocketMessage:fail emulated'), 'END'] },
  { name: 'a message the host delivers after close(): dropped, as the browser drops one after close()', hostile: { messageOnClose: true },
    args: ['client_close', `${u}/echo`, '1000', 'bye'],
    expect: [...CONNECT, ...OPEN, ...CLOSE_CALL, 'T1 close rs=CLOSED code=1000 reason=bye clean=1', 'END'] },
  { name: 'close() that the host never answers: after close_timeout_ms, close 1006 (not clean), as native', hostile: { closeSilent: true },
    args: ['client_close_quick', `${u}/echo`, '1000', 'bye'],
    expect: [...CONNECT, ...OPEN, ...CLOSE_CALL, 'T1 close rs=CLOSED code=1006 reason= clean=0', 'END'] },
  { name: 'socket killed in the background without an event: at onShow, close 1006 (a drop, no error)',
    args: ['connect_wait', `${u}/echo`], at: { 300: 'hide', 400: 'killAll', 500: 'show' },
    expect: [...CONNECT, ...OPEN, '(host hide)', '(host killAll)', '(host show)', 'T1 close rs=CLOSED code=1006 reason= clean=0', 'END'] },
];

test('hostile hosts: one documented outcome each, never a hang or an exception into the game', async (t) => {
  for (const hc of hostileCases(peer.url)) {
    await t.test(hc.name, async () => {
      const { lines } = await run('tt', hc.args, hc);
      assert.deepEqual(lines, hc.expect);
    });
  }
});

test('no uncaught exception in the page', () => {
  assert.deepEqual(consoleErrors, []);
});
