/*
 * plot.c - the plotting module's front: input checks, axis ranges and the roofline,
 * independent of the backend that draws (plot_plplot.c; plot_stub.c without PLplot).
 *
 * Backend: PLplot (libplplot-dev), linked from C, through its SVG driver. Chosen over
 * gnuplot driven through a pipe because a library call needs no external program at run
 * time, no script language to quote labels for and no child process to reap, while its
 * SVG is what a report needs: text stays <text> (searchable, testable with an XML
 * parser, scalable), legends come from pllegend, log axes are native. Its costs are
 * handled in plot_plplot.c: global state (one new stream per plot, calls serialised),
 * messages on stderr (an abort handler collects them into struct ab_error), a hard exit
 * on an unknown device (the SVG driver's presence is checked first), log axes labelled
 * only at powers of ten (log ranges here are whole decades).
 *
 * Checks here, before any drawing: every series has a label and data; points that
 * cannot be drawn (NaN, infinite, or not positive on a log axis) are skipped; a series
 * with no drawable point is an error naming it, since an empty legend entry would claim
 * a measurement that is not on the page.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/plot.h"

#include "plot_internal.h"

double ab__plot_coord(double v, bool log_axis)
{
    if (!isfinite(v))
        return (double)NAN;
    if (log_axis)
        return v > 0.0 ? log10(v) : (double)NAN;
    return v;
}

/* Scatter glyphs: distinct shapes, so a grey print and a colour-blind reader can tell
 * the series apart, and a test can count a series' points by its glyph. */
static const char *const glyphs[] = {"\u25CF", "\u25A0", "\u25B2", "\u25C6", "\u25BC", "\u2605"};

const char *ab_plot_glyph(size_t scatter_index)
{
    return glyphs[scatter_index % (sizeof glyphs / sizeof glyphs[0])];
}

bool ab_plot_available(const char **out_reason)
{
    return ab__plot_backend_available(out_reason);
}

static const char *name_of(const struct ab_plot *plot)
{
    return plot->title && plot->title[0] ? plot->title : "(untitled)";
}

struct extent {
    double lo, hi;
    bool any;
};

static void extend(struct extent *e, double v)
{
    if (isnan(v))
        return;
    e->lo = e->any ? fmin(e->lo, v) : v;
    e->hi = e->any ? fmax(e->hi, v) : v;
    e->any = true;
}

static void axis_range(const struct extent *e, bool log_axis, bool zero_based, double *out_lo, double *out_hi)
{
    double lo = e->lo, hi = e->hi;
    if (log_axis) {
        lo = floor(lo);
        hi = ceil(hi);
        if (hi <= lo)
            hi = lo + 1.0;
    } else {
        if (zero_based && lo >= 0.0)
            lo = 0.0;
        if (hi <= lo) {
            double d = fabs(lo) > 0.0 ? fabs(lo) * 0.1 : 1.0;
            lo -= zero_based && lo == 0.0 ? 0.0 : d;
            hi += d;
        } else {
            double pad = 0.05 * (hi - lo);
            lo = zero_based && lo == 0.0 ? 0.0 : lo - pad;
            hi += pad;
        }
    }
    *out_lo = lo;
    *out_hi = hi;
}

/* Checks the plot and measures its frame. */
static enum ab_status check(const struct ab_plot *plot, struct ab__plot_frame *out_frame, struct ab_error *err)
{
    if (!plot->series || plot->n_series == 0)
        return ab_error_set(err, AB_EINVAL, "plot '%s' has no series", name_of(plot));
    if (plot->n_marks && !plot->marks)
        return ab_error_set(err, AB_EINVAL, "plot '%s' has %zu marks but no array", name_of(plot), plot->n_marks);
    struct extent ex = {0}, ey = {0};
    bool x_integral = true;
    for (size_t s = 0; s < plot->n_series; s++) {
        const struct ab_plot_series *ser = &plot->series[s];
        if (!ser->label || !ser->label[0])
            return ab_error_set(err, AB_EINVAL, "plot '%s': series %zu has no label", name_of(plot), s + 1);
        if (ser->n == 0 || !ser->x || !ser->y)
            return ab_error_set(err, AB_EINVAL, "plot '%s': series '%s' has no points", name_of(plot), ser->label);
        size_t drawable = 0;
        for (size_t i = 0; i < ser->n; i++) {
            double x = ab__plot_coord(ser->x[i], plot->log_x), y = ab__plot_coord(ser->y[i], plot->log_y);
            if (isnan(x) || isnan(y))
                continue;
            drawable++;
            extend(&ex, x);
            extend(&ey, y);
            x_integral &= ser->x[i] == floor(ser->x[i]);
        }
        if (drawable == 0)
            return ab_error_set(err, AB_EINVAL,
                                "plot '%s': series '%s' has no drawable point (all NaN, or not positive on a log axis)",
                                name_of(plot), ser->label);
    }
    for (size_t m = 0; m < plot->n_marks; m++)
        extend(&ex, ab__plot_coord(plot->marks[m].x, plot->log_x));
    struct ab__plot_frame f = {0};
    /* A linear y axis starts at zero when every value is positive: a throughput axis that
     * starts elsewhere makes small differences look large. */
    axis_range(&ex, plot->log_x, false, &f.x_min, &f.x_max);
    axis_range(&ey, plot->log_y, true, &f.y_min, &f.y_max);
    if (!plot->log_y)
        f.y_max += 0.05 * (f.y_max - f.y_min); /* room for the marks' labels */
    if (!plot->log_x && x_integral && ex.hi - ex.lo <= 16.0)
        f.x_tick = 1.0;
    *out_frame = f;
    return AB_OK;
}

enum ab_status ab_plot_svg(const struct ab_plot *plot, const char *path, struct ab_error *err)
{
    if (!plot || !path || !path[0])
        return ab_error_set(err, AB_EINVAL, "ab_plot_svg needs a plot and a path");
    struct ab__plot_frame frame;
    enum ab_status st = check(plot, &frame, err);
    if (st != AB_OK)
        return st;
    const char *why = NULL;
    if (!ab__plot_backend_available(&why))
        return ab_error_set(err, AB_ENOTSUP, "cannot draw '%s': %s", path, why);
    return ab__plot_render(plot, &frame, path, err);
}

enum ab_status ab_plot_roofline_ops_svg(const char *title, const char *op_unit, double peak_ops, double bw_bytes_s,
                                        const char *const *point_labels, const double *intensity_op_per_byte,
                                        const double *ops_per_s, size_t n_points, const char *path,
                                        struct ab_error *err)
{
    const char *op = op_unit && op_unit[0] ? op_unit : "FLOP";
    double peak_flops = peak_ops;
    const double *intensity_flop_per_byte = intensity_op_per_byte, *flops_per_s = ops_per_s;
    if (!(peak_flops > 0.0) || !isfinite(peak_flops) || !(bw_bytes_s > 0.0) || !isfinite(bw_bytes_s))
        return ab_error_set(err, AB_EINVAL, "roofline '%s' needs a positive compute peak and bandwidth",
                            title ? title : "(untitled)");
    if (n_points && (!intensity_flop_per_byte || !flops_per_s))
        return ab_error_set(err, AB_EINVAL, "roofline '%s': %zu points but no coordinates",
                            title ? title : "(untitled)", n_points);
    /* The ceilings span the points and the ridge, a factor of 4 either side, so every
     * point sits under a drawn line. */
    double ridge = peak_flops / bw_bytes_s;
    double lo = ridge, hi = ridge;
    size_t n_ok = 0;
    double *px = ab_malloc((n_points ? n_points : 1) * sizeof *px);
    double *py = ab_malloc((n_points ? n_points : 1) * sizeof *py);
    if (!px || !py) {
        ab_free(px);
        ab_free(py);
        return ab_error_set(err, AB_ENOMEM, "out of memory drawing '%s'", path ? path : "");
    }
    for (size_t i = 0; i < n_points; i++) {
        px[i] = intensity_flop_per_byte[i];
        py[i] = flops_per_s[i] * 1e-9;
        if (isfinite(px[i]) && px[i] > 0.0 && isfinite(py[i]) && py[i] > 0.0) {
            lo = fmin(lo, px[i]);
            hi = fmax(hi, px[i]);
            n_ok++;
        }
    }
    lo /= 4.0;
    hi *= 4.0;
    double peak_g = peak_flops * 1e-9, bw_g = bw_bytes_s * 1e-9;
    double mem_x[2] = {lo, ridge}, mem_y[2] = {lo * bw_g, peak_g};
    double cmp_x[2] = {ridge, hi}, cmp_y[2] = {peak_g, peak_g};
    char mem_label[96], cmp_label[96], note[160];
    char x_label[64], y_label[32];
    snprintf(cmp_label, sizeof cmp_label, "compute peak %.4g G%s/s", peak_g, op);
    snprintf(mem_label, sizeof mem_label, "memory bandwidth %.4g GB/s", bw_g);
    snprintf(note, sizeof note, "ridge point %.3g %s/byte; %zu of %zu points drawable", ridge, op, n_ok, n_points);
    snprintf(x_label, sizeof x_label, "arithmetic intensity (%s/byte)", op);
    snprintf(y_label, sizeof y_label, "G%s/s", op);
    /* Labelled points are a legend entry each (glyph and colour), up to what the legend
     * holds: text beside points crowded at one intensity lands far from its point. Past
     * that, or without labels, one series with the labels beside the points. */
    bool own_entries = point_labels && n_ok <= AB__ROOFLINE_MAX_ENTRIES;
    size_t n_series = 2 + (own_entries ? n_ok : n_ok ? 1 : 0);
    struct ab_plot_series *series = ab_calloc(n_series, sizeof *series);
    if (!series) {
        ab_free(px);
        ab_free(py);
        return ab_error_set(err, AB_ENOMEM, "out of memory drawing '%s'", path ? path : "");
    }
    series[0] = (struct ab_plot_series){.label = cmp_label, .x = cmp_x, .y = cmp_y, .n = 2};
    series[1] = (struct ab_plot_series){.label = mem_label, .x = mem_x, .y = mem_y, .n = 2, .dashed = true};
    if (own_entries) {
        size_t k = 2;
        for (size_t i = 0; i < n_points; i++) {
            if (!(isfinite(px[i]) && px[i] > 0.0 && isfinite(py[i]) && py[i] > 0.0))
                continue;
            const char *label = point_labels[i] && point_labels[i][0] ? point_labels[i] : "(unnamed)";
            series[k++] = (struct ab_plot_series){.label = label, .x = &px[i], .y = &py[i], .n = 1,
                                                  .points_only = true};
        }
    } else if (n_ok) {
        series[2] = (struct ab_plot_series){.label = "kernels (measured)", .x = px, .y = py, .n = n_points,
                                            .points_only = true, .point_labels = point_labels};
    }
    struct ab_plot plot = {
        .title = title,
        .x_label = x_label,
        .y_label = y_label,
        .log_x = true,
        .log_y = true,
        .series = series,
        .n_series = n_series,  /* no drawable point: the ceilings alone, not an empty entry */
        .note = note,
    };
    enum ab_status st = ab_plot_svg(&plot, path, err);
    ab_free(series);
    ab_free(px);
    ab_free(py);
    return st;
}

enum ab_status ab_plot_roofline_svg(const char *title, double peak_flops, double bw_bytes_s,
                                    const char *const *point_labels, const double *intensity_flop_per_byte,
                                    const double *flops_per_s, size_t n_points, const char *path,
                                    struct ab_error *err)
{
    return ab_plot_roofline_ops_svg(title, "FLOP", peak_flops, bw_bytes_s, point_labels, intensity_flop_per_byte,
                                    flops_per_s, n_points, path, err);
}
