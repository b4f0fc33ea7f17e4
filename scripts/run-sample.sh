#!/usr/bin/env bash
# The main job (README command 1): installs and builds what is missing, then replays the
# bundled sample capture through the probe and prints its events and statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
sample=pcaps/sample.pcap
out=build/release/sample-events.jsonl
build/release/bin/bssap-probe replay "$sample" --fast --events "$out"
echo "== events written to $out (first 20):"
head -20 "$out"
