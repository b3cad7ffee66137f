/*
 * plot.h - the one plotting module of archbench: line plots, scatter plots and rooflines
 * written as SVG files, used by `archbench report` and by every verb that draws.
 *
 * Backed by PLplot's SVG driver (text stays text, so the files can be searched and
 * tested). Built without PLplot (meson -Dplot=disabled, or libplplot-dev missing), every
 * call returns AB_ENOTSUP with the reason, and callers write NA or a note instead of a
 * plot. ab_plot_available says which, before any work is done.
 *
 * Files are written atomically: on any error the previous file at `path` is left as it
 * was. Values that cannot be drawn (NaN y: a gap; zero or negative on a log axis) are
 * skipped, never an error; a plot with nothing drawable at all is AB_EINVAL. Safe to call
 * any number of times and from several threads (calls are serialised: PLplot keeps
 * global state). The library never prints.
 */
#ifndef ARCHBENCH_PLOT_H
#define ARCHBENCH_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "archbench/api.h"
#include "archbench/status.h"

struct ab_plot_series {
    const char *label;            /* legend text; required, non-empty */
    const double *x, *y;          /* n points; NaN y = gap */
    size_t n;
    bool points_only;             /* scatter (roofline points) instead of a line */
    bool dashed;                  /* e.g. a bound, an extrapolation */
    const char *const *point_labels; /* optional, n entries (NULL entries allowed): text beside each point */
};

/* A vertical marker, e.g. a crossover; its label is written at the top of the line. */
struct ab_plot_mark {
    double x;
    const char *label;
};

struct ab_plot {
    const char *title, *x_label, *y_label;  /* units in the labels */
    bool log_x, log_y;
    const struct ab_plot_series *series;
    size_t n_series;
    const struct ab_plot_mark *marks;
    size_t n_marks;
    const char *note;             /* a line under the title, e.g. "extrapolated points dashed"; NULL: none */
};

/* Scatter series are drawn with one glyph per point, as SVG text: the glyph of series i
 * (counting scatter series only) is ab_plot_glyph(i). The legend shows it once more. */
AB_API const char *ab_plot_glyph(size_t scatter_index);

/* Whether plots can be drawn here; if not, why (static text) in *out_reason. */
AB_API bool ab_plot_available(const char **out_reason);

/*
 * Writes an SVG file atomically. AB_EINVAL: NULL plot or path, no series, a series
 * without label or data, or no drawable point at all (messages name the series);
 * AB_ENOTSUP: built without the plotting backend; AB_EIO: the file could not be written.
 */
AB_API enum ab_status ab_plot_svg(const struct ab_plot *plot, const char *path, struct ab_error *err);

/*
 * Roofline helper: a machine's compute peak (FLOP/s) and bandwidth (B/s) lines plus
 * points, log-log, intensity in FLOP/byte on x and GFLOP/s on y (the labels say so).
 * Points with a nonpositive or NaN coordinate are skipped. With point_labels (n_points
 * entries) each drawable point is a legend entry of its own (glyph ab_plot_glyph(i) for
 * the i-th drawable point), up to 20 points; past that, or with point_labels NULL, the
 * points are one series "kernels (measured)" with any labels written beside them.
 */
AB_API enum ab_status ab_plot_roofline_svg(const char *title, double peak_flops, double bw_bytes_s,
                                          const char *const *point_labels, const double *intensity_flop_per_byte,
                                          const double *flops_per_s, size_t n_points, const char *path,
                                          struct ab_error *err);

/* The same for another operation unit: "OP" for INT8 families (peak in OP/s, intensity in
 * OP/byte, axis in GOP/s). op_unit NULL or empty means "FLOP". */
AB_API enum ab_status ab_plot_roofline_ops_svg(const char *title, const char *op_unit, double peak_ops,
                                              double bw_bytes_s, const char *const *point_labels,
                                              const double *intensity_op_per_byte, const double *ops_per_s,
                                              size_t n_points, const char *path, struct ab_error *err);

#endif /* ARCHBENCH_PLOT_H */
