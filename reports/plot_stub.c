/*
 * plot_stub.c - the plotting backend when archbench is built without PLplot
 * (meson -Dplot=disabled, or libplplot-dev absent): every plot is AB_ENOTSUP with the
 * reason, so callers write NA or a note where the plot would be.
 */
#include "archbench/plot.h"

#include "plot_internal.h"

static const char *const reason = "built without PLplot (meson -Dplot=enabled needs libplplot-dev)";

bool ab__plot_backend_available(const char **out_reason)
{
    if (out_reason)
        *out_reason = reason;
    return false;
}

enum ab_status ab__plot_render(const struct ab_plot *plot, const struct ab__plot_frame *frame, const char *path,
                               struct ab_error *err)
{
    (void)plot;
    (void)frame;
    return ab_error_set(err, AB_ENOTSUP, "cannot draw '%s': %s", path, reason);
}
