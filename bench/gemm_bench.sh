#!/bin/sh
# gemm_bench.sh - builds bench/gemm_bench.c with clang-19 for this machine and prints its kernels-vs-OpenBLAS table.
#
# Usage: bench/gemm_bench.sh [SECONDS_PER_MEASUREMENT]
#   CC (environment) defaults to clang-19; GEMM_FLAGS (environment) replaces
#   -march=native, e.g. GEMM_FLAGS='-mavx2 -mfma' for the AVX2 tile on an
#   AVX-512 machine (the tile follows the enabled instruction set).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cc=${CC:-clang-19}
flags=${GEMM_FLAGS:--march=native}
# shellcheck source=bench/openblas_core.sh
. "$here/openblas_core.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086 # GEMM_FLAGS is a list of flags
"$cc" -O3 $flags -ffp-contract=fast -I "$root/compiler/CodeGen/kernels" \
  "$here/gemm_bench.c" -o "$work/gemm_bench" -lopenblas -lm
OPENBLAS_NUM_THREADS=1 "$work/gemm_bench" "${1:-1}"
