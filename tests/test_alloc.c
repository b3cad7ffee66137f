/*
 * test_alloc.c - the allocation shim (counting, peak, alignment, fault injection) and
 * the arena, including "the N-th allocation fails" giving a clean error and no leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/arena.h"
#include "archbench/kernel.h"
#include "archbench/report.h"
#include "archbench/gemm.h"

Test(alloc, counts_live_and_peak_bytes)
{
    struct ab_alloc_stats s0, s1, s2;
    ab_alloc_get_stats(&s0);
    ab_alloc_reset_peak();
    void *a = ab_malloc(1000);
    void *b = ab_aligned_alloc(64, 3000);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_eq((uintptr_t)b % 64, 0);
    ab_alloc_get_stats(&s1);
    cr_assert_eq(s1.bytes_live - s0.bytes_live, 4000);
    cr_assert_geq(s1.bytes_peak, s0.bytes_live + 4000);
    ab_free(a);
    ab_free(b);
    ab_alloc_get_stats(&s2);
    cr_assert_eq(s2.bytes_live, s0.bytes_live);
    cr_assert_eq(s2.bytes_peak, s1.bytes_peak, "peak stays until reset");
    ab_alloc_reset_peak();
    ab_alloc_get_stats(&s2);
    cr_assert_eq(s2.bytes_peak, s2.bytes_live);
}

Test(alloc, realloc_keeps_content_and_accounting)
{
    struct ab_alloc_stats s0, s1;
    ab_alloc_get_stats(&s0);
    char *p = ab_malloc(8);
    memcpy(p, "archben", 8);
    p = ab_realloc(p, 100000);
    cr_assert_str_eq(p, "archben");
    p = ab_realloc(p, 4);
    ab_alloc_get_stats(&s1);
    cr_assert_eq(s1.bytes_live - s0.bytes_live, 4);
    ab_free(p);
    ab_free(NULL);
}

Test(alloc, calloc_zeroes_and_refuses_overflow)
{
    unsigned char *p = ab_calloc(100, 7);
    for (int i = 0; i < 700; i++)
        cr_assert_eq(p[i], 0);
    ab_free(p);
    cr_assert_null(ab_calloc(SIZE_MAX / 2, 4));
    cr_assert_null(ab_aligned_alloc(48, 10), "non power of two alignment");
}

Test(alloc, nth_allocation_fails_once_or_sticky)
{
    ab_alloc_fail_at(3, 0);
    void *a = ab_malloc(1), *b = ab_malloc(1), *c = ab_malloc(1), *d = ab_malloc(1);
    cr_assert_not_null(a);
    cr_assert_not_null(b);
    cr_assert_null(c, "third allocation fails");
    cr_assert_not_null(d, "non-sticky: the fourth works");
    ab_alloc_fail_at(1, 1);
    cr_assert_null(ab_malloc(1));
    cr_assert_null(ab_malloc(1), "sticky");
    ab_alloc_fail_at(0, 0);
    void *e = ab_malloc(1);
    cr_assert_not_null(e);
    ab_free(a);
    ab_free(b);
    ab_free(d);
    ab_free(e);
}

Test(arena, alignment_growth_and_release)
{
    struct ab_alloc_stats s0, s1;
    ab_alloc_get_stats(&s0);
    struct ab_arena arena;
    ab_arena_init(&arena, 256);
    char *small = ab_arena_alloc(&arena, 10, 1);
    double *aligned = ab_arena_alloc(&arena, 5 * sizeof(double), 64);
    char *big = ab_arena_alloc(&arena, 100000, 16);
    char *after = ab_arena_alloc(&arena, 10, 1);
    cr_assert(small && aligned && big && after);
    cr_assert_eq((uintptr_t)aligned % 64, 0);
    cr_assert_eq((uintptr_t)big % 16, 0);
    memset(big, 0x5a, 100000);
    char *copy = ab_arena_strndup(&arena, "hello world", 5);
    cr_assert_str_eq(copy, "hello");
    cr_assert_eq(arena.bytes_used, 10 + 40 + 100000 + 10 + 6);
    ab_arena_release(&arena);
    ab_alloc_get_stats(&s1);
    cr_assert_eq(s1.bytes_live, s0.bytes_live, "release frees every block");
    ab_arena_release(NULL);
}

Test(arena, allocation_failure_gives_null)
{
    struct ab_arena arena;
    ab_arena_init(&arena, 128);
    ab_alloc_fail_at(1, 1);
    cr_assert_null(ab_arena_alloc(&arena, 16, 8));
    ab_alloc_fail_at(0, 0);
    cr_assert_not_null(ab_arena_alloc(&arena, 16, 8));
    ab_arena_release(&arena);
}

/*
 * Every allocation of a multi-allocation operation, failed in turn: the operation
 * reports AB_ENOMEM and leaves no live bytes behind.
 */
static void fail_each(const char *what, enum ab_status (*op)(void))
{
    struct ab_alloc_stats before, after;
    int saw_success = 0;
    for (uint64_t n = 1; n < 200 && !saw_success; n++) {
        ab_alloc_get_stats(&before);
        ab_alloc_fail_at(n, 0);
        enum ab_status st = op();
        ab_alloc_fail_at(0, 0);
        ab_alloc_get_stats(&after);
        cr_assert_eq(after.bytes_live, before.bytes_live, "%s: leak after failing allocation %llu", what,
                     (unsigned long long)n);
        if (st == AB_OK)
            saw_success = 1;
        else
            cr_assert_eq(st, AB_ENOMEM, "%s: allocation %llu failed gives %s", what, (unsigned long long)n,
                         ab_status_name(st));
    }
    cr_assert(saw_success, "%s eventually succeeds", what);
}

static enum ab_status make_and_free_gemm_case(void)
{
    struct ab_shape shape;
    ab_shape_default(&ab_family_gemm_f32, &shape);
    shape.v[0] = 17;
    shape.v[1] = 9;
    shape.v[2] = 5;
    struct ab_case *c = NULL;
    enum ab_status st = ab_family_gemm_f32.case_new(&shape, 1, &c, NULL);
    if (st == AB_OK)
        ab_family_gemm_f32.case_free(c);
    return st;
}

static enum ab_status compile_and_free_filter(void)
{
    struct ab_filter *f = NULL;
    enum ab_status st = ab_filter_new("gemm_f32_(ref|avx512)", &f, NULL);
    ab_filter_free(f);
    return st;
}

static enum ab_status read_csv_fixture(void)
{
    char path[] = "/tmp/ab_alloc_csv_XXXXXX";
    int fd = mkstemp(path);
    FILE *fp = fdopen(fd, "w");
    fputs("a,b\r\n1,\"x,y\"\r\n2,z\r\n", fp);
    fclose(fp);
    struct ab_arena arena;
    ab_arena_init(&arena, 64);
    struct ab_csv_table t;
    struct ab_csv_options o = {.delim = ',', .quoting = true};
    enum ab_status st = ab_csv_read(path, &o, &arena, &t, NULL);
    ab_arena_release(&arena);
    remove(path);
    return st;
}

Test(alloc, failing_every_allocation_in_turn_is_clean)
{
    fail_each("gemm case", make_and_free_gemm_case);
    fail_each("filter", compile_and_free_filter);
    fail_each("csv read", read_csv_fixture);
}

/* Every family's case builder, on its first test shape: each allocation failed in turn
 * gives AB_ENOMEM and leaves no live bytes, until the build succeeds. */
Test(alloc, every_family_case_fails_cleanly)
{
    for (size_t f = 0; f < ab_family_count(); f++) {
        const struct ab_family *fam = ab_family_at(f);
        const struct ab_shape *shape = &fam->sweep_test[0];
        int ok = 0;
        for (uint64_t n = 1; n < 400 && !ok; n++) {
            struct ab_alloc_stats before, after;
            ab_alloc_get_stats(&before);
            struct ab_case *c = NULL;
            ab_alloc_fail_at(n, 0);
            enum ab_status st = fam->case_new(shape, 1, &c, NULL);
            ab_alloc_fail_at(0, 0);
            if (st == AB_OK) {
                fam->case_free(c);
                ok = 1;
            } else {
                cr_assert_eq(st, AB_ENOMEM, "%s: failing allocation %llu gives %s", fam->name,
                             (unsigned long long)n, ab_status_name(st));
            }
            ab_alloc_get_stats(&after);
            cr_assert_eq(after.bytes_live, before.bytes_live, "%s: leak after failing allocation %llu", fam->name,
                         (unsigned long long)n);
        }
        cr_assert(ok, "%s: case_new eventually succeeds", fam->name);
    }
}
