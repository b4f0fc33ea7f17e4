#!/usr/bin/env bash
# The test command (README command 2, and all that .ci/run does): installs what is missing,
# checks formatting, builds the asan preset, runs every test through ctest, then builds the
# libFuzzer targets and runs each for a short smoke.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== format check"
bash scripts/check-format.sh

echo "== build (asan)"
cmake --preset asan >/dev/null
cmake --build --preset asan

echo "== ctest (asan)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --preset asan

echo "== fuzz smoke"
bash scripts/fuzz-smoke.sh "${BSSAP_FUZZ_SECONDS:-60}"
