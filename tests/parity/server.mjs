// The parity edge-case server: raw TCP, hand-made HTTP and frames, so it can misbehave on purpose.
//
//   node server.mjs            listen on 127.0.0.1, port 0; the first stdout line is "PORT <n>"
//   node server.mjs --ports N  N ports (one per parallel browser worker); then a second line "PORTS <n>..."
//   node server.mjs --list     print the scenario table (scenarios.mjs) as JSON and exit
//
// ws://127.0.0.1:<port>/s/<name>?run=<id> runs scenario <name>; with ?run=<id> the server keeps a wire log
// of that connection (what the client sent: frames, Close code and reason, masking) that
// GET /log/<id> returns as JSON. It stops on SIGTERM, SIGINT, or when stdin (a pipe) closes.
//
// Every connection is bounded: waits for the client give up after 10 s and no connection lives longer
// than 60 s.
import net from 'node:net';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { SCENARIOS, payloadBytes } from './scenarios.mjs';
import { fnv1a, hex8, acceptFor, describeBytes as describe } from '../support/ws_frames.mjs';

export { fnv1a, acceptFor };
const WAIT_LIMIT_MS = 10000;
const CONNECTION_LIMIT_MS = 60000;
const byName = new Map(SCENARIOS.map((s) => [s.name, s]));
const logs = new Map(); // run id -> array of wire log lines

// One frame, server to client. len forces the 16- or 64-bit length encoding.
export function encodeFrame({ op, fin = 1, rsv1 = 0, rsv2 = 0, rsv3 = 0, masked = 0, payload, len }) {
  const n = payload.length;
  let lenBytes;
  if (len === 64 || (len === undefined && n > 0xffff)) {
    lenBytes = Buffer.alloc(9);
    lenBytes[0] = 127;
    lenBytes.writeBigUInt64BE(BigInt(n), 1);
  } else if (len === 16 || (len === undefined && n > 125)) {
    lenBytes = Buffer.alloc(3);
    lenBytes[0] = 126;
    lenBytes.writeUInt16BE(n, 1);
  } else {
    lenBytes = Buffer.from([n]);
  }
  const b0 = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | (rsv2 ? 0x20 : 0) | (rsv3 ? 0x10 : 0) | (op & 0x0f);
  if (masked) lenBytes[0] |= 0x80;
  const parts = [Buffer.from([b0]), lenBytes];
  if (masked) {
    const key = Buffer.from([0x12, 0x34, 0x56, 0x78]);
    const body = Buffer.alloc(n);
    for (let i = 0; i < n; i++) body[i] = payload[i] ^ key[i & 3];
    parts.push(key, body);
  } else {
    parts.push(payload);
  }
  return Buffer.concat(parts);
}

function closePayload(spec) {
  if (spec.hex !== undefined) return Buffer.from(spec.hex, 'hex');
  if (spec.code === undefined) return Buffer.alloc(0);
  const reason = Buffer.from(spec.reason || '', 'utf8');
  const b = Buffer.alloc(2 + reason.length);
  b.writeUInt16BE(spec.code, 0);
  reason.copy(b, 2);
  return b;
}

function compress(payload) {
  const out = zlib.deflateRawSync(payload, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  // A sync flush ends with 00 00 ff ff; RFC 7692 has the sender drop it.
  return out.subarray(0, out.length - 4);
}

// Runs input through a persistent zlib stream (context takeover) up to a sync flush; resolves with the
// output. Data events arrive before the flush callback (the pattern the ws package relies on too).
function streamFlush(stream, input) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    const onData = (c) => chunks.push(c);
    const onError = (e) => { cleanup(); reject(e); };
    function cleanup() { stream.off('data', onData); stream.off('error', onError); }
    stream.on('data', onData);
    stream.once('error', onError);
    stream.write(input);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => { cleanup(); resolve(Buffer.concat(chunks)); });
  });
}

// The permessage-deflate parameters of the server's answer.
function deflateParams(ext) {
  const p = { serverNoTakeover: /server_no_context_takeover/.test(ext), clientNoTakeover: /client_no_context_takeover/.test(ext) };
  const cb = ext.match(/client_max_window_bits=(\d+)/);
  const sb = ext.match(/server_max_window_bits=(\d+)/);
  p.clientBits = cb ? Number(cb[1]) : 15;
  p.serverBits = sb ? Number(sb[1]) : 15;
  return p;
}

class Connection {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.request = null;
    this.scenario = null;
    this.log = null;
    this.deflate = false;
    this.events = []; // client events: {type: 'message'|'pong'|'close'|'ping', ...}
    this.cursor = { message: 0, pong: 0, close: 0 };
    this.waiter = null;
    this.frag = null;
    this.chain = Promise.resolve(); // client frames are handled in order, some asynchronously (inflate)
    this.closeSent = false;
    this.closeReceived = false;
    this.stepsDone = false;
    this.gone = false;
    this.lastMessage = null;
    this.timer = setTimeout(() => this.destroy(), CONNECTION_LIMIT_MS);
    sock.setNoDelay(true);
    sock.on('data', (d) => this.onData(d));
    sock.on('end', () => { this.note('recv FIN'); this.gone = true; this.wake(); if (!this.sock.destroyed) this.sock.end(); });
    sock.on('error', (e) => { this.note(`socket error ${e.code || e.message}`); });
    sock.on('close', () => { this.gone = true; clearTimeout(this.timer); this.wake(); });
  }

  note(line) { if (this.log) this.log.push(line); }

  write(buf) { if (!this.sock.destroyed && this.sock.writable) this.sock.write(buf); }

  destroy() { if (!this.sock.destroyed) this.sock.destroy(); }

  onData(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (!this.request) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buf.length > 65536) this.destroy();
        return;
      }
      const head = this.buf.subarray(0, end).toString('latin1');
      this.buf = this.buf.subarray(end + 4);
      this.onRequest(head);
      return;
    }
    if (this.scenario && this.upgraded) this.parseFrames();
  }

  onRequest(head) {
    const lines = head.split('\r\n');
    const [method, target] = lines[0].split(' ');
    const headers = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i < 0) continue;
      const k = l.slice(0, i).trim().toLowerCase();
      const v = l.slice(i + 1).trim();
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
    this.request = { method, target, headers };
    const u = new URL(target || '/', 'http://x');
    const logMatch = u.pathname.match(/^\/log\/([\w.-]+)$/);
    if (logMatch) {
      const body = JSON.stringify(logs.get(logMatch[1]) || null);
      this.sock.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        'Access-Control-Allow-Origin: *\r\nConnection: close\r\n\r\n' + body);
      return;
    }
    if (u.pathname === '/list') {
      const body = JSON.stringify(SCENARIOS);
      this.sock.end(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' + body);
      return;
    }
    const m = u.pathname.match(/^\/s\/([\w.-]+)$/);
    const scenario = m && byName.get(m[1]);
    if (!scenario) {
      this.sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nConnection: close\r\n\r\nno such\r\n\r\n');
      return;
    }
    this.scenario = scenario;
    const run = u.searchParams.get('run');
    if (run) {
      this.log = [];
      logs.set(run, this.log);
    }
    this.answerHandshake().catch((e) => { console.error(`${scenario.name}: ${e.stack}`); this.destroy(); });
  }

  async answerHandshake() {
    const hs = this.scenario.hs;
    const h = this.request.headers;
    const mode = hs.mode || 'normal';
    if (mode === 'never') return; // the bounded connection timer ends it eventually
    if (mode === 'drop') { this.sock.end(); return; }
    if (mode === 'reset') { this.sock.resetAndDestroy(); return; }
    if (mode === 'partial') { this.sock.end(hs.partial); return; }
    if (hs.delay) await new Promise((r) => setTimeout(r, hs.delay)); // a slow server, not synchronisation
    if (this.sock.destroyed || this.gone) return; // the client gave up meanwhile

    const status = hs.status || 101;
    const name = (s) => (hs.lowerCase ? s.toLowerCase() : s);
    const lines = [hs.statusLine || `HTTP/1.1 ${status} ${status === 101 ? 'Switching Protocols' : 'Not Switching'}`];
    let body = '';
    if (status === 101) {
      if (hs.upgrade !== null) lines.push(`${name('Upgrade')}: ${hs.upgrade || 'websocket'}`);
      if (hs.connection !== null) lines.push(`${name('Connection')}: ${hs.connection || 'Upgrade'}`);
      const key = h['sec-websocket-key'] || '';
      if (hs.accept !== 'none') {
        lines.push(`${name('Sec-WebSocket-Accept')}: ${acceptFor(hs.accept === 'bad' ? key + 'x' : key)}`);
        if (hs.duplicateAccept) lines.push(`${name('Sec-WebSocket-Accept')}: ${acceptFor(key)}`);
      }
      const offered = (h['sec-websocket-protocol'] || '').split(',').map((s) => s.trim()).filter(Boolean);
      let proto = null;
      if (hs.protocol === 'first') proto = offered[0] ?? null;
      else if (hs.protocol === 'last') proto = offered[offered.length - 1] ?? null;
      else if (typeof hs.protocol === 'string') proto = hs.protocol;
      if (proto !== null) lines.push(`${name('Sec-WebSocket-Protocol')}: ${proto}`);
      if (hs.extensions) {
        lines.push(`${name('Sec-WebSocket-Extensions')}: ${hs.extensions}`);
        this.deflate = /permessage-deflate/.test(hs.extensions);
        if (this.deflate) {
          this.pmd = deflateParams(hs.extensions);
          // The inflater's window is what the client was allowed: a client that ignores
          // client_max_window_bits produces distances this inflater refuses.
          this.inflater = zlib.createInflateRaw({ windowBits: Math.max(this.pmd.clientBits, 9) });
          this.inflater.on('error', () => {});
          this.deflater = zlib.createDeflateRaw({ windowBits: Math.max(this.pmd.serverBits, 9) });
        }
      }
    } else {
      body = hs.body || '';
      lines.push('Content-Type: text/plain', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close');
    }
    for (const [k, v] of hs.headers || []) lines.push(`${k}: ${v}`);
    const eol = hs.lfOnly ? '\n' : '\r\n';
    const response = Buffer.from(lines.join(eol) + eol + eol + body, 'latin1');

    if (status !== 101) {
      this.sock.end(response);
      return;
    }
    this.upgraded = true;
    this.note('handshake 101');
    if (mode === 'bytewise') {
      for (let i = 0; i < response.length; i++) {
        this.write(response.subarray(i, i + 1));
        await new Promise((r) => setImmediate(r));
      }
    } else if (hs.coalesce) {
      this.sock.cork();
      this.write(response);
      process.nextTick(() => this.sock.uncork());
    } else {
      this.write(response);
    }
    if (this.buf.length) this.parseFrames();
    await this.runSteps();
  }

  async runSteps() {
    const steps = this.scenario.server;
    this.sock.cork();
    for (const step of steps) {
      if (this.sock.destroyed) break;
      const r = this.runStep(step);
      if (r && typeof r.then === 'function') {
        this.sock.uncork();
        await r;
        this.sock.cork();
      }
    }
    this.sock.uncork();
    this.stepsDone = true;
    // A Close that arrived while the steps ran is answered now.
    if (this.closeReceived && !this.closeAnswered) this.answerClose(this.closeReceived);
  }

  runStep(step) {
    if (step.send) {
      let payload = payloadBytes(step.data);
      const compressed = !!step.compress;
      const op = step.send === 'text' ? 1 : 2;
      if (compressed && this.pmd && !this.pmd.serverNoTakeover) {
        // Context takeover: one deflate stream for the whole connection.
        return streamFlush(this.deflater, payload).then((out) => {
          this.write(encodeFrame({ op, rsv1: 1, payload: out.subarray(0, out.length - 4) }));
        });
      }
      if (compressed) payload = compress(payload);
      const frame = encodeFrame({ op, rsv1: compressed ? 1 : 0, payload });
      if (!step.bytewise) { this.write(frame); return null; }
      return (async () => {
        for (let i = 0; i < frame.length; i++) {
          this.write(frame.subarray(i, i + 1));
          await new Promise((r) => setImmediate(r));
        }
      })();
    }
    if (step.frame) {
      const f = step.frame;
      this.write(encodeFrame({ ...f, payload: payloadBytes(f.data) }));
      if (f.op === 8) this.closeSent = true;
      return null;
    }
    if (step.close) {
      this.write(encodeFrame({ op: 8, payload: closePayload(step.close) }));
      this.closeSent = true;
      return null;
    }
    if (step.raw !== undefined) { this.write(Buffer.from(step.raw, 'hex')); return null; }
    if (step.end) { this.sock.end(); return null; }
    if (step.destroy) { this.destroy(); return null; }
    if (step.reset) { this.sock.resetAndDestroy(); return null; }
    if (step.delay) return new Promise((r) => setTimeout(r, step.delay));
    if (step.await) {
      if (!step.count) return this.waitFor(step.await);
      return (async () => { for (let i = 0; i < step.count; i++) if (!(await this.waitFor(step.await))) break; })();
    }
    if (step.report) { this.report(step.report); return null; }
    throw new Error(`unknown step ${JSON.stringify(step)}`);
  }

  // Resolves with the next unconsumed client event of this type, or null when the connection is gone or
  // WAIT_LIMIT_MS passed.
  waitFor(type) {
    return new Promise((resolve) => {
      const deadline = setTimeout(() => { this.waiter = null; this.note(`gave up waiting for ${type}`); resolve(null); },
        WAIT_LIMIT_MS);
      const check = () => {
        for (let i = this.cursor[type]; i < this.events.length; i++) {
          if (this.events[i].type === type) {
            this.cursor[type] = i + 1;
            clearTimeout(deadline);
            this.waiter = null;
            resolve(this.events[i]);
            return true;
          }
        }
        if (this.gone) { clearTimeout(deadline); this.waiter = null; resolve(null); return true; }
        return false;
      };
      if (!check()) this.waiter = check;
    });
  }

  wake() { if (this.waiter) this.waiter(); }

  sendText(s) { this.write(encodeFrame({ op: 1, payload: Buffer.from(s, 'utf8') })); }

  report(kind) {
    const h = this.request.headers;
    if (kind === 'request') {
      const key = h['sec-websocket-key'] || '';
      const keyOk = Buffer.from(key, 'base64').length === 16 ? 'ok' : `bad(${key})`;
      this.sendText(`version=${h['sec-websocket-version'] || '-'} key=${keyOk} protocols=${h['sec-websocket-protocol'] || '-'}`);
    } else if (kind === 'upgrade') {
      // The port changes from run to run; what matters is that the client names host and port.
      const port = this.sock.localPort;
      const host = (h.host || '-').replace(`:${port}`, ':<port>');
      this.sendText(`host=${host} upgrade=${h.upgrade || '-'} connection=${h.connection || '-'} method=${this.request.method}`);
    } else if (kind === 'pongs') {
      const pongs = this.events.filter((e) => e.type === 'pong');
      this.sendText(`pongs=${pongs.length} payloads=${pongs.map((e) => e.data.toString('latin1')).join(',')}`);
    } else if (kind === 'extensions') {
      this.sendText(`extensions=${h['sec-websocket-extensions'] || '-'}`);
    } else if (kind === 'pong') {
      const p = [...this.events].reverse().find((e) => e.type === 'pong');
      this.sendText(p ? `pong ${describe(p.data)}` : 'pong none');
    } else if (kind === 'message') {
      const m = this.lastConsumed('message');
      const extra = this.deflate ? ` compressed=${m && m.compressed ? 1 : 0}${this.inflateFailed ? ' inflate-failed' : ''}` : '';
      this.sendText(m ? `got ${m.opcode === 1 ? 'text' : 'binary'} ${m.data.length} fnv=${hex8(fnv1a(m.data))} masked=${m.masked ? 1 : 0}${extra}`
        : 'got none');
    }
  }

  lastConsumed(type) {
    for (let i = this.cursor[type] - 1; i >= 0; i--) if (this.events[i].type === type) return this.events[i];
    return null;
  }

  parseFrames() {
    for (;;) {
      const b = this.buf;
      if (b.length < 2) return;
      const fin = !!(b[0] & 0x80);
      const rsv1 = !!(b[0] & 0x40);
      const op = b[0] & 0x0f;
      const masked = !!(b[1] & 0x80);
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) return;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) return;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      if (len > 256 * 1024 * 1024) { this.note('frame too large'); this.destroy(); return; }
      const keyLen = masked ? 4 : 0;
      if (b.length < off + keyLen + len) return;
      let payload = Buffer.from(b.subarray(off + keyLen, off + keyLen + len));
      if (masked) {
        const key = b.subarray(off, off + 4);
        for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
      }
      this.buf = b.subarray(off + keyLen + len);
      const frame = { fin, rsv1, op, masked, payload };
      this.chain = this.chain.then(() => this.onFrame(frame)).catch((e) => this.note(`frame handling failed: ${e.message}`));
    }
  }

  async onFrame(f) {
    if (!f.masked) this.note(`recv unmasked frame op=${f.op}`);
    if (f.op === 8) {
      const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : null;
      const reason = f.payload.length > 2 ? f.payload.subarray(2).toString('utf8') : '';
      this.note(`recv close ${code === null ? '(empty)' : code} ${JSON.stringify(reason)}`);
      if (this.closeReceived) return;
      this.closeReceived = f;
      this.events.push({ type: 'close', payload: f.payload });
      this.wake();
      if (this.stepsDone) this.answerClose(f);
      return;
    }
    if (f.op === 9) {
      this.note(`recv ping ${describe(f.payload)}`);
      this.events.push({ type: 'ping', data: f.payload });
      if (!this.closeSent) this.write(encodeFrame({ op: 10, payload: f.payload }));
      return;
    }
    if (f.op === 10) {
      this.note(`recv pong ${describe(f.payload)}`);
      this.events.push({ type: 'pong', data: f.payload });
      this.wake();
      return;
    }
    if (f.op === 1 || f.op === 2) {
      this.frag = { opcode: f.op, parts: [f.payload], compressed: f.rsv1, masked: f.masked };
    } else if (f.op === 0 && this.frag) {
      this.frag.parts.push(f.payload);
      this.frag.masked = this.frag.masked && f.masked;
    } else {
      this.note(`recv unexpected op=${f.op}`);
      return;
    }
    if (!f.fin) return;
    const m = this.frag;
    this.frag = null;
    let data = Buffer.concat(m.parts);
    if (m.compressed && this.deflate) {
      try {
        data = await streamFlush(this.inflater, Buffer.concat([data, Buffer.from([0, 0, 0xff, 0xff])]));
      } catch (e) {
        this.note(`inflate failed: ${e.message}`);
        this.inflateFailed = true;
      }
    }
    this.note(`recv ${m.opcode === 1 ? 'text' : 'binary'} ${describe(data)}${m.compressed ? ' compressed' : ''}`);
    const msg = { type: 'message', opcode: m.opcode, data, masked: m.masked, compressed: m.compressed };
    this.events.push(msg);
    this.wake();
    if (this.scenario.echo && !this.closeSent) {
      // Echo uncompressed: the client must take both.
      this.write(encodeFrame({ op: m.opcode, payload: data }));
    }
  }

  answerClose(f) {
    if (this.closeAnswered) return;
    this.closeAnswered = true;
    const after = this.scenario.after;
    if (this.closeSent) { this.sock.end(); return; } // the closing handshake is complete
    if (after === 'ignore') return;
    if (after === 'fin') { this.sock.end(); return; }
    let payload = f.payload;
    if (after === 'empty') payload = Buffer.alloc(0);
    else if (typeof after === 'object') payload = closePayload(after);
    this.write(encodeFrame({ op: 8, payload }));
    this.closeSent = true;
    if (after !== 'hold') this.sock.end();
  }
}

export function startServer({ port = 0 } = {}) {
  const server = net.createServer((sock) => new Connection(sock));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function main() {
  if (process.argv.includes('--list')) {
    process.stdout.on('error', () => {}); // e.g. piped into head
    process.stdout.write(JSON.stringify(SCENARIOS, null, 1) + '\n');
    return;
  }
  // --ports N: N listening ports sharing scenarios and logs. Chromium lets only one WebSocket per IP:port be
  // CONNECTING at a time, so parallel browser workers need a port each or a slow handshake in one delays
  // the others.
  const i = process.argv.indexOf('--ports');
  const count = i > 0 ? Math.max(1, Number(process.argv[i + 1]) || 1) : 1;
  const servers = [];
  for (let k = 0; k < count; k++) servers.push(await startServer());
  const ports = servers.map((srv) => srv.address().port);
  process.stdout.write(`PORT ${ports[0]}\n`);
  if (count > 1) process.stdout.write(`PORTS ${ports.join(' ')}\n`);
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let st = null;
  try { st = fs.fstatSync(0); } catch { /* no stdin */ }
  if (st && (st.isFIFO() || st.isSocket())) {
    process.stdin.on('end', stop);
    process.stdin.on('close', stop);
    process.stdin.resume();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
