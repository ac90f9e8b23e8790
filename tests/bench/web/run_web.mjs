// The web benchmark: headless Debian Chromium (playwright-core, fresh profile) loads build/bench/web/page
// and runs `count` small echo messages through the ttsocket C API (web build) and through a plain
// JavaScript WebSocket on the same page against the same echo server, alternating, `reps` times each.
// Usage: node run_web.mjs PAGE_DIR WS_URL [count=10000] [window=1] [reps=5] [size=16] [container=1]
// container=1: the same on the mini-game container backend (an emulated tt, no global WebSocket): the C
// API on tt.connectSocket against a game calling that tt directly.
// Prints one JSON line: {"c_ms":[...],"js_ms":[...],"count":N,"window":W,"chromium":"version"}
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [pageDir, wsUrl, ...rest] = process.argv.slice(2);
const o = { count: 10000, window: 1, reps: 5, size: 16, container: 0 };
for (const kv of rest) { const [k, v] = kv.split('='); o[k] = Number(v); }

const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };
const server = http.createServer((req, res) => {
  const name = path.basename(new URL(req.url, 'http://x').pathname) || 'index.html';
  const file = path.join(pageDir, name);
  if (!fs.existsSync(file)) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttsocket-bench-chromium-'));
let context;
const watchdog = setTimeout(() => { console.error('run_web: timed out'); cleanup().then(() => process.exit(1)); },
  240000);
async function cleanup() {
  clearTimeout(watchdog);
  await context?.close().catch(() => {});
  fs.rmSync(userDataDir, { recursive: true, force: true });
  server.close();
}
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/index.html${o.container ? '?container' : ''}`);
  await page.waitForFunction(() => window.benchReady === true);
  const args = [wsUrl, o.count, o.window, o.size];
  // One short warm-up of each (JIT, wasm compilation), not counted.
  await page.evaluate((a) => window.runC(a[0], 200, a[2], a[3]), args);
  await page.evaluate((a) => window.runJS(a[0], 200, a[2], a[3]), args);
  const c_ms = [], js_ms = [];
  for (let r = 0; r < o.reps; r++) {
    const first = r % 2 === 0 ? 'runC' : 'runJS';
    const second = first === 'runC' ? 'runJS' : 'runC';
    for (const fn of [first, second]) {
      const ms = await page.evaluate(([f, a]) => window[f](...a), [fn, args]);
      (fn === 'runC' ? c_ms : js_ms).push(ms);
    }
  }
  const version = context.browser()?.version?.() ?? '';
  console.log(JSON.stringify({ c_ms, js_ms, count: o.count, window: o.window, chromium: version, errors }));
  await cleanup();
  process.exit(errors.length || c_ms.some((x) => x < 0) || js_ms.some((x) => x < 0) ? 1 : 0);
} catch (e) {
  console.error(`run_web: ${e?.stack ?? e}`);
  await cleanup();
  process.exit(1);
}
