/*
 * sim/explore.c: campaigns and replay (see explore.h).
 */
#include "explore.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../fs/format.h"
#include "../traces/gen.h"
#include "checker.h"
#include "cli.h"
#include "gcov.h"
#include "pool.h"
#include "regress.h"
#include "store.h"
#include "wlog.h"

#define FAILING_SHOWN 20u
#define PROGRESS_PLAIN_NS 5000000000ull

struct campaign {
    const struct explore_config *cfg;   /* What to do. */
    struct trace trace;                 /* The workload. */
    struct recording rec;               /* Its recording. */
    struct crash_state *states;         /* Every state. */
    size_t count;                       /* Entries. */
    char (*ids)[CRASH_ID_MAX];          /* Their ids. */
    uint64_t *sigs;                     /* Their signatures. */
    uint32_t *dup_of;                   /* Index of the state checked instead, or CRASH_NONE. */
    uint32_t *next_dup;                 /* Chain of duplicates of an original. */
    uint8_t *done;                      /* Result stored (resume). */
    struct store *store;                /* Results. */
    const char *name;                   /* The workload's name (file, or "ace:2/17"). */
    char *text;                         /* Its text (owned); NULL for a write-log file. */
    bool one_line;                      /* One of many generated campaigns: a line each. */
    enum outcome *outcomes;             /* Per state, once known (for --save-failures). */
    int64_t run_id;                     /* This run. */
    uint64_t counts[OUTCOME_COUNT][CRASH_FAULT_CLASSES];  /* Outcome by fault class. */
    uint64_t finished;                  /* States with a result. */
    uint64_t distinct;                  /* States checked (not duplicates). */
    uint64_t violations;                /* Violating states. */
    uint8_t *failing;                   /* Per state: it is a violation. */
    uint64_t t0_ns;                     /* Start. */
    uint64_t last_line_ns;              /* Last plain progress line. */
    bool tty;                           /* stderr is a terminal. */
};

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The revision of the checkout the binary was built in (build/crashsim). */
static void
git_rev(char *buf, size_t size)
{
    char exe[4096], cmd[4200];
    buf[0] = '\0';
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        return;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL || strchr(exe, '\'') != NULL) {
        return;
    }
    *slash = '\0';
    snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse --short HEAD 2>/dev/null", exe);
    FILE *f = popen(cmd, "r");
    if (f == NULL) {
        return;
    }
    if (fgets(buf, (int)size, f) != NULL) {
        buf[strcspn(buf, "\n")] = '\0';
    }
    pclose(f);
}

#define MEDIA_SIG_SALT 0x6d656469615f6661ull

/* Signatures and duplicates: states whose images are identical are checked
 * once. */
static int
dedup(struct campaign *c)
{
    struct crash_view v;
    if (crash_view_init(&v, &c->rec.dev) != 0) {
        return -1;
    }
    size_t size = 1;
    while (size < 2 * c->count + 2) {
        size <<= 1;
    }
    uint32_t *table = malloc(size * sizeof(uint32_t));
    if (table == NULL) {
        crash_view_deinit(&v);
        return -1;
    }
    memset(table, 0xff, size * sizeof(uint32_t));
    for (size_t i = 0; i < c->count; i++) {
        int rc = crash_view_set(&v, &c->states[i]);
        ASSERT(rc == 0);                        /* The planner made the states from this log. */
        /* Media-fault states are judged by other rules (sim/checker.h): they
         * share outcomes only among themselves. */
        uint64_t sig = v.state_sig ^ (c->states[i].media != MEDIA_NONE ? MEDIA_SIG_SALT : 0);
        c->sigs[i] = sig;
        size_t h = (size_t)(sig ^ (sig >> 29)) & (size - 1);
        while (table[h] != CRASH_NONE && c->sigs[table[h]] != sig) {
            h = (h + 1) & (size - 1);
        }
        if (table[h] == CRASH_NONE) {
            table[h] = (uint32_t)i;
            c->distinct++;
        } else {
            uint32_t orig = table[h];
            c->dup_of[i] = orig;
            c->next_dup[i] = c->next_dup[orig];
            c->next_dup[orig] = (uint32_t)i;
        }
    }
    free(table);
    crash_view_deinit(&v);
    return 0;
}

static int
campaign_alloc(struct campaign *c)
{
    c->ids = malloc(c->count * sizeof(*c->ids));
    c->sigs = malloc(c->count * sizeof(uint64_t));
    c->dup_of = malloc(c->count * sizeof(uint32_t));
    c->next_dup = malloc(c->count * sizeof(uint32_t));
    c->done = calloc(c->count, 1);
    c->failing = calloc(c->count, 1);
    c->outcomes = calloc(c->count, sizeof(enum outcome));
    if (c->outcomes == NULL || c->failing == NULL || c->ids == NULL || c->sigs == NULL || c->dup_of == NULL || c->next_dup == NULL
            || c->done == NULL) {
        return -1;
    }
    for (size_t i = 0; i < c->count; i++) {
        crash_id_format(&c->states[i], c->ids[i], CRASH_ID_MAX);
        c->dup_of[i] = c->next_dup[i] = CRASH_NONE;
    }
    return 0;
}

static void
campaign_free(struct campaign *c)
{
    free(c->states);
    free(c->ids);
    free(c->sigs);
    free(c->dup_of);
    free(c->next_dup);
    free(c->done);
    free(c->failing);
    free(c->outcomes);
    free(c->text);
    recording_free(&c->rec);
    trace_free(&c->trace);
    store_close(c->store);
}

/* Records the workload and enumerates its crash states. */
static int
prepare(struct campaign *c)
{
    const struct explore_config *cfg = c->cfg;
    char err[512];
    if (cfg->wlog != NULL) {
        if (wlog_load_recording(cfg->wlog, &c->rec, err, sizeof(err)) != 0) {
            fprintf(stderr, "crashsim explore: %s\n", err);
            return -1;
        }
    } else if (trace_parse_text(c->name, c->text, &c->trace, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    } else if (record_workload(&cfg->rec, &c->trace, &c->rec, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim explore: %s\n", err);
        return -1;
    }
    struct plan_op *ops = sim_dev_plan_ops(&c->rec.dev);
    int rc = ops == NULL ? -1 : fault_plan_enumerate(ops, c->rec.dev.op_count, cfg->model,
            &cfg->plan, &c->states, &c->count);
    free(ops);
    if (rc != 0 || campaign_alloc(c) != 0 || dedup(c) != 0) {
        fprintf(stderr, "crashsim explore: out of memory enumerating crash states\n");
        return -1;
    }
    return 0;
}

static void
mark_done(void *arg, const char *id)
{
    struct campaign *c = arg;
    struct crash_state s;
    if (crash_id_parse(id, &s) != 0) {
        return;
    }
    size_t lo = 0, hi = c->count;               /* States are in ascending cut order. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->states[mid].cut < s.cut) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (size_t i = lo; i < c->count && c->states[i].cut == s.cut; i++) {
        if (strcmp(c->ids[i], id) == 0) {
            c->done[i] = 1;
            return;
        }
    }
}

/* The workloads.text of a run that explored a write-log file: a trace of
 * comments only, naming the log by its hash (so runs of different files get
 * different config keys, and replay can tell such a run from a trace's). */
static char *
wlog_text(const struct recording *rec)
{
    char *text = malloc(128);
    if (text != NULL) {
        snprintf(text, 128, "# crashsim explore --wlog: write log %016" PRIx64 ", no trace\n",
                rec->wlog_hash);
    }
    return text;
}

static int
store_begin(struct campaign *c)
{
    const struct explore_config *cfg = c->cfg;
    char err[512], faults[128], rev[64];
    if (store_open(&c->store, cfg->db, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim explore: %s\n", err);
        return -1;
    }
    fault_plan_format(&cfg->plan, faults, sizeof(faults));
    git_rev(rev, sizeof(rev));
    const char *name = c->name;
    if (c->text == NULL) {
        c->text = wlog_text(&c->rec);
    }
    char *text = c->text;
    if (text == NULL) {
        fprintf(stderr, "crashsim explore: out of memory\n");
        return -1;
    }
    const struct record_config *g = &c->rec.config;     /* cfg->rec, or the file's. */
    struct run_info info = { rev, cfg->seed, name, text, device_model_name(cfg->model),
        g->hardened ? "hardened" : "faithful", faults, g->block_size, g->device_size,
        g->arenas, cfg->jobs, "" };
    bool resumed;
    int rc = store_run_begin(c->store, &info, cfg->resume, &c->run_id, &resumed);
    if (rc != 0) {
        fprintf(stderr, "crashsim explore: %s: cannot start a run\n", cfg->db);
        return -1;
    }
    if (resumed) {
        return store_done_states(c->store, c->run_id, mark_done, c);
    }
    rc = store_run_wlog(c->store, c->run_id, &c->rec.dev, c->rec.wlog_hash);
    for (uint32_t k = 0; rc == 0 && k < c->rec.sync_count; k++) {
        const struct syncpt *p = &c->rec.syncs[k];
        rc = store_run_sync(c->store, c->run_id, k, p->step, p->line, p->start_op, p->end_op,
                p->digest);
    }
    return rc;
}

static void
state_row(const struct campaign *c, uint32_t i, struct state_row *row)
{
    const struct crash_state *s = &c->states[i];
    const struct sim_dev *dev = &c->rec.dev;
    uint32_t last = UINT32_MAX;
    for (uint32_t k = s->cut; k-- > 0;) {
        if (dev->ops[k].kind == SIM_OP_WRITE) {
            last = k;
            break;
        }
    }
    uint32_t pass = s->cut > 0 ? dev->ops[s->cut - 1].pass : SIM_PASS_NONE;
    *row = (struct state_row){ c->ids[i], s, c->dup_of[i] == CRASH_NONE ? NULL
        : c->ids[c->dup_of[i]], c->sigs[i], pass,
        last == UINT32_MAX ? "" : fmt_type_name(dev->ops[last].type), last };
}

/* Stores state i's result (and that of every duplicate of it). */
static int
record(struct campaign *c, uint32_t i, const struct state_result *r, uint32_t worker)
{
    for (uint32_t k = i; k != CRASH_NONE; k = c->next_dup[k]) {
        if (c->done[k]) {
            continue;
        }
        struct state_row row;
        state_row(c, k, &row);
        struct result_row res = { (enum outcome)r->outcome, r->reason, r->recovered, r->legal_lo,
            r->legal_hi, r->leaked, r->corrupt, k == i ? r->duration_ns : 0, worker, r->probes };
        if (store_result(c->store, c->run_id, &row, &res) != 0) {
            return -1;
        }
        c->done[k] = 1;
        c->outcomes[k] = (enum outcome)r->outcome;
        c->finished++;
        c->counts[r->outcome][crash_fault_class_index(&c->states[k])]++;
        if (outcome_is_violation((enum outcome)r->outcome)) {
            c->violations++;
            c->failing[k] = k == i;     /* Duplicates would only repeat the original. */
        }
    }
    return 0;
}

static void
progress(struct campaign *c, bool final)
{
    if (c->cfg->quiet || c->one_line) {
        return;
    }
    uint64_t t = now_ns(), el = t - c->t0_ns;
    if (!c->tty && !final && t - c->last_line_ns < PROGRESS_PLAIN_NS) {
        return;
    }
    c->last_line_ns = t;
    double rate = el > 0 ? (double)c->finished * 1e9 / (double)el : 0;
    double eta = rate > 0 ? (double)(c->count - c->finished) / rate : 0;
    fprintf(stderr, "%sstates %" PRIu64 "/%zu (%.0f%%)  %.0f/s  violations %" PRIu64
            "  ETA %u:%02u%s", c->tty ? "\r" : "", c->finished, c->count,
            c->count ? 100.0 * (double)c->finished / (double)c->count : 100.0, rate, c->violations,
            (unsigned)(eta / 60), (unsigned)eta % 60, c->tty && !final ? "  " : "\n");
}

static bool
chain_done(const struct campaign *c, uint32_t i)
{
    for (uint32_t k = i; k != CRASH_NONE; k = c->next_dup[k]) {
        if (!c->done[k]) {
            return false;
        }
    }
    return true;
}

static int
check_all(struct campaign *c)
{
    struct pool *p;
    const struct explore_config *cfg = c->cfg;
    if (pool_start(&p, &c->rec, c->states, c->count, cfg->jobs, cfg->timeout_ms) != 0) {
        fprintf(stderr, "crashsim explore: cannot start workers\n");
        return -1;
    }
    for (size_t i = 0; i < c->count; i++) {
        c->finished += c->done[i];
        if (c->dup_of[i] == CRASH_NONE && !chain_done(c, (uint32_t)i)) {
            pool_queue(p, (uint32_t)i);
        }
    }
    struct pool_result res;
    int rc;
    while ((rc = pool_next(p, &res)) == 0 || rc == 2) {
        if (rc == 2 ? store_flush(c->store) != 0 : record(c, res.index, &res.r, res.worker) != 0) {
            rc = -1;
            break;
        }
        progress(c, false);
    }
    pool_stop(p);
    progress(c, true);
    return rc < 0 ? -1 : 0;
}

static void
summary(const struct campaign *c)
{
    bool used[CRASH_FAULT_CLASSES] = { true, true, true };     /* cut, drop, torn: always. */
    for (uint32_t o = 0; o < OUTCOME_COUNT; o++) {
        for (uint32_t k = 3; k < CRASH_FAULT_CLASSES; k++) {
            used[k] = used[k] || c->counts[o][k] > 0;
        }
    }
    printf("\n%-22s", "outcome");
    for (uint32_t k = 0; k < CRASH_FAULT_CLASSES; k++) {
        if (used[k]) {
            printf(" %10s", crash_fault_class_name(k));
        }
    }
    printf("\n");
    for (uint32_t o = 0; o < OUTCOME_COUNT; o++) {
        const uint64_t *n = c->counts[o];
        uint64_t all = 0;
        for (uint32_t k = 0; k < CRASH_FAULT_CLASSES; k++) {
            all += n[k];
        }
        if (all == 0) {
            continue;
        }
        printf("%-22s", outcome_name((enum outcome)o));
        for (uint32_t k = 0; k < CRASH_FAULT_CLASSES; k++) {
            if (used[k]) {
                printf(" %10" PRIu64, n[k]);
            }
        }
        printf("\n");
    }
    double secs = (double)(now_ns() - c->t0_ns) / 1e9;
    printf("\n%zu states (%" PRIu64 " distinct), %" PRIu64 " violations, %.1f s; run %" PRId64
            " in %s\n", c->count, c->distinct, c->violations, secs, c->run_id, c->cfg->db);
    if (c->rec.violation[0] != '\0') {
        printf("while running: %s\n", c->rec.violation);
    }
    uint32_t shown = 0;
    for (size_t k = 0; k < c->count && shown < FAILING_SHOWN; k++) {
        if (c->failing[k]) {
            printf("  %-24s crashsim replay %s --db %s --run %" PRId64 "\n", c->ids[k], c->ids[k],
                    c->cfg->db, c->run_id);
            shown++;
        }
    }
    if (shown == FAILING_SHOWN) {
        printf("  ... (all of them: sqlite3 %s \"SELECT state_id FROM violations WHERE run_id = %"
                PRId64 "\")\n", c->cfg->db, c->run_id);
    }
}

static int
mkdir_p(const char *path)
{
    char cmd[4200];
    if (strchr(path, '\'') != NULL) {
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    return system(cmd) == 0 ? 0 : -1;
}


/* The build directory of this binary (build-cov/ for a COV=1 build). */
static int
build_dir(char *buf, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL || strchr(buf, '\'') != NULL) {
        return -1;
    }
    *slash = '\0';
    return 0;
}

/* --coverage-out: start this campaign's counts from zero (the build's .gcda
 * files are removed; this process's counters reset). */
static int
coverage_begin(const struct explore_config *cfg)
{
    char dir[4096], cmd[4300];
    if (!cov_enabled() || build_dir(dir, sizeof(dir)) != 0) {
        fprintf(stderr, "crashsim explore: --coverage-out needs a gcov build (make COV=1)\n");
        return -1;
    }
    snprintf(cmd, sizeof(cmd), "find '%s' -name '*.gcda' -delete", dir);
    if (system(cmd) != 0 || mkdir_p(cfg->coverage_out) != 0) {
        fprintf(stderr, "crashsim explore: --coverage-out: cannot prepare %s\n",
                cfg->coverage_out);
        return -1;
    }
    cov_reset();
    return 0;
}

/* Writes the campaign's coverage of fs/ as gcovr JSON, for gcovr --add-tracefile. */
static int
coverage_end(const struct campaign *c)
{
    char dir[2048], up[4200], root[PATH_MAX], cmd[16384];
    if (build_dir(dir, sizeof(dir)) != 0) {
        return -1;
    }
    snprintf(up, sizeof(up), "%s/..", dir);
    if (realpath(up, root) == NULL) {
        return -1;
    }
    cov_dump();                     /* The workers dumped theirs when they exited. */
    snprintf(cmd, sizeof(cmd), "gcovr --root '%s' --object-directory '%s' --filter '%s/fs/' "
            "--json '%s/run-%" PRId64 ".json' >/dev/null", root, dir, root, c->cfg->coverage_out,
            c->run_id);
    if (system(cmd) != 0) {
        fprintf(stderr, "crashsim explore: gcovr failed (make deps installs it)\n");
        return -1;
    }
    printf("coverage: %s/run-%" PRId64 ".json\n", c->cfg->coverage_out, c->run_id);
    return 0;
}

/* --save-failures: one regression case per violating state checked. */
static int
save_failures(const struct campaign *c)
{
    const struct explore_config *cfg = c->cfg;
    static struct regress_case rc;
    memset(&rc, 0, sizeof(rc));
    rc.rec = cfg->rec;
    rc.model = cfg->model;
    rc.wlog_hash = c->rec.wlog_hash;
    rc.state_count = 1;
    const char *base = strrchr(c->name, '/');
    base = base != NULL && c->name[0] != 'a' ? base + 1 : c->name;
    uint32_t saved = 0;
    for (size_t k = 0; k < c->count; k++) {
        if (!c->failing[k]) {
            continue;
        }
        char path[4096], comment[512];
        snprintf(path, sizeof(path), "%s/%.*s-%s-%s-%s.case", cfg->save_failures,
                (int)strcspn(base, "."), base, device_model_name(cfg->model),
                cfg->rec.hardened ? "hardened" : "faithful", c->ids[k]);
        snprintf(comment, sizeof(comment), "%s found by explore run %" PRId64 " of %s",
                outcome_name(c->outcomes[k]), c->run_id, c->name);
        rc.states[0] = c->states[k];
        rc.expect[0] = c->outcomes[k];
        FILE *f = fopen(path, "w");
        if (f == NULL || regress_write(f, &rc, comment, c->text) != 0 || fclose(f) != 0) {
            fprintf(stderr, "crashsim explore: %s: cannot write\n", path);
            return -1;
        }
        saved++;
    }
    printf("saved %u regression case%s in %s\n", saved, saved == 1 ? "" : "s",
            cfg->save_failures);
    return 0;
}

struct gen_total {
    uint64_t workloads;             /* Campaigns run. */
    uint64_t states;                /* Their states. */
    uint64_t distinct;              /* Checked. */
    uint64_t violations;            /* Violating states. */
    uint64_t failing;               /* Workloads with violations. */
    int code;                       /* Worst exit code. */
};

/* One campaign over one workload; takes ownership of text (NULL: a write log). */
static int
campaign_run(const struct explore_config *cfg, const char *name, char *text,
        struct gen_total *tot)
{
    struct campaign c = { .cfg = cfg, .t0_ns = now_ns(), .tty = isatty(STDERR_FILENO),
        .name = name, .text = text, .one_line = tot != NULL };
    int rc = prepare(&c) != 0 || store_begin(&c) != 0 ? -1 : 0;
    if (rc == 0) {
        rc = check_all(&c);
    }
    if (rc == 0) {
        rc = store_run_end(c.store, c.run_id, c.count, c.distinct, c.rec.violation,
                now_ns() - c.t0_ns);
        if (tot == NULL) {
            summary(&c);
        } else if (!cfg->tally_only && (c.violations > 0 || c.rec.violation[0] != '\0')) {
            printf("%s: %zu states, %" PRIu64 " violations (run %" PRId64 ")%s%s\n", name,
                    c.count, c.violations, c.run_id, c.rec.violation[0] ? "; while running: "
                    : "", c.rec.violation);
        }
        if (cfg->save_failures != NULL) {
            rc = save_failures(&c);
        }
        if (rc == 0 && cfg->coverage_out != NULL && tot == NULL) {
            rc = coverage_end(&c);
        }
    }
    int code = rc != 0 ? 2 : c.violations > 0 || c.rec.violation[0] != '\0' ? 1 : 0;
    if (tot != NULL) {
        tot->workloads++;
        tot->states += c.count;
        tot->distinct += c.distinct;
        tot->violations += c.violations;
        tot->failing += code == 1;
        tot->code = FS_MAX(tot->code, code);
    }
    campaign_free(&c);
    return code;
}

struct gen_ctx {
    const struct explore_config *cfg;   /* The campaign configuration. */
    struct gen_total tot;               /* Totals so far. */
    char prefix[32];                    /* "ace:2" */
};

static int
gen_one(struct gen_ctx *g, const char *name, int (*write)(FILE *, const void *), const void *arg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem == NULL || write(mem, arg) != 0) {
        if (mem != NULL) {
            fclose(mem);
        }
        free(text);
        return -1;
    }
    fclose(mem);
    char *owned = strdup(name);
    int code = owned != NULL ? campaign_run(g->cfg, owned, text, &g->tot) : 2;
    free(owned);
    return code == 2 ? -1 : 0;
}

static int
write_ace(FILE *out, const void *arg)
{
    return gen_ace_write(out, arg);
}

static int
write_trace(FILE *out, const void *arg)
{
    return trace_write(out, arg, "generated by crashsim explore --gen");
}

static int
gen_ace_fn(void *arg, const struct gen_ace_case *c)
{
    struct gen_ctx *g = arg;
    char name[64];
    snprintf(name, sizeof(name), "%s/%" PRIu64, g->prefix, c->index);
    return gen_one(g, name, write_ace, c);
}

/* --gen ace:N or random:SEED:OPS: a campaign per generated workload. */
static int
explore_gen(const struct explore_config *cfg)
{
    struct gen_ctx g = { .cfg = cfg };
    uint32_t length;
    unsigned long long seed, ops;
    int rc = -1;
    if (sscanf(cfg->gen, "ace:%u", &length) == 1) {
        snprintf(g.prefix, sizeof(g.prefix), "ace:%u", length);
        printf("%s: %" PRIu64 " workloads\n", cfg->gen, gen_ace_count(length));
        rc = gen_ace(length, gen_ace_fn, &g);
    } else if (sscanf(cfg->gen, "random:%llu:%llu", &seed, &ops) == 2) {
        struct trace t;
        rc = gen_random(seed, (uint32_t)ops, 8, 64u << 10, &t);
        if (rc == 0) {
            rc = gen_one(&g, cfg->gen, write_trace, &t);
            trace_free(&t);
        }
    }
    if (rc != 0) {
        fprintf(stderr, "crashsim explore: --gen %s failed\n", cfg->gen);
        return 2;
    }
    printf("%" PRIu64 " workloads, %" PRIu64 " states (%" PRIu64 " distinct), %" PRIu64
            " violations in %" PRIu64 " workloads; results in %s\n", g.tot.workloads,
            g.tot.states, g.tot.distinct, g.tot.violations, g.tot.failing, cfg->db);
    return g.tot.code;
}

int
explore_one(const struct explore_config *cfg, struct explore_tally *tally)
{
    char *text = trace_read_text(cfg->workload);
    if (text == NULL) {
        fprintf(stderr, "%s:1:1: cannot open: %s\n", cfg->workload, strerror(errno));
        return 2;
    }
    struct gen_total tot = { 0 };
    int code = campaign_run(cfg, cfg->workload, text, &tot);
    tally->states = tot.states;
    tally->violations = tot.violations + (code == 1 && tot.violations == 0);
    return code;
}

int
explore_run(const struct explore_config *cfg)
{
    if (cfg->coverage_out != NULL && coverage_begin(cfg) != 0) {
        return 2;
    }
    if (cfg->gen != NULL) {
        return explore_gen(cfg);
    }
    char *text = NULL;
    if (cfg->wlog == NULL && (text = trace_read_text(cfg->workload)) == NULL) {
        fprintf(stderr, "%s:1:1: cannot open: %s\n", cfg->workload, strerror(errno));
        return 2;
    }
    return campaign_run(cfg, cfg->wlog != NULL ? cfg->wlog : cfg->workload, text, NULL);
}

static const char *
pass_name(uint8_t pass)
{
    static const char *names[5] = { "pass 0", "pass 1", "pass 2", "pass 3", "pass 4" };
    return pass < 5 ? names[pass] : "between syncs";
}

static void
describe_write(const struct sim_dev *dev, uint32_t op, const char *what)
{
    const struct sim_op *o = &dev->ops[op];
    printf("  %s write %u: block %" PRIu64 " (%s, %s)\n", what, op, o->block,
            o->block == 0 || o->block == dev->block_count - 1 ? "superblock"
            : fmt_type_name(o->type), pass_name(o->pass));
}

static void
describe_state(const struct recording *rec, const struct crash_state *s)
{
    const struct sim_dev *dev = &rec->dev;
    uint32_t lo, hi;
    recording_legal(rec, s->cut, &lo, &hi);
    printf("crash after %u of %u logged operations; legal sync points %u..%u", s->cut,
            dev->op_count, lo, hi);
    if (rec->syncs[hi].line != 0) {
        printf(" (trace line %u)", rec->syncs[hi].line);
    }
    printf("\n");
    for (uint32_t k = s->cut; k-- > 0;) {
        if (dev->ops[k].kind == SIM_OP_WRITE) {
            describe_write(dev, k, "last issued");
            break;
        }
    }
    for (uint32_t i = 0; i < s->drop_count; i++) {
        bool lied = s->liar && (i + 1 < s->drop_count || s->drop_count == 1);
        describe_write(dev, s->drops[i], lied ? "lost although a flush after it was "
                "acknowledged (a lying flush)" : "lost");
    }
    if (s->torn != CRASH_NONE) {
        describe_write(dev, s->torn, "torn");
        printf("    only its first %u sectors landed; the rest holds %s\n", s->torn_sectors,
                s->torn_fill == 'o' ? "the old content" : s->torn_fill == 'z' ? "zeros"
                : "garbage");
    }
    if (s->media == MEDIA_FLIP) {
        describe_write(dev, s->media_op, "flipped");
        printf("    bit %u of its block (byte %u) reads inverted on the medium\n", s->flip_bit,
                s->flip_bit / 8);
    } else if (s->media == MEDIA_LOST) {
        describe_write(dev, s->media_op, "lost on the medium");
        printf("    acknowledged, never persisted, whatever flushes followed\n");
    } else if (s->media == MEDIA_MISDIRECT) {
        describe_write(dev, s->media_op, "misdirected");
        if (s->target == CRASH_NONE) {
            printf("    it landed on the next block; its own block kept the old bytes\n");
        } else {
            printf("    it landed on block %u; its own block kept the old bytes\n", s->target);
        }
    } else if (s->media == MEDIA_UNREADABLE) {
        describe_write(dev, s->media_op, "unreadable");
        printf("    its block reads back as a device error (a latent sector error) until it is\n"
                "    written again\n");
    } else if (s->media == MEDIA_REPOINT) {
        describe_write(dev, s->media_op, "repointed");
        printf("    the block pointer at byte %u of its block names block %u, with that block's\n"
                "    hash; every hash that names the block, up to the superblocks, agrees\n",
                s->flip_bit, s->target);
    } else if (s->media == MEDIA_FORGE) {
        describe_write(dev, s->media_op, "forged");
        printf("    bit %u of its block (byte %u) was inverted before hashing; every hash that\n"
                "    names the block, up to the superblocks, agrees with the forged bytes\n",
                s->flip_bit, s->flip_bit / 8);
    }
}

int
explore_load_run(struct store *st, int64_t *run_id, struct run_info *info, uint64_t *wlog_hash,
        struct trace *t, struct record_config *rc, char *err, size_t err_size)
{
    if (store_run_get(st, run_id, info, wlog_hash) != 0) {
        snprintf(err, err_size, "no such run");
        return -1;
    }
    const char *text = info->workload_text;
    int code = 0;
    if (text == NULL || strncmp(text, "# crashsim explore --wlog", 25) == 0) {
        snprintf(err, err_size, "run %" PRId64 " explored a write-log file, not a trace: explore "
                "it again with --wlog", *run_id);
        code = -1;
    } else if (trace_parse_text(info->workload_name, text, t, err, err_size) != 0) {
        code = -1;
    }
    free((void *)info->workload_text);          /* store_run_get strdup's it. */
    info->workload_text = NULL;
    *rc = (struct record_config){ info->block_size, info->device_size, info->arenas,
        strcmp(info->profile, "hardened") == 0 };
    return code;
}

int
explore_rerecord(struct store *st, int64_t *run_id, struct run_info *info, struct trace *t,
        struct recording *rec, char *err, size_t err_size)
{
    uint64_t wlog_hash = 0;
    struct record_config rc;
    if (explore_load_run(st, run_id, info, &wlog_hash, t, &rc, err, err_size) != 0
            || record_workload(&rc, t, rec, err, err_size) != 0) {
        return -1;
    }
    if (rec->wlog_hash != wlog_hash) {
        snprintf(err, err_size, "run %" PRId64 ": the workload now records a different write log "
                "(%016" PRIx64 ", stored %016" PRIx64 "): the code changed since the run",
                *run_id, rec->wlog_hash, wlog_hash);
        return -1;
    }
    return 0;
}

int
replay_run(const char *id, const char *db, int64_t run_id)
{
    struct crash_state s;
    if (crash_id_parse(id, &s) != 0) {
        fprintf(stderr, "crashsim replay: '%s' is not a crash-state id (e.g. w812, "
                "w812-drop805.809, w812-torn811s3z)\n", id);
        return 2;
    }
    struct store *st;
    char err[512];
    if (store_open(&st, db, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim replay: %s\n", err);
        return 2;
    }
    struct trace t = { 0 };
    struct recording rec;
    memset(&rec, 0, sizeof(rec));
    int code = 2;
    struct checker c;
    struct run_info info;
    bool loaded = explore_rerecord(st, &run_id, &info, &t, &rec, err, sizeof(err)) == 0;
    if (!loaded) {
        fprintf(stderr, "crashsim replay: %s\n", err);
    } else {
        printf("run %" PRId64 ": %s, %s/%s, faults %s\n", run_id, info.workload_name,
                info.model, info.profile, info.faults);
    }
    if (loaded && checker_init(&c, &rec) == 0) {
        c.verbose = stdout;
        struct state_result r;
        describe_state(&rec, &s);
        if (checker_check(&c, &s, &r) != 0) {
            fprintf(stderr, "crashsim replay: %s is not a state of run %" PRId64 "\n", id, run_id);
        } else {
            printf("%s: %s: %s\n", id, outcome_name((enum outcome)r.outcome), r.reason);
            code = outcome_is_violation((enum outcome)r.outcome) ? 1 : 0;
        }
        checker_deinit(&c);
    }
    recording_free(&rec);
    trace_free(&t);
    store_close(st);
    return code;
}

bool
explore_trace_geometry(const char *path, struct record_config *rec)
{
    char *text = trace_read_text(path);
    const char *g = text != NULL ? strstr(text, "# geometry:") : NULL;
    const char *end = g != NULL ? strchr(g, '\n') : NULL;
    for (const char *p = g; p != NULL && p < end && (p = strstr(p, "--")) != NULL && p < end;) {
        char key[16] = "", val[32] = "";
        uint64_t v;
        if (sscanf(p, "--%15s %31s", key, val) == 2 && cli_parse_size(val, &v)) {
            if (strcmp(key, "size") == 0) {
                rec->device_size = v;
            } else if (strcmp(key, "block-size") == 0 && fmt_block_size_valid(v)) {
                rec->block_size = (uint32_t)v;
            } else if (strcmp(key, "arenas") == 0 && v <= FMT_ARENA_COUNT_MAX) {
                rec->arenas = (uint32_t)v;
            }
        }
        p += 2;
    }
    free(text);
    return g != NULL;
}
