#!/usr/bin/env bash
# Installs everything bssap-probe needs on Debian 12, non-interactively. Idempotent: when all
# packages are present it only checks and exits. Fails with one clear line when it cannot.
# The README's dependency table says why each package is here.
set -euo pipefail

# Debian packages (see README "Dependencies").
PACKAGES=(
  build-essential cmake pkg-config git clang clang-format libclang-rt-14-dev
  libpcap-dev dpdk-dev libdpdk-dev libboost-dev libfmt-dev catch2
  tshark libwireshark-dev libglib2.0-dev libcli11-dev nlohmann-json3-dev libsqlite3-dev libyaml-cpp-dev zlib1g-dev
  tcpreplay iproute2 nodejs npm nats-server libnats-dev
  libcap-dev fakeroot lintian help2man go-md2man logrotate systemd
  libcpp-httplib-dev prometheus libjs-chart.js chromium fonts-wqy-zenhei
  valgrind
)

die() { echo "setup: $*" >&2; exit 1; }

[ -r /etc/debian_version ] || die "this script expects Debian 12 (no /etc/debian_version)"

missing=()
for p in "${PACKAGES[@]}"; do
  # nodejs/npm may come from elsewhere on a developer machine: a working `node` and `npm` count.
  if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run as root to install them"
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture: answer no, non-interactively.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq || die "apt-get update failed (is a Debian mirror reachable?)"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/bssap-setup-apt.log 2>&1 ||
    { tail -20 /tmp/bssap-setup-apt.log >&2; die "apt-get install failed: see /tmp/bssap-setup-apt.log"; }
fi

# npm test peers (the `smpp` package as an independent SMPP implementation), pinned by the
# lock file in tests/peers; installed only when missing or out of date.
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$here/tests/peers/package-lock.json" ]; then
  if [ ! -d "$here/tests/peers/node_modules" ] ||
     [ "$here/tests/peers/package-lock.json" -nt "$here/tests/peers/node_modules/.package-lock.json" ]; then
    echo "setup: installing npm test peers"
    (cd "$here/tests/peers" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/peers"
  fi
fi
exit 0
