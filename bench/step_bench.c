/* step_bench.c - time per training step of one catc-generated model (best of a few repetitions).
 *
 * Built once per model (see run.sh) with the generated header and macros:
 *   STEP_HEADER        the header path, as a string
 *   STEP_PREFIX        the symbol prefix, e.g. iris_model
 *   PARAM_COUNT, OPT_STATE_COUNT   the header's <PREFIX>_PARAM_COUNT, _OPT_STATE_COUNT
 *   INPUT_IS_FIN       1: the input is Fin tokens (int32), 0: floats
 *   INPUT_SIZE, INPUT_CLASSES      floats or tokens per example, token range
 *   TARGET_SIZE, TARGET_CLASSES    class ids per example, their range
 *   FLOPS_PER_EXAMPLE  floating-point operations of one example's step, as
 *                      run.sh counts them (dense products only); 0: unknown
 *
 * Usage: STEP BATCH MIN_SECONDS WARMUP_STEPS [REPEATS [RUN_STEPS]]
 *
 * It calls <prefix>_train_step on one fixed batch of seeded random examples
 * whose second half repeats the first half's inputs with other targets (a
 * fixed batch leaves data loading out, as the PyTorch peer torch_bench.py
 * does): WARMUP_STEPS steps first, then REPEATS repetitions (default 3) of
 * at least MIN_SECONDS / REPEATS seconds and at least one step each, and
 * reports the fastest repetition, which is the least disturbed by other
 * work on the machine. With RUN_STEPS > 0 the timed unit is a whole training
 * run instead of a step: parameters and optimizer state are initialised
 * afresh (untimed), then RUN_STEPS steps are timed (the book bigram's 80
 * full-batch steps). Prints one line
 *   us_per_step U us_per_run R steps_per_second S gflops G steps N seconds T last_loss L
 * (us_per_run is us_per_step * RUN_STEPS, or us_per_step when RUN_STEPS is 0).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include STEP_HEADER

#define CONCAT2(a, b) a##b
#define CONCAT(a, b) CONCAT2(a, b)
#define SYMBOL(suffix) CONCAT(STEP_PREFIX, suffix)

#ifndef FLOPS_PER_EXAMPLE
#define FLOPS_PER_EXAMPLE 0
#endif

#if INPUT_IS_FIN
typedef int32_t input_t;
#else
typedef float input_t;
#endif

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A small deterministic generator, so the data do not depend on libc. */
static uint64_t state = 0x9e3779b97f4a7c15u;
static uint32_t next_random(void) {
  state = state * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(state >> 33);
}

static float *params, *opt_state;
static input_t *x;
static int32_t *t;
static void *workspace;
static size_t batch;
static float loss;

static void steps(long count) {
  for (long i = 0; i < count; ++i)
    loss = SYMBOL(_train_step)(params, opt_state, x, t, batch, workspace);
}

/* Fresh parameters and a zero optimizer state, as at the start of training. */
static void reset(void) {
  SYMBOL(_init)(params, 42);
  memset(opt_state, 0, OPT_STATE_COUNT * sizeof(float));
}

int main(int argc, char **argv) {
  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: %s BATCH MIN_SECONDS WARMUP_STEPS [REPEATS [RUN_STEPS]]\n", argv[0]);
    return 2;
  }
  batch = (size_t)strtoul(argv[1], NULL, 10);
  double min_seconds = strtod(argv[2], NULL);
  long warmup = atol(argv[3]);
  int repeats = argc > 4 ? atoi(argv[4]) : 3;
  long run_steps = argc > 5 ? atol(argv[5]) : 0;
  if (batch == 0 || repeats < 1 || run_steps < 0) {
    fprintf(stderr, "%s: BATCH and REPEATS must be positive, RUN_STEPS not negative\n", argv[0]);
    return 2;
  }
  params = calloc(PARAM_COUNT, sizeof(float));
  opt_state = calloc(OPT_STATE_COUNT, sizeof(float));
  x = malloc(batch * INPUT_SIZE * sizeof(input_t));
  t = malloc(batch * TARGET_SIZE * sizeof(int32_t));
  workspace = malloc(SYMBOL(_workspace_size)(batch) + 64);
  if (!params || !opt_state || !x || !t || !workspace) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  reset();
  for (size_t i = 0; i < batch * INPUT_SIZE; ++i) {
#if INPUT_IS_FIN
    x[i] = (int32_t)(next_random() % INPUT_CLASSES);
#else
    x[i] = (float)(next_random() % 2000) / 1000.0f - 1.0f;
#endif
  }
  for (size_t i = 0; i < batch * TARGET_SIZE; ++i)
    t[i] = (int32_t)(next_random() % TARGET_CLASSES);
  /* The second half of the batch repeats the first half's inputs with other
   * targets, so no parameters fit the batch: the loss stays above zero and
   * the gradients stay normal floats. On a batch it can memorise, a long run
   * drives gradients and momentum toward denormals, which slowed the 4-16-3
   * step by 10%. */
  size_t half = batch / 2;
  for (size_t i = 0; i < half * INPUT_SIZE; ++i)
    x[half * INPUT_SIZE + i] = x[i];
  for (size_t i = 0; i < half * TARGET_SIZE; ++i)
    t[half * TARGET_SIZE + i] =
        (int32_t)((t[i] + 1 + next_random() % (TARGET_CLASSES - 1)) % TARGET_CLASSES);

  steps(warmup);
  /* Steps between clock reads: doubled until they take a millisecond, so a
   * microsecond step is not dominated by clock_gettime and a 0.5 s step is
   * not run 8 times past the deadline. */
  long chunk = 1;
  if (run_steps == 0) {
    for (;;) {
      double start = now_seconds();
      steps(chunk);
      if (now_seconds() - start >= 1e-3 || chunk >= (1L << 20))
        break;
      chunk *= 2;
    }
  }

  double per_repeat = min_seconds / repeats, best = 0.0, total_seconds = 0.0;
  long total_steps = 0;
  for (int r = 0; r < repeats; ++r) {
    long done = 0;
    double timed = 0.0, begin = now_seconds();
    do {
      if (run_steps > 0) {
        reset();
        double start = now_seconds();
        steps(run_steps);
        timed += now_seconds() - start;
        done += run_steps;
      } else {
        steps(chunk);
        done += chunk;
        timed = now_seconds() - begin;
      }
    } while (now_seconds() - begin < per_repeat);
    double per_step = timed / (double)done;
    if (r == 0 || per_step < best)
      best = per_step;
    total_steps += done;
    total_seconds += timed;
  }
  double gflops = (double)FLOPS_PER_EXAMPLE * (double)batch / best * 1e-9;
  printf("us_per_step %.4f us_per_run %.4f steps_per_second %.1f gflops %.3f steps %ld seconds %.3f "
         "last_loss %.4f\n",
         best * 1e6, best * 1e6 * (double)(run_steps > 0 ? run_steps : 1), 1.0 / best, gflops,
         total_steps, total_seconds, loss);
  free(params);
  free(opt_state);
  free(x);
  free(t);
  free(workspace);
  return 0;
}
