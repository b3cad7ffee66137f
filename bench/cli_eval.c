/*
 * cli_eval.c - `archbench eval`: placeholder until the evaluator lands (issue 6).
 */
#include <stdio.h>

#include "cli.h"

int ab__cli_eval(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "archbench eval: not built yet\n");
    return 2;
}
