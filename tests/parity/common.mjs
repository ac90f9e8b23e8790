// Shared plumbing of run.mjs and record-browser.mjs: the edge-case server as a subprocess, the static page
// server, headless Chromium through playwright-core, a small worker pool and the trace helpers.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const OUT = path.join(ROOT, 'build/parity');
const require = createRequire(path.join(ROOT, 'tests/package.json'));

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Starts server.mjs with `ports` listening ports; resolves once it printed them. url(name, run, worker)
// puts each worker on its own port: Chromium allows one CONNECTING WebSocket per IP:port, so workers sharing
// a port would delay each other's handshakes. stop() closes its stdin (it exits on that).
export function startEdgeServer({ ports: count = 1 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(HERE, 'server.mjs'), '--ports', String(count)],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    const rl = readline.createInterface({ input: child.stdout });
    const timer = setTimeout(() => { child.kill(); reject(new Error('server.mjs did not print its ports')); }, 10000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`server.mjs exited with ${code}`)); });
    const lines = [];
    rl.on('line', (line) => {
      lines.push(line);
      if (lines.length < (count > 1 ? 2 : 1)) return;
      rl.removeAllListeners('line');
      clearTimeout(timer);
      const m = (count > 1 ? lines[1] : lines[0]).match(/^PORTS? ([\d ]+)$/);
      if (!m) { child.kill(); reject(new Error(`unexpected output from server.mjs: ${lines.join(' | ')}`)); return; }
      const ports = m[1].trim().split(' ').map(Number);
      resolve({
        port: ports[0],
        ports,
        url: (name, run, worker = 0) =>
          `ws://127.0.0.1:${ports[worker % ports.length]}/s/${name}?run=${encodeURIComponent(run)}`,
        wire: (run) => fetchWire(ports[0], run),
        stop: () => new Promise((r) => {
          child.removeAllListeners('exit');
          child.once('exit', r);
          child.stdin.end();
        }),
      });
    });
  });
}

// The wire log lines worth comparing: frames and Close payloads the client sent. TCP teardown notes (FIN,
// resets) depend on timing and on how a run ended, so they are left out.
const WIRE_NOISE = /^(recv FIN|socket error|gave up waiting)/;
async function fetchWire(port, run) {
  const res = await fetch(`http://127.0.0.1:${port}/log/${encodeURIComponent(run)}`);
  const log = await res.json();
  return log ? log.filter((l) => !WIRE_NOISE.test(l)) : ['(no connection reached the server)'];
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json' };

// Scripts the page harnesses share (tests/support/page), served under /support/ beside any roots.
const SUPPORT_PAGE = { '/support/': path.join(ROOT, 'tests/support/page') + '/' };

// Serves roots: {'/page/': dir, ...} and SUPPORT_PAGE on 127.0.0.1.
export function startStatic(roots) {
  const all = { ...roots, ...SUPPORT_PAGE };
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    for (const [prefix, dir] of Object.entries(all)) {
      if (!u.pathname.startsWith(prefix)) continue;
      const file = path.join(dir, decodeURIComponent(u.pathname.slice(prefix.length)) || 'index.html');
      if (!file.startsWith(dir)) break;
      fs.readFile(file, (err, data) => {
        if (err) { res.writeHead(404); res.end(); return; }
        res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream',
          'Cache-Control': 'no-store' });
        res.end(data);
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    close: () => new Promise((r) => server.close(r)),
  })));
}

// Headless Chromium with a fresh user-data-dir and `count` pages on pageUrl, each ready once the page
// defined window[ready]. The defaults are the parity page's; tests/conformance/run.mjs passes its own
// (its page's global, its temporary directory's prefix, and '' as the version when the browser has none).
export async function launchChromium(pageUrl, count, { ready = 'ttParity', tmpPrefix = 'tt-parity-chromium-',
  versionFallback = (page) => page.evaluate(() => navigator.userAgent) } = {}) {
  const { chromium } = require('playwright-core');
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
  });
  const pages = [];
  for (let i = 0; i < count; i++) {
    const page = i === 0 && context.pages().length ? context.pages()[0] : await context.newPage();
    page.on('pageerror', (e) => console.error(`[page ${i}] ${e.message}`));
    await page.goto(pageUrl);
    await page.waitForFunction((name) => window[name] !== undefined, ready);
    pages.push(page);
  }
  const version = context.browser() ? context.browser().version() : await versionFallback(pages[0]);
  return {
    pages,
    version,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

// Runs fn(item, workerIndex) over items with `workers` at once; results keep the items' order.
export async function pool(items, workers, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, async (_, w) => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], w);
    }
  }));
  return results;
}

// Bounds a page.evaluate (a crashed or hung page must not stall the run): resolves with fallback after ms.
export function bounded(promise, ms, fallback) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((resolve) => { timer = setTimeout(() => resolve(fallback), ms); }),
  ]);
}

// tt-only lines: results of connectSocket / send / close and onError's detail, which a plain JS WebSocket has
// no equivalent of.
export const isTtOnly = (line) => /^(#\d )?((success|fail|complete) |detail=)/.test(line);

export function summarize(lines) {
  if (!lines) return '-';
  const parts = [];
  let msgs = 0;
  for (const raw of lines) {
    const l = raw.replace(/^#\d /, '');
    if (l.startsWith('message ')) { msgs++; continue; }
    if (l.startsWith('text ')) continue;
    if (msgs) { parts.push(`msg×${msgs}`); msgs = 0; }
    if (/threw/.test(l)) parts.push(l);
    else if (l.startsWith('open ')) parts.push('open');
    else if (l.startsWith('error ')) parts.push(/timed out/.test(l) ? 'error(timeout)' : 'error');
    else if (l.startsWith('close ')) {
      const m = l.match(/^close (\d+) .*clean=(\d)/s);
      parts.push(m ? `close ${m[1]}${m[2] === '1' ? '' : ' unclean'}` : l);
    } else if (l.startsWith('deadline')) parts.push(l);
    else if (l.startsWith('fail ')) parts.push('fail');
  }
  if (msgs) parts.push(`msg×${msgs}`);
  return parts.join(', ');
}

export function diffLines(a, b) {
  const out = [];
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) out.push(`  line ${i + 1}:\n    - ${a[i] ?? '(none)'}\n    + ${b[i] ?? '(none)'}`);
  }
  return out.join('\n');
}
