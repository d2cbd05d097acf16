/*===- text.c - text(...) and tokens(...) data sets ----------------------===*
 *
 * A language-model data set is one token stream cut into overlapping
 * windows. text("f", context = T) reads the file's bytes (V = 256);
 * tokens("f", vocab = [...], context = T) splits it on whitespace and maps
 * each word through the vocabulary, unknown words to index 0. Example j is
 * the window s[j .. j+T) as the input (one Fin[V] factor of size T) and, as
 * the target, the next token of every position, s[j+1 .. j+T+1) (a target
 * of size T), or only the last one, s[j+T] (a target of size 1).
 *
 *===----------------------------------------------------------------------===*/
#define _POSIX_C_SOURCE 200809L
#include "catrt_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

void cat_token_push(cat_token_stream *stream, int32_t token) {
  if (stream->count == stream->cap) {
    stream->cap = stream->cap ? stream->cap * 2 : 4096;
    stream->tokens = cat_xrealloc(stream->tokens,
                                  (size_t)stream->cap * sizeof(int32_t));
  }
  stream->tokens[stream->count++] = token;
}

static int read_bytes(const char *path, cat_strbuf *sb) {
  FILE *in = fopen(path, "rb");
  if (!in) {
    cat_error("%s: cannot open data file: %s", path, strerror(errno));
    return -1;
  }
  char chunk[1 << 16];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
    cat_sb_append_n(sb, chunk, n);
  int failed = ferror(in);
  int saved = errno;
  fclose(in);
  if (failed) {
    cat_error("%s: read error: %s", path, strerror(saved));
    return -1;
  }
  return 0;
}

int32_t cat_vocab_index(const cat_train_config *config, const char *word) {
  for (int32_t i = 0; i < config->vocab_size; ++i)
    if (strcmp(config->vocab[i], word) == 0)
      return i;
  return 0;  /* unknown words share index 0, as docs/language.md §7 says */
}

void cat_split_words(const cat_train_config *config, char *text, size_t len,
                     cat_token_stream *stream) {
  size_t i = 0;
  while (i < len) {
    while (i < len && isspace((unsigned char)text[i]))
      ++i;
    size_t start = i;
    while (i < len && !isspace((unsigned char)text[i]))
      ++i;
    if (i == start)
      break;
    char saved = text[i];
    text[i] = '\0';
    cat_token_push(stream, cat_vocab_index(config, text + start));
    text[i] = saved;
  }
}

int cat_read_tokens(const cat_train_config *config, const char *path,
                    cat_token_stream *stream) {
  cat_strbuf sb = {0};
  if (read_bytes(path, &sb) != 0)
    return -1;
  if (config->data_kind == CAT_DATA_TEXT)
    for (size_t i = 0; i < sb.len; ++i)
      cat_token_push(stream, (unsigned char)sb.data[i]);
  else if (sb.len > 0)
    cat_split_words(config, sb.data, sb.len, stream);
  cat_sb_free(&sb);
  return 0;
}

/* The model must take one Fin[V] factor of size T and give one Fin[V]
 * target of size T or 1: say which part does not fit. */
static int check_model(const cat_model *model, const char *path, int32_t vocab,
                       int64_t context) {
  const cat_factor *in = model->num_inputs == 1 ? &model->inputs[0] : NULL;
  const cat_factor *tg = model->num_targets == 1 ? &model->targets[0] : NULL;
  if (!in || in->kind != CAT_FIN || in->classes != vocab || in->size != context) {
    cat_error("%s: a window of %lld tokens of a %d-token vocabulary needs the "
              "input Fin[%d]%s%s of '%s'", path, (long long)context,
              (int)vocab, (int)vocab, context > 1 ? "^" : "",
              context > 1 ? "T" : "", model->morphism);
    return -1;
  }
  if (!tg || tg->kind != CAT_FIN || tg->classes != vocab ||
      (tg->size != context && tg->size != 1)) {
    cat_error("%s: the next-token target needs Fin[%d] or Fin[%d]^%lld as the "
              "loss's second object of '%s'", path, (int)vocab, (int)vocab,
              (long long)context, model->morphism);
    return -1;
  }
  return 0;
}

static void make_windows(const cat_model *model, const cat_token_stream *stream,
                         int64_t context, cat_dataset *out) {
  int64_t tsize = model->targets[0].size;
  out->count = stream->count - context;
  out->num_inputs = out->num_targets = 1;
  out->inputs = cat_xcalloc(1, sizeof *out->inputs);
  out->targets = cat_xcalloc(1, sizeof *out->targets);
  int32_t *in = cat_xcalloc((size_t)(out->count * context), sizeof(int32_t));
  int32_t *tg = cat_xcalloc((size_t)(out->count * tsize), sizeof(int32_t));
  for (int64_t j = 0; j < out->count; ++j) {
    memcpy(in + j * context, stream->tokens + j, (size_t)context * 4);
    /* Size T: every position's next token; size 1: the last one's. */
    memcpy(tg + j * tsize, stream->tokens + j + 1 + (context - tsize),
           (size_t)tsize * 4);
  }
  out->inputs[0] = in;
  out->targets[0] = tg;
}

int cat_load_text(const cat_model *model, const cat_train_config *config,
                  const char *path, cat_dataset *out) {
  int32_t vocab = config->data_kind == CAT_DATA_TEXT ? 256 : config->vocab_size;
  int64_t context = config->context > 0 ? config->context : 1;
  memset(out, 0, sizeof *out);
  if (config->data_kind == CAT_DATA_TOKENS && vocab < 1) {
    cat_error("%s: tokens(...) needs a vocabulary", path);
    return -1;
  }
  if (check_model(model, path, vocab, context) != 0)
    return -1;
  cat_token_stream stream = {0};
  int status = cat_read_tokens(config, path, &stream);
  if (status == 0 && stream.count <= context) {
    cat_error("%s: the file has %lld %s; a context of %lld needs at least %lld",
              path, (long long)stream.count,
              config->data_kind == CAT_DATA_TEXT ? "bytes" : "words",
              (long long)context, (long long)context + 1);
    status = -1;
  }
  if (status == 0)
    make_windows(model, &stream, context, out);
  free(stream.tokens);
  return status;
}
