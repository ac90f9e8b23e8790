# Entry points for users and CI. Each target first makes sure its dependencies are installed.
# make test   - everything .ci/run runs: unit tests (native, asan, wasi), integration, web, parity, conformance
# make demo   - the main job (see README)
# make bench  - benchmarks (Release), never part of make test
# make fuzz   - libFuzzer targets, SECONDS=N each
# make soak   - the soak test for SECONDS=N (default 60)
SHELL := /bin/bash
JOBS ?= $(shell nproc)
export NODE_PATH := /usr/share/nodejs
CTEST := ctest --output-on-failure -j$(JOBS)

.PHONY: demo deps test test-web test-native test-asan test-wasi test-conformance test-parity build-native build-asan build-wasi cmocka-wasm install-check clean

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

# Autobahn|Testsuite's core cases (1-10) against the native build and the web build in headless Chromium
# (tests/conformance; the selftest first checks the judge with the npm ws client). The full table is in
# build/conformance/report.md.
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
test-parity: deps
	@echo "== parity: native and web build vs the recorded Chromium reference"
	@node tests/parity/run.mjs
	@echo "== parity: the web build on the mini-game container backend (emulated tt, no global WebSocket) vs native"
	@node tests/parity/run.mjs --container
	@$(TRIXIE_EMSCRIPTEN) setup
	@echo "== parity: the web driver built with Debian 13's Emscripten (3.1.69): every scenario as above"
	@TT_EMSCRIPTEN=trixie node tests/parity/run.mjs

# The mini-game project template (web/minigame: game.js, game.json, project.config.json) with the web
# package bundled as CommonJS, in build/minigame; tests/web/minigame.test.mjs loads it as a container does.
.PHONY: minigame
minigame: deps
	@cmake --preset web >/dev/null
	@cmake --build --preset web -j$(JOBS) --target ttsocket_web_package
	@web/minigame/build.sh build/web/web/package build/minigame

# The main job: the sample game client natively and in headless Chromium, side by side.
demo: deps
	@echo "== demo: building the sample game client natively and for the web (log: build/demo-build.log)"
	@mkdir -p build
	@{ cmake --preset native && cmake --build --preset native -j$(JOBS) --target tt_demo_client && \
	   cmake --preset web && cmake --build --preset web -j$(JOBS) --target ttsocket_demo_client ttsocket_demo; \
	 } > build/demo-build.log 2>&1 || { cat build/demo-build.log; exit 1; }
	@node web/demo/run-demo.mjs build/native/native/tt_demo_client build/web/web/demo
	@echo "(the interactive demo page: NODE_PATH=tests/node_modules node web/demo/serve.mjs, then open the printed URL)"

test: test-native test-asan test-wasi install-check test-web test-conformance fuzz-smoke test-parity bench-smoke
	@echo "make test: all suites passed"

clean:
	rm -rf build

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

# ---- soak: tests/hardening/soak.c against a randomly misbehaving server (issue 7). make test runs it for
# at most 20 s (10,000 tasks) in ctest; make soak [SECONDS=N] runs as many tasks as N seconds allow.
.PHONY: soak
soak: build-native
	@echo "== soak: $(SECONDS) s against tests/hardening/soak_server.mjs"
	@tests/integration/run-peer.sh tests/hardening/soak_server.mjs env TT_SOAK_SECONDS=$(SECONDS) \
	  TT_SOAK_TASKS=$$(( $(SECONDS) * 5000 )) build/native/tests/hardening/hardening_soak

# ---- bench: tests/bench (issue 6), Release builds; never part of make test.
# make bench         every workload, ~10 min; tables on stdout and in build/bench/results.md
# make bench-smoke   every workload briefly; fails only if a client produced no number
# make bench-readme  copy build/bench/results.md into README.md's Benchmarks section
.PHONY: bench bench-smoke bench-readme
bench bench-smoke bench-readme:
	@$(MAKE) --no-print-directory -C tests/bench $@
