// A web game under Node whose main() returns right after tt_connect_socket (tests/web/lifetime.c, linked
// with the README's Node flags -sENVIRONMENT=node -sEXIT_RUNTIME=1 -sSINGLE_FILE=1). Node exits as soon
// as nothing keeps the Emscripten runtime alive, so every live task must hold it until its onClose has
// been delivered: 20 runs in a row must each print the whole echo-and-close session and exit 0.
// Also: tt_runtime_poll(-1) with nothing live returns TT_EIDLE on the web build too, a refused task ends
// the process after its fail callback, and without --experimental-websocket
// the error detail says that there is no global WebSocket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from './peer.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = process.env.TT_WEB_BUILD || path.join(WEB_BUILD_DIR, 'web/tests');
const program = path.join(buildDir, 'lifetime_node.cjs');
const RUNS = 20;

function run(nodeFlags, args, timeoutMs = 30000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, '--no-warnings', program, ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

let peer;
before(async () => { peer = await startPeer(); });
after(async () => { await peer.close(); });

test('a task keeps the web runtime alive under Node until its onClose', async (t) => {
  await t.test(`echo and close, ${RUNS} runs in a row: every event arrives, exit status 0`, async () => {
    const expected = [
      'main returns',
      'connect connectSocket:ok',
      'open',
      'send sendSocketMessage:ok',
      'message text one',
      'send sendSocketMessage:ok',
      'message binary 3',
      'send sendSocketMessage:ok',
      'message text three',
      'close closeSocket:ok',
      'onclose 4000 done clean',
      '',
    ].join('\n');
    for (let i = 0; i < RUNS; i++) {
      const r = await run(['--experimental-websocket'], ['echo', `${peer.url}/echo?tag=life${i}`]);
      assert.equal(r.out, expected, `run ${i + 1} of ${RUNS}`);
      assert.equal(r.err, '', `run ${i + 1}: stderr`);
      assert.equal(r.code, 0, `run ${i + 1}: exit status`);
      assert.deepEqual(peer.log[`life${i}`], { code: 4000, reason: 'done' }, `run ${i + 1}: the peer saw the close`);
    }
  });

  await t.test('a refused task: tt_runtime_poll(-1) is TT_EIDLE before and after its fail callback; the process ends', async () => {
    const r = await run(['--experimental-websocket'], ['refused', `${peer.url}/echo`]);
    const idle = 'nothing to wait for: no live task and no pending callback';
    assert.equal(r.out, [
      `poll before any task: ${idle}`,
      'connect connectSocket:fail url scheme must be wss',
      'poll delivered 1',
      `poll after: ${idle}`,
      'main returns',
      '',
    ].join('\n'));
    assert.equal(r.code, 0);
  });

  await t.test('without --experimental-websocket the detail says there is no global WebSocket', async () => {
    const r = await run([], ['echo', `${peer.url}/echo`]);
    assert.equal(r.out, [
      'main returns',
      'connect connectSocket:ok',
      'error onSocketError: WebSocket connection failed (no global WebSocket in this JavaScript environment)',
      'onclose 1006  not-clean',
      '',
    ].join('\n'));
    assert.equal(r.code, 0);
  });
});
