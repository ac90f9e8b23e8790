// Web build under Node 20 (--experimental-websocket gives the global WebSocket): every scenario of
// scenarios.mjs runs tests/web/driver.c (build/web/web/tests/driver_node.cjs) in a fresh process against
// the ws peer on 127.0.0.1, and the trace must match exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer, refusedPort } from './peer.mjs';
import { scenarios, checkTrace, fnv1a } from './scenarios.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = process.env.TT_WEB_BUILD || path.join(WEB_BUILD_DIR, 'web/tests');
const driver = path.join(buildDir, 'driver_node.cjs');

function runDriver(args, timeoutMs = 60000, program = driver) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', program, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, lines: out.split('\n').filter((l) => l !== ''), stderr: err });
    });
  });
}

let peer;
let ctx;
before(async () => {
  peer = await startPeer();
  ctx = { url: peer.url, refusedUrl: `ws://127.0.0.1:${await refusedPort()}/`, env: 'node' };
});
after(async () => { await peer.close(); });

// The scenario list needs the peer's port, so the tests are declared from inside one parent test.
test('web build under Node 20', async (t) => {
  for (const sc of scenarios(ctx)) {
    await t.test(sc.name, async () => {
      const r = await runDriver(sc.args);
      assert.equal(r.stderr, '', 'stderr');
      checkTrace(assert, sc, r.lines, peer.log);
      assert.equal(r.code, 0, 'exit status');
    });
  }
});

// A 16 MiB message for task 1 while task 2 echoes: the driver linked as most games are (Emscripten's
// fixed 16 MiB heap, whose malloc aborts the program when it cannot grow) must fail only task 1, with
// "message too large" and close 1006; linked with a growing heap it receives the message. Task 2 is
// unaffected either way.
test('a 16 MiB message into a fixed heap fails its task only; a growing heap takes it', async (t) => {
  const big = 16 << 20;
  const task1 = ['T1 connect-returned rs=CONNECTING', 'T1 connect:success rs=CONNECTING errMsg=connectSocket:ok id=1',
    'T1 connect:complete rs=CONNECTING errMsg=connectSocket:ok id=1', 'T1 open rs=OPEN protocol= extensions='];
  const task2 = ['T2 connect-returned rs=CONNECTING', 'T2 connect:success rs=CONNECTING errMsg=connectSocket:ok id=2',
    'T2 connect:complete rs=CONNECTING errMsg=connectSocket:ok id=2', 'T2 open rs=OPEN protocol= extensions=',
    'T2 send:success rs=OPEN errMsg=sendSocketMessage:ok', 'T2 send:complete rs=OPEN errMsg=sendSocketMessage:ok',
    `T2 message rs=OPEN type=text len=5 hash=${fnv1a(new TextEncoder().encode('hello'))}`,
    'T2 close:success rs=CLOSING errMsg=closeSocket:ok', 'T2 close:complete rs=CLOSING errMsg=closeSocket:ok',
    'T2 close rs=CLOSED code=1000 reason=ok clean=1'];
  const cases = [
    ['fixed', 'driver_node_fixed.cjs', [...task1,
      'T1 error rs=CLOSED errMsg=onSocketError: WebSocket message too large detail=message does not fit in the wasm heap',
      'T1 close rs=CLOSED code=1006 reason= clean=0']],
    ['growing', 'driver_node.cjs', [...task1,
      `T1 message rs=OPEN type=binary len=${big} hash=${fnv1a(new Uint8Array(big))}`,
      'T1 close:success rs=CLOSING errMsg=closeSocket:ok', 'T1 close:complete rs=CLOSING errMsg=closeSocket:ok',
      'T1 close rs=CLOSED code=1000 reason=ok clean=1']],
  ];
  for (const [heap, program, expect1] of cases) {
    await t.test(`${heap} heap`, async () => {
      const r = await runDriver(['big', `${peer.url}/big?n=${big}`, `${peer.url}/echo`], 60000, path.join(buildDir, program));
      assert.equal(r.stderr, '', 'stderr');
      assert.equal(r.lines.at(-1), 'END', `trace did not end:\n${r.lines.join('\n')}`);
      assert.deepEqual(r.lines.filter((l) => l.startsWith('T1 ')), expect1);
      assert.deepEqual(r.lines.filter((l) => l.startsWith('T2 ')), task2);
      assert.equal(r.code, 0, 'exit status');
    });
  }
});
