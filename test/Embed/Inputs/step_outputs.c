/* step_outputs.c - the `_outputs` training functions against the others.
 *
 * Links the objects of xor_net.cat (cross-entropy, Adam), wave.cat (mse,
 * Adam), mix.cat (a Fin and a real input, mse, SGD with momentum) and
 * ops.cat (a causal transformer over Fin[16]^4, sequence cross-entropy,
 * Adam). For each model, from the same initial weights, one copy trains
 * with `_train_step` and another with `_train_step_outputs` for STEPS
 * steps on fixed rows: the returned losses, the parameters and the
 * optimizer states must be the same bits, and the outputs the step writes
 * the same bits as `_forward` on the parameters before it. Then
 * `_loss_grad_outputs` against `_loss_grad` and `_forward`. Before every
 * call the workspace is filled with NaNs (nothing may depend on what it
 * held), and the bytes after the header's WORKSPACE_BYTES(ROWS) with a
 * pattern that must survive (the macro bounds the new functions too).
 */
#include "mix.h"
#include "ops.h"
#include "wave.h"
#include "xor_net.h"

#include <stdio.h>
#include <string.h>

enum { ROWS = 5, STEPS = 4, CANARY = 256, MAX_PARAMS = 4096, MAX_OUT = ROWS * 64 };

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define WS_BYTES                                                                 \
  MAX2(MAX2(WAVE_NET_WORKSPACE_BYTES(ROWS), MIX_NET_WORKSPACE_BYTES(ROWS)),     \
       MAX2(OPS_LM_WORKSPACE_BYTES(ROWS), XORNET_MODEL_WORKSPACE_BYTES(ROWS)))
static float workspace[(WS_BYTES + CANARY + 3) / 4];

/* One model, through adapters that supply its fixed rows. */
typedef struct model {
  const char *name;
  size_t params, state, outputs, workspace; /* floats, floats, floats, bytes */
  void (*init)(float *params, uint64_t seed);
  void (*forward)(const float *p, float *y);
  float (*loss_grad)(const float *p, float *dp);
  float (*loss_grad_outputs)(const float *p, float *y, float *dp);
  float (*step)(float *p, float *s);
  float (*step_outputs)(float *p, float *s, float *y);
} model;

/* A fixed value in [-0.5, 0.5) for index i of stream s. */
static float fixed(unsigned s, unsigned i) {
  return (float)((i * 37u + s * 11u) % 64u) / 64.0f - 0.5f;
}

static void poison(size_t bytes) {
  memset(workspace, 0xff, bytes); /* NaNs */
  memset((char *)workspace + bytes, 0x5a, CANARY);
}

static int canary_intact(size_t bytes) {
  const unsigned char *c = (const unsigned char *)workspace + bytes;
  size_t i;
  for (i = 0; i < CANARY; ++i)
    if (c[i] != 0x5a)
      return 0;
  return 1;
}

/* Workspace bytes of the model being checked. */
static size_t ws_bytes;
#define WS (poison(ws_bytes), (void *)workspace)

/*--- the models' rows ------------------------------------------------------*/

static float xor_x[ROWS * 2];
static int32_t xor_t[ROWS];
static void xor_forward(const float *p, float *y) { xornet_model_forward(p, xor_x, y, ROWS, WS); }
static float xor_lg(const float *p, float *dp) {
  return xornet_model_loss_grad(p, xor_x, xor_t, dp, ROWS, WS);
}
static float xor_lgo(const float *p, float *y, float *dp) {
  return xornet_model_loss_grad_outputs(p, xor_x, xor_t, y, dp, ROWS, WS);
}
static float xor_step(float *p, float *s) {
  return xornet_model_train_step(p, s, xor_x, xor_t, ROWS, WS);
}
static float xor_step_out(float *p, float *s, float *y) {
  return xornet_model_train_step_outputs(p, s, xor_x, xor_t, y, ROWS, WS);
}

static float wave_x[ROWS * 3], wave_t[ROWS];
static void wave_forward(const float *p, float *y) { wave_net_forward(p, wave_x, y, ROWS, WS); }
static float wave_lg(const float *p, float *dp) {
  return wave_net_loss_grad(p, wave_x, wave_t, dp, ROWS, WS);
}
static float wave_lgo(const float *p, float *y, float *dp) {
  return wave_net_loss_grad_outputs(p, wave_x, wave_t, y, dp, ROWS, WS);
}
static float wave_step(float *p, float *s) {
  return wave_net_train_step(p, s, wave_x, wave_t, ROWS, WS);
}
static float wave_step_out(float *p, float *s, float *y) {
  return wave_net_train_step_outputs(p, s, wave_x, wave_t, y, ROWS, WS);
}

static int32_t mix_tok[ROWS];
static float mix_x[ROWS * 2], mix_t[ROWS];
static void mix_forward(const float *p, float *y) { mix_net_forward(p, mix_tok, mix_x, y, ROWS, WS); }
static float mix_lg(const float *p, float *dp) {
  return mix_net_loss_grad(p, mix_tok, mix_x, mix_t, dp, ROWS, WS);
}
static float mix_lgo(const float *p, float *y, float *dp) {
  return mix_net_loss_grad_outputs(p, mix_tok, mix_x, mix_t, y, dp, ROWS, WS);
}
static float mix_step(float *p, float *s) {
  return mix_net_train_step(p, s, mix_tok, mix_x, mix_t, ROWS, WS);
}
static float mix_step_out(float *p, float *s, float *y) {
  return mix_net_train_step_outputs(p, s, mix_tok, mix_x, mix_t, y, ROWS, WS);
}

static int32_t ops_x[ROWS * 4], ops_t[ROWS * 4];
static void ops_forward(const float *p, float *y) { ops_lm_forward(p, ops_x, y, ROWS, WS); }
static float ops_lg(const float *p, float *dp) {
  return ops_lm_loss_grad(p, ops_x, ops_t, dp, ROWS, WS);
}
static float ops_lgo(const float *p, float *y, float *dp) {
  return ops_lm_loss_grad_outputs(p, ops_x, ops_t, y, dp, ROWS, WS);
}
static float ops_step(float *p, float *s) {
  return ops_lm_train_step(p, s, ops_x, ops_t, ROWS, WS);
}
static float ops_step_out(float *p, float *s, float *y) {
  return ops_lm_train_step_outputs(p, s, ops_x, ops_t, y, ROWS, WS);
}

static void fill_rows(void) {
  unsigned i;
  for (i = 0; i < ROWS * 2; ++i)
    xor_x[i] = (float)((i * 7u) % 3u) - 1.0f;
  for (i = 0; i < ROWS; ++i)
    xor_t[i] = (int32_t)(i % 2u);
  for (i = 0; i < ROWS * 3; ++i)
    wave_x[i] = fixed(1, i);
  for (i = 0; i < ROWS; ++i) {
    wave_t[i] = 0.5f + 0.5f * fixed(3, i);
    mix_tok[i] = (int32_t)((i * 5u) % 6u);
    mix_t[i] = 0.5f + 0.5f * fixed(5, i);
  }
  for (i = 0; i < ROWS * 2; ++i)
    mix_x[i] = fixed(4, i);
  for (i = 0; i < ROWS * 4; ++i) {
    ops_x[i] = (int32_t)((i * 7u + 3u) % 16u);
    ops_t[i] = (int32_t)((i * 11u + 1u) % 16u);
  }
}

/*--- the check -------------------------------------------------------------*/

static float pa[MAX_PARAMS], pb[MAX_PARAMS], sa[2 * MAX_PARAMS + 1], sb[2 * MAX_PARAMS + 1];
static float ga[MAX_PARAMS], gb[MAX_PARAMS], yf[MAX_OUT], yo[MAX_OUT], init[MAX_PARAMS];

static int same(const char *name, const char *what, int step, const void *a, const void *b,
                size_t floats) {
  if (memcmp(a, b, floats * sizeof(float)) == 0)
    return 1;
  printf("FAIL: %s step %d: %s differ\n", name, step, what);
  return 0;
}

static int check(const model *m) {
  int ok = 1, k;
  float la, lb;
  if (m->params > MAX_PARAMS || m->outputs > MAX_OUT) {
    printf("FAIL: %s: buffers too small\n", m->name);
    return 0;
  }
  ws_bytes = m->workspace;
  m->init(pa, 11);
  memcpy(pb, pa, m->params * sizeof(float));
  memcpy(init, pa, m->params * sizeof(float));
  memset(sa, 0, m->state * sizeof(float));
  memset(sb, 0, m->state * sizeof(float));
  for (k = 0; k < STEPS; ++k) {
    m->forward(pa, yf);
    memset(yo, 0xff, m->outputs * sizeof(float));
    la = m->step(pa, sa);
    lb = m->step_outputs(pb, sb, yo);
    ok &= same(m->name, "losses", k, &la, &lb, 1);
    ok &= same(m->name, "parameters", k, pa, pb, m->params);
    ok &= same(m->name, "optimizer states", k, sa, sb, m->state);
    ok &= same(m->name, "outputs and forward", k, yf, yo, m->outputs);
  }
  if (memcmp(init, pa, m->params * sizeof(float)) == 0) {
    printf("FAIL: %s: the steps did not change the parameters\n", m->name);
    ok = 0;
  }
  /* The gradient is added to what dparams holds. */
  for (k = 0; k < (int)m->params; ++k)
    ga[k] = gb[k] = fixed(9, (unsigned)k);
  m->forward(pa, yf);
  memset(yo, 0xff, m->outputs * sizeof(float));
  la = m->loss_grad(pa, ga);
  lb = m->loss_grad_outputs(pa, yo, gb);
  ok &= same(m->name, "loss_grad losses", STEPS, &la, &lb, 1);
  ok &= same(m->name, "loss_grad gradients", STEPS, ga, gb, m->params);
  ok &= same(m->name, "loss_grad outputs and forward", STEPS, yf, yo, m->outputs);
  if (!canary_intact(m->workspace)) {
    printf("FAIL: %s: wrote past WORKSPACE_BYTES(%d)\n", m->name, ROWS);
    ok = 0;
  }
  if (ok)
    printf("%s: %d steps, losses, parameters, optimizer state and gradients identical, "
           "outputs equal forward\n", m->name, STEPS);
  return ok;
}

int main(void) {
  static const model models[] = {
      {"xornet", XORNET_MODEL_PARAM_COUNT, XORNET_MODEL_OPT_STATE_COUNT, ROWS * 2,
       XORNET_MODEL_WORKSPACE_BYTES(ROWS), xornet_model_init, xor_forward, xor_lg, xor_lgo,
       xor_step, xor_step_out},
      {"wave", WAVE_NET_PARAM_COUNT, WAVE_NET_OPT_STATE_COUNT, ROWS, WAVE_NET_WORKSPACE_BYTES(ROWS),
       wave_net_init, wave_forward, wave_lg, wave_lgo, wave_step, wave_step_out},
      {"mix", MIX_NET_PARAM_COUNT, MIX_NET_OPT_STATE_COUNT, ROWS, MIX_NET_WORKSPACE_BYTES(ROWS),
       mix_net_init, mix_forward, mix_lg, mix_lgo, mix_step, mix_step_out},
      {"ops", OPS_LM_PARAM_COUNT, OPS_LM_OPT_STATE_COUNT, ROWS * 64, OPS_LM_WORKSPACE_BYTES(ROWS),
       ops_lm_init, ops_forward, ops_lg, ops_lgo, ops_step, ops_step_out},
  };
  int failures = 0;
  size_t i;
  fill_rows();
  for (i = 0; i < sizeof models / sizeof models[0]; ++i)
    failures += !check(&models[i]);
  printf(failures ? "%d models failed\n" : "all models agree\n", failures);
  return failures != 0;
}
