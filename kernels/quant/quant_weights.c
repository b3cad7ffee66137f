/*
 * quant_weights.c - per-channel symmetric weight quantisation, VNNI-4 packing, the
 * per-token activation quantiser (the scalar definition), and storage accounting.
 *
 * Packing happens once per layer, outside timed calls. The packed layout groups 16
 * output channels x 4 consecutive k per 64-byte line, so one zmm load feeds 16
 * vpdpbusd lanes, and a 16-channel block is contiguous along k.
 */
#include <math.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/quant.h"

#include "quant_impl.h"

enum ab_status ab_i8_weights_new(size_t n, size_t k, struct ab_i8_weights **out_weights)
{
    if (n == 0 || k == 0 || k > AB__I8_K_MAX || n > (SIZE_MAX / 4) / (k + 4))
        return AB_EINVAL;
    struct ab_i8_weights *w = ab_calloc(1, sizeof *w);
    if (!w)
        return AB_ENOMEM;
    w->n = n;
    w->k = k;
    w->n_pad = AB__ALIGN_UP(n, 16);
    w->k_pad = AB__ALIGN_UP(k, 4);
    w->q = ab_aligned_alloc(AB_ALIGN_BYTES, n * k);
    w->scale = ab_aligned_alloc(AB_ALIGN_BYTES, n * sizeof(float));
    w->comp = ab_aligned_alloc(AB_ALIGN_BYTES, w->n_pad * sizeof(int32_t));
    w->packed = ab_aligned_alloc(AB_ALIGN_BYTES, w->n_pad * w->k_pad);
    if (!w->q || !w->scale || !w->comp || !w->packed) {
        ab_i8_weights_free(w);
        return AB_ENOMEM;
    }
    memset(w->q, 0, n * k);
    memset(w->scale, 0, n * sizeof(float));
    memset(w->comp, 0, w->n_pad * sizeof(int32_t));
    memset(w->packed, 0, w->n_pad * w->k_pad);
    *out_weights = w;
    return AB_OK;
}

void ab_i8_weights_free(struct ab_i8_weights *w)
{
    if (!w)
        return;
    ab_free(w->q);
    ab_free(w->scale);
    ab_free(w->comp);
    ab_free(w->packed);
    ab_free(w);
}

/* Build packed and comp from q. */
static void pack(struct ab_i8_weights *w)
{
    size_t k4 = w->k_pad / 4;
    memset(w->packed, 0, w->n_pad * w->k_pad);
    memset(w->comp, 0, w->n_pad * sizeof(int32_t));
    for (size_t j = 0; j < w->n; j++) {
        const int8_t *row = w->q + j * w->k;
        int8_t *blk = w->packed + (j / 16) * k4 * 64 + (j % 16) * 4;
        int32_t sum = 0;
        for (size_t p = 0; p < w->k; p++) {
            blk[(p / 4) * 64 + p % 4] = row[p];
            sum += row[p];
        }
        /* |sum| <= 128 * k; 128 * sum fits int32 modulo 2^32, which is all vpdpbusd needs */
        w->comp[j] = (int32_t)(128u * (uint32_t)sum);
    }
}

void ab_i8_weights_quantize(struct ab_i8_weights *w, const float *src, size_t ldw)
{
    for (size_t j = 0; j < w->n; j++) {
        const float *row = src + j * ldw;
        float amax = 0.0f;
        for (size_t p = 0; p < w->k; p++)
            amax = fmaxf(amax, fabsf(row[p]));
        float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        w->scale[j] = amax / 127.0f;
        for (size_t p = 0; p < w->k; p++)
            w->q[j * w->k + p] = (int8_t)rintf(fminf(fmaxf(row[p] * inv, -127.0f), 127.0f));
    }
    pack(w);
}

void ab_i8_weights_set(struct ab_i8_weights *w, const int8_t *q, size_t ldq, const float *scale)
{
    for (size_t j = 0; j < w->n; j++) {
        memcpy(w->q + j * w->k, q + j * ldq, w->k);
        w->scale[j] = scale[j];
    }
    pack(w);
}

uint64_t ab_i8_weights_storage_bytes(size_t n, size_t k)
{
    return (uint64_t)AB__ALIGN_UP(n, 16) * AB__ALIGN_UP(k, 4) + (uint64_t)n * sizeof(float);
}

float ab_i8_quantize_row(const float *x, size_t k, int8_t *out_q)
{
    float amax = 0.0f;
    for (size_t p = 0; p < k; p++)
        amax = fmaxf(amax, fabsf(x[p]));
    float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
    for (size_t p = 0; p < k; p++)
        out_q[p] = (int8_t)rintf(fminf(fmaxf(x[p] * inv, -127.0f), 127.0f));
    return amax / 127.0f;
}
