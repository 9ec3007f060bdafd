#!/usr/bin/env bash
# resources/qml-example.png: examples/qml as the third copy of billing/scheduler, rendered
# offscreen (Qt Quick's software backend) by scripts/dev/screenshot-qml.qml.
#   scripts/dev/screenshot-qml.sh [BUILD_DIR]      (default build/test, built)
set -euo pipefail
CONCLAVE_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$CONCLAVE_ROOT/scripts/lib/common.sh"
BUILD=${1:-$CONCLAVE_ROOT/build/test}
QML=/usr/lib/qt6/bin/qml
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"' EXIT
conclave_start_etcd screenshot "$work/etcd" "$work/etcd.log" 26379
pids+=("$CONCLAVE_ETCD_PID")
export QT_QPA_PLATFORM=offscreen QT_QUICK_BACKEND=software QML_IMPORT_PATH=$BUILD/qml
for id in scheduler-1 scheduler-3; do
    "$QML" "$CONCLAVE_ROOT/examples/qml/main.qml" -- "$CONCLAVE_ETCD_URL" billing/scheduler "$id" >"$work/$id.out" 2>&1 &
    pids+=("$!")
    conclave_wait_for "$work/$id.out" '^qml: role: (leader|follower)'
done
"$QML" "$CONCLAVE_ROOT/scripts/dev/screenshot-qml.qml" -- "$CONCLAVE_ETCD_URL" billing/scheduler scheduler-2 \
    "file://$CONCLAVE_ROOT/examples/qml/main.qml" "$CONCLAVE_ROOT/resources/qml-example.png"
