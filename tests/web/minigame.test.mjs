// The mini-game template (web/minigame, `make minigame`) loaded as a container loads it
// (tests/web/minigame-host.mjs: CommonJS game.js, the .wasm by path through TTWebAssembly, no fetch, no
// XMLHttpRequest, no WebSocket, no import.meta.url): the demo client (web/demo/client.c) compiled to wasm
// runs on the emulated tt.connectSocket against the ws peer's echo, and must print the demo's trace.
// Then the npm package bundled as CommonJS, loaded by path the same way (tests/web/minigame-package).
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
const DEADLINE_MS = 20000;

// What web/demo/client.c prints for each player: the trace `make demo` shows natively and in Chromium
// (web/demo/run-demo.mjs requires those two to be equal line by line, player by player). Lines of
// different players may interleave differently; each player's own lines may not.
const DEMO_TRACE = {
  game: [
    'connectSocket:ok (socketTaskId issued)',
    'sendSocketMessage:fail WebSocket is not connected',
    "onOpen protocol='' extensions='' readyState=OPEN",
    'sendSocketMessage:ok',
    "onMessage text 27 'hello from the game, \u4f60\u597d' readyState=OPEN",
    'sendSocketMessage:ok',
    'onMessage binary 1024 fnv=d5da89c5 readyState=OPEN',
    'sendSocketMessage:ok',
    'onMessage text 3 fnv=10f3abd2 readyState=OPEN',
    'closeSocket:fail invalid code',
    'closeSocket:ok',
    'sendSocketMessage:fail WebSocket is not connected',
    "onClose code=1000 reason='game over' wasClean=1 readyState=CLOSED",
  ],
  lost: [
    'connectSocket:ok (socketTaskId issued)',
    "onError 'onSocketError: WebSocket connection failed' readyState=CLOSED",
    "onClose code=1006 reason='' wasClean=0 readyState=CLOSED",
  ],
  late: [
    'connectSocket:ok (socketTaskId issued)',
    'closeSocket:ok',
    "onError 'onSocketError: WebSocket connection failed' readyState=CLOSED",
    "onClose code=1006 reason='' wasClean=0 readyState=CLOSED",
  ],
};

function byPlayer(lines) {
  const groups = {};
  for (const line of lines) {
    const m = line.match(/^\[(\w+)\] (.*)$/);
    if (!m || m[1] === 'demo') continue;
    (groups[m[1]] ??= []).push(m[2]);
  }
  return groups;
}

// Runs a project directory in minigame-host.mjs until `until` matches its stdout (or it exits, or the
// deadline): its stdout and stderr lines.
async function runProject(dir, until, vendor = 'tt') {
  const child = spawn(process.execPath, [path.join(here, 'minigame-host.mjs'), dir, vendor], { stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_PATH: path.join(root, 'tests/node_modules') } });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const done = new Promise((resolve) => child.on('close', resolve));
  const deadline = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
  await new Promise((resolve) => {
    const poll = setInterval(() => { if (until.test(out) || child.exitCode !== null) { clearInterval(poll); resolve(); } }, 20);
  });
  child.kill();
  await done;
  clearTimeout(deadline);
  return { lines: out.split('\n').filter(Boolean), host: err.split('\n').filter(Boolean) };
}

let peer;
const dirs = [];
function tempDir() {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tt-minigame-'));
  dirs.push(d);
  return d;
}
before(async () => { peer = await startPeer(); });
after(async () => {
  await peer?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

let templateDir;
function template() {
  if (templateDir) return templateDir;
  const dir = tempDir();
  const r = spawnSync(path.join(root, 'web/minigame/build.sh'), [path.join(WEB_BUILD_DIR, 'web/minigame'), dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const f of ['game.js', 'game.json', 'project.config.json', 'config.js', 'demo/client.js', 'demo/client.wasm']) {
    assert.ok(fs.existsSync(path.join(dir, f)), f);
  }
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'project.config.json'), 'utf8')).compileType, 'game');
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'demo/client.js'), 'utf8'), /import\.meta|\bimport\(/);
  fs.writeFileSync(path.join(dir, 'config.js'), `module.exports = { url: '${peer.url}/echo' };\n`);
  templateDir = dir;
  return dir;
}

// Douyin (tt, TTWebAssembly) and WeChat (wx, WXWebAssembly): the same project, unchanged.
for (const [vendor, wasm] of [['tt', 'TTWebAssembly'], ['wx', 'WXWebAssembly']]) {
  test(`the template runs the demo client in the emulated container (${vendor}), the .wasm loaded by path`, async () => {
    await runTemplate(vendor, wasm);
  });
}

async function runTemplate(vendor, wasm) {
  const { lines, host } = await runProject(template(), /^\[demo\] done$/m, vendor);
  assert.match(lines[0], new RegExp(`^\\[demo\\] ttsocket \\S+ on ${vendor}$`));
  assert.equal(lines[lines.length - 1], '[demo] done');
  assert.deepEqual(byPlayer(lines), DEMO_TRACE);
  // How the connection opened differs by backend (run-demo.mjs shows it apart): one line, for the player
  // that opened.
  assert.deepEqual(lines.filter((l) => l.startsWith('[profile ')).map((l) => l.split(' ').slice(0, 2).join(' ')),
    ['[profile game]']);
  assert.equal(lines.length, 1 + 1 + 1 + Object.values(DEMO_TRACE).flat().length, lines.join('\n'));
  // The host saw the .wasm asked for by path, one connectSocket per player and the game's three echoes;
  // the sends the core refused (before open, after close) never reached it. Nothing else was printed.
  assert.equal(host[0], `host: ${wasm}.instantiate demo/client.wasm`);
  assert.equal(host.filter((l) => l === 'host: connectSocket').length, 3, host.join('\n'));
  assert.equal(host.filter((l) => l === 'host: send').length, 3, host.join('\n'));
  assert.deepEqual(host.filter((l) => !/^host: (\w+\.instantiate|connectSocket|send|close)\b/.test(l)), []);
}

test('the npm package bundled as CommonJS loads in the emulated container the same way', async () => {
  const dir = tempDir();
  const pkg = path.join(WEB_BUILD_DIR, 'web/package');
  fs.mkdirSync(path.join(dir, 'ttsocket'));
  // The README's "Loading inside a container" command: the package as one CommonJS file.
  const r = spawnSync(path.join(root, 'tests/node_modules/.bin/esbuild'), [path.join(pkg, 'index.js'), '--bundle',
    '--format=cjs', '--platform=neutral', '--target=es2017', '--log-level=error',
    `--outfile=${path.join(dir, 'ttsocket/ttsocket.js')}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  fs.copyFileSync(path.join(pkg, 'ttsocket.wasm'), path.join(dir, 'ttsocket/ttsocket.wasm'));
  fs.copyFileSync(path.join(here, 'minigame-package/game.js'), path.join(dir, 'game.js'));
  fs.writeFileSync(path.join(dir, 'config.js'), `module.exports = { url: '${peer.url}/echo' };\n`);
  assert.doesNotMatch(fs.readFileSync(path.join(dir, 'ttsocket/ttsocket.js'), 'utf8'), /import\.meta|\bimport\(/);

  const { lines, host } = await runProject(dir, /close \d+/);
  assert.match(lines[0], /^ttsocket \S+ on tt$/);
  assert.deepEqual(lines.slice(1), ['connectSocket:ok', 'open', 'message hello from the mini-game', 'close 1000 bye']);
  assert.deepEqual(host, ['host: TTWebAssembly.instantiate ttsocket/ttsocket.wasm',
    'host: connectSocket', 'host: send', 'host: close']);
});
