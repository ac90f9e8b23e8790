// The test peer for the web build: one HTTP server on 127.0.0.1 (random port) that serves static files
// and answers WebSocket upgrades with the npm `ws` server. The path picks the behaviour:
//
//   /echo                     echo every message with its type
//   /close?code=C&reason=R    close at once with C and R (no code: an empty Close frame, seen as 1005)
//   /drop                     destroy the TCP connection right after the handshake (1006)
//   /proto?choose=P           answer with subprotocol P whether offered or not; no choose: no header
//   /badutf8                  send a text frame that is not UTF-8
//   /big?n=N                  send one binary message of N zero bytes, then echo
//   /silent                   accept TCP, never answer the handshake
//   /reject                   answer the upgrade with 404
//   /target                   send the request target and Host header it saw, then close 1000 "bye"
//
// Every connection whose URL carries ?tag=T records what the peer saw (close code and reason from the
// client) in peer.log[T]. With isolated: true every static file is served with the cross-origin isolation
// headers (COOP same-origin, COEP require-corp) that a page needs for SharedArrayBuffer, i.e. for a
// -pthread build.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { WebSocketServer } from 'ws';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.cjs': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json',
};

const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export async function startPeer({ staticRoots = {}, isolated = false } = {}) {
  const log = {};
  const held = new Set();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols(protocols, req) {
      const u = new URL(req.url, 'http://x');
      const choose = u.searchParams.get('choose');
      return choose ? choose : false;
    },
  });

  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    for (const [prefix, dir] of Object.entries(staticRoots)) {
      if (!u.pathname.startsWith(prefix)) continue;
      const rel = decodeURIComponent(u.pathname.slice(prefix.length)) || 'index.html';
      const file = path.join(dir, rel);
      if (!file.startsWith(dir)) break;
      fs.readFile(file, (err, data) => {
        if (err) { res.writeHead(404); res.end('not found'); return; }
        res.writeHead(200, { 'Content-Type': MIME[path.extname(file)] || 'application/octet-stream',
          'Cache-Control': 'no-store', ...(isolated ? ISOLATION_HEADERS : {}) });
        res.end(data);
      });
      return;
    }
    res.writeHead(404);
    res.end('not found');
  });

  server.on('upgrade', (req, socket, head) => {
    const u = new URL(req.url, 'http://x');
    // The request header a container backend passes on (tests/web/driver.c client_close sets it).
    if (u.searchParams.get('tag') && req.headers['x-game']) log[`${u.searchParams.get('tag')}:x-game`] = req.headers['x-game'];
    if (u.pathname === '/silent') {
      held.add(socket);
      socket.on('close', () => held.delete(socket));
      socket.on('error', () => {});
      return;
    }
    if (u.pathname === '/reject') {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, u, req));
  });

  function onConnection(ws, u, req) {
    const tag = u.searchParams.get('tag');
    ws.on('error', () => {});
    ws.on('close', (code, reason) => {
      if (tag) log[tag] = { code, reason: reason.toString('utf8') };
    });
    switch (u.pathname) {
      case '/echo':
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
        break;
      case '/close': {
        const code = u.searchParams.get('code');
        if (code) ws.close(Number(code), u.searchParams.get('reason') || '');
        else ws.close();
        break;
      }
      case '/drop':
        setTimeout(() => ws.terminate(), 20);
        break;
      case '/proto':
        setTimeout(() => ws.close(1000, 'bye'), 20);
        break;
      case '/big':
        ws.send(Buffer.alloc(Number(u.searchParams.get('n'))), { binary: true });
        ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
        break;
      case '/badutf8':
        ws.send(Buffer.from([0x61, 0xff, 0xfe]), { binary: false });
        break;
      case '/target':
        ws.send(`${req.url} host=${req.headers.host}`);
        setTimeout(() => ws.close(1000, 'bye'), 20);
        break;
      default:
        ws.close(4404, 'unknown path');
    }
  }

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    httpUrl: `http://127.0.0.1:${port}`,
    log,
    async close() {
      for (const s of held) s.destroy();
      for (const c of wss.clients) c.terminate();
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections?.();
    },
  };
}

// A port on 127.0.0.1 where nothing listens (connections are refused).
export async function refusedPort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = s.address().port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}
