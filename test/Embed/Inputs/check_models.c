/* check_models.c - prints everything two generated models compute, for
 * comparing a cross-compiled build (run under qemu) with the host's.
 *
 * Links the objects of wave.cat and mix.cat. For each model: the parameters
 * `_init` makes from seed 11, `_forward` on five fixed rows, `_backward` with
 * fixed output gradients (parameter and input gradients), three
 * `_train_step`s (their losses) and the parameters after them. Each line is
 * `label value` with nine significant digits, so compare_numbers.py can hold
 * two runs to a tolerance. No files, no malloc: buffers are static and sized
 * by the headers' macros.
 */
#include "mix.h"
#include "wave.h"

#include <stdio.h>
#include <string.h>

enum { ROWS = 5, STEPS = 3 };

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
static float workspace[(MAX2(WAVE_NET_WORKSPACE_BYTES(ROWS),
                             MIX_NET_WORKSPACE_BYTES(ROWS)) + 3) / 4];
static float wave_params[WAVE_NET_PARAM_COUNT], wave_grad[WAVE_NET_PARAM_COUNT];
static float wave_state[WAVE_NET_OPT_STATE_COUNT];
static float mix_params[MIX_NET_PARAM_COUNT], mix_grad[MIX_NET_PARAM_COUNT];
static float mix_state[MIX_NET_OPT_STATE_COUNT];

static void print_all(const char *label, const float *values, size_t count) {
  size_t i;
  for (i = 0; i < count; ++i)
    printf("%s[%u] %.9g\n", label, (unsigned)i, values[i]);
}

/* A fixed value in [-0.5, 0.5) for index i of stream s. */
static float fixed(unsigned s, unsigned i) {
  return (float)((i * 37u + s * 11u) % 64u) / 64.0f - 0.5f;
}

static void check_wave(void) {
  float x[ROWS * 3], y[ROWS], dy[ROWS], dx[ROWS * 3], target[ROWS];
  unsigned i;
  for (i = 0; i < ROWS * 3; ++i)
    x[i] = fixed(1, i);
  for (i = 0; i < ROWS; ++i) {
    dy[i] = fixed(2, i);
    target[i] = 0.5f + 0.5f * fixed(3, i);
  }
  wave_net_init(wave_params, 11);
  print_all("wave.init", wave_params, WAVE_NET_PARAM_COUNT);
  wave_net_forward(wave_params, x, y, ROWS, workspace);
  print_all("wave.forward", y, ROWS);
  memset(wave_grad, 0, sizeof wave_grad);
  wave_net_backward(wave_params, x, dy, wave_grad, dx, ROWS, workspace);
  print_all("wave.dparams", wave_grad, WAVE_NET_PARAM_COUNT);
  print_all("wave.dx", dx, ROWS * 3);
  memset(wave_state, 0, sizeof wave_state);
  for (i = 0; i < STEPS; ++i)
    printf("wave.loss[%u] %.9g\n", i,
           wave_net_train_step(wave_params, wave_state, x, target, ROWS, workspace));
  print_all("wave.trained", wave_params, WAVE_NET_PARAM_COUNT);
}

static void check_mix(void) {
  int32_t token[ROWS];
  float x[ROWS * 2], y[ROWS], dy[ROWS], dx[ROWS * 2], target[ROWS];
  unsigned i;
  for (i = 0; i < ROWS * 2; ++i)
    x[i] = fixed(4, i);
  for (i = 0; i < ROWS; ++i) {
    token[i] = (int32_t)((i * 5u + 1u) % 6u);
    dy[i] = fixed(5, i);
    target[i] = 0.5f + 0.5f * fixed(6, i);
  }
  mix_net_init(mix_params, 11);
  print_all("mix.init", mix_params, MIX_NET_PARAM_COUNT);
  mix_net_forward(mix_params, token, x, y, ROWS, workspace);
  print_all("mix.forward", y, ROWS);
  memset(mix_grad, 0, sizeof mix_grad);
  mix_net_backward(mix_params, token, x, dy, mix_grad, dx, ROWS, workspace);
  print_all("mix.dparams", mix_grad, MIX_NET_PARAM_COUNT);
  print_all("mix.dx", dx, ROWS * 2);
  memset(mix_state, 0, sizeof mix_state);
  for (i = 0; i < STEPS; ++i)
    printf("mix.loss[%u] %.9g\n", i,
           mix_net_train_step(mix_params, mix_state, token, x, target, ROWS, workspace));
  print_all("mix.trained", mix_params, MIX_NET_PARAM_COUNT);
}

int main(void) {
  check_wave();
  check_mix();
  return 0;
}
