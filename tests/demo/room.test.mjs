// web/demo/room.mjs, the demo game's room server, driven by npm ws clients: positions are answered with the
// room's state, rooms are separate, and every kind of bad input gets its own Close code and reason.
//   node --test tests/demo/room.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { attachRooms, SUBPROTOCOL, MSG, CLOSE, POS_SIZE, MAX_MESSAGE, FIELD_W, FIELD_H } from '../../web/demo/room.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const WebSocket = createRequire(path.join(ROOT, 'tests/package.json'))('ws');

// A server that fails to answer or to close makes a test fail, not hang.
const T = { timeout: 5000 };
let server, rooms, base;
before(async () => {
  server = http.createServer();
  rooms = attachRooms(server);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `ws://127.0.0.1:${server.address().port}`;
});
after(() => { rooms.close(); server.close(); });

function pos(x, y, seq, kind = 0) {
  const b = Buffer.alloc(POS_SIZE);
  b[0] = MSG.POS;
  b[1] = kind;
  b.writeUInt16LE(x, 2);
  b.writeUInt16LE(y, 4);
  b.writeUInt32LE(seq, 6);
  return b;
}

// A client that collects its messages and its close; join() resolves after WELCOME.
function connect(room, protocols = [SUBPROTOCOL]) {
  const ws = new WebSocket(`${base}/room/${room}`, protocols);
  const c = { ws, messages: [], waiters: [] };
  c.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  ws.on('message', (data) => {
    c.messages.push(data);
    for (const w of c.waiters.splice(0)) w();
  });
  ws.on('error', () => {});
  c.next = async () => {
    while (!c.messages.length) await new Promise((r) => c.waiters.push(r));
    return c.messages.shift();
  };
  return c;
}

async function join(room) {
  const c = connect(room);
  const w = await c.next();
  assert.equal(w.length, 10);
  assert.equal(w[0], MSG.WELCOME);
  assert.equal(w.readUInt16LE(2), FIELD_W);
  assert.equal(w.readUInt16LE(4), FIELD_H);
  c.id = w.readUInt32LE(6);
  assert.ok(c.id > 0);
  return c;
}

function readState(b) {
  assert.equal(b[0], MSG.STATE);
  const count = b.readUInt16LE(2);
  assert.equal(b.length, 12 + count * 10);
  const players = [];
  for (let i = 0; i < count; i++) {
    const o = 12 + i * 10;
    players.push({ id: b.readUInt32LE(o), x: b.readUInt16LE(o + 4), y: b.readUInt16LE(o + 6), kind: b[o + 8] });
  }
  return { seq: b.readUInt32LE(4), roomPlayers: b.readUInt32LE(8), players };
}

test('a position is answered with the room state, its seq echoed; rooms are separate', T, async () => {
  const a = await join('alpha'), b = await join('alpha'), other = await join('beta');
  a.ws.send(pos(10, 20, 7));
  let s = readState(await a.next());
  assert.equal(s.seq, 7);
  assert.deepEqual(s.players, [{ id: a.id, x: 10, y: 20, kind: 0 }]);
  b.ws.send(pos(639, 399, 1, 1));
  s = readState(await b.next());
  assert.equal(s.roomPlayers, 2);
  assert.deepEqual(s.players.map((p) => p.id), [a.id, b.id]);
  assert.deepEqual(s.players[1], { id: b.id, x: 639, y: 399, kind: 1 });
  other.ws.send(pos(1, 1, 99));
  s = readState(await other.next());
  assert.deepEqual(s.players.map((p) => p.id), [other.id]);
  // A player who leaves is gone from the next state.
  b.ws.close(1000);
  await b.closed;
  a.ws.send(pos(11, 21, 8));
  s = readState(await a.next());
  assert.equal(s.roomPlayers, 1);
  for (const c of [a, other]) c.ws.close();
});

const REFUSALS = [
  ['no subprotocol', 'r1', [], null, CLOSE.SUBPROTOCOL, /tt-room\.v1 required \(offered: none\)/],
  ['another subprotocol', 'r1', ['chat'], null, CLOSE.SUBPROTOCOL, /offered: chat/],
  ['an empty room name', '', [SUBPROTOCOL], null, CLOSE.BAD_ROOM, /room name/],
  ['a room name with a space', 'a%20b', [SUBPROTOCOL], null, CLOSE.BAD_ROOM, /room name/],
  ['a 33-character room name', 'x'.repeat(33), [SUBPROTOCOL], null, CLOSE.BAD_ROOM, /room name/],
  ['a text message', 'r2', [SUBPROTOCOL], 'hello', CLOSE.UNSUPPORTED_DATA, /binary/],
  ['65 bytes', 'r2', [SUBPROTOCOL], Buffer.alloc(MAX_MESSAGE + 1, 1), CLOSE.TOO_BIG, /over 64 bytes/],
  ['100 KB (refused by ws before it is buffered)', 'r2', [SUBPROTOCOL], Buffer.alloc(100000), CLOSE.TOO_BIG, /^$/],
  ['64 bytes (not too big, but not a position)', 'r2', [SUBPROTOCOL], Buffer.alloc(MAX_MESSAGE, 1), CLOSE.MALFORMED, /64 bytes/],
  ['a position one byte short', 'r2', [SUBPROTOCOL], pos(1, 1, 1).subarray(0, POS_SIZE - 1), CLOSE.MALFORMED, /9 bytes/],
  ['an unknown message type', 'r2', [SUBPROTOCOL], Buffer.from([9, 0, 1, 0, 1, 0, 1, 0, 0, 0]), CLOSE.MALFORMED, /malformed/],
  ['an unknown kind', 'r2', [SUBPROTOCOL], pos(1, 1, 1, 3), CLOSE.MALFORMED, /malformed/],
  ['x outside the field', 'r2', [SUBPROTOCOL], pos(FIELD_W, 1, 1), CLOSE.MALFORMED, /malformed/],
  ['y outside the field', 'r2', [SUBPROTOCOL], pos(1, FIELD_H, 1), CLOSE.MALFORMED, /malformed/],
];

for (const [what, room, protocols, send, code, reason] of REFUSALS) {
  test(`refused with ${code}: ${what}`, T, async () => {
    const c = connect(room, protocols);
    if (send !== null) {
      await c.next(); // WELCOME: the player is in
      c.ws.send(send);
    }
    const closed = await c.closed;
    assert.equal(closed.code, code);
    assert.match(closed.reason, reason);
  });
}

test('the counters name every refusal by its code', T, async () => {
  const s = rooms.stats();
  assert.equal(s.rejected[CLOSE.SUBPROTOCOL], 2);
  assert.equal(s.rejected[CLOSE.BAD_ROOM], 3);
  assert.equal(s.rejected[CLOSE.UNSUPPORTED_DATA], 1);
  assert.equal(s.rejected[CLOSE.TOO_BIG], 1); // the 100 KB one is ws's own, not counted as the server's
  assert.equal(s.rejected[CLOSE.MALFORMED], 6);
});
