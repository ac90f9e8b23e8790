// Records the reference: every scenario run by a plain JS WebSocket in headless Chromium (page/harness.js
// runPlain, the same argv as driver.c), with the server's wire log of what the browser sent.
//
//   node tests/parity/record-browser.mjs [--out FILE] [--only NAME[,NAME...]] [--workers N] [--repeat N]
//
// Writes tests/parity/reference/chromium.json by default: {chromium, scenarios: {name: {trace, wire}}}.
// --repeat N runs everything N times and reports scenarios whose trace is not stable (they must not be).
import fs from 'node:fs';
import path from 'node:path';
import { SCENARIOS, driverArgs, DEFAULT_DEADLINE_MS } from './scenarios.mjs';
import { HERE, startEdgeServer, startStatic, launchChromium, pool, bounded, summarize } from './common.mjs';

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

async function main() {
  const out = option('--out', path.join(HERE, 'reference/chromium.json'));
  const only = option('--only', null);
  const workers = Number(option('--workers', '6'));
  const repeat = Number(option('--repeat', '1'));
  const scenarios = only ? SCENARIOS.filter((s) => only.split(',').includes(s.name)) : SCENARIOS;

  const server = await startEdgeServer({ ports: workers });
  const web = await startStatic({ '/page/': path.join(HERE, 'page') + '/' });
  const browser = await launchChromium(`http://127.0.0.1:${web.port}/page/index.html`, workers);
  const started = Date.now();
  const result = {};
  const unstable = new Set();
  const elapsed = {};
  try {
    for (let r = 0; r < repeat; r++) {
      await pool(scenarios, workers, async (s, w) => {
        const page = browser.pages[w];
        const run = `ref-${r}-${s.name}`;
        const argv = driverArgs(s, server.url(s.name, run, w));
        const t0 = Date.now();
        const { lines, stderr } = await bounded(page.evaluate((a) => window.ttParity.runPlain(a), argv),
          (s.client.deadline || DEFAULT_DEADLINE_MS) + 20000, { lines: ['(harness: the page did not answer)'], stderr: [] });
        elapsed[s.name] = Date.now() - t0;
        const wire = s.wire === false ? ['(not compared)'] : await server.wire(run);
        await bounded(page.evaluate(() => window.ttParity.closeLeftovers()), 5000, 0);
        if (stderr.length) console.error(`${s.name}: ${stderr.join(' | ')}`);
        const entry = { trace: lines, wire };
        if (result[s.name] && JSON.stringify(result[s.name]) !== JSON.stringify(entry)) {
          unstable.add(s.name);
          console.error(`UNSTABLE ${s.name}:\n  ${JSON.stringify(result[s.name])}\n  ${JSON.stringify(entry)}`);
        }
        result[s.name] = entry;
      });
    }
  } finally {
    await browser.close();
    await web.close();
    await server.stop();
  }
  for (const s of scenarios) console.log(`${s.name.padEnd(36)} ${String(elapsed[s.name]).padStart(6)} ms  ${summarize(result[s.name].trace)}`);
  console.log(`${scenarios.length} scenarios × ${repeat} in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
    `Chromium ${browser.version}`);

  let doc = { chromium: browser.version, scenarios: {} };
  if (only && fs.existsSync(out)) doc = JSON.parse(fs.readFileSync(out, 'utf8'));
  doc.chromium = browser.version;
  doc.note = 'Recorded by tests/parity/record-browser.mjs: a plain JS WebSocket in headless Chromium per scenario ' +
    '(trace in tests/support/trace.h format without the tt-only result lines) and the server\'s wire log.';
  for (const s of scenarios) doc.scenarios[s.name] = result[s.name];
  const ordered = {};
  for (const s of SCENARIOS) if (doc.scenarios[s.name]) ordered[s.name] = doc.scenarios[s.name];
  doc.scenarios = ordered;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
  if (unstable.size) {
    console.error(`unstable scenarios: ${[...unstable].join(', ')}`);
    process.exit(1);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
