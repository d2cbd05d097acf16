/* predict_iris.c - classifies ten iris flowers on a microcontroller with
 * the trained weights that `catc --weights` baked into the model's object
 * (docs/embedding.md, "Weights in flash"): examples/embed/predict_iris.c
 * for the boards of this kit, printing with board_write (common/board.h)
 * instead of printf.
 *
 * The program declares no parameter array and reads no file: the weights
 * are the object's constant data, in flash, and iris_model_predict uses
 * them. RAM holds the outputs, their softmax and the workspace. The
 * flowers are ten rows of examples/iris.csv (lines 2, 25, 45, 52, 72, 74,
 * 86, 102, 135 and 150) with their labels.
 *
 * It prints a line per flower and how many got their label,
 *
 *   5.1 3.5 1.4 0.2 -> setosa (p = 1.000)
 *   ...
 *   8 of 10 flowers as labelled
 *
 * then, for comparisons (test/Embed/board-weights.test), exactly (as C99
 * hexadecimal floats), a line per flower with the three outputs of
 * iris_model_predict and one with the class and the softmax of the outputs,
 * as `iris predict --probabilities` prints it:
 *
 *   scores 0x1.70fb38p+3 0x1.12064p-3 -0x1.3944eap+3
 *   ...
 *   probabilities setosa 0x1.fffe88p-1 0x1.78d548p-17 0x1.2e98c6p-31
 *   ...
 *
 * Exits with status 0.
 */
#include "board.h"
#include "iris.h"

#include <math.h>
#include <stdint.h>

enum { FLOWERS = 10, FEATURES = 4 };

static const float flowers[FLOWERS][FEATURES] = {
    {5.1f, 3.5f, 1.4f, 0.2f}, /* sepal length, sepal width, petal length, petal width (cm) */
    {5.1f, 3.3f, 1.7f, 0.5f}, {5.0f, 3.5f, 1.6f, 0.6f}, {7.0f, 3.2f, 4.7f, 1.4f},
    {5.9f, 3.2f, 4.8f, 1.8f}, {6.3f, 2.5f, 4.9f, 1.5f}, {5.4f, 3.0f, 4.5f, 1.5f},
    {6.3f, 3.3f, 6.0f, 2.5f}, {6.3f, 2.8f, 5.1f, 1.5f}, {6.2f, 3.4f, 5.4f, 2.3f},
};
static const char *const labels[FLOWERS] = {
    "setosa",     "setosa",     "setosa",    "versicolor", "versicolor",
    "versicolor", "versicolor", "virginica", "virginica",  "virginica",
};
static float scores[FLOWERS][IRIS_MODEL_CLASS_COUNT];
static float p[FLOWERS][IRIS_MODEL_CLASS_COUNT]; /* the softmax of each row of scores */
/* _predict needs the forward pass's workspace only (no training step's). */
static float workspace[(IRIS_MODEL_FORWARD_WORKSPACE_BYTES(FLOWERS) + sizeof(float) - 1) /
                       sizeof(float)];

static int same_text(const char *a, const char *b) {
  while (*a && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

int main(void) {
  int best[FLOWERS];
  int i, c, labelled = 0;
  iris_model_predict(&flowers[0][0], &scores[0][0], FLOWERS, workspace);
  for (i = 0; i < FLOWERS; ++i) {
    const float *s = scores[i];
    float total = 0;
    best[i] = 0;
    for (c = 1; c < IRIS_MODEL_CLASS_COUNT; ++c)
      if (s[c] > s[best[i]])
        best[i] = c;
    for (c = 0; c < IRIS_MODEL_CLASS_COUNT; ++c) {
      p[i][c] = expf(s[c] - s[best[i]]);
      total += p[i][c];
    }
    for (c = 0; c < IRIS_MODEL_CLASS_COUNT; ++c)
      p[i][c] /= total;
    labelled += same_text(iris_model_class_names[best[i]], labels[i]);

    for (c = 0; c < FEATURES; ++c) {
      board_write_fixed((int64_t)(flowers[i][c] * 10 + 0.5f), 1);
      board_write(" ");
    }
    board_write("-> ");
    board_write(iris_model_class_names[best[i]]);
    board_write(" (p = ");
    board_write_fixed((int64_t)(p[i][best[i]] * 1000 + 0.5f), 3);
    board_write(")\n");
  }
  board_write_u64((uint64_t)labelled);
  board_write(" of ");
  board_write_u64(FLOWERS);
  board_write(" flowers as labelled\n");

  for (i = 0; i < FLOWERS; ++i) {
    board_write("scores");
    for (c = 0; c < IRIS_MODEL_CLASS_COUNT; ++c) {
      board_write(" ");
      board_write_hexfloat(scores[i][c]);
    }
    board_write("\n");
  }
  for (i = 0; i < FLOWERS; ++i) {
    board_write("probabilities ");
    board_write(iris_model_class_names[best[i]]);
    for (c = 0; c < IRIS_MODEL_CLASS_COUNT; ++c) {
      board_write(" ");
      board_write_hexfloat(p[i][c]);
    }
    board_write("\n");
  }
  return 0;
}
