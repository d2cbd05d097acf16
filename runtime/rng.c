/*===- rng.c - The runtime's deterministic random numbers ----------------===*
 *
 * xoshiro256** seeded through splitmix64 (Blackman and Vigna). The runtime
 * owns its generator rather than using rand() so that the same seed gives
 * the same shuffles, splits and therefore the same training run on every
 * platform and C library.
 *
 *===----------------------------------------------------------------------===*/
#include "catrt_internal.h"

static uint64_t splitmix64(uint64_t *state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void cat_rng_seed(cat_rng *rng, uint64_t seed) {
  uint64_t state = seed;
  for (int i = 0; i < 4; ++i)
    rng->s[i] = splitmix64(&state);
}

uint64_t cat_rng_next(cat_rng *rng) {
  uint64_t *s = rng->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double cat_rng_uniform(cat_rng *rng) {
  return (double)(cat_rng_next(rng) >> 11) * 0x1.0p-53;
}

uint64_t cat_rng_below(cat_rng *rng, uint64_t bound) {
  /* Reject the top sliver that would make some residues more likely. */
  uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do
    x = cat_rng_next(rng);
  while (x >= limit);
  return x % bound;
}

void cat_rng_shuffle(cat_rng *rng, int64_t *items, int64_t count) {
  for (int64_t i = count - 1; i > 0; --i) {
    int64_t j = (int64_t)cat_rng_below(rng, (uint64_t)i + 1);
    int64_t tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
}
