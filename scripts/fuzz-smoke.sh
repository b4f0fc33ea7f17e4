#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz preset, clang) and runs each for N seconds (default 60)
# from its committed seed corpus, two at a time. Any crash fails the run; the crasher is
# written to tests/fuzz/regressions/<target>/, the folder its Catch2 replay test reads: fix the
# code, commit the crasher with the fix (tests/fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz
mkdir -p build/fuzz/bin
mapfile -t targets < <(find build/fuzz/bin -maxdepth 1 -type f -name 'fuzz_*' -executable -printf '%f\n' | sort)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets yet"
  exit 0
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
# The configuration and table targets also start from what examples/ ships today, so the seeds
# follow the examples as they change: every campaign file (with probe.yaml after a NUL, minus
# its campaigns key, which the target skips), and each table file behind its parser's byte
# (fuzz_tables.cpp: 0 subscribers CSV, 1 DND list, 2 TAC CSV, 3 areas.yaml; the first 200
# lines of the CSVs, which are long).
seed_from_examples() {
  local t=$1 work=$2 f
  case $t in
    fuzz_config)
      for f in examples/campaigns/*.yaml; do
        { cat "$f"; printf '\0'; grep -v '^campaigns:' examples/probe.yaml; } >"$work/example-$(basename "$f" .yaml)"
      done
      ;;
    fuzz_tables)
      { printf '\x00'; head -200 examples/subscribers.csv; } >"$work/example-subscribers"
      { printf '\x01'; cat examples/dnd.txt; } >"$work/example-dnd"
      { printf '\x02'; head -200 examples/tac.csv; } >"$work/example-tac"
      { printf '\x03'; cat examples/areas.yaml; } >"$work/example-areas"
      ;;
  esac
}
run_one() {
  local t=$1 corpus work
  corpus=tests/fuzz/corpus/${t#fuzz_}
  # fuzz_differential's seeds are one folder per transport family (m3ua, sua, ipa, mtp);
  # FUZZ_DIFF_FAMILY=NAME holds a run to one of them (libFuzzer reads the folders recursively).
  if [ "$t" = fuzz_differential ] && [ -n "${FUZZ_DIFF_FAMILY:-}" ]; then corpus=$corpus/$FUZZ_DIFF_FAMILY; fi
  # libwireshark's session grows (about 1-1.5 MiB per input over MTP, not all returned by
  # epan_free): more room than the decoders need.
  local rss=2048
  [ "$t" = fuzz_differential ] && rss=4096
  work=build/fuzz/work/$t
  mkdir -p "$work"
  # Every target has its regressions folder in git; a new target without one is a mistake.
  if [ ! -d "tests/fuzz/regressions/$t" ]; then
    echo "fuzz: $t has no tests/fuzz/regressions/$t/ (add it with a .keep and a replay test)" >&2
    return 1
  fi
  cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  seed_from_examples "$t" "$work"
  # fuzz_differential's open findings (tests/fuzz/findings/differential, KNOWN_DIFFERENCES.md
  # "Fuzzer findings") are still unresolved: in the smoke it replays its seeds once (-runs=0: every
  # seed must agree), and new inputs are searched for in the long runs (tests/fuzz/README.md).
  local limit=(-max_total_time="$seconds")
  [ "$t" = fuzz_differential ] && [ -z "${FUZZ_DIFF_FAMILY:-}" ] && limit=(-runs=0)
  if build/fuzz/bin/"$t" "$work" "${limit[@]}" -rss_limit_mb="$rss" -timeout=10 \
      -artifact_prefix="tests/fuzz/regressions/$t/" -print_final_stats=1 >"build/fuzz/$t.log" 2>&1; then
    echo "fuzz: $t ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/$t.log" | grep -o '[0-9]*$') executions in ${seconds}s)"
  else
    echo "fuzz: $t FAILED (crasher in tests/fuzz/regressions/$t/)" >&2
    tail -40 "build/fuzz/$t.log" >&2
    return 1
  fi
}
status=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge 2 ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
