#!/usr/bin/env bash
# The alerting rules: `promtool check rules` and their unit tests (`promtool test rules`).
# promtool comes with Debian's prometheus package, which scripts/test installs; its absence is
# a failure, not a skip.
set -euo pipefail
dir=$1/resources/monitoring
command -v promtool >/dev/null || { echo "error: promtool not found (Debian package prometheus; scripts/test installs it)" >&2; exit 1; }
promtool check rules "$dir/conclave-alerts.yml"
cd "$dir" && promtool test rules conclave-alerts.test.yml
