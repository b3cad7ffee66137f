/*
 * run_verify.c - a variant against its family's reference on the very shape and thread
 * count about to be timed. The reference output (AB_SLOT_REF) was made when the case was
 * built; the variant writes AB_SLOT_TEST through ab_case_verify, which poisons that slot
 * and its guard zones first and hashes the inputs, so a variant that writes nothing,
 * too little, too much or into its inputs cannot pass on what an earlier call left there.
 */
#include <inttypes.h>
#include <stdio.h>

#include "run_internal.h"

bool ab__verify(struct ab__runner *r, struct ab_case *c, const struct ab_kernel *k, const struct ab_exec *exec,
                struct ab_result_row *row)
{
    (void)r;
    struct ab_check chk = {0};
    enum ab_status st = ab_case_verify(c, k, exec, &chk);
    row->check_err = chk.err;
    row->check_tol = chk.tol;
    if (st != AB_OK) {
        snprintf(row->note, sizeof row->note, "kernel returned %s (seed %" PRIu64 ")", ab_status_name(st), c->seed);
        row->verdict = AB_VERDICT_FAIL;
        return false;
    }
    if (!chk.ok) {
        /* The detail names the case's seed already. */
        snprintf(row->note, sizeof row->note, "failed verification: %s", chk.detail);
        row->verdict = AB_VERDICT_FAIL;
        return false;
    }
    row->verdict = AB_VERDICT_PASS;
    return true;
}
