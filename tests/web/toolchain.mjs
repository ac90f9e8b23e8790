// Which Emscripten builds the web side of a test run: the host's (Debian 12, 3.1.6) by default, or with
// TT_EMSCRIPTEN=trixie Debian 13's (3.1.69) inside the cached root of tests/web/trixie-emscripten.sh.
// Either way the result runs on the host, under its Node and Chromium. Every web test, parity and
// conformance runner takes its build directories and its compiler commands from here.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const TOOLCHAIN = process.env.TT_EMSCRIPTEN || 'host';
if (!['host', 'trixie'].includes(TOOLCHAIN)) throw new Error(`TT_EMSCRIPTEN=${TOOLCHAIN}: expected host or trixie`);
const trixie = TOOLCHAIN === 'trixie';

// Appended to build directory names, so the two toolchains never share a build.
export const BUILD_SUFFIX = trixie ? '-trixie' : '';
// The web preset's build directory (build/web or build/web-trixie).
export const WEB_BUILD_DIR = path.join(ROOT, `build/web${BUILD_SUFFIX}`);
export const WEB_PRESET = `web${BUILD_SUFFIX}`;

// [command, args] that runs an Emscripten-side command (emcc, emcmake, cmake on a web build dir,
// pkg-config) with the chosen toolchain. The trixie root sees only the source tree, at its own path:
// run such commands with a working directory and files inside it.
export function emTool(cmd, args) {
  return trixie ? [path.join(ROOT, 'tests/web/trixie-emscripten.sh'), ['run', cmd, ...args]] : [cmd, args];
}
