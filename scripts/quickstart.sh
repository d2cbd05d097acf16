#!/usr/bin/env bash
# quickstart.sh - the README's first command: sets everything up and runs the
# main job.
#
# Installs the missing Debian packages (scripts/install-deps.sh), configures
# and builds catc (scripts/build.sh), then, in a scratch directory
# (<build>/quickstart), compiles examples/iris.cat into an executable, trains
# it (progress and final accuracy are printed by the executable itself) and
# evaluates the trained weights.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)
build_dir=${CATC_BUILD_DIR:-build}
[[ $build_dir == /* ]] || build_dir=$root/$build_dir

bash scripts/install-deps.sh
bash scripts/build.sh

scratch=$build_dir/quickstart
mkdir -p "$scratch"
cd "$scratch"
rm -f iris iris.safetensors

run() {
  echo "+ $*"
  "$@"
}

echo
echo "== compiling examples/iris.cat"
run "$build_dir/bin/catc" "$root/examples/iris.cat" -o iris
echo
echo "== training (./iris)"
run ./iris
echo
echo "== evaluating the trained weights"
run ./iris eval --weights iris.safetensors
echo
echo "quickstart.sh: done; the executable and its weights are in $scratch/"
