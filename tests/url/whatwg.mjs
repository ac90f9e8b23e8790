// The WHATWG side of the URL differential test: what a WHATWG URL parser (Node's URL, Chromium's in a
// page) makes of a URL the core accepted must be exactly what the core made of it. whatwgMismatch is
// self-contained so that its source can run in a browser page as well.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

// null when URLClass reads `input` (a string) as the core did (exp: {secure, port, host, href}), else
// a sentence saying what differs.
export function whatwgMismatch(URLClass, input, exp) {
  let u;
  try {
    u = new URLClass(input);
  } catch (e) {
    return 'the WHATWG parser refuses it';
  }
  const scheme = exp.secure ? 'wss:' : 'ws:';
  if (u.protocol !== scheme) return `scheme ${u.protocol}, core ${scheme}`;
  const host = exp.host.includes(':') ? `[${exp.host}]` : exp.host;
  if (u.hostname !== host) return `host ${JSON.stringify(u.hostname)}, core ${JSON.stringify(host)}`;
  const port = u.port === '' ? (exp.secure ? 443 : 80) : Number(u.port);
  if (port !== exp.port) return `port ${port}, core ${exp.port}`;
  if (u.username !== '' || u.password !== '') return 'credentials the core does not see';
  if (u.hash !== '') return 'a fragment';
  if (u.href !== exp.href) return `href ${JSON.stringify(u.href)}, core ${JSON.stringify(exp.href)}`;
  let again;
  try {
    again = new URLClass(exp.href).href;
  } catch (e) {
    return 'the canonical URL is refused';
  }
  if (again !== exp.href) return `the canonical URL reads back as ${JSON.stringify(again)}`;
  return null;
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// One protocol line of tests/url/url_canon.h -> {bytes, input, accepted, exp, rc}.
export function parseLine(line) {
  const f = line.split(' ');
  const unhex = (h) => Buffer.from(h === '.' ? '' : h, 'hex');
  const bytes = unhex(f[0]);
  let input = null;
  try {
    input = decoder.decode(bytes);
  } catch (e) { /* stays null: not UTF-8 */ }
  if (f[1].startsWith('-')) return { bytes, input, accepted: false, rc: -Number(f[1].slice(1)) };
  return {
    bytes, input, accepted: true,
    exp: { secure: f[1] === '1', port: Number(f[2]), host: unhex(f[3]).toString('latin1'),
      href: unhex(f[4]).toString('latin1') },
  };
}

// The Node check of one accepted entry: null or a sentence.
export function nodeMismatch(entry) {
  if (entry.input === null) return 'the core accepted bytes that are not UTF-8';
  return whatwgMismatch(URL, entry.input, entry.exp);
}

// Runs the core's parser (the url_canon program) over byte strings; resolves to their protocol entries.
export function runCanon(canon, inputs) {
  return new Promise((resolve, reject) => {
    const child = spawn(canon, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out = [];
    readline.createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || out.length !== inputs.length) {
        reject(new Error(`${canon} exited with ${code} after ${out.length} of ${inputs.length} lines`));
      } else {
        resolve(out.map(parseLine));
      }
    });
    child.stdin.end(inputs.map((b) => Buffer.from(b).toString('hex')).join('\n') + '\n');
  });
}

// The answer to one protocol line: null (agreed, or refused by the core) or a sentence. Whatever goes
// wrong while checking, a line the protocol does not allow or an exception, is a sentence too: the
// fuzz target then reports that input, where a checker that died would only leave it at end of file.
export function serveAnswer(line) {
  try {
    const f = line.split(' ');
    const hex = /^([0-9a-f]{2})+$|^\.$/;
    const refused = f.length === 2 && /^-[0-9]+$/.test(f[1]);
    const accepted = f.length === 5 && /^[01]$/.test(f[1]) && /^[0-9]+$/.test(f[2]) && hex.test(f[3]) && hex.test(f[4]);
    if (!hex.test(f[0]) || !(refused || accepted)) return `the checker got a malformed line ${JSON.stringify(line.slice(0, 200))}`;
    const e = parseLine(line);
    return e.accepted ? nodeMismatch(e) : null;
  } catch (e) {
    return `the checker failed: ${String(e && e.stack ? e.stack : e).replace(/\s+/g, ' ')}`;
  }
}

// The fuzz target's checker (--serve): one protocol line in, "ok" or "mismatch <sentence>" out (one
// line: the sentence holds no line break). It ends when its input does, or quietly when the fuzz target
// is gone (EPIPE).
export function serve() {
  process.stdout.on('error', () => process.exit(0));
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const why = serveAnswer(line);
    process.stdout.write(why ? `mismatch ${why.replace(/[\r\n]/g, ' ')}\n` : 'ok\n');
  });
}

if (process.argv[2] === '--serve') serve();
