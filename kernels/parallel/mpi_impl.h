/*
 * mpi_impl.h - private to libarchbench: the few MPI operations the parallel kernels
 * (kernels/parallel) and the runner's collective items (bench/run_mpi.c) need, on the
 * library's own communicator (a duplicate of MPI_COMM_WORLD, so our traffic never
 * matches a caller's). mpi_env.c implements them with Open MPI; mpi_env_none.c, for a
 * build without MPI, as the one-rank case (copies), so the kernels stay callable with
 * one rank everywhere. Counts are elements, not bytes; every call is collective over
 * all ranks, and ranks must reach them in the same order.
 */
#ifndef ARCHBENCH_MPI_IMPL_H
#define ARCHBENCH_MPI_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "archbench/mpi.h"

enum ab__mpi_op { AB__MPI_SUM, AB__MPI_MAX, AB__MPI_MIN, AB__MPI_OP_COUNT };

enum ab_status ab__mpi_barrier(void);
/* root 0 -> every rank */
enum ab_status ab__mpi_bcast(void *buf, size_t n_bytes);
enum ab_status ab__mpi_allreduce_f64(double *inout, size_t n, enum ab__mpi_op op);
enum ab_status ab__mpi_allreduce_f32(float *inout, size_t n, enum ab__mpi_op op);
/* n doubles from every rank into recv (rank-major, n_ranks x n) on rank 0 */
enum ab_status ab__mpi_gather_f64(const double *send, size_t n, double *recv);
/* n floats from each rank into recv on rank 0 at offsets displs[r] with counts[r] */
enum ab_status ab__mpi_gatherv_f32(const float *send, size_t n, float *recv, const int *counts, const int *displs);
/* n int32 to every rank (send and recv n_ranks x n) */
enum ab_status ab__mpi_alltoall_i32(const int32_t *send, int32_t *recv, size_t n);
enum ab_status ab__mpi_alltoallv_f32(const float *send, const int *send_counts, const int *send_displs, float *recv,
                                     const int *recv_counts, const int *recv_displs);

#endif /* ARCHBENCH_MPI_IMPL_H */
