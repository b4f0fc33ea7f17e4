#!/usr/bin/env bash
# Builds the Debian packages into build/pkg/: a release build of the programs (its own build
# folder), the man pages (scripts/man.sh), CPack's DEB generator with dpkg-shlibdeps, then checks:
# no packaged binary links libwireshark (it would need a package of its own, for its licence) and
# lintian reports no error.
#   BSSAP_PKG_BUILD=DIR  build folder (default build/pkg-release; the package test uses a fresh one)
#   BSSAP_PKG_OUT=DIR    where the .deb files go (default build/pkg)
set -euo pipefail
die() { echo "package: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BSSAP_PKG_BUILD:-$here/build/pkg-release}
out=${BSSAP_PKG_OUT:-$here/build/pkg}
mkdir -p "$(dirname "$build")"
for tool in dpkg-deb dpkg-shlibdeps lintian help2man go-md2man fakeroot; do
  command -v "$tool" >/dev/null || die "$tool is missing (bash scripts/setup.sh)"
done

launcher=()
if command -v ccache >/dev/null; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  # Hits across build folders (the package test builds in a fresh one).
  export CCACHE_NOHASHDIR=true CCACHE_BASEDIR=$here
fi
# The release preset's flags, without tests and benchmarks; Debian's prefix. BSSAP_EPAN=OFF: the
# packaged tshark-diff runs tshark as a subprocess and links no libwireshark (GPL: a binary that
# links it needs a package of its own, README "Licence").
cmake --preset release -S "$here" -B "$build" -DBSSAP_TESTS=OFF -DBSSAP_BENCH=OFF -DBSSAP_PACKAGE=ON -DBSSAP_EPAN=OFF \
  -DCMAKE_INSTALL_PREFIX=/usr "${launcher[@]}" >"$build.configure.log" 2>&1 ||
  { tail -20 "$build.configure.log" >&2; die "cmake configure failed"; }
nice cmake --build "$build" -j2 --target bssap-probe bssap-synth smpp-stub smpp-send tshark-diff manpages ||
  die "build failed"

for b in bssap-probe bssap-synth smpp-stub smpp-send tshark-diff; do
  if ldd "$build/bin/$b" | grep -q libwireshark; then
    die "$b links libwireshark: it needs a package of its own (cmake/package.cmake)"
  fi
done

mkdir -p "$out"
rm -f "$out"/*.deb
(cd "$build" && fakeroot cpack -G DEB -B "$out" >"$build.cpack.log" 2>&1) ||
  { tail -30 "$build.cpack.log" >&2; die "cpack failed"; }
rm -rf "$out/_CPack_Packages"
debs=("$out"/*.deb)
[ -f "${debs[0]}" ] || die "no package written"
# Errors fail; warnings are printed.
lintian --fail-on error --tag-display-limit 0 "${debs[@]}" || die "lintian reports errors"
for d in "${debs[@]}"; do echo "package: $d"; done
