/*
 * test_plot.c - the plotting module: the SVG it writes is parsed (libxml2) and its title,
 * axis labels, legend entries, mark labels and scatter points are checked as text; bad
 * input is an error that leaves the previous file as it was; points that cannot be drawn
 * are skipped; many plots in one process work. Skipped, not passed, without PLplot.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/plot.h"

#include "svg_doc.h"

static const char *out_path(const char *tag)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/ab_test_plot_%s_%ld.svg", tag, (long)getpid());
    return buf;
}

static char *slurp(const char *path, size_t *out_n)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open '%s'", path);
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 > cap) {
            cap = 2 * cap + 4096;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        size_t got = fread(buf + n, 1, 4096, fp);
        n += got;
        if (got == 0)
            break;
    }
    fclose(fp);
    *out_n = n;
    return buf;
}

static const double threads[] = {1, 2, 4};
static const double ref_gflops[] = {6.2, 6.3, 6.1};
static const double fast_gflops[] = {111.0, 180.0, NAN};   /* a gap at 4 threads */

static struct ab_plot two_lines(struct ab_plot_series *series, struct ab_plot_mark *mark)
{
    series[0] = (struct ab_plot_series){.label = "gemm_f32_ref", .x = threads, .y = ref_gflops, .n = 3};
    series[1] = (struct ab_plot_series){.label = "gemm_f32_avx512 #2", .x = threads, .y = fast_gflops, .n = 3,
                                        .dashed = true};
    *mark = (struct ab_plot_mark){.x = 2.0, .label = "crossover at 2"};
    return (struct ab_plot){
        .title = "gemm_f32 m=256: throughput vs threads",
        .x_label = "threads",
        .y_label = "throughput (GFLOP/s)",
        .series = series,
        .n_series = 2,
        .marks = mark,
        .n_marks = 1,
        .note = "4-thread point of avx512 not measured (gap)",
    };
}

Test(plot, line_plot_has_title_axes_legend_and_mark)
{
    need_plots();
    struct ab_plot_series series[2];
    struct ab_plot_mark mark;
    struct ab_plot plot = two_lines(series, &mark);
    const char *path = out_path("lines");
    struct ab_error err;
    cr_assert_eq(ab_plot_svg(&plot, path, &err), AB_OK, "%s", err.msg);
    xmlDocPtr doc = svg_read(path);
    cr_assert_str_eq((const char *)xmlDocGetRootElement(doc)->name, "svg");
    cr_expect_eq(count_text(doc, "gemm_f32 m=256: throughput vs threads"), 1, "title");
    cr_expect_eq(count_text(doc, "threads"), 1, "x label");
    cr_expect_eq(count_text(doc, "throughput (GFLOP/s)"), 1, "y label");
    cr_expect_eq(count_text(doc, "gemm_f32_ref"), 1, "legend: first series");
    /* '#' is PLplot's escape character: the label must come out as written. */
    cr_expect_eq(count_text(doc, "gemm_f32_avx512 #2"), 1, "legend: second series");
    cr_expect_eq(count_text(doc, "crossover at 2"), 1, "mark label");
    cr_expect_eq(count_text(doc, "4-thread point of avx512 not measured (gap)"), 1, "note");
    /* Thread counts are labelled as integers, not 1.0 / 10^0. */
    cr_expect_geq(count_text(doc, "1"), 1);
    cr_expect_geq(count_text(doc, "2"), 1);
    xmlFreeDoc(doc);
    unlink(path);
}

Test(plot, scatter_points_are_counted_and_undrawable_ones_skipped)
{
    need_plots();
    /* 6 points on log-log axes: a NaN, a zero and a negative cannot be drawn. */
    static const double x[] = {0.5, 2.0, 8.0, NAN, 0.0, 30.0};
    static const double y[] = {10.0, 40.0, 90.0, 5.0, 3.0, -1.0};
    static const char *const names[] = {"a", "b", "c", "d", "e", "f"};
    struct ab_plot_series s = {.label = "kernels", .x = x, .y = y, .n = 6, .points_only = true, .point_labels = names};
    struct ab_plot plot = {.title = "scatter", .x_label = "x (1)", .y_label = "y (1)", .log_x = true, .log_y = true,
                           .series = &s, .n_series = 1};
    const char *path = out_path("scatter");
    struct ab_error err;
    cr_assert_eq(ab_plot_svg(&plot, path, &err), AB_OK, "%s", err.msg);
    xmlDocPtr doc = svg_read(path);
    /* One glyph per drawable point, plus one in the legend. */
    cr_expect_eq(count_text(doc, ab_plot_glyph(0)), 3 + 1);
    cr_expect_eq(count_text(doc, "kernels"), 1);
    cr_expect_eq(count_text(doc, "a"), 1);
    cr_expect_eq(count_text(doc, "c"), 1);
    cr_expect_eq(count_text(doc, "d"), 0, "a skipped point is not labelled");
    cr_expect_eq(count_text(doc, "f"), 0);
    xmlFreeDoc(doc);
    unlink(path);
}

Test(plot, roofline_has_ceilings_points_and_labels)
{
    need_plots();
    static const char *const names[] = {"gemm_f32_avx512", "gemm_f32_ref", "never timed"};
    static const double intensity[] = {40.0, 40.0, NAN};
    static const double rate[] = {128e9, 6.7e9, NAN};
    const char *path = out_path("roofline");
    struct ab_error err;
    cr_assert_eq(ab_plot_roofline_svg("roofline of the run", 171.4e9, 28.7e9, names, intensity, rate, 3, path, &err),
                 AB_OK, "%s", err.msg);
    xmlDocPtr doc = svg_read(path);
    cr_expect_eq(count_text(doc, "roofline of the run"), 1);
    cr_expect_eq(count_text(doc, "arithmetic intensity (FLOP/byte)"), 1);
    cr_expect_eq(count_text(doc, "GFLOP/s"), 1);
    cr_expect_eq(count_text(doc, "compute peak 171.4 GFLOP/s"), 1);
    cr_expect_eq(count_text(doc, "memory bandwidth 28.7 GB/s"), 1);
    /* Each drawable point is a legend entry: its glyph on the plot and in the legend. */
    cr_expect_eq(count_text(doc, ab_plot_glyph(0)), 2);
    cr_expect_eq(count_text(doc, ab_plot_glyph(1)), 2);
    cr_expect_eq(count_text(doc, ab_plot_glyph(2)), 0, "the undrawable point is not drawn");
    cr_expect_eq(count_text(doc, "gemm_f32_avx512"), 1);
    cr_expect_eq(count_text(doc, "gemm_f32_ref"), 1);
    cr_expect_eq(count_text(doc, "never timed"), 0);
    xmlFreeDoc(doc);

    /* Without labels: one series, a glyph per drawable point plus the legend's. */
    cr_assert_eq(ab_plot_roofline_svg("roofline of the run", 171.4e9, 28.7e9, NULL, intensity, rate, 3, path, &err),
                 AB_OK, "%s", err.msg);
    doc = svg_read(path);
    cr_expect_eq(count_text(doc, "kernels (measured)"), 1);
    cr_expect_eq(count_text(doc, ab_plot_glyph(0)), 2 + 1);
    xmlFreeDoc(doc);
    unlink(path);
}

/* Each bad input is AB_EINVAL and the file already at the path is untouched. */
Test(plot, bad_input_is_an_error_and_keeps_the_previous_file)
{
    need_plots();
    struct ab_plot_series series[2];
    struct ab_plot_mark mark;
    struct ab_plot good = two_lines(series, &mark);
    const char *path = out_path("keep");
    struct ab_error err;
    cr_assert_eq(ab_plot_svg(&good, path, &err), AB_OK, "%s", err.msg);
    size_t n_before;
    char *before = slurp(path, &n_before);

    static const double nan3[] = {NAN, NAN, NAN};
    static const double neg3[] = {-1.0, 0.0, -3.0};
    struct ab_plot_series no_label = {.label = "", .x = threads, .y = ref_gflops, .n = 3};
    struct ab_plot_series all_nan = {.label = "all NaN", .x = threads, .y = nan3, .n = 3};
    struct ab_plot_series no_x = {.label = "no x", .x = NULL, .y = ref_gflops, .n = 3};
    struct ab_plot_series empty = {.label = "empty", .x = threads, .y = ref_gflops, .n = 0};
    struct ab_plot_series negative = {.label = "negative", .x = threads, .y = neg3, .n = 3};
    struct {
        const char *what;
        struct ab_plot plot;
    } bad[] = {
        {"no series", {.title = "t", .n_series = 0}},
        {"series array NULL", {.title = "t", .series = NULL, .n_series = 2}},
        {"series without label", {.title = "t", .series = &no_label, .n_series = 1}},
        {"all-NaN series", {.title = "t", .series = &all_nan, .n_series = 1}},
        {"x missing", {.title = "t", .series = &no_x, .n_series = 1}},
        {"no points", {.title = "t", .series = &empty, .n_series = 1}},
        {"nothing positive on a log axis", {.title = "t", .log_y = true, .series = &negative, .n_series = 1}},
        {"marks counted but absent", {.title = "t", .series = series, .n_series = 1, .n_marks = 2}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        cr_expect_eq(ab_plot_svg(&bad[i].plot, path, &err), AB_EINVAL, "%s", bad[i].what);
        cr_expect_neq(err.msg[0], '\0', "%s: the error says why", bad[i].what);
    }
    cr_expect_eq(ab_plot_svg(NULL, path, &err), AB_EINVAL);
    cr_expect_eq(ab_plot_svg(&good, NULL, &err), AB_EINVAL);
    cr_expect_eq(ab_plot_roofline_svg("r", 0.0, 1e9, NULL, NULL, NULL, 0, path, &err), AB_EINVAL);
    cr_expect_eq(ab_plot_roofline_svg("r", 1e9, NAN, NULL, NULL, NULL, 0, path, &err), AB_EINVAL);
    cr_expect_eq(ab_plot_roofline_svg("r", 1e9, 1e9, NULL, NULL, NULL, 3, path, &err), AB_EINVAL);
    /* A directory that does not exist: AB_EIO, nothing left behind. */
    cr_expect_eq(ab_plot_svg(&good, "/nonexistent_ab_dir/x.svg", &err), AB_EIO);

    size_t n_after;
    char *after = slurp(path, &n_after);
    cr_expect_eq(n_after, n_before);
    cr_expect(memcmp(before, after, n_before) == 0, "the previous plot was changed by a failed call");
    free(before);
    free(after);
    unlink(path);
}

/* PLplot's streams are global: every call must give its stream back. */
Test(plot, many_plots_in_one_process)
{
    need_plots();
    struct ab_plot_series series[2];
    struct ab_plot_mark mark;
    struct ab_plot plot = two_lines(series, &mark);
    const char *path = out_path("many");
    struct ab_error err;
    for (int i = 0; i < 150; i++)
        cr_assert_eq(ab_plot_svg(&plot, path, &err), AB_OK, "call %d: %s", i, err.msg);
    xmlDocPtr doc = svg_read(path);
    cr_expect_eq(count_text(doc, "gemm_f32_ref"), 1);
    xmlFreeDoc(doc);
    unlink(path);
}

struct job {
    int id;
    enum ab_status status;
};

static void *plot_in_thread(void *arg)
{
    struct job *job = arg;
    struct ab_plot_series series[2];
    struct ab_plot_mark mark;
    struct ab_plot plot = two_lines(series, &mark);
    char path[256];
    snprintf(path, sizeof path, "/tmp/ab_test_plot_thread%d_%ld.svg", job->id, (long)getpid());
    job->status = AB_OK;
    for (int i = 0; i < 10 && job->status == AB_OK; i++)
        job->status = ab_plot_svg(&plot, path, NULL);
    unlink(path);
    return NULL;
}

Test(plot, threads_are_serialised)
{
    need_plots();
    pthread_t t[4];
    struct job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].id = i;
        cr_assert_eq(pthread_create(&t[i], NULL, plot_in_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        cr_expect_eq(jobs[i].status, AB_OK, "thread %d", i);
    }
}

/* Without the backend: AB_ENOTSUP with a reason, and no file. */
Test(plot, without_backend_the_call_says_why)
{
    const char *why = NULL;
    if (ab_plot_available(&why))
        cr_skip_test("built with PLplot: the unsupported path is not reachable here");
    struct ab_plot_series series[2];
    struct ab_plot_mark mark;
    struct ab_plot plot = two_lines(series, &mark);
    const char *path = out_path("stub");
    unlink(path);
    struct ab_error err;
    cr_assert_eq(ab_plot_svg(&plot, path, &err), AB_ENOTSUP);
    cr_expect_neq(err.msg[0], '\0');
    cr_expect_neq(access(path, F_OK), 0);
}
