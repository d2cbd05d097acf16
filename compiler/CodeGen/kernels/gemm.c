/*===- gemm.c - Dense products: linear and matmul, forward and reverse ----===*
 *
 * Implements the dense products of catk.h (cat_k_linear_*, cat_k_matmul_*)
 * as one blocked GEMM in the manner of BLIS: a micro-kernel keeps an MR x NR
 * tile of C in vector registers, broadcasts elements of A straight from
 * memory (row-major or, through strides, transposed) and loads rows of B as
 * vectors; loops over blocks of N, K and M around it (NC, KC, MC) keep the
 * operands in cache on large shapes, and operands whose rows lie far apart
 * are copied before reuse. Every product is C = A B with strides:
 *
 *   linear forward   y  = x W^T (+ bias, relu)   B = W^T, packed
 *   linear dx        dx = dy W                   B = W row-major
 *   linear dW        dW += dy^T x                A = dy^T through strides
 *   matmul forward   C  = A B
 *   matmul dA, dB    dA = dC B^T (B^T packed), dB = A^T dC
 *
 * The micro-kernel and the loops around it are written once, as macros over
 * the vector type and tile size, and instantiated for each tile family of
 * catk.h; generated code passes the family as a constant, so the other three
 * vanish once catc specialises the call. The vector types are GCC/clang
 * vector extensions, so every family is correct on every target (a wide
 * vector is split on a narrow machine), and fast on the one it was sized for.
 *
 * Summation order is fixed: within each block of the summed index (its
 * size fixed per family and shape) the products are added in increasing
 * order, one multiply-add at a time, starting from zero, and the block's sum
 * is then added to the start value (the bias, or C as accumulated so far).
 * No order depends on the batch size, the alignment of the pointers or
 * whether an operand was copied, so an example's result is the same bits in
 * any batch.
 *
 *===----------------------------------------------------------------------===*/
#include "catk.h"

#include <stdint.h>

/* The library is compiled with -ffp-contract=off so that pointwise kernels
 * round like PyTorch; here a * b + c should become one FMA where the target
 * has one (llvm.fmuladd: an FMA, or a multiply and an add elsewhere, never a
 * libm call). GCC does not know the pragma and contracts by default. */
#ifdef __clang__
#pragma STDC FP_CONTRACT ON
#endif

#define CATK_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Where a block must round as catk.c does (FP_CONTRACT ON above), at the
 * start of the block. */
#ifdef __clang__
#define CATK_NO_CONTRACT _Pragma("STDC FP_CONTRACT OFF")
#else
#define CATK_NO_CONTRACT
#endif

/* Loops over the rows and vectors of a tile must be unrolled for the tile to
 * live in registers, and the bitcode is built with -fno-unroll-loops, which
 * marks every loop without a pragma "do not unroll". The one-lane family
 * unrolls its summed index by 4 too: a scalar core otherwise spends as many
 * instructions on the loop as on the multiply-adds of a narrow tile. GCC
 * builds only the native library for unit tests, and its unroll pragma
 * would make that one compile take minutes. */
#if defined(__clang__)
#define CATK_UNROLL _Pragma("clang loop unroll(full)")
#define CATK_UNROLL_BY(n) _Pragma(CATK_STRINGIFY(clang loop unroll_count(n)))
#define CATK_STRINGIFY(x) #x
#else
#define CATK_UNROLL
#define CATK_UNROLL_BY(n)
#endif

/* The register width a tile family is sized for. Clang marks every function
 * with the widest vector its signature uses ("min-legal-vector-width"), and
 * where the CPU's tuning prefers 256-bit vectors (Intel's server cores) the
 * backend then splits a 512-bit tile into twice as many ymm registers,
 * spills, and runs at half speed. The micro-kernels say what they need; the
 * inliner raises their callers' width to it. catc drops the attribute from
 * the library (CodeGen.cpp), which leaves every width legal: this is for
 * clang builds of this file, such as bench/gemm_bench.c. */
#if defined(__clang__)
#define CATK_VECTOR_BITS(bits) __attribute__((min_vector_width(bits)))
#else
#define CATK_VECTOR_BITS(bits)
#endif

/* Vector types for unaligned loads and stores straight through a cast:
 * aligned(4) makes the access unaligned, may_alias lets it read floats. */
typedef float catk_f1 __attribute__((vector_size(4), aligned(4), may_alias));
typedef float catk_f4 __attribute__((vector_size(16), aligned(4), may_alias));
typedef float catk_f8 __attribute__((vector_size(32), aligned(4), may_alias));
typedef float catk_f16 __attribute__((vector_size(64), aligned(4), may_alias));
typedef int32_t catk_i1 __attribute__((vector_size(4)));
typedef int32_t catk_i4 __attribute__((vector_size(16)));
typedef int32_t catk_i8 __attribute__((vector_size(32)));
typedef int32_t catk_i16 __attribute__((vector_size(64)));

/* ---- packing --------------------------------------------------------------- */

/* Copies B(l, j) = src[j * lds + l] (B stored transposed, as W is for the
 * forward product) for columns [j0, j0 + nc) and rows [p0, p0 + kc) into the
 * panel layout the micro-kernel reads: the panel of columns [jr, jr + nr)
 * starts at dst + jr * K and holds K rows of `width` floats, where width is
 * nr, or for the last, narrower panel its width rounded up to whole vectors
 * of `lanes` (zero filled) so that it too is read with full vector loads.
 * 4 x 4 blocks are transposed in registers. */
static void catk_pack_bt(const float *restrict src, catk_index lds, catk_index K, catk_index N,
                         catk_index j0, catk_index nc, catk_index p0, catk_index kc, int32_t nr,
                         int32_t lanes, float *restrict dst) {
  for (catk_index jr = j0; jr < j0 + nc; jr += nr) {
    catk_index w = N - jr < nr ? N - jr : nr, w4 = w / 4 * 4;
    catk_index width = (w + lanes - 1) / lanes * lanes;
    float *panel = dst + jr * K + p0 * width;
    const float *rows = src + jr * lds + p0;
    catk_index k4 = kc / 4 * 4, l;
    /* 64 rows of the panel (8 KiB for V512) at a time stay in L1 while four
     * rows of W after another fill them; more rows of W at once would
     * collide in one L1 set when W's rows are 4 KiB apart. */
    for (catk_index lb = 0; lb < k4; lb += 64)
      for (catk_index j = 0; j < w4; j += 4)
        for (l = lb; l < lb + 64 && l < k4; l += 4) {
          const float *r = rows + j * lds + l;
          catk_f4 r0 = *(const catk_f4 *)r, r1 = *(const catk_f4 *)(r + lds);
          catk_f4 r2 = *(const catk_f4 *)(r + 2 * lds), r3 = *(const catk_f4 *)(r + 3 * lds);
          catk_f4 t0 = __builtin_shufflevector(r0, r1, 0, 4, 1, 5);
          catk_f4 t1 = __builtin_shufflevector(r0, r1, 2, 6, 3, 7);
          catk_f4 t2 = __builtin_shufflevector(r2, r3, 0, 4, 1, 5);
          catk_f4 t3 = __builtin_shufflevector(r2, r3, 2, 6, 3, 7);
          float *out = panel + l * width + j;
          *(catk_f4 *)out = __builtin_shufflevector(t0, t2, 0, 1, 4, 5);
          *(catk_f4 *)(out + width) = __builtin_shufflevector(t0, t2, 2, 3, 6, 7);
          *(catk_f4 *)(out + 2 * width) = __builtin_shufflevector(t1, t3, 0, 1, 4, 5);
          *(catk_f4 *)(out + 3 * width) = __builtin_shufflevector(t1, t3, 2, 3, 6, 7);
        }
    for (l = k4; l < kc; ++l) /* the last < 4 rows */
      for (catk_index j = 0; j < w4; ++j)
        panel[l * width + j] = rows[j * lds + l];
    if (w4 < width) /* the last < 4 columns and the zero padding */
      for (l = 0; l < kc; ++l)
        for (catk_index j = w4; j < width; ++j)
          panel[l * width + j] = j < w ? rows[j * lds + l] : 0.0f;
  }
}

/* ---- the micro-kernel and the loops around it ------------------------------ */

/* CATK_MICRO defines catk_micro_<F>: one tile of C (row stride ldc), rows
 * [0, mr) and columns [0, w), becomes start + sum over l < kc of
 * A(i, l) B(l, j), where A(i, l) = a[i * rsa + l * csa] and
 * B(l, j) = b[l * rsb + j * csb] (csb is 1 unless the vectors have one
 * lane). The start is C itself (load_c), else the bias row, else nothing;
 * it is added after the sum, so the tile's lines of C, prefetched on entry,
 * are not waited for before the first multiply-add. relu clamps the tile
 * before it is stored. w <= NR is a constant at every call site, and so
 * is mr <= MR except in the last row tile of a batch, so the tests on them
 * fold and the accumulators live in registers; the loops run over the
 * vectors and rows there are, so LLVM unrolls no copies it must then
 * delete (15 % of iris's compile time). Where they are not constants (the
 * library built natively, unspecialised) the loops run over MR and NV
 * with the tests, and still unroll.
 * `bfull`: rows of B may be read in whole vectors past w (a zero-padded
 * pack); otherwise the last, partial vector is read by memcpy of the cnt
 * floats, and nothing outside the matrices is touched. The partial vectors
 * of C are copied likewise: one instruction or two once cnt is a constant,
 * where a loop over the lanes is unrolled VW times before it folds. */
#define CATK_MICRO(F, VT, VI, VW, MR, NV, SUM_UNROLL)                                               \
  /* cat_k_sgd (without weight decay) of the parameters whose gradient is                           \
   * the tile `acc` (rows [0, mr), columns [0, w)), which would be stored at                        \
   * c: element for element its arithmetic, uncontracted as catk.c is built,                        \
   * so that a step fused so and one through the gradient buffer give the                           \
   * same bits. The step's settings are read once a tile; `first` (v = g)                           \
   * and `keep` (store v: there is momentum) are constants at each call. */                         \
  CATK_ALWAYS_INLINE CATK_VECTOR_BITS(VW * 32)                                                      \
  void catk_update_##F(VT acc[MR][NV], int32_t nr, int32_t nv, int32_t mr,                          \
                       int32_t w, const float *c, catk_index ldc,                                   \
                       const cat_k_sgd_step *restrict u, int32_t first,                             \
                       int32_t keep) {                                                              \
    CATK_NO_CONTRACT                                                                                \
    catk_index at = catk_offset(c, u->grad);                                                        \
    float *params = u->params + at, *velocity = u->velocity + at;                                   \
    VT neg_lr = -u->lr - (VT){0}, momentum = u->momentum - (VT){0};                                 \
    CATK_UNROLL for (int32_t i = 0; i < nr; ++i)                                                    \
      CATK_UNROLL for (int32_t v = 0; v < nv; ++v) {                                                \
        int32_t cnt = w - v * VW;                                                                   \
        if (i >= mr || cnt <= 0)                                                                    \
          continue;                                                                                 \
        float *p = params + i * ldc + v * VW, *vel = velocity + i * ldc + v * VW;                   \
        VT param = {0}, old = {0}, buf = acc[i][v];                                                 \
        if (cnt >= VW) {                                                                            \
          param = *(const VT *)p;                                                                   \
          if (!first)                                                                               \
            old = *(const VT *)vel;                                                                 \
        } else {                                                                                    \
          __builtin_memcpy(&param, p, cnt * sizeof(float));                                         \
          if (!first)                                                                               \
            __builtin_memcpy(&old, vel, cnt * sizeof(float));                                       \
        }                                                                                           \
        if (!first)                                                                                 \
          buf = old * momentum + buf;                                                               \
        param = param + neg_lr * buf;                                                               \
        if (cnt >= VW) {                                                                            \
          if (keep)                                                                                 \
            *(VT *)vel = buf;                                                                       \
          *(VT *)p = param;                                                                         \
        } else {                                                                                    \
          if (keep)                                                                                 \
            __builtin_memcpy(vel, &buf, cnt * sizeof(float));                                       \
          __builtin_memcpy(p, &param, cnt * sizeof(float));                                         \
        }                                                                                           \
      }                                                                                             \
  }                                                                                                 \
  CATK_ALWAYS_INLINE CATK_VECTOR_BITS(VW * 32)                                                      \
  void catk_micro_##F(int32_t mr, int32_t w, int32_t bfull,                                         \
                      const float *restrict a, catk_index rsa, catk_index csa,                      \
                      const float *restrict b, catk_index rsb, catk_index csb,                      \
                      float *restrict c, catk_index ldc, catk_index kc,                             \
                      int32_t load_c, const float *restrict bias,                                   \
                      int32_t relu, const cat_k_sgd_step *restrict upd) {                           \
    VT acc[MR][NV];                                                                                 \
    /* The vectors a row of the tile spans: a constant, so that the loops                           \
     * below unroll into those alone, not NV copies of which some fold away. */                     \
    const int32_t nv = __builtin_constant_p(w) ? (w + VW - 1) / VW : NV;                            \
    /* Likewise the rows when their number is a constant; the last tile of                          \
     * a batch keeps MR rows, those past mr skipped, so that it unrolls. */                         \
    const int32_t nr = __builtin_constant_p(mr) ? mr : MR;                                          \
    CATK_UNROLL for (int32_t i = 0; i < nr; ++i)                                                    \
      CATK_UNROLL for (int32_t v = 0; v < nv; ++v) {                                                \
        acc[i][v] = -(VT){0}; /* -0: x + -0 is x, so the first add folds */                         \
        if (VW > 1 && load_c && i < mr && v * VW % 16 == 0)                                         \
          __builtin_prefetch(c + i * ldc + v * VW);                                                 \
      }                                                                                             \
    SUM_UNROLL for (catk_index l = 0; l < kc; ++l) {                                                \
      VT row[NV];                                                                                   \
      CATK_UNROLL for (int32_t v = 0; v < nv; ++v) {                                                \
        const float *from = b + l * rsb + v * VW * csb;                                             \
        int32_t cnt = w - v * VW;                                                                   \
        VT value = {0};                                                                             \
        if (cnt <= 0)                                                                               \
          ;                                                                                         \
        else if (cnt >= VW || bfull)                                                                \
          value = *(const VT *)from;                                                                \
        else                                                                                        \
          __builtin_memcpy(&value, from, cnt * sizeof(float));                                      \
        row[v] = value;                                                                             \
      }                                                                                             \
      CATK_UNROLL for (int32_t i = 0; i < nr; ++i) {                                                \
        if (i >= mr)                                                                                \
          continue;                                                                                 \
        VT s = a[i * rsa + l * csa] - (VT){0}; /* broadcast; x - 0 folds away */                    \
        CATK_UNROLL for (int32_t v = 0; v < nv; ++v)                                                \
          if (v * VW < w)                                                                           \
            acc[i][v] = acc[i][v] + s * row[v];                                                     \
      }                                                                                             \
    }                                                                                               \
    CATK_UNROLL for (int32_t i = 0; i < nr; ++i)                                                    \
      CATK_UNROLL for (int32_t v = 0; v < nv; ++v) {                                                \
        int32_t cnt = w - v * VW;                                                                   \
        if (i >= mr || cnt <= 0)                                                                    \
          continue;                                                                                 \
        const float *from = load_c ? c + i * ldc + v * VW : bias ? bias + v * VW : 0;               \
        VT out = acc[i][v];                                                                         \
        if (from) {                                                                                 \
          VT start = {0};                                                                           \
          if (cnt >= VW)                                                                            \
            start = *(const VT *)from;                                                              \
          else                                                                                      \
            __builtin_memcpy(&start, from, cnt * sizeof(float));                                    \
          out = start + out;                                                                        \
        } else {                                                                                    \
          out = out + (VT){0}; /* -0 + 0: as if the sum had started at +0 */                        \
        }                                                                                           \
        if (relu) /* x > 0 ? x : 0 (NaN -> 0, as cat_k_relu_fwd) */                                 \
          out = (VT)((VI)out & (VI)(out > (VT){0}));                                                \
        acc[i][v] = out; /* for an update, below */                                                 \
        float *to = c + i * ldc + v * VW;                                                           \
        if (upd)                                                                                    \
          ;                                                                                         \
        else if (cnt >= VW)                                                                         \
          *(VT *)to = out;                                                                          \
        else                                                                                        \
          __builtin_memcpy(to, &out, cnt * sizeof(float));                                          \
      }                                                                                             \
    /* Without momentum p -= lr g; with it, v = g at step 1, else                                   \
     * momentum * v + g, and p -= lr v: a copy of each, the tests once a tile */                    \
    if (upd && upd->momentum == 0.0f)                                                               \
      catk_update_##F(acc, nr, nv, mr, w, c, ldc, upd, 1, 0);                                       \
    else if (upd && upd->step <= 1)                                                                 \
      catk_update_##F(acc, nr, nv, mr, w, c, ldc, upd, 1, 1);                                       \
    else if (upd)                                                                                   \
      catk_update_##F(acc, nr, nv, mr, w, c, ldc, upd, 0, 1);                                       \
  }

/* CATK_GEMM defines catk_gemm_<F>: C (M x N, row stride ldc) = start + A B
 * for A(i, l) = a[i * rsa + l * csa] (M x K) and B(l, j) = b[l * rsb +
 * j * csb] (K x N); the start is C when `accumulate`, else `bias` (a row
 * of N), else nothing. Loops, outermost first: NC columns, then blocks of
 * the summed index, then one of two schedules:
 *  - A stored transposed with far rows (csa >= CATK_FAR: the dW and dB of
 *    big layers): BLIS's, both operands packed into `scratch`, see
 *    catk_packed (without scratch, the second schedule reads A in place).
 *  - otherwise: MC rows, one NR-column panel of B at a time against every
 *    row tile. B stored transposed (csb != 1: W^T, B^T) is packed into
 *    `scratch` first; far rows of B are copied to the stack, a panel at a
 *    time for two blocks of A's rows, when at least 8 row tiles reuse them;
 *    otherwise B is read in place.
 * The one-lane family copies nothing: it is for targets without caches to
 * speak of. The last row tile has M % MR rows and the last panel N % NR
 * columns, constants in a specialised copy, so each loop nest holds the
 * micro-kernel at two heights and two widths. */
#define CATK_GEMM(F, VW, MR, NR, KC, MC, NC)                                                        \
  typedef char catk_blocks_hold_whole_tiles_##F[MC % MR || NC % NR ? -1 : 1];                       \
  /* The packed schedule's blocks fit CATK_LINEAR_BWD_SCRATCH. */                                   \
  typedef char catk_fits_##F[VW > 1 && (MC > 128 || KC > 256 || NC > 512 || 16 % VW) ? -1 : 1];     \
  /* Row tiles of rows [0, mc) against one panel of w columns. */                                   \
  CATK_ALWAYS_INLINE void catk_rows_##F(catk_index mc, int32_t tail, int32_t w, int32_t bfull,      \
                                        const float *a, catk_index rsa, catk_index csa,             \
                                        const float *b, catk_index rsb, catk_index csb, float *c,   \
                                        catk_index ldc, catk_index kc, int32_t load_c,              \
                                        const float *bias, int32_t relu,                            \
                                        const cat_k_sgd_step *upd) {                                \
    catk_index i = 0;                                                                               \
    for (; i + MR <= mc; i += MR)                                                                   \
      catk_micro_##F(MR, w, bfull, a + i * rsa, rsa, csa, b, rsb, csb, c + i * ldc, ldc, kc,        \
                     load_c, bias, relu, upd);                                                      \
    if (i < mc)                                                                                     \
      catk_micro_##F(tail, w, bfull, a + i * rsa, rsa, csa, b, rsb, csb, c + i * ldc, ldc, kc,      \
                     load_c, bias, relu, upd);                                                      \
  }                                                                                                 \
  /* Row tiles of rows [0, mc) of a packed block of A (tile ir at a + ir * kc,                      \
   * A(i, l) at [l * MR + i]) against one packed panel of w columns. */                             \
  CATK_ALWAYS_INLINE void catk_tiles_##F(catk_index mc, int32_t tail, int32_t w, const float *a,    \
                                         const float *b, catk_index ldb, float *c,                  \
                                         catk_index ldc, catk_index kc, int32_t load_c,             \
                                         const float *bias, int32_t relu,                           \
                                         const cat_k_sgd_step *upd) {                               \
    catk_index i = 0;                                                                               \
    for (; i + MR <= mc; i += MR)                                                                   \
      catk_micro_##F(MR, w, 1, a + i * kc, 1, MR, b, ldb, 1, c + i * ldc, ldc, kc, load_c, bias,    \
                     relu, upd);                                                                    \
    if (i < mc)                                                                                     \
      catk_micro_##F(tail, w, 1, a + i * kc, 1, MR, b, ldb, 1, c + i * ldc, ldc, kc, load_c, bias,  \
                     relu, upd);                                                                    \
  }                                                                                                 \
  /* The first schedule, BLIS's, for A stored transposed with far rows when                         \
   * the caller provides scratch (CATK_LINEAR_BWD_SCRATCH): the kc x nc block of                    \
   * a row-major B is packed into panels of NR columns, as catk_pack_bt lays                        \
   * them out, then each MC x kc block of A into MR-row tiles, one contiguous                       \
   * vector of MR per step; a panel of B stays in L1 while it meets every row                       \
   * tile of the block of A, which stays in L2. The tiles of C are loaded                           \
   * and stored once per block of KC steps. */                                                      \
  CATK_ALWAYS_INLINE void catk_packed_##F(catk_index M, catk_index nc, int32_t tail, int32_t edge,  \
                                          const float *a, catk_index rsa, catk_index csa,           \
                                          const float *b, catk_index rsb, float *c,                 \
                                          catk_index ldc, catk_index kc, int32_t load_c,            \
                                          const float *bias, int32_t relu,                          \
                                          const cat_k_sgd_step *upd, float *scratch) {              \
    float *apack = scratch, *bpack = scratch + MC * KC;                                             \
    int32_t padded = (edge + VW - 1) / VW * VW;                                                     \
    /* Rows copied whole (memcpy of a constant size: vector moves), the last                        \
     * panel's zero-filled to whole vectors. */                                                     \
    for (catk_index jr = 0; jr < nc; jr += NR) {                                                    \
      float *panel = bpack + jr * kc;                                                               \
      const float *from = b + jr;                                                                   \
      if (jr + NR <= nc)                                                                            \
        for (catk_index l = 0; l < kc; ++l)                                                         \
          __builtin_memcpy(panel + l * NR, from + l * rsb, NR * sizeof(float));                     \
      else                                                                                          \
        for (catk_index l = 0; l < kc; ++l) {                                                       \
          __builtin_memcpy(panel + l * padded, from + l * rsb, edge * sizeof(float));               \
          __builtin_memset(panel + l * padded + edge, 0, (padded - edge) * sizeof(float));          \
        }                                                                                           \
    }                                                                                               \
    for (catk_index ic = 0; ic < M; ic += MC) {                                                     \
      catk_index mc = M - ic < MC ? M - ic : MC;                                                    \
      for (catk_index ir = 0; ir < mc; ir += MR) {                                                  \
        const float *from = a + (ic + ir) * rsa;                                                    \
        float *tile = apack + ir * kc;                                                              \
        int32_t rows = ir + MR <= mc ? MR : tail;                                                   \
        if (rsa == 1 && rows == MR) /* a step's MR values are contiguous */                         \
          for (catk_index l = 0; l < kc; ++l)                                                       \
            __builtin_memcpy(tile + l * MR, from + l * csa, MR * sizeof(float));                    \
        else                                                                                        \
          for (catk_index l = 0; l < kc; ++l)                                                       \
            for (int32_t i = 0; i < rows; ++i)                                                      \
              tile[l * MR + i] = from[i * rsa + l * csa];                                           \
      }                                                                                             \
      for (catk_index jr = 0; jr < nc; jr += NR) {                                                  \
        float *c_ij = c + ic * ldc + jr;                                                            \
        const float *bias_jr = bias ? bias + jr : 0;                                                \
        if (jr + NR <= nc)                                                                          \
          catk_tiles_##F(mc, tail, NR, apack, bpack + jr * kc, NR, c_ij, ldc, kc, load_c, bias_jr,  \
                         relu, upd);                                                                \
        else                                                                                        \
          catk_tiles_##F(mc, tail, edge, apack, bpack + jr * kc, padded, c_ij, ldc, kc, load_c,     \
                         bias_jr, relu, upd);                                                       \
      }                                                                                             \
    }                                                                                               \
  }                                                                                                 \
  /* The second schedule, for columns [0, nc) and the kc steps of the summed                        \
   * index from pc; `packed` is B^T's pack from column 0 on if `packs`. */                          \
  CATK_ALWAYS_INLINE void catk_panelwise_##F(catk_index M, catk_index nc, int32_t tail,             \
                                             int32_t edge, const float *a, catk_index rsa,          \
                                             catk_index csa, const float *b, catk_index rsb,        \
                                             catk_index csb, int32_t packs, const float *packed,    \
                                             catk_index K, catk_index pc, float *c, catk_index ldc, \
                                             catk_index kc, int32_t load_c, const float *bias,      \
                                             int32_t relu, const cat_k_sgd_step *upd) {             \
    int32_t padded = (edge + VW - 1) / VW * VW;                                                     \
    /* Far rows of B are copied once for two blocks of MC rows of A, which                          \
     * then meet each copied panel in turn (a copy for every block, its                             \
     * reads waiting for a new page every row, was half a product's                                 \
     * overhead at a batch of 256); the rows of more than two blocks would                          \
     * no longer stay in L2. */                                                                     \
    int32_t copy = VW > 1 && !packs && rsb >= CATK_FAR && M >= 8 * MR;                              \
    catk_index group = copy ? 2 * MC : MC; /* rows that share one copy */                           \
    for (catk_index ig = 0; ig < M; ig += group) {                                                  \
      catk_index end = M - ig < group ? M : ig + group;                                             \
      for (catk_index jr = 0; jr < nc; jr += NR) {                                                  \
        int32_t full = jr + NR <= nc, width = full ? NR : padded;                                   \
        const float *panel = b + jr * csb;                                                          \
        catk_index ldp = rsb;                                                                       \
        float stack[VW > 1 ? KC * NR : 1];                                                          \
        if (packs) { /* see catk_pack_bt */                                                         \
          panel = packed + jr * K + pc * width, ldp = width;                                        \
        } else if (copy) { /* the same layout as the pack, on the stack */                          \
          if (full) /* whole rows: memcpy of a constant size, vector moves */                       \
            for (catk_index l = 0; l < kc; ++l)                                                     \
              __builtin_memcpy(stack + l * NR, panel + l * rsb, NR * sizeof(float));                \
          else                                                                                      \
            for (catk_index l = 0; l < kc; ++l)                                                     \
              CATK_UNROLL for (int32_t j = 0; j < NR; ++j)                                          \
                if (j < width)                                                                      \
                  stack[l * width + j] = j < edge ? panel[l * rsb + j] : 0.0f;                      \
          panel = stack, ldp = width;                                                               \
        }                                                                                           \
        int32_t dense = packs || copy;                                                              \
        const float *bias_jr = bias ? bias + jr : 0;                                                \
        for (catk_index ic = ig; ic < end; ic += MC) {                                              \
          catk_index mc = end - ic < MC ? end - ic : MC;                                            \
          const float *a_ic = a + ic * rsa;                                                         \
          if (full) /* a dense panel's rows are NR apart: a constant for the kernel */              \
            catk_rows_##F(mc, tail, NR, 0, a_ic, rsa, csa, panel, dense ? NR : ldp,                 \
                          dense ? 1 : csb, c + ic * ldc + jr, ldc, kc, load_c, bias_jr, relu, upd); \
          else                                                                                      \
            catk_rows_##F(mc, tail, edge, dense, a_ic, rsa, csa, panel, ldp, dense ? 1 : csb,       \
                          c + ic * ldc + jr, ldc, kc, load_c, bias_jr, relu, upd);                  \
        }                                                                                           \
      }                                                                                             \
    }                                                                                               \
  }                                                                                                 \
  /* The schedule of the one-lane family, for small cores without caches to                         \
   * block for: one row of A at a time against every panel of B, the whole                          \
   * summed index at once. With the panels innermost nothing of B is loop                           \
   * invariant, so a batch of one (inference) loads each weight once, where                         \
   * rows innermost would hoist a panel of B into registers and spill it. */                        \
  CATK_ALWAYS_INLINE void catk_rows_small_##F(                                                      \
      catk_index M, catk_index N, catk_index K, const float *a, catk_index rsa, catk_index csa,     \
      const float *b, catk_index rsb, catk_index csb, float *c, catk_index ldc, int32_t accumulate, \
      const float *bias, int32_t relu, const cat_k_sgd_step *upd) {                                 \
    int32_t edge = (int32_t)(N % NR);                                                               \
    for (catk_index i = 0; i < M; ++i) {                                                            \
      catk_index jr = 0;                                                                            \
      for (; jr + NR <= N; jr += NR)                                                                \
        catk_micro_##F(MR, NR, 0, a + i * rsa, rsa, csa, b + jr * csb, rsb, csb, c + i * ldc + jr,  \
                       ldc, K, accumulate, bias ? bias + jr : 0, relu, upd);                        \
      if (jr < N)                                                                                   \
        catk_micro_##F(MR, edge, 0, a + i * rsa, rsa, csa, b + jr * csb, rsb, csb,                  \
                       c + i * ldc + jr, ldc, K, accumulate, bias ? bias + jr : 0, relu, upd);      \
    }                                                                                               \
  }                                                                                                 \
  /* A summed index of 1 (the weight gradient of a batch of one) gets its own                       \
   * copy, without the loop over it: the same arithmetic, start + a * b. */                         \
  CATK_ALWAYS_INLINE void catk_gemm_small_##F(                                                      \
      catk_index M, catk_index N, catk_index K, const float *a, catk_index rsa, catk_index csa,     \
      const float *b, catk_index rsb, catk_index csb, float *c, catk_index ldc, int32_t accumulate, \
      const float *bias, int32_t relu, const cat_k_sgd_step *upd) {                                 \
    if (K == 1)                                                                                     \
      catk_rows_small_##F(M, N, 1, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, bias, relu, upd);  \
    else                                                                                            \
      catk_rows_small_##F(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, bias, relu, upd);  \
  }                                                                                                 \
  CATK_ALWAYS_INLINE void catk_gemm_##F(catk_index M, catk_index N, catk_index K, const float *a,   \
                                        catk_index rsa, catk_index csa, const float *b,             \
                                        catk_index rsb, catk_index csb, float *scratch, float *c,   \
                                        catk_index ldc, int32_t accumulate, const float *bias,      \
                                        int32_t relu, const cat_k_sgd_step *upd) {                  \
    if (VW == 1) { /* see catk_gemm_small */                                                        \
      catk_gemm_small_##F(M, N, K, a, rsa, csa, b, rsb, csb, c, ldc, accumulate, bias, relu, upd);  \
      return;                                                                                       \
    }                                                                                               \
    int32_t packs = VW > 1 && csb != 1;                   /* B^T into scratch */                    \
    int32_t packs_a = VW > 1 && csb == 1 && csa >= CATK_FAR && scratch; /* the first schedule */    \
    int32_t edge = (int32_t)(N % NR); /* width of the last panel, a constant */                     \
    int32_t tail = (int32_t)(M % MR); /* height of the last row tile, a constant if M is */         \
    for (catk_index jc = 0; jc < N; jc += NC) {                                                     \
      catk_index nc = N - jc < NC ? N - jc : NC;                                                    \
      catk_index pc = 0;                                                                            \
      do { /* once even when K == 0, to write the start value */                                    \
        catk_index kc = K - pc < KC ? K - pc : KC;                                                  \
        int32_t load_c = accumulate || pc > 0, last = pc + kc == K, act = relu && last;             \
        const cat_k_sgd_step *step = last ? upd : 0; /* earlier blocks store partial sums */        \
        const float *bias_jc = bias ? bias + jc : 0;                                                \
        if (packs)                                                                                  \
          catk_pack_bt(b, csb, K, N, jc, nc, pc, kc, NR, VW, scratch);                              \
        if (packs_a)                                                                                \
          catk_packed_##F(M, nc, tail, edge, a + pc * csa, rsa, csa, b + pc * rsb + jc, rsb,        \
                          c + jc, ldc, kc, load_c, bias_jc, act, step, scratch);                    \
        else                                                                                        \
          catk_panelwise_##F(M, nc, tail, edge, a + pc * csa, rsa, csa,                             \
                             b + pc * rsb + jc * csb, rsb, csb, packs,                              \
                             packs ? scratch + jc * K : 0, K, pc, c + jc, ldc, kc, load_c, bias_jc, \
                             act, step);                                                            \
        pc += kc;                                                                                   \
      } while (pc < K);                                                                             \
    }                                                                                               \
  }

/* Tile sizes. The MR x NR accumulators plus NR/VW rows of B and a broadcast
 * must fit the register file, or the kernel spills and loses half its
 * speed: 16 + 2 + 1 of 32 zmm; 12 + 2 + 1 of 16 ymm; 12 + 2 + 1 of 16 xmm (a
 * mul and an add without FMA, which the register allocator fits by reusing
 * the broadcast); 16 + 4 + 1 of the 32 single-precision registers of a
 * Cortex-M4F or RV32F. A KC x NR panel of B stays in L1 while it meets
 * every row tile of an MC-row block of A, and a KC x NC block stays in L2.
 * The stack copy of far rows of B takes KC x NR floats (32 KiB for V512). */
CATK_MICRO(scalar, catk_f1, catk_i1, 1, 1, 8, CATK_UNROLL_BY(4))
CATK_GEMM(scalar, 1, 1, 8, 256, 64, 1024)
CATK_MICRO(v128, catk_f4, catk_i4, 4, 6, 2, )
CATK_GEMM(v128, 4, 6, 8, 256, 96, 512)
CATK_MICRO(v256, catk_f8, catk_i8, 8, 6, 2, )
CATK_GEMM(v256, 8, 6, 16, 256, 96, 512)
CATK_MICRO(v512, catk_f16, catk_i16, 16, 8, 2, )
CATK_GEMM(v512, 16, 8, 32, 256, 128, 512)

/* One GEMM through the family `tile` names (unknown values: scalar). */
CATK_ALWAYS_INLINE void catk_gemm(int tile, catk_index M, catk_index N, catk_index K,
                                  const float *a, catk_index rsa, catk_index csa, const float *b,
                                  catk_index rsb, catk_index csb, float *scratch, float *c,
                                  catk_index ldc, int32_t accumulate, const float *bias,
                                  int32_t relu, const cat_k_sgd_step *update) {
  switch (tile) {
  case CATK_TILE_V512:
    catk_gemm_v512(M, N, K, a, rsa, csa, b, rsb, csb, scratch, c, ldc, accumulate, bias, relu,
                update);
    break;
  case CATK_TILE_V256:
    catk_gemm_v256(M, N, K, a, rsa, csa, b, rsb, csb, scratch, c, ldc, accumulate, bias, relu,
                update);
    break;
  case CATK_TILE_V128:
    catk_gemm_v128(M, N, K, a, rsa, csa, b, rsb, csb, scratch, c, ldc, accumulate, bias, relu,
                update);
    break;
  default:
    catk_gemm_scalar(M, N, K, a, rsa, csa, b, rsb, csb, scratch, c, ldc, accumulate, bias, relu,
                update);
    break;
  }
}

/* ---- the products ---------------------------------------------------------- */

/* y = x W^T: A = x, B = W^T (W read transposed, packed by vector families). */
void cat_k_linear_fwd(const float *restrict W, const float *restrict bias,
                      const float *restrict x, float *restrict y, catk_index n, catk_index m,
                      catk_index k, int act, float *restrict scratch, int tile) {
  catk_gemm(tile, n, m, k, x, k, 1, W, 1, k, scratch, y, m, 0, bias, act == CATK_ACT_RELU, 0);
}

/* dx = dy W: B = W as stored. dW += dy^T x: A(i, l) = dy[l * m + i], the
 * batch is the summed index. */
void cat_k_linear_bwd(const float *restrict W, const float *restrict x, const float *restrict dy,
                      float *restrict dW, float *restrict dx, catk_index n, catk_index m,
                      catk_index k, float *restrict scratch, int tile, int accumulate,
                      const cat_k_sgd_step *restrict update) {
  if (dx) /* before dW: an update changes W */
    catk_gemm(tile, n, k, m, dy, m, 1, W, k, 1, 0, dx, k, 0, 0, 0, 0);
  if (dW)
    catk_gemm(tile, m, k, n, dy, 1, m, x, k, 1, scratch, dW, k, accumulate != 0, 0, 0, update);
}

void cat_k_matmul_fwd(const float *restrict A, const float *restrict B, float *restrict C,
                      catk_index n, catk_index m, catk_index k, catk_index p, int tile) {
  for (catk_index i = 0; i < n; ++i)
    catk_gemm(tile, m, p, k, A + i * m * k, k, 1, B + i * k * p, p, 1, 0, C + i * m * p, p, 0, 0,
              0, 0);
}

/* dA = dC B^T (B read transposed, packed by vector families); dB = A^T dC,
 * A(l, r) read through strides, packed with dC when A's rows are far apart
 * (the scratch then holds dB's blocks, after dA is done with it). */
void cat_k_matmul_bwd(const float *restrict A, const float *restrict B, const float *restrict dC,
                      float *restrict dA, float *restrict dB, catk_index n, catk_index m,
                      catk_index k, catk_index p, float *restrict scratch, int tile) {
  for (catk_index i = 0; i < n; ++i) {
    const float *dC_i = dC + i * m * p;
    if (dA)
      catk_gemm(tile, m, k, p, dC_i, p, 1, B + i * k * p, 1, p, scratch, dA + i * m * k, k, 0, 0,
                0, 0);
    if (dB)
      catk_gemm(tile, k, p, m, A + i * m * k, 1, k, dC_i, p, 1, scratch, dB + i * k * p, p, 0, 0,
                0, 0);
  }
}
