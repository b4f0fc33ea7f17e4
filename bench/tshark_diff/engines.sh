#!/usr/bin/env bash
# Frames per second of tshark-diff with each Wireshark engine on the same capture: --engine
# epan (libwireshark in process) and --engine tshark (a tshark subprocess). Both runs include
# our own stack, which costs about 0.1 us a frame (bench_decode), so the figure is Wireshark's.
#   bash bench/tshark_diff/engines.sh [CAPTURE] [TSHARK_DIFF]
# Defaults: pcaps/sample.pcap, build/release/bin/tshark-diff. Best of 3 runs each.
set -euo pipefail
cd "$(dirname "$0")/../.."
capture=${1:-pcaps/sample.pcap}
tool=${2:-build/release/bin/tshark-diff}
frames=$("$tool" "$capture" --engine tshark --quiet | sed -n 's/^frames: \([0-9]*\) compared.*/\1/p')
for engine in epan tshark; do
  best=
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    "$tool" "$capture" --engine "$engine" --quiet >/dev/null
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf 'tshark-diff --engine %-6s %s: %d frames in %.2f s = %.0f frames/s\n' "$engine" "$capture" "$frames" "$best" \
    "$(echo "$frames / $best" | bc -l)"
done
