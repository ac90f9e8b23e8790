// ttbots (native/bots) as a load tool, against the demo's room server (web/demo/serve.mjs): the final table,
// the JSON report and progress lines, the exit status, errors counted by errMsg, bad arguments, and the
// warning when the open-files limit is below the number of bots.
//   TTBOTS=build/native/native/ttbots node --test tests/demo/ttbots.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TTBOTS = path.resolve(ROOT, process.env.TTBOTS || 'build/native/native/ttbots');
const T = { timeout: 30000 };
let server, url;

before(async () => {
  server = spawn(process.execPath, [path.join(ROOT, 'web/demo/serve.mjs'), path.join(ROOT, 'build'), '0'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    server.stdout.once('data', (d) => {
      const m = String(d).match(/127\.0\.0\.1:(\d+)\//);
      if (m) resolve(Number(m[1])); else reject(new Error(`serve.mjs said: ${d}`));
    });
  });
  url = (room) => `ws://127.0.0.1:${port}/room/${room}`;
});
after(() => server.kill('SIGTERM'));

function ttbots(args, { shell } = {}) {
  const r = shell
    ? spawnSync('bash', ['-c', `${shell}; exec "$0" "$@"`, TTBOTS, ...args], { encoding: 'utf8', timeout: 25000 })
    : spawnSync(TTBOTS, args, { encoding: 'utf8', timeout: 25000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('the final table: connected, connect time, messages, round trip, cpu, errors', T, () => {
  const r = ttbots(['--url', url('table'), '--bots', '20', '--duration', '1.5', '--rate', '10']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^ttbots: 20 bot\(s\) -> ws:\/\/127\.0\.0\.1:\d+\/room\/table, 1\.5 s, 10 position\(s\)\/s each$/m);
  assert.match(r.out, /^ {2}connected +20 of 20 \(all open after [\d.]+ s\)$/m);
  assert.match(r.out, /^ {2}connect time +p50 [\d.]+ ms +p99 [\d.]+ ms +max [\d.]+ ms$/m);
  assert.match(r.out, /^ {2}messages +sent [1-9]\d* \(\d+\/s\) +received [1-9]\d* \(\d+\/s\)$/m);
  assert.match(r.out, /^ {2}round trip +p50 [\d.]+ ms +p90 [\d.]+ ms +p99 [\d.]+ ms +max [\d.]+ ms +\([1-9]\d* timed\)$/m);
  assert.match(r.out, /^ {2}cpu +[\d.]+ s in all; [\d.]+ us per message with every bot open; peak RSS [\d.]+ MB$/m);
  assert.match(r.out, /^ {2}errors +none$/m);
  assert.match(r.err, /^ttbots +1\.0 s +open 20\/20 +out \d+\/s +in \d+\/s +rtt p50 [\d.]+ ms p99 [\d.]+ ms +room 20 +errors 0$/m);
});

test('--json: progress objects on stderr, one report on stdout', T, () => {
  const r = ttbots(['--url', url('json'), '--bots', '10', '--duration', '1.5', '--json']);
  assert.equal(r.code, 0, r.err);
  const progress = r.err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  assert.ok(progress.length >= 1);
  assert.equal(progress[0].progress, true);
  assert.equal(progress[0].bots, 10);
  assert.equal(progress[0].open, 10);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 1);
  const j = JSON.parse(lines[0]);
  assert.equal(j.bots, 10);
  assert.equal(j.connected, 10);
  assert.ok(j.all_open_s >= 0 && j.connect_ms.p50 > 0 && j.connect_ms.max >= j.connect_ms.p99);
  assert.ok(j.sent > 0 && j.received > j.sent); // every position is answered, and WELCOME comes first
  assert.ok(j.rtt_ms.count > 0 && j.rtt_ms.p99 >= j.rtt_ms.p50);
  assert.ok(j.steady.msgs > 0 && j.steady.cpu_us_per_msg > 0 && j.max_rss_kb > 0);
  assert.deepEqual(j.errors, {});
});

test('--hold ends the run that long after the last bot opened', T, () => {
  const r = ttbots(['--url', url('hold'), '--bots', '5', '--duration', '20', '--hold', '0.5', '--wait-all', '--json']);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.ok(j.secs < 5, `ran ${j.secs} s`);
  assert.ok(j.sent > 0);
});

test('errors are counted by errMsg, and the exit status says so', T, () => {
  const r = ttbots(['--url', 'ws://127.0.0.1:1/room/nobody', '--bots', '3', '--duration', '5', '--json']);
  assert.equal(r.code, 1);
  const j = JSON.parse(r.out);
  assert.equal(j.connected, 0);
  assert.deepEqual(j.errors, { 'onSocketError: WebSocket connection failed': 3, 'onClose 1006 ': 3 });
  const refused = JSON.parse(ttbots(['--url', url('bad'), '--bots', '2', '--duration', '5', '--bad', 'malformed', '--json']).out);
  assert.deepEqual(refused.errors, { 'onClose 4002 malformed position message (10 bytes)': 2 });
});

test('bad arguments: usage and exit status 2', T, () => {
  for (const args of [[], ['--url', url('x'), '--bots', '0'], ['--url', url('x'), '--bad', 'rude'],
    ['--url', url('x'), '--rate', '0'], ['--url', url('x'), '--frobnicate', '1'], ['--url']]) {
    const r = ttbots(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /^usage: ttbots --url/m);
  }
});

test('an open-files limit below the bots is raised to the hard limit, or reported', T, () => {
  const r = ttbots(['--url', url('fd'), '--bots', '100', '--duration', '3', '--json'], { shell: 'ulimit -n 64; ulimit -Hn 64' });
  assert.match(r.err, /open-files limit is 64 \(hard limit\): at most about 48 of 100 bots can connect/);
  const j = JSON.parse(r.out);
  assert.equal(j.fd_limit, 64);
  assert.ok(j.connected > 0 && j.connected < 100, `connected ${j.connected}`);
  assert.equal(r.code, 1);
  const raised = JSON.parse(ttbots(['--url', url('fd2'), '--bots', '100', '--duration', '1', '--json'],
    { shell: 'ulimit -Sn 64; ulimit -Hn 4096' }).out);
  assert.equal(raised.fd_limit, 4096);
  assert.equal(raised.connected, 100);
});
