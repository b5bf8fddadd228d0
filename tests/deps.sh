#!/usr/bin/env bash
# Installs, with apt-get, whatever the build needs and this machine lacks.
# Sourced by tests/run.sh and deploy/demo.sh; safe to run repeatedly.
set -euo pipefail

RECTSYNC_PACKAGES=(
  cmake ninja-build ccache g++ pkg-config openssl
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev
  librocksdb-dev libsodium-dev
  libcli11-dev libtomlplusplus-dev libspdlog-dev nlohmann-json3-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev jq curl
  libssl-dev zlib1g-dev libzstd-dev libbrotli-dev
  libxlsxwriter-dev libzip-dev libpugixml-dev
)

# The console's browser tests: headless Chromium, its WebDriver, and a CJK
# font so that pages and screenshots show Chinese (tests/run.sh only).
RECTSYNC_TEST_PACKAGES=(chromium chromium-driver fonts-wqy-microhei)

# Installs RECTSYNC_PACKAGES and the extra packages given as arguments.
rectsync_install_deps() {
  local missing=()
  for p in "${RECTSYNC_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "rectsync: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

# Configures and builds into $1 (default build/) with Ninja and ccache.
rectsync_build() {
  local dir=${1:-build} type=${2:-RelWithDebInfo}
  local top
  top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/ccache}
  cmake -S "$top" -B "$top/$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" >/dev/null
  cmake --build "$top/$dir" -j"$(nproc)"
}
