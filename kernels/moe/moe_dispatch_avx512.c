/*
 * moe_dispatch_avx512.c - dispatch + combine at memory speed. The same three steps as
 * moe_dispatch_fast (serial counting sort, row gather into expert-contiguous Xp, gather
 * combine per token), with the two things that kept that variant below its own reference:
 *   - Xp and y are written with non-temporal (streaming) stores when their rows are
 *     64-byte aligned: a normal store first reads the line it writes (write-allocate), so
 *     the 3 slots x d_model x 4 bytes of traffic become 4; streaming also keeps the
 *     destination from evicting the rows still to be read. In a layer the expert GEMM
 *     then reads Xp from memory rather than from the L3 it may partly fit in: that is
 *     the cost this variant accepts, stated here;
 *   - the combine keeps each 16-column chunk of y in a register across the token's
 *     slots instead of zeroing y and reading it back k times.
 * The multiply and the add stay separate instructions in slot order (C11: no FP
 * contraction), so y is bit for bit the reference's.
 * Workspace: expert offsets, rows, slot_row (ab__moe_dispatch_layout).
 */
#include <stdint.h>
#include <string.h>

#include <immintrin.h>

#include "archbench/alloc.h"
#include "archbench/cpu.h"
#include "archbench/moe.h"

#include "moe_dispatch_impl.h"
#include "moe_impl.h"

static bool aligned_rows(const void *p, size_t d)
{
    return ((uintptr_t)p % 64) == 0 && (d * sizeof(float)) % 64 == 0;
}

/* dst[0..d) = src[0..d): streaming when dst's rows are aligned (stream), else plain. */
static inline void copy_row(float *restrict dst, const float *restrict src, size_t d, bool stream)
{
    if (!stream) {
        memcpy(dst, src, d * sizeof(float));
        return;
    }
    size_t c = 0;
    for (; c + 64 <= d; c += 64) {
        __m512 a = _mm512_loadu_ps(src + c), b = _mm512_loadu_ps(src + c + 16);
        __m512 e = _mm512_loadu_ps(src + c + 32), f = _mm512_loadu_ps(src + c + 48);
        _mm512_stream_ps(dst + c, a);
        _mm512_stream_ps(dst + c + 16, b);
        _mm512_stream_ps(dst + c + 32, e);
        _mm512_stream_ps(dst + c + 48, f);
    }
    for (; c < d; c += 16)
        _mm512_stream_ps(dst + c, _mm512_loadu_ps(src + c));  /* aligned rows: d % 16 == 0 */
}

/* y_t = sum over t's kept slots, in slot order, of w * Yp row; y_t = 0 with none. */
static void combine_token(const struct ab_moe_routing *rt, const int32_t *slot_row, const float *yp, size_t d,
                          size_t t, float *restrict yt, bool stream)
{
    size_t k = (size_t)rt->k;
    const float *src[AB_MOE_MAX_EXPERTS];
    float ws[AB_MOE_MAX_EXPERTS];
    size_t n = 0;
    for (size_t s = 0; s < k; s++) {
        int32_t r = slot_row[t * k + s];
        if (r < 0)
            continue;
        src[n] = yp + (size_t)r * d;
        ws[n++] = rt->weight[t * k + s];
    }
    for (size_t c = 0; c < d; c += 16) {
        __mmask16 m = d - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (d - c)) - 1u);
        __m512 acc = _mm512_setzero_ps();
        for (size_t s = 0; s < n; s++)
            acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(ws[s]), _mm512_maskz_loadu_ps(m, src[s] + c)));
        if (stream)
            _mm512_stream_ps(yt + c, acc);
        else
            _mm512_mask_storeu_ps(yt + c, m, acc);
    }
}

static enum ab_status moe_dispatch_avx512(const struct ab_moe_dispatch_args *a, const struct ab_exec *exec)
{
    enum ab_status st = ab__moe_dispatch_check(a);
    if (st != AB_OK)
        return st;
    size_t n_t = a->n_tokens, d = a->d_model, n_e = a->n_experts, k = (size_t)a->route.k;
    if (k > AB_MOE_MAX_EXPERTS)
        return AB_EINVAL;
    struct ab__disp_layout l = ab__moe_dispatch_layout(n_t, k, n_e);
    if (!exec->workspace || exec->workspace_bytes < l.total)
        return AB_EINVAL;
    char *ws = exec->workspace;
    size_t *off = (size_t *)(void *)(ws + l.off);
    int32_t *rows = (int32_t *)(void *)(ws + l.rows), *slot_row = (int32_t *)(void *)(ws + l.slot_row);
    int nth = exec->n_threads > 0 ? exec->n_threads : 1;

    st = ab__moe_dispatch(&a->route, n_e, off, rows, slot_row);
    if (st != AB_OK)
        return st;
    size_t n_rows = off[n_e];
    const float *x = a->x, *yp = a->yp;
    float *xp = a->xp, *y = a->y;
    bool stream_xp = aligned_rows(xp, d), stream_y = aligned_rows(y, d);
#pragma omp parallel num_threads(nth)
    {
#pragma omp for schedule(static)
        for (size_t r = 0; r < n_rows; r++)
            copy_row(xp + r * d, x + (size_t)rows[r] * d, d, stream_xp);
#pragma omp for schedule(static) nowait
        for (size_t t = 0; t < n_t; t++)
            combine_token(&a->route, slot_row, yp, d, t, y + t * d, stream_y);
        /* Streaming stores are weakly ordered: fence before the caller reads Xp or y. */
        _mm_sfence();
    }
    return AB_OK;
}

extern const struct ab_kernel ab__kernel_moe_dispatch_avx512;
const struct ab_kernel ab__kernel_moe_dispatch_avx512 = {
    .name = "moe_dispatch_avx512",
    .family = &ab_family_moe_dispatch,
    .variant = "avx512",
    .doc = "serial counting sort; row gather and register-held combine with streaming stores (aligned rows)",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.moe_dispatch = moe_dispatch_avx512,
    .supports = NULL,
    .workspace_bytes = ab__moe_dispatch_workspace,
    .flops = ab__moe_dispatch_flops,
    .bytes = ab__moe_dispatch_bytes,
    .tol = AB__DISPATCH_TOL,
};
