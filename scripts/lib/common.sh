# Shared by scripts/test and scripts/run: install what is missing, configure and build.
# Debian bookworm (Qt 6.4, etcd 3.4); needs root (or sudo) only when something is missing.

# libqt6svg6: the monitor's SVG window icon; fonts-dejavu-core: text in offscreen screenshots.
CONCLAVE_PACKAGES=(cmake ninja-build g++ qt6-base-dev qt6-base-dev-tools libgl-dev
                   libqt6svg6 fonts-dejavu-core
                   etcd-server etcd-client openssl ca-certificates)

conclave_install_missing() {
    local missing=()
    for p in "${CONCLAVE_PACKAGES[@]}"; do
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
