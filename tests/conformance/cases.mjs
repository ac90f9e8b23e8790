// The conformance cases: the 301 core cases of Autobahn|Testsuite's fuzzing server (categories 1-7, 9 and
// 10), written from its published case descriptions. Every case is one entry:
//
//   { id: '6.4.1', desc, expectation, run(c), onMessage?(c, payload, binary), finish?(c, verdict) }
//
// run(c) drives one connection through the server API (server.mjs, class CaseConnection):
//   c.expect({ OK: [events], 'NON-STRICT': [events] })     the event lists that count as OK / NON-STRICT
//   c.expectClose({ byMe, codes, clean })                   who must start the closing handshake (byMe: the
//                                                           server), the acceptable client close codes, and
//                                                           whether the TCP teardown must follow a handshake
//   c.frame(opcode, payload, { fin, rsv, len, chop, sync }) one raw frame (len: repeat payload to len bytes;
//                                                           chop: write it in pieces of that many octets)
//   c.message(payload, { binary, frag, chop })              a message, in fragments of `frag` octets
//   c.close(code, reason) / c.closeRaw(bytes)               a Close frame (starts the closing handshake)
//   c.later(ms, tag, fn)                                    after ms, if the connection is still OPEN: record
//                                                           the event ['timeout', tag] and call fn
//   c.killAfter(ms) / c.closeAfter(ms)                      drop TCP / send Close 1000 after ms
// Events are ['message', bytes, binary], ['pong', bytes], ['ping', bytes], ['timeout', tag].
//
// Waits that every run sits through (c.later, c.closeAfter) are multiplied by TIME_SCALE (0.5: a 1 s wait of
// the original case is 500 ms here; every client answers a local server within a few ms). c.killAfter keeps
// Autobahn's value with a floor of 2 s (server.mjs): it is only the safety net of a case that went wrong,
// and a loaded 2-core machine must not turn a slow but correct client into an UNCLEAN one. Category 9 keeps
// Autobahn's payload sizes (up to 16 MiB) and message counts; only its case time limits are shorter.
import { isUtf8 } from 'node:buffer';

export const TIME_SCALE = 0.5;
// Autobahn's 9.7/9.8 round trips per case.
export const ROUND_TRIPS = 1000;
const T = (ms) => Math.round(ms * TIME_SCALE);

const NORMAL = 1000;
const PROTOCOL_ERROR = 1002;
const INVALID_PAYLOAD = 1007;

const B = (x) => (Buffer.isBuffer(x) ? x : typeof x === 'string' ? Buffer.from(x, 'utf8') : Buffer.from(x));
const hex = (h) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const repeat = (pattern, n) => Buffer.alloc(n, B(pattern));

export const msg = (payload, binary = false) => ['message', B(payload), binary];
export const pong = (payload = '') => ['pong', B(payload)];
export const timeout = (tag) => ['timeout', tag];

// The client must echo what it got and close cleanly once the server starts the closing handshake.
const echoClose = { byMe: true, codes: [NORMAL], clean: true };
// The client must fail the connection: Close with one of `codes`, or drop TCP.
const failClose = (codes = [PROTOCOL_ERROR]) => ({ byMe: false, codes, clean: false });

const cases = [];
const add = (id, desc, expectation, run, extra = {}) => cases.push({ id, desc, expectation, run, ...extra });

// ---- 1 Framing ----------------------------------------------------------------------------------------
{
  const sizes = [0, 125, 126, 127, 128, 65535, 65536];
  for (const [sub, binary] of [[1, false], [2, true]]) {
    const kind = binary ? 'binary' : 'text';
    const fill = binary ? Buffer.from([0xfe]) : '*';
    sizes.forEach((n, i) => add(`1.${sub}.${i + 1}`, `Send ${kind} message with payload ${n}.`,
      `Receive echo'ed ${kind} message (with empty payload). Clean close with normal code.`, (c) => {
        const p = repeat(fill, n);
        c.expect({ OK: [msg(p, binary)] });
        c.expectClose(echoClose);
        c.frame(binary ? 2 : 1, p);
        c.killAfter(1000);
      }));
    add(`1.${sub}.8`, `Send ${kind} message with payload of length 65536. Sent out data in chops of 997 octets.`,
      `Receive echo'ed ${kind} message (with payload as sent). Clean close with normal code.`, (c) => {
        const p = repeat(fill, 65536);
        c.expect({ OK: [msg(p, binary)] });
        c.expectClose(echoClose);
        c.frame(binary ? 2 : 1, p, { chop: 997 });
        c.killAfter(10000);
      });
  }
}

// ---- 2 Pings/Pongs ------------------------------------------------------------------------------------
{
  const pingCase = (id, desc, payload, opts = {}) => add(id, desc,
    'Pong (with payload as sent). Clean close with normal code.', (c) => {
      c.expect({ OK: [pong(payload)] });
      c.expectClose(echoClose);
      c.frame(9, B(payload), opts);
      c.killAfter(1000);
    });
  pingCase('2.1', 'Send ping without payload.', '');
  pingCase('2.2', 'Send ping with small text payload.', 'Hello, world!');
  pingCase('2.3', 'Send ping with small binary (non UTF-8) payload.', hex('00ff fefd fcfb 00ff'));
  pingCase('2.4', 'Send ping with binary payload of 125 octets.', repeat([0xfe], 125));
  add('2.5', 'Send ping with binary payload of 126 octets.',
    'Connection is failed immediately (1002/Protocol Error), since control frames are only allowed to have payload up to and including 125 octets.',
    (c) => {
      c.expect({ OK: [] });
      c.expectClose(failClose());
      c.frame(9, repeat([0xfe], 126));
      c.killAfter(1000);
    });
  pingCase('2.6', 'Send ping with binary payload of 125 octets, send in octet-wise chops.', repeat([0xfe], 125),
    { chop: 1 });
  const unsolicited = (id, desc, payload) => add(id, desc, 'Nothing. Clean close with normal code.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.frame(10, B(payload));
    c.closeAfter(T(1000));
  });
  unsolicited('2.7', 'Send unsolicited pong without payload. Verify nothing is received. Clean close with normal code.', '');
  unsolicited('2.8', 'Send unsolicited pong with payload. Verify nothing is received. Clean close with normal code.',
    'unsolicited pong payload');
  add('2.9', 'Send unsolicited pong with payload. Send ping with payload. Verify pong for ping is received.',
    'Nothing in reply to own Pong, but Pong with payload echo\'ed in reply to Ping. Clean close with normal code.',
    (c) => {
      c.expect({ OK: [pong('ping payload')] });
      c.expectClose(echoClose);
      c.frame(10, B('unsolicited pong payload'));
      c.frame(9, B('ping payload'));
      c.closeAfter(T(1000));
    });
  for (const [id, chop] of [['2.10', 0], ['2.11', 1]]) {
    add(id, chop ? 'Send 10 Pings with payload. Send out octets in octet-wise chops.' : 'Send 10 Pings with payload.',
      'Pongs for our Pings with all the payloads (not required by the spec, checked anyway). Clean close with normal code.',
      (c) => {
        const ok = [];
        for (let i = 0; i < 10; i++) {
          ok.push(pong(`payload-${i}`));
          c.frame(9, B(`payload-${i}`), { chop });
        }
        c.expect({ OK: ok });
        c.expectClose(echoClose);
        c.closeAfter(T(3000));
      });
  }
}

// ---- 3 Reserved bits ----------------------------------------------------------------------------------
{
  const failExpectation = 'The connection is failed immediately, since RSV must be 0.';
  add('3.1', 'Send small text message with RSV = 1.', failExpectation, (c) => {
    c.expect({ OK: [] });
    c.expectClose(failClose());
    c.frame(1, B('Hello, world!'), { rsv: 1 });
    c.killAfter(1000);
  });
  const rsvAfterText = (id, rsv, how, opts) => add(id,
    `Send small text message, then send again with RSV = ${rsv}, then send Ping.${how}`,
    'Echo for first message is received, but then connection is failed immediately, since RSV must be 0. The Pong is not received.',
    (c) => {
      const p = B('Hello, world!');
      c.expect({ OK: [msg(p)], 'NON-STRICT': [] });
      c.expectClose(failClose());
      c.frame(1, p, opts);
      c.frame(1, p, { ...opts, rsv });
      c.frame(9, p, opts);
      c.killAfter(1000);
    });
  rsvAfterText('3.2', 2, '', {});
  rsvAfterText('3.3', 3, ' Octets are sent in frame-wise chops.', { sync: true });
  rsvAfterText('3.4', 4, ' Octets are sent in octet-wise chops.', { chop: 1 });
  const rsvOnly = (id, desc, opcode, payload, rsv) => add(id, desc, failExpectation, (c) => {
    c.expect({ OK: [] });
    c.expectClose(failClose());
    c.frame(opcode, payload, { rsv });
    c.killAfter(1000);
  });
  rsvOnly('3.5', 'Send small binary message with RSV = 5.', 2, hex('00ff fefd fcfb 00ff'), 5);
  rsvOnly('3.6', 'Send Ping with RSV = 6.', 9, B('Hello, world!'), 6);
  rsvOnly('3.7', 'Send Close with RSV = 7.', 8, hex('03e8'), 7);
}

// ---- 4 Opcodes ----------------------------------------------------------------------------------------
{
  const reserved = (id, opcode, kind) => {
    const payload = id.endsWith('.1') ? Buffer.alloc(0) : B('reserved opcode payload');
    const withText = !/\.[12]$/.test(id);
    const what = `frame with reserved ${kind} Opcode = ${opcode}${payload.length ? ' and non-empty payload' : ''}`;
    add(id, withText ? `Send small text message, then send ${what}, then send Ping.` : `Send ${what}.`,
      withText ? 'Echo for first message is received, but then connection is failed immediately, since reserved opcode frame is used. A Pong is not received.'
        : 'The connection is failed immediately.',
      (c) => {
        const p = B('Hello, world!');
        c.expect(withText ? { OK: [msg(p)], 'NON-STRICT': [] } : { OK: [] });
        c.expectClose(failClose());
        if (withText) c.frame(1, p);
        c.frame(opcode, payload);
        if (withText) c.frame(9, p);
        c.killAfter(1000);
      });
  };
  [3, 4, 5, 6, 7].forEach((op, i) => reserved(`4.1.${i + 1}`, op, 'non-control'));
  [11, 12, 13, 14, 15].forEach((op, i) => reserved(`4.2.${i + 1}`, op, 'control'));
}

// ---- 5 Fragmentation ----------------------------------------------------------------------------------
{
  const CHOPS = [['', {}], [' Octets are sent in octet-wise chops.', { chop: 1 }],
    [' Octets are sent in frame-wise chops.', { sync: true }]];
  const fragmentedControl = (id, opcode, name) => add(id, `Send ${name} in 2 fragments.`,
    'Connection is failed immediately, since control message MUST NOT be fragmented.', (c) => {
      c.expect({ OK: [] });
      c.expectClose(failClose());
      c.frame(opcode, B('fragment1'), { fin: 0 });
      c.frame(0, B('fragment2'));
      c.killAfter(1000);
    });
  fragmentedControl('5.1', 9, 'Ping');
  fragmentedControl('5.2', 10, 'Pong');
  CHOPS.forEach(([how, o], i) => add(`5.${3 + i}`, `Send text Message fragmented into 2 fragments.${how}`,
    'Message is processed and echo\'ed back to us.', (c) => {
      c.expect({ OK: [msg('fragment1fragment2')] });
      c.expectClose(echoClose);
      c.frame(1, B('fragment1'), { ...o, fin: 0 });
      c.frame(0, B('fragment2'), o);
      c.killAfter(1000);
    }));
  CHOPS.forEach(([how, o], i) => add(`5.${6 + i}`, `Send text Message fragmented into 2 fragments, one ping with payload in-between.${how}`,
    'A pong is received, then the message is echo\'ed back to us.', (c) => {
      c.expect({ OK: [pong('ping payload'), msg('fragment1fragment2')] });
      c.expectClose(echoClose);
      c.frame(1, B('fragment1'), { ...o, fin: 0 });
      c.frame(9, B('ping payload'), o);
      c.frame(0, B('fragment2'), o);
      c.killAfter(1000);
    }));
  for (const [base, fin] of [[9, 1], [12, 0]]) {
    CHOPS.forEach(([how, o], i) => add(`5.${base + i}`,
      `Send unfragmented Text Message after Continuation Frame with FIN = ${fin}, where there is nothing to continue, sent in one chop.${how}`,
      'The connection is failed immediately, since there is no message to continue.', (c) => {
        c.expect({ OK: [] });
        c.expectClose(failClose());
        c.frame(0, B('non-continuation payload'), { ...o, fin });
        c.frame(1, B('Hello, world!'), o);
        c.killAfter(1000);
      }));
  }
  add('5.15', 'Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = false where there is nothing to continue, then unfragmented Text Message, all sent in one chop.',
    'The connection is failed immediately, since there is no message to continue.', (c) => {
      c.expect({ OK: [msg('fragment1fragment2')], 'NON-STRICT': [] });
      c.expectClose(failClose());
      c.frame(1, B('fragment1'), { fin: 0 });
      c.frame(0, B('fragment2'));
      c.frame(0, B('fragment3'), { fin: 0 });
      c.frame(1, B('fragment4'));
      c.killAfter(1000);
    });
  for (const [id, fin] of [['5.16', 0], ['5.17', 1]]) {
    add(id, `Repeated 2x: Continuation Frame with FIN = ${fin ? 'true' : 'false'} (where there is nothing to continue), then text Message fragmented into 2 fragments.`,
      'The connection is failed immediately, since there is no message to continue.', (c) => {
        c.expect({ OK: [] });
        c.expectClose(failClose());
        for (let k = 0; k < 2; k++) {
          c.frame(0, B('fragment1'), { fin });
          c.frame(1, B('fragment2'), { fin: 0 });
          c.frame(0, B('fragment3'));
        }
        c.killAfter(1000);
      });
  }
  add('5.18', 'Send text Message fragmented into 2 fragments, with both frame opcodes set to text, sent in one chop.',
    'The connection is failed immediately, since all data frames after the initial data frame must have opcode 0.', (c) => {
      c.expect({ OK: [] });
      c.expectClose(failClose());
      c.frame(1, B('fragment1'), { fin: 0 });
      c.frame(1, B('fragment2'));
      c.killAfter(1000);
    });
  for (const [id, sync] of [['5.19', false], ['5.20', true]]) {
    add(id, `A fragmented text message is sent in multiple frames. After sending the first 2 frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, another Ping and then the final text fragment. Everything is legal.${sync ? ' Every frame is sent in its own chop (sync).' : ''}`,
      'The peer immediately answers the first Ping before it has received the last text message fragment. The peer pong\'s back the Ping\'s payload exactly, and echo\'s the payload of the fragmented message back to us.',
      (c) => {
        const f = ['fragment1', 'fragment2', 'fragment3', 'fragment4', 'fragment5'];
        c.expect({ OK: [pong('pongme 1!'), pong('pongme 2!'), msg(f.join(''))] });
        c.expectClose(echoClose);
        c.frame(1, B(f[0]), { fin: 0, sync });
        c.frame(0, B(f[1]), { fin: 0, sync });
        c.frame(9, B('pongme 1!'), { sync });
        c.later(T(1000), null, () => {
          c.frame(0, B(f[2]), { fin: 0, sync });
          c.frame(0, B(f[3]), { fin: 0, sync });
          c.frame(9, B('pongme 2!'), { sync });
          c.frame(0, B(f[4]), { sync });
          c.closeAfter(T(1000));
        });
      });
  }
}

// ---- 6 UTF-8 handling ---------------------------------------------------------------------------------
export const KOSME = hex('cebae1bdb9cf83cebcceb5');
{
  const echoed = (payload) => ({ OK: [msg(payload)] });
  add('6.1.1', 'Send text message of length 0.', 'A message is echo\'ed back to us (with empty payload).', (c) => {
    c.expect(echoed(''));
    c.expectClose(echoClose);
    c.frame(1, Buffer.alloc(0));
    c.killAfter(1000);
  });
  add('6.1.2', 'Send fragmented text message, 3 fragments each of length 0.',
    'A message is echo\'ed back to us (with empty payload).', (c) => {
      c.expect(echoed(''));
      c.expectClose(echoClose);
      c.frame(1, Buffer.alloc(0), { fin: 0 });
      c.frame(0, Buffer.alloc(0), { fin: 0 });
      c.frame(0, Buffer.alloc(0));
      c.killAfter(1000);
    });
  add('6.1.3', 'Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.',
    'A message is echo\'ed back to us (with payload = payload of middle fragment).', (c) => {
      c.expect(echoed('middle frame payload'));
      c.expectClose(echoClose);
      c.frame(1, Buffer.alloc(0), { fin: 0 });
      c.frame(0, B('middle frame payload'), { fin: 0 });
      c.frame(0, Buffer.alloc(0));
      c.killAfter(1000);
    });
  const HELLO = B('Hello-µ@ßöäüàá-UTF-8!!');
  add('6.2.1', 'Send a valid UTF-8 text message in one fragment.', 'The message is echo\'ed back to us.', (c) => {
    c.expect(echoed(HELLO));
    c.expectClose(echoClose);
    c.frame(1, HELLO);
    c.closeAfter(T(1000));
  });
  add('6.2.2', 'Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.',
    'The message is echo\'ed back to us.', (c) => {
      c.expect(echoed(HELLO));
      c.expectClose(echoClose);
      c.frame(1, HELLO.subarray(0, 11), { fin: 0 });
      c.frame(0, HELLO.subarray(11));
      c.closeAfter(T(1000));
    });
  for (const [id, payload] of [['6.2.3', HELLO], ['6.2.4', KOSME]]) {
    add(id, 'Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.',
      'The message is echo\'ed back to us.', (c) => {
        c.expect(echoed(payload));
        c.expectClose(echoClose);
        c.message(payload, { frag: 1 });
        c.closeAfter(T(1000));
      });
  }
  const INVALID = Buffer.concat([KOSME, hex('eda080'), B('edited')]);
  add('6.3.1', 'Send invalid UTF-8 text message unfragmented.',
    'The connection is failed immediately, since the payload is not valid UTF-8.', (c) => {
      c.expect({ OK: [] });
      c.expectClose(failClose([INVALID_PAYLOAD]));
      c.frame(1, INVALID);
      c.killAfter(1000);
    });
  add('6.3.2', 'Send invalid UTF-8 text message in fragments of 1 octet.',
    'The connection is failed immediately, since the payload is not valid UTF-8.', (c) => {
      c.expect({ OK: [] });
      c.expectClose(failClose([INVALID_PAYLOAD]));
      c.message(INVALID, { frag: 1 });
      c.killAfter(1000);
    });

  // 6.4.x: fail fast. The part that makes the payload invalid comes after a wait; a client that fails only
  // at the end of the message records the second timeout too (NON-STRICT).
  const P1 = KOSME;
  const P2 = hex('f4908080'); // 0x110000 in UTF-8's integer scheme: out of range, invalid at its 2nd octet
  const P3 = B('edited');
  const WHOLE = Buffer.concat([P1, P2, P3]);
  const failFast = (id, desc, parts, asFrames) => add(id, desc,
    'The first part is accepted, we expect to timeout on the first wait. The 2nd part should be rejected immediately (fail fast on UTF-8). If we timeout, we expect the connection is failed at least then, since the complete message payload is not valid UTF-8.',
    (c) => {
      c.expect({ OK: [timeout('A')], 'NON-STRICT': [timeout('A'), timeout('B')] });
      c.expectClose(failClose([INVALID_PAYLOAD]));
      const send = (i) => {
        if (asFrames) c.frame(i === 0 ? 1 : 0, parts[i], { fin: i === 2 ? 1 : 0 });
        else c.raw(i === 0 ? Buffer.concat([c.header(1, WHOLE.length), parts[0]]) : parts[i]);
      };
      send(0);
      c.later(T(1000), 'A', () => {
        send(1);
        c.later(T(1000), 'B', () => {
          send(2);
          c.killAfter(1000);
        });
      });
    });
  failFast('6.4.1', `Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, then 3rd frame with rest. PART1 = ${P1.toString('hex')}, PART2 = ${P2.toString('hex')}, PART3 = ${P3.toString('hex')}.`,
    [P1, P2, P3], true);
  const cut = [WHOLE.subarray(0, 12), WHOLE.subarray(12, 13), WHOLE.subarray(13)];
  failFast('6.4.2', 'Same as Case 6.4.1, but in 2nd frame, we send only up to and including the octet making the complete payload invalid.',
    cut, true);
  failFast('6.4.3', 'Same as Case 6.4.1, but we send message not in 3 frames, but in 3 chops of the same message frame.',
    [P1, P2, P3], false);
  failFast('6.4.4', 'Same as Case 6.4.2, but we send message not in 3 frames, but in 3 chops of the same message frame.',
    cut, false);

  // 6.5 - 6.23: the UTF-8 decoder test sequences (after Markus Kuhn's UTF-8-test.txt), one message each.
  for (const [i, [title, seqs]] of utf8Sequences().entries()) {
    seqs.forEach(([valid, bytes], j) => add(`6.${i + 5}.${j + 1}`,
      `${title}: send a text message with payload which is ${valid ? '' : 'not '}valid UTF-8 in one fragment. Payload: 0x${bytes.toString('hex')}`,
      valid ? 'The message is echo\'ed back to us.' : 'The connection is failed immediately, since the payload is not valid UTF-8.',
      (c) => {
        c.expect({ OK: valid ? [msg(bytes)] : [] });
        c.expectClose(valid ? echoClose : failClose([INVALID_PAYLOAD]));
        c.frame(1, bytes);
        c.killAfter(500);
      }, { category: title }));
  }
}

// The sequences of cases 6.5.x - 6.23.x as [title, [[valid, bytes], ...]]. Validity is the listed one;
// utf8Sequences() checks it against Node's own decoder.
export function utf8Sequences() {
  const groups = [];
  const group = (title, list) => groups.push([title, list.map(([v, b]) => [v, Buffer.isBuffer(b) ? b : hex(b)])]);
  const range = (from, to, each) => { const out = []; for (let b = from; b < to; b++) out.push(...each(b)); return Buffer.from(out); };
  group('Some valid UTF-8 sequences', [[true, B('hello$world')], [true, B('hello¢world')], [true, B('hello€world')],
    [true, Buffer.concat([B('hello'), hex('f0a4ada2'), B('world')])], [true, KOSME]]);
  const ends = new Set([2, 5, 7, 9, 11]); // code point ends in κόσμε
  group('All prefixes of a valid UTF-8 string that contains multi-byte code points',
    Array.from({ length: KOSME.length }, (_, k) => [ends.has(k + 1), KOSME.subarray(0, k + 1)]));
  group('First possible sequence of a certain length', [[true, '00'], [true, 'c280'], [true, 'e0a080'], [true, 'f0908080']]);
  group('First possible sequence length 5/6 (invalid codepoints)', [[false, 'f888808080'], [false, 'fc8480808080']]);
  group('Last possible sequence of a certain length', [[true, '7f'], [true, 'dfbf'], [true, 'efbfbf'], [true, 'f48fbfbf']]);
  group('Last possible sequence length 4/5/6 (invalid codepoints)', [[false, 'f7bfbfbf'], [false, 'fbbfbfbfbf'], [false, 'fdbfbfbfbfbf']]);
  group('Other boundary conditions', [[true, 'ed9fbf'], [true, 'ee8080'], [true, 'efbfbd'], [true, 'f48fbfbf'], [false, 'f4908080']]);
  group('Unexpected continuation bytes', [[false, '80'], [false, 'bf'], [false, '80bf'], [false, '80bf80'],
    [false, '80bf80bf'], [false, '80bf80bf80'], [false, '80bf80bf80bf'], [false, range(0x80, 0xbf, (b) => [b])]]);
  group('Lonely start characters', [[0xc0, 0xdf], [0xe0, 0xef], [0xf0, 0xf7], [0xf8, 0xfb], [0xfc, 0xfd]]
    .map(([a, z]) => [false, range(a, z, (b) => [b, 0x20])]));
  const missing = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'];
  group('Sequences with last continuation byte missing', missing.map((h) => [false, h]));
  group('Concatenation of incomplete sequences', [[false, missing.join('')]]);
  group('Impossible bytes', [[false, 'fe'], [false, 'ff'], [false, 'fefeffff']]);
  group('Examples of an overlong ASCII character', [[false, 'c0af'], [false, 'e080af'], [false, 'f08080af'],
    [false, 'f8808080af'], [false, 'fc80808080af']]);
  group('Maximum overlong sequences', [[false, 'c1bf'], [false, 'e09fbf'], [false, 'f08fbfbf'], [false, 'f887bfbfbf'],
    [false, 'fc83bfbfbfbf']]);
  group('Overlong representation of the NUL character', [[false, 'c080'], [false, 'e08080'], [false, 'f0808080'],
    [false, 'f880808080'], [false, 'fc8080808080']]);
  const single = ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'];
  group('Single UTF-16 surrogates', single.map((h) => [false, h]));
  const highs = ['eda080', 'edadbf', 'edae80', 'edafbf'];
  group('Paired UTF-16 surrogates', highs.flatMap((h) => ['edb080', 'edbfbf'].map((l) => [false, h + l])));
  const nonchars = [[true, 'efbfbe'], [true, 'efbfbf']];
  for (const z1 of ['f0', 'f1', 'f2', 'f3', 'f4']) {
    for (const z2 of ['8f', '9f', 'af', 'bf']) {
      if (z1 === 'f4' && z2 !== '8f') continue; // above U+10FFFF
      for (const z3 of ['be', 'bf']) {
        if (z1 === 'f0' && z2 === '8f') continue; // overlong
        nonchars.push([true, `${z1}${z2}bf${z3}`]);
      }
    }
  }
  group('Non-character code points (valid UTF-8)', nonchars);
  group('Unicode specials (i.e. replacement char)', ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf']
    .map((h) => [true, h]));
  for (const [title, list] of groups) {
    for (const [valid, bytes] of list) {
      if (isUtf8(bytes) !== valid) throw new Error(`utf8Sequences: ${title} 0x${bytes.toString('hex')} is listed wrong`);
    }
  }
  return groups;
}

// ---- 7 Close handling ---------------------------------------------------------------------------------
{
  const wrongCodeFails = { wrongCodeFails: true };
  add('7.1.1', 'Send a message followed by a close frame', 'Echoed message followed by clean close with normal code.', (c) => {
    c.expect({ OK: [msg('Hello World!')] });
    c.expectClose(echoClose);
    c.frame(1, B('Hello World!'));
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.1.2', 'Send two close frames', 'Clean close with normal code. Second close frame ignored.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.close(NORMAL);
    c.closeRaw(hex('03e8'));
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.1.3', 'Send a ping after close message', 'Clean close with normal code, no pong.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.close(NORMAL);
    c.frame(9, Buffer.alloc(0));
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.1.4', 'Send text message after sending a close frame', 'Clean close with normal code. Text message ignored.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.close(NORMAL);
    c.frame(1, B('Hello World!'));
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.1.5', 'Send message fragment1 followed by close then fragment', 'Clean close with normal code.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.frame(1, B('fragment1'), { fin: 0 });
    c.close(NORMAL);
    c.frame(0, B('fragment2'));
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.1.6', 'Send 256K message followed by close then a ping',
    'Case outcome depends on implementation defined close behavior. Message and close frame are sent back to back. If the close frame is processed before the text message write is complete (as can happen in asynchronous processing models) the close frame is processed first and the text message may not be received or may only be partially received.',
    (c) => {
      c.expect({ OK: [msg('Hello World!')], 'NON-STRICT': [] });
      c.expectClose(echoClose);
      c.frame(1, B('BAsd7&jh23'), { len: 256 * 1024 });
      c.frame(1, B('Hello World!'));
      c.close(NORMAL);
      c.frame(9, Buffer.alloc(0));
      c.killAfter(1000);
    }, { informational: true });
  add('7.3.1', 'Send a close frame with payload length 0 (no close code, no close reason)', 'Clean close with normal code.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.closeRaw(Buffer.alloc(0));
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.3.2', 'Send a close frame with payload length 1', 'Clean close with protocol error or drop TCP.', (c) => {
    c.expect({ OK: [] });
    c.expectClose({ byMe: true, codes: [PROTOCOL_ERROR], clean: false });
    c.closeRaw(hex('03'));
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.3.3', 'Send a close frame with payload length 2 (regular close with a code)', 'Clean close with normal code.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.close(NORMAL);
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.3.4', 'Send close with close code and close reason', 'Clean close with normal code.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.close(NORMAL, 'Hello World!');
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.3.5', 'Send close with close code and close reason of maximum length (123)', 'Clean close with normal code.', (c) => {
    c.expect({ OK: [] });
    c.expectClose(echoClose);
    c.close(NORMAL, '*'.repeat(123));
    c.killAfter(1000);
  }, wrongCodeFails);
  add('7.3.6', 'Send close with close code and close reason which is too long (124) - total frame payload 126 octets',
    'Clean close with protocol error code or dropped TCP connection.', (c) => {
      c.expect({ OK: [] });
      c.expectClose({ byMe: true, codes: [PROTOCOL_ERROR], clean: false });
      c.closeRaw(Buffer.concat([hex('03e8'), repeat('*', 124)]));
      c.killAfter(1000);
    }, wrongCodeFails);
  add('7.5.1', 'Send a close frame with invalid UTF8 payload', 'Clean close with protocol error or invalid utf8 code or dropped TCP.', (c) => {
    c.expect({ OK: [] });
    c.expectClose({ byMe: true, codes: [PROTOCOL_ERROR, INVALID_PAYLOAD], clean: false });
    c.closeRaw(Buffer.concat([hex('03e8'), KOSME, hex('eda080'), B('edited')]));
    c.killAfter(1000);
  }, wrongCodeFails);
  [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].forEach((code, i) =>
    add(`7.7.${i + 1}`, `Send close with valid close code ${code}`, 'Clean close with normal or echoed code', (c) => {
      c.expect({ OK: [] });
      c.expectClose({ byMe: true, codes: [NORMAL, code], clean: true });
      c.close(code);
      c.killAfter(1000);
    }, wrongCodeFails));
  [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999].forEach((code, i) =>
    add(`7.9.${i + 1}`, `Send close with invalid close code ${code}`, 'Clean close with protocol error code or drop TCP', (c) => {
      c.expect({ OK: [] });
      c.expectClose({ byMe: true, codes: [PROTOCOL_ERROR], clean: false });
      c.close(code);
      c.killAfter(1000);
    }, wrongCodeFails));
  [5000, 65535].forEach((code, i) => add(`7.13.${i + 1}`, `Send close with close code ${code}`,
    'Actual events are undefined by the spec.', (c) => {
      c.expect({ OK: [] });
      c.expectClose({ byMe: true, codes: [NORMAL, code, PROTOCOL_ERROR], clean: false });
      c.close(code);
      c.killAfter(1000);
    }, { informational: true }));
}

// ---- 9 Limits/Performance -----------------------------------------------------------------------------
// The server checks each echo itself (type, length, content hash) instead of keeping the bytes as events.
{
  const KiB = 1024;
  const MiB = 1024 * KiB;
  const sizeName = (n) => (n >= MiB ? `${n / MiB}M` : `${n / KiB}K`);
  // c.perf: the server checks each echo against `expected` and sends the next message (sendOne) until
  // `count` echoes came back; then it records the one event ['echoes', count].
  const oneEcho = (c, expected, binary, limitMs) => {
    c.perf = { expected, binary, count: 1 };
    c.expect({ OK: [['echoes', 1]] });
    c.expectClose(echoClose);
    c.closeAfter(limitMs);
  };
  for (const [sub, binary] of [[1, false], [2, true]]) {
    const kind = binary ? 'binary' : 'text';
    [64 * KiB, 256 * KiB, MiB, 4 * MiB, 8 * MiB, 16 * MiB].forEach((n, i) => add(`9.${sub}.${i + 1}`,
      `Send ${kind} message message with payload of length ${sizeName(n)}.`,
      `Receive echo'ed ${kind} message (with payload as sent).`, (c) => {
        const p = binary ? repeat([0xfe], n) : repeat('BAsd7&jh23', n);
        oneEcho(c, p, binary, 30000);
        c.frame(binary ? 2 : 1, p);
      }, { perf: true }));
  }
  for (const [sub, binary] of [[3, false], [4, true]]) {
    const kind = binary ? 'binary' : 'text';
    [64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB].forEach((frag, i) => add(`9.${sub}.${i + 1}`,
      `Send fragmented ${kind} message message with message payload of length 4 * 2**20 (4M). Sent out in fragments of ${frag < KiB ? frag : sizeName(frag)}.`,
      `Receive echo'ed ${kind} message (with payload as sent).`, (c) => {
        const p = repeat(binary ? [0xfe] : '*', 4 * MiB);
        oneEcho(c, p, binary, 30000);
        c.message(p, { binary, frag });
      }, { perf: true }));
  }
  for (const [sub, binary] of [[5, false], [6, true]]) {
    const kind = binary ? 'binary' : 'text';
    [64, 128, 256, 512, 1024, 2048].forEach((chop, i) => add(`9.${sub}.${i + 1}`,
      `Send ${kind} message message with payload of length 1 * 2**20 (1M). Sent out data in chops of ${chop} octets.`,
      `Receive echo'ed ${kind} message (with payload as sent).`, (c) => {
        const p = binary ? repeat([0xfe], MiB) : repeat('BAsd7&jh23', MiB);
        oneEcho(c, p, binary, 30000);
        c.frame(binary ? 2 : 1, p, { chop });
      }, { perf: true }));
  }
  for (const [sub, binary] of [[7, false], [8, true]]) {
    const kind = binary ? 'binary' : 'text';
    [0, 16, 64, 256, 1024, 4096].forEach((n, i) => add(`9.${sub}.${i + 1}`,
      `Send ${ROUND_TRIPS} ${kind} messages of payload size ${n} to measure implementation/network RTT (round trip time) / latency.`,
      `Receive echo'ed ${kind} messages (with payload as sent).`, (c) => {
        const p = repeat(binary ? [0xfe] : '*', n);
        c.perf = { expected: p, binary, count: ROUND_TRIPS, sendOne: () => c.frame(binary ? 2 : 1, p) };
        c.expect({ OK: [['echoes', ROUND_TRIPS]] });
        c.expectClose(echoClose);
        c.closeAfter(30000);
        c.perf.sendOne();
      }, { perf: true }));
  }
}

// ---- 10 Misc ------------------------------------------------------------------------------------------
add('10.1.1', 'Send text message with payload of length 65536 auto-fragmented with autoFragmentSize = 1300.',
  'Receive echo\'ed text message (with payload as sent and transmitted frame counts as expected). Clean close with normal code.',
  (c) => {
    const p = repeat('*', 65536);
    c.expect({ OK: [msg(p)] });
    c.expectClose(echoClose);
    c.message(p, { frag: 1300 });
    c.killAfter(10000);
  });

const order = (id) => id.split('.').map(Number);
cases.sort((a, b) => {
  const x = order(a.id);
  const y = order(b.id);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
  return 0;
});
cases.forEach((c, i) => { c.index = i + 1; });
export const CASES = cases;
