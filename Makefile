# Entry points for users and CI. Each target first makes sure its dependencies are installed.
# make test   - everything .ci/run runs: unit tests (native, asan, wasi), integration, web, parity
# make demo   - the main job (see README)
# make bench  - benchmarks (Release), never part of make test
# make fuzz   - libFuzzer targets, SECONDS=N each
SHELL := /bin/bash
JOBS ?= $(shell nproc)
export NODE_PATH := /usr/share/nodejs
CTEST := ctest --output-on-failure -j$(JOBS)

.PHONY: deps test test-native test-asan test-wasi build-native build-asan build-wasi cmocka-wasm install-check clean

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

test: test-native test-asan test-wasi install-check
	@echo "make test: all suites passed"

clean:
	rm -rf build
