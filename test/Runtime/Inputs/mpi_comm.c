/* mpi_comm.c - drives the runtime's comm layer (comm_mpi.c) under mpirun.
 *
 *   mpi_comm check [BYTES]  collectives with blocks of about BYTES (default
 *                           1000) per rank, rank 1's empty; prints one line
 *                           per rank and exits 0 when every byte arrived
 *   mpi_comm stuck          rank 1 sleeps instead of joining cat_comm_any
 *   mpi_comm fail           rank 1 stops with status 1 while the others wait
 *                           for it in cat_comm_any
 *   mpi_comm usage          every rank stops with status 2
 *   mpi_comm loop [SAVE]    steps of allgather and cat_comm_any, as training
 *                           does, until a rank gets SIGINT or SIGTERM; then
 *                           rank 0 "saves" for SAVE seconds (default 0) and
 *                           every rank exits 130
 *   mpi_comm bench BYTES N  N allgathers of BYTES per rank: seconds each
 */
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char pattern(int rank, size_t i) {
  return (unsigned char)(rank * 31 + i * 7 + (i >> 8));
}

static size_t block_size(int rank, size_t bytes) {
  return rank == 1 ? 0 : bytes + (size_t)rank * 3;
}

static int check(size_t bytes, int in_place) {
  int rank = cat_comm_rank(), size = cat_comm_size();
  size_t *sizes = malloc((size_t)size * sizeof *sizes), total = 0, mine_at = 0;
  for (int r = 0; r < size; ++r) {
    sizes[r] = block_size(r, bytes);
    if (r == rank)
      mine_at = total;
    total += sizes[r];
  }
  unsigned char *all = malloc(total + 1), *mine = malloc(sizes[rank] + 1);
  memset(all, 0xEE, total + 1);
  unsigned char *src = in_place ? all + mine_at : mine;
  for (size_t i = 0; i < sizes[rank]; ++i)
    src[i] = pattern(rank, i);
  if (cat_comm_allgather(src, all, sizes) != 0)
    return 1;
  int bad = 0;
  size_t at = 0;
  for (int r = 0; r < size; ++r)
    for (size_t i = 0; i < sizes[r]; ++i, ++at)
      bad += all[at] != pattern(r, i);
  bad += all[total] != 0xEE;  /* nothing written past the end */
  free(all);
  free(mine);
  free(sizes);
  return bad != 0;
}

static int run_check(size_t bytes) {
  int rank = cat_comm_rank(), size = cat_comm_size(), bad = 0;
  bad += check(bytes, 0);
  bad += check(bytes, 1);
  bad += cat_comm_any(0) != 0;
  bad += cat_comm_any(rank == size - 1) != 1;
  size_t n = bytes * 2 + 5;
  unsigned char *data = malloc(n);
  for (size_t i = 0; i < n; ++i)
    data[i] = rank == size - 1 ? pattern(7, i) : 0;
  bad += cat_comm_broadcast(data, n, size - 1) != 0;
  for (size_t i = 0; i < n; ++i)
    bad += data[i] != pattern(7, i);
  free(data);
  bad += cat_comm_broadcast(NULL, 0, 0) != 0;
  printf("rank %d of %d: %s\n", rank, size, bad ? "WRONG" : "ok");
  return bad ? 1 : 0;
}

static volatile sig_atomic_t interrupted;

static void on_signal(int sig) { interrupted = sig; }

static void sleep_for(double s) {
  struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0)
    continue;
}

static int loop(double save) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  int rank = cat_comm_rank(), size = cat_comm_size();
  size_t *sizes = malloc((size_t)size * sizeof *sizes);
  for (int r = 0; r < size; ++r)
    sizes[r] = 4096;
  unsigned char *all = calloc((size_t)size, 4096), *mine = calloc(1, 4096);
  fprintf(stderr, "rank %d: looping\n", rank);
  for (long step = 0;; ++step) {
    if (cat_comm_allgather(mine, all, sizes) != 0)
      return 1;
    int stop = cat_comm_any(interrupted != 0);
    if (stop < 0)
      return 1;
    if (stop) {
      if (rank == 0) {
        sleep_for(save);
        fprintf(stderr, "rank 0: saved after step %ld\n", step);
      }
      return 130;
    }
    sleep_for(0.005);
  }
}

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int bench(size_t bytes, int count) {
  int size = cat_comm_size();
  size_t *sizes = malloc((size_t)size * sizeof *sizes);
  for (int r = 0; r < size; ++r)
    sizes[r] = bytes;
  unsigned char *all = calloc((size_t)size, bytes), *mine = calloc(1, bytes);
  if (cat_comm_allgather(mine, all, sizes) != 0)  /* warm up */
    return 1;
  double start = seconds();
  for (int i = 0; i < count; ++i)
    if (cat_comm_allgather(mine, all, sizes) != 0)
      return 1;
  double each = (seconds() - start) / count;
  if (cat_comm_rank() == 0)
    printf("%d ranks, %zu bytes each: %.6f s per allgather, %.1f MB/s in\n",
           size, bytes, each, (double)bytes * (size - 1) / each / 1e6);
  return 0;
}

int main(int argc, char **argv) {
  if (cat_comm_start(&argc, &argv) != 0)
    return 1;
  const char *mode = argc > 1 ? argv[1] : "check";
  int rank = cat_comm_rank(), status = 0;
  if (!strcmp(mode, "check")) {
    status = run_check(argc > 2 ? strtoull(argv[2], NULL, 10) : 1000);
  } else if (!strcmp(mode, "stuck")) {
    if (rank == 1) {
      struct timespec ts = {60, 0};
      nanosleep(&ts, NULL);
    }
    status = cat_comm_any(1) == 1 ? 0 : 1;
  } else if (!strcmp(mode, "fail")) {
    if (rank == 1) {
      fprintf(stderr, "error: rank 1 fails alone\n");
      status = 1;
    } else {
      status = cat_comm_any(0) == 0 ? 0 : 1;
    }
  } else if (!strcmp(mode, "usage")) {
    status = 2;
  } else if (!strcmp(mode, "loop")) {
    status = loop(argc > 2 ? atof(argv[2]) : 0);
  } else if (!strcmp(mode, "bench") && argc > 3) {
    status = bench(strtoull(argv[2], NULL, 10), atoi(argv[3]));
  } else {
    fprintf(stderr, "error: unknown mode '%s'\n", mode);
    status = 2;
  }
  cat_comm_stop(status);
  return status;
}
