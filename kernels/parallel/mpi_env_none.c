/*
 * mpi_env_none.c - mpi.h and mpi_impl.h for a build without MPI: one rank, and the
 * collective operations are the copies that one rank would do.
 */
#include "mpi_impl.h"

enum ab_status ab_mpi_init(int *argc, char ***argv, struct ab_error *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    return AB_OK;
}

void ab_mpi_finalize(void)
{
}

int ab_mpi_rank(void)
{
    return 0;
}

int ab_mpi_size(void)
{
    return 1;
}

bool ab_mpi_built(void)
{
    return false;
}

const char *ab_mpi_unavailable(void)
{
    return "archbench built without MPI (-Dmpi=disabled, or libopenmpi-dev missing at setup)";
}

enum ab_status ab__mpi_barrier(void)
{
    return AB_OK;
}

enum ab_status ab__mpi_bcast(void *buf, size_t n_bytes)
{
    (void)buf;
    (void)n_bytes;
    return AB_OK;
}

enum ab_status ab__mpi_allreduce_f64(double *inout, size_t n, enum ab__mpi_op op)
{
    (void)inout;
    (void)n;
    (void)op;
    return AB_OK;
}

enum ab_status ab__mpi_allreduce_f32(float *inout, size_t n, enum ab__mpi_op op)
{
    (void)inout;
    (void)n;
    (void)op;
    return AB_OK;
}

/* Loops, not memcpy: a rank without rows passes NULL with n = 0. */
enum ab_status ab__mpi_gather_f64(const double *send, size_t n, double *recv)
{
    for (size_t i = 0; i < n; i++)
        recv[i] = send[i];
    return AB_OK;
}

enum ab_status ab__mpi_gatherv_f32(const float *send, size_t n, float *recv, const int *counts, const int *displs)
{
    (void)counts;
    for (size_t i = 0; i < n; i++)
        recv[(size_t)displs[0] + i] = send[i];
    return AB_OK;
}

enum ab_status ab__mpi_alltoall_i32(const int32_t *send, int32_t *recv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        recv[i] = send[i];
    return AB_OK;
}

enum ab_status ab__mpi_alltoallv_f32(const float *send, const int *send_counts, const int *send_displs, float *recv,
                                     const int *recv_counts, const int *recv_displs)
{
    (void)recv_counts;
    for (int i = 0; i < send_counts[0]; i++)
        recv[recv_displs[0] + i] = send[send_displs[0] + i];
    return AB_OK;
}
