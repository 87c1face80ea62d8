#!/usr/bin/env bash
# Installs what ehcpsim needs from Debian (only what is missing), then
# configures and builds it into build/. Safe to run again: it does nothing
# that is already done. Run as root on a fresh machine (or with sudo).
#
#   scripts/setup.sh            # Release build in build/
#   BUILD_DIR=b scripts/setup.sh -DEHCPSIM_SANITIZE=ON   # extra CMake flags pass through
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}

packages=(
  cmake make g++ pkg-config
  libtbb-dev libeigen3-dev libhdf5-dev libcli11-dev libtomlplusplus-dev libpcg-cpp-dev libboost-dev nlohmann-json3-dev libxlsxwriter-dev
  libgtest-dev hdf5-tools libopenmpi-dev openmpi-bin clang libclang-rt-14-dev
  libcpp-httplib-dev libjs-chart.js chromium
  python3 python3-numpy python3-h5py python3-matplotlib python3-xarray python3-h5netcdf python3-openpyxl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then SUDO=sudo; else
      echo "setup: these Debian packages are missing and I am not root: ${missing[*]}" >&2; exit 1; fi
  else SUDO=""; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
if ! cmake --build "$build" -j "$jobs" >"$build/build.log" 2>&1; then
  grep -E -A3 "error|Error" "$build/build.log" | head -60 >&2
  echo "setup: build failed; the whole log is $build/build.log" >&2
  exit 1
fi
echo "setup: built $build/ehcpsim"
