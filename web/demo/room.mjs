// The demo game's room server, on npm `ws`: players join /room/NAME with the subprotocol tt-room.v1 and
// send their position as small binary messages; every position is answered with the room's state (its seq
// echoed, so clients can time the round trip, and the positions of up to MAX_VIEW players). The layout is
// the one in web/demo/game.h; keep the two in step.
//
// Bad input is refused with a Close code and a reason the clients show: a wrong or missing subprotocol
// (4001), a bad room name (4000), a text message (1003), a message over MAX_MESSAGE bytes (1009; ws itself
// refuses anything over WS_MAX_PAYLOAD before buffering it, with 1009 and no reason) and a binary message that is not a valid position (4002). To deliver a Close code the handshake
// has to succeed first: a client that offered other subprotocols gets the first of them chosen (a browser
// fails a connection whose server picks none), and is then closed with 4001 saying what this server speaks.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/package.json'));
const { WebSocketServer } = require('ws');

export const SUBPROTOCOL = 'tt-room.v1';
export const FIELD_W = 640;
export const FIELD_H = 400;
export const MAX_VIEW = 64;
export const MAX_MESSAGE = 64;
const WS_MAX_PAYLOAD = 64 * 1024;
export const MSG = { POS: 1, WELCOME: 2, STATE: 3 };
export const KINDS = ['bot', 'web', 'container'];
export const POS_SIZE = 10;
const WELCOME_SIZE = 10;
const STATE_HEADER = 12;
const STATE_ENTRY = 10;
export const CLOSE = { UNSUPPORTED_DATA: 1003, TOO_BIG: 1009, BAD_ROOM: 4000, SUBPROTOCOL: 4001, MALFORMED: 4002 };
const ROOM_NAME = /^[A-Za-z0-9_-]{1,32}$/;

// Accepts WebSocket upgrades for /room/NAME on an http server. Returns { stats(), close() }.
export function attachRooms(httpServer) {
  const rooms = new Map(); // name -> Map(id -> player)
  const counts = { msgsIn: 0, msgsOut: 0, joined: 0, rejected: {} };
  let nextId = 1;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_PAYLOAD,
    perMessageDeflate: false,
    // Choose ours when offered; else the first offered, only so that the Close below can reach the client.
    handleProtocols: (offered) => (offered.has(SUBPROTOCOL) ? SUBPROTOCOL : offered.values().next().value ?? false),
  });

  function reject(ws, code, reason) {
    counts.rejected[code] = (counts.rejected[code] || 0) + 1;
    ws.close(code, reason);
  }

  function stateFor(room, seq) {
    const n = Math.min(room.size, MAX_VIEW);
    const buf = Buffer.alloc(STATE_HEADER + n * STATE_ENTRY);
    buf[0] = MSG.STATE;
    buf.writeUInt16LE(n, 2);
    buf.writeUInt32LE(seq, 4);
    buf.writeUInt32LE(room.size, 8);
    let off = STATE_HEADER;
    for (const p of room.values()) {
      if (off >= buf.length) break;
      buf.writeUInt32LE(p.id, off);
      buf.writeUInt16LE(p.x, off + 4);
      buf.writeUInt16LE(p.y, off + 6);
      buf[off + 8] = p.kind;
      off += STATE_ENTRY;
    }
    return buf;
  }

  // A valid position: exactly POS_SIZE bytes, type POS, a known kind, inside the field.
  function parsePosition(data) {
    if (data.length !== POS_SIZE || data[0] !== MSG.POS || data[1] >= KINDS.length) return null;
    const x = data.readUInt16LE(2), y = data.readUInt16LE(4);
    if (x >= FIELD_W || y >= FIELD_H) return null;
    return { kind: data[1], x, y, seq: data.readUInt32LE(6) };
  }

  function join(ws, name) {
    if (!rooms.has(name)) rooms.set(name, new Map());
    const room = rooms.get(name);
    const player = { id: nextId++, x: FIELD_W >> 1, y: FIELD_H >> 1, kind: 0, moved: false };
    counts.joined++;
    const welcome = Buffer.alloc(WELCOME_SIZE);
    welcome[0] = MSG.WELCOME;
    welcome.writeUInt16LE(FIELD_W, 2);
    welcome.writeUInt16LE(FIELD_H, 4);
    welcome.writeUInt32LE(player.id, 6);
    ws.send(welcome);
    counts.msgsOut++;
    ws.on('message', (data, isBinary) => {
      counts.msgsIn++;
      if (data.length > MAX_MESSAGE) return reject(ws, CLOSE.TOO_BIG, `message over ${MAX_MESSAGE} bytes`);
      if (!isBinary) return reject(ws, CLOSE.UNSUPPORTED_DATA, 'positions are binary messages');
      const pos = parsePosition(data);
      if (!pos) return reject(ws, CLOSE.MALFORMED, `malformed position message (${data.length} bytes)`);
      Object.assign(player, { x: pos.x, y: pos.y, kind: pos.kind });
      // A player is shown once it has said where it is.
      if (!player.moved) { player.moved = true; room.set(player.id, player); }
      ws.send(stateFor(room, pos.seq));
      counts.msgsOut++;
    });
    ws.on('close', () => {
      room.delete(player.id);
      if (room.size === 0) rooms.delete(name);
    });
  }

  wss.on('connection', (ws, req) => {
    ws.on('error', () => {}); // ws closes with 1009 itself; nothing more to do
    const m = /^\/room\/([^/?]*)/.exec(req.url);
    const name = m ? decodeURIComponent(m[1]) : '';
    if (ws.protocol !== SUBPROTOCOL) {
      return reject(ws, CLOSE.SUBPROTOCOL, `subprotocol ${SUBPROTOCOL} required (offered: ${ws.protocol || 'none'})`);
    }
    if (!ROOM_NAME.test(name)) return reject(ws, CLOSE.BAD_ROOM, 'room name: 1-32 of A-Z a-z 0-9 _ -');
    join(ws, name);
  });

  httpServer.on('upgrade', (req, socket, head) => {
    if (!req.url.startsWith('/room/')) return; // someone else's (e.g. /echo)
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  return {
    stats() {
      const out = { ...counts, rejected: { ...counts.rejected }, rooms: {} };
      for (const [name, room] of rooms) {
        const kinds = Object.fromEntries(KINDS.map((k) => [k, 0]));
        for (const p of room.values()) kinds[KINDS[p.kind]]++;
        out.rooms[name] = { players: room.size, kinds };
      }
      out.connections = wss.clients.size;
      return out;
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    },
  };
}
