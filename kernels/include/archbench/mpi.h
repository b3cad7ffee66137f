/*
 * mpi.h - whether archbench runs across MPI ranks, and as which.
 *
 * archbench uses an existing MPI (Open MPI from Debian), never a transport of its own.
 * The command initialises MPI only when a launcher started it (mpirun sets
 * OMPI_COMM_WORLD_SIZE, PMIx launchers PMIX_RANK, PMI ones PMI_RANK): run alone it
 * stays a single process without MPI, and the collective families (kernel.h
 * `collective`) say why they cannot run. Built without MPI (-Dmpi=disabled, or no
 * libopenmpi-dev), every function here behaves as one rank.
 */
#ifndef ARCHBENCH_MPI_H
#define ARCHBENCH_MPI_H

#include <stdbool.h>

#include "archbench/api.h"
#include "archbench/status.h"

/* Initialise MPI if a launcher started this process (else nothing): AB_EIO when MPI_Init
 * fails. Threads: the caller's only (MPI_THREAD_FUNNELED). */
AB_API enum ab_status ab_mpi_init(int *argc, char ***argv, struct ab_error *err);
/* Finalise if ab_mpi_init initialised; safe to call always. */
AB_API void ab_mpi_finalize(void);
/* 0 and 1 when MPI is not running. */
AB_API int ab_mpi_rank(void);
AB_API int ab_mpi_size(void);
/* Whether this build has MPI at all. */
AB_API bool ab_mpi_built(void);
/* NULL when MPI is running (started by a launcher and initialised); else the reason,
 * a static string: "archbench built without MPI (...)" or "not started by mpirun ...". */
AB_API const char *ab_mpi_unavailable(void);

#endif /* ARCHBENCH_MPI_H */
