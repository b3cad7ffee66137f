/*
 * plot_internal.h - private to reports/plot*.c: a plot checked and measured by plot.c,
 * handed to the backend (plot_plplot.c, or plot_stub.c when built without PLplot).
 */
#ifndef ARCHBENCH_PLOT_INTERNAL_H
#define ARCHBENCH_PLOT_INTERNAL_H

#include "archbench/plot.h"

/* Axis ranges in drawn coordinates: log10 of the value on a log axis. Log ranges are
 * whole decades, because PLplot labels log axes only at powers of ten. */
struct ab__plot_frame {
    double x_min, x_max, y_min, y_max;
    double x_tick;        /* 0: the backend chooses; 1 for small integral x (thread counts) */
};

/* Labelled roofline points get a legend entry each up to this many (the legend's height). */
#define AB__ROOFLINE_MAX_ENTRIES 20

/* The drawn coordinate of v on an axis, or NaN when it cannot be drawn there. */
double ab__plot_coord(double v, bool log_axis);

/* Backend: draw a checked plot into `path` atomically. */
enum ab_status ab__plot_render(const struct ab_plot *plot, const struct ab__plot_frame *frame, const char *path,
                               struct ab_error *err);
bool ab__plot_backend_available(const char **out_reason);

#endif /* ARCHBENCH_PLOT_INTERNAL_H */
