#!/usr/bin/env bash
# The main job (README command 1): installs and builds what is missing, then replays the
# bundled sample capture through the probe and prints its events and statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release
sample=pcaps/sample.pcap
# The sample network is operator 460-00 with equivalent home PLMNs 460-02 and 460-07
# (pcaps/README.md); subscribers of those PLMNs are not roamers.
home_plmns=460-00,460-02,460-07
out=build/release/sample-events.jsonl
build/release/bin/bssap-probe replay "$sample" --fast --home-plmns "$home_plmns" --events "$out"
echo "== events written to $out (first 20):"
head -20 "$out"
