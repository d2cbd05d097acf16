/*===- catk.c - Batched forward and reverse kernels of every primitive ----===*
 *
 * Implements catk.h: the forward map and reverse derivative (AD.md) of every
 * primitive of docs/language.md §5, the losses, the initialisers and the SGD/Adam
 * updates with PyTorch's exact arithmetic. Loops are kept plain (one inner
 * loop over contiguous memory, `restrict` on outputs) because the calls are
 * made with constant shapes: after inlining, LLVM unrolls and vectorises
 * them. Nothing here allocates or keeps state, and only fixed-width integer
 * types appear, so the same bitcode serves 64-bit hosts and 32-bit
 * microcontrollers alike.
 *
 *===----------------------------------------------------------------------===*/
#include "catk.h"
#include "mathf.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Constants spelled out: M_SQRT1_2 and friends are POSIX, not C99. */
#define CATK_SQRT1_2 0.70710678118654752440f       /* 1/sqrt(2) */
#define CATK_INV_SQRT_2PI 0.39894228040143267794f  /* 1/sqrt(2 pi) */
#define CATK_TWO_PI 6.28318530717958647693f
#define CATK_LAYERNORM_EPS 1e-5f

/* The bitcode is built with -fno-unroll-loops, which marks every loop "do
 * not unroll", so a loop over a row of 3 classes would stay a 3-trip loop
 * inside the loop over rows. Loops over the k elements of a row ask to be
 * unrolled 8 times: a row of up to 8 becomes straight-line code and the
 * loop over rows can vectorise, while a long row (256 classes) stays a loop
 * (unroll(enable) would unroll it whole, into thousands of instructions that
 * take seconds to schedule). */
#if defined(__clang__)
#define CATK_ROW_LOOP _Pragma("clang loop unroll_count(8)")
#else
#define CATK_ROW_LOOP
#endif

/* A loop over rows whose body searches its row and reads an element at a
 * computed index (the losses' max and target): vectorised across rows it
 * becomes gathers, which gained nothing measurable and took 2 % of iris's
 * compile. */
#if defined(__clang__)
#define CATK_ACROSS_ROWS _Pragma("clang loop vectorize(disable) interleave(disable)")
#else
#define CATK_ACROSS_ROWS
#endif

/* The target's tile family (target.c). On a target with vectors, loops over
 * a few elements (the end of a flat loop, the rows of a small batch) run
 * through buffers padded to CATK_PAD floats, as a few full vector steps,
 * instead of as the vectoriser's scalar remainder, where each exp or log
 * costs dozens of instructions. Scalar targets pad nothing. */
extern const int32_t catk_target_tile;
#define CATK_PAD 16
static inline int catk_pads(void) { return catk_target_tile != CATK_TILE_SCALAR; }

/* ---- memory ------------------------------------------------------------ */

void cat_k_copy(const float *restrict src, float *restrict dst, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    dst[i] = src[i];
}

void cat_k_copy_i32(const int32_t *restrict src, int32_t *restrict dst, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    dst[i] = src[i];
}

void cat_k_zero(float *restrict dst, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    dst[i] = 0.0f;
}

void cat_k_zero_unless(float *restrict dst, catk_index count, int accumulate) {
  if (!accumulate)
    cat_k_zero(dst, count);
}

void cat_k_fill(float *restrict dst, catk_index count, float value) {
  for (catk_index i = 0; i < count; ++i)
    dst[i] = value;
}

/* No `restrict`: this is the one kernel whose source may be its destination
 * (a gradient added to itself when a value feeds both inputs of a node). */
void cat_k_accumulate(float *dst, const float *src, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    dst[i] += src[i];
}

/* ---- pointwise forward ----------------------------------------------------- */

void cat_k_neg_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = -x[i];
}

void cat_k_exp_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = catk_expf(x[i]);
}

void cat_k_log_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = catk_logf(x[i]);
}

void cat_k_sqrt_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = sqrtf(x[i]);
}

void cat_k_square_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = x[i] * x[i];
}

void cat_k_relu_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* Logistic function that never overflows: exp is only taken of -|x|, and
 * the two branches are selects, not jumps, so the loop still vectorises. */
static inline float catk_sigmoid(float x) {
  float e = catk_expf(-fabsf(x));
  float inv = 1.0f / (1.0f + e);
  return x >= 0.0f ? inv : e * inv;
}

void cat_k_sigmoid_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = catk_sigmoid(x[i]);
}

void cat_k_tanh_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = catk_tanhf(x[i]);
}

/* Standard normal CDF Phi(x), the exact (erf) form PyTorch's gelu uses. */
static inline float catk_normal_cdf(float x) {
  return 0.5f * (1.0f + catk_erff(x * CATK_SQRT1_2));
}

void cat_k_gelu_fwd(const float *restrict x, float *restrict y, catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = x[i] * catk_normal_cdf(x[i]);
}

void cat_k_scale_fwd(const float *restrict x, float *restrict y, catk_index count, float c) {
  for (catk_index i = 0; i < count; ++i)
    y[i] = c * x[i];
}

/* ---- pointwise reverse ----------------------------------------------------- */

void cat_k_exp_bwd(const float *restrict x, const float *restrict y, const float *restrict dy,
                   float *restrict dx, catk_index count) {
  if (!dx)
    return;
  for (catk_index i = 0; i < count; ++i)
    dx[i] = dy[i] * y[i];
}

void cat_k_log_bwd(const float *restrict x, const float *restrict y, const float *restrict dy,
                   float *restrict dx, catk_index count) {
  if (!dx)
    return;
  for (catk_index i = 0; i < count; ++i)
    dx[i] = dy[i] / x[i];
}

void cat_k_sqrt_bwd(const float *restrict x, const float *restrict y, const float *restrict dy,
                    float *restrict dx, catk_index count) {
  if (!dx)
    return;
  for (catk_index i = 0; i < count; ++i)
    dx[i] = dy[i] / (2.0f * y[i]);
}

void cat_k_square_bwd(const float *restrict x, const float *restrict y, const float *restrict dy,
                      float *restrict dx, catk_index count) {
  if (!dx)
    return;
  for (catk_index i = 0; i < count; ++i)
    dx[i] = 2.0f * x[i] * dy[i];
}

void cat_k_relu_bwd(const float *restrict x, const float *restrict y, const float *restrict dy,
                    float *restrict dx, catk_index count) {
  if (!dx)
    return;
  /* y > 0 exactly where x > 0, and reading y lets a fused linear-relu
   * skip storing x. dy is read unconditionally so the select vectorises
   * without masked loads. */
  for (catk_index i = 0; i < count; ++i) {
    float grad = dy[i];
    dx[i] = y[i] > 0.0f ? grad : 0.0f;
  }
}

void cat_k_sigmoid_bwd(const float *restrict x, const float *restrict y, const float *restrict dy,
                       float *restrict dx, catk_index count) {
  if (!dx)
    return;
  for (catk_index i = 0; i < count; ++i)
    dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

void cat_k_tanh_bwd(const float *restrict x, const float *restrict y, const float *restrict dy,
                    float *restrict dx, catk_index count) {
  if (!dx)
    return;
  for (catk_index i = 0; i < count; ++i)
    dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

void cat_k_gelu_bwd(const float *restrict x, const float *restrict y, const float *restrict dy,
                    float *restrict dx, catk_index count) {
  if (!dx)
    return;
  for (catk_index i = 0; i < count; ++i) {
    float density = CATK_INV_SQRT_2PI * catk_expf(-0.5f * x[i] * x[i]);
    dx[i] = dy[i] * (catk_normal_cdf(x[i]) + x[i] * density);
  }
}

/* ---- binary pointwise ------------------------------------------------------ */

void cat_k_add_fwd(const float *restrict a, const float *restrict b, float *restrict c,
                   catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    c[i] = a[i] + b[i];
}

void cat_k_sub_fwd(const float *restrict a, const float *restrict b, float *restrict c,
                   catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    c[i] = a[i] - b[i];
}

void cat_k_mul_fwd(const float *restrict a, const float *restrict b, float *restrict c,
                   catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    c[i] = a[i] * b[i];
}

void cat_k_div_fwd(const float *restrict a, const float *restrict b, float *restrict c,
                   catk_index count) {
  for (catk_index i = 0; i < count; ++i)
    c[i] = a[i] / b[i];
}

void cat_k_mul_bwd(const float *restrict a, const float *restrict b, const float *restrict dc,
                   float *restrict da, float *restrict db, catk_index count) {
  if (da)
    for (catk_index i = 0; i < count; ++i)
      da[i] = dc[i] * b[i];
  if (db)
    for (catk_index i = 0; i < count; ++i)
      db[i] = dc[i] * a[i];
}

void cat_k_div_bwd(const float *restrict a, const float *restrict b, const float *restrict dc,
                   float *restrict da, float *restrict db, catk_index count) {
  if (da)
    for (catk_index i = 0; i < count; ++i)
      da[i] = dc[i] / b[i];
  if (db)
    for (catk_index i = 0; i < count; ++i)
      db[i] = -dc[i] * a[i] / (b[i] * b[i]);
}

/* ---- parametric ------------------------------------------------------------ */

/* Sequential dot product; kept in source order so results do not depend on
 * whether LLVM vectorised the caller. */
/* Row sums keep eight interleaved partial sums (element l goes
 * to lane l mod 8, the last k mod 8 to a tail) and add them up in this
 * fixed order: LLVM does not reassociate a float reduction, so a single
 * running sum would serialise the loop, while independent lanes vectorise
 * with a result that does not depend on whether or how wide they did (as
 * in catk_dot). */
static inline float catk_lanes_total(const float lane[8], float tail) {
  return (((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]))) +
         tail;
}

static inline float catk_row_sum(const float *restrict x, catk_index k) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  catk_index l = 0;
  CATK_ROW_LOOP
  for (; l + 8 <= k; l += 8)
    for (int q = 0; q < 8; ++q)
      lane[q] += x[l + q];
  float tail = 0.0f;
  CATK_ROW_LOOP
  for (; l < k; ++l)
    tail += x[l];
  return catk_lanes_total(lane, tail);
}

static inline float catk_dot(const float *restrict a, const float *restrict b, catk_index k) {
  /* Eight independent partial sums: a fixed summation order (so results
   * stay deterministic) that LLVM vectorises without fast-math. */
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  catk_index l = 0;
  for (; l + 8 <= k; l += 8)
    for (int q = 0; q < 8; ++q)
      lane[q] += a[l + q] * b[l + q];
  float tail = 0.0f;
  for (; l < k; ++l)
    tail += a[l] * b[l];
  return catk_lanes_total(lane, tail);
}

/* y += alpha * x over k contiguous elements: the vectorisable inner loop of
 * every transposed product below. */
static inline void catk_axpy(float alpha, const float *restrict x, float *restrict y,
                             catk_index k) {
  for (catk_index l = 0; l < k; ++l)
    y[l] += alpha * x[l];
}

void cat_k_bias_fwd(const float *restrict b, const float *restrict x, float *restrict y,
                    catk_index n, catk_index m) {
  for (catk_index i = 0; i < n; ++i)
    for (catk_index j = 0; j < m; ++j)
      y[i * m + j] = x[i * m + j] + b[j];
}

void cat_k_sum_batch_acc(const float *restrict dy, float *restrict db, catk_index n, catk_index m,
                         int accumulate, const cat_k_sgd_step *restrict update) {
  if (!db)
    return;
  if (!accumulate) /* m floats: the same sums as into a cleared buffer */
    cat_k_zero(db, m);
  /* A short row unrolled keeps db in registers across the batch instead of
   * a load-add-store chain through memory for every example. */
  for (catk_index i = 0; i < n; ++i) {
    CATK_ROW_LOOP
    for (catk_index j = 0; j < m; ++j)
      db[j] += dy[i * m + j];
  }
  if (update) { /* m floats, still in cache: the pass over them is the update's own */
    catk_index at = catk_offset(db, update->grad);
    cat_k_sgd(update->params + at, db, update->velocity + at, m, update->lr, update->momentum, 0.0f,
              update->step);
  }
}

void cat_k_param_fwd(const float *restrict P, float *restrict y, catk_index n, catk_index m) {
  for (catk_index i = 0; i < n; ++i)
    for (catk_index j = 0; j < m; ++j)
      y[i * m + j] = P[j];
}

/* The row an index selects; clamping keeps a bad index from reading or
 * writing outside the table even if validation was skipped. */
static inline catk_index catk_clamp_index(int32_t index, catk_index size) {
  catk_index i = index;
  if (i < 0)
    i = 0;
  if (i >= size)
    i = size - 1;
  return i;
}

void cat_k_embed_fwd(const float *restrict E, const int32_t *restrict idx, float *restrict y,
                     catk_index count, catk_index V, catk_index d) {
  for (catk_index t = 0; t < count; ++t) {
    const float *row = E + catk_clamp_index(idx[t], V) * d;
    for (catk_index l = 0; l < d; ++l)
      y[t * d + l] = row[l];
  }
}

void cat_k_embed_bwd(const int32_t *restrict idx, const float *restrict dy, float *restrict dE,
                     catk_index count, catk_index V, catk_index d) {
  if (!dE)
    return;
  for (catk_index t = 0; t < count; ++t) {
    float *row = dE + catk_clamp_index(idx[t], V) * d;
    for (catk_index l = 0; l < d; ++l)
      row[l] += dy[t * d + l];
  }
}

/* Mean and 1/sqrt(biased variance + eps) of one row, two-pass for accuracy
 * (PyTorch's layer_norm also uses the biased variance). */
/* The layer norm's row sums go to the lanes of catk_lanes_total: a single
 * running sum is a chain of dependent adds as long as the row, and was
 * most of the layer norm's time on rows of 32. */
static inline void catk_row_moments(const float *restrict x, catk_index k, float *mean,
                                    float *rstd) {
  float mu = catk_row_sum(x, k) / (float)k;
  float sq[8] = {0, 0, 0, 0, 0, 0, 0, 0}, sq_tail = 0.0f;
  catk_index l = 0;
  for (; l + 8 <= k; l += 8)
    for (int q = 0; q < 8; ++q)
      sq[q] += (x[l + q] - mu) * (x[l + q] - mu);
  for (; l < k; ++l)
    sq_tail += (x[l] - mu) * (x[l] - mu);
  *mean = mu;
  *rstd = 1.0f / sqrtf(catk_lanes_total(sq, sq_tail) / (float)k + CATK_LAYERNORM_EPS);
}

/* The sum over a row of g dy xhat, xhat = (x - mean) rstd, in the lanes
 * of catk_dot. */
static inline float catk_row_sum_gdy_xhat(const float *restrict g, const float *restrict dy,
                                          const float *restrict x, float mean, float rstd,
                                          catk_index k) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0}, tail = 0.0f;
  catk_index l = 0;
  for (; l + 8 <= k; l += 8)
    for (int q = 0; q < 8; ++q)
      lane[q] += (g[l + q] * dy[l + q]) * ((x[l + q] - mean) * rstd);
  for (; l < k; ++l)
    tail += (g[l] * dy[l]) * ((x[l] - mean) * rstd);
  return catk_lanes_total(lane, tail);
}

void cat_k_layernorm_fwd(const float *restrict g, const float *restrict b, const float *restrict x,
                         float *restrict y, catk_index rows, catk_index k) {
  for (catk_index r = 0; r < rows; ++r) {
    const float *x_r = x + r * k;
    float mean, rstd;
    catk_row_moments(x_r, k, &mean, &rstd);
    for (catk_index l = 0; l < k; ++l)
      y[r * k + l] = g[l] * ((x_r[l] - mean) * rstd) + b[l];
  }
}

/* Recomputes the row moments rather than taking them from the forward pass:
 * the contract passes only x, and k is small. */
void cat_k_layernorm_bwd(const float *restrict g, const float *restrict x, const float *restrict dy,
                         float *restrict dg, float *restrict db, float *restrict dx,
                         catk_index rows, catk_index k, int accumulate) {
  if (!accumulate) { /* k floats each: the same sums as into cleared buffers */
    if (dg)
      cat_k_zero(dg, k);
    if (db)
      cat_k_zero(db, k);
  }
  for (catk_index r = 0; r < rows; ++r) {
    const float *x_r = x + r * k;
    const float *dy_r = dy + r * k;
    float mean, rstd;
    catk_row_moments(x_r, k, &mean, &rstd);
    /* The parameter gradients get loops of their own, which vectorise. */
    if (dg)
      for (catk_index l = 0; l < k; ++l)
        dg[l] += dy_r[l] * ((x_r[l] - mean) * rstd);
    if (db)
      for (catk_index l = 0; l < k; ++l)
        db[l] += dy_r[l];
    float sum_gdy = catk_dot(g, dy_r, k);
    float sum_gdy_xhat = catk_row_sum_gdy_xhat(g, dy_r, x_r, mean, rstd, k);
    if (!dx)
      continue;
    float mean_gdy = sum_gdy / (float)k;
    float mean_gdy_xhat = sum_gdy_xhat / (float)k;
    for (catk_index l = 0; l < k; ++l) {
      float xhat = (x_r[l] - mean) * rstd;
      dx[r * k + l] = rstd * (g[l] * dy_r[l] - mean_gdy - xhat * mean_gdy_xhat);
    }
  }
}

/* ---- monoid and shape ------------------------------------------------------ */

void cat_k_reduce_fwd(const float *restrict x, float *restrict y, catk_index n, catk_index len,
                      catk_index inner, float scale) {
  for (catk_index i = 0; i < n; ++i) {
    float *y_i = y + i * inner;
    for (catk_index l = 0; l < inner; ++l)
      y_i[l] = 0.0f;
    for (catk_index t = 0; t < len; ++t)
      catk_axpy(1.0f, x + (i * len + t) * inner, y_i, inner);
    for (catk_index l = 0; l < inner; ++l)
      y_i[l] *= scale;
  }
}

void cat_k_broadcast_fwd(const float *restrict x, float *restrict y, catk_index n, catk_index len,
                         catk_index inner, float scale) {
  for (catk_index i = 0; i < n; ++i)
    for (catk_index t = 0; t < len; ++t)
      for (catk_index l = 0; l < inner; ++l)
        y[(i * len + t) * inner + l] = scale * x[i * inner + l];
}

void cat_k_dot_fwd(const float *restrict a, const float *restrict b, float *restrict y,
                   catk_index n, catk_index k) {
  for (catk_index i = 0; i < n; ++i)
    y[i] = catk_dot(a + i * k, b + i * k, k);
}

void cat_k_dot_bwd(const float *restrict a, const float *restrict b, const float *restrict dy,
                   float *restrict da, float *restrict db, catk_index n, catk_index k) {
  if (da)
    for (catk_index i = 0; i < n; ++i)
      for (catk_index l = 0; l < k; ++l)
        da[i * k + l] = dy[i] * b[i * k + l];
  if (db)
    for (catk_index i = 0; i < n; ++i)
      for (catk_index l = 0; l < k; ++l)
        db[i * k + l] = dy[i] * a[i * k + l];
}

void cat_k_transpose(const float *restrict x, float *restrict y, catk_index n, catk_index r,
                     catk_index c) {
  for (catk_index i = 0; i < n; ++i)
    for (catk_index row = 0; row < r; ++row)
      for (catk_index col = 0; col < c; ++col)
        y[i * r * c + col * r + row] = x[i * r * c + row * c + col];
}

void cat_k_concat_fwd(const float *restrict a, const float *restrict b, float *restrict y,
                      catk_index n, catk_index na, catk_index nb) {
  catk_index width = na + nb;
  for (catk_index i = 0; i < n; ++i) {
    for (catk_index l = 0; l < na; ++l)
      y[i * width + l] = a[i * na + l];
    for (catk_index l = 0; l < nb; ++l)
      y[i * width + na + l] = b[i * nb + l];
  }
}

/* The reverse of concat; either half may be NULL when its gradient is not
 * wanted. */
void cat_k_split(const float *restrict y, float *restrict a, float *restrict b, catk_index n,
                 catk_index na, catk_index nb) {
  catk_index width = na + nb;
  for (catk_index i = 0; i < n; ++i) {
    if (a)
      for (catk_index l = 0; l < na; ++l)
        a[i * na + l] = y[i * width + l];
    if (b)
      for (catk_index l = 0; l < nb; ++l)
        b[i * nb + l] = y[i * width + na + l];
  }
}


/* Largest element of a row; the shift that keeps exp from overflowing. */
static inline float catk_row_max(const float *restrict x, catk_index k) {
  if (k < 16) {
    float best = x[0];
    CATK_ROW_LOOP
    for (catk_index l = 1; l < k; ++l)
      best = x[l] > best ? x[l] : best;
    return best;
  }
  /* Eight running maxima, which vectorise (a single one is a sequential
   * dependence chain); the maximum does not depend on the order. */
  float lane[8];
  for (int q = 0; q < 8; ++q)
    lane[q] = x[q];
  catk_index l = 8;
  for (; l + 8 <= k; l += 8)
    for (int q = 0; q < 8; ++q)
      lane[q] = x[l + q] > lane[q] ? x[l + q] : lane[q];
  float best = lane[0];
  for (int q = 1; q < 8; ++q)
    best = lane[q] > best ? lane[q] : best;
  for (; l < k; ++l)
    best = x[l] > best ? x[l] : best;
  return best;
}

/* Rows are processed in chunks of this many elements (a multiple of 8, so
 * an element's lane is the same in a chunk as in the whole row). */
#define CATK_ROW_CHUNK 256

/* catk_row_sum of exp(x - shift), for rows with no room to store the exps:
 * a chunk at a time through a stack buffer, so the exps are taken by one
 * vectorised loop and the sum is exactly catk_row_sum of the stored exps
 * (the same lanes, added in the same order). */
static inline float catk_row_sum_exp(const float *restrict x, catk_index k, float shift) {
  float buffer[CATK_ROW_CHUNK];
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  float tail = 0.0f;
  catk_index full = k / 8 * 8;
  for (catk_index c0 = 0; c0 < k; c0 += CATK_ROW_CHUNK) {
    catk_index count = k - c0 < CATK_ROW_CHUNK ? k - c0 : CATK_ROW_CHUNK;
    for (catk_index l = 0; l < count; ++l)
      buffer[l] = catk_expf(x[c0 + l] - shift);
    catk_index grouped = full - c0 < count ? full - c0 : count;
    catk_index l = 0;
    for (; l + 8 <= grouped; l += 8)
      for (int q = 0; q < 8; ++q)
        lane[q] += buffer[l + q];
    for (; l < count; ++l)
      tail += buffer[l];
  }
  return catk_lanes_total(lane, tail);
}

/* The softmax-style kernels take their exps in one flat loop over all rows
 * (rows are often shorter than a vector: 3 classes), between per-row
 * passes that subtract the max and sum. out = x minus its row's max, for
 * every row. */
static inline void catk_subtract_row_max(const float *restrict x, float *restrict out,
                                         catk_index rows, catk_index k) {
  for (catk_index r = 0; r < rows; ++r) {
    float shift = catk_row_max(x + r * k, k);
    CATK_ROW_LOOP
    for (catk_index l = 0; l < k; ++l)
      out[r * k + l] = x[r * k + l] - shift;
  }
}

static inline void catk_exp_in_place(float *restrict x, catk_index count) {
  if (!catk_pads()) {
    for (catk_index i = 0; i < count; ++i)
      x[i] = catk_expf(x[i]);
    return;
  }
  catk_index i = 0;
  for (; i + CATK_PAD <= count; i += CATK_PAD)
    for (int q = 0; q < CATK_PAD; ++q)
      x[i + q] = catk_expf(x[i + q]);
  if (i < count) {
    /* Guarded loops of constant length become masked vector moves (a
     * copy of `rest` floats would become a call to memcpy). */
    float pad[CATK_PAD] = {0};
    catk_index rest = count - i;
    for (int q = 0; q < CATK_PAD; ++q)
      if (q < rest)
        pad[q] = x[i + q];
    for (int q = 0; q < CATK_PAD; ++q)
      pad[q] = catk_expf(pad[q]);
    for (int q = 0; q < CATK_PAD; ++q)
      if (q < rest)
        x[i + q] = pad[q];
  }
}

/* Rows of the losses, whose outputs have no room for the exps, are handled
 * in blocks of up to this many elements in a stack buffer (longer rows, and
 * the degenerate k = 0, one at a time). */
#define CATK_ROW_BLOCK 128

/* Rows at least this long are processed one at a time, while they are in
 * L1; shorter ones through flat loops over all rows, which vectorise. Both
 * orders compute the same values. Scalar targets take every row at a time:
 * flat loops gain them nothing and cost each row their loop overhead. */
#define CATK_LONG_ROW 64
static inline int catk_row_at_a_time(catk_index k) { return k >= CATK_LONG_ROW || !catk_pads(); }

void cat_k_softmax_fwd(const float *restrict x, float *restrict y, catk_index rows, catk_index k) {
  if (catk_row_at_a_time(k)) {
    for (catk_index r = 0; r < rows; ++r) {
      catk_subtract_row_max(x + r * k, y + r * k, 1, k);
      catk_exp_in_place(y + r * k, k);
      float inv = 1.0f / catk_row_sum(y + r * k, k);
      for (catk_index l = 0; l < k; ++l)
        y[r * k + l] *= inv;
    }
    return;
  }
  catk_subtract_row_max(x, y, rows, k);
  catk_exp_in_place(y, rows * k);
  for (catk_index r = 0; r < rows; ++r) {
    float inv = 1.0f / catk_row_sum(y + r * k, k);
    CATK_ROW_LOOP
    for (catk_index l = 0; l < k; ++l)
      y[r * k + l] *= inv;
  }
}

void cat_k_softmax_bwd(const float *restrict y, const float *restrict dy, float *restrict dx,
                       catk_index rows, catk_index k) {
  if (!dx)
    return;
  for (catk_index r = 0; r < rows; ++r) {
    float inner = catk_dot(dy + r * k, y + r * k, k);
    for (catk_index l = 0; l < k; ++l)
      dx[r * k + l] = y[r * k + l] * (dy[r * k + l] - inner);
  }
}

/* y holds the exps until their sums are known; the max is found again
 * rather than kept (k comparisons, no buffer). */
void cat_k_log_softmax_fwd(const float *restrict x, float *restrict y, catk_index rows,
                           catk_index k) {
  catk_subtract_row_max(x, y, rows, k);
  catk_exp_in_place(y, rows * k);
  for (catk_index r = 0; r < rows; ++r) {
    const float *x_r = x + r * k;
    float *y_r = y + r * k;
    float shift = catk_row_max(x_r, k);
    float log_sum = catk_logf(catk_row_sum(y_r, k));
    CATK_ROW_LOOP
    for (catk_index l = 0; l < k; ++l)
      y_r[l] = (x_r[l] - shift) - log_sum;
  }
}

/* softmax(z) is exp(y) for y = log_softmax(z), so z need not be kept. */
void cat_k_log_softmax_bwd(const float *restrict y, const float *restrict dy, float *restrict dx,
                           catk_index rows, catk_index k) {
  if (!dx)
    return;
  for (catk_index i = 0; i < rows * k; ++i)
    dx[i] = catk_expf(y[i]);
  for (catk_index r = 0; r < rows; ++r) {
    float total = 0.0f;
    CATK_ROW_LOOP
    for (catk_index l = 0; l < k; ++l)
      total += dy[r * k + l];
    CATK_ROW_LOOP
    for (catk_index l = 0; l < k; ++l)
      dx[r * k + l] = dy[r * k + l] - dx[r * k + l] * total;
  }
}

void cat_k_causal_mask_fwd(const float *restrict x, float *restrict y, catk_index n, catk_index T) {
  for (catk_index i = 0; i < n; ++i)
    for (catk_index row = 0; row < T; ++row)
      for (catk_index col = 0; col < T; ++col) {
        catk_index e = (i * T + row) * T + col;
        float value = x[e]; /* unconditional load: the select vectorises */
        y[e] = col > row ? -INFINITY : value;
      }
}

void cat_k_causal_mask_bwd(const float *restrict dy, float *restrict dx, catk_index n,
                           catk_index T) {
  if (!dx)
    return;
  for (catk_index i = 0; i < n; ++i)
    for (catk_index row = 0; row < T; ++row)
      for (catk_index col = 0; col < T; ++col) {
        catk_index e = (i * T + row) * T + col;
        float grad = dy[e];
        dx[e] = col > row ? 0.0f : grad;
      }
}

/* ---- losses ---------------------------------------------------------------- */

/* The losses lse(z) - z_t, written as (max - z_t) + log(sum) so that the
 * common case of a confident correct prediction keeps its small loss's
 * precision, and dz = dloss (softmax(z) - onehot(t)); either may be NULL.
 * Short rows take their exps in one flat loop over all rows, then each
 * block of rows its logs and scales in flat loops over the block's sums,
 * which vectorise (a log and a division per row, in the loop over rows,
 * did not); long rows go one at a time, while each is in L1, their exps in
 * dz (without dz, summed as they are taken: the same lanes in the same
 * order, so the losses are the same bits). One function computes the
 * losses alone and both together, so that a model's evaluation and its
 * training step share one compiled kernel (ad::fuseEpilogues). */
static inline void catk_cross_entropy(const float *restrict z, const int32_t *restrict t,
                                      const float *restrict dloss, float *restrict loss,
                                      float *restrict dz, catk_index rows, catk_index k) {
  if (catk_row_at_a_time(k) || k < 1) { /* (k = 0: no block of rows to form) */
    if (!dz) { /* tested once, not in the loop: a training step pays nothing */
      for (catk_index r = 0; r < rows; ++r) {
        const float *z_r = z + r * k;
        float shift = catk_row_max(z_r, k);
        float log_sum = catk_logf(catk_row_sum_exp(z_r, k, shift));
        loss[r] = (shift - z_r[catk_clamp_index(t[r], k)]) + log_sum;
      }
      return;
    }
    for (catk_index r = 0; r < rows; ++r) {
      const float *z_r = z + r * k;
      float *dz_r = dz + r * k;
      catk_subtract_row_max(z_r, dz_r, 1, k);
      catk_exp_in_place(dz_r, k);
      float sum = catk_row_sum(dz_r, k);
      catk_index target = catk_clamp_index(t[r], k);
      if (loss)
        loss[r] = (catk_row_max(z_r, k) - z_r[target]) + catk_logf(sum);
      float scale = dloss[r] / sum;
      /* The target's -dloss inside the loop (x - 0 is x exactly): a scalar
       * update after a vector store to the same row would stall on
       * store-to-load forwarding. */
      float grad = dloss[r];
      CATK_ROW_LOOP
      for (catk_index l = 0; l < k; ++l)
        dz_r[l] = scale * dz_r[l] - (l == target ? grad : 0.0f);
    }
    return;
  }
  /* A block of rows at a time: their exps in a stack buffer padded to
   * whole vectors, so they are taken and read back with plain vector
   * stores and loads (a masked store of the last few, read back by the row
   * sums, cannot forward and stalls each row that reads it). */
  float e[4 * CATK_ROW_BLOCK];
  catk_index block_rows = 4 * CATK_ROW_BLOCK / k;
  block_rows = block_rows < CATK_ROW_BLOCK ? block_rows : CATK_ROW_BLOCK;
  for (catk_index r0 = 0; r0 < rows; r0 += block_rows) {
    catk_index count = rows - r0 < block_rows ? rows - r0 : block_rows;
    catk_index padded = (count * k + CATK_PAD - 1) / CATK_PAD * CATK_PAD;
    for (int q = 0; q < CATK_PAD; ++q)
      e[padded - CATK_PAD + q] = 0.0f;
    catk_subtract_row_max(z + r0 * k, e, count, k);
    for (catk_index i = 0; i < padded; i += CATK_PAD)
      for (int q = 0; q < CATK_PAD; ++q)
        e[i + q] = catk_expf(e[i + q]);
    /* The rows' sums, log sums and scales likewise, padded with rows of sum
     * 1 and gradient 0: whole vector steps for any number of rows. */
    catk_index rows_padded = (count + CATK_PAD - 1) / CATK_PAD * CATK_PAD;
    float sum[CATK_ROW_BLOCK], scale[CATK_ROW_BLOCK], log_sum[CATK_ROW_BLOCK];
    for (int q = 0; q < CATK_PAD; ++q)
      sum[rows_padded - CATK_PAD + q] = 1.0f;
    for (catk_index r = 0; r < count; ++r)
      sum[r] = catk_row_sum(e + r * k, k);
    if (dz)
      for (catk_index i = 0; i < rows_padded; i += CATK_PAD)
        for (int q = 0; q < CATK_PAD; ++q) /* a masked load of the gradients */
          scale[i + q] = (i + q < count ? dloss[r0 + i + q] : 0.0f) / sum[i + q];
    if (loss) {
      for (catk_index i = 0; i < rows_padded; i += CATK_PAD)
        for (int q = 0; q < CATK_PAD; ++q)
          log_sum[i + q] = catk_logf(sum[i + q]);
      CATK_ACROSS_ROWS
      for (catk_index r = 0; r < count; ++r) {
        const float *z_r = z + (r0 + r) * k;
        loss[r0 + r] = (catk_row_max(z_r, k) - z_r[catk_clamp_index(t[r0 + r], k)]) + log_sum[r];
      }
    }
    if (!dz)
      continue;
    for (catk_index r = 0; r < count; ++r) {
      float *dz_r = dz + (r0 + r) * k;
      catk_index target = catk_clamp_index(t[r0 + r], k);
      float grad = dloss[r0 + r];
      CATK_ROW_LOOP
      for (catk_index l = 0; l < k; ++l)
        dz_r[l] = scale[r] * e[r * k + l] - (l == target ? grad : 0.0f);
    }
  }
}

void cat_k_cross_entropy_bwd(const float *restrict z, const int32_t *restrict t,
                             const float *restrict dloss, float *restrict dz, catk_index rows,
                             catk_index k) {
  if (dz)
    catk_cross_entropy(z, t, dloss, NULL, dz, rows, k);
}

void cat_k_cross_entropy_fwd(const float *restrict z, const int32_t *restrict t,
                             float *restrict loss, catk_index rows, catk_index k) {
  catk_cross_entropy(z, t, NULL, loss, NULL, rows, k);
}

void cat_k_cross_entropy_fwd_bwd(const float *restrict z, const int32_t *restrict t,
                                 const float *restrict dloss, float *restrict loss,
                                 float *restrict dz, catk_index rows, catk_index k) {
  catk_cross_entropy(z, t, dloss, loss, dz, rows, k);
}

void cat_k_mse_fwd(const float *restrict a, const float *restrict b, float *restrict loss,
                   catk_index rows, catk_index k) {
  for (catk_index r = 0; r < rows; ++r) {
    float sum = 0.0f;
    for (catk_index l = 0; l < k; ++l) {
      float diff = a[r * k + l] - b[r * k + l];
      sum += diff * diff;
    }
    loss[r] = sum / (float)k;
  }
}

void cat_k_mse_bwd(const float *restrict a, const float *restrict b, const float *restrict dloss,
                   float *restrict da, float *restrict db, catk_index rows, catk_index k) {
  for (catk_index r = 0; r < rows; ++r) {
    float scale = 2.0f * dloss[r] / (float)k;
    if (da)
      for (catk_index l = 0; l < k; ++l)
        da[r * k + l] = scale * (a[r * k + l] - b[r * k + l]);
    if (db)
      for (catk_index l = 0; l < k; ++l)
        db[r * k + l] = -(scale * (a[r * k + l] - b[r * k + l]));
  }
}

/* Binary cross-entropy of a logit against a target in the form PyTorch's
 * BCEWithLogits uses: exp is only taken of -|z|. */
static inline float catk_bce(float z, float y) {
  return (z > 0.0f ? z : 0.0f) - z * y + catk_log1pf(catk_expf(-fabsf(z)));
}

/* Short rows go through a buffer a block of rows at a time, so that the
 * exps and logs run as one flat loop; long rows are summed in the lanes of
 * catk_row_sum directly (the same order either way). */
void cat_k_bce_fwd(const float *restrict z, const float *restrict y, float *restrict loss,
                   catk_index rows, catk_index k) {
  if (k > CATK_ROW_BLOCK || k < 1) {
    for (catk_index r = 0; r < rows; ++r) {
      const float *z_r = z + r * k;
      const float *y_r = y + r * k;
      float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      catk_index l = 0;
      for (; l + 8 <= k; l += 8)
        for (int q = 0; q < 8; ++q)
          lane[q] += catk_bce(z_r[l + q], y_r[l + q]);
      float tail = 0.0f;
      for (; l < k; ++l)
        tail += catk_bce(z_r[l], y_r[l]);
      loss[r] = catk_lanes_total(lane, tail) / (float)k;
    }
    return;
  }
  float block[CATK_ROW_BLOCK];
  catk_index block_rows = CATK_ROW_BLOCK / k;
  for (catk_index r0 = 0; r0 < rows; r0 += block_rows) {
    catk_index count = rows - r0 < block_rows ? rows - r0 : block_rows;
    for (catk_index i = 0; i < count * k; ++i)
      block[i] = catk_bce(z[r0 * k + i], y[r0 * k + i]);
    for (catk_index r = 0; r < count; ++r)
      loss[r0 + r] = catk_row_sum(block + r * k, k) / (float)k;
  }
}

void cat_k_bce_bwd(const float *restrict z, const float *restrict y, const float *restrict dloss,
                   float *restrict dz, float *restrict dy, catk_index rows, catk_index k) {
  /* sigmoid(z) - y first as one flat loop, so its exps vectorise even for
   * rows of one element; then scaled per row. */
  if (dz)
    for (catk_index i = 0; i < rows * k; ++i)
      dz[i] = catk_sigmoid(z[i]) - y[i];
  for (catk_index r = 0; r < rows; ++r) {
    float scale = dloss[r] / (float)k;
    if (dz) {
      CATK_ROW_LOOP
      for (catk_index l = 0; l < k; ++l)
        dz[r * k + l] = scale * dz[r * k + l];
    }
    if (dy)
      for (catk_index l = 0; l < k; ++l)
        dy[r * k + l] = -scale * z[r * k + l];
  }
}

float cat_k_mean(const float *restrict x, catk_index n) {
  if (n <= 0)
    return 0.0f;
  float sum = 0.0f;
  for (catk_index i = 0; i < n; ++i)
    sum += x[i];
  return sum / (float)n;
}

/* ---- initialisation -------------------------------------------------------- */

/* The random stream is counter-based: value i of (seed, stream) is
 * splitmix64's finaliser applied to key + (i + 1) * golden, where the key
 * mixes seed and stream. Each value is a pure function of its index, so
 * there is no generator state to carry between calls and any tensor can be
 * re-initialised alone. */
#define CATK_GOLDEN_GAMMA 0x9E3779B97F4A7C15ull

static inline uint64_t catk_mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static inline uint64_t catk_stream_key(uint64_t seed, uint64_t stream) {
  return catk_mix64(seed ^ catk_mix64(stream * CATK_GOLDEN_GAMMA + CATK_GOLDEN_GAMMA));
}

static inline uint64_t catk_random_bits(uint64_t key, catk_index index) {
  return catk_mix64(key + ((uint64_t)index + 1u) * CATK_GOLDEN_GAMMA);
}

/* A float in [0, 1) from the top 24 bits: exactly representable, so every
 * value is equally likely and 1.0 never appears. */
static inline float catk_unit_float(uint32_t bits) {
  return (float)(bits >> 8) * (1.0f / 16777216.0f);
}

void cat_k_init_uniform(float *restrict w, catk_index count, float lo, float hi, uint64_t seed,
                        uint64_t stream) {
  uint64_t key = catk_stream_key(seed, stream);
  float width = hi - lo;
  for (catk_index i = 0; i < count; ++i) {
    float u = catk_unit_float((uint32_t)(catk_random_bits(key, i) >> 32));
    w[i] = lo + width * u;
  }
}

void cat_k_dropout(const float *restrict x, float *restrict y, catk_index count, float p,
                   uint64_t seed, uint64_t stream) {
  uint64_t key = catk_stream_key(seed, stream);
  float scale = 1.0f / (1.0f - p);
  for (catk_index i = 0; i < count; ++i) {
    float u = catk_unit_float((uint32_t)(catk_random_bits(key, i) >> 32));
    y[i] = u < p ? 0.0f : x[i] * scale;
  }
}

void cat_k_init_glorot(float *restrict w, catk_index fan_out, catk_index fan_in, uint64_t seed,
                       uint64_t stream) {
  float bound = sqrtf(6.0f / (float)(fan_in + fan_out));
  cat_k_init_uniform(w, fan_out * fan_in, -bound, bound, seed, stream);
}

/* Box–Muller: one 64-bit draw gives two uniforms and so two normals, for
 * elements 2j and 2j+1. u1 lies in (0, 1] so log never sees zero. */
void cat_k_init_normal(float *restrict w, catk_index count, float stddev, uint64_t seed,
                       uint64_t stream) {
  uint64_t key = catk_stream_key(seed, stream);
  for (catk_index pair = 0; 2 * pair < count; ++pair) {
    uint64_t bits = catk_random_bits(key, pair);
    float u1 = 1.0f - catk_unit_float((uint32_t)(bits >> 32));
    float u2 = catk_unit_float((uint32_t)bits);
    float radius = stddev * sqrtf(-2.0f * logf(u1));
    float angle = CATK_TWO_PI * u2;
    w[2 * pair] = radius * cosf(angle);
    if (2 * pair + 1 < count)
      w[2 * pair + 1] = radius * sinf(angle);
  }
}

/* ---- optimizers ------------------------------------------------------------ */

/* One update of the scalar family: eight consecutive parameters per
 * iteration, the three arrays walked by pointer, so the loop's counting and
 * addressing (a third of the instructions of an element when the compiler
 * indexes each array from one counter) is shared by eight elements. The
 * arithmetic is cat_k_sgd's, element for element; first and decay are
 * constants at each call, which inlining folds. */
static inline void catk_sgd_scalar(float *restrict p, const float *restrict g, float *restrict v,
                                   catk_index count, float neg_lr, float momentum,
                                   float weight_decay, int first, int decay, int keep) {
  const float *end8 = g + (count & ~(catk_index)7), *end = g + count;
  CATK_ACROSS_ROWS
  for (; g != end8; p += 8, g += 8, v += 8) {
    /* Written out, so that -Os and -Oz, which do not unroll, keep the block. */
#define CATK_SGD_LANE(lane)                                                                        \
  {                                                                                                \
    float d = decay ? g[lane] + weight_decay * p[lane] : g[lane];                                  \
    float buf = first ? d : v[lane] * momentum + d;                                                \
    if (keep)                                                                                      \
      v[lane] = buf;                                                                               \
    p[lane] = p[lane] + neg_lr * buf;                                                              \
  }
    CATK_SGD_LANE(0) CATK_SGD_LANE(1) CATK_SGD_LANE(2) CATK_SGD_LANE(3)
    CATK_SGD_LANE(4) CATK_SGD_LANE(5) CATK_SGD_LANE(6) CATK_SGD_LANE(7)
#undef CATK_SGD_LANE
  }
  CATK_ACROSS_ROWS
  for (; g != end; ++p, ++g, ++v) {
    float d = decay ? *g + weight_decay * *p : *g;
    float buf = first ? d : *v * momentum + d;
    if (keep)
      *v = buf;
    *p = *p + neg_lr * buf;
  }
}

void cat_k_sgd(float *restrict p, const float *restrict g, float *restrict v, catk_index count,
               float lr, float momentum, float weight_decay, uint32_t step) {
  /* torch.optim.SGD adds weight_decay * p to the gradient (L2), clones it
   * into the buffer on the first step and then does
   * buf.mul_(momentum).add_(d); p.add_(buf, alpha=-lr). */
  /* Without momentum PyTorch keeps no buffer: p -= lr * d, and v is neither
   * read nor written (a constant at every call: the test folds). Otherwise
   * four loops rather than a test per element: the common case, without
   * decay, stays the plain loop (no masked loads of p). Each updates the
   * buffer and the parameter in one pass. */
  float neg_lr = -lr;
  if (catk_target_tile == CATK_TILE_SCALAR) {
    int first = step <= 1, decay = weight_decay != 0.0f;
    if (momentum == 0.0f && !decay)
      catk_sgd_scalar(p, g, v, count, neg_lr, momentum, weight_decay, 1, 0, 0);
    else if (momentum == 0.0f)
      catk_sgd_scalar(p, g, v, count, neg_lr, momentum, weight_decay, 1, 1, 0);
    else if (!decay && first)
      catk_sgd_scalar(p, g, v, count, neg_lr, momentum, weight_decay, 1, 0, 1);
    else if (!decay)
      catk_sgd_scalar(p, g, v, count, neg_lr, momentum, weight_decay, 0, 0, 1);
    else if (first)
      catk_sgd_scalar(p, g, v, count, neg_lr, momentum, weight_decay, 1, 1, 1);
    else
      catk_sgd_scalar(p, g, v, count, neg_lr, momentum, weight_decay, 0, 1, 1);
    return;
  }
  if (momentum == 0.0f && weight_decay == 0.0f)
    for (catk_index i = 0; i < count; ++i)
      p[i] = p[i] + neg_lr * g[i];
  else if (momentum == 0.0f)
    for (catk_index i = 0; i < count; ++i)
      p[i] = p[i] + neg_lr * (g[i] + weight_decay * p[i]);
  else if (weight_decay == 0.0f && step <= 1)
    for (catk_index i = 0; i < count; ++i) {
      float buf = g[i];
      v[i] = buf;
      p[i] = p[i] + neg_lr * buf;
    }
  else if (weight_decay == 0.0f)
    for (catk_index i = 0; i < count; ++i) {
      float buf = v[i] * momentum + g[i];
      v[i] = buf;
      p[i] = p[i] + neg_lr * buf;
    }
  else if (step <= 1)
    for (catk_index i = 0; i < count; ++i) {
      float buf = g[i] + weight_decay * p[i];
      v[i] = buf;
      p[i] = p[i] + neg_lr * buf;
    }
  else
    for (catk_index i = 0; i < count; ++i) {
      float buf = v[i] * momentum + (g[i] + weight_decay * p[i]);
      v[i] = buf;
      p[i] = p[i] + neg_lr * buf;
    }
}

/* torch.optim.Adam (single-tensor path) step for step:
 *   m.mul_(b1).add_(g, alpha=1-b1); v.mul_(b2).addcmul_(g, g, value=1-b2)
 *   step_size = lr / (1 - b1^t); denom = sqrt(v) / sqrt(1 - b2^t) + eps
 *   p.addcdiv_(m, denom, value=-step_size)
 * The tensor operations keep PyTorch's order, so the trajectories agree to
 * float rounding (PyTorch's CPU kernels fuse some multiply-adds; these do
 * not, as the kernels build with fp-contract=off). m and v scale by the
 * float betas, as PyTorch's mul_ does.
 *
 * PyTorch forms the scalars in double from the numbers the user wrote.
 * Everything here is float, as small cores without a double-precision unit
 * need, and is as close: the caller passes 1 - beta and ln(beta) formed in
 * double from the written betas (1 - 0.999f would be off by 1.3e-5
 * relative), and 1 - beta^t = 1 - e^(t ln beta) keeps its relative
 * accuracy for every t (catk_one_minus_expf), where the float power would
 * lose it to cancellation. */
void cat_k_adam(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                catk_index count, float lr, float beta1, float beta2, float eps, float weight_decay,
                uint32_t step, float one_minus_beta1, float one_minus_beta2, float log_beta1,
                float log_beta2) {
  float t = (float)(step < 1 ? 1 : step);
  /* AdamW's decoupled decay: param.mul_(1 - lr * weight_decay). */
  if (weight_decay != 0.0f) {
    float decay = 1.0f - lr * weight_decay;
    for (catk_index i = 0; i < count; ++i)
      p[i] = p[i] * decay;
  }
  float neg_step_size = -lr / catk_one_minus_expf(t * log_beta1);
  float bias_correction2_sqrt = sqrtf(catk_one_minus_expf(t * log_beta2));
  for (catk_index i = 0; i < count; ++i) {
    m[i] = m[i] * beta1 + one_minus_beta1 * g[i];
    v[i] = v[i] * beta2 + one_minus_beta2 * g[i] * g[i];
    float denom = sqrtf(v[i]) / bias_correction2_sqrt + eps;
    p[i] = p[i] + neg_step_size * m[i] / denom;
  }
}

void cat_k_clip_grad_norm(float *restrict g, catk_index count, float max_norm) {
  if (!(max_norm > 0.0f))
    return;
  /* In float, as PyTorch computes it (one tensor or many: the norm of the
   * per-tensor norms is the same number), and without double arithmetic,
   * which small cores emulate. Four partial sums keep the rounding error
   * down and let the loop vectorise. */
  float partial[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  catk_index i = 0;
  for (; i + 4 <= count; i += 4)
    for (int32_t lane = 0; lane < 4; ++lane)
      partial[lane] += g[i + lane] * g[i + lane];
  for (; i < count; ++i)
    partial[0] += g[i] * g[i];
  float norm = sqrtf((partial[0] + partial[1]) + (partial[2] + partial[3]));
  float coefficient = max_norm / (norm + 1e-6f);
  if (coefficient >= 1.0f)
    return;
  for (i = 0; i < count; ++i)
    g[i] = g[i] * coefficient;
}
