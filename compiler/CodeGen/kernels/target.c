/*===- target.c - The target's tile family, as the kernels see it --------===*
 *
 * Defined apart from the kernels that read it, so that clang cannot fold its
 * value into them: catc replaces the initializer with its target's family
 * (CATK_TILE_*) before optimising, and the reads fold then. The native
 * library for unit tests keeps this value; it changes how loops are
 * blocked, never a result.
 *
 *===----------------------------------------------------------------------===*/
#include "catk.h"

#include <stdint.h>

const int32_t catk_target_tile = CATK_TILE_V512;
