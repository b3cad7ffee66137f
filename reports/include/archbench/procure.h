/*
 * procure.h - procurement studies: the hardware catalogue, the roofline projection of a
 * run onto a catalogue device (`archbench project`) and the comparison of runs from
 * several machines (`archbench merge`).
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

#endif /* ARCHBENCH_PROCURE_H */
