#!/usr/bin/env bash
# build.sh - configures catc with CMake (Ninja, Release) and builds it.
#
#   bash scripts/build.sh [TARGET...]    # default: the 'all' target
#
# Environment: CATC_BUILD_DIR (default: build, relative to the repository
# root), CATC_JOBS (default: nproc), CATC_BUILD_TYPE (default: Release),
# CATC_CMAKE_ARGS (more configure arguments, e.g. -DCATC_SANITIZE=address).
# Configures only when the build directory has no build.ninja yet (or was
# configured before MPI was installed); after that ninja re-runs CMake by
# itself whenever a CMakeLists.txt changes.
# Does not install packages: scripts/install-deps.sh does.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${CATC_BUILD_DIR:-build}
jobs=${CATC_JOBS:-$(nproc)}
build_type=${CATC_BUILD_TYPE:-Release}

if [[ ! -f $build_dir/build.ninja ]]; then
  echo "build.sh: configuring $build_dir ($build_type)"
  # shellcheck disable=SC2086  # CATC_CMAKE_ARGS is meant to be word-split
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type" ${CATC_CMAKE_ARGS:-}
fi

# quickstart.sh configures without the test packages; once they bring MPI
# (mpicc), configure again so that libcatrt_mpi.a (catc --mpi) is built.
mpicc=$(command -v mpicc || true)
if [[ -n $mpicc && -x $mpicc ]] &&
   grep -qx 'CATC_MPI_FOUND:INTERNAL=\(FALSE\|\)' "$build_dir/CMakeCache.txt" 2>/dev/null; then
  echo "build.sh: MPI is installed now; configuring $build_dir again"
  cmake "$build_dir"
fi

targets=("$@")
if [[ ${#targets[@]} == 0 ]]; then
  targets=(all)
fi
echo "build.sh: building ${targets[*]} in $build_dir with $jobs jobs"
cmake --build "$build_dir" --parallel "$jobs" --target "${targets[@]}"
