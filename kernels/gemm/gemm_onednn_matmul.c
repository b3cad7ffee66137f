/*
 * gemm_onednn_matmul.c - oneDNN's matmul primitive with half-precision inputs (bf16 or
 * f16) and f32 output, the call behind gemm_bf16_onednn and gemm_f16_onednn (built only
 * with the onednn feature).
 *
 * Where the creation cost goes: the families' cases have no per-variant state, so every
 * call builds the descriptors, the primitive descriptor and the primitive, and wraps A, B
 * and C in memory objects. oneDNN's primitive cache (on by default) returns the same
 * primitive from the second call of a shape on, so the timed calls pay a cache lookup plus
 * the descriptor work (tens of microseconds, under 1% at 1024^3), not the JIT
 * compilation. The CPU engine and its stream are made once per process (pthread_once) and
 * never released, as oneDNN's own global state is not.
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

#include "gemm_onednn_impl.h"

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

/* The primitive descriptor of g (alpha and beta as attributes, which it copies) and its
 * memory descriptors; on success the caller destroys *out_pd. */
static dnnl_status_t make_pd(const struct ab__onednn_matmul *g, dnnl_memory_desc_t md[3], dnnl_primitive_desc_t *out_pd)
{
    dnnl_dims_t a_dims = {(dnnl_dim_t)g->m, (dnnl_dim_t)g->k}, a_strides = {(dnnl_dim_t)g->lda, 1};
    dnnl_dims_t b_dims = {(dnnl_dim_t)g->k, (dnnl_dim_t)g->n};
    dnnl_dims_t b_strides = {g->trans_b ? 1 : (dnnl_dim_t)g->ldb, g->trans_b ? (dnnl_dim_t)g->ldb : 1};
    dnnl_dims_t c_dims = {(dnnl_dim_t)g->m, (dnnl_dim_t)g->n}, c_strides = {(dnnl_dim_t)g->ldc, 1};
    dnnl_status_t st = dnnl_memory_desc_init_by_strides(&md[0], 2, a_dims, g->in, a_strides);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_strides(&md[1], 2, b_dims, g->in, b_strides);
    if (st == dnnl_success)
        st = dnnl_memory_desc_init_by_strides(&md[2], 2, c_dims, dnnl_f32, c_strides);
    dnnl_matmul_desc_t desc;
    if (st == dnnl_success)
        st = dnnl_matmul_desc_init(&desc, &md[0], &md[1], NULL, &md[2]);
    if (st != dnnl_success)
        return st;

    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
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
        st = dnnl_primitive_desc_create(out_pd, &desc, attr, engine, NULL);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    return st;
}

static dnnl_status_t run_matmul(const struct ab__onednn_matmul *g)
{
    dnnl_memory_desc_t md[3];
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t prim = NULL;
    dnnl_memory_t a_mem = NULL, b_mem = NULL, c_mem = NULL;
    dnnl_status_t st = make_pd(g, md, &pd);
    if (st == dnnl_success)
        st = dnnl_primitive_create(&prim, pd);
    if (st == dnnl_success)
        st = dnnl_memory_create(&a_mem, &md[0], engine, unconst(g->a));
    if (st == dnnl_success)
        st = dnnl_memory_create(&b_mem, &md[1], engine, unconst(g->b));
    if (st == dnnl_success)
        st = dnnl_memory_create(&c_mem, &md[2], engine, g->c);
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
    return st;
}

dnnl_status_t ab__onednn_matmul_run(const struct ab__onednn_matmul *mm, int n_threads)
{
    pthread_once(&engine_once, make_engine);
    if (engine_status != dnnl_success)
        return engine_status;
    int saved = omp_get_max_threads();
    omp_set_num_threads(n_threads);
    dnnl_status_t st = run_matmul(mm);
    omp_set_num_threads(saved);
    return st;
}

dnnl_status_t ab__onednn_matmul_probe(dnnl_data_type_t in)
{
    pthread_once(&engine_once, make_engine);
    if (engine_status != dnnl_success)
        return engine_status;
    struct ab__onednn_matmul mm = {.in = in, .m = 16, .n = 16, .k = 16, .lda = 16, .ldb = 16, .ldc = 16,
                                   .alpha = 1.0f, .beta = 0.0f};
    dnnl_memory_desc_t md[3];
    dnnl_primitive_desc_t pd = NULL;
    dnnl_status_t st = make_pd(&mm, md, &pd);
    if (st == dnnl_success)
        dnnl_primitive_desc_destroy(pd);
    return st;
}
