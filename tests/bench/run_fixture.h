/*
 * run_fixture.h - helpers the runner's tests share: a fresh folder per test, and a
 * progress callback that interrupts a run at a chosen item (as Ctrl-C would).
 */
#ifndef ARCHBENCH_TEST_RUN_FIXTURE_H
#define ARCHBENCH_TEST_RUN_FIXTURE_H

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <criterion/criterion.h>

#include "archbench/run.h"

static inline void temp_dir(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "/tmp/ab_test_%s_XXXXXX", tag);
    cr_assert_not_null(mkdtemp(buf));
}

struct stopper {
    volatile sig_atomic_t *flag;
    size_t at;
};

/* on_progress callback: sets the stop flag when item `at` (1-based) starts. */
static inline void stop_at(void *user, const struct ab_run_progress *p)
{
    struct stopper *s = user;
    if (p->index == s->at)
        *s->flag = 1;
}

#endif /* ARCHBENCH_TEST_RUN_FIXTURE_H */
