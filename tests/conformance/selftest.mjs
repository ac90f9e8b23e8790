// Checks the fuzzing server's judge with known clients, so a bug in the suite cannot pass everything:
//
//   1. the npm `ws` client (a library known to pass Autobahn|Testsuite) as an echo client: every case must
//      pass Autobahn's expectation;
//   2. the same client with UTF-8 validation and automatic pongs turned off: exactly the cases that need a
//      pong or must fail on invalid UTF-8 must fail, everything else must still pass.
//
//   node tests/conformance/selftest.mjs      (about 5 s; category 9 is cut to its three smallest cases)
import { createRequire } from 'node:module';
import { CASES } from './cases.mjs';
import { startFuzzingServer, FAILED } from './server.mjs';
import { pool } from '../parity/common.mjs';

const require = createRequire(new URL('../package.json', import.meta.url));
const WebSocket = require('ws');

const CASE_MS = 20000;

function runCase(srv, c, agent, options) {
  const result = srv.result(agent, c.index, CASE_MS);
  return new Promise((resolve) => {
    const ws = new WebSocket(`${srv.url(0)}/runCase?case=${c.index}&agent=${agent}`, { perMessageDeflate: false, ...options });
    const guard = setTimeout(() => ws.terminate(), CASE_MS);
    ws.on('message', (data, isBinary) => { if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary: isBinary }); });
    ws.on('error', () => {});
    ws.on('close', () => { clearTimeout(guard); resolve(); });
  }).then(() => result);
}

// Cases the crippled client must fail: it never pongs, and it echoes text that is not UTF-8.
function mustFailWhenCrippled(c) {
  const probe = { expected: {}, expectedClose: null, perf: null };
  const api = new Proxy(probe, {
    get(target, key) {
      if (key === 'expect') return (e) => { target.expected = e; };
      if (key === 'expectClose') return (e) => { target.expectedClose = e; };
      if (key === 'perf') return target.perf;
      if (key === 'header') return () => Buffer.alloc(0);
      return () => {};
    },
    set(target, key, value) { target[key] = value; return true; },
  });
  c.run(api);
  const needsPong = Object.values(probe.expected).some((list) => list.some((e) => e[0] === 'pong'));
  const invalidUtf8 = probe.expectedClose && probe.expectedClose.codes.includes(1007) && !probe.expectedClose.byMe;
  return needsPong || invalidUtf8 || c.id === '7.5.1';
}

async function main() {
  const started = Date.now();
  const perfKept = new Set(['9.1.1', '9.2.1', '9.7.1']);
  const cases = CASES.filter((c) => !c.perf || perfKept.has(c.id));
  const srv = await startFuzzingServer({ ports: 1 });
  const problems = [];
  try {
    for (const [agent, options, expectFail] of [
      ['ws', {}, () => false],
      ['ws-crippled', { skipUTF8Validation: true, autoPong: false }, mustFailWhenCrippled],
    ]) {
      let failed = 0;
      await pool(cases, 8, async (c) => {
        const r = await runCase(srv, c, agent, options);
        const didFail = !r || r.verdict === FAILED;
        if (didFail) failed++;
        if (didFail !== expectFail(c)) {
          problems.push(`${agent} ${c.id}: expected ${expectFail(c) ? 'FAILED' : 'a pass'}, got ${r ? `${r.verdict} (${r.result} / ${r.resultClose})` : 'no result'}`);
        }
      });
      console.log(`${agent}: ${cases.length} cases, ${failed} failed`);
    }
  } finally {
    await srv.close();
  }
  for (const p of problems) console.log(p);
  console.log(`selftest: ${problems.length ? 'FAILED' : 'ok'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exitCode = problems.length ? 1 : 0;
}

main().catch((e) => { console.error(e); process.exit(1); });
