#!/usr/bin/env bash
# fuzz-coverage.sh - line coverage of compiler/ and runtime/ by the fuzz corpora.
#
# Usage: bash scripts/fuzz-coverage.sh
#
# Builds the fuzz targets once more with clang's source-based coverage
# (-fprofile-instr-generate -fcoverage-mapping) in build-fuzz-cov/, replays
# every input of the corpora scripts/fuzz.sh has grown in build-fuzz/fuzz/
# (and their seeds) through them once, and prints llvm-cov's summary: one
# line per file, then the totals, for compiler/ (the frontend, codegen and weights
# targets) and for runtime/ (the three readers' targets).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
root=$(pwd)
fuzz_dir=$root/build-fuzz/fuzz
cov_dir=$root/build-fuzz-cov
[[ -d $fuzz_dir ]] || { echo "fuzz-coverage.sh: no corpora in $fuzz_dir; run scripts/fuzz.sh first" >&2; exit 1; }
# CMake takes CFLAGS and CXXFLAGS from the environment when it first
# configures the build directory.
flags="-fprofile-instr-generate -fcoverage-mapping"
CC=clang-19 CXX=clang++-19 CFLAGS=$flags CXXFLAGS=$flags CATC_BUILD_DIR=$cov_dir \
  CATC_CMAKE_ARGS="-DCATC_FUZZ=ON" bash scripts/build.sh catc-fuzz ||
  { echo "fuzz-coverage.sh: the build failed" >&2; exit 1; }

export ASAN_OPTIONS=detect_leaks=0
profiles=$cov_dir/profiles
rm -rf "$profiles"
mkdir -p "$profiles"
# report NAME DIR TARGET...: replays TARGETs' corpora, reports files under DIR.
report() {
  local name=$1 dir=$2
  shift 2
  local objects=()
  for t in "$@"; do
    local inputs=()
    for d in "$fuzz_dir/$t/corpus" "$fuzz_dir/$t/seeds"; do
      [[ -d $d ]] && inputs+=("$d")
    done
    LLVM_PROFILE_FILE="$profiles/$name-$t-%p.profraw" \
      "$cov_dir/bin/catc-fuzz-$t" -runs=0 "${inputs[@]}" >/dev/null 2>&1
    objects+=(-object "$cov_dir/bin/catc-fuzz-$t")
  done
  llvm-profdata-19 merge -sparse "$profiles/$name"-*.profraw -o "$profiles/$name.profdata"
  echo "== $name: line coverage of $dir/ by the corpora of $*"
  llvm-cov-19 report "${objects[@]:1}" -instr-profile="$profiles/$name.profdata" "$root/$dir"
}
report compiler compiler frontend codegen weights
report runtime runtime csv text safetensors
