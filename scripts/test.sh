#!/usr/bin/env bash
# test.sh - the README's second command: sets everything up and runs the
# whole test suite.
#
# Installs the missing Debian packages, test ones included
# (scripts/install-deps.sh --with-tests), builds catc and the GoogleTest unit
# tests (scripts/build.sh), then runs lit once over <build>/test: the lit
# suites under test/ and, as a nested suite, the unit-test binaries
# (lit.formats.GoogleTest), so lit's report covers both. The very last line
# printed is the one CI reads, computed by scripts/summarize-tests.py from
# lit's JSON and JUnit XML reports (in <build>/test-results/):
#
#     N passed, N failed, N skipped
#
# Exit status non-zero when anything failed (a broken build counts as one
# failure; nothing is then tested) or when no test ran.
#
# With --sanitize, the same suite runs on a build of catc, the runtime and
# the unit tests instrumented with AddressSanitizer and UndefinedBehavior-
# Sanitizer (clang-19, CATC_SANITIZE=address,undefined) in its own build
# directory (default: build-sanitize); any report fails its test.
#
# Environment: CATC_BUILD_DIR (default: build), CATC_JOBS (default: nproc),
# CATC_TEST_TIMEOUT (seconds per test, default 900), CATC_LIT_ARGS (extra lit
# arguments, e.g. "--filter Parse").
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
root=$(pwd)
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    *) echo "usage: $0 [--sanitize]" >&2; exit 2 ;;
  esac
done
if [[ $sanitize == 1 ]]; then
  build_dir=${CATC_BUILD_DIR:-build-sanitize}
  export CC=clang-19 CXX=clang++-19
  export CATC_CMAKE_ARGS="-DCATC_SANITIZE=address,undefined ${CATC_CMAKE_ARGS:-}"
  # Reports abort the process (-fno-sanitize-recover); LLVM's and ANTLR's
  # process-lifetime caches are not leaks worth failing on.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
else
  build_dir=${CATC_BUILD_DIR:-build}
fi
[[ $build_dir == /* ]] || build_dir=$root/$build_dir
export CATC_BUILD_DIR=$build_dir
jobs=${CATC_JOBS:-$(nproc)}
timeout=${CATC_TEST_TIMEOUT:-900}
python=/usr/bin/python3   # Debian's, whatever python3 is first on PATH
lit=/usr/lib/llvm-19/build/utils/lit/lit.py
summarize=$root/scripts/summarize-tests.py

# Reports a step that failed before any test could run, as the final line.
fail_step() {
  echo "test.sh: error: $1" >&2
  if [[ -x $python ]]; then
    "$python" "$summarize" --failed-step "$1"
  else
    echo "0 passed, 1 failed, 0 skipped"
  fi
  exit 1
}

bash scripts/install-deps.sh --with-tests || fail_step "installing the Debian packages failed"
bash scripts/build.sh all catc-unit-tests || fail_step "building catc failed"

results=$build_dir/test-results
rm -rf "$results"
mkdir -p "$results"

# shellcheck disable=SC2206  # CATC_LIT_ARGS is meant to be word-split
extra_args=(${CATC_LIT_ARGS:-})
echo "test.sh: running lit over $build_dir/test with $jobs jobs"
"$python" "$lit" -sv --show-unsupported --show-xfail \
  -j "$jobs" --timeout "$timeout" \
  --xunit-xml-output "$results/lit.xml" -o "$results/lit.json" \
  "${extra_args[@]}" "$build_dir/test"
lit_status=$?

echo
exec "$python" "$summarize" --lit-status "$lit_status" \
  --lit-json "$results/lit.json" --lit-xunit "$results/lit.xml"
