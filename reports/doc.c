/*
 * doc.c - the Markdown + HTML document writer shared by `archbench report` and
 * `archbench merge` (doc_internal.h). One set of calls writes both files, so a table or
 * a note cannot be in one document and missing from the other.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>

#include "doc_internal.h"

void ab__doc_md(struct ab__doc *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(d->md, fmt, ap);
    va_end(ap);
}

void ab__doc_html_raw(struct ab__doc *d, const char *s)
{
    fputs(s, d->html);
}

void ab__doc_html_text(struct ab__doc *d, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", d->html); break;
        case '<': fputs("&lt;", d->html); break;
        case '>': fputs("&gt;", d->html); break;
        case '"': fputs("&quot;", d->html); break;
        default: fputc(*s, d->html);
        }
    }
}

/* A Markdown table cell: '|' would end the cell, a line break the row. */
static void md_cell(struct ab__doc *d, const char *s)
{
    fputs(" ", d->md);
    for (; *s; s++) {
        if (*s == '|')
            fputs("\\|", d->md);
        else
            fputc(*s == '\n' || *s == '\r' ? ' ' : *s, d->md);
    }
    fputs(" |", d->md);
}

static const char html_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
static const char html_style[] =
    "</title>\n<style>\n"
    "body{font-family:sans-serif;max-width:1100px;margin:1em auto;padding:0 1em;color:#111}\n"
    /* Wide tables (a column per machine, long shapes) scroll on their own, not the page. */
    "table{border-collapse:collapse;margin:0.5em 0 1em;display:block;max-width:100%;overflow-x:auto}\n"
    "th,td{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:90%}\n"
    "th{background:#f0f0f0}\n"
    "figure{margin:1em 0}figure svg{max-width:100%;height:auto}\n"
    "figcaption{font-size:85%;color:#555}\n"
    "</style>\n</head>\n<body>\n";

void ab__doc_begin(struct ab__doc *d, const char *title)
{
    ab__doc_md(d, "# %s\n\n", title);
    ab__doc_html_raw(d, html_head);
    ab__doc_html_text(d, title);
    ab__doc_html_raw(d, html_style);
    ab__doc_html_raw(d, "<h1>");
    ab__doc_html_text(d, title);
    ab__doc_html_raw(d, "</h1>\n");
}

void ab__doc_end(struct ab__doc *d)
{
    ab__doc_html_raw(d, "</body>\n</html>\n");
}

void ab__doc_heading(struct ab__doc *d, int level, const char *text)
{
    ab__doc_md(d, "\n%.*s %s\n\n", level, "######", text);
    fprintf(d->html, "<h%d>", level);
    ab__doc_html_text(d, text);
    fprintf(d->html, "</h%d>\n", level);
}

void ab__doc_paragraph(struct ab__doc *d, const char *text)
{
    ab__doc_md(d, "%s\n\n", text);
    ab__doc_html_raw(d, "<p>");
    ab__doc_html_text(d, text);
    ab__doc_html_raw(d, "</p>\n");
}

void ab__doc_table_begin(struct ab__doc *d, const char *const *head, size_t n)
{
    ab__doc_md(d, "|");
    for (size_t i = 0; i < n; i++)
        md_cell(d, head[i]);
    ab__doc_md(d, "\n|");
    for (size_t i = 0; i < n; i++)
        ab__doc_md(d, "---|");
    ab__doc_md(d, "\n");
    ab__doc_html_raw(d, "<table>\n<tr>");
    for (size_t i = 0; i < n; i++) {
        ab__doc_html_raw(d, "<th>");
        ab__doc_html_text(d, head[i]);
        ab__doc_html_raw(d, "</th>");
    }
    ab__doc_html_raw(d, "</tr>\n");
}

void ab__doc_table_row(struct ab__doc *d, const char *cells, size_t stride, size_t n)
{
    ab__doc_md(d, "|");
    ab__doc_html_raw(d, "<tr>");
    for (size_t i = 0; i < n; i++) {
        md_cell(d, cells + i * stride);
        ab__doc_html_raw(d, "<td>");
        ab__doc_html_text(d, cells + i * stride);
        ab__doc_html_raw(d, "</td>");
    }
    ab__doc_md(d, "\n");
    ab__doc_html_raw(d, "</tr>\n");
}

void ab__doc_table_end(struct ab__doc *d)
{
    ab__doc_md(d, "\n");
    ab__doc_html_raw(d, "</table>\n");
}

void ab__doc_list_begin(struct ab__doc *d)
{
    ab__doc_html_raw(d, "<ul>\n");
}

void ab__doc_list_item(struct ab__doc *d, const char *text)
{
    ab__doc_md(d, "- %s\n", text);
    ab__doc_html_raw(d, "<li>");
    ab__doc_html_text(d, text);
    ab__doc_html_raw(d, "</li>\n");
}

void ab__doc_list_end(struct ab__doc *d)
{
    ab__doc_md(d, "\n");
    ab__doc_html_raw(d, "</ul>\n");
}

enum ab_status ab__doc_svg(struct ab__doc *d, const char *svg_path, const char *link, const char *caption,
                           struct ab_error *err)
{
    ab__doc_md(d, "![%s](%s)\n\n", caption, link);
    FILE *fp = fopen(svg_path, "rb");
    if (!fp)
        return ab_error_set(err, AB_EIO, "cannot read back '%s': %s", svg_path, strerror(errno));
    ab__doc_html_raw(d, "<figure>\n");
    char buf[8192];
    size_t n;
    bool in_svg = false;
    while ((n = fread(buf, 1, sizeof buf - 1, fp)) > 0) {
        buf[n] = '\0';
        const char *from = buf;
        if (!in_svg) {
            const char *svg = strstr(buf, "<svg");
            if (!svg)
                continue;
            from = svg;
            in_svg = true;
        }
        fwrite(from, 1, n - (size_t)(from - buf), d->html);
    }
    fclose(fp);
    ab__doc_html_raw(d, "<figcaption>");
    ab__doc_html_text(d, caption);
    ab__doc_html_raw(d, "</figcaption>\n</figure>\n");
    return AB_OK;
}

enum ab_status ab__make_dir(const char *path, struct ab_error *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ab_error_set(err, AB_EIO, "cannot create '%s': %s", path, strerror(errno));
    return AB_OK;
}
