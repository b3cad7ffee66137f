/*
 * layer_impl.h - private to kernels/layer: shape parameters of the layer family, the
 * sub-kernel shapes derived from a layer shape, and the composition both variants run
 * (layer_compose.c) with the sub-kernels each one picks.
 */
#ifndef ARCHBENCH_LAYER_IMPL_H
#define ARCHBENCH_LAYER_IMPL_H

#include "archbench/layer.h"

enum ab__layer_param {
    AB__LY_N,
    AB__LY_D_MODEL,
    AB__LY_HEADS,
    AB__LY_HEAD_DIM,
    AB__LY_ATTN,
    AB__LY_CAUSAL,
    AB__LY_ROPE,
    AB__LY_FFN,
    AB__LY_EXPERTS,
    AB__LY_K,
    AB__LY_THRESHOLD_PCT,
    AB__LY_D_FF,
    AB__LY_LSH_ROUNDS,
    AB__LY_LSH_BUCKETS,
    AB__LY_LSH_CHUNK,
    AB__LY_PARAM_COUNT
};

/* The sub-kernel calls of one layer, in order (FLOP shares in the metrics). */
enum ab__layer_phase {
    AB__LY_PHASE_QKV,    /* QKV projection GEMMs */
    AB__LY_PHASE_ROPE,
    AB__LY_PHASE_ATTN,
    AB__LY_PHASE_OUT,    /* output projection GEMM */
    AB__LY_PHASE_ROUTE,  /* gate GEMM (MoE only) */
    AB__LY_PHASE_FFN,    /* expert / dense FFN */
    AB__LY_PHASE_COUNT
};

/* Shapes of the sub-kernel calls of a layer shape (families' own parameters). */
struct ab__layer_shapes {
    struct ab_shape qkv, out, rope, attn, route, ffn;
    const struct ab_family *attn_family;
    size_t n_qkv_blocks;   /* 3, or 2 for LSH's shared QK */
    bool moe;
};
void ab__layer_shapes(const struct ab_shape *layer, struct ab__layer_shapes *out);

/* The layer shape of a call (the inverse of the case's argument set-up). */
void ab__layer_shape_of(const struct ab_layer_args *a, struct ab_shape *out);

/* The sub-kernels one variant composes. */
struct ab__layer_parts {
    const struct ab_kernel *qkv, *out, *rope, *attn, *route, *ffn;
    bool plain;  /* reference glue: one thread, norms and residuals in double */
};
void ab__layer_parts_ref(const struct ab__layer_shapes *sh, struct ab__layer_parts *out);
void ab__layer_parts_best(const struct ab__layer_shapes *sh, struct ab__layer_parts *out);

/* FLOPs of each phase (the sub-families' conventions); the layer's flops are their sum. */
void ab__layer_phase_flops(const struct ab_shape *layer, double out[AB__LY_PHASE_COUNT]);
double ab__layer_flops(const struct ab_shape *layer);
double ab__layer_bytes(const struct ab_shape *layer);

/* RMSNorm of the reference glue: y = x / sqrt(mean(x^2) + 1e-6) * g per row, in double. */
void ab__layer_rmsnorm_ref(const float *x, const float *g, float *y, size_t n, size_t d);

size_t ab__layer_workspace(const struct ab__layer_shapes *sh, const struct ab__layer_parts *p, int n_threads);
enum ab_status ab__layer_run(const struct ab_layer_args *a, const struct ab_exec *exec, bool best);

/* Composed FP32 against the composed reference: see layer_family.c. */
#define AB__LAYER_TOL { .cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = AB__LY_D_MODEL, .scale_ref = 1024.0 }

#endif /* ARCHBENCH_LAYER_IMPL_H */
