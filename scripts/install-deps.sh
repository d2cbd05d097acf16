#!/usr/bin/env bash
# install-deps.sh - installs the Debian 12 packages catc needs, and only those
# that are missing.
#
#   bash scripts/install-deps.sh               # what building catc needs
#   bash scripts/install-deps.sh --with-tests  # ... plus what the test suite needs,
#                                              # and editors/vscode's npm packages
#   bash scripts/install-deps.sh --with-bench  # ... plus OpenBLAS for the bench/ peers
#   bash scripts/install-deps.sh --check       # report what is missing, install nothing
#
# Asks dpkg-query which packages are installed; when all are, it does nothing
# (no apt-get update, no sudo). Otherwise it runs apt-get update and
# apt-get install for the missing ones, as root or through sudo.
# Package choices are explained in docs/ and TOOLCHAIN.md.
set -euo pipefail

# What configuring and building catc needs (compiler, runtime, executables).
BUILD_PACKAGES=(
  cmake ninja-build g++ python3 git
  llvm-19-dev llvm-19-tools clang-19 lld-19 libclang-rt-19-dev libzstd-dev
  antlr4 libantlr4-runtime-dev uuid-dev libfmt-dev libgtest-dev
)

# What the test suite needs on top: the independent gradient oracle (torch),
# cross targets under qemu-user, the microcontroller boards of
# examples/embed/boards/ under qemu's system emulators (qemu-system-misc has
# qemu-system-riscv32) with their bare-metal toolchains and C libraries,
# graphviz for --emit=dot, psutil for lit's per-test timeout, Open MPI for
# the MPI jobs of executables linked with catc --mpi (mpicc at build time
# gives libcatrt_mpi.a; the tests run mpirun), and the editors of editors/
# (vim with syntax highlighting, Neovim, Node.js for the VS Code extension).
TEST_PACKAGES=(
  python3-torch python3-numpy python3-sklearn python3-psutil
  qemu-user gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu
  libc6-dev-armhf-cross libc6-dev-arm64-cross libc6-dev-riscv64-cross
  qemu-system-arm qemu-system-misc
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
  graphviz
  libopenmpi-dev openmpi-bin
  vim neovim nodejs
)
# npm for editors/vscode (docs/editors.md), unless an npm is there already:
# NodeSource's nodejs package bundles one and conflicts with Debian's npm.
if ! command -v npm >/dev/null 2>&1; then
  TEST_PACKAGES+=(npm)
fi

# Benchmarks only: torch is ~20x slower on the reference BLAS (TOOLCHAIN.md).
BENCH_PACKAGES=(libopenblas-dev)

usage() {
  echo "usage: $0 [--with-tests] [--with-bench] [--check]" >&2
  exit 2
}

with_tests=0
with_bench=0
check_only=0
for arg in "$@"; do
  case "$arg" in
    --with-tests) with_tests=1 ;;
    --with-bench) with_bench=1 ;;
    --check) check_only=1 ;;
    -h|--help) usage ;;
    *) echo "install-deps.sh: unknown option '$arg'" >&2; usage ;;
  esac
done

wanted=("${BUILD_PACKAGES[@]}")
if [[ $with_tests == 1 ]]; then
  wanted+=("${TEST_PACKAGES[@]}")
fi
if [[ $with_bench == 1 ]]; then
  wanted+=("${BENCH_PACKAGES[@]}")
fi

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps.sh: this script needs a Debian system (dpkg-query and apt-get); install these packages by hand: ${wanted[*]}" >&2
  exit 1
fi

# Prints the wanted packages that dpkg does not list as installed.
missing_packages() {
  local installed
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${wanted[@]}" 2>/dev/null |
              awk '$2 == "installed" { print $1 }' || true)
  local pkg
  for pkg in "${wanted[@]}"; do
    if ! grep -qx -- "$pkg" <<<"$installed"; then
      echo "$pkg"
    fi
  done
}

# With --with-tests, the npm packages of editors/vscode's package-lock.json,
# by the user who runs this script (apt-get alone runs as root): npm ci
# fills editors/vscode/node_modules and npm's cache (~/.npm), from which
# test/Editors/vscode-grammar.test installs them again with npm ci --offline.
# The only download outside apt; skipped while node_modules is newer than the
# lock file.
install_npm_packages() {
  [[ $with_tests == 1 && $check_only == 0 ]] || return 0
  local vscode
  vscode=$(cd "$(dirname "${BASH_SOURCE[0]}")/../editors/vscode" && pwd)
  if [[ $vscode/node_modules/.package-lock.json -nt $vscode/package-lock.json ]]; then
    return 0
  fi
  echo "install-deps.sh: npm ci in $vscode"
  if ! (cd "$vscode" && npm ci --no-audit --no-fund); then
    # Everything else works without them: only the extension's own tests
    # need them, and lit skips those (feature "npm").
    rm -rf "$vscode/node_modules"
    echo "install-deps.sh: warning: npm ci failed in $vscode (is the npm registry reachable?);" \
         "the VS Code extension's tests will be skipped" >&2
  fi
}

mapfile -t missing < <(missing_packages)

if [[ ${#missing[@]} == 0 ]]; then
  echo "install-deps.sh: all ${#wanted[@]} packages are installed"
  install_npm_packages
  exit 0
fi

echo "install-deps.sh: missing packages: ${missing[*]}"
if [[ $check_only == 1 ]]; then
  exit 1
fi

# Run apt-get as root, or through sudo for anyone else.
if [[ $(id -u) == 0 ]]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "install-deps.sh: error: installing packages needs root, and 'sudo' is not available;" >&2
  echo "  run this script as root, or as root run: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"

# Trust but verify: a package apt could not install must not pass silently.
mapfile -t still_missing < <(missing_packages)
if [[ ${#still_missing[@]} != 0 ]]; then
  echo "install-deps.sh: error: still missing after apt-get install: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-deps.sh: installed ${#missing[@]} packages"
install_npm_packages
