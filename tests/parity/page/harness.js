// Runs parity scenarios inside Chromium, two ways, with the same argv as tests/parity/driver.c:
//
//   window.ttParity.runPlain(argv)  the reference: a plain JS WebSocket client that prints the trace the
//                                   driver would print, minus the tt-only result lines (success / fail /
//                                   complete). tt's timeout is emulated as the web build does it: a timer
//                                   plus close(), reported as "WebSocket connection timed out".
//   window.ttParity.runWasm(argv)   the real driver (driver.c linked with the web build), a fresh module
//                                   instance per run; returns {lines, stderr}.
//   window.ttParity.closeLeftovers()  closes every socket a finished run left open (after a deadline), once
//                                   the runner has fetched the server's wire log.
//
// Every WebSocket created in this page is tracked (tests/support/page/tracked_sockets.js) so nothing outlives
// its scenario.
import { closeLeftovers } from '/support/tracked_sockets.js';

const GRACE_MS = 100;
const encoder = new TextEncoder();

function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}
const hex8 = (n) => n.toString(16).padStart(8, '0');

function hexBytes(s) {
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.substr(2 * i, 2), 16);
  return b;
}
function pattern(n, text) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = text ? 97 + (i * 7) % 26 : (i * 131 + 7) & 0xff;
  return b;
}

// The same argument language as driver.c.
function parseArgs(argv) {
  const spec = { url: argv[0], protocols: [], timeout: 0, deadline: 4000, printText: false, actions: [] };
  const val = (a, name) => (a.startsWith(name) ? a.slice(name.length) : null);
  for (const a of argv.slice(1)) {
    let v;
    if ((v = val(a, '--protocol=')) !== null) spec.protocols.push(v);
    else if ((v = val(a, '--timeout=')) !== null) spec.timeout = parseInt(v, 10);
    else if ((v = val(a, '--deadline=')) !== null) spec.deadline = parseInt(v, 10);
    else if (a === '--print-text') spec.printText = true;
    else if (a === '--at-connect') spec.atConnect = true;
    else if ((v = val(a, '--task2=')) !== null) spec.task2 = v;
    else if (a === '--wait') spec.actions.push({ kind: 'wait' });
    else if (a === '--shutdown') spec.actions.push({ kind: 'shutdown' });
    else if (val(a, '--max-message-size=') !== null) spec.maxMessageSize = true; // tt only: no JS equivalent
    else if ((v = val(a, '--close=')) !== null) {
      const i = v.indexOf(':');
      spec.actions.push({ kind: 'close', code: parseInt(v, 10), reason: i < 0 ? '' : v.slice(i + 1) });
    } else if ((v = val(a, '--send-text=')) !== null) spec.actions.push({ kind: 'send', text: v });
    else if ((v = val(a, '--send-text-hex=')) !== null) {
      spec.actions.push({ kind: 'send', text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(hexBytes(v)) });
    } else if ((v = val(a, '--send-text-pattern-text=')) !== null) {
      spec.actions.push({ kind: 'send', text: new TextDecoder().decode(pattern(parseInt(v, 10), true)) });
    } else if ((v = val(a, '--send-text-pattern-period=')) !== null) {
      const [n, period] = v.split(':').map((x) => parseInt(x, 10));
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = 97 + (((Math.imul(i % period, 2654435761 | 0) >>> 0) >>> 16) % 26);
      spec.actions.push({ kind: 'send', text: new TextDecoder().decode(b) });
    } else if ((v = val(a, '--send-binary-hex=')) !== null) spec.actions.push({ kind: 'send', binary: hexBytes(v) });
    else if ((v = val(a, '--send-binary-pattern-bin=')) !== null) {
      spec.actions.push({ kind: 'send', binary: pattern(parseInt(v, 10), false) });
    } else throw new Error(`unknown argument ${a}`);
  }
  return spec;
}

// driver.c's "text" line: bytes below 0x20, 0x7f and '\' as \xHH; everything else as it is.
function textLine(s) {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    out += c < 0x20 || c === 0x7f || c === 0x5c ? `\\x${c.toString(16).padStart(2, '0')}` : ch;
  }
  const bytes = encoder.encode(out);
  if (bytes.length === 0) return ['text '];
  const lines = [];
  for (let off = 0; off < bytes.length; off += 400) {
    lines.push('text ' + new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes.subarray(off, off + 400)));
  }
  return lines;
}

function runPlain(argv) {
  const spec = parseArgs(argv);
  return new Promise((resolve) => {
    const lines = [];
    const socks = []; // {ws, prefix, closed, timedOut}
    let stopped = false;
    let finished = false;
    let waiting = false;
    let unconsumed = 0;
    let next = 0;
    let deadlineTimer = null;
    let timeoutTimer = null;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadlineTimer);
      clearTimeout(timeoutTimer);
      resolve({ lines, stderr: [] });
    };
    const main = () => socks[0].ws;

    const runActions = () => {
      waiting = false;
      while (next < spec.actions.length && !stopped) {
        const a = spec.actions[next];
        if (a.kind === 'wait') {
          if (unconsumed === 0) { waiting = true; return; }
          unconsumed--;
        } else if (a.kind === 'shutdown') {
          lines.push('fail tt_runtime_shutdown has no plain JS equivalent');
        } else if (a.kind === 'send') {
          // A throw is where tt reports a fail result: written as a tt-only "fail" line, so the comparison
          // with the web build (which gets sendSocketMessage:fail ...) ignores it like other results.
          try { main().send(a.text !== undefined ? a.text : a.binary); } catch (e) { lines.push(`${socks[0].prefix}fail send threw ${e.name}`); }
        } else {
          try { main().close(a.code === 0 ? 1000 : a.code, a.reason); } catch (e) { lines.push(`${socks[0].prefix}fail close threw ${e.name}`); }
        }
        next++;
      }
    };

    // The listeners of one socket; only the first one drives the actions.
    const attach = (sock, isMain) => {
      const { ws } = sock;
      const add = (line) => lines.push(sock.prefix + line);
      const state = () => ws.readyState;
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => {
        if (stopped) return;
        if (isMain) clearTimeout(timeoutTimer);
        add(`open protocol=${ws.protocol} extensions=${ws.extensions} state=${state()}`);
        if (isMain) runActions();
      };
      ws.onmessage = (e) => {
        if (stopped) return;
        const text = typeof e.data === 'string';
        const bytes = text ? encoder.encode(e.data) : new Uint8Array(e.data);
        const printable = text && bytes.length <= 32 && !bytes.includes(10) && !bytes.includes(0);
        if (printable) add(`message text ${bytes.length} ${e.data} state=${state()}`);
        else add(`message ${text ? 'text' : 'binary'} ${bytes.length} fnv=0x${hex8(fnv1a(bytes))} state=${state()}`);
        if (spec.printText && text) for (const l of textLine(e.data)) add(l);
        if (!isMain) return;
        unconsumed++;
        if (waiting) runActions();
      };
      ws.onerror = () => {
        if (stopped) return;
        const why = sock.timedOut ? 'WebSocket connection timed out' : 'WebSocket connection failed';
        add(`error onSocketError: ${why} state=${state()}`);
      };
      ws.onclose = (e) => {
        if (stopped) return;
        add(`close ${e.code} ${e.reason} clean=${e.wasClean ? 1 : 0} state=${state()}`);
        if (sock.closed) return;
        sock.closed = true;
        if (isMain) clearTimeout(timeoutTimer);
        if (socks.every((x) => x.closed)) {
          clearTimeout(deadlineTimer);
          setTimeout(finish, GRACE_MS);
        }
      };
    };

    const urls = spec.task2 ? [spec.url, spec.task2] : [spec.url];
    for (let i = 0; i < urls.length; i++) {
      const prefix = urls.length > 1 ? `#${i + 1} ` : '';
      let ws;
      try {
        ws = i === 0 && spec.protocols.length ? new WebSocket(urls[i], spec.protocols) : new WebSocket(urls[i]);
      } catch (e) {
        lines.push(`${prefix}constructor threw ${e.name}`);
        if (i === 0) { finish(); return; }
        continue;
      }
      const sock = { ws, prefix, closed: false, timedOut: false };
      socks.push(sock);
      attach(sock, i === 0);
    }
    if (spec.atConnect) runActions();
    if (spec.timeout > 0) {
      timeoutTimer = setTimeout(() => {
        if (main().readyState !== 0) return;
        socks[0].timedOut = true;
        main().close();
      }, spec.timeout);
    }
    deadlineTimer = setTimeout(() => {
      for (const x of socks) if (!x.closed) lines.push(`${x.prefix}deadline state=${x.ws.readyState}`);
      stopped = true;
      finish();
    }, spec.deadline);
  });
}

let driverFactory = null;

async function runWasm(argv, driverUrl) {
  if (!driverFactory) driverFactory = (await import(driverUrl)).default;
  const spec = parseArgs(argv);
  const lines = [];
  const stderr = [];
  let done;
  const finished = new Promise((r) => { done = r; });
  const mod = await driverFactory({
    print: (l) => { if (l === 'end') done(); else lines.push(l); },
    printErr: (l) => stderr.push(l),
    onExit: () => done(),
    onAbort: (what) => { stderr.push(`abort: ${what}`); done(); },
  });
  try {
    mod.callMain(argv);
  } catch (e) {
    if (!(e && e.name === 'ExitStatus')) stderr.push(`callMain threw: ${e}`);
  }
  // The driver bounds itself; this only guards against a module that died without saying so.
  const guard = new Promise((r) => setTimeout(() => { stderr.push('harness: driver never ended'); r(); },
    spec.deadline + 10000));
  await Promise.race([finished, guard]);
  return { lines, stderr };
}

window.ttParity = { runPlain, runWasm, closeLeftovers, userAgent: navigator.userAgent };
