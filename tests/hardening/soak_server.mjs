// Soak server on raw `net` sockets for soak.c: every connection gets a random behaviour, valid or not.
// Usage: node soak_server.mjs DIR (DIR ignored). Prints "LISTEN soak <port>" and "READY".
//   echo       echoes the client's messages, then closes with 1000 after 50-250 ms
//   closeok    sends 0-3 random valid messages, then Close with a random valid code and reason
//   closebad   Close with an invalid code (0-999, 1004-1006, 1015-2999, 5000+) or a 1-byte payload
//   drop       destroys TCP right after the 101 or after 0-50 ms
//   reset      resets TCP (RST) after 0-50 ms
//   badframe   a random invalid frame (reserved opcode, RSV bits, bad UTF-8, masked, long ping,
//              fragmented control, orphan continuation)
//   badhs      a bad handshake answer (500, wrong accept, no upgrade) or nothing at all then FIN
// Counts are printed on stderr at exit.
import { createServer } from 'node:net';
import { serverFrame as frame, closeFrame, clientFrameReader, readRequestHead, requestKey, switchingProtocols }
  from '../support/ws_frames.mjs';

const rnd = (n) => Math.floor(Math.random() * n);
const pick = (a) => a[rnd(a.length)];
const counts = {};

function randomMessage() {
  return rnd(2) ? frame(0x81, 'soak '.repeat(rnd(40))) : frame(0x82, Buffer.alloc(rnd(300), rnd(256)));
}

// Echoes the client's messages (unmasked), answers its Close.
// Once the socket ended, later frames are read and dropped.
function echoer(socket) {
  return clientFrameReader((op, p) => {
    if (socket.destroyed || socket.writableEnded) return;
    if (op === 8) { socket.end(frame(0x88, p.subarray(0, 2))); return; }
    if (op === 1 || op === 2) socket.write(frame(0x80 | op, p));
  });
}

function behave(socket, ok) {
  // TT_SOAK_HOLD=1: a deliberately broken server that keeps some connections open forever (soak.c must fail).
  const kind = pick(['echo', 'echo', 'closeok', 'closebad', 'drop', 'reset', 'badframe', 'badhs',
    ...(process.env.TT_SOAK_HOLD ? ['hold'] : [])]);
  counts[kind] = (counts[kind] || 0) + 1;
  const later = (ms, f) => setTimeout(() => { if (!socket.destroyed) f(); }, ms);
  switch (kind) {
    case 'echo':
      socket.write(ok);
      socket.on('data', echoer(socket));
      later(50 + rnd(200), () => socket.writableEnded || socket.write(closeFrame(1000, 'soak over')));
      break;
    case 'hold':
      socket.write(ok);
      break;
    case 'closeok': {
      const msgs = [];
      for (let i = rnd(4); i > 0; i--) msgs.push(randomMessage());
      const code = pick([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000 + rnd(2000)]);
      socket.write(Buffer.concat([ok, ...msgs, closeFrame(code, rnd(2) ? 'bye' : '')]));
      socket.on('data', echoer(socket));
      break;
    }
    case 'closebad': {
      const code = pick([rnd(1000), 1004, 1005, 1006, 1015, 1016 + rnd(1984), 5000 + rnd(60000)]);
      socket.write(Buffer.concat([ok, rnd(5) ? closeFrame(code) : frame(0x88, [3])]));
      socket.on('data', echoer(socket));
      break;
    }
    case 'drop':
      socket.write(ok);
      if (rnd(2)) socket.destroy(); else later(rnd(50), () => socket.destroy());
      break;
    case 'reset':
      socket.write(ok);
      later(rnd(50), () => socket.resetAndDestroy());
      break;
    case 'badframe': {
      const bad = pick([frame(0x83, ''), frame(0xC1, 'x'), frame(0x81, [0xc3, 0x28]), frame(0x81 | 0, 'x').fill(0x81, 0, 1),
        Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61]), frame(0x89, 'p'.repeat(126)), frame(0x09, 'p'),
        frame(0x80, 'orphan'), frame(0x01, 'a'), Buffer.concat([frame(0x01, 'a'), frame(0x81, 'b')])]);
      socket.write(Buffer.concat([ok, randomMessage(), bad]));
      socket.on('data', echoer(socket));
      later(500, () => socket.destroy());
      break;
    }
    case 'badhs':
      pick([() => socket.end('HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n'),
        () => socket.end('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                             'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n'),
        () => socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n'),
        () => socket.end()])();
      break;
  }
}

const server = createServer({ allowHalfOpen: true }, (socket) => {
  readRequestHead(socket, (text) => behave(socket, Buffer.from(switchingProtocols(requestKey(text)))));
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTEN soak ${server.address().port}\nREADY\n`);
});
const bye = () => { process.stderr.write(`soak server behaviours: ${JSON.stringify(counts)}\n`); process.exit(0); };
process.stdin.on('end', bye);
process.stdin.resume();
process.on('SIGTERM', bye);
