#!/usr/bin/env bash
# The web test suite (make test-web): builds the web preset's library, npm package, demo and test
# drivers, then runs with node's test runner:
#   heap_alloc.test.mjs  the package's own malloc/free under Node, growing and fixed heap
#   node.test.mjs     the C driver under Node 20 --experimental-websocket against the ws peer
#   lifetime.test.mjs a game whose main() returns at once, under Node: every event still arrives
#   browser.test.mjs  the same scenarios and exact traces in headless Debian Chromium (playwright-core)
#   threads.test.mjs  the same again with the driver built -pthread -sPROXY_TO_PTHREAD (main() on a worker)
#                     in a cross-origin isolated page
#   bundle.test.mjs   npm pack; the tarball in fresh Vite 7 and webpack 5 apps run in Chromium; tsc
#                     checks a TypeScript example against the shipped .d.ts
#   package_refused.test.mjs  the package through an import map: connectSocket with refused options
#   package.test.mjs  the npm package in Chromium: U+FEFF as
#                     WebSocket has it, throwing listeners, out of memory, in a module worker
#   container.test.mjs  the same scenarios in Chromium on an emulated mini-game host (tt / wx, no global
#                     WebSocket), and every hostile-host case with its expected trace
#   container-node.test.mjs  the Node program on the emulated host over npm ws: header, 1001, errMsg detail
#   minigame.test.mjs the mini-game template loaded as a container loads it (CommonJS, .wasm by path): the
#                     demo client's trace on the emulated tt; the package bundled as CommonJS the same way
#   install.test.mjs  cmake --install of the web preset; pkg-config and find_package consumers
#   size.test.mjs     the package's size budget: ttsocket.wasm + ttsocket.mjs <= 30,000 bytes
# Usage: tests/web/run.sh [test files...]   (default: all of the above)
# TT_EMSCRIPTEN=trixie builds with Debian 13's Emscripten (tests/web/trixie-emscripten.sh) into
# build/web-trixie instead of build/web; the tests run on the host either way (tests/web/toolchain.mjs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export NODE_PATH=/usr/share/nodejs
cd "$root"

preset=web
wrap=()
if [ "${TT_EMSCRIPTEN:-host}" = trixie ]; then
  preset=web-trixie
  wrap=("$here/trixie-emscripten.sh" run)
  echo "web: built with $("$here/trixie-emscripten.sh" version)"
fi
"${wrap[@]}" cmake --preset "$preset" >/dev/null
# Only the web targets: the library, the npm package, the demo, the mini-game template's demo client and
# the test drivers.
"${wrap[@]}" cmake --build --preset "$preset" -j"$(nproc)" --target ttsocket ttsocket_web_package ttsocket_demo \
  ttsocket_minigame_client tt_web_driver_node tt_web_driver_node_fixed tt_web_driver_browser tt_web_driver_throwing \
  tt_web_lifetime_node tt_web_driver_threads tt_web_heap_alloc_grow tt_web_heap_alloc_fixed

cd "$here"
if [ $# -eq 0 ]; then
  set -- heap_alloc.test.mjs node.test.mjs lifetime.test.mjs browser.test.mjs threads.test.mjs container.test.mjs container-node.test.mjs minigame.test.mjs bundle.test.mjs package.test.mjs package_refused.test.mjs install.test.mjs size.test.mjs
fi
# Test files run one at a time: the Chromium ones are heavy on a 2-core machine.
exec node --test --test-concurrency=1 "$@"
