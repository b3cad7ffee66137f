/*
 * svg_doc.h - test helpers shared by the plot and report tests: parse an SVG or HTML file
 * with libxml2 and ask about its text, not its pixels; read a whole file (Markdown).
 */
#ifndef ARCHBENCH_TEST_SVG_DOC_H
#define ARCHBENCH_TEST_SVG_DOC_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "archbench/plot.h"

/* A whole text file, NUL-terminated (the caller frees). */
static inline char *doc_slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open '%s'", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    return buf;
}

/* Plots need the backend; without it the test is a skip, never a pass. */
static inline void need_plots(void)
{
    const char *why = NULL;
    if (!ab_plot_available(&why))
        cr_skip_test("no plotting backend: %s", why);
}

static inline xmlDocPtr svg_read(const char *path)
{
    xmlDocPtr doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    cr_assert_not_null(doc, "'%s' is not well-formed XML", path);
    return doc;
}

static inline xmlDocPtr html_read(const char *path)
{
    xmlDocPtr doc = htmlReadFile(path, "UTF-8", HTML_PARSE_NONET | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    cr_assert_not_null(doc, "'%s' cannot be parsed as HTML", path);
    return doc;
}

/* Number of elements named `name` (any namespace) under node whose whole text is `text`
 * (NULL: any text). */
static inline size_t count_elements(xmlNodePtr node, const char *name, const char *text)
{
    size_t n = 0;
    for (xmlNodePtr c = node; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && xmlStrcasecmp(c->name, (const xmlChar *)name) == 0) {
            if (!text) {
                n++;
            } else {
                xmlChar *content = xmlNodeGetContent(c);
                if (content && strcmp((const char *)content, text) == 0)
                    n++;
                xmlFree(content);
            }
        }
        n += count_elements(c->children, name, text);
    }
    return n;
}

static inline size_t count_text(xmlDocPtr doc, const char *text)
{
    return count_elements(xmlDocGetRootElement(doc), "text", text);
}

#endif /* ARCHBENCH_TEST_SVG_DOC_H */
