/* baked.c - classifies the four xor inputs with weights baked into the
 * object (catc_add_model(... WEIGHTS ...)): no parameter array, no init,
 * only the forward pass's workspace. Prints the class of each input, which
 * the test compares with the standalone executable's predictions. */
#include "gate.h"

#include <stdio.h>

#if !GATE_MODEL_HAS_WEIGHTS
#error "the header should say the weights are baked in"
#endif

#define EXAMPLES 4

int main(void) {
  static const float inputs[EXAMPLES * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
  static unsigned char workspace[GATE_MODEL_FORWARD_WORKSPACE_BYTES(EXAMPLES) + 1]
      __attribute__((aligned(64)));
  float logits[EXAMPLES * 2];
  gate_model_predict(inputs, logits, EXAMPLES, workspace);
  printf("classes");
  for (int i = 0; i < EXAMPLES; ++i)
    printf(" %d", logits[2 * i + 1] > logits[2 * i] ? 1 : 0);
  printf("\n");
  return 0;
}
