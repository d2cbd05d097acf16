/* bigram_model.c - A hand-written next-token cat_model for text(...) and
 * tokens(...) data sets.
 *
 * The input is a window of T tokens, Fin[V]^T (Fin[V] when T = 1); the
 * output is a row of logits per position, R[T, V], looked up in a table
 * E : R[V, V] (row = the current token: a bigram model); the loss is the
 * mean cross entropy against the next token of every position (target
 * Fin[V]^T) or, with BIGRAM_LAST, of the last position only (target
 * Fin[V]). Plain SGD with the sgd state layout [header, velocity(P)].
 * Macros: BIGRAM_TOKENS (use a 5-word vocabulary instead of bytes),
 * BIGRAM_CONTEXT, BIGRAM_LAST, BIGRAM_EPOCHS, BIGRAM_LR.
 */
#include "catrt.h"

#include <math.h>
#include <string.h>

#ifndef BIGRAM_CONTEXT
#define BIGRAM_CONTEXT 1
#endif
#ifndef BIGRAM_EPOCHS
#define BIGRAM_EPOCHS 20
#endif
#ifndef BIGRAM_LR
#define BIGRAM_LR 2.0f
#endif
#ifdef BIGRAM_TOKENS
#define V 5
static const char *const vocab[V] = {"<unk>", "the", "cat", "sat", "down"};
#define DATA_KIND CAT_DATA_TOKENS
#else
#define V 256
#define DATA_KIND CAT_DATA_TEXT
#endif
#ifdef BIGRAM_LAST
#define TS 1
#else
#define TS BIGRAM_CONTEXT
#endif

enum { T = BIGRAM_CONTEXT, P = V * V };

static const int64_t table_shape[2] = {V, V};
static const int64_t window_shape[1] = {T};
static const int64_t target_shape[1] = {TS};
static const int64_t logits_shape[2] = {T, V};

static const cat_param_info params_table[1] = {
    {"model.embed0.table", 0, P, 2, table_shape}};
static const cat_factor input_factor = {CAT_FIN, V, T, T > 1, window_shape};
static const cat_factor output_factor = {CAT_REAL, 0, T * V, T > 1 ? 2 : 1,
                                         T > 1 ? logits_shape : logits_shape + 1};
static const cat_factor target_factor = {CAT_FIN, V, TS, TS > 1, target_shape};

static size_t workspace_size(size_t n) { return V * sizeof(float); }

static void init(float *p, uint64_t seed) { memset(p, 0, P * sizeof(float)); }

static void forward(const float *p, void *const *in, void *const *out,
                    size_t n, void *ws) {
  const int32_t *x = in[0];
  float *z = out[0];
  for (size_t i = 0; i < n * T; ++i)
    memcpy(z + i * V, p + (size_t)x[i] * V, V * sizeof(float));
}

/* Cross entropy of logits z against t; adds scale * dz to grad if given. */
static float cross_entropy(const float *z, int32_t t, float *grad, float scale) {
  float max = z[0], sum = 0;
  for (int c = 1; c < V; ++c)
    max = z[c] > max ? z[c] : max;
  for (int c = 0; c < V; ++c)
    sum += expf(z[c] - max);
  float lse = max + logf(sum);
  for (int c = 0; grad && c < V; ++c)
    grad[c] += scale * (expf(z[c] - lse) - (c == t));
  return lse - z[t];
}

static float example_loss(const float *p, const int32_t *x, const int32_t *t,
                          float *dp, float scale) {
  float total = 0;
  for (int s = 0; s < TS; ++s) {
    int32_t pos = T - TS + s;  /* the positions that have a target */
    total += cross_entropy(p + (size_t)x[pos] * V, t[s],
                           dp ? dp + (size_t)x[pos] * V : NULL, scale / TS);
  }
  return total / TS;
}

static void evaluate(const float *p, void *const *in, void *const *tgt,
                     void *const *out, float *losses, size_t n, void *ws) {
  forward(p, in, out, n, ws);
  for (size_t i = 0; i < n; ++i)
    losses[i] = example_loss(p, (const int32_t *)in[0] + i * T,
                             (const int32_t *)tgt[0] + i * TS, NULL, 0);
}

static float loss_grad(const float *p, void *const *in, void *const *tgt,
                       float *dp, size_t n, void *ws) {
  float total = 0;
  for (size_t i = 0; i < n; ++i)
    total += example_loss(p, (const int32_t *)in[0] + i * T,
                          (const int32_t *)tgt[0] + i * TS, dp, 1.0f / n);
  return total / (float)n;
}

static float grad_buffer[P];

/* The step counter, a uint32 in the header's first float (catrt.h):
 * counts one more step and returns it. */
static uint32_t next_step(float *state) {
  uint32_t step;
  memcpy(&step, &state[CAT_OPT_STEP], sizeof step);
  ++step;
  memcpy(&state[CAT_OPT_STEP], &step, sizeof step);
  return step;
}

static float train_step(float *p, float *state, void *const *in,
                        void *const *tgt, size_t n, void *ws) {
  memset(grad_buffer, 0, sizeof grad_buffer);
  float loss = loss_grad(p, in, tgt, grad_buffer, n, ws);
  float lr = state[CAT_OPT_CHOSEN] != 0 ? state[CAT_OPT_LR] : BIGRAM_LR;
  next_step(state);
  for (int i = 0; i < P; ++i) {
    state[CAT_OPT_HEADER + i] = grad_buffer[i];
    p[i] -= lr * grad_buffer[i];
  }
  return loss;
}

static const cat_train_config train_config = {
    .data_kind = DATA_KIND, .data_path = "corpus.txt", .target_index = -1,
    .context = T,
#ifdef BIGRAM_TOKENS
    .vocab_size = V, .vocab = vocab,
#endif
    .optimizer = CAT_OPT_SGD, .lr = BIGRAM_LR, .beta1 = 0.9f, .beta2 = 0.999f,
    .eps = 1e-8f, .epochs = BIGRAM_EPOCHS, .batch = 16, .seed = 1,
    .validation = 0};

const cat_model bigram_model = {
    .module = "bigram", .morphism = "model", .param_count = P,
    .num_params = 1, .params = params_table, .opt_state_count = CAT_OPT_HEADER + P,
    .num_inputs = 1, .inputs = &input_factor,
    .num_outputs = 1, .outputs = &output_factor,
    .num_targets = 1, .targets = &target_factor,
    .layout_hash = 0xb1000000000000ull + V * 256 + T * 2 + TS,
    .workspace_size = workspace_size, .init = init, .forward = forward,
    .evaluate = evaluate, .loss_grad = loss_grad, .train_step = train_step,
    .train = &train_config};

int main(int argc, char **argv) { return cat_main(&bigram_model, argc, argv); }
