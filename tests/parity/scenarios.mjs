// The parity scenarios: one declarative entry per edge case, shared by the edge-case server
// (server.mjs), the browser reference recorder (record-browser.mjs) and the parity run (run.mjs).
// `node server.mjs --list` prints this table as JSON.
//
// An entry:
//   name         path segment: the client connects to ws://127.0.0.1:<port>/s/<name>
//   group        handshake | framing | utf8 | close | client | deflate
//   description  what the case is about
//   hs           the opening handshake the server answers with (see server.mjs `answerHandshake`):
//                  status (101), statusLine (verbatim first line), accept ('ok' | 'bad' | 'none'),
//                  upgrade / connection (header value, or null to leave the header out),
//                  protocol ('first' | 'last' | a literal value | null = none), extensions (literal or null),
//                  headers ([[name, value]...] extra), body (non-101), mode ('normal' | 'never' | 'drop' |
//                  'reset' | 'partial' | 'bytewise'), partial (text written before a 'partial' drop),
//                  delay (ms before answering), lfOnly (bare LF line ends), lowerCase (header names), coalesce
//                  (the 101 and the first frames in one write)
//   server       steps run after the handshake, in order (see server.mjs `runStep`):
//                  {send: 'text'|'binary', data, compress}     one whole message in one frame
//                  {frame: {op, fin, rsv1, rsv2, rsv3, masked, data, len: 16|64, lenRaw}}  one raw frame
//                  {close: {code, reason} | {} | {hex}}        a Close frame (code omitted: empty payload)
//                  {await: 'message'|'pong'|'close', count}    wait for the client (bounded)
//                  {report: 'pong'|'pongs'|'request'|'upgrade'|'extensions'|'message'}  a text message describing what the
//                                                              server saw
//                  {raw: hex}, {end: true} (TCP FIN), {destroy: true}, {reset: true} (TCP RST),
//                  {delay: ms} (a deliberate pause in what the server does, never used to synchronise)
//   after        what the server does when the client's Close arrives and the steps are done:
//                  'echo' (default: answer with the same payload, then FIN), 'ignore' (keep TCP open),
//                  'fin' (FIN without a Close), {code, reason} (answer with that Close, then FIN),
//                  'empty' (answer with an empty Close), 'hold' (answer, but never close TCP)
//   echo         true: echo every data message back with its type
//   client       what the driver does: protocols, timeout (ms, the tt timeout), deadline (ms, driver-side
//                bound; default 4000), printText (also print text payloads), atConnect (run the actions right
//                after connecting instead of from onOpen), maxMessageSize (tt_runtime_config), task2 (the name of
//                a scenario a second task connects to right after the first; lines then carry "#1 " / "#2 "),
//                and the actions:
//                  {send: 'text', data: 'literal' | {textPattern: n} | {hex}}, {send: 'binary', data:
//                  {binPattern: n} | {hex}}, {wait: 'message'} (until the next onMessage), {close: {code,
//                  reason}} (code 0 = the tt default), {shutdown: true} (tt_runtime_shutdown)
//   wire         false: the server's wire log is not compared (what reaches the server is a race)
//   needs        a feature that is not everywhere yet; run.mjs skips such rows with the listed reason
//                until the feature is declared available (e.g. 'permessage-deflate')
//
// Payload specs: a string (UTF-8 text), {hex: '...'}, {textPattern: n} (n bytes 'a' + (i*7)%26),
// {binPattern: n} (n bytes (i*131+7)&255), {repeat: 'abc', count: n}, {periodText: n, period: p} (letters
// repeating every p bytes, see periodText).

const done = { close: { code: 1000, reason: 'done' } };
const hello = { send: 'text', data: 'hello' };
const waitMsgThenClose = [{ wait: 'message' }, { close: { code: 1000, reason: 'bye' } }];

const S = [];
function add(group, name, description, spec = {}) {
  S.push({ name, group, description, hs: {}, server: [], after: 'echo', echo: false, ...spec,
    client: { actions: [], ...(spec.client || {}) } });
}

// ---- Handshake faults --------------------------------------------------------------------------------
const H = 'handshake';
add(H, 'hs-ok', 'plain handshake, one text message, server closes 1000',
  { server: [hello, done] });
for (const [status, text] of [[200, 'OK'], [302, 'Found'], [403, 'Forbidden'], [404, 'Not Found'],
  [500, 'Internal Server Error']]) {
  add(H, `hs-status-${status}`, `answers ${status} ${text} instead of 101`,
    { hs: { status, body: `${status} ${text}\n`, headers: status === 302 ? [['Location', '/s/hs-ok']] : [] } });
}
add(H, 'hs-status-101-http10', 'answers "HTTP/1.0 101 Switching Protocols"',
  { hs: { statusLine: 'HTTP/1.0 101 Switching Protocols' }, server: [hello, done] });
add(H, 'hs-status-line-garbage', 'answers a line that is not HTTP at all',
  { hs: { statusLine: 'FOO BAR BAZ' }, server: [hello, done] });
add(H, 'hs-bad-accept', 'Sec-WebSocket-Accept is computed from the wrong key',
  { hs: { accept: 'bad' }, server: [hello, done] });
add(H, 'hs-missing-accept', 'no Sec-WebSocket-Accept header',
  { hs: { accept: 'none' }, server: [hello, done] });
add(H, 'hs-missing-upgrade', 'no Upgrade header', { hs: { upgrade: null }, server: [hello, done] });
add(H, 'hs-wrong-upgrade', 'Upgrade: h2c', { hs: { upgrade: 'h2c' }, server: [hello, done] });
add(H, 'hs-missing-connection', 'no Connection header', { hs: { connection: null }, server: [hello, done] });
add(H, 'hs-wrong-connection', 'Connection: keep-alive (no "upgrade" token)',
  { hs: { connection: 'keep-alive' }, server: [hello, done] });
add(H, 'hs-header-case', 'lower-case header names, "WebSocket", "keep-alive, Upgrade": all valid',
  { hs: { lowerCase: true, upgrade: 'WebSocket', connection: 'keep-alive, Upgrade' }, server: [hello, done] });
add(H, 'hs-extra-headers', 'the 101 carries unrelated headers (Set-Cookie, Server, X-Custom)',
  { hs: { headers: [['Server', 'parity/1'], ['Set-Cookie', 'a=b; Path=/'], ['X-Custom', 'yes']] },
    server: [hello, done] });
add(H, 'hs-protocol-chosen', 'offers chat, superchat; the server chooses superchat',
  { hs: { protocol: 'last' }, server: [hello, done], client: { protocols: ['chat', 'superchat'] } });
add(H, 'hs-protocol-first', 'offers alpha, beta; the server chooses alpha',
  { hs: { protocol: 'first' }, server: [hello, done], client: { protocols: ['alpha', 'beta'] } });
add(H, 'hs-protocol-missing', 'offers chat; the server answers without Sec-WebSocket-Protocol',
  { hs: { protocol: null }, server: [hello, done], client: { protocols: ['chat'] } });
add(H, 'hs-protocol-not-offered', 'offers chat; the server answers "other"',
  { hs: { protocol: 'other' }, server: [hello, done], client: { protocols: ['chat'] } });
add(H, 'hs-protocol-unrequested', 'offers nothing; the server answers "chat"',
  { hs: { protocol: 'chat' }, server: [hello, done] });
add(H, 'hs-protocol-list', 'offers alpha, beta; the server answers "alpha, beta"',
  { hs: { protocol: 'alpha, beta' }, server: [hello, done], client: { protocols: ['alpha', 'beta'] } });
add(H, 'hs-protocol-case', 'offers chat; the server answers "Chat" (subprotocols are case-sensitive)',
  { hs: { protocol: 'Chat' }, server: [hello, done], client: { protocols: ['chat'] } });
add(H, 'hs-extension-unrequested', 'the server answers Sec-WebSocket-Extensions: x-unknown',
  { hs: { extensions: 'x-unknown' }, server: [hello, done] });
add(H, 'hs-never-answers', 'reads the request and never answers; the client gives up after timeout 500 ms',
  { hs: { mode: 'never' }, client: { timeout: 500 } });
add(H, 'hs-drop-after-request', 'TCP FIN right after reading the request', { hs: { mode: 'drop' } });
add(H, 'hs-reset-after-request', 'TCP RST right after reading the request', { hs: { mode: 'reset' } });
add(H, 'hs-drop-mid-status', 'writes half a status line, then FIN',
  { hs: { mode: 'partial', partial: 'HTTP/1.1 101 Swi' } });
add(H, 'hs-drop-mid-headers', 'writes the status line and Upgrade, then FIN',
  { hs: { mode: 'partial', partial: 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n' } });
add(H, 'hs-response-bytewise', 'the 101 response arrives one byte per write',
  { hs: { mode: 'bytewise' }, server: [hello, done] });
add(H, 'hs-response-with-frame', 'the 101 response and the first frame arrive in one write',
  { hs: { coalesce: true }, server: [hello, done] });
add(H, 'hs-report-upgrade-headers', 'the server reports Host, Upgrade and Connection as it saw them',
  { server: [{ report: 'upgrade' }, done], client: { printText: true } });
add(H, 'hs-report-request', 'the server reports the version, key length and offered protocols it saw',
  { hs: { protocol: 'first' }, server: [{ report: 'request' }, done],
    client: { protocols: ['chat', 'v2.parity'], printText: true } });

// Whether the TCP connection even reaches the server before close() aborts it is a race in every client:
// these two compare events only (wire: false).
add(H, 'hs-slow-within-timeout', 'answers after 300 ms; the tt timeout is 2000 ms',
  { hs: { delay: 300 }, server: [hello, done], client: { timeout: 2000 } });
add(H, 'hs-slow-after-timeout', 'would answer after 8 s; the tt timeout is 300 ms',
  { hs: { delay: 8000 }, server: [hello, done], client: { timeout: 300 } });
add(H, 'hs-status-101-no-phrase', 'answers "HTTP/1.1 101" without a reason phrase',
  { hs: { statusLine: 'HTTP/1.1 101' }, server: [hello, done] });
add(H, 'hs-status-101-lowercase-http', 'answers "http/1.1 101 Switching Protocols"',
  { hs: { statusLine: 'http/1.1 101 Switching Protocols' }, server: [hello, done] });
add(H, 'hs-lf-line-ends', 'the 101 response uses bare LF line ends',
  { hs: { lfOnly: true }, server: [hello, done] });
add(H, 'hs-duplicate-accept', 'Sec-WebSocket-Accept appears twice (same value)',
  { hs: { duplicateAccept: true }, server: [hello, done] });
add(H, 'hs-status-401', 'answers 401 with WWW-Authenticate: Basic',
  { hs: { status: 401, body: 'auth\n', headers: [['WWW-Authenticate', 'Basic realm="parity"']] } });
add(H, 'hs-protocol-empty', 'offers chat; the server answers an empty Sec-WebSocket-Protocol',
  { hs: { protocol: '' }, server: [hello, done], client: { protocols: ['chat'] } });
add(H, 'hs-close-while-connecting', 'the client closes 1000 right after connecting; the server never answers',
  { wire: false, hs: { mode: 'never' }, client: { atConnect: true, actions: [{ close: { code: 1000, reason: 'never mind' } }] } });
add(H, 'hs-close-before-101', 'the client closes right after connecting; the server would answer normally',
  { wire: false, server: [hello, done], client: { atConnect: true, actions: [{ close: { code: 3000, reason: 'early' } }] } });
add(H, 'hs-send-while-connecting', 'the client sends right after connecting (refused: not open), then the run goes on',
  { server: [hello, done], client: { atConnect: true, actions: [{ send: 'text', data: 'early' }] } });

// ---- Framing ------------------------------------------------------------------------------------------
const F = 'framing';
const sizes = [['0', 0, 'text'], ['125', 125, 'text'], ['126', 126, 'binary'], ['65535', 65535, 'binary'],
  ['65536', 65536, 'binary'], ['1mib', 1 << 20, 'binary'], ['16mib', 16 << 20, 'binary'],
  ['1mib-text', 1 << 20, 'text']];
for (const [label, n, type] of sizes) {
  add(F, `fr-len-${label}`, `one ${type} message of ${n} bytes (length encoding ${n < 126 ? '7-bit' :
    n < 65536 ? '16-bit' : '64-bit'})`,
  { server: [{ send: type, data: type === 'text' ? { textPattern: n } : { binPattern: n } }, done],
    client: n >= 1 << 20 ? { deadline: 15000 } : {} });
}
add(F, 'fr-nonminimal-16', '5-byte text with a 16-bit length (non-minimal encoding)',
  { server: [{ frame: { op: 1, data: 'hello', len: 16 } }, done] });
add(F, 'fr-nonminimal-64', '5-byte text with a 64-bit length (non-minimal encoding)',
  { server: [{ frame: { op: 1, data: 'hello', len: 64 } }, done] });
add(F, 'fr-len64-msb', 'a 64-bit length with the most significant bit set',
  { server: [{ raw: '82ff8000000000000005' + '0102030405' }, done] });
// Chromium's frame parser takes payload lengths up to 2^31 - 1 (INT32_MAX). A header announcing more is
// refused as ERR_MSG_TOO_BIG, which the channel handles like a lost connection: close 1006, no error, no
// Close frame. Up to 2^31 - 1 it waits for the data (here a FIN comes first: a drop mid-frame).
add(F, 'fr-len64-2pow31', 'a binary frame header announcing 2^31 bytes, no payload',
  { server: [{ raw: '827f0000000080000000' }] });
add(F, 'fr-ping-len64-2pow31', 'a ping header announcing 2^31 bytes, no payload',
  { server: [{ raw: '897f0000000080000000' }] });
add(F, 'fr-len64-2pow31-minus-1', 'a binary frame header announcing 2^31 - 1 bytes and 5 of them, then FIN',
  { server: [{ raw: '827f000000007fffffff' + '0102030405' }, { delay: 300 }, { end: true }] });
add(F, 'fr-fragmented-text', 'a text message in three fragments',
  { server: [{ frame: { op: 1, fin: 0, data: 'hel' } }, { frame: { op: 0, fin: 0, data: 'lo, ' } },
    { frame: { op: 0, data: 'world' } }, done] });
add(F, 'fr-fragmented-binary', 'a 100000-byte binary message in four fragments',
  { server: [{ frame: { op: 2, fin: 0, data: { binPattern: 30000 } } },
    { frame: { op: 0, fin: 0, data: { binPattern: 30000 } } },
    { frame: { op: 0, fin: 0, data: { binPattern: 30000 } } },
    { frame: { op: 0, data: { binPattern: 10000 } } }, done] });
add(F, 'fr-fragmented-empty', 'a text message made of an empty start, empty continuation and "x"',
  { server: [{ frame: { op: 1, fin: 0, data: '' } }, { frame: { op: 0, fin: 0, data: '' } },
    { frame: { op: 0, data: 'x' } }, done] });
add(F, 'fr-ping-in-fragments', 'a ping between fragments; the server then reports the pong',
  { server: [{ frame: { op: 1, fin: 0, data: 'frag' } }, { frame: { op: 9, data: 'mid' } },
    { frame: { op: 0, data: 'ment' } }, { await: 'pong' }, { report: 'pong' }, done],
  client: { printText: true } });
add(F, 'fr-close-in-fragments', 'a Close 1000 between the fragments of a text message',
  { server: [{ frame: { op: 1, fin: 0, data: 'part' } }, { close: { code: 1000, reason: 'mid' } }] });
for (const [bit, label] of [['rsv1', 'RSV1'], ['rsv2', 'RSV2'], ['rsv3', 'RSV3']]) {
  add(F, `fr-${bit}`, `a text frame with ${label} set and no extension negotiated`,
    { server: [{ frame: { op: 1, data: 'hello', [bit]: 1 } }, done] });
}
for (const op of [3, 7, 0xb, 0xf]) {
  add(F, `fr-opcode-${op.toString(16)}`, `a frame with reserved opcode 0x${op.toString(16)}`,
    { server: [{ frame: { op, data: 'x' } }, done] });
}
add(F, 'fr-continuation-without-start', 'a continuation frame with no message in progress',
  { server: [{ frame: { op: 0, data: 'orphan' } }, done] });
add(F, 'fr-data-inside-fragmented', 'a new text frame while a fragmented message is open',
  { server: [{ frame: { op: 1, fin: 0, data: 'first' } }, { frame: { op: 1, data: 'second' } }, done] });
add(F, 'fr-masked-server-frame', 'the server masks its frame',
  { server: [{ frame: { op: 1, data: 'hello', masked: 1 } }, done] });
add(F, 'fr-ping-126', 'a ping with a 126-byte payload', { server: [{ frame: { op: 9, data: { binPattern: 126 } } }, done] });
add(F, 'fr-ping-fragmented', 'a ping with FIN clear', { server: [{ frame: { op: 9, fin: 0, data: 'p' } }, done] });
add(F, 'fr-close-126', 'a Close with a 126-byte payload',
  { server: [{ frame: { op: 8, data: { hex: '03e8' + '61'.repeat(124) } } }] });
add(F, 'fr-pong-unsolicited', 'an unsolicited pong, then a message',
  { server: [{ frame: { op: 10, data: 'pong?' } }, hello, done] });
add(F, 'fr-ping-125', 'a ping with the largest legal payload; the server reports the pong',
  { server: [{ frame: { op: 9, data: { binPattern: 125 } } }, { await: 'pong' }, { report: 'pong' }, done],
    client: { printText: true } });
add(F, 'fr-ping-empty', 'an empty ping; the server reports the pong',
  { server: [{ frame: { op: 9, data: '' } }, { await: 'pong' }, { report: 'pong' }, done],
    client: { printText: true } });
add(F, 'fr-pings-between-64-fragments', 'a 256 KiB binary message in 64 fragments with a ping before each; pongs reported',
  { server: [...Array.from({ length: 64 }, (_, i) => [{ frame: { op: 9, data: `p${i}` } },
    { frame: { op: i ? 0 : 2, fin: i === 63 ? 1 : 0, data: { binPattern: 4096 } } }]).flat(),
  { await: 'pong', count: 64 }, { report: 'pongs' }, done], client: { printText: true } });
add(F, 'fr-many-messages', '200 small messages in one write, alternating text and binary',
  { server: [...Array.from({ length: 200 }, (_, i) => i % 2 ?
      { send: 'binary', data: { binPattern: i } } : { send: 'text', data: `m${i}` }), done] });
add(F, 'fr-bytewise', 'a 300-byte text message written one byte per write',
  { server: [{ send: 'text', data: { textPattern: 300 }, bytewise: true }, done] });
add(F, 'fr-message-then-invalid', 'a valid message, then a reserved opcode, in one write',
  { server: [hello, { frame: { op: 3, data: 'x' } }, done] });

// ---- UTF-8 in text messages -----------------------------------------------------------------------------
const U = 'utf8';
const badUtf8 = [
  ['utf8-invalid-ff', 'the byte 0xFF', '61ff62'],
  ['utf8-lone-continuation', 'a lone continuation byte 0x80', '618062'],
  ['utf8-overlong-2', 'overlong "/" in 2 bytes (C0 AF)', '61c0af'],
  ['utf8-overlong-3', 'overlong "/" in 3 bytes (E0 80 AF)', '61e080af'],
  ['utf8-overlong-4', 'overlong "/" in 4 bytes (F0 80 80 AF)', '61f08080af'],
  ['utf8-surrogate-high', 'an encoded high surrogate U+D800 (ED A0 80)', '61eda080'],
  ['utf8-surrogate-low', 'an encoded low surrogate U+DFFF (ED BF BF)', '61edbfbf'],
  ['utf8-above-10ffff', 'U+110000 (F4 90 80 80)', '61f4908080'],
  ['utf8-lead-f5', 'the lead byte F5', '61f5808080'],
  ['utf8-truncated', 'a 3-byte sequence cut short at the end of the message (E2 82)', '61e282'],
];
for (const [name, what, hex] of badUtf8) {
  add(U, name, `a text message with ${what}`, { server: [{ send: 'text', data: { hex } }, done] });
}
add(U, 'utf8-invalid-split-fragments', 'E2 82 ends fragment 1, fragment 2 starts with "Z"',
  { server: [{ frame: { op: 1, fin: 0, data: { hex: '6162e282' } } }, { frame: { op: 0, data: 'Z' } }, done] });
add(U, 'utf8-invalid-first-fragment', 'fragment 1 holds 0xFF; the server then closes 1000 without finishing',
  { server: [{ frame: { op: 1, fin: 0, data: { hex: '61ff' } } }, done] });
add(U, 'utf8-valid-split-3', '"€" (E2 82 AC) split over three fragments',
  { server: [{ frame: { op: 1, fin: 0, data: { hex: '41e2' } } }, { frame: { op: 0, fin: 0, data: { hex: '82' } } },
    { frame: { op: 0, data: { hex: 'ac42' } } }, done], client: { printText: true } });
add(U, 'utf8-valid-split-4', 'U+1F600 (F0 9F 98 80) split after its second byte',
  { server: [{ frame: { op: 1, fin: 0, data: { hex: 'f09f' } } }, { frame: { op: 0, data: { hex: '9880' } } }, done],
    client: { printText: true } });
add(U, 'utf8-valid-mixed', 'text with 1-, 2-, 3- and 4-byte characters',
  { server: [{ send: 'text', data: 'h\u00e9llo w\u00f6rld \u2713 \u{1F600}' }, done], client: { printText: true } });
add(U, 'utf8-noncharacter', 'U+FFFF and U+10FFFF (valid noncharacters)',
  { server: [{ send: 'text', data: { hex: 'efbfbff48fbfbf' } }, done], client: { printText: true } });
add(U, 'utf8-bom', 'a leading byte-order mark (EF BB BF) must be kept',
  { server: [{ send: 'text', data: { hex: 'efbbbf78' } }, done] });
add(U, 'utf8-bom-send', 'a text message the client sends with a leading U+FEFF reaches the server with it',
  { echo: true, client: { printText: true, actions: [{ send: 'text', data: '\uFEFFhi' }, { wait: 'message' },
    { close: { code: 1000, reason: 'bye' } }] } });
add(U, 'utf8-bom-close-reason-server', 'a close reason from the server with a leading U+FEFF keeps it',
  { server: [{ close: { code: 4000, reason: '\uFEFFbye' } }] });
add(U, 'utf8-bom-close-reason-client', 'a close reason the client sends with a leading U+FEFF keeps it',
  { client: { actions: [{ close: { code: 4000, reason: '\uFEFFbye' } }] } });
add(U, 'utf8-nul', 'text containing U+0000', { server: [{ send: 'text', data: { hex: '610062000063' } }, done] });
add(U, 'utf8-binary-not-checked', 'a binary message with FF FE is not UTF-8 checked',
  { server: [{ send: 'binary', data: { hex: 'fffe' } }, done] });

// ---- Close ------------------------------------------------------------------------------------------------
const C = 'close';
for (const [code, reason] of [[1000, 'normal'], [1001, 'going away'], [1002, 'protocol'], [1003, 'data'],
  [1007, 'utf8'], [1008, 'policy'], [1009, 'too big'], [1010, 'ext'], [1011, 'error'], [1012, 'restart'],
  [1013, 'later'], [1014, 'gateway'], [3000, 'registered'], [4999, 'private']]) {
  add(C, `close-server-${code}`, `the server closes with ${code} "${reason}"`,
    { server: [{ close: { code, reason } }] });
}
add(C, 'close-server-empty', 'the server closes with an empty Close (no code): 1005', { server: [{ close: {} }] });
add(C, 'close-server-1byte', 'a Close with a 1-byte payload', { server: [{ close: { hex: '03' } }] });
for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]) {
  add(C, `close-server-invalid-${code}`, `the server closes with the invalid code ${code}`,
    { server: [{ close: { code, reason: 'bad' } }] });
}
add(C, 'close-server-invalid-utf8-reason', 'code 1000 with a reason that is not UTF-8',
  { server: [{ close: { hex: '03e8' + '61ff62' } }] });
add(C, 'close-server-reason-123', 'code 1000 with a 123-byte reason',
  { server: [{ close: { code: 1000, reason: 'r'.repeat(123) } }] });
add(C, 'close-server-reason-utf8', 'code 3001 with a multi-byte UTF-8 reason',
  { server: [{ close: { code: 3001, reason: 'bye \u2713 \u00e9t\u00e9' } }] });
add(C, 'close-server-data-after', 'a text frame right after the server\'s Close',
  { server: [{ close: { code: 1000, reason: 'first' } }, { send: 'text', data: 'late' }] });
add(C, 'close-server-data-later', 'Close 1000; after the client\'s Close arrives, a text frame in a later write',
  { server: [{ close: { code: 1000, reason: 'first' } }, { await: 'close' }, { send: 'text', data: 'late' }] });
// What Chromium does with a frame that follows the server's Close depends on whether the frame is a control
// frame with a payload (always fails), a data frame (fails) or an empty control frame, and on when it arrives.
// The matrix below records each combination: right after open or after a 256 KiB message, in the same write
// as the Close or after the client's Close came back.
const AFTER_CLOSE = [
  ['ping-empty', 'an empty Ping', { frame: { op: 9, data: '' } }],
  ['ping-data', 'a Ping "p"', { frame: { op: 9, data: 'p' } }],
  ['pong-empty', 'an empty Pong', { frame: { op: 10, data: '' } }],
  ['pong-data', 'a Pong "p"', { frame: { op: 10, data: 'p' } }],
  ['text-empty', 'an empty text frame', { send: 'text', data: '' }],
  ['text-data', 'a text frame "late"', { send: 'text', data: 'late' }],
];
const LARGE = [{ send: 'text', data: { textPattern: 256 * 1024 } }, { send: 'text', data: 'Hello World!' }];
for (const [tag, what, frame] of AFTER_CLOSE) {
  const close = { close: { code: 1000, reason: 'first' } };
  add(C, `after-close-${tag}-at-once`, `Close 1000 and ${what} in one write, right after open`,
    { server: [close, frame] });
  add(C, `after-close-${tag}-after-large`, `a 256 KiB text message, "Hello World!", Close 1000 and ${what} in one write`,
    { server: [...LARGE, close, frame] });
  add(C, `after-close-${tag}-later`, `Close 1000; once the client's Close arrived, ${what} in a later write`,
    { server: [close, { await: 'close' }, frame] });
  add(C, `after-close-${tag}-large-later`, `a 256 KiB text message, "Hello World!", Close 1000; once the client's Close arrived, ${what}`,
    { server: [...LARGE, close, { await: 'close' }, frame] });
}
// Where the hold starts: a Close behind 131000 message bytes is answered at once, behind 131001 it waits.
for (const n of [131000, 131001]) {
  add(C, `after-close-ping-data-behind-${n}`, `a ${n}-byte text message, Close 1000 and a Ping "p" in one write`,
    { server: [{ send: 'text', data: { textPattern: n } }, { close: { code: 1000, reason: 'first' } },
      { frame: { op: 9, data: 'p' } }] });
}
add(C, 'close-server-messages-before', 'three messages and a Close in one write',
  { server: [{ send: 'text', data: 'one' }, { send: 'binary', data: { binPattern: 2 } },
    { send: 'text', data: 'three' }, { close: { code: 3002, reason: 'after three' } }] });
add(C, 'close-server-fin-at-once', 'Close 1000, then FIN without waiting for the client\'s Close',
  { server: [{ close: { code: 1000, reason: 'quick' } }, { end: true }] });
add(C, 'close-server-rst-at-once', 'Close 1000, then RST at once',
  { server: [{ close: { code: 1000, reason: 'rst' } }, { reset: true }] });
add(C, 'close-server-no-fin', 'Close 1000; after the client\'s Close the server keeps TCP open',
  { server: [{ close: { code: 1000, reason: 'linger' } }], after: 'ignore', client: { deadline: 6000 } });
add(C, 'tcp-fin-no-close', 'after opening, the server sends FIN without any Close', { server: [{ end: true }] });
add(C, 'tcp-rst-no-close', 'after opening, the server resets the connection', { server: [{ reset: true }] });
add(C, 'tcp-fin-after-message', 'a message, then FIN without a Close', { server: [hello, { end: true }] });
add(C, 'close-client-1000', 'the client closes 1000 "bye"; the server echoes the Close',
  { client: { actions: [{ close: { code: 1000, reason: 'bye' } }] } });
add(C, 'close-client-default', 'the client closes with the default code (tt default 1000, empty reason)',
  { client: { actions: [{ close: { code: 0 } }] } });
add(C, 'close-client-1001', 'the client closes 1001 "background" (tt allows it, a browser\'s close() does not)',
  { client: { actions: [{ close: { code: 1001, reason: 'background' } }] } });
add(C, 'close-client-3000', 'the client closes 3000 with a UTF-8 reason',
  { client: { actions: [{ close: { code: 3000, reason: 'fin \u2713' } }] } });
add(C, 'close-client-4999-123', 'the client closes 4999 with a 123-byte reason',
  { client: { actions: [{ close: { code: 4999, reason: 'x'.repeat(123) } }] } });
add(C, 'close-client-then-send', 'the client closes, then sends (dropped: CLOSING)',
  { client: { actions: [{ close: { code: 1000, reason: 'bye' } }, { send: 'text', data: 'late' }] } });
add(C, 'close-client-twice', 'the client closes twice (the second is refused / a no-op)',
  { client: { actions: [{ close: { code: 1000, reason: 'one' } }, { close: { code: 3000, reason: 'two' } }] } });
add(C, 'close-client-invalid-code', 'close(999), close(1005), close(5000) are refused; then close 1000',
  { client: { actions: [{ close: { code: 999, reason: 'x' } }, { close: { code: 1005, reason: 'x' } },
    { close: { code: 5000, reason: 'x' } }, { close: { code: 1000, reason: 'after' } }] } });
add(C, 'close-client-reason-124', 'close(3000) with a 124-byte reason is refused; then close 3000 with 123 bytes',
  { client: { actions: [{ close: { code: 3000, reason: 'r'.repeat(124) } },
    { close: { code: 3000, reason: 'r'.repeat(123) } }] } });
add(C, 'close-client-noanswer-hold', 'the server never answers the client\'s Close and keeps TCP open',
  { after: 'ignore', client: { deadline: 1500, actions: [{ close: { code: 1000, reason: 'bye' } }] } });
add(C, 'close-client-answer-hold', 'the server answers the client\'s Close but never closes TCP (the 2 s wait runs out)',
  { after: 'hold', client: { actions: [{ close: { code: 1000, reason: 'bye' } }] } });
add(C, 'close-client-noanswer-fin', 'the server answers the client\'s Close with FIN only',
  { after: 'fin', client: { actions: [{ close: { code: 1000, reason: 'bye' } }] } });
add(C, 'close-client-other-reply', 'the client closes 1000; the server answers 3001 "other"',
  { after: { code: 3001, reason: 'other' }, client: { actions: [{ close: { code: 1000, reason: 'bye' } }] } });
add(C, 'close-client-empty-reply', 'the client closes 1000; the server answers with an empty Close',
  { after: 'empty', client: { actions: [{ close: { code: 1000, reason: 'bye' } }] } });
add(C, 'close-simultaneous', 'the server sends Close 3003 right after 101 while the client closes 1000 in onOpen',
  { hs: { coalesce: true }, server: [{ close: { code: 3003, reason: 'server first' } }],
    client: { actions: [{ close: { code: 1000, reason: 'client' } }] } });
add(C, 'close-message-after-client-close', 'the server sends a message after the client\'s Close arrived',
  { server: [{ await: 'close' }, { send: 'text', data: 'too late' }, { close: { code: 1000, reason: 'bye' } },
    { end: true }], after: 'ignore', client: { actions: [{ close: { code: 1000, reason: 'bye' } }] } });

// ---- What the client sends ----------------------------------------------------------------------------------
const B = 'client';
add(B, 'client-echo-text', 'the client sends three text messages; the server echoes them',
  { echo: true, client: { printText: true, actions: [{ send: 'text', data: 'hello' }, { wait: 'message' },
    { send: 'text', data: 'h\u00e9llo \u2713 \u{1F600}' }, { wait: 'message' }, { send: 'text', data: '' },
    { wait: 'message' }, { close: { code: 1000, reason: 'bye' } }] } });
add(B, 'client-echo-binary', 'the client sends binary messages of 0, 1000 and 70000 bytes; the server echoes them',
  { echo: true, client: { actions: [{ send: 'binary', data: { hex: '' } }, { wait: 'message' },
    { send: 'binary', data: { binPattern: 1000 } }, { wait: 'message' }, { send: 'binary', data: { binPattern: 70000 } },
    { wait: 'message' }, { close: { code: 1000, reason: 'bye' } }] } });
add(B, 'client-report-message', 'the server reports type, length, hash and masking of what the client sent',
  { server: [{ await: 'message' }, { report: 'message' }, { await: 'message' }, { report: 'message' }, done],
    client: { printText: true, actions: [{ send: 'text', data: { textPattern: 200 } },
      { send: 'binary', data: { binPattern: 5000 } }] } });
add(B, 'client-large-send', 'the client sends 1 MiB of binary; the server reports length and hash',
  { server: [{ await: 'message' }, { report: 'message' }, done],
    client: { printText: true, deadline: 15000, actions: [{ send: 'binary', data: { binPattern: 1 << 20 } }] } });
add(B, 'client-pong', 'a ping "hello-ping"; the server reports the pong payload',
  { server: [{ frame: { op: 9, data: 'hello-ping' } }, { await: 'pong' }, { report: 'pong' }, done],
    client: { printText: true } });
add(B, 'client-pong-binary', 'a ping with 100 binary bytes; the server reports the pong',
  { server: [{ frame: { op: 9, data: { binPattern: 100 } } }, { await: 'pong' }, { report: 'pong' }, done],
    client: { printText: true } });
add(B, 'client-send-results-order', 'three messages in one write; the client answers each from onMessage with a ' +
  'send carrying success/complete: each send\'s results come before the next message',
  { server: [{ send: 'text', data: 'm1' }, { send: 'text', data: 'm2' }, { send: 'text', data: 'm3' },
    { await: 'message', count: 3 }, { report: 'message' }, done],
    client: { printText: true, actions: [{ wait: 'message' }, { send: 'text', data: 'r1' }, { wait: 'message' },
      { send: 'text', data: 'r2' }, { wait: 'message' }, { send: 'text', data: 'r3' }] } });
// Not a scenario: send() in onOpen when the 101 and the server's Close arrived in one segment. Chromium drops
// the data, but wasClean comes out 0 or 1 at random (about half each under load), so it cannot be compared.

// ---- Two tasks at once ------------------------------------------------------------------------------------------
const M = 'multi';
add(M, 'multi-second-waits-for-connecting', 'task 1 hangs in the handshake (timeout 800 ms); task 2 to the same server answers at once',
  { hs: { mode: 'never' }, client: { timeout: 800, task2: 'hs-ok' } });
// Chromium lets one WebSocket per IP:port be CONNECTING at a time: task 2's handshake starts only when task
// 1's has ended. That makes these orders deterministic; a client without the rule races the two handshakes.
add(M, 'multi-first-fails', 'task 1 gets a 404, task 2 to the same server opens',
  { hs: { status: 404, body: 'no\n' }, client: { task2: 'hs-ok' } });

// ---- tt limits: the core ends an OPEN connection itself (README parity exceptions) ------------------------------
const L = 'limits';
add(L, 'limit-message-too-large', 'max_message_size 1000; the server sends 2000 bytes',
  { server: [{ send: 'binary', data: { binPattern: 2000 } }, done], client: { maxMessageSize: 1000 } });
add(L, 'limit-message-at-size', 'max_message_size 1000; the server sends exactly 1000 bytes',
  { server: [{ send: 'binary', data: { binPattern: 1000 } }, done], client: { maxMessageSize: 1000 } });
add(L, 'limit-shutdown-while-open', 'tt_runtime_shutdown from onOpen',
  { client: { deadline: 1500, actions: [{ shutdown: true }] } });

// ---- permessage-deflate (the browser always offers it) --------------------------------------------------------
const D = 'deflate';
const needs = 'permessage-deflate';
add(D, 'deflate-report-offer', 'the server reports the Sec-WebSocket-Extensions offer it saw (not accepted)',
  { needs, server: [{ report: 'extensions' }, done], client: { printText: true } });
add(D, 'deflate-text', 'permessage-deflate accepted; a compressed text message',
  { needs, hs: { extensions: 'permessage-deflate' },
    server: [{ send: 'text', data: 'hello hello hello hello', compress: true }, done], client: { printText: true } });
add(D, 'deflate-binary-large', 'permessage-deflate accepted; a compressed 1 MiB binary message',
  { needs, hs: { extensions: 'permessage-deflate' },
    server: [{ send: 'binary', data: { binPattern: 1 << 20 }, compress: true }, done] });
add(D, 'deflate-no-context-takeover', 'permessage-deflate with both no_context_takeover parameters; client echo',
  { needs, echo: true, hs: { extensions: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover' },
    client: { printText: true, actions: [{ send: 'text', data: 'compress me compress me' }, { wait: 'message' },
      { close: { code: 1000, reason: 'bye' } }] } });
add(D, 'deflate-uncompressed-message', 'permessage-deflate accepted; a message sent without RSV1',
  { needs, hs: { extensions: 'permessage-deflate' }, server: [hello, done], client: { printText: true } });
add(D, 'deflate-bad-data', 'permessage-deflate accepted; RSV1 set on data that does not inflate',
  { needs, hs: { extensions: 'permessage-deflate' },
    server: [{ frame: { op: 1, rsv1: 1, data: { hex: 'ffffffff' } } }, done] });
add(D, 'deflate-rsv1-on-ping', 'permessage-deflate accepted; a ping with RSV1 set',
  { needs, hs: { extensions: 'permessage-deflate' }, server: [{ frame: { op: 9, rsv1: 1, data: 'p' } }, done] });
add(D, 'deflate-unknown-param', 'the server answers permessage-deflate with an unknown parameter',
  { needs, hs: { extensions: 'permessage-deflate; x_unknown=1' }, server: [hello, done] });
add(D, 'deflate-client-bits-unoffered', 'the server answers permessage-deflate; server_max_window_bits=10',
  { needs, hs: { extensions: 'permessage-deflate; server_max_window_bits=10' },
    server: [{ send: 'text', data: 'abcabcabcabc', compress: true }, done], client: { printText: true } });

add(D, 'deflate-takeover-server', 'context takeover: three compressed messages from one deflate stream',
  { needs, hs: { extensions: 'permessage-deflate' }, client: { printText: true },
    server: [{ send: 'text', data: 'the quick brown fox jumps', compress: true },
      { send: 'text', data: 'the quick brown fox jumps again', compress: true },
      { send: 'binary', data: { binPattern: 3000 }, compress: true }, done] });
add(D, 'deflate-fragmented', 'a compressed message in three fragments (RSV1 on the first only)',
  { needs, hs: { extensions: 'permessage-deflate; server_no_context_takeover' }, client: { printText: true },
    // "this is split over fragments", deflated with a sync flush, 00 00 ff ff removed, cut 5 / 10 / 15
    server: [{ frame: { op: 1, fin: 0, rsv1: 1, data: { hex: '2ac9c82c56' } } },
      { frame: { op: 0, fin: 0, data: { hex: 'c82c56282ec8c92c51c8' } } },
      { frame: { op: 0, data: { hex: '2f4b2d52482b4a4ccf4dcd2b290600' } } }, done] });
add(D, 'deflate-rsv1-on-continuation', 'RSV1 set on a continuation frame',
  { needs, hs: { extensions: 'permessage-deflate' },
    server: [{ frame: { op: 1, fin: 0, data: 'ab' } }, { frame: { op: 0, rsv1: 1, data: 'cd' } }, done] });
add(D, 'deflate-takeover-client', 'the client sends three similar messages (context takeover); the server reports each',
  { needs, hs: { extensions: 'permessage-deflate' },
    server: [{ await: 'message' }, { report: 'message' }, { await: 'message' }, { report: 'message' },
      { await: 'message' }, { report: 'message' }, done],
    client: { printText: true, actions: [{ send: 'text', data: { repeat: 'hello deflate world ', count: 20 } },
      { send: 'text', data: { repeat: 'hello deflate world ', count: 21 } },
      { send: 'binary', data: { binPattern: 4096 } }] } });
add(D, 'deflate-client-window-10', 'the server limits client_max_window_bits=10; the client sends 20 KB repeating every 1500 bytes',
  { needs, hs: { extensions: 'permessage-deflate; client_max_window_bits=10' },
    server: [{ await: 'message' }, { report: 'message' }, done],
    client: { printText: true, actions: [{ send: 'text', data: { periodText: 20000, period: 1500 } }] } });
add(D, 'deflate-client-window-15', 'as deflate-client-window-10 without the limit (the server inflates with a 15-bit window)',
  { needs, hs: { extensions: 'permessage-deflate' }, server: [{ await: 'message' }, { report: 'message' }, done],
    client: { printText: true, actions: [{ send: 'text', data: { periodText: 20000, period: 1500 } }] } });

add(D, 'deflate-twice', 'the server answers "permessage-deflate, permessage-deflate"',
  { needs, hs: { extensions: 'permessage-deflate, permessage-deflate' }, server: [hello, done] });
add(D, 'deflate-client-bits-7', 'the server answers client_max_window_bits=7 (out of range)',
  { needs, hs: { extensions: 'permessage-deflate; client_max_window_bits=7' }, server: [hello, done] });
add(D, 'deflate-server-bits-8', 'the server answers server_max_window_bits=8 and compresses with a small window',
  { needs, hs: { extensions: 'permessage-deflate; server_max_window_bits=8' },
    server: [{ send: 'text', data: { repeat: 'window eight ', count: 40 }, compress: true }, done] });
add(D, 'deflate-param-value-quoted', 'the server answers client_max_window_bits="10" (quoted value)',
  { needs, hs: { extensions: 'permessage-deflate; client_max_window_bits="10"' }, server: [hello, done] });

export const SCENARIOS = S;
export const DEFAULT_DEADLINE_MS = 4000;

// ---- Payloads, shared by server and browser recorder ------------------------------------------------------
export function payloadBytes(spec) {
  if (spec === undefined || spec === null) return Buffer.alloc(0);
  if (typeof spec === 'string') return Buffer.from(spec, 'utf8');
  if (spec.hex !== undefined) return Buffer.from(spec.hex, 'hex');
  if (spec.textPattern !== undefined) {
    const b = Buffer.alloc(spec.textPattern);
    for (let i = 0; i < b.length; i++) b[i] = 97 + (i * 7) % 26;
    return b;
  }
  if (spec.binPattern !== undefined) {
    const b = Buffer.alloc(spec.binPattern);
    for (let i = 0; i < b.length; i++) b[i] = (i * 131 + 7) & 0xff;
    return b;
  }
  if (spec.repeat !== undefined) return Buffer.from(spec.repeat.repeat(spec.count), 'utf8');
  if (spec.periodText !== undefined) return periodText(spec.periodText, spec.period);
  throw new Error(`bad payload spec ${JSON.stringify(spec)}`);
}

// n letters that look random within each period and repeat exactly every `period` bytes: a compressor
// must reach back `period` bytes to profit, which a small window forbids. Same bytes as driver.c.
export function periodText(n, period) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    const h = Math.imul(i % period, 2654435761 | 0) >>> 0;
    b[i] = 97 + ((h >>> 16) % 26);
  }
  return b;
}

// The driver's command line for one scenario (the same argv for the native binary and the wasm callMain).
export function driverArgs(scenario, url) {
  const c = scenario.client;
  const a = [url];
  for (const p of c.protocols || []) a.push(`--protocol=${p}`);
  if (c.timeout) a.push(`--timeout=${c.timeout}`);
  a.push(`--deadline=${c.deadline || DEFAULT_DEADLINE_MS}`);
  if (c.printText) a.push('--print-text');
  if (c.atConnect) a.push('--at-connect');
  if (c.maxMessageSize) a.push(`--max-message-size=${c.maxMessageSize}`);
  if (c.task2) a.push(`--task2=${url.replace(`/s/${scenario.name}?run=`, `/s/${c.task2}?run=task2-`)}`);
  for (const act of c.actions) {
    if (act.wait) a.push('--wait');
    else if (act.shutdown) a.push('--shutdown');
    else if (act.close) a.push(`--close=${act.close.code}:${act.close.reason ?? ''}`);
    else if (act.send) {
      const d = act.data;
      if (typeof d === 'string') a.push(`--send-${act.send}=${d}`);
      else if (d.repeat !== undefined) a.push(`--send-${act.send}=${d.repeat.repeat(d.count)}`);
      else if (d.hex !== undefined) a.push(`--send-${act.send}-hex=${d.hex}`);
      else if (d.textPattern !== undefined) a.push(`--send-${act.send}-pattern-text=${d.textPattern}`);
      else if (d.periodText !== undefined) a.push(`--send-${act.send}-pattern-period=${d.periodText}:${d.period}`);
      else if (d.binPattern !== undefined) a.push(`--send-${act.send}-pattern-bin=${d.binPattern}`);
      else throw new Error(`bad client payload in ${scenario.name}`);
    }
  }
  return a;
}
