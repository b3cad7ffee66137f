/*
 * test_gemm_bf16.c - the gemm_bf16 family beyond the generic equivalence sweep: BF16
 * rounding (nearest even, NaN, overflow), the reference on a hand-checked product, the
 * AVX512-BF16 variant by name at 1 and 2 threads over the test sweep, the odd-k tail
 * alone (only the last k element non-zero, across a k-block boundary), results that do
 * not depend on the thread count, and shape strings that match gemm_f32's.
 */
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/gemm_bf16.h"
#include "archbench/kernel.h"

static uint16_t bits_to_bf16(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return ab_bf16_from_f32(f);
}

Test(gemm_bf16, rounding_is_nearest_even)
{
    cr_assert_eq(bits_to_bf16(0x3F800000u), 0x3F80);
    cr_assert_eq(bits_to_bf16(0x3F808000u), 0x3F80, "tie, even below");
    cr_assert_eq(bits_to_bf16(0x3F818000u), 0x3F82, "tie, odd below: up to even");
    cr_assert_eq(bits_to_bf16(0x3F808001u), 0x3F81, "just above the tie");
    cr_assert_eq(bits_to_bf16(0x3F807FFFu), 0x3F80, "just below the tie");
    cr_assert_eq(bits_to_bf16(0xBF818000u), 0xBF82, "negative tie");
    cr_assert_eq(bits_to_bf16(0x80000000u), 0x8000, "-0 keeps its sign");
    cr_assert_eq(ab_bf16_from_f32(INFINITY), 0x7F80);
    cr_assert_eq(ab_bf16_from_f32(-INFINITY), 0xFF80);
    cr_assert_eq(ab_bf16_from_f32(FLT_MAX), 0x7F80, "rounds past the largest BF16 to infinity");
    cr_assert(isnan(ab_bf16_to_f32(ab_bf16_from_f32(NAN))));
    cr_assert(isnan(ab_bf16_to_f32(bits_to_bf16(0x7F800001u))), "a NaN with only low payload bits stays NaN");
    /* Every BF16 value converts to FP32 and back unchanged. */
    for (uint32_t h = 0; h <= 0xFFFFu; h++) {
        float f = ab_bf16_to_f32((uint16_t)h);
        if (!isnan(f))
            cr_assert_eq(ab_bf16_from_f32(f), h, "round trip of 0x%04x", h);
    }
}

/* C = A B for A = [1 2 3; -1 0.5 4], B = [1 -2; 0.25 3; 2 1]: exact in BF16 and FP32. */
Test(gemm_bf16, reference_on_a_hand_checked_product)
{
    const float af[6] = {1, 2, 3, -1, 0.5f, 4}, bf[6] = {1, -2, 0.25f, 3, 2, 1};
    const float want[4] = {7.5f, 7.0f, 7.125f, 7.5f};
    uint16_t a[6], b[6], bt[6];
    for (int i = 0; i < 6; i++) {
        a[i] = ab_bf16_from_f32(af[i]);
        b[i] = ab_bf16_from_f32(bf[i]);
    }
    for (int p = 0; p < 3; p++)
        for (int j = 0; j < 2; j++)
            bt[j * 3 + p] = b[p * 2 + j];
    const struct ab_kernel *ref = ab_kernel_find("gemm_bf16_ref");
    cr_assert_not_null(ref);
    double ws[2];
    struct ab_exec exec = {.n_threads = 1, .workspace = ws, .workspace_bytes = sizeof ws};
    for (int tb = 0; tb <= 1; tb++) {
        float c[4] = {NAN, NAN, NAN, NAN};
        struct ab_gemm_bf16_args args = {.m = 2, .n = 2, .k = 3, .a = a, .lda = 3, .b = tb ? bt : b,
                                         .ldb = tb ? 3 : 2, .trans_b = tb, .c = c, .ldc = 2, .alpha = 1.0f};
        cr_assert_eq(ref->fn.gemm_bf16(&args, &exec), AB_OK);
        for (int i = 0; i < 4; i++)
            cr_expect_eq(c[i], want[i], "trans_b %d, c[%d] = %g, want %g", tb, i, (double)c[i], (double)want[i]);
    }
}

static const struct ab_kernel *bf16_variant(void)
{
    const struct ab_kernel *k = ab_kernel_find("gemm_bf16_avx512bf16");
    if (!k)
        cr_skip_test("gemm_bf16_avx512bf16 not built (compiler without -mavx512bf16, or simd option)");
    if (!ab_kernel_runnable(k, ab_cpu_features(), NULL, NULL))
        cr_skip_test("this CPU (or the mask) has no avx512bf16");
    return k;
}

static struct ab_exec exec_for(const struct ab_kernel *k, const struct ab_shape *shape, int n_threads)
{
    size_t ws = k->workspace_bytes(shape, n_threads);
    struct ab_exec exec = {.n_threads = n_threads, .workspace = ws ? ab_aligned_alloc(AB_ALIGN_BYTES, ws) : NULL,
                           .workspace_bytes = ws};
    cr_assert(!ws || exec.workspace, "workspace of %zu bytes", ws);
    return exec;
}

static void run_into(struct ab_case *c, const struct ab_kernel *k, int n_threads, enum ab_slot slot)
{
    struct ab_exec exec = exec_for(k, &c->shape, n_threads);
    cr_assert_eq(c->family->case_run(c, k, &exec, slot), AB_OK, "%s", k->name);
    ab_free(exec.workspace);
}

Test(gemm_bf16, the_sweep_has_the_hard_cases)
{
    const struct ab_family *fam = &ab_family_gemm_bf16;
    int ik = ab_param_index(fam, "k"), it = ab_param_index(fam, "trans_b"), im = ab_param_index(fam, "m");
    bool odd_k[2] = {false, false}, m1 = false, k1 = false;
    for (size_t i = 0; i < fam->n_sweep_test; i++) {
        const struct ab_shape *s = &fam->sweep_test[i];
        if (s->v[ik] % 2 && s->v[ik] > 1000)
            odd_k[s->v[it]] = true;
        m1 = m1 || s->v[im] == 1;
        k1 = k1 || s->v[ik] == 1;
    }
    cr_assert(odd_k[0] && odd_k[1], "odd k past a k block, with and without trans_b");
    cr_assert(m1 && k1);
}

Test(gemm_bf16, avx512bf16_matches_the_reference_at_1_and_2_threads)
{
    const struct ab_kernel *k = bf16_variant();
    const struct ab_family *fam = &ab_family_gemm_bf16;
    for (size_t si = 0; si < fam->n_sweep_test; si++) {
        struct ab_case *c = NULL;
        struct ab_error err;
        uint64_t seed = 1400 + si;
        cr_assert_eq(fam->case_new(&fam->sweep_test[si], seed, &c, &err), AB_OK, "%s", err.msg);
        run_into(c, ab_kernel_ref(fam), 1, AB_SLOT_REF);
        char text[256];
        ab_shape_format(fam, &c->shape, text, sizeof text);
        for (int threads = 1; threads <= 2; threads++) {
            struct ab_exec exec = exec_for(k, &c->shape, threads);
            struct ab_check chk;
            cr_assert_eq(ab_case_verify(c, k, &exec, &chk), AB_OK);
            ab_free(exec.workspace);
            cr_expect(chk.ok, "%s on %s, %d thread(s), seed %" PRIu64 ": %s", k->name, text, threads, seed, chk.detail);
            /* The bound is meaningful: the error is that of FP32 summation, far below it
             * for small k, and never zero by accident of an unwritten output. */
            cr_expect(chk.err <= chk.tol, "%s on %s: err %g tol %g", k->name, text, chk.err, chk.tol);
        }
        fam->case_free(c);
    }
}

/* Only the last k element non-zero: a variant that drops or misplaces the odd tail pair
 * produces zeros (or the wrong product) everywhere. k = 1025 crosses every k block size
 * the variant can choose (256..1024, even) and leaves an odd last block. */
Test(gemm_bf16, the_odd_k_tail_alone)
{
    const struct ab_kernel *kern = bf16_variant();
    const size_t ks[] = {1, 7, 33, 1025};
    const size_t m = 7, n = 19;
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++) {
        size_t k = ks[ki];
        for (int tb = 0; tb <= 1; tb++) {
            uint16_t *a = calloc(m * k, sizeof *a), *b = calloc(n * k, sizeof *b);
            float *c = malloc(m * n * sizeof *c);
            cr_assert(a && b && c);
            for (size_t i = 0; i < m; i++)
                a[i * k + k - 1] = ab_bf16_from_f32((float)i + 1.0f);
            for (size_t j = 0; j < n; j++)
                b[tb ? j * k + k - 1 : (k - 1) * n + j] = ab_bf16_from_f32(0.5f * (float)j - 2.0f);
            struct ab_gemm_bf16_args args = {.m = m, .n = n, .k = k, .a = a, .lda = k, .b = b, .ldb = tb ? k : n,
                                             .trans_b = tb, .c = c, .ldc = n, .alpha = 1.0f, .beta = 0.0f};
            struct ab_shape shape;
            ab_shape_default(&ab_family_gemm_bf16, &shape);
            shape.v[ab_param_index(&ab_family_gemm_bf16, "m")] = (int64_t)m;
            shape.v[ab_param_index(&ab_family_gemm_bf16, "n")] = (int64_t)n;
            shape.v[ab_param_index(&ab_family_gemm_bf16, "k")] = (int64_t)k;
            shape.v[ab_param_index(&ab_family_gemm_bf16, "trans_b")] = tb;
            for (int threads = 1; threads <= 2; threads++) {
                for (size_t i = 0; i < m * n; i++)
                    c[i] = NAN;
                struct ab_exec exec = exec_for(kern, &shape, threads);
                cr_assert_eq(kern->fn.gemm_bf16(&args, &exec), AB_OK);
                ab_free(exec.workspace);
                for (size_t i = 0; i < m; i++)
                    for (size_t j = 0; j < n; j++) {
                        float want = ((float)i + 1.0f) * (0.5f * (float)j - 2.0f);
                        cr_expect_eq(c[i * n + j], want, "k %zu trans_b %d threads %d: c[%zu][%zu] = %g, want %g", k,
                                     tb, threads, i, j, (double)c[i * n + j], (double)want);
                    }
            }
            free(a);
            free(b);
            free(c);
        }
    }
}

Test(gemm_bf16, results_do_not_depend_on_the_thread_count)
{
    const struct ab_kernel *k = bf16_variant();
    const struct ab_family *fam = &ab_family_gemm_bf16;
    struct ab_shape shape;
    cr_assert_eq(ab_shape_parse(fam, "m=257,n=300,k=1001,trans_b=1", &shape, NULL), AB_OK);
    struct ab_case *c = NULL;
    cr_assert_eq(fam->case_new(&shape, 7, &c, NULL), AB_OK);
    run_into(c, k, 1, AB_SLOT_REF);
    run_into(c, k, 2, AB_SLOT_TEST);
    struct ab_check chk;
    fam->case_compare(c, k, &chk);
    cr_expect_eq(chk.err, 0.0, "1 and 2 threads differ: %s", chk.detail);
    fam->case_free(c);
}

Test(gemm_bf16, shapes_and_flops_match_gemm_f32)
{
    const char *text = "m=1000,n=1000,k=1001,trans_b=1,beta=0,pad=0";
    struct ab_shape s32, s16;
    cr_assert_eq(ab_shape_parse(&ab_family_gemm_f32, text, &s32, NULL), AB_OK);
    cr_assert_eq(ab_shape_parse(&ab_family_gemm_bf16, text, &s16, NULL), AB_OK);
    char t32[256], t16[256];
    ab_shape_format(&ab_family_gemm_f32, &s32, t32, sizeof t32);
    ab_shape_format(&ab_family_gemm_bf16, &s16, t16, sizeof t16);
    cr_assert_str_eq(t16, t32, "rows of the two families of one shape carry the same shape string");
    cr_assert_eq(ab_kernel_ref(&ab_family_gemm_bf16)->flops(&s16), ab_kernel_ref(&ab_family_gemm_f32)->flops(&s32));
}
