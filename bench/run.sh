#!/bin/sh
# run.sh - time per training step of catc-generated code vs PyTorch (1 thread), one table for all bench models.
#
# For each model below, compiles it with `catc -O3 -c --emit-header` (the
# default CPU plus CATC_FLAGS), links bench/step_bench.c against it and times
# its generated <module>_model_train_step; times the same model in PyTorch
# (bench/torch_bench.py, float32, one thread, same batch, loss and
# optimizer) the same way, in three rounds that alternate the peers; each
# peer's figure is its best of 15 repetitions. Prints one markdown table,
# then bench/gemm_bench.sh's kernel table (catc's GEMM against OpenBLAS),
# then the ceiling of the big MLPs computed from it, then catc's compile
# times, then the machine and versions. The peers take turns, but the
# machine should be otherwise idle for figures worth quoting. With the
# default 6 s per measurement it takes about 4.5 minutes on an idle machine
# (2 for the 14 measurements, 1 for PyTorch's 21 process starts, 1 for
# gemm_bench.sh at its own default of 1 s per measurement, the rest for the
# compiles); progress goes to stderr, the tables to stdout.
#
# Usage: bench/run.sh [CATC] [SECONDS_PER_MEASUREMENT]
#   CATC defaults to build/bin/catc of the source tree; PYTHON (environment)
#   defaults to /usr/bin/python3, which has torch; CATC_FLAGS (environment)
#   are added to the catc command, e.g. CATC_FLAGS=-mcpu=generic (the default is the host CPU).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
catc=${1:-$root/build/bin/catc}
seconds=${2:-6}
catc_flags=${CATC_FLAGS:-}
python=${PYTHON:-/usr/bin/python3}
cc=${CC:-cc}
# The best of many short repetitions: on a shared machine a neighbour's
# burst spoils a repetition, and the more and shorter they are, the better
# the best one's chance of missing the bursts. The repetitions come in
# rounds, catc's and PyTorch's in turn, so that a busy minute on the machine
# does not fall on one peer only (one peer's whole measurement after the
# other's moved a ratio by up to 40 % between runs). Figures still move by
# 10-25 % between runs: compare peers within one run.
repeats=15 rounds=3
round_repeats=$((repeats / rounds))
round_seconds=$(awk -v s="$seconds" -v r="$rounds" 'BEGIN { print s / r }')
# One thread for torch's own loops (OpenMP) and for its BLAS: Debian's
# OpenBLAS is the pthreads build, which torch.set_num_threads does not reach.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# TOOLCHAIN.md: without libopenblas-dev torch runs on the reference BLAS,
# ~20x slower on large layers — not a fair peer.
blas=$(readlink -f "/usr/lib/$($cc -print-multiarch)/libblas.so.3" 2>/dev/null || true)
case $blas in
  *openblas*) ;;
  *) echo "run.sh: warning: torch's BLAS is '$blas', not OpenBLAS; run" \
          "'bash scripts/install-deps.sh --with-bench' for a fair comparison" >&2 ;;
esac
# shellcheck source=bench/openblas_core.sh
. "$here/openblas_core.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

# Floating-point operations per example (step_bench.c divides them by the
# step time for GFLOP/s), counted over the dense products only: a product
# of an m x k and a k x n matrix is 2*m*k*n flops (per example m is 1, or
# the sequence length), done once for the forward map, once for the weight
# gradient dW and once for the input gradient dX, except that the first
# layer of an MLP has no dX (its input is data and needs no gradient).
# Embedding lookups, biases, activations, softmax, layer norms, the loss and
# the optimizer update are not counted, so GFLOP/s understates the work.

# mlp_flops W0 W1 ... Wn: the count for dense layers W0->W1->...->Wn.
mlp_flops() {
  flops=0 first=1 prev=$1
  shift
  for width in "$@"; do
    products=3
    [ "$first" = 1 ] && products=2
    flops=$((flops + products * 2 * prev * width))
    prev=$width first=0
  done
  echo "$flops"
}

# The tiny transformer (T 32, d 32, heads 4 of width k 8, f 128, V 256):
# per head the q, k, v projections (T x d x k each), the output projection
# (T x k x d), the scores Q K^T and the weighted values (T x T x k each);
# the feed-forward network (T x d x f twice) and the unembedding
# (T x d x V). Every product's operands need gradients (even the first
# projections read the embedded stream, which has parameters), so the
# backward map does two products per forward product: 3 in all.
transformer_flops() {
  T=32 d=32 k=8 f=128 V=256 h=4
  echo $((3 * (2 * T * (h * (3 * d * k + k * d) + 2 * d * f + d * V) + h * 2 * 2 * T * T * k)))
}

# The bigram: its one dense layer (4 -> 5) reads the embedding table's rows,
# which need gradients: all three products.
bigram_flops=$((3 * 2 * 4 * 5))

# build_step CATFILE MODULE FLOPS MACROS... : compiles CATFILE and the step
# driver into $work/MODULE-step.
build_step() {
  catfile=$1 module=$2 flops=$3
  shift 3
  upper=$(echo "${module}_model" | tr '[:lower:]' '[:upper:]')
  echo "run.sh: compiling $catfile" >&2
  # shellcheck disable=SC2086 # CATC_FLAGS is a list of flags
  "$catc" -O3 $catc_flags "$catfile" -c -o "$work/$module.o" --emit-header "$work/$module.h"
  "$cc" -O2 -std=c99 -o "$work/$module-step" "$here/step_bench.c" "$work/$module.o" -lm \
    -DSTEP_HEADER="\"$work/$module.h\"" -DSTEP_PREFIX="${module}_model" \
    -DPARAM_COUNT="${upper}_PARAM_COUNT" -DOPT_STATE_COUNT="${upper}_OPT_STATE_COUNT" \
    -DFLOPS_PER_EXAMPLE="$flops" "$@"
}

# field NAME LINE: the value after NAME in a driver's output line.
field() {
  echo "$2" | awk -v name="$1" '{ for (i = 1; i < NF; ++i) if ($i == name) print $(i + 1) }'
}

# faster LINE1 LINE2: the driver output line with the smaller us_per_run
# (LINE1 may be empty).
faster() {
  if [ -z "$1" ] || awk -v a="$(field us_per_run "$2")" -v b="$(field us_per_run "$1")" \
    'BEGIN { exit !(a < b) }'; then
    echo "$2"
  else
    echo "$1"
  fi
}

# measure LABEL MODULE TORCH_NAME BATCH WARMUP RUN_STEPS: times both peers
# and appends a table row to $work/rows. RUN_STEPS 0 reports µs per step,
# otherwise µs per run of RUN_STEPS steps from fresh parameters.
measure() {
  label=$1 module=$2 torch_name=$3 batch=$4 warmup=$5 run_steps=$6
  echo "run.sh: timing $label" >&2
  catc_line='' torch_line='' round=0
  while [ "$round" -lt "$rounds" ]; do
    catc_line=$(faster "$catc_line" "$("$work/$module-step" "$batch" "$round_seconds" "$warmup" \
      "$round_repeats" "$run_steps")")
    torch_line=$(faster "$torch_line" "$("$python" "$here/torch_bench.py" "$torch_name" "$batch" \
      "$round_seconds" "$warmup" "$round_repeats" "$run_steps")")
    round=$((round + 1))
  done
  field us_per_run "$catc_line" >"$work/catc_$module"
  field us_per_run "$torch_line" >"$work/torch_$module"
  echo "run.sh:   catc  $catc_line" >&2
  echo "run.sh:   torch $torch_line" >&2
  awk -v name="$label" -v batch="$batch" -v c="$(field us_per_run "$catc_line")" \
      -v t="$(field us_per_run "$torch_line")" -v g="$(field gflops "$catc_line")" '
    function us(v) { return v < 10 ? sprintf("%.2f", v) : v < 1000 ? sprintf("%.1f", v) : sprintf("%.0f", v) }
    BEGIN { printf "| %s | %d | %s | %s | %.2f | %.2f |\n", name, batch, us(c), us(t), g, t / c }' \
    >>"$work/rows"
}

models=$here/models
build_step "$models/mlp_4_16_3.cat" mlp_4_16_3 "$(mlp_flops 4 16 3)" \
  -DINPUT_IS_FIN=0 -DINPUT_SIZE=4 -DINPUT_CLASSES=1 -DTARGET_SIZE=1 -DTARGET_CLASSES=3
build_step "$models/mlp_64_128_10.cat" mlp_64_128_10 "$(mlp_flops 64 128 10)" \
  -DINPUT_IS_FIN=0 -DINPUT_SIZE=64 -DINPUT_CLASSES=1 -DTARGET_SIZE=1 -DTARGET_CLASSES=10
build_step "$models/mlp_784_256_10.cat" mlp_784_256_10 "$(mlp_flops 784 256 10)" \
  -DINPUT_IS_FIN=0 -DINPUT_SIZE=784 -DINPUT_CLASSES=1 -DTARGET_SIZE=1 -DTARGET_CLASSES=10
build_step "$models/mlp_784_1024_1024_10.cat" mlp_784_1024_1024_10 "$(mlp_flops 784 1024 1024 10)" \
  -DINPUT_IS_FIN=0 -DINPUT_SIZE=784 -DINPUT_CLASSES=1 -DTARGET_SIZE=1 -DTARGET_CLASSES=10
build_step "$root/examples/tiny_transformer.cat" tiny_transformer "$(transformer_flops)" \
  -DINPUT_IS_FIN=1 -DINPUT_SIZE=32 -DINPUT_CLASSES=256 -DTARGET_SIZE=32 -DTARGET_CLASSES=256
build_step "$root/examples/bigram.cat" bigram "$bigram_flops" \
  -DINPUT_IS_FIN=1 -DINPUT_SIZE=1 -DINPUT_CLASSES=5 -DTARGET_SIZE=1 -DTARGET_CLASSES=5
build_step "$models/iris_sigmoid.cat" iris_sigmoid "$(mlp_flops 4 20 3)" \
  -DINPUT_IS_FIN=0 -DINPUT_SIZE=4 -DINPUT_CLASSES=1 -DTARGET_SIZE=1 -DTARGET_CLASSES=3

: >"$work/rows"
measure "MLP 4-16-3 (relu, SGD momentum 0.9)" mlp_4_16_3 mlp_4_16_3 16 1000 0
measure "MLP 64-128-10 (relu, SGD)" mlp_64_128_10 mlp_64_128_10 32 100 0
measure "MLP 784-256-10 (relu, SGD)" mlp_784_256_10 mlp_784_256_10 128 5 0
measure "MLP 784-1024-1024-10 (relu, SGD)" mlp_784_1024_1024_10 mlp_784_1024_1024_10 256 1 0
measure "tiny transformer (T 32, d 32, 4 heads, Adam)" tiny_transformer transformer 32 2 0
measure "book bigram (SGD lr 1): µs for all 80 full-batch steps" bigram bigram 7 100 80
measure "iris 4-20-3 (sigmoid, SGD)" iris_sigmoid iris_sigmoid 120 1000 0

echo "| model | batch | catc µs/step | PyTorch µs/step | catc GFLOP/s | catc / PyTorch |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
cat "$work/rows"
echo
echo "catc / PyTorch is PyTorch's time over catc's (higher: catc faster). Best of $repeats" \
  "repetitions in $rounds rounds that alternate the peers, ${seconds} s per measurement; catc -O3 ${catc_flags:-(default CPU)}; GFLOP/s counts" \
  "dense products only (forward, dW, dX except for first layers)."

# The ceiling: catc's GEMM kernels against OpenBLAS cblas_sgemm on the
# layer shapes (bench/gemm_bench.sh, a markdown table); from its columns,
# the time the large layers' products of the two big MLPs take at OpenBLAS's
# and at catc's standalone speed, and PyTorch's step time over each: the
# catc / PyTorch ratio a step that did nothing but those products at that
# speed would reach. A failure there must not lose the table above.
echo "run.sh: timing GEMM kernels (bench/gemm_bench.sh)" >&2
echo
if bash "$here/gemm_bench.sh" >"$work/gemm"; then
  cat "$work/gemm"
  # ceiling LABEL MODULE SHAPE:PRODUCT:MFLOP...: one row of the ceiling table.
  ceiling() {
    label=$1 module=$2
    shift 2
    for product in "$@"; do echo "$product"; done | awk -F: -v label="$label" \
        -v torch="$(cat "$work/torch_$module")" \
        -v catc="$(cat "$work/catc_$module")" -v gemm="$work/gemm" '
      BEGIN { while ((getline line < gemm) > 0) { n = split(line, f, "|"); if (n >= 6) {
                gsub(/^ +| +$/, "", f[2]); gsub(/^ +| +$/, "", f[3]);
                mine[f[2] ":" f[3]] = f[4]; blas[f[2] ":" f[3]] = f[5] } } }
      { us += $3 / blas[$1 ":" $2] * 1000; own += $3 / mine[$1 ":" $2] * 1000 }
      END { printf "| %s | %.0f | %.0f | %.2f | %.0f | %.2f | %.2f |\n", label, torch, us, torch / us,
                   own, torch / own, torch / catc }'
  }
  echo
  echo "| model | PyTorch µs/step | large products at OpenBLAS speed, µs | PyTorch / that | at catc's kernel speed, µs | PyTorch / that | catc / PyTorch |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  # MFLOP of a product of batch n, k -> m: 2 n m k / 1e6 (the last layers, to 10
  # classes, are left out: under 1 % of the flops).
  ceiling "MLP 784-256-10" mlp_784_256_10 \
    "784->256, batch 128:forward:51.38" "784->256, batch 128:dW:51.38"
  ceiling "MLP 784-1024-1024-10" mlp_784_1024_1024_10 \
    "784->1024, batch 256:forward:411.04" "784->1024, batch 256:dW:411.04" \
    "1024->1024, batch 256:forward:536.87" "1024->1024, batch 256:dX:536.87" \
    "1024->1024, batch 256:dW:536.87"
else
  echo "run.sh: bench/gemm_bench.sh failed" >&2
fi

# Compile time: CPU seconds (user, children included: the link too) of
# catc at its default -O2, best of 3, for two examples to an executable and
# for deep stacks of `(dense : R[16] -> R[16]) ; relu` layers to an object.
# compile_seconds ARGS...: the best user time of `catc ARGS`.
compile_seconds() {
  "$python" - "$catc" "$@" <<'PY'
import resource, subprocess, sys
best = None
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime
    subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
    spent = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before
    best = spent if best is None else min(best, spent)
print(f"{best:.2f}")
PY
}
echo "run.sh: timing compiles" >&2
for layers in 200 400; do
  "$python" -c "import sys; n = int(sys.argv[1]); print('module deep\nimport std.nn\nobject X = R[16]\n'
    'morphism model : X -> X = ' + ' ; '.join(['(dense : X -> X) ; relu'] * n) +
    '\ntrain model {\n  loss = mse\n}')" "$layers" >"$work/deep$layers.cat"
done
echo
echo "| program | catc CPU seconds |"
echo "| --- | ---: |"
echo "| examples/iris.cat to an executable | $(compile_seconds "$root/examples/iris.cat" -o "$work/iris") |"
echo "| examples/tiny_transformer.cat to an executable | $(compile_seconds "$root/examples/tiny_transformer.cat" -o "$work/tt") |"
echo "| 200 layers \`(dense : R[16] -> R[16]) ; relu\`, -c | $(compile_seconds "$work/deep200.cat" -c -o "$work/deep.o") |"
echo "| 400 such layers, -c | $(compile_seconds "$work/deep400.cat" -c -o "$work/deep.o") |"

cpu=$(grep -m 1 '^model name' /proc/cpuinfo | sed 's/^[^:]*: *//')
avx=$(grep -o 'avx[^ ]*' /proc/cpuinfo | sort -u | tr '\n' ' ' | sed 's/ $//')
echo
echo "CPU: $cpu ($(grep -c '^processor' /proc/cpuinfo) logical CPUs; ${avx:-no AVX})"
"$catc" --version 2>/dev/null | head -n 1 || true
"$python" "$here/torch_bench.py" info
if [ -n "${OPENBLAS_CORETYPE:-}" ]; then
  echo "OpenBLAS kernels chosen by OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE"
fi
