// The README's recipes, run as a newcomer would: the named code blocks of README.md and
// web/package/README.md (see blocks.mjs) are taken from the files, not retyped, and run with bash from the
// checkout with HOME set to a fresh temporary folder (so ~/game, ~/build and ~/opt are new), the only
// change being PORT, replaced by the port the README's own echo server printed. Then:
// - the sample game (block game.c) built against the installed native library, under Node against the
//   installed web library, and in a Chromium page: each prints exactly the README's game-output block;
// - the same native program with options the runtime refuses ends (its poll loop meets TT_EIDLE);
// - ttws prints the README's ttws-output block;
// - the package README's example, in a page with its import map, served by web/demo/serve.mjs, logs
//   exactly its package-output block.
// Every fenced block of both files is either used here or marked skip with a reason.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBlocks } from './blocks.mjs';
import { launchChromium } from '../web/chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const readme = readBlocks(path.join(root, 'README.md'));
const pkgReadme = readBlocks(path.join(root, 'web/package/README.md'));
const BUILD_MS = 20 * 60 * 1000;
const RUN_MS = 30 * 1000;

let home, env, port, servers = [], browser;

function block(doc, name) {
  const b = doc.blocks.get(name);
  assert.ok(b, `no block named ${name}`);
  return b.text.replace(/\bPORT\b/g, String(port));
}

// Runs a shell block from the checkout; resolves with { code, stdout, stderr }.
function sh(text, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', text], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

async function shOk(text, timeoutMs) {
  const r = await sh(text, timeoutMs);
  assert.equal(r.code, 0, `${text}\nexit ${r.code} ${r.signal ?? ''}\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
  return r;
}

// Starts a long-running block (the echo server) in its own process group; resolves with the port it
// prints ("echo at ws://127.0.0.1:PORT/echo").
function startServer(text) {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', text], { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    servers.push(child);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no port from: ${text}\n${out}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /echo at ws:\/\/127\.0\.0\.1:(\d+)\/echo/.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

// Opens url in Chromium and polls finish(page, consoleLines) until it returns something (30 s at most).
async function inChromium(url, finish) {
  const page = await browser.context.newPage();
  const errors = [];
  const consoleLines = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // The browser's own request for /favicon.ico (a 404 from serve.mjs) is not the page's output.
  page.on('console', (m) => { if (!/\/favicon\.ico$/.test(m.location()?.url ?? '')) consoleLines.push(m.text()); });
  await page.goto(url);
  let result;
  for (const end = Date.now() + 30000; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    if ((result = await finish(page, consoleLines)) !== undefined) break;
  }
  await page.close();
  assert.deepEqual(errors, [], 'page errors');
  return result;
}

before(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'ttsocket-readme-'));
  env = { ...process.env, HOME: home };
  fs.mkdirSync(path.join(home, 'game'));
  fs.writeFileSync(path.join(home, 'game/game.c'), block(readme, 'game.c'));
  port = await startServer(block(readme, 'echo-server'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  for (const s of servers) { try { process.kill(-s.pid, 'SIGTERM'); } catch { /* already gone */ } }
  fs.rmSync(home, { recursive: true, force: true });
});

test('every code block of README.md and web/package/README.md is named or skipped', () => {
  assert.deepEqual(readme.untagged, [], 'README.md fences without <!-- readme-test: ... -->');
  assert.deepEqual(pkgReadme.untagged, [], 'web/package/README.md fences without <!-- readme-test: ... -->');
});

test('the README recipes, natively, under Node and in Chromium', async (t) => {
  const gameOutput = block(readme, 'game-output');

  await t.test('native: build out of tree without tests, install, build the sample, run it', async () => {
    await shOk(block(readme, 'native-build'), BUILD_MS);
    assert.ok(!fs.existsSync(path.join(home, 'build/ttsocket/tests')), 'TT_BUILD_TESTS=OFF built no tests');
    const r = await shOk(block(readme, 'native-run'), RUN_MS);
    assert.equal(r.stdout, gameOutput);
  });

  await t.test('native: the sample with options the runtime refuses ends after its fail callback', async () => {
    // The README's own loop: before TT_EIDLE it spun forever here.
    const r = await sh(`~/game/game 'ftp://127.0.0.1:${port}/echo'`, RUN_MS);
    assert.equal(r.signal, null, 'the program ended by itself');
    assert.equal(r.stdout, 'connectSocket:fail invalid url scheme\n');
    assert.equal(r.code, 0);
  });

  await t.test('ttws against the echo server', async () => {
    const r = await shOk(block(readme, 'ttws-run'), RUN_MS);
    assert.equal(r.stdout, block(readme, 'ttws-output'));
  });

  await t.test('web: build with emcmake, install, build the sample for Node, run it', async () => {
    await shOk(block(readme, 'web-build'), BUILD_MS);
    const r = await shOk(block(readme, 'node-run'), RUN_MS);
    assert.equal(r.stdout, gameOutput);
  });

  await t.test('web: the sample in a Chromium page served by the echo server', async () => {
    fs.writeFileSync(path.join(home, 'game/index.html'), block(readme, 'page-html'));
    await shOk(block(readme, 'page-build'), BUILD_MS);
    const text = await inChromium(`http://127.0.0.1:${port}/`, async (page) => {
      const out = await page.evaluate(() => document.getElementById('out')?.textContent ?? '');
      return /^close /m.test(out) ? out : undefined;
    });
    assert.equal(text, gameOutput);
  });

  await t.test('package README: the example in a page with an import map, served by serve.mjs', async () => {
    const dir = path.join(home, 'jsgame');
    fs.mkdirSync(dir);
    fs.cpSync(path.join(home, 'opt/tt-web/share/ttsocket/package'), path.join(dir, 'ttsocket-web'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'game.mjs'), block(pkgReadme, 'package-example'));
    fs.writeFileSync(path.join(dir, 'index.html'), block(pkgReadme, 'package-page'));
    const jsPort = await startServer(`NODE_PATH=tests/node_modules node web/demo/serve.mjs ${dir}`);
    const lines = await inChromium(`http://127.0.0.1:${jsPort}/`,
      async (page, seen) => (seen.length >= 3 ? seen.slice() : undefined)) ?? [];
    assert.equal(lines.map((l) => l + '\n').join(''), block(pkgReadme, 'package-output'));
  });
});
