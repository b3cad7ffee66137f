/*
 * test_csv.c - CSV quoting round trip (commas, quotes, newlines, tabs, UTF-8, edge
 * spaces) written by the writer and read back with libcsv; NA for NaN; row width
 * enforcement; TSV without quoting; atomic files never clobber a good file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "archbench/arena.h"
#include "archbench/report.h"

static char *tmp_path(const char *tag)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/ab_test_%s_%ld.csv", tag, (long)getpid());
    return buf;
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

Test(csv, quoting_round_trip)
{
    static const char *const values[] = {
        "plain", "with,comma", "with \"quotes\"", "multi\nline", "tab\tinside", "crlf\r\nend",
        "naïve — ünïcödé ✓", " leading space", "trailing space ", "", "NA", "\"", ",,,",
    };
    size_t n = sizeof values / sizeof values[0];
    const char *path = tmp_path("roundtrip");
    struct ab_atomic_file f;
    cr_assert_eq(ab_atomic_open(&f, path, NULL), AB_OK);
    struct ab_csv_writer w;
    static const char *const header[] = {"id", "value", "x"};
    cr_assert_eq(ab_csv_begin(&w, f.fp, header, 3), AB_OK);
    for (size_t i = 0; i < n; i++) {
        ab_csv_i64(&w, (int64_t)i);
        ab_csv_str(&w, values[i]);
        ab_csv_f64(&w, i == 0 ? (double)NAN : 0.1 * (double)i);
        cr_assert_eq(ab_csv_end_row(&w), AB_OK);
    }
    cr_assert_eq(ab_atomic_commit(&f, NULL), AB_OK);

    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    struct ab_csv_options o = {.delim = ',', .quoting = true};
    struct ab_error err;
    cr_assert_eq(ab_csv_read(path, &o, &arena, &t, &err), AB_OK, "%s", err.msg);
    cr_assert_eq(t.n_rows, n + 1);
    cr_assert_eq(t.n_cols, 3);
    cr_assert_str_eq(t.cells[1], "value");
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(t.cells[(i + 1) * 3 + 1], values[i], "row %zu", i);
        if (i > 0)
            cr_assert_eq(strtod(t.cells[(i + 1) * 3 + 2], NULL), 0.1 * (double)i, "%%.17g round-trips");
    }
    cr_assert_str_eq(t.cells[1 * 3 + 2], "NA", "NaN is written NA");
    ab_arena_release(&arena);
    /* Quoting only where needed: a plain field is not quoted. */
    cr_assert(strstr(slurp(path), "0,plain,NA\r\n"), "plain fields unquoted, CRLF rows");
    remove(path);
}

Test(csv, wrong_row_width_is_an_error)
{
    const char *path = tmp_path("width");
    FILE *fp = fopen(path, "w");
    struct ab_csv_writer w;
    static const char *const header[] = {"a", "b"};
    cr_assert_eq(ab_csv_begin(&w, fp, header, 2), AB_OK);
    ab_csv_str(&w, "only one");
    cr_assert_eq(ab_csv_end_row(&w), AB_EIO);
    fclose(fp);
    remove(path);
}

Test(csv, tsv_without_quoting_keeps_quotes_and_spaces_and_reports_ragged_lines)
{
    const char *path = tmp_path("tsv");
    FILE *fp = fopen(path, "w");
    fputs("index\tsentence\n0\t\" The pie business \n1\t two  spaces \n2\ttoo\tmany\n", fp);
    fclose(fp);
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    struct ab_csv_options o = {.delim = '\t', .quoting = false, .allow_ragged = true};
    cr_assert_eq(ab_csv_read(path, &o, &arena, &t, NULL), AB_OK);
    cr_assert_eq(t.n_rows, 4);
    cr_assert_str_eq(t.cells[1 * t.n_cols + 1], "\" The pie business ", "literal quote, no trimming");
    cr_assert_str_eq(t.cells[2 * t.n_cols + 1], " two  spaces ");
    cr_assert_eq(t.n_fields[3], 3);
    cr_assert_eq(t.line[3], 4);
    o.allow_ragged = false;
    struct ab_error err;
    cr_assert_eq(ab_csv_read(path, &o, &arena, &t, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "line 4"), "names the line: %s", err.msg);
    ab_arena_release(&arena);
    remove(path);
}

Test(csv, blank_line_and_empty_file_are_errors)
{
    const char *path = tmp_path("blank");
    FILE *fp = fopen(path, "w");
    fputs("a\tb\n1\t2\n\n3\t4\n", fp);
    fclose(fp);
    struct ab_arena arena;
    ab_arena_init(&arena, 0);
    struct ab_csv_table t;
    struct ab_csv_options o = {.delim = '\t', .quoting = false};
    struct ab_error err;
    cr_assert_eq(ab_csv_read(path, &o, &arena, &t, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "line 3"), "blank line named: %s", err.msg);
    fp = fopen(path, "w");
    fclose(fp);
    cr_assert_eq(ab_csv_read(path, &o, &arena, &t, &err), AB_EPARSE);
    cr_assert(strstr(err.msg, "empty"), "%s", err.msg);
    cr_assert_eq(ab_csv_read("/nonexistent/x.tsv", &o, &arena, &t, &err), AB_EIO);
    cr_assert(strstr(err.msg, "'/nonexistent/x.tsv'"), "%s", err.msg);
    ab_arena_release(&arena);
    remove(path);
}

Test(csv, atomic_abort_keeps_the_old_report)
{
    const char *path = tmp_path("atomic");
    FILE *fp = fopen(path, "w");
    fputs("good report\n", fp);
    fclose(fp);
    struct ab_atomic_file f;
    cr_assert_eq(ab_atomic_open(&f, path, NULL), AB_OK);
    fputs("half a new rep", f.fp);
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", f.tmp_path);
    ab_atomic_abort(&f);
    cr_assert_str_eq(slurp(path), "good report\n");
    cr_assert_neq(access(tmp, F_OK), 0, "temporary file removed");
    cr_assert_eq(ab_atomic_open(&f, path, NULL), AB_OK);
    fputs("new report\n", f.fp);
    cr_assert_str_eq(slurp(path), "good report\n", "not visible before commit");
    cr_assert_eq(ab_atomic_commit(&f, NULL), AB_OK);
    cr_assert_str_eq(slurp(path), "new report\n");
    struct ab_error err;
    cr_assert_eq(ab_atomic_open(&f, "/nonexistent/dir/r.csv", &err), AB_EIO);
    remove(path);
}
