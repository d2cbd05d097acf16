/*===- generate.c - `generate` and `predict` for sequence models ---------===*
 *
 * A model trained on text(...) or tokens(...) data maps a window of T
 * tokens (Fin[V], or Fin[V]^T) to next-token logits: R[V], or R[T, V] with
 * one row per position. `generate` continues a prompt: it runs the model on
 * the last T tokens of everything so far (left-padded with token 0 while
 * there are fewer), samples the next token from the last position's logits
 * at the given temperature (the argmax at temperature 0) with the runtime's
 * seeded generator, and appends it. `predict` on such a model prints the
 * most likely next token after every window of a file.
 *
 * Tokens are bytes for text(...) (V = 256), printed as they are, and words
 * of the vocabulary for tokens(...), printed separated by single spaces.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* What the two commands need to know about a sequence model. */
typedef struct sequence_model {
  const cat_model *model;
  cat_train_config config;
  int32_t vocab;       /* V */
  int64_t context;     /* T: tokens per window */
  int64_t out_size;    /* floats of output per example: V or T * V */
} sequence_model;

/* Checks that the model reads windows of tokens and writes logits; says
 * which part does not fit otherwise. */
static int describe_sequence_model(const cat_model *model,
                                   const cat_options *opts,
                                   const char *command, sequence_model *seq) {
  memset(seq, 0, sizeof *seq);
  seq->model = model;
  cat_effective_config(model, opts, &seq->config);
  const cat_train_config *config = &seq->config;
  if (config->data_kind != CAT_DATA_TEXT &&
      config->data_kind != CAT_DATA_TOKENS) {
    cat_error("%s needs a sequence model: '%s' is not trained on text(...) "
              "or tokens(...) data", command, model->morphism);
    return -1;
  }
  seq->vocab = config->data_kind == CAT_DATA_TEXT ? 256 : config->vocab_size;
  seq->context = config->context > 0 ? config->context : 1;
  const cat_factor *in = model->num_inputs == 1 ? &model->inputs[0] : NULL;
  if (!in || in->kind != CAT_FIN || in->classes != seq->vocab ||
      in->size != seq->context) {
    cat_error("%s: the input of '%s' is not a window of %lld tokens of a "
              "%d-token vocabulary", command, model->morphism,
              (long long)seq->context, (int)seq->vocab);
    return -1;
  }
  const cat_factor *out = model->num_outputs == 1 ? &model->outputs[0] : NULL;
  if (!out || out->kind != CAT_REAL ||
      (out->size != seq->vocab && out->size != seq->context * seq->vocab)) {
    cat_error("%s: the output of '%s' is not next-token logits R[%d] or "
              "R[%lld, %d]", command, model->morphism, (int)seq->vocab,
              (long long)seq->context, (int)seq->vocab);
    return -1;
  }
  seq->out_size = out->size;
  return 0;
}

/* Copies the last T tokens of history (left-padded with 0) into window. */
static void fill_window(const sequence_model *seq,
                        const cat_token_stream *history, int64_t end,
                        int32_t *window) {
  for (int64_t p = 0; p < seq->context; ++p) {
    int64_t at = end - seq->context + p;
    window[p] = at >= 0 ? history->tokens[at] : 0;
  }
}

/* The logits of the last position after running the model on one window. */
static const float *last_logits(const sequence_model *seq, cat_runner *runner,
                                const float *params) {
  seq->model->forward(params, runner->inputs, runner->outputs, 1,
                      runner->workspace);
  return (const float *)runner->outputs[0] + (seq->out_size - seq->vocab);
}

/* Draws from softmax(logits / temperature); the argmax at temperature 0.
 * probs is scratch of count doubles. */
static int32_t sample(const float *logits, int32_t count, double temperature,
                      cat_rng *rng, double *probs) {
  int32_t best = cat_argmax(logits, count);
  if (temperature == 0)
    return best;
  double total = 0;
  for (int32_t c = 0; c < count; ++c)
    total += probs[c] = exp(((double)logits[c] - logits[best]) / temperature);
  double u = cat_rng_uniform(rng) * total, running = 0;
  for (int32_t c = 0; c < count; ++c) {
    running += probs[c];
    if (u < running)
      return c;
  }
  return best;  /* u rounded up to the total: any likely token will do */
}

static int logits_finite(const float *logits, int32_t count) {
  for (int32_t c = 0; c < count; ++c)
    if (!isfinite(logits[c]))
      return 0;
  return 1;
}

/* Bytes of a prompt, or its words through the vocabulary (warning about
 * words the vocabulary does not have: they become token 0). */
static void encode_prompt(const sequence_model *seq, const char *prompt,
                          cat_token_stream *tokens) {
  const cat_train_config *config = &seq->config;
  if (config->data_kind == CAT_DATA_TEXT) {
    for (const char *c = prompt; *c; ++c)
      cat_token_push(tokens, (unsigned char)*c);
    return;
  }
  char *copy = cat_xstrdup(prompt);
  size_t len = strlen(copy);
  int64_t first = tokens->count;
  cat_split_words(config, copy, len, tokens);
  /* Re-split to name the unknown words; the vocabulary's own entry 0 is
   * a known word. */
  char *word = strtok(copy, " \t\n\r\f\v");
  for (int64_t i = first; word; ++i, word = strtok(NULL, " \t\n\r\f\v"))
    if (tokens->tokens[i] == 0 && strcmp(config->vocab[0], word) != 0)
      cat_warning("prompt word '%s' is not in the vocabulary; it is read as "
                  "'%s' (index 0)", word, config->vocab[0]);
  free(copy);
}

static void print_token(const sequence_model *seq, int32_t token,
                        int separate) {
  if (seq->config.data_kind == CAT_DATA_TEXT) {
    fputc(token, stdout);
    return;
  }
  if (separate)
    fputc(' ', stdout);
  fputs(seq->config.vocab[token], stdout);
}

/* The weights of path, or those compiled in when path is NULL. */
static float *load_params(const cat_model *model, const char *path) {
  float *params = cat_xaligned((size_t)model->param_count * sizeof(float));
  if (cat_load_weights(model, path, params, NULL) != 0) {
    free(params);
    return NULL;
  }
  return params;
}

/* Prints the prompt, then `tokens` sampled tokens, then a newline. */
static int generate(const sequence_model *seq, const cat_options *opts,
                    const float *params, uint64_t seed) {
  cat_token_stream history = {0};
  const char *prompt = opts->prompt ? opts->prompt : "";
  encode_prompt(seq, prompt, &history);
  fputs(prompt, stdout);
  cat_runner runner;
  cat_runner_init(&runner, seq->model, 1);
  cat_rng rng;
  cat_rng_seed(&rng, seed);
  double *probs = cat_xcalloc((size_t)seq->vocab, sizeof *probs);
  int status = 0;
  for (int64_t k = 0; k < opts->tokens; ++k) {
    fill_window(seq, &history, history.count, runner.inputs[0]);
    const float *logits = last_logits(seq, &runner, params);
    if (!logits_finite(logits, seq->vocab)) {
      fputc('\n', stdout);
      fflush(stdout);
      cat_error("generate: the model's logits are not finite after %lld "
                "tokens (are the weights trained?)", (long long)k);
      status = -1;
      break;
    }
    int32_t next = sample(logits, seq->vocab, opts->temperature, &rng, probs);
    print_token(seq, next, history.count > 0);
    cat_token_push(&history, next);
  }
  if (status == 0)
    fputc('\n', stdout);
  free(probs);
  cat_runner_free(&runner);
  free(history.tokens);
  return status;
}

int cat_cmd_generate(const cat_model *model, const cat_options *opts) {
  sequence_model seq;
  if (describe_sequence_model(model, opts, "generate", &seq) != 0)
    return CAT_EXIT_ERROR;
  char *weights = opts->weights ? cat_xstrdup(opts->weights)
                  : cat_baked_weights(model) ? NULL
                                             : cat_default_checkpoint_path(model);
  float *params = load_params(model, weights);
  uint64_t seed = opts->has_seed ? opts->seed : seq.config.seed;
  int status = params ? generate(&seq, opts, params, seed) : -1;
  free(params);
  free(weights);
  return status == 0 ? CAT_EXIT_OK : CAT_EXIT_ERROR;
}

/*--- predict ---------------------------------------------------------------*/

/* A byte on one line of its own: printable ASCII as it is, the rest as C
 * escapes, so that every prediction is exactly one line. */
static void print_byte_escaped(int32_t byte) {
  switch (byte) {
  case '\n': fputs("\\n", stdout); return;
  case '\t': fputs("\\t", stdout); return;
  case '\r': fputs("\\r", stdout); return;
  case '\\': fputs("\\\\", stdout); return;
  }
  if (byte >= 0x20 && byte < 0x7f)
    fputc(byte, stdout);
  else
    printf("\\x%02x", (unsigned)byte);
}

int cat_predict_sequence(const cat_model *model, const cat_options *opts) {
  sequence_model seq;
  if (describe_sequence_model(model, opts, "predict", &seq) != 0)
    return CAT_EXIT_ERROR;
  float *params = load_params(model, opts->weights);
  cat_token_stream stream = {0};
  int status = params ? cat_read_tokens(&seq.config, opts->predict_file,
                                        &stream) : -1;
  if (status == 0 && stream.count < seq.context) {
    cat_error("%s: the file has %lld %s; a window of the model needs %lld",
              opts->predict_file, (long long)stream.count,
              seq.config.data_kind == CAT_DATA_TEXT ? "bytes" : "words",
              (long long)seq.context);
    status = -1;
  }
  if (status == 0) {
    cat_runner runner;
    cat_runner_init(&runner, model, 1);
    /* Window j is s[j .. j+T); its prediction is the token after it. */
    for (int64_t end = seq.context; end <= stream.count; ++end) {
      fill_window(&seq, &stream, end, runner.inputs[0]);
      int32_t next = cat_argmax(last_logits(&seq, &runner, params), seq.vocab);
      if (seq.config.data_kind == CAT_DATA_TEXT)
        print_byte_escaped(next);
      else
        fputs(seq.config.vocab[next], stdout);
      fputc('\n', stdout);
    }
    cat_runner_free(&runner);
  }
  free(stream.tokens);
  free(params);
  return status == 0 ? CAT_EXIT_OK : CAT_EXIT_ERROR;
}
