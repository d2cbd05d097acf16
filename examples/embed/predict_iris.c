/* predict_iris.c - classifies three iris flowers with the trained weights
 * that `catc --weights` baked into iris.o (docs/embedding.md, "Weights in
 * flash"). The program declares no parameter array and reads no file: the
 * weights are the object's constant data, iris_model_predict uses them. Only
 * the inputs, the outputs and the workspace are in RAM.
 *
 *   catc examples/iris.cat -c -o iris.o --emit-header iris.h --weights iris.safetensors
 *   cc -std=c99 -I. examples/embed/predict_iris.c iris.o -lm -o predict_iris
 */
#include "iris.h"

#include <math.h>
#include <stdio.h>

#define FLOWERS 3
#define FEATURES 4

static const float flowers[FLOWERS][FEATURES] = {
    {5.1f, 3.5f, 1.4f, 0.2f}, /* sepal length, sepal width, petal length, petal width (cm) */
    {5.7f, 2.8f, 4.1f, 1.3f},
    {6.7f, 3.0f, 5.2f, 2.3f},
};
static float scores[FLOWERS][IRIS_MODEL_CLASS_COUNT];
static float workspace[(IRIS_MODEL_WORKSPACE_BYTES(FLOWERS) + sizeof(float) - 1) / sizeof(float)];

int main(void) {
  iris_model_predict(&flowers[0][0], &scores[0][0], FLOWERS, workspace);
  for (int i = 0; i < FLOWERS; ++i) {
    const float *s = scores[i];
    int best = 0;
    double total = 0;
    for (int c = 1; c < IRIS_MODEL_CLASS_COUNT; ++c)
      if (s[c] > s[best])
        best = c;
    for (int c = 0; c < IRIS_MODEL_CLASS_COUNT; ++c)
      total += exp((double)s[c] - s[best]);
    printf("%.1f %.1f %.1f %.1f -> %s (p = %.3f)\n", flowers[i][0], flowers[i][1], flowers[i][2],
           flowers[i][3], iris_model_class_names[best], 1 / total);
  }
  return 0;
}
