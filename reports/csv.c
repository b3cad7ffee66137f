/*
 * csv.c - CSV writing and reading through libcsv.
 *
 * Writing: fields are quoted (by libcsv's csv_fwrite) only when RFC 4180 needs it, so
 * plain numbers and names stay readable; rows end in CRLF as RFC 4180 says; numbers
 * use %.17g, which round-trips every double, and the C locale (the program never
 * calls setlocale for LC_NUMERIC). NaN is the in-memory "not measured" and is written NA.
 *
 * Reading: libcsv with space trimming disabled (its default trims spaces and tabs),
 * every row reported including empty ones, and quoting switchable off for GLUE's TSV
 * files, whose quotes are literal text. libcsv's allocations go through the shim.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <csv.h>

#include "archbench/alloc.h"
#include "archbench/report.h"

/* ---- writer ------------------------------------------------------------------------ */

void ab_csv_attach(struct ab_csv_writer *w, FILE *fp, size_t n_cols)
{
    w->fp = fp;
    w->n_cols = n_cols;
    w->col = 0;
    w->failed = false;
}

enum ab_status ab_csv_begin(struct ab_csv_writer *w, FILE *fp, const char *const *header, size_t n_cols)
{
    ab_csv_attach(w, fp, n_cols);
    for (size_t i = 0; i < n_cols; i++)
        ab_csv_str(w, header[i]);
    return ab_csv_end_row(w);
}

static bool needs_quoting(const char *s)
{
    size_t n = strlen(s);
    if (n == 0)
        return false;
    if (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t')
        return true;
    return strpbrk(s, ",\"\r\n") != NULL;
}

static void separator(struct ab_csv_writer *w)
{
    if (w->col > 0 && fputc(',', w->fp) == EOF)
        w->failed = true;
    w->col++;
}

void ab_csv_str(struct ab_csv_writer *w, const char *value)
{
    separator(w);
    if (!value)
        value = "NA";
    int rc = needs_quoting(value) ? csv_fwrite(w->fp, value, strlen(value)) : fputs(value, w->fp);
    if (rc == EOF || (needs_quoting(value) && rc != 0))
        w->failed = true;
}

void ab_csv_na(struct ab_csv_writer *w)
{
    ab_csv_str(w, "NA");
}

void ab_csv_i64(struct ab_csv_writer *w, int64_t value)
{
    separator(w);
    if (fprintf(w->fp, "%" PRId64, value) < 0)
        w->failed = true;
}

void ab_csv_u64(struct ab_csv_writer *w, uint64_t value)
{
    separator(w);
    if (fprintf(w->fp, "%" PRIu64, value) < 0)
        w->failed = true;
}

void ab_csv_f64(struct ab_csv_writer *w, double value)
{
    if (isnan(value)) {
        ab_csv_na(w);
        return;
    }
    separator(w);
    if (fprintf(w->fp, "%.17g", value) < 0)
        w->failed = true;
}

void ab_csv_bool(struct ab_csv_writer *w, bool value)
{
    ab_csv_str(w, value ? "true" : "false");
}

enum ab_status ab_csv_end_row(struct ab_csv_writer *w)
{
    bool wrong_width = w->col != w->n_cols;
    w->col = 0;
    if (fputs("\r\n", w->fp) == EOF || fflush(w->fp) != 0)
        w->failed = true;
    if (wrong_width)
        w->failed = true;
    return w->failed ? AB_EIO : AB_OK;
}

/* ---- reader ------------------------------------------------------------------------ */

struct reader {
    struct ab_arena *arena;
    const char *path;
    const struct ab_csv_options *options;
    /* growable arrays (shim): flat cells, per-row field counts and lines */
    const char **cells;
    size_t n_cells, cap_cells;
    size_t *n_fields, *lines;
    size_t n_rows, cap_rows;
    size_t row_start;     /* index into cells where the current row starts */
    size_t line;          /* current physical line (1-based), counted from the bytes */
    size_t row_line;      /* line where the current row started */
    bool row_open;
    enum ab_status status;
    struct ab_error *err;
};

static int never_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void on_field(void *data, size_t len, void *userdata)
{
    struct reader *r = userdata;
    if (r->status != AB_OK)
        return;
    if (!r->row_open) {
        r->row_open = true;
        r->row_line = r->line;
        r->row_start = r->n_cells;
    }
    if (r->n_cells == r->cap_cells) {
        size_t cap = r->cap_cells ? 2 * r->cap_cells : 256;
        const char **p = ab_realloc(r->cells, cap * sizeof *p);
        if (!p) {
            r->status = ab_error_set(r->err, AB_ENOMEM, "out of memory reading '%s'", r->path);
            return;
        }
        r->cells = p;
        r->cap_cells = cap;
    }
    char *s = ab_arena_strndup(r->arena, data ? (const char *)data : "", data ? len : 0);
    if (!s) {
        r->status = ab_error_set(r->err, AB_ENOMEM, "out of memory reading '%s'", r->path);
        return;
    }
    r->cells[r->n_cells++] = s;
}

static void on_row(int term, void *userdata)
{
    (void)term;
    struct reader *r = userdata;
    if (r->status != AB_OK)
        return;
    if (!r->row_open) {
        /* A blank line (see ab_csv_read): a row without fields. */
        r->row_line = r->line;
        r->row_start = r->n_cells;
    }
    if (r->n_rows == r->cap_rows) {
        size_t cap = r->cap_rows ? 2 * r->cap_rows : 64;
        size_t *nf = ab_realloc(r->n_fields, cap * sizeof *nf);
        if (!nf) {
            r->status = ab_error_set(r->err, AB_ENOMEM, "out of memory reading '%s'", r->path);
            return;
        }
        r->n_fields = nf;
        size_t *ln = ab_realloc(r->lines, cap * sizeof *ln);
        if (!ln) {
            r->status = ab_error_set(r->err, AB_ENOMEM, "out of memory reading '%s'", r->path);
            return;
        }
        r->lines = ln;
        r->cap_rows = cap;
    }
    size_t width = r->n_cells - r->row_start;
    r->n_fields[r->n_rows] = width;
    r->lines[r->n_rows] = r->row_line;
    if (!r->options->allow_ragged && r->n_rows > 0 && width != r->n_fields[0]) {
        r->status = ab_error_set(r->err, AB_EPARSE, "'%s' line %zu: %zu fields, expected %zu", r->path, r->row_line,
                                 width, r->n_fields[0]);
        return;
    }
    r->n_rows++;
    r->row_open = false;
}

enum ab_status ab_csv_read(const char *path, const struct ab_csv_options *options, struct ab_arena *arena,
                           struct ab_csv_table *out_table, struct ab_error *err)
{
    struct reader r = {.arena = arena, .path = path, .options = options, .line = 1, .status = AB_OK, .err = err};
    struct csv_parser parser;
    enum ab_status st = AB_OK;
    bool parser_ready = false;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return ab_error_set(err, AB_EIO, "cannot open '%s': %s", path, strerror(errno));
    if (csv_init(&parser, CSV_APPEND_NULL | (options->quoting ? CSV_STRICT : 0)) != 0) {
        st = ab_error_set(err, AB_ENOMEM, "cannot initialise the CSV parser for '%s'", path);
        goto done;
    }
    parser_ready = true;
    csv_set_realloc_func(&parser, ab_realloc);
    csv_set_free_func(&parser, ab_free);
    csv_set_delim(&parser, (unsigned char)options->delim);
    /* 0xFF never occurs in UTF-8 text, so as a quote character it disables quoting. */
    csv_set_quote(&parser, options->quoting ? (unsigned char)'"' : (unsigned char)0xFF);
    csv_set_space_func(&parser, never_space);

    char buf[65536];
    size_t got;
    size_t n_bytes = 0;
    while ((got = fread(buf, 1, sizeof buf, fp)) > 0) {
        n_bytes += got;
        /* Feed line by line so each row knows the line it started on. */
        size_t at = 0;
        while (at < got) {
            char *nl = memchr(buf + at, '\n', got - at);
            size_t chunk = nl ? (size_t)(nl - (buf + at)) + 1 : got - at;
            /* libcsv drops blank lines silently; without quoting a blank line cannot be
             * inside a field, so report it as a row without fields (then the width check
             * names it). CSV_REPALL_NL is no help: it would split every CRLF in two. */
            bool blank = !options->quoting && !r.row_open &&
                         ((chunk == 1 && buf[at] == '\n') || (chunk == 2 && buf[at] == '\r' && buf[at + 1] == '\n'));
            if (blank) {
                on_row(0, &r);
                if (r.status != AB_OK) {
                    st = r.status;
                    goto done;
                }
                at += chunk;
                r.line++;
                continue;
            }
            /* libcsv grows a field's buffer by a fixed block (128 bytes by default): a
             * long field would be copied over and over, quadratic in its length. Growing
             * the block with the buffer makes the growth geometric. */
            if (parser.entry_size > parser.blk_size)
                csv_set_blk_size(&parser, parser.entry_size);
            if (csv_parse(&parser, buf + at, chunk, on_field, on_row, &r) != chunk) {
                st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: %s", path, r.line,
                                  csv_strerror(csv_error(&parser)));
                goto done;
            }
            if (r.status != AB_OK) {
                st = r.status;
                goto done;
            }
            at += chunk;
            if (nl)
                r.line++;
        }
    }
    if (ferror(fp)) {
        st = ab_error_set(err, AB_EIO, "cannot read '%s': %s", path, strerror(errno));
        goto done;
    }
    if (csv_fini(&parser, on_field, on_row, &r) != 0) {
        st = ab_error_set(err, AB_EPARSE, "'%s' line %zu: %s", path, r.line, csv_strerror(csv_error(&parser)));
        goto done;
    }
    if (r.status != AB_OK) {
        st = r.status;
        goto done;
    }
    if (n_bytes == 0 || r.n_rows == 0) {
        st = ab_error_set(err, AB_EPARSE, "'%s' is empty", path);
        goto done;
    }
    {
        /* Copy the growable arrays into the arena so the table has one owner. */
        size_t width = r.n_fields[0];
        for (size_t i = 1; i < r.n_rows; i++)
            if (r.n_fields[i] > width)
                width = r.n_fields[i];
        const char **cells = ab_arena_calloc(arena, r.n_rows * (width ? width : 1), sizeof *cells, 8);
        size_t *nf = ab_arena_alloc(arena, r.n_rows * sizeof *nf, 8);
        size_t *ln = ab_arena_alloc(arena, r.n_rows * sizeof *ln, 8);
        if (!cells || !nf || !ln) {
            st = ab_error_set(err, AB_ENOMEM, "out of memory reading '%s'", path);
            goto done;
        }
        size_t at = 0;
        for (size_t i = 0; i < r.n_rows; i++) {
            for (size_t j = 0; j < width; j++)
                cells[i * width + j] = j < r.n_fields[i] ? r.cells[at + j] : "";
            at += r.n_fields[i];
            nf[i] = r.n_fields[i];
            ln[i] = r.lines[i];
        }
        out_table->n_rows = r.n_rows;
        out_table->n_cols = width;
        out_table->cells = cells;
        out_table->n_fields = nf;
        out_table->line = ln;
    }
done:
    if (parser_ready)
        csv_free(&parser);
    fclose(fp);
    ab_free(r.cells);
    ab_free(r.n_fields);
    ab_free(r.lines);
    return st;
}
