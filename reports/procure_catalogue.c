/*
 * procure_catalogue.c - the hardware catalogue (datasets/hardware/catalogue.csv and a
 * user's --catalogue file): read through ab_csv_read, checked column by column.
 *
 * Assumes the header is exactly the shipped one, so a renamed or reordered column is an
 * error rather than a silently shifted figure. cores and threads are the CPU's physical cores
 * and hardware threads (NA for GPUs and SoCs), used by merge's core-scaled estimates. NA is the only spelling of "not public";
 * 0 or a negative figure is refused, because a zero peak or price would turn into an
 * infinite or zero ratio downstream instead of an NA.
 */
#include <assert.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/arena.h"
#include "archbench/procure.h"
#include "archbench/report.h"

#include "procure_internal.h"

static const char *const kind_names[] = {"gpu", "cpu", "soc"};
static_assert(sizeof kind_names / sizeof kind_names[0] == AB_DEVICE_KIND_COUNT, "a name per device kind");

const char *ab_device_kind_name(enum ab_device_kind k)
{
    return (unsigned)k < AB_DEVICE_KIND_COUNT ? kind_names[k] : "unknown";
}

enum col {
    COL_DEVICE, COL_KIND, COL_CORES, COL_THREADS, COL_FP32, COL_FP16, COL_INT8, COL_BW, COL_MEM, COL_TDP, COL_PRICE, COL_SOURCE, COL_NOTE,
    COL_COUNT
};
static const char *const header[] = {
    "device", "kind", "cores", "threads", "peak_fp32_flop_per_s", "peak_fp16_bf16_flop_per_s", "peak_int8_op_per_s",
    "mem_bw_bytes_per_s", "mem_bytes", "tdp_w", "price_usd", "source", "note",
};
static_assert(sizeof header / sizeof header[0] == COL_COUNT, "a header name per column");

bool ab__procure_same_name(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
    return *a == *b;
}

void ab_catalogue_init(struct ab_catalogue *cat)
{
    memset(cat, 0, sizeof *cat);
}

void ab_catalogue_release(struct ab_catalogue *cat)
{
    if (!cat)
        return;
    ab_free(cat->devices);
    memset(cat, 0, sizeof *cat);
}

/* Index of the device of this name, or n_devices. */
static size_t find_index(const struct ab_catalogue *cat, const char *name)
{
    size_t i = 0;
    while (i < cat->n_devices && !ab__procure_same_name(cat->devices[i].name, name))
        i++;
    return i;
}

const struct ab_device *ab_catalogue_find(const struct ab_catalogue *cat, const char *name)
{
    size_t i = find_index(cat, name);
    return i < cat->n_devices ? &cat->devices[i] : NULL;
}

enum ab_status ab__procure_figure(const char *s, const char *path, size_t line, const char *col, double *out,
                                  struct ab_error *err)
{
    if (strcmp(s, "NA") == 0) {
        *out = (double)NAN;
        return AB_OK;
    }
    char *end = NULL;
    double v = strtod(s, &end);
    if (!*s || *end || !isfinite(v) || v <= 0.0)
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column '%s': '%s' is not a positive number or NA", path,
                            line, col, s);
    *out = v;
    return AB_OK;
}

enum ab_status ab__procure_read_table(const char *path, const char *const *want, size_t n_cols, const char *what,
                                      struct ab_arena *arena, struct ab_csv_table *t, struct ab_error *err)
{
    struct ab_csv_options o = {.delim = ',', .quoting = true, .allow_ragged = false};
    enum ab_status st = ab_csv_read(path, &o, arena, t, err);
    if (st != AB_OK)
        return st;
    if (t->n_cols != n_cols)
        return ab_error_set(err, AB_EPARSE, "'%s' line 1: %zu columns, %s has %zu (%s, ..., %s)", path, t->n_cols,
                            what, n_cols, want[0], want[n_cols - 1]);
    for (size_t c = 0; c < n_cols; c++)
        if (strcmp(t->cells[c], want[c]) != 0)
            return ab_error_set(err, AB_EPARSE, "'%s' line 1, column %zu: '%s', expected '%s'", path, c + 1,
                                t->cells[c], want[c]);
    return AB_OK;
}

enum ab_status ab__procure_text(char *dst, size_t dst_bytes, const char *s, const char *path, size_t line,
                                const char *col, struct ab_error *err)
{
    if (strlen(s) >= dst_bytes)
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column '%s': longer than %zu bytes", path, line, col,
                            dst_bytes - 1);
    memcpy(dst, s, strlen(s) + 1);
    return AB_OK;
}

static enum ab_status parse_row(const struct ab_csv_table *t, size_t r, const char *path, struct ab_device *d,
                                struct ab_error *err)
{
    const char *const *cell = &t->cells[r * t->n_cols];
    size_t line = t->line[r];
    memset(d, 0, sizeof *d);
    enum ab_status st = ab__procure_text(d->name, sizeof d->name, cell[COL_DEVICE], path, line, "device", err);
    if (st != AB_OK)
        return st;
    if (!d->name[0])
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column 'device': empty", path, line);
    size_t k = 0;
    while (k < AB_DEVICE_KIND_COUNT && strcmp(cell[COL_KIND], kind_names[k]) != 0)
        k++;
    if (k == AB_DEVICE_KIND_COUNT)
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column 'kind': '%s' is not gpu, cpu or soc", path, line,
                            cell[COL_KIND]);
    d->kind = (enum ab_device_kind)k;
    /* Counts: whole and positive, or NA (a GPU's "cores" are not comparable, so NA there). */
    double *counts[] = {&d->n_cores, &d->n_threads};
    for (size_t c = COL_CORES; c <= COL_THREADS; c++) {
        if ((st = ab__procure_figure(cell[c], path, line, header[c], counts[c - COL_CORES], err)) != AB_OK)
            return st;
        double v = *counts[c - COL_CORES];
        if (!isnan(v) && (v != floor(v) || v > 1e9))
            return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column '%s': '%s' is not a whole number or NA", path,
                                line, header[c], cell[c]);
    }
    if (d->n_threads < d->n_cores)
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column 'threads': %s threads is fewer than its %s cores",
                            path, line, cell[COL_THREADS], cell[COL_CORES]);
    double *figures[] = {&d->peak_fp32_flop_per_s, &d->peak_fp16_bf16_flop_per_s, &d->peak_int8_op_per_s,
                         &d->mem_bw_bytes_per_s, &d->mem_bytes, &d->tdp_w, &d->price_usd};
    for (size_t c = COL_FP32; c <= COL_PRICE; c++)
        if ((st = ab__procure_figure(cell[c], path, line, header[c], figures[c - COL_FP32], err)) != AB_OK)
            return st;
    if ((st = ab__procure_text(d->source, sizeof d->source, cell[COL_SOURCE], path, line, "source", err)) != AB_OK)
        return st;
    if (!d->source[0] || strcmp(d->source, "NA") == 0)
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column 'source': every row needs the document its figures come from",
                            path, line);
    if ((st = ab__procure_text(d->note, sizeof d->note, cell[COL_NOTE], path, line, "note", err)) != AB_OK)
        return st;
    snprintf(d->origin, sizeof d->origin, "%s:%zu", path, line);
    return AB_OK;
}

enum ab_status ab_catalogue_read(struct ab_catalogue *cat, const char *path, struct ab_error *err)
{
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    struct ab_device *added = NULL;
    enum ab_status st = ab__procure_read_table(path, header, COL_COUNT, "the catalogue", &arena, &t, err);
    if (st != AB_OK)
        goto done;
    /* Parse everything first, so an error leaves the catalogue as it was. */
    size_t n_new = t.n_rows - 1;
    added = ab_calloc(n_new ? n_new : 1, sizeof *added);
    if (!added) {
        st = ab_error_set(err, AB_ENOMEM, "'%s': out of memory", path);
        goto done;
    }
    for (size_t r = 1; r < t.n_rows; r++) {
        if ((st = parse_row(&t, r, path, &added[r - 1], err)) != AB_OK)
            goto done;
        for (size_t q = 1; q < r; q++) {
            if (ab__procure_same_name(added[q - 1].name, added[r - 1].name)) {
                st = ab_error_set(err, AB_EPARSE, "'%s' line %zu, column 'device': '%s' already on line %zu", path,
                                  t.line[r], added[r - 1].name, t.line[q]);
                goto done;
            }
        }
    }
    if (cat->n_devices + n_new > cat->cap_devices) {
        size_t cap = cat->n_devices + n_new + 8;
        struct ab_device *grown = ab_realloc(cat->devices, cap * sizeof *grown);
        if (!grown) {
            st = ab_error_set(err, AB_ENOMEM, "'%s': out of memory", path);
            goto done;
        }
        cat->devices = grown;
        cat->cap_devices = cap;
    }
    for (size_t i = 0; i < n_new; i++) {
        size_t at = find_index(cat, added[i].name);
        cat->devices[at] = added[i];
        if (at == cat->n_devices)
            cat->n_devices++;
    }
done:
    ab_free(added);
    ab_arena_release(&arena);
    return st;
}

/* Whether a and b share a word of at least 2 characters (case-insensitive). */
static bool share_word(const char *a, const char *b)
{
    for (const char *p = a; *p;) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        const char *w = p;
        while (*p && isalnum((unsigned char)*p))
            p++;
        size_t len = (size_t)(p - w);
        if (len < 2)
            continue;
        for (const char *q = b; *q;) {
            while (*q && !isalnum((unsigned char)*q))
                q++;
            const char *v = q;
            while (*q && isalnum((unsigned char)*q))
                q++;
            if ((size_t)(q - v) != len)
                continue;
            size_t i = 0;
            while (i < len && tolower((unsigned char)w[i]) == tolower((unsigned char)v[i]))
                i++;
            if (i == len)
                return true;
        }
    }
    return false;
}

void ab_catalogue_near(const struct ab_catalogue *cat, const char *name, char *out, size_t out_bytes)
{
    if (!out_bytes)
        return;
    out[0] = '\0';
    size_t n_near = 0;
    for (int pass = 0; pass < 2 && !n_near; pass++) {
        for (size_t i = 0; i < cat->n_devices; i++) {
            if (pass == 0 && !share_word(name, cat->devices[i].name))
                continue;
            size_t len = strlen(out);
            snprintf(out + len, out_bytes - len, "%s'%s'", n_near ? ", " : "", cat->devices[i].name);
            n_near++;
        }
    }
}
