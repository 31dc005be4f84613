/*
 * sim/campaign/explore.c: campaigns and replay (see explore.h).
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

#include "../../fs/format.h"
#include "../../traces/gen.h"
#include "../check/checker.h"
#include "../cli/cli.h"
#include "../check/gcov.h"
#include "../check/pool.h"
#include "regress.h"
#include "../store/store.h"
#include "../record/wlog.h"

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
    bool resumed;                       /* It continues a run stored earlier. */
    struct run_setup setup;             /* What the run was set up with. */
    /* The tallies count every result the run holds, stored by this invocation
     * or an earlier one (resume): what the summary and exit status report. */
    uint64_t counts[OUTCOME_COUNT][CRASH_FAULT_CLASSES];  /* Outcome by fault class. */
    uint64_t finished;                  /* States with a result. */
    uint64_t distinct;                  /* States checked (not duplicates). */
    uint64_t violations;                /* Violating states. */
    uint64_t unchecked;                 /* States not checked (infrastructure). */
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
        /* Media-fault states are judged by other rules (sim/check/checker.h): they
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
        struct wlog_geometry g = { cfg->wlog_block_size, cfg->wlog_block_size != 0
            ? cfg->wlog_device_size / cfg->wlog_block_size : 0 };
        if (wlog_load_recording(cfg->wlog, &g, &c->rec, err, sizeof(err)) != 0) {
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

/* Counts state k's result into the run's tallies. */
static void
tally(struct campaign *c, size_t k, enum outcome o)
{
    ASSERT(k < c->count);
    ASSERT(!c->done[k]);
    c->done[k] = 1;
    c->outcomes[k] = o;
    c->finished++;
    c->counts[o][crash_fault_class_index(&c->states[k])]++;
    c->unchecked += !outcome_is_final(o);
    if (outcome_is_violation(o)) {
        c->violations++;
        c->failing[k] = c->dup_of[k] == CRASH_NONE;    /* Duplicates only repeat it. */
    }
}

/* A result stored by an earlier invocation (resume): final ones count, and
 * their states are not checked again; unchecked ones are checked again. */
static void
mark_done(void *arg, const char *id, enum outcome o)
{
    struct campaign *c = arg;
    struct crash_state s;
    if (!outcome_is_final(o) || crash_id_parse(id, &s) != 0) {
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
            if (!c->done[i]) {
                tally(c, i, o);
            }
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

/* --resume: the newest unfinished run of this configuration, if its stored
 * write log is the one recorded now; 1 resumed, 0 none to resume, -1 error. */
static int
resume_find(struct campaign *c, const struct run_info *info)
{
    struct run_resumable r;
    int found = store_run_resumable(c->store, info, &r);
    if (found <= 0) {
        if (found < 0) {
            fprintf(stderr, "crashsim explore: %s: cannot look for a run to resume\n",
                    c->cfg->db);
        }
        return found;
    }
    if (!r.has_wlog) {
        fprintf(stderr, "crashsim explore: %s: run %" PRId64 " is broken: its set-up was cut "
                "before its write log was stored, so it cannot be resumed; start a new run "
                "(without --resume)\n", c->cfg->db, r.run_id);
        return -1;
    }
    if (r.wlog_hash != c->rec.wlog_hash) {
        fprintf(stderr, "crashsim explore: %s: run %" PRId64 " recorded write log %016" PRIx64
                ", this code records %016" PRIx64 " for the same configuration (the code "
                "changed since): it cannot be resumed; start a new run (without --resume)\n",
                c->cfg->db, r.run_id, r.wlog_hash, c->rec.wlog_hash);
        return -1;
    }
    c->run_id = r.run_id;
    c->resumed = true;
    if (store_done_states(c->store, c->run_id, mark_done, c) != 0) {
        fprintf(stderr, "crashsim explore: %s: cannot read run %" PRId64 "'s results\n",
                c->cfg->db, c->run_id);
        return -1;
    }
    return 1;
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
    if (c->text == NULL) {
        c->text = wlog_text(&c->rec);
    }
    if (c->text == NULL) {
        fprintf(stderr, "crashsim explore: out of memory\n");
        return -1;
    }
    const struct record_config *g = &c->rec.config;     /* cfg->rec, or the file's. */
    struct run_info info = { rev, cfg->seed, c->name, c->text, device_model_name(cfg->model),
        g->hardened ? "hardened" : "faithful", faults, g->block_size, g->device_size,
        g->arenas, cfg->jobs, "" };
    c->setup = (struct run_setup){ &c->rec.dev, c->rec.wlog_hash, c->rec.syncs,
        c->rec.sync_count, c->count, c->distinct, c->rec.violation };
    int found = cfg->resume ? resume_find(c, &info) : 0;
    if (found < 0) {
        return -1;
    }
    if (found == 0 && store_run_create(c->store, &info, &c->setup, &c->run_id) != 0) {
        fprintf(stderr, "crashsim explore: %s: cannot start a run\n", cfg->db);
        return -1;
    }
    if (found == 0 && cfg->resume && !cfg->quiet) {
        fprintf(stderr, "crashsim explore: %s: no unfinished run of this configuration to "
                "resume: started run %" PRId64 "\n", cfg->db, c->run_id);
    }
    return 0;
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

/* Stores state i's result (and that of every duplicate of it). A state that
 * could not be checked passes that on: its duplicates are not checked either. */
static int
record(struct campaign *c, const struct pool_result *p)
{
    uint32_t i = p->index;
    const struct state_result *r = &p->r;
    enum outcome o = (enum outcome)r->outcome;
    for (uint32_t k = i; k != CRASH_NONE; k = c->next_dup[k]) {
        if (c->done[k]) {
            continue;
        }
        struct state_row row;
        state_row(c, k, &row);
        char reason[sizeof(r->reason) + CRASH_ID_MAX + 32];
        snprintf(reason, sizeof(reason), "%s", r->reason);
        if (k != i && !outcome_is_final(o)) {
            snprintf(reason, sizeof(reason), "duplicate of %s, which was not checked: %s",
                    c->ids[i], r->reason);
        }
        struct result_row res = { o, reason, r->recovered, r->legal_lo, r->legal_hi, r->leaked,
            r->corrupt, k == i ? r->duration_ns : 0, p->worker, r->probes,
            k == i ? p->retries : 0 };
        if (store_result(c->store, c->run_id, &row, &res) != 0) {
            return -1;
        }
        tally(c, k, o);
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
        if (c->dup_of[i] == CRASH_NONE && !chain_done(c, (uint32_t)i)) {
            pool_queue(p, (uint32_t)i);
        }
    }
    struct pool_result res;
    int rc;
    while ((rc = pool_next(p, &res)) == 0 || rc == 2) {
        if (rc == 2 ? store_flush(c->store) != 0 : record(c, &res) != 0) {
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
    if (c->resumed) {
        printf("run %" PRId64 " resumed: the table counts every result it holds, from this and "
                "earlier invocations\n", c->run_id);
    }
    if (c->rec.violation[0] != '\0') {
        printf("while running: %s\n", c->rec.violation);
    }
    if (c->unchecked > 0) {
        printf("%" PRIu64 " states could not be checked (their workers were killed from outside "
                "the file system): run the same command with --resume to check them\n",
                c->unchecked);
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
    bool complete = rc == 0 && c.finished == c.count && c.unchecked == 0;
    if (rc == 0) {
        rc = store_run_end(c.store, c.run_id, &c.setup, now_ns() - c.t0_ns, complete);
        if (rc != 0) {
            fprintf(stderr, "crashsim explore: %s: cannot finish run %" PRId64 "\n", cfg->db,
                    c.run_id);
        }
    }
    if (rc == 0) {
        if (tot == NULL) {
            summary(&c);
        } else if (!cfg->tally_only && (c.violations > 0 || c.rec.violation[0] != '\0'
                || c.unchecked > 0)) {
            printf("%s: %zu states, %" PRIu64 " violations, %" PRIu64 " not checked (run %"
                    PRId64 ")%s%s\n", name, c.count, c.violations, c.unchecked, c.run_id,
                    c.rec.violation[0] ? "; while running: " : "", c.rec.violation);
        }
        if (cfg->save_failures != NULL) {
            rc = save_failures(&c);
        }
        if (rc == 0 && cfg->coverage_out != NULL && tot == NULL) {
            rc = coverage_end(&c);
        }
    }
    int code = rc != 0 ? 2 : c.violations > 0 || c.rec.violation[0] != '\0' ? 1
        : !complete ? 2 : 0;
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
    ASSERT(cfg->workload != NULL && cfg->workload_text != NULL);
    char *text = strdup(cfg->workload_text);
    if (text == NULL) {
        fprintf(stderr, "crashsim explore: out of memory\n");
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
    ASSERT(cfg->wlog != NULL || cfg->workload_text != NULL);
    char *text = NULL;
    if (cfg->wlog == NULL && (text = strdup(cfg->workload_text)) == NULL) {
        fprintf(stderr, "crashsim explore: out of memory\n");
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
    if (store_open_read(&st, db, err, sizeof(err)) != 0) {
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

int
explore_workload_load(const char *path, unsigned given, struct record_config *rec, char **text)
{
    ASSERT(path != NULL && rec != NULL && text != NULL);
    char err[512];
    struct trace t;
    if (trace_load(path, &t, text, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    trace_free(&t);
    struct trace_geometry g;
    if (trace_geometry_parse(path, *text, strlen(*text), &g, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        free(*text);
        *text = NULL;
        return -1;
    }
    if (g.device_size_given && (given & GEOMETRY_GIVEN_SIZE) == 0) {
        rec->device_size = g.device_size;
    }
    if (g.block_size_given && (given & GEOMETRY_GIVEN_BLOCK) == 0) {
        rec->block_size = g.block_size;
    }
    if (g.arena_count_given && (given & GEOMETRY_GIVEN_ARENAS) == 0) {
        rec->arenas = g.arena_count;
    }
    return 0;
}
