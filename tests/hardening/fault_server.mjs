// Fault-injection WebSocket server on raw `net` sockets (no WebSocket library), for fault_driver.c.
// Usage: node fault_server.mjs DIR  (DIR is ignored; run-peer.sh passes its fixture directory)
//
// Prints "LISTEN <name> <port>" for each listener on 127.0.0.1 (random ports), then "READY":
//   fault     plain HTTP; the request path chooses the behaviour:
//     /bytewise        the 101 and then text "hello", binary 01 02 03, ping "p", Close 1000 "bye",
//                      every byte in its own write 1 ms apart; closes TCP after the client's Close
//     /deaf            the 101, then never reads again (the client's send buffer fills up)
//     /huge63          a binary frame header announcing 2^63 bytes (the length's top bit set)
//     /huge            a binary frame header announcing 2^63 - 1 bytes
//     /dropmid         the first 3 payload bytes of a 256-byte frame, then TCP closed
//     /halfclose       the 101, then our write side shut down (FIN) while we keep reading
//     /halfclose-close the 101 and Close 1000 "bye", then FIN while we keep reading
//     /lastclose       a text message with the close code the previous connection's client sent
//                      ("none" if it sent no Close), then Close 1000
//   tlsreset  resets TCP (RST) on the first byte of the TLS ClientHello
//   tlseof    closes TCP (FIN) on the first byte of the TLS ClientHello
import { createServer } from 'node:net';
import { createHash } from 'node:crypto';

let lastClose = 'none';

function frame(opcode, payload, fin = true) {
  const p = Buffer.from(payload);
  const head = p.length < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, p.length])
                              : Buffer.from([(fin ? 0x80 : 0) | opcode, 126, p.length >> 8, p.length & 255]);
  return Buffer.concat([head, p]);
}
function closeFrame(code, reason = '') {
  const p = Buffer.alloc(2 + Buffer.byteLength(reason));
  p.writeUInt16BE(code, 0);
  p.write(reason, 2);
  return frame(8, p);
}

// Reads the client's masked frames; calls onClose(code) for its Close frame.
function clientFrames(onClose) {
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
      if ((buf[0] & 15) === 8) onClose(p.length >= 2 ? p.readUInt16BE(0) : 1005);
      buf = buf.subarray(at + 4 + len);
    }
  };
}

function bytewise(socket, data, done) {
  let i = 0;
  const step = () => {
    if (socket.destroyed) return;
    if (i >= data.length) { if (done) done(); return; }
    socket.write(data.subarray(i, i + 1));
    i++;
    setTimeout(step, 1);
  };
  step();
}

function onConnection(socket) {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  let head = Buffer.alloc(0);
  const onHead = (chunk) => {
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    socket.off('data', onHead);
    const text = head.subarray(0, end).toString('latin1');
    const rest = head.subarray(end + 4);
    const path = text.split(' ')[1] || '/';
    const key = /\r\nsec-websocket-key:\s*(\S+)/i.exec(text)?.[1] || '';
    const accept = createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    const ok = Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                           `Sec-WebSocket-Accept: ${accept}\r\n\r\n`);
    handle(socket, path, ok, rest);
  };
  socket.on('data', onHead);
}

function recordClose(socket, rest) {
  lastClose = 'none';
  const feed = clientFrames((code) => { lastClose = String(code); });
  socket.on('data', feed);
  if (rest.length) feed(rest);
}

function handle(socket, path, ok, rest) {
  switch (path) {
    case '/bytewise': {
      const data = Buffer.concat([ok, frame(1, 'hello'), frame(2, [1, 2, 3]), frame(9, 'p'), closeFrame(1000, 'bye')]);
      const feed = clientFrames(() => socket.end());
      socket.on('data', feed);
      bytewise(socket, data);
      break;
    }
    case '/deaf':
      socket.write(ok);
      socket.pause();
      break;
    case '/huge63':
    case '/huge':
      recordClose(socket, rest);
      socket.write(Buffer.concat([ok, Buffer.from(path === '/huge63' ? [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0]
                                                                     : [0x82, 0x7f, 0x7f, 255, 255, 255, 255, 255, 255, 255])]));
      break;
    case '/dropmid':
      socket.end(Buffer.concat([ok, Buffer.from([0x82, 0x7e, 0x01, 0x00, 1, 2, 3])]));
      break;
    case '/halfclose':
      recordClose(socket, rest);
      socket.end(ok);
      break;
    case '/halfclose-close':
      recordClose(socket, rest);
      socket.end(Buffer.concat([ok, closeFrame(1000, 'bye')]));
      break;
    case '/lastclose': {
      // The previous connection's bytes may still be on their way: answer after a short while.
      setTimeout(() => socket.write(Buffer.concat([ok, frame(1, lastClose), closeFrame(1000)])), 200);
      socket.on('data', clientFrames(() => socket.end()));
      break;
    }
    default:
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  }
}

function listen(name, onConn) {
  return new Promise((resolve, reject) => {
    const server = createServer({ allowHalfOpen: true }, onConn);
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      process.stdout.write(`LISTEN ${name} ${server.address().port}\n`);
      resolve();
    });
  });
}

await listen('fault', onConnection);
await listen('tlsreset', (s) => { s.on('error', () => {}); s.once('data', () => s.resetAndDestroy()); });
await listen('tlseof', (s) => { s.on('error', () => {}); s.once('data', () => s.end()); });
process.stdout.write('READY\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
