/* gemm_bench.c - GFLOP/s of the kernel library's dense products (gemm.c) against OpenBLAS sgemm, one thread.
 *
 * Build and run (bench/gemm_bench.sh does this):
 *   clang-19 -O3 -march=native -ffp-contract=fast -I compiler/CodeGen/kernels \
 *       bench/gemm_bench.c -o gemm_bench -lopenblas -lm
 *   OPENBLAS_NUM_THREADS=1 ./gemm_bench [SECONDS_PER_MEASUREMENT [SHAPE_SUBSTRING]]
 * gemm.c is #included, and each shape is timed through a function that
 * calls the kernel with constant sizes (only the batch n is a variable) and
 * inlines it, as catc's specialised copies do. The tile family is the
 * host's (V512 with AVX-512F, V256 with AVX2 and FMA, else V128); -DTILE=N
 * picks another, e.g. build with -mavx2 -mfma -mno-avx512f for V256.
 *
 * Products (row-major, as the kernels see them): for a linear layer k -> m
 * at batch n, forward y = x W^T, dX = dY W, dW += dY^T X; for a matmul
 * m x k x p, forward C = A B, dA = dC B^T, dB = A^T dC. OpenBLAS computes the
 * same products with cblas_sgemm's transpose flags. Each figure is the best
 * of 5 timings of repeated calls in CPU time; the products are checked against each
 * other first. Prints a markdown table.
 */
#include "gemm.c"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef TILE
#if defined(__AVX512F__)
#define TILE CATK_TILE_V512
#elif defined(__AVX2__) && defined(__FMA__)
#define TILE CATK_TILE_V256
#else
#define TILE CATK_TILE_V128
#endif
#endif

static const char *const tile_names[] = {"scalar", "V128", "V256", "V512"};

/* One product of one shape: run() calls the kernel, blas() OpenBLAS. */
typedef struct {
  const float *a, *b, *bias;
  float *c, *scratch;
  int64_t n;
} Args;

/* Specialised entry points: sizes other than n are constants and the kernel
 * is inlined (flatten), which is what catc's per-shape copies amount to. */
#define LINEAR(tag, M, K)                                                                      \
  static __attribute__((noinline, flatten)) void fwd_##tag(Args *q) {                          \
    cat_k_linear_fwd(q->b, q->bias, q->a, q->c, q->n, M, K, CATK_ACT_NONE, q->scratch, TILE);  \
  }                                                                                            \
  static __attribute__((noinline, flatten)) void dx_##tag(Args *q) {                           \
    cat_k_linear_bwd(q->b, 0, q->a, 0, q->c, q->n, M, K, 0, TILE, 1, 0);                          \
  }                                                                                            \
  static __attribute__((noinline, flatten)) void dw_##tag(Args *q) {                           \
    cat_k_linear_bwd(0, q->b, q->a, q->c, 0, q->n, M, K, q->scratch, TILE, 1, 0);                 \
  }
#define MATMUL(tag, M, K, P)                                                                   \
  static __attribute__((noinline, flatten)) void mm_##tag(Args *q) {                           \
    cat_k_matmul_fwd(q->a, q->b, q->c, q->n, M, K, P, TILE);                                   \
  }                                                                                            \
  static __attribute__((noinline, flatten)) void da_##tag(Args *q) {                           \
    cat_k_matmul_bwd(0, q->b, q->a, q->c, 0, q->n, M, K, P, q->scratch, TILE);                 \
  }                                                                                            \
  static __attribute__((noinline, flatten)) void db_##tag(Args *q) {                           \
    cat_k_matmul_bwd(q->b, 0, q->a, 0, q->c, q->n, M, K, P, q->scratch, TILE);                 \
  }

LINEAR(l784_256, 256, 784)
LINEAR(l1024_1024, 1024, 1024)
LINEAR(l784_1024, 1024, 784)
LINEAR(l64_128, 128, 64)
LINEAR(l4_16, 16, 4)
LINEAR(l16_3, 3, 16)
MATMUL(m256_1024_1024, 256, 1024, 1024)
MATMUL(m32_32_32, 32, 32, 32)

enum { FWD, DX, DW, MM, DA, DB };
static const char *const product_names[] = {"forward", "dX", "dW", "C = A B", "dA", "dB"};

typedef struct {
  const char *shape;
  int product;
  void (*run)(Args *);
  int64_t n, m, k, p; /* linear: batch n, k -> m; matmul: n = 1, m x k x p */
} Case;

#define LINEAR_CASES(tag, label, N, M, K)                                                      \
  {label, FWD, fwd_##tag, N, M, K, 0}, {label, DX, dx_##tag, N, M, K, 0},                      \
      {label, DW, dw_##tag, N, M, K, 0}
#define MATMUL_CASES(tag, label, M, K, P)                                                      \
  {label, MM, mm_##tag, 1, M, K, P}, {label, DA, da_##tag, 1, M, K, P},                        \
      {label, DB, db_##tag, 1, M, K, P}

static const Case cases[] = {
    LINEAR_CASES(l784_256, "784->256, batch 128", 128, 256, 784),
    LINEAR_CASES(l1024_1024, "1024->1024, batch 256", 256, 1024, 1024),
    LINEAR_CASES(l784_1024, "784->1024, batch 256", 256, 1024, 784),
    MATMUL_CASES(m256_1024_1024, "256x1024x1024", 256, 1024, 1024),
    MATMUL_CASES(m32_32_32, "32x32x32", 32, 32, 32),
    LINEAR_CASES(l64_128, "64->128, batch 32", 32, 128, 64),
    LINEAR_CASES(l4_16, "4->16, batch 16", 16, 16, 4),
    LINEAR_CASES(l16_3, "16->3, batch 16", 16, 3, 16),
};

/* OpenBLAS on the same product: a is the first operand of run(), b the
 * second (W for linear), c the output. */
static void blas(const Case *cs, const Args *q) {
  int n = (int)cs->n, m = (int)cs->m, k = (int)cs->k, p = (int)cs->p;
  switch (cs->product) {
  case FWD: /* y[n,m] = x[n,k] W[m,k]^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, m, k, 1, q->a, k, q->b, k, 0, q->c, m);
    break;
  case DX: /* dx[n,k] = dy[n,m] W[m,k] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, k, m, 1, q->a, m, q->b, k, 0, q->c, k);
    break;
  case DW: /* dW[m,k] += dy[n,m]^T x[n,k] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, k, n, 1, q->a, m, q->b, k, 1, q->c, k);
    break;
  case MM: /* C[m,p] = A[m,k] B[k,p] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, p, k, 1, q->a, k, q->b, p, 0, q->c, p);
    break;
  case DA: /* dA[m,k] = dC[m,p] B[k,p]^T */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, k, p, 1, q->a, p, q->b, p, 0, q->c, k);
    break;
  case DB: /* dB[k,p] = A[m,k]^T dC[m,p] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, p, m, 1, q->b, k, q->a, p, 0, q->c, p);
    break;
  }
}

/* CPU time of this thread: time the scheduler gives to other processes (a
 * shared machine) does not count against either peer. */
static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Seconds for `calls` calls of one peer. */
static double timed(const Case *cs, Args *q, int use_blas, int64_t calls) {
  double t0 = now();
  for (int64_t r = 0; r < calls; ++r)
    use_blas ? blas(cs, q) : cs->run(q);
  return now() - t0;
}

/* Best seconds per call of each peer over 5 alternating timings of about
 * `seconds` / 10 each, so that slow phases of the machine hit both. */
static void best_times(const Case *cs, Args *q, double seconds, double best[2]) {
  int64_t calls[2];
  for (int peer = 0; peer < 2; ++peer) { /* calibrate */
    calls[peer] = 1;
    while (timed(cs, q, peer, calls[peer]) < seconds / 20)
      calls[peer] *= 2;
    best[peer] = 1e30;
  }
  for (int rep = 0; rep < 5; ++rep)
    for (int peer = 0; peer < 2; ++peer) {
      double dt = timed(cs, q, peer, calls[peer]) / (double)calls[peer];
      best[peer] = dt < best[peer] ? dt : best[peer];
    }
}

static float *random_floats(int64_t count, unsigned seed) {
  float *v = aligned_alloc(64, (size_t)((count + 16) * 4) / 64 * 64 + 64);
  srand(seed);
  for (int64_t e = 0; e < count; ++e)
    v[e] = (float)rand() / (float)RAND_MAX * 2.0f - 1.0f;
  return v;
}

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 1.0;
  const char *only = argc > 2 ? argv[2] : ""; /* run only shapes containing this */
  openblas_set_num_threads(1);
  printf("| shape | product | catc GFLOP/s | OpenBLAS GFLOP/s | ratio |\n");
  printf("| --- | --- | ---: | ---: | ---: |\n");
  int bad = 0;
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ++ci) {
    const Case *cs = &cases[ci];
    if (!strstr(cs->shape, only))
      continue;
    int64_t n = cs->n, m = cs->m, k = cs->k, p = cs->p;
    int64_t sa, sb, sc, summed;
    switch (cs->product) {
    case FWD: sa = n * k, sb = m * k, sc = n * m, summed = k; break;
    case DX: sa = n * m, sb = m * k, sc = n * k, summed = m; break;
    case DW: sa = n * m, sb = n * k, sc = m * k, summed = n; break;
    case MM: sa = m * k, sb = k * p, sc = m * p, summed = k; break;
    case DA: sa = m * p, sb = k * p, sc = m * k, summed = p; break;
    default: sa = m * p, sb = m * k, sc = k * p, summed = m; break;
    }
    int64_t scratch = CATK_LINEAR_FWD_SCRATCH(m, k, TILE);
    if (cs->product == DW)
      scratch = CATK_LINEAR_BWD_SCRATCH(m, k, TILE);
    if (cs->product >= MM)
      scratch = CATK_MATMUL_BWD_SCRATCH(k, p, TILE);
    Args q = {random_floats(sa, 1), random_floats(sb, 2), NULL, random_floats(sc, 3),
              random_floats(scratch + 16, 4), n};
    float *ours = malloc((size_t)sc * 4);
    /* Check against OpenBLAS (dW accumulates: both start from the same C). */
    float *start = malloc((size_t)sc * 4);
    memcpy(start, q.c, (size_t)sc * 4);
    cs->run(&q);
    memcpy(ours, q.c, (size_t)sc * 4);
    memcpy(q.c, start, (size_t)sc * 4);
    blas(cs, &q);
    double worst = 0, scale = 0;
    for (int64_t e = 0; e < sc; ++e) {
      worst = fmax(worst, fabs((double)ours[e] - (double)q.c[e]));
      scale = fmax(scale, fabs((double)q.c[e]));
    }
    if (worst > 1e-5 * sqrt((double)summed) * fmax(scale, 1.0)) {
      fprintf(stderr, "gemm_bench: %s %s differs from OpenBLAS by %g\n", cs->shape,
              product_names[cs->product], worst);
      bad = 1;
    }
    double flops = cs->product >= MM ? 2.0 * (double)(m * k * p) : 2.0 * (double)(n * m * k);
    double best[2];
    best_times(cs, &q, seconds, best);
    double ours_s = best[0], blas_s = best[1];
    printf("| %s | %s | %.1f | %.1f | %.2f |\n", cs->shape, product_names[cs->product],
           flops / ours_s * 1e-9, flops / blas_s * 1e-9, blas_s / ours_s);
    fflush(stdout);
    free((void *)q.a), free((void *)q.b), free(q.c), free(q.scratch), free(ours), free(start);
  }
  printf("\ncatc tile family: %s\n", tile_names[TILE]);
  return bad;
}
