#!/usr/bin/env bash
# Runs every fuzz target built by build.sh for SECONDS each and prints a summary table.
#   tests/fuzz/run.sh OUT SECONDS
# For each target: first replays tests/fuzz/regressions/<target>/* (inputs that once crashed: they must
# pass now), then fuzzes with -max_total_time=SECONDS on OUT/corpus-<target>, a working copy seeded from
# the committed tests/fuzz/corpus/<target> (new entries land in the copy, never in the repository).
# Crashes are written to OUT/artifacts/. The exit status is non-zero if any target failed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/build/fuzz}
SECS=${2:-60}
FUZZ_DIR=$ROOT/tests/fuzz
mkdir -p "$OUT/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
rows=()
for fz in "$FUZZ_DIR"/fuzz_*.c; do
    t=$(basename "$fz" .c)
    t=${t#fuzz_}
    bin=$OUT/fuzz_$t
    log=$OUT/$t.log
    : >"$log"
    result=ok
    if [ ! -x "$bin" ]; then
        rows+=("$(printf '%-16s %12s %10s %8s %8s  %s' "$t" - - - - "not built")")
        status=1
        continue
    fi
    # 1. Regressions: libFuzzer runs the files it is given, once each.
    shopt -s nullglob
    regs=("$FUZZ_DIR/regressions/$t"/*)
    shopt -u nullglob
    if [ "${#regs[@]}" -gt 0 ]; then
        if ! "$bin" "${regs[@]}" >>"$log" 2>&1; then
            result="REGRESSION FAILED (see $log)"
            status=1
        fi
    fi
    # 2. Fuzzing on a working copy of the seed corpus.
    corpus=$OUT/corpus-$t
    mkdir -p "$corpus"
    if [ -d "$FUZZ_DIR/corpus/$t" ]; then cp -n "$FUZZ_DIR/corpus/$t"/* "$corpus"/ 2>/dev/null || true; fi
    dict=()
    [ -f "$FUZZ_DIR/dict/$t.dict" ] && dict=(-dict="$FUZZ_DIR/dict/$t.dict")
    if ! "$bin" -max_total_time="$SECS" -timeout=10 -print_final_stats=1 "${dict[@]}" \
            -artifact_prefix="$OUT/artifacts/$t-" "$corpus" >>"$log" 2>&1; then
        result="CRASH (see $log and $OUT/artifacts/)"
        status=1
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
    rows+=("$(printf '%-16s %12s %10s %8s %8s  %s' "$t" "${execs:--}" "${rate:--}" "${cov:--}" "${ft:--}" "$result")")
done

echo
printf '%-16s %12s %10s %8s %8s  %s\n' target execs exec/s cov ft result
for r in "${rows[@]}"; do echo "$r"; done
echo "(${SECS}s per target; logs in $OUT/<target>.log)"
exit $status
