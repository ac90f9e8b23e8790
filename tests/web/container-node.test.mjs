// The web build's Node program (driver_node.cjs) on the emulated mini-game host backed by the npm `ws`
// client (tests/web/container-node-host.mjs), in a process without a global WebSocket. Here the real
// client can do what a container's native stack does and a browser page cannot: the request header
// reaches the server, close 1001 goes out as 1001, and a failure's errMsg names the cause.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer, refusedPort } from './peer.mjs';
import { scenarios, checkTrace } from './scenarios.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = process.env.TT_WEB_BUILD || path.join(WEB_BUILD_DIR, 'web/tests');
const driver = path.join(buildDir, 'driver_node.cjs');

function runDriver(vendor, args, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-warnings', path.join(here, 'container-node-host.mjs'), vendor, driver, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_PATH: path.join(here, '../node_modules') } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, lines: out.split('\n').filter((l) => l !== ''), host: err.split('\n').filter((l) => l !== '') });
    });
  });
}

let peer;
let refused;
before(async () => {
  peer = await startPeer();
  refused = `ws://127.0.0.1:${await refusedPort()}/`;
});
after(async () => { await peer.close(); });

test('web build on the emulated tt (npm ws underneath) under Node', async (t) => {
  const ctx = { url: peer.url, refusedUrl: refused, env: 'container', wire1001: 1001, maxTasks: 5 };
  const wanted = /^(echo text|server closes with 4000|server closes without|client close|send after close|close while CONNECTING|5 tasks)/;
  for (const sc of scenarios(ctx).filter((s) => wanted.test(s.name))) {
    await t.test(sc.name, async () => {
      const r = await runDriver('tt', sc.args);
      checkTrace(assert, sc, r.lines, peer.log);
      assert.equal(r.code, 0, `exit status; host log:\n${r.host.join('\n')}`);
    });
  }
  await t.test('close 1001 reached the server as 1001, with the request header the game set', () => {
    assert.deepEqual(peer.log.cc1001, { code: 1001, reason: 'background' });
    assert.equal(peer.log['cc1001:x-game'], 'ttsocket');
  });
  await t.test("the real 101's header fields and the host's measured profile reach the open event (wx)", async () => {
    const r = await runDriver('wx', ['observe', `${peer.url}/echo`]);
    assert.equal(r.code, 0, `exit status; host log:\n${r.host.join('\n')}`);
    const header = r.lines.filter((l) => l.startsWith('T1 header ')).map((l) => l.slice('T1 header '.length));
    assert.deepEqual(header.slice(0, 2), ['Upgrade: websocket', 'Connection: Upgrade'], r.lines.join('\n'));
    assert.match(header[2], /^Sec-WebSocket-Accept: [A-Za-z0-9+/]{27}=$/);
    assert.equal(header.length, 3);
    assert.match(r.lines.find((l) => l.startsWith('T1 profile ')), / header=set\/3 caps=0x107$/);
    // 127.0.0.1 needs no lookup: at fetchStart, as WeChat reports a cached one. Connect and TLS are one
    // span (WeChat's connectEnd), rtt is that span, handshakeCost the host's own measure.
    const ms = r.lines.find((l) => l.startsWith('T1 profile_ms ')).slice('T1 profile_ms '.length);
    const m = ms.match(/^domain_lookup_start=0 domain_lookup_end=0 connect_start=(\d+) tcp_connect_end=u ssl_connection_start=u ssl_connection_end=u connect_end=(\d+) request_start=u request_end=u response_end=u rtt=(\d+) handshake_cost=(\d+)$/);
    assert.ok(m, ms);
    assert.ok(Number(m[1]) <= Number(m[2]), ms);
    assert.equal(Number(m[3]), m[2] - m[1]);
  });
  await t.test("a refused connection: the host's errMsg is the error detail", async () => {
    const r = await runDriver('wx', ['connect_wait', refused]);
    assert.match(r.lines[3], /^T1 error rs=CLOSED errMsg=onSocketError: WebSocket connection failed detail=emulated host: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
    assert.deepEqual(r.lines.slice(4), ['T1 close rs=CLOSED code=1006 reason= clean=0', 'END']);
  });
});
