/* step_bench.c - training steps per second of one catc-generated model.
 *
 * Built once per model with the generated header's symbol prefix and the
 * shapes of its input and target as macros (see run.sh): STEP_PREFIX (e.g.
 * iris_model), INPUT_IS_FIN (1: the input is Fin tokens, int32), INPUT_SIZE
 * and INPUT_CLASSES (floats or tokens per example, and the token range),
 * TARGET_SIZE and TARGET_CLASSES. It calls <prefix>_train_step on one fixed
 * batch of seeded random examples, first for warm-up, then for at least the
 * given number of seconds, and prints `steps_per_second <value>`. A fixed
 * batch leaves data loading out, as the PyTorch peer (torch_bench.py) does.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include STEP_HEADER

#define CONCAT2(a, b) a##b
#define CONCAT(a, b) CONCAT2(a, b)
#define SYMBOL(suffix) CONCAT(STEP_PREFIX, suffix)

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

/* A small deterministic generator, so both peers' data do not depend on libc. */
static uint64_t state = 0x9e3779b97f4a7c15u;
static uint32_t next_random(void) {
  state = state * 6364136223846793005u + 1442695040888963407u;
  return (uint32_t)(state >> 33);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s BATCH MIN_SECONDS WARMUP_STEPS\n", argv[0]);
    return 2;
  }
  size_t batch = (size_t)strtoul(argv[1], NULL, 10);
  double min_seconds = strtod(argv[2], NULL);
  int warmup = atoi(argv[3]);
  size_t param_count = PARAM_COUNT, state_count = OPT_STATE_COUNT;
  float *params = calloc(param_count, sizeof(float));
  float *opt_state = calloc(state_count, sizeof(float));
  input_t *x = malloc(batch * INPUT_SIZE * sizeof(input_t));
  int32_t *t = malloc(batch * TARGET_SIZE * sizeof(int32_t));
  void *workspace = malloc(SYMBOL(_workspace_size)(batch) + 64);
  if (!params || !opt_state || !x || !t || !workspace) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  SYMBOL(_init)(params, 42);
  for (size_t i = 0; i < batch * INPUT_SIZE; ++i) {
#if INPUT_IS_FIN
    x[i] = (int32_t)(next_random() % INPUT_CLASSES);
#else
    x[i] = (float)(next_random() % 2000) / 1000.0f - 1.0f;
#endif
  }
  for (size_t i = 0; i < batch * TARGET_SIZE; ++i)
    t[i] = (int32_t)(next_random() % TARGET_CLASSES);

  float loss = 0.0f;
  for (int i = 0; i < warmup; ++i)
    loss = SYMBOL(_train_step)(params, opt_state, x, t, batch, workspace);
  long steps = 0;
  double start = now_seconds(), elapsed = 0.0;
  /* Check the clock every 8 steps: iris steps take about a microsecond. */
  while (elapsed < min_seconds) {
    for (int i = 0; i < 8; ++i)
      loss = SYMBOL(_train_step)(params, opt_state, x, t, batch, workspace);
    steps += 8;
    elapsed = now_seconds() - start;
  }
  printf("steps_per_second %.1f steps %ld seconds %.3f last_loss %.4f\n",
         (double)steps / elapsed, steps, elapsed, loss);
  free(params);
  free(opt_state);
  free(x);
  free(t);
  free(workspace);
  return 0;
}
