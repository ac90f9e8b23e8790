// `make demo`: starts the bundled echo server, runs the sample game client (web/demo/client.c) natively
// and in headless Chromium against it, and prints both event traces side by side with a verdict.
//   node web/demo/run-demo.mjs <native tt_demo_client> <web demo dir (holds client.html, client.js)>
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../tests/web/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const [nativeClient, webDir] = process.argv.slice(2);
if (!nativeClient || !webDir) {
  console.error('usage: node web/demo/run-demo.mjs <tt_demo_client> <build/web/web/demo>');
  process.exit(2);
}
const DEADLINE_MS = 30000;

// The echo server (and static page server) of web/demo/serve.mjs, on a free port of 127.0.0.1.
function startServer() {
  const child = spawn(process.execPath, [path.join(here, 'serve.mjs'), path.resolve(webDir), '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('echo server did not start')), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
    });
    child.on('exit', (code) => reject(new Error(`echo server exited (${code})`)));
  });
}

function runNative(url) {
  return new Promise((resolve) => {
    const child = spawn(nativeClient, [url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.stdout.on('data', (d) => { out += d; });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, lines: out.split('\n').filter(Boolean) }); });
  });
}

async function runChromium(port) {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/client.html`);
    await page.waitForFunction(() => window.demoLines && window.demoLines.includes('[demo] done'), null,
      { timeout: DEADLINE_MS }).catch(() => {});
    const lines = await page.evaluate(() => window.demoLines || []);
    return { lines, errors };
  } finally {
    await browser.close();
  }
}

// Lines of different players may interleave differently; each player's own sequence must not.
function byPlayer(lines) {
  const groups = new Map();
  for (const line of lines) {
    const m = line.match(/^\[(\w+)\] (.*)$/);
    if (!m || m[1] === 'demo') continue;
    if (!groups.has(m[1])) groups.set(m[1], []);
    groups.get(m[1]).push(m[2]);
  }
  return groups;
}

function clip(s, n) { return s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n); }

const { child: server, port } = await startServer();
let exitCode = 1;
try {
  const url = `ws://127.0.0.1:${port}/echo`;
  console.log(`ttsocket demo: one C game client (web/demo/client.c), built natively and for the browser,`);
  console.log(`against the bundled echo server ${url}\n`);
  const native = await runNative(url);
  const web = await runChromium(port);
  const a = byPlayer(native.lines);
  const b = byPlayer(web.lines);
  const players = [...new Set([...a.keys(), ...b.keys()])];
  const W = 64;
  console.log(`${'player'.padEnd(6)}  ${clip('native (epoll + OpenSSL)', W)}  ${clip('headless Chromium (wasm)', W)}  same`);
  console.log('-'.repeat(6 + 2 + W + 2 + W + 6));
  let same = 0, total = 0, playersSame = 0;
  for (const p of players) {
    const x = a.get(p) || [], y = b.get(p) || [];
    let all = true;
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const eq = x[i] === y[i];
      all &&= eq;
      total++;
      if (eq) same++;
      console.log(`${p.padEnd(6)}  ${clip(x[i] ?? '(missing)', W)}  ${clip(y[i] ?? '(missing)', W)}  ${eq ? 'yes' : 'NO'}`);
    }
    if (all) playersSame++;
  }
  // How each player's connection opened (tt_open_profile): the one part meant to differ by backend.
  const profiles = (lines) => lines.filter((l) => l.startsWith('[profile '));
  console.log('\nhow each connection opened (ms; ? = the backend cannot know it):');
  for (const l of profiles(native.lines)) console.log(`  native    ${l}`);
  for (const l of profiles(web.lines)) console.log(`  chromium  ${l}`);
  const nativeDone = native.lines.includes('[demo] done');
  const webDone = web.lines.includes('[demo] done');
  console.log('');
  if (web.errors.length) console.log(`page errors: ${web.errors.join('; ')}`);
  console.log(`native finished: ${nativeDone ? 'yes' : 'NO'} (exit ${native.code}); chromium finished: ${webDone ? 'yes' : 'NO'}`);
  const ok = nativeDone && webDone && same === total && players.length === 3 && web.errors.length === 0;
  console.log(`demo: ${playersSame}/${players.length} players identical, ${same}/${total} lines the same -> ${ok ? 'MATCH' : 'MISMATCH'}`);
  exitCode = ok ? 0 : 1;
} finally {
  server.kill('SIGTERM');
}
process.exit(exitCode);
