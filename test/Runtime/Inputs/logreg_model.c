/* logreg_model.c - A hand-written cat_model for testing the runtime alone.
 *
 * Softmax regression R[F] -> R[C] with a Fin[C] target and cross-entropy
 * loss, written the way the code generator will emit a model: a const
 * cat_model descriptor, forward/evaluate/loss_grad/train_step over batch-major
 * factor arrays, SGD with momentum per AD.md (the opt_state header of catrt.h,
 * then the velocity), and a main that calls cat_main. Compile-time macros
 * make variants: LOGREG_FEATURES, LOGREG_CLASSES, LOGREG_DATA (CSV name in
 * EXAMPLES_DIR), LOGREG_EPOCHS, LOGREG_BATCH, LOGREG_VALIDATION;
 * LOGREG_OUTPUTS adds train_step_outputs and loss_grad_outputs, and
 * LOGREG_TRACE prints every step on stderr (train_metrics.test).
 */
#include "catrt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#ifndef LOGREG_FEATURES
#define LOGREG_FEATURES 4
#endif
#ifndef LOGREG_CLASSES
#define LOGREG_CLASSES 3
#endif
#ifndef LOGREG_DATA
#define LOGREG_DATA "iris.csv"
#endif
#ifndef LOGREG_TARGET
#define LOGREG_TARGET "species"
#endif
#ifndef LOGREG_EPOCHS
#define LOGREG_EPOCHS 60
#endif
#ifndef LOGREG_BATCH
#define LOGREG_BATCH 16
#endif
#ifndef LOGREG_VALIDATION
#define LOGREG_VALIDATION 0.2
#endif
#ifndef EXAMPLES_DIR
#define EXAMPLES_DIR "."
#endif

enum { F = LOGREG_FEATURES, C = LOGREG_CLASSES, W_SIZE = C * F,
       PARAMS = C * F + C };
#ifndef LOGREG_LR
#define LOGREG_LR 0.05f
#endif
static const float LR = LOGREG_LR, MOMENTUM = 0.9f;

static const int64_t weight_shape[2] = {C, F};
static const int64_t bias_shape[1] = {C};
static const int64_t input_shape[1] = {F};
static const int64_t output_shape[1] = {C};

static const cat_param_info params_table[2] = {
    {"model.linear0.weight", 0, W_SIZE, 2, weight_shape},
    {"model.bias0.bias", W_SIZE, C, 1, bias_shape}};
static const cat_factor input_factor = {CAT_REAL, 0, F, 1, input_shape};
static const cat_factor output_factor = {CAT_REAL, 0, C, 1, output_shape};
static const cat_factor target_factor = {CAT_FIN, C, 1, 0, NULL};

static size_t workspace_size(size_t n) { return n * C * sizeof(float); }

/* Glorot-uniform weights from a tiny LCG, zero bias. */
static void init(float *p, uint64_t seed) {
  uint64_t state = seed * 6364136223846793005ull + 1442695040888963407ull;
  float limit = sqrtf(6.0f / (F + C));
  for (int i = 0; i < W_SIZE; ++i) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    float unit = (float)(state >> 40) / (float)(1ull << 24);
    p[i] = (2 * unit - 1) * limit;
  }
  memset(p + W_SIZE, 0, C * sizeof(float));
}

static void logits(const float *p, const float *x, float *z) {
  for (int c = 0; c < C; ++c) {
    float sum = p[W_SIZE + c];
    for (int f = 0; f < F; ++f)
      sum += p[c * F + f] * x[f];
    z[c] = sum;
  }
}

static float log_sum_exp(const float *z) {
  float max = z[0], sum = 0;
  for (int c = 1; c < C; ++c)
    max = z[c] > max ? z[c] : max;
  for (int c = 0; c < C; ++c)
    sum += expf(z[c] - max);
  return max + logf(sum);
}

static void forward(const float *p, void *const *in, void *const *out,
                    size_t n, void *ws) {
  for (size_t i = 0; i < n; ++i)
    logits(p, (const float *)in[0] + i * F, (float *)out[0] + i * C);
}

static void evaluate(const float *p, void *const *in, void *const *tgt,
                     void *const *out, float *losses, size_t n, void *ws) {
  forward(p, in, out, n, ws);
  for (size_t i = 0; i < n; ++i) {
    const float *z = (const float *)out[0] + i * C;
    losses[i] = log_sum_exp(z) - z[((const int32_t *)tgt[0])[i]];
  }
}

/* The entry point the runtime called, for the trace. */
static const char *via = "loss_grad";

static float loss_grad(const float *p, void *const *in, void *const *tgt,
                       float *dp, size_t n, void *ws) {
  float *z = ws, total = 0;
  int correct = 0;
  for (size_t i = 0; i < n; ++i) {
    const float *x = (const float *)in[0] + i * F;
    int32_t t = ((const int32_t *)tgt[0])[i];
    logits(p, x, z);
    float lse = log_sum_exp(z);
    total += lse - z[t];
    int best = 0;
    for (int c = 1; c < C; ++c)
      best = z[c] > z[best] ? c : best;
    correct += best == t;
    for (int c = 0; c < C; ++c) {
      float dz = (expf(z[c] - lse) - (c == t)) / (float)n;
      dp[W_SIZE + c] += dz;
      for (int f = 0; f < F; ++f)
        dp[c * F + f] += dz * x[f];
    }
  }
#ifdef LOGREG_TRACE
  /* The step's batch size, loss and correct predictions (before the
   * update), which the epoch's reported metrics must average. */
  fprintf(stderr, "step %zu %.9g %d %s\n", n, total / (float)n, correct, via);
#endif
  (void)correct;
  via = "loss_grad";
  return total / (float)n;
}

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
  float grad[PARAMS] = {0}, *velocity = state + CAT_OPT_HEADER;
  float lr = state[CAT_OPT_CHOSEN] != 0 ? state[CAT_OPT_LR] : LR;
  if (strcmp(via, "loss_grad") == 0)
    via = "train_step";
  float loss = loss_grad(p, in, tgt, grad, n, ws);
  int first = next_step(state) == 1;
  for (int i = 0; i < PARAMS; ++i) {
    velocity[i] = first ? grad[i] : MOMENTUM * velocity[i] + grad[i];
    p[i] -= lr * velocity[i];
  }
  return loss;
}

#ifdef LOGREG_OUTPUTS
static float train_step_outputs(float *p, float *state, void *const *in,
                                void *const *tgt, void *const *out, size_t n,
                                void *ws) {
  forward(p, in, out, n, ws);
  via = "train_step_outputs";
  return train_step(p, state, in, tgt, n, ws);
}

static float loss_grad_outputs(const float *p, void *const *in,
                               void *const *tgt, void *const *out, float *dp,
                               size_t n, void *ws) {
  forward(p, in, out, n, ws);
  via = "loss_grad_outputs";
  return loss_grad(p, in, tgt, dp, n, ws);
}
#endif

static const cat_train_config train_config = {
    .data_kind = CAT_DATA_CSV, .data_path = LOGREG_DATA,
    .source_dir = EXAMPLES_DIR, .target_name = LOGREG_TARGET,
    .target_index = -1, .optimizer = CAT_OPT_SGD, .lr = LOGREG_LR,
    .momentum = 0.9f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f,
    .epochs = LOGREG_EPOCHS, .batch = LOGREG_BATCH, .seed = 42,
    .validation = LOGREG_VALIDATION};

/* What `info` lists as the module's declarations. */
#define SPELL(x) #x
#define SPELL_VALUE(x) SPELL(x)
static const cat_declaration objects[2] = {
    {"Features", "R[" SPELL_VALUE(LOGREG_FEATURES) "]"},
    {"Species", "Fin[" SPELL_VALUE(LOGREG_CLASSES) "]"}};
static const cat_declaration morphisms[1] = {
    {"model", "Features -> R[" SPELL_VALUE(LOGREG_CLASSES) "]"}};

const cat_model logreg_model = {
    .module = "logreg", .morphism = "model", .param_count = PARAMS,
    .num_params = 2, .params = params_table, .opt_state_count = CAT_OPT_HEADER + PARAMS,
    .num_inputs = 1, .inputs = &input_factor,
    .num_outputs = 1, .outputs = &output_factor,
    .num_targets = 1, .targets = &target_factor,
    .layout_hash = 0x10a0000000000000ull + F * 16 + C,
    .workspace_size = workspace_size, .init = init, .forward = forward,
    .evaluate = evaluate, .loss_grad = loss_grad, .train_step = train_step,
    .train = &train_config, .declarations_magic = CAT_DECLARATIONS_MAGIC,
    .num_objects = 2, .objects = objects,
    .num_morphisms = 1, .morphisms = morphisms,
#ifdef LOGREG_OUTPUTS
    .outputs_magic = CAT_OUTPUTS_MAGIC,
    .train_step_outputs = train_step_outputs,
    .loss_grad_outputs = loss_grad_outputs,
#endif
};

int main(int argc, char **argv) { return cat_main(&logreg_model, argc, argv); }
