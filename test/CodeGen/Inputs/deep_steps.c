/* deep_steps.c - three training steps of write-copy.test's deep model
 * (deep.cat, 101 dense layers: its loss gradient is emitted in parts) on
 * fixed rows from fixed parameters, printing each step's loss and the sum
 * of the trained parameters: what the host and another target compare. */
#include "deep.h"

#include <stdio.h>
#include <stdlib.h>

enum { ROWS = 4 };

int main(void) {
  static float params[DEEP_MODEL_PARAM_COUNT], state[DEEP_MODEL_OPT_STATE_COUNT];
  float x[ROWS * 16], t[ROWS * 8];
  for (int i = 0; i < ROWS * 16; ++i)
    x[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
  for (int i = 0; i < ROWS * 8; ++i)
    t[i] = (float)((i * 5) % 7) / 7.0f;
  void *workspace = malloc(DEEP_MODEL_WORKSPACE_BYTES(ROWS));
  if (!workspace)
    return 1;
  deep_model_init(params, 7);
  for (int step = 0; step < 3; ++step)
    printf("loss %.7g\n", deep_model_train_step(params, state, x, t, ROWS, workspace));
  double sum = 0.0;
  for (int i = 0; i < DEEP_MODEL_PARAM_COUNT; ++i)
    sum += params[i];
  printf("parameter sum %.7g\n", sum);
  free(workspace);
  return 0;
}
