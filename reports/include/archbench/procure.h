/*
 * procure.h - procurement studies: the hardware catalogue, the roofline projection of a
 * run onto a catalogue device (`archbench project`) and the comparison of runs from
 * several machines (`archbench merge`); the links between devices and the projection of a
 * run's measured all-to-all share onto them (`archbench project --interconnect`).
 *
 * Honest numbers: a figure the catalogue does not state is NaN (written NA) and every
 * NA in an output carries its reason; projections are labelled "projection (roofline
 * bound)" on every row and never share a column with a measurement. Runs are read
 * through the results model (results.h). The library never prints: errors go to
 * struct ab_error naming the file, line and field.
 */
#ifndef ARCHBENCH_PROCURE_H
#define ARCHBENCH_PROCURE_H

#include <stdbool.h>
#include <stddef.h>

#include "archbench/api.h"
#include "archbench/status.h"

enum ab_device_kind { AB_DEVICE_GPU, AB_DEVICE_CPU, AB_DEVICE_SOC, AB_DEVICE_KIND_COUNT };

AB_API const char *ab_device_kind_name(enum ab_device_kind k);

struct ab_device {
    char name[96];
    enum ab_device_kind kind;
    double n_cores, n_threads;  /* physical cores and hardware threads, whole numbers; NaN: not stated (GPU, SoC) */
    double peak_fp32_flop_per_s, peak_fp16_bf16_flop_per_s, peak_int8_op_per_s; /* NaN: not public */
    double mem_bw_bytes_per_s, mem_bytes, tdp_w, price_usd;                      /* NaN: not public */
    char source[256];
    char note[640];
    char origin[320];  /* "<file>:<line>" the row was read from */
};

struct ab_catalogue {
    struct ab_device *devices;
    size_t n_devices, cap_devices;
};

AB_API void ab_catalogue_init(struct ab_catalogue *cat);
AB_API void ab_catalogue_release(struct ab_catalogue *cat); /* NULL-safe */

/*
 * Read a catalogue CSV (header exactly as datasets/hardware/catalogue.csv) and add its
 * rows; a row whose device name (case-insensitive) is already there replaces it, so a
 * user's file read second overrides the shipped one. Numbers must be finite and positive,
 * or NA; cores and threads whole numbers with threads >= cores. A row without a source is
 * refused. Errors (AB_EIO, AB_EPARSE) name the file,
 * line and column. On error the catalogue keeps the rows it had before the call.
 */
AB_API enum ab_status ab_catalogue_read(struct ab_catalogue *cat, const char *path, struct ab_error *err);

/* The device of this name (case-insensitive), or NULL. */
AB_API const struct ab_device *ab_catalogue_find(const struct ab_catalogue *cat, const char *name);

/*
 * Names near `name` for an error message: devices sharing a word (case-insensitive, of 2+
 * characters) with it, comma-separated into out (all names when none shares a word).
 */
AB_API void ab_catalogue_near(const struct ab_catalogue *cat, const char *name, char *out, size_t out_bytes);

/* ---- project --------------------------------------------------------------------------- */

struct ab_project_options {
    const char *run_dir;
    const char *out_dir;          /* where projection.csv / projection.md go */
    const struct ab_device *device;
    bool efficiency_measured;     /* divide by the fraction of its bound the row reached */
};

struct ab_project_summary {
    size_t n_rows;                /* rows written */
    size_t n_projected;           /* with a projected time */
    size_t n_skipped;             /* not projected: not verified, not timed, no work model or no device figure */
};

AB_API enum ab_status ab_project_run(const struct ab_project_options *opt, struct ab_project_summary *out_sum,
                                     struct ab_error *err);

/* ---- merge ----------------------------------------------------------------------------- */

struct ab_merge_machine_device {
    const char *machine_id;
    const char *device;           /* a catalogue name */
};

struct ab_merge_options {
    const char *const *run_dirs;
    size_t n_run_dirs;
    const struct ab_catalogue *catalogue;
    const struct ab_merge_machine_device *machine_devices;
    size_t n_machine_devices;
    const char *out_dir;          /* merged.csv, procurement.md, report.html, plots/ */
};

struct ab_merge_summary {
    size_t n_runs, n_machines, n_rows;
    size_t n_runs_superseded;     /* older runs of a machine that a newer run replaced */
    size_t n_plots;
    char plot_note[AB_ERROR_MSG_BYTES]; /* why a plot is missing (the first reason), "" when all drawn */
};

/*
 * Merge runs: per machine_id the newest run (context.json "date", then run_id) is kept
 * and the others are named as superseded. Refuses runs of another schema version than
 * the first (AB_EPARSE naming both folders), a --machine-device for a machine no run has
 * or a device the catalogue lacks (AB_ENOTFOUND).
 */
AB_API enum ab_status ab_merge_runs(const struct ab_merge_options *opt, struct ab_merge_summary *out_sum,
                                    struct ab_error *err);

/* ---- interconnects and the communication projection ----------------------------------- */

/* One row of datasets/hardware/interconnects.csv. */
struct ab_interconnect {
    char name[64];
    double bw_bytes_per_s_per_dir; /* what one device sends at while it receives at the same rate */
    double latency_s;              /* per message; NaN: no stated figure (bandwidth counted only) */
    char source[256];
    char note[640];
    char origin[320];              /* "<file>:<line>" the row was read from */
};

struct ab_interconnects {
    struct ab_interconnect *links;
    size_t n_links, cap_links;
};

AB_API void ab_interconnects_init(struct ab_interconnects *ic);
AB_API void ab_interconnects_release(struct ab_interconnects *ic); /* NULL-safe */

/*
 * Read an interconnects CSV (header exactly as datasets/hardware/interconnects.csv:
 * interconnect, bw_bytes_per_s_per_direction, latency_s, source, note) and add its rows;
 * a row of a name already there replaces it. The bandwidth must be a positive number (a
 * link without one projects nothing), the latency positive or NA, the source present.
 * Errors (AB_EIO, AB_EPARSE) name the file, line and column; on error the set keeps the
 * rows it had.
 */
AB_API enum ab_status ab_interconnects_read(struct ab_interconnects *ic, const char *path, struct ab_error *err);
AB_API const struct ab_interconnect *ab_interconnects_find(const struct ab_interconnects *ic, const char *name);

/*
 * The communication projection. Both formulations keep compute and replace only the time
 * of the exchange by what the link allows: comm = bytes a device sends / the link's
 * per-direction bandwidth + latency x messages (latency only when stated), and
 * share = comm / (comm + compute), exchange and compute not overlapped. The projected
 * comm is a lower bound on the link's time (no protocol overhead, no congestion, no wait
 * for a late rank), so the projected share leans low.
 */
struct ab_comm_projection {
    double measured_share;   /* mean over ranks of measured comm / layer time; NaN: analytic */
    double bytes_sent;       /* per rank (device), per call (measured) or per batch (analytic) */
    double messages;         /* per rank */
    double compute_ns;       /* kept: as measured, or FLOPs / rate (analytic) */
    double comm_ns;          /* projected */
    double share;            /* projected */
    bool latency_counted;
};

/* One rank's figures of a moe_ep row, per call, as the run measured them. */
struct ab_comm_rank {
    double compute_ns;       /* its phases' sum minus its time in MPI calls */
    double comm_ns;          /* its time in MPI calls */
    double bytes_sent;       /* payload to other ranks: dispatch rows + combine rows + counts */
};

/*
 * Measured formulation: per rank, comm' = bytes_sent / bw + latency x messages_per_rank,
 * share' = comm' / (compute + comm'); the result is the mean over ranks (as the run's
 * comm_share is) with means of the figures. AB_EINVAL on no ranks, a negative or NaN
 * figure or a link without bandwidth.
 */
AB_API enum ab_status ab_comm_project_measured(const struct ab_comm_rank *ranks, size_t n_ranks,
                                               double messages_per_rank, const struct ab_interconnect *link,
                                               struct ab_comm_projection *out_proj);

/* Analytic formulation's inputs: a model configuration on n_devices by expert parallelism. */
struct ab_comm_analytic {
    double a2a_bytes_per_token;  /* dispatch + combine, all MoE layers (ab_model_figures) */
    double flops_per_token;
    double moe_layers;
    double n_devices;            /* >= 2 */
    double tokens;               /* of the batch, over all devices */
    double flop_per_s;           /* one device's rate: its stated peak x an efficiency */
};

/*
 * Analytic formulation: each device holds tokens / n_devices tokens and 1 / n_devices of
 * the experts; with experts placed evenly and routing uniform, (n - 1) / n of a token's
 * a2a bytes leave its device and as many come back, so a device sends
 * bytes = tokens / n x a2a_bytes_per_token x (n - 1) / n; messages = 2 (n - 1) per MoE
 * layer; compute = tokens / n x flops_per_token / flop_per_s. AB_EINVAL on figures out of
 * range.
 */
AB_API enum ab_status ab_comm_project_analytic(const struct ab_comm_analytic *in, const struct ab_interconnect *link,
                                               struct ab_comm_projection *out_proj);

/* The models in words, for every output that shows a figure of them. */
AB_API const char *ab_comm_model_text_measured(void);
AB_API const char *ab_comm_model_text_analytic(void);

struct ab_comm_project_options {
    const char *run_dir;
    const char *out_dir;                        /* comm_projection.csv / .md */
    const struct ab_interconnect *const *links; /* one output row per moe_ep row and link */
    size_t n_links;
};

struct ab_comm_project_summary {
    size_t n_rows;        /* written (moe_ep rows x links) */
    size_t n_projected;
    size_t n_skipped;     /* reason in the row */
};

/*
 * Project a run's moe_ep rows (made under mpirun) onto each link: the measured share
 * beside the projected one, labelled "projection (link bound, compute as measured)". A run
 * without moe_ep rows is AB_ENOTFOUND ("needs mpirun"), nothing written.
 */
AB_API enum ab_status ab_comm_project_run(const struct ab_comm_project_options *opt,
                                          struct ab_comm_project_summary *out_sum, struct ab_error *err);

#endif /* ARCHBENCH_PROCURE_H */
