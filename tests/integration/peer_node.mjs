// The npm `ws` test peer. Usage: node peer_node.mjs CERT_DIR
//
// Listens on 127.0.0.1 (random free ports) and prints one line "LISTEN <name> <port>" per listener, then
// "READY". Listeners: ws (plain), wss (server cert for 127.0.0.1/localhost from the test CA), and wss
// listeners whose certificate must be refused (see gen-certs.sh): expired, wronghost, unknownca, notyet,
// selfsigned, clientonly, badku, cnonly. When ::1 is usable, "ws6" listens
// there too. The behaviour is chosen by the request path (same paths as peer_python.py):
//
//   /echo              echo every message with its type
//   /echo-deflate      the same, with permessage-deflate accepted (threshold 0: every message compressed)
//   /fragment          echo every message split into 3 fragments
//   /ping              send a ping "tt-ping"; on the matching pong, send the text "pong tt-ping"
//   /close?code=C&reason=R   close right after the handshake (no code: an empty Close frame)
//   /protocol?choose=first|none|bogus   answer the offered subprotocols as told
//   /drop              destroy TCP right after the handshake, without a Close
//   /status404         answer the upgrade with 404
//   /badaccept         answer 101 with a wrong Sec-WebSocket-Accept
//   /hang              accept the upgrade request and never answer
//   /deaf              complete the handshake by hand, then ignore everything (never answers a Close)
//   /echo-close        echo messages; after "close-me" close with 4002 "server says bye"
//   /partial           send the first 3 bytes of a 256-byte binary frame, then close TCP
//   /badutf8           send a text frame holding invalid UTF-8, then echo (expects our Close 1002)
//   /badframe          send a frame with the reserved opcode 0x3
//   /big?n=N           send one text message of N bytes
//   /lastclose         send the close code the last /badutf8 client sent, as text
//   /headers           send one text message: every request header whose name starts with "x-" (any
//                      case), as received (name case, order and value kept): "Name: value | Name: value"
//   /unrequested-protocol  a hand-made 101 that names the subprotocol "chat" whatever the client offered
//                      (the ws server cannot send one the client did not offer)
//   /count             ping "p"; on the pong send "ready"; count every message that follows; on the text
//                      "count?" answer "rx=R tx=T messages=M bytes=B": the bytes this socket read and wrote
//                      so far (HTTP upgrade included) and the messages and payload bytes it received
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { WebSocketServer } from 'ws';

const certDir = process.argv[2];
const held = new Set(); // sockets kept open on purpose (/hang, /deaf)
let lastClose = 'none'; // the close code the last /badutf8 client sent (1006 when it sent none)
let lastCloseWaiters = []; // /lastclose connections that arrived before that close was seen

function handleProtocols(protocols, request) {
  const url = new URL(request.url, 'http://x');
  const choose = url.searchParams.get('choose') || 'first';
  if (choose === 'none') return false;
  if (choose === 'bogus') return 'bogus';
  const first = protocols.values().next();
  return first.done ? false : first.value;
}

const wss = new WebSocketServer({ noServer: true, handleProtocols, maxPayload: 64 * 1024 * 1024 });
// /echo-deflate: the same echo with permessage-deflate accepted (every message compressed).
const wssDeflate = new WebSocketServer({ noServer: true, perMessageDeflate: { threshold: 0 } });

function fragmentSend(ws, data, isBinary) {
  const n = data.length;
  const cuts = [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n];
  for (let i = 0; i < 3; i++) {
    ws.send(data.subarray(cuts[i], cuts[i + 1]), { binary: isBinary, fin: i === 2 });
  }
}

wss.on('connection', (ws, request) => {
  const url = new URL(request.url, 'http://x');
  ws.on('error', () => {});
  switch (url.pathname) {
    case '/echo':
    case '/protocol':
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      break;
    case '/echo-close':
      ws.on('message', (data, isBinary) => {
        if (!isBinary && data.toString() === 'close-me') ws.close(4002, 'server says bye');
        else ws.send(data, { binary: isBinary });
      });
      break;
    case '/fragment':
      ws.on('message', (data, isBinary) => fragmentSend(ws, data, isBinary));
      break;
    case '/ping':
      ws.on('pong', (data) => {
        if (data.toString() === 'tt-ping') ws.send('pong ' + data.toString());
      });
      ws.ping('tt-ping');
      break;
    case '/close': {
      const code = url.searchParams.get('code');
      if (code === null) ws.close();
      else ws.close(Number(code), url.searchParams.get('reason') || '');
      break;
    }
    case '/drop':
      ws._socket.destroy();
      break;
    case '/partial':
      ws._socket.end(Buffer.from([0x82, 0x7e, 0x01, 0x00, 1, 2, 3]));
      break;
    case '/badutf8':
      // The client's answer (Chromium: Close 1002) is reported to the next /lastclose connection.
      lastClose = 'none';
      ws.on('close', (code) => {
        lastClose = String(code);
        for (const w of lastCloseWaiters.splice(0)) w();
      });
      ws._socket.write(Buffer.from([0x81, 0x02, 0xc3, 0x28]));
      break;
    case '/badframe':
      ws._socket.write(Buffer.from([0x83, 0x00]));
      break;
    case '/lastclose': {
      // The previous client's close may still be on its way through the server: wait for it (bounded).
      if (lastClose !== 'none') { ws.send(lastClose); break; }
      const timer = setTimeout(() => ws.send(lastClose), 3000);
      lastCloseWaiters.push(() => { clearTimeout(timer); ws.send(lastClose); });
      break;
    }
    case '/count': {
      let messages = 0;
      let bytes = 0;
      ws.on('pong', () => ws.send('ready'));
      ws.on('message', (data) => {
        messages++;
        bytes += data.length;
        if (data.toString() === 'count?') {
          const s = ws._socket;
          ws.send(`rx=${s.bytesRead} tx=${s.bytesWritten} messages=${messages} bytes=${bytes}`);
        }
      });
      ws.ping('p');
      break;
    }
    case '/big':
      ws.send('x'.repeat(Number(url.searchParams.get('n'))));
      break;
    case '/sni':
      // What the client sent: the TLS server name (none for an IP address) and the Host header.
      ws.send(`sni=${ws._socket.servername || ''} host=${request.headers.host}`);
      break;
    case '/headers': {
      const lines = [];
      for (let i = 0; i < request.rawHeaders.length; i += 2) {
        if (/^x-/i.test(request.rawHeaders[i])) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      }
      ws.send(lines.join(' | '));
      break;
    }
    default:
      ws.close(1011, 'unknown path');
  }
});

function onUpgrade(request, socket, head) {
  socket.on('error', () => {});
  const url = new URL(request.url, 'http://x');
  switch (url.pathname) {
    case '/status404':
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    case '/hang':
      held.add(socket);
      socket.on('close', () => held.delete(socket));
      return;
    case '/unrequested-protocol':
    case '/badaccept':
    case '/deaf': {
      let accept = createHash('sha1')
        .update(request.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
        .digest('base64');
      if (url.pathname === '/badaccept') accept = 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=';
      const protocol = url.pathname === '/unrequested-protocol' ? 'Sec-WebSocket-Protocol: chat\r\n' : '';
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
                   'Sec-WebSocket-Accept: ' + accept + '\r\n' + protocol + '\r\n');
      held.add(socket);
      socket.on('data', () => {});
      socket.on('close', () => held.delete(socket));
      return;
    }
    case '/echo-deflate':
      wssDeflate.handleUpgrade(request, socket, head, (ws) => {
        ws.on('error', () => {});
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      });
      return;
    default:
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  }
}

function listen(server, name, host) {
  return new Promise((resolve, reject) => {
    server.on('upgrade', onUpgrade);
    server.on('tlsClientError', () => {});
    server.once('error', reject);
    server.listen(0, host, () => {
      process.stdout.write(`LISTEN ${name} ${server.address().port}\n`);
      resolve();
    });
  });
}

function tls(name) {
  return { key: readFileSync(`${certDir}/${name}.key`), cert: readFileSync(`${certDir}/${name}.pem`) };
}

const servers = [
  [createHttpServer(), 'ws', '127.0.0.1'],
  [createHttpsServer(tls('server')), 'wss', '127.0.0.1'],
  [createHttpsServer(tls('expired')), 'expired', '127.0.0.1'],
  [createHttpsServer(tls('wronghost')), 'wronghost', '127.0.0.1'],
  [createHttpsServer(tls('unknownca')), 'unknownca', '127.0.0.1'],
  [createHttpsServer(tls('notyet')), 'notyet', '127.0.0.1'],
  [createHttpsServer(tls('selfsigned')), 'selfsigned', '127.0.0.1'],
  [createHttpsServer(tls('clientonly')), 'clientonly', '127.0.0.1'],
  [createHttpsServer(tls('badku')), 'badku', '127.0.0.1'],
  [createHttpsServer(tls('cnonly')), 'cnonly', '127.0.0.1'],
];
for (const [server, name, host] of servers) await listen(server, name, host);
try {
  await listen(createHttpServer(), 'ws6', '::1');
} catch {
  // no IPv6 loopback here; the driver skips the IPv6 test
}
process.stdout.write('READY\n');

// Exit when the wrapper closes our stdin or sends SIGTERM.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
