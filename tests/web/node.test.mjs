// Web build under Node 20 (--experimental-websocket gives the global WebSocket): every scenario of
// scenarios.mjs runs tests/web/driver.c (build/web/web/tests/driver_node.cjs) in a fresh process against
// the ws peer on 127.0.0.1, and the trace must match exactly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer, refusedPort } from './peer.mjs';
import { scenarios, checkTrace } from './scenarios.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const buildDir = process.env.TT_WEB_BUILD || path.join(WEB_BUILD_DIR, 'web/tests');
const driver = path.join(buildDir, 'driver_node.cjs');

function runDriver(args, timeoutMs = 60000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', driver, ...args],
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
