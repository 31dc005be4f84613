/*
 * sim/campaign/explore.c: one crash campaign (see explore.h).
 *
 * Method. A campaign records its workload (sim/record/runner.h) or loads a
 * write-log file, enumerates the crash states of its fault plan
 * (faultinject/plan.h), finds duplicates (sim/check/dedup.h), and opens its
 * run in the result store: a new run, created with its recording in one
 * transaction, or with --resume the unfinished run of the same configuration
 * whose stored write log is the one recorded now. Every original whose
 * duplicate chain lacks a final result is queued to the checker workers
 * (sim/check/workers.h); each result is stored for the original and every
 * duplicate of it and counted. The tallies start from the results the run
 * already held, so the summary and the exit status describe the whole run,
 * whichever invocation checked which part.
 *
 * Invariants. done[k] is set exactly once per state, by tally(): for a
 * result stored earlier (resume) or now. A state that could not be checked
 * (unchecked) is counted but not final: the run stays unfinished and the next
 * --resume checks it again.
 */
#include "explore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/format.h"
#include "../check/checker.h"
#include "../check/dedup.h"
#include "../check/workers.h"
#include "../clock.h"
#include "../store/store.h"
#include "coverage.h"
#include "inputs.h"
#include "regress.h"
#include "summary.h"
#include "gitrev.h"                         /* CRASHSIM_GIT_REV, made by the Makefile. */

#define FAILING_SHOWN 20u                   /* Failing state ids the summary lists. */

struct campaign {
    const struct explore_config *cfg;   /* What to do. */
    const char *name;                   /* The workload's name (file, or "ace:2/17"). */
    char *text;                         /* Its text (owned); for a write-log file, made. */
    struct trace trace;                 /* The workload. */
    struct recording rec;               /* Its recording. */
    struct crash_state *states;         /* Every state, in ascending cut order. */
    size_t count;                       /* Entries. */
    uint64_t left_out;                  /* States of the plan's space sampling left out. */
    char (*ids)[CRASH_ID_MAX];          /* Their ids. */
    struct dedup dups;                  /* Signatures and duplicate links. */
    uint8_t *owned;                     /* Per state: in this shard's slice (all: no shard). */
    size_t owned_count;                 /* States in the slice. */
    uint64_t owned_distinct;            /* Originals in the slice: the states it checks. */
    uint8_t *done;                      /* Per state: counted (its result is known). */
    uint8_t *failing;                   /* Per state: an original whose result violates. */
    enum outcome *outcomes;             /* Per state, once known (for --save-failures). */
    int32_t *recovered;                 /* Per state: the sync point its result recovered,
                                           -1 unless checked by this invocation. */
    struct nested_totals nested;        /* --nested: every nested result the run holds. */
    struct store *store;                /* Results. */
    int64_t run_id;                     /* This run. */
    bool resumed;                       /* It continues a run stored earlier. */
    struct run_setup setup;             /* What the run was set up with. */
    char shard[24];                     /* "I/N", or "" for the whole campaign. */
    struct tally tally;                 /* Every result the run holds. */
    struct progress progress;           /* The live line. */
};

static int
campaign_alloc(struct campaign *c)
{
    c->ids = malloc(c->count * sizeof(*c->ids) + 1);
    c->owned = calloc(c->count + 1, 1);
    c->done = calloc(c->count + 1, 1);
    c->failing = calloc(c->count + 1, 1);
    c->outcomes = calloc(c->count + 1, sizeof(enum outcome));
    c->recovered = malloc((c->count + 1) * sizeof(int32_t));
    if (c->ids == NULL || c->owned == NULL || c->done == NULL || c->failing == NULL
            || c->outcomes == NULL || c->recovered == NULL) {
        return -1;
    }
    memset(c->recovered, 0xff, (c->count + 1) * sizeof(int32_t));
    for (size_t i = 0; i < c->count; i++) {
        crash_id_format(&c->states[i], c->ids[i], CRASH_ID_MAX);
    }
    return dedup_states(&c->rec, c->states, c->count, &c->dups);
}

/* The shard's slice (explore.h): original k goes to shard k mod N + 1, a
 * duplicate with its original (which comes before it). */
static void
campaign_slice(struct campaign *c)
{
    uint32_t n = c->cfg->shard_count != 0 ? c->cfg->shard_count : 1;
    uint32_t mine = c->cfg->shard_count != 0 ? c->cfg->shard_index - 1 : 0;
    uint64_t original = 0;
    c->owned_count = 0;
    c->owned_distinct = 0;
    for (size_t i = 0; i < c->count; i++) {
        uint32_t orig = c->dups.dup_of[i];
        ASSERT(orig == CRASH_NONE || orig < i);
        c->owned[i] = (uint8_t)(orig == CRASH_NONE ? original++ % n == mine : c->owned[orig]);
        c->owned_count += c->owned[i];
        c->owned_distinct += c->owned[i] && orig == CRASH_NONE;
    }
    ASSERT(original == c->dups.distinct);
}

static void
campaign_free(struct campaign *c)
{
    free(c->states);
    free(c->ids);
    free(c->owned);
    dedup_free(&c->dups);
    free(c->done);
    free(c->failing);
    free(c->outcomes);
    free(c->recovered);
    free(c->text);
    recording_free(&c->rec);
    trace_free(&c->trace);
    store_close(c->store);
}

/* The recording: a write-log file loaded, or the workload recorded. */
static int
record(struct campaign *c)
{
    const struct explore_config *cfg = c->cfg;
    char err[512];
    if (cfg->wlog != NULL) {
        struct wlog_geometry g = { cfg->wlog_block_size, cfg->wlog_block_size != 0
            ? cfg->wlog_device_size / cfg->wlog_block_size : 0 };
        if (input_wlog(cfg->wlog, &g, &c->rec, err, sizeof(err)) != 0) {
            fprintf(stderr, "crashsim explore: %s\n", err);
            return -1;
        }
        c->text = input_wlog_text(c->rec.wlog_hash);
        return c->text != NULL ? 0 : -1;
    }
    if (trace_parse_text(c->name, c->text, &c->trace, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    if (record_workload(&cfg->rec, &c->trace, &c->rec, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim explore: %s\n", err);
        return -1;
    }
    return 0;
}

/* Records the workload, enumerates its crash states and their duplicates. */
static int
prepare(struct campaign *c)
{
    if (record(c) != 0) {
        return -1;
    }
    /* The workers explain nothing, so the oracles go now, before they fork:
     * freed at the end, every page of them would fault copy-on-write. Nested
     * recordings start from them (record_nested), so --nested keeps them. */
    if (!c->cfg->nested) {
        recording_drop_oracles(&c->rec);
    }
    if (fault_plan_enumerate_counted(&c->rec.dev.disk.log, c->cfg->model, &c->cfg->plan,
            &c->states, &c->count, &c->left_out) != 0 || campaign_alloc(c) != 0) {
        fprintf(stderr, "crashsim explore: out of memory enumerating crash states\n");
        return -1;
    }
    campaign_slice(c);
    return 0;
}

/* Counts state k's result: stored earlier (resume) or now. */
static void
tally(struct campaign *c, size_t k, enum outcome o)
{
    ASSERT(k < c->count);
    ASSERT(!c->done[k]);
    c->done[k] = 1;
    c->outcomes[k] = o;
    tally_add(&c->tally, o, crash_fault_class_index(&c->states[k]));
    c->failing[k] = outcome_is_violation(o) && c->dups.dup_of[k] == CRASH_NONE;
}

/* The index of the first state whose cut is at least cut (states are in
 * ascending cut order). */
static size_t
first_at_cut(const struct campaign *c, uint32_t cut)
{
    size_t lo = 0, hi = c->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->states[mid].cut < cut) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    ASSERT(lo == c->count || c->states[lo].cut >= cut);
    return lo;
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
    for (size_t i = first_at_cut(c, s.cut); i < c->count && c->states[i].cut == s.cut; i++) {
        if (strcmp(c->ids[i], id) == 0) {
            if (!c->done[i] && c->owned[i]) {
                tally(c, i, o);
            }
            return;
        }
    }
}

/* --resume: the newest unfinished run of this configuration, if its stored
 * write log is the one recorded now; 1 resumed, 0 none to resume, -1 error. */
static int
resume_find(struct campaign *c, const struct run_info *info)
{
    const char *db = c->cfg->db;
    struct run_resumable r;
    int found = store_run_resumable(c->store, info, &r);
    if (found <= 0) {
        if (found < 0) {
            fprintf(stderr, "crashsim explore: %s: cannot look for a run to resume\n", db);
        }
        return found;
    }
    if (!r.has_wlog) {
        fprintf(stderr, "crashsim explore: %s: run %" PRId64 " is broken: its set-up was cut "
                "before its write log was stored, so it cannot be resumed; start a new run "
                "(without --resume)\n", db, r.run_id);
        return -1;
    }
    if (r.wlog_hash != c->rec.wlog_hash) {
        fprintf(stderr, "crashsim explore: %s: run %" PRId64 " recorded write log %016" PRIx64
                ", this code records %016" PRIx64 " for the same configuration (the code "
                "changed since): it cannot be resumed; start a new run (without --resume)\n",
                db, r.run_id, r.wlog_hash, c->rec.wlog_hash);
        return -1;
    }
    c->run_id = r.run_id;
    c->resumed = true;
    if (store_done_states(c->store, c->run_id, mark_done, c) != 0) {
        fprintf(stderr, "crashsim explore: %s: cannot read run %" PRId64 "'s results\n", db,
                c->run_id);
        return -1;
    }
    return 1;
}

/* Opens the store and the run: resumed, or created with its recording. */
static int
store_begin(struct campaign *c)
{
    const struct explore_config *cfg = c->cfg;
    char err[512], faults[128];
    if (store_open(&c->store, cfg->db, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim explore: %s\n", err);
        return -1;
    }
    fault_plan_format(&cfg->plan, faults, sizeof(faults));
    if (cfg->shard_count != 0) {
        snprintf(c->shard, sizeof(c->shard), "%u/%u", cfg->shard_index, cfg->shard_count);
    }
    const struct record_config *g = &c->rec.config;     /* cfg->rec, or the file's. */
    struct run_info info = { CRASHSIM_GIT_REV, cfg->seed, c->name, c->text,
        device_model_name(cfg->model), sync_profile_name(g->profile), faults,
        g->block_size, g->device_size, g->arenas, cfg->jobs, c->shard,
        cfg->nested ? cfg->depth : 1 };
    c->setup = (struct run_setup){ &c->rec.dev.disk.log, c->rec.wlog_hash, c->rec.syncs,
        c->rec.sync_count, c->count, c->dups.distinct, c->left_out, c->rec.violation, 0, 0 };
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

void
explore_state_where(const struct oplog *log, uint32_t cut, uint32_t *pass, const char **type,
        uint32_t *last)
{
    ASSERT(cut <= log->count);
    *last = UINT32_MAX;
    *type = "";
    for (uint32_t k = cut; k-- > 0;) {
        if (log->ops[k].kind == OPLOG_OP_WRITE) {
            *last = k;
            *type = fmt_type_name(log->ops[k].type);
            break;
        }
    }
    *pass = cut > 0 ? log->ops[cut - 1].pass : OPLOG_PASS_NONE;
}

static void
state_row(const struct campaign *c, uint32_t i, struct state_row *row)
{
    const struct crash_state *s = &c->states[i];
    uint32_t pass, last;
    const char *type;
    explore_state_where(&c->rec.dev.disk.log, s->cut, &pass, &type, &last);
    uint32_t orig = c->dups.dup_of[i];
    *row = (struct state_row){ c->ids[i], s, orig == CRASH_NONE ? NULL : c->ids[orig],
        c->dups.sigs[i], pass, type, last, NULL, 1 };
}

/* Stores state i's result (and that of every duplicate of it). A state that
 * could not be checked passes that on: its duplicates are not checked either. */
static int
store_chain(struct campaign *c, const struct worker_result *p)
{
    uint32_t i = p->index;
    const struct state_result *r = &p->r;
    enum outcome o = (enum outcome)r->outcome;
    for (uint32_t k = i; k != CRASH_NONE; k = c->dups.next_dup[k]) {
        if (c->done[k]) {
            continue;
        }
        struct state_row row;
        state_row(c, k, &row);
        const char *reason = r->reason;     /* A duplicate shares its original's. */
        char unchecked[sizeof(r->reason) + CRASH_ID_MAX + 32];
        if (k != i && !outcome_is_final(o)) {
            snprintf(unchecked, sizeof(unchecked), "duplicate of %s, which was not checked: %s",
                    c->ids[i], r->reason);
            reason = unchecked;
        }
        struct result_row res = { o, reason, r->recovered, r->legal_lo, r->legal_hi, r->leaked,
            r->corrupt, k == i ? r->duration_ns : 0, p->worker, r->probes,
            k == i ? p->retries : 0, k == i && outcome_is_final(o), r->memo_lookups,
            r->memo_hits, r->hashed };
        if (store_result(c->store, c->run_id, &row, &res) != 0) {
            return -1;
        }
        c->recovered[k] = r->recovered;
        tally(c, k, o);
    }
    return 0;
}

static bool
chain_done(const struct campaign *c, uint32_t i)
{
    for (uint32_t k = i; k != CRASH_NONE; k = c->dups.next_dup[k]) {
        if (!c->done[k]) {
            return false;
        }
    }
    return true;
}

static int
check_all(struct campaign *c)
{
    struct workers *w;
    const struct explore_config *cfg = c->cfg;
    if (workers_start(&w, &c->rec, c->states, c->count, cfg->jobs, cfg->timeout_ms, !cfg->no_memo) != 0) {
        fprintf(stderr, "crashsim explore: cannot start workers\n");
        return -1;
    }
    for (size_t i = 0; i < c->count; i++) {
        if (c->owned[i] && c->dups.dup_of[i] == CRASH_NONE && !chain_done(c, (uint32_t)i)) {
            workers_queue(w, (uint32_t)i);
        }
    }
    struct worker_result res;
    int rc;
    while ((rc = workers_next(w, &res)) == 0 || rc == 2) {
        if (rc == 2 ? store_flush(c->store) != 0 : store_chain(c, &res) != 0) {
            rc = -1;
            break;
        }
        progress_line(&c->progress, &c->tally, c->owned_count, false);
    }
    workers_stop(w);
    progress_line(&c->progress, &c->tally, c->owned_count, true);
    return rc < 0 ? -1 : 0;
}

/* --nested: the originals of the slice that recovered a legal state are
 * the parents of the nested phase. */
static int
check_nested(struct campaign *c)
{
    uint32_t *parents = malloc((c->count + 1) * sizeof(uint32_t));
    if (parents == NULL) {
        fprintf(stderr, "crashsim explore: out of memory\n");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < c->count; i++) {
        enum outcome o = c->outcomes[i];
        if (c->owned[i] && c->dups.dup_of[i] == CRASH_NONE && c->done[i]
                && nest_expandable(&c->states[i], o)) {
            parents[n++] = (uint32_t)i;
        }
    }
    struct progress p;
    progress_start(&p, c->progress.silent);
    struct nested_input in = { c->cfg, &c->rec, c->states, parents, n, c->recovered, c->store,
        c->run_id, c->resumed, &p, c->name, c->text };
    int rc = nested_explore(&in, &c->nested);
    free(parents);
    c->setup.nested_count = c->nested.states;
    c->setup.nested_distinct = c->nested.distinct;
    return rc;
}

/* The nested part of the summary. */
static void
nested_summary(const struct campaign *c)
{
    const struct nested_totals *t = &c->nested;
    printf("\nnested crashes (depth 2..%u): %" PRIu64 " states in %" PRIu64 " nested "
            "enumerations (one per parent with a distinct image), %" PRIu64 " checked, %"
            PRIu64 " violations\n", c->cfg->depth, t->states, t->enumerations, t->distinct,
            t->tally.violations);
    for (uint32_t d = 1; d < c->cfg->depth; d++) {
        printf("  depth %u: %" PRIu64 " states\n", d + 1, t->by_depth[d]);
    }
    if (t->left_out > 0) {
        printf("  %" PRIu64 " nested states left out by sampling (--samples %u)\n", t->left_out,
                c->cfg->plan.samples);
    }
    summary_table(&t->tally);
    if (t->tally.unchecked > 0) {
        printf("%" PRIu64 " nested states could not be checked: run the same command with "
                "--resume to check them\n", t->tally.unchecked);
    }
    for (uint32_t i = 0; i < t->failing_count; i++) {
        printf("  %-24s crashsim replay %s --db %s --run %" PRId64 "\n", t->failing[i],
                t->failing[i], c->cfg->db, c->run_id);
    }
}

/* The summary: the table, the totals, what was not checked, failing ids. */
static void
summary(const struct campaign *c)
{
    const struct tally *t = &c->tally;
    summary_table(t);
    double secs = (double)(clock_now_ns() - c->progress.t0_ns) / 1e9;
    printf("\n%zu states (%" PRIu64 " distinct), %" PRIu64 " violations, %.1f s; run %" PRId64
            " in %s\n", c->owned_count, c->owned_distinct, t->violations, secs, c->run_id,
            c->cfg->db);
    uint64_t space = c->count + c->left_out;
    printf("explored: %zu of the plan's %" PRIu64 " crash states (%.1f%%; %" PRIu64 " left out by "
            "sampling, --samples %u), %" PRIu64 " distinct and checked, %" PRIu64
            " duplicates of a checked one\n", c->count, space,
            space ? 100.0 * (double)c->count / (double)space : 100.0, c->left_out,
            c->cfg->plan.samples, c->dups.distinct, (uint64_t)c->count - c->dups.distinct);
    if (c->shard[0] != '\0') {
        printf("shard %s: %zu of the campaign's %zu states (%" PRIu64 " of %" PRIu64
                " distinct); crashsim merge joins the shards' databases into the whole run\n",
                c->shard, c->owned_count, c->count, c->owned_distinct, c->dups.distinct);
    }
    if (c->resumed) {
        printf("run %" PRId64 " resumed: the table counts every result it holds, from this and "
                "earlier invocations\n", c->run_id);
    }
    struct memo_stats m;
    if (store_memo_stats(c->store, c->run_id, &m) == 0 && m.checked > 0) {
        printf("memo: %.1f%% of %" PRIu64 " lookups known; %.1f blocks or chunks hashed per "
                "checked state%s\n", m.lookups ? 100.0 * (double)m.hits / (double)m.lookups : 0.0,
                m.lookups, (double)m.hashed / (double)m.checked,
                c->cfg->no_memo ? " (--no-memo: every block hashed)" : "");
    }
    if (c->rec.violation[0] != '\0') {
        printf("while running: %s\n", c->rec.violation);
    }
    if (c->cfg->nested) {
        nested_summary(c);
    }
    if (t->unchecked > 0) {
        printf("%" PRIu64 " states could not be checked (their workers were killed from outside "
                "the file system): run the same command with --resume to check them\n",
                t->unchecked);
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

int
explore_save_case(const struct explore_config *cfg, const char *name, const char *text,
        uint64_t wlog_hash, int64_t run_id, const char *id, enum outcome o)
{
    static struct regress_case rc;
    memset(&rc, 0, sizeof(rc));
    rc.rec = cfg->rec;
    rc.model = cfg->model;
    rc.wlog_hash = wlog_hash;
    rc.state_count = 1;
    rc.expect[0] = o;
    if (regress_state_parse(&rc, 0, id) != 0) {
        ASSERT(!"the campaign made the id");
        return -1;
    }
    const char *base = strrchr(name, '/');
    base = base != NULL && name[0] != 'a' ? base + 1 : name;
    char file[NEST_ID_MAX];
    snprintf(file, sizeof(file), "%s", id);
    for (char *p = file; (p = strchr(p, '/')) != NULL;) {
        *p = '_';                               /* A nested id: one file name. */
    }
    char path[4096], comment[512];
    snprintf(path, sizeof(path), "%s/%.*s-%s-%s-%s.case", cfg->save_failures,
            (int)strcspn(base, "."), base, device_model_name(cfg->model),
            sync_profile_name(cfg->rec.profile), file);
    snprintf(comment, sizeof(comment), "%s found by explore run %" PRId64 " of %.200s",
            outcome_name(o), run_id, name);
    FILE *f = fopen(path, "w");
    if (f == NULL || regress_write(f, &rc, comment, text) != 0 || fclose(f) != 0) {
        fprintf(stderr, "crashsim explore: %s: cannot write\n", path);
        return -1;
    }
    return 0;
}

/* --save-failures: one regression case per violating original (the nested
 * ones were saved as they were found). */
static int
save_failures(const struct campaign *c)
{
    const struct explore_config *cfg = c->cfg;
    uint64_t saved = c->nested.saved;
    for (size_t k = 0; k < c->count; k++) {
        if (!c->failing[k]) {
            continue;
        }
        if (explore_save_case(cfg, c->name, c->text, c->rec.wlog_hash, c->run_id, c->ids[k],
                c->outcomes[k]) != 0) {
            return -1;
        }
        saved++;
    }
    printf("saved %" PRIu64 " regression case%s in %s\n", saved, saved == 1 ? "" : "s",
            cfg->save_failures);
    return 0;
}

/* What the run's end says: the summary (or one line of many), saved cases,
 * coverage. 0 or -1. */
static int
campaign_report(struct campaign *c, struct explore_totals *tot)
{
    const struct explore_config *cfg = c->cfg;
    const struct tally *t = &c->tally;
    if (tot == NULL) {
        summary(c);
    } else if (!cfg->tally_only && (t->violations > 0 || c->rec.violation[0] != '\0'
            || t->unchecked > 0)) {
        printf("%s: %zu states, %" PRIu64 " violations, %" PRIu64 " not checked (run %" PRId64
                ")%s%s\n", c->name, c->owned_count, t->violations, t->unchecked, c->run_id,
                c->rec.violation[0] ? "; while running: " : "", c->rec.violation);
    }
    if (cfg->save_failures != NULL && save_failures(c) != 0) {
        return -1;
    }
    if (cfg->coverage_out != NULL && tot == NULL) {
        return coverage_end(cfg->coverage_out, c->run_id);
    }
    return 0;
}

int
explore_campaign(const struct explore_config *cfg, const char *name, char *text,
        struct explore_totals *tot)
{
    struct campaign c = { .cfg = cfg, .name = name, .text = text };
    progress_start(&c.progress, cfg->quiet || tot != NULL);
    int rc = prepare(&c) != 0 || store_begin(&c) != 0 ? -1 : 0;
    if (rc == 0) {
        rc = check_all(&c);
    }
    if (rc == 0 && cfg->nested) {
        rc = check_nested(&c);
    }
    const struct tally *t = &c.tally;
    const struct tally *nt = &c.nested.tally;
    bool complete = rc == 0 && t->finished == c.owned_count && t->unchecked == 0
        && nt->unchecked == 0 && nt->finished == c.nested.states;
    if (rc == 0) {
        uint64_t duration_ns = clock_now_ns() - c.progress.t0_ns;
        rc = store_run_end(c.store, c.run_id, &c.setup, duration_ns, complete);
        if (rc != 0) {
            fprintf(stderr, "crashsim explore: %s: cannot finish run %" PRId64 "\n", cfg->db,
                    c.run_id);
        }
    }
    if (rc == 0) {
        rc = campaign_report(&c, tot);
    }
    uint64_t violations = t->violations + nt->violations;
    int code = rc != 0 ? 2 : violations > 0 || c.rec.violation[0] != '\0' ? 1
        : !complete ? 2 : 0;
    if (tot != NULL) {
        tot->workloads++;
        tot->states += c.owned_count;
        tot->distinct += c.owned_distinct;
        tot->violations += violations;
        tot->nested_states += c.nested.states;
        tot->nested_violations += nt->violations;
        tot->failing += code == 1;
        tot->code = FS_MAX(tot->code, code);
    }
    campaign_free(&c);
    return code;
}

int
explore_shard_parse(const char *text, uint32_t *index, uint32_t *count)
{
    char *end;
    if (text[0] < '0' || text[0] > '9') {
        return -1;
    }
    unsigned long i = strtoul(text, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9') {
        return -1;
    }
    unsigned long n = strtoul(end + 1, &end, 10);
    if (*end != '\0' || i < 1 || n < 1 || i > n || n > EXPLORE_SHARDS_MAX) {
        return -1;
    }
    *index = (uint32_t)i;
    *count = (uint32_t)n;
    return 0;
}

int
explore_run(const struct explore_config *cfg)
{
    if (cfg->coverage_out != NULL && coverage_begin(cfg->coverage_out) != 0) {
        return 2;
    }
    if (cfg->gen != NULL) {
        return generated_run(cfg);
    }
    if (cfg->workload_dir != NULL) {
        return directory_run(cfg);
    }
    ASSERT(cfg->wlog != NULL || cfg->workload_text != NULL);
    char *text = NULL;
    if (cfg->wlog == NULL && (text = strdup(cfg->workload_text)) == NULL) {
        fprintf(stderr, "crashsim explore: out of memory\n");
        return 2;
    }
    return explore_campaign(cfg, cfg->wlog != NULL ? cfg->wlog : cfg->workload, text, NULL);
}
