/*
 * test_catalogue.c - the hardware catalogue reader: the shipped file reads, every row has a
 * source and no figure is 0; a user's file overrides by name (case-insensitive) without
 * adding rows; a file that does not read leaves the catalogue as it was; errors name the
 * file, line and column; near names for an unknown device.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/procure.h"

static const char *shipped(void)
{
    static char path[1024];
    const char *d = getenv("ARCHBENCH_DATASETS");
    snprintf(path, sizeof path, "%s/hardware/catalogue.csv", d ? d : "datasets");
    return path;
}

#define HEADER                                                                                                \
    "device,kind,cores,threads,peak_fp32_flop_per_s,peak_fp16_bf16_flop_per_s,peak_int8_op_per_s,mem_bw_bytes_per_s,"      \
    "mem_bytes,tdp_w,price_usd,source,note\n"

static const char *write_tmp(const char *tag, const char *text)
{
    static char path[2][256];
    static int which;
    char *p = path[which++ & 1];
    snprintf(p, sizeof path[0], "/tmp/ab_test_catalogue_%s_%ld.csv", tag, (long)getpid());
    FILE *fp = fopen(p, "wb");
    cr_assert_not_null(fp);
    fputs(text, fp);
    fclose(fp);
    return p;
}

Test(catalogue, shipped_file_reads_with_sources_and_no_zero)
{
    struct ab_catalogue cat;
    ab_catalogue_init(&cat);
    struct ab_error err = {0};
    cr_assert_eq(ab_catalogue_read(&cat, shipped(), &err), AB_OK, "%s", err.msg);
    cr_expect_geq(cat.n_devices, 9);
    for (size_t i = 0; i < cat.n_devices; i++) {
        const struct ab_device *d = &cat.devices[i];
        cr_expect(d->source[0] && strcmp(d->source, "NA") != 0, "%s has a source", d->name);
        const double f[] = {d->peak_fp32_flop_per_s, d->peak_fp16_bf16_flop_per_s, d->peak_int8_op_per_s,
                            d->mem_bw_bytes_per_s, d->mem_bytes, d->tdp_w, d->price_usd};
        for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
            cr_expect(isnan(f[k]) || f[k] > 0.0, "%s figure %zu is NA or positive", d->name, k);
    }
    const struct ab_device *a = ab_catalogue_find(&cat, "nvidia a100 80gb sxm");
    cr_assert_not_null(a);
    cr_expect_eq(a->kind, AB_DEVICE_GPU);
    cr_expect_float_eq(a->peak_fp32_flop_per_s, 19.5e12, 1.0);
    cr_expect_float_eq(a->peak_int8_op_per_s, 624e12, 1.0);
    cr_expect_float_eq(a->mem_bw_bytes_per_s, 2039e9, 1.0);
    cr_expect(isnan(a->price_usd), "no public A100 list price: NA, not 0");
    cr_expect(isnan(a->n_cores) && isnan(a->n_threads), "a GPU row has no CPU cores: NA");
    const struct ab_device *epyc = ab_catalogue_find(&cat, "AMD EPYC 9654");
    cr_assert_not_null(epyc);
    cr_expect_float_eq(epyc->n_cores, 96.0, 0.0);
    cr_expect_float_eq(epyc->n_threads, 192.0, 0.0);
    /* Every CPU row states its cores, so merge's core-scaled estimate is never NA for a CPU. */
    for (size_t i = 0; i < cat.n_devices; i++)
        if (cat.devices[i].kind == AB_DEVICE_CPU)
            cr_expect(cat.devices[i].n_cores >= 1.0 && cat.devices[i].n_threads >= cat.devices[i].n_cores,
                      "%s has cores and threads", cat.devices[i].name);
    for (const char *const *name = (const char *const[]){"NVIDIA A100 40GB PCIe", "NVIDIA Jetson AGX Orin 32GB",
                                                         "Qualcomm Snapdragon 8 Gen 2", "AMD EPYC 9654",
                                                         "AMD EPYC 9755", "Intel Xeon Platinum 8480+",
                                                         "Intel Xeon 6980P", NULL};
         *name; name++)
        cr_expect_not_null(ab_catalogue_find(&cat, *name), "%s listed", *name);
    ab_catalogue_release(&cat);
}

Test(catalogue, user_rows_override_by_name_and_errors_keep_the_catalogue)
{
    struct ab_catalogue cat;
    ab_catalogue_init(&cat);
    struct ab_error err = {0};
    cr_assert_eq(ab_catalogue_read(&cat, shipped(), &err), AB_OK, "%s", err.msg);
    size_t n = cat.n_devices;
    const char *mine = write_tmp("mine", HEADER "amd epyc 9654,cpu,NA,NA,NA,NA,NA,460.8e9,NA,360,9000,\"quote, 2026\",\n"
                                                "My Box,cpu,NA,NA,1e12,NA,NA,1e11,NA,100,NA,my measurement,\n");
    cr_assert_eq(ab_catalogue_read(&cat, mine, &err), AB_OK, "%s", err.msg);
    cr_expect_eq(cat.n_devices, n + 1, "one override, one new row");
    cr_expect_float_eq(ab_catalogue_find(&cat, "AMD EPYC 9654")->price_usd, 9000.0, 1e-9);
    cr_expect_str_eq(ab_catalogue_find(&cat, "AMD EPYC 9654")->source, "quote, 2026");

    const char *bad = write_tmp("bad", HEADER "AMD EPYC 9654,cpu,NA,NA,NA,NA,NA,460.8e9,NA,360,1,q,\n"
                                              "Zero,cpu,NA,NA,NA,NA,NA,NA,NA,0,NA,q,\n");
    cr_expect_eq(ab_catalogue_read(&cat, bad, &err), AB_EPARSE);
    cr_expect(strstr(err.msg, "line 3, column 'tdp_w'") != NULL, "%s", err.msg);
    cr_expect_eq(cat.n_devices, n + 1);
    cr_expect_float_eq(ab_catalogue_find(&cat, "AMD EPYC 9654")->price_usd, 9000.0, 1e-9, "unchanged by a bad file");
    unlink(mine);
    unlink(bad);
    ab_catalogue_release(&cat);
    ab_catalogue_release(NULL);
}

Test(catalogue, malformed_files_name_line_and_column)
{
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"device,kind\nx,gpu\n", "line 1: 2 columns"},
        {"device,type,cores,threads,peak_fp32_flop_per_s,peak_fp16_bf16_flop_per_s,peak_int8_op_per_s,mem_bw_bytes_per_s,"
         "mem_bytes,tdp_w,price_usd,source,note\n", "line 1, column 2: 'type', expected 'kind'"},
        {HEADER "X,tpu,NA,NA,NA,NA,NA,NA,NA,NA,NA,s,\n", "line 2, column 'kind'"},
        {HEADER "X,gpu,NA,NA,fast,NA,NA,NA,NA,NA,NA,s,\n", "line 2, column 'peak_fp32_flop_per_s'"},
        {HEADER "X,gpu,NA,NA,-1,NA,NA,NA,NA,NA,NA,s,\n", "line 2, column 'peak_fp32_flop_per_s'"},
        {HEADER "X,gpu,NA,NA,NA,NA,NA,NA,NA,NA,NA,NA,\n", "line 2, column 'source'"},
        {HEADER "X,gpu,NA,NA,NA,NA,NA,NA,NA,NA,NA,s,\nx,cpu,NA,NA,NA,NA,NA,NA,NA,NA,NA,s,\n", "'x' already on line 2"},
        {HEADER ",gpu,NA,NA,NA,NA,NA,NA,NA,NA,NA,s,\n", "line 2, column 'device': empty"},
        {HEADER "X,cpu,2.5,4,NA,NA,NA,NA,NA,NA,NA,s,\n", "line 2, column 'cores': '2.5' is not a whole number"},
        {HEADER "X,cpu,0,NA,NA,NA,NA,NA,NA,NA,NA,s,\n", "line 2, column 'cores'"},
        {HEADER "X,cpu,8,4,NA,NA,NA,NA,NA,NA,NA,s,\n", "line 2, column 'threads': 4 threads is fewer than its 8 cores"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ab_catalogue cat;
        ab_catalogue_init(&cat);
        struct ab_error err = {0};
        const char *p = write_tmp("malformed", cases[i].text);
        cr_expect_eq(ab_catalogue_read(&cat, p, &err), AB_EPARSE, "case %zu", i);
        cr_expect(strstr(err.msg, cases[i].want) != NULL, "case %zu: '%s' lacks '%s'", i, err.msg, cases[i].want);
        cr_expect(strstr(err.msg, p) != NULL, "case %zu names the file", i);
        cr_expect_eq(cat.n_devices, 0);
        unlink(p);
        ab_catalogue_release(&cat);
    }
}

Test(catalogue, near_names_share_a_word)
{
    struct ab_catalogue cat;
    ab_catalogue_init(&cat);
    struct ab_error err = {0};
    cr_assert_eq(ab_catalogue_read(&cat, shipped(), &err), AB_OK, "%s", err.msg);
    char near[2048];
    ab_catalogue_near(&cat, "a100", near, sizeof near);
    cr_expect(strstr(near, "'NVIDIA A100 40GB PCIe'") && strstr(near, "'NVIDIA A100 80GB SXM'"), "%s", near);
    cr_expect(strstr(near, "EPYC") == NULL, "%s", near);
    ab_catalogue_near(&cat, "zzz", near, sizeof near);
    cr_expect(strstr(near, "'AMD EPYC 9654'") != NULL, "no shared word: every name (%s)", near);
    ab_catalogue_release(&cat);
}
