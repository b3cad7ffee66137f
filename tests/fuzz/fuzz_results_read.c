/*
 * fuzz_results_read.c - libFuzzer target for the results model's reader, the one
 * --resume, the summary, compare, spread and merge trust with other machines' files.
 *
 * Input: one flags byte (bit 0: read as the journal of an interrupted run, i.e. the
 * "<file>.partial" CSVs), then context.json, speed.csv, samples.csv, counters.csv,
 * memory.csv, energy.csv and metrics.csv separated by 0x1E. Files the input does not
 * reach are absent, so missing optional files are explored too. A folder that reads
 * must hold rows whose derived figures are not infinite, and must read the same after
 * being written back by ab_results_write.
 */
#include <math.h>

#include "archbench/results.h"
#include "fuzz_util.h"

#define N_FILES 7
static const char *const names[N_FILES] = {"context.json", "speed.csv",  "samples.csv", "counters.csv",
                                           "memory.csv",   "energy.csv", "metrics.csv"};

static void clear_dir(const char *dir)
{
    char path[600];
    for (int i = 0; i < N_FILES; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
        snprintf(path, sizeof path, "%s/%s.partial", dir, names[i]);
        unlink(path);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static char in_dir[300], out_dir[300];
    if (in_dir[0] == '\0') {
        snprintf(in_dir, sizeof in_dir, "%s/in", ab_fuzz_dir());
        snprintf(out_dir, sizeof out_dir, "%s/out", ab_fuzz_dir());
        if (mkdir(in_dir, 0700) != 0 || mkdir(out_dir, 0700) != 0)
            abort();
    }
    bool journal = data[0] & 1;
    const uint8_t *part[N_FILES];
    size_t len[N_FILES];
    size_t n = ab_fuzz_split(data + 1, size - 1, part, len, N_FILES);
    /* The input folder holds exactly the files this input reaches: file i in slot i
     * (rewritten only when it changed, renamed when the journal bit did), and no other. */
    for (size_t i = 0; i < N_FILES; i++) {
        char name[64];
        /* context.json has no journal form: it is written whole, atomically. */
        snprintf(name, sizeof name, "in/%s%s", names[i], journal && i > 0 ? ".partial" : "");
        if (i < n)
            ab_fuzz_file((int)i, name, part[i], len[i]);
        else
            ab_fuzz_remove((int)i);
    }

    struct ab_results res;
    struct ab_error err;
    ab_error_clear(&err);
    if (ab_results_read(in_dir, journal, &res, &err) != AB_OK) {
        if (err.msg[0] == '\0')
            abort();   /* every refusal names its file */
        return 0;
    }
    for (size_t i = 0; i < res.n_rows; i++)
        if (isinf(res.rows[i].gflops) || isinf(res.rows[i].pct_bound) || isinf(res.rows[i].speedup_vs_ref))
            abort();
    /* What was read is written and read again: the writer must accept whatever the reader
     * let through, and the second reading must find the same rows (from an emptied
     * folder: a file the writer leaves out must not be an earlier input's). */
    clear_dir(out_dir);
    if (ab_results_write(out_dir, &res, &err) == AB_OK) {
        struct ab_results again;
        if (ab_results_read(out_dir, false, &again, &err) != AB_OK)
            abort();
        if (again.n_rows != res.n_rows || again.n_metrics != res.n_metrics)
            abort();
        for (size_t i = 0; i < res.n_rows; i++)
            if (!ab_result_key_eq(&res.rows[i].key, &again.rows[i].key))
                abort();
        ab_results_release(&again);
    }
    ab_results_release(&res);
    return 0;
}
