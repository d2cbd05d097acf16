/* update_in_kernels.c - a training step that updates parameters inside
 * their gradients' kernels against one that writes the gradient first.
 *
 * For wide.cat (SGD with momentum, an embedding the step updates apart) and
 * plain.cat (SGD without momentum), from the same initial weights one copy
 * trains with `_train_step`, another with `_shard_grad` of the whole batch
 * then `_apply_gradient`, which writes the whole gradient and updates after
 * it. Losses, parameters and optimizer states must be the same bits after
 * every step: with the train block's settings (the update in the kernels),
 * then with clipping chosen in the state's header and then weight decay
 * (the update after the gradient, in both copies), then the block's own
 * settings again. ROWS is over 256, so the weight gradients' sums over the
 * batch come in two blocks, the first stored and added to. The workspace
 * and gradient buffers are filled with NaNs before each step.
 */
#include "plain.h"
#include "wide.h"

#include <stdio.h>
#include <string.h>

enum { ROWS = 300, STEPS = 8 };

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
static float workspace[MAX2(WIDE_NET_WORKSPACE_BYTES(ROWS), PLAIN_NET_WORKSPACE_BYTES(ROWS)) / 4 + 1];
static float params[2][MAX2(WIDE_NET_PARAM_COUNT, PLAIN_NET_PARAM_COUNT)];
static float state[2][MAX2(WIDE_NET_OPT_STATE_COUNT, PLAIN_NET_OPT_STATE_COUNT)];
static float grad[MAX2(WIDE_NET_PARAM_COUNT, PLAIN_NET_PARAM_COUNT)];

static int32_t tokens[ROWS], classes[ROWS];
static float wide_x[ROWS * 16], plain_x[ROWS * 40];

static void *nan_filled(void *buffer, size_t bytes) {
  memset(buffer, 0xff, bytes);
  return buffer;
}
#define WS nan_filled(workspace, sizeof workspace)

/* The step's settings for step s: the block's, clipping, decay, the block's. */
static void choose(float *s, int step) {
  int phase = step * 4 / STEPS;
  s[CATC_OPT_CHOSEN] = phase == 1 || phase == 2;
  s[CATC_OPT_LR] = 0.05f;
  s[CATC_OPT_WEIGHT_DECAY] = phase == 2 ? 0.01f : 0.0f;
  s[CATC_OPT_CLIP] = phase == 1 ? 0.5f : 0.0f;
}

/* Adapters: one step either way, on the fixed rows. */
static float wide_step(float *p, float *s) {
  return wide_net_train_step(p, s, tokens, wide_x, classes, ROWS, WS);
}
static float wide_shard(const float *p, const float *s, float *g) {
  return wide_net_shard_grad(p, s, tokens, wide_x, classes, g, ROWS, ROWS, 0, WS);
}
static float plain_step(float *p, float *s) {
  return plain_net_train_step(p, s, plain_x, classes, ROWS, WS);
}
static float plain_shard(const float *p, const float *s, float *g) {
  return plain_net_shard_grad(p, s, plain_x, classes, g, ROWS, ROWS, 0, WS);
}

static int check(const char *name, size_t param_count, size_t state_count, float (*step)(float *, float *),
                 float (*shard)(const float *, const float *, float *), void (*apply)(float *, float *, float *),
                 void (*init)(float *, uint64_t)) {
  int step_no;
  float first = 0, last = 0;
  init(params[0], 3);
  memcpy(params[1], params[0], param_count * sizeof(float));
  memset(state, 0, sizeof state);
  for (step_no = 0; step_no < STEPS; ++step_no) {
    float fused, written;
    choose(state[0], step_no);
    choose(state[1], step_no);
    fused = step(params[0], state[0]);
    nan_filled(grad, sizeof grad);
    written = shard(params[1], state[1], grad);
    apply(params[1], state[1], grad);
    if (memcmp(&fused, &written, sizeof fused) || memcmp(params[0], params[1], param_count * sizeof(float)) ||
        memcmp(state[0], state[1], state_count * sizeof(float))) {
      printf("%s: step %d differs (losses %.9g and %.9g)\n", name, step_no + 1, fused, written);
      return 1;
    }
    if (step_no == 0)
      first = fused;
    last = fused;
  }
  /* Training must have moved: the same bits could also be no update at all. */
  printf("%s: %d steps the same bits either way, loss %s\n", name, STEPS, last < first ? "falls" : "does not fall");
  return 0;
}

int main(void) {
  int i, failed = 0;
  for (i = 0; i < ROWS; ++i) {
    tokens[i] = (int32_t)((i * 7) % 16);
    classes[i] = (int32_t)((i * 3 + i / 7) % 10);
  }
  for (i = 0; i < ROWS * 16; ++i)
    wide_x[i] = (float)((i * 37) % 64) / 64.0f - 0.5f;
  for (i = 0; i < ROWS * 40; ++i)
    plain_x[i] = (float)((i * 11) % 64) / 32.0f - 1.0f;
  failed |= check("wide", WIDE_NET_PARAM_COUNT, WIDE_NET_OPT_STATE_COUNT, wide_step, wide_shard,
                  wide_net_apply_gradient, wide_net_init);
  failed |= check("plain", PLAIN_NET_PARAM_COUNT, PLAIN_NET_OPT_STATE_COUNT, plain_step, plain_shard,
                  plain_net_apply_gradient, plain_net_init);
  return failed;
}
