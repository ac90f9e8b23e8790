// The demo's one server on 127.0.0.1: the page (static files of the web build), the game's rooms at
// ws://HOST/room/NAME (web/demo/room.mjs), an echo WebSocket at /echo (for the trace client, client.c),
// and the room server's counters as JSON at /stats.
//   node web/demo/serve.mjs [build/web/web/demo] [port]
// Needs the npm `ws` package (tests/node_modules, installed by tests/deps.sh). Port 0 (the default) picks a
// free one; the first line printed names it. Ends on SIGTERM/SIGINT or when stdin closes, if stdin is a pipe.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { attachRooms } from './room.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/package.json'));
const { WebSocketServer } = require('ws');

const root = path.resolve(process.argv[2] || path.join(here, '../../build/web/web/demo'));
const port = Number(process.argv[3] || 0);
// .mjs too: a page that imports the ES-module package (ttsocket.mjs) needs a JavaScript MIME type.
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.cjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json',
  '.png': 'image/png' };

let rooms;
const server = http.createServer((req, res) => {
  const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
  if (rel === 'stats') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(rooms.stats()));
    return;
  }
  const file = path.join(root, rel);
  if (!file.startsWith(root + path.sep)) { res.writeHead(403); res.end(); return; }
  fs.readFile(file, (err, data) => {
    if (err) { res.writeHead(404); res.end('not found'); return; }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
    res.end(data);
  });
});
// A room server on 10,000 connections must not wait for Nagle on each small answer.
server.on('connection', (socket) => socket.setNoDelay(true));
server.maxConnections = Infinity;

rooms = attachRooms(server);
const echo = new WebSocketServer({ noServer: true });
echo.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
server.on('upgrade', (req, socket, head) => {
  if (req.url.startsWith('/room/')) return; // the rooms take these
  if (new URL(req.url, 'http://x').pathname !== '/echo') {
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    return;
  }
  echo.handleUpgrade(req, socket, head, (ws) => echo.emit('connection', ws, req));
});

function stop() {
  rooms.close();
  for (const ws of echo.clients) ws.terminate();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
const stdin = fs.fstatSync(0);
if (stdin.isFIFO() || stdin.isSocket()) process.stdin.on('end', stop).resume();

server.listen(port, '127.0.0.1', 511 * 8, () => {
  const p = server.address().port;
  console.log(`ttsocket demo: http://127.0.0.1:${p}/  (rooms at ws://127.0.0.1:${p}/room/NAME, echo at ws://127.0.0.1:${p}/echo)`);
});
