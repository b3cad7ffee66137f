/*
 * run_mpi.c - collective items under mpirun: the lockstep protocol that lets every
 * rank take part in rank 0's verify / calibrate / repeat loop, and the per-rank
 * figures rank 0 writes.
 *
 * Rank 0 runs ab_run as ever and owns the run folder; ranks > 0 run ab__mpi_worker,
 * which writes nothing. The protocol, one message at a time from rank 0 (MPI_Bcast):
 *   1. item:      kernel name, shape, seed, threads, repetition count, min time and
 *                 budget; or "done" (every exit of ab_run sends it once). Each rank
 *                 builds the case (cached while the case stays the same), then an
 *                 all-reduce (MIN) of "ready" makes all of them agree to go on or to
 *                 skip; a rank that cannot build the case fails the item, not the run.
 *   2. verify:    every rank calls the variant once; rank 0 gathers the rows into its
 *                 output (ab_case_verify, poisoned and guarded) and broadcasts the
 *                 verdict.
 *   3. calibrate: rank 0 broadcasts "batch of N" or "stop"; every rank barriers, runs
 *                 N calls and the batch's time is the all-reduced MAX over ranks
 *                 (a layer takes as long as its slowest rank).
 *   4. repeat:    before each repetition rank 0 broadcasts go / stop (repetitions,
 *                 budget, Ctrl-C); every rank barriers, then times its calls; the
 *                 repetition's time is again the MAX over ranks.
 *   5. verify again after timing (as ab__measure_item does), then every rank's phase
 *                 sums are gathered on rank 0 and become metrics rows.
 * Only rank 0 decides; the others follow its messages, so no rank can drift from the
 * loop whatever its clock says. Counters, energy and preemption checks are not taken
 * for collective items: MPI's progress engine spins while waiting, so CPU share says
 * nothing here (noted in the row).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "archbench/alloc.h"
#include "archbench/mpi.h"
#include "archbench/timer.h"

#include "../kernels/parallel/mpi_impl.h"
#include "run_internal.h"

enum { MSG_DONE = 0, MSG_ITEM = 1 };

struct item_msg {
    int32_t cmd;
    int32_t threads, repetitions;
    char kernel[64];
    int64_t shape[AB_SHAPE_MAX_PARAMS];
    uint64_t seed;
    double min_time_s, max_item_s;
};

/* Step messages of calibration and repetitions. */
enum { STEP_STOP = 0, STEP_GO = 1, STEP_ABANDON = 2 };
struct step_msg {
    int32_t action;
    int64_t iters;
};

/* Per-rank figures gathered on rank 0, per call. */
enum { FIG_COMM = AB_PHASES_MAX, FIG_BYTES, FIG_ROWS, FIG_COUNT };

static bool released;

void ab__mpi_release_workers(void)
{
    if (ab_mpi_size() < 2 || ab_mpi_rank() != 0 || released)
        return;
    struct item_msg m;
    memset(&m, 0, sizeof m);
    m.cmd = MSG_DONE;
    ab__mpi_bcast(&m, sizeof m);
    released = true;
}

void ab__mpi_plan_restrict(struct ab__runner *r, struct ab__plan *pl)
{
    if (ab_mpi_size() < 2)
        return;
    size_t kept = 0, dropped = 0;
    for (size_t i = 0; i < pl->n_items; i++) {
        if (pl->cases[pl->items[i].case_index].family->collective)
            pl->items[kept++] = pl->items[i];
        else
            dropped++;
    }
    pl->n_items = kept;
    if (dropped)
        ab__warn(r,
                 "under mpirun with %d ranks only collective families run (moe_ep, tp_allreduce): %zu other items "
                 "skipped, probes included (%% of peak is NA); run those without mpirun",
                 ab_mpi_size(), dropped);
}

/* The step loop both sides run. rank 0 passes its runner (decisions); workers NULL. */
struct coll {
    struct ab__runner *r;        /* rank 0 only */
    const struct ab_kernel *k;
    struct ab_case *c;
    const struct item_msg *m;
    struct ab_exec exec;
    struct ab_phase_acc acc;
};

static enum ab_status step_bcast(struct step_msg *s)
{
    return ab__mpi_bcast(s, sizeof *s);
}

/* One batch on every rank: barrier, n calls, the slowest rank's time. */
static enum ab_status batch(struct coll *x, int64_t iters, struct ab_phase_acc *acc, double *out_max_ns)
{
    enum ab_status st = ab__mpi_barrier();
    if (st != AB_OK)
        return st;
    int64_t a = ab_now_ns();
    for (int64_t i = 0; i < iters && st == AB_OK; i++)
        st = x->c->family->collective->case_call(x->c, x->k, &x->exec, acc);
    double t = (double)(ab_now_ns() - a);
    /* a failed call on one rank must not leave the others in the next collective:
     * the status travels with the time (a negative time is a failure) */
    double v[2] = {t, st == AB_OK ? 0.0 : 1.0};
    enum ab_status rst = ab__mpi_allreduce_f64(v, 2, AB__MPI_MAX);
    if (rst != AB_OK)
        return rst;
    *out_max_ns = v[0];
    return st != AB_OK ? st : v[1] > 0.0 ? AB_EIO : AB_OK;
}

/* Verification on every rank; rank 0 judges and tells the others. */
static bool verify_all(struct coll *x, struct ab_result_row *row)
{
    int32_t ok;
    if (x->r) {
        ok = ab__verify(x->r, x->c, x->k, &x->exec, row);
    } else {
        ok = x->c->family->case_run(x->c, x->k, &x->exec, AB_SLOT_TEST) == AB_OK;
    }
    /* a worker whose call failed says so too: MIN over ranks */
    double v = ok ? 1.0 : 0.0;
    if (ab__mpi_allreduce_f64(&v, 1, AB__MPI_MIN) != AB_OK)
        return false;
    if (x->r && ok && v < 1.0) {
        snprintf(row->note, sizeof row->note, "a rank's call failed during verification");
        row->verdict = AB_VERDICT_FAIL;
    }
    return v >= 1.0;
}

static bool abandon(const struct ab__runner *r)
{
    return r && r->o->stop && *r->o->stop >= 2;
}

/* Calibrate and repeat; rank 0 fills row. false: stop (failed or abandoned). */
static bool time_all(struct coll *x, struct ab_result_row *row)
{
    const struct item_msg *m = x->m;
    struct ab_phase_acc scratch;
    struct step_msg s = {STEP_GO, 1};
    double best_call_ns = INFINITY, t;
    int64_t calib_start = ab_now_ns();
    /* calibration: rank 0 sizes the batch from the slowest rank's time */
    for (;;) {
        if (x->r)
            s.action = abandon(x->r) ? STEP_ABANDON : STEP_GO;
        if (step_bcast(&s) != AB_OK || s.action != STEP_GO)
            return false;
        memset(&scratch, 0, sizeof scratch);
        if (batch(x, s.iters, &scratch, &t) != AB_OK)
            goto failed;
        best_call_ns = fmin(best_call_ns, t / (double)s.iters);
        struct step_msg next = {STEP_STOP, s.iters};
        if (x->r && !(t >= m->min_time_s * 1e9 || (double)(ab_now_ns() - calib_start) * 1e-9 > m->max_item_s / 4)) {
            double grow = t > 0.0 ? 1.4 * m->min_time_s * 1e9 / t : 10.0;
            grow = grow < 2.0 ? 2.0 : grow > 10.0 ? 10.0 : grow;
            next = (struct step_msg){STEP_GO, (int64_t)ceil((double)s.iters * grow)};
        }
        if (x->r) {
            if (next.action == STEP_STOP) {
                /* the repetition's batch: min_time at the fastest call, within the budget */
                double by_best = best_call_ns > 0.0 ? ceil(m->min_time_s * 1e9 / best_call_ns) : 1.0;
                double budget = best_call_ns > 0.0 ? floor(m->max_item_s * 1e9 / best_call_ns) : 1.0;
                by_best = fmin(fmin(by_best, budget), 1099511627776.0);
                next.iters = by_best > (double)s.iters ? (int64_t)by_best : s.iters;
                if (next.iters < 1)
                    next.iters = 1;
            }
        }
        if (step_bcast(&next) != AB_OK)
            return false;
        s = next;
        if (s.action == STEP_STOP)
            break;
    }
    int64_t iters = s.iters;
    int reps = m->repetitions, cap = 3 * m->repetitions;
    double rep_s = best_call_ns * (double)iters * 1e-9;
    if (x->r) {
        row->iterations = iters;
        if (rep_s * reps > m->max_item_s) {
            int fit = (int)(m->max_item_s / rep_s);
            reps = fit > 1 ? fit : 1;
        }
        row->samples = ab_calloc((size_t)cap, sizeof *row->samples);
        size_t n_ev = ab_counters_count(x->r->team.counters);
        row->counts = n_ev ? ab_malloc((size_t)cap * n_ev * sizeof *row->counts) : NULL;
        for (size_t i = 0; row->counts && i < (size_t)cap * n_ev; i++)
            row->counts[i] = AB_COUNT_NA;
        if (!row->samples || (n_ev && !row->counts))
            reps = 0;  /* out of memory: tell the others to stop at once */
    }
    memset(&x->acc, 0, sizeof x->acc);
    int64_t region_start = ab_now_ns();
    for (int rep = 0; rep < cap; rep++) {
        if (x->r) {
            bool go = rep < reps && (double)(ab_now_ns() - region_start) * 1e-9 + (rep ? rep_s : 0.0) <= m->max_item_s;
            s.action = abandon(x->r) ? STEP_ABANDON : go ? STEP_GO : STEP_STOP;
        }
        if (step_bcast(&s) != AB_OK)
            return false;
        if (s.action == STEP_ABANDON)
            return false;
        if (s.action == STEP_STOP)
            break;
        if (batch(x, iters, &x->acc, &t) != AB_OK)
            goto failed;
        if (x->r) {
            double total = t - x->r->timer_overhead_ns;
            row->samples[rep] = (struct ab_result_sample){
                .iterations = iters, .time_ns = (total > 0.0 ? total : 0.0) / (double)iters,
                .total_ns = total > 0.0 ? total : 0.0, .cpu_share = NA_F64, .invol_switches = -1,
                .steal_share = NA_F64, .preempted = false};
            row->n_samples = (size_t)rep + 1;
        }
    }
    if (x->r) {
        row->repetitions = (int)row->n_samples;
        row->region_s = (double)(ab_now_ns() - region_start) * 1e-9;
    }
    return true;
failed:
    if (x->r) {
        snprintf(row->note, sizeof row->note, "a rank's call failed while timing (seed %" PRIu64 ")", x->c->seed);
        row->verdict = AB_VERDICT_FAIL;
    }
    return false;
}

static void add_metric(const struct ab_result_row *row, struct ab_result_metric *out, size_t max, size_t *n,
                       const char *name, double value, const char *unit)
{
    if (*n >= max)
        return;
    struct ab_result_metric *mm = &out[(*n)++];
    memset(mm, 0, sizeof *mm);
    mm->key = row->key;
    snprintf(mm->metric, sizeof mm->metric, "%s", name);
    mm->value = value;
    snprintf(mm->unit, sizeof mm->unit, "%s", unit);
}

/* Every rank's per-call figures -> rank 0's metrics rows. */
static void gather_figures(struct coll *x, const struct ab_result_row *row, struct ab_result_metric *out, size_t max,
                           size_t *n)
{
    double mine[FIG_COUNT] = {0};
    double calls = x->acc.calls > 0 ? (double)x->acc.calls : NA_F64;
    for (int i = 0; i < AB_PHASES_MAX; i++)
        mine[i] = x->acc.phase_ns[i] / calls;
    mine[FIG_COMM] = x->acc.comm_ns / calls;
    mine[FIG_BYTES] = x->acc.bytes_remote / calls;
    mine[FIG_ROWS] = x->acc.rows / calls;
    int p = ab_mpi_size();
    double *all = x->r ? ab_malloc((size_t)p * FIG_COUNT * sizeof *all) : NULL;
    double dummy[FIG_COUNT];
    if (ab__mpi_gather_f64(mine, FIG_COUNT, all ? all : dummy) != AB_OK || !x->r || !all) {
        ab_free(all);
        return;
    }
    const struct ab_collective *co = x->c->family->collective;
    double bytes = 0.0, comm = 0.0, share = 0.0, layer = 0.0;
    for (int q = 0; q < p; q++) {
        const double *f = all + (size_t)q * FIG_COUNT;
        double total = 0.0;
        for (size_t i = 0; i < co->n_phases; i++)
            total += f[i];
        bytes += f[FIG_BYTES];
        comm += f[FIG_COMM];
        share += f[FIG_COMM] / total / p;
        layer = fmax(layer, total);
        if (q >= AB__MPI_RANKS_DETAILED)
            continue;
        char name[64];
        for (size_t i = 0; i < co->n_phases; i++) {
            snprintf(name, sizeof name, "rank%d_%s_ns", q, co->phase_names[i]);
            add_metric(row, out, max, n, name, f[i], "ns/call");
        }
        snprintf(name, sizeof name, "rank%d_comm_ns", q);
        add_metric(row, out, max, n, name, f[FIG_COMM], "ns/call");
        snprintf(name, sizeof name, "rank%d_comm_share", q);
        add_metric(row, out, max, n, name, f[FIG_COMM] / total, "ratio");
        snprintf(name, sizeof name, "rank%d_bytes_remote", q);
        add_metric(row, out, max, n, name, f[FIG_BYTES], "bytes/call");
        snprintf(name, sizeof name, "rank%d_%s", q, co->rows_name);
        add_metric(row, out, max, n, name, f[FIG_ROWS], "rows/call");
    }
    add_metric(row, out, max, n, "ranks", p, "ranks");
    add_metric(row, out, max, n, "layer_ns_slowest_rank", layer, "ns/call");
    add_metric(row, out, max, n, "comm_share", share, "ratio");
    add_metric(row, out, max, n, "bytes_remote_per_token", bytes / row->tokens, "bytes");
    /* payload every rank sent to others over the time all ranks spent in MPI calls,
     * waiting for a late rank included: the exchange rate the layer achieved */
    add_metric(row, out, max, n, "exchange_gbytes_per_s", comm > 0.0 ? bytes / comm : NA_F64, "GB/s");
    ab_free(all);
}

/* Everything after the item message, on every rank. */
static void measure(struct coll *x, struct ab_result_row *row, struct ab_result_metric *metrics, size_t max,
                    size_t *n_metrics)
{
    size_t ws = x->k->workspace_bytes(&x->c->shape, x->m->threads);
    x->exec = (struct ab_exec){.n_threads = x->m->threads, .workspace = NULL, .workspace_bytes = ws};
    if (ws)
        x->exec.workspace = ab_aligned_alloc(AB_ALIGN_BYTES, ws);
    double ok = !ws || x->exec.workspace ? 1.0 : 0.0;
    if (ab__mpi_allreduce_f64(&ok, 1, AB__MPI_MIN) != AB_OK || ok < 1.0) {
        if (x->r)
            snprintf(row->note, sizeof row->note, "a rank could not allocate %zu workspace bytes", ws);
        goto done;
    }
    if (!verify_all(x, row))
        goto done;
    if (!time_all(x, row))
        goto done;
    if (!verify_all(x, row)) {
        if (x->r) {
            char first[sizeof row->note];
            snprintf(first, sizeof first, "%s", row->note);
            snprintf(row->note, sizeof row->note, "passed before timing, %.400s after the timed calls", first);
            row->n_samples = 0;
        }
        goto done;
    }
    gather_figures(x, row, metrics, max, n_metrics);
    if (x->r)
        row->timed = ab__row_summarise(row);
done:
    ab_free(x->exec.workspace);
}

void ab__mpi_measure_item(struct ab__runner *r, const struct ab__item *it, const struct ab__plan_case *pc,
                          struct ab_case *c, struct ab_result_row *row, struct ab_result_metric *metrics,
                          size_t max_metrics, size_t *out_n_metrics)
{
    ab__row_init(r, it, pc, c->seed, row);
    *out_n_metrics = 0;
    struct item_msg m;
    memset(&m, 0, sizeof m);
    m.cmd = MSG_ITEM;
    m.threads = it->threads;
    m.repetitions = r->o->repetitions;
    snprintf(m.kernel, sizeof m.kernel, "%s", it->kernel->name);
    memcpy(m.shape, pc->shape.v, sizeof m.shape);
    m.seed = c->seed;
    m.min_time_s = r->o->min_time_s;
    m.max_item_s = r->o->max_item_s;
    snprintf(row->energy_note, sizeof row->energy_note, "not measured (collective item over %d ranks)",
             ab_mpi_size());
    snprintf(row->mem_note, sizeof row->mem_note, "rank 0's workspace; peak RSS not measured (collective item)");
    double ready = 1.0;
    if (ab__mpi_bcast(&m, sizeof m) != AB_OK || ab__mpi_allreduce_f64(&ready, 1, AB__MPI_MIN) != AB_OK ||
        ready < 1.0) {
        snprintf(row->note, sizeof row->note, "a rank could not set up the case (out of memory, or a command without this variant)");
        return;
    }
    struct coll x = {.r = r, .k = it->kernel, .c = c, .m = &m};
    measure(&x, row, metrics, max_metrics, out_n_metrics);
    if (!row->timed) {
        row->n_samples = 0;
        row->repetitions = 0;
    }
    if (row->timed)
        snprintf(row->note + strlen(row->note), sizeof row->note - strlen(row->note), "%s%d ranks; time of the "
                 "slowest rank per repetition; counters not read",
                 row->note[0] ? "; " : "", ab_mpi_size());
}

enum ab_status ab__mpi_worker(const struct ab_run_options *o, struct ab_error *err)
{
    (void)o;
    (void)err;
    struct ab_case *c = NULL;
    enum ab_status st = AB_OK;
    for (;;) {
        struct item_msg m;
        if ((st = ab__mpi_bcast(&m, sizeof m)) != AB_OK)
            break;
        if (m.cmd != MSG_ITEM)
            break;
        m.kernel[sizeof m.kernel - 1] = '\0';
        const struct ab_kernel *k = ab_kernel_find(m.kernel);
        bool ready = k && k->family->collective;
        if (ready) {
            struct ab_shape shape;
            memcpy(shape.v, m.shape, sizeof shape.v);
            bool same = c && c->family == k->family && c->seed == m.seed &&
                        memcmp(c->shape.v, shape.v, sizeof shape.v) == 0;
            if (!same) {
                if (c)
                    c->family->case_free(c);
                c = NULL;
                struct ab_error cerr;
                ready = k->family->case_new(&shape, m.seed, &c, &cerr) == AB_OK;
            }
        }
        double v = ready ? 1.0 : 0.0;
        if ((st = ab__mpi_allreduce_f64(&v, 1, AB__MPI_MIN)) != AB_OK)
            break;
        if (v < 1.0)
            continue;
        struct coll x = {.r = NULL, .k = k, .c = c, .m = &m};
        measure(&x, NULL, NULL, 0, NULL);
    }
    if (c)
        c->family->case_free(c);
    return st;
}
