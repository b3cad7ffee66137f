/*
 * test_energy.c - the energy meter on fake powercap trees (tests/data/powercap and trees
 * written to a temporary directory), wrap-around arithmetic, the estimate model, and
 * the refusals (no source, region too short).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/alloc.h"
#include "archbench/energy.h"

#define RANGE_UJ 262143328850ull   /* max_energy_range_uj of a typical Intel package */

static void fixture(char *buf, size_t bytes, const char *tree)
{
    const char *data = getenv("ARCHBENCH_TEST_DATA");
    cr_assert_not_null(data, "ARCHBENCH_TEST_DATA is set by meson");
    snprintf(buf, bytes, "%s/powercap/%s", data, tree);
}

static struct ab_energy *meter_at(const char *root, double tdp_w)
{
    struct ab_energy_options opts = {.powercap_root = root, .tdp_w = tdp_w, .try_papi = false};
    struct ab_energy *m = NULL;
    struct ab_error err;
    cr_assert_eq(ab_energy_new(&opts, &m, &err), AB_OK, "%s", err.msg);
    cr_assert_not_null(m);
    return m;
}

static void write_file(const char *dir, const char *zone, const char *file, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, zone);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/%s/%s", dir, zone, file);
    FILE *fp = fopen(path, "w");
    cr_assert_not_null(fp, "cannot write '%s'", path);
    fprintf(fp, "%s\n", text);
    fclose(fp);
}

static void write_u64(const char *dir, const char *zone, const char *file, unsigned long long v)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", v);
    write_file(dir, zone, file, text);
}

static void remove_tree(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(energy, source_names)
{
    cr_assert_str_eq(ab_energy_source_name(AB_ENERGY_NONE), "NA");
    cr_assert_str_eq(ab_energy_source_name(AB_ENERGY_PAPI), "papi");
    cr_assert_str_eq(ab_energy_source_name(AB_ENERGY_POWERCAP), "powercap");
    cr_assert_str_eq(ab_energy_source_name(AB_ENERGY_ESTIMATE), "estimate");
    cr_assert_str_eq(ab_energy_source_name(AB_ENERGY_SOURCE_COUNT), "NA");
}

Test(energy, delta_arithmetic)
{
    cr_assert_eq(ab_energy_delta_uj(100, 350, RANGE_UJ), 250);
    cr_assert_eq(ab_energy_delta_uj(7, 7, RANGE_UJ), 0);
    /* One wrap: 850 uJ up to the top of the range, then 500 from zero. */
    cr_assert_eq(ab_energy_delta_uj(RANGE_UJ - 850, 500, RANGE_UJ), 1350);
    cr_assert_eq(ab_energy_delta_uj(RANGE_UJ, 0, RANGE_UJ), 0);
    cr_assert_eq(ab_energy_delta_uj(RANGE_UJ, 1, RANGE_UJ), 1);
    /* Unknown or inconsistent range: `after` is the lower bound. */
    cr_assert_eq(ab_energy_delta_uj(1000, 300, 0), 300);
    cr_assert_eq(ab_energy_delta_uj(1000, 300, 999), 300);
    /* Whole 64-bit values do not overflow. */
    cr_assert_eq(ab_energy_delta_uj(UINT64_MAX - 1, 3, UINT64_MAX), 4);
}

Test(energy, fixture_tree_counts_each_package_once)
{
    char root[1024];
    fixture(root, sizeof root, "rapl");
    struct ab_energy *m = meter_at(root, 0.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_POWERCAP);
    /* package-0 once (not its core subzone, not its MMIO twin), not psys, not package-1. */
    cr_assert_str_eq(ab_energy_domains(m), "intel-rapl:0 (package-0)");
    const char *why = ab_energy_reason(m);
    cr_assert(strstr(why, "papi: not requested"), "%s", why);
    cr_assert(strstr(why, "'intel-rapl:1' (package-1) left out: energy_uj not readable"), "%s", why);
    cr_assert_null(ab_energy_model(m));
    cr_assert_eq(ab_energy_min_region_s(m), AB_ENERGY_RAPL_MIN_REGION_S);

    double j = -1.0;
    cr_assert_eq(ab_energy_begin(m), AB_OK);
    cr_assert_eq(ab_energy_end(m, 0.2, &j), AB_OK);
    cr_assert_eq(j, 0.0, "the fixture counters do not move");
    ab_energy_free(m);
}

Test(energy, region_shorter_than_min_is_refused)
{
    char root[1024];
    fixture(root, sizeof root, "rapl");
    struct ab_energy *m = meter_at(root, 0.0);
    double j = -1.0;
    cr_assert_eq(ab_energy_end(m, 1.0, &j), AB_EINVAL, "no begin");
    cr_assert_eq(ab_energy_begin(m), AB_OK);
    cr_assert_eq(ab_energy_end(m, 0.099, &j), AB_EINVAL);
    cr_assert_eq(ab_energy_end(m, 0.0, &j), AB_EINVAL);
    cr_assert_eq(ab_energy_end(m, NAN, &j), AB_EINVAL);
    cr_assert_eq(j, -1.0, "nothing reported for a refused region");
    /* The region stays open: a long enough one is then measured. */
    cr_assert_eq(ab_energy_end(m, 0.1, &j), AB_OK);
    cr_assert_eq(j, 0.0);
    ab_energy_free(m);
}

Test(energy, root_override_from_environment)
{
    char root[1024];
    fixture(root, sizeof root, "rapl");
    cr_assert_eq(setenv(AB_ENERGY_POWERCAP_ROOT_ENV, root, 1), 0);
    struct ab_energy *m = meter_at(NULL, 0.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_POWERCAP);
    cr_assert_str_eq(ab_energy_domains(m), "intel-rapl:0 (package-0)");
    ab_energy_free(m);

    /* An explicit root wins over the environment. */
    char other[1024];
    fixture(other, sizeof other, "no_package");
    m = meter_at(other, 0.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_NONE);
    cr_assert(strstr(ab_energy_reason(m), "powercap: no package zone under"), "%s", ab_energy_reason(m));
    ab_energy_free(m);
    unsetenv(AB_ENERGY_POWERCAP_ROOT_ENV);
}

Test(energy, wrap_around_summed_over_packages_not_subzones)
{
    char dir[] = "/tmp/ab_powercap_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    write_file(dir, "intel-rapl:0", "name", "package-0");
    write_u64(dir, "intel-rapl:0", "max_energy_range_uj", RANGE_UJ);
    write_u64(dir, "intel-rapl:0", "energy_uj", RANGE_UJ - 850);
    write_file(dir, "intel-rapl:0:0", "name", "core");
    write_u64(dir, "intel-rapl:0:0", "max_energy_range_uj", RANGE_UJ);
    write_u64(dir, "intel-rapl:0:0", "energy_uj", 1000);
    write_file(dir, "intel-rapl:1", "name", "package-1");
    write_u64(dir, "intel-rapl:1", "max_energy_range_uj", RANGE_UJ);
    write_u64(dir, "intel-rapl:1", "energy_uj", 1000000);

    struct ab_energy *m = meter_at(dir, 0.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_POWERCAP);
    cr_assert_str_eq(ab_energy_domains(m), "intel-rapl:0 (package-0), intel-rapl:1 (package-1)");
    cr_assert_str_eq(ab_energy_reason(m), "papi: not requested");
    cr_assert_eq(ab_energy_begin(m), AB_OK);
    /* package-0 wraps: 850 + 500 uJ; package-1: 2 000 000 uJ; core (inside package-0): ignored. */
    write_u64(dir, "intel-rapl:0", "energy_uj", 500);
    write_u64(dir, "intel-rapl:0:0", "energy_uj", 9000000000ull);
    write_u64(dir, "intel-rapl:1", "energy_uj", 3000000);
    double j = 0.0;
    cr_assert_eq(ab_energy_end(m, 0.5, &j), AB_OK);
    cr_assert(fabs(j - 2.001350) < 1e-12, "joules %.17g", j);

    /* A counter that disappears between begin and end is an I/O error, not 0 J. */
    cr_assert_eq(ab_energy_begin(m), AB_OK);
    char path[1024];
    snprintf(path, sizeof path, "%s/intel-rapl:1/energy_uj", dir);
    cr_assert_eq(unlink(path), 0);
    cr_assert_eq(ab_energy_end(m, 0.5, &j), AB_EIO);
    ab_energy_free(m);
    remove_tree(dir);
}

Test(energy, unreadable_zone_gives_reason_and_no_source)
{
    char root[1024];
    fixture(root, sizeof root, "unreadable");
    struct ab_energy *m = meter_at(root, 0.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_NONE);
    const char *why = ab_energy_reason(m);
    cr_assert(strstr(why, "powercap: 'intel-rapl:0' (package-0) left out: energy_uj not readable"), "%s", why);
    cr_assert(strstr(why, "estimate: no --tdp given"), "%s", why);
    cr_assert_str_eq(ab_energy_domains(m), "");
    cr_assert_eq(ab_energy_min_region_s(m), 0.0);
    double j = -1.0;
    cr_assert_eq(ab_energy_begin(m), AB_ENOTSUP);
    cr_assert_eq(ab_energy_end(m, 1.0, &j), AB_ENOTSUP);
    cr_assert_eq(j, -1.0);
    ab_energy_free(m);
}

Test(energy, permission_denied_names_the_kernel_change)
{
    if (geteuid() == 0)
        cr_skip_test("running as root: a mode-000 energy_uj is still readable");
    char dir[] = "/tmp/ab_powercap_XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    write_file(dir, "intel-rapl:0", "name", "package-0");
    write_u64(dir, "intel-rapl:0", "energy_uj", 5);
    char path[1024];
    snprintf(path, sizeof path, "%s/intel-rapl:0/energy_uj", dir);
    cr_assert_eq(chmod(path, 0), 0);
    struct ab_energy *m = meter_at(dir, 0.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_NONE);
    cr_assert(strstr(ab_energy_reason(m), "powercap: energy_uj not readable (root only since Linux 5.10)"), "%s",
              ab_energy_reason(m));
    ab_energy_free(m);
    remove_tree(dir);
}

Test(energy, estimate_is_tdp_times_elapsed)
{
    char root[1024];
    fixture(root, sizeof root, "unreadable");
    struct ab_energy *m = meter_at(root, 200.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_ESTIMATE);
    cr_assert_str_eq(ab_energy_model(m), "package power = 200 W (--tdp) x wall time");
    cr_assert(strstr(ab_energy_reason(m), "powercap: 'intel-rapl:0'"), "%s", ab_energy_reason(m));
    cr_assert_eq(ab_energy_min_region_s(m), 0.0);
    double j = 0.0;
    cr_assert_eq(ab_energy_begin(m), AB_OK);
    cr_assert_eq(ab_energy_end(m, 1.5, &j), AB_OK);
    cr_assert(fabs(j - 300.0) < 1e-12, "joules %g", j);
    cr_assert_eq(ab_energy_begin(m), AB_OK);
    cr_assert_eq(ab_energy_end(m, 0.001, &j), AB_OK);
    cr_assert(fabs(j - 0.2) < 1e-12, "joules %g", j);
    ab_energy_free(m);

    /* A real source wins over the estimate. */
    fixture(root, sizeof root, "rapl");
    m = meter_at(root, 200.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_POWERCAP);
    cr_assert_null(ab_energy_model(m));
    ab_energy_free(m);
}

Test(energy, missing_root_and_bad_options)
{
    struct ab_energy *m = meter_at("/nonexistent/powercap", 0.0);
    cr_assert_eq(ab_energy_source(m), AB_ENERGY_NONE);
    cr_assert(strstr(ab_energy_reason(m), "powercap: cannot open '/nonexistent/powercap'"), "%s",
              ab_energy_reason(m));
    ab_energy_free(m);
    ab_energy_free(NULL);

    struct ab_energy_options opts = {.powercap_root = "/nonexistent", .tdp_w = -1.0};
    struct ab_error err;
    m = NULL;
    cr_assert_eq(ab_energy_new(&opts, &m, &err), AB_EINVAL);
    cr_assert_null(m);
    opts.tdp_w = NAN;
    cr_assert_eq(ab_energy_new(&opts, &m, &err), AB_EINVAL);
    opts.tdp_w = 0.0;
    cr_assert_eq(ab_energy_new(&opts, NULL, &err), AB_EINVAL);
}

Test(energy, papi_probe_reports_why_not)
{
    char root[1024];
    fixture(root, sizeof root, "unreadable");
    struct ab_energy_options opts = {.powercap_root = root, .try_papi = true};
    struct ab_energy *m = NULL;
    cr_assert_eq(ab_energy_new(&opts, &m, NULL), AB_OK);
    if (ab_energy_source(m) == AB_ENERGY_PAPI) {
        cr_assert_neq(ab_energy_domains(m)[0], '\0');
        cr_assert_eq(ab_energy_min_region_s(m), AB_ENERGY_RAPL_MIN_REGION_S);
    } else {
        cr_assert(strncmp(ab_energy_reason(m), "papi: ", 6) == 0, "%s", ab_energy_reason(m));
        cr_assert_eq(ab_energy_source(m), AB_ENERGY_NONE);
    }
    ab_energy_free(m);
}

Test(energy, out_of_memory_at_every_allocation)
{
    char root[1024];
    fixture(root, sizeof root, "rapl");
    struct ab_energy_options opts = {.powercap_root = root};
    bool succeeded = false;
    for (uint64_t n = 1; n < 64 && !succeeded; n++) {
        struct ab_energy *m = NULL;
        ab_alloc_fail_at(n, 1);
        enum ab_status st = ab_energy_new(&opts, &m, NULL);
        ab_alloc_fail_at(0, 0);
        if (st == AB_OK) {
            succeeded = true;
            cr_assert_eq(ab_energy_source(m), AB_ENERGY_POWERCAP);
        } else {
            cr_assert_eq(st, AB_ENOMEM);
            cr_assert_null(m);
        }
        ab_energy_free(m);
    }
    cr_assert(succeeded);
}
