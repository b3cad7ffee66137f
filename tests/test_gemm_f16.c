/*
 * test_gemm_f16.c - the gemm_f16 family beyond the generic equivalence sweep: binary16
 * rounding (nearest even, subnormals, overflow, NaN; bit for bit against the CPU's F16C
 * where it has one), the reference on a hand-checked product, the F16C variant by name at
 * 1 and 2 threads over the test sweep, subnormal and extreme inputs widened exactly,
 * results that do not depend on the thread count, shape strings that match gemm_f32's,
 * and the oneDNN baseline: verified where oneDNN implements it, otherwise unavailable
 * with a reason (never run, never a number).
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
#include "archbench/gemm_f16.h"
#include "archbench/kernel.h"

static float f32_of_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

Test(gemm_f16, rounding_is_nearest_even)
{
    cr_assert_eq(ab_f16_from_f32(1.0f), 0x3C00);
    cr_assert_eq(ab_f16_from_f32(-2.0f), 0xC000);
    cr_assert_eq(ab_f16_from_f32(f32_of_bits(0x3F801000u)), 0x3C00, "tie, even below");
    cr_assert_eq(ab_f16_from_f32(f32_of_bits(0x3F803000u)), 0x3C02, "tie, odd below: up to even");
    cr_assert_eq(ab_f16_from_f32(f32_of_bits(0x3F801001u)), 0x3C01, "just above the tie");
    cr_assert_eq(ab_f16_from_f32(f32_of_bits(0x3F800FFFu)), 0x3C00, "just below the tie");
    cr_assert_eq(ab_f16_from_f32(-0.0f), 0x8000, "-0 keeps its sign");
    cr_assert_eq(ab_f16_from_f32(65504.0f), 0x7BFF, "largest binary16");
    cr_assert_eq(ab_f16_from_f32(65519.996f), 0x7BFF, "below the tie with 2^16");
    cr_assert_eq(ab_f16_from_f32(65520.0f), 0x7C00, "the tie rounds to infinity (65504 is odd)");
    cr_assert_eq(ab_f16_from_f32(FLT_MAX), 0x7C00);
    cr_assert_eq(ab_f16_from_f32(-INFINITY), 0xFC00);
    cr_assert_eq(ab_f16_from_f32(ldexpf(1.0f, -14)), 0x0400, "smallest normal");
    cr_assert_eq(ab_f16_from_f32(ldexpf(1.0f, -24)), 0x0001, "smallest subnormal");
    cr_assert_eq(ab_f16_from_f32(ldexpf(1.0f, -25)), 0x0000, "half the smallest subnormal: tie to 0");
    cr_assert_eq(ab_f16_from_f32(ldexpf(1.5f, -25)), 0x0001, "above that tie");
    cr_assert_eq(ab_f16_from_f32(ldexpf(3.0f, -25)), 0x0002, "tie between 1 and 2 ulps: to 2");
    cr_assert_eq(ab_f16_from_f32(ldexpf(1.0f, -14) - ldexpf(1.0f, -26)), 0x0400, "rounds up into the normals");
    cr_assert_eq(ab_f16_from_f32(FLT_MIN), 0x0000);
    cr_assert(isnan(ab_f16_to_f32(ab_f16_from_f32(NAN))));
    cr_assert(isnan(ab_f16_to_f32(ab_f16_from_f32(f32_of_bits(0x7F800001u)))), "low-payload NaN stays NaN");
    /* Every binary16 value widens exactly and narrows back unchanged. */
    for (uint32_t h = 0; h <= 0xFFFFu; h++) {
        float f = ab_f16_to_f32((uint16_t)h);
        if (!isnan(f))
            cr_assert_eq(ab_f16_from_f32(f), h, "round trip of 0x%04x", h);
        else
            cr_assert_eq((h & 0x7C00u), 0x7C00u, "0x%04x is not a NaN", h);
    }
    cr_assert_eq(ab_f16_to_f32(0x0001), ldexpf(1.0f, -24));
    cr_assert_eq(ab_f16_to_f32(0x83FF), -ldexpf(1023.0f, -24));
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("f16c"))) static uint16_t hw_f16(float x)
{
    return (uint16_t)_mm_extract_epi16(_mm_cvtps_ph(_mm_set_ss(x), _MM_FROUND_TO_NEAREST_INT), 0);
}

/* The family's portable rounding is vcvtps2ph's, bit for bit: every 251st FP32 bit
 * pattern (17 million, every exponent and sign), and every pattern near the binary16
 * ties, overflow and subnormal boundaries. */
Test(gemm_f16, rounding_matches_f16c)
{
    /* Every x86 CPU with AVX2 has F16C (GCC's __builtin_cpu_supports has no "f16c"). */
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx2"))
        cr_skip_test("no avx2, so possibly no F16C to compare with");
    uint64_t n_bad = 0;
    uint32_t first_bad = 0;
    for (uint64_t u = 0; u <= 0xFFFFFFFFu; u += 251) {
        float x = f32_of_bits((uint32_t)u);
        if (ab_f16_from_f32(x) != hw_f16(x) && n_bad++ == 0)
            first_bad = (uint32_t)u;
    }
    const uint32_t centres[] = {0x477FF000u, 0x38800000u, 0x33000000u, 0x3F801000u, 0x387FE000u, 0x33C00000u};
    for (size_t c = 0; c < sizeof centres / sizeof centres[0]; c++)
        for (uint32_t d = 0; d < 4096; d++)
            for (uint32_t sign = 0; sign <= 1; sign++) {
                uint32_t u = ((centres[c] - 2048u + d) & 0x7FFFFFFFu) | (sign << 31);
                float x = f32_of_bits(u);
                if (ab_f16_from_f32(x) != hw_f16(x) && n_bad++ == 0)
                    first_bad = u;
            }
    cr_assert_eq(n_bad, 0, "%" PRIu64 " patterns differ from vcvtps2ph, first 0x%08x: 0x%04x vs 0x%04x", n_bad,
                 first_bad, ab_f16_from_f32(f32_of_bits(first_bad)), hw_f16(f32_of_bits(first_bad)));
}
#endif

/* C = A B for A = [1 2 3; -1 0.5 4], B = [1 -2; 0.25 3; 2 1]: exact in binary16 and FP32. */
Test(gemm_f16, reference_on_a_hand_checked_product)
{
    const float af[6] = {1, 2, 3, -1, 0.5f, 4}, bf[6] = {1, -2, 0.25f, 3, 2, 1};
    const float want[4] = {7.5f, 7.0f, 7.125f, 7.5f};
    uint16_t a[6], b[6], bt[6];
    for (int i = 0; i < 6; i++) {
        a[i] = ab_f16_from_f32(af[i]);
        b[i] = ab_f16_from_f32(bf[i]);
    }
    for (int p = 0; p < 3; p++)
        for (int j = 0; j < 2; j++)
            bt[j * 3 + p] = b[p * 2 + j];
    const struct ab_kernel *ref = ab_kernel_find("gemm_f16_ref");
    cr_assert_not_null(ref);
    double ws[2];
    struct ab_exec exec = {.n_threads = 1, .workspace = ws, .workspace_bytes = sizeof ws};
    for (int tb = 0; tb <= 1; tb++) {
        float c[4] = {NAN, NAN, NAN, NAN};
        struct ab_gemm_f16_args args = {.m = 2, .n = 2, .k = 3, .a = a, .lda = 3, .b = tb ? bt : b,
                                        .ldb = tb ? 3 : 2, .trans_b = tb, .c = c, .ldc = 2, .alpha = 1.0f};
        cr_assert_eq(ref->fn.gemm_f16(&args, &exec), AB_OK);
        for (int i = 0; i < 4; i++)
            cr_expect_eq(c[i], want[i], "trans_b %d, c[%d] = %g, want %g", tb, i, (double)c[i], (double)want[i]);
    }
}

static const struct ab_kernel *f16c_variant(void)
{
    const struct ab_kernel *k = ab_kernel_find("gemm_f16_f16c");
    if (!k)
        cr_skip_test("gemm_f16_f16c not built (compiler without -mavx512f, or simd option)");
    const char *why = NULL;
    if (!ab_kernel_runnable(k, ab_cpu_features(), NULL, &why))
        cr_skip_test("gemm_f16_f16c cannot run here: %s", why);
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

Test(gemm_f16, the_sweep_has_the_hard_cases)
{
    const struct ab_family *fam = &ab_family_gemm_f16;
    int ik = ab_param_index(fam, "k"), it = ab_param_index(fam, "trans_b"), im = ab_param_index(fam, "m");
    int ib = ab_param_index(fam, "beta"), ip = ab_param_index(fam, "pad");
    bool k_tail[2] = {false, false}, m1 = false, k1 = false, beta1 = false, pad = false;
    for (size_t i = 0; i < fam->n_sweep_test; i++) {
        const struct ab_shape *s = &fam->sweep_test[i];
        if (s->v[ik] % 16 && s->v[ik] > 1000)
            k_tail[s->v[it]] = true;
        m1 = m1 || s->v[im] == 1;
        k1 = k1 || s->v[ik] == 1;
        beta1 = beta1 || s->v[ib] == 1;
        pad = pad || s->v[ip] % 2 == 1;
    }
    cr_assert(k_tail[0] && k_tail[1], "k not a multiple of 16 past a k block, with and without trans_b");
    cr_assert(m1 && k1 && beta1 && pad);
}

static void check_sweep(const struct ab_kernel *k, uint64_t seed0)
{
    const struct ab_family *fam = &ab_family_gemm_f16;
    for (size_t si = 0; si < fam->n_sweep_test; si++) {
        if (!ab_kernel_runnable(k, ab_cpu_features(), &fam->sweep_test[si], NULL))
            continue;
        struct ab_case *c = NULL;
        struct ab_error err;
        uint64_t seed = seed0 + si;
        cr_assert_eq(fam->case_new(&fam->sweep_test[si], seed, &c, &err), AB_OK, "%s", err.msg);
        run_into(c, ab_kernel_ref(fam), 1, AB_SLOT_REF);
        char text[256];
        ab_shape_format(fam, &c->shape, text, sizeof text);
        for (int threads = 1; threads <= 2; threads++) {
            struct ab_exec exec = exec_for(k, &c->shape, threads);
            struct ab_check chk;
            cr_assert_eq(ab_case_verify(c, k, &exec, &chk), AB_OK, "%s on %s", k->name, text);
            ab_free(exec.workspace);
            cr_expect(chk.ok, "%s on %s, %d thread(s), seed %" PRIu64 ": %s", k->name, text, threads, seed, chk.detail);
        }
        fam->case_free(c);
    }
}

Test(gemm_f16, f16c_matches_the_reference_at_1_and_2_threads)
{
    check_sweep(f16c_variant(), 1600);
}

/* Inputs at the ends of binary16: subnormals (vcvtph2ps must widen them exactly, not
 * flush them) times large values, so a flushed input changes the product by far more
 * than the tolerance; exact products summed in FP32 over k = 3 small integers. */
Test(gemm_f16, subnormal_and_large_inputs_widen_exactly)
{
    const struct ab_kernel *kern = f16c_variant();
    const size_t m = 7, n = 33, k = 19;
    for (int tb = 0; tb <= 1; tb++) {
        uint16_t *a = calloc(m * k, sizeof *a), *b = calloc(n * k, sizeof *b);
        float *c = malloc(m * n * sizeof *c);
        cr_assert(a && b && c);
        for (size_t i = 0; i < m; i++)
            for (size_t p = 0; p < k; p++)
                a[i * k + p] = (uint16_t)((p % 2 ? 0x8000u : 0u) | (1u + (uint32_t)(i * k + p) % 0x3FFu)); /* subnormal */
        for (size_t p = 0; p < k; p++)
            for (size_t j = 0; j < n; j++)
                b[tb ? j * k + p : p * n + j] = ab_f16_from_f32((float)(1024 + (int)((j + p) % 7) * 4096));
        struct ab_gemm_f16_args args = {.m = m, .n = n, .k = k, .a = a, .lda = k, .b = b, .ldb = tb ? k : n,
                                        .trans_b = tb, .c = c, .ldc = n, .alpha = 1.0f, .beta = 0.0f};
        struct ab_shape shape;
        ab_shape_default(&ab_family_gemm_f16, &shape);
        shape.v[ab_param_index(&ab_family_gemm_f16, "m")] = (int64_t)m;
        shape.v[ab_param_index(&ab_family_gemm_f16, "n")] = (int64_t)n;
        shape.v[ab_param_index(&ab_family_gemm_f16, "k")] = (int64_t)k;
        shape.v[ab_param_index(&ab_family_gemm_f16, "trans_b")] = tb;
        for (int threads = 1; threads <= 2; threads++) {
            for (size_t i = 0; i < m * n; i++)
                c[i] = NAN;
            struct ab_exec exec = exec_for(kern, &shape, threads);
            cr_assert_eq(kern->fn.gemm_f16(&args, &exec), AB_OK);
            ab_free(exec.workspace);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    /* Exact: every product is an integer times 2^-24 times a multiple of 1024,
                     * and the sum stays far inside FP32's 24 bits. */
                    double want = 0.0;
                    for (size_t p = 0; p < k; p++)
                        want += (double)ab_f16_to_f32(a[i * k + p]) *
                                (double)ab_f16_to_f32(b[tb ? j * k + p : p * n + j]);
                    cr_expect_eq((double)c[i * n + j], want, "trans_b %d threads %d: c[%zu][%zu] = %a, want %a", tb,
                                 threads, i, j, (double)c[i * n + j], want);
                }
        }
        free(a);
        free(b);
        free(c);
    }
}

Test(gemm_f16, results_do_not_depend_on_the_thread_count)
{
    const struct ab_kernel *k = f16c_variant();
    const struct ab_family *fam = &ab_family_gemm_f16;
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

Test(gemm_f16, shapes_and_flops_match_gemm_f32)
{
    const char *text = "m=1000,n=1000,k=1001,trans_b=1,beta=0,pad=0";
    struct ab_shape s32, s16;
    cr_assert_eq(ab_shape_parse(&ab_family_gemm_f32, text, &s32, NULL), AB_OK);
    cr_assert_eq(ab_shape_parse(&ab_family_gemm_f16, text, &s16, NULL), AB_OK);
    char t32[256], t16[256];
    ab_shape_format(&ab_family_gemm_f32, &s32, t32, sizeof t32);
    ab_shape_format(&ab_family_gemm_f16, &s16, t16, sizeof t16);
    cr_assert_str_eq(t16, t32, "rows of the two families of one shape carry the same shape string");
    const struct ab_kernel *ref16 = ab_kernel_ref(&ab_family_gemm_f16), *ref32 = ab_kernel_ref(&ab_family_gemm_f32);
    cr_assert_eq(ref16->flops(&s16), ref32->flops(&s32));
    /* Half the input bytes of FP32, the same C traffic. */
    cr_assert_eq(ref16->bytes(&s16), 2.0 * (1000.0 * 1001.0 * 2.0) + 4.0 * 1000.0 * 1000.0);
}

/* The oneDNN baseline is either computed by oneDNN and verified over the whole sweep, or
 * unavailable with oneDNN's reason; a call made anyway is refused (AB_ENOTSUP), never
 * answered by some other computation. */
Test(gemm_f16, onednn_is_verified_or_unavailable_with_a_reason)
{
    const struct ab_kernel *k = ab_kernel_find("gemm_f16_onednn");
    if (!k)
        cr_skip_test("gemm_f16_onednn not built (-Donednn=disabled, or no libdnnl)");
    const char *why = NULL;
    if (ab_kernel_runnable(k, ab_cpu_features(), NULL, &why)) {
        check_sweep(k, 1700);
        return;
    }
    cr_assert_not_null(why);
    if (!(ab_cpu_features() & AB_ISA_AVX512) || (k->isa_needs & ~ab_cpu_features()))
        return; /* the ISA reason, as for any variant */
    cr_assert_not_null(k->unavailable, "only oneDNN itself can make it unavailable on an AVX-512 CPU");
    cr_assert_str_eq(k->unavailable(), why);
    cr_assert(strstr(why, "onednn") && strstr(why, "f16"), "the reason names the library and the type: '%s'", why);
    uint16_t a[4] = {0x3C00, 0x3C00, 0x3C00, 0x3C00};
    float c[4];
    struct ab_gemm_f16_args args = {.m = 2, .n = 2, .k = 2, .a = a, .lda = 2, .b = a, .ldb = 2,
                                    .c = c, .ldc = 2, .alpha = 1.0f};
    struct ab_exec exec = {.n_threads = 1};
    cr_assert_eq(k->fn.gemm_f16(&args, &exec), AB_ENOTSUP);
}
