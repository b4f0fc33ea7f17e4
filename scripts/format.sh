#!/usr/bin/env bash
# Reformats every tracked C++ file in place.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -co --exclude-standard -- '*.cpp' '*.hpp' '*.h' '*.cc' | while read -r f; do [ -f "$f" ] && echo "$f"; done |
  xargs -r clang-format -i
