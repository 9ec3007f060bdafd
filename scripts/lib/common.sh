# Shared by scripts/test and scripts/run: install what is missing, configure and build.
# Debian bookworm (Qt 6.4, etcd 3.4) and trixie (Qt 6.8, etcd 3.5); needs root (or sudo) only
# when something is missing.

# The SVG plugins (the monitor's icons and window icon) are in libqt6svg6 on bookworm and in
# a package of their own from trixie on.
if [ "$( (. /etc/os-release && echo "${VERSION_CODENAME:-}") 2>/dev/null)" = bookworm ]; then
    CONCLAVE_SVG_PLUGINS=libqt6svg6
else
    CONCLAVE_SVG_PLUGINS=qt6-svg-plugins
fi
# qt6-httpserver-dev (+ qt6-websockets-dev, which its CMake package needs but Debian does not
# pull in): conclave-candidate's --metrics-address (never the library).
# fonts-dejavu-core: text in offscreen screenshots;
# make: README's build-against-the-install block uses CMake's default generator; pkgconf: its
# pkg-config line; qt6-declarative-dev: the QML module (qml/).
CONCLAVE_PACKAGES=(cmake ninja-build make g++ pkgconf qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev libgl-dev
                   qt6-declarative-dev
                   "$CONCLAVE_SVG_PLUGINS" fonts-dejavu-core
                   etcd-server etcd-client openssl ca-certificates)
# Only the test suite needs these: clang with libFuzzer for the targets of tests/fuzz;
# prometheus (with promtool) for the alerting rules' tests and the Prometheus integration test;
# doxygen for the API reference (the apidocs test); Qt's qml tool and the QML modules the QML
# tests and examples/qml import (QtQuick, its Window, QtTest and what they pull in).
CONCLAVE_TEST_PACKAGES=(clang libclang-rt-dev prometheus doxygen # the default clang of each release (14 on bookworm, 19 on trixie)
                        qml-qt6 qml6-module-qtquick qml6-module-qtquick-window qml6-module-qtqml
                        qml6-module-qtqml-models qml6-module-qtqml-workerscript qml6-module-qttest
                        # the Debian packages' test (tests/debian.sh): build, lint, a fresh system
                        dpkg-dev debhelper build-essential lintian debootstrap git)

# conclave_install_missing [more packages…]
conclave_install_missing() {
    local missing=()
    for p in "${CONCLAVE_PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing: ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "error: need root to install ${missing[*]}" >&2; return 1; }
        sudo=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    # Debian's etcd-server package would start a system etcd where services can start; ours
    # are started by the scripts and tests themselves on free loopback ports.
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# conclave_build BUILD_DIR [extra cmake args…]
conclave_build() {
    local dir=$1; shift
    # The QML module is required here (not AUTO): a missing Qt Qml fails the build, it does not
    # quietly leave the QML tests out.
    cmake -S "$CONCLAVE_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONCLAVE_BUILD_QML=ON "$@" >/dev/null
    cmake --build "$dir" -j2
}

# conclave_etcd_answers URL: true if an etcd answers its health check there.
conclave_etcd_answers() {
    ETCDCTL_API=3 etcdctl --endpoints "$1" --dial-timeout 2s endpoint health >/dev/null 2>&1
}

# conclave_start_etcd NAME DATA_DIR LOG FIRST_PORT: a single-member etcd on the first free pair
# of loopback ports from FIRST_PORT (client, peer), in the background. Sets CONCLAVE_ETCD_URL
# and CONCLAVE_ETCD_PID (call it in this shell, not in $(…)); fails with the log's tail on
# stderr if it does not answer within 10 s.
conclave_start_etcd() {
    local name=$1 data=$2 log=$3 port=$4
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || (exec 3<>"/dev/tcp/127.0.0.1/$((port + 1))") 2>/dev/null; do
        port=$((port + 2))
    done
    local peer=http://127.0.0.1:$((port + 1))
    CONCLAVE_ETCD_URL=http://127.0.0.1:$port
    etcd --name "$name" --data-dir "$data" \
        --listen-client-urls "$CONCLAVE_ETCD_URL" --advertise-client-urls "$CONCLAVE_ETCD_URL" \
        --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" --initial-cluster "$name=$peer" \
        --logger zap --log-outputs "$log" >/dev/null 2>&1 &
    CONCLAVE_ETCD_PID=$!
    for _ in $(seq 100); do
        conclave_etcd_answers "$CONCLAVE_ETCD_URL" && return 0
        kill -0 "$CONCLAVE_ETCD_PID" 2>/dev/null || break # it exited: no use waiting
        sleep 0.1
    done
    echo "error: etcd did not start on $CONCLAVE_ETCD_URL; log:" >&2
    tail "$log" >&2
    return 1
}

# conclave_wait_for FILE PATTERN: until FILE has a line matching the extended regex PATTERN
# (30 s at most); else prints FILE and fails.
conclave_wait_for() {
    for _ in $(seq 300); do
        grep -Eq "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "error: no line matching '$2' in $1:" >&2
    cat "$1" >&2
    return 1
}

# conclave_install_interop BUILD_DIR: etcd3 for Node.js (an election client not written here,
# for tests/tst_interop.cpp) into BUILD_DIR/interop, from the committed lock file. Node.js and
# npm come from Debian unless the machine already has both commands.
conclave_install_interop() {
    local dir=$1/interop src=$CONCLAVE_ROOT/tests/interop
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        conclave_install_missing nodejs npm
    fi
    mkdir -p "$dir"
    if [ -f "$dir/node_modules/etcd3/package.json" ] && cmp -s "$src/package-lock.json" "$dir/package-lock.json"; then
        return 0
    fi
    echo "==> installing etcd3 for Node.js (npm ci) into $dir"
    cp "$src/package.json" "$src/package-lock.json" "$dir/"
    # The machine's trust store, as apt and curl use it (a site's own CA, e.g. behind a proxy).
    local ca=()
    [ -f /etc/ssl/certs/ca-certificates.crt ] && ca=(--cafile=/etc/ssl/certs/ca-certificates.crt)
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error "${ca[@]}" >/dev/null)
}

# The etcd versions of the test matrix: Debian's own builds, as users on each release get them.
# bookworm's 3.4.23 is the machine's (etcd-server above); the others are fetched with
# `apt-get download` through a private sources list and state directory (the machine's own apt
# sources are never touched) and unpacked under the build tree: their Go binaries run anywhere.
declare -A CONCLAVE_ETCD_SUITES=([3.5.16]=trixie [3.5.30]=forky)
declare -A CONCLAVE_ETCD_DEBIAN=([3.5.16]=3.5.16-4 [3.5.30]=3.5.30-2)

# conclave_fetch_etcd VERSION DIR: DIR/usr/bin/{etcd,etcdctl} of that Debian build. Sets
# CONCLAVE_ETCD_BIN_DIR. When the suite has moved on from the pinned build, uses the suite's
# current one and says so.
conclave_fetch_etcd() {
    local version=$1 dir=$2/etcd-$1 suite=${CONCLAVE_ETCD_SUITES[$1]:-}
    [ -n "$suite" ] || { echo "error: no Debian suite known for etcd $version (known: ${!CONCLAVE_ETCD_SUITES[*]})" >&2; return 1; }
    CONCLAVE_ETCD_BIN_DIR=$dir/root/usr/bin
    if [ -x "$CONCLAVE_ETCD_BIN_DIR/etcd" ] && [ -x "$CONCLAVE_ETCD_BIN_DIR/etcdctl" ]; then
        return 0
    fi
    local apt=$dir/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$dir/debs" "$dir/root"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" >"$apt/sources.list"
    local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
                -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1
                -o APT::Sandbox::User=root)
    echo "==> fetching Debian $suite's etcd $version (apt-get download, private sources list)"
    apt-get "${opts[@]}" update -qq || { echo "error: cannot read Debian $suite's package lists" >&2; return 1; }
    local want=${CONCLAVE_ETCD_DEBIAN[$version]} have
    have=$(apt-cache "${opts[@]}" show "etcd-server=$want" 2>/dev/null | sed -n 's/^Version: //p' | sed -n 1p)
    if [ -z "$have" ]; then
        have=$(apt-cache "${opts[@]}" policy etcd-server | sed -n 's/^ *Candidate: //p')
        echo "warning: $suite no longer has etcd-server $want; testing its $have instead" >&2
    fi
    (cd "$dir/debs" && apt-get "${opts[@]}" download -qq "etcd-server=$have" "etcd-client=$have") \
        || { echo "error: cannot download etcd $have from Debian $suite" >&2; return 1; }
    local deb
    for deb in "$dir"/debs/etcd-server_*.deb "$dir"/debs/etcd-client_*.deb; do
        dpkg-deb -x "$deb" "$dir/root"
    done
    "$CONCLAVE_ETCD_BIN_DIR/etcd" --version | sed -n 1p # sed reads it all: head could SIGPIPE etcd (pipefail)
}
