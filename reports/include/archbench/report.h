/*
 * report.h - everything that leaves the program: atomic files, CSV (libcsv, RFC 4180)
 * and JSON (cJSON).
 *
 * A report is written to a temporary file in the destination's directory and renamed
 * over the destination only when complete (ab_atomic_commit), so a crash or an error
 * never leaves half a report over a good one. CSV numbers use the C locale and full
 * precision (%.17g); a value that was not measured is written as NA, never 0.
 */
#ifndef ARCHBENCH_REPORT_H
#define ARCHBENCH_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "archbench/api.h"
#include "archbench/arena.h"
#include "archbench/status.h"

struct cJSON;

/* ---- atomic files ----------------------------------------------------------------------- */

struct ab_atomic_file {
    FILE *fp;         /* write here */
    char *path;       /* final destination */
    char *tmp_path;   /* "<path>.tmp.XXXXXX" in the same directory */
};

/* Open a temporary file beside `path`. Caller ends with ab_atomic_commit or _abort. */
AB_API enum ab_status ab_atomic_open(struct ab_atomic_file *file, const char *path, struct ab_error *err);

/* Flush, fsync and rename over the destination; on failure the temp file is removed. */
AB_API enum ab_status ab_atomic_commit(struct ab_atomic_file *file, struct ab_error *err);

/* Close and delete the temporary file; the destination is untouched. NULL-safe. */
AB_API void ab_atomic_abort(struct ab_atomic_file *file);

/* ---- CSV writer ------------------------------------------------------------------------- */

struct ab_csv_writer {
    FILE *fp;          /* borrowed */
    size_t n_cols;     /* fields every row must have */
    size_t col;        /* fields written in the current row */
    bool failed;       /* a write failed or a row had the wrong width */
};

/* Attach to fp and write the header row (n_cols names). */
AB_API enum ab_status ab_csv_begin(struct ab_csv_writer *w, FILE *fp, const char *const *header, size_t n_cols);

/* Attach to fp for a file whose header is already there (appending rows). */
AB_API void ab_csv_attach(struct ab_csv_writer *w, FILE *fp, size_t n_cols);

/* One field, quoted per RFC 4180 only when it holds , " CR LF or edge spaces. NULL = NA. */
AB_API void ab_csv_str(struct ab_csv_writer *w, const char *value);
AB_API void ab_csv_i64(struct ab_csv_writer *w, int64_t value);
AB_API void ab_csv_u64(struct ab_csv_writer *w, uint64_t value);
/* %.17g in the C locale; NaN is written NA (the one encoding of "not measured"). */
AB_API void ab_csv_f64(struct ab_csv_writer *w, double value);
AB_API void ab_csv_bool(struct ab_csv_writer *w, bool value);
AB_API void ab_csv_na(struct ab_csv_writer *w);

/* End the row (CRLF per RFC 4180) and flush; AB_EIO on a wrong field count or write error. */
AB_API enum ab_status ab_csv_end_row(struct ab_csv_writer *w);

/* ---- CSV / TSV reader ------------------------------------------------------------------- */

struct ab_csv_options {
    char delim;          /* ',' or '\t' */
    bool quoting;        /* false: '"' is an ordinary character (GLUE TSV files) */
    bool allow_ragged;   /* false: a row with another field count than row 0 is an error */
};

/* A parsed file: cells[row * n_cols + col], row 0 is the first line (the header, if any). */
struct ab_csv_table {
    size_t n_rows;
    size_t n_cols;
    const char **cells;        /* arena-owned, NUL-terminated, never NULL within a row */
    size_t *n_fields;          /* per row (differs only when allow_ragged) */
    size_t *line;              /* 1-based line where each row starts */
};

/*
 * Read a whole CSV/TSV file with libcsv, no space trimming, CRLF or LF. Everything is
 * allocated in `arena`. Errors name the file and line: AB_EIO (cannot open/read),
 * AB_EPARSE (malformed quoting, ragged row, empty file).
 */
AB_API enum ab_status ab_csv_read(const char *path, const struct ab_csv_options *options, struct ab_arena *arena,
                                  struct ab_csv_table *out_table, struct ab_error *err);

/* ---- JSON ---------------------------------------------------------------------------------- */

/* Route cJSON's allocations through the shim (idempotent, thread safe). */
AB_API void ab_json_use_shim(void);

/* Print `root` (formatted) to `path` atomically. */
AB_API enum ab_status ab_json_write_file(const char *path, const struct cJSON *root, struct ab_error *err);

/* Parse a whole JSON file; caller frees with cJSON_Delete. AB_EPARSE names the offset. */
AB_API enum ab_status ab_json_read_file(const char *path, struct cJSON **out_root, struct ab_error *err);

#endif /* ARCHBENCH_REPORT_H */
