/*
 * archbench_mpi_mutant.c - the archbench command with one wrong-on-purpose moe_ep
 * variant registered: the expert outputs come back into the receive blocks of the
 * ranks in reverse order (a wrong MPI_Alltoallv displacement), so tokens get other
 * tokens' expert rows. `mpirun -np 2 archbench_mpi_mutant run` must fail it. The wrong
 * exchange lives here and is handed to the library's layer; the library has no switch for
 * it. Not installed.
 */
#include <stdio.h>

#include "archbench/status.h"

#include "cli.h"
#include "parallel/mpi_impl.h"
#include "parallel/parallel_impl.h"

/* The return exchange with the receive blocks laid out in reverse rank order: the counts
 * are right, the displacements wrong (what a prefix sum over the ranks backwards gives). */
static enum ab_status reversed_alltoallv(const float *send, const int *send_counts, const int *send_displs,
                                         float *recv, const int *recv_counts, const int *recv_displs)
{
    (void)recv_displs;
    int p = ab_mpi_size(), displs[256];
    if (p > 256)
        return AB_ENOTSUP;
    int at = 0;
    for (int q = p - 1; q >= 0; q--) {
        displs[q] = at;
        at += recv_counts[q];
    }
    return ab__mpi_alltoallv_f32(send, send_counts, send_displs, recv, recv_counts, displs);
}

static enum ab_status reversed_return(const struct ab_moe_ep_args *a, const struct ab_exec *exec)
{
    return ab__moe_ep_layer(a, exec, reversed_alltoallv);
}

static const struct ab_kernel mutant = {
    .name = "mutant_moe_ep_reversed_return",
    .family = &ab_family_moe_ep,
    .variant = "mutant",
    .doc = "test only: expert outputs received at the displacements of the ranks in reverse order",
    .isa_needs = 0,
    .is_ref = false,
    .fn.moe_ep = reversed_return,
    .supports = NULL,
    .workspace_bytes = ab__moe_ep_layer_workspace,
    .flops = ab__moe_ep_flops,
    .bytes = ab__moe_ep_bytes,
    .tol = {.cmp = AB_CMP_REL_FRO, .rel = 1e-5, .scale_param = -1, .scale_ref = 0.0},
};

int main(int argc, char **argv)
{
    enum ab_status st = ab_kernel_register_extra(&mutant);
    if (st != AB_OK) {
        fprintf(stderr, "archbench_mpi_mutant: cannot register the mutant: %s\n", ab_status_message(st));
        return AB_EXIT_FAIL;
    }
    return ab__cli_main(argc, argv);
}
