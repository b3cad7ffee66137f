/*
 * cli_compare.c - `archbench compare BASE_DIR CAND_DIR`: judge a candidate run against a
 * base run (reports/compare.c does the judging), print a table, write the documents, and
 * exit 0 (no regression), 1 (regression, or the candidate failed verification) or 2
 * (usage, or a folder that is not a run). Also the report step shared with `archbench ab`
 * and the hidden `_scale` verb that makes doctored runs for power checks.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcre2.h>
#include <sys/stat.h>

#include "archbench/compare.h"
#include "archbench/results.h"

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: archbench compare BASE_DIR CAND_DIR [options]\n"
            "\n"
            "Judge the candidate run against the base run, item by item (kernel, shape, threads):\n"
            "ratio of medians cand/base with a 95%% Hodges-Lehmann interval from the non-preempted\n"
            "repetitions, a Mann-Whitney U test, Benjamini-Hochberg across items. Two runs made at\n"
            "different times cannot tell a slower build from a busier machine: for CI use\n"
            "'archbench ab', which interleaves the two builds.\n"
            "\n"
            "%s"
            "\n"
            "Verdicts: regression (interval above 1+T and significant), improvement (below\n"
            "1/(1+T) and significant), no change (interval inside), undecided (noisy), failed\n"
            "verification, base only, candidate only. Exit 0 no regression, 1 regression or the\n"
            "candidate failed verification, 2 usage error or a folder that is not a run.\n",
            ab__cli_gate_options_help());
}

const char *ab__cli_gate_options_help(void)
{
    return "      --threshold T      slowdown that matters (default 5%; '7%' or 0.07)\n"
           "      --thresholds FILE  per family/kernel/item thresholds: lines 'REGEX T', matched\n"
           "                         against 'family/kernel/shape/tN', the last match wins\n"
           "      --ins-threshold T  instructions per call (PAPI_TOT_INS) threshold (default 1%)\n"
           "      --alpha A          significance level and 1 - interval level (default 0.05)\n"
           "      --paired-test T    ab's blocks: sign (default: median ratio and its order-\n"
           "                         statistic interval, no symmetry assumed) or signed-rank\n"
           "                         (Hodges-Lehmann ratio and interval; assumes symmetric\n"
           "                         block ratios, which ABBA order gives)\n"
           "      --strict           refuse (exit 2) when machine, CPU model or features,\n"
           "                         compiler, build type or schema differ between the sides\n"
           "      --markdown FILE    write a Markdown table (a pull-request comment)\n"
           "      --junit FILE       write JUnit XML: one testcase per item\n"
           "      --json FILE        write every figure as JSON\n"
           "  -h, --help             this help\n";
}

void ab__cli_gate_init(struct ab__cli_gate *g)
{
    memset(g, 0, sizeof *g);
    ab_compare_options_init(&g->options);
}

int ab__cli_gate_option(const char *verb, struct ab__cli_gate *g, int c, const char *arg)
{
    switch (c) {
    case AB__GATE_THRESHOLD:
        if (!ab_compare_parse_fraction(arg, &g->options.threshold))
            return ab__cli_usage_error(verb, "--threshold: '%s' is not a fraction (5%% or 0.05)", arg);
        return 0;
    case AB__GATE_INS_THRESHOLD:
        if (!ab_compare_parse_fraction(arg, &g->options.ins_threshold))
            return ab__cli_usage_error(verb, "--ins-threshold: '%s' is not a fraction (1%% or 0.01)", arg);
        return 0;
    case AB__GATE_THRESHOLDS:
        g->thresholds_path = arg;
        return 0;
    case AB__GATE_ALPHA: {
        char *end = NULL;
        double a = strtod(arg, &end);
        if (end == arg || *end || !(a > 0.0 && a < 0.5))
            return ab__cli_usage_error(verb, "--alpha: '%s' is not in (0, 0.5)", arg);
        g->options.alpha = a;
        return 0;
    }
    case AB__GATE_PAIRED_TEST:
        if (strcmp(arg, "signed-rank") == 0)
            g->options.paired_test = AB_COMPARE_SIGNED_RANK;
        else if (strcmp(arg, "sign") == 0)
            g->options.paired_test = AB_COMPARE_SIGN;
        else
            return ab__cli_usage_error(verb, "--paired-test: '%s' is not signed-rank or sign", arg);
        return 0;
    case AB__GATE_STRICT:
        g->strict = true;
        return 0;
    case AB__GATE_MARKDOWN:
        g->markdown = arg;
        return 0;
    case AB__GATE_JUNIT:
        g->junit = arg;
        return 0;
    case AB__GATE_JSON:
        g->json = arg;
        return 0;
    default:
        return -1;
    }
}

int ab__cli_gate_load(const char *verb, struct ab__cli_gate *g)
{
    if (!g->thresholds_path)
        return 0;
    struct ab_error err;
    if (ab_compare_rules_load(g->thresholds_path, &g->rules, &err) != AB_OK)
        return ab__cli_usage_error(verb, "--thresholds: %s", err.msg);
    g->options.rules = &g->rules;
    return 0;
}

void ab__cli_gate_release(struct ab__cli_gate *g)
{
    ab_compare_rules_release(&g->rules);
}

static void fmt_us(char *buf, size_t n, double ns)
{
    snprintf(buf, n, isnan(ns) ? "NA" : "%.2f", ns / 1e3);
}

int ab__cli_gate_report(const char *verb, const struct ab__cli_gate *g, const struct ab_compare *c)
{
    for (size_t w = 0; w < c->n_warnings; w++)
        fprintf(stderr, "archbench %s: warning: %s\n", verb, c->warnings[w]);
    if (g->strict && c->n_warnings) {
        fprintf(stderr, "archbench %s: --strict: the sides differ (%zu differences above); not compared\n", verb,
                c->n_warnings);
        return AB_EXIT_USAGE;
    }
    printf("%-19s %-24s %-30s %3s %10s %10s %7s %-17s %7s %s\n", "verdict", "kernel", "shape", "thr", "base_us",
           "cand_us", "ratio", "95% interval", "q", "instructions");
    const char *ins_na = NULL;
    for (size_t i = 0; i < c->n_items; i++) {
        const struct ab_compare_item *it = &c->items[i];
        char b[32], k[32], r[32], ci[48], q[32], ins[48];
        fmt_us(b, sizeof b, it->base_median_ns);
        fmt_us(k, sizeof k, it->cand_median_ns);
        snprintf(r, sizeof r, isnan(it->ratio) ? "NA" : "%.3f", it->ratio);
        if (isnan(it->ratio_low))
            snprintf(ci, sizeof ci, "NA");
        else
            snprintf(ci, sizeof ci, "[%.3f, %.3f]", it->ratio_low, it->ratio_high);
        snprintf(q, sizeof q, isnan(it->q_value) ? "NA" : "%.2g", it->q_value);
        if (it->ins_verdict == AB_COMPARE_NA) {
            snprintf(ins, sizeof ins, "NA");
            if (it->ins_reason[0])
                ins_na = it->ins_reason;
        } else {
            snprintf(ins, sizeof ins, "%+.2f%% %s", 100.0 * (it->ins_ratio - 1.0),
                     ab_compare_verdict_name(it->ins_verdict));
        }
        printf("%-19s %-24s %-30.30s %3d %10s %10s %7s %-17s %7s %s\n", ab_compare_verdict_name(it->verdict),
               it->key.kernel, it->key.shape, it->key.threads, b, k, r, ci, q, ins);
        if (it->verdict != AB_COMPARE_NO_CHANGE && it->reason[0])
            printf("    ^ %s\n", it->reason);
    }
    printf("%zu items (%s, %s test, threshold %.3g%%, alpha %.3g, Benjamini-Hochberg):", c->n_items,
           c->paired ? "paired blocks" : "unpaired runs", ab_compare_test_name(c), 100.0 * c->threshold, c->alpha);
    for (size_t v = 0; v < AB_COMPARE_VERDICT_COUNT; v++)
        if (c->counts[v])
            printf(" %zu %s,", c->counts[v], ab_compare_verdict_name((enum ab_compare_verdict)v));
    printf(" %zu instruction regressions\n", c->n_ins_regressions);
    if (ins_na)
        printf("instructions: NA, %s; time is used\n", ins_na);
    struct ab_error err;
    const struct {
        const char *path;
        enum ab_status (*write)(const char *, const struct ab_compare *, struct ab_error *);
    } docs[] = {{g->markdown, ab_compare_write_markdown}, {g->junit, ab_compare_write_junit},
                {g->json, ab_compare_write_json}};
    for (size_t d = 0; d < sizeof docs / sizeof docs[0]; d++) {
        if (docs[d].path && docs[d].write(docs[d].path, c, &err) != AB_OK) {
            fprintf(stderr, "archbench %s: %s\n", verb, err.msg);
            return AB_EXIT_FAIL;
        }
    }
    return ab_compare_failed(c) ? AB_EXIT_FAIL : AB_EXIT_OK;
}

int ab__cli_compare(int argc, char **argv)
{
    static const struct option options[] = {
        AB__GATE_LONG_OPTIONS,
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ab__cli_gate g;
    ab__cli_gate_init(&g);
    int c, rc;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        if (c == 'h') {
            help(stdout);
            return AB_EXIT_OK;
        }
        if ((rc = ab__cli_gate_option("compare", &g, c, optarg)) != 0)
            return rc > 0 ? rc : ab__cli_usage_error("compare", "unknown or incomplete option '%s'", argv[optind - 1]);
    }
    if (argc - optind != 2)
        return ab__cli_usage_error("compare", "want BASE_DIR CAND_DIR, got %d arguments", argc - optind);
    if ((rc = ab__cli_gate_load("compare", &g)) != 0)
        return rc;
    struct ab_results base, cand;
    struct ab_error err;
    ab_results_init(&base);
    ab_results_init(&cand);
    struct ab_compare cmp;
    ab_compare_init(&cmp);
    rc = AB_EXIT_USAGE;
    /* A folder that is not a run is bad input: the reader's message names file and line. */
    if (ab_results_read(argv[optind], false, &base, &err) != AB_OK) {
        fprintf(stderr, "archbench compare: base: %s\n", err.msg);
        goto done;
    }
    if (ab_results_read(argv[optind + 1], false, &cand, &err) != AB_OK) {
        fprintf(stderr, "archbench compare: candidate: %s\n", err.msg);
        goto done;
    }
    if (ab_compare_runs(&base, &cand, &g.options, &cmp, &err) != AB_OK) {
        fprintf(stderr, "archbench compare: %s\n", err.msg);
        rc = AB_EXIT_FAIL;
        goto done;
    }
    rc = ab__cli_gate_report("compare", &g, &cmp);
done:
    ab_compare_release(&cmp);
    ab_results_release(&base);
    ab_results_release(&cand);
    ab__cli_gate_release(&g);
    return rc;
}

/*
 * `archbench _scale IN_DIR OUT_DIR --filter RE --factor F` (hidden, for power checks and
 * tests): copy a run with every repetition time and the summary times of the items whose
 * "family/kernel/shape/tN" matches RE multiplied by F, through the results model, so the
 * copy is as consistent as a real run.
 */
int ab__cli_scale(int argc, char **argv)
{
    static const struct option options[] = {
        {"filter", required_argument, NULL, 'f'},
        {"factor", required_argument, NULL, 'x'},
        {NULL, 0, NULL, 0},
    };
    const char *filter = NULL;
    double factor = NAN;
    int c;
    while ((c = getopt_long(argc, argv, "f:x:", options, NULL)) != -1) {
        if (c == 'f') {
            filter = optarg;
        } else if (c == 'x') {
            char *end = NULL;
            factor = strtod(optarg, &end);
            if (end == optarg || *end || !(factor > 0.0) || !isfinite(factor))
                return ab__cli_usage_error("_scale", "--factor: '%s' is not a positive number", optarg);
        } else {
            return ab__cli_usage_error("_scale", "unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2 || !filter || isnan(factor))
        return ab__cli_usage_error("_scale", "want IN_DIR OUT_DIR --filter RE --factor F");
    int code = 0;
    PCRE2_SIZE offset = 0;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)filter, PCRE2_ZERO_TERMINATED, PCRE2_UTF, &code, &offset, NULL);
    if (!re)
        return ab__cli_usage_error("_scale", "--filter: bad regex '%s'", filter);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    struct ab_results res;
    struct ab_error err;
    int rc = AB_EXIT_USAGE;
    size_t scaled = 0;
    if (ab_results_read(argv[optind], false, &res, &err) != AB_OK) {
        fprintf(stderr, "archbench _scale: %s\n", err.msg);
        goto done;
    }
    for (size_t i = 0; i < res.n_rows; i++) {
        struct ab_result_row *row = &res.rows[i];
        char name[512];
        ab_compare_item_name(&row->key, name, sizeof name);
        if (!md || pcre2_match(re, (PCRE2_SPTR)name, PCRE2_ZERO_TERMINATED, 0, 0, md, NULL) < 0)
            continue;
        double ref_median_ns = row->speedup_vs_ref * row->median_ns;
        for (size_t s = 0; s < row->n_samples; s++) {
            row->samples[s].time_ns *= factor;
            row->samples[s].total_ns *= factor;
        }
        row->median_ns *= factor;
        row->min_ns *= factor;
        row->mad_ns *= factor;
        row->ci_low_ns *= factor;
        row->ci_high_ns *= factor;
        /* Rates, % of bound and speed-up follow from the scaled median. */
        ab_results_derive(row, ab_results_peak(&res.ctx, row->key.threads), ref_median_ns);
        scaled++;
    }
    rc = AB_EXIT_FAIL;
    if (mkdir(argv[optind + 1], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "archbench _scale: cannot create '%s': %s\n", argv[optind + 1], strerror(errno));
    } else if (ab_results_write(argv[optind + 1], &res, &err) != AB_OK) {
        fprintf(stderr, "archbench _scale: %s\n", err.msg);
    } else {
        fprintf(stderr, "archbench _scale: %zu items scaled by %g -> %s\n", scaled, factor, argv[optind + 1]);
        rc = scaled ? AB_EXIT_OK : AB_EXIT_FAIL;
    }
    ab_results_release(&res);
done:
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return rc;
}
