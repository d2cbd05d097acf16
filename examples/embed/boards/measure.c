/* measure.c - the images measure.sh builds and runs: one model, batch 1.
 *
 * measure.sh generates measure_model.h (the model's header and the names
 * below) and, for the inference image, params.inc (the parameters of
 * `_init` with measure.sh's seed, computed on the host, as C99 hexadecimal
 * literals). Two images from this file:
 *
 *   -DMEASURE_TRAINING   parameters and optimizer state in RAM, _init, and
 *                        _train_step measured: what on-device training
 *                        links;
 *   -DMEASURE_PREDICT    weights compiled into the model (catc --weights,
 *                        float or int8) and _predict measured;
 *   otherwise            parameters const (in flash, as trained weights
 *                        are deployed) and _forward measured: what
 *                        inference links; --gc-sections drops the rest of
 *                        the model (training, backward, init).
 *
 * Counting: REPEATS calls of the function between two reads of the board's
 * counter, minus REPEATS calls of an empty function with the same
 * arguments (the loop and the call itself), so the difference is what the
 * call costs beyond an empty call. The image prints the raw counts and
 * measure.sh divides (no 64-bit division linked here). The calibration
 * loop's instruction count is known exactly (2 per iteration), which checks
 * the counter's scale. The stack is repainted before the measured call,
 * so its high-water mark is that call's depth (from the caller's stack
 * pointer, the call's return address and arguments included), and the
 * workspace is painted too, so that the part the call overwrote shows.
 *
 * Every figure is a line "name value"; the first example's outputs are
 * printed exactly (hexadecimal floats), so a test can compare them with
 * the host's.
 */
#include "board.h"
#include "measure_model.h"

#include <stddef.h>
#include <stdint.h>

#ifndef REPEATS
#define REPEATS 1000
#endif
enum { CALIBRATION_ITERATIONS = 100000 };

#ifdef MEASURE_TRAINING
static float params[MODEL_PARAM_COUNT];
static float opt_state[MODEL_OPT_STATE_COUNT];
#elif !defined(MEASURE_PREDICT)
static const float params[MODEL_PARAM_COUNT] = {
#include "params.inc"
};
#endif
/* An inference image needs only the forward pass's workspace. */
#ifdef MEASURE_TRAINING
#define MEASURED_WORKSPACE_BYTES MODEL_WORKSPACE_BYTES(1)
#elif defined(MEASURE_PREDICT)
#define MEASURED_WORKSPACE_BYTES MODEL_PREDICT_WORKSPACE_BYTES(1)
#else
#define MEASURED_WORKSPACE_BYTES MODEL_FORWARD_WORKSPACE_BYTES(1)
#endif
static float workspace[(MEASURED_WORKSPACE_BYTES + sizeof(float) - 1) / sizeof(float)];
static float x[MODEL_IN], y[MODEL_OUT];
#ifdef MEASURE_TRAINING
static MODEL_TARGET_TYPE target[MODEL_TARGET_SIZE];
#endif

static void print(const char *name, uint64_t value) {
  board_write(name);
  board_write(" ");
  board_write_u64(value);
  board_write("\n");
}

/* 2 * iterations instructions: a decrement and a taken branch each. */
static void __attribute__((noinline)) calibration_loop(uint32_t iterations) {
#if defined(__arm__)
  __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(iterations) : : "cc");
#elif defined(__riscv)
  __asm__ volatile("1: addi %0, %0, -1\n\tbnez %0, 1b" : "+r"(iterations));
#else
  (void)iterations; /* the host has no counter */
#endif
}

/* The empty calls of the baseline. noipa: the compiler may neither drop the
 * calls nor specialise them (noinline alone allows both). */
#ifdef MEASURE_TRAINING
static float __attribute__((noipa)) empty_train_step(float *p, float *s, const float *in,
                                                     const MODEL_TARGET_TYPE *t, size_t n,
                                                     void *w) {
  (void)p, (void)s, (void)in, (void)t, (void)n, (void)w;
  return 0.0f;
}
#elif defined(MEASURE_PREDICT)
static void __attribute__((noipa)) empty_predict(const float *in, float *out, size_t n, void *w) {
  (void)in, (void)out, (void)n, (void)w;
}
#define MEASURED_CALL() MODEL(predict)(x, y, 1, workspace)
#define EMPTY_CALL() empty_predict(x, y, 1, workspace)
#else
static void __attribute__((noipa)) empty_forward(const float *p, const float *in, float *out,
                                                 size_t n, void *w) {
  (void)p, (void)in, (void)out, (void)n, (void)w;
}
#define MEASURED_CALL() MODEL(forward)(params, x, y, 1, workspace)
#define EMPTY_CALL() empty_forward(params, x, y, 1, workspace)
#endif

static size_t high_water;

#define WORKSPACE_PAINT 0x7fc5a7c5u /* a NaN no computation produces */

static void paint_workspace(void) {
  uint32_t *w = (uint32_t *)workspace;
  size_t i;
  for (i = 0; i < sizeof workspace / sizeof *w; ++i)
    w[i] = WORKSPACE_PAINT;
}

/* Bytes of the workspace a call overwrote (the words that lost the
 * paint): how much of the header's size it uses at batch 1. */
static size_t workspace_touched(void) {
  const uint32_t *w = (const uint32_t *)workspace;
  size_t i, written = 0;
  for (i = 0; i < sizeof workspace / sizeof *w; ++i)
    written += w[i] != WORKSPACE_PAINT;
  return written * sizeof *w;
}

/* Records the whole program's high-water mark, then repaints below here. */
static void repaint(void) {
  size_t used = board_stack_used();
  if (used > high_water)
    high_water = used;
  board_stack_paint();
}

int main(void) {
  uint64_t start, middle, end;
  size_t sp;
  unsigned i;
  float volatile sink = 0.0f;

  for (i = 0; i < MODEL_IN; ++i)
    x[i] = (float)((i * 37u) % 64u) / 64.0f - 0.5f;

  print("counts_to_instructions", board_counts_to_instructions);
  print("repeats", REPEATS);
  print("workspace_bytes", MEASURED_WORKSPACE_BYTES);
  print("stack_size", board_stack_size());

  start = board_counter();
  calibration_loop(CALIBRATION_ITERATIONS);
  end = board_counter();
  print("calibration_instructions", 2u * CALIBRATION_ITERATIONS);
  print("calibration_counts", end - start);

#ifdef MEASURE_TRAINING
  for (i = 0; i < MODEL_TARGET_SIZE; ++i)
    target[i] = MODEL_TARGET_VALUE(i);
  MODEL(init)(params, 1);
  /* One step first, so that the measured ones start from a used state. */
  repaint();
  paint_workspace();
  sp = board_stack_pointer();
  sink += MODEL(train_step)(params, opt_state, x, target, 1, workspace);
  print("call_stack", board_stack_used() - sp);
  print("workspace_touched", workspace_touched());
  start = board_counter();
  for (i = 0; i < REPEATS; ++i)
    sink += MODEL(train_step)(params, opt_state, x, target, 1, workspace);
  middle = board_counter();
  for (i = 0; i < REPEATS; ++i)
    sink += empty_train_step(params, opt_state, x, target, 1, workspace);
  end = board_counter();
  print("call_counts", middle - start);
  print("empty_counts", end - middle);
  MODEL(forward)(params, x, y, 1, workspace);
#else
  repaint();
  paint_workspace();
  sp = board_stack_pointer();
  MEASURED_CALL();
  print("call_stack", board_stack_used() - sp);
  print("workspace_touched", workspace_touched());
  start = board_counter();
  for (i = 0; i < REPEATS; ++i)
    MEASURED_CALL();
  middle = board_counter();
  for (i = 0; i < REPEATS; ++i)
    EMPTY_CALL();
  end = board_counter();
  print("call_counts", middle - start);
  print("empty_counts", end - middle);
#endif
  (void)sink;

  repaint();
  print("stack_high_water", high_water);
  for (i = 0; i < MODEL_OUT; ++i) {
    board_write("output ");
    board_write_hexfloat(y[i]);
    board_write("\n");
  }
  return 0;
}
