/* board_check.c - prints, exactly, what three generated models compute on a
 * microcontroller board, for comparison with the same program on the host.
 *
 * Links the objects of examples/iris.cat (dense/relu, SGD with momentum),
 * examples/embed/xor_net.cat (tanh, Adam: the bias correction's powers) and
 * Inputs/mix.cat (embedding, layer norm, gelu, sigmoid, the normal
 * initialiser's libm calls) and the board support of
 * examples/embed/boards/ (board.h; host/board.c on the host). For each
 * model: the parameters `_init` makes, `_forward` on fixed rows (real iris
 * rows for iris), 10 `_train_step`s on those rows (the losses), the
 * parameters after them and `_forward` again. Every number is a line
 * `label[i] value` with the float in hexadecimal notation, exact and
 * printed without printf (board_print.c); compare_numbers.py reads it.
 * Buffers are static and sized by the headers' macros.
 */
#include "board.h"
#include "iris.h"
#include "mix.h"
#include "xor_net.h"

#include <string.h>

enum { ROWS = 5, XOR_ROWS = 4, STEPS = 10 };

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define WORKSPACE_BYTES                                                 \
  MAX2(MAX2(IRIS_MODEL_WORKSPACE_BYTES(ROWS), MIX_NET_WORKSPACE_BYTES(ROWS)), \
       XORNET_MODEL_WORKSPACE_BYTES(XOR_ROWS))
static float workspace[(WORKSPACE_BYTES + 3) / 4];

static float iris_params[IRIS_MODEL_PARAM_COUNT];
static float iris_state[IRIS_MODEL_OPT_STATE_COUNT];
static float xor_params[XORNET_MODEL_PARAM_COUNT];
static float xor_state[XORNET_MODEL_OPT_STATE_COUNT];
static float mix_params[MIX_NET_PARAM_COUNT];
static float mix_state[MIX_NET_OPT_STATE_COUNT];

static void print_value(const char *label, size_t index, float value) {
  board_write(label);
  board_write("[");
  board_write_u64(index);
  board_write("] ");
  board_write_hexfloat(value);
  board_write("\n");
}

static void print_all(const char *label, const float *values, size_t count) {
  size_t i;
  for (i = 0; i < count; ++i)
    print_value(label, i, values[i]);
}

/* A fixed value in [-0.5, 0.5) for index i of stream s. */
static float fixed(unsigned s, unsigned i) {
  return (float)((i * 37u + s * 11u) % 64u) / 64.0f - 0.5f;
}

/* Rows 1, 26, 51, 52 and 101 of examples/iris.csv, with their species. */
static const float iris_rows[ROWS * 4] = {
    5.1f, 3.5f, 1.4f, 0.2f, 5.0f, 3.0f, 1.6f, 0.2f, 7.0f, 3.2f, 4.7f, 1.4f,
    6.4f, 3.2f, 4.5f, 1.5f, 6.3f, 3.3f, 6.0f, 2.5f};
static const int32_t iris_species[ROWS] = {0, 0, 1, 1, 2};

static void check_iris(void) {
  float y[ROWS * 3];
  unsigned i;
  iris_model_init(iris_params, 42);
  print_all("iris.init", iris_params, IRIS_MODEL_PARAM_COUNT);
  iris_model_forward(iris_params, iris_rows, y, ROWS, workspace);
  print_all("iris.forward", y, ROWS * 3);
  memset(iris_state, 0, sizeof iris_state);
  for (i = 0; i < STEPS; ++i)
    print_value("iris.loss", i,
                iris_model_train_step(iris_params, iris_state, iris_rows, iris_species, ROWS,
                                      workspace));
  print_all("iris.trained", iris_params, IRIS_MODEL_PARAM_COUNT);
  iris_model_forward(iris_params, iris_rows, y, ROWS, workspace);
  print_all("iris.forward_trained", y, ROWS * 3);
}

static void check_xor(void) {
  static const float points[XOR_ROWS * 2] = {0, 0, 0, 1, 1, 0, 1, 1};
  static const int32_t labels[XOR_ROWS] = {0, 1, 1, 0};
  float y[XOR_ROWS * 2];
  unsigned i;
  xornet_model_init(xor_params, 1);
  print_all("xor.init", xor_params, XORNET_MODEL_PARAM_COUNT);
  xornet_model_forward(xor_params, points, y, XOR_ROWS, workspace);
  print_all("xor.forward", y, XOR_ROWS * 2);
  memset(xor_state, 0, sizeof xor_state);
  for (i = 0; i < STEPS; ++i)
    print_value("xor.loss", i,
                xornet_model_train_step(xor_params, xor_state, points, labels, XOR_ROWS,
                                        workspace));
  print_all("xor.trained", xor_params, XORNET_MODEL_PARAM_COUNT);
  xornet_model_forward(xor_params, points, y, XOR_ROWS, workspace);
  print_all("xor.forward_trained", y, XOR_ROWS * 2);
}

static void check_mix(void) {
  int32_t token[ROWS];
  float x[ROWS * 2], y[ROWS], target[ROWS];
  unsigned i;
  for (i = 0; i < ROWS * 2; ++i)
    x[i] = fixed(4, i);
  for (i = 0; i < ROWS; ++i) {
    token[i] = (int32_t)((i * 5u + 1u) % 6u);
    target[i] = 0.5f + 0.5f * fixed(6, i);
  }
  mix_net_init(mix_params, 11);
  print_all("mix.init", mix_params, MIX_NET_PARAM_COUNT);
  mix_net_forward(mix_params, token, x, y, ROWS, workspace);
  print_all("mix.forward", y, ROWS);
  memset(mix_state, 0, sizeof mix_state);
  for (i = 0; i < STEPS; ++i)
    print_value("mix.loss", i,
                mix_net_train_step(mix_params, mix_state, token, x, target, ROWS, workspace));
  print_all("mix.trained", mix_params, MIX_NET_PARAM_COUNT);
  mix_net_forward(mix_params, token, x, y, ROWS, workspace);
  print_all("mix.forward_trained", y, ROWS);
}

int main(void) {
  check_iris();
  check_xor();
  check_mix();
  board_write("done\n");
  return 0;
}
