#!/usr/bin/env bash
# The Debian packages as a user meets them. From a clean clone of the committed tree:
# `dpkg-buildpackage -b -uc -us`; lintian must report no error; then a fresh Debian of this
# machine's release (debootstrap --variant=minbase, unpacked anew from a cached tarball every
# run) installs the four packages with apt, and inside it: an etcd, conclave-candidate leads,
# conclave-monitor --once sees it, examples/minimal is built with find_package(Conclave) from
# libconclave-dev and takes part, and a plain QML script imports Conclave from where
# qml6-module-conclave put it (no QML_IMPORT_PATH).
#   tests/debian.sh SOURCE_DIR WORK_DIR        (as root: chroot, mount)
set -euo pipefail
SRC=$1 WORK=$2
CONCLAVE_ROOT=$SRC
source "$SRC/scripts/lib/common.sh"
step() { echo "==> $*"; }
fail() { echo "error: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "tests/debian.sh needs root (debootstrap, chroot)"
for tool in dpkg-buildpackage lintian debootstrap git; do
    command -v "$tool" >/dev/null || fail "$tool not found (Debian packages dpkg-dev debhelper lintian debootstrap git; scripts/test installs them)"
done
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || fail "cannot tell this machine's Debian release from /etc/os-release"

root=$WORK/root
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    # Whatever else still runs in the fresh system (its root is ours) goes too.
    local proc
    for proc in /proc/[0-9]*; do
        [ "$(readlink "$proc/root" 2>/dev/null)" = "$root" ] && kill -9 "${proc#/proc/}" 2>/dev/null
    done
    wait 2>/dev/null || true
    if mountpoint -q "$root/proc" 2>/dev/null; then
        umount "$root/proc" || umount -l "$root/proc" || true
    fi
    # Never remove a tree that still has something mounted in it.
    if ! grep -q " $root/" /proc/mounts; then rm -rf "$root"; fi
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK"

step "dpkg-buildpackage -b -uc -us in a clean clone of $(git -C "$SRC" rev-parse --short HEAD)"
if [ "${CONCLAVE_DEB_REUSE:-0}" = 1 ] && ls "$WORK"/conclave_*.changes >/dev/null 2>&1; then
    echo "(CONCLAVE_DEB_REUSE=1: the packages built before)"
else
rm -rf "$WORK/src" "$WORK"/*.deb "$WORK"/*.changes "$WORK"/*.buildinfo
git clone --quiet --no-hardlinks "$SRC" "$WORK/src"
(cd "$WORK/src" && dpkg-buildpackage -b -uc -us) >"$WORK/build.log" 2>&1 \
    || { tail -40 "$WORK/build.log" >&2; fail "dpkg-buildpackage failed (log: $WORK/build.log)"; }
fi
ls "$WORK"/*.deb

step "lintian: no error"
changes=$(ls "$WORK"/conclave_*.changes)
lintian --fail-on error "$changes" | tee "$WORK/lintian.log" \
    || fail "lintian reports errors (above)"

step "a fresh Debian $codename (debootstrap --variant=minbase)"
base=$WORK/debian-$codename-minbase.tar.gz
if [ ! -f "$base" ]; then
    debootstrap --variant=minbase "$codename" "$WORK/bootstrap" http://deb.debian.org/debian >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log" >&2; fail "debootstrap $codename failed"; }
    tar -C "$WORK/bootstrap" -czf "$base.part" . && mv "$base.part" "$base"
    rm -rf "$WORK/bootstrap"
fi
mkdir -p "$root"
tar -C "$root" -xzf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mkdir -p "$root/tmp/debs" "$root/tmp/minimal"
cp "$WORK"/libconclave0_*.deb "$WORK"/libconclave-dev_*.deb "$WORK"/qml6-module-conclave_*.deb \
   "$WORK"/conclave-tools_*.deb "$root/tmp/debs/"
cp "$SRC/examples/minimal/main.cpp" "$SRC/examples/minimal/CMakeLists.txt" "$root/tmp/minimal/"
cp "$SRC/tests/qml-script/campaign.qml" "$root/tmp/"

# A command in the fresh system (a plain command, so that `… &` gives its own PID).
in_root=(chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 QT_QPA_PLATFORM=offscreen)

step "apt-get install the packages (and etcd, a compiler, Qt's qml tool)"
debs=()
for deb in "$root"/tmp/debs/*.deb; do debs+=("/tmp/debs/${deb##*/}"); done
"${in_root[@]}" apt-get update -qq
"${in_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${debs[@]}" etcd-server etcd-client cmake make g++ \
    qml-qt6 qml6-module-qtquick qml6-module-qtquick-window qml6-module-qtqml-workerscript >"$WORK/apt.log" 2>&1 \
    || { tail -30 "$WORK/apt.log" >&2; fail "apt-get install of the packages failed"; }
"${in_root[@]}" dpkg-query -W libconclave0 libconclave-dev qml6-module-conclave conclave-tools

# An etcd on a free loopback port (the chroot shares this machine's network).
port=25379
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; do
    port=$((port + 2))
done
url=http://127.0.0.1:$port
chroot "$root" etcd --data-dir /tmp/etcd --listen-client-urls "$url" --advertise-client-urls "$url" \
    --listen-peer-urls "http://127.0.0.1:$((port + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((port + 1))" \
    --initial-cluster "default=http://127.0.0.1:$((port + 1))" >"$WORK/etcd.log" 2>&1 &
pids+=("$!")
for _ in $(seq 100); do
    "${in_root[@]}" etcdctl --endpoints "$url" endpoint health >/dev/null 2>&1 && break
    sleep 0.1
done
"${in_root[@]}" etcdctl --endpoints "$url" endpoint health >/dev/null 2>&1 || { tail "$WORK/etcd.log" >&2; fail "etcd did not start in the chroot"; }

step "conclave-candidate leads, conclave-monitor --once sees it"
"${in_root[@]}" conclave-candidate --help >/dev/null
"${in_root[@]}" conclave-candidate --endpoints "$url" --election deb/tools --id deb-candidate --ttl 5 >"$WORK/candidate.out" 2>&1 &
pids+=("$!")
conclave_wait_for "$WORK/candidate.out" '"role":"leader"'
"${in_root[@]}" conclave-monitor --endpoints "$url" --once --json >"$WORK/monitor.json" 2>"$WORK/monitor.err" \
    || { cat "$WORK/monitor.err" >&2; fail "conclave-monitor --once failed"; }
grep -q '"leader": "deb-candidate",' "$WORK/monitor.json" && grep -q '"status": "healthy"' "$WORK/monitor.json" \
    || { cat "$WORK/monitor.json" >&2; fail "the monitor does not show deb-candidate leading a healthy deb/tools"; }
grep -E '"(leader|name|status|etcd_version)":' "$WORK/monitor.json"

step "examples/minimal with find_package(Conclave) from libconclave-dev"
"${in_root[@]}" cmake -S /tmp/minimal -B /tmp/minimal/build -DCMAKE_BUILD_TYPE=Release >"$WORK/minimal.log" 2>&1 \
    && "${in_root[@]}" cmake --build /tmp/minimal/build >>"$WORK/minimal.log" 2>&1 \
    || { tail -30 "$WORK/minimal.log" >&2; fail "building examples/minimal against the installed packages failed"; }
"${in_root[@]}" ETCDCTL_ENDPOINTS="$url" /tmp/minimal/build/conclave-minimal >"$WORK/minimal.out" 2>&1 &
pids+=("$!")
conclave_wait_for "$WORK/minimal.out" 'role: .*Leader'

step "a plain QML script imports the installed module"
"${in_root[@]}" timeout 60 /usr/lib/qt6/bin/qml /tmp/campaign.qml -- "$url" deb/qml >"$WORK/qml.out" 2>&1 \
    || { cat "$WORK/qml.out" >&2; fail "the QML script failed"; }
grep -E '^qml: leader: qml-script fencing token: [0-9]+$' "$WORK/qml.out"
step "passed"
