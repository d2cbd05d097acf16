/* dump_params.c - prints the parameters `_init` makes, as C99 hexadecimal
 * float literals, one per line: measure.sh runs it on the host and the
 * inference image includes the lines as its constant parameter array
 * (params.inc), so that the array lives in flash, as trained weights do on
 * a device. Hexadecimal literals carry the floats exactly.
 */
#include "measure_model.h"

#include <stdio.h>
#include <stdlib.h>

static float params[MODEL_PARAM_COUNT];

int main(int argc, char **argv) {
  size_t i;
  unsigned long long seed = argc > 1 ? strtoull(argv[1], NULL, 10) : 1;
  MODEL(init)(params, seed);
  for (i = 0; i < MODEL_PARAM_COUNT; ++i)
    printf("%af,\n", (double)params[i]);
  return 0;
}
