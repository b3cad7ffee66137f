/*
 * kernel.h - kernel families, variant descriptors and the registry.
 *
 * A family (FP32 GEMM, exact attention, MoE routing, ...) has one typed signature,
 * named shape parameters with default sweeps, and harness-side "case" functions that
 * build seeded inputs for a shape, run any variant of the family on them, and compare
 * a variant's output with the reference's. A variant is a `const struct ab_kernel`
 * descriptor living beside its code; the registry (kernels/registry_list.h) lists
 * every descriptor, reference last within its family, optimized variants fastest
 * first, so "best" is the first runnable row.
 *
 * Kernels never allocate and never print: the caller passes a workspace of at least
 * workspace_bytes(shape, n_threads), aligned to AB_ALIGN_BYTES. Case functions are
 * harness code and may allocate, but are never inside a timed region.
 */
#ifndef ARCHBENCH_KERNEL_H
#define ARCHBENCH_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archbench/api.h"
#include "archbench/status.h"

/* ---- shapes ---------------------------------------------------------------------- */

#define AB_SHAPE_MAX_PARAMS 16

/* Parameter values of one shape, in the order of the family's params[]. */
struct ab_shape {
    int64_t v[AB_SHAPE_MAX_PARAMS];
};

struct ab_param {
    const char *name;                /* "m", "n_q", "causal", "dist" */
    const char *doc;                 /* one line for --help and list */
    int64_t def;                     /* value used when a sweep or --set leaves it out */
    int64_t min, max;                /* accepted range, inclusive */
    const char *const *value_names;  /* NULL, or names of values 0..n_value_names-1 */
    size_t n_value_names;
};

/* ---- execution context -------------------------------------------------------------- */

struct ab_exec {
    int n_threads;           /* >= 1; a kernel uses at most this many OpenMP threads */
    void *workspace;         /* AB_ALIGN_BYTES aligned, NULL when workspace_bytes is 0 */
    size_t workspace_bytes;  /* at least the kernel's workspace_bytes(shape, n_threads) */
};

/* ---- typed signatures, one per family ------------------------------------------------ */

struct ab_gemm_f32_args;
struct ab_gemm_bf16_args;
struct ab_gemm_f16_args;
struct ab_gemm_i8_args;
struct ab_mha_args;
struct ab_linear_attn_args;
struct ab_lsh_attn_args;
struct ab_rope_args;
struct ab_moe_route_args;
struct ab_moe_ffn_args;
struct ab_moe_ffn_i8_args;
struct ab_moe_dispatch_args;
struct ab_probe_args;
struct ab_layer_args;
struct ab_moe_ep_args;
struct ab_tp_allreduce_args;

typedef enum ab_status ab_gemm_f32_fn(const struct ab_gemm_f32_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_gemm_bf16_fn(const struct ab_gemm_bf16_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_gemm_f16_fn(const struct ab_gemm_f16_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_gemm_i8_fn(const struct ab_gemm_i8_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_mha_fn(const struct ab_mha_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_linear_attn_fn(const struct ab_linear_attn_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_lsh_attn_fn(const struct ab_lsh_attn_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_rope_fn(const struct ab_rope_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_moe_route_fn(const struct ab_moe_route_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_moe_ffn_fn(const struct ab_moe_ffn_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_moe_ffn_i8_fn(const struct ab_moe_ffn_i8_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_moe_dispatch_fn(const struct ab_moe_dispatch_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_probe_fn(const struct ab_probe_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_layer_fn(const struct ab_layer_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_moe_ep_fn(const struct ab_moe_ep_args *args, const struct ab_exec *exec);
typedef enum ab_status ab_tp_allreduce_fn(const struct ab_tp_allreduce_args *args, const struct ab_exec *exec);

/* The member used is the one named like the descriptor's family; no casts anywhere. */
union ab_kernel_fn {
    ab_gemm_f32_fn *gemm_f32;
    ab_gemm_bf16_fn *gemm_bf16;
    ab_gemm_f16_fn *gemm_f16;
    ab_gemm_i8_fn *gemm_i8;
    ab_mha_fn *mha;
    ab_linear_attn_fn *linear_attn;
    ab_lsh_attn_fn *lsh_attn;
    ab_rope_fn *rope;
    ab_moe_route_fn *moe_route;
    ab_moe_ffn_fn *moe_ffn;
    ab_moe_ffn_i8_fn *moe_ffn_i8;
    ab_moe_dispatch_fn *moe_dispatch;
    ab_probe_fn *probe;
    ab_layer_fn *layer;
    ab_moe_ep_fn *moe_ep;
    ab_tp_allreduce_fn *tp_allreduce;
};

/* ---- comparison against the reference ------------------------------------------------- */

enum ab_cmp {
    AB_CMP_REL_FRO,  /* ||test - ref||_F / ||ref||_F <= tol, same NaN/Inf positions */
    AB_CMP_EXACT,    /* bit-exact (integer accumulators) */
    AB_CMP_SETS,     /* same selected index sets per row (routing), weights by rel_fro */
    AB_CMP_COUNT
};

/*
 * Tolerance rule: allowed error = rel * sqrt(max(1, shape.v[scale_param] / scale_ref)),
 * i.e. error may grow like the square root of a reduction length. scale_param < 0
 * means a fixed tolerance.
 */
struct ab_tol {
    enum ab_cmp cmp;
    double rel;
    int scale_param;
    double scale_ref;
};

/* Outcome of comparing a variant's output with the reference's on one case. */
struct ab_check {
    bool ok;
    enum ab_cmp cmp;
    double err;            /* the figure compared with tol (relative error, or mismatches) */
    double tol;            /* allowed value of err for this shape */
    double max_abs_err;    /* largest |test - ref| over finite pairs */
    double cosine;         /* cosine similarity of test and ref (1 when both are zero) */
    int64_t n_mismatch;    /* elements differing (exact) or rows with other sets (sets) */
    int64_t n_nonfinite_mismatch; /* positions where NaN/Inf differ */
    char detail[160];      /* first offending index and values, for the failure message */
};

/* ---- families and variant descriptors -------------------------------------------------- */

struct ab_kernel;

/*
 * One benchmark/test case: seeded inputs for a shape plus one output buffer per slot.
 * A family embeds this as the FIRST member of its own case struct and converts the
 * pointer back in its case functions (the usual C "base struct" idiom).
 */
enum ab_slot {
    AB_SLOT_REF,   /* output buffer the reference writes */
    AB_SLOT_TEST,  /* output buffer a variant under test writes */
    AB_SLOT_COUNT
};

#define AB_CASE_MAX_OWNED 32
#define AB_CASE_MAX_OUTPUTS 8   /* registered outputs per slot */
#define AB_CASE_MAX_INPUTS 16   /* registered inputs the case does not own */

/*
 * Bytes of guard zone before and after every buffer from ab_case_alloc, filled with
 * AB_CASE_GUARD_BYTE and checked by ab_case_verify: a multiple of AB_ALIGN_BYTES, so
 * the buffer itself stays aligned, and wide enough for a full vector store past the end.
 */
#define AB_CASE_GUARD_BYTES 64
#define AB_CASE_GUARD_BYTE 0xDB
/* Integer outputs of AB_SLOT_TEST are filled with this byte before a checked call (no
 * reference writes 0xA5A5A5A5 everywhere); float outputs with NaN. */
#define AB_CASE_POISON_BYTE 0xA5

/* Element type of a registered output: how it is poisoned before a checked call. */
enum ab_elem {
    AB_ELEM_F32,
    AB_ELEM_F64,
    AB_ELEM_I8,
    AB_ELEM_U8,
    AB_ELEM_I32,
    AB_ELEM_I64,
    AB_ELEM_COUNT
};

/* A buffer the case knows by name: owned (guarded, block != NULL) or only registered. */
struct ab_case_buf {
    const char *name;   /* static string; NULL for an owned buffer never named */
    void *ptr;
    size_t bytes;
    void *block;        /* the allocation including its guard zones; NULL if not owned */
};

/* An output of one slot: rows x cols elements, row i starting at element i * ld. */
struct ab_case_output {
    const char *name;   /* static string, e.g. "c", "expert" */
    void *ptr;
    enum ab_elem elem;
    size_t rows, cols, ld;
};

struct ab_case {
    const struct ab_family *family;
    struct ab_shape shape;
    uint64_t seed;
    struct ab_case_buf owned[AB_CASE_MAX_OWNED];  /* from ab_case_alloc, released by ab_case_free */
    size_t n_owned;
    struct ab_case_buf inputs[AB_CASE_MAX_INPUTS]; /* inputs owned elsewhere (hashed, not guarded) */
    size_t n_inputs;
    struct ab_case_output outputs[AB_SLOT_COUNT][AB_CASE_MAX_OUTPUTS];
    size_t n_outputs[AB_SLOT_COUNT];
    float *out_f32[AB_SLOT_COUNT];   /* optional single float output per slot (ab_case_outputs_f32) */
    size_t n_out_f32;
};

/*
 * Harness helpers for family case functions (never used inside a kernel):
 * ab_case_new allocates the family's case struct of `bytes` (its first member is
 * struct ab_case), checks the shape against the family's ranges and fills the base;
 * ab_case_alloc returns an AB_ALIGN_BYTES-aligned buffer owned by the case, framed by
 * guard zones (NULL when out of memory or past AB_CASE_MAX_OWNED); ab_case_free
 * releases every owned buffer and the case itself (NULL-safe), so it can be a family's
 * case_free as it is.
 */
AB_API enum ab_status ab_case_new(const struct ab_family *family, const struct ab_shape *shape, uint64_t seed,
                                  size_t bytes, struct ab_case **out_case, struct ab_error *err);
AB_API void *ab_case_alloc(struct ab_case *c, size_t bytes);
AB_API void ab_case_free(struct ab_case *c);

/*
 * What ab_case_verify needs to know about a case. Every family's case_new registers
 * each output of each slot with ab_case_output (ld > cols: the columns from cols to ld
 * are padding, which a kernel must leave alone). Every owned buffer that is not an
 * AB_SLOT_TEST output counts as an input and must be unchanged by a call;
 * ab_case_input names an owned buffer for the messages, or registers an input the case
 * does not own (hashed, but without guard zones). false when a table is full or the
 * output does not fit in a buffer; the case is then unusable.
 */
AB_API bool ab_case_output(struct ab_case *c, enum ab_slot slot, const char *name, void *ptr, enum ab_elem elem,
                           size_t rows, size_t cols, size_t ld);
AB_API bool ab_case_input(struct ab_case *c, const char *name, const void *ptr, size_t bytes);

/*
 * The checked call, checkasm style: poison every AB_SLOT_TEST output (padding
 * included), fill every guard zone, hash every input, run `kernel` into AB_SLOT_TEST
 * with case_run, then check the guard zones, the padding and the input hashes and
 * compare with AB_SLOT_REF (which the reference must have filled) by case_compare.
 * A kernel status other than AB_OK is returned as it is (out_check untouched);
 * otherwise out_check says whether the call passed, and on failure its detail names
 * what happened, where, and the case's seed. Harness code: never inside a timed region.
 */
AB_API enum ab_status ab_case_verify(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                     struct ab_check *out_check);

/*
 * For families whose result is one float array: allocate it for both slots, filled
 * with NaN, and register it as output "out" of each slot; false when out of memory.
 * ab_case_compare_f32 then serves directly as the family's case_compare (relative
 * Frobenius error under the kernel's tolerance rule).
 */
AB_API bool ab_case_outputs_f32(struct ab_case *c, size_t n);
AB_API void ab_case_compare_f32(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out_check);

/* Designated initialisers for a family's three sweep tables (arrays, not pointers). */
#define AB_SWEEPS(def, quick, test)                                                               \
    .sweep_default = (def), .n_sweep_default = sizeof(def) / sizeof((def)[0]), .sweep_quick = (quick), \
    .n_sweep_quick = sizeof(quick) / sizeof((quick)[0]), .sweep_test = (test),                        \
    .n_sweep_test = sizeof(test) / sizeof((test)[0])

/*
 * A figure of a case beyond speed, computed by a family after its outputs exist:
 * fidelity of an approximation against exact attention, routing load statistics,
 * quantisation error. The runner writes them to metrics.csv, one row per figure.
 */
struct ab_metric {
    const char *name;   /* "rel_err_vs_exact", "load_cv", ... (static string) */
    double value;       /* NaN when it could not be computed */
    const char *unit;   /* "ratio", "experts", "tokens", ... (static string) */
};

#define AB_METRICS_MAX 32


/* Which measured peak a family's FLOP rate is a percentage of (speed.csv pct_peak). */
enum ab_peak_kind {
    AB_PEAK_FP32,   /* FP32 FMA throughput probe (the default) */
    AB_PEAK_INT8,   /* INT8 dot-product probe (VNNI) */
    AB_PEAK_BF16,   /* BF16 dot products (vdpbf16ps): FLOPs compared with the FP32 probe, whose
                     * figure they may exceed; the roofline bound is twice it (two multiply-adds
                     * per FP32 lane per instruction), derived, not measured by a probe */
    AB_PEAK_KIND_COUNT
};

/*
 * Hooks of a collective family (parallel.h): its variants run on all MPI ranks
 * together, the runner keeping the ranks in lockstep (bench/run_mpi.c).
 */
struct ab_phase_acc;  /* parallel.h */
struct ab_collective {
    /* NULL when `kernel` can run here on `shape` (NULL: any shape), else why not
     * (static or thread-local string). */
    const char *(*unavailable)(const struct ab_kernel *kernel, const struct ab_shape *shape);
    /* One call of `kernel` on this rank's share as it is timed (nothing gathered);
     * adds its phases, traffic and work to acc. Collective: every rank calls it. */
    enum ab_status (*case_call)(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                                struct ab_phase_acc *acc);
    const char *const *phase_names;  /* n_phases static strings: "route", "dispatch", ... */
    size_t n_phases;                 /* <= AB_PHASES_MAX */
    const char *rows_name;           /* what ab_phase_acc.rows counts: "expert_rows", "tokens" */
};


struct ab_family {
    const char *name;                      /* "gemm_f32": CSV key and filter target */
    const char *doc;                       /* one line */
    const char *flops_doc;                 /* the FLOP-counting convention, stated */
    const struct ab_param *params;
    size_t n_params;                       /* <= AB_SHAPE_MAX_PARAMS */
    const struct ab_shape *sweep_default;  /* `archbench run` */
    size_t n_sweep_default;
    const struct ab_shape *sweep_quick;    /* `archbench run --quick` */
    size_t n_sweep_quick;
    const struct ab_shape *sweep_test;     /* equivalence tests: 1, odd sizes, hard cases */
    size_t n_sweep_test;

    /* Tokens processed by one call (tokens/s); 0 when the notion does not apply. */
    double (*tokens)(const struct ab_shape *shape);
    /* Bytes of inputs plus outputs of one call at this shape (memory.csv). */
    uint64_t (*io_bytes)(const struct ab_shape *shape);

    /* Harness side: allocate and fill seeded inputs and both output slots. */
    enum ab_status (*case_new)(const struct ab_shape *shape, uint64_t seed, struct ab_case **out_case,
                               struct ab_error *err);
    void (*case_free)(struct ab_case *c);
    /* Run `kernel` (of this family) on the case's inputs, writing the slot's outputs. */
    enum ab_status (*case_run)(struct ab_case *c, const struct ab_kernel *kernel, const struct ab_exec *exec,
                               enum ab_slot slot);
    /* Compare AB_SLOT_TEST with AB_SLOT_REF under the kernel's tolerance rule. */
    void (*case_compare)(const struct ab_case *c, const struct ab_kernel *kernel, struct ab_check *out_check);
    /*
     * Optional (NULL if none): figures of this case beyond speed, written to out (at most
     * AB_METRICS_MAX); returns how many. Called after the reference has filled
     * AB_SLOT_REF; may run other computations (e.g. exact attention on the same inputs)
     * and allocate. Never timed.
     */
    size_t (*case_metrics)(struct ab_case *c, struct ab_metric *out_metrics);
    /* Peak the FLOP rate is compared with (0 = FP32); the byte rate is always compared
     * with the measured memory bandwidth. */
    enum ab_peak_kind compute_peak;
    /* True for the peak probes themselves (run first; not compared with a peak). */
    bool is_probe;
    /* Non-NULL for families whose variants run on all MPI ranks together (parallel.h):
     * the runner keeps the ranks in lockstep for them, and they are unavailable (with
     * the reason) without mpirun. */
    const struct ab_collective *collective;
};

struct ab_kernel {
    const char *name;                /* "gemm_f32_avx512": unique, stable, the CSV key */
    const struct ab_family *family;
    const char *variant;             /* "ref", "avx512", "openblas", ... */
    const char *doc;                 /* one line: what this variant does differently */
    uint64_t isa_needs;              /* AB_CPU_BIT(...) mask, see cpu.h */
    bool is_ref;
    union ab_kernel_fn fn;
    /* Shape preconditions beyond the family's ranges; NULL means every shape. */
    bool (*supports)(const struct ab_shape *shape);
    size_t (*workspace_bytes)(const struct ab_shape *shape, int n_threads);
    double (*flops)(const struct ab_shape *shape);  /* nominal FLOPs (family convention) */
    double (*bytes)(const struct ab_shape *shape);  /* bytes this variant moves to/from memory */
    struct ab_tol tol;
    /* Optional (NULL: always available once isa_needs is met): NULL when the variant can
     * run in this process, else why not (a static string). For vendor-library baselines
     * whose library implements the operation on some CPUs only and says so at run time
     * (gemm_f16_onednn), so they are unavailable with the library's reason, like a
     * missing ISA feature, instead of failing or standing in with another computation. */
    const char *(*unavailable)(void);
};

/* ---- the registry ----------------------------------------------------------------------- */

AB_API size_t ab_family_count(void);
AB_API const struct ab_family *ab_family_at(size_t index);        /* NULL past the end */
AB_API const struct ab_family *ab_family_find(const char *name);  /* NULL if unknown */

AB_API size_t ab_kernel_count(void);
AB_API const struct ab_kernel *ab_kernel_at(size_t index);        /* NULL past the end */
AB_API const struct ab_kernel *ab_kernel_find(const char *name);  /* NULL if unknown */

/*
 * Add a variant that is not built into the library: the way plugins and tests (the
 * mutants of tests/mutants/) put their own variants beside the built-in ones. It is
 * listed after them (so it is never a family's "best" ahead of a built-in row) and
 * every lookup and `archbench run` see it. The descriptor must stay valid for the rest
 * of the process. AB_EINVAL for NULL, a reference (a family has exactly one), an unknown
 * family, a missing workspace_bytes/flops/bytes function or a name already taken;
 * AB_ENOMEM past AB_KERNEL_MAX_EXTRA. Not thread safe: register before other threads
 * look kernels up.
 */
#define AB_KERNEL_MAX_EXTRA 32
AB_API enum ab_status ab_kernel_register_extra(const struct ab_kernel *kernel);

/* Is this variant name a vendor-library baseline ("openblas", "onednn"): a measuring
 * stick run beside archbench's kernels, never chosen as a family's best. */
AB_API bool ab_variant_is_baseline(const char *variant);

/* The family's reference variant (exactly one exists; the registry test checks it). */
AB_API const struct ab_kernel *ab_kernel_ref(const struct ab_family *family);

/*
 * Whether the kernel can run with these CPU features on this shape (NULL: any shape).
 * On false, *out_reason (if not NULL) gets a static or thread-local one-line reason such
 * as "needs avx512vnni", the variant's own unavailable() reason, or "shape not supported".
 */
AB_API bool ab_kernel_runnable(const struct ab_kernel *kernel, uint64_t cpu_features, const struct ab_shape *shape,
                               const char **out_reason);

/* First runnable variant of the family in registry order (the reference at worst). */
AB_API const struct ab_kernel *ab_kernel_best(const struct ab_family *family, const struct ab_shape *shape,
                                              uint64_t cpu_features);

/* Tolerance of `kernel` for `shape`, per its ab_tol rule. */
AB_API double ab_kernel_tolerance(const struct ab_kernel *kernel, const struct ab_shape *shape);

/* ---- filter (PCRE2) ---------------------------------------------------------------------- */

struct ab_filter;

/*
 * Compile a filter. It matches a kernel when the regex (PCRE2, UTF) finds a match in
 * "<family>/<name>" (e.g. "gemm_f32/gemm_f32_avx512"). A leading '-' negates it.
 * NULL or "" matches everything. AB_EPARSE with the PCRE2 message and offset.
 * Caller frees with ab_filter_free.
 */
AB_API enum ab_status ab_filter_new(const char *pattern, struct ab_filter **out_filter, struct ab_error *err);
AB_API bool ab_filter_match(const struct ab_filter *filter, const struct ab_kernel *kernel);
AB_API void ab_filter_free(struct ab_filter *filter);

/* ---- shapes ------------------------------------------------------------------------------ */

/* Every parameter set to its default. */
AB_API void ab_shape_default(const struct ab_family *family, struct ab_shape *out_shape);

/* Index of the named parameter, or -1. */
AB_API int ab_param_index(const struct ab_family *family, const char *name);

/*
 * Parse one value of a parameter: an integer (with optional K/M/G suffix, powers of
 * 1024), or one of its value names. AB_EPARSE / AB_EINVAL (out of range) with err.
 */
AB_API enum ab_status ab_param_parse(const struct ab_param *param, const char *text, int64_t *out_value,
                                     struct ab_error *err);

/* "m=1024,n=1024,k=1024,trans_b=0": value names are used where a param has them. */
/*
 * Inverse of ab_shape_format, and more lenient: "P=V,P=V" in any order, value names or
 * numbers, unnamed parameters at their defaults; "" is the default shape. Errors name
 * the parameter (AB_EPARSE malformed, AB_EINVAL unknown/duplicate/out of range).
 */
AB_API enum ab_status ab_shape_parse(const struct ab_family *family, const char *text, struct ab_shape *out_shape,
                                     struct ab_error *err);
AB_API size_t ab_shape_format(const struct ab_family *family, const struct ab_shape *shape, char *buf,
                              size_t buf_bytes);

/* Whether every value lies in its parameter's [min, max]. */
AB_API bool ab_shape_valid(const struct ab_family *family, const struct ab_shape *shape);

#endif /* ARCHBENCH_KERNEL_H */
