/* opt_header.c - an embedder's own learning-rate schedule through the
 * optimizer state's header (the generated header's CATC_OPT_*).
 *
 * Three runs of 50 full-batch steps of xor_net: (a) a zeroed state, so the
 * train block's hyperparameters apply; (b) the header chosen with the train
 * block's own learning rate, which must give the same bits as (a); (c) a
 * step decay written before every step, which must differ. Prints one line
 * per comparison; exit status 1 if one fails.
 */
#include "xor_net.h"

#include <stdio.h>
#include <string.h>

enum { POINTS = 4, STEPS = 50 };

static float workspace[(XORNET_MODEL_WORKSPACE_BYTES(POINTS) + sizeof(float) - 1) / sizeof(float)];
static const float inputs[POINTS * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
static const int32_t labels[POINTS] = {0, 1, 1, 0};

/* lr 0 leaves the header alone; otherwise step k's rate is lr * decay^(k / 10). */
static void run(float *params, float lr, float decay) {
  static float state[XORNET_MODEL_OPT_STATE_COUNT];
  int step;
  memset(state, 0, sizeof state);
  xornet_model_init(params, 1);
  for (step = 0; step < STEPS; ++step) {
    if (lr > 0) {
      float rate = lr;
      int k;
      for (k = 0; k < step / 10; ++k)
        rate *= decay;
      state[CATC_OPT_CHOSEN] = 1;
      state[CATC_OPT_LR] = rate;
    }
    xornet_model_train_step(params, state, inputs, labels, POINTS, workspace);
  }
}

int main(void) {
  static float block[XORNET_MODEL_PARAM_COUNT], chosen[XORNET_MODEL_PARAM_COUNT],
      decayed[XORNET_MODEL_PARAM_COUNT];
  int same, differs;
  run(block, 0, 1);
  run(chosen, BLOCK_LR, 1);
  run(decayed, BLOCK_LR, 0.5f);
  same = memcmp(block, chosen, sizeof block) == 0;
  differs = memcmp(block, decayed, sizeof block) != 0;
  printf("chosen train-block rate gives the same bits: %s\n", same ? "yes" : "no");
  printf("a decaying rate changes the result: %s\n", differs ? "yes" : "no");
  return same && differs ? 0 : 1;
}
