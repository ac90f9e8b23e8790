// The fuzz target fuzz_url_diff keeps one `whatwg.mjs --serve` checker for a whole run: it must answer
// every line with one line, a mismatch sentence when the line or its own code goes wrong, and never end
// while its input lasts (a checker that died left the target only an end of file, reported against
// whatever input it was checking).
//   node --test tests/url/checker.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const CHECKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'whatwg.mjs');
const hex = (s) => Buffer.from(s, 'latin1').toString('hex');
// The accepted line of url_canon.h for an input the core reads as host a, port 443, href wss://a/.
const acceptedLine = (input) => `${hex(input)} 1 443 ${hex('a')} ${hex('wss://a/')}`;

// Feeds lines to one checker; resolves to its answers and how it ended.
function serve(lines) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHECKER, '--serve'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const answers = [];
    let stderr = '';
    readline.createInterface({ input: child.stdout }).on('line', (l) => answers.push(l));
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ answers, code, signal, stderr }));
    child.stdin.end(lines.join('\n') + '\n');
  });
}

test('the checker answers every line, malformed ones with a mismatch, and keeps going', async () => {
  const lines = [
    acceptedLine('wss://a/'),
    'zz',                                   // no fields at all
    `${hex('wss://a/')} 1 443`,             // an accepted line cut short
    `${hex('wss://a/')} 1 443 zz ${hex('wss://a/')}`, // a field that is not hex
    `${hex('wss://a/')} -3`,                // refused by the core: nothing to check
    `ff 1 443 ${hex('a')} ${hex('wss://a/')}`, // accepted bytes that are not UTF-8
    acceptedLine('wss://A/'),
    acceptedLine('wss://b/'),               // Node reads another host
  ];
  const { answers, code, signal, stderr } = await serve(lines);
  assert.equal(stderr, '');
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.equal(answers.length, lines.length, `answers: ${JSON.stringify(answers)}`);
  assert.equal(answers[0], 'ok');
  for (const i of [1, 2, 3]) assert.match(answers[i], /^mismatch the checker got a malformed line /);
  assert.equal(answers[4], 'ok');
  assert.equal(answers[5], 'mismatch the core accepted bytes that are not UTF-8');
  assert.equal(answers[6], 'ok');
  assert.match(answers[7], /^mismatch host "b", core "a"$/);
});
