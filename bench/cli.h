/*
 * cli.h - private to bench/: the verbs of the archbench command. Each verb takes the
 * arguments after "archbench" (argv[0] is the verb) and returns the process exit code:
 * 0 ok, 1 failure or regression, 2 usage error, 77 skipped.
 */
#ifndef ARCHBENCH_CLI_H
#define ARCHBENCH_CLI_H

enum { AB_EXIT_OK = 0, AB_EXIT_FAIL = 1, AB_EXIT_USAGE = 2, AB_EXIT_SKIP = 77 };

/* The whole command: argv as main gets it; returns the exit code. */
int ab__cli_main(int argc, char **argv);

int ab__cli_list(int argc, char **argv);
int ab__cli_sysinfo(int argc, char **argv);
int ab__cli_run(int argc, char **argv);
int ab__cli_eval(int argc, char **argv);
int ab__cli_compare(int argc, char **argv);
int ab__cli_ab(int argc, char **argv);
int ab__cli_spread(int argc, char **argv);
int ab__cli_model(int argc, char **argv);
int ab__cli_report(int argc, char **argv);
int ab__cli_scale(int argc, char **argv); /* hidden: doctored copies of a run */
int ab__cli_reproduce(int argc, char **argv);
int ab__cli_project(int argc, char **argv);
int ab__cli_merge(int argc, char **argv);

/* The shipped hardware catalogue under datasets, then user_file's rows over it (cli_project.c);
 * errors printed, exit code returned. */
struct ab_catalogue;
int ab__cli_catalogue_load(const char *verb, const char *datasets, const char *user_file, struct ab_catalogue *cat);

/* A suite's leaderboard score (0-100) of one model's predictions (cli_eval.c); errors
 * printed, exit code returned. */
#include "archbench/eval.h"
int ab__cli_eval_suite_score(enum ab_eval_suite suite, const char *gold_dir, const char *pred_dir, double *out_score);

/* The gate options shared by compare and ab (cli_compare.c). */
#include <stdbool.h>
#include "archbench/compare.h"
enum {
    AB__GATE_THRESHOLD = 1000, AB__GATE_THRESHOLDS, AB__GATE_INS_THRESHOLD, AB__GATE_ALPHA, AB__GATE_STRICT,
    AB__GATE_MARKDOWN, AB__GATE_JUNIT, AB__GATE_JSON, AB__GATE_PAIRED_TEST
};
#define AB__GATE_LONG_OPTIONS                                                                                  \
    {"threshold", required_argument, NULL, AB__GATE_THRESHOLD},                                                \
        {"thresholds", required_argument, NULL, AB__GATE_THRESHOLDS},                                          \
        {"ins-threshold", required_argument, NULL, AB__GATE_INS_THRESHOLD},                                    \
        {"alpha", required_argument, NULL, AB__GATE_ALPHA}, {"strict", no_argument, NULL, AB__GATE_STRICT},    \
        {"markdown", required_argument, NULL, AB__GATE_MARKDOWN},                                              \
        {"junit", required_argument, NULL, AB__GATE_JUNIT}, {"json", required_argument, NULL, AB__GATE_JSON}, \
        {"paired-test", required_argument, NULL, AB__GATE_PAIRED_TEST}

struct ab__cli_gate {
    struct ab_compare_options options;
    struct ab_compare_rules rules;
    const char *thresholds_path;
    bool strict;
    const char *markdown, *junit, *json;
};
void ab__cli_gate_init(struct ab__cli_gate *g);
/* 0: taken; > 0: usage error already printed (the exit code); -1: not a gate option. */
int ab__cli_gate_option(const char *verb, struct ab__cli_gate *g, int c, const char *arg);
int ab__cli_gate_load(const char *verb, struct ab__cli_gate *g);
void ab__cli_gate_release(struct ab__cli_gate *g);
const char *ab__cli_gate_options_help(void);
/* Warnings (refusal with --strict: 2), table on stdout, documents; returns the exit code. */
int ab__cli_gate_report(const char *verb, const struct ab__cli_gate *g, const struct ab_compare *c);

/* Print "archbench <verb>: <message>" and a hint to stderr; returns AB_EXIT_USAGE. */
int ab__cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* ARCHBENCH_CLI_H */
