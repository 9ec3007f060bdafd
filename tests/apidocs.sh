#!/usr/bin/env bash
# The API reference builds without a single doxygen warning (docs/Doxyfile.in: every public
# class, function, signal, property and enum documented; WARN_AS_ERROR = FAIL_ON_WARNINGS).
# doxygen comes from Debian's package, which scripts/test installs; its absence is a failure.
set -euo pipefail
build=$1
command -v doxygen >/dev/null || { echo "error: doxygen not found (Debian package doxygen; scripts/test installs it)" >&2; exit 1; }
rm -rf "$build/docs"
out=$(cd "$build" && doxygen Doxyfile 2>&1) || { echo "$out" >&2; echo "error: the API reference has warnings (above)" >&2; exit 1; }
[ -z "$out" ] || { echo "$out"; echo "error: doxygen said something (above)" >&2; exit 1; }
for page in index.html classConclave_1_1Elector.html classConclave_1_1ClusterStatus.html; do
    [ -f "$build/docs/html/$page" ] || { echo "error: $page was not generated" >&2; exit 1; }
done
grep -q "elector.campaign()" "$build/docs/html/index.html" || { echo "error: the main page lacks the minimal example" >&2; exit 1; }
echo "API reference: $build/docs/html/index.html"
