/*
 * sim/campaign/minimize.c: delta debugging of a failing crash state (see minimize.h).
 */
#include "minimize.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../fs/format.h"
#include "../check/checker.h"
#include "../check/nested.h"
#include "inputs.h"
#include "regress.h"
#include "../store/store.h"

#define PROBE_STATES_MAX 200000u    /* States checked per candidate at most. */

struct mini {
    struct record_config rec;       /* Geometry and profile of the run. */
    enum device_model model;        /* Its device model. */
    struct fault_plan plan;         /* Its fault plan. */
    enum outcome target;            /* The outcome to keep. */
    uint32_t depth;                 /* The failing state's depth (1: top level). */
    const struct trace *orig;       /* The run's workload. */
    uint8_t *keep;                  /* Per step: in the candidate. */
    uint32_t tries;                 /* Candidates evaluated. */
};

struct found {
    int32_t index;                  /* Index of the state that failed, -1 if none. */
    struct crash_state levels[NEST_DEPTH_MAX];  /* It, the levels above it first. */
    char reason[200];               /* Its reason. */
};

/* A candidate's search (in the child): its nested levels and the states
 * checked so far. */
struct scan {
    const struct mini *m;
    struct nest n;
    struct nest_link chain[NEST_DEPTH_MAX];
    struct crash_state levels[NEST_DEPTH_MAX];
    uint32_t checked;
    int fd;
};

static struct trace
subset(const struct mini *m, const uint8_t *keep)
{
    struct trace t = { .steps = malloc((m->orig->count + 1) * sizeof(struct trace_step)) };
    snprintf(t.name, sizeof(t.name), "%s", m->orig->name);
    for (uint32_t i = 0; t.steps != NULL && i < m->orig->count; i++) {
        if (keep[i]) {
            t.steps[t.count++] = m->orig->steps[i];
        }
    }
    return t;
}

/* Looks through the states of level l (the top recording's, or the nested
 * recording under sc->chain) for one of the failing state's depth with the
 * target outcome; the levels above it are parents that recovered a legal
 * state. Reports each state of that depth before checking it ("checking
 * it": a crash blames it) and again when it matches. true when found. */
static bool
scan_level(struct scan *sc, uint32_t l)
{
    const struct mini *m = sc->m;
    char err[256];
    struct checker *ck = nest_level(&sc->n, sc->chain, l, err, sizeof(err));
    struct crash_state *states = NULL;
    size_t count = 0;
    if (ck == NULL || ck->rec->violation[0] != '\0'
            || fault_plan_enumerate(&ck->rec->dev.disk.log, m->model, &m->plan, &states,
                &count) != 0) {
        free(states);
        return false;
    }
    bool found = false;
    for (size_t i = 0; i < count && !found && sc->checked < PROBE_STATES_MAX; i++) {
        struct state_result r;
        sc->levels[l] = states[i];
        sc->checked++;
        if (l + 1 == m->depth) {
            struct found now = { (int32_t)sc->checked, { { 0 } }, "" };
            memcpy(now.levels, sc->levels, sizeof(now.levels));
            ssize_t n = write(sc->fd, &now, sizeof(now));  /* "checking it": a crash blames it. */
            checker_check(ck, &states[i], &r);
            if ((enum outcome)r.outcome == m->target) {
                snprintf(now.reason, sizeof(now.reason), "%s", r.reason);
                n = write(sc->fd, &now, sizeof(now));
                found = true;
            }
            (void)n;
            continue;
        }
        checker_check(ck, &states[i], &r);
        if (nest_expandable(&states[i], (enum outcome)r.outcome)) {
            sc->chain[l] = (struct nest_link){ states[i], (uint32_t)r.recovered };
            found = scan_level(sc, l + 1);
        }
    }
    free(states);
    return found;
}

/* Outcome of checking the candidate in-process; the caller runs us in a
 * forked child. */
static void
child_scan(const struct mini *m, const struct trace *t, int fd)
{
    static struct scan sc;
    struct recording rec;
    char err[256];
    struct found f = { .index = -1 };
    if (record_workload(&m->rec, t, &rec, err, sizeof(err)) != 0 || rec.violation[0] != '\0') {
        ssize_t n = write(fd, &f, sizeof(f));
        (void)n;
        _exit(0);
    }
    memset(&sc, 0, sizeof(sc));
    sc.m = m;
    sc.fd = fd;
    if (nest_init(&sc.n, &rec, false) != 0) {
        _exit(3);
    }
    if (!scan_level(&sc, 0)) {
        ssize_t n = write(fd, &f, sizeof(f));
        (void)n;
    }
    _exit(0);
}

/* Does the workload with these steps still fail the same way? */
static bool
fails(struct mini *m, const uint8_t *keep, struct found *out)
{
    struct trace t = subset(m, keep);
    int fds[2];
    m->tries++;
    fflush(NULL);
    if (t.steps == NULL || pipe(fds) != 0) {
        free(t.steps);
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        child_scan(m, &t, fds[1]);
    }
    close(fds[1]);
    free(t.steps);
    struct found last = { .index = -1 }, f;
    bool matched = false;
    while (!matched && read(fds[0], &f, sizeof(f)) == (ssize_t)sizeof(f)) {
        matched = f.index >= 0 && f.index == last.index;
        last = f;
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!matched && last.index >= 0 && WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);     /* The checker died on state last.index. */
        matched = (sig == SIGABRT ? OUTCOME_ASSERT : OUTCOME_SIGNAL) == m->target;
        snprintf(last.reason, sizeof(last.reason), "the checker died: %s", strsignal(sig));
    }
    if (matched) {
        *out = last;
    }
    return matched;
}

/* ddmin over the steps: remove chunks while the failure stays. */
static void
ddmin(struct mini *m, struct found *best)
{
    uint32_t n = m->orig->count, parts = 2;
    uint8_t *trial = malloc(n);
    uint32_t *idx = malloc(n * sizeof(uint32_t));
    while (trial != NULL && idx != NULL) {
        uint32_t live = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (m->keep[i]) {
                idx[live++] = i;
            }
        }
        if (live < 2) {
            break;
        }
        parts = FS_MIN(parts, live);
        bool reduced = false;
        for (uint32_t p = 0; p < parts && !reduced; p++) {
            memcpy(trial, m->keep, n);
            for (uint32_t j = live * p / parts; j < live * (p + 1) / parts; j++) {
                trial[idx[j]] = 0;              /* Try without chunk p. */
            }
            struct found f;
            if (fails(m, trial, &f)) {
                memcpy(m->keep, trial, n);
                *best = f;
                reduced = true;
            }
        }
        if (reduced) {
            parts = FS_MAX(parts - 1, 2);
        } else if (parts >= live) {
            break;
        } else {
            parts = FS_MIN(parts * 2, live);
        }
    }
    free(trial);
    free(idx);
}

/* The outcome of one state of the workload with these steps (in a child):
 * levels[0..m->depth), the failing state last. */
static enum outcome
state_outcome(struct mini *m, const uint8_t *keep, const struct crash_state *levels)
{
    struct trace t = subset(m, keep);
    int fds[2];
    fflush(NULL);
    if (t.steps == NULL || pipe(fds) != 0) {
        free(t.steps);
        return OUTCOME_CHECK_FAILED;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        static struct nest n;
        struct recording rec;
        char err[256];
        struct nest_link chain[NEST_DEPTH_MAX];
        uint8_t o = OUTCOME_COUNT;
        struct state_result r;
        struct checker *ck = NULL;
        if (record_workload(&m->rec, &t, &rec, err, sizeof(err)) == 0
                && nest_init(&n, &rec, false) == 0) {
            ck = nest_descend(&n, levels, m->depth, chain, err, sizeof(err));
        }
        if (ck != NULL && checker_check(ck, &levels[m->depth - 1], &r) == 0) {
            o = r.outcome;
        }
        ssize_t w = write(fds[1], &o, 1);
        _exit(w == 1 ? 0 : 3);
    }
    close(fds[1]);
    free(t.steps);
    uint8_t o = OUTCOME_COUNT;
    ssize_t n = read(fds[0], &o, 1);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != 1 && WIFSIGNALED(status)) {
        return WTERMSIG(status) == SIGABRT ? OUTCOME_ASSERT : OUTCOME_SIGNAL;
    }
    return o < OUTCOME_COUNT ? (enum outcome)o : OUTCOME_CHECK_FAILED;
}

/* Drops each lost write and the tear of the failing state (the last of
 * levels) while the outcome stays. */
static void
fewer_faults(struct mini *m, struct crash_state *levels)
{
    struct crash_state *s = &levels[m->depth - 1];
    struct crash_state try[NEST_DEPTH_MAX];
    memcpy(try, levels, sizeof(try));
    for (uint32_t i = 0; i < s->drop_count;) {
        struct crash_state *t = &try[m->depth - 1];
        *t = *s;
        memmove(&t->drops[i], &t->drops[i + 1], (t->drop_count - i - 1) * sizeof(uint32_t));
        t->drop_count--;
        if (state_outcome(m, m->keep, try) == m->target) {
            *s = *t;
        } else {
            i++;
        }
    }
    if (s->torn != CRASH_NONE) {
        try[m->depth - 1] = *s;
        try[m->depth - 1].torn = CRASH_NONE;
        if (state_outcome(m, m->keep, try) == m->target) {
            *s = try[m->depth - 1];
        }
    }
}

static const char *
block_name(const struct oplog *log, uint32_t op)
{
    const struct oplog_op *o = &log->ops[op];
    if (o->block == 0 || o->block == log->block_count - 1) {
        return "superblock";
    }
    switch (o->type) {
    case FMT_TYPE_ARENA: return "arena header";
    case FMT_TYPE_LOG:   return "allocation log";
    case FMT_TYPE_DLIST: return "deadlist";
    case FMT_TYPE_PIVOT: return "tree pivot";
    case FMT_TYPE_LEAF:  return "tree leaf";
    default:             return "data";
    }
}

static void
words(const struct recording *rec, const struct crash_state *s, uint32_t ops, char *buf,
        size_t size)
{
    const struct oplog *log = &rec->dev.disk.log;
    size_t n = (size_t)snprintf(buf, size, "%u ops; crash after %u of %u logged operations",
            ops, s->cut, log->count);
    if (s->torn != CRASH_NONE && n < size) {
        const struct oplog_op *o = &log->ops[s->torn];
        n += (size_t)snprintf(buf + n, size - n, "; write %u (%s, pass %d) torn after sector %u,"
                " the rest %s", s->torn, block_name(log, s->torn), o->pass == OPLOG_PASS_NONE ? -1
                : o->pass, s->torn_sectors, s->torn_fill == 'o' ? "old" : s->torn_fill == 'z'
                ? "zeros" : "garbage");
    }
    for (uint32_t i = 0; i < s->drop_count && n < size; i++) {
        const struct oplog_op *o = &log->ops[s->drops[i]];
        n += (size_t)snprintf(buf + n, size - n, "; write %u (%s, pass %d) lost", s->drops[i],
                block_name(log, s->drops[i]), o->pass == OPLOG_PASS_NONE ? -1 : o->pass);
    }
}

/* Loads run_id's workload and configuration from the store. */
static int
load(const char *db, int64_t *run_id, struct mini *m, struct trace *t)
{
    struct store *st;
    char err[512];
    struct run_info info;
    uint64_t hash;
    if (store_open_read(&st, db, err, sizeof(err)) != 0) {
        fprintf(stderr, "crashsim minimize: %s\n", err);
        return -1;
    }
    int rc = input_run(st, run_id, &info, &hash, t, &m->rec, err, sizeof(err));
    if (rc == 0) {
        rc = device_model_parse(info.model, &m->model);
    }
    if (rc == 0) {
        rc = fault_plan_parse(info.faults, &m->plan, err, sizeof(err));
        m->plan.seed = info.seed;
    }
    store_close(st);
    if (rc != 0) {
        fprintf(stderr, "crashsim minimize: run %" PRId64 ": %s\n", *run_id, err);
    }
    return rc;
}

/* Each kept step's expect= becomes what the oracle says now, so the smaller
 * trace still runs with crashsim run. */
static void
re_expect(struct trace *t)
{
    struct oracle *md = oracle_new();
    for (uint32_t i = 0; md != NULL && i < t->count; i++) {
        t->steps[i].expect = oracle_apply(md, &t->steps[i]);
    }
    oracle_free(md);
}

static int
write_case(const struct mini *m, const struct crash_state *levels, const char *out,
        const char *comment)
{
    struct trace t = subset(m, m->keep);
    if (t.steps != NULL) {
        re_expect(&t);
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    struct recording rec;
    char err[256];
    int rc = t.steps == NULL || mem == NULL || trace_write(mem, &t, NULL) != 0 ? -1 : 0;
    if (mem != NULL) {
        fclose(mem);
    }
    static struct regress_case c;
    memset(&c, 0, sizeof(c));
    if (rc == 0 && record_workload(&m->rec, &t, &rec, err, sizeof(err)) == 0) {
        c.rec = m->rec;
        c.model = m->model;
        c.wlog_hash = rec.wlog_hash;
        c.state_count = 1;
        c.states[0] = levels[m->depth - 1];
        c.depth[0] = (uint8_t)m->depth;
        memcpy(c.above[0], levels, (m->depth - 1) * sizeof(levels[0]));
        c.expect[0] = m->target;
        recording_free(&rec);
        FILE *f = fopen(out, "w");
        rc = f == NULL || regress_write(f, &c, comment, text) != 0 || fclose(f) != 0 ? -1 : 0;
    }
    free(text);
    free(t.steps);
    return rc;
}

/* The levels' id. */
static void
levels_id(const struct crash_state *levels, uint32_t depth, char *buf, size_t size)
{
    struct nest_link chain[NEST_DEPTH_MAX];
    for (uint32_t l = 0; l + 1 < depth; l++) {
        chain[l] = (struct nest_link){ levels[l], 0 };
    }
    nest_id_format(chain, depth - 1, &levels[depth - 1], buf, size);
}

/* The minimized counter-example in words, from its level's recording (the
 * nested one under its parents for a nested state). */
static int
describe(const struct mini *m, const struct trace *small, const struct crash_state *levels,
        uint32_t kept, char *desc, size_t size)
{
    static struct nest n;
    struct recording rec;
    char err[256];
    struct nest_link chain[NEST_DEPTH_MAX];
    if (record_workload(&m->rec, small, &rec, err, sizeof(err)) != 0) {
        return -1;
    }
    struct checker *ck = nest_init(&n, &rec, false) == 0
        ? nest_descend(&n, levels, m->depth, chain, err, sizeof(err)) : NULL;
    int rc = ck != NULL ? 0 : -1;
    if (ck != NULL) {
        words(ck->rec, &levels[m->depth - 1], kept, desc, size);
        if (m->depth > 1 && strlen(desc) + 64 < size) {
            size_t len = strlen(desc);
            snprintf(desc + len, size - len, " of the post-recovery run (nesting level %u)",
                    m->depth - 1);
        }
    }
    nest_deinit(&n);
    recording_free(&rec);
    return rc;
}

int
minimize_run(const char *id, const char *db, int64_t run_id, const char *out)
{
    struct crash_state levels[NEST_DEPTH_MAX];
    int depth = nest_id_parse(id, levels, NEST_DEPTH_MAX);
    if (depth < 1) {
        fprintf(stderr, "crashsim minimize: '%s' is not a crash-state id\n", id);
        return 2;
    }
    struct trace t = { 0 };
    struct mini m = { .orig = &t, .depth = (uint32_t)depth };
    if (load(db, &run_id, &m, &t) != 0) {
        return 2;
    }
    m.keep = malloc(t.count + 1);
    memset(m.keep, 1, t.count + 1);
    m.target = OUTCOME_COUNT;
    m.target = state_outcome(&m, m.keep, levels);
    if (!outcome_is_violation(m.target)) {
        printf("%s: %s: not a violation, nothing to minimize\n", id, outcome_name(m.target));
        free(m.keep);
        trace_free(&t);
        return 1;
    }
    printf("%s: %s; %u steps; minimizing...\n", id, outcome_name(m.target), t.count);
    struct found best = { 0, { { 0 } }, "" };
    memcpy(best.levels, levels, sizeof(levels));
    ddmin(&m, &best);
    fewer_faults(&m, best.levels);
    uint32_t kept = 0;
    for (uint32_t i = 0; i < t.count; i++) {
        kept += m.keep[i];
    }
    struct trace small = subset(&m, m.keep);
    char desc[1024], cid[NEST_ID_MAX];
    int code = 2;
    if (small.steps != NULL && describe(&m, &small, best.levels, kept, desc, sizeof(desc)) == 0) {
        levels_id(best.levels, m.depth, cid, sizeof(cid));
        printf("%s (%u candidates tried)\n%s -> %s: %s\n", desc, m.tries, id, cid,
                outcome_name(m.target));
        char comment[1200];
        snprintf(comment, sizeof(comment), "%s minimized from %s of run %" PRId64 ": %s",
                outcome_name(m.target), id, run_id, desc);
        code = write_case(&m, best.levels, out, comment) == 0 ? 0 : 2;
        printf(code == 0 ? "wrote %s\n" : "cannot write %s\n", out);
    }
    free(small.steps);
    free(m.keep);
    trace_free(&t);
    return code;
}
