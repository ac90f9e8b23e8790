// The parity run: every scenario through the native driver (a subprocess) and the web driver (driver.c
// linked with the web build, in headless Chromium), compared line by line, and the web trace also compared
// with the plain-JS Chromium reference (tests/parity/reference/chromium.json) minus the tt-only lines.
//
//   node tests/parity/run.mjs [--only NAME,...] [--with FEATURE,...] [--no-build] [--skip-native] [--skip-web]
//                             [--workers N] [--verbose] [--live-reference] [--container]
//
// --with FEATURE             also compares the rows that need a feature exceptions.json lists as "pending"
//                            (otherwise skipped with the reason given there); PARITY_WITH works too
// --container                the web driver runs on the mini-game container backend instead: the page
//                            (page/container.html) has no global WebSocket and an emulated tt (test code,
//                            tests/support/container/emulator.js) on the captured browser WebSocket; its
//                            trace and wire must be the native build's (no Chromium reference: the plain
//                            JS client has no tt), outside the exceptions' "container" entries. Traces and
//                            results get the suffix -container.
// --live-reference           also runs the plain JS client in this Chromium and compares it with the
//                            committed reference (done by itself when Chromium's version is not the one the
//                            reference was recorded with: see "Reference drift" below)
//
// Reference drift: when this Chromium is not the version reference/chromium.json names, every scenario is
// also re-recorded with a plain JS WebSocket (written to build/parity/reference-live.json, same format), and
// any scenario whose re-recorded trace or wire log differs from the committed reference fails the run:
// Chromium changed what it does, so the reference must be re-recorded (record-browser.mjs) and committed
// with a message that says what changed and why the builds follow. When nothing differs, the check is
// remembered per (Chromium version, committed reference) in build/parity/drift-checked.json.
// Builds what it needs under build/parity/ (its own CMake build dirs, so it never disturbs build/native or
// build/web), writes every trace to build/parity/traces/ and a summary to build/parity/results.json, and exits
// non-zero on any difference that exceptions.json does not explain. With TT_EMSCRIPTEN=trixie the web driver
// is built with Debian 13's Emscripten (tests/web/toolchain.mjs) into build/parity/web-trixie, and traces and
// results get the same suffix (traces-trixie/, results-trixie.json; with --container traces-trixie-container/,
// results-trixie-container.json); when the default toolchain's results of the same backend (results.json,
// results-container.json) are there, every scenario must also end with the same status as it did there.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SCENARIOS, driverArgs, DEFAULT_DEADLINE_MS } from './scenarios.mjs';
import { HERE, ROOT, OUT, startEdgeServer, startStatic, launchChromium, pool, bounded, isTtOnly, summarize, diffLines }
  from './common.mjs';
import { BUILD_SUFFIX, TOOLCHAIN, emTool } from '../web/toolchain.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
function option(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
}
const only = option('--only', null);
const features = new Set([...(option('--with', '') || '').split(','), ...(process.env.PARITY_WITH || '').split(',')]
  .filter(Boolean));
const webWorkers = Number(option('--workers', '6'));
const nativeWorkers = 8;
const verbose = flag('--verbose');
const container = flag('--container');
// Where this run's traces and results go: per toolchain, and per backend for --container.
const SUFFIX = `${BUILD_SUFFIX}${container ? '-container' : ''}`;

const NATIVE_BUILD = path.join(OUT, 'native');
const WEB_BUILD = path.join(OUT, `web${BUILD_SUFFIX}`);
const NATIVE_DRIVER = path.join(NATIVE_BUILD, 'driver_native');
const PAGE_BUILD = path.join(WEB_BUILD, 'page');
const env = { ...process.env, NODE_PATH: '/usr/share/nodejs' };

function sh(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: ROOT, env, encoding: 'utf8', ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout || ''}${r.stderr || ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status ?? r.signal}):\n${out}`);
  }
  return r.stdout;
}

// tests/parity/CMakeLists.txt builds the driver against ttsocket::ttsocket (its own build dirs).
function buildNative() {
  if (!fs.existsSync(path.join(NATIVE_BUILD, 'CMakeCache.txt'))) {
    sh('cmake', ['-S', 'tests/parity', '-B', NATIVE_BUILD, '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
  }
  sh('cmake', ['--build', NATIVE_BUILD, '--target', 'parity_driver', '-j8']);
}

function buildWeb() {
  if (!fs.existsSync(path.join(WEB_BUILD, 'CMakeCache.txt'))) {
    sh(...emTool('emcmake', ['cmake', '-S', 'tests/parity', '-B', WEB_BUILD, '-DCMAKE_BUILD_TYPE=MinSizeRel']));
  }
  sh(...emTool('cmake', ['--build', WEB_BUILD, '--target', 'parity_driver', '-j8']));
}

function runNative(argv, deadline) {
  return new Promise((resolve) => {
    const child = spawn(NATIVE_DRIVER, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const guard = setTimeout(() => child.kill('SIGKILL'), deadline + 10000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      const lines = Buffer.concat(out).toString('utf8').split('\n').filter((l) => l !== '');
      const stderr = Buffer.concat(err).toString('utf8').split('\n').filter((l) => l !== '');
      if (lines[lines.length - 1] === 'end') lines.pop();
      else lines.push(`(driver did not end: ${signal || `exit ${code}`})`);
      if (code !== 0 || signal) stderr.push(`exit ${signal || code}`);
      resolve({ lines, stderr, exit: signal || code });
    });
  });
}

function loadJson(file, fallback) {
  try { return JSON.parse(fs.readFileSync(file, 'utf8')); } catch { return fallback; }
}

// First cells of the README's "Parity exceptions" table, without backticks.
function readmeParityRows() {
  const text = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = text.indexOf('## Parity exceptions');
  if (start < 0) return [];
  const section = text.slice(start).split('\n## ')[0];
  return section.split('\n').filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l)).slice(1)
    .map((l) => l.split('|')[1].trim().replace(/`/g, ''));
}

function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

// onError's detail is compared exactly, except where the README's parity exception "onError detail for
// network failures" applies: a connection failure whose detail the web build gives as "" (the browser
// says nothing) while the native build names the cause. Only that pair is made equal before comparing. On
// the container backend the web build's detail is the host's errMsg, a diagnostic of its own as native's
// is (the README's container column: "same as native: a diagnostic sentence"), so any detail pairs there.
const NETWORK_FAILURE = /^(#\d )?error onSocketError: WebSocket connection failed /;
function sameNetworkDetail(nl, wl) {
  for (let i = 1; i < Math.min(nl.length, wl.length); i++) {
    const prefix = (wl[i].match(/^#\d /) || [''])[0];
    const webDetail = container ? wl[i].startsWith(`${prefix}detail=`) : wl[i] === `${prefix}detail=`;
    if (!webDetail || !nl[i].startsWith(`${prefix}detail=`) || nl[i] === wl[i]) continue;
    if (nl[i - 1] !== wl[i - 1] || !NETWORK_FAILURE.test(wl[i - 1])) continue;
    nl[i] = wl[i] = `${prefix}detail=(a network failure: the native build's own diagnostic)`;
  }
}

async function main() {
  const started = Date.now();
  const scenarios = only ? SCENARIOS.filter((s) => only.split(',').includes(s.name)) : SCENARIOS;
  if (!scenarios.length) throw new Error(`no scenario matches ${only}`);
  const exceptionsDoc = loadJson(path.join(HERE, 'exceptions.json'), { exceptions: {}, pending: {} });
  const exceptions = {};
  const readmeRows = readmeParityRows();
  const configErrors = [];
  for (const [name, e] of Object.entries(exceptionsDoc.exceptions || {})) {
    if (!readmeRows.includes(e.readme_row)) {
      configErrors.push(`exceptions.json: ${name} names README row '${e.readme_row}', which the README's Parity ` +
        `exceptions table does not have (rows: ${readmeRows.join(' | ')})`);
    }
    if (!SCENARIOS.some((s) => s.name === name)) configErrors.push(`exceptions.json: no scenario named ${name}`);
    // On the container backend an exception applies only as its "container" entry says (none: it is
    // gone there, the trace and wire must match native).
    if (container && !e.container) continue;
    const allow = new Set((container ? e.container.allow : e.allow) || ['trace', 'wire', 'reference']);
    exceptions[name] = { why: `README '${e.readme_row}': ${container ? e.container.reason : e.reason}`, allow,
      expect: container ? null : e.expect || null };
  }
  for (const e of configErrors) console.error(e);
  const pending = exceptionsDoc.pending || {};
  const reference = loadJson(path.join(HERE, 'reference/chromium.json'), { scenarios: {} });

  let nativeOk = !flag('--skip-native');
  let webOk = !flag('--skip-web');
  const buildErrors = [];
  if (!flag('--no-build')) {
    if (nativeOk) try { buildNative(); } catch (e) { nativeOk = false; buildErrors.push(`native build: ${e.message}`); }
    if (webOk) try { buildWeb(); } catch (e) { webOk = false; buildErrors.push(`web build: ${e.message}`); }
  }
  for (const e of buildErrors) console.error(e);
  const builtAt = Date.now();

  const server = await startEdgeServer({ ports: webWorkers });
  const statics = await startStatic({ '/page/': path.join(HERE, 'page') + '/', '/build/': PAGE_BUILD + '/',
    '/container/': path.join(ROOT, 'tests/support/container') + '/' });
  const pageName = container ? 'container.html' : 'index.html';
  const browser = webOk ? await launchChromium(`http://127.0.0.1:${statics.port}/page/${pageName}`, webWorkers) : null;
  const driverUrl = `http://127.0.0.1:${statics.port}/build/driver_web.mjs`;

  const native = {};
  const web = {};
  const live = {};
  const refHash = crypto.createHash('sha256').update(fs.readFileSync(path.join(HERE, 'reference/chromium.json'))).digest('hex');
  const driftChecked = loadJson(path.join(OUT, 'drift-checked.json'), {});
  const versionDrift = !!(browser && reference.chromium && reference.chromium !== browser.version);
  const driftCheck = !container && versionDrift && !(driftChecked.chromium === browser.version && driftChecked.reference === refHash);
  const liveReference = (flag('--live-reference') || driftCheck) && !container;
  try {
    await Promise.all([
      nativeOk && pool(scenarios, nativeWorkers, async (s, w) => {
        const run = `native-${s.name}`;
        const r = await runNative(driverArgs(s, server.url(s.name, run, w)), s.client.deadline || DEFAULT_DEADLINE_MS);
        r.wire = await server.wire(run);
        native[s.name] = r;
      }),
      webOk && pool(scenarios, webWorkers, async (s, w) => {
        const page = browser.pages[w];
        const run = `web-${s.name}`;
        const limit = (s.client.deadline || DEFAULT_DEADLINE_MS) + 20000;
        const r = await bounded(page.evaluate(([a, u]) => window.ttParity.runWasm(a, u), [driverArgs(s, server.url(s.name, run, w)),
          driverUrl]), limit, { lines: ['(harness: the page did not answer)'], stderr: [] });
        r.wire = await server.wire(run);
        await bounded(page.evaluate(() => window.ttParity.closeLeftovers()), 5000, 0);
        web[s.name] = r;
        if (!liveReference) return;
        const runRef = `live-${s.name}`;
        const p = await bounded(page.evaluate((a) => window.ttParity.runPlain(a), driverArgs(s, server.url(s.name, runRef, w))),
          limit, { lines: ['(harness: the page did not answer)'], stderr: [] });
        const wire = s.wire === false ? ['(not compared)'] : await server.wire(runRef);
        await bounded(page.evaluate(() => window.ttParity.closeLeftovers()), 5000, 0);
        live[s.name] = { trace: p.lines, wire };
      }),
    ]);
  } finally {
    if (browser) await browser.close();
    await statics.close();
    await server.stop();
  }

  // ---- Compare ------------------------------------------------------------------------------------------
  const traceDir = path.join(OUT, `traces${SUFFIX}`);
  fs.rmSync(traceDir, { recursive: true, force: true });
  fs.mkdirSync(traceDir, { recursive: true });
  const rows = [];
  const problems = [];
  const counts = { same: 0, exception: 0, skipped: 0, different: 0, wireOnly: 0 };
  for (const s of scenarios) {
    const n = native[s.name];
    const w = web[s.name];
    const refRaw = reference.scenarios[s.name];
    // The Chromium reference is a plain JS WebSocket client: it has nothing to say about the container.
    const ref = refRaw && !container ? { trace: refRaw.trace.filter((l) => !isTtOnly(l)), wire: refRaw.wire } : null;
    if (s.wire === false) for (const r of [n, w, ref]) if (r) r.wire = ['(not compared)'];
    const write = (kind, r) => r && fs.writeFileSync(path.join(traceDir, `${s.name}.${kind}.txt`),
      [...r.lines, ...(r.wire || []).map((l) => `wire: ${l}`), ...(r.stderr || []).map((l) => `stderr: ${l}`)].join('\n') + '\n');
    write('native', n);
    write('web', w);
    if (n && w) sameNetworkDetail(n.lines, w.lines);
    if (refRaw) write('reference', { lines: refRaw.trace, wire: refRaw.wire });

    const notes = [];
    let nativeVsWeb = null;
    if (n && w) {
      nativeVsWeb = same(n.lines, w.lines) && same(n.wire, w.wire);
      if (!nativeVsWeb) {
        notes.push(`native vs web:\n${diffLines(n.lines, w.lines)}`);
        if (!same(n.wire, w.wire)) notes.push(`  wire (what the server received):\n${diffLines(n.wire, w.wire)}`);
      }
    }
    let webVsRef = null;
    if (w && ref) {
      const wl = w.lines.filter((l) => !isTtOnly(l));
      webVsRef = same(wl, ref.trace) && same(w.wire, ref.wire);
      if (!webVsRef) {
        notes.push(`web vs Chromium reference (tt-only lines removed):\n${diffLines(ref.trace, wl)}`);
        if (!same(w.wire, ref.wire)) notes.push(`  wire:\n${diffLines(ref.wire, w.wire)}`);
      }
    } else if (w && !ref && !container) {
      webVsRef = false;
      notes.push('no reference trace: run node tests/parity/record-browser.mjs');
    }
    const pendingFeature = s.needs && pending[s.needs] && !features.has(s.needs) ? s.needs : null;
    const ok = nativeVsWeb !== false && webVsRef !== false;
    // An exception allows only the comparisons it lists to differ.
    const exc = exceptions[s.name];
    const outsideException = exc && [
      n && w && !same(n.lines, w.lines) && !exc.allow.has('trace') && 'native vs web trace',
      n && w && !same(n.wire, w.wire) && !exc.allow.has('wire') && 'native vs web wire',
      webVsRef === false && !exc.allow.has('reference') && 'web vs reference',
    ].filter(Boolean);
    // An exception that pins each build's result: anything else (a hang, a crash, another code) fails.
    if (exc && exc.expect) {
      for (const [build, r] of [['native', n], ['web', w]]) {
        const want = exc.expect[build];
        if (!want || !r) continue;
        if (!same(r.lines, want.trace) || !same(r.wire, want.wire)) {
          outsideException.push(`${build} is not the expected exception result`);
          notes.push(`${build} vs the result exceptions.json expects:\n${diffLines(want.trace, r.lines)}` +
            (same(r.wire, want.wire) ? '' : `\n  wire:\n${diffLines(want.wire, r.wire)}`));
        }
      }
    }
    // The native driver must exit 0: a crash after the trace was printed is a failure, not a pass.
    const crashed = n && n.exit !== 0 ? `native driver exited ${n.exit}` : null;
    if (crashed) notes.push(crashed);
    let status;
    if (crashed) status = `different: ${crashed}`;
    else if (exc && !outsideException.length) status = ok ? 'exception (same now)' : 'exception';
    else if (exc) status = `different: ${outsideException.join(', ')} (outside the exception)`;
    else if (pendingFeature && webVsRef !== false) status = 'skipped';
    else if (ok && nativeVsWeb !== null) status = 'same';
    else if (ok) status = 'same (one build)';
    else {
      // Who deviates from the Chromium reference, and is it visible to the game or only on the wire?
      const dev = (r) => r && ref && {
        trace: !same(r.lines.filter((l) => !isTtOnly(l)), ref.trace), wire: !same(r.wire, ref.wire) };
      const dn = dev(n);
      const dw = dev(w);
      const who = [dn && (dn.trace || dn.wire) && 'native', dw && (dw.trace || dw.wire) && 'web'].filter(Boolean);
      const visible = (dn && dn.trace) || (dw && dw.trace) || !same(n?.lines, w?.lines);
      status = !ref ? 'different' : !who.length ? 'different: tt-only lines'
        : `different: ${who.join('+')}${visible ? '' : ' (wire only)'}`;
    }
    if (status.startsWith('exception')) counts.exception++;
    else if (status === 'skipped') counts.skipped++;
    else if (status.startsWith('same')) counts.same++;
    else {
      counts.different++;
      if (status.endsWith('(wire only)')) counts.wireOnly++;
    }
    const why = (exc && `${exc.why} [may differ: ${[...exc.allow].join(', ')}]`) || (status === 'skipped' ? `needs ${pendingFeature}: ${pending[pendingFeature] || ''}` : '');
    rows.push({ scenario: s.name, group: s.group, native: n ? summarize(n.lines) : '-', chromium: w ? summarize(w.lines) : '-',
      reference: ref ? summarize(ref.trace) : '-', nativeVsWeb, webVsRef, status, why, notes });
    if (status.startsWith('different') || (verbose && notes.length)) problems.push(`## ${s.name} (${status})\n${notes.join('\n')}`);
    if (n?.stderr?.length && verbose) problems.push(`## ${s.name}: native stderr\n  ${n.stderr.join('\n  ')}`);
    if (w?.stderr?.length && verbose) problems.push(`## ${s.name}: web stderr\n  ${w.stderr.join('\n  ')}`);
  }

  // ---- Is the committed reference still what this Chromium does? ------------------------------------------
  const drift = [];
  if (versionDrift) {
    console.log(`\nreference/chromium.json was recorded with Chromium ${reference.chromium}; this is ${browser.version}: ` +
      (driftCheck ? 're-recorded every scenario to compare (build/parity/reference-live.json)'
        : 'already checked against this reference (build/parity/drift-checked.json)'));
  }
  for (const s of scenarios) {
    const l = live[s.name];
    const r = reference.scenarios[s.name];
    if (l && r && !same(l, r)) {
      drift.push(`${s.name}: the plain JS client now gives\n    ${[...l.trace, ...l.wire.map((x) => `wire: ${x}`)].join('\n    ')}\n` +
        `  the committed reference says\n    ${[...r.trace, ...r.wire.map((x) => `wire: ${x}`)].join('\n    ')}`);
    }
  }

  // ---- Report -------------------------------------------------------------------------------------------
  const cut = (t, k) => (t.length > k ? t.slice(0, k - 1) + '…' : t).padEnd(k);
  console.log('same?: "different: native" = the native build deviates from the Chromium reference, "web" = the web\n' +
    'build does, "(wire only)" = the game sees the same trace but the server received different frames.\n');
  console.log(`${cut('scenario', 36)} ${cut('native', 34)} ${cut(container ? 'container (emulated tt)' : 'chromium (web build)', 34)} same?`);
  for (const r of rows) {
    const tag = r.status === 'skipped' ? `skipped (${r.why.split(':')[0]})` : r.status;
    console.log(`${cut(r.scenario, 36)} ${cut(r.native, 34)} ${cut(r.chromium, 34)} ${tag}`);
  }
  const report = problems.join('\n\n');
  // Another toolchain's web build must end every scenario as the default toolchain's did.
  const toolchainDiffs = [];
  const baseFile = path.join(OUT, `results${container ? '-container' : ''}.json`);
  const base = BUILD_SUFFIX && loadJson(baseFile, null);
  if (base) {
    const baseStatus = new Map(base.rows.map((r) => [r.scenario, r.status]));
    for (const r of rows) {
      const b = baseStatus.get(r.scenario);
      if (b !== undefined && b !== r.status) toolchainDiffs.push(`${r.scenario}: ${r.status} with ${TOOLCHAIN}, ${b} with host`);
    }
    console.log(`\nEmscripten ${TOOLCHAIN} vs host (${path.relative(ROOT, baseFile)}): ` +
      (toolchainDiffs.length ? `${toolchainDiffs.length} scenario(s) differ:\n  ${toolchainDiffs.join('\n  ')}` : 'every scenario ends the same'));
  }
  fs.writeFileSync(path.join(OUT, `differences${SUFFIX}.txt`), report + '\n');
  fs.writeFileSync(path.join(OUT, `results${SUFFIX}.json`), JSON.stringify({ toolchain: TOOLCHAIN, chromium: browser?.version, counts, buildErrors,
    rows: rows.map(({ notes, ...r }) => ({ ...r, notes: notes.join('\n') })) }, null, 1) + '\n');
  if (report) console.log(`\n${report}`);
  if (Object.keys(live).length) {
    fs.writeFileSync(path.join(OUT, 'reference-live.json'), JSON.stringify({ chromium: browser.version, scenarios: live }, null, 1) + '\n');
  }
  if (drift.length) {
    console.log(`\nReference drift: this Chromium no longer does what reference/chromium.json says. Re-record it ` +
      `(node tests/parity/record-browser.mjs --repeat 3) and commit it with a message saying what changed:\n${drift.join('\n')}`);
  } else if (driftCheck && !only) {
    fs.writeFileSync(path.join(OUT, 'drift-checked.json'), JSON.stringify({ chromium: browser.version, reference: refHash }) + '\n');
  }
  for (const e of buildErrors) console.log(`\n${e.split('\n')[0]} (see above)`);
  const secs = (t) => ((t) / 1000).toFixed(1);
  console.log(`\n${scenarios.length} scenarios: ${counts.same} same, ${counts.exception} exception, ${counts.skipped} skipped, ` +
    `${counts.different} different (${counts.wireOnly} of them only in what the server received); native ${nativeOk ? 'ran' : 'NOT RUN'}, web ${webOk ? 'ran' : 'NOT RUN'}; ` +
    `build ${secs(builtAt - started)} s, run ${secs(Date.now() - builtAt)} s. Traces in ${path.relative(ROOT, traceDir)}/`);
  const failed = counts.different > 0 || drift.length > 0 || toolchainDiffs.length > 0 || buildErrors.length > 0 || configErrors.length > 0 || (!nativeOk && !flag('--skip-native')) ||
    (!webOk && !flag('--skip-web'));
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
