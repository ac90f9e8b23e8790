// Checks what `make demo` shows: runs web/demo/run-demo.mjs (8 bots, 3 s) and then
//  - its printed summary: the trace-client parity verdict, a row per second for the native bots, the web
//    player and the container player (the page on the emulated tt), every bad input refused with its Close
//    code on both clients;
//  - its summary.json: 10 players in the room every second (8 bots + the web page + the container page),
//    traffic and round trips on all three backends, the container page really on the container backend,
//    no errors;
//  - its screenshots: the PNGs are decoded here and colours counted: on the web page about 8 sprites' worth
//    of bot pixels in blobs of a sprite's size, exactly one web player (the page's own, framed in white)
//    and the container player in its own colour; on the container page its own sprite and the web player.
//   node tests/demo/check.mjs <native dir with ttbots + tt_demo_client> <web demo dir>
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [nativeDir, webDir] = process.argv.slice(2);
const BOTS = 8;
const OUT = path.join(ROOT, 'build/demo-test');
const SPRITE_AREA = 12 * 12; // web/demo/page.c SPRITE
const BOT_RGB = [0xf0, 0xa0, 0x30];
const WEB_RGB = [0x40, 0xc8, 0xf0];
const CONTAINER_RGB = [0x70, 0xe0, 0x70];
const PLAYERS = BOTS + 2; // the bots, the web page and the container page

const failures = [];
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}

// ---- a PNG decoder for what Chromium writes: 8-bit RGB or RGBA, not interlaced ------------------------
function decodePng(buf) {
  let off = 8, width = 0, height = 0, channels = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0 || (data[9] !== 2 && data[9] !== 6)) throw new Error('unexpected PNG format');
      channels = data[9] === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels, px = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels] : 0, b = y ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y ? px[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      px[y * stride + x] = (line[x] + pred) & 0xff;
    }
  }
  return { width, height, channels, px };
}

// Pixels of one colour (within a small tolerance), grouped into 4-connected blobs; returns blob sizes.
function blobsOf(img, rgb) {
  const { width, height, channels, px } = img;
  const hit = new Uint8Array(width * height);
  for (let i = 0; i < width * height; i++) {
    hit[i] = rgb.every((v, k) => Math.abs(px[i * channels + k] - v) <= 6) ? 1 : 0;
  }
  const sizes = [];
  for (let i = 0; i < hit.length; i++) {
    if (hit[i] !== 1) continue;
    let size = 0;
    const stack = [i];
    hit[i] = 2;
    while (stack.length) {
      const j = stack.pop(), x = j % width, y = (j - x) / width;
      size++;
      for (const k of [x > 0 && j - 1, x < width - 1 && j + 1, y > 0 && j - width, y < height - 1 && j + width]) {
        if (k !== false && hit[k] === 1) { hit[k] = 2; stack.push(k); }
      }
    }
    sizes.push(size);
  }
  return sizes;
}

const run = spawnSync(process.execPath, [path.join(ROOT, 'web/demo/run-demo.mjs'), '--native-dir', nativeDir,
  '--web-dir', webDir, '--bots', String(BOTS), '--seconds', '3', '--out', OUT],
{ encoding: 'utf8', timeout: 60000 });
const out = run.stdout || '';
process.stdout.write(out.split('\n').map((l) => `  | ${l}`).join('\n') + '\n');
if (run.stderr) process.stderr.write(run.stderr);
check(run.status === 0 && /^demo: OK$/m.test(out), 'run-demo.mjs exits 0 and says "demo: OK"');

// ---- the printed summary ------------------------------------------------------------------------------
check(/trace client .* -> MATCH/.test(out), 'the trace client prints the same events natively and in Chromium');
const nativeRows = out.match(/^\d+ s +10 +native \(8 ttbots\) +8\/8 +\d+ +\d+ +[\d.]+ ms +[\d.]+ ms$/gm) || [];
const webRows = out.match(/^ +web \(Chromium, wasm\) +1\/1 +\d+ +\d+ +[\d.]+ ms +[\d.]+ ms$/gm) || [];
const boxRows = out.match(/^ +container \(emulated tt\) +1\/1 +\d+ +\d+ +[\d.]+ ms +[\d.]+ ms$/gm) || [];
check(nativeRows.length === 3, `3 live rows for the native bots with 10 players, 8/8 open and p50/p99 (${nativeRows.length})`);
check(webRows.length === 3, `3 live rows for the web player, 1/1 open with p50/p99 (${webRows.length})`);
check(boxRows.length === 3, `3 live rows for the container player, 1/1 open with p50/p99 (${boxRows.length})`);
for (const [what, code] of [['wrong subprotocol', 4001], ['bad room name', 4000], ['text message', 1003],
  ['oversized message', 1009], ['malformed message', 4002]]) {
  check(new RegExp(`^  ${what} +ok +native: onClose ${code} `, 'm').test(out), `${what}: the native client shows onClose ${code}`);
}
check(/wrong subprotocol .*\| web: onClose 4001 /.test(out), 'wrong subprotocol: the web page shows onClose 4001');

// ---- summary.json -------------------------------------------------------------------------------------
let s = null;
try { s = JSON.parse(fs.readFileSync(path.join(OUT, 'summary.json'), 'utf8')); } catch (e) { check(false, `summary.json: ${e.message}`); }
if (s) {
  check(s.live.length === 3 && s.live.every((r) => r.players === PLAYERS && r.kinds.bot === BOTS && r.kinds.web === 1 &&
    r.kinds.container === 1), 'every second the server counts 8 bots, 1 web player and 1 container player in the room');
  const last = s.live[s.live.length - 1];
  check(last.native.out > 0 && last.native.in > 0 && last.native.p50 > 0 && last.native.p99 >= last.native.p50,
    'the native bots send, receive and time round trips');
  check(last.web.out > 0 && last.web.in > 0 && last.web.p50 > 0 && last.web.p99 >= last.web.p50,
    'the web player sends, receives and times round trips');
  check(last.container && last.container.open === 1 && last.container.out > 0 && last.container.in > 0 &&
    last.container.p50 > 0 && last.container.p99 >= last.container.p50,
    'the container player is open, sends, receives and times round trips');
  const box = s.container || {};
  check(box.backend === 'container' && box.open && box.sent > 0 && box.received > 0 && box.rtt?.count > 0,
    `the container page joined as a container player (on tt) and exchanged messages (${box.backend}, ${box.sent} sent, ${box.received} received)`);
  check(box.seen?.bot === BOTS && box.seen?.web === 1 && box.seen?.container === 1 && s.web.seen.container === 1,
    'the container page sees the bots, the web player and itself; the web page sees the container player');
  check(s.pageErrors.length === 0, `no errors on either page (${s.pageErrors.join('; ')})`);
  check(s.native && s.native.connected === BOTS && Object.keys(s.native.errors).length === 0 && s.native.rtt_ms.count > 0,
    'ttbots report: 8 connected, round trips timed, no errors');
  check(s.web.seen.bot === BOTS && s.web.id > 0, 'the page saw all 8 bots in the room state');
}

// One sprite of a colour, of which a passing bot may cover a part.
function aboutOneSprite(blobs) {
  const area = blobs.reduce((a, b) => a + b, 0);
  return blobs.length >= 1 && blobs.length <= 2 && area > SPRITE_AREA * 0.5 && area <= SPRITE_AREA;
}

// ---- the screenshot -----------------------------------------------------------------------------------
let img = null;
try { img = decodePng(fs.readFileSync(path.join(OUT, 'screenshot.png'))); } catch (e) { check(false, `screenshot.png: ${e.message}`); }
if (img) {
  check([640, 642].includes(img.width) && [400, 402].includes(img.height), `the screenshot is the 640x400 canvas (with its border) (${img.width}x${img.height})`);
  const bots = blobsOf(img, BOT_RGB), area = bots.reduce((a, b) => a + b, 0);
  const sprites = area / SPRITE_AREA;
  // Bots may overlap each other, hide under the web player or stand half off the edge: count area, not blobs.
  check(sprites >= BOTS * 0.6 && sprites <= BOTS + 0.01,
    `bot-coloured pixels make ${sprites.toFixed(1)} sprites in ${bots.length} blob(s) (want about ${BOTS})`);
  const web = blobsOf(img, WEB_RGB);
  check(web.length === 1 && web[0] > SPRITE_AREA * 0.9 && web[0] <= SPRITE_AREA,
    `one web player sprite (${web.join(', ') || 'none'} px)`);
  check(aboutOneSprite(blobsOf(img, CONTAINER_RGB)), `the web page draws the container player (${blobsOf(img, CONTAINER_RGB).join(', ') || 'none'} px)`);
}
let boxImg = null;
try { boxImg = decodePng(fs.readFileSync(path.join(OUT, 'screenshot-container.png'))); } catch (e) { check(false, `screenshot-container.png: ${e.message}`); }
if (boxImg) {
  const own = blobsOf(boxImg, CONTAINER_RGB), web = blobsOf(boxImg, WEB_RGB);
  check(aboutOneSprite(own), `the container page draws its own sprite in the container colour (${own.join(', ') || 'none'} px)`);
  check(aboutOneSprite(web), `the container page draws the web player (${web.join(', ') || 'none'} px)`);
}

console.log(failures.length ? `demo check: ${failures.length} failed` : 'demo check: all passed');
process.exit(failures.length ? 1 : 0);
