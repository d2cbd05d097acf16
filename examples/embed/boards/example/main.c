/* main.c - trains the XOR model of examples/embed/xor_net.cat on a
 * microcontroller with the generated training step, then classifies the
 * four points: examples/embed/train_xor.c without printf (the board kit's
 * board_write prints, ../common/board.h). No malloc: every buffer is a
 * static array sized by the header. Exits with 0 when all four points are
 * classified correctly.
 */
#include "board.h"
#include "xor_net.h"

#include <stdint.h>

enum { POINTS = 4, STEPS = 200, REPORT_EVERY = 50 };

static float params[XORNET_MODEL_PARAM_COUNT];
static float opt_state[XORNET_MODEL_OPT_STATE_COUNT]; /* zero: the train block's Adam */
static float workspace[(XORNET_MODEL_WORKSPACE_BYTES(POINTS) + sizeof(float) - 1) / sizeof(float)];

static const float inputs[POINTS * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
static const int32_t labels[POINTS] = {0, 1, 1, 0};

int main(void) {
  float logits[POINTS * 2];
  int step, i, correct = 0;
  xornet_model_init(params, 1);
  for (step = 0; step <= STEPS; ++step) {
    float loss = xornet_model_train_step(params, opt_state, inputs, labels, POINTS, workspace);
    if (step % REPORT_EVERY == 0) {
      board_write("step ");
      board_write_u64((uint64_t)step);
      board_write(" loss ");
      board_write_fixed((int64_t)(loss * 10000.0f + 0.5f), 4);
      board_write("\n");
    }
  }
  xornet_model_forward(params, inputs, logits, POINTS, workspace);
  for (i = 0; i < POINTS; ++i)
    correct += (logits[2 * i + 1] > logits[2 * i]) == labels[i];
  board_write_u64((uint64_t)correct);
  board_write(" of 4 correct\n");
  return correct == POINTS ? 0 : 1;
}
