#!/usr/bin/env bash
# The main job (README command 1): installs and builds what is missing, replays the bundled
# sample capture through the probe with the example campaigns (examples/probe.yaml) and
# smpp-stub as the SMSC on loopback, then prints the decisions by outcome and reason, what the
# SMSC received and the campaigns' evaluation report.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake --preset release >/dev/null
# Only what this job runs (the full tree, tests included, is command 2's business).
cmake --build --preset release --target bssap-probe smpp-stub
bin=build/release/bin
work=build/release/sample
rm -rf "$work" && mkdir -p "$work"

# 1. Capture -> events, checked against the capture's ground truth. The sample network is
# operator 460-00 with equivalent home PLMNs 460-02 and 460-07 (pcaps/README.md).
echo "== bssap-probe replay pcaps/sample.pcap"
"$bin"/bssap-probe replay pcaps/sample.pcap --fast --home-plmns 460-00,460-02,460-07 --events "$work/events.jsonl"
if cmp -s <(sort "$work/events.jsonl") <(sort pcaps/sample.truth.jsonl); then
  echo "== events equal the capture's ground truth (pcaps/sample.truth.jsonl): $(wc -l <"$work/events.jsonl") events"
else
  echo "== WARNING: events differ from pcaps/sample.truth.jsonl" >&2
fi

# 2. Events -> campaign decisions -> SMS over SMPP 3.4 to smpp-stub (delivery receipts after
# 100 ms, a fifth of the recipients reply with an order keyword). The example configuration is
# copied so that its state_dir and the SMSC's port are this run's.
cp -r examples "$work/examples"
"$bin"/smpp-stub --port 0 --port-file "$work/smsc.port" --system-id bssap --password demo-pw1 \
  --out "$work/smsc.jsonl" --receipt-delay-ms 100 --reply-fraction 0.2 --reply-keyword KT >"$work/smsc.log" 2>&1 &
stub=$!
trap 'kill $stub 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$work/smsc.port" ] && break; sleep 0.05; done
sed -i "s/port: 2775/port: $(cat "$work/smsc.port")/" "$work/examples/probe.yaml"
# BSSAP_CONSOLE=[ADDR:]PORT: watch this replay in the console page (README "Watching the main job"):
# paced at BSSAP_SPEED (default 10) times capture speed, served BSSAP_LINGER s (default 600) after.
pace=(--fast)
if [ -n "${BSSAP_CONSOLE:-}" ]; then
  pace=(--speed "${BSSAP_SPEED:-10}" --http "$BSSAP_CONSOLE" --http-linger "${BSSAP_LINGER:-600}")
  case $BSSAP_CONSOLE in *:*) url=$BSSAP_CONSOLE ;; *) url=127.0.0.1:$BSSAP_CONSOLE ;; esac
  echo "== console: http://$url/ (Ctrl-C ends the wait after the replay)"
fi
echo "== bssap-probe replay pcaps/sample.pcap --config examples/probe.yaml (SMSC: smpp-stub on 127.0.0.1)"
SMPP_PASSWORD=demo-pw1 "$bin"/bssap-probe replay pcaps/sample.pcap "${pace[@]}" --config "$work/examples/probe.yaml" \
  --decisions "$work/decisions.jsonl" --no-summary
echo "== $(wc -l <"$work/decisions.jsonl") decisions ($work/decisions.jsonl), by campaign, outcome and reason:"
grep -o '"campaign":"[a-z0-9-]*"\|"outcome":"[a-z]*"\|"reason":"[a-z_]*"' "$work/decisions.jsonl" |
  paste -sd' ' | sed 's/ "campaign"/\n"campaign"/g' | sed 's/"campaign":"\([^"]*\)" "outcome":"\([a-z]*\)"\( "reason":"\([a-z_]*\)"\)\?/\1 \2 \4/' |
  sort | uniq -c | sort -k2,2 -k1,1nr
kill -INT $stub && wait $stub 2>/dev/null || true
trap - EXIT
echo "== the SMSC received $(grep -c '"type":"message"' "$work/smsc.jsonl") messages, for example:"
grep '"type":"message"' "$work/smsc.jsonl" | head -3
echo "== bssap-probe report --config examples/probe.yaml"
"$bin"/bssap-probe report --config "$work/examples/probe.yaml"
