#!/usr/bin/env bash
# Regenerates the committed captures in pcaps/ (see pcaps/README.md) and the sample's operator files
# (examples/subscribers.csv, examples/tac.csv). Same commands, same bytes.
# Usage: tools/bssap-synth/make-pcaps.sh [path/to/bssap-synth]   (default build/release/bin/bssap-synth)
set -euo pipefail
cd "$(dirname "$0")/../.."
synth=${1:-build/release/bin/bssap-synth}
gen() {  # gen <name> <extension> <options...>
  local name=$1 ext=$2
  shift 2
  "$synth" "$@" --out "pcaps/$name.$ext" --truth "pcaps/$name.truth.jsonl" --quiet
}
gen sample pcap --subscribers 300 --duration 300 --seed 42 --transport m3ua --operator-out examples
gen m3ua pcap --subscribers 120 --duration 600 --seed 1 --transport m3ua
gen m3ua-ipv6-vlan pcapng --subscribers 60 --duration 600 --seed 2 --transport m3ua --ipv6 --vlan 100 --pcapng
gen ipa pcap --subscribers 200 --duration 600 --seed 3 --transport ipa --no-split
gen ipa-split pcap --subscribers 200 --duration 600 --seed 4 --transport ipa
gen mtp2 pcap --subscribers 200 --duration 600 --seed 5 --transport mtp2
gen mtp3 pcap --subscribers 200 --duration 600 --seed 6 --transport mtp3
gen mtp3-pc24 pcap --subscribers 200 --duration 600 --seed 7 --transport mtp3 --pc24
gen iucs-m3ua pcap --subscribers 120 --duration 600 --seed 8 --interface iucs --transport m3ua
gen iucs-sua pcap --subscribers 120 --duration 600 --seed 9 --interface iucs --transport sua --associations 2
ls -l pcaps/
