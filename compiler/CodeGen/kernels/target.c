/*===- target.c - The target, as the kernels see it ----------------------===*
 *
 * Defined apart from the kernels that read them, so that clang cannot fold
 * their values into them: catc replaces the initializers with its target's
 * before optimising, and the reads fold then. The native library for unit
 * tests keeps these values; they change how loops are blocked, never a
 * result.
 *
 *===----------------------------------------------------------------------===*/
#include "catk.h"

#include <stdint.h>

/* The GEMM tile family (CATK_TILE_*). */
const int32_t catk_target_tile = CATK_TILE_V512;

/* Nonzero for an ARM core with the DSP extension (quant.c). */
const int32_t catk_target_dsp = 0;

/* Nonzero for an AArch64 core with the dot product instructions (quant.c). */
const int32_t catk_target_dotprod = 0;
