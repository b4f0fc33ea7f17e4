#!/usr/bin/env bash
# The main job (README command 1): installs and builds what is missing, replays the bundled
# sample capture through the probe (events + statistics), then sends SMS for two demo rules
# through our SMPP client to smpp-stub (an SMSC simulator) on loopback and shows what arrived.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
# Only what this job runs (the full tree, tests included, is command 2's business).
cmake --build --preset release --target bssap-probe smpp-stub smpp-send
bin=build/release/bin
work=build/release/sample
rm -rf "$work" && mkdir -p "$work"

# 1. Capture -> events. The sample network is operator 460-00 with equivalent home PLMNs
# 460-02 and 460-07 (pcaps/README.md); subscribers of those PLMNs are not roamers.
echo "== bssap-probe replay pcaps/sample.pcap"
"$bin"/bssap-probe replay pcaps/sample.pcap --fast --home-plmns 460-00,460-02,460-07 --events "$work/events.jsonl"
echo "== first events ($work/events.jsonl):"
head -8 "$work/events.jsonl"
if cmp -s <(sort "$work/events.jsonl") <(sort pcaps/sample.truth.jsonl); then
  echo "== events equal the capture's ground truth (pcaps/sample.truth.jsonl): $(wc -l <"$work/events.jsonl") events"
else
  echo "== WARNING: events differ from pcaps/sample.truth.jsonl" >&2
fi

# 2. Events -> SMS over SMPP 3.4 (demo rules: welcome roamers, offer to new handsets).
echo "== SMPP: smpp-send -> smpp-stub on 127.0.0.1"
node scripts/demo-messages.js "$work/events.jsonl" >"$work/messages.jsonl"
"$bin"/smpp-stub --port 0 --port-file "$work/smsc.port" --system-id bssap --password demo-pw \
  --out "$work/smsc.jsonl" --receipt-delay-ms 100 --reply-fraction 0.2 >"$work/smsc.log" 2>&1 &
stub=$!
trap 'kill $stub 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/smsc.port" ] && break; sleep 0.05; done
SMPP_PASSWORD=demo-pw "$bin"/smpp-send --port "$(cat "$work/smsc.port")" --system-id bssap \
  --outbox "$work/outbox.db" --in "$work/messages.jsonl" --events "$work/smpp-events.jsonl" --wait-receipts --timeout 30
kill -INT $stub && wait $stub 2>/dev/null || true
trap - EXIT
echo "== the SMSC received $(grep -c '"type":"message"' "$work/smsc.jsonl") messages, for example:"
grep '"type":"message"' "$work/smsc.jsonl" | head -3
