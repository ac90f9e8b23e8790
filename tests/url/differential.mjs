// The URL differential test: every URL the core accepts must read the same (scheme, host, port, path and
// query: URL.href) in Node's WHATWG URL parser and, with --chromium, in Chromium's (new URL() in a
// headless page); a URL a browser would read with another host must have been refused.
//   node tests/url/differential.mjs --canon build/native/tests/url/url_canon [--chromium]
// The inputs are tests/url/corpus.json: its URLs, and every scheme x host x port x path combination.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { nodeMismatch, runCanon, whatwgMismatch } from './whatwg.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const canon = args[args.indexOf('--canon') + 1];
if (!args.includes('--canon') || !canon) {
  console.error('usage: differential.mjs --canon PATH [--chromium]');
  process.exit(2);
}

function corpus() {
  const c = JSON.parse(fs.readFileSync(path.join(HERE, 'corpus.json'), 'utf8'));
  const urls = [...c.urls];
  for (const s of c.schemes) for (const h of c.hosts) for (const p of c.ports) for (const q of c.paths) urls.push(s + h + p + q);
  return [...new Set(urls)];
}

async function chromiumMismatches(entries) {
  const require = createRequire(path.join(HERE, '../package.json'));
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    await page.goto('about:blank');
    const items = entries.map((e) => [e.input, e.exp]);
    const found = await page.evaluate(({ src, items }) => {
      const check = new Function(`return ${src}`)();
      return items.map(([input, exp]) => check(URL, input, exp));
    }, { src: whatwgMismatch.toString(), items });
    return { version: browser.version(), found };
  } finally {
    await browser.close();
  }
}

const urls = corpus();
const entries = await runCanon(canon, urls.map((u) => Buffer.from(u, 'utf8')));
const accepted = entries.filter((e) => e.accepted);
const failures = [];
for (const e of accepted) {
  const why = nodeMismatch(e);
  if (why) failures.push(`node: ${JSON.stringify(e.input)}: ${why}`);
}
let chromiumNote = '';
if (args.includes('--chromium')) {
  const { version, found } = await chromiumMismatches(accepted.filter((e) => e.input !== null));
  found.forEach((why, i) => { if (why) failures.push(`chromium ${version}: ${JSON.stringify(accepted[i].input)}: ${why}`); });
  chromiumNote = ` and Chromium ${version}`;
}
// Not a failure, but worth seeing: inputs a browser takes with a ws/wss scheme that the core refuses.
const refusedButValid = entries.filter((e) => !e.accepted && e.input !== null && (() => {
  try { return /^wss?:$/.test(new URL(e.input).protocol); } catch { return false; }
})()).length;
console.log(`url differential: ${entries.length} inputs, ${accepted.length} accepted by the core and checked ` +
  `against Node ${process.version}${chromiumNote}; ${refusedButValid} refused that WHATWG would take as ws/wss`);
if (failures.length) {
  console.log(`${failures.length} mismatches:`);
  for (const f of failures.slice(0, 50)) console.log(`  ${f}`);
  process.exit(1);
}
