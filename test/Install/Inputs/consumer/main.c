/* main.c - trains the catc-generated xor model through its C interface.
 *
 * Uses only the generated header (found through catc_add_model's include
 * path) and the object: the exact size macros, init, train_step and forward.
 * Prints the sizes, the loss before and after training and the class of
 * each input, which the test checks.
 */
#include "gate.h"

#include <stdio.h>
#include <string.h>

#define EXAMPLES 4
#define STEPS 300

int main(void) {
  static const float inputs[EXAMPLES * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
  static const int32_t labels[EXAMPLES] = {0, 1, 1, 0};
  /* Every buffer sized by the header's compile-time constants: no malloc. */
  static float params[GATE_MODEL_PARAM_COUNT];
  static float opt_state[GATE_MODEL_OPT_STATE_COUNT];
  static unsigned char workspace[GATE_MODEL_WORKSPACE_BYTES(EXAMPLES)]
      __attribute__((aligned(64)));
  float logits[EXAMPLES * 2];

  printf("params %d, optimizer state %d, workspace %zu bytes for %d examples\n",
         GATE_MODEL_PARAM_COUNT, GATE_MODEL_OPT_STATE_COUNT,
         (size_t)GATE_MODEL_WORKSPACE_BYTES(EXAMPLES), EXAMPLES);
  if (gate_model_workspace_size(EXAMPLES) != GATE_MODEL_WORKSPACE_BYTES(EXAMPLES)) {
    printf("workspace_size disagrees with the header: %zu\n", gate_model_workspace_size(EXAMPLES));
    return 1;
  }
  printf("first tensor %s\n", gate_model_param_table[0].name);

  gate_model_init(params, 1);
  memset(opt_state, 0, sizeof opt_state);
  float first = 0, last = 0;
  for (int step = 0; step < STEPS; ++step) {
    last = gate_model_train_step(params, opt_state, inputs, labels, EXAMPLES, workspace);
    if (step == 0)
      first = last;
  }
  printf("loss %.6f -> %.6f\n", first, last);

  gate_model_forward(params, inputs, logits, EXAMPLES, workspace);
  printf("classes");
  for (int i = 0; i < EXAMPLES; ++i)
    printf(" %d", logits[2 * i + 1] > logits[2 * i] ? 1 : 0);
  printf("\n");
  return 0;
}
