#!/usr/bin/env bash
# Writes the man pages from one source each, so that they cannot drift from the programs:
#   the programs' own --help (CLI11) through help2man, with packaging/man/NAME.h2m for the sections
#   --help has no room for (signals, files, environment); probe.yaml(5) from
#   packaging/man/probe.yaml.5.md through go-md2man.
# Usage: scripts/man.sh BIN_DIR OUT_DIR VERSION [--gzip]
#   pages in OUT_DIR/man1, man5, man8; --gzip: compressed as Debian ships them (gzip -9n, policy 12.1)
set -euo pipefail
die() { echo "man.sh: $*" >&2; exit 1; }
[ $# -eq 3 ] || [ $# -eq 4 ] || die "usage: man.sh BIN_DIR OUT_DIR VERSION [--gzip]"
bin=$1 out=$2 version=$3 compress=${4:-}
here=$(cd "$(dirname "$0")/.." && pwd)
src=$here/packaging/man
command -v help2man >/dev/null || die "help2man is missing (bash scripts/setup.sh)"
command -v go-md2man >/dev/null || die "go-md2man is missing (bash scripts/setup.sh)"
mkdir -p "$out/man1" "$out/man5" "$out/man8"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# page NAME SECTION SUMMARY COMMAND...: help2man on COMMAND --help (a wrapper for subcommands).
page() {
  local name=$1 section=$2 summary=$3
  shift 3
  local wrapper=$work/$name
  printf '#!/bin/sh\nexec' >"$wrapper"
  printf ' %q' "$@" >>"$wrapper"
  printf ' "$@"\n' >>"$wrapper"
  chmod +x "$wrapper"
  local include=()
  [ -f "$src/$name.h2m" ] && include=(--include "$src/$name.h2m")
  help2man --no-info --section "$section" --name "$summary" --version-string "$version" \
    --source "bssap-probe $version" --manual "bssap-probe" "${include[@]}" --output "$out/man$section/$name.$section" \
    "$wrapper" || die "help2man failed for $name"
  # help2man names the page after the wrapper's path; the .TH line carries the page name.
  grep -q "^\.TH \"\?${name^^}" "$out/man$section/$name.$section" || die "$name: unexpected page header"
}

probe=$bin/bssap-probe
[ -x "$probe" ] || die "$probe is not built"
page bssap-probe 8 "GSM A-interface signalling probe and SMS campaign engine" "$probe"
page bssap-probe-replay 8 "replay pcap files through the probe" "$probe" replay
page bssap-probe-live 8 "capture on span ports with libpcap" "$probe" live
page bssap-probe-dpdk 8 "capture from DPDK ports" "$probe" dpdk --
page bssap-probe-report 8 "the campaigns' evaluation" "$probe" report
page bssap-probe-check-config 8 "validate a configuration without capturing" "$probe" check-config
page bssap-probe-trigger 8 "a trigger worker: campaign engines fed by NATS JetStream" "$probe" trigger
page bssap-synth 1 "realistic A-interface captures with ground-truth events" "$bin/bssap-synth"
page smpp-stub 1 "SMSC simulator for SMPP 3.4" "$bin/smpp-stub"
page smpp-send 1 "submit messages over SMPP 3.4 and wait for receipts" "$bin/smpp-send"
page tshark-diff 1 "compare bssap-probe's decoders with tshark" "$bin/tshark-diff"

sed "s/@VERSION@/$version/" "$src/probe.yaml.5.md" >"$work/probe.yaml.5.md"
go-md2man -in "$work/probe.yaml.5.md" -out "$out/man5/probe.yaml.5" || die "go-md2man failed"

if [ "$compress" = --gzip ]; then
  gzip -9nf "$out"/man1/*.1 "$out"/man5/*.5 "$out"/man8/*.8
fi
