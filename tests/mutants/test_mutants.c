/*
 * test_mutants.c - verification must be able to fail: every mutant (mutants.h) is
 * caught by ab_case_verify with a detail that says what went wrong and the seed, also
 * when the TEST slot already holds the right answer (as the runner leaves it after
 * timing the reference); the correct variants of the same cases still pass.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/cpu.h"
#include "archbench/gemm.h"
#include "archbench/gemm_bf16.h"
#include "archbench/gemm_f16.h"
#include "archbench/kernel.h"
#include "archbench/layer.h"
#include "archbench/quant.h"

#include "mutants.h"

enum { SEED = 4242 };

/* gemm_f32: m not a multiple of 16; pad 0 so a store past the end hits the guard zone. */
static struct ab_case *gemm_f32_case(int64_t pad)
{
    const struct ab_family *fam = &ab_family_gemm_f32;
    struct ab_shape shape;
    ab_shape_default(fam, &shape);
    shape.v[ab_param_index(fam, "m")] = 37;
    shape.v[ab_param_index(fam, "n")] = 29;
    shape.v[ab_param_index(fam, "k")] = 41;
    shape.v[ab_param_index(fam, "pad")] = pad;
    struct ab_case *c = NULL;
    struct ab_error err;
    cr_assert_eq(fam->case_new(&shape, SEED, &c, &err), AB_OK, "%s", err.msg);
    return c;
}

/* gemm_i8: pre-quantised (extreme) activations, int32 or int8 outputs. */
static struct ab_case *gemm_i8_case(const char *out)
{
    const struct ab_family *fam = &ab_family_gemm_i8;
    struct ab_shape shape;
    ab_shape_default(fam, &shape);
    shape.v[ab_param_index(fam, "m")] = 37;
    shape.v[ab_param_index(fam, "n")] = 33;
    shape.v[ab_param_index(fam, "k")] = 70;
    struct ab_error err;
    cr_assert_eq(ab_param_parse(&fam->params[ab_param_index(fam, "dist")], "extreme",
                                &shape.v[ab_param_index(fam, "dist")], &err), AB_OK);
    cr_assert_eq(ab_param_parse(&fam->params[ab_param_index(fam, "out")], out, &shape.v[ab_param_index(fam, "out")],
                                &err), AB_OK);
    struct ab_case *c = NULL;
    cr_assert_eq(fam->case_new(&shape, SEED, &c, &err), AB_OK, "%s", err.msg);
    return c;
}

/* layer: a small exact-attention block with 8 experts, softmax top-2 (weights sum < 1). */
static struct ab_case *layer_case(void)
{
    const struct ab_family *fam = &ab_family_layer;
    struct ab_shape shape;
    ab_shape_default(fam, &shape);
    shape.v[ab_param_index(fam, "n")] = 65;
    shape.v[ab_param_index(fam, "d_model")] = 64;
    shape.v[ab_param_index(fam, "heads")] = 2;
    shape.v[ab_param_index(fam, "head_dim")] = 32;
    shape.v[ab_param_index(fam, "d_ff")] = 96;
    struct ab_error err;
    cr_assert_eq(ab_param_parse(&fam->params[ab_param_index(fam, "ffn")], "topk", &shape.v[ab_param_index(fam, "ffn")],
                                &err), AB_OK);
    struct ab_case *c = NULL;
    cr_assert_eq(fam->case_new(&shape, SEED, &c, &err), AB_OK, "%s", err.msg);
    return c;
}

/* gemm_bf16 and gemm_f16: k = 41 (odd, and not a multiple of 16), the case their
 * mutants get wrong. */
static struct ab_case *gemm_half_case(const struct ab_family *fam, int64_t k)
{
    struct ab_shape shape;
    ab_shape_default(fam, &shape);
    shape.v[ab_param_index(fam, "m")] = 37;
    shape.v[ab_param_index(fam, "n")] = 29;
    shape.v[ab_param_index(fam, "k")] = k;
    struct ab_case *c = NULL;
    struct ab_error err;
    cr_assert_eq(fam->case_new(&shape, SEED, &c, &err), AB_OK, "%s", err.msg);
    return c;
}

static struct ab_case *case_for(const struct ab_kernel *k)
{
    if (k->family == &ab_family_gemm_bf16 || k->family == &ab_family_gemm_f16)
        return gemm_half_case(k->family, 41);
    if (k->family == &ab_family_layer)
        return layer_case();
    return k->family == &ab_family_gemm_f32 ? gemm_f32_case(0) : gemm_i8_case("s32");
}

static struct ab_exec exec_for(const struct ab_kernel *k, const struct ab_case *c, int n_threads)
{
    size_t ws = k->workspace_bytes(&c->shape, n_threads);
    struct ab_exec exec = {.n_threads = n_threads, .workspace = ws ? ab_aligned_alloc(AB_ALIGN_BYTES, ws) : NULL,
                           .workspace_bytes = ws};
    cr_assert(!ws || exec.workspace);
    return exec;
}

/* The reference into `slot`, as the runner and the equivalence test do before checking. */
static void run_ref(struct ab_case *c, enum ab_slot slot)
{
    const struct ab_kernel *ref = ab_kernel_ref(c->family);
    struct ab_exec exec = exec_for(ref, c, 1);
    cr_assert_eq(c->family->case_run(c, ref, &exec, slot), AB_OK);
    ab_free(exec.workspace);
}

static struct ab_check verify(struct ab_case *c, const struct ab_kernel *k, int n_threads)
{
    struct ab_exec exec = exec_for(k, c, n_threads);
    struct ab_check chk;
    memset(&chk, 0, sizeof chk);
    enum ab_status st = ab_case_verify(c, k, &exec, &chk);
    ab_free(exec.workspace);
    cr_assert_eq(st, AB_OK, "%s: %s", k->name, ab_status_name(st));
    return chk;
}

static void expect_caught(const struct ab_mutant *mu)
{
    const struct ab_kernel *k = mu->kernel;
    struct ab_case *c = case_for(k);
    run_ref(c, AB_SLOT_REF);
    /* The right answer already in the TEST slot: the defect the poisoning fixes. */
    run_ref(c, AB_SLOT_TEST);
    int threads = mu->multi_thread_only ? 2 : 1;
    struct ab_check chk = verify(c, k, threads);
    cr_expect_not(chk.ok, "%s at %d thread(s) passed: %s", k->name, threads, chk.detail);
    cr_expect_not_null(strstr(chk.detail, mu->expect), "%s: detail '%s' lacks '%s'", k->name, chk.detail,
                       mu->expect);
    cr_expect_not_null(strstr(chk.detail, "(seed 4242)"), "%s: detail '%s' lacks the seed", k->name, chk.detail);
    if (mu->multi_thread_only) {
        chk = verify(c, k, 1);
        cr_expect(chk.ok, "%s is right with 1 thread: %s", k->name, chk.detail);
    }
    c->family->case_free(c);
}

static const struct ab_mutant *mutant(const char *name)
{
    for (size_t i = 0; i < ab__n_mutants; i++)
        if (strcmp(ab__mutants[i].kernel->name, name) == 0)
            return &ab__mutants[i];
    cr_assert_fail("no mutant '%s'", name);
    return NULL;
}

#define MUTANT_TEST(name)                                                                                         \
    Test(mutants, name)                                                                                           \
    {                                                                                                             \
        expect_caught(mutant("mutant_" #name));                                                                   \
    }

MUTANT_TEST(gemm_f32_writes_nothing)
MUTANT_TEST(gemm_f32_writes_zeros)
MUTANT_TEST(gemm_f32_skips_last_block)
MUTANT_TEST(gemm_f32_writes_past_end)
MUTANT_TEST(gemm_f32_writes_input)
MUTANT_TEST(gemm_f32_one_thread_only)
MUTANT_TEST(gemm_i8_writes_nothing)
MUTANT_TEST(gemm_i8_skips_last_block)
MUTANT_TEST(gemm_i8_writes_past_end)
MUTANT_TEST(gemm_i8_writes_input)
MUTANT_TEST(gemm_i8_one_thread_only)
MUTANT_TEST(layer_skips_second_residual)
MUTANT_TEST(layer_renormalises_topk)
MUTANT_TEST(gemm_bf16_drops_last_odd_k)
MUTANT_TEST(gemm_f16_drops_k_tail)

Test(mutants, every_mutant_has_a_test)
{
    cr_assert_eq(ab__n_mutants, 15, "add a MUTANT_TEST for the new mutant");
}

Test(mutants, store_into_padding_is_caught)
{
    /* With padded rows the element past a row's end is padding, not a guard zone. */
    struct ab_case *c = gemm_f32_case(3);
    run_ref(c, AB_SLOT_REF);
    struct ab_check chk = verify(c, mutant("mutant_gemm_f32_writes_past_end")->kernel, 1);
    cr_expect_not(chk.ok);
    cr_expect_not_null(strstr(chk.detail, "padding of 'c' modified at row 36, column 29"), "%s", chk.detail);
    c->family->case_free(c);
}

Test(mutants, odd_k_mutant_is_right_for_even_k)
{
    /* The defect shows only with odd k: with k = 40 the mutant is the reference itself,
     * so the sweep must hold odd k for the family to catch it. */
    struct ab_case *c = gemm_half_case(&ab_family_gemm_bf16, 40);
    run_ref(c, AB_SLOT_REF);
    struct ab_check chk = verify(c, mutant("mutant_gemm_bf16_drops_last_odd_k")->kernel, 1);
    cr_expect(chk.ok, "%s", chk.detail);
    c->family->case_free(c);
}

Test(mutants, k_tail_mutant_is_right_for_whole_vectors)
{
    /* With k = 48 the gemm_f16 mutant is the reference itself: the sweep must hold k that
     * is not a multiple of 16 for the family to catch it. */
    struct ab_case *c = gemm_half_case(&ab_family_gemm_f16, 48);
    run_ref(c, AB_SLOT_REF);
    struct ab_check chk = verify(c, mutant("mutant_gemm_f16_drops_k_tail")->kernel, 1);
    cr_expect(chk.ok, "%s", chk.detail);
    c->family->case_free(c);
}

Test(mutants, unwritten_int8_outputs_are_caught)
{
    struct ab_case *c = gemm_i8_case("s8");
    run_ref(c, AB_SLOT_REF);
    run_ref(c, AB_SLOT_TEST);
    struct ab_check chk = verify(c, mutant("mutant_gemm_i8_writes_nothing")->kernel, 1);
    cr_expect_not(chk.ok, "%s", chk.detail);
    c->family->case_free(c);
}

Test(mutants, correct_variants_still_pass)
{
    /* Poisoning, guards and hashes must not fail a right answer, padding and beta included. */
    for (int64_t pad = 0; pad <= 3; pad += 3) {
        struct ab_case *c = gemm_f32_case(pad);
        run_ref(c, AB_SLOT_REF);
        for (size_t i = 0; i < ab_kernel_count(); i++) {
            const struct ab_kernel *k = ab_kernel_at(i);
            if (k->family != c->family || !ab_kernel_runnable(k, ab_cpu_features(), &c->shape, NULL) ||
                strcmp(k->variant, "mutant") == 0)
                continue;
            struct ab_check chk = verify(c, k, 2);
            cr_expect(chk.ok, "%s, pad %lld: %s", k->name, (long long)pad, chk.detail);
        }
        c->family->case_free(c);
    }
    struct ab_case *c = gemm_i8_case("s32");
    run_ref(c, AB_SLOT_REF);
    struct ab_check chk = verify(c, ab_kernel_ref(c->family), 2);
    cr_expect(chk.ok, "%s", chk.detail);
    c->family->case_free(c);
}

Test(mutants, register_extra_refuses_bad_rows)
{
    cr_assert_eq(ab_kernel_register_extra(NULL), AB_EINVAL);
    cr_assert_eq(ab_kernel_register_extra(ab_kernel_ref(&ab_family_gemm_f32)), AB_EINVAL, "a second reference");
    size_t before = ab_kernel_count();
    cr_assert_eq(ab__mutants_register(), AB_OK);
    cr_assert_eq(ab_kernel_count(), before + ab__n_mutants);
    cr_assert_eq(ab_kernel_find("mutant_gemm_f32_writes_nothing"), ab__mutants[0].kernel);
    cr_assert_eq(ab_kernel_register_extra(ab__mutants[0].kernel), AB_EINVAL, "a name already taken");
    cr_assert_eq(ab_kernel_best(&ab_family_gemm_f32, NULL, 0), ab_kernel_ref(&ab_family_gemm_f32),
                 "an extra never comes before the reference");
}
