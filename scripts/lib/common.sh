# Shared by scripts/test and scripts/run: install what is missing, configure and build.
# Debian bookworm (Qt 6.4, etcd 3.4); needs root (or sudo) only when something is missing.

# qt6-httpserver-dev (+ qt6-websockets-dev, which its CMake package needs but Debian does not
# pull in): conclave-candidate's --metrics-address (never the library).
# libqt6svg6: the monitor's SVG window icon; fonts-dejavu-core: text in offscreen screenshots;
# make: README's build-against-the-install block uses CMake's default generator.
CONCLAVE_PACKAGES=(cmake ninja-build make g++ qt6-base-dev qt6-base-dev-tools qt6-httpserver-dev qt6-websockets-dev libgl-dev
                   libqt6svg6 fonts-dejavu-core
                   etcd-server etcd-client openssl ca-certificates)
# Only the test suite needs these: clang with libFuzzer for the targets of tests/fuzz.
CONCLAVE_TEST_PACKAGES=(clang libclang-rt-14-dev)

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
    cmake -S "$CONCLAVE_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
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
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
