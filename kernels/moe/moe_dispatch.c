/*
 * moe_dispatch.c - dispatch and combine shared by the grouped MoE variants (FP32 and
 * INT8):
 *   dispatch: a counting sort of the kept (token, slot) pairs by expert, stable in
 *     token order, gives every expert a contiguous block of rows;
 *   combine: y_t = sum over its kept slots, in slot order, of weight * Yp row (a gather
 *     per token, not a scatter-add, so the result is deterministic and needs no
 *     atomics), OpenMP over tokens.
 */
#include "archbench/moe.h"

#include "moe_impl.h"

enum ab_status ab__moe_dispatch(const struct ab_moe_routing *rt, size_t n_e, size_t *off, int32_t *rows,
                                int32_t *slot_row)
{
    size_t k = (size_t)rt->k, n = rt->n_tokens * k;
    for (size_t e = 0; e <= n_e; e++)
        off[e] = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t e = rt->expert[i];
        if (e >= 0 && rt->keep[i]) {
            if ((size_t)e >= n_e)
                return AB_EINVAL;
            off[e + 1]++;
        }
    }
    for (size_t e = 0; e < n_e; e++)
        off[e + 1] += off[e];
    for (size_t i = 0; i < n; i++) {
        int32_t e = rt->expert[i];
        if (e >= 0 && rt->keep[i]) {
            size_t r = off[e]++;
            rows[r] = (int32_t)(i / k);
            slot_row[i] = (int32_t)r;
        } else {
            slot_row[i] = -1;
        }
    }
    /* off[e] now holds the end of e's rows: shift back to starts */
    for (size_t e = n_e; e > 0; e--)
        off[e] = off[e - 1];
    off[0] = 0;
    return AB_OK;
}

void ab__moe_combine(const struct ab_moe_routing *rt, const int32_t *slot_row, const float *yp, size_t d,
                     float *y, int n_threads)
{
    size_t k = (size_t)rt->k;
#pragma omp parallel for num_threads(n_threads) schedule(static)
    for (size_t t = 0; t < rt->n_tokens; t++) {
        float *yt = y + t * d;
        for (size_t c = 0; c < d; c++)
            yt[c] = 0.0f;
        for (size_t s = 0; s < k; s++) {
            int32_t r = slot_row[t * k + s];
            if (r < 0)
                continue;
            float w = rt->weight[t * k + s];
            const float *src = yp + (size_t)r * d;
            for (size_t c = 0; c < d; c++)
                yt[c] += w * src[c];
        }
    }
}
