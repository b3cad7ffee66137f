/*
 * gemm_bf16_onednn.c - oneDNN's matmul primitive with bf16 inputs and f32 output as the
 * gemm_bf16 baseline (built only with the onednn feature), verified against the
 * reference like any variant.
 *
 * Where the creation cost goes: the family's case has no per-variant state, so every call
 * builds the descriptors, the primitive descriptor and the primitive, and wraps A, B and
 * C in memory objects. oneDNN's primitive cache (on by default) returns the same primitive
 * from the second call of a shape on, so the timed calls pay a cache lookup plus the
 * descriptor work (tens of microseconds, under 1% at 1024^3), not the JIT compilation. The
 * CPU engine and its stream are made once per process (pthread_once) and never released,
 * as oneDNN's own global state is not.
 *
 * alpha is an output scale and beta a sum post-op (oneDNN's matmul has no beta of its
 * own); beta == 0 appends no sum, so C is not read. oneDNN parallelises with the caller's
 * OpenMP settings: the call sets the team size it was given and restores the caller's.
 * oneDNN dispatches on its own CPUID, not on archbench's CPU mask.
 */
#include <omp.h>
#include <pthread.h>
#include <string.h>

#include <oneapi/dnnl/dnnl.h>

#include "archbench/cpu.h"
#include "archbench/gemm_bf16.h"

#include "gemm_bf16_impl.h"

static dnnl_engine_t engine;
static dnnl_stream_t stream;
static dnnl_status_t engine_status = dnnl_runtime_error;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

static void make_engine(void)
{
    engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0);
    if (engine_status == dnnl_success)
        engine_status = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
}

/* oneDNN takes non-const handles for inputs it only reads. */
static void *unconst(const void *p)
{
    void *q;
    memcpy(&q, &p, sizeof q);
    return q;
}

static dnnl_status_t run_matmul(const struct ab_gemm_bf16_args *g)
{
    dnnl_memory_desc_t a_md, b_md, c_md;
    dnnl_dims_t a_dims = {(dnnl_dim_t)g->m, (dnnl_dim_t)g->k}, a_strides = {(dnnl_dim_t)g->lda, 1};
    dnnl_dims_t b_dims = {(dnnl_dim_t)g->k, (dnnl_dim_t)g->n};
    dnnl_dims_t b_strides = {g->trans_b ? 1 : (dnnl_dim_t)g->ldb, g->trans_b ? (dnnl_dim_t)g->ldb : 1};
    dnnl_dims_t c_dims = {(dnnl_dim_t)g->m, (dnnl_dim_t)g->n}, c_strides = {(dnnl_dim_t)g->ldc, 1};
    dnnl_status_t st = dnnl_memory_desc_init_by_strides(&a_md, 2, a_dims, dnnl_bf16, a_strides);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_strides(&b_md, 2, b_dims, dnnl_bf16, b_strides);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_strides(&c_md, 2, c_dims, dnnl_f32, c_strides);
    dnnl_matmul_desc_t desc;
    if (st == dnnl_success)
        st = dnnl_matmul_desc_init(&desc, &a_md, &b_md, NULL, &c_md);
    if (st != dnnl_success)
        return st;

    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t a_mem = NULL, b_mem = NULL, c_mem = NULL;
    st = dnnl_primitive_attr_create(&attr);
    if (st == dnnl_success && g->alpha != 1.0f)
        st = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &g->alpha);
    if (st == dnnl_success && g->beta != 0.0f) {
        st = dnnl_post_ops_create(&ops);
        if (st == dnnl_success)
            st = dnnl_post_ops_append_sum(ops, g->beta);
        if (st == dnnl_success)
            st = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    if (st == dnnl_success)
        st = dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&prim, pd);
    if (st == dnnl_success)
        st = dnnl_memory_create(&a_mem, &a_md, engine, unconst(g->a));
    if (st == dnnl_success)
        st = dnnl_memory_create(&b_mem, &b_md, engine, unconst(g->b));
    if (st == dnnl_success)
        st = dnnl_memory_create(&c_mem, &c_md, engine, g->c);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, a_mem}, {DNNL_ARG_WEIGHTS, b_mem}, {DNNL_ARG_DST, c_mem}};
        st = dnnl_primitive_execute(prim, stream, 3, args);
        if (st == dnnl_success)
            st = dnnl_stream_wait(stream);
    }
    dnnl_memory_destroy(c_mem);
    dnnl_memory_destroy(b_mem);
    dnnl_memory_destroy(a_mem);
    dnnl_primitive_destroy(prim);
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    return st;
}

static enum ab_status gemm_bf16_onednn(const struct ab_gemm_bf16_args *args, const struct ab_exec *exec)
{
    if (!args || !exec || exec->n_threads < 1)
        return AB_EINVAL;
    if (args->m == 0 || args->n == 0)
        return AB_OK;
    if (!args->a || !args->b || !args->c || args->k == 0)
        return AB_EINVAL;
    pthread_once(&engine_once, make_engine);
    if (engine_status != dnnl_success)
        return AB_EINVAL;
    int saved = omp_get_max_threads();
    omp_set_num_threads(exec->n_threads);
    dnnl_status_t st = run_matmul(args);
    omp_set_num_threads(saved);
    return st == dnnl_success ? AB_OK : AB_EINVAL;
}

extern const struct ab_kernel ab__kernel_gemm_bf16_onednn;
const struct ab_kernel ab__kernel_gemm_bf16_onednn = {
    .name = "gemm_bf16_onednn",
    .family = &ab_family_gemm_bf16,
    .variant = "onednn",
    .doc = "oneDNN matmul primitive, bf16 inputs, f32 output (primitive from oneDNN's cache after the first call)",
    .isa_needs = AB_ISA_AVX512,
    .is_ref = false,
    .fn.gemm_bf16 = gemm_bf16_onednn,
    .supports = NULL,
    .workspace_bytes = ab__gemm_bf16_no_workspace,
    .flops = ab__gemm_bf16_flops,
    .bytes = ab__gemm_bf16_bytes,
    .tol = AB__GEMM_BF16_TOL,
};
