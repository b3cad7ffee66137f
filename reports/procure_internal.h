/* procure_internal.h - the field checks shared by the readers of datasets/hardware/
 * (procure_catalogue.c: devices, procure_interconnect.c: links), so both refuse the same
 * things with the same words. */
#ifndef ARCHBENCH_PROCURE_INTERNAL_H
#define ARCHBENCH_PROCURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "archbench/status.h"

/* Equal ignoring ASCII case. */
bool ab__procure_same_name(const char *a, const char *b);
/* A positive finite number, or NA (NaN); else AB_EPARSE naming file, line and column. */
enum ab_status ab__procure_figure(const char *s, const char *path, size_t line, const char *col, double *out,
                                  struct ab_error *err);
struct ab_arena;
struct ab_csv_table;
/* Read a comma-separated file with quoting into t (cells in arena) and check its header
 * row is exactly header[0..n_cols); errors name the file, line 1 and the column. */
enum ab_status ab__procure_read_table(const char *path, const char *const *header, size_t n_cols, const char *what,
                                      struct ab_arena *arena, struct ab_csv_table *t, struct ab_error *err);
/* s copied into dst, or AB_EPARSE when it does not fit. */
enum ab_status ab__procure_text(char *dst, size_t dst_bytes, const char *s, const char *path, size_t line,
                                const char *col, struct ab_error *err);

#endif
