/*
 * mpi_env.c - MPI runtime and the collective operations of mpi_impl.h, with Open MPI
 * (any MPI-3 implementation). Built only when meson finds MPI (-Dmpi=auto/enabled);
 * mpi_env_none.c stands in otherwise.
 *
 * Assumes: MPI is used from the calling thread only (OpenMP teams never call MPI);
 * every rank calls the operations in the same order (the runner's lockstep protocol,
 * bench/run_mpi.c, guarantees it for the collective items).
 */
#include <limits.h>
#include <stdlib.h>

/* Open MPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, ...) are casts of
 * incomplete globals, which -Wstrict-aliasing=2 flags at every use; they are the
 * library's documented interface, not our punning. */
#pragma GCC diagnostic ignored "-Wstrict-aliasing"
#include <mpi.h>

#include "mpi_impl.h"

static MPI_Comm comm = MPI_COMM_NULL;
static bool we_initialised;
static int rank_, size_ = 1;

static bool launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

enum ab_status ab_mpi_init(int *argc, char ***argv, struct ab_error *err)
{
    if (comm != MPI_COMM_NULL || !launched())
        return AB_OK;
    int inited = 0;
    MPI_Initialized(&inited);
    if (!inited) {
        int provided = 0;
        if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
            return ab_error_set(err, AB_EIO, "MPI_Init_thread failed");
        we_initialised = true;
    }
    /* Errors come back as codes, so a failed exchange is a failed item, not an abort. */
    if (MPI_Comm_dup(MPI_COMM_WORLD, &comm) != MPI_SUCCESS)
        return ab_error_set(err, AB_EIO, "MPI_Comm_dup failed");
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm, &rank_);
    MPI_Comm_size(comm, &size_);
    return AB_OK;
}

void ab_mpi_finalize(void)
{
    if (comm != MPI_COMM_NULL)
        MPI_Comm_free(&comm);
    comm = MPI_COMM_NULL;
    if (we_initialised) {
        int fin = 0;
        MPI_Finalized(&fin);
        if (!fin)
            MPI_Finalize();
    }
    we_initialised = false;
    rank_ = 0;
    size_ = 1;
}

int ab_mpi_rank(void)
{
    return rank_;
}

int ab_mpi_size(void)
{
    return size_;
}

bool ab_mpi_built(void)
{
    return true;
}

const char *ab_mpi_unavailable(void)
{
    if (comm != MPI_COMM_NULL)
        return NULL;
    if (!launched())
        return "not started by mpirun (single process): run it as 'mpirun -np P archbench run ...'";
    return "MPI not initialised in this process (ab_mpi_init not called)";
}

static enum ab_status ok(int rc)
{
    return rc == MPI_SUCCESS ? AB_OK : AB_EIO;
}

/* One rank without MPI running: the operations are copies (see mpi_impl.h). */
static bool alone(void)
{
    return comm == MPI_COMM_NULL;
}

enum ab_status ab__mpi_barrier(void)
{
    return alone() ? AB_OK : ok(MPI_Barrier(comm));
}

enum ab_status ab__mpi_bcast(void *buf, size_t n_bytes)
{
    if (alone())
        return AB_OK;
    if (n_bytes > INT_MAX)
        return AB_EOVERFLOW;
    return ok(MPI_Bcast(buf, (int)n_bytes, MPI_BYTE, 0, comm));
}

static MPI_Op op_of(enum ab__mpi_op op)
{
    return op == AB__MPI_MAX ? MPI_MAX : op == AB__MPI_MIN ? MPI_MIN : MPI_SUM;
}

enum ab_status ab__mpi_allreduce_f64(double *inout, size_t n, enum ab__mpi_op op)
{
    if (alone())
        return AB_OK;
    if (n > INT_MAX)
        return AB_EOVERFLOW;
    return ok(MPI_Allreduce(MPI_IN_PLACE, inout, (int)n, MPI_DOUBLE, op_of(op), comm));
}

enum ab_status ab__mpi_allreduce_f32(float *inout, size_t n, enum ab__mpi_op op)
{
    if (alone())
        return AB_OK;
    if (n > INT_MAX)
        return AB_EOVERFLOW;
    return ok(MPI_Allreduce(MPI_IN_PLACE, inout, (int)n, MPI_FLOAT, op_of(op), comm));
}

enum ab_status ab__mpi_gather_f64(const double *send, size_t n, double *recv)
{
    if (n > INT_MAX)
        return AB_EOVERFLOW;
    if (alone()) {
        for (size_t i = 0; i < n; i++)
            recv[i] = send[i];
        return AB_OK;
    }
    return ok(MPI_Gather(send, (int)n, MPI_DOUBLE, recv, (int)n, MPI_DOUBLE, 0, comm));
}

enum ab_status ab__mpi_gatherv_f32(const float *send, size_t n, float *recv, const int *counts, const int *displs)
{
    if (n > INT_MAX)
        return AB_EOVERFLOW;
    if (alone()) {
        for (size_t i = 0; i < n; i++)
            recv[(size_t)displs[0] + i] = send[i];
        return AB_OK;
    }
    return ok(MPI_Gatherv(send, (int)n, MPI_FLOAT, recv, counts, displs, MPI_FLOAT, 0, comm));
}

enum ab_status ab__mpi_alltoall_i32(const int32_t *send, int32_t *recv, size_t n)
{
    if (n > INT_MAX)
        return AB_EOVERFLOW;
    if (alone()) {
        for (size_t i = 0; i < n; i++)
            recv[i] = send[i];
        return AB_OK;
    }
    return ok(MPI_Alltoall(send, (int)n, MPI_INT32_T, recv, (int)n, MPI_INT32_T, comm));
}

enum ab_status ab__mpi_alltoallv_f32(const float *send, const int *send_counts, const int *send_displs, float *recv,
                                     const int *recv_counts, const int *recv_displs)
{
    if (alone()) {
        for (int i = 0; i < send_counts[0]; i++)
            recv[recv_displs[0] + i] = send[send_displs[0] + i];
        return AB_OK;
    }
    return ok(MPI_Alltoallv(send, send_counts, send_displs, MPI_FLOAT, recv, recv_counts, recv_displs, MPI_FLOAT,
                            comm));
}
