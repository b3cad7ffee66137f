/*
 * plot_plplot.c - the PLplot backend of the plotting module (see plot.c for why PLplot).
 *
 * PLplot keeps global state (the current stream, handlers, the driver table) and is not
 * thread safe, so every call takes one lock, opens a fresh stream with plmkstrm, ends it
 * with plend1 and gives the caller's current stream back: an application that uses
 * PLplot itself keeps its own stream. PLplot reports errors on stderr and, for some,
 * exits the process: the abort handler keeps the message for struct ab_error instead,
 * the SVG driver's presence is checked once before the first plot (an unknown device
 * would end in exit()), and plotted numbers are written in the C locale whatever the
 * application's locale is (the SVG driver prints coordinates with printf).
 *
 * The file is drawn into the temporary file of an atomic write (PLplot opens it by name
 * and closes it in plend1), checked to end with </svg>, and only then renamed over
 * `path`; on any error the previous file stays.
 */
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <plplot.h>

#include "archbench/alloc.h"
#include "archbench/plot.h"
#include "archbench/report.h"

#include "plot_internal.h"

enum {
    PAGE_W_PX = 1100,
    PAGE_H_PX = 560,
    COL_BG = 0,
    COL_INK = 1,
    COL_GRID = 2,
    COL_MARK = 3,
    COL_FIRST_SERIES = 4,
    N_SERIES_COLOURS = 7,
    N_COLOURS = COL_FIRST_SERIES + N_SERIES_COLOURS,
};

/* Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), after
 * white paper, black ink, a light grid and a grey for markers. */
static const PLINT palette_r[N_COLOURS] = {255, 0, 221, 120, 0, 230, 86, 0, 213, 204, 0};
static const PLINT palette_g[N_COLOURS] = {255, 0, 221, 120, 114, 159, 180, 158, 94, 121, 0};
static const PLINT palette_b[N_COLOURS] = {255, 0, 221, 120, 178, 0, 233, 115, 0, 167, 0};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char abort_msg[AB_ERROR_MSG_BYTES];  /* first PLplot message of the current plot */

static void on_abort(PLCHAR_VECTOR msg)
{
    if (!abort_msg[0])
        snprintf(abort_msg, sizeof abort_msg, "%s", msg ? msg : "unknown error");
}

/* Set once under the lock: 1 = the svg driver is there, -1 = not. */
static int svg_driver = 0;

static bool driver_available_locked(void)
{
    if (svg_driver == 0) {
        enum { MAX_DEVICES = 128 };
        const char *menu[MAX_DEVICES], *names[MAX_DEVICES];
        const char **menu_p = menu, **names_p = names;
        int n = MAX_DEVICES;
        plsabort(on_abort);
        plgDevs(&menu_p, &names_p, &n);
        svg_driver = -1;
        for (int i = 0; i < n && i < MAX_DEVICES; i++)
            if (names[i] && strcmp(names[i], "svg") == 0)
                svg_driver = 1;
    }
    return svg_driver == 1;
}

bool ab__plot_backend_available(const char **out_reason)
{
    pthread_mutex_lock(&lock);
    bool ok = driver_available_locked();
    pthread_mutex_unlock(&lock);
    if (!ok && out_reason)
        *out_reason = "PLplot's svg driver is not installed (Debian: libplplot17)";
    return ok;
}

/* PLplot's text escape character is '#': a label's own '#' is written "##". */
static char *escape(const char *s)
{
    if (!s)
        s = "";
    size_t n = 0;
    for (const char *p = s; *p; p++)
        n += *p == '#' ? 2 : 1;
    char *out = ab_malloc(n + 1);
    if (!out)
        return NULL;
    char *q = out;
    for (const char *p = s; *p; p++) {
        *q++ = *p;
        if (*p == '#')
            *q++ = '#';
    }
    *q = '\0';
    return out;
}

struct axes {
    bool log_x, log_y;
    double x_span, y_span;
};

/* Tick labels as plain numbers (1, 2, 0.1, 1000) rather than PLplot's 10^k. */
static void tick_label(PLINT axis, PLFLT value, char *label, PLINT length, PLPointer data)
{
    const struct axes *a = data;
    bool log_axis = axis == PL_X_AXIS ? a->log_x : a->log_y;
    double span = axis == PL_X_AXIS ? a->x_span : a->y_span;
    double v = log_axis ? pow(10.0, value) : value;
    if (!log_axis && fabs(v) < 1e-9 * span)
        v = 0.0;  /* a tick at zero computed as 1e-17 */
    snprintf(label, (size_t)length, "%g", v);
}

/* Draw the drawable points of one series as runs of consecutive points; a run of one
 * point gets a dot, since a line through one point is invisible. */
static void draw_line(const struct ab_plot *plot, const struct ab_plot_series *s, double *bx, double *by)
{
    size_t run = 0;
    for (size_t i = 0; i <= s->n; i++) {
        double x = i < s->n ? ab__plot_coord(s->x[i], plot->log_x) : (double)NAN;
        double y = i < s->n ? ab__plot_coord(s->y[i], plot->log_y) : (double)NAN;
        if (!isnan(x) && !isnan(y)) {
            bx[run] = x;
            by[run] = y;
            run++;
            continue;
        }
        if (run == 1)
            plpoin(1, bx, by, 17);
        else if (run > 1)
            plline((PLINT)run, bx, by);
        run = 0;
    }
}

static size_t drawable_points(const struct ab_plot *plot, const struct ab_plot_series *s, double *bx, double *by,
                              size_t *index)
{
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        double x = ab__plot_coord(s->x[i], plot->log_x), y = ab__plot_coord(s->y[i], plot->log_y);
        if (isnan(x) || isnan(y))
            continue;
        bx[k] = x;
        by[k] = y;
        index[k++] = i;
    }
    return k;
}

/* Labels beside scatter points: right of the point, or left of it where the text would
 * leave the plot, and moved down a line while it would cover a label placed before it
 * (points of equal intensity would print over each other). Text width is estimated
 * from its length at this character size: PLplot cannot measure SVG text. */
static void label_points(const struct ab_plot_series *ser, const double *bx, const double *by, const size_t *index,
                         size_t k, const struct axes *axes, const struct ab__plot_frame *f)
{
    double *box = ab_malloc(3 * (k ? k : 1) * sizeof *box);  /* x0, x1, y of each placed label */
    if (!box)
        return;
    size_t n_box = 0;
    const double char_w = 0.015 * axes->x_span, line_h = 0.045 * axes->y_span, gap = 0.015 * axes->x_span;
    plschr(0.0, 0.6);
    plcol0(COL_INK);
    for (size_t j = 0; j < k; j++) {
        const char *label = ser->point_labels[index[j]];
        char *esc = label && label[0] ? escape(label) : NULL;
        if (!esc)
            continue;
        double w = (double)strlen(label) * char_w;
        bool left = bx[j] + gap + w > f->x_max && bx[j] - gap - w >= f->x_min;
        double x0 = left ? bx[j] - gap - w : bx[j] + gap, x1 = x0 + w, y = by[j];
        for (size_t tries = 0; tries < k; tries++) {
            bool covered = false;
            for (size_t i = 0; i < n_box && !covered; i++)
                covered = x0 < box[3 * i + 1] && box[3 * i] < x1 && fabs(box[3 * i + 2] - y) < line_h;
            if (!covered)
                break;
            y -= line_h;
        }
        box[3 * n_box] = x0;
        box[3 * n_box + 1] = x1;
        box[3 * n_box + 2] = y;
        n_box++;
        plptex(left ? x1 : x0, y, 1.0, 0.0, left ? 1.0 : 0.0, esc);
        ab_free(esc);
    }
    ab_free(box);
}

/* Everything between plinit and plend1; returns false when out of memory. */
static bool draw(const struct ab_plot *plot, const struct ab__plot_frame *f, char **texts)
{
    /* texts: title, x label, y label, note, then one per series and one per mark */
    size_t max_n = 2;
    for (size_t s = 0; s < plot->n_series; s++)
        max_n = plot->series[s].n > max_n ? plot->series[s].n : max_n;
    double *bx = ab_malloc(max_n * sizeof *bx), *by = ab_malloc(max_n * sizeof *by);
    size_t *index = ab_malloc(max_n * sizeof *index);
    size_t n_leg = plot->n_series;
    PLINT *opt = ab_calloc(n_leg, sizeof *opt), *colours = ab_calloc(n_leg, sizeof *colours);
    PLINT *styles = ab_calloc(n_leg, sizeof *styles), *numbers = ab_calloc(n_leg, sizeof *numbers);
    PLFLT *widths = ab_calloc(n_leg, sizeof *widths), *scales = ab_calloc(n_leg, sizeof *scales);
    const char **symbols = ab_calloc(n_leg, sizeof *symbols);
    bool ok = bx && by && index && opt && colours && styles && numbers && widths && scales && symbols;
    if (!ok)
        goto done;

    struct axes axes = {plot->log_x, plot->log_y, f->x_max - f->x_min, f->y_max - f->y_min};
    pladv(0);
    /* Room on the right for the legend, on the left for the y label. */
    plvpor(0.08, 0.58, 0.12, 0.86);
    plwind(f->x_min, f->x_max, f->y_min, f->y_max);
    plschr(0.0, 0.75);
    plcol0(COL_GRID);
    plwidth(0.5);
    plbox(plot->log_x ? "gl" : "g", f->x_tick, 0, plot->log_y ? "gl" : "g", 0.0, 0);
    plcol0(COL_INK);
    plwidth(1.0);
    plslabelfunc(tick_label, &axes);
    plbox(plot->log_x ? "bcnstlo" : "bcnsto", f->x_tick, 0, plot->log_y ? "bcnstvlo" : "bcnstvo", 0.0, 0);
    plslabelfunc(NULL, NULL);
    plschr(0.0, 0.85);
    plmtex("b", 3.2, 0.5, 0.5, texts[1]);
    plmtex("l", 4.6, 0.5, 0.5, texts[2]);
    plschr(0.0, 1.0);
    plmtex("t", plot->note ? 2.8 : 1.4, 0.5, 0.5, texts[0]);
    if (plot->note) {
        plschr(0.0, 0.75);
        plmtex("t", 1.2, 0.5, 0.5, texts[3]);
    }

    size_t scatter = 0;
    for (size_t s = 0; s < plot->n_series; s++) {
        const struct ab_plot_series *ser = &plot->series[s];
        PLINT colour = COL_FIRST_SERIES + (PLINT)(s % N_SERIES_COLOURS);
        plcol0(colour);
        colours[s] = colour;
        if (ser->points_only) {
            const char *glyph = ab_plot_glyph(scatter++);
            size_t k = drawable_points(plot, ser, bx, by, index);
            plschr(0.0, 1.0);
            plstring((PLINT)k, bx, by, glyph);
            if (ser->point_labels)
                label_points(ser, bx, by, index, k, &axes, f);
            opt[s] = PL_LEGEND_SYMBOL;
            symbols[s] = glyph;
            numbers[s] = 1;
            scales[s] = 1.0;
            styles[s] = 1;
            widths[s] = 1.0;
        } else {
            pllsty(ser->dashed ? 2 : 1);
            plwidth(2.0);
            draw_line(plot, ser, bx, by);
            pllsty(1);
            plwidth(1.0);
            opt[s] = PL_LEGEND_LINE;
            symbols[s] = "";
            styles[s] = ser->dashed ? 2 : 1;
            widths[s] = 2.0;
        }
    }

    for (size_t m = 0; m < plot->n_marks; m++) {
        double x = ab__plot_coord(plot->marks[m].x, plot->log_x);
        if (isnan(x))
            continue;
        double lx[2] = {x, x}, ly[2] = {f->y_min, f->y_max};
        plcol0(COL_MARK);
        pllsty(3);
        plline(2, lx, ly);
        pllsty(1);
        if (plot->marks[m].label && plot->marks[m].label[0]) {
            plschr(0.0, 0.7);
            plcol0(COL_INK);
            plptex(x + 0.008 * axes.x_span, f->y_max - 0.04 * axes.y_span, 1.0, 0.0, 0.0,
                   texts[4 + plot->n_series + m]);
        }
    }

    PLINT *text_colours = colours;  /* legend text in the series' colour */
    PLFLT legend_w, legend_h;
    plschr(0.0, 0.62);
    /* Right of the viewport, top aligned: "inside, left" with an offset past the right edge
     * (PLplot's "outside, top" puts it above the plot). */
    pllegend(&legend_w, &legend_h, PL_LEGEND_BACKGROUND, PL_POSITION_LEFT | PL_POSITION_TOP | PL_POSITION_INSIDE,
             1.02, 0.0, 0.05, COL_BG, COL_INK, 1, 0, 0, (PLINT)n_leg, opt, 0.8, 0.7, 2.0, 0.0, text_colours,
             (const char *const *)(texts + 4), NULL, NULL, NULL, NULL, colours, styles, widths, colours, scales,
             numbers, symbols);
done:
    ab_free(bx);
    ab_free(by);
    ab_free(index);
    ab_free(opt);
    ab_free(colours);
    ab_free(styles);
    ab_free(numbers);
    ab_free(widths);
    ab_free(scales);
    ab_free((void *)symbols);
    return ok;
}

/* Whether the file PLplot wrote is a whole SVG document. */
static bool complete_svg(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return false;
    char tail[64] = "";
    bool ok = fseek(fp, -(long)(sizeof tail - 1), SEEK_END) == 0;
    size_t n = ok ? fread(tail, 1, sizeof tail - 1, fp) : 0;
    tail[n] = '\0';
    fclose(fp);
    return ok && strstr(tail, "</svg>") != NULL;
}

enum ab_status ab__plot_render(const struct ab_plot *plot, const struct ab__plot_frame *frame, const char *path,
                               struct ab_error *err)
{
    size_t n_texts = 4 + plot->n_series + plot->n_marks;
    char **texts = ab_calloc(n_texts, sizeof *texts);
    if (!texts)
        return ab_error_set(err, AB_ENOMEM, "out of memory drawing '%s'", path);
    bool texts_ok = true;
    texts[0] = escape(plot->title);
    texts[1] = escape(plot->x_label);
    texts[2] = escape(plot->y_label);
    texts[3] = escape(plot->note);
    for (size_t s = 0; s < plot->n_series; s++)
        texts[4 + s] = escape(plot->series[s].label);
    for (size_t m = 0; m < plot->n_marks; m++)
        texts[4 + plot->n_series + m] = escape(plot->marks[m].label);
    for (size_t i = 0; i < n_texts; i++)
        texts_ok &= texts[i] != NULL;

    enum ab_status st = AB_OK;
    struct ab_atomic_file file = {0};
    locale_t c_locale = (locale_t)0, old_locale = (locale_t)0;
    pthread_mutex_lock(&lock);
    if (!texts_ok) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory drawing '%s'", path);
        goto unlock;
    }
    if (!driver_available_locked()) {
        st = ab_error_set(err, AB_ENOTSUP, "cannot draw '%s': PLplot's svg driver is not installed", path);
        goto unlock;
    }
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (c_locale == (locale_t)0) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory drawing '%s' (C locale)", path);
        goto unlock;
    }
    old_locale = uselocale(c_locale);
    st = ab_atomic_open(&file, path, err);
    if (st != AB_OK)
        goto unlock;

    abort_msg[0] = '\0';
    plsabort(on_abort);
    PLINT caller_stream = 0, stream = -1;
    plgstrm(&caller_stream);
    plmkstrm(&stream);
    if (stream < 0) {
        st = ab_error_set(err, AB_EIO, "cannot draw '%s': PLplot has no free stream", path);
        ab_atomic_abort(&file);
        goto unlock;
    }
    plsdev("svg");
    plsfnam(file.tmp_path);
    plspage(0.0, 0.0, PAGE_W_PX, PAGE_H_PX, 0, 0);
    plscmap0(palette_r, palette_g, palette_b, N_COLOURS);
    plinit();
    bool drawn = !abort_msg[0] && draw(plot, frame, texts);
    plend1();
    plsstrm(caller_stream);

    if (!drawn && !abort_msg[0]) {
        st = ab_error_set(err, AB_ENOMEM, "out of memory drawing '%s'", path);
        ab_atomic_abort(&file);
    } else if (abort_msg[0]) {
        st = ab_error_set(err, AB_EIO, "cannot draw '%s': plplot: %s", path, abort_msg);
        ab_atomic_abort(&file);
    } else if (!complete_svg(file.tmp_path)) {
        st = ab_error_set(err, AB_EIO, "cannot write '%s': PLplot left an incomplete SVG", path);
        ab_atomic_abort(&file);
    } else {
        /* PLplot wrote and closed the temporary file by name; the commit fsyncs the same
         * file through the descriptor ab_atomic_open kept, then renames it into place. */
        st = ab_atomic_commit(&file, err);
    }
unlock:
    if (c_locale != (locale_t)0) {
        uselocale(old_locale);
        freelocale(c_locale);
    }
    pthread_mutex_unlock(&lock);
    for (size_t i = 0; i < n_texts; i++)
        ab_free(texts[i]);
    ab_free(texts);
    return st;
}
