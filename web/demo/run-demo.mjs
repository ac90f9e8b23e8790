// `make demo`: the demo game's room with every build of its one networking layer (web/demo/game.c) in it.
//
// Starts the room server (web/demo/serve.mjs) on 127.0.0.1, N native bots (ttbots, native/bots), and
// headless Chromium with the player's page (the web build) twice: once in a plain browser page, and once on
// an emulated Douyin mini-game host (the page's WebSocket taken away and a global `tt` installed, so the
// web build runs its container backend and joins as a container player); prints a live summary once a
// second (players in the room, messages per second and round-trip p50/p99 per backend), shows how the server refuses bad input
// and what each client shows for it, writes a screenshot of each page and summary.json, and prints the URL
// to open the same room in a real browser. Before that, the trace client (web/demo/client.c) runs natively
// and in Chromium against the echo endpoint, and the two event traces must match line for line.
//
//   node web/demo/run-demo.mjs --native-dir build/native/native --web-dir build/web/web/demo
//        [--bots 8] [--seconds 5] [--out build/demo] [--play] [--verbose]
// --play: start the server and the bots, print the URL and keep going until Ctrl-C (no Chromium).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../../tests/web/chromium.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const opt = { bots: 8, seconds: 5, out: 'build/demo', room: 'demo', rate: 5 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  const key = a.replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
  if (a === '--play' || a === '--verbose') opt[key] = true;
  else if (a.startsWith('--') && i + 1 < process.argv.length) opt[key] = process.argv[++i];
  else { console.error(`run-demo: unknown argument ${a}`); process.exit(2); }
}
if (!opt.nativeDir || !opt.webDir) {
  console.error('usage: node web/demo/run-demo.mjs --native-dir DIR --web-dir DIR [--bots N] [--seconds S] [--out DIR] [--play]');
  process.exit(2);
}
opt.bots = Number(opt.bots);
opt.seconds = Number(opt.seconds);
const TTBOTS = path.join(opt.nativeDir, 'ttbots');
const TRACE_CLIENT = path.join(opt.nativeDir, 'tt_demo_client');
const DEADLINE_MS = 20000;
// Test code, not shipped: the emulated host (see its header). It is an ES module and the page's scripts are
// classic ones that must find `tt` when they start, so its source is wrapped into an init script here.
const EMULATOR = path.join(here, '../../tests/support/container/emulator.js');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = new Set();
function track(child) { children.add(child); child.on('exit', () => children.delete(child)); return child; }

function startServer() {
  const child = track(spawn(process.execPath, [path.join(here, 'serve.mjs'), path.resolve(opt.webDir), '0'],
    { stdio: ['pipe', 'pipe', 'inherit'] }));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('room server did not start')), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
    });
    child.on('exit', (code) => reject(new Error(`room server exited (${code})`)));
  });
}

// ttbots with --json: its progress objects (stderr) feed the live summary; its report (stdout) the end.
function startBots(url, extra = []) {
  const child = track(spawn(TTBOTS, ['--url', url, '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const bots = { child, progress: null, report: null, stderr: [] };
  readline.createInterface({ input: child.stderr }).on('line', (line) => {
    if (line.startsWith('{')) bots.progress = JSON.parse(line);
    else bots.stderr.push(line);
  });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  bots.done = new Promise((resolve) => child.on('close', (code) => {
    const line = out.split('\n').find((l) => l.startsWith('{'));
    bots.report = line ? JSON.parse(line) : null;
    resolve(code);
  }));
  return bots;
}

// ---- the trace client: native and Chromium must print the same events -------------------------------
function runNativeTrace(url) {
  return new Promise((resolve) => {
    const child = track(spawn(TRACE_CLIENT, [url], { stdio: ['ignore', 'pipe', 'inherit'] }));
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), DEADLINE_MS);
    child.stdout.on('data', (d) => { out += d; });
    child.on('close', () => { clearTimeout(timer); resolve(out.split('\n').filter(Boolean)); });
  });
}

async function runWebTrace(browser, port) {
  const page = await browser.context.newPage();
  await page.goto(`http://127.0.0.1:${port}/client.html`);
  await page.waitForFunction(() => window.demoLines && window.demoLines.includes('[demo] done'), null,
    { timeout: DEADLINE_MS }).catch(() => {});
  const lines = await page.evaluate(() => window.demoLines || []);
  await page.close();
  return lines;
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

async function traceParity(browser, port) {
  const url = `ws://127.0.0.1:${port}/echo`;
  const [native, web] = [await runNativeTrace(url), await runWebTrace(browser, port)];
  const a = byPlayer(native), b = byPlayer(web);
  const players = [...new Set([...a.keys(), ...b.keys()])];
  let same = 0, total = 0;
  const rows = [];
  for (const p of players) {
    const x = a.get(p) || [], y = b.get(p) || [];
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      total++;
      if (x[i] === y[i]) same++;
      rows.push(`  ${p.padEnd(5)} ${x[i] === y[i] ? 'same' : 'DIFF'}  native: ${x[i] ?? '(missing)'}\n` +
        (x[i] === y[i] ? '' : `              web:    ${y[i] ?? '(missing)'}\n`));
    }
  }
  const ok = native.includes('[demo] done') && web.includes('[demo] done') && same === total && players.length === 3;
  // How each player's connection opened (tt_open_profile): the one part meant to differ by backend.
  const profiles = (lines) => lines.filter((l) => l.startsWith('[profile '));
  const opened = [...profiles(native).map((l) => `  native    ${l}\n`), ...profiles(web).map((l) => `  chromium  ${l}\n`)];
  return { ok, players: players.length, same, total, rows, opened };
}

// ---- the container player: the same page on an emulated mini-game host -----------------------------------
function containerInitScript() {
  const src = fs.readFileSync(EMULATOR, 'utf8');
  if (/^\s*import\b/m.test(src)) throw new Error(`${EMULATOR} imports modules: it cannot be an init script`);
  // As tests/parity/page/container.js does: the host's sockets sit on the page's real WebSocket, captured
  // and then deleted, so the game can reach the network only through tt.connectSocket.
  return `(() => {\n${src.replace(/^export /gm, '')}\n` +
    'const open = browserOpener(window.WebSocket);\n' +
    'delete window.WebSocket;\n' +
    "window.tt = createContainer({ vendor: 'tt', open, skipDomainCheck: true });\n})();\n";
}

async function openPlayer(browser, url, init) {
  const page = await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  if (init) await page.addInitScript(init);
  await page.goto(url);
  return { page, errors };
}

// ---- the live summary ---------------------------------------------------------------------------------
const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
const ms = (v) => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : '-');
const sortNum = (a) => [...a].sort((x, y) => x - y);

async function webSample(page) {
  return page.evaluate(() => {
    const rtts = window.gameRtts || [];
    window.gameRtts = [];
    return { stats: window.gameStats || null, rtts };
  });
}

async function serverStats(port) {
  return (await fetch(`http://127.0.0.1:${port}/stats`)).json();
}

function row(t, players, name, open, out, inn, p50, p99) {
  return `${t.padEnd(6)} ${String(players).padEnd(8)} ${name.padEnd(24)} ${String(open).padEnd(7)} ` +
    `${String(out).padStart(6)} ${String(inn).padStart(6)}  ${p50.padStart(9)}  ${p99.padStart(9)}`;
}

// players: the browser players, { key, label, page }; each gets a row per second and an rtt over the run.
async function liveSummary(port, bots, players) {
  console.log(row('t', 'players', 'backend', 'open', 'out/s', 'in/s', 'rtt p50', 'rtt p99'));
  const live = [];
  const all = Object.fromEntries(players.map((p) => [p.key, []]));
  const zero = { sent: 0, received: 0 };
  let prev = await Promise.all(players.map(async (p) => (await webSample(p.page)).stats || zero));
  let prevAt = Date.now();
  for (let s = 1; s <= opt.seconds; s++) {
    await sleep(1000 - ((Date.now() - prevAt) % 1000));
    const [ws, st] = [await Promise.all(players.map((p) => webSample(p.page))), await serverStats(port)];
    const now = Date.now(), secs = (now - prevAt) / 1000;
    const room = st.rooms[opt.room] || { players: 0, kinds: {} };
    const n = bots.progress || {};
    const native = { open: n.open ?? 0, out: n.out_per_s ?? 0, in: n.in_per_s ?? 0, p50: n.rtt_p50_ms, p99: n.rtt_p99_ms };
    const entry = { t: s, players: room.players, kinds: room.kinds, native };
    console.log(row(`${s} s`, room.players, `native (${opt.bots} ttbots)`, `${native.open}/${opt.bots}`,
      native.out.toFixed(0), native.in.toFixed(0), ms(native.p50), ms(native.p99)));
    players.forEach((p, i) => {
      const w = ws[i], stats = w.stats || zero, rtts = sortNum(w.rtts);
      all[p.key].push(...w.rtts);
      const r = { open: w.stats?.open ? 1 : 0, out: (stats.sent - prev[i].sent) / secs,
        in: (stats.received - prev[i].received) / secs, p50: pct(rtts, 0.5), p99: pct(rtts, 0.99) };
      entry[p.key] = r;
      console.log(row('', '', p.label, `${r.open}/1`, r.out.toFixed(0), r.in.toFixed(0), ms(r.p50), ms(r.p99)));
      prev[i] = stats;
    });
    live.push(entry);
    prevAt = now;
  }
  const rtt = Object.fromEntries(Object.entries(all).map(([k, v]) => {
    const sorted = sortNum(v);
    return [k, { count: sorted.length, p50: pct(sorted, 0.5), p99: pct(sorted, 0.99) }];
  }));
  return { live, rtt };
}

// ---- bad input: what the server answers and what each client shows --------------------------------------
const BAD_INPUT = [
  { what: 'wrong subprotocol', args: ['--protocol', 'tt-room.v0'], query: 'protocol=tt-room.v0', code: 4001 },
  { what: 'bad room name', url: 'room/no%20spaces', query: 'room=no%20spaces', code: 4000 },
  { what: 'text message', args: ['--bad', 'text'], code: 1003 },
  { what: 'oversized message', args: ['--bad', 'oversized'], code: 1009 },
  { what: 'malformed message', args: ['--bad', 'malformed'], code: 4002 },
];

async function badInput(browser, port) {
  const results = await Promise.all(BAD_INPUT.map(async (b) => {
    const url = `ws://127.0.0.1:${port}/${b.url || `room/${opt.room}-refusals`}`;
    const bots = startBots(url, ['--bots', '1', '--duration', '3', ...(b.args || [])]);
    await bots.done;
    let web = null;
    if (b.query) {
      const page = await browser.context.newPage();
      await page.goto(`http://127.0.0.1:${port}/?${b.query}`);
      await page.waitForFunction(() => window.gameStats && /^onClose/.test(window.gameStats.status), null,
        { timeout: 5000 }).catch(() => {});
      web = await page.evaluate(() => window.gameStats?.status ?? '(no status)');
      await page.close();
    }
    const native = Object.keys(bots.report?.errors || {})[0] || '(no error reported)';
    return { ...b, native, web, ok: native.startsWith(`onClose ${b.code} `) && (!b.query || web.startsWith(`onClose ${b.code} `)) };
  }));
  console.log('\nbad input is refused with a Close code, and each client shows it (native ttbots | web page):');
  for (const r of results) {
    console.log(`  ${r.what.padEnd(18)} ${r.ok ? 'ok  ' : 'FAIL'} native: ${r.native}${r.web ? `  | web: ${r.web}` : ''}`);
  }
  return results.map(({ what, code, native, web, ok }) => ({ what, code, native, web, ok }));
}

async function play(port) {
  const bots = startBots(`ws://127.0.0.1:${port}/room/${opt.room}`, ['--bots', String(opt.bots), '--duration', '0',
    '--rate', String(opt.rate)]);
  console.log(`${opt.bots} bots in room "${opt.room}". Open http://127.0.0.1:${port}/?room=${opt.room} (Ctrl-C ends).`);
  setInterval(() => {
    const p = bots.progress;
    if (p) console.log(`bots open ${p.open}/${p.bots}  out ${p.out_per_s}/s  rtt p50 ${ms(p.rtt_p50_ms)} p99 ${ms(p.rtt_p99_ms)}  room ${p.room_players}`);
  }, 5000);
  await new Promise((r) => process.once('SIGINT', r));
}

async function main() {
  const { port } = await startServer();
  if (opt.play) { await play(port); return 0; }
  fs.mkdirSync(opt.out, { recursive: true });
  const roomUrl = `ws://127.0.0.1:${port}/room/${opt.room}`;
  const browser = await launchChromium();
  try {
    console.log(`ttsocket demo: one C game, web/demo/game.c, built natively (ttbots) and for the browser (wasm)`);
    const parity = await traceParity(browser, port);
    if (opt.verbose || !parity.ok) process.stdout.write(parity.rows.join(''));
    console.log(`trace client (web/demo/client.c) natively and in Chromium: ${parity.same}/${parity.total} lines ` +
      `the same for ${parity.players} players -> ${parity.ok ? 'MATCH' : 'MISMATCH'}`);
    console.log('how each trace connection opened (ms; ? = the backend cannot know it):');
    process.stdout.write(parity.opened.join('') + '\n');

    const bots = startBots(roomUrl, ['--bots', String(opt.bots), '--duration', '0', '--rate', String(opt.rate)]);
    const pageUrl = `http://127.0.0.1:${port}/?room=${opt.room}`;
    const [webPlayer, boxPlayer] = await Promise.all([openPlayer(browser, pageUrl),
      openPlayer(browser, pageUrl, containerInitScript())]);
    const page = webPlayer.page, boxPage = boxPlayer.page;
    // Each page has seen all the bots and the other page: both players are in the room.
    const ready = (n) => window.gameStats && window.gameStats.open && window.gameStats.seen.bot >= n &&
      window.gameStats.seen.web + window.gameStats.seen.container >= 2;
    await Promise.all([page, boxPage].map((p) => p.waitForFunction(ready, opt.bots, { timeout: DEADLINE_MS }).catch(() => {})));
    console.log(`room "${opt.room}" at ${roomUrl} — open it in a browser: ${pageUrl}`);
    const { live, rtt } = await liveSummary(port, bots, [
      { key: 'web', label: 'web (Chromium, wasm)', page },
      { key: 'container', label: 'container (emulated tt)', page: boxPage }]);
    const shot = path.join(opt.out, 'screenshot.png');
    const boxShot = path.join(opt.out, 'screenshot-container.png');
    await page.locator('#game').screenshot({ path: shot });
    await boxPage.locator('#game').screenshot({ path: boxShot });
    // A page that never started its game has no stats: it then fails the run with zeros, not a TypeError.
    const none = { open: false, sent: 0, received: 0, seen: { bot: 0, web: 0, container: 0 }, backend: '(no stats)' };
    const web = (await webSample(page)).stats || none;
    const box = (await webSample(boxPage)).stats || none;
    const pageErrors = [...webPlayer.errors, ...boxPlayer.errors.map((e) => `container page: ${e}`)];
    bots.child.kill('SIGINT');
    await bots.done;
    const server = await serverStats(port);
    const refusals = await badInput(browser, port);

    const n = bots.report;
    console.log(`\nover the whole run: native ${n ? `${n.connected}/${n.bots} connected, ${n.sent} sent, ${n.received} received, ` +
      `rtt p50 ${ms(n.rtt_ms.p50)} p99 ${ms(n.rtt_ms.p99)}, ${Object.keys(n.errors).length ? 'errors: ' +
      JSON.stringify(n.errors) : 'no errors'}` : 'no report'}; web ${web.sent} sent, ${web.received} received, ` +
      `rtt p50 ${ms(rtt.web.p50)} p99 ${ms(rtt.web.p99)} (${rtt.web.count} timed); container ${box.sent} sent, ` +
      `${box.received} received, rtt p50 ${ms(rtt.container.p50)} p99 ${ms(rtt.container.p99)} ` +
      `(${rtt.container.count} timed, backend ${box.backend}); the web page drew ${web.seen.bot} bots and ` +
      `${web.seen.container} container player(s)`);
    if (pageErrors.length) console.log(`page errors: ${pageErrors.join('; ')}`);
    console.log(`screenshots: ${shot} (the web player's page), ${boxShot} (the container player's)`);
    console.log(`to play in this room with bots: make demo-play (or node web/demo/run-demo.mjs ... --play)`);
    const ok = parity.ok && n && n.connected === opt.bots && web.open && box.open && box.backend === 'container' &&
      refusals.every((r) => r.ok) && !pageErrors.length;
    const summary = { ok, bots: opt.bots, seconds: opt.seconds, room: opt.room, url: roomUrl, parity: { ...parity, rows: undefined },
      live, native: n, web: { ...web, rtt: rtt.web }, container: { ...box, host: 'emulated tt', rtt: rtt.container },
      server, refusals, screenshot: shot, containerScreenshot: boxShot, pageErrors };
    fs.writeFileSync(path.join(opt.out, 'summary.json'), JSON.stringify(summary, null, 1));
    console.log(`demo: ${ok ? 'OK' : 'FAILED'}`);
    return ok ? 0 : 1;
  } finally {
    await browser.close();
  }
}

let code = 1;
try {
  code = await main();
} catch (e) {
  console.error(`run-demo: ${e.stack || e}`);
} finally {
  for (const c of children) c.kill('SIGTERM');
}
process.exit(code);
