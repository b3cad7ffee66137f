/*
 * rng.c - xoshiro256** (Blackman & Vigna) seeded through splitmix64.
 *
 * Chosen because it is small, fast, has 256 bits of state and a published reference
 * output, so streams are identical on every platform: tests and bootstrap intervals
 * replay exactly from a printed seed.
 */
#include <math.h>

#include "archbench/rng.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void ab_rng_seed(struct ab_rng *rng, uint64_t seed)
{
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&sm);
}

uint64_t ab_rng_u64(struct ab_rng *rng)
{
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

uint64_t ab_rng_below(struct ab_rng *rng, uint64_t bound)
{
    if (bound == 0)
        return 0;
#if defined(__SIZEOF_INT128__)
    /* Lemire's multiply-shift: the high half of r * bound is uniform in [0, bound) once
     * the few low halves below (2^64 mod bound) are rejected; the modulo is computed only
     * when a draw falls in that short range, so most draws cost one multiply. */
    __extension__ typedef unsigned __int128 u128;
    u128 m = (u128)ab_rng_u64(rng) * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = (0 - bound) % bound;
        while (low < threshold) {
            m = (u128)ab_rng_u64(rng) * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
#else
    /* Rejection of the short final interval removes modulo bias. */
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t r = ab_rng_u64(rng);
        if (r >= threshold)
            return r % bound;
    }
#endif
}

double ab_rng_uniform(struct ab_rng *rng)
{
    return (double)(ab_rng_u64(rng) >> 11) * 0x1.0p-53;
}

double ab_rng_normal(struct ab_rng *rng)
{
    /* Polar method; the second deviate is dropped so the stream stays stateless. */
    for (;;) {
        double u = 2.0 * ab_rng_uniform(rng) - 1.0;
        double v = 2.0 * ab_rng_uniform(rng) - 1.0;
        double s = u * u + v * v;
        if (s > 0.0 && s < 1.0)
            return u * sqrt(-2.0 * log(s) / s);
    }
}

void ab_rng_fill_uniform_f32(struct ab_rng *rng, float *out, size_t n, float lo, float hi)
{
    double span = (double)hi - (double)lo;
    for (size_t i = 0; i < n; i++)
        out[i] = (float)((double)lo + span * ab_rng_uniform(rng));
}

void ab_rng_fill_normal_f32(struct ab_rng *rng, float *out, size_t n, float mean, float stddev)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (float)((double)mean + (double)stddev * ab_rng_normal(rng));
}
