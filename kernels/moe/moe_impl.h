/*
 * moe_impl.h - private to kernels/moe: shape parameters of the moe_route and moe_ffn
 * families and helpers their variants share.
 */
#ifndef ARCHBENCH_MOE_IMPL_H
#define ARCHBENCH_MOE_IMPL_H

#include "archbench/moe.h"

enum ab__route_param {
    AB__RT_TOKENS, AB__RT_D_MODEL, AB__RT_EXPERTS, AB__RT_K, AB__RT_GATE, AB__RT_RENORM, AB__RT_TAU_PCT,
    AB__RT_TOP_P_PCT, AB__RT_CAP_PCT, AB__RT_DIST, AB__RT_SPREAD, AB__RT_PARAM_COUNT
};

/* Input distributions of the routing cases (the FFN family reuses them). */
enum ab__route_dist {
    AB__RT_DIST_NORMAL,    /* x ~ N(0,1), gate rows ~ N(0, (spread/10)^2 / d) */
    AB__RT_DIST_TIES,      /* as normal, gate rows 2i+1 copy rows 2i: exact logit ties */
    AB__RT_DIST_ONE,       /* every token strongly prefers expert 0 */
    AB__RT_DIST_PEAKED,    /* exact logits: 9 for one expert, 0 for the next 7, -3 for the rest */
    AB__RT_DIST_COUNT
};

enum ab__ffn_param {
    AB__FF_TOKENS, AB__FF_D_MODEL, AB__FF_D_FF, AB__FF_EXPERTS, AB__FF_K, AB__FF_ACT, AB__FF_GATE, AB__FF_CAP_PCT,
    AB__FF_DIST, AB__FF_PARAM_COUNT
};

/* Parameters of moe_ffn, shared by moe_ffn_i8 (same shapes, same cases). */
extern const struct ab_param ab__moe_ffn_params[AB__FF_PARAM_COUNT];

/* A moe_ffn case (moe_ffn_family.c); moe_ffn_i8 builds one and quantises its weights. */
struct ffn_case {
    struct ab_case base;  /* first member: see kernel.h */
    struct ab_moe_ffn_args args;
    float *x, *w13, *w2, *y[AB_SLOT_COUNT];
    int32_t *expert;
    float *weight;
    uint8_t *keep;
    size_t y_elems;
};

double ab__moe_route_flops(const struct ab_shape *shape);
double ab__moe_route_bytes(const struct ab_shape *shape);
double ab__moe_ffn_flops(const struct ab_shape *shape);
double ab__moe_ffn_bytes(const struct ab_shape *shape);
double ab__moe_ffn_i8_bytes(const struct ab_shape *shape);

/* Argument checks shared by the routing variants. */
enum ab_status ab__moe_route_check(const struct ab_moe_route_args *args, const struct ab_exec *exec);

/*
 * Grant capacity in token order (see moe.h): clears keep and weight of slots beyond
 * the capacity. counts: n_experts scratch integers.
 */
void ab__moe_apply_capacity(const struct ab_moe_route_args *args, size_t *counts);

/*
 * Dispatch (moe_dispatch.c): counting sort of the kept slots by expert, stable in token
 * order. off: n_e + 1 starts of each expert's rows (off[n_e] = kept slots); rows[r]:
 * token of dispatched row r; slot_row[t * k + s]: row of slot s of token t, or -1.
 * AB_EINVAL for an expert index >= n_e.
 */
struct ab_rng;
/* Seeded router inputs (x: n_t x d, wg: n_e x d); see moe_route_family.c. */
void ab__moe_fill_router(struct ab_rng *rng, int64_t dist, int64_t spread, size_t n_t, size_t d, size_t n_e,
                         float *x, float *wg);
/* Route a layer case with the reference router, untimed (moe_route_family.c). */
enum ab_status ab__moe_route_case(struct ab_rng *rng, size_t n_t, size_t d, size_t n_e, enum ab_moe_gate gate, int k,
                                  int64_t cap_pct, int64_t dist, float *x, int32_t *expert, float *weight,
                                  uint8_t *keep);

enum ab_status ab__moe_dispatch(const struct ab_moe_routing *route, size_t n_e, size_t *off, int32_t *rows,
                                int32_t *slot_row);
/* Combine: y_t = sum over kept slots in slot order of weight * yp[slot_row] (d wide). */
void ab__moe_combine(const struct ab_moe_routing *route, const int32_t *slot_row, const float *yp, size_t d,
                     float *y, int n_threads);

/* Tolerance of routing weights and of the FFN output. */
#define AB__ROUTE_TOL { .cmp = AB_CMP_SETS, .rel = 1e-6, .scale_param = AB__RT_D_MODEL, .scale_ref = 1024.0 }
#define AB__FFN_TOL { .cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = -1, .scale_ref = 0.0 }
/* INT8 FFN against its integer-exact reference: see moe_ffn_i8_family.c */
#define AB__FFN_I8_TOL { .cmp = AB_CMP_REL_FRO, .rel = 1e-3, .scale_param = -1, .scale_ref = 0.0 }

#define AB__MOE_ALIGN_UP(x, a) (((x) + (a) - 1) / (a) * (a))

#endif /* ARCHBENCH_MOE_IMPL_H */
