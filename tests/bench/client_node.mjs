// The Node.js `ws` client (npm ws with bufferutil), same command line and output as the C clients (see
// bench_common.h): node client_node.mjs tput|lat|idle URL [key=value ...]
import fs from 'node:fs';
import WebSocket from 'ws';

const [mode, url, ...rest] = process.argv.slice(2);
const a = { conns: mode === 'idle' ? 10000 : 1, size: mode === 'lat' ? 1 : 64, window: 128, secs: 2, warmup: 0.5,
  count: 20000, warmupcount: 2000, ca: null };
for (const kv of rest) {
  const i = kv.indexOf('=');
  const k = kv.slice(0, i), v = kv.slice(i + 1);
  if (!(k in a) && k !== 'deflate') { console.error(`client_node: unknown option ${k}`); process.exit(2); }
  a[k] = k === 'ca' ? v : Number(v);
}
const opts = { perMessageDeflate: Boolean(a.deflate), ...(a.ca ? { ca: fs.readFileSync(a.ca) } : {}) };
const payload = Buffer.alloc(a.size, 97);
const now = () => Number(process.hrtime.bigint()) / 1e9;
const fail = (msg) => { console.error(`client_node: ${msg}`); process.exit(1); };

function open(n) {
  return Promise.all(Array.from({ length: n }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts);
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function tput() {
  const socks = await open(a.conns);
  let msgs = 0;
  for (const ws of socks) {
    ws.on('message', () => { msgs++; ws.send(payload); });
    ws.on('close', () => fail('connection closed'));
    for (let k = 0; k < a.window; k++) ws.send(payload);
  }
  await sleep(a.warmup * 1000);
  const base = msgs, t0 = now();
  await sleep(a.secs * 1000);
  const t1 = now(), n = msgs - base;
  console.log(JSON.stringify({ msgs: n, bytes: n * a.size, secs: t1 - t0, end: Date.now() / 1000 }));
  process.exit(0);
}

async function lat() {
  const [ws] = await open(1);
  const total = a.warmupcount + a.count, ns = new Float64Array(a.count);
  let i = 0, t = 0n;
  await new Promise((resolve) => {
    ws.on('message', () => {
      const d = Number(process.hrtime.bigint() - t);
      if (i >= a.warmupcount) ns[i - a.warmupcount] = d;
      if (++i >= total) return resolve();
      t = process.hrtime.bigint();
      ws.send(payload);
    });
    t = process.hrtime.bigint();
    ws.send(payload);
  });
  ns.sort();
  const mean = ns.reduce((s, x) => s + x, 0) / ns.length;
  console.log(JSON.stringify({ n: ns.length, p50_us: ns[ns.length >> 1] / 1e3,
    p99_us: ns[Math.min(ns.length - 1, Math.floor(ns.length * 0.99))] / 1e3, mean_us: mean / 1e3 }));
  process.exit(0);
}

async function idle() {
  globalThis.gc?.();
  await sleep(50);
  const rss0 = process.memoryUsage().rss, t = now();
  const socks = await open(a.conns);
  const open_s = now() - t;
  const delta = process.memoryUsage().rss - rss0;
  console.log(JSON.stringify({ conns: socks.length, open_s, rss_delta: delta, per_conn: delta / a.conns }));
  process.exit(0);
}

({ tput, lat, idle })[mode]?.().catch((e) => fail(String(e))) ?? fail(`unknown mode ${mode}`);
