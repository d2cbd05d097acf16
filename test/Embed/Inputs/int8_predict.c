/* int8_predict.c - runs <MODEL>_predict of a model compiled with int8
 * weights (catc -c --weights Wq.safetensors) on the rows of a CSV file
 * (header, then FEATURES numbers and a label per line), all in one batch,
 * and prints each row's outputs exactly (C99 %a) and the largest one's
 * index: what int8_reference.py recomputes bit for bit.
 * Build: cc -DHEADER='"iris.h"' -DPREDICT=iris_model_predict
 *        -DFEATURES=4 -DOUTPUTS=3 -DWORKSPACE=IRIS_MODEL_PREDICT_WORKSPACE_BYTES */
#include HEADER

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  FILE *in = argc > 1 ? fopen(argv[1], "r") : NULL;
  if (!in)
    return 2;
  static float x[4096 * FEATURES], y[4096 * OUTPUTS];
  char line[4096];
  size_t n = 0;
  if (!fgets(line, sizeof line, in))
    return 2;
  while (n < 4096 && fgets(line, sizeof line, in)) {
    char *p = line;
    for (int j = 0; j < FEATURES; ++j) {
      x[n * FEATURES + j] = strtof(p, &p);
      if (*p == ',')
        ++p;
    }
    ++n;
  }
  void *workspace = malloc(WORKSPACE(n));
  PREDICT(x, y, n, workspace);
  for (size_t i = 0; i < n; ++i) {
    int best = 0;
    for (int j = 0; j < OUTPUTS; ++j) {
      printf("%a ", y[i * OUTPUTS + j]);
      if (y[i * OUTPUTS + j] > y[i * OUTPUTS + best])
        best = j;
    }
    printf("%d\n", best);
  }
  free(workspace);
  return 0;
}
