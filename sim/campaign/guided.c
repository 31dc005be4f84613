/*
 * sim/campaign/guided.c: crashsim gen guided (see guided.h and docs/GEN.md).
 *
 * Method. The search keeps a corpus (the seeds, then every kept candidate)
 * and the set of features reached so far. A candidate is a copy of a corpus
 * trace drawn from the stream with one to three mutations applied. Its
 * evaluation, in a forked child, does what every campaign does, on the
 * geometry of guided.h:
 *   1. run: the steps on a fresh image in memory, each step's result written
 *      back (line "E STEP ERR"), then a commit and fs_reach (features "run:");
 *      a step that leaves the file system broken, or returns an error no
 *      trace can expect, is a violation;
 *   2. record: record_workload, as explore records (the oracle beside the
 *      file system), with the probes it hits (features "record:"); a
 *      disagreement with the oracle is a violation;
 *   3. crash: the states of GUIDED_MODEL under GUIDED_FAULTS, of which
 *      GUIDED_STATES_MAX evenly spaced ones (the last state always among
 *      them) are checked by the checker, with its probes (features "check:"),
 *      its outcome ("outcome:") and, through the checker's recovered hook,
 *      fs_reach of the recovered state after the post-recovery workload
 *      ("recovered:"). A violating outcome is a violation.
 * The child writes what it found to a pipe, one line each ("F FEATURE",
 * "V WHY"); the parent reads them, and a child that dies is a violation too.
 *
 * A candidate whose features include one the set lacks is kept: each step's
 * expect= becomes the result the run gave, so the trace runs cleanly with
 * crashsim run on its geometry, and it is written as DIR/NNNN-WORDS.trace
 * (NNNN counts on from the traces already in DIR, WORDS are its
 * mutations). A violating candidate goes to DIR/violations/ instead, and
 * never into the corpus.
 *
 * Ownership: the corpus owns its traces, kept as text in the trace format
 * (a parsed step holds two 1 KiB paths; the text of a step is a line) and
 * parsed again when drawn as a parent or a splice's other trace; an
 * evaluation's results are freed after each candidate. Bounds: traces of at most MUTATE_STEPS_MAX steps
 * (seeds are taken whole but cut when copied), GUIDED_SEEDS_MAX seeds, an
 * evaluation of at most GUIDED_EVAL_SECONDS_MAX seconds (an alarm ends it).
 */
#include "guided.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../fs/fs.h"
#include "../../fs/probes.h"
#include "../../fs/reach.h"
#include "../../traces/prng.h"
#include "../check/checker.h"
#include "../check/outcome.h"
#include "../clock.h"
#include "features.h"
#include "inputs.h"
#include "mutate.h"

#define GUIDED_SEEDS_MAX 256u           /* Traces of --from, at most. */
#define GUIDED_EVAL_SECONDS_MAX 120u    /* One evaluation, at most (a hang is a violation). */
#define GUIDED_MUTATIONS_MAX 3u         /* Mutations of one candidate, at most. */
#define GUIDED_PATH_SIZE 4096u          /* Bytes of an output path. */
#define GUIDED_WRAP_COLUMNS 90u         /* Width of the features comment. */

/* A trace of the corpus. */
struct corpus_entry {
    char *text;                 /* Its steps in the trace format, owned. */
    char name[64];              /* "default.trace", "0003-splice", "empty". */
};

/* What the evaluation of one trace found. */
struct eval {
    int *expect;                /* Per step: what it returned on a fresh image. */
    uint32_t expect_count;      /* Steps with a result. */
    struct featset found;       /* Features reached. */
    char violation[512];        /* The first violation, "" for none. */
};

struct guided {
    const struct guided_config *cfg;    /* The options. */
    struct corpus_entry *corpus;        /* Seeds and kept candidates, owned. */
    uint32_t corpus_count;              /* Entries. */
    uint32_t corpus_cap;                /* Allocated. */
    struct featset known;               /* Features reached so far. */
    uint64_t rng;                       /* The one stream of choices. */
    uint64_t candidates;                /* Candidates evaluated. */
    uint32_t kept;                      /* Of them, kept. */
    uint32_t next_number;               /* NNNN of the next kept workload. */
    uint32_t seed_features;             /* Features the seeds reached. */
    uint64_t violations;                /* Violations found (seeds and candidates). */
};

/* ---- The evaluation, in the child. ---- */

/* An error a trace step may expect (a workload's own doing), as opposed to
 * one that says the file system broke. FS_EROFS is both: a change refused
 * on an immutable label a mount step mounted, or a broken file system,
 * which the caller tells apart with fs_broken. */
static bool
expectable(int err)
{
    return err == 0 || (err != FS_EIO && err != FS_ECORRUPT && err != FS_ENOMEM);
}

/* 1. The steps on a fresh image; 0, or -1 after a violation line. */
static int
eval_run(const struct trace *t, FILE *out)
{
    struct bdev dev;
    struct fs *fs = NULL;
    struct fs_format_config fc = { .arena_count = GUIDED_ARENAS };
    struct runner_dev rd = { &dev, { 0 }, { 0 } };     /* A trace may mount a label. */
    if (bdev_mem_open(&dev, GUIDED_BLOCK_SIZE, GUIDED_DEVICE_SIZE / GUIDED_BLOCK_SIZE) != 0) {
        fprintf(out, "V out of memory for the image\n");
        return -1;
    }
    int err = fs_format(&dev, &fc);
    err = err ? err : fs_mount(&fs, &dev, &rd.config);
    int rc = err ? -1 : 0;
    if (err) {
        fprintf(out, "V format: %s\n", fs_mount_failure());
    }
    for (uint32_t i = 0; rc == 0 && i < t->count; i++) {
        int got = runner_step(&fs, &rd, &t->steps[i]);
        fprintf(out, "E %" PRIu32 " %d\n", i, got);
        if (!expectable(got) || fs_broken(fs) != NULL) {
            fprintf(out, "V step %" PRIu32 ": %s: %s\n", i + 1, fs_strerror(got),
                    fs_broken(fs) != NULL ? fs_broken(fs) : "the file system failed");
            rc = -1;
        }
    }
    struct fs_reach r;
    err = rc == 0 ? fs_sync(fs) : 0;
    err = err || rc ? err : fs_reach(fs, &r);
    if (err) {
        fprintf(out, "V final commit or reach: %s\n", fs_strerror(err));
        rc = -1;
    } else if (rc == 0) {
        feature_emit_reach(out, FEATURE_RUN, &r);
    }
    if (fs != NULL) {
        fs_unmount(fs);
    }
    bdev_mem_close(&dev);
    return rc;
}

/* The checker's hook: what a recovered state reached. */
static void
eval_recovered(void *arg, struct fs *fs)
{
    struct fs_reach r;
    ASSERT(arg != NULL);
    ASSERT(fs != NULL);
    if (fs_reach(fs, &r) == 0) {
        feature_emit_reach(arg, FEATURE_RECOVERED, &r);
    }
}

/* 3. GUIDED_STATES_MAX evenly spaced states, the last among them. */
static void
eval_states(const struct recording *rec, const struct crash_state *states, size_t count,
        FILE *out)
{
    struct checker c;
    if (checker_init(&c, rec) != 0) {
        fprintf(out, "V out of memory for the checker\n");
        return;
    }
    (void)checker_memo(&c);             /* Without it, the same verdicts, slower. */
    c.recovered = eval_recovered;
    c.recovered_arg = out;
    size_t n = FS_MIN(count, (size_t)GUIDED_STATES_MAX);
    for (size_t j = 0; j < n; j++) {
        const struct crash_state *s = &states[(j + 1) * count / n - 1];
        struct state_result r;
        if (checker_check(&c, s, &r) != 0) {
            continue;
        }
        feature_emit_probes(out, FEATURE_CHECK, r.probes);
        feature_emit(out, FEATURE_OUTCOME, outcome_name((enum outcome)r.outcome));
        if (outcome_is_violation((enum outcome)r.outcome)) {
            char id[CRASH_ID_MAX];
            crash_id_format(s, id, sizeof(id));
            fprintf(out, "V crash state %s: %s: %s\n", id, outcome_name((enum outcome)r.outcome),
                    r.reason);
        }
    }
    checker_deinit(&c);
}

/* 2 and 3. Record, then check a sample of the crash states. */
static void
eval_crashes(const struct trace *t, FILE *out)
{
    struct record_config cfg = { GUIDED_BLOCK_SIZE, GUIDED_DEVICE_SIZE, GUIDED_ARENAS,
        SYNC_PROFILE_FAITHFUL };
    struct recording rec;
    char err[512];
    (void)fs_probes_take();
    if (record_workload(&cfg, t, &rec, err, sizeof(err)) != 0) {
        fprintf(out, "V recording: %s\n", err);
        recording_free(&rec);
        return;
    }
    feature_emit_probes(out, FEATURE_RECORD, fs_probes_take());
    recording_drop_oracles(&rec);       /* The digests are all the checker needs. */
    struct fault_plan plan;
    int rc = fault_plan_parse(GUIDED_FAULTS, &plan, err, sizeof(err));
    ASSERT(rc == 0);
    struct crash_state *states = NULL;
    size_t count = 0;
    if (rec.violation[0] != '\0') {
        fprintf(out, "V recording: %s\n", rec.violation);
    } else if (fault_plan_enumerate(&rec.dev.disk.log, GUIDED_MODEL, &plan, &states,
            &count) != 0) {
        fprintf(out, "V out of memory for the crash states\n");
    } else {
        eval_states(&rec, states, count, out);
    }
    free(states);
    recording_free(&rec);
}

/* ---- The evaluation, in the parent. ---- */

/* Takes one line of the child's report. */
static void
eval_line(struct eval *e, const char *line, uint32_t step_count)
{
    uint32_t step;
    int err;
    size_t len = strcspn(line, "\n");
    if (sscanf(line, "E %" SCNu32 " %d", &step, &err) == 2 && step < step_count) {
        e->expect[step] = err;
        e->expect_count = FS_MAX(e->expect_count, step + 1);
    } else if (line[0] == 'F' && line[1] == ' ' && len - 2 < FEATURE_NAME_SIZE) {
        char name[FEATURE_NAME_SIZE];
        snprintf(name, sizeof(name), "%.*s", (int)(len - 2), line + 2);
        featset_add(&e->found, name);
    } else if (line[0] == 'V' && e->violation[0] == '\0') {
        snprintf(e->violation, sizeof(e->violation), "%.*s", (int)len - 2, line + 2);
    }
}

/* Why a child that did not exit 0 ended, into e->violation. */
static void
eval_died(struct eval *e, int status)
{
    if (WIFSIGNALED(status)) {
        snprintf(e->violation, sizeof(e->violation), "the evaluation died of signal %d (%s%s)",
                WTERMSIG(status), strsignal(WTERMSIG(status)),
                WTERMSIG(status) == SIGALRM ? ": it hung" : ", an assertion?");
    } else {
        snprintf(e->violation, sizeof(e->violation), "the evaluation exited %d",
                WEXITSTATUS(status));
    }
}

/* Evaluates t in a forked child. 0, or -1 when no child could be made. */
static int
evaluate(const struct trace *t, struct eval *e)
{
    memset(e, 0, sizeof(*e));
    e->expect = calloc(FS_MAX(t->count, 1u), sizeof(int));
    int fds[2];
    if (e->expect == NULL || pipe(fds) != 0) {
        return -1;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        FILE *out = fdopen(fds[1], "w");
        alarm(GUIDED_EVAL_SECONDS_MAX);
        if (out != NULL && eval_run(t, out) == 0) {
            eval_crashes(t, out);
        }
        _exit(out != NULL && fclose(out) == 0 ? 0 : 3);
    }
    close(fds[1]);
    FILE *in = pid > 0 ? fdopen(fds[0], "r") : NULL;
    char *line = NULL;
    size_t size = 0;
    while (in != NULL && getline(&line, &size, in) > 0) {
        eval_line(e, line, t->count);
    }
    free(line);
    if (in != NULL) {
        fclose(in);
    } else {
        close(fds[0]);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) {
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        eval_died(e, status);
    }
    return 0;
}

static void
eval_free(struct eval *e)
{
    free(e->expect);
    featset_free(&e->found);
}

/* ---- The corpus and the output. ---- */

/* Adds t (cut to MUTATE_STEPS_MAX steps) named name, as text. */
static void
corpus_add(struct guided *g, const struct trace *t, const char *name)
{
    if (g->corpus_count == g->corpus_cap) {
        uint32_t cap = g->corpus_cap ? 2 * g->corpus_cap : 64;
        struct corpus_entry *n = realloc(g->corpus, cap * sizeof(*n));
        ASSERT(n != NULL);
        g->corpus = n;
        g->corpus_cap = cap;
    }
    struct corpus_entry *e = &g->corpus[g->corpus_count++];
    struct trace cut = *t;
    cut.count = FS_MIN(t->count, MUTATE_STEPS_MAX);
    size_t size = 0;
    e->text = NULL;
    FILE *mem = open_memstream(&e->text, &size);
    ASSERT(mem != NULL);
    int rc = trace_write(mem, &cut, NULL);
    int closed = fclose(mem);
    ASSERT(rc == 0);
    ASSERT(closed == 0);
    snprintf(e->name, sizeof(e->name), "%s", name);
}

/* Corpus trace i, parsed into *out (trace_free it). */
static void
corpus_get(const struct guided *g, uint32_t i, struct trace *out)
{
    ASSERT(i < g->corpus_count);
    char err[512];
    int rc = trace_parse_text(g->corpus[i].name, g->corpus[i].text, out, err, sizeof(err));
    ASSERT(rc == 0);                /* Text the trace writer wrote. */
    ASSERT(out->count <= MUTATE_STEPS_MAX);
}

/* The features of e that g does not know yet, into fresh (sorted). */
static void
eval_new(const struct guided *g, const struct eval *e, struct featset *fresh)
{
    memset(fresh, 0, sizeof(*fresh));
    for (uint32_t i = 0; i < e->found.count; i++) {
        if (!featset_has(&g->known, e->found.names[i])) {
            featset_add(fresh, e->found.names[i]);
        }
    }
}

/* The features of set as lines of a comment: two spaces, then names;
 * what does not fit size is left out. */
static void
features_wrap(const struct featset *set, char *buf, size_t size)
{
    ASSERT(size > 0);
    size_t used = 0, column = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < set->count; i++) {
        size_t len = strlen(set->names[i]);
        const char *sep = column == 0 ? "  " : column + 1 + len > GUIDED_WRAP_COLUMNS ? "\n  "
            : " ";
        int n = snprintf(buf + used, size - used, "%s%s", sep, set->names[i]);
        if (n < 0 || (size_t)n >= size - used) {
            buf[used] = '\0';
            break;
        }
        used += (size_t)n;
        column = (strcmp(sep, " ") == 0 ? column + 1 : 2) + len;
    }
}

/* Writes t to path with a header of its own. 0, or -1 after a message. */
static int
write_trace_file(const char *path, const struct trace *t, const char *header)
{
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "crashsim gen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = trace_write(f, t, header);
    if (fclose(f) != 0 || rc != 0) {
        fprintf(stderr, "crashsim gen: %s: write error\n", path);
        return -1;
    }
    return 0;
}

/* A violating candidate goes to DIR/violations/CANDIDATE.trace. */
static int
save_violation(struct guided *g, const struct trace *t, const struct eval *e, const char *what)
{
    char path[GUIDED_PATH_SIZE], header[1024];
    g->violations++;
    snprintf(path, sizeof(path), "%s/violations", g->cfg->out_dir);
    if (mkdir(path, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "crashsim gen: %s: %s\n", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/violations/%s.trace", g->cfg->out_dir, what);
    snprintf(header, sizeof(header), "geometry: %s\n%s: a violation found by crashsim gen "
            "guided --seed %" PRIu64 ":\n%s", GUIDED_GEOMETRY, what, g->cfg->seed, e->violation);
    printf("%s: VIOLATION: %s (saved in %s)\n", what, e->violation, path);
    return write_trace_file(path, t, header);
}

/* A candidate that reached something new: its expectations become what it
 * did, it is written to DIR/NNNN-WORDS.trace and joins the corpus. 0, or -1
 * after a message. */
static int
keep(struct guided *g, struct trace *t, const struct eval *e, const struct featset *fresh,
        const char *words, const char *parent)
{
    ASSERT(e->expect_count == t->count);
    ASSERT(fresh->count > 0);
    for (uint32_t i = 0; i < t->count; i++) {
        t->steps[i].expect = e->expect[i];
    }
    char name[64], path[GUIDED_PATH_SIZE], list[16384], header[17408];
    snprintf(name, sizeof(name), "%04" PRIu32 "-%s", g->next_number++, words);
    snprintf(path, sizeof(path), "%s/%s.trace", g->cfg->out_dir, name);
    features_wrap(fresh, list, sizeof(list));
    snprintf(header, sizeof(header), "geometry: %s\n%s: kept by crashsim gen guided --seed %"
            PRIu64 ", candidate %" PRIu64 " (%s of %s).\nIt reached first (docs/GEN.md):\n%s",
            GUIDED_GEOMETRY, name, g->cfg->seed, g->candidates, words, parent, list);
    if (write_trace_file(path, t, header) != 0) {
        return -1;
    }
    printf("%s.trace:", name);
    for (uint32_t i = 0; i < fresh->count; i++) {
        printf("%s %s", i == 0 ? "" : ",", fresh->names[i]);
        featset_add(&g->known, fresh->names[i]);
    }
    printf("\n");
    g->kept++;
    corpus_add(g, t, name);
    return 0;
}

/* Evaluates a seed: its features count as known, and it joins the corpus. */
static int
seed_take(struct guided *g, const struct trace *t, const char *name)
{
    struct eval e;
    if (evaluate(t, &e) != 0) {
        fprintf(stderr, "crashsim gen: cannot evaluate %s: %s\n", name, strerror(errno));
        eval_free(&e);
        return -1;
    }
    uint32_t fresh = 0;
    for (uint32_t i = 0; i < e.found.count; i++) {
        fresh += featset_add(&g->known, e.found.names[i]);
    }
    printf("seed %s: %" PRIu32 " features, %" PRIu32 " new\n", name, e.found.count, fresh);
    if (e.violation[0] != '\0') {
        g->violations++;
        printf("seed %s: VIOLATION: %s\n", name, e.violation);
    }
    corpus_add(g, t, name);
    eval_free(&e);
    return 0;
}

/* The seeds: every trace of --from, or else one empty trace. */
static int
seeds_take(struct guided *g)
{
    if (g->cfg->from_dir == NULL) {
        struct trace empty = { .count = 0 };
        return seed_take(g, &empty, "empty");
    }
    char *paths[GUIDED_SEEDS_MAX];
    int32_t n = input_workload_dir(g->cfg->from_dir, paths, GUIDED_SEEDS_MAX);
    int rc = n > 0 ? 0 : -1;
    if (n <= 0) {
        fprintf(stderr, "crashsim gen: --from %s: %s\n", g->cfg->from_dir,
                n < 0 && errno == E2BIG ? "more traces than a corpus takes (256)"
                : n < 0 ? strerror(errno) : "no *.trace files");
    }
    for (int32_t i = 0; i < n; i++) {
        struct trace t;
        char err[512];
        if (rc == 0 && trace_parse_file(paths[i], &t, err, sizeof(err)) != 0) {
            fprintf(stderr, "%s\n", err);
            rc = -1;
        } else if (rc == 0) {
            const char *base = strrchr(paths[i], '/');
            rc = seed_take(g, &t, base != NULL ? base + 1 : paths[i]);
            trace_free(&t);
        }
        free(paths[i]);
    }
    return rc;
}

/* Draws a candidate from the corpus: a parent and one to three mutations,
 * their words joined by '-' into words. 0 or FS_ENOMEM. */
static int
candidate_make(struct guided *g, struct trace *t, char *words, size_t size, uint32_t *parent)
{
    ASSERT(g->corpus_count >= 1);
    ASSERT(size > 0);
    *parent = (uint32_t)(prng_splitmix64(&g->rng) % g->corpus_count);
    corpus_get(g, *parent, t);
    uint32_t n = 1 + (uint32_t)(prng_splitmix64(&g->rng) % GUIDED_MUTATIONS_MAX);
    words[0] = '\0';
    int err = 0;
    for (uint32_t i = 0; !err && i < n; i++) {
        enum mutation m = (enum mutation)(prng_splitmix64(&g->rng) % MUTATION_COUNT), done;
        struct trace other = { .count = 0 };
        if (m == MUTATION_SPLICE) {
            corpus_get(g, (uint32_t)(prng_splitmix64(&g->rng) % g->corpus_count), &other);
        }
        err = mutate(t, m, &g->rng, m == MUTATION_SPLICE ? &other : NULL, &done);
        trace_free(&other);
        size_t used = strlen(words);
        snprintf(words + used, size - used, "%s%s", i == 0 ? "" : "-", mutation_word(done));
    }
    for (uint32_t i = 0; i < t->count; i++) {
        t->steps[i].line = i + 1;           /* Where a violation message points. */
        t->steps[i].column = 1;
    }
    snprintf(t->name, sizeof(t->name), "candidate %" PRIu64, g->candidates);
    return err;
}

/* One candidate: made, evaluated, kept or saved. 0, or -1 after a message. */
static int
candidate_run(struct guided *g)
{
    struct trace t = { .count = 0 };
    char words[48];
    uint32_t parent;
    struct eval e;
    int rc = candidate_make(g, &t, words, sizeof(words), &parent) == 0 ? 0 : -1;
    if (rc != 0) {
        fprintf(stderr, "crashsim gen: out of memory for a candidate\n");
    } else if (evaluate(&t, &e) != 0) {
        fprintf(stderr, "crashsim gen: cannot evaluate a candidate: %s\n", strerror(errno));
        rc = -1;
    }
    if (rc == 0) {
        g->candidates++;
        struct featset fresh;
        eval_new(g, &e, &fresh);
        if (e.violation[0] != '\0') {
            char what[32];
            snprintf(what, sizeof(what), "candidate-%" PRIu64, g->candidates);
            rc = save_violation(g, &t, &e, what);
        } else if (fresh.count > 0) {
            rc = keep(g, &t, &e, &fresh, words, g->corpus[parent].name);
        }
        featset_free(&fresh);
        eval_free(&e);
    }
    trace_free(&t);
    return rc;
}

/* DIR exists (made if missing) and takes new files; else a message and -1. */
static int
out_dir_ready(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "crashsim gen: guided: --out %s: %s\n", dir, strerror(errno));
        return -1;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "crashsim gen: guided: --out %s: %s\n", dir,
                stat(dir, &st) == 0 && !S_ISDIR(st.st_mode) ? "not a directory"
                : "not a directory this user can write");
        return -1;
    }
    return 0;
}

static void
guided_free(struct guided *g)
{
    for (uint32_t i = 0; i < g->corpus_count; i++) {
        free(g->corpus[i].text);
    }
    free(g->corpus);
    featset_free(&g->known);
}

int
guided_run(const struct guided_config *cfg)
{
    ASSERT(cfg->out_dir != NULL);
    ASSERT(cfg->candidates_max != UINT64_MAX || cfg->seconds_max != 0);
    if (out_dir_ready(cfg->out_dir) != 0) {
        return 2;
    }
    char *existing[GUIDED_SEEDS_MAX];
    int32_t n = input_workload_dir(cfg->out_dir, existing, GUIDED_SEEDS_MAX);
    if (n < 0) {                    /* Numbering new traces needs every old one counted. */
        fprintf(stderr, "crashsim gen: --out %s: %s\n", cfg->out_dir, errno == E2BIG
                ? "holds more traces than a corpus takes (256): use another directory"
                : strerror(errno));
        return 2;
    }
    struct guided g = { .cfg = cfg, .rng = cfg->seed, .next_number = (uint32_t)FS_MAX(n, 0) };
    for (int32_t i = 0; i < n; i++) {
        free(existing[i]);
    }
    uint64_t t0 = clock_now_ns();
    int rc = seeds_take(&g);
    g.seed_features = g.known.count;
    for (; rc == 0 && g.candidates < cfg->candidates_max; ) {
        if (cfg->seconds_max != 0 && clock_now_ns() - t0 >= cfg->seconds_max * 1000000000ull) {
            break;
        }
        rc = candidate_run(&g);
    }
    printf("%" PRIu64 " candidates run, %" PRIu32 " kept, %" PRIu32 " features (%" PRIu32
            " from the seeds), %" PRIu64 " violations, %.1f s; corpus in %s\n", g.candidates,
            g.kept, g.known.count, g.seed_features, g.violations,
            (double)(clock_now_ns() - t0) / 1e9, cfg->out_dir);
    for (uint32_t i = 0; cfg->list_features && i < g.known.count; i++) {
        printf("feature %s\n", g.known.names[i]);
    }
    guided_free(&g);
    return rc != 0 ? 2 : g.violations > 0 ? 1 : 0;
}
