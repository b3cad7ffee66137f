/*
 * archbench_main.c - main of the archbench command; everything else is in main.c and
 * the cli_*.c verbs, linked as a library so test commands can reuse them.
 */
#include "cli.h"

int main(int argc, char **argv)
{
    return ab__cli_main(argc, argv);
}
