// Serves the demo page and an echo WebSocket server on one port of 127.0.0.1.
//   node web/demo/serve.mjs [build/web/web/demo] [port]
// Needs the npm `ws` package (tests/node_modules): NODE_PATH=tests/node_modules node web/demo/serve.mjs
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/package.json'));
const { WebSocketServer } = require('ws');

const root = path.resolve(process.argv[2] || path.join(here, '../../build/web/web/demo'));
const port = Number(process.argv[3] || 0);
// .mjs too: a page that imports the ES-module package (ttsocket.mjs) needs a JavaScript MIME type.
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.cjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

const server = http.createServer((req, res) => {
  const rel = decodeURIComponent(new URL(req.url, 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
  const file = path.join(root, rel);
  if (!file.startsWith(root)) { res.writeHead(403); res.end(); return; }
  fs.readFile(file, (err, data) => {
    if (err) { res.writeHead(404); res.end('not found'); return; }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream' });
    res.end(data);
  });
});
const wss = new WebSocketServer({ server, path: '/echo' });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
server.listen(port, '127.0.0.1', () => {
  console.log(`ttsocket demo: http://127.0.0.1:${server.address().port}/  (echo at ws://127.0.0.1:${server.address().port}/echo)`);
});
