/*
 * probe_family.c - the `peak` family: shape (kind, n), FLOP/byte models and the
 * harness-side case functions. The probes are verified against their reference like
 * every kernel (an FMA chain computed twice must agree bit for bit). Memory probes
 * default to a working set sized from the last-level cache (n=auto, below).
 */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/cpu.h"
#include "archbench/probe.h"
#include "archbench/rng.h"

#include "probe_impl.h"

static const char *const kind_names[] = {"fp32_fma", "int8_dot", "mem_read", "mem_triad"};
_Static_assert(sizeof kind_names / sizeof kind_names[0] == AB_PROBE_KIND_COUNT, "kind names");

static const char *const n_names[] = {[AB_PROBE_N_AUTO] = "auto"};

static const struct ab_param probe_params[] = {
    [AB__PROBE_KIND] = {"kind", "fp32_fma, int8_dot, mem_read or mem_triad", 0, 0, AB_PROBE_KIND_COUNT - 1,
                        kind_names, AB_PROBE_KIND_COUNT},
    [AB__PROBE_N] = {"n", "rounds (fma, dot) or elements (memory); auto: 16384 rounds, or 4x the last-level cache",
                     AB_PROBE_N_AUTO, 0, INT64_C(1) << 31, n_names, 1},
};

/*
 * The sweeps are static tables, but a memory probe's size depends on the machine it
 * runs on, so the tables say n=auto and every function that needs the size (FLOPs,
 * bytes, io_bytes, the case builder, the metrics) resolves it through ab__probe_n. The
 * resolution is a pure function of CPUID, so the runner's figures and the case agree;
 * the shape text stays "n=auto" and metrics.csv states the elements, working set and
 * cache it was sized from.
 */
#define SHAPE(kind, n) {{kind, n}}
static const struct ab_shape sweep_default[] = {
    SHAPE(AB_PROBE_FP32_FMA, AB_PROBE_N_AUTO), SHAPE(AB_PROBE_INT8_DOT, AB_PROBE_N_AUTO),
    SHAPE(AB_PROBE_MEM_READ, AB_PROBE_N_AUTO), SHAPE(AB_PROBE_MEM_TRIAD, AB_PROBE_N_AUTO),
};
static const struct ab_shape sweep_test[] = {
    SHAPE(AB_PROBE_FP32_FMA, 1),   SHAPE(AB_PROBE_FP32_FMA, 37), SHAPE(AB_PROBE_INT8_DOT, 1),
    SHAPE(AB_PROBE_INT8_DOT, 20000), /* wraps int32: vpdpbusd wraps, the reference must too */
    SHAPE(AB_PROBE_MEM_READ, 1),   SHAPE(AB_PROBE_MEM_READ, 1003),  SHAPE(AB_PROBE_MEM_TRIAD, 1),
    SHAPE(AB_PROBE_MEM_TRIAD, 1003),
};

/* Bytes one element of a memory probe adds to the working set of a call. */
static size_t bytes_per_element(enum ab_probe_kind kind)
{
    return kind == AB_PROBE_MEM_TRIAD ? 3 * sizeof(float) : sizeof(int32_t);
}

/* When CPUID states no cache (off x86, or a hypervisor hiding every cache leaf): 4x a
 * 256 MiB LLC; a machine with a larger one needs an explicit n. */
#define UNKNOWN_LLC_WORKING_SET_BYTES (INT64_C(1) << 30)

/*
 * Last-level cache of the whole machine: one instance times the instances covering the
 * online CPUs (threads on several CCXs or sockets together hold that much). 0 unknown.
 */
static struct {
    pthread_once_t once;
    int64_t one, total;
} llc_info = {.once = PTHREAD_ONCE_INIT};

static void llc_read_once(void)
{
    int n_sharing = -1;
    int64_t one = ab_cpu_llc_bytes(NULL, &n_sharing);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int64_t instances = 1;
    if (n_sharing > 0 && online > n_sharing)
        instances = ((int64_t)online + n_sharing - 1) / n_sharing;
    llc_info.one = one;
    llc_info.total = one * instances;
}

/* Read once per process, like the cache leaves: glibc's sysconf opens
 * /sys/devices/system/cpu/online on every call, and a plan asks for every probe case's
 * size several times (half of a plan-building fuzzer's time was that file). */
static int64_t llc_total_bytes(int64_t *out_instance_bytes)
{
    pthread_once(&llc_info.once, llc_read_once);
    *out_instance_bytes = llc_info.one;
    return llc_info.total;
}

size_t ab__probe_n(const struct ab_shape *s)
{
    int64_t n = s->v[AB__PROBE_N];
    enum ab_probe_kind kind = (enum ab_probe_kind)s->v[AB__PROBE_KIND];
    if (n != AB_PROBE_N_AUTO)
        return (size_t)n;
    if (kind == AB_PROBE_FP32_FMA || kind == AB_PROBE_INT8_DOT)
        return AB_PROBE_AUTO_ROUNDS;
    int64_t one = 0, llc = llc_total_bytes(&one);
    int64_t ws = llc > 0 ? AB_PROBE_LLC_FACTOR * llc : UNKNOWN_LLC_WORKING_SET_BYTES;
    int64_t per = (int64_t)bytes_per_element(kind);
    n = (ws + per - 1) / per;
    int64_t max = probe_params[AB__PROBE_N].max;
    return (size_t)(n < max ? n : max);
}

double ab__probe_flops(const struct ab_shape *s)
{
    double n = (double)ab__probe_n(s);
    switch ((enum ab_probe_kind)s->v[AB__PROBE_KIND]) {
    case AB_PROBE_FP32_FMA:
        return 2.0 * AB_PROBE_LANES * n;
    case AB_PROBE_INT8_DOT:
        return 2.0 * 4.0 * AB_PROBE_LANES * n;
    case AB_PROBE_MEM_READ:
        return n;
    case AB_PROBE_MEM_TRIAD:
        return 2.0 * n;
    case AB_PROBE_KIND_COUNT:
        break;
    }
    return NAN;
}

double ab__probe_bytes(const struct ab_shape *s)
{
    double n = (double)ab__probe_n(s);
    switch ((enum ab_probe_kind)s->v[AB__PROBE_KIND]) {
    case AB_PROBE_FP32_FMA:
        return 4.0 * AB_PROBE_BLOCK_LANES + 4.0 * AB_PROBE_LANES;
    case AB_PROBE_INT8_DOT:
        return 8.0 * AB_PROBE_DOT_INPUT_LANES + 4.0 * AB_PROBE_LANES;
    case AB_PROBE_MEM_READ:
        return 4.0 * n;
    case AB_PROBE_MEM_TRIAD:
        return 12.0 * n;
    case AB_PROBE_KIND_COUNT:
        break;
    }
    return NAN;
}

size_t ab__probe_no_workspace(const struct ab_shape *shape, int n_threads)
{
    (void)shape;
    (void)n_threads;
    return 0;
}

static uint64_t probe_io_bytes(const struct ab_shape *s)
{
    return (uint64_t)ab__probe_bytes(s);
}

struct probe_case {
    struct ab_case base;   /* first member: see kernel.h */
    struct ab_probe_args args;
    float *f_out[AB_SLOT_COUNT];
    int32_t *i32_out[AB_SLOT_COUNT];
    size_t n_out;   /* elements in each output slot */
};

static enum ab_status probe_case_new(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                                     struct ab_error *err)
{
    struct ab_case *base = NULL;
    enum ab_status st = ab_case_new(&ab_family_peak, shape, seed, sizeof(struct probe_case), &base, err);
    if (st != AB_OK)
        return st;
    struct probe_case *p = (struct probe_case *)base;
    enum ab_probe_kind kind = (enum ab_probe_kind)shape->v[AB__PROBE_KIND];
    size_t n = ab__probe_n(shape);
    struct ab_probe_args *a = &p->args;
    a->kind = kind;
    a->n = n;
    struct ab_rng rng;
    ab_rng_seed(&rng, seed);
    bool ok = true;
    switch (kind) {
    case AB_PROBE_FP32_FMA: {
        p->n_out = AB_PROBE_LANES;
        float *in = ab_case_alloc(base, AB_PROBE_BLOCK_LANES * sizeof(float));
        for (int s = 0; s < AB_SLOT_COUNT; s++)
            p->f_out[s] = ab_case_alloc(base, AB_PROBE_LANES * sizeof(float));
        ok = in && p->f_out[0] && p->f_out[1];
        if (ok) {
            ab_rng_fill_uniform_f32(&rng, in, AB_PROBE_BLOCK_LANES, 0.5f, 2.0f);
            /* NaN until written: a block the probe skips cannot pass the check */
            for (int s = 0; s < AB_SLOT_COUNT; s++)
                for (size_t i = 0; i < AB_PROBE_LANES; i++)
                    p->f_out[s][i] = NAN;
        }
        a->f_in = in;
        break;
    }
    case AB_PROBE_INT8_DOT: {
        p->n_out = AB_PROBE_LANES;
        uint8_t *u8 = ab_case_alloc(base, 4 * AB_PROBE_DOT_INPUT_LANES);
        int8_t *s8 = ab_case_alloc(base, 4 * AB_PROBE_DOT_INPUT_LANES);
        for (int s = 0; s < AB_SLOT_COUNT; s++)
            p->i32_out[s] = ab_case_alloc(base, AB_PROBE_LANES * sizeof(int32_t));
        ok = u8 && s8 && p->i32_out[0] && p->i32_out[1];
        /* INT32_MIN until written, as the NaN above (no real lane is likely to wrap to it) */
        for (int s = 0; ok && s < AB_SLOT_COUNT; s++)
            for (size_t i = 0; i < AB_PROBE_LANES; i++)
                p->i32_out[s][i] = INT32_MIN;
        for (size_t i = 0; ok && i < 4 * AB_PROBE_DOT_INPUT_LANES; i++) {
            u8[i] = (uint8_t)ab_rng_below(&rng, 256);
            s8[i] = (int8_t)((int)ab_rng_below(&rng, 256) - 128);
        }
        a->u8_in = u8;
        a->s8_in = s8;
        break;
    }
    case AB_PROBE_MEM_READ: {
        p->n_out = 1;
        int32_t *in = ab_case_alloc(base, n * sizeof(int32_t));
        for (int s = 0; s < AB_SLOT_COUNT; s++)
            p->i32_out[s] = ab_case_alloc(base, sizeof(int32_t));
        ok = in && p->i32_out[0] && p->i32_out[1];
        for (size_t i = 0; ok && i < n; i++)
            in[i] = (int32_t)(ab_rng_u64(&rng) >> 33);
        a->i32_in = in;
        break;
    }
    case AB_PROBE_MEM_TRIAD: {
        p->n_out = n;
        float *c_in = ab_case_alloc(base, n * sizeof(float));
        float *b_in = ab_case_alloc(base, n * sizeof(float));
        for (int s = 0; s < AB_SLOT_COUNT; s++)
            p->f_out[s] = ab_case_alloc(base, n * sizeof(float));
        ok = c_in && b_in && p->f_out[0] && p->f_out[1];
        if (ok) {
            ab_rng_fill_uniform_f32(&rng, c_in, n, -1.0f, 1.0f);
            ab_rng_fill_uniform_f32(&rng, b_in, n, -1.0f, 1.0f);
        }
        a->f_in = c_in;
        a->f_in2 = b_in;
        break;
    }
    case AB_PROBE_KIND_COUNT:
        ok = false;
        break;
    }
    for (int s = 0; s < AB_SLOT_COUNT && ok; s++)
        ok = p->f_out[s] ? ab_case_output(base, (enum ab_slot)s, "out", p->f_out[s], AB_ELEM_F32, 1, p->n_out, p->n_out)
                         : ab_case_output(base, (enum ab_slot)s, "out", p->i32_out[s], AB_ELEM_I32, 1, p->n_out,
                                          p->n_out);
    if (!ok) {
        ab_case_free(base);
        return ab_error_set(err, AB_ENOMEM, "peak: out of memory for n=%zu", n);
    }
    *out_case = base;
    return AB_OK;
}

static enum ab_status probe_case_run(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                     enum ab_slot slot)
{
    struct probe_case *p = (struct probe_case *)c;
    struct ab_probe_args args = p->args;
    args.f_out = p->f_out[slot];
    args.i32_out = p->i32_out[slot];
    return kernel->fn.probe(&args, exec);
}

static void probe_case_compare(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out)
{
    const struct probe_case *p = (const struct probe_case *)c;
    if (p->f_out[AB_SLOT_REF])
        ab_check_f32(p->f_out[AB_SLOT_REF], p->f_out[AB_SLOT_TEST], p->n_out,
                     ab_kernel_tolerance(kernel, &c->shape), out);
    else
        ab_check_i32(p->i32_out[AB_SLOT_REF], p->i32_out[AB_SLOT_TEST], p->n_out, out);
}

/* What n=auto resolved to, so the size a memory probe measured is on record. */
static size_t probe_case_metrics(struct ab_case *c, struct ab_metric *out)
{
    enum ab_probe_kind kind = (enum ab_probe_kind)c->shape.v[AB__PROBE_KIND];
    size_t n = ab__probe_n(&c->shape), k = 0;
    if (kind != AB_PROBE_MEM_READ && kind != AB_PROBE_MEM_TRIAD)
        return 0;
    int64_t one = 0, llc = llc_total_bytes(&one);
    double ws = (double)(n * bytes_per_element(kind));
    out[k++] = (struct ab_metric){"elements", (double)n, "elements"};
    out[k++] = (struct ab_metric){"working_set_bytes", ws, "bytes"};
    out[k++] = (struct ab_metric){"llc_bytes_per_instance", one > 0 ? (double)one : (double)NAN, "bytes"};
    out[k++] = (struct ab_metric){"llc_bytes_total", llc > 0 ? (double)llc : (double)NAN, "bytes"};
    out[k++] = (struct ab_metric){"working_set_over_llc", llc > 0 ? ws / (double)llc : (double)NAN, "ratio"};
    return k;
}

const struct ab_family ab_family_peak = {
    .name = "peak",
    .doc = "peak probes: FP32 FMA, INT8 dot product, memory read and triad bandwidth",
    .flops_doc = "fma 2*184320*n; dot 8*184320*n; read n adds; triad 2n",
    .params = probe_params,
    .n_params = sizeof probe_params / sizeof probe_params[0],
    AB_SWEEPS(sweep_default, sweep_default, sweep_test),
    .tokens = NULL,
    .io_bytes = probe_io_bytes,
    .case_new = probe_case_new,
    .case_free = ab_case_free,
    .case_run = probe_case_run,
    .case_compare = probe_case_compare,
    .case_metrics = probe_case_metrics,
    .compute_peak = AB_PEAK_FP32,
    .is_probe = true,
};
