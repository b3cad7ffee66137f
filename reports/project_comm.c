/*
 * project_comm.c - the communication projection (procure.h): a measured all-to-all share
 * carried onto a link of datasets/hardware/interconnects.csv, and `archbench project
 * RUN_DIR --interconnect NAME`'s outputs for a run's moe_ep rows.
 *
 * Why compute is kept and only the exchange replaced: the link is the one thing the
 * projection knows; the experts' compute on the machine the layer would run on is not in
 * any catalogue row of a link. The measured formulation keeps this machine's compute (so
 * the projected share answers "this layer, these CPUs, that link"); the analytic one
 * (reproduce's comm_projection claims) computes both from a model configuration and says
 * whose rate it used. Neither counts overlap of exchange and compute, protocol overhead,
 * congestion or waits for a late rank: the projected comm time is a lower bound.
 *
 * The rows' figures are the metrics bench/run_mpi.c writes (rank<q>_<phase>_ns,
 * rank<q>_comm_ns, rank<q>_bytes_remote per call, ranks, comm_share); per-rank figures
 * exist for the first 16 ranks, so a row of more ranks is not projected (said in the row).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "archbench/alloc.h"
#include "archbench/procure.h"
#include "archbench/report.h"
#include "archbench/results.h"

#define PATH_BYTES 4096
#define LABEL "projection (link bound, compute as measured)"
#define MAX_RANKS 16 /* bench/run_mpi.c writes per-rank figures of this many ranks */

static const char text_measured[] =
    "per rank: projected comm = bytes it sent to other ranks per call (dispatch rows + combine rows + counts, as "
    "measured) / the link's per-direction bandwidth + latency x 3 (ranks - 1) messages (counts, dispatch, combine; "
    "only when the link states a latency); compute = the rank's phase times minus its time in MPI calls, kept as "
    "measured on this machine; projected share = comm / (comm + compute), no overlap, mean over ranks";
static const char text_analytic[] =
    "expert parallelism over n devices, experts placed evenly, routing uniform: a device sends tokens/n x all-to-all "
    "bytes per token (model: dispatch + combine, all MoE layers) x (n-1)/n, over the link's per-direction bandwidth "
    "(+ latency x 2 (n-1) messages per MoE layer when stated); compute = tokens/n x FLOPs per token (model) / the "
    "device rate; share = comm / (comm + compute), no overlap";

const char *ab_comm_model_text_measured(void)
{
    return text_measured;
}

const char *ab_comm_model_text_analytic(void)
{
    return text_analytic;
}

static bool link_ok(const struct ab_interconnect *link)
{
    return link && link->bw_bytes_per_s_per_dir > 0.0 && isfinite(link->bw_bytes_per_s_per_dir) &&
           !(link->latency_s < 0.0);
}

/* Time of `bytes` in `messages` over the link, ns; latency only when stated. */
static double link_ns(const struct ab_interconnect *link, double bytes, double messages)
{
    double s = bytes / link->bw_bytes_per_s_per_dir;
    if (!isnan(link->latency_s))
        s += link->latency_s * messages;
    return s * 1e9;
}

enum ab_status ab_comm_project_measured(const struct ab_comm_rank *ranks, size_t n_ranks, double messages_per_rank,
                                        const struct ab_interconnect *link, struct ab_comm_projection *out)
{
    if (!ranks || n_ranks == 0 || !link_ok(link) || !(messages_per_rank >= 0.0) || !out)
        return AB_EINVAL;
    struct ab_comm_projection p = {.messages = messages_per_rank, .latency_counted = !isnan(link->latency_s)};
    for (size_t q = 0; q < n_ranks; q++) {
        const struct ab_comm_rank *r = &ranks[q];
        if (!(r->compute_ns >= 0.0) || !(r->comm_ns >= 0.0) || !(r->bytes_sent >= 0.0))
            return AB_EINVAL;
        double comm = link_ns(link, r->bytes_sent, messages_per_rank);
        double layer = r->compute_ns + r->comm_ns, projected = r->compute_ns + comm;
        p.measured_share += layer > 0.0 ? r->comm_ns / layer : 0.0;
        p.share += projected > 0.0 ? comm / projected : 0.0;
        p.comm_ns += comm;
        p.compute_ns += r->compute_ns;
        p.bytes_sent += r->bytes_sent;
    }
    double n = (double)n_ranks;
    p.measured_share /= n;
    p.share /= n;
    p.comm_ns /= n;
    p.compute_ns /= n;
    p.bytes_sent /= n;
    *out = p;
    return AB_OK;
}

enum ab_status ab_comm_project_analytic(const struct ab_comm_analytic *in, const struct ab_interconnect *link,
                                        struct ab_comm_projection *out)
{
    if (!in || !out || !link_ok(link) || !(in->n_devices >= 2.0) || !(in->tokens > 0.0) ||
        !(in->a2a_bytes_per_token >= 0.0) || !(in->flops_per_token > 0.0) || !(in->moe_layers >= 0.0) ||
        !(in->flop_per_s > 0.0) || !isfinite(in->flop_per_s))
        return AB_EINVAL;
    double n = in->n_devices, tokens_here = in->tokens / n;
    struct ab_comm_projection p = {.measured_share = NAN, .latency_counted = !isnan(link->latency_s)};
    p.bytes_sent = tokens_here * in->a2a_bytes_per_token * (n - 1.0) / n;
    p.messages = in->moe_layers * 2.0 * (n - 1.0);
    p.comm_ns = link_ns(link, p.bytes_sent, p.messages);
    p.compute_ns = tokens_here * in->flops_per_token / in->flop_per_s * 1e9;
    p.share = p.comm_ns / (p.comm_ns + p.compute_ns);
    *out = p;
    return AB_OK;
}

/* ---- a run's moe_ep rows ------------------------------------------------------------------ */

static const char *const ep_phases[] = {"route", "dispatch", "expert", "combine"};

static double metric_of(const struct ab_results *res, const struct ab_result_key *key, const char *name)
{
    for (size_t i = 0; i < res->n_metrics; i++)
        if (strcmp(res->metrics[i].metric, name) == 0 && ab_result_key_eq(&res->metrics[i].key, key))
            return res->metrics[i].value;
    return NAN;
}

/* The row's per-rank figures; false with the reason in why. */
static bool rank_figures(const struct ab_results *res, const struct ab_result_row *row, struct ab_comm_rank *ranks,
                         size_t *n_ranks, char *why, size_t why_bytes)
{
    if (row->verdict != AB_VERDICT_PASS) {
        snprintf(why, why_bytes, "not projected: verification %s", ab_verdict_name(row->verdict));
        return false;
    }
    if (!row->timed) {
        snprintf(why, why_bytes, "not projected: not timed in the run (needs mpirun -np RANKS)");
        return false;
    }
    double p = metric_of(res, &row->key, "ranks");
    if (!(p >= 2.0)) {
        snprintf(why, why_bytes, "not projected: the run has no 'ranks' metric of 2 or more for this row");
        return false;
    }
    if (p > MAX_RANKS) {
        snprintf(why, why_bytes, "not projected: %.0f ranks, per-rank figures are written for %d", p, MAX_RANKS);
        return false;
    }
    *n_ranks = (size_t)p;
    for (size_t q = 0; q < *n_ranks; q++) {
        char name[64];
        double total = 0.0;
        for (size_t i = 0; i < sizeof ep_phases / sizeof ep_phases[0]; i++) {
            snprintf(name, sizeof name, "rank%zu_%s_ns", q, ep_phases[i]);
            total += metric_of(res, &row->key, name);
        }
        snprintf(name, sizeof name, "rank%zu_comm_ns", q);
        double comm = metric_of(res, &row->key, name);
        snprintf(name, sizeof name, "rank%zu_bytes_remote", q);
        double bytes = metric_of(res, &row->key, name);
        if (isnan(total) || isnan(comm) || isnan(bytes) || comm > total) {
            snprintf(why, why_bytes, "not projected: rank %zu's phase, comm or bytes figures are missing or disagree", q);
            return false;
        }
        ranks[q] = (struct ab_comm_rank){.compute_ns = total - comm, .comm_ns = comm, .bytes_sent = bytes};
    }
    return true;
}

static enum ab_status make_dir(const char *path, struct ab_error *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return ab_error_set(err, AB_EIO, "cannot create '%s': %s", path, strerror(errno));
    return AB_OK;
}

static const char *const csv_header[] = {
    "label", "run_id", "machine_id", "kernel", "shape", "threads", "ranks",
    "measured_comm_share", "measured_comm_ns_per_rank", "measured_compute_ns_per_rank",
    "measured_bytes_sent_per_rank", "interconnect", "link_bw_bytes_per_s_per_direction", "link_latency_s",
    "projected_messages_per_rank", "projected_comm_ns_per_rank", "projected_comm_share", "model", "note",
};
#define N_COLS (sizeof csv_header / sizeof csv_header[0])

/* "NA", a percentage of a share, or a figure to 4 digits. */
static void fmt_pct(char *out, size_t n, double share)
{
    if (isnan(share))
        snprintf(out, n, "NA");
    else
        snprintf(out, n, "%.3g%%", share * 100.0);
}

static void fmt_g(char *out, size_t n, double v, const char *unit)
{
    if (isnan(v))
        snprintf(out, n, "NA");
    else
        snprintf(out, n, "%.4g%s", v, unit);
}

enum ab_status ab_comm_project_run(const struct ab_comm_project_options *opt, struct ab_comm_project_summary *out_sum,
                                   struct ab_error *err)
{
    struct ab_results res;
    ab_results_init(&res);
    struct ab_atomic_file csv = {0}, md = {0};
    bool csv_open = false, md_open = false;
    struct ab_comm_project_summary sum = {0};
    char path[PATH_BYTES];
    enum ab_status st = ab_results_read(opt->run_dir, false, &res, err);
    if (st != AB_OK)
        goto done;
    size_t n_ep = 0;
    for (size_t i = 0; i < res.n_rows; i++)
        n_ep += strcmp(res.rows[i].key.family, "moe_ep") == 0 && res.rows[i].verdict != AB_VERDICT_REFERENCE;
    if (n_ep == 0) {
        st = ab_error_set(err, AB_ENOTFOUND,
                          "'%s' has no moe_ep rows: the measured all-to-all share needs a run under mpirun "
                          "(mpirun -np 2 archbench run --kernel moe_ep_alltoallv)",
                          opt->run_dir);
        goto done;
    }
    if ((st = make_dir(opt->out_dir, err)) != AB_OK)
        goto done;
    snprintf(path, sizeof path, "%s/comm_projection.csv", opt->out_dir);
    if ((st = ab_atomic_open(&csv, path, err)) != AB_OK)
        goto done;
    csv_open = true;
    snprintf(path, sizeof path, "%s/comm_projection.md", opt->out_dir);
    if ((st = ab_atomic_open(&md, path, err)) != AB_OK)
        goto done;
    md_open = true;
    struct ab_csv_writer w;
    if ((st = ab_csv_begin(&w, csv.fp, csv_header, N_COLS)) != AB_OK) {
        st = ab_error_set(err, st, "cannot write '%s/comm_projection.csv'", opt->out_dir);
        goto done;
    }
    FILE *m = md.fp;
    fprintf(m, "# Communication share of run %s projected onto links\n\n", res.ctx.run_id);
    fprintf(m, "**Every figure under \"projected\" is a %s, not a measurement.** Model: %s. The projected comm time "
               "is a lower bound (no protocol overhead, congestion or wait for a late rank), so the projected share "
               "leans low. Measured on machine `%s`.\n\n",
            LABEL, text_measured, res.ctx.machine_id);
    fprintf(m, "| link | per direction GB/s | latency | source |\n|---|---|---|---|\n");
    for (size_t l = 0; l < opt->n_links; l++) {
        const struct ab_interconnect *k = opt->links[l];
        char lat[32];
        fmt_g(lat, sizeof lat, k->latency_s, " s");
        fprintf(m, "| %s | %.4g | %s | %s (`%s`) |\n", k->name, k->bw_bytes_per_s_per_dir * 1e-9, lat, k->source,
                k->origin);
    }
    fprintf(m, "\n| kernel | shape | ranks | measured comm share | link | projected comm share | projected comm us "
               "per rank | compute us per rank (measured) | note |\n|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < res.n_rows; i++) {
        const struct ab_result_row *row = &res.rows[i];
        /* the single-process reference exchanges nothing: not a row to project */
        if (strcmp(row->key.family, "moe_ep") != 0 || row->verdict == AB_VERDICT_REFERENCE)
            continue;
        struct ab_comm_rank ranks[MAX_RANKS];
        size_t n_ranks = 0;
        char why[256] = "";
        bool have = rank_figures(&res, row, ranks, &n_ranks, why, sizeof why);
        double measured_share = metric_of(&res, &row->key, "comm_share");
        for (size_t l = 0; l < opt->n_links; l++) {
            const struct ab_interconnect *k = opt->links[l];
            struct ab_comm_projection p = {.measured_share = measured_share, .bytes_sent = NAN, .messages = NAN,
                                           .compute_ns = NAN, .comm_ns = NAN, .share = NAN};
            double comm_measured = NAN;
            bool ok = have && ab_comm_project_measured(ranks, n_ranks, 3.0 * ((double)n_ranks - 1.0), k, &p) == AB_OK;
            if (have && !ok)
                snprintf(why, sizeof why, "not projected: a rank's figures are negative or not numbers");
            if (ok) {
                comm_measured = 0.0;
                for (size_t q = 0; q < n_ranks; q++)
                    comm_measured += ranks[q].comm_ns / (double)n_ranks;
                snprintf(why, sizeof why, "%s", p.latency_counted ? "latency counted" : "bandwidth only: the link states no latency");
            }
            sum.n_rows++;
            sum.n_projected += ok;
            sum.n_skipped += !ok;
            ab_csv_str(&w, LABEL);
            ab_csv_str(&w, res.ctx.run_id);
            ab_csv_str(&w, res.ctx.machine_id);
            ab_csv_str(&w, row->key.kernel);
            ab_csv_str(&w, row->key.shape);
            ab_csv_i64(&w, row->key.threads);
            ab_csv_f64(&w, have ? (double)n_ranks : metric_of(&res, &row->key, "ranks"));
            ab_csv_f64(&w, measured_share);
            ab_csv_f64(&w, comm_measured);
            ab_csv_f64(&w, ok ? p.compute_ns : (double)NAN);
            ab_csv_f64(&w, ok ? p.bytes_sent : (double)NAN);
            ab_csv_str(&w, k->name);
            ab_csv_f64(&w, k->bw_bytes_per_s_per_dir);
            ab_csv_f64(&w, k->latency_s);
            ab_csv_f64(&w, ok ? p.messages : (double)NAN);
            ab_csv_f64(&w, ok ? p.comm_ns : (double)NAN);
            ab_csv_f64(&w, ok ? p.share : (double)NAN);
            ab_csv_str(&w, text_measured);
            ab_csv_str(&w, why);
            if ((st = ab_csv_end_row(&w)) != AB_OK) {
                st = ab_error_set(err, st, "cannot write '%s/comm_projection.csv'", opt->out_dir);
                goto done;
            }
            char ms[32], ps[32], pc[32], cc[32];
            fmt_pct(ms, sizeof ms, measured_share);
            fmt_pct(ps, sizeof ps, ok ? p.share : (double)NAN);
            fmt_g(pc, sizeof pc, ok ? p.comm_ns * 1e-3 : (double)NAN, "");
            fmt_g(cc, sizeof cc, ok ? p.compute_ns * 1e-3 : (double)NAN, "");
            fprintf(m, "| %s | %s | %zu | %s | %s | %s | %s | %s | %s |\n", row->key.kernel, row->key.shape, n_ranks,
                    ms, k->name, ps, pc, cc, why);
        }
    }
    fprintf(m, "\n%zu rows, %zu projected, %zu not projected (reason in the row). Reproduce: "
               "`archbench project %s --interconnect NAME`.\n",
            sum.n_rows, sum.n_projected, sum.n_skipped, opt->run_dir);
    if (ferror(m)) {
        st = ab_error_set(err, AB_EIO, "cannot write '%s/comm_projection.md'", opt->out_dir);
        goto done;
    }
    csv_open = false;
    if ((st = ab_atomic_commit(&csv, err)) != AB_OK)
        goto done;
    md_open = false;
    if ((st = ab_atomic_commit(&md, err)) != AB_OK)
        goto done;
    if (out_sum)
        *out_sum = sum;
done:
    if (csv_open)
        ab_atomic_abort(&csv);
    if (md_open)
        ab_atomic_abort(&md);
    ab_results_release(&res);
    return st;
}
