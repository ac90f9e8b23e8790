// The conformance fuzzing server: like Autobahn|Testsuite's fuzzingserver in client-testing mode, an echo
// client connects to ws://127.0.0.1:<port>/runCase?case=<n>&agent=<name>, the server runs case n of
// cases.mjs on that connection (raw `net`, hand-made HTTP and frames) and records what the client did:
// the messages it echoed, its pongs, its Close code and reason, who started the closing handshake, and how
// TCP ended. When the connection is gone the case is judged as Autobahn judges it (see judge()).
//
//   import { startFuzzingServer } from './server.mjs'
//   const srv = await startFuzzingServer({ ports: 4 });  srv.ports, srv.url(worker), srv.result(agent, n, ms)
//
//   node tests/conformance/server.mjs [--ports N]   standalone: prints "PORTS <n>...", then one JSON line per
//                                                    finished case; stops when stdin closes or on SIGINT
//
// Bounded: a handshake must arrive within 10 s, every case has a time limit (15 s, 60 s for category 9),
// and nothing outlives close().
import net from 'node:net';
import fs from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import { CASES } from './cases.mjs';
import { fnv1a, describeBytes, switchingProtocols } from '../support/ws_frames.mjs';

export { fnv1a };

// bufferutil (tests/node_modules) unmasks in C; the JS loop is the fallback.
let nativeUnmask = null;
try {
  nativeUnmask = createRequire(new URL('../package.json', import.meta.url))('bufferutil').unmask;
} catch { /* not installed */ }

const HANDSHAKE_LIMIT_MS = 10000;
const CASE_LIMIT_MS = 15000;
const PERF_LIMIT_MS = 60000;
const LOG_LINES = 80;
const KILL_FLOOR_MS = 2000;

export const OK = 'OK';
export const NON_STRICT = 'NON-STRICT';
export const FAILED = 'FAILED';
export const INFORMATIONAL = 'INFORMATIONAL';
const UNCLEAN = 'UNCLEAN';
const WRONG_CODE = 'WRONG CODE';

// An event as one comparable line: 'message text 12 "Hello World!"', 'message binary 65536 fnv=…',
// 'pong 0 ""', 'timeout A', 'echoes 1000'.
export function describeEvent(e) {
  if (e[0] === 'message') return `message ${e[2] ? 'binary' : 'text'} ${describeBytes(e[1])}`;
  if (e[0] === 'pong' || e[0] === 'ping') return `${e[0]} ${describeBytes(e[1])}`;
  return e.map(String).join(' ');
}

function sameEvents(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x[0] !== y[0] || x.length !== y.length) return false;
    for (let k = 1; k < x.length; k++) {
      if (Buffer.isBuffer(x[k]) || Buffer.isBuffer(y[k])) {
        if (!Buffer.isBuffer(x[k]) || !Buffer.isBuffer(y[k]) || !x[k].equals(y[k])) return false;
      } else if (x[k] !== y[k]) return false;
    }
  }
  return true;
}

// target[at..] = src unmasked with mask (whose phase is at % 4).
function unmaskInto(target, at, src, mask) {
  if (nativeUnmask && src.length >= 64) {
    const out = target.subarray(at, at + src.length);
    src.copy(out);
    const k = at & 3;
    nativeUnmask(out, k ? Buffer.from([mask[k], mask[(k + 1) & 3], mask[(k + 2) & 3], mask[(k + 3) & 3]]) : mask);
    return;
  }
  for (let i = 0; i < src.length; i++) target[at + i] = src[i] ^ mask[(at + i) & 3];
}

function frameHeader(opcode, length, { fin = 1, rsv = 0 } = {}) {
  const b0 = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  if (length <= 125) return Buffer.from([b0, length]);
  if (length <= 0xffff) return Buffer.from([b0, 126, length >> 8, length & 0xff]);
  const h = Buffer.alloc(10);
  h[0] = b0;
  h[1] = 127;
  h.writeBigUInt64BE(BigInt(length), 2);
  return h;
}

const tick = () => new Promise((r) => setImmediate(r));
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// One client connection running one case.
class CaseConnection {
  constructor(sock, server) {
    this.sock = sock;
    this.server = server;
    this.head = Buffer.alloc(0);
    this.case = null;
    this.agent = '';
    this.timers = new Set();
    this.queue = [];
    this.writing = false;
    this.state = 'CONNECTING'; // OPEN, CLOSING, CLOSED
    this.received = [];
    this.expected = {};
    this.expectedClose = null;
    this.closeSent = false;
    this.closeReceived = false;
    this.closedByMe = false;
    this.droppedByMe = false;
    this.killedAtLimit = false;
    this.remoteCloseCode = null;
    this.remoteCloseReason = '';
    this.violations = [];
    this.tcp = [];
    this.log = [];
    this.perf = null;
    // client frame parser
    this.pending = Buffer.alloc(0);
    this.inFrame = null; // {fin, rsv, opcode, mask, length, payload, filled}
    this.fragments = null; // {opcode, parts, size}
    sock.setNoDelay(true);
    this.timer(HANDSHAKE_LIMIT_MS, () => { if (this.state === 'CONNECTING') this.drop('no handshake'); });
    sock.on('data', (d) => this.onData(d));
    sock.on('end', () => {
      this.tcp.push(this.serverEnded ? 'client FIN' : 'client FIN first');
      this.note('recv FIN');
      if (!sock.destroyed) sock.end();
    });
    sock.on('error', (e) => { this.tcp.push(e.code === 'ECONNRESET' ? 'client RST' : `error ${e.code || e.message}`); });
    sock.on('close', () => this.onGone());
  }

  // ---- plumbing ----------------------------------------------------------------------------------------
  note(line) {
    if (this.log.length < LOG_LINES) this.log.push(`${this.openedAt ? Date.now() - this.openedAt : 0}ms ${line}`);
    else if (this.log.length === LOG_LINES) this.log.push('…');
  }

  timer(ms, fn) {
    const t = setTimeout(() => { this.timers.delete(t); fn(); }, ms);
    this.timers.add(t);
    return t;
  }

  drop(why) {
    if (this.sock.destroyed) return;
    this.note(`server drops TCP (${why})`);
    this.droppedByMe = true;
    this.sock.destroy();
  }

  // Ends TCP after the closing handshake (the server closes first, RFC 6455 7.1.1); forced after 2 s.
  endTcp() {
    if (this.serverEnded) return;
    this.serverEnded = true;
    this.queue = [];
    this.note('server sends FIN');
    this.sock.end();
    this.timer(2000, () => { if (!this.sock.destroyed) this.sock.destroy(); });
  }

  // Writes go through one queue, so chopped and synchronous frames keep their order with later ones.
  enqueue(buf, { chop = 0, sync = false } = {}) {
    if (this.serverEnded || this.sock.destroyed) return;
    if (this.sentClose !== undefined) this.sentAfterClose = true; // anything after our Close fails the client
    this.queue.push({ buf, chop, sync });
    if (!this.writing) this.pump();
  }

  async pump() {
    this.writing = true;
    while (this.queue.length && !this.sock.destroyed && !this.serverEnded) {
      const { buf, chop, sync } = this.queue.shift();
      if (!chop) {
        if (!this.sock.write(buf)) await new Promise((r) => this.sock.once('drain', r));
        if (sync) await pause(2);
        continue;
      }
      for (let off = 0; off < buf.length && !this.sock.destroyed && !this.serverEnded; off += chop) {
        if (!this.sock.write(buf.subarray(off, off + chop))) await new Promise((r) => this.sock.once('drain', r));
        await tick();
      }
    }
    this.writing = false;
  }

  // ---- the case API (see cases.mjs) --------------------------------------------------------------------
  expect(e) { this.expected = e; }
  expectClose(e) { this.expectedClose = e; }
  header(opcode, length, opts) { return frameHeader(opcode, length, opts); }
  raw(buf, opts) { this.enqueue(buf, opts); }

  frame(opcode, payload, { fin = 1, rsv = 0, len, chop = 0, sync = false } = {}) {
    const body = len !== undefined ? Buffer.alloc(len, payload) : payload;
    if (body.length <= 64 || this.log.length < LOG_LINES) {
      this.note(`send op=${opcode}${fin ? '' : ' fin=0'}${rsv ? ` rsv=${rsv}` : ''} len=${body.length}${chop ? ` chop=${chop}` : ''}`);
    }
    this.enqueue(Buffer.concat([frameHeader(opcode, body.length, { fin, rsv }), body]), { chop, sync });
  }

  message(payload, { binary = false, frag = 0, chop = 0 } = {}) {
    if (!frag || payload.length <= frag) {
      this.frame(binary ? 2 : 1, payload, { chop });
      return;
    }
    // All frames in one buffer (9.3.1 has 65536 of them).
    const count = Math.ceil(payload.length / frag);
    const out = Buffer.allocUnsafe(payload.length + count * 10);
    let pos = 0;
    for (let off = 0; off < payload.length; off += frag) {
      const piece = payload.subarray(off, off + frag);
      const h = frameHeader(off === 0 ? (binary ? 2 : 1) : 0, piece.length, { fin: off + frag >= payload.length ? 1 : 0 });
      pos += h.copy(out, pos);
      pos += piece.copy(out, pos);
    }
    this.note(`send message ${binary ? 'binary' : 'text'} len=${payload.length} in ${count} frames of ${frag}`);
    this.enqueue(out.subarray(0, pos), { chop });
  }

  close(code, reason = '') {
    const r = Buffer.from(reason, 'utf8');
    const p = Buffer.alloc(2 + r.length);
    p.writeUInt16BE(code, 0);
    r.copy(p, 2);
    this.closeRaw(p);
  }

  closeRaw(payload) {
    if (this.state === 'OPEN') {
      this.state = 'CLOSING';
      this.closedByMe = !this.closeReceived;
    }
    this.closeSent = true;
    if (this.sentClose === undefined) this.sentClose = payload;
    this.note(`send close ${payload.length >= 2 ? payload.readUInt16BE(0) : `(${payload.length} bytes)`}`);
    this.enqueue(Buffer.concat([frameHeader(8, payload.length), payload]));
  }

  // Timer callbacks run through setImmediate: Node's poll phase comes in between, so input that arrived
  // before the timer fired (a Close, the echo) is handled first even when the event loop was busy.
  deferred(ms, fn) { this.timer(ms, () => setImmediate(() => { if (this.state !== 'CLOSED') fn(); })); }

  later(ms, tag, fn) {
    this.deferred(ms, () => {
      if (this.state !== 'OPEN') return;
      if (tag !== null) this.received.push(['timeout', tag]);
      fn();
    });
  }

  killAfter(ms) {
    const wait = Math.max(ms, KILL_FLOOR_MS);
    this.deferred(wait, () => {
      if (this.sock.destroyed || this.serverEnded) return; // the closing handshake is over: TCP is ending anyway
      this.killedAtLimit = true;
      this.drop(`killAfter ${wait}ms`);
    });
  }

  closeAfter(ms) { this.deferred(ms, () => { if (this.state === 'OPEN') this.close(1000); }); }

  // ---- incoming ------------------------------------------------------------------------------------------
  onData(chunk) {
    if (this.state === 'CONNECTING') {
      this.head = Buffer.concat([this.head, chunk]);
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.head.length > 16384) this.drop('request too long');
        return;
      }
      const rest = this.head.subarray(end + 4);
      this.onRequest(this.head.subarray(0, end).toString('latin1'));
      if (rest.length && this.state === 'OPEN') this.parse(rest);
      return;
    }
    if (this.state === 'CLOSED') return;
    this.parse(chunk);
  }

  onRequest(head) {
    const lines = head.split('\r\n');
    const target = (lines[0] || '').split(' ')[1] || '/';
    const headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const u = new URL(target, 'http://x');
    const n = Number(u.searchParams.get('case'));
    const spec = u.pathname === '/runCase' && Number.isInteger(n) ? CASES[n - 1] : null;
    const key = headers['sec-websocket-key'];
    if (!spec || !key) {
      this.sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      this.state = 'CLOSED';
      return;
    }
    this.case = spec;
    this.agent = u.searchParams.get('agent') || 'unknown';
    // RFC 6455 4.1: what every client request must carry (a problem fails the case as a violation).
    const method = (lines[0] || '').split(' ')[0];
    if (method !== 'GET') this.violations.push(`request method ${method}`);
    if (!/^websocket$/i.test(headers.upgrade || '')) this.violations.push(`Upgrade: ${headers.upgrade}`);
    if (!/(^|,)\s*upgrade\s*(,|$)/i.test(headers.connection || '')) this.violations.push(`Connection: ${headers.connection}`);
    if (headers['sec-websocket-version'] !== '13') this.violations.push(`Sec-WebSocket-Version: ${headers['sec-websocket-version']}`);
    if (Buffer.from(key, 'base64').length !== 16) this.violations.push(`Sec-WebSocket-Key: ${key}`);
    this.note(`request ${target}${headers['sec-websocket-extensions'] ? ` extensions: ${headers['sec-websocket-extensions']}` : ''}`);
    this.sock.write(switchingProtocols(key));
    this.state = 'OPEN';
    this.openedAt = Date.now();
    this.timer(spec.perf ? PERF_LIMIT_MS : CASE_LIMIT_MS, () => {
      if (!this.sock.destroyed) {
        this.killedAtLimit = true;
        this.drop('case time limit');
      }
    });
    try {
      spec.run(this);
    } catch (e) {
      this.caseError = e.stack || String(e);
      this.drop('case error');
    }
  }

  violation(what) {
    this.violations.push(what);
    this.note(`client protocol violation: ${what}`);
    this.drop('client protocol violation');
  }

  parse(chunk) {
    let data = chunk;
    while (data.length && !this.sock.destroyed) {
      if (!this.inFrame) {
        const buf = this.pending.length ? Buffer.concat([this.pending, data]) : data;
        if (buf.length < 2) { this.pending = buf; return; }
        const masked = buf[1] & 0x80;
        let len = buf[1] & 0x7f;
        let pos = 2;
        if (len === 126) { if (buf.length < 4) { this.pending = buf; return; } len = buf.readUInt16BE(2); pos = 4; }
        else if (len === 127) {
          if (buf.length < 10) { this.pending = buf; return; }
          const big = buf.readBigUInt64BE(2);
          if (big > BigInt(256 * 1024 * 1024)) { this.violation(`frame length ${big}`); return; }
          len = Number(big);
          pos = 10;
        }
        if (!masked) { this.violation('unmasked frame from the client'); return; }
        if (buf.length < pos + 4) { this.pending = buf; return; }
        this.inFrame = { fin: buf[0] >> 7, rsv: (buf[0] >> 4) & 7, opcode: buf[0] & 15, mask: buf.subarray(pos, pos + 4),
          payload: Buffer.allocUnsafe(len), filled: 0 };
        this.pending = Buffer.alloc(0);
        data = buf.subarray(pos + 4);
        if (!this.checkFrame(this.inFrame)) return;
      }
      const f = this.inFrame;
      const take = Math.min(f.payload.length - f.filled, data.length);
      unmaskInto(f.payload, f.filled, data.subarray(0, take), f.mask);
      f.filled += take;
      data = data.subarray(take);
      if (f.filled === f.payload.length) {
        this.inFrame = null;
        this.onFrame(f);
      }
    }
  }

  checkFrame(f) {
    const known = [0, 1, 2, 8, 9, 10];
    if (f.rsv) this.violation(`RSV bits ${f.rsv} without an extension`);
    else if (!known.includes(f.opcode)) this.violation(`reserved opcode ${f.opcode}`);
    else if (f.opcode >= 8 && (!f.fin || f.payload.length > 125)) this.violation('fragmented or oversized control frame');
    else if (this.closeReceived) this.violation(`frame op=${f.opcode} after the client's Close`);
    else return true;
    return false;
  }

  onFrame(f) {
    if (f.opcode === 8) return this.onClose(f.payload);
    if (f.opcode === 9) {
      this.note(`recv ping ${f.payload.length}`);
      this.received.push(['ping', f.payload]);
      if (!this.closeSent) this.enqueue(Buffer.concat([frameHeader(10, f.payload.length), f.payload]));
      return this.finishWhenDone();
    }
    if (f.opcode === 10) {
      this.note(`recv pong ${f.payload.length}`);
      this.received.push(['pong', f.payload]);
      return this.finishWhenDone();
    }
    if (f.opcode === 0 && !this.fragments) return this.violation('continuation frame without a message');
    if (f.opcode !== 0 && this.fragments) return this.violation('new data frame inside a fragmented message');
    if (f.opcode !== 0) this.fragments = { opcode: f.opcode, parts: [], size: 0 };
    this.fragments.parts.push(f.payload);
    this.fragments.size += f.payload.length;
    if (!f.fin) return undefined;
    const { opcode, parts } = this.fragments;
    this.fragments = null;
    const payload = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (opcode === 1 && !isUtf8(payload)) return this.violation('the client sent a text message that is not UTF-8');
    return this.onMessage(payload, opcode === 2);
  }

  onMessage(payload, binary) {
    if (this.log.length < LOG_LINES - 5) this.note(`recv ${describeEvent(['message', payload, binary])}`);
    const p = this.perf;
    if (!p) {
      this.received.push(['message', payload, binary]);
      this.finishWhenDone();
      return;
    }
    if (p.failed) return;
    if (binary !== p.binary || !payload.equals(p.expected)) {
      p.failed = true;
      this.received.push(['mismatch', `echo ${(p.got || 0) + 1}: ${describeEvent(['message', payload, binary])}`]);
      if (this.state === 'OPEN') this.close(1000);
      return;
    }
    p.got = (p.got || 0) + 1;
    if (p.got < p.count) { p.sendOne(); return; }
    this.received.push(['echoes', p.count]);
    this.finishWhenDone();
  }

  onClose(payload) {
    this.closeReceived = true;
    if (payload.length >= 2) {
      this.remoteCloseCode = payload.readUInt16BE(0);
      this.remoteCloseReason = payload.subarray(2).toString('utf8');
      if (!isUtf8(payload.subarray(2))) this.violations.push('Close reason is not UTF-8');
    } else if (payload.length === 1) {
      this.violations.push('one-byte Close payload');
    }
    this.note(`recv close ${payload.length >= 2 ? `${this.remoteCloseCode} "${this.remoteCloseReason}"` : `(${payload.length} bytes)`}`);
    if (this.state === 'OPEN') {
      // The client started the closing handshake: answer with its code, unless a chopped write is still
      // mid-frame (the answer would land inside that frame).
      this.state = 'CLOSING';
      if (!this.writing) {
        this.closeSent = true;
        const answer = payload.length >= 2 ? payload.subarray(0, 2) : Buffer.alloc(0);
        this.enqueue(Buffer.concat([frameHeader(8, answer.length), answer]));
      }
    }
    this.handshakeDone = this.closeSent;
    this.endTcp();
  }

  // Autobahn's rule: once the events match every expected outcome, the server starts the closing handshake
  // if the case says it should.
  finishWhenDone() {
    const lists = Object.values(this.expected);
    if (!lists.length || !lists.every((l) => sameEvents(this.received, l))) return;
    if (this.expectedClose && this.expectedClose.byMe && this.state === 'OPEN' && !this.case.suppressClose) this.close(1000);
  }

  onGone() {
    if (this.state === 'CLOSED') return;
    const wasOpen = this.state !== 'CONNECTING';
    this.state = 'CLOSED';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.queue = [];
    if (!wasOpen || !this.case) return;
    const result = judge(this);
    this.server.report(this.agent, this.case.index, result);
  }
}

// Autobahn's verdict (case.py onConnectionLost), plus two stricter rules: a protocol violation by the client
// fails the case, and so does a client that never failed a connection it had to fail (the server dropped it
// at the time limit). The overall result is FAILED if either the events or the close behaviour failed (a
// wrong close code counts, as in the strict reading of the reports).
export function judge(c) {
  let behavior = FAILED;
  let result = 'Actual events differ from any expected.';
  for (const b of [OK, NON_STRICT]) {
    if (c.expected[b] && sameEvents(c.received, c.expected[b])) {
      behavior = b;
      result = 'Actual events match at least one expected.';
      break;
    }
  }
  const ec = c.expectedClose || { byMe: true, codes: [1000], clean: true };
  const wasClean = !!c.handshakeDone;
  let behaviorClose;
  let resultClose;
  if (c.caseError) {
    behaviorClose = FAILED;
    resultClose = `Server error in the case: ${c.caseError}`;
  } else if (c.violations.length) {
    behaviorClose = FAILED;
    resultClose = `Client protocol violation: ${c.violations.join('; ')}`;
  } else if (ec.byMe !== c.closedByMe) {
    behaviorClose = FAILED;
    resultClose = 'The connection was failed by the wrong endpoint';
  } else if (ec.clean && !wasClean) {
    behaviorClose = UNCLEAN;
    resultClose = 'The spec requires the connection to be failed cleanly here';
  } else if (c.remoteCloseCode !== null && !ec.codes.includes(c.remoteCloseCode)) {
    behaviorClose = WRONG_CODE;
    resultClose = `The close code should have been ${ec.codes.join(',')} or empty`;
  } else if (!ec.byMe && c.killedAtLimit && !c.closeReceived) {
    behaviorClose = FAILED;
    resultClose = 'The client never failed the connection (the server dropped it at the time limit)';
  } else {
    behaviorClose = OK;
    resultClose = 'Connection was properly closed';
  }
  if (c.case.wrongCodeFails && behaviorClose === WRONG_CODE) {
    behavior = FAILED;
    result = resultClose;
  }
  let verdict = behavior === FAILED || behaviorClose !== OK ? FAILED : behavior;
  if (c.case.informational) {
    verdict = INFORMATIONAL;
    result = `${behavior === OK ? 'OK' : behavior === NON_STRICT ? 'NON-STRICT' : 'other'} outcome: ${result}`;
  }
  return {
    case: c.case.id,
    index: c.case.index,
    agent: c.agent,
    verdict,
    behavior,
    behaviorClose,
    result,
    resultClose,
    events: c.received.map(describeEvent),
    expected: Object.fromEntries(Object.entries(c.expected).map(([k, v]) => [k, v.length > 20 ? [`${v.length} events`] : v.map(describeEvent)])),
    expectedClose: ec,
    closedByMe: c.closedByMe,
    droppedByMe: c.droppedByMe,
    wasClean,
    closeCode: c.remoteCloseCode,
    closeReason: c.remoteCloseReason,
    closeReceived: !!c.closeReceived,
    sentClose: c.sentClose === undefined ? null : c.sentClose.toString('hex'),
    sentAfterClose: !!c.sentAfterClose,
    tcp: c.tcp,
    violations: c.violations,
    durationMs: Date.now() - c.openedAt,
    log: c.log,
  };
}

export async function startFuzzingServer({ ports: count = 1 } = {}) {
  const results = new Map();
  const waiters = new Map();
  const sockets = new Set();
  const api = {
    report(agent, index, result) {
      const key = `${agent}#${index}`;
      const w = waiters.get(key);
      if (w) { waiters.delete(key); w(result); } else results.set(key, result);
      if (api.onResult) api.onResult(result);
    },
  };
  const servers = [];
  for (let i = 0; i < count; i++) {
    const srv = net.createServer((sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
      new CaseConnection(sock, api); // eslint-disable-line no-new
    });
    await new Promise((resolve, reject) => { srv.once('error', reject); srv.listen(0, '127.0.0.1', resolve); });
    servers.push(srv);
  }
  const ports = servers.map((s) => s.address().port);
  return Object.assign(api, {
    ports,
    url: (worker = 0) => `ws://127.0.0.1:${ports[worker % ports.length]}`,
    // Resolves with the judged result of (agent, case index), or null after ms.
    result(agent, index, ms) {
      const key = `${agent}#${index}`;
      if (results.has(key)) { const r = results.get(key); results.delete(key); return Promise.resolve(r); }
      return new Promise((resolve) => {
        const t = setTimeout(() => { waiters.delete(key); resolve(null); }, ms);
        waiters.set(key, (r) => { clearTimeout(t); resolve(r); });
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      return Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  });
}

async function main() {
  const i = process.argv.indexOf('--ports');
  const srv = await startFuzzingServer({ ports: i > 0 ? Math.max(1, Number(process.argv[i + 1]) || 1) : 1 });
  srv.onResult = (r) => process.stdout.write(`${JSON.stringify({ ...r, log: undefined })}\n`);
  process.stdout.write(`PORTS ${srv.ports.join(' ')}\n`);
  const stop = () => srv.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  let st = null;
  try { st = fs.fstatSync(0); } catch { /* no stdin */ }
  if (st && (st.isFIFO() || st.isSocket())) {
    process.stdin.on('end', stop);
    process.stdin.resume();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
