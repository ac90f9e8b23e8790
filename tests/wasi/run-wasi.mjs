#!/usr/bin/env node
// Runs a wasm32-wasi (preview 1) program under Node's node:wasi and exits with its exit code.
//
//   node tests/wasi/run-wasi.mjs [--dir=HOST[:GUEST]]... [--] PROGRAM.wasm [ARGS...]
//
// The program gets ARGS (argv[0] is the file's name), this process's environment (so cmocka's
// CMOCKA_MESSAGE_OUTPUT, CMOCKA_XML_FILE, CMOCKA_TEST_ABORT work), stdin/stdout/stderr, and the
// current directory preopened both as "." (relative paths) and under its absolute path. Each --dir
// adds another preopened directory (GUEST defaults to HOST). A trap (abort(), unreachable, stack
// overflow, uncaught exception) is reported on stderr and gives exit code 134, like SIGABRT.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

// node:wasi still warns that it is experimental on every use; keep every other warning.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w && w.name === 'ExperimentalWarning' && /WASI/.test(String(w.message))) return;
  process.stderr.write(`${w && w.stack ? w.stack : String(w)}\n`);
});

function usage(msg) {
  if (msg) process.stderr.write(`run-wasi: ${msg}\n`);
  process.stderr.write('usage: node run-wasi.mjs [--dir=HOST[:GUEST]]... [--] PROGRAM.wasm [ARGS...]\n');
  process.exit(2);
}

const argv = process.argv.slice(2);
const preopens = {};
const cwd = process.cwd();
preopens['.'] = cwd;
preopens[cwd] = cwd;
while (argv.length > 0 && argv[0].startsWith('--')) {
  const opt = argv.shift();
  if (opt === '--') break;
  if (opt.startsWith('--dir=')) {
    const spec = opt.slice('--dir='.length);
    const colon = spec.indexOf(':');
    const host = path.resolve(colon < 0 ? spec : spec.slice(0, colon));
    const guest = colon < 0 ? host : spec.slice(colon + 1);
    if (!fs.existsSync(host) || !fs.statSync(host).isDirectory()) usage(`not a directory: ${host}`);
    preopens[guest] = host;
  } else if (opt === '--help' || opt === '-h') {
    usage();
  } else {
    usage(`unknown option ${opt}`);
  }
}
if (argv.length === 0) usage('no program given');
const file = argv[0];
const args = [path.basename(file), ...argv.slice(1)];

let bytes;
try {
  bytes = fs.readFileSync(file);
} catch (e) {
  usage(`cannot read ${file}: ${e.message}`);
}

const { WASI } = await import('node:wasi');
const wasi = new WASI({
  version: 'preview1',
  args,
  env: { ...process.env },
  preopens,
  returnOnExit: true,
});

let code;
try {
  const module = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  const exports = instance.exports;
  if (typeof exports._start === 'function') {
    code = wasi.start(instance);
  } else if (typeof exports._initialize === 'function') {
    usage(`${file} is a WASI reactor (no _start), not a program`);
  } else {
    usage(`${file} exports no _start`);
  }
} catch (e) {
  if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError ||
      (WebAssembly.Exception && e instanceof WebAssembly.Exception)) {
    process.stderr.write(`run-wasi: ${path.basename(file)} trapped: ${e.message || e}\n`);
    if (e.stack) process.stderr.write(`${e.stack}\n`);
    code = 134;
  } else if (e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError) {
    process.stderr.write(`run-wasi: cannot load ${file}: ${e.message}\n`);
    code = 126;
  } else {
    throw e;
  }
}

// WASI exit codes are 32-bit (exit(-1) gives 0xffffffff); keep them non-zero after truncation.
code = (code >>> 0);
process.exitCode = code === 0 ? 0 : ((code & 0xff) || 1);
