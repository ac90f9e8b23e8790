// The scenarios of the web tests and the exact traces expected from tests/web/driver.c. Shared by the
// Node run (node.test.mjs) and the Chromium run (browser.test.mjs): both builds must print the same lines.

export const SIZES = [0, 1, 125, 126, 65535, 65536, 1 << 20, 16 << 20];

export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

export function payload(type, n) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = type === 'text' ? 97 + ((i * 7) % 26) : (i * 131 + 7) & 0xff;
  return b;
}

// The driver writes bytes outside printable ASCII (and backslash) as \xHH.
export function escape(bytes) {
  let s = '';
  for (const c of bytes) s += c >= 0x20 && c <= 0x7e && c !== 0x5c ? String.fromCharCode(c) : '\\x' + c.toString(16).padStart(2, '0');
  return s;
}
const utf8 = (s) => new TextEncoder().encode(s);

const CONNECT = (id = 1) => [
  `T${id} connect-returned rs=CONNECTING`,
  `T${id} connect:success rs=CONNECTING errMsg=connectSocket:ok id=${id}`,
  `T${id} connect:complete rs=CONNECTING errMsg=connectSocket:ok id=${id}`,
];
const OPEN = (protocol = '', id = 1) => [`T${id} open rs=OPEN protocol=${protocol} extensions=`];
const FAILED = (id = 1, detail = '') => [
  `T${id} error rs=CLOSED errMsg=onSocketError: WebSocket connection failed detail=${detail}`,
  `T${id} close rs=CLOSED code=1006 reason= clean=0`,
];
const CLOSE_CALL = (rs = 'CLOSING', id = 1) => [
  `T${id} close:success rs=${rs} errMsg=closeSocket:ok`,
  `T${id} close:complete rs=${rs} errMsg=closeSocket:ok`,
];
const CLOSED = (code, reason, clean = 1, id = 1) => [`T${id} close rs=CLOSED code=${code} reason=${reason} clean=${clean}`];
const SENT = (rs = 'OPEN', id = 1) => [
  `T${id} send:success rs=${rs} errMsg=sendSocketMessage:ok`,
  `T${id} send:complete rs=${rs} errMsg=sendSocketMessage:ok`,
];
const MESSAGE = (type, bytes, id = 1) => [`T${id} message rs=OPEN type=${type} len=${bytes.length} hash=${fnv1a(bytes)}`];

const NUL_TEXT = new Uint8Array([0x61, 0, 0x62, 0xc3, 0xa9, 0, 0xe2, 0x9c, 0x93, 0]);
const R123 = 'r'.repeat(123);

// ctx: { url: 'ws://127.0.0.1:PORT', refusedUrl, env: 'node' | 'chromium' | 'container' }; a container
// run (the emulated mini-game host) also gives failDetail (the host's errMsg of a failed connection, which
// reaches tt_error_event.detail), wire1001 (the code its client sends for close(1001)) and maxTasks.
// Each scenario: { name, args, expect: string[] } or { name, args, check(lines, peerLog) } (node:assert inside).
export function scenarios(ctx) {
  const u = ctx.url;
  const list = [];
  const F = (id = 1) => FAILED(id, ctx.failDetail || '');
  for (const type of ['text', 'binary']) {
    list.push({
      name: `echo ${type} ${SIZES.join('/')} bytes`,
      args: ['echo', `${u}/echo`, type, SIZES.join(',')],
      expect: [...CONNECT(), ...OPEN(),
        ...SIZES.flatMap((n) => [...SENT(), ...MESSAGE(type, payload(type, n))]),
        ...CLOSE_CALL(), ...CLOSED(1000, 'done')],
    });
  }
  list.push({
    name: 'text with U+0000 round-trips byte for byte',
    args: ['echo_nul', `${u}/echo`],
    expect: [...CONNECT(), ...OPEN(), ...SENT(), ...MESSAGE('text', NUL_TEXT), 'T1 nul-text-equal=1',
      ...CLOSE_CALL(), ...CLOSED(1000, '')],
  });

  // A leading U+FEFF is kept in a sent and echoed text message and in the client's close reason
  // (TextDecoder drops it unless told not to); the binary echo of the same bytes is the control. Node 20's
  // own WebSocket (undici) drops it from the text it receives (the echo and the close reason it reports),
  // so under Node only what the peer received shows it kept.
  const BOM_HI = utf8('\uFEFFhi');
  const undici = ctx.env === 'node';
  list.push({
    name: 'a leading U+FEFF survives a text send, its echo and the close reason',
    args: ['bom', `${u}/echo?tag=bom`],
    expect: [...CONNECT(), ...OPEN(), ...SENT(), ...SENT(), ...MESSAGE('text', undici ? utf8('hi') : BOM_HI),
      ...MESSAGE('binary', BOM_HI), ...CLOSE_CALL(), ...CLOSED(4000, escape(utf8(undici ? 'bye' : '\uFEFFbye')))],
    peer: { tag: 'bom', code: 4000, reason: '\uFEFFbye' },
  });

  const serverCloses = [
    ['4000', 'bye'], ['1000', 'normal'], ['4999', R123], ['3000', 'é✓'], ['1011', 'oops'],
  ];
  for (const [code, reason] of serverCloses) {
    list.push({
      name: `server closes with ${code} and a ${utf8(reason).length}-byte reason`,
      args: ['connect_wait', `${u}/close?code=${code}&reason=${encodeURIComponent(reason)}`],
      expect: [...CONNECT(), ...OPEN(), ...CLOSED(code, escape(utf8(reason)))],
    });
  }
  list.push({
    name: 'server closes without a status code: 1005',
    args: ['connect_wait', `${u}/close`],
    expect: [...CONNECT(), ...OPEN(), ...CLOSED(1005, '')],
  });
  list.push({
    // Chromium (and Node's undici) fire no error for a TCP drop after open: close 1006 alone.
    name: 'server drops TCP without a Close: close 1006, no error',
    args: ['connect_wait', `${u}/drop`],
    expect: [...CONNECT(), ...OPEN(), ...CLOSED(1006, '', 0)],
  });
  list.push({
    name: 'server answers 404: error + 1006, no open',
    args: ['connect_wait', `${u}/reject`],
    expect: [...CONNECT(), ...F()],
  });
  // The browser is given the URL rebuilt from the parsed parts: canonical host, percent-encoded target.
  const hostPort = u.replace(/^ws:\/\//, '');
  list.push({
    name: 'the browser connects to the canonical URL: the peer sees the percent-encoded request target',
    args: ['connect_wait', `${u}/target?q="\u00e9"`],
    expect: [...CONNECT(), ...OPEN(), ...MESSAGE('text', utf8(`/target?q=%22%C3%A9%22 host=${hostPort}`)),
      ...CLOSED(1000, 'bye')],
  });
  for (const [url, why] of [[`ws://evil.example\\@${hostPort}/echo`, 'invalid url'],
    [`http://${hostPort}/echo`, 'invalid url scheme']]) {
    list.push({
      name: `${url.replace(hostPort, 'HOST')} is refused: connectSocket:fail ${why}`,
      args: ['connect_wait', url],
      expect: ['T0 connect-returned rs=CLOSED', `T0 connect:fail rs=CLOSED errMsg=connectSocket:fail ${why}`,
        `T0 connect:complete rs=CLOSED errMsg=connectSocket:fail ${why}`],
    });
  }
  list.push({
    name: 'refused port: connectSocket:ok, then error + 1006',
    args: ['connect_wait', ctx.refusedUrl],
    expect: [...CONNECT(), ...F()],
  });
  list.push({
    name: 'timeout_ms against a server that never answers the handshake',
    args: ['connect_wait', `${u}/silent`, '', '400'],
    expect: [...CONNECT(),
      'T1 error rs=CLOSED errMsg=onSocketError: WebSocket connection timed out detail=connect: timed out',
      ...CLOSED(1006, '', 0)],
  });
  list.push({
    name: 'subprotocol chosen by the server',
    args: ['connect_wait', `${u}/proto?choose=chat`, 'superchat,chat'],
    expect: [...CONNECT(), ...OPEN('chat'), ...CLOSED(1000, 'bye')],
  });
  list.push({
    name: 'subprotocol missing in the answer: error + 1006',
    args: ['connect_wait', `${u}/proto`, 'chat'],
    expect: [...CONNECT(), ...F()],
  });
  list.push({
    name: 'subprotocol not offered: error + 1006',
    args: ['connect_wait', `${u}/proto?choose=other`, 'chat'],
    expect: [...CONNECT(), ...F()],
  });
  list.push({
    name: 'invalid UTF-8 in a text message from the server: error + 1006',
    args: ['connect_wait', `${u}/badutf8?tag=badutf8`],
    expect: [...CONNECT(), ...OPEN(), ...F()],
  });

  // Client close, every valid code class. The peer (ws) echoes the code and reason it received.
  const clientCloses = [
    { code: '0', reason: '', wire: 1000, wireReason: '', label: 'default (code 0 = 1000)' },
    { code: '1000', reason: 'bye', wire: 1000, wireReason: 'bye' },
    // Parity exception: script cannot send 1001; the web build sends 1000 with the same reason.
    { code: '1001', reason: 'background', wire: ctx.wire1001 || 1000, wireReason: 'background',
      label: `1001 (sent as ${ctx.wire1001 || 1000})` },
    { code: '3000', reason: 'x', wire: 3000, wireReason: 'x' },
    { code: '4999', reason: '#123', wire: 4999, wireReason: R123, label: '4999 + 123-byte reason' },
  ];
  for (const c of clientCloses) {
    const tag = `cc${c.code}`;
    list.push({
      name: `client close ${c.label || c.code}: the peer sees ${c.wire}`,
      args: ['client_close', `${u}/echo?tag=${tag}`, c.code, c.reason],
      expect: [...CONNECT(), ...OPEN(), ...CLOSE_CALL(), ...CLOSED(c.wire, escape(utf8(c.wireReason)))],
      peer: { tag, code: c.wire, reason: c.wireReason },
    });
  }
  const bad = (msg, n) => Array.from({ length: n }, () => [
    `T1 close:fail rs=OPEN errMsg=closeSocket:fail ${msg}`,
    `T1 close:complete rs=OPEN errMsg=closeSocket:fail ${msg}`,
  ]).flat();
  list.push({
    name: 'invalid close codes 999/1004/1005/1006/1015/2999/5000, reason of 124 bytes, non-UTF-8 reason: each a closeSocket:fail, module alive',
    args: ['close_invalid', `${u}/echo`],
    expect: [...CONNECT(), ...OPEN(), ...bad('invalid code', 7), ...bad('reason too long', 1),
      ...bad('invalid utf-8 reason', 1), ...SENT(), ...MESSAGE('text', utf8('still-open')),
      ...CLOSE_CALL(), ...CLOSED(1000, 'ok')],
  });
  list.push({
    name: 'send before open: sendSocketMessage:fail, the task still opens',
    args: ['send_before_open', `${u}/echo`],
    expect: [...CONNECT(),
      'T1 send:fail rs=CONNECTING errMsg=sendSocketMessage:fail WebSocket is not connected',
      'T1 send:complete rs=CONNECTING errMsg=sendSocketMessage:fail WebSocket is not connected',
      ...OPEN(), ...CLOSE_CALL(), ...CLOSED(1000, '')],
  });
  list.push({
    name: 'tt_runtime_poll(-1) cannot wait on the web: pending callbacks, then TT_EWOULDBLOCK at once',
    args: ['poll_block', `${u}/echo`],
    expect: ['T1 connect-returned rs=CONNECTING',
      'T1 connect:success rs=CONNECTING errMsg=connectSocket:ok id=1',
      'T1 connect:complete rs=CONNECTING errMsg=connectSocket:ok id=1',
      'poll(-1) = 2',
      "poll(-1) = -33 cannot wait here: return to the browser's event loop",
      ...OPEN(), ...CLOSE_CALL(), ...CLOSED(1000, '')],
  });
  list.push({
    name: 'send after close(): fail, bufferedAmount unchanged (the refused send never reached the connection)',
    args: ['send_after_close', `${u}/echo`],
    expect: [...CONNECT(), ...OPEN(), 'T1 buffered=0', ...CLOSE_CALL(),
      'T1 send:fail rs=CLOSING errMsg=sendSocketMessage:fail WebSocket is not connected',
      'T1 send:complete rs=CLOSING errMsg=sendSocketMessage:fail WebSocket is not connected',
      ...CLOSED(1000, 'bye')],
  });
  list.push({
    name: 'close while CONNECTING: error + 1006',
    args: ['close_connecting', `${u}/echo`],
    expect: [
      'T1 connect-returned rs=CONNECTING',
      'T1 connect:success rs=CLOSING errMsg=connectSocket:ok id=1',
      'T1 connect:complete rs=CLOSING errMsg=connectSocket:ok id=1',
      ...CLOSE_CALL('CLOSING'),
      'T1 error rs=CLOSED errMsg=onSocketError: WebSocket connection failed detail=closed before the connection was established',
      ...CLOSED(1006, '', 0)],
  });
  // The core fails the task itself and aborts the connection: the browser cannot drop TCP, so the
  // peer gets a Close frame without a status code (1005) where the native build drops TCP (1006).
  list.push({
    name: 'runtime shutdown while OPEN: error + 1006 before it returns; the peer sees 1005',
    args: ['shutdown_open', `${u}/echo?tag=shutdown`],
    expect: [...CONNECT(), ...OPEN(), 'shutdown',
      'T1 error rs=CLOSED errMsg=onSocketError: runtime shut down detail=runtime shut down',
      ...CLOSED(1006, '', 0), 'shutdown-returned'],
    peer: { tag: 'shutdown', code: 1005, reason: '' },
  });
  list.push({
    name: 'incoming message over max_message_size: error + 1006; the peer sees 1005',
    args: ['too_big', `${u}/echo?tag=toobig`],
    expect: [...CONNECT(), ...OPEN(), ...SENT(),
      'T1 error rs=CLOSED errMsg=onSocketError: WebSocket message too large detail=message exceeds max_message_size',
      ...CLOSED(1006, '', 0)],
    peer: { tag: 'toobig', code: 1005, reason: '' },
  });
  // What a game can see on the web backend: the browser reports only when the WebSocket was created and
  // when it opened, no response header and no wire traffic; each unknown is marked, never made up. A
  // container (the emulated tt in Chromium) says so too: the page's WebSocket under the emulator shows no
  // header field here (no subprotocol, no extension) and Douyin's onOpen has no profile; its capabilities
  // are those of a host (request header, 1001, response header, error detail: 0x107).
  list.push({
    name: 'open profile, response header, statistics and capabilities: the documented unknowns',
    args: ['observe', `${u}/echo`],
    expect: [...CONNECT(), ...OPEN(),
      'T1 profile fetch_start=k domain_lookup=uu connect=uu ssl=uu connect_end=u request=uu response_end=u ' +
        `open=k rtt=u handshake_cost=u cost=k cost_is_open_minus_fetch=1 header=null/0 caps=${ctx.env === 'container' ? '0x107' : '0x10'}`,
      'T1 profile_ms domain_lookup_start=u domain_lookup_end=u connect_start=u tcp_connect_end=u ssl_connection_start=u ' +
        'ssl_connection_end=u connect_end=u request_start=u request_end=u response_end=u rtt=u handshake_cost=u',
      ...SENT(), ...MESSAGE('text', utf8('abc')),
      'T1 stats rc=0 messages_sent=1 messages_received=1 bytes_sent=3 bytes_received=3 wire_bytes_sent=unknown ' +
        'wire_bytes_received=unknown frames_sent=unknown frames_received=unknown pings_received=unknown ' +
        'pongs_sent=unknown compressed_payload_sent=unknown compressed_wire_received=unknown tasks=1',
      ...CLOSE_CALL(), ...CLOSED(1000, 'ok')],
  });
  const N = ctx.maxTasks || 100;
  list.push({
    name: `${N} tasks at once, each echoes once and closes`,
    args: ['many', `${u}/echo`, String(N)],
    perTask: N,
    expectTask: (id) => [...CONNECT(id), ...OPEN('', id), ...SENT('OPEN', id),
      ...MESSAGE('text', utf8(`hello ${id}`), id), ...CLOSE_CALL('CLOSING', id), ...CLOSED(1000, 'ok', 1, id)],
  });
  // The socket table reuses a closed socket's slot: 200 tasks one after another need one slot.
  const SEQ = 200;
  list.push({
    name: `${SEQ} tasks one after another reuse one socket slot`,
    args: ['sequential', `${u}/echo`, String(SEQ)],
    perTask: SEQ,
    expectTask: (id) => [...CONNECT(id), ...OPEN('', id), ...CLOSE_CALL('CLOSING', id), ...CLOSED(1000, '', 1, id)],
    untagged: ['socket slots made=1'],
  });
  return list;
}

// Asserts one scenario's trace (lines without the final END) with node:assert.
export function checkTrace(assert, sc, lines, peerLog) {
  assert.equal(lines.at(-1), 'END', `trace did not end:\n${lines.join('\n')}`);
  const body = lines.slice(0, -1);
  if (sc.perTask) {
    const groups = new Map();
    assert.deepEqual(body.filter((l) => !/^T\d+ /.test(l)), sc.untagged || [], 'lines of no task');
    for (const l of body.filter((l) => /^T\d+ /.test(l))) {
      const id = Number(/^T(\d+) /.exec(l)?.[1]);
      if (!groups.has(id)) groups.set(id, []);
      groups.get(id).push(l);
    }
    assert.deepEqual([...groups.keys()].sort((a, b) => a - b), Array.from({ length: sc.perTask }, (_, i) => i + 1));
    for (const [id, g] of groups) assert.deepEqual(g, sc.expectTask(id), `task ${id}`);
  } else {
    assert.deepEqual(body, sc.expect);
  }
  if (sc.peer) {
    assert.deepEqual(peerLog[sc.peer.tag], { code: sc.peer.code, reason: sc.peer.reason }, 'what the peer received');
  }
}
