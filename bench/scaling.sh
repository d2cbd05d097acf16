#!/bin/sh
# scaling.sh - training steps per second of generated executables on 1 and 2
# threads (and 2 MPI ranks), side by side in one run (docs/scaling.md).
#
# For the MLP 784-256-10 at batch 128 (SGD, synthetic MNIST-shaped data,
# 4096 rows) and the tiny transformer of examples/ (batch 32, Adam, its
# corpus), times `./model train --validation 0 --json` as a user runs it:
#   shards 1, 1 thread   one fused step per batch, as before shards existed
#   shards 2, 1 thread   the default decomposition, computed serially
#   shards 2, 2 threads  the same bytes, two threads
#   shards 2, mpirun -np 2 (when catc can link --mpi and mpirun exists)
# Steps per second = steps / the run's "seconds" (the training loop, data
# loading excluded), best of REPEATS runs; speedups are against the
# 1-thread run of the same decomposition. Each run's checkpoint is compared
# with the 1-thread one: the table says whether the bytes were the same.
# Progress on stderr, the table on stdout. About 2 minutes on an idle
# 2-core machine; the machine must be otherwise idle for figures worth
# quoting.
#
# Usage: bench/scaling.sh [CATC] [EPOCHS_MLP] [EPOCHS_TRANSFORMER]
#   CATC defaults to build/bin/catc; REPEATS (environment) defaults to 3;
#   MPIRUN (environment) defaults to `mpirun --oversubscribe --allow-run-as-root`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
catc=${1:-$root/build/bin/catc}
epochs_mlp=${2:-20}
epochs_tt=${3:-2}
repeats=${REPEATS:-3}
mpirun=${MPIRUN:-mpirun --oversubscribe --allow-run-as-root}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
trap 'exit 1' INT TERM

echo "scaling.sh: compiling" >&2
"$catc" -O3 "$here/models/mlp_784_256_10.cat" -o "$work/mlp"
"$catc" -O3 "$root/examples/tiny_transformer.cat" -o "$work/tt"
mpi=0
if command -v mpirun >/dev/null 2>&1 &&
   "$catc" -O3 "$here/models/mlp_784_256_10.cat" -o "$work/mlp-mpi" --mpi 2>/dev/null &&
   "$catc" -O3 "$root/examples/tiny_transformer.cat" -o "$work/tt-mpi" --mpi 2>/dev/null; then
  mpi=1
fi

# MNIST-shaped rows: 784 pixels in [0, 1) and a digit, from a fixed seed.
awk 'BEGIN {
  srand(1)
  for (i = 0; i < 784; ++i) printf "p%d,", i
  print "label"
  for (r = 0; r < 4096; ++r) {
    for (i = 0; i < 784; ++i) printf "%.3f,", rand()
    print int(rand() * 10)
  }
}' >"$work/mnist.csv"

# run NAME LAUNCH EXE DATA EPOCHS BATCH FLAGS...: the best steps/s of
# REPEATS runs into $work/NAME.rate, the checkpoint into $work/NAME.st.
run() {
  name=$1 launch=$2 exe=$3 data=$4 epochs=$5 batch=$6
  shift 6
  echo "scaling.sh: $name" >&2
  best=0
  for _ in $(seq "$repeats"); do
    # shellcheck disable=SC2086 # LAUNCH is empty or the mpirun command
    line=$(cd "$work" && $launch "$exe" train --data "$data" --epochs "$epochs" \
      --validation 0 --json --out "$work/$name.st" "$@")
    rate=$(echo "$line" | awk -v epochs="$epochs" -v batch="$batch" '{
      match($0, /"examples": [0-9]+/); n = substr($0, RSTART + 12, RLENGTH - 12)
      match($0, /"seconds": [0-9.]+/); s = substr($0, RSTART + 11, RLENGTH - 11)
      printf "%.1f", epochs * int((n + batch - 1) / batch) / s }')
    best=$(awk -v a="$best" -v b="$rate" 'BEGIN { print (b > a ? b : a) }')
  done
  echo "$best" >"$work/$name.rate"
  echo "scaling.sh:   $best steps/s" >&2
}

# row LABEL PREFIX: one table row from PREFIX-{s1t1,s2t1,s2t2,s2np2}.
row() {
  label=$1 p=$2
  same() { if cmp -s "$work/$p-s2t1.st" "$work/$1.st"; then echo yes; else echo NO; fi; }
  mpi_rate=n/a mpi_speedup=n/a mpi_same=n/a
  if [ -f "$work/$p-s2np2.rate" ]; then
    mpi_rate=$(cat "$work/$p-s2np2.rate")
    mpi_speedup=$(awk -v a="$(cat "$work/$p-s2t1.rate")" -v b="$mpi_rate" 'BEGIN { printf "%.2f", b / a }')
    mpi_same=$(same "$p-s2np2")
  fi
  awk -v l="$label" -v a="$(cat "$work/$p-s1t1.rate")" -v b="$(cat "$work/$p-s2t1.rate")" \
      -v c="$(cat "$work/$p-s2t2.rate")" -v same2="$(same "$p-s2t2")" \
      -v m="$mpi_rate" -v ms="$mpi_speedup" -v msame="$mpi_same" \
      'BEGIN { printf "| %s | %s | %s | %s | %.2f (%s) | %s | %s (%s) |\n", l, a, b, c, c / b, same2, m, ms, msame }'
}

for model in mlp tt; do
  if [ $model = mlp ]; then
    data=$work/mnist.csv epochs=$epochs_mlp batch=128
  else
    data=$root/examples/tiny_corpus.txt epochs=$epochs_tt batch=32
  fi
  run $model-s1t1 "" "$work/$model" "$data" "$epochs" $batch --shards 1 --threads 1
  run $model-s2t1 "" "$work/$model" "$data" "$epochs" $batch --shards 2 --threads 1
  run $model-s2t2 "" "$work/$model" "$data" "$epochs" $batch --shards 2 --threads 2
  if [ $mpi = 1 ]; then
    run $model-s2np2 "$mpirun -np 2" "$work/$model-mpi" "$data" "$epochs" $batch --shards 2 --threads 1
  fi
done

echo "| model, batch | steps/s, 1 shard, 1 thread | 2 shards, 1 thread | 2 shards, 2 threads | speedup (same bytes) | 2 shards, mpirun -np 2 (1 thread each) | speedup (same bytes) |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
row "MLP 784-256-10, b128 (SGD)" mlp
row "tiny transformer, b32 (Adam)" tt
# The exact sum against MPI_Allreduce, at the two models' parameter counts.
params() { "$1" info | awk '/^parameters/ { print $4 }'; }
p_mlp=$(params "$work/mlp") p_tt=$(params "$work/tt")
if [ $mpi = 1 ] && command -v mpicc >/dev/null 2>&1; then
  echo "scaling.sh: reduce_bench" >&2
  mpicc -O2 -std=c99 "$here/reduce_bench.c" -o "$work/reduce_bench"
  echo
  $mpirun -np 2 "$work/reduce_bench" "$p_tt" "$p_mlp"
fi

# On paper: per step, the compute of one core (the 1-shard, 1-thread run)
# and the bytes a rank sends and receives to combine P float gradients
# (2 * 4P, as a ring allreduce; catc's allgather moves the same at 2 ranks),
# at 1, 10 and 100 Gbit/s plus an assumed 50 us of latency per step
# (TCP over Ethernet; InfiniBand is ~10x less). Two machines pay when the
# exchange takes less than half of a step's compute.
echo
echo "| model | parameters | step on 1 core, ms | bytes per step | exchange at 1 / 10 / 100 Gbit/s, ms | 2 machines pay at |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
paper() {
  awk -v l="$1" -v p="$2" -v rate="$3" 'BEGIN {
    ms = 1000 / rate; bytes = 8 * p
    out = ""; pays = ""
    split("1 10 100", g, " ")
    for (i = 1; i <= 3; ++i) {
      t = bytes * 8 / (g[i] * 1e9) * 1000 + 0.05
      out = out (i > 1 ? " / " : "") sprintf("%.3f", t)
      if (pays == "" && t < ms / 2) pays = g[i] " Gbit/s"
    }
    printf "| %s | %d | %.3f | %d | %s | %s |\n", l, p, ms, bytes, out, pays == "" ? "not at 100 Gbit/s" : pays
  }'
}
paper "MLP 784-256-10, b128" "$p_mlp" "$(cat "$work/mlp-s1t1.rate")"
paper "tiny transformer, b32" "$p_tt" "$(cat "$work/tt-s1t1.rate")"
for example in iris digits; do
  "$catc" -O3 "$root/examples/$example.cat" -o "$work/$example"
  rate=$(cd "$work" && "./$example" train --threads 1 --shards 1 --validation 0 --epochs 50 --json --out "$work/$example.st" |
         awk -v b="$(awk '/batch *=/ { print $3 }' "$root/examples/$example.cat")" -v e=50 '{
           match($0, /"examples": [0-9]+/); n = substr($0, RSTART + 12, RLENGTH - 12)
           match($0, /"seconds": [0-9.]+/); s = substr($0, RSTART + 11, RLENGTH - 11)
           printf "%.1f", e * int((n + b - 1) / b) / s }')
  paper "$example ($(awk '/batch *=/ { print "b" $3 }' "$root/examples/$example.cat"))" \
    "$(params "$work/$example")" "$rate"
done

echo
echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores;" \
     "catc $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'); $(date -u +%Y-%m-%d)"
