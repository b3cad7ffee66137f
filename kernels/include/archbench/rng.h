/*
 * rng.h - seeded, portable pseudo-random numbers (xoshiro256** seeded by splitmix64).
 *
 * The same seed gives the same stream on every machine and compiler, so every input
 * of a test or benchmark, and every bootstrap resample, can be replayed from the seed
 * printed beside it. Not for cryptography.
 */
#ifndef ARCHBENCH_RNG_H
#define ARCHBENCH_RNG_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"

struct ab_rng {
    uint64_t s[4];
};

AB_API void ab_rng_seed(struct ab_rng *rng, uint64_t seed);

/* Uniform 64-bit value. */
AB_API uint64_t ab_rng_u64(struct ab_rng *rng);

/* Uniform integer in [0, bound) without modulo bias; bound 0 returns 0. */
AB_API uint64_t ab_rng_below(struct ab_rng *rng, uint64_t bound);

/* Uniform double in [0, 1) with 53 random bits. */
AB_API double ab_rng_uniform(struct ab_rng *rng);

/* Standard normal deviate (Marsaglia polar method; deterministic for a seed). */
AB_API double ab_rng_normal(struct ab_rng *rng);

/* Fill n floats with U[lo, hi) / N(mean, stddev). */
AB_API void ab_rng_fill_uniform_f32(struct ab_rng *rng, float *out, size_t n, float lo, float hi);
AB_API void ab_rng_fill_normal_f32(struct ab_rng *rng, float *out, size_t n, float mean, float stddev);

#endif /* ARCHBENCH_RNG_H */
