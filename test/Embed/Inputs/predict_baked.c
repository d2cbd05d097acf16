/* predict_baked.c - examples/iris.cat compiled with its weights baked in
 * (catc --weights), used without any parameter array.
 *
 *   predict_baked rows ROWS.csv   iris_model_predict on each row (four
 *                                 features), printed as `iris predict
 *                                 --probabilities` prints it: the class
 *                                 name, then each class's probability
 *   predict_baked sums            each baked tensor's sum and first values,
 *                                 as `iris info --weights W` prints them
 *   predict_baked encode ROWS.csv iris_encode_predict equals
 *                                 iris_encode_forward on the baked array
 */
#include "iris.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { MAX_ROWS = 64, FEATURES = 4, HIDDEN = 16 };

static float x[MAX_ROWS * FEATURES];
static float y[MAX_ROWS * IRIS_MODEL_CLASS_COUNT];
static float h1[MAX_ROWS * HIDDEN], h2[MAX_ROWS * HIDDEN];
/* Enough for both morphisms' functions. */
static float workspace[(IRIS_MODEL_WORKSPACE_BYTES(MAX_ROWS) + IRIS_ENCODE_WORKSPACE_BYTES(MAX_ROWS)) /
                       sizeof(float) + 1];

static size_t read_rows(const char *path) {
  FILE *in = fopen(path, "r");
  size_t n = 0;
  if (!in)
    return 0;
  while (n < MAX_ROWS && fscanf(in, "%f,%f,%f,%f", &x[n * FEATURES], &x[n * FEATURES + 1],
                                &x[n * FEATURES + 2], &x[n * FEATURES + 3]) == FEATURES)
    ++n;
  fclose(in);
  return n;
}

static int rows(const char *path) {
  size_t n = read_rows(path);
  if (n == 0)
    return 1;
  iris_model_predict(x, y, n, workspace);
  for (size_t i = 0; i < n; ++i) {
    const float *s = y + i * IRIS_MODEL_CLASS_COUNT;
    int best = 0;
    double total = 0;
    for (int c = 1; c < IRIS_MODEL_CLASS_COUNT; ++c)
      if (s[c] > s[best])
        best = c;
    for (int c = 0; c < IRIS_MODEL_CLASS_COUNT; ++c)
      total += exp((double)s[c] - s[best]);
    printf("%s", iris_model_class_names[best]);
    for (int c = 0; c < IRIS_MODEL_CLASS_COUNT; ++c)
      printf(" %.6g", exp((double)s[c] - s[best]) / total);
    printf("\n");
  }
  return 0;
}

static int sums(void) {
  for (int t = 0; t < IRIS_MODEL_PARAM_TENSORS; ++t) {
    const catc_param_info *p = &iris_model_param_table[t];
    const float *values = iris_model_weights + p->offset;
    double sum = 0;
    for (int64_t j = 0; j < p->size; ++j)
      sum += values[j];
    printf("  %s sum %.17g first", p->name, sum);
    for (int64_t j = 0; j < p->size && j < 3; ++j)
      printf(" %.9g", (double)values[j]);
    printf("\n");
  }
  return 0;
}

static int encode(const char *path) {
  size_t n = read_rows(path);
  if (n == 0)
    return 1;
  iris_encode_predict(x, h1, n, workspace);
  iris_encode_forward(iris_model_weights, x, h2, n, workspace);
  int same = memcmp(h1, h2, n * HIDDEN * sizeof(float)) == 0;
  printf("encode: %s on %zu rows\n", same ? "same" : "DIFFERENT", n);
  return !same;
}

int main(int argc, char **argv) {
  if (argc == 3 && !strcmp(argv[1], "rows"))
    return rows(argv[2]);
  if (argc == 2 && !strcmp(argv[1], "sums"))
    return sums();
  if (argc == 3 && !strcmp(argv[1], "encode"))
    return encode(argv[2]);
  fprintf(stderr, "usage: predict_baked rows|encode ROWS.csv | sums\n");
  return 2;
}
