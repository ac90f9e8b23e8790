// The installed web preset (cmake --install build/web --prefix P; build/web-trixie with TT_EMSCRIPTEN=trixie): libttsocket.a (wasm), ttsocket.h,
// ttsocket.pc whose Libs carry -lwebsocket.js and the installed --js-library, the CMake package, and the
// npm package files. A user program is linked both ways and does one echo under Node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { startPeer } from './peer.mjs';
import { WEB_BUILD_DIR, BUILD_SUFFIX, emTool } from './toolchain.mjs';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const env = { ...process.env, NODE_PATH: '/usr/share/nodejs' };
let prefix, work, peer;

before(async () => {
  // Inside the source tree when another toolchain's root must see it (tests/web/toolchain.mjs).
  const tmp = BUILD_SUFFIX ? path.join(WEB_BUILD_DIR, 'tmp') : os.tmpdir();
  fs.mkdirSync(tmp, { recursive: true });
  work = fs.mkdtempSync(path.join(tmp, 'ttsocket-install-'));
  prefix = path.join(work, 'prefix');
  await run(...emTool('cmake', ['--install', WEB_BUILD_DIR, '--prefix', prefix]), { env });
  peer = await startPeer();
});
after(async () => {
  await peer?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

async function echoes(program) {
  const r = await run(process.execPath, ['--experimental-websocket', '--no-warnings', program, `${peer.url}/echo`],
    { env, timeout: 20000 });
  assert.equal(r.stdout, 'ttsocket 0.1.0\necho installed\nclose 1000\n');
}

test('installed web package', async (t) => {
  await t.test('files', () => {
    for (const f of ['lib/libttsocket.a', 'include/ttsocket.h', 'lib/pkgconfig/ttsocket.pc',
      'lib/ttsocket/library_ttsocket.js', 'lib/cmake/ttsocket/ttsocketConfig.cmake',
      'lib/cmake/ttsocket/ttsocketTargets.cmake', 'share/ttsocket/package/package.json',
      'share/ttsocket/package/ttsocket.mjs', 'share/ttsocket/package/ttsocket.wasm',
      'share/ttsocket/package/index.js']) {
      assert.ok(fs.existsSync(path.join(prefix, f)), f);
    }
    // A wasm archive: its members are wasm objects.
    const head = fs.readFileSync(path.join(prefix, 'lib/libttsocket.a')).subarray(0, 8).toString('latin1');
    assert.equal(head, '!<arch>\n');
  });

  await t.test('pkg-config Libs carry the installed js-library; a program links and echoes', async () => {
    const pc = ['--define-prefix', '--with-path', path.join(prefix, 'lib/pkgconfig')];
    const { stdout: libs } = await run(...emTool('pkg-config', [...pc, '--libs', 'ttsocket']), { env });
    const { stdout: cflags } = await run(...emTool('pkg-config', [...pc, '--cflags', 'ttsocket']), { env });
    // library_ttsocket.js owns the sockets; Emscripten's websocket.js glue is not linked.
    assert.doesNotMatch(libs, /-lwebsocket\.js/);
    const jsLib = /--js-library\s+(\S+)/.exec(libs)?.[1];
    assert.ok(jsLib && fs.existsSync(jsLib), `js-library path ${jsLib}`);
    const out = path.join(work, 'pc_consumer.cjs');
    await run(...emTool('emcc', [path.join(here, 'consumer/main.c'), ...cflags.trim().split(/\s+/),
      ...libs.trim().split(/\s+/), '-sENVIRONMENT=node', '-sEXIT_RUNTIME=1', '-sSINGLE_FILE=1', '-o', out]), { env });
    await echoes(out);
  });

  await t.test('CMake package: find_package(ttsocket) + ttsocket::ttsocket links and echoes', async () => {
    const b = path.join(work, 'cmake_consumer');
    await run(...emTool('cmake', ['-S', path.join(here, 'consumer'), '-B', b,
      '-DCMAKE_TOOLCHAIN_FILE=/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake',
      `-DCMAKE_PREFIX_PATH=${prefix}`, `-DCMAKE_FIND_ROOT_PATH=${prefix}`, '-DCMAKE_BUILD_TYPE=MinSizeRel']), { env });
    await run(...emTool('cmake', ['--build', b]), { env });
    await echoes(path.join(b, 'consumer.cjs'));
  });
});
