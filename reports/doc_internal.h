/*
 * doc_internal.h - private to reports/: one document written twice, as Markdown and as a
 * self-contained HTML page, by the same calls, so the two cannot disagree. Used by the
 * run report (report_run.c) and the merge of machines (merge.c).
 *
 * Text is escaped for each format (HTML entities; '|' and line breaks inside Markdown
 * table cells). A figure is a link to its SVG file in Markdown and the SVG text itself in
 * HTML, so the page can be mailed as one file. Write errors are seen by the caller through
 * ferror on its files; the functions here do not fail except ab__doc_svg (reading back).
 */
#ifndef ARCHBENCH_DOC_INTERNAL_H
#define ARCHBENCH_DOC_INTERNAL_H

#include <stddef.h>
#include <stdio.h>

#include "archbench/api.h"
#include "archbench/status.h"

struct ab__doc {
    FILE *md, *html;
};

void ab__doc_md(struct ab__doc *d, const char *fmt, ...) AB_PRINTF(2, 3);
void ab__doc_html_raw(struct ab__doc *d, const char *s);
void ab__doc_html_text(struct ab__doc *d, const char *s);

/* <!DOCTYPE ...><body><h1>title</h1> and "# title"; the end closes body and html. */
void ab__doc_begin(struct ab__doc *d, const char *title);
void ab__doc_end(struct ab__doc *d);

void ab__doc_heading(struct ab__doc *d, int level, const char *text);
void ab__doc_paragraph(struct ab__doc *d, const char *text);

/* A table: the header, then rows of n cells, each cell a string at cells + i * stride
 * (a char[n][width] array passes cells[0] and sizeof cells[0]). */
void ab__doc_table_begin(struct ab__doc *d, const char *const *head, size_t n);
void ab__doc_table_row(struct ab__doc *d, const char *cells, size_t stride, size_t n);
void ab__doc_table_end(struct ab__doc *d);

/* A bulleted list. */
void ab__doc_list_begin(struct ab__doc *d);
void ab__doc_list_item(struct ab__doc *d, const char *text);
void ab__doc_list_end(struct ab__doc *d);

/* A figure: ![caption](link) in Markdown, the SVG file at svg_path inlined in HTML (from
 * "<svg" on: its XML declaration does not belong inside HTML). AB_EIO when it cannot be
 * read back. */
enum ab_status ab__doc_svg(struct ab__doc *d, const char *svg_path, const char *link, const char *caption,
                           struct ab_error *err);

/* mkdir that accepts an existing folder. */
enum ab_status ab__make_dir(const char *path, struct ab_error *err);

#endif /* ARCHBENCH_DOC_INTERNAL_H */
