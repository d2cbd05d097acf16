#!/usr/bin/env bash
# fuzz.sh - builds the libFuzzer targets and runs each for a while.
#
# Usage: bash scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS per target (default 60); TARGETs among frontend, codegen, csv,
#   text, safetensors, weights (default: all six).
#
# Builds catc's libraries, the runtime and tools/fuzz with clang-19,
# libFuzzer's coverage instrumentation, AddressSanitizer and
# UndefinedBehaviorSanitizer (-DCATC_FUZZ=ON) in build-fuzz/ (or
# CATC_BUILD_DIR), then runs each target on its corpus in
# build-fuzz/fuzz/<target>/corpus, which persists between runs and starts
# from seeds of the repository: every .cat file of examples/, stdlib/ and
# test/ for the compiler's targets (with tools/fuzz/cat.dict), the CSV and
# text files of examples/ and test/ for the readers, checkpoints written
# by the runtime for the safetensors reader, and tools/fuzz/corpus/weights/
# (with tools/fuzz/weights.dict) for catc's own reader of --weights. An
# input that crashes, trips a sanitizer, takes over 1 s or needs over 2 GB
# is saved as build-fuzz/fuzz/<target>/crash-* (or timeout-*, oom-*) and
# fails the run.
# Prints one line per target with its executions, then
# "N passed, N failed" over the targets; exit status non-zero on a finding.
# CATC_FUZZ_SEED (environment) fixes libFuzzer's random seed (default:
# a new one each run); CI's short smoke run uses 1. CATC_FUZZ_TIMEOUT is
# the seconds one input may take before it counts as a finding (default
# 1); a run that shares a busy machine (in the background of a build) needs
# more, because a descheduled process trips the limit without any slow
# input. Each target's line reports its slowest input either way.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
root=$(pwd)
seconds=${1:-60}
shift || true
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(frontend codegen csv text safetensors weights)
for t in "${targets[@]}"; do
  case $t in
    frontend | codegen | csv | text | safetensors | weights) ;;
    *) echo "fuzz.sh: unknown target '$t'; use frontend, codegen, csv, text, safetensors or weights" >&2; exit 2 ;;
  esac
done
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2; }

build_dir=${CATC_BUILD_DIR:-build-fuzz}
[[ $build_dir == /* ]] || build_dir=$root/$build_dir
bash scripts/install-deps.sh --with-tests || exit 1
CC=clang-19 CXX=clang++-19 CATC_BUILD_DIR=$build_dir CATC_CMAKE_ARGS="-DCATC_FUZZ=ON ${CATC_CMAKE_ARGS:-}" \
  bash scripts/build.sh catc-fuzz || { echo "fuzz.sh: building the fuzz targets failed" >&2; exit 1; }

# LLVM's and ANTLR's process-lifetime caches are not leaks worth stopping on.
# libFuzzer is told too (-detect_leaks=0 below): else it runs every input
# that allocates more than it frees a second time, for a leak check that
# detect_leaks=0 makes a no-op.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# seed TARGET DIR: copies the repository's seed files for TARGET into DIR.
seed() {
  local files=()
  case $1 in
    frontend | codegen) mapfile -t files < <(find examples stdlib test -name '*.cat') ;;
    csv) mapfile -t files < <(find examples test -name '*.csv') ;;
    text) mapfile -t files < <(find examples test -name '*.txt') ;;
    safetensors) CATC_FUZZ_SEED_DIR=$2 "$build_dir/bin/catc-fuzz-safetensors" -runs=0 >/dev/null 2>&1 ;;
    weights) mapfile -t files < <(find tools/fuzz/corpus/weights -type f) ;;
  esac
  local i=0
  for f in "${files[@]}"; do
    # The readers' targets take a first byte of options (see tools/fuzz).
    case $1 in
      csv | text) { printf '\x00'; cat "$f"; } >"$2/seed-$i" ;;
      weights) cp "$f" "$2/seed-$i.safetensors" ;;
      *) cp "$f" "$2/seed-$i.cat" ;;
    esac
    i=$((i + 1))
  done
}

passed=0 failed=0
for t in "${targets[@]}"; do
  work=$build_dir/fuzz/$t
  mkdir -p "$work/corpus" "$work/seeds"
  rm -f "$work"/seeds/*
  seed "$t" "$work/seeds"
  # The compiler's targets send diagnostics nowhere; the runtime prints its
  # errors to stderr, which libFuzzer then closes (its own reports and the
  # sanitizers' still reach the log).
  options=(-close_fd_mask=2)
  [[ $t == frontend || $t == codegen ]] && options=(-dict="$root/tools/fuzz/cat.dict")
  [[ $t == weights ]] && options=(-dict="$root/tools/fuzz/weights.dict")
  echo "fuzz.sh: catc-fuzz-$t for $seconds s (log: $work/log)"
  (cd "$work" && "$build_dir/bin/catc-fuzz-$t" corpus seeds "${options[@]}" -max_total_time="$seconds" \
    -timeout="${CATC_FUZZ_TIMEOUT:-1}" -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 -seed="${CATC_FUZZ_SEED:-0}" \
    -artifact_prefix="$work/") >"$work/log" 2>&1
  status=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' | tail -n 1)
  findings=$(find "$work" -maxdepth 1 \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
  corpus=$(find "$work/corpus" -type f | wc -l)
  slowest=$(grep -o 'stat::slowest_unit_time_sec: *[0-9]*' "$work/log" | grep -o '[0-9]*$' | tail -n 1)
  if [[ $status == 0 && $findings == 0 ]]; then
    passed=$((passed + 1))
    echo "catc-fuzz-$t: ${runs:-0} executions, corpus $corpus inputs, slowest input ${slowest:-0} s, no findings"
  else
    failed=$((failed + 1))
    echo "catc-fuzz-$t: ${runs:-0} executions, $findings finding(s) in $work (exit $status); the log's end:"
    tail -n 30 "$work/log"
  fi
done
echo "$passed passed, $failed failed"
[[ $failed == 0 ]]
