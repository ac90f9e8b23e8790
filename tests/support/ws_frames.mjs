// WebSocket wire helpers shared by the raw-socket test servers (tests/hardening, tests/conformance,
// tests/parity): the handshake answer, small server frames, a reader for the client's masked frames, and
// the FNV-1a hash the servers use to name payloads in logs and reports. Node only (Buffer, node:crypto).
import { createHash } from 'node:crypto';

export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.
export function acceptFor(key) {
  return createHash('sha1').update(key + GUID).digest('base64');
}

// A minimal valid 101 answer for key, as a string (ASCII only).
export function switchingProtocols(key) {
  return 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`;
}

// The key of a request head (the text before the empty line), or '' when it has none.
export function requestKey(head) {
  return /\r\nsec-websocket-key:\s*(\S+)/i.exec(head)?.[1] || '';
}

// An unmasked server frame whose first byte is b0 (FIN, RSV and opcode); payloads up to 65535 bytes.
export function serverFrame(b0, payload) {
  const p = Buffer.from(payload);
  const head = p.length < 126 ? Buffer.from([b0, p.length]) : Buffer.from([b0, 126, p.length >> 8, p.length & 255]);
  return Buffer.concat([head, p]);
}

// A Close payload: the code, then the reason in UTF-8.
export function closePayload(code, reason = '') {
  const p = Buffer.alloc(2 + Buffer.byteLength(reason));
  p.writeUInt16BE(code, 0);
  p.write(reason, 2);
  return p;
}

// A final Close frame with code and reason.
export function closeFrame(code, reason = '') {
  return serverFrame(0x88, closePayload(code, reason));
}

// Returns a 'data' handler that reassembles the client's masked frames from the byte stream and calls
// onFrame(opcode, payload) for each whole one, payload unmasked.
export function clientFrameReader(onFrame) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = buf[1] & 127, at = 2;
      if (len === 126) { if (buf.length < 4) return; len = buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { if (buf.length < 10) return; len = Number(buf.readBigUInt64BE(2)); at = 10; }
      if (buf.length < at + 4 + len) return;
      const mask = buf.subarray(at, at + 4);
      const p = Buffer.from(buf.subarray(at + 4, at + 4 + len));
      for (let i = 0; i < p.length; i++) p[i] ^= mask[i & 3];
      const op = buf[0] & 15;
      buf = buf.subarray(at + 4 + len);
      onFrame(op, p);
    }
  };
}

// 32-bit FNV-1a of a byte array.
export function fnv1a(buf) {
  let h = 0x811c9dc5;
  for (let i = 0; i < buf.length; i++) {
    h ^= buf[i];
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

export const hex8 = (n) => n.toString(16).padStart(8, '0');

// A payload for logs and reports: its length and, when it is printable ASCII of at most 40 bytes, its
// text in quotes, else its FNV-1a hash ('5 "hello"', '65536 fnv=0123abcd').
export function describeBytes(buf) {
  const printable = buf.length <= 40 && [...buf].every((c) => c >= 0x20 && c < 0x7f);
  return printable ? `${buf.length} "${buf.toString('latin1')}"` : `${buf.length} fnv=${hex8(fnv1a(buf))}`;
}

// Prepares a raw server connection (no Nagle delay, socket errors ignored) and reads the request head:
// calls onRequest(head, rest) once, with the text before the empty line (latin1) and the bytes after it.
export function readRequestHead(socket, onRequest) {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  let head = Buffer.alloc(0);
  const onData = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    socket.off('data', onData);
    onRequest(head.subarray(0, end).toString('latin1'), head.subarray(end + 4));
  };
  socket.on('data', onData);
}
