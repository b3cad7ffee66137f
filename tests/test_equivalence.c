/*
 * test_equivalence.c - every optimized variant runnable on this CPU against its
 * family's reference, over the family's test sweep (sizes 1, odd sizes, tails, hard
 * cases), checkasm style. A new variant or family is covered without touching this
 * file. Failures name the kernel, the shape, the thread count and the seed;
 * ARCHBENCH_SEED replays. Runs with 1 and 2 threads and with the machine's core count
 * when larger, since partitioning bugs only show with several. Every checked call goes
 * through ab_case_verify: outputs poisoned and guard zones refilled before EVERY call,
 * so a tile one thread count skips cannot pass on what another thread count wrote.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/check.h"
#include "archbench/cpu.h"
#include "archbench/kernel.h"

static uint64_t test_seed(void)
{
    const char *s = getenv("ARCHBENCH_SEED");
    return s ? strtoull(s, NULL, 0) : UINT64_C(20261124);
}

/* Run kernel k on case c into `slot` with a workspace of exactly the declared size. */
static enum ab_status run_one(struct ab_case *c, const struct ab_kernel *k, int n_threads, enum ab_slot slot)
{
    size_t ws = k->workspace_bytes(&c->shape, n_threads);
    struct ab_exec exec = {.n_threads = n_threads, .workspace = NULL, .workspace_bytes = ws};
    if (ws) {
        exec.workspace = ab_aligned_alloc(64, ws);
        cr_assert_not_null(exec.workspace, "workspace of %zu bytes", ws);
    }
    enum ab_status st = c->family->case_run(c, k, &exec, slot);
    ab_free(exec.workspace);
    return st;
}

/* 1, 2, and the number of online cores when larger. */
static int thread_counts(int out[3])
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = 0;
    out[n++] = 1;
    out[n++] = 2;
    if (cores > 2 && cores < 4096)
        out[n++] = (int)cores;
    return n;
}

/* ab_case_verify with a workspace of exactly the declared size. */
static enum ab_status verify_one(struct ab_case *c, const struct ab_kernel *k, int n_threads, struct ab_check *out)
{
    size_t ws = k->workspace_bytes(&c->shape, n_threads);
    struct ab_exec exec = {.n_threads = n_threads, .workspace = NULL, .workspace_bytes = ws};
    if (ws) {
        exec.workspace = ab_aligned_alloc(64, ws);
        cr_assert_not_null(exec.workspace, "workspace of %zu bytes", ws);
    }
    enum ab_status st = ab_case_verify(c, k, &exec, out);
    ab_free(exec.workspace);
    return st;
}

Test(equivalence, every_variant_matches_its_reference)
{
    uint64_t seed = test_seed();
    uint64_t features = ab_cpu_features();
    size_t n_checked = 0;
    int counts[3];
    int n_counts = thread_counts(counts);
    for (size_t f = 0; f < ab_family_count(); f++) {
        const struct ab_family *fam = ab_family_at(f);
        const struct ab_kernel *ref = ab_kernel_ref(fam);
        for (size_t si = 0; si < fam->n_sweep_test; si++) {
            const struct ab_shape *shape = &fam->sweep_test[si];
            char shape_text[256];
            ab_shape_format(fam, shape, shape_text, sizeof shape_text);
            uint64_t case_seed = seed + si;
            struct ab_case *c = NULL;
            struct ab_error err;
            cr_assert_eq(fam->case_new(shape, case_seed, &c, &err), AB_OK, "%s %s: %s", fam->name, shape_text,
                         err.msg);
            cr_assert_eq(run_one(c, ref, 1, AB_SLOT_REF), AB_OK, "%s on %s", ref->name, shape_text);
            for (size_t i = 0; i < ab_kernel_count(); i++) {
                const struct ab_kernel *k = ab_kernel_at(i);
                if (k->family != fam || k->is_ref || !ab_kernel_runnable(k, features, shape, NULL))
                    continue;
                for (int ti = 0; ti < n_counts; ti++) {
                    int threads = counts[ti];
                    struct ab_check chk;
                    enum ab_status st = verify_one(c, k, threads, &chk);
                    cr_expect_eq(st, AB_OK, "%s on %s, %d thread(s), seed %" PRIu64 ": %s", k->name, shape_text,
                                 threads, case_seed, ab_status_name(st));
                    if (st == AB_OK)
                        cr_expect(chk.ok, "%s on %s, %d thread(s), seed %" PRIu64 ": %s", k->name, shape_text,
                                  threads, case_seed, chk.detail);
                    n_checked++;
                }
            }
            fam->case_free(c);
        }
    }
    if (n_checked == 0)
        cr_skip_test("no optimized variant runs on this CPU");
}

Test(equivalence, a_wrong_result_is_caught)
{
    /* The checker must fail wrong answers, or every pass above means nothing: a real
     * reference output from the case machinery, then copies with one element off, one
     * NaN where the reference is finite, one Inf of the wrong sign, and an int32 mismatch. */
    const struct ab_family *fam = ab_family_find("gemm_f32");
    const struct ab_kernel *ref = ab_kernel_ref(fam);
    const struct ab_kernel *opt = ab_kernel_find("gemm_f32_openblas");
    struct ab_shape shape;
    ab_shape_default(fam, &shape);
    shape.v[0] = 9;
    shape.v[1] = 11;
    shape.v[2] = 13;
    struct ab_case *c = NULL;
    cr_assert_eq(fam->case_new(&shape, 1, &c, NULL), AB_OK);
    cr_assert_eq(run_one(c, ref, 1, AB_SLOT_REF), AB_OK);
    cr_assert_eq(run_one(c, ref, 1, AB_SLOT_TEST), AB_OK);
    struct ab_check chk;
    fam->case_compare(c, ref, &chk);
    cr_assert(chk.ok, "identical runs agree: %s", chk.detail);
    cr_assert_eq(chk.err, 0.0);
    fam->case_free(c);

    enum { N = 99 };
    float r[N], t[N];
    for (int i = 0; i < N; i++)
        r[i] = t[i] = (float)(i % 7) - 3.0f + 0.25f;
    double tol = opt ? ab_kernel_tolerance(opt, &shape) : 1e-6;
    ab_check_f32(r, t, N, tol, &chk);
    cr_assert(chk.ok);
    t[42] *= 1.001f;
    ab_check_f32(r, t, N, tol, &chk);
    cr_assert_not(chk.ok, "a 0.1%% error in one element of %d is caught: err %g tol %g", N, chk.err, tol);
    cr_assert_gt(chk.max_abs_err, 0.0);
    t[42] = r[42];
    t[7] = NAN;
    ab_check_f32(r, t, N, tol, &chk);
    cr_assert_not(chk.ok, "NaN where the reference is finite is caught");
    cr_assert_eq(chk.n_nonfinite_mismatch, 1);
    r[7] = INFINITY;
    t[7] = -INFINITY;
    ab_check_f32(r, t, N, tol, &chk);
    cr_assert_not(chk.ok, "Inf of the wrong sign is caught");
    t[7] = INFINITY;
    ab_check_f32(r, t, N, tol, &chk);
    cr_assert(chk.ok, "same Inf at the same place agrees");

    int32_t ri[N], ti[N];
    for (int i = 0; i < N; i++)
        ri[i] = ti[i] = i * 1000 - 7;
    ti[98] += 1;
    ab_check_i32(ri, ti, N, &chk);
    cr_assert_not(chk.ok, "an integer accumulator off by one is caught");
    cr_assert_eq(chk.n_mismatch, 1);
}
