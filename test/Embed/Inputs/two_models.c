/* two_models.c - two separately compiled models in one C program.
 *
 * Links the objects of wave.cat (module `wave`) and mix.cat (module `mix`),
 * compiled with `catc -c --emit-header`, and prints each model's forward
 * outputs on the rows of a CSV file, one line per row in the format of the
 * standalone executables' `predict` (values separated by spaces), but with
 * nine significant digits:
 *
 *   two_models WAVE_PARAMS MIX_PARAMS WAVE_ROWS MIX_ROWS
 *
 * A PARAMS argument is either `seed:N` (the generated `_init` with seed N)
 * or a safetensors checkpoint written by the standalone executable, read
 * through the generated parameter table. Buffers are static arrays sized by
 * the header's macros; only the checkpoint reader allocates.
 */
#include "mix.h"
#include "wave.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_ROWS = 16 };

static float wave_params[WAVE_NET_PARAM_COUNT];
static float mix_params[MIX_NET_PARAM_COUNT];
/* One workspace serves both models: the larger of the two sizes. */
#define WS_BYTES(n)                                                          \
  (WAVE_NET_WORKSPACE_BYTES(n) > MIX_NET_WORKSPACE_BYTES(n)                  \
       ? WAVE_NET_WORKSPACE_BYTES(n)                                         \
       : MIX_NET_WORKSPACE_BYTES(n))
static float workspace[(WS_BYTES(MAX_ROWS) + 3) / 4];

static void fail(const char *what, const char *detail) {
  fprintf(stderr, "two_models: %s: %s\n", what, detail);
  exit(1);
}

/* Reads every tensor of `table` from a safetensors file into `params`. */
static void load_checkpoint(const char *path, const catc_param_info *table,
                            int tensors, float *params) {
  FILE *file = fopen(path, "rb");
  unsigned char size_bytes[8];
  unsigned long long header_size = 0;
  int i, b;
  char *header;
  long data_start;
  if (!file || fread(size_bytes, 1, 8, file) != 8)
    fail(path, "cannot read");
  for (b = 7; b >= 0; --b)
    header_size = header_size * 256 + size_bytes[b];
  header = (char *)calloc(header_size + 1, 1);
  if (!header || fread(header, 1, header_size, file) != header_size)
    fail(path, "cannot read the header");
  data_start = 8 + (long)header_size;
  for (i = 0; i < tensors; ++i) {
    char key[256];
    const char *entry, *offsets;
    char *end;
    long long begin, finish;
    snprintf(key, sizeof key, "\"%s\":", table[i].name);
    entry = strstr(header, key);
    offsets = entry ? strstr(entry, "\"data_offsets\"") : NULL;
    offsets = offsets ? strchr(offsets, '[') : NULL;
    if (!offsets)
      fail(path, table[i].name);
    begin = strtoll(offsets + 1, &end, 10);
    while (*end == ',' || *end == ' ')
      ++end;
    finish = strtoll(end, NULL, 10);
    if (finish - begin != table[i].size * 4)
      fail(table[i].name, "size differs from the parameter table");
    if (fseek(file, data_start + (long)begin, SEEK_SET) != 0 ||
        fread(params + table[i].offset, 4, (size_t)table[i].size, file) !=
            (size_t)table[i].size)
      fail(path, "truncated tensor data");
  }
  free(header);
  fclose(file);
}

static void set_params(const char *source, const catc_param_info *table,
                       int tensors, float *params,
                       void (*init)(float *, uint64_t)) {
  if (strncmp(source, "seed:", 5) == 0)
    init(params, strtoull(source + 5, NULL, 10));
  else
    load_checkpoint(source, table, tensors, params);
}

/* Reads up to MAX_ROWS comma-separated rows of `width` numbers after the
 * header line (the standalone `predict` needs one when the train block names
 * its target column). */
static size_t read_rows(const char *path, int width, double rows[][4]) {
  FILE *file = fopen(path, "r");
  char line[256];
  size_t count = 0;
  if (!file || !fgets(line, sizeof line, file))
    fail(path, "cannot read");
  while (count < MAX_ROWS && fgets(line, sizeof line, file)) {
    char *at = line;
    int column;
    for (column = 0; column < width; ++column) {
      char *end;
      rows[count][column] = strtod(at, &end);
      if (end == at)
        fail(path, "expected a number");
      at = *end == ',' ? end + 1 : end;
    }
    ++count;
  }
  fclose(file);
  return count;
}

int main(int argc, char **argv) {
  double rows[MAX_ROWS][4];
  float wave_x[MAX_ROWS * 3], wave_y[MAX_ROWS];
  int32_t mix_token[MAX_ROWS];
  float mix_x[MAX_ROWS * 2], mix_y[MAX_ROWS];
  size_t n, i;
  if (argc != 5) {
    fprintf(stderr, "usage: two_models WAVE_PARAMS MIX_PARAMS WAVE_ROWS MIX_ROWS\n");
    return 2;
  }
  /* The macros and the functions state the same sizes. */
  for (n = 0; n <= MAX_ROWS; ++n)
    if (wave_net_workspace_size(n) != WAVE_NET_WORKSPACE_BYTES(n) ||
        mix_net_workspace_size(n) != MIX_NET_WORKSPACE_BYTES(n))
      fail("workspace size", "the header's macro differs from the function");

  set_params(argv[1], wave_net_param_table, WAVE_NET_PARAM_TENSORS,
             wave_params, wave_net_init);
  set_params(argv[2], mix_net_param_table, MIX_NET_PARAM_TENSORS, mix_params,
             mix_net_init);

  n = read_rows(argv[3], 3, rows);
  for (i = 0; i < n; ++i) {
    wave_x[3 * i] = (float)rows[i][0];
    wave_x[3 * i + 1] = (float)rows[i][1];
    wave_x[3 * i + 2] = (float)rows[i][2];
  }
  wave_net_forward(wave_params, wave_x, wave_y, n, workspace);
  for (i = 0; i < n; ++i)
    printf("%.9g\n", wave_y[i]);

  n = read_rows(argv[4], 3, rows);
  for (i = 0; i < n; ++i) {
    mix_token[i] = (int32_t)rows[i][0];
    mix_x[2 * i] = (float)rows[i][1];
    mix_x[2 * i + 1] = (float)rows[i][2];
  }
  mix_net_forward(mix_params, mix_token, mix_x, mix_y, n, workspace);
  for (i = 0; i < n; ++i)
    printf("%.9g\n", mix_y[i]);
  return 0;
}
