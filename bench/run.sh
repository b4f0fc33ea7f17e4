#!/usr/bin/env bash
# Builds the release preset and runs every benchmark in build/release/bin/bench/, printing
# their figures. Each benchmark prints lines "| name | metric | value | unit |"; this script
# gathers them into one table. Extra arguments are passed to every benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo "| benchmark | metric | value | unit |"
echo "|---|---|---|---|"
for b in build/release/bin/bench/*; do
  [ -x "$b" ] || continue
  "$b" "$@" | grep '^|' || { echo "bench: $(basename "$b") failed" >&2; exit 1; }
done
