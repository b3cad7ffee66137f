/*
 * compare_write.c - the gate's documents: Markdown (a pull-request comment, bad news
 * first), JUnit XML (one testcase per item: regression = failure, undecided = skipped
 * with the reason) and JSON (every figure). Each is written to a temporary file and
 * renamed into place, so a CI step never posts half a report.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archbench/compare.h"
#include "archbench/report.h"

/* Severity order of the documents: what a reviewer must see first comes first. */
static const enum ab_compare_verdict order[] = {
    AB_COMPARE_REGRESSION, AB_COMPARE_FAILED,    AB_COMPARE_UNDECIDED, AB_COMPARE_IMPROVEMENT,
    AB_COMPARE_CAND_ONLY,  AB_COMPARE_BASE_ONLY, AB_COMPARE_NO_CHANGE, AB_COMPARE_NA,
};
_Static_assert(sizeof order / sizeof order[0] == AB_COMPARE_VERDICT_COUNT, "every verdict has a place");

static void fmt_ns(char *buf, size_t n, double ns)
{
    if (isnan(ns))
        snprintf(buf, n, "NA");
    else if (ns >= 1e6)
        snprintf(buf, n, "%.3g ms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, n, "%.3g us", ns / 1e3);
    else
        snprintf(buf, n, "%.3g ns", ns);
}

static void fmt_ins(char *buf, size_t n, const struct ab_compare_item *it)
{
    if (it->ins_verdict == AB_COMPARE_NA)
        snprintf(buf, n, "NA");
    else
        snprintf(buf, n, "%+.2f%% (%s)", 100.0 * (it->ins_ratio - 1.0), ab_compare_verdict_name(it->ins_verdict));
}

static void headline(FILE *fp, const struct ab_compare *c)
{
    fprintf(fp, "%zu items, %s (%s test, threshold %.3g%%, instructions %.3g%%, alpha %.3g with Benjamini-Hochberg):",
            c->n_items, c->paired ? "paired blocks" : "unpaired runs",
            ab_compare_test_name(c), 100.0 * c->threshold,
            100.0 * c->ins_threshold, c->alpha);
    for (size_t o = 0; o < AB_COMPARE_VERDICT_COUNT; o++)
        if (c->counts[order[o]])
            fprintf(fp, " %zu %s,", c->counts[order[o]], ab_compare_verdict_name(order[o]));
    fprintf(fp, " %zu instruction regressions\n", c->n_ins_regressions);
}

enum ab_status ab_compare_write_markdown(const char *path, const struct ab_compare *c, struct ab_error *err)
{
    struct ab_atomic_file f;
    enum ab_status st = ab_atomic_open(&f, path, err);
    if (st != AB_OK)
        return st;
    FILE *fp = f.fp;
    fprintf(fp, "### archbench: %s\n\n", ab_compare_failed(c) ? "performance regression" : "no regression");
    headline(fp, c);
    fprintf(fp, "\n");
    for (size_t w = 0; w < c->n_warnings; w++)
        fprintf(fp, "> warning: %s\n", c->warnings[w]);
    if (c->n_warnings)
        fprintf(fp, "\n");
    fprintf(fp, "| verdict | item | threads | base | candidate | ratio | %.0f%% interval | q | instructions | note |\n",
            100.0 * (1.0 - c->alpha));
    fprintf(fp, "|---|---|---:|---:|---:|---:|---|---:|---|---|\n");
    for (size_t o = 0; o < AB_COMPARE_VERDICT_COUNT; o++) {
        for (size_t i = 0; i < c->n_items; i++) {
            const struct ab_compare_item *it = &c->items[i];
            if (it->verdict != order[o])
                continue;
            char b[32], k[32], r[32], ci[48], q[32], ins[64];
            fmt_ns(b, sizeof b, it->base_median_ns);
            fmt_ns(k, sizeof k, it->cand_median_ns);
            snprintf(r, sizeof r, isnan(it->ratio) ? "NA" : "%.3f", it->ratio);
            if (isnan(it->ratio_low))
                snprintf(ci, sizeof ci, "NA");
            else
                snprintf(ci, sizeof ci, "[%.3f, %.3f]", it->ratio_low, it->ratio_high);
            snprintf(q, sizeof q, isnan(it->q_value) ? "NA" : "%.2g", it->q_value);
            fmt_ins(ins, sizeof ins, it);
            /* '|' would end the cell: shapes never hold one, notes might. */
            char note[256];
            snprintf(note, sizeof note, "%s%s", it->reason,
                     it->base_all || it->cand_all ? "; too few clean repetitions somewhere: preempted ones used" : "");
            for (char *p = note; *p; p++)
                if (*p == '|')
                    *p = '/';
            const char *bold = it->verdict == AB_COMPARE_REGRESSION || it->verdict == AB_COMPARE_FAILED ? "**" : "";
            fprintf(fp, "| %s%s%s | `%s/%s` %s | %d | %s | %s | %s | %s | %s | %s | %s |\n", bold,
                    ab_compare_verdict_name(it->verdict), bold, it->key.family, it->key.kernel, it->key.shape,
                    it->key.threads, b, k, r, ci, q, ins, note);
        }
    }
    /* One line on instructions when none were counted, instead of NA with no reason. */
    for (size_t i = 0; i < c->n_items; i++) {
        if (c->items[i].ins_verdict == AB_COMPARE_NA && c->items[i].ins_reason[0]) {
            fprintf(fp, "\ninstructions: NA, %s; time is used\n", c->items[i].ins_reason);
            break;
        }
    }
    if (ferror(fp)) {
        ab_atomic_abort(&f);
        return ab_error_set(err, AB_EIO, "cannot write '%s'", path);
    }
    return ab_atomic_commit(&f, err);
}

static void xml_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '&': fputs("&amp;", fp); break;
        case '"': fputs("&quot;", fp); break;
        case '\'': fputs("&apos;", fp); break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            fputc((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' ? ' ' : *s, fp);
        }
    }
}

enum ab_status ab_compare_write_junit(const char *path, const struct ab_compare *c, struct ab_error *err)
{
    struct ab_atomic_file f;
    enum ab_status st = ab_atomic_open(&f, path, err);
    if (st != AB_OK)
        return st;
    FILE *fp = f.fp;
    size_t failures = 0, skipped = 0;
    for (size_t i = 0; i < c->n_items; i++) {
        const struct ab_compare_item *it = &c->items[i];
        bool cand_failed = it->verdict == AB_COMPARE_FAILED && strncmp(it->reason, "candidate", 9) == 0;
        if (it->verdict == AB_COMPARE_REGRESSION || cand_failed || it->ins_verdict == AB_COMPARE_REGRESSION)
            failures++;
        else if (it->verdict != AB_COMPARE_NO_CHANGE && it->verdict != AB_COMPARE_IMPROVEMENT)
            skipped++;
    }
    fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(fp, "<testsuites name=\"archbench\" tests=\"%zu\" failures=\"%zu\" skipped=\"%zu\">\n", c->n_items, failures,
            skipped);
    fprintf(fp, "  <testsuite name=\"archbench %s\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\">\n",
            c->paired ? "ab" : "compare", c->n_items, failures, skipped);
    for (size_t i = 0; i < c->n_items; i++) {
        const struct ab_compare_item *it = &c->items[i];
        char name[512];
        snprintf(name, sizeof name, "%s/%s/t%d", it->key.kernel, it->key.shape, it->key.threads);
        fprintf(fp, "    <testcase classname=\"archbench.");
        xml_text(fp, it->key.family);
        fprintf(fp, "\" name=\"");
        xml_text(fp, name);
        fprintf(fp, "\">");
        bool cand_failed = it->verdict == AB_COMPARE_FAILED && strncmp(it->reason, "candidate", 9) == 0;
        char msg[512];
        if (it->verdict == AB_COMPARE_REGRESSION || cand_failed) {
            snprintf(msg, sizeof msg, "%s: ratio %.3f, %s", ab_compare_verdict_name(it->verdict), it->ratio, it->reason);
            fprintf(fp, "<failure type=\"%s\" message=\"", cand_failed ? "verification" : "regression");
            xml_text(fp, msg);
            fprintf(fp, "\"/>");
        } else if (it->ins_verdict == AB_COMPARE_REGRESSION) {
            snprintf(msg, sizeof msg, "instructions per call %+.2f%% (threshold %.3g%%)", 100.0 * (it->ins_ratio - 1.0),
                     100.0 * c->ins_threshold);
            fprintf(fp, "<failure type=\"instructions\" message=\"");
            xml_text(fp, msg);
            fprintf(fp, "\"/>");
        } else if (it->verdict != AB_COMPARE_NO_CHANGE && it->verdict != AB_COMPARE_IMPROVEMENT) {
            snprintf(msg, sizeof msg, "%s: %s", ab_compare_verdict_name(it->verdict), it->reason);
            fprintf(fp, "<skipped message=\"");
            xml_text(fp, msg);
            fprintf(fp, "\"/>");
        } else {
            fprintf(fp, "<system-out>");
            snprintf(msg, sizeof msg, "%s: ratio %.3f, %s", ab_compare_verdict_name(it->verdict), it->ratio, it->reason);
            xml_text(fp, msg);
            fprintf(fp, "</system-out>");
        }
        fprintf(fp, "</testcase>\n");
    }
    fprintf(fp, "  </testsuite>\n</testsuites>\n");
    if (ferror(fp)) {
        ab_atomic_abort(&f);
        return ab_error_set(err, AB_EIO, "cannot write '%s'", path);
    }
    return ab_atomic_commit(&f, err);
}

static void add_num(cJSON *o, const char *name, double v)
{
    if (isnan(v))
        cJSON_AddNullToObject(o, name);
    else
        cJSON_AddNumberToObject(o, name, v);
}

enum ab_status ab_compare_write_json(const char *path, const struct ab_compare *c, struct ab_error *err)
{
    ab_json_use_shim();
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return ab_error_set(err, AB_ENOMEM, "out of memory writing '%s'", path);
    cJSON_AddStringToObject(root, "mode", c->paired ? "paired" : "unpaired");
    cJSON_AddNumberToObject(root, "blocks", (double)c->n_blocks);
    cJSON_AddStringToObject(root, "test", ab_compare_test_name(c));
    cJSON_AddNumberToObject(root, "threshold", c->threshold);
    cJSON_AddNumberToObject(root, "ins_threshold", c->ins_threshold);
    cJSON_AddNumberToObject(root, "alpha", c->alpha);
    cJSON_AddBoolToObject(root, "failed", ab_compare_failed(c));
    cJSON *counts = cJSON_AddObjectToObject(root, "counts");
    for (size_t v = 0; v < AB_COMPARE_VERDICT_COUNT; v++)
        if (counts)
            cJSON_AddNumberToObject(counts, ab_compare_verdict_name((enum ab_compare_verdict)v), (double)c->counts[v]);
    cJSON_AddNumberToObject(root, "instruction_regressions", (double)c->n_ins_regressions);
    cJSON *warn = cJSON_AddArrayToObject(root, "warnings");
    for (size_t w = 0; w < c->n_warnings && warn; w++)
        cJSON_AddItemToArray(warn, cJSON_CreateString(c->warnings[w]));
    cJSON *items = cJSON_AddArrayToObject(root, "items");
    for (size_t i = 0; i < c->n_items && items; i++) {
        const struct ab_compare_item *it = &c->items[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToArray(items, o);
        cJSON_AddStringToObject(o, "family", it->key.family);
        cJSON_AddStringToObject(o, "kernel", it->key.kernel);
        cJSON_AddStringToObject(o, "variant", it->key.variant);
        cJSON_AddStringToObject(o, "shape", it->key.shape);
        cJSON_AddNumberToObject(o, "threads", it->key.threads);
        cJSON_AddStringToObject(o, "verdict", ab_compare_verdict_name(it->verdict));
        cJSON_AddStringToObject(o, "reason", it->reason);
        cJSON_AddNumberToObject(o, "threshold", it->threshold);
        cJSON_AddNumberToObject(o, "n_base", (double)it->n_base);
        cJSON_AddNumberToObject(o, "n_cand", (double)it->n_cand);
        cJSON_AddBoolToObject(o, "base_preempted_used", it->base_all);
        cJSON_AddBoolToObject(o, "cand_preempted_used", it->cand_all);
        add_num(o, "base_median_ns", it->base_median_ns);
        add_num(o, "cand_median_ns", it->cand_median_ns);
        add_num(o, "ratio", it->ratio);
        add_num(o, "ratio_low", it->ratio_low);
        add_num(o, "ratio_high", it->ratio_high);
        add_num(o, "p_value", it->p_value);
        add_num(o, "q_value", it->q_value);
        cJSON_AddBoolToObject(o, "significant", it->significant);
        cJSON_AddStringToObject(o, "ins_verdict", ab_compare_verdict_name(it->ins_verdict));
        add_num(o, "base_ins_per_call", it->base_ins);
        add_num(o, "cand_ins_per_call", it->cand_ins);
        add_num(o, "ins_ratio", it->ins_ratio);
        if (it->ins_verdict == AB_COMPARE_NA)
            cJSON_AddStringToObject(o, "ins_reason", it->ins_reason);
    }
    enum ab_status st = ab_json_write_file(path, root, err);
    cJSON_Delete(root);
    return st;
}
