// Runs conformance cases inside Chromium, two ways, both printing echo_client.c's summary line:
//
//   window.ttConformance.runPlain(base, n, agent, deadlineMs)   a plain JS WebSocket echo client: what Chromium
//                                                               itself does (recorded in chromium-behaviour.json)
//   window.ttConformance.runWasm(base, n, agent, deadlineMs, moduleUrl)
//                                                               echo_client.c linked with the web build, a fresh
//                                                               module instance per case
//   window.ttConformance.closeLeftovers()                       closes any socket a run left open
//
// Both resolve with {line, stderr}. Every WebSocket the page creates is tracked (tests/support/page/tracked_sockets.js).
import { closeLeftovers } from '/support/tracked_sockets.js';

// echo_client.c's escaping: UTF-8 bytes below 0x21, 0x7f and '\' as \xHH.
function escape(s) {
  const bytes = new TextEncoder().encode(s);
  const out = [];
  for (const b of bytes) {
    if (b < 0x21 || b === 0x7f || b === 0x5c) out.push(...new TextEncoder().encode(`\\x${b.toString(16).padStart(2, '0')}`));
    else out.push(b);
  }
  return new TextDecoder().decode(new Uint8Array(out));
}

function runPlain(base, n, agent, deadlineMs) {
  return new Promise((resolve) => {
    const st = { open: 0, messages: 0, echoFail: 0, error: 0 };
    let finished = false;
    const ws = new WebSocket(`${base}/runCase?case=${n}&agent=${agent}`);
    ws.binaryType = 'arraybuffer';
    const finish = (line) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      resolve({ line, stderr: [] });
    };
    const summary = (code, reason, clean, deadline) => `summary case=${n} open=${st.open} messages=${st.messages} ` +
      `echo_fail=${st.echoFail} error=${st.error} close=${code} clean=${clean} reason=${escape(reason)} detail=` +
      (deadline ? ' deadline=1' : '');
    ws.onopen = () => { st.open = 1; };
    ws.onmessage = (e) => {
      st.messages++;
      try { ws.send(e.data); } catch { st.echoFail++; }
    };
    ws.onerror = () => { st.error = 1; };
    ws.onclose = (e) => finish(summary(e.code, e.reason, e.wasClean ? 1 : 0, false));
    const timer = setTimeout(() => finish(summary(-1, '', 0, true)), deadlineMs);
  });
}

const factories = new Map();

async function runWasm(base, n, agent, deadlineMs, moduleUrl) {
  if (!factories.has(moduleUrl)) factories.set(moduleUrl, (await import(moduleUrl)).default);
  const lines = [];
  const stderr = [];
  let done;
  const finished = new Promise((r) => { done = r; });
  const mod = await factories.get(moduleUrl)({
    print: (l) => { lines.push(l); if (l.startsWith('summary ')) done(); },
    printErr: (l) => stderr.push(l),
    onExit: (status) => { if (status) stderr.push(`exit ${status}`); done(); },
    onAbort: (what) => { stderr.push(`abort: ${what}`); done(); },
  });
  try {
    mod.callMain([base, String(n), agent, String(deadlineMs)]);
  } catch (e) {
    if (!(e && e.name === 'ExitStatus')) stderr.push(`callMain threw: ${e}`);
    else if (e.status) stderr.push(`exit ${e.status}`);
  }
  const guard = new Promise((r) => setTimeout(() => { stderr.push('harness: echo client never ended'); r(); }, deadlineMs + 5000));
  await Promise.race([finished, guard]);
  return { line: lines.find((l) => l.startsWith('summary ')) || null, stderr };
}

window.ttConformance = { runPlain, runWasm, closeLeftovers, userAgent: navigator.userAgent };
