// The mini-game template (web/minigame, `make minigame`) loaded as a container loads it
// (tests/web/minigame-host.mjs: CommonJS game.js, the .wasm by path through TTWebAssembly, no fetch, no
// import.meta.url, no WebSocket), talking to the ws peer through the emulated tt.connectSocket.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPeer } from './peer.mjs';
import { WEB_BUILD_DIR } from './toolchain.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
let peer, dir;
before(async () => {
  peer = await startPeer();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-minigame-'));
  const r = spawnSync(path.join(root, 'web/minigame/build.sh'), [path.join(WEB_BUILD_DIR, 'web/package'), dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  fs.writeFileSync(path.join(dir, 'config.js'),
    `module.exports = { url: '${peer.url}/echo', socketDomains: [], skipDomainCheck: true };\n`);
});
after(async () => {
  await peer?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the template project runs in the emulated container, the .wasm loaded by path', async () => {
  for (const f of ['game.js', 'game.json', 'project.config.json', 'ttsocket/ttsocket.js', 'ttsocket/ttsocket.wasm']) {
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  }
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'ttsocket/ttsocket.js'), 'utf8'), /import\.meta|\bimport\(/);
  const child = spawn(process.execPath, [path.join(here, 'minigame-host.mjs'), dir], { stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_PATH: path.join(root, 'tests/node_modules') } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => child.on('close', resolve));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 20000);
  await new Promise((resolve) => {
    const poll = setInterval(() => { if (/close \d+/.test(out) || child.exitCode !== null) { clearInterval(poll); resolve(); } }, 20);
  });
  child.kill();
  await done;
  clearTimeout(deadline);
  const lines = out.split('\n').filter(Boolean);
  assert.match(lines[0], /^ttsocket \S+ on tt$/);
  assert.deepEqual(lines.slice(1), ['connectSocket:ok', 'open', 'message hello from the mini-game', 'close 1000 bye']);
  assert.deepEqual(err.split('\n').filter(Boolean), ['host: TTWebAssembly.instantiate ttsocket/ttsocket.wasm',
    'host: connectSocket', 'host: send', 'host: close']);
});
