/*
 * cli_run.c - `archbench run`: placeholder while the measurement engine lands.
 */
#include <stdio.h>

#include "cli.h"

int ab__cli_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "archbench run: not built yet\n");
    return 2;
}
