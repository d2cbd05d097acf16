/*===- catk.h - The kernel library that generated code calls --------------===*
 *
 * Each primitive's forward map and reverse derivative (AD.md) as a batched C
 * kernel. The build compiles catk.c and gemm.c with clang to LLVM bitcode, which catc
 * embeds and links into every module it generates (as Halide links its
 * runtime "initmods"); calls are made with constant shapes, so after
 * inlining LLVM specialises every loop. Kernels become internal symbols of
 * the generated object: no runtime library, no allocation, only libm.
 *
 * Conventions: `n` is the batch (examples); other sizes are per example;
 * tensors are batch-major and row-major. Forward kernels write (=) their
 * outputs. Backward kernels write (=) input gradients and ACCUMULATE (+=)
 * parameter gradients, summed over the batch. An input-gradient pointer may
 * be NULL when that gradient is not needed. Sizes and indices are
 * catk_index, as wide as the target's pointers, and every kernel is
 * `static`-free C99 with only float math from libm.
 *
 * Aliasing: the definitions mark their pointers `restrict`, so an output
 * buffer must never overlap any input of the same call (not even y == x for
 * a pointwise kernel). The one exception is cat_k_accumulate, whose src may
 * be dst.
 *
 *===----------------------------------------------------------------------===*/
#ifndef CATK_H
#define CATK_H

#include <stdint.h>

/* The build compiles the library twice: with 64-bit indices for 64-bit
 * targets, and with CATK_INDEX32 for 32-bit ones, whose cores would carry
 * every index in a register pair (add/adc) and every bound test in two
 * compares. catc links the variant of the target's pointer width; sizes
 * that reach a 32-bit target fit its address space. */
#ifdef CATK_INDEX32
typedef int32_t catk_index;
#else
typedef int64_t catk_index;
#endif

/* The index of p in the float array at base (p >= base): C's `p - base`
 * is a 64-bit division on the 64-bit host the bitcode is compiled on,
 * which a 32-bit target's -O0 code calls a helper for (__aeabi_ldivmod);
 * the difference in bytes shifted is a shift on every target. */
static inline catk_index catk_offset(const float *p, const float *base) {
  return (catk_index)(((uintptr_t)p - (uintptr_t)base) >> 2);
}

#ifdef __cplusplus
extern "C" {
#endif

/* ---- memory ------------------------------------------------------------ */
void cat_k_copy(const float *src, float *dst, catk_index count);
void cat_k_copy_i32(const int32_t *src, int32_t *dst, catk_index count);
void cat_k_zero(float *dst, catk_index count);
/* Parameter-gradient kernels take `accumulate`: non-zero, they add into
 * their gradient buffers (the C interface's dparams +=); zero, they write
 * them, as the first contribution of a training step whose buffer is not
 * cleared. cat_k_zero_unless clears a buffer that no kernel writes first. */
void cat_k_zero_unless(float *dst, catk_index count, int accumulate);
void cat_k_fill(float *dst, catk_index count, float value);
void cat_k_accumulate(float *dst, const float *src, catk_index count); /* dst += src */
/* A training step with SGD (no weight decay, no clipping) applies the update
 * inside the kernel that computes a tensor's gradient, while the gradient is
 * still in registers, instead of storing it for a pass of cat_k_sgd over the
 * whole model: the kernels that take `update` (NULL: none) apply it to the
 * parameters of the gradient they compute, element for element the
 * arithmetic of cat_k_sgd (bit for bit), after they have read those
 * parameters for anything else. `grad` is the gradient buffer the kernel's
 * gradient pointer points into; the element at grad + i is the gradient of
 * params[i], with momentum buffer velocity[i]. What the kernel leaves in the
 * gradient buffer is unspecified. */
typedef struct cat_k_sgd_step {
  const float *grad;
  float *params;
  float *velocity;
  float lr, momentum;
  uint32_t step; /* counts from 1, as cat_k_sgd's */
} cat_k_sgd_step;

/* ---- pointwise: count = n * elements per example ------------------------- */
void cat_k_neg_fwd(const float *x, float *y, catk_index count);
void cat_k_exp_fwd(const float *x, float *y, catk_index count);
void cat_k_log_fwd(const float *x, float *y, catk_index count);
void cat_k_sqrt_fwd(const float *x, float *y, catk_index count);
void cat_k_square_fwd(const float *x, float *y, catk_index count);
void cat_k_relu_fwd(const float *x, float *y, catk_index count);
void cat_k_sigmoid_fwd(const float *x, float *y, catk_index count);
void cat_k_tanh_fwd(const float *x, float *y, catk_index count);
void cat_k_gelu_fwd(const float *x, float *y, catk_index count);   /* exact, erf */
void cat_k_scale_fwd(const float *x, float *y, catk_index count, float c);
/* dx = R[f](x, dy); y is f(x), passed so kernels may reuse it. exp, sqrt,
 * relu, sigmoid and tanh read only y and dy: x may be NULL for them. */
void cat_k_exp_bwd(const float *x, const float *y, const float *dy, float *dx, catk_index count);
void cat_k_log_bwd(const float *x, const float *y, const float *dy, float *dx, catk_index count);
void cat_k_sqrt_bwd(const float *x, const float *y, const float *dy, float *dx, catk_index count);
void cat_k_square_bwd(const float *x, const float *y, const float *dy, float *dx, catk_index count);
void cat_k_relu_bwd(const float *x, const float *y, const float *dy, float *dx, catk_index count);
void cat_k_sigmoid_bwd(const float *x, const float *y, const float *dy, float *dx,
                       catk_index count);
void cat_k_tanh_bwd(const float *x, const float *y, const float *dy, float *dx, catk_index count);
void cat_k_gelu_bwd(const float *x, const float *y, const float *dy, float *dx, catk_index count);

void cat_k_add_fwd(const float *a, const float *b, float *c, catk_index count);
void cat_k_sub_fwd(const float *a, const float *b, float *c, catk_index count);
void cat_k_mul_fwd(const float *a, const float *b, float *c, catk_index count);
void cat_k_div_fwd(const float *a, const float *b, float *c, catk_index count);
void cat_k_mul_bwd(const float *a, const float *b, const float *dc, float *da, float *db,
                   catk_index count);
void cat_k_div_bwd(const float *a, const float *b, const float *dc, float *da, float *db,
                   catk_index count);

/* ---- parametric ---------------------------------------------------------- */
/* The dense products (gemm.c) are one blocked GEMM whose register tile is
 * sized for a family of vector units. Generated code passes one family as
 * the `tile` argument, a compile-time constant chosen by catc from the
 * target's vector registers; every family is correct on every target. */
#define CATK_TILE_SCALAR 0 /* no SIMD unit: scalar FPU registers (Cortex-M4F, RV32/RV64 without V) */
#define CATK_TILE_V128 1   /* 16 x 128-bit registers (SSE2, NEON) */
#define CATK_TILE_V256 2   /* 16 x 256-bit registers with FMA (AVX2) */
#define CATK_TILE_V512 3   /* 32 x 512-bit registers (AVX-512) */
/* Floats per vector of a family: 1, 4, 8, 16. */
#define CATK_TILE_LANES(tile) ((tile) == CATK_TILE_SCALAR ? 1 : 2 << (tile))
/* Epilogues fused into linear_fwd: y = act(W x + b). */
#define CATK_ACT_NONE 0
#define CATK_ACT_RELU 1
/* Floats of scratch linear_fwd provides for its packed copy of W^T: k rows
 * of m rounded up to whole vectors of the widest family, the same for every
 * vector family on purpose (a generated header's workspace size is then the
 * same for every target with SIMD). The one-lane family reads W in place and
 * needs none, which matters most where RAM is scarcest. */
#define CATK_LINEAR_FWD_SCRATCH(m, k, tile)                                                        \
  ((tile) == CATK_TILE_SCALAR ? 0 : (k) * (((m) + 15) / 16 * 16))
/* Operands whose successive rows lie this many floats apart or more (4 KiB)
 * are copied before they are reused (gemm.c): read in place, every row is a
 * new page, and at power-of-two strides all rows fall into one set of the
 * L1 cache, so each multiply-add step waits for L2. */
#define CATK_FAR 1024
/* Floats of scratch linear_bwd provides for the weight gradient of a layer
 * of m >= CATK_FAR outputs, whose dy^T is such an operand: packed blocks of
 * dy^T (at most 128 x 256) and of x (at most 256 steps of the batch by 512
 * of its k columns, rounded up to whole vectors), the largest of every
 * vector family. The other products read their operands in place. */
#define CATK_LINEAR_BWD_SCRATCH(m, k, tile)                                                        \
  ((tile) == CATK_TILE_SCALAR || (m) < CATK_FAR                                                    \
       ? 0                                                                                         \
       : 256 * 128 + 256 * ((k) < 512 ? ((k) + 15) / 16 * 16 : 512))
/* Floats of scratch matmul_bwd provides: dA's packed copy of B^T (p rows of
 * k, rounded up), or, when more, the packed blocks of dB = A^T dC for A's
 * rows of k >= CATK_FAR (as linear_bwd's dW); dA is done before dB starts. */
#define CATK_MATMUL_BWD_SCRATCH(k, p, tile)                                                        \
  (CATK_LINEAR_FWD_SCRATCH(k, p, tile) > CATK_LINEAR_BWD_SCRATCH(k, p, tile)                       \
       ? CATK_LINEAR_FWD_SCRATCH(k, p, tile)                                                       \
       : CATK_LINEAR_BWD_SCRATCH(k, p, tile))

/* linear: W is [m, k] (outputs x inputs); x [n, k] -> y [n, m] = act(x W^T + bias).
 * bias [m] may be NULL; scratch holds CATK_LINEAR_FWD_SCRATCH(m, k, tile)
 * floats, 16-byte aligned (NULL when that is 0). */
void cat_k_linear_fwd(const float *W, const float *bias, const float *x, float *y, catk_index n,
                      catk_index m, catk_index k, int act, float *scratch, int tile);
/* dx = dy W (written; may be NULL); dW += sum_i dy_i x_i^T (may be NULL;
 * = with accumulate 0), or that applied by `update` (dx is computed first).
 * scratch holds CATK_LINEAR_BWD_SCRATCH(m, k, tile) floats, 16-byte aligned
 * (NULL when that is 0). */
void cat_k_linear_bwd(const float *W, const float *x, const float *dy, float *dW, float *dx,
                      catk_index n, catk_index m, catk_index k, float *scratch, int tile,
                      int accumulate, const cat_k_sgd_step *update);
/* bias: y = x + b, b is [m]. */
void cat_k_bias_fwd(const float *b, const float *x, float *y, catk_index n, catk_index m);
/* db += sum_i dy_i (also the reverse of `param`: dP += sum_i dy_i); = with
 * accumulate 0; then applied by `update` if that is not NULL. */
void cat_k_sum_batch_acc(const float *dy, float *db, catk_index n, catk_index m, int accumulate,
                         const cat_k_sgd_step *update);
/* param : 1 -> A: y_i = P for every example. */
void cat_k_param_fwd(const float *P, float *y, catk_index n, catk_index m);
/* embed: E is [V, d]; idx [count] in [0, V) -> y [count, d]. Out-of-range
 * indices are clamped (the runtime validates data before it gets here). */
void cat_k_embed_fwd(const float *E, const int32_t *idx, float *y, catk_index count, catk_index V,
                     catk_index d);
void cat_k_embed_bwd(const int32_t *idx, const float *dy, float *dE, catk_index count, catk_index V,
                     catk_index d);
/* layernorm over the last k elements of each of `rows` rows; eps = 1e-5,
 * biased variance. g (gain) and b (bias) are [k]. */
void cat_k_layernorm_fwd(const float *g, const float *b, const float *x, float *y, catk_index rows,
                         catk_index k);
void cat_k_layernorm_bwd(const float *g, const float *x, const float *dy, float *dg, float *db,
                         float *dx, catk_index rows, catk_index k, int accumulate);

/* ---- monoid and shape ------------------------------------------------------ */
/* x is [n, len, inner] -> y [n, inner], y = scale * sum over len
 * (sum: scale 1; mean: scale 1/len). */
void cat_k_reduce_fwd(const float *x, float *y, catk_index n, catk_index len, catk_index inner,
                      float scale);
/* x is [n, inner] -> y [n, len, inner], y = scale * x at every position. */
void cat_k_broadcast_fwd(const float *x, float *y, catk_index n, catk_index len, catk_index inner,
                         float scale);
/* dot: a, b [n, k] -> y [n]. */
void cat_k_dot_fwd(const float *a, const float *b, float *y, catk_index n, catk_index k);
void cat_k_dot_bwd(const float *a, const float *b, const float *dy, float *da, float *db,
                   catk_index n, catk_index k);
/* matmul per example: A [m, k] * B [k, p] -> C [m, p] (gemm.c). */
void cat_k_matmul_fwd(const float *A, const float *B, float *C, catk_index n, catk_index m,
                      catk_index k, catk_index p, int tile);
/* dA = dC B^T, dB = A^T dC, both written (either may be NULL); scratch holds
 * CATK_MATMUL_BWD_SCRATCH(k, p, tile) floats, 16-byte aligned. */
void cat_k_matmul_bwd(const float *A, const float *B, const float *dC, float *dA, float *dB,
                      catk_index n, catk_index m, catk_index k, catk_index p, float *scratch,
                      int tile);
/* transpose per example: x [r, c] -> y [c, r]. */
void cat_k_transpose(const float *x, float *y, catk_index n, catk_index r, catk_index c);
/* concat per example: a [na], b [nb] -> y [na + nb]; split is its reverse. */
void cat_k_concat_fwd(const float *a, const float *b, float *y, catk_index n, catk_index na,
                      catk_index nb);
void cat_k_split(const float *y, float *a, float *b, catk_index n, catk_index na, catk_index nb);
/* softmax / log_softmax over the last k of each of `rows` rows (stable). */
void cat_k_softmax_fwd(const float *x, float *y, catk_index rows, catk_index k);
void cat_k_softmax_bwd(const float *y, const float *dy, float *dx, catk_index rows, catk_index k);
void cat_k_log_softmax_fwd(const float *x, float *y, catk_index rows, catk_index k);
void cat_k_log_softmax_bwd(const float *y, const float *dy, float *dx, catk_index rows,
                           catk_index k);
/* causal_mask per example on [T, T]: entries above the diagonal -> -inf. */
void cat_k_causal_mask_fwd(const float *x, float *y, catk_index n, catk_index T);
void cat_k_causal_mask_bwd(const float *dy, float *dx, catk_index n, catk_index T);

/* ---- losses: one loss per row; dloss is the gradient per row ------------- */
/* cross_entropy(z [rows, k], t [rows]) = lse(z) - z_t. */
void cat_k_cross_entropy_fwd(const float *z, const int32_t *t, float *loss, catk_index rows,
                             catk_index k);
/* Both at once, sharing the exps (the training step's fusion of the two):
 * the same loss and dz, bit for bit, as the two kernels. loss or dz may be
 * NULL (dz NULL: the losses alone, as cat_k_cross_entropy_fwd; dloss is not
 * read). */
void cat_k_cross_entropy_fwd_bwd(const float *z, const int32_t *t, const float *dloss, float *loss,
                                 float *dz, catk_index rows, catk_index k);
void cat_k_cross_entropy_bwd(const float *z, const int32_t *t, const float *dloss, float *dz,
                             catk_index rows, catk_index k);
/* mse(a, b) = mean over k of (a - b)^2. */
void cat_k_mse_fwd(const float *a, const float *b, float *loss, catk_index rows, catk_index k);
void cat_k_mse_bwd(const float *a, const float *b, const float *dloss, float *da, float *db,
                   catk_index rows, catk_index k);
/* bce(z, y) on logits, mean over k; db is the gradient for the targets y. */
void cat_k_bce_fwd(const float *z, const float *y, float *loss, catk_index rows, catk_index k);
void cat_k_bce_bwd(const float *z, const float *y, const float *dloss, float *dz, float *dy,
                   catk_index rows, catk_index k);
/* Returns the mean of x[0..n). */
float cat_k_mean(const float *x, catk_index n);

/* ---- initialisation (deterministic in seed and stream) ------------------- */
/* Glorot/Xavier uniform for a [fan_out, fan_in] matrix. */
void cat_k_init_glorot(float *w, catk_index fan_out, catk_index fan_in, uint64_t seed,
                       uint64_t stream);
/* Normal(0, stddev). */
void cat_k_init_normal(float *w, catk_index count, float stddev, uint64_t seed, uint64_t stream);
void cat_k_init_uniform(float *w, catk_index count, float lo, float hi, uint64_t seed,
                        uint64_t stream);

/* Inverted dropout of a training step: y[i] = x[i] / (1 - p), or 0 with
 * probability p, the mask a function of (seed, stream, i) only, so that the
 * reverse derivative is the same call on the output gradient. */
void cat_k_dropout(const float *x, float *y, catk_index count, float p, uint64_t seed,
                   uint64_t stream);

/* ---- optimizers (PyTorch semantics, AD.md); `step` counts from 1 -------- */
/* With d = g + weight_decay * p: v = momentum * v + d (v = d at step 1);
 * p -= lr * v (torch.optim.SGD). Without momentum, p -= lr * d and v is
 * not touched (PyTorch keeps no buffer then). */
void cat_k_sgd(float *p, const float *g, float *v, catk_index count, float lr, float momentum,
               float weight_decay, uint32_t step);
/* torch.optim.Adam, or torch.optim.AdamW with weight_decay > 0 (p scaled by
 * 1 - lr * weight_decay first). one_minus_beta<i> and log_beta<i> are
 * 1 - beta<i> and ln(beta<i>) computed in double from the decimal betas. */
void cat_k_adam(float *p, const float *g, float *m, float *v, catk_index count, float lr,
                float beta1, float beta2, float eps, float weight_decay, uint32_t step,
                float one_minus_beta1, float one_minus_beta2, float log_beta1, float log_beta2);
/* torch.nn.utils.clip_grad_norm_: g scaled by max_norm / (|g| + 1e-6) when
 * that is below 1; max_norm <= 0 clips nothing. */
void cat_k_clip_grad_norm(float *g, catk_index count, float max_norm);

/* ---- int8 inference (quant.c) ------------------------------------------- */
/* real = scale * (q - zero) for int8 q. A real multiplier M > 0 is given as
 * multiplier * 2^(shift - 31), multiplier in [2^30, 2^31) (TFLite's
 * QuantizeMultiplier); cat_k_requantize(acc, multiplier, shift) is acc * M
 * rounded to an integer as TFLite does it, with integer arithmetic only:
 * gemmlowp's SaturatingRoundingDoublingHighMul (to nearest, ties upward)
 * then RoundingDivideByPOT (to nearest, ties away from zero), saturating
 * where acc * 2^shift overflows. */
int32_t cat_k_requantize(int32_t acc, int32_t multiplier, int32_t shift);
/* The requantization of one output channel of cat_k_qlinear_fwd, one
 * record per channel so that a channel's numbers are one load (an LDM on
 * ARM): multiplier and shift as above, and round = 2^(-shift - 2) where
 * shift <= -2 (the rounding quant.c's fast path adds), 0 elsewhere. */
typedef struct catk_requant {
  int32_t multiplier, shift, round;
} catk_requant;
/* Dense layer on int8: W [m, k] (weights, zero point 0), x [n, k] (zero
 * point x_zero), bias [m] int32 at scale scale_x * scale_w[j] (may be NULL);
 * y[i][j] = clamp(y_zero + requantize(bias[j] + sum_l (x[i][l] - x_zero) *
 * W[j][l], requant[j].multiplier, requant[j].shift), lo, hi): lo = -128 and
 * hi = 127, or lo = y_zero for a fused ReLU. shifts_right promises that
 * every channel's shift is -2 or less (catc knows it: no test per channel).
 * With pair_layout, the rows of channels 2p and 2p + 1 are interleaved word
 * by word (word q of row 2p at 8q of their 2k bytes, of row 2p + 1 at
 * 8q + 4), for ARM's DSP path (quant.c): only where that path runs, k is
 * a multiple of 4 and x_zero is 0. The int32 sum is exact for k < 65,793. */
void cat_k_qlinear_fwd(const int8_t *W, const int32_t *bias, const int8_t *x, int8_t *y,
                       catk_index n, catk_index m, catk_index k, int32_t x_zero,
                       const catk_requant *requant, int32_t shifts_right, int32_t pair_layout,
                       int32_t y_zero, int32_t lo, int32_t hi);
/* q = clamp(round(x / scale) + zero, -128, 127), ties away from zero; NaN
 * becomes the zero point. */
void cat_k_quantize(const float *x, int8_t *q, catk_index count, float scale, int32_t zero);
/* The same of c * x (cat_k_scale_fwd's product, then the quotient: the
 * same bits as the two kernels one after the other), without storing c * x. */
void cat_k_scale_quantize(const float *x, int8_t *q, catk_index count, float c, float scale,
                          int32_t zero);
/* x = scale * (q - zero). */
void cat_k_dequantize(const int8_t *q, float *x, catk_index count, float scale, int32_t zero);
/* Calibration: range[0] = min(range[0], x...), range[1] = max(range[1], x...);
 * NaNs are ignored. */
void cat_k_minmax(const float *x, catk_index count, float *range);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CATK_H */
