/*
 * archbench_mutants.c - the archbench command with the test-only mutants (mutants.h)
 * in its registry, so tests can show that `archbench run` reports them as fail and
 * exits 1. Not installed.
 */
#include <stdio.h>

#include "archbench/status.h"

#include "cli.h"
#include "mutants.h"

int main(int argc, char **argv)
{
    enum ab_status st = ab__mutants_register();
    if (st == AB_OK)
        st = ab__faults_register();
    if (st != AB_OK) {
        fprintf(stderr, "archbench_mutants: cannot register the mutants: %s\n", ab_status_message(st));
        return AB_EXIT_FAIL;
    }
    return ab__cli_main(argc, argv);
}
