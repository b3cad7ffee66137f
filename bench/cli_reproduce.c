/*
 * cli_reproduce.c - `archbench reproduce`: the articles' V3-vs-R1 claims rebuilt from
 * measurements. Plans the cases of datasets/claims/plan.json (quick or full profile),
 * runs them through `archbench run` into OUT/run (or reads an earlier run with --from),
 * scores two models' predictions when given, judges every claim of
 * datasets/claims/claims.json and writes OUT/reproduction.md, OUT/claims.csv and the plots.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archbench/alloc.h"
#include "archbench/model.h"
#include "archbench/procure.h"
#include "archbench/reproduce.h"
#include "archbench/results.h"

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out,
            "usage: archbench reproduce [--quick] [--out DIR] [--from RUN_DIR] [--threads N,M] [--overwrite]\n"
            "                           [--gold-glue DIR] [--gold-superglue DIR] [--pred-v3 DIR --pred-r1 DIR]\n"
            "                           [--datasets DIR]\n"
            "\n"
            "Measure what the two articles' claims need (attention by sequence length, routing,\n"
            "INT8 vs FP32 experts, one transformer layer per article model at scaled width), every\n"
            "kernel verified against its reference before it is timed, then judge each claim of\n"
            "datasets/claims/claims.json: supported, contradicted, inconsistent (the article's own\n"
            "numbers cannot all hold), needs predictions, or not measurable here (with the reason).\n"
            "\n"
            "  -q, --quick            the quick profile (a few minutes on 2 cores)\n"
            "  -o, --out DIR          report folder (default reproduction); the run goes to DIR/run\n"
            "      --from RUN_DIR     judge an earlier run instead of measuring\n"
            "  -t, --threads N,M      thread counts (default 1 and the CPUs available)\n"
            "      --overwrite        replace a run already in DIR/run\n"
            "      --pred-v3 DIR, --pred-r1 DIR\n"
            "                         the two models' predictions (leaderboard submission layout);\n"
            "                         scored against --gold-glue / --gold-superglue (official dev layout)\n"
            "      --datasets DIR     where claims/, models/ live (default ./datasets)\n"
            "      --tdp W            energy estimate (W x time) where no energy counter exists: shown,\n"
            "                         labelled, never a verdict\n"
            "\n"
            "Writes DIR/reproduction.md, DIR/claims.csv and SVG plots. Exit 0 when the report is\n"
            "written and every kernel verified; 1 on a failed verification or a bad input file;\n"
            "2 on a bad command line.\n");
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

int ab__cli_reproduce(int argc, char **argv)
{
    enum { OPT_FROM = 256, OPT_OVERWRITE, OPT_GOLD_GLUE, OPT_GOLD_SG, OPT_PRED_V3, OPT_PRED_R1, OPT_DATASETS, OPT_TDP };
    static const struct option options[] = {
        {"quick", no_argument, NULL, 'q'},          {"out", required_argument, NULL, 'o'},
        {"from", required_argument, NULL, OPT_FROM}, {"threads", required_argument, NULL, 't'},
        {"overwrite", no_argument, NULL, OPT_OVERWRITE}, {"gold-glue", required_argument, NULL, OPT_GOLD_GLUE},
        {"gold-superglue", required_argument, NULL, OPT_GOLD_SG}, {"pred-v3", required_argument, NULL, OPT_PRED_V3},
        {"pred-r1", required_argument, NULL, OPT_PRED_R1}, {"datasets", required_argument, NULL, OPT_DATASETS},
        {"tdp", required_argument, NULL, OPT_TDP},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    bool quick = false, overwrite = false;
    const char *out = "reproduction", *from = NULL, *threads = NULL, *datasets = "datasets";
    const char *gold_glue = NULL, *gold_sg = NULL, *pred_v3 = NULL, *pred_r1 = NULL, *tdp = NULL;
    char command[2048] = "archbench";
    for (int i = 0; i < argc; i++) {
        size_t len = strlen(command);
        snprintf(command + len, sizeof command - len, " %s", argv[i]);
    }
    int c;
    while ((c = getopt_long(argc, argv, "qo:t:h", options, NULL)) != -1) {
        switch (c) {
        case 'q': quick = true; break;
        case 'o': out = optarg; break;
        case 't': threads = optarg; break;
        case OPT_FROM: from = optarg; break;
        case OPT_OVERWRITE: overwrite = true; break;
        case OPT_GOLD_GLUE: gold_glue = optarg; break;
        case OPT_GOLD_SG: gold_sg = optarg; break;
        case OPT_PRED_V3: pred_v3 = optarg; break;
        case OPT_PRED_R1: pred_r1 = optarg; break;
        case OPT_DATASETS: datasets = optarg; break;
        case OPT_TDP: tdp = optarg; break;
        case 'h': help(stdout); return AB_EXIT_OK;
        default: help(stderr); return AB_EXIT_USAGE;
        }
    }
    if (optind != argc)
        return ab__cli_usage_error("reproduce", "unexpected argument '%s'", argv[optind]);
    if (!pred_v3 != !pred_r1)
        return ab__cli_usage_error("reproduce", "--pred-v3 and --pred-r1 go together");
    if (pred_v3 && !gold_glue && !gold_sg)
        return ab__cli_usage_error("reproduce", "--pred-v3/--pred-r1 need --gold-glue and/or --gold-superglue");
    if (from && (quick || threads || overwrite || tdp))
        return ab__cli_usage_error("reproduce", "--from judges an earlier run: --quick, --threads, --overwrite, --tdp do not apply");
    if (!is_dir(datasets))
        return ab__cli_usage_error("reproduce", "no datasets folder '%s' (run from the repository, or --datasets DIR)",
                                   datasets);

    /* Inputs first: a bad claims, plan or model file is refused before minutes of measuring. */
    char path[4096];
    struct ab_error err = {0};
    struct ab_claims claims;
    struct ab_repro_plan plan;
    struct ab_model *models = NULL;
    size_t n_models = 0;
    struct ab_catalogue cat;
    struct ab_interconnects links;
    ab_catalogue_init(&cat);
    ab_interconnects_init(&links);
    snprintf(path, sizeof path, "%s/claims/claims.json", datasets);
    if (ab_claims_load(path, &claims, &err) != AB_OK) {
        fprintf(stderr, "archbench reproduce: %s\n", err.msg);
        return AB_EXIT_FAIL;
    }
    snprintf(path, sizeof path, "%s/claims/plan.json", datasets);
    int rc = AB_EXIT_FAIL;
    if (ab_repro_plan_load(path, &plan, &err) != AB_OK) {
        fprintf(stderr, "archbench reproduce: %s\n", err.msg);
        ab_claims_release(&claims);
        return AB_EXIT_FAIL;
    }
    snprintf(path, sizeof path, "%s/models", datasets);
    if (ab_model_load_dir(path, &models, &n_models, &err) != AB_OK) {
        fprintf(stderr, "archbench reproduce: %s\n", err.msg);
        goto done;
    }
    /* the hardware a comm_projection claim projects onto (A8.comm: 8 x A100 over NVLink 3) */
    if (ab__cli_catalogue_load("reproduce", datasets, NULL, &cat) != AB_EXIT_OK)
        goto done;
    snprintf(path, sizeof path, "%s/hardware/interconnects.csv", datasets);
    if (ab_interconnects_read(&links, path, &err) != AB_OK) {
        fprintf(stderr, "archbench reproduce: %s\n", err.msg);
        goto done;
    }
    if (mkdir(out, 0777) != 0 && !is_dir(out)) {
        fprintf(stderr, "archbench reproduce: cannot create '%s'\n", out);
        goto done;
    }

    struct ab_repro_inputs in = {
        .models = models, .n_models = n_models, .plan = &plan, .catalogue = &cat, .interconnects = &links};
    in.scores = (struct ab_repro_scores){NAN, NAN, NAN, NAN, pred_v3, pred_r1};
    if (pred_v3) {
        /* Scored before the run too: a bad prediction file should not wait for the kernels. */
        if ((gold_glue && (ab__cli_eval_suite_score(AB_EVAL_SUITE_GLUE, gold_glue, pred_v3, &in.scores.glue_v3) ||
                           ab__cli_eval_suite_score(AB_EVAL_SUITE_GLUE, gold_glue, pred_r1, &in.scores.glue_r1))) ||
            (gold_sg && (ab__cli_eval_suite_score(AB_EVAL_SUITE_SUPERGLUE, gold_sg, pred_v3, &in.scores.superglue_v3) ||
                         ab__cli_eval_suite_score(AB_EVAL_SUITE_SUPERGLUE, gold_sg, pred_r1, &in.scores.superglue_r1))))
            goto done;
    }

    char run_dir[4096];
    bool run_failed = false;
    if (from) {
        snprintf(run_dir, sizeof run_dir, "%s", from);
    } else {
        snprintf(run_dir, sizeof run_dir, "%s/run", out);
        int p = quick ? 0 : 1;
        /* The run verb's argv: strings of its own, as getopt may permute them. */
        const char *args[8 + 2 * 128 + 6];
        int rargc = 0;
        char thread_list[64];
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if (!threads) {
            if (ncpu > 1)
                snprintf(thread_list, sizeof thread_list, "1,%ld", ncpu > 8 ? 8 : ncpu);
            else
                snprintf(thread_list, sizeof thread_list, "1");
            threads = thread_list;
        }
        args[rargc++] = "run";
        if (quick)
            args[rargc++] = "--quick";
        /* The fastest of archbench's own variants is what a claim is judged on; references
         * still verify every case, and the BLAS baselines are a separate question. */
        args[rargc++] = "--filter";
        args[rargc++] = "-(_ref|_openblas|_onednn)$";
        for (size_t i = 0; i < plan.n_shapes[p]; i++) {
            args[rargc++] = "--shape";
            args[rargc++] = plan.shapes[p][i];
        }
        args[rargc++] = "--threads";
        args[rargc++] = threads;
        args[rargc++] = "--out";
        args[rargc++] = run_dir;
        if (overwrite)
            args[rargc++] = "--overwrite";
        if (tdp) { /* the run checks the figure */
            args[rargc++] = "--tdp";
            args[rargc++] = tdp;
        }
        char *rargv[8 + 2 * 128 + 7];
        bool copied = true;
        for (int i = 0; i < rargc; i++)
            copied &= (rargv[i] = strdup(args[i])) != NULL;
        rargv[rargc] = NULL;
        optind = 0; /* the run verb parses with getopt too: start afresh */
        int run_rc = copied ? ab__cli_run(rargc, rargv) : AB_EXIT_FAIL;
        for (int i = 0; i < rargc; i++)
            free(rargv[i]);
        if (run_rc == AB_EXIT_USAGE) {
            rc = AB_EXIT_USAGE;
            goto done;
        }
        run_failed = run_rc != AB_EXIT_OK;
    }

    struct ab_results res;
    ab_results_init(&res);
    if (ab_results_read(run_dir, false, &res, &err) != AB_OK) {
        fprintf(stderr, "archbench reproduce: %s\n", err.msg);
        ab_results_release(&res);
        goto done;
    }
    in.res = &res;
    for (size_t i = 0; i < res.n_rows; i++)
        run_failed |= res.rows[i].verdict == AB_VERDICT_FAIL || res.rows[i].verdict == AB_VERDICT_CRASH ||
                      res.rows[i].verdict == AB_VERDICT_TIMEOUT;

    struct ab_claim_result *results = calloc(claims.n, sizeof *results);
    if (!results) {
        ab_results_release(&res);
        goto done;
    }
    ab_reproduce_evaluate(&claims, &in, results);
    enum ab_status st = ab_reproduce_write(out, run_dir, command, &claims, results, &in, &err);
    if (st != AB_OK) {
        fprintf(stderr, "archbench reproduce: %s\n", err.msg);
    } else {
        printf("\n%-14s %-22s %s\n", "claim", "verdict", "measured here");
        for (size_t i = 0; i < claims.n; i++)
            printf("%-14s %-22s %s%s\n", claims.items[i].id, ab_claim_verdict_name(results[i].verdict),
                   results[i].projection     ? "projection (link bound): "
                   : results[i].extrapolated ? "extrapolated: "
                   : results[i].analytic     ? "analytic: "
                                             : "",
                   results[i].measured_text);
        fprintf(stderr, "archbench reproduce: report %s/reproduction.md, table %s/claims.csv, run %s/\n", out, out,
                run_dir);
        rc = run_failed ? AB_EXIT_FAIL : AB_EXIT_OK;
        if (run_failed)
            fprintf(stderr, "archbench reproduce: some kernels failed verification: their figures are not used\n");
    }
    free(results);
    ab_results_release(&res);
done:
    ab_interconnects_release(&links);
    ab_catalogue_release(&cat);
    ab_free(models);
    ab_repro_plan_release(&plan);
    ab_claims_release(&claims);
    return rc;
}
