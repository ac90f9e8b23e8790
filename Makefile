# Entry points for users and CI. Each target first makes sure its dependencies are installed.
# make test   - everything .ci/run runs: unit tests (native, asan, wasi), integration, packaging, web, parity,
#               conformance
# make package - the .deb packages (build/package/packages)
# make demo   - the main job (see README)
# make bench  - benchmarks (Release), never part of make test
# make fuzz   - libFuzzer targets, SECONDS=N each
# make soak   - the soak test for SECONDS=N (default 60)
SHELL := /bin/bash
JOBS ?= $(shell nproc)
export NODE_PATH := /usr/share/nodejs
CTEST := ctest --output-on-failure -j$(JOBS)

.PHONY: test-packaging abi-baseline package
.PHONY: demo deps test format-check format test-web test-readme test-native test-asan test-wasi test-conformance test-parity build-native build-asan build-wasi cmocka-wasm install-check clean

deps:
	@tests/deps.sh

build-native: deps
	@cmake --preset native >/dev/null
	@cmake --build --preset native -j$(JOBS)

build-asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j$(JOBS)

cmocka-wasm: deps
	@tests/wasi/build-cmocka.sh build/cmocka-wasm

build-wasi: cmocka-wasm
	@cmake --preset wasi >/dev/null
	@cmake --build --preset wasi -j$(JOBS)

test-native: build-native
	@echo "== native: unit + integration tests"
	@cd build/native && $(CTEST)

test-asan: build-asan
	@echo "== asan: unit + integration tests under ASan/UBSan/LeakSanitizer"
	@cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 $(CTEST)

test-wasi: build-wasi
	@echo "== wasi: unit tests compiled to wasm32-wasi, run under Node's WASI"
	@cd build/wasi && $(CTEST) -L unit

install-check: build-native
	@tests/install-check.sh

# Packaging (tests/packaging): the shared library's exported symbols, its ABI against the committed
# baseline tests/abi/ttsocket.abi (and a self-test that the check rejects a removed field), the
# add_subdirectory/FetchContent consumer (native and web) and the .deb packages installed into a
# throw-away root. make abi-baseline refreshes the baseline (see README, "Versioning and ABI").
test-packaging: build-native
	@echo "== packaging: exported symbols, ABI, vendored consumer, .deb packages"
	@tests/packaging/exported-symbols.sh build/native/libttsocket.so
	@tests/packaging/abi-check.sh build/native/libttsocket.so
	@tests/packaging/abi-selftest.sh
	@tests/packaging/vendored.sh
	@tests/packaging/deb.sh

# Debian packages in build/package/packages: libttsocketN, libttsocket-dev, ttws (see README, "Install").
package: deps
	@cmake --preset package >/dev/null
	@cmake --build --preset package -j$(JOBS)
	@cd build/package && cpack -G DEB

abi-baseline: build-native
	@tests/packaging/abi-check.sh --write build/native/libttsocket.so

# The web side is built twice: with the host's Emscripten (Debian 12: 3.1.6) and with Debian 13's (3.1.69)
# from the cached trixie root of tests/web/trixie-emscripten.sh; both builds run under the host's Node and
# Chromium. test-web, test-parity and test-conformance each run against both.
TRIXIE_EMSCRIPTEN := tests/web/trixie-emscripten.sh

test-web: deps
	@echo "== web: Node 20, headless Chromium, Vite bundle, installed web preset (Emscripten 3.1.6)"
	@tests/web/run.sh
	@$(TRIXIE_EMSCRIPTEN) setup
	@echo "== web: the same, built with Debian 13's Emscripten (3.1.69)"
	@TT_EMSCRIPTEN=trixie tests/web/run.sh

# The README's recipes, copied from README.md and web/package/README.md and run as written (tests/readme):
# an out-of-tree build and install of both builds, the sample game natively, under Node and in Chromium,
# ttws, and the package example in a page.
test-readme: deps
	@echo "== readme: the README's command blocks, run as written"
	@node --test tests/readme/readme.test.mjs

# Autobahn|Testsuite's core cases (1-10) against the native build and the web build in headless Chromium
# (tests/conformance; the selftest first checks the judge with the npm ws client). Strict: a case also
# fails when the game saw an onError / close code / wasClean no recorded Chromium run saw, or when the
# client's own report disagrees with what the server saw. The full table is in build/conformance/report.md.
test-conformance: deps
	@echo "== conformance: Autobahn|Testsuite core cases, native and web (Chromium is the reference)"
	@node tests/conformance/selftest.mjs
	@node tests/conformance/run.mjs --quiet
	@$(TRIXIE_EMSCRIPTEN) setup
	@echo "== conformance: the web client built with Debian 13's Emscripten (3.1.69): every case as above"
	@TT_EMSCRIPTEN=trixie node tests/conformance/run.mjs --quiet --skip-native

# Parity (tests/parity): every edge case through the native driver and the web build in headless Chromium,
# compared with the recorded plain-JS Chromium reference; run.mjs builds both drivers itself
# (build/parity/{native,web}) and fails on any difference not explained in tests/parity/exceptions.json.
# When this Chromium is not the version tests/parity/reference/chromium.json was recorded with, it also
# re-records every scenario (about 30 s, once per Chromium version) and fails if the reference changed.
# Each web pass runs twice, on the browser backend and on the container backend (--container), once per
# Emscripten; a 3.1.69 pass must also end every scenario as the 3.1.6 pass of the same backend did.
test-parity: deps
	@echo "== parity: native and web build vs the recorded Chromium reference"
	@node tests/parity/run.mjs
	@echo "== parity: the web build on the mini-game container backend (emulated tt, no global WebSocket) vs native"
	@node tests/parity/run.mjs --container
	@$(TRIXIE_EMSCRIPTEN) setup
	@echo "== parity: the web driver built with Debian 13's Emscripten (3.1.69): every scenario as above"
	@TT_EMSCRIPTEN=trixie node tests/parity/run.mjs
	@echo "== parity: the Debian 13 Emscripten (3.1.69) build on the container backend vs native"
	@TT_EMSCRIPTEN=trixie node tests/parity/run.mjs --container

# The mini-game project template (web/minigame: game.js, game.json, project.config.json, config.js) with the
# demo client (web/demo/client.c) built for a container (demo/client.js + demo/client.wasm), in
# build/minigame; tests/web/minigame.test.mjs loads it as a container does and checks the demo's trace.
.PHONY: minigame
minigame: deps
	@cmake --preset web >/dev/null
	@cmake --build --preset web -j$(JOBS) --target ttsocket_minigame_client
	@web/minigame/build.sh build/web/web/minigame build/minigame

# The main job: the demo game's room with native bots (ttbots), the browser player (headless Chromium) and
# the container player (the same page on the emulated tt, tests/support/container), a live summary, the
# server refusing bad input, screenshots (build/demo/screenshot*.png); first the trace
# client natively and in Chromium, side by side. make demo-play: the room and its bots until Ctrl-C.
DEMO_BOTS ?= 8
DEMO_SECONDS ?= 5
DEMO_OUT ?= build/demo
.PHONY: demo-build demo-play test-demo
demo-build: deps
	@echo "== demo: building the game natively (ttbots) and for the web (log: build/demo-build.log)"
	@mkdir -p build
	@{ cmake --preset native && cmake --build --preset native -j$(JOBS) --target tt_demo_client ttbots && \
	   cmake --preset web && cmake --build --preset web -j$(JOBS) --target ttsocket_demo_client ttsocket_demo; \
	 } > build/demo-build.log 2>&1 || { cat build/demo-build.log; exit 1; }

demo: demo-build
	@node web/demo/run-demo.mjs --native-dir build/native/native --web-dir build/web/web/demo \
	  --bots $(DEMO_BOTS) --seconds $(DEMO_SECONDS) --out $(DEMO_OUT)

demo-play: demo-build
	@node web/demo/run-demo.mjs --native-dir build/native/native --web-dir build/web/web/demo \
	  --bots $(DEMO_BOTS) --play

# The room server against npm ws clients, ttbots as a load tool, then what make demo shows: the summary it
# prints and writes, and the bots on its screenshot. (The game's C parts have ctest tests, demo.*, in
# test-native and test-asan.)
test-demo: demo-build
	@echo "== demo: the room server, ttbots, then make demo's summary and screenshot"
	@node --test --test-reporter=dot tests/demo/room.test.mjs
	@TTBOTS=build/native/native/ttbots node --test --test-reporter=dot tests/demo/ttbots.test.mjs
	@node tests/demo/check.mjs build/native/native build/web/web/demo

test: format-check test-native test-asan test-wasi install-check test-packaging test-web test-readme test-demo test-conformance fuzz-smoke test-parity bench-smoke
	@echo "make test: all suites passed"

clean:
	rm -rf build

# ---- format: the C sources follow .clang-format (clang-format 14), the JavaScript tests/eslint.config.mjs
# (ESLint's stylistic rules). format-check is part of make test; make format rewrites the files in place.
format-check: deps
	@tests/format-check.sh
format: deps
	@tests/format-check.sh --fix

# ---- fuzz: libFuzzer targets in tests/fuzz (clang + ASan/UBSan), built apart from the CMake presets.
# make fuzz [SECONDS=N]  fuzz every target N seconds (default 60) and print execs and coverage
# make fuzz-smoke        replay tests/fuzz/regressions, then fuzz every target for 10 s (part of make test)
SECONDS ?= 60
.PHONY: fuzz fuzz-build fuzz-smoke
fuzz-build:
	@tests/fuzz/build.sh build/fuzz

fuzz: fuzz-build
	@tests/fuzz/run.sh build/fuzz $(SECONDS)

fuzz-smoke: fuzz-build
	@echo "== fuzz: regressions, then 10 s per target"
	@tests/fuzz/run.sh build/fuzz 10

# ---- soak: tests/hardening/soak.c against a randomly misbehaving server. make test runs it for
# at most 20 s (10,000 tasks) in ctest; make soak [SECONDS=N] runs as many tasks as N seconds allow.
.PHONY: soak
soak: build-native
	@echo "== soak: $(SECONDS) s against tests/hardening/soak_server.mjs"
	@tests/integration/run-peer.sh tests/hardening/soak_server.mjs env TT_SOAK_SECONDS=$(SECONDS) \
	  TT_SOAK_TASKS=$$(( $(SECONDS) * 5000 )) build/native/tests/hardening/hardening_soak

# ---- bench-timers: tests/hardening/timer_burst.c, 1,000 and 10,000 close timeouts (native transport) and
# connect timeouts (core) expiring in one pass; prints the pass time per task count. Never part of make test.
.PHONY: bench-timers
bench-timers: build-native
	@tests/integration/run-peer.sh node env TT_BURST_COUNTS=$${TT_BURST_COUNTS:-1000,10000} \
	  build/native/tests/hardening/hardening_timer_burst

# ---- bench: tests/bench, the performance comparison with other clients; Release builds; never part of make test.
# make bench         every workload, ~10 min; tables on stdout and in build/bench/results.md
# make bench-smoke   every workload briefly; fails only if a client produced no number (0 msg/s is none)
# make bench-readme  copy build/bench/results.md into README.md's Benchmarks section
# make bench-stats   what the per-task statistics cost on the 64 B row (with vs without the counter updates)
.PHONY: bench bench-smoke bench-readme bench-stats
bench bench-smoke bench-readme bench-stats:
	@$(MAKE) --no-print-directory -C tests/bench $@
