/* shard_grad.c - the data-parallel halves of the training step against it.
 *
 * Links the objects of xor_net.cat (cross-entropy, Adam), mix.cat (a Fin and
 * a real input, mse, SGD with momentum), ops.cat (a causal transformer over
 * Fin[16]^4, sequence cross-entropy, Adam) and drop.cat (dropout, AdamW with
 * clipping). For each model, on ROWS fixed rows:
 *
 * - One shard of the whole batch: from the same initial weights, one copy
 *   trains with `_train_step`, another with `_shard_grad(..., n = total =
 *   ROWS, shard 0)` then `_apply_gradient`, for STEPS steps; and the same
 *   with `_train_step_outputs` against `_shard_grad_outputs`. Losses,
 *   parameters, optimizer states (and outputs) must be the same bits.
 *   `_shard_grad` must leave the parameters and the state alone.
 * - Two shards, rows [0, N0) and [N0, ROWS) of a batch of ROWS (models
 *   without dropout): the shards' gradients add up to the gradient
 *   `_loss_grad` adds into a zeroed buffer for the whole batch, each one is
 *   N_k/ROWS times `_loss_grad` on its own rows, and each returned loss is
 *   its rows' mean, so loss0 * N0 + loss1 * N1 = ROWS * the batch's loss
 *   (all within a relative 1e-5). `_shard_grad_outputs` gives the same bits
 *   and writes the outputs of `_forward` on its rows.
 * - With dropout: shard 0 and shard 1 of the same rows draw different masks
 *   (different gradients), and each shard draws the same mask again.
 *
 * Every gradient buffer is filled with NaNs before a `_shard_grad` call: it
 * writes its gradient, so nothing of what the buffer held may survive.
 * Before every call the workspace is filled with NaNs and the bytes after
 * the header's WORKSPACE_BYTES(ROWS) with a pattern that must survive.
 */
#include "drop.h"
#include "mix.h"
#include "ops.h"
#include "xor_net.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { ROWS = 11, N0 = 6, N1 = ROWS - N0, STEPS = 4, CANARY = 256, MAX_PARAMS = 4096 };
enum { MAX_OUT = ROWS * 64 };

#define MAX2(a, b) ((a) > (b) ? (a) : (b))
#define WS_BYTES                                                                 \
  MAX2(MAX2(DROP_MODEL_WORKSPACE_BYTES(ROWS), MIX_NET_WORKSPACE_BYTES(ROWS)),   \
       MAX2(OPS_LM_WORKSPACE_BYTES(ROWS), XORNET_MODEL_WORKSPACE_BYTES(ROWS)))
static float workspace[(WS_BYTES + CANARY + 3) / 4];

/* One model, through adapters that take rows [first, first + n) of its
 * fixed data. */
typedef struct model {
  const char *name;
  int dropout;
  size_t params, state, out_row, workspace; /* floats, floats, floats per row, bytes */
  void (*init)(float *params, uint64_t seed);
  void (*forward)(const float *p, size_t first, size_t n, float *y);
  float (*loss_grad)(const float *p, size_t first, size_t n, float *dp);
  float (*step)(float *p, float *s, size_t n);
  float (*step_outputs)(float *p, float *s, float *y, size_t n);
  float (*shard)(const float *p, const float *s, size_t first, size_t n, float *g, size_t total,
                 size_t shard);
  float (*shard_outputs)(const float *p, const float *s, size_t first, size_t n, float *y,
                         float *g, size_t total, size_t shard);
  void (*apply)(float *p, float *s, float *g);
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
#define XOR_ROWS(f) xor_x + (f) * 2, xor_t + (f)
static void xor_forward(const float *p, size_t f, size_t n, float *y) {
  xornet_model_forward(p, xor_x + f * 2, y, n, WS);
}
static float xor_lg(const float *p, size_t f, size_t n, float *dp) {
  return xornet_model_loss_grad(p, XOR_ROWS(f), dp, n, WS);
}
static float xor_step(float *p, float *s, size_t n) {
  return xornet_model_train_step(p, s, XOR_ROWS(0), n, WS);
}
static float xor_step_out(float *p, float *s, float *y, size_t n) {
  return xornet_model_train_step_outputs(p, s, XOR_ROWS(0), y, n, WS);
}
static float xor_shard(const float *p, const float *s, size_t f, size_t n, float *g, size_t total,
                       size_t k) {
  return xornet_model_shard_grad(p, s, XOR_ROWS(f), g, n, total, k, WS);
}
static float xor_shard_out(const float *p, const float *s, size_t f, size_t n, float *y, float *g,
                           size_t total, size_t k) {
  return xornet_model_shard_grad_outputs(p, s, XOR_ROWS(f), y, g, n, total, k, WS);
}

static int32_t mix_tok[ROWS];
static float mix_x[ROWS * 2], mix_t[ROWS];
#define MIX_ROWS(f) mix_tok + (f), mix_x + (f) * 2, mix_t + (f)
static void mix_forward(const float *p, size_t f, size_t n, float *y) {
  mix_net_forward(p, mix_tok + f, mix_x + f * 2, y, n, WS);
}
static float mix_lg(const float *p, size_t f, size_t n, float *dp) {
  return mix_net_loss_grad(p, MIX_ROWS(f), dp, n, WS);
}
static float mix_step(float *p, float *s, size_t n) {
  return mix_net_train_step(p, s, MIX_ROWS(0), n, WS);
}
static float mix_step_out(float *p, float *s, float *y, size_t n) {
  return mix_net_train_step_outputs(p, s, MIX_ROWS(0), y, n, WS);
}
static float mix_shard(const float *p, const float *s, size_t f, size_t n, float *g, size_t total,
                       size_t k) {
  return mix_net_shard_grad(p, s, MIX_ROWS(f), g, n, total, k, WS);
}
static float mix_shard_out(const float *p, const float *s, size_t f, size_t n, float *y, float *g,
                           size_t total, size_t k) {
  return mix_net_shard_grad_outputs(p, s, MIX_ROWS(f), y, g, n, total, k, WS);
}

static int32_t ops_x[ROWS * 4], ops_t[ROWS * 4];
#define OPS_ROWS(f) ops_x + (f) * 4, ops_t + (f) * 4
static void ops_forward(const float *p, size_t f, size_t n, float *y) {
  ops_lm_forward(p, ops_x + f * 4, y, n, WS);
}
static float ops_lg(const float *p, size_t f, size_t n, float *dp) {
  return ops_lm_loss_grad(p, OPS_ROWS(f), dp, n, WS);
}
static float ops_step(float *p, float *s, size_t n) {
  return ops_lm_train_step(p, s, OPS_ROWS(0), n, WS);
}
static float ops_step_out(float *p, float *s, float *y, size_t n) {
  return ops_lm_train_step_outputs(p, s, OPS_ROWS(0), y, n, WS);
}
static float ops_shard(const float *p, const float *s, size_t f, size_t n, float *g, size_t total,
                       size_t k) {
  return ops_lm_shard_grad(p, s, OPS_ROWS(f), g, n, total, k, WS);
}
static float ops_shard_out(const float *p, const float *s, size_t f, size_t n, float *y, float *g,
                           size_t total, size_t k) {
  return ops_lm_shard_grad_outputs(p, s, OPS_ROWS(f), y, g, n, total, k, WS);
}

static float drop_x[ROWS * 4];
static int32_t drop_t[ROWS];
#define DROP_ROWS(f) drop_x + (f) * 4, drop_t + (f)
static void drop_forward(const float *p, size_t f, size_t n, float *y) {
  drop_model_forward(p, drop_x + f * 4, y, n, WS);
}
static float drop_lg(const float *p, size_t f, size_t n, float *dp) {
  return drop_model_loss_grad(p, DROP_ROWS(f), dp, n, WS);
}
static float drop_step(float *p, float *s, size_t n) {
  return drop_model_train_step(p, s, DROP_ROWS(0), n, WS);
}
static float drop_step_out(float *p, float *s, float *y, size_t n) {
  return drop_model_train_step_outputs(p, s, DROP_ROWS(0), y, n, WS);
}
static float drop_shard(const float *p, const float *s, size_t f, size_t n, float *g, size_t total,
                        size_t k) {
  return drop_model_shard_grad(p, s, DROP_ROWS(f), g, n, total, k, WS);
}
static float drop_shard_out(const float *p, const float *s, size_t f, size_t n, float *y, float *g,
                            size_t total, size_t k) {
  return drop_model_shard_grad_outputs(p, s, DROP_ROWS(f), y, g, n, total, k, WS);
}

static void fill_rows(void) {
  unsigned i;
  for (i = 0; i < ROWS * 2; ++i)
    xor_x[i] = (float)((i * 7u) % 3u) - 1.0f;
  for (i = 0; i < ROWS; ++i) {
    xor_t[i] = (int32_t)(i % 2u);
    mix_tok[i] = (int32_t)((i * 5u) % 6u);
    mix_t[i] = 0.5f + 0.5f * fixed(5, i);
    drop_t[i] = (int32_t)((i * 2u + 1u) % 3u);
  }
  for (i = 0; i < ROWS * 2; ++i)
    mix_x[i] = fixed(4, i);
  for (i = 0; i < ROWS * 4; ++i) {
    ops_x[i] = (int32_t)((i * 7u + 3u) % 16u);
    ops_t[i] = (int32_t)((i * 11u + 1u) % 16u);
    drop_x[i] = 2.0f * fixed(6, i);
  }
}

/*--- the check -------------------------------------------------------------*/

static float init[MAX_PARAMS], p[4][MAX_PARAMS], s[4][2 * MAX_PARAMS + 8];
static float g0[MAX_PARAMS], g1[MAX_PARAMS], gref[MAX_PARAMS], gpart[MAX_PARAMS];
static float psave[MAX_PARAMS], ssave[2 * MAX_PARAMS + 8];
static float y[2][MAX_OUT];

static void nans(float *a, size_t floats) { memset(a, 0xff, floats * sizeof(float)); }

static int same(const char *name, const char *what, int step, const void *a, const void *b,
                size_t floats) {
  if (memcmp(a, b, floats * sizeof(float)) == 0)
    return 1;
  printf("FAIL: %s step %d: %s differ\n", name, step, what);
  return 0;
}

static float max_abs(const float *a, size_t n) {
  float m = 0;
  size_t i;
  for (i = 0; i < n; ++i)
    if (fabsf(a[i]) > m)
      m = fabsf(a[i]);
  return m;
}

/* Every a[i] finite and within tol of scale * b[i]. */
static int close_to(const char *name, const char *what, const float *a, const float *b,
                    float scale, size_t n, float tol) {
  size_t i;
  for (i = 0; i < n; ++i)
    if (!isfinite(a[i]) || !(fabsf(a[i] - scale * b[i]) <= tol)) {
      printf("FAIL: %s: %s: element %u is %.9g, expected %.9g (tolerance %.3g)\n", name, what,
             (unsigned)i, (double)a[i], (double)(scale * b[i]), (double)tol);
      return 0;
    }
  return 1;
}

static int close_loss(const char *name, const char *what, double got, double want) {
  if (fabs(got - want) <= 1e-5 * fabs(want))
    return 1;
  printf("FAIL: %s: %s: %.9g, expected %.9g\n", name, what, got, want);
  return 0;
}

/* shard_grad + apply_gradient against train_step, STEPS times, and the
 * _outputs variants; on return p[0], s[0] hold the trained copy. */
static int one_shard(const model *m) {
  int ok = 1, k;
  float la, lb, lc, ld;
  size_t i;
  for (i = 0; i < 4; ++i) {
    memcpy(p[i], init, m->params * sizeof(float));
    memset(s[i], 0, m->state * sizeof(float));
  }
  for (k = 0; k < STEPS; ++k) {
    la = m->step(p[0], s[0], ROWS);

    memcpy(psave, p[1], m->params * sizeof(float));
    memcpy(ssave, s[1], m->state * sizeof(float));
    nans(g0, m->params);
    lb = m->shard(p[1], s[1], 0, ROWS, g0, ROWS, 0);
    ok &= same(m->name, "parameters before and after shard_grad", k, psave, p[1], m->params);
    ok &= same(m->name, "optimizer states before and after shard_grad", k, ssave, s[1], m->state);
    m->apply(p[1], s[1], g0);

    nans(y[0], m->out_row * ROWS);
    nans(y[1], m->out_row * ROWS);
    lc = m->step_outputs(p[2], s[2], y[0], ROWS);
    memcpy(psave, p[3], m->params * sizeof(float));
    memcpy(ssave, s[3], m->state * sizeof(float));
    nans(g1, m->params);
    ld = m->shard_outputs(p[3], s[3], 0, ROWS, y[1], g1, ROWS, 0);
    ok &= same(m->name, "parameters before and after shard_grad_outputs", k, psave, p[3], m->params);
    ok &= same(m->name, "optimizer states before and after shard_grad_outputs", k, ssave, s[3],
               m->state);
    m->apply(p[3], s[3], g1);

    ok &= same(m->name, "train_step and shard_grad losses", k, &la, &lb, 1);
    ok &= same(m->name, "train_step and shard_grad + apply_gradient parameters", k, p[0], p[1],
               m->params);
    ok &= same(m->name, "train_step and shard_grad + apply_gradient optimizer states", k, s[0],
               s[1], m->state);
    ok &= same(m->name, "train_step_outputs and shard_grad_outputs losses", k, &lc, &ld, 1);
    ok &= same(m->name, "train_step_outputs and shard_grad_outputs + apply_gradient parameters",
               k, p[2], p[3], m->params);
    ok &= same(m->name,
               "train_step_outputs and shard_grad_outputs + apply_gradient optimizer states", k,
               s[2], s[3], m->state);
    ok &= same(m->name, "train_step_outputs and shard_grad_outputs outputs", k, y[0], y[1],
               m->out_row * ROWS);
  }
  if (memcmp(init, p[0], m->params * sizeof(float)) == 0) {
    printf("FAIL: %s: the steps did not change the parameters\n", m->name);
    ok = 0;
  }
  return ok;
}

/* Rows [0, N0) and [N0, ROWS) as shards 0 and 1 of a batch of ROWS. */
static int two_shards(const model *m) {
  const float *pt = p[0], *st = s[0];
  int ok = 1;
  float l0, l1, lref, lpart, l1o, tol;
  size_t i;
  memset(gref, 0, m->params * sizeof(float));
  lref = m->loss_grad(pt, 0, ROWS, gref);
  tol = 1e-5f * max_abs(gref, m->params);
  if (!(tol > 0)) {
    printf("FAIL: %s: the batch's gradient is zero\n", m->name);
    return 0;
  }
  nans(g0, m->params);
  nans(g1, m->params);
  l0 = m->shard(pt, st, 0, N0, g0, ROWS, 0);
  l1 = m->shard(pt, st, N0, N1, g1, ROWS, 1);
  ok &= close_loss(m->name, "loss0 * N0 + loss1 * N1 against ROWS * loss_grad's loss",
                   (double)l0 * N0 + (double)l1 * N1, (double)lref * ROWS);
  for (i = 0; i < m->params; ++i)
    gpart[i] = g0[i] + g1[i];
  ok &= close_to(m->name, "grad0 + grad1 against loss_grad of the batch", gpart, gref, 1.0f,
                 m->params, tol);

  /* Each shard: N_k / ROWS times the gradient of its rows alone. */
  memset(gpart, 0, m->params * sizeof(float));
  lpart = m->loss_grad(pt, 0, N0, gpart);
  ok &= close_loss(m->name, "shard 0's loss against loss_grad on its rows", l0, lpart);
  ok &= close_to(m->name, "grad0 against N0/ROWS * loss_grad on its rows", g0, gpart,
                 (float)N0 / ROWS, m->params, tol);
  memset(gpart, 0, m->params * sizeof(float));
  lpart = m->loss_grad(pt, N0, N1, gpart);
  ok &= close_loss(m->name, "shard 1's loss against loss_grad on its rows", l1, lpart);
  ok &= close_to(m->name, "grad1 against N1/ROWS * loss_grad on its rows", g1, gpart,
                 (float)N1 / ROWS, m->params, tol);

  /* The _outputs variant: the same bits, and forward's outputs. */
  nans(gpart, m->params);
  nans(y[0], m->out_row * N1);
  nans(y[1], m->out_row * N1);
  l1o = m->shard_outputs(pt, st, N0, N1, y[0], gpart, ROWS, 1);
  m->forward(pt, N0, N1, y[1]);
  ok &= same(m->name, "shard_grad and shard_grad_outputs losses (shard 1)", STEPS, &l1, &l1o, 1);
  ok &= same(m->name, "shard_grad and shard_grad_outputs gradients (shard 1)", STEPS, g1, gpart,
             m->params);
  ok &= same(m->name, "shard_grad_outputs outputs and forward (shard 1)", STEPS, y[0], y[1],
             m->out_row * N1);
  return ok;
}

/* Dropout: the shard index moves the seed, and the same shard draws again
 * the same mask. */
static int dropout_shards(const model *m) {
  const float *pt = p[0], *st = s[0];
  int ok = 1;
  float l0, l1, l0again;
  nans(g0, m->params);
  nans(g1, m->params);
  nans(gpart, m->params);
  l0 = m->shard(pt, st, 0, ROWS, g0, ROWS, 0);
  l1 = m->shard(pt, st, 0, ROWS, g1, ROWS, 1);
  l0again = m->shard(pt, st, 0, ROWS, gpart, ROWS, 0);
  if (memcmp(g0, g1, m->params * sizeof(float)) == 0 || l0 == l1) {
    printf("FAIL: %s: shards 0 and 1 of the same rows have the same %s: the same dropout mask\n",
           m->name, l0 == l1 ? "loss" : "gradient");
    ok = 0;
  }
  ok &= same(m->name, "shard 0's gradients, twice", STEPS, g0, gpart, m->params);
  ok &= same(m->name, "shard 0's losses, twice", STEPS, &l0, &l0again, 1);
  if (!isfinite(max_abs(g1, m->params))) {
    printf("FAIL: %s: shard 1's gradient is not finite\n", m->name);
    ok = 0;
  }
  return ok;
}

static int check(const model *m) {
  int ok = 1;
  if (m->params > MAX_PARAMS || m->out_row * ROWS > MAX_OUT) {
    printf("FAIL: %s: buffers too small\n", m->name);
    return 0;
  }
  ws_bytes = m->workspace;
  m->init(init, 11);
  ok &= one_shard(m);
  ok &= m->dropout ? dropout_shards(m) : two_shards(m);
  if (!canary_intact(m->workspace)) {
    printf("FAIL: %s: wrote past WORKSPACE_BYTES(%d)\n", m->name, ROWS);
    ok = 0;
  }
  if (ok)
    printf("%s: %d steps of shard_grad + apply_gradient identical to train_step, %s\n", m->name,
           STEPS,
           m->dropout ? "shards 0 and 1 draw different dropout masks"
                      : "2 shards add up to loss_grad");
  return ok;
}

int main(void) {
  static const model models[] = {
      {"xornet", 0, XORNET_MODEL_PARAM_COUNT, XORNET_MODEL_OPT_STATE_COUNT, 2,
       XORNET_MODEL_WORKSPACE_BYTES(ROWS), xornet_model_init, xor_forward, xor_lg, xor_step,
       xor_step_out, xor_shard, xor_shard_out, xornet_model_apply_gradient},
      {"mix", 0, MIX_NET_PARAM_COUNT, MIX_NET_OPT_STATE_COUNT, 1, MIX_NET_WORKSPACE_BYTES(ROWS),
       mix_net_init, mix_forward, mix_lg, mix_step, mix_step_out, mix_shard, mix_shard_out,
       mix_net_apply_gradient},
      {"ops", 0, OPS_LM_PARAM_COUNT, OPS_LM_OPT_STATE_COUNT, 64, OPS_LM_WORKSPACE_BYTES(ROWS),
       ops_lm_init, ops_forward, ops_lg, ops_step, ops_step_out, ops_shard, ops_shard_out,
       ops_lm_apply_gradient},
      {"drop", 1, DROP_MODEL_PARAM_COUNT, DROP_MODEL_OPT_STATE_COUNT, 3,
       DROP_MODEL_WORKSPACE_BYTES(ROWS), drop_model_init, drop_forward, drop_lg, drop_step,
       drop_step_out, drop_shard, drop_shard_out, drop_model_apply_gradient},
  };
  int failures = 0;
  size_t i;
  fill_rows();
  for (i = 0; i < sizeof models / sizeof models[0]; ++i)
    failures += !check(&models[i]);
  printf(failures ? "%d models failed\n" : "all models agree\n", failures);
  return failures != 0;
}
