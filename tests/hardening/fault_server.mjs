// Fault-injection WebSocket server on raw `net` sockets (no WebSocket library), for fault_driver.c.
// Usage: node fault_server.mjs DIR  (DIR is ignored; run-peer.sh passes its fixture directory)
//
// Prints "LISTEN <name> <port>" for each listener on 127.0.0.1 (random ports), then "READY":
//   fault     plain HTTP; the request path chooses the behaviour:
//     /bytewise        the 101 and then text "hello", binary 01 02 03, ping "p", Close 1000 "bye",
//                      every byte in its own write 1 ms apart; closes TCP after the client's Close
//     /deaf            the 101, then never reads again (the client's send buffer fills up)
//     /pingflood       the 101, then never reads again while it sends 200,000 pings of 125 bytes and
//                      the text "flooded" (the client's pongs back up)
//     /huge63          a binary frame header announcing 2^63 bytes (the length's top bit set)
//     /huge            a binary frame header announcing 2^63 - 1 bytes
//     /dropmid         the first 3 payload bytes of a 256-byte frame, then TCP closed
//     /halfclose       the 101, then our write side shut down (FIN) while we keep reading
//     /halfclose-close the 101 and Close 1000 "bye", then FIN while we keep reading
//     /lastclose       a text message with the close code the previous connection's client sent
//                      ("none" if it sent no Close), then Close 1000
//   tlsreset  resets TCP (RST) on the first byte of the TLS ClientHello
//   tlseof    closes TCP (FIN) on the first byte of the TLS ClientHello
//   tlsnonotify  wss: the 101 and Close 1000 "bye"; once the client's Close arrives, TCP is closed
//                without a TLS close_notify (as many servers do)
// DIR holds the test certificates (server.pem, server.key) made by gen-certs.sh.
import fs from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { serverFrame, closeFrame, clientFrameReader, readRequestHead, requestKey, switchingProtocols }
  from '../support/ws_frames.mjs';

let lastClose = 'none';

// A final frame with opcode.
const frame = (opcode, payload) => serverFrame(0x80 | opcode, payload);

// Reads the client's masked frames; calls onClose(code) for its Close frame.
function clientFrames(onClose) {
  return clientFrameReader((op, p) => { if (op === 8) onClose(p.length >= 2 ? p.readUInt16BE(0) : 1005); });
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
  readRequestHead(socket, (text, rest) => {
    const path = text.split(' ')[1] || '/';
    handle(socket, path, Buffer.from(switchingProtocols(requestKey(text))), rest);
  });
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
    case '/pingflood': {
      socket.pause();
      const count = 200000, ping = frame(9, Buffer.alloc(125, 0x70));
      const pings = Buffer.alloc(count * ping.length);
      for (let i = 0; i < count; i++) ping.copy(pings, i * ping.length);
      socket.write(Buffer.concat([ok, pings, frame(1, 'flooded')]));
      break;
    }
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
{
  const dir = process.argv[2];
  const tlsServer = createTlsServer({ key: fs.readFileSync(`${dir}/server.key`), cert: fs.readFileSync(`${dir}/server.pem`) },
    (t) => {
      t.on('error', () => {});
      readRequestHead(t, (text) => {
        t.write(Buffer.concat([Buffer.from(switchingProtocols(requestKey(text))), closeFrame(1000, 'bye')]));
        t.once('data', () => t.destroy()); // the client's Close: TCP goes, no close_notify first
      });
    });
  await new Promise((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`LISTEN tlsnonotify ${tlsServer.address().port}\n`);
}
process.stdout.write('READY\n');
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
