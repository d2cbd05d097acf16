/* reduce_bench.c - what the exact, rank-count-independent sum of shard
 * gradients costs against a plain MPI_Allreduce (docs/scaling.md).
 *
 * For each parameter count P given, every rank holds one shard's gradient
 * (P floats) and all ranks need the sum:
 *   allreduce   MPI_Allreduce(MPI_SUM) of the P floats: the usual way, whose
 *               order of additions is the library's (it may change with the
 *               rank count, the message size and the algorithm chosen);
 *   exact       what catc's runtime does: MPI_Allgather of the shards'
 *               gradients (every rank gets R * P floats), then the fixed
 *               pairwise tree over the R shards on every rank.
 * Prints microseconds per call (best of `repeats` timings of `calls` calls)
 * as one line per P on rank 0.
 *
 * Build and run: mpicc -O2 -std=c99 bench/reduce_bench.c -o reduce_bench
 *                mpirun -np 2 ./reduce_bench P... */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void tree_sum(float *shards, int k, size_t stride, size_t count) {
  for (int step = 1; step < k; step *= 2)
    for (int s = 0; s + step < k; s += 2 * step) {
      float *to = shards + (size_t)s * stride;
      const float *from = shards + (size_t)(s + step) * stride;
      for (size_t i = 0; i < count; ++i)
        to[i] += from[i];
    }
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, ranks;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int calls = 50, repeats = 5;
  if (rank == 0)
    printf("| parameters | ranks | MPI_Allreduce, µs | allgather + fixed tree, µs | ratio |\n"
           "| ---: | ---: | ---: | ---: | ---: |\n");
  for (int a = 1; a < argc; ++a) {
    size_t count = (size_t)strtoull(argv[a], NULL, 10);
    float *mine = malloc(count * sizeof(float));
    float *sum = malloc(count * sizeof(float));
    float *all = malloc(count * (size_t)ranks * sizeof(float));
    for (size_t i = 0; i < count; ++i)
      mine[i] = (float)((i * 2654435761u + (size_t)rank) % 1000) * 1e-3f;
    double best[2] = {1e30, 1e30};
    for (int r = 0; r < repeats; ++r)
      for (int way = 0; way < 2; ++way) {
        MPI_Barrier(MPI_COMM_WORLD);
        double start = MPI_Wtime();
        for (int c = 0; c < calls; ++c) {
          if (way == 0) {
            MPI_Allreduce(mine, sum, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
          } else {
            MPI_Allgather(mine, (int)count, MPI_FLOAT, all, (int)count, MPI_FLOAT,
                          MPI_COMM_WORLD);
            tree_sum(all, ranks, count, count);
          }
        }
        double us = (MPI_Wtime() - start) / calls * 1e6;
        best[way] = us < best[way] ? us : best[way];
      }
    if (rank == 0)
      printf("| %zu | %d | %.1f | %.1f | %.2f |\n", count, ranks, best[0], best[1],
             best[1] / best[0]);
    free(mine);
    free(sum);
    free(all);
  }
  MPI_Finalize();
  return 0;
}
