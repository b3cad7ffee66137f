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

/* Print "archbench <verb>: <message>" and a hint to stderr; returns AB_EXIT_USAGE. */
int ab__cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* ARCHBENCH_CLI_H */
