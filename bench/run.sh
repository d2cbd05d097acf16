#!/bin/sh
# run.sh - training steps per second of catc-generated code vs PyTorch (1 thread).
#
# For examples/iris.cat (batch 16) and examples/tiny_transformer.cat (its
# train block's batch, 32), compiles the model with `catc -c --emit-header`,
# links bench/step_bench.c against it and times its generated train_step;
# times the same model in PyTorch (bench/torch_bench.py, float32, one thread)
# the same way; prints a markdown table with the ratio. Takes about 1 minute;
# both peers run one after the other, so the machine should be otherwise idle
# for figures worth quoting.
#
# Usage: bench/run.sh [CATC] [SECONDS_PER_MEASUREMENT]
#   CATC defaults to build/bin/catc of the source tree; PYTHON (environment)
#   defaults to /usr/bin/python3, which has torch; CATC_FLAGS (environment)
#   are added to the catc command, e.g. CATC_FLAGS=-mcpu=native.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
catc=${1:-$root/build/bin/catc}
seconds=${2:-8}
catc_flags=${CATC_FLAGS:-}
python=${PYTHON:-/usr/bin/python3}
cc=${CC:-cc}
# TOOLCHAIN.md: without libopenblas-dev torch runs on the reference BLAS,
# ~20x slower on large layers — not a fair peer.
blas=$(readlink -f "/usr/lib/$($cc -print-multiarch)/libblas.so.3" 2>/dev/null || true)
case $blas in
  *openblas*) ;;
  *) echo "run.sh: warning: torch's BLAS is '$blas', not OpenBLAS; run" \
          "'bash scripts/install-deps.sh --with-bench' for a fair comparison" >&2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

# build_step MODULE MORPHISM_PREFIX MACROS... : compiles examples/MODULE.cat
# and the step driver into $work/MODULE-step.
build_step() {
  module=$1 prefix=$2
  shift 2
  upper=$(echo "$prefix" | tr 'a-z' 'A-Z')
  # shellcheck disable=SC2086 # CATC_FLAGS is a list of flags
  "$catc" $catc_flags "$root/examples/$module.cat" -c -o "$work/$module.o" --emit-header "$work/$module.h"
  "$cc" -O2 -std=c99 -o "$work/$module-step" "$here/step_bench.c" "$work/$module.o" -lm \
    -DSTEP_HEADER="\"$work/$module.h\"" -DSTEP_PREFIX="$prefix" \
    -DPARAM_COUNT="${upper}_PARAM_COUNT" -DOPT_STATE_COUNT="${upper}_OPT_STATE_COUNT" "$@"
}

# field NAME LINE: the value after NAME in a driver's output line.
field() {
  echo "$2" | awk -v name="$1" '{ for (i = 1; i < NF; ++i) if ($i == name) print $(i + 1) }'
}

build_step iris iris_model -DINPUT_IS_FIN=0 -DINPUT_SIZE=4 -DINPUT_CLASSES=1 \
  -DTARGET_SIZE=1 -DTARGET_CLASSES=3
build_step tiny_transformer tiny_transformer_model -DINPUT_IS_FIN=1 -DINPUT_SIZE=32 \
  -DINPUT_CLASSES=256 -DTARGET_SIZE=32 -DTARGET_CLASSES=256

iris_catc=$("$work/iris-step" 16 "$seconds" 1000)
iris_torch=$(OMP_NUM_THREADS=1 "$python" "$here/torch_bench.py" iris 16 "$seconds" 200)
tf_catc=$("$work/tiny_transformer-step" 32 "$seconds" 3)
tf_torch=$(OMP_NUM_THREADS=1 "$python" "$here/torch_bench.py" transformer 32 "$seconds" 3)

row() {
  catc_rate=$(field steps_per_second "$3")
  torch_rate=$(field steps_per_second "$4")
  awk -v name="$1" -v batch="$2" -v c="$catc_rate" -v t="$torch_rate" 'BEGIN {
    printf "| %s | %d | %.1f | %.1f | %.2f |\n", name, batch, c, t, c / t }'
}

echo "| model | batch | catc steps/s | PyTorch steps/s (1 thread) | catc / PyTorch |"
echo "| --- | ---: | ---: | ---: | ---: |"
row "iris MLP (4-16-3, SGD momentum)" 16 "$iris_catc" "$iris_torch"
row "tiny transformer (T 32, d 32, 4 heads, Adam)" 32 "$tf_catc" "$tf_torch"
echo
echo "$("$catc" --version 2>/dev/null | head -n 1 || true); torch $("$python" -c 'import torch; print(torch.__version__)'); ${seconds} s per measurement"
