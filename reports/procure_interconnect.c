/*
 * procure_interconnect.c - the links between devices (datasets/hardware/interconnects.csv
 * and a user's --interconnects file): read through ab_csv_read, checked column by column
 * with the catalogue's field checks (procure_internal.h).
 *
 * Assumes the header is exactly the shipped one, as the catalogue does. The bandwidth may
 * not be NA: a link without it projects nothing, so such a row is a mistake in the file,
 * not a figure to carry. The latency may be NA (none of the shipped documents states one).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/arena.h"
#include "archbench/procure.h"
#include "archbench/report.h"

#include "procure_internal.h"

enum col { COL_NAME, COL_BW, COL_LATENCY, COL_SOURCE, COL_NOTE, COL_COUNT };
static const char *const header[] = {"interconnect", "bw_bytes_per_s_per_direction", "latency_s", "source", "note"};
_Static_assert(sizeof header / sizeof header[0] == COL_COUNT, "a header name per column");

void ab_interconnects_init(struct ab_interconnects *ic)
{
    memset(ic, 0, sizeof *ic);
}

void ab_interconnects_release(struct ab_interconnects *ic)
{
    if (!ic)
        return;
    ab_free(ic->links);
    memset(ic, 0, sizeof *ic);
}

static size_t find_index(const struct ab_interconnects *ic, const char *name)
{
    size_t i = 0;
    while (i < ic->n_links && !ab__procure_same_name(ic->links[i].name, name))
        i++;
    return i;
}

const struct ab_interconnect *ab_interconnects_find(const struct ab_interconnects *ic, const char *name)
{
    size_t i = find_index(ic, name);
    return i < ic->n_links ? &ic->links[i] : NULL;
}

static enum ab_status parse_row(const struct ab_csv_table *t, size_t r, const char *path, struct ab_interconnect *l,
                                struct ab_error *err)
{
    const char *const *cell = &t->cells[r * t->n_cols];
    size_t line = t->line[r];
    memset(l, 0, sizeof *l);
    enum ab_status st = ab__procure_text(l->name, sizeof l->name, cell[COL_NAME], path, line, header[COL_NAME], err);
    if (st != AB_OK)
        return st;
    if (!l->name[0])
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column '%s': empty", path, line, header[COL_NAME]);
    if ((st = ab__procure_figure(cell[COL_BW], path, line, header[COL_BW], &l->bw_bytes_per_s_per_dir, err)) != AB_OK)
        return st;
    if (isnan(l->bw_bytes_per_s_per_dir))
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column '%s': NA, a link needs its bandwidth", path, line,
                            header[COL_BW]);
    if ((st = ab__procure_figure(cell[COL_LATENCY], path, line, header[COL_LATENCY], &l->latency_s, err)) != AB_OK)
        return st;
    if ((st = ab__procure_text(l->source, sizeof l->source, cell[COL_SOURCE], path, line, header[COL_SOURCE], err)) !=
        AB_OK)
        return st;
    if (!l->source[0] || strcmp(l->source, "NA") == 0)
        return ab_error_set(err, AB_EPARSE, "'%s' line %zu, column 'source': every row needs the document its figures come from",
                            path, line);
    if ((st = ab__procure_text(l->note, sizeof l->note, cell[COL_NOTE], path, line, header[COL_NOTE], err)) != AB_OK)
        return st;
    snprintf(l->origin, sizeof l->origin, "%s:%zu", path, line);
    return AB_OK;
}

enum ab_status ab_interconnects_read(struct ab_interconnects *ic, const char *path, struct ab_error *err)
{
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    struct ab_interconnect *added = NULL;
    enum ab_status st = ab__procure_read_table(path, header, COL_COUNT, "the interconnects file", &arena, &t, err);
    if (st != AB_OK)
        goto done;
    /* Parse everything first, so an error leaves the set as it was. */
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
                st = ab_error_set(err, AB_EPARSE, "'%s' line %zu, column 'interconnect': '%s' already on line %zu", path,
                                  t.line[r], added[r - 1].name, t.line[q]);
                goto done;
            }
        }
    }
    if (ic->n_links + n_new > ic->cap_links) {
        size_t cap = ic->n_links + n_new + 8;
        struct ab_interconnect *grown = ab_realloc(ic->links, cap * sizeof *grown);
        if (!grown) {
            st = ab_error_set(err, AB_ENOMEM, "'%s': out of memory", path);
            goto done;
        }
        ic->links = grown;
        ic->cap_links = cap;
    }
    for (size_t i = 0; i < n_new; i++) {
        size_t at = find_index(ic, added[i].name);
        ic->links[at] = added[i];
        if (at == ic->n_links)
            ic->n_links++;
    }
done:
    ab_free(added);
    ab_arena_release(&arena);
    return st;
}
