/*===- checkpoint.c - Reading and writing safetensors checkpoints --------===*
 *
 * A checkpoint is a safetensors file: an 8-byte little-endian header length,
 * a JSON header naming every tensor (dtype, shape, byte range) plus string
 * metadata (module, morphism, layout hash, class names, and where training
 * stands: epoch, batch, seed, RNG state, optimizer), then the raw
 * little-endian f32 data in parameter order, followed by the tensor
 * "__optimizer__.state" (the optimizer's floats, so that --resume continues
 * bit for bit; F32 rather than metadata text because it must round-trip
 * exactly). Writing is atomic (temp file in
 * the same directory, fsync, rename) so an interrupted run never leaves a
 * half-written checkpoint behind. Reading trusts nothing: every length,
 * offset, name and shape is checked against the file and the model.
 * Weights compiled into the executable (catc --weights) stand in for a
 * checkpoint wherever one is optional (cat_load_weights).
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Headers larger than this are rejected before allocating (as safetensors
 * itself does); a tiny model's header is a few kilobytes. */
#define MAX_HEADER_BYTES (100u * 1024u * 1024u)

static void put_le32(unsigned char *out, float value) {
  uint32_t bits;
  memcpy(&bits, &value, 4);
  for (int i = 0; i < 4; ++i)
    out[i] = (unsigned char)(bits >> (8 * i));
}

static float get_le32(const unsigned char *in) {
  uint32_t bits = 0;
  for (int i = 0; i < 4; ++i)
    bits |= (uint32_t)in[i] << (8 * i);
  float value;
  memcpy(&value, &bits, 4);
  return value;
}

char *cat_default_checkpoint_path(const cat_model *model) {
  cat_strbuf sb = {0};
  cat_sb_printf(&sb, "%s.safetensors", model->module);
  return sb.data;
}

/*--- writing -------------------------------------------------------------*/

/* The name of the extra tensor holding the optimizer state. */
static const char OPT_TENSOR[] = "__optimizer__.state";
/* Early stopping's best snapshot: its parameters, then its optimizer state. */
static const char BEST_TENSOR[] = "__best__.state";

static void append_meta(cat_strbuf *sb, const char *key, const char *value) {
  cat_sb_append(sb, ", ");
  cat_sb_json_string(sb, key);
  cat_sb_append(sb, ": ");
  cat_sb_json_string(sb, value);
}

static void append_classes(cat_strbuf *sb, const cat_classes *classes) {
  cat_strbuf names = {0};
  cat_sb_classes(&names, classes);
  append_meta(sb, "classes", names.data);
  cat_sb_free(&names);
}

/* A generator's state as four 16-digit hex words. */
static void append_rng(cat_strbuf *sb, const char *key, const cat_rng *rng) {
  char text[80];
  snprintf(text, sizeof text, "%016llx %016llx %016llx %016llx",
           (unsigned long long)rng->s[0], (unsigned long long)rng->s[1],
           (unsigned long long)rng->s[2], (unsigned long long)rng->s[3]);
  append_meta(sb, key, text);
}

/* Safetensors metadata values are strings: numbers are written in decimal,
 * the RNG state as four 16-digit hex words. */
static void append_state(cat_strbuf *sb, const cat_train_state *state) {
  char text[80];
  snprintf(text, sizeof text, "%lld", (long long)state->epoch);
  append_meta(sb, "epoch", text);
  if (state->opt_count == 0)
    return;  /* weights only: nothing to resume from */
  snprintf(text, sizeof text, "%lld", (long long)state->batch);
  append_meta(sb, "batch", text);
  snprintf(text, sizeof text, "%llu", (unsigned long long)state->seed);
  append_meta(sb, "seed", text);
  append_rng(sb, "rng", &state->rng);
  append_meta(sb, "optimizer",
              state->optimizer == CAT_OPT_ADAM ? "adam" : "sgd");
  if (state->settings) {
    /* Floats in hex: a resumed run continues with the same bits. */
    const cat_train_config *c = state->settings;
    char settings[320];
    snprintf(settings, sizeof settings,
             "lr=%a weight_decay=%a clip=%a schedule=%d every=%lld gamma=%a "
             "batch=%lld validation=%a patience=%lld",
             (double)c->lr, (double)c->weight_decay, (double)c->clip,
             (int)c->schedule, (long long)c->schedule_every,
             (double)c->schedule_gamma, (long long)c->batch, c->validation,
             (long long)c->patience);
    append_meta(sb, "settings", settings);
    /* A key of its own: checkpoints from before shards load as they did. */
    snprintf(text, sizeof text, "%lld", (long long)state->shards);
    append_meta(sb, "shards", text);
  }
  if (!state->has_best)
    return;
  snprintf(text, sizeof text, "%lld", (long long)state->best_epoch);
  append_meta(sb, "best_epoch", text);
  snprintf(text, sizeof text, "%a", state->best_val_loss);  /* exact */
  append_meta(sb, "best_val_loss", text);
  snprintf(text, sizeof text, "%lld", (long long)state->stale_epochs);
  append_meta(sb, "stale_epochs", text);
  append_rng(sb, "best_rng", &state->best_rng);
}

static void append_metadata(cat_strbuf *sb, const cat_model *model,
                            const cat_classes *classes,
                            const cat_train_state *state) {
  char text[32];
  cat_sb_append(sb, "{\"__metadata__\": {\"module\": ");
  cat_sb_json_string(sb, model->module);
  append_meta(sb, "morphism", model->morphism);
  snprintf(text, sizeof text, "%016llx", (unsigned long long)model->layout_hash);
  append_meta(sb, "layout_hash", text);
  append_classes(sb, classes);
  append_state(sb, state);
  cat_sb_append(sb, "}");
}

static void append_tensor(cat_strbuf *sb, const char *name, int32_t rank,
                          const int64_t *shape, int64_t offset, int64_t size) {
  cat_sb_append(sb, ", ");
  cat_sb_json_string(sb, name);
  cat_sb_append(sb, ": {\"dtype\": \"F32\", \"shape\": ");
  cat_sb_shape(sb, rank, shape);
  cat_sb_printf(sb, ", \"data_offsets\": [%lld, %lld]}", (long long)offset,
                (long long)(offset + size * 4));
}

/* The JSON header, padded with spaces to a multiple of 8 bytes so the data
 * that follows is aligned (the safetensors convention). */
static void build_header(cat_strbuf *sb, const cat_model *model,
                         const cat_classes *classes,
                         const cat_train_state *state) {
  append_metadata(sb, model, classes, state);
  int64_t offset = 0;
  for (int32_t i = 0; i < model->num_params; ++i) {
    const cat_param_info *param = &model->params[i];
    append_tensor(sb, param->name, param->rank, param->shape, offset,
                  param->size);
    offset += param->size * 4;
  }
  if (state->opt_count > 0)
    append_tensor(sb, OPT_TENSOR, 1, &state->opt_count, offset,
                  state->opt_count);
  offset += state->opt_count * 4;
  if (state->has_best && state->best_count > 0)
    append_tensor(sb, BEST_TENSOR, 1, &state->best_count, offset,
                  state->best_count);
  cat_sb_append(sb, "}");
  while ((sb->len + 8) % 8 != 0)
    cat_sb_append(sb, " ");
}

static int write_floats(FILE *out, const float *values, int64_t count) {
  for (int64_t j = 0; j < count; ++j) {
    unsigned char bytes[4];
    put_le32(bytes, values[j]);
    if (fwrite(bytes, 1, 4, out) != 4)
      return -1;
  }
  return 0;
}

typedef struct checkpoint_contents {
  const cat_model *model;
  const float *params;
  const cat_train_state *state;
  const cat_strbuf *header;
} checkpoint_contents;

static int write_all(FILE *out, void *context) {
  const checkpoint_contents *c = context;
  const cat_model *model = c->model;
  const float *params = c->params;
  const cat_train_state *state = c->state;
  const cat_strbuf *header = c->header;
  unsigned char length[8];
  for (int i = 0; i < 8; ++i)
    length[i] = (unsigned char)((uint64_t)header->len >> (8 * i));
  if (fwrite(length, 1, 8, out) != 8 ||
      fwrite(header->data, 1, header->len, out) != header->len)
    return -1;
  for (int32_t i = 0; i < model->num_params; ++i) {
    const cat_param_info *param = &model->params[i];
    if (write_floats(out, params + param->offset, param->size) != 0)
      return -1;
  }
  if (write_floats(out, state->opt_state, state->opt_count) != 0 ||
      (state->has_best &&
       write_floats(out, state->best, state->best_count) != 0))
    return -1;
  return 0;
}

/* Makes a rename into path's directory durable (best effort: not every
 * file system can sync a directory, and the rename itself is atomic). */
static void sync_directory_of(const char *path) {
  const char *slash = strrchr(path, '/');
  char *dir = slash ? cat_xstrdup(path) : cat_xstrdup(".");
  if (slash)
    dir[slash == path ? 1 : slash - path] = '\0';
  int fd = open(dir, O_RDONLY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
  free(dir);
}

int cat_write_atomically(const char *path, const char *what,
                         int (*write)(FILE *out, void *context), void *context) {
  cat_strbuf temp = {0};
  cat_sb_printf(&temp, "%s.tmp.%ld", path, (long)getpid());
  FILE *out = fopen(temp.data, "wb");
  int status = out && write(out, context) == 0 && fflush(out) == 0 &&
                       fsync(fileno(out)) == 0
                   ? 0 : -1;
  int saved_errno = errno;
  if (out && fclose(out) != 0 && status == 0) {
    status = -1;
    saved_errno = errno;
  }
  if (status == 0 && rename(temp.data, path) != 0) {
    status = -1;
    saved_errno = errno;
  }
  if (status == 0)
    sync_directory_of(path);
  if (status != 0) {
    if (out)
      remove(temp.data);
    /* The new file is written beside the old one and renamed over it only
     * when whole, so a failure leaves the old one as it was. */
    struct stat existing;
    int kept = stat(path, &existing) == 0 && S_ISREG(existing.st_mode);
    cat_error("%s: cannot write %s: %s; %s", path, what, strerror(saved_errno),
              kept ? "the previous file is unchanged" : "nothing was written");
  }
  cat_sb_free(&temp);
  return status;
}

int cat_checkpoint_save(const cat_model *model, const float *params,
                        const cat_classes *classes,
                        const cat_train_state *state_or_null,
                        const char *path) {
  cat_train_state none = {0};
  const cat_train_state *state = state_or_null ? state_or_null : &none;
  cat_strbuf header = {0};
  build_header(&header, model, classes, state);
  checkpoint_contents contents = {model, params, state, &header};
  int status = cat_write_atomically(path, "checkpoint", write_all, &contents);
  cat_sb_free(&header);
  return status;
}

/*--- reading -------------------------------------------------------------*/

typedef struct checkpoint_file {
  const char *path;
  unsigned char *bytes;  /* the whole file */
  uint64_t size;
  uint64_t header_len;
  cat_json *header;
} checkpoint_file;

static int read_file(checkpoint_file *file) {
  FILE *in = fopen(file->path, "rb");
  if (!in) {
    cat_error("%s: cannot open weights: %s", file->path, strerror(errno));
    return -1;
  }
  cat_strbuf sb = {0};
  char chunk[1 << 16];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
    cat_sb_append_n(&sb, chunk, n);
  int failed = ferror(in);
  fclose(in);
  if (failed) {
    cat_error("%s: read error", file->path);
    cat_sb_free(&sb);
    return -1;
  }
  file->bytes = (unsigned char *)sb.data;
  file->size = sb.len;
  return 0;
}

static int parse_header(checkpoint_file *file) {
  if (file->size < 8) {
    cat_error("%s: not a safetensors file (only %llu bytes)", file->path,
              (unsigned long long)file->size);
    return -1;
  }
  for (int i = 0; i < 8; ++i)
    file->header_len |= (uint64_t)file->bytes[i] << (8 * i);
  if (file->header_len > file->size - 8 || file->header_len > MAX_HEADER_BYTES) {
    cat_error(file->header_len > file->size
                  ? "%s: not a safetensors file (header length %llu exceeds "
                    "file size %llu)"
                  : "%s: not a safetensors file (a header of %llu bytes runs "
                    "past the end of the %llu-byte file)",
              file->path, (unsigned long long)file->header_len,
              (unsigned long long)file->size);
    return -1;
  }
  char err[128];
  file->header = cat_json_parse((const char *)file->bytes + 8,
                                (size_t)file->header_len, err, sizeof err);
  if (!file->header || file->header->kind != CAT_JSON_OBJECT) {
    cat_error("%s: not a safetensors file (header is not a JSON object%s%s)",
              file->path, file->header ? "" : ": ", file->header ? "" : err);
    return -1;
  }
  return 0;
}

static const cat_param_info *find_param(const cat_model *model,
                                        const char *name) {
  for (int32_t i = 0; i < model->num_params; ++i)
    if (strcmp(model->params[i].name, name) == 0)
      return &model->params[i];
  return NULL;
}

static int shape_matches(const cat_json *shape, const cat_param_info *param) {
  if (!shape || shape->kind != CAT_JSON_ARRAY || shape->count != param->rank)
    return 0;
  for (int32_t i = 0; i < param->rank; ++i)
    if (shape->items[i]->kind != CAT_JSON_NUMBER ||
        shape->items[i]->number != (double)param->shape[i])
      return 0;
  return 1;
}

static void describe_shape(cat_strbuf *sb, const cat_json *shape) {
  if (!shape || shape->kind != CAT_JSON_ARRAY) {
    cat_sb_append(sb, "(missing)");
    return;
  }
  cat_sb_append(sb, "[");
  for (int64_t i = 0; i < shape->count; ++i)
    cat_sb_printf(sb, i ? ", %.17g" : "%.17g", shape->items[i]->kind ==
                  CAT_JSON_NUMBER ? shape->items[i]->number : -1.0);
  cat_sb_append(sb, "]");
}

static int check_shape(const checkpoint_file *file, const char *name,
                       const cat_json *entry, const cat_param_info *param) {
  const cat_json *shape = cat_json_get(entry, "shape");
  if (shape_matches(shape, param))
    return 0;
  cat_strbuf found = {0}, expected = {0};
  describe_shape(&found, shape);
  cat_sb_shape(&expected, param->rank, param->shape);
  cat_error("%s: tensor '%s' has shape %s, the model expects %s", file->path,
            name, found.data, expected.data);
  cat_sb_free(&found);
  cat_sb_free(&expected);
  return -1;
}

/* Reads data_offsets; returns the begin offset or -1 after an error. */
static int64_t check_offsets(const checkpoint_file *file, const char *name,
                             const cat_json *entry, const cat_param_info *param,
                             uint64_t *end_out) {
  const cat_json *offsets = cat_json_get(entry, "data_offsets");
  uint64_t data_len = file->size - 8 - file->header_len;
  double begin = -1, end = -1;
  if (offsets && offsets->kind == CAT_JSON_ARRAY && offsets->count == 2 &&
      offsets->items[0]->kind == CAT_JSON_NUMBER &&
      offsets->items[1]->kind == CAT_JSON_NUMBER) {
    begin = offsets->items[0]->number;
    end = offsets->items[1]->number;
  }
  if (!(begin >= 0 && end >= begin && end <= (double)data_len &&
        end - begin == (double)param->size * 4 && begin == (double)(int64_t)begin)) {
    cat_error("%s: tensor '%s' has bad data_offsets (the data section has %llu "
              "bytes; the tensor needs %lld)", file->path, name,
              (unsigned long long)data_len, (long long)(param->size * 4));
    return -1;
  }
  *end_out = (uint64_t)end;
  return (int64_t)begin;
}

/* The bytes of one tensor in the data section. */
typedef struct span { uint64_t begin, end; } span;

static int check_dtype(const checkpoint_file *file, const char *name,
                       const cat_json *entry) {
  const cat_json *dtype = cat_json_get(entry, "dtype");
  if (dtype && dtype->kind == CAT_JSON_STRING && !strcmp(dtype->string, "F32"))
    return 0;
  cat_error("%s: tensor '%s' has dtype '%s', expected 'F32'", file->path,
            name, dtype && dtype->kind == CAT_JSON_STRING ? dtype->string
                                                          : "(missing)");
  return -1;
}

static void copy_floats(const checkpoint_file *file, int64_t begin,
                        float *out, int64_t count) {
  const unsigned char *data = file->bytes + 8 + file->header_len + begin;
  for (int64_t j = 0; j < count; ++j)
    out[j] = get_le32(data + 4 * j);
}

/* The optimizer state or the best snapshot: a vector whose length the file
 * declares; its offsets are checked like any tensor's before it is
 * trusted. */
static int load_vector_tensor(const checkpoint_file *file, const char *name,
                              const cat_json *entry, int64_t *count_out,
                              float **data_out, span *where) {
  const cat_json *shape = cat_json_get(entry, "shape");
  double count = -1;
  if (shape && shape->kind == CAT_JSON_ARRAY && shape->count == 1 &&
      shape->items[0]->kind == CAT_JSON_NUMBER)
    count = shape->items[0]->number;
  if (!(count >= 0 && count == floor(count) && count * 4 <= (double)file->size)) {
    cat_error("%s: tensor '%s' must be a vector of floats", file->path, name);
    return -1;
  }
  int64_t size = (int64_t)count;
  cat_param_info info = {name, 0, size, 1, &size};
  if (check_dtype(file, name, entry) != 0)
    return -1;
  int64_t begin = check_offsets(file, name, entry, &info, &where->end);
  if (begin < 0)
    return -1;
  where->begin = (uint64_t)begin;
  if (data_out) {
    *count_out = size;
    free(*data_out);
    *data_out = cat_xcalloc((size_t)size ? (size_t)size : 1, sizeof(float));
    copy_floats(file, begin, *data_out, size);
  }
  return 0;
}

static int load_tensor(const checkpoint_file *file, const cat_model *model,
                       int64_t at, float *params, cat_train_state *state,
                       span *where) {
  const char *name = file->header->keys[at];
  const cat_json *entry = file->header->items[at];
  if (strcmp(name, OPT_TENSOR) == 0)
    return load_vector_tensor(file, name, entry, state ? &state->opt_count : NULL,
                              state ? &state->opt_state : NULL, where);
  if (strcmp(name, BEST_TENSOR) == 0)
    return load_vector_tensor(file, name, entry, state ? &state->best_count : NULL,
                              state ? &state->best : NULL, where);
  const cat_param_info *param = find_param(model, name);
  if (!param) {
    cat_error("%s: tensor '%s' is not a parameter of '%s'", file->path, name,
              model->morphism);
    return -1;
  }
  if (check_dtype(file, name, entry) != 0 ||
      check_shape(file, name, entry, param) != 0)
    return -1;
  int64_t begin = check_offsets(file, name, entry, param, &where->end);
  if (begin < 0)
    return -1;
  where->begin = (uint64_t)begin;
  copy_floats(file, begin, params + param->offset, param->size);
  return 0;
}

static int check_all_present(const checkpoint_file *file,
                             const cat_model *model) {
  for (int32_t i = 0; i < model->num_params; ++i)
    if (!cat_json_get(file->header, model->params[i].name)) {
      cat_error("%s: the checkpoint has no tensor '%s' (is it from another "
                "model?)", file->path, model->params[i].name);
      return -1;
    }
  return 0;
}

/* Tensors must not share bytes: a crafted header could otherwise make two
 * parameters alias, which no writer of this format produces. */
static int check_overlaps(const checkpoint_file *file, const span *spans,
                          const int64_t *keys, int64_t count) {
  for (int64_t i = 0; i < count; ++i)
    for (int64_t j = i + 1; j < count; ++j)
      if (spans[i].begin < spans[j].end && spans[j].begin < spans[i].end &&
          spans[i].begin < spans[i].end && spans[j].begin < spans[j].end) {
        cat_error("%s: tensors '%s' and '%s' overlap in the data section",
                  file->path, file->header->keys[keys[i]],
                  file->header->keys[keys[j]]);
        return -1;
      }
  return 0;
}

static int load_tensors(const checkpoint_file *file, const cat_model *model,
                        float *params, cat_train_state *state) {
  int64_t count = 0, total = file->header->count;
  span *spans = cat_xcalloc((size_t)total, sizeof *spans);
  int64_t *keys = cat_xcalloc((size_t)total, sizeof *keys);
  uint64_t data_end = 0;
  int status = 0;
  for (int64_t i = 0; status == 0 && i < total; ++i) {
    if (strcmp(file->header->keys[i], "__metadata__") == 0)
      continue;
    keys[count] = i;
    status = load_tensor(file, model, i, params, state, &spans[count]);
    if (status == 0 && spans[count].end > data_end)
      data_end = spans[count].end;
    ++count;
  }
  if (status == 0)
    status = check_overlaps(file, spans, keys, count);
  free(spans);
  free(keys);
  if (status == 0)
    status = check_all_present(file, model);
  if (status == 0 && data_end != file->size - 8 - file->header_len) {
    cat_error("%s: file size %llu does not match its header (expected %llu)",
              file->path, (unsigned long long)file->size,
              (unsigned long long)(8 + file->header_len + data_end));
    status = -1;
  }
  return status;
}

static const char *metadata_string(const checkpoint_file *file,
                                   const char *key) {
  const cat_json *value =
      cat_json_get(cat_json_get(file->header, "__metadata__"), key);
  return value && value->kind == CAT_JSON_STRING ? value->string : NULL;
}

static int load_classes(const checkpoint_file *file, cat_classes *classes) {
  const char *text = metadata_string(file, "classes");
  if (!text || !classes)
    return 0;
  char err[128];
  cat_json *list = cat_json_parse(text, strlen(text), err, sizeof err);
  int ok = list && list->kind == CAT_JSON_ARRAY;
  for (int64_t i = 0; ok && i < list->count; ++i)
    ok = list->items[i]->kind == CAT_JSON_STRING;
  for (int64_t i = 0; ok && i < list->count; ++i)
    cat_classes_add(classes, list->items[i]->string);
  cat_json_free(list);
  if (!ok)
    cat_error("%s: metadata 'classes' is not a JSON array of strings",
              file->path);
  return ok ? 0 : -1;
}

/* The layout hash catches another model whose tensors happen to share
 * names and shapes (checked after the tensors, whose errors say more). */
static int check_layout(const checkpoint_file *file, const cat_model *model) {
  const char *text = metadata_string(file, "layout_hash");
  char expected[32];
  snprintf(expected, sizeof expected, "%016llx",
           (unsigned long long)model->layout_hash);
  if (!text || strcmp(text, expected) == 0)
    return 0;
  cat_error("%s: the weights are for another model (layout hash %s, '%s' has "
            "%s)", file->path, text, model->morphism, expected);
  return -1;
}

/* Weights of another module (say, xor's given to iris) fail on their first
 * tensor name, which does not tell the user what happened; name both
 * models and their layout hashes instead. Weights of the same module (an
 * edited .cat file) go through the tensor checks, whose errors say more,
 * and so do weights of the same layout under another module name (a
 * renamed copy of the model). */
static int check_module(const checkpoint_file *file, const cat_model *model) {
  const char *module = metadata_string(file, "module");
  const char *morphism = metadata_string(file, "morphism");
  const char *hash = metadata_string(file, "layout_hash");
  char expected[32];
  snprintf(expected, sizeof expected, "%016llx",
           (unsigned long long)model->layout_hash);
  if (!module || strcmp(module, model->module) == 0 ||
      (hash && strcmp(hash, expected) == 0))
    return 0;
  cat_error("%s: the weights are for '%s' of module '%s' (layout hash %s), "
            "not for '%s' of module '%s' (layout hash %s)", file->path,
            morphism ? morphism : "?", module, hash ? hash : "none",
            model->morphism, model->module, expected);
  return -1;
}

/* A whole decimal number in metadata; 0 (and the default) when absent. */
static int meta_u64(const checkpoint_file *file, const char *key, int hex,
                    uint64_t *out) {
  const char *text = metadata_string(file, key);
  *out = 0;
  if (!text)
    return 0;
  char *end;
  errno = 0;
  *out = strtoull(text, &end, hex ? 16 : 10);
  if (*text != '\0' && *end == '\0' && errno == 0 && *text != '-')
    return 0;
  cat_error("%s: metadata '%s' is not a whole number: '%s'", file->path, key,
            text);
  return -1;
}

static int load_rng(const checkpoint_file *file, const char *key,
                    cat_rng *rng) {
  const char *text = metadata_string(file, key);
  if (!text)
    return 0;
  int used = 0;
  unsigned long long s[4];
  if (sscanf(text, "%16llx %16llx %16llx %16llx%n", &s[0], &s[1], &s[2], &s[3],
             &used) == 4 && text[used] == '\0' && (s[0] | s[1] | s[2] | s[3])) {
    for (int i = 0; i < 4; ++i)
      rng->s[i] = s[i];
    return 0;
  }
  cat_error("%s: metadata '%s' is not four hex words: '%s'", file->path, key,
            text);
  return -1;
}

/* The run's settings, as append_state writes them. */
static int load_settings(const checkpoint_file *file, cat_train_state *state) {
  const char *text = metadata_string(file, "settings");
  if (!text)
    return 0;
  double lr, decay, clip, gamma, validation;
  int schedule, used = 0;
  long long every, batch, patience;
  cat_train_config *c = &state->loaded;
  if (sscanf(text, "lr=%la weight_decay=%la clip=%la schedule=%d every=%lld "
             "gamma=%la batch=%lld validation=%la patience=%lld%n", &lr, &decay,
             &clip, &schedule, &every, &gamma, &batch, &validation, &patience,
             &used) != 9 || text[used] != '\0' || !(lr > 0) || !(decay >= 0) ||
      !(clip >= 0) || schedule < CAT_SCHEDULE_CONSTANT ||
      schedule > CAT_SCHEDULE_COSINE || every < 0 || !(gamma >= 0) || batch < 0 ||
      !(validation >= 0 && validation < 1) || patience < 0) {
    cat_error("%s: metadata 'settings' is malformed: '%s'", file->path, text);
    return -1;
  }
  c->lr = (float)lr;
  c->weight_decay = (float)decay;
  c->clip = (float)clip;
  c->schedule = schedule;
  c->schedule_every = every;
  c->schedule_gamma = (float)gamma;
  c->batch = batch;
  c->validation = validation;
  c->patience = patience;
  state->has_settings = 1;
  return 0;
}

/* Early stopping's record: present with the __best__ tensor or not at all. */
static int load_best(const checkpoint_file *file, cat_train_state *state) {
  const char *loss = metadata_string(file, "best_val_loss");
  if (!loss && !state->best)
    return 0;
  uint64_t epoch, stale;
  char *end = NULL;
  if (loss)
    state->best_val_loss = strtod(loss, &end);
  if (!loss || !state->best || *loss == '\0' || *end != '\0') {
    cat_error("%s: the early-stopping record is incomplete or malformed "
              "(metadata 'best_val_loss' and tensor '%s' go together)",
              file->path, BEST_TENSOR);
    return -1;
  }
  if (meta_u64(file, "best_epoch", 0, &epoch) != 0 ||
      meta_u64(file, "stale_epochs", 0, &stale) != 0 ||
      load_rng(file, "best_rng", &state->best_rng) != 0)
    return -1;
  state->has_best = 1;
  state->best_epoch = (int64_t)epoch;
  state->stale_epochs = (int64_t)stale;
  return 0;
}

static int load_state(const checkpoint_file *file, cat_train_state *state) {
  uint64_t epoch, batch, shards;
  if (meta_u64(file, "epoch", 0, &epoch) != 0 ||
      meta_u64(file, "batch", 0, &batch) != 0 ||
      meta_u64(file, "shards", 0, &shards) != 0 ||
      meta_u64(file, "seed", 0, &state->seed) != 0 ||
      load_rng(file, "rng", &state->rng) != 0 || load_best(file, state) != 0 ||
      load_settings(file, state) != 0)
    return -1;
  if (shards > CAT_MAX_SHARDS) {
    cat_error("%s: metadata 'shards' is %llu; at most %d are possible",
              file->path, (unsigned long long)shards, CAT_MAX_SHARDS);
    return -1;
  }
  state->epoch = (int64_t)epoch;
  state->batch = (int64_t)batch;
  state->shards = (int64_t)shards;
  const char *optimizer = metadata_string(file, "optimizer");
  state->optimizer = optimizer && !strcmp(optimizer, "adam") ? CAT_OPT_ADAM
                                                             : CAT_OPT_SGD;
  return 0;
}

int cat_checkpoint_load(const cat_model *model, const char *path,
                        float *params, cat_classes *classes,
                        cat_train_state *state) {
  checkpoint_file file = {path, NULL, 0, 0, NULL};
  if (state)
    memset(state, 0, sizeof *state);
  int status = read_file(&file);
  if (status == 0)
    status = parse_header(&file);
  if (status == 0 && metadata_string(&file, "quantization")) {
    cat_error("%s holds int8 weights written by 'quantize'; this command takes "
              "the float weights they were quantized from", path);
    status = -1;
  }
  if (status == 0)
    status = check_module(&file, model);
  if (status == 0)
    status = load_tensors(&file, model, params, state);
  if (status == 0)
    status = check_layout(&file, model);
  if (status == 0)
    status = load_classes(&file, classes);
  if (status == 0 && state)
    status = load_state(&file, state);
  if (status != 0 && state) {
    free(state->opt_state);
    free(state->best);
    memset(state, 0, sizeof *state);
  }
  cat_json_free(file.header);
  free(file.bytes);
  return status;
}

/*--- weights compiled in -------------------------------------------------*/

const float *cat_baked_weights(const cat_model *model) {
  return model->weights_magic == CAT_WEIGHTS_MAGIC ? model->weights : NULL;
}

int cat_load_weights(const cat_model *model, const char *path, float *params,
                     cat_classes *classes) {
  if (path)
    return cat_checkpoint_load(model, path, params, classes, NULL);
  const float *baked = cat_baked_weights(model);
  if (!baked) {
    cat_error("'%s' has no weights compiled in; give --weights W",
              model->morphism);
    return -1;
  }
  memcpy(params, baked, (size_t)model->param_count * sizeof(float));
  for (int32_t i = 0; classes && i < model->num_weight_classes; ++i)
    cat_classes_add(classes, model->weight_classes[i]);
  return 0;
}
