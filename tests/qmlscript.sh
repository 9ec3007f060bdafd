#!/usr/bin/env bash
# The QML module as a user meets it: installed (cmake --install into a staging prefix), found by
# Qt's own `qml` tool through QML_IMPORT_PATH, against a real etcd. First a plain script
# (tests/qml-script/campaign.qml) campaigns and prints the leader; then two copies of the QML
# example (examples/qml) show leader and follower, and the follower takes over when the leader
# quits.
#   tests/qmlscript.sh SOURCE_DIR BUILD_DIR QML_INSTALL_DIR
set -euo pipefail
CONCLAVE_ROOT=$1 BUILD=$2 QMLDIR=$3
source "$CONCLAVE_ROOT/scripts/lib/common.sh"
QML=/usr/lib/qt6/bin/qml
[ -x "$QML" ] || { echo "error: $QML not found (Debian package qml-qt6; scripts/test installs it)" >&2; exit 1; }
command -v etcd >/dev/null || { echo "error: etcd not found (Debian package etcd-server)" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$BUILD" --prefix "$work/stage" >/dev/null
[ -f "$work/stage/$QMLDIR/Conclave/qmldir" ] || { echo "error: no qmldir under $work/stage/$QMLDIR/Conclave" >&2; exit 1; }
conclave_start_etcd qmlscript "$work/etcd" "$work/etcd.log" 24379
pids+=("$CONCLAVE_ETCD_PID")
echo "etcd at $CONCLAVE_ETCD_URL"

# Nothing of the build tree on any path: the installed plugin must find the installed library.
export QML_IMPORT_PATH=$work/stage/$QMLDIR QT_QPA_PLATFORM=offscreen
unset LD_LIBRARY_PATH QML2_IMPORT_PATH

echo "==> a plain qml script campaigns"
timeout 60 "$QML" "$CONCLAVE_ROOT/tests/qml-script/campaign.qml" -- "$CONCLAVE_ETCD_URL" qml/script >"$work/script.out" 2>&1 \
    || { echo "error: the script failed ($?):" >&2; cat "$work/script.out" >&2; exit 1; }
cat "$work/script.out"
grep -Eq '^qml: leader: qml-script fencing token: [0-9]+$' "$work/script.out" \
    || { echo "error: the script did not print its leadership" >&2; exit 1; }

echo "==> two copies of examples/qml: leader, follower, handover"
"$QML" "$CONCLAVE_ROOT/examples/qml/main.qml" -- "$CONCLAVE_ETCD_URL" shop/cart copy-a >"$work/a.out" 2>&1 &
a=$!; pids+=("$a")
conclave_wait_for "$work/a.out" '^qml: role: leader leader: copy-a$'
"$QML" "$CONCLAVE_ROOT/examples/qml/main.qml" -- "$CONCLAVE_ETCD_URL" shop/cart copy-b >"$work/b.out" 2>&1 &
pids+=("$!")
conclave_wait_for "$work/b.out" '^qml: role: follower leader: copy-a$'
kill -TERM "$a"
conclave_wait_for "$work/b.out" '^qml: role: leader leader: copy-b$'
grep '^qml:' "$work/b.out"
echo "==> passed"
