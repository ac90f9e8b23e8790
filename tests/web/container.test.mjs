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
    '/support/': path.join(here, '../support'), '/pkg/': path.join(WEB_BUILD_DIR, 'web/package') } });
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
  { name: "a send the host fails while the server's Close is under way: the host's onClose decides (the server's code)",
    // The server closes at once; the host reports onOpen 100 ms later (its socket is closed by then, so the
    // game's send there fails) and onClose 300 ms later.
    hostile: { lateEvents: { onOpen: 100, onClose: 300 } }, args: ['echo', `${u}/close?code=4000&reason=bye`, 'text', '5'],
    expect: [...CONNECT, ...OPEN, ...SENT, 'T1 close rs=CLOSED code=4000 reason=bye clean=1', 'END'] },
  { name: 'socket killed in the background without an event: at onShow, close 1006 (a drop, no error)',
    args: ['connect_wait', `${u}/echo`], at: { 300: 'hide', 400: 'killAll', 500: 'show' },
    expect: [...CONNECT, ...OPEN, '(host hide)', '(host killAll)', '(host show)', 'T1 close rs=CLOSED code=1006 reason= clean=0', 'END'] },
];

test('hostile hosts: one documented outcome each, never a hang or an exception into the game', async (t) => {
  for (const hc of hostileCases(peer.url)) {
    await t.test(hc.name, async () => {
      const { lines, log } = await run('tt', hc.args, hc);
      assert.deepEqual(lines, hc.expect, `host log:\n${log.join('\n')}`);
    });
  }
});

// The open event on the container backend: the host's response header and (WeChat) profile, observed
// by the driver's "observe" scenario (tests/web/driver.c): header lines, then the profile in ms after
// fetch_start (durations as they are), "u" for unknown.
async function observe(vendor, hostile = {}) {
  const { lines } = await run(vendor, ['observe', `${peer.url}/echo`], { hostile });
  assert.equal(lines.at(-1), 'END', lines.join('\n'));
  assert.ok(lines.includes('T1 close rs=CLOSED code=1000 reason=ok clean=1'), lines.join('\n'));
  return {
    summary: lines.find((l) => l.startsWith('T1 profile ')).replace(/^.* (header=\S+) (caps=\S+)$/, '$1 $2'),
    header: lines.filter((l) => l.startsWith('T1 header ')).map((l) => l.slice('T1 header '.length)),
    ms: lines.find((l) => l.startsWith('T1 profile_ms ')).slice('T1 profile_ms '.length),
  };
}
const ALL_UNKNOWN = 'domain_lookup_start=u domain_lookup_end=u connect_start=u tcp_connect_end=u ssl_connection_start=u ' +
  'ssl_connection_end=u connect_end=u request_start=u request_end=u response_end=u rtt=u handshake_cost=u';

test("the host's response header reaches the open event: every field, names and values as the host gave them", async () => {
  const o = await observe('tt', { header: { Upgrade: 'websocket', 'x-Server': ' emulated, ok ', 'Sec-WebSocket-Accept': 'abc=' } });
  assert.deepEqual(o.header, ['Upgrade: websocket', 'x-Server:  emulated, ok ', 'Sec-WebSocket-Accept: abc=']);
  assert.equal(o.summary, 'header=set/3 caps=0x107');
  assert.equal(o.ms, ALL_UNKNOWN, 'Douyin documents no profile');
});

test('hostile header: not an object gives none; a field whose value is not a string, or that holds a NUL, is left out', async () => {
  for (const header of ['Upgrade: websocket', 42, null]) {
    const o = await observe('tt', { header });
    assert.deepEqual(o.header, [], JSON.stringify(header));
    assert.equal(o.summary, 'header=null/0 caps=0x107');
  }
  const o = await observe('tt', { header: { A: 1, B: 'b', C: null, D: ['d'], 'E\0': 'e', F: 'f\0', G: '' } });
  assert.deepEqual(o.header, ['B: b', 'G: ']);
});

test("WeChat's profile: its times placed after fetch_start, its durations as they are, the rest unknown", async () => {
  // In Chromium the emulator measures only fetchStart and cost: the same unknowns as the browser.
  assert.equal((await observe('wx')).ms, ALL_UNKNOWN);
  const at = { domainLookupStart: 1, domainLookUpEnd: 3, connectStart: 4, connectEnd: 9, rtt: 6, handshakeCost: 7, cost: 12 };
  const o = await observe('wx', { profileAt: at });
  assert.equal(o.ms, 'domain_lookup_start=1 domain_lookup_end=3 connect_start=4 tcp_connect_end=u ssl_connection_start=u ' +
    'ssl_connection_end=u connect_end=9 request_start=u request_end=u response_end=u rtt=6 handshake_cost=7');
  // The TLS times a wx.request profile has, should a host give them on onOpen (its request and response
  // times are not taken: WeChat's onOpen has none).
  const tls = await observe('wx', { profileAt: { SSLconnectionStart: 5, SSLconnectionEnd: 8, requestStart: 10, responseEnd: 14 } });
  assert.equal(tls.ms, 'domain_lookup_start=u domain_lookup_end=u connect_start=u tcp_connect_end=u ssl_connection_start=5 ' +
    'ssl_connection_end=8 connect_end=8 request_start=u request_end=u response_end=u rtt=u handshake_cost=u');
});

test('hostile profile: not an object, missing or non-number fields, times before fetchStart: those fields unknown', async () => {
  for (const profile of ['fast', 42, null, [1, 2]]) assert.equal((await observe('wx', { profile })).ms, ALL_UNKNOWN, JSON.stringify(profile));
  const odd = await observe('wx', { profileAt: { connectStart: '4', domainLookUpStart: -2, domainLookUpEnd: null, connectEnd: 9, rtt: -3, handshakeCost: 'x' } });
  assert.equal(odd.ms, 'domain_lookup_start=u domain_lookup_end=u connect_start=u tcp_connect_end=u ssl_connection_start=u ' +
    'ssl_connection_end=u connect_end=9 request_start=u request_end=u response_end=u rtt=u handshake_cost=u');
  // Without a numeric fetchStart no time can be placed; the durations still can.
  const noStart = await observe('wx', { profile: { fetchStart: 'now', connectStart: 5, connectEnd: 7, rtt: 2, handshakeCost: 3 } });
  assert.equal(noStart.ms, 'domain_lookup_start=u domain_lookup_end=u connect_start=u tcp_connect_end=u ssl_connection_start=u ' +
    'ssl_connection_end=u connect_end=u request_start=u request_end=u response_end=u rtt=2 handshake_cost=3');
});

test("the npm package on the emulated tt: onOpen's header holds the host's fields", async () => {
  await page.evaluate(() => window.installHost('tt', { header: { Upgrade: 'websocket', 'X-Server': 'emulated' } }, {}));
  const got = await page.evaluate(async (url) => {
    const { default: createTTSocket } = await import('/pkg/index.js');
    const tt = await createTTSocket();
    tt.configure({ skipDomainCheck: true });
    return new Promise((resolve) => {
      const task = tt.connectSocket({ url });
      task.onOpen((e) => { resolve({ backend: tt.backend(), header: e.header, responseHeader: tt.capabilities().responseHeader }); task.close({}); });
      task.onError((e) => resolve({ error: e.errMsg }));
    });
  }, `${peer.url}/echo`);
  assert.deepEqual(got, { backend: 'tt', header: { Upgrade: 'websocket', 'X-Server': 'emulated' }, responseHeader: true });
});

test('no uncaught exception in the page', () => {
  assert.deepEqual(consoleErrors, []);
});
