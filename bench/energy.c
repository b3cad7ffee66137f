/*
 * energy.c - energy meter: PAPI energy events, the powercap tree, or a stated estimate
 * (see archbench/energy.h).
 *
 * Assumes the Linux powercap layout: <root>/<type>:<N> for a top-level zone (a symlink
 * in /sys/class/powercap), <type>:<N>:<M> for its subzones, each with `name`,
 * `energy_uj` and `max_energy_range_uj`. Only top-level zones named "package*" are
 * summed: subzones (core, uncore, dram) are parts of their package, and psys covers the
 * packages too. intel-rapl-mmio:<N> is a second interface to the same package as
 * intel-rapl:<N>, so a package label already taken is not added again.
 * PAPI is initialised by archbench/counters.h, never here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ab_config.h"
#include "archbench/alloc.h"
#include "archbench/energy.h"

#if AB_HAVE_PAPI
#include <papi.h>

#include "archbench/counters.h"
#endif

#define ZONE_NAME_BYTES 64
#define ZONE_PATH_BYTES 4096
#define PAPI_MAX_EVENTS 16

struct zone {
    char dir[ZONE_NAME_BYTES];     /* "intel-rapl:0" */
    char label[ZONE_NAME_BYTES];   /* "package-0" */
    char energy_path[ZONE_PATH_BYTES];
    uint64_t max_range_uj;         /* 0 when unknown */
    uint64_t begin_uj;
};

struct ab_energy {
    enum ab_energy_source source;
    char reason[1024];
    char model[128];
    char domains[1024];
    double tdp_w;
    double min_region_s;
    bool begun;
    struct zone *zones;
    size_t n_zones;
#if AB_HAVE_PAPI
    int event_set;
    size_t n_events;
    double scale_j[PAPI_MAX_EVENTS];   /* joules per count of each event */
    bool papi_running;
#endif
};

static const char *const source_names[] = {"NA", "papi", "powercap", "estimate"};
_Static_assert(sizeof source_names / sizeof source_names[0] == AB_ENERGY_SOURCE_COUNT,
               "one name per energy source");

const char *ab_energy_source_name(enum ab_energy_source s)
{
    return (unsigned)s < AB_ENERGY_SOURCE_COUNT ? source_names[s] : "NA";
}

static void append(char *buf, size_t bytes, const char *sep, const char *fmt, va_list ap) AB_PRINTF(4, 0);

/* Append to a NUL-terminated buffer, with sep before it when the buffer is not empty. */
static void append(char *buf, size_t bytes, const char *sep, const char *fmt, va_list ap)
{
    size_t len = strlen(buf);
    if (len > 0 && len + 1 < bytes) {
        snprintf(buf + len, bytes - len, "%s", sep);
        len = strlen(buf);
    }
    if (len + 1 < bytes)
        vsnprintf(buf + len, bytes - len, fmt, ap);
}

static void add_reason(struct ab_energy *m, const char *fmt, ...) AB_PRINTF(2, 3);
static void add_reason(struct ab_energy *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(m->reason, sizeof m->reason, "; ", fmt, ap);
    va_end(ap);
}

static void add_domain(struct ab_energy *m, const char *fmt, ...) AB_PRINTF(2, 3);
static void add_domain(struct ab_energy *m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    append(m->domains, sizeof m->domains, ", ", fmt, ap);
    va_end(ap);
}

/* Read a small sysfs file into buf (NUL-terminated, trailing newline cut); 0 or an errno. */
static int read_small(const char *path, char *buf, size_t bytes)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    ssize_t r;
    do
        r = read(fd, buf, bytes - 1);
    while (r < 0 && errno == EINTR);
    int rc = r < 0 ? errno : 0;
    close(fd);
    if (rc)
        return rc;
    buf[r] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return 0;
}

/* Unsigned decimal file (energy_uj); 0, an errno, or EINVAL for malformed content. */
static int read_u64(const char *path, uint64_t *out)
{
    char buf[64];
    int rc = read_small(path, buf, sizeof buf);
    if (rc)
        return rc;
    if (buf[0] < '0' || buf[0] > '9')
        return EINVAL;
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (errno || *end != '\0')
        return EINVAL;
    *out = (uint64_t)v;
    return 0;
}

uint64_t ab_energy_delta_uj(uint64_t before_uj, uint64_t after_uj, uint64_t max_range_uj)
{
    if (after_uj >= before_uj)
        return after_uj - before_uj;
    if (max_range_uj == 0 || before_uj > max_range_uj)
        return after_uj;
    return (max_range_uj - before_uj) + after_uj;
}

/* "intel-rapl:3" -> true: a top-level zone (type, one colon, a number), not a subzone. */
static bool is_top_level_zone(const char *name)
{
    const char *colon = strchr(name, ':');
    if (!colon || colon == name || colon[1] == '\0')
        return false;
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ab_free(names[i]);
    ab_free(names);
}

/* Sorted names of the top-level zones under root; AB_ENOTFOUND (errno in *out_errno) if root cannot be listed. */
static enum ab_status list_zones(const char *root, char ***out_names, size_t *out_n, int *out_errno)
{
    DIR *d = opendir(root);
    if (!d) {
        *out_errno = errno;
        return AB_ENOTFOUND;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    enum ab_status st = AB_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!is_top_level_zone(e->d_name) || strlen(e->d_name) >= ZONE_NAME_BYTES)
            continue;
        if (n == cap) {
            size_t new_cap = cap ? 2 * cap : 8;
            char **grown = ab_realloc(names, new_cap * sizeof *names);
            if (!grown) {
                st = AB_ENOMEM;
                goto done;
            }
            names = grown;
            cap = new_cap;
        }
        size_t len = strlen(e->d_name) + 1;
        names[n] = ab_malloc(len);
        if (!names[n]) {
            st = AB_ENOMEM;
            goto done;
        }
        memcpy(names[n], e->d_name, len);
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
done:
    closedir(d);
    if (st != AB_OK) {
        free_names(names, n);
        return st;
    }
    *out_names = names;
    *out_n = n;
    return AB_OK;
}

static bool label_taken(const struct ab_energy *m, const char *label)
{
    for (size_t i = 0; i < m->n_zones; i++)
        if (strcmp(m->zones[i].label, label) == 0)
            return true;
    return false;
}

/* Try the powercap tree; AB_OK whether or not it works (source set when it does), AB_ENOMEM. */
static enum ab_status probe_powercap(struct ab_energy *m, const char *root)
{
    char **names = NULL;
    size_t n = 0;
    int list_errno = 0;
    enum ab_status st = list_zones(root, &names, &n, &list_errno);
    if (st == AB_ENOTFOUND) {
        add_reason(m, "powercap: cannot open '%s': %s", root, strerror(list_errno));
        return AB_OK;
    }
    if (st != AB_OK)
        return st;
    if (n > 0) {
        m->zones = ab_calloc(n, sizeof *m->zones);
        if (!m->zones) {
            free_names(names, n);
            return AB_ENOMEM;
        }
    }

    size_t n_packages = 0;
    int first_errno = 0;
    char path[ZONE_PATH_BYTES];
    /* Pass 0: the MSR interfaces (intel-rapl:N); pass 1: MMIO ones for packages not yet seen. */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            bool mmio = strstr(names[i], "mmio") != NULL;
            if (mmio != (pass == 1))
                continue;
            struct zone *z = &m->zones[m->n_zones];
            if (snprintf(path, sizeof path, "%s/%s/name", root, names[i]) >= (int)sizeof path)
                continue;
            if (read_small(path, z->label, sizeof z->label) != 0 || strncmp(z->label, "package", 7) != 0 ||
                label_taken(m, z->label))
                continue;
            n_packages++;
            snprintf(z->dir, sizeof z->dir, "%s", names[i]);
            if (snprintf(z->energy_path, sizeof z->energy_path, "%s/%s/energy_uj", root, names[i]) >=
                (int)sizeof z->energy_path)
                continue;
            uint64_t probe = 0;
            int rc = read_u64(z->energy_path, &probe);
            if (rc != 0) {
                if (!first_errno)
                    first_errno = rc;
                add_reason(m, "powercap: '%s' (%s) left out: energy_uj not readable (%s)", z->dir, z->label,
                           strerror(rc));
                continue;
            }
            snprintf(path, sizeof path, "%s/%s/max_energy_range_uj", root, names[i]);
            if (read_u64(path, &z->max_range_uj) != 0) {
                z->max_range_uj = 0;
                add_reason(m, "powercap: '%s' has no readable max_energy_range_uj, wrap-around not resolved",
                           z->dir);
            }
            add_domain(m, "%s (%s)", z->dir, z->label);
            m->n_zones++;
        }
    }
    free_names(names, n);

    if (m->n_zones > 0) {
        m->source = AB_ENERGY_POWERCAP;
        m->min_region_s = AB_ENERGY_RAPL_MIN_REGION_S;
        return AB_OK;
    }
    ab_free(m->zones);
    m->zones = NULL;
    if (n_packages == 0)
        add_reason(m, "powercap: no package zone under '%s'", root);
    else if (first_errno == EACCES || first_errno == EPERM)
        add_reason(m, "powercap: energy_uj not readable (root only since Linux 5.10)");
    return AB_OK;
}

#if AB_HAVE_PAPI
/* Package energy events of PAPI's rapl and powercap components, and joules per count. */
static bool papi_package_event(const char *component, const char *event, const char *units, double *out_scale)
{
    bool rapl = strstr(component, "rapl") != NULL;
    if (rapl ? strstr(event, "PACKAGE_ENERGY:") == NULL
             : strstr(event, "ENERGY_UJ:ZONE") == NULL || strstr(event, "SUBZONE") != NULL ||
                   strstr(event, "MAX_ENERGY") != NULL)
        return false;
    if (strcmp(units, "nJ") == 0)
        *out_scale = 1e-9;
    else if (strcmp(units, "uJ") == 0)
        *out_scale = 1e-6;
    else if (strcmp(units, "mJ") == 0)
        *out_scale = 1e-3;
    else if (strcmp(units, "J") == 0)
        *out_scale = 1.0;
    else
        *out_scale = rapl ? 1e-9 : 1e-6;   /* what each component documents */
    return true;
}

static void papi_drop_set(struct ab_energy *m)
{
    if (m->event_set == PAPI_NULL)
        return;
    if (m->papi_running) {
        long long sink[PAPI_MAX_EVENTS];
        PAPI_stop(m->event_set, sink);
        m->papi_running = false;
    }
    PAPI_cleanup_eventset(m->event_set);
    PAPI_destroy_eventset(&m->event_set);
    m->event_set = PAPI_NULL;
    m->n_events = 0;
    m->domains[0] = '\0';
}

/* Try each rapl/powercap component in turn: the first whose package events start and stop wins. */
static void probe_papi(struct ab_energy *m)
{
    struct ab_error e;
    if (ab_counters_init(&e) != AB_OK) {
        add_reason(m, "papi: %s", e.msg);
        return;
    }
    bool any_component = false;
    int n_comp = PAPI_num_components();
    for (int cid = 0; cid < n_comp; cid++) {
        const PAPI_component_info_t *info = PAPI_get_component_info(cid);
        if (!info || (!strstr(info->name, "rapl") && !strstr(info->name, "powercap")))
            continue;
        any_component = true;
        if (info->disabled) {
            add_reason(m, "papi: component '%s' disabled: %s", info->name, info->disabled_reason);
            continue;
        }
        if (PAPI_create_eventset(&m->event_set) != PAPI_OK) {
            m->event_set = PAPI_NULL;
            add_reason(m, "papi: cannot create an event set for '%s'", info->name);
            continue;
        }
        int code = PAPI_NATIVE_MASK;
        int rc = PAPI_enum_cmp_event(&code, PAPI_ENUM_FIRST, cid);
        while (rc == PAPI_OK && m->n_events < PAPI_MAX_EVENTS) {
            PAPI_event_info_t ev;
            double scale = 0.0;
            if (PAPI_get_event_info(code, &ev) == PAPI_OK && papi_package_event(info->name, ev.symbol, ev.units, &scale) &&
                PAPI_add_event(m->event_set, code) == PAPI_OK) {
                m->scale_j[m->n_events++] = scale;
                add_domain(m, "%s", ev.symbol);
            }
            rc = PAPI_enum_cmp_event(&code, PAPI_ENUM_EVENTS, cid);
        }
        if (m->n_events == 0) {
            add_reason(m, "papi: component '%s' has no package energy event", info->name);
            papi_drop_set(m);
            continue;
        }
        long long sink[PAPI_MAX_EVENTS];
        rc = PAPI_start(m->event_set);
        if (rc == PAPI_OK)
            rc = PAPI_stop(m->event_set, sink);
        if (rc != PAPI_OK) {
            add_reason(m, "papi: energy events of '%s' do not count: %s", info->name, PAPI_strerror(rc));
            papi_drop_set(m);
            continue;
        }
        m->source = AB_ENERGY_PAPI;
        m->min_region_s = AB_ENERGY_RAPL_MIN_REGION_S;
        return;
    }
    if (!any_component)
        add_reason(m, "papi: no rapl or powercap component in this PAPI build");
}
#endif

enum ab_status ab_energy_new(const struct ab_energy_options *opts, struct ab_energy **out_meter,
                             struct ab_error *err)
{
    static const struct ab_energy_options defaults = {0};
    if (!opts)
        opts = &defaults;
    if (!out_meter)
        return ab_error_set(err, AB_EINVAL, "energy meter: no output pointer");
    if (!isfinite(opts->tdp_w) || opts->tdp_w < 0.0)
        return ab_error_set(err, AB_EINVAL, "energy meter: tdp %g W is not a non-negative number", opts->tdp_w);

    struct ab_energy *m = ab_calloc(1, sizeof *m);
    if (!m)
        return ab_error_set(err, AB_ENOMEM, "energy meter: out of memory");
    m->source = AB_ENERGY_NONE;
    m->tdp_w = opts->tdp_w;
#if AB_HAVE_PAPI
    m->event_set = PAPI_NULL;
#endif
    if (!opts->try_papi) {
        add_reason(m, "papi: not requested");
    } else {
#if AB_HAVE_PAPI
        probe_papi(m);
#else
        add_reason(m, "papi: built without PAPI");
#endif
    }

    if (m->source == AB_ENERGY_NONE) {
        const char *root = opts->powercap_root;
        if (!root) {
            root = getenv(AB_ENERGY_POWERCAP_ROOT_ENV);
            if (!root || !*root)
                root = "/sys/class/powercap";
        }
        if (probe_powercap(m, root) != AB_OK) {
            ab_energy_free(m);
            return ab_error_set(err, AB_ENOMEM, "energy meter: out of memory");
        }
    }

    if (m->source == AB_ENERGY_NONE) {
        if (m->tdp_w > 0.0) {
            m->source = AB_ENERGY_ESTIMATE;
            m->min_region_s = 0.0;
            snprintf(m->model, sizeof m->model, "package power = %g W (--tdp) x wall time", m->tdp_w);
        } else {
            add_reason(m, "estimate: no --tdp given");
        }
    }
    /* When the best source worked nothing was worse than it: the reason stays empty. */
    *out_meter = m;
    return AB_OK;
}

void ab_energy_free(struct ab_energy *meter)
{
    if (!meter)
        return;
#if AB_HAVE_PAPI
    papi_drop_set(meter);
#endif
    ab_free(meter->zones);
    ab_free(meter);
}

enum ab_energy_source ab_energy_source(const struct ab_energy *meter)
{
    return meter ? meter->source : AB_ENERGY_NONE;
}

const char *ab_energy_reason(const struct ab_energy *meter)
{
    return meter ? meter->reason : "";
}

const char *ab_energy_model(const struct ab_energy *meter)
{
    return meter && meter->source == AB_ENERGY_ESTIMATE ? meter->model : NULL;
}

const char *ab_energy_domains(const struct ab_energy *meter)
{
    return meter ? meter->domains : "";
}

double ab_energy_min_region_s(const struct ab_energy *meter)
{
    return meter ? meter->min_region_s : 0.0;
}

enum ab_status ab_energy_begin(struct ab_energy *meter)
{
    if (!meter)
        return AB_EINVAL;
    switch (meter->source) {
    case AB_ENERGY_NONE:
    case AB_ENERGY_SOURCE_COUNT:
        return AB_ENOTSUP;
    case AB_ENERGY_PAPI:
#if AB_HAVE_PAPI
        if (meter->papi_running) {
            if (PAPI_reset(meter->event_set) != PAPI_OK)
                return AB_EIO;
        } else {
            if (PAPI_start(meter->event_set) != PAPI_OK)
                return AB_EIO;
            meter->papi_running = true;
        }
        break;
#else
        return AB_ENOTSUP;
#endif
    case AB_ENERGY_POWERCAP:
        for (size_t i = 0; i < meter->n_zones; i++)
            if (read_u64(meter->zones[i].energy_path, &meter->zones[i].begin_uj) != 0)
                return AB_EIO;
        break;
    case AB_ENERGY_ESTIMATE:
        break;
    }
    meter->begun = true;
    return AB_OK;
}

enum ab_status ab_energy_end(struct ab_energy *meter, double elapsed_s, double *out_joules)
{
    if (!meter || !out_joules)
        return AB_EINVAL;
    if (meter->source == AB_ENERGY_NONE || meter->source >= AB_ENERGY_SOURCE_COUNT)
        return AB_ENOTSUP;
    if (!meter->begun || !isfinite(elapsed_s) || elapsed_s < 0.0 || elapsed_s < meter->min_region_s)
        return AB_EINVAL;

    double joules = 0.0;
    switch (meter->source) {
    case AB_ENERGY_PAPI: {
#if AB_HAVE_PAPI
        long long values[PAPI_MAX_EVENTS];
        int rc = PAPI_stop(meter->event_set, values);
        meter->papi_running = false;
        meter->begun = false;
        if (rc != PAPI_OK)
            return AB_EIO;
        for (size_t i = 0; i < meter->n_events; i++)
            joules += (double)values[i] * meter->scale_j[i];
        break;
#else
        return AB_ENOTSUP;
#endif
    }
    case AB_ENERGY_POWERCAP: {
        uint64_t total_uj = 0;
        for (size_t i = 0; i < meter->n_zones; i++) {
            uint64_t after = 0;
            if (read_u64(meter->zones[i].energy_path, &after) != 0)
                return AB_EIO;
            total_uj += ab_energy_delta_uj(meter->zones[i].begin_uj, after, meter->zones[i].max_range_uj);
        }
        joules = (double)total_uj * 1e-6;
        meter->begun = false;
        break;
    }
    case AB_ENERGY_ESTIMATE:
        joules = meter->tdp_w * elapsed_s;
        meter->begun = false;
        break;
    case AB_ENERGY_NONE:
    case AB_ENERGY_SOURCE_COUNT:
        return AB_ENOTSUP;
    }
    *out_joules = joules;
    return AB_OK;
}
