#!/usr/bin/env bash
# Installs the Debian packages needed to build, run and test ff-node.
# Safe to run again: when every package is already present it changes
# nothing and skips apt entirely.
set -euo pipefail

# The one list of what the project needs from Debian.
packages=(
  build-essential
  cmake
  pkg-config
  g++
  libcaf-dev
  libhiredis-dev
  rapidjson-dev
  libboost-dev
  doctest-dev
  libssl-dev
  libspdlog-dev
  libcli11-dev
  prometheus-cpp-dev
  redis-server
  clang               # the fuzz targets (tests/fuzz, docs/fuzzing.md)
  libclang-rt-14-dev  # libFuzzer's runtime for clang 14 (libclang_rt.fuzzer-x86_64.a)
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
}

echo "install-deps: installing ${missing[*]}"
# The package lists may be stale or absent on a fresh machine: always
# refresh them before installing.
as_root env DEBIAN_FRONTEND=noninteractive apt-get update
as_root env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y --no-install-recommends "${missing[@]}"
