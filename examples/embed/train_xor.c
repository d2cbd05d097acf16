/* train_xor.c - on-device training of a catc model, without malloc.
 *
 * Links the object that `catc xor_net.cat -c -o xor_net.o --emit-header
 * xor_net.h` writes. Parameters, optimizer state and workspace are static
 * arrays sized by the header's constants; the four XOR points live in
 * memory. Each call of the generated xornet_model_train_step runs forward,
 * loss, backward and the Adam update on the whole batch and returns the
 * loss before the update, so the printed losses fall as the model learns.
 * Then xornet_model_forward classifies the four points. The build line is in
 * docs/embedding.md; the program runs the same on a host and on a
 * microcontroller (it needs only printf, for the report).
 */
#include "xor_net.h"

#include <stdio.h>

enum { POINTS = 4, STEPS = 200, REPORT_EVERY = 20 };

static float params[XORNET_MODEL_PARAM_COUNT];
/* Zero-initialised, as the optimizer's first step expects. */
static float opt_state[XORNET_MODEL_OPT_STATE_COUNT];
/* The workspace for a batch of POINTS, in floats so it is float-aligned. */
static float workspace[(XORNET_MODEL_WORKSPACE_BYTES(POINTS) + sizeof(float) - 1) / sizeof(float)];

static const float inputs[POINTS * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
static const int32_t labels[POINTS] = {0, 1, 1, 0};

int main(void) {
  float logits[POINTS * 2];
  int step, correct = 0, i;
  xornet_model_init(params, 1);
  for (step = 0; step <= STEPS; ++step) {
    float loss = xornet_model_train_step(params, opt_state, inputs, labels, POINTS, workspace);
    if (step % REPORT_EVERY == 0)
      printf("step %3d  loss %.4f\n", step, loss);
  }
  xornet_model_forward(params, inputs, logits, POINTS, workspace);
  for (i = 0; i < POINTS; ++i) {
    int predicted = logits[2 * i + 1] > logits[2 * i];
    correct += predicted == labels[i];
    printf("%g xor %g -> %d\n", inputs[2 * i], inputs[2 * i + 1], predicted);
  }
  printf("%d of %d correct\n", correct, POINTS);
  return correct == POINTS ? 0 : 1;
}
