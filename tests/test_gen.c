/*
 * tests/test_gen.c: the trace generators (traces/gen.h) and the standard
 * workloads (the .trace files of traces/workloads/).
 *
 * Method. A trace runs against a file system on a fresh memory device and
 * against the oracle (sim/oracle/oracle.h) side by side (struct rx): every step must
 * return exactly what it expects (success, or its expect= error) and
 * oracle_step must accept the result; after every sync and snapshot step,
 * and at the end, oracle_digest_fs must equal oracle_digest. While it runs,
 * each step is classified from the file system's state just before it (an
 * append, an overwrite inside the data, a write past the end, a shrink, a
 * rename of a directory, a rename back, a rename into a name freed earlier,
 * the shape of the label a snapshot delete removes, ...) and counted in a
 * struct reach, with the tallest tree, the most deadlist records, and
 * fs_stats at the end. Tests then assert on those counts, so a generator or
 * a workload that stopped reaching its target fails here.
 *
 * The standard workloads are also recorded with record_workload (sim/record/runner.h)
 * on the geometry their header names ("# geometry: --size 8M ..."), which must
 * report no violation.
 *
 * ACE: the counts of lengths 1..3 are the numbers traces/GENERATORS.md
 * documents; every trace of lengths 1..3 runs cleanly; every dependency step
 * is needed (without it a later step fails in the oracle, or a core operation
 * loses its shape: an overwrite no longer inside the data, a truncate no
 * longer a shrink).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/state.h"
#include "../fs/tree.h"
#include "../sim/cli/cli.h"
#include "../sim/oracle/oracle.h"
#include "../sim/record/runner.h"
#include "../traces/gen.h"
#include "../traces/trace.h"

#define NONE UINT64_MAX
#define LABELS_MAX 64u                  /* Labels a workload keeps at once. */
#define HOLE_SCAN_SIZE_MAX (64u * MIB)  /* Bytes of the largest file scanned for holes. */

/* ---- What a run reached. ---- */

struct reach {
    uint32_t steps;                     /* Steps run. */
    uint32_t op[TRACE_OP_COUNT];        /* Steps per op. */
    uint32_t expected_errors;           /* Steps that failed as their expect= said. */
    uint32_t errors[128];               /* Of those, per -FS_E* code. */
    uint32_t enospc;                    /* Of those, FS_ENOSPC. */
    uint32_t writes_after_enospc;       /* Writes that succeeded after the last FS_ENOSPC. */
    uint32_t append;                    /* Writes at the end of a file. */
    uint32_t overwrite;                 /* Writes inside the data. */
    uint32_t overwrite_across;          /* Of those: unaligned and across a block boundary. */
    uint32_t extend;                    /* Writes from inside the data past the end. */
    uint32_t sparse;                    /* Writes past the end (a hole before them). */
    uint64_t write_off_min;             /* Smallest write offset, bytes. */
    uint64_t write_end_max;             /* Largest write end, bytes. */
    uint32_t shrink;                    /* Truncates to less. */
    uint32_t grow;                      /* Truncates to more. */
    uint32_t rm_file;                   /* Removals of files. */
    uint32_t rm_dir;                    /* Removals of directories. */
    uint32_t mv_file;                   /* Renames of files. */
    uint32_t mv_dir;                    /* Renames of directories. */
    uint32_t mv_back;                   /* Renames undoing an earlier rename. */
    uint32_t mv_freed;                  /* Renames onto a name removed or renamed away before. */
    uint32_t height_max;                /* Tallest mounted tree. */
    uint32_t height_end;                /* Its height at the end. */
    uint32_t leaves_max;                /* Most leaves of the mounted tree at a commit. */
    uint32_t leaves_end;                /* Its leaves at the end. */
    uint64_t compress_first_sync;       /* log_compress_count after the first sync step. */
    bool first_sync_seen;               /* compress_first_sync is set. */
    uint64_t dlist_max;                 /* Most deadlist records after a commit. */
    uint64_t dlist_end;                 /* Deadlist records at the end. */
    uint32_t del_succ;                  /* Deletes of a label whose record has a successor. */
    uint32_t del_leaf;                  /* ... of a leaf record (no successor, no fork). */
    uint32_t del_fork_only;             /* ... of a record whose only successor is a fork. */
    uint32_t del_fork_chain;            /* ... of a record with a chain successor and a fork. */
    uint32_t del_shared;                /* ... of one of several labels of a record. */
    uint32_t del_merge;                 /* Deletes that merge deadlists into a successor. */
    uint32_t cascades;                  /* Deletes that removed a second, unlabelled record. */
    uint32_t labels_max;                /* Most labels at once, main included. */
    uint64_t big_size;                  /* Bytes of the largest file at the end. */
    uint64_t big_zero_blocks;           /* Its blocks that read as zeros (holes). */
    uint64_t big_data_blocks;           /* Its blocks that do not. */
    struct fs_stats stats;              /* At the end. */
};

static void
reach_init(struct reach *r)
{
    memset(r, 0, sizeof(*r));
    r->write_off_min = NONE;
}

/* A trace against a fresh file system and the oracle. */
struct rx {
    struct bdev dev;            /* Memory device. */
    struct fs *fs;              /* Mounted. */
    struct oracle *m;            /* The oracle. */
    const struct trace *t;      /* The trace. */
    uint32_t block_size;        /* Bytes. */
    struct reach *r;            /* Counters. */
    char **freed;               /* Paths removed or renamed away. */
    uint32_t freed_count;       /* Entries. */
    char **moves;               /* Renames done: from, to, from, to, ... */
    uint32_t move_count;        /* Strings (two per rename). */
    uint32_t cap;               /* Entries allocated in each list. */
};

static void
rx_open(struct rx *x, uint32_t block_size, uint64_t device_size, uint32_t arenas,
        const struct trace *t, struct reach *r)
{
    memset(x, 0, sizeof(*x));
    util_mem_open(&x->dev, block_size, device_size / block_size);
    x->fs = util_format_mount(&x->dev, arenas);
    x->m = oracle_new();
    assert_non_null(x->m);
    x->t = t;
    x->block_size = block_size;
    x->r = r;
}

static void
strs_free(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static void
rx_close(struct rx *x)
{
    util_unmount(x->fs);
    bdev_mem_close(&x->dev);
    oracle_free(x->m);
    strs_free(x->freed, x->freed_count);
    strs_free(x->moves, x->move_count);
}

static void
rx_remember(struct rx *x, char ***list, uint32_t *count, const char *s)
{
    if (*count + 2 > x->cap) {
        x->cap = x->cap ? 2 * x->cap : 64;
        char **nf = realloc(x->freed, x->cap * sizeof(char *));
        assert_non_null(nf);
        x->freed = nf;
        char **nm = realloc(x->moves, x->cap * sizeof(char *));
        assert_non_null(nm);
        x->moves = nm;
    }
    char *copy = strdup(s);
    assert_non_null(copy);
    (*list)[(*count)++] = copy;
}

static bool
rx_freed(const struct rx *x, const char *path)
{
    for (uint32_t i = 0; i < x->freed_count; i++) {
        if (strcmp(x->freed[i], path) == 0) {
            return true;
        }
    }
    return false;
}

/* True if a rename to -> from was done before. */
static bool
rx_moved_back(const struct rx *x, const char *from, const char *to)
{
    for (uint32_t i = 0; i + 1 < x->move_count; i += 2) {
        if (strcmp(x->moves[i], to) == 0 && strcmp(x->moves[i + 1], from) == 0) {
            return true;
        }
    }
    return false;
}

/* Fails the test with the step and why. */
static void
rx_fail(const struct rx *x, const struct trace_step *s, const char *why)
{
    char line[TRACE_LINE_MAX];
    trace_step_format(s, line, sizeof(line));
    util_note("%s:%" PRIu32 ": %s: %s", x->t->name, s->line, line, why);
    fail();
}

/* ---- Classifying steps. ---- */

static void
classify_write(struct rx *x, const struct trace_step *s, const struct fs_stat *st)
{
    struct reach *r = x->r;
    uint64_t end = s->offset + s->length, bs = x->block_size;
    r->write_off_min = FS_MIN(r->write_off_min, s->offset);
    r->write_end_max = FS_MAX(r->write_end_max, end);
    if (s->offset == st->size) {
        r->append++;
    } else if (end <= st->size) {
        r->overwrite++;
        bool aligned = s->offset % bs == 0 && s->length % bs == 0;
        r->overwrite_across += !aligned && s->offset / bs != (end - 1) / bs;
    } else if (s->offset < st->size) {
        r->extend++;
    } else {
        r->sparse++;
    }
}

/* Counts what kind of step s is, from the file system's state before it. */
static void
classify_before(struct rx *x, const struct trace_step *s)
{
    struct reach *r = x->r;
    struct fs_stat st;
    if (s->expect != 0 || (s->op != TRACE_WRITE && s->op != TRACE_TRUNCATE
            && s->op != TRACE_RM && s->op != TRACE_MV)) {
        return;
    }
    if (fs_stat(x->fs, s->path, &st) != 0) {
        rx_fail(x, s, "fs_stat of the path before the step failed");
    }
    switch (s->op) {
    case TRACE_WRITE:
        if (s->length > 0) {
            classify_write(x, s, &st);
        }
        break;
    case TRACE_TRUNCATE:
        r->shrink += s->length < st.size;
        r->grow += s->length > st.size;
        break;
    case TRACE_RM:
        r->rm_dir += st.is_dir;
        r->rm_file += !st.is_dir;
        break;
    default:
        r->mv_dir += st.is_dir;
        r->mv_file += !st.is_dir;
        r->mv_back += rx_moved_back(x, s->path, s->path2);
        r->mv_freed += rx_freed(x, s->path2);
        break;
    }
}

/* Remembers the names a successful step frees and the renames it does. */
static void
note_after(struct rx *x, const struct trace_step *s, int got)
{
    if (got != 0) {
        return;
    }
    if (s->op == TRACE_RM || s->op == TRACE_MV) {
        rx_remember(x, &x->freed, &x->freed_count, s->path);
    }
    if (s->op == TRACE_MV) {
        rx_remember(x, &x->moves, &x->move_count, s->path);
        rx_remember(x, &x->moves, &x->move_count, s->path2);
    }
    if (s->op == TRACE_WRITE && x->r->enospc > 0) {
        x->r->writes_after_enospc++;            /* Since the last FS_ENOSPC. */
    }
}

/* ---- Snapshot shapes: labels and records before and after a delete. ---- */

struct labels {
    struct fs_snapinfo info[LABELS_MAX];    /* In name order. */
    uint32_t count;                         /* Entries. */
};

static int
labels_fn(void *arg, const struct fs_snapinfo *info)
{
    struct labels *l = arg;
    assert_true(l->count < LABELS_MAX);
    l->info[l->count++] = *info;
    return 0;
}

static void
labels_take(struct fs *fs, struct labels *l)
{
    l->count = 0;
    CHECK_ERR(fs_snap_list(fs, labels_fn, l), 0);
}

static const struct fs_snapinfo *
labels_find(const struct labels *l, const char *name)
{
    for (uint32_t i = 0; i < l->count; i++) {
        if (strcmp(l->info[i].name, name) == 0) {
            return &l->info[i];
        }
    }
    return NULL;
}

struct key_count {
    uint64_t count;             /* Keys seen. */
    uint64_t killer;            /* Deadlists: only this killer (NONE: any). */
    uint64_t birth_max;         /* Deadlists: only births at or below this. */
};

static int
key_count_fn(void *arg, const struct kv *kv)
{
    struct key_count *c = arg;
    if (kv->k[0] == FMT_KDLIST) {
        assert_int_equal(kv->nk, FMT_KDLIST_SIZE);
        uint64_t killer = fmt_get64(kv->k + 1), birth = fmt_get64(kv->k + 9);
        c->count += (c->killer == NONE || killer == c->killer) && birth <= c->birth_max;
    } else {
        c->count++;
    }
    return 0;
}

/* Snapshot-tree keys of a kind: Ksnap records, or Kdlist deadlist records of
 * killer (NONE: all) with births at or below birth_max. */
static uint64_t
snap_keys(struct fs *fs, uint8_t kind, uint64_t killer, uint64_t birth_max)
{
    uint8_t prefix[9];
    prefix[0] = kind;
    fmt_put64(prefix + 1, killer);
    struct key_count c = { 0, killer, birth_max };
    uint16_t n = kind == FMT_KDLIST && killer != NONE ? 9 : 1;
    CHECK_ERR(tree_scan(fs, &fs->snap, NULL, 0, prefix, n, key_count_fn, &c), 0);
    return c.count;
}

/* Before a snapshot delete: the shape of what it deletes. */
static void
classify_delete(struct rx *x, const struct trace_step *s, struct labels *before,
        uint64_t *records)
{
    struct reach *r = x->r;
    labels_take(x->fs, before);
    *records = snap_keys(x->fs, FMT_KSNAP, NONE, NONE);
    const struct fs_snapinfo *d = labels_find(before, s->path);
    if (d == NULL || s->expect != 0) {
        return;
    }
    if (d->nlbl >= 2) {
        r->del_shared++;
    } else if (d->succ != NONE) {
        r->del_succ += d->nref == 1;
        r->del_fork_chain += d->nref >= 2;
    } else {
        r->del_leaf += d->nref == 0;
        r->del_fork_only += d->nref >= 1;
    }
    bool merge = d->nlbl == 1 && d->nref == 1 && d->pred != NONE
        && snap_keys(x->fs, FMT_KDLIST, d->gen, d->pred) > 0;
    r->del_merge += merge;
    if (getenv("GEN_VERBOSE") != NULL) {
        util_note("%s:%" PRIu32 ": snap delete %s: gen %" PRIu64 " nlbl %" PRIu32 " nref %"
                PRIu32 " succ %s pred %s%s; %" PRIu64 " records", x->t->name, s->line, s->path,
                d->gen, d->nlbl, d->nref, d->succ == NONE ? "none" : "yes",
                d->pred == NONE ? "none" : "yes", merge ? ", merges deadlists" : "", *records);
    }
}

/* After it: a record count down by two or more is a cascade. */
static void
classify_delete_after(struct rx *x, uint64_t records_before)
{
    uint64_t after = snap_keys(x->fs, FMT_KSNAP, NONE, NONE);
    x->r->cascades += after + 2 <= records_before;
    if (getenv("GEN_VERBOSE") != NULL) {
        util_note("    records after: %" PRIu64, after);
    }
}

/* ---- Running. ---- */

static void
rx_compare(struct rx *x, const char *when)
{
    uint64_t d = 0;
    int err = oracle_digest_fs(x->fs, &d);
    if (err != 0 || d != oracle_digest(x->m)) {
        static char diff[4096];
        oracle_diff(x->m, x->fs, diff, sizeof(diff));
        util_note("%s: %s: the file system differs from the oracle (%s):\n%s", x->t->name, when,
                fs_strerror(err), diff);
        fail();
    }
}

static bool
is_snap(enum trace_op op)
{
    return op == TRACE_SNAP_LABEL || op == TRACE_SNAP_FORK || op == TRACE_SNAP_DELETE;
}

static int
leaves_fn(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    (void)bp;
    (void)buf;
    *(uint32_t *)arg += height == 1;
    return 0;
}

/* Leaves of the mounted tree. */
static uint32_t
tree_leaves(struct fs *fs)
{
    uint32_t n = 0;
    CHECK_ERR(tree_walk(fs, &fs->tree, leaves_fn, &n), 0);
    CHECK_TRUE(n > 0);
    return n;
}

static void
rx_step(struct rx *x, const struct trace_step *s)
{
    struct labels before;
    uint64_t records = 0;
    classify_before(x, s);
    if (s->op == TRACE_SNAP_DELETE) {
        classify_delete(x, s, &before, &records);
    }
    int got = runner_step(x->fs, s);
    if (got != s->expect) {
        char why[128];
        snprintf(why, sizeof(why), "got %s, expected %s", fs_strerror(got),
                s->expect ? fs_strerror(s->expect) : "success");
        rx_fail(x, s, why);
    }
    char why[512];
    if (oracle_step(x->m, s, got, why, sizeof(why)) != 0) {
        rx_fail(x, s, why);
    }
    struct reach *r = x->r;
    r->steps++;
    r->op[s->op]++;
    r->expected_errors += s->expect != 0;
    r->errors[-s->expect]++;
    r->enospc += got == FS_ENOSPC;
    r->writes_after_enospc = got == FS_ENOSPC ? 0 : r->writes_after_enospc;
    if (s->op == TRACE_SYNC && !r->first_sync_seen) {
        r->first_sync_seen = true;
        r->compress_first_sync = fs_stats(x->fs)->log_compress_count;
    }
    note_after(x, s, got);
    r->height_max = FS_MAX(r->height_max, x->fs->tree.height);
    if (s->op == TRACE_SNAP_DELETE) {
        classify_delete_after(x, records);
    }
    if (s->op == TRACE_SYNC || (is_snap(s->op) && got == 0)) {
        rx_compare(x, "after a commit");
        r->dlist_max = FS_MAX(r->dlist_max, snap_keys(x->fs, FMT_KDLIST, NONE, NONE));
        struct labels now;
        labels_take(x->fs, &now);
        r->labels_max = FS_MAX(r->labels_max, now.count);
        r->leaves_max = FS_MAX(r->leaves_max, tree_leaves(x->fs));
    }
}

struct biggest {
    char path[TRACE_PATH_MAX];      /* The largest file. */
    uint64_t size;                  /* Its bytes. */
};

static int
biggest_fn(void *arg, const char *path, bool is_dir, uint64_t size)
{
    struct biggest *b = arg;
    if (!is_dir && size > b->size) {
        snprintf(b->path, sizeof(b->path), "%s", path);
        b->size = size;
    }
    return 0;
}

/* Reads the largest file block by block (up to HOLE_SCAN_SIZE_MAX): how many
 * blocks read as zeros, and that the oracle agrees on each. */
static void
rx_scan_biggest(struct rx *x)
{
    struct biggest b = { "", 0 };
    CHECK_EQ(oracle_walk(x->m, biggest_fn, &b), 0);
    struct reach *r = x->r;
    r->big_size = b.size;
    uint32_t bs = x->block_size;
    uint8_t *got = malloc(bs), *want = malloc(bs), *zero = calloc(1, bs);
    assert_true(got != NULL && want != NULL && zero != NULL);
    for (uint64_t off = 0; off < FS_MIN(b.size, HOLE_SCAN_SIZE_MAX); off += bs) {
        size_t n = 0, m = 0;
        CHECK_ERR(fs_read(x->fs, b.path, off, got, bs, &n), 0);
        CHECK_ERR(oracle_read(x->m, b.path, off, want, bs, &m), 0);
        CHECK_EQ(n, m);
        assert_memory_equal(got, want, n);
        bool z = memcmp(got, zero, n) == 0;
        r->big_zero_blocks += z;
        r->big_data_blocks += !z;
    }
    free(got);
    free(want);
    free(zero);
}

/* Runs a whole trace on a fresh file system: every step as expected, the
 * oracle agreeing at every commit and at the end. */
static void
run_trace(const struct trace *t, uint32_t block_size, uint64_t device_size, uint32_t arenas,
        bool scan, struct reach *r)
{
    struct rx x;
    rx_open(&x, block_size, device_size, arenas, t, r);
    for (uint32_t i = 0; i < t->count; i++) {
        rx_step(&x, &t->steps[i]);
    }
    CHECK_ERR(fs_sync(x.fs), 0);
    rx_compare(&x, "at the end");
    r->stats = *fs_stats(x.fs);
    r->height_end = x.fs->tree.height;
    r->leaves_end = tree_leaves(x.fs);
    r->dlist_end = snap_keys(x.fs, FMT_KDLIST, NONE, NONE);
    if (scan) {
        rx_scan_biggest(&x);
    }
    rx_close(&x);
}

/* ---- gen_random ---- */

#define RANDOM_OPS 300u             /* Steps of the traces run against the fs. */
#define RANDOM_FILES 6u             /* Their file count. */
#define RANDOM_SIZE_MAX (64u * KIB) /* Their largest file. */
#define RANDOM_SEEDS 40u            /* Seeds run against the fs. */

static bool
traces_same(const struct trace *a, const struct trace *b)
{
    if (a->count != b->count) {
        return false;
    }
    for (uint32_t i = 0; i < a->count; i++) {
        if (!trace_step_same(&a->steps[i], &b->steps[i])) {
            return false;
        }
    }
    return true;
}

/* The same arguments give the same trace; other seeds give other traces. */
static void
gen_random_deterministic(void **state)
{
    (void)state;
    struct trace t[16], again;
    for (uint32_t i = 0; i < 16; i++) {
        CHECK_ERR(gen_random(i + 1, 500, 8, 64 * KIB, &t[i]), 0);
        CHECK_EQ(t[i].count, 500);
        CHECK_ERR(gen_random(i + 1, 500, 8, 64 * KIB, &again), 0);
        assert_true(traces_same(&t[i], &again));
        trace_free(&again);
    }
    for (uint32_t i = 0; i < 16; i++) {
        for (uint32_t j = i + 1; j < 16; j++) {
            assert_false(traces_same(&t[i], &t[j]));
        }
    }
    CHECK_ERR(gen_random(3, 500, 9, 64 * KIB, &again), 0);   /* Other arguments matter too. */
    assert_false(traces_same(&t[2], &again));
    trace_free(&again);
    for (uint32_t i = 0; i < 16; i++) {
        trace_free(&t[i]);
    }
}

/* Out-of-range arguments are refused, and leave an empty trace. */
static void
gen_random_arguments(void **state)
{
    (void)state;
    struct trace t;
    CHECK_ERR(gen_random(1, GEN_STEPS_MAX + 1, 8, 4096, &t), FS_EINVAL);
    CHECK_EQ(t.count, 0);
    CHECK_ERR(gen_random(1, 10, 0, 4096, &t), FS_EINVAL);
    CHECK_ERR(gen_random(1, 10, GEN_FILES_MAX + 1, 4096, &t), FS_EINVAL);
    CHECK_ERR(gen_random(1, 10, 8, 0, &t), FS_EINVAL);
    CHECK_ERR(gen_random(1, 10, 8, GEN_SIZE_MAX + 1, &t), FS_EINVAL);
    CHECK_ERR(gen_random(1, 0, 8, 4096, &t), 0);
    CHECK_EQ(t.count, 0);
    trace_free(&t);
    CHECK_ERR(gen_random(1, 200, 1, 1, &t), 0);              /* Tiny bounds still work. */
    for (uint32_t i = 0; i < t.count; i++) {
        const struct trace_step *s = &t.steps[i];
        assert_true(s->op != TRACE_WRITE || s->expect != 0 || s->offset + s->length <= 1);
    }
    struct reach r;
    reach_init(&r);
    run_trace(&t, 4 * KIB, 4 * MIB, 0, false, &r);
    trace_free(&t);
}

/* Writes the trace in the format and parses it back: the same steps. */
static void
round_trip(const struct trace *t)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    CHECK_EQ(trace_write(f, t, "round trip\nof a generated trace"), 0);
    CHECK_EQ(fclose(f), 0);
    struct trace back;
    char err[256];
    if (trace_parse_text("generated", text, &back, err, sizeof(err)) != 0) {
        util_note("%s", err);
        fail();
    }
    assert_true(traces_same(t, &back));
    trace_free(&back);
    free(text);
}

static void
reach_note(const char *name, const struct reach *r)
{
    util_note("%s: %u steps (%u expected errors, %u ENOSPC); writes: %u append, %u overwrite "
            "(%u across a block boundary), %u extend, %u past the end; truncate %u shrink, %u "
            "grow; rm %u files, %u dirs; mv %u files, %u dirs, %u back, %u onto freed names",
            name, r->steps, r->expected_errors, r->enospc, r->append, r->overwrite,
            r->overwrite_across, r->extend, r->sparse, r->shrink, r->grow, r->rm_file,
            r->rm_dir, r->mv_file, r->mv_dir, r->mv_back, r->mv_freed);
    util_note("%s: %u syncs, %u labels, %u forks, %u deletes (succ %u, leaf %u, fork-only %u, "
            "fork+chain %u, shared %u, merging %u, cascades %u), labels at most %u; height %u "
            "(%u at the end), leaves %u (%u at the end); deadlist records %" PRIu64 " (%" PRIu64
            " at the end); log grow %" PRIu64 ", compress %" PRIu64 " (%" PRIu64
            " after the first sync), enospc %" PRIu64 "; largest file %" PRIu64 " bytes, %"
            PRIu64 " zero blocks, %" PRIu64 " data blocks", name, r->op[TRACE_SYNC], r->op[TRACE_SNAP_LABEL],
            r->op[TRACE_SNAP_FORK], r->op[TRACE_SNAP_DELETE], r->del_succ, r->del_leaf,
            r->del_fork_only, r->del_fork_chain, r->del_shared, r->del_merge, r->cascades,
            r->labels_max, r->height_max, r->height_end, r->leaves_max, r->leaves_end,
            r->dlist_max, r->dlist_end, r->stats.log_grow_count, r->stats.log_compress_count,
            r->compress_first_sync, r->stats.enospc_count, r->big_size,
            r->big_zero_blocks, r->big_data_blocks);
}

/* Long traces use every op of the format in every shape, syncs and snapshot
 * steps in the intended proportions, and stay within their bounds. */
static void
gen_random_coverage(void **state)
{
    (void)state;
    struct reach r;
    reach_init(&r);
    uint32_t total = 0;
    for (uint64_t seed = 100; seed < 104; seed++) {
        struct trace t;
        CHECK_ERR(gen_random(seed, 2000, 8, 64 * KIB, &t), 0);
        for (uint32_t i = 0; i < t.count; i++) {
            const struct trace_step *s = &t.steps[i];
            assert_true(s->op != TRACE_WRITE || s->offset + s->length <= 64 * KIB);
            assert_true(s->op != TRACE_TRUNCATE || s->length <= 64 * KIB);
        }
        round_trip(&t);
        run_trace(&t, seed % 2 ? 16 * KIB : 4 * KIB, 32 * MIB, 0, false, &r);
        total += t.count;
        trace_free(&t);
    }
    reach_note("coverage", &r);
    for (uint32_t op = 0; op < TRACE_OP_COUNT; op++) {
        if (r.op[op] == 0) {
            util_note("no %s step", trace_op_name((enum trace_op)op));
        }
        assert_true(r.op[op] > 0);
    }
    /* A sync about every 10 steps, a snapshot step about every 25. */
    CHECK_TRUE(r.op[TRACE_SYNC] * 100 >= total * 7 && r.op[TRACE_SYNC] * 100 <= total * 14);
    uint32_t snaps = r.op[TRACE_SNAP_LABEL] + r.op[TRACE_SNAP_FORK] + r.op[TRACE_SNAP_DELETE];
    CHECK_TRUE(snaps * 100 >= total * 2 && snaps * 100 <= total * 6);
    uint32_t shapes[] = { r.append, r.overwrite, r.overwrite_across, r.extend, r.sparse,
        r.shrink, r.grow, r.rm_file, r.rm_dir, r.mv_file, r.mv_dir, r.mv_freed, r.del_succ,
        r.del_leaf, r.expected_errors };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(shapes); i++) {
        if (shapes[i] == 0) {
            util_note("shape %u never reached", i);
        }
        assert_true(shapes[i] > 0);
    }
    CHECK_EQ(r.enospc, 0);                  /* The image was large enough. */
    CHECK_TRUE(r.expected_errors * 100 <= total * 6);
    static const int errs[] = { FS_EEXIST, FS_ENOENT, FS_ENOTEMPTY, FS_EISDIR, FS_EXDEV,
        FS_EPERM, FS_ENOTDIR };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(errs); i++) {
        if (r.errors[-errs[i]] == 0) {
            util_note("no step expected %s", fs_strerror(errs[i]));
        }
        assert_true(r.errors[-errs[i]] > 0);
    }
}

/* A few dozen seeds, each run against a fresh file system and the oracle. */
static void
gen_random_runs(void **state)
{
    (void)state;
    struct reach r;
    reach_init(&r);
    for (uint64_t seed = 1; seed <= RANDOM_SEEDS; seed++) {
        struct trace t;
        CHECK_ERR(gen_random(seed, RANDOM_OPS, RANDOM_FILES, RANDOM_SIZE_MAX, &t), 0);
        run_trace(&t, seed % 2 ? 4 * KIB : 16 * KIB, 16 * MIB, 0, false, &r);
        trace_free(&t);
    }
    reach_note("runs", &r);
    CHECK_EQ(r.steps, RANDOM_SEEDS * RANDOM_OPS);
    CHECK_EQ(r.enospc, 0);
}

/* ---- gen_ace ---- */

/* Sequences of lengths 1, 2, 3, as traces/GENERATORS.md documents them. */
static const uint64_t ace_counts[3] = { 14, 392, 10976 };

/* Dependency steps of each menu operation alone (length 1), in menu order,
 * as GENERATORS.md lists them. */
static const uint32_t ace_deps_alone[GEN_ACE_MENU_COUNT] = {
    0, 1, 0, 2, 1, 3, 3, 2, 1, 2, 1, 1, 0, 1,
};

struct ace_tally {
    uint64_t count;             /* Cases seen. */
    uint64_t *hashes;           /* Hash of each trace's steps. */
    uint64_t dep_steps;         /* Dependency steps, summed. */
    struct reach r;             /* Runs against the fs. */
};

static int
ace_count_fn(void *arg, const struct gen_ace_case *c)
{
    struct ace_tally *a = arg;
    CHECK_EQ(c->index, a->count);
    a->count++;
    return 0;
}

/* The documented counts; lengths out of range are refused. */
static void
gen_ace_counts(void **state)
{
    (void)state;
    for (uint32_t length = 1; length <= 3; length++) {
        struct ace_tally a = { 0 };
        CHECK_ERR(gen_ace(length, ace_count_fn, &a), 0);
        CHECK_EQ(a.count, ace_counts[length - 1]);
        CHECK_EQ(gen_ace_count(length), ace_counts[length - 1]);
    }
    CHECK_EQ(gen_ace_count(4), 307328);
    CHECK_EQ(gen_ace_count(0), 0);
    CHECK_EQ(gen_ace_count(GEN_ACE_LENGTH_MAX + 1), 0);
    struct ace_tally a = { 0 };
    CHECK_ERR(gen_ace(0, ace_count_fn, &a), FS_EINVAL);
    CHECK_ERR(gen_ace(GEN_ACE_LENGTH_MAX + 1, ace_count_fn, &a), FS_EINVAL);
    CHECK_EQ(a.count, 0);
}

static int
ace_run_fn(void *arg, const struct gen_ace_case *c)
{
    struct ace_tally *a = arg;
    run_trace(c->trace, 4 * KIB, 1 * MIB, 0, false, &a->r);
    a->count++;
    return 0;
}

/* Every ACE trace of lengths 1..3 runs on the geometry its header names
 * (1 MiB, 4 KiB blocks), every step as expected, agreeing with the oracle. */
static void
gen_ace_runs(void **state)
{
    (void)state;
    for (uint32_t length = 1; length <= 3; length++) {
        struct ace_tally a = { 0 };
        reach_init(&a.r);
        CHECK_ERR(gen_ace(length, ace_run_fn, &a), 0);
        CHECK_EQ(a.count, ace_counts[length - 1]);
        CHECK_EQ(a.r.expected_errors, 0);
        char name[16];
        snprintf(name, sizeof(name), "ace-%u", length);
        reach_note(name, &a.r);
        CHECK_TRUE(a.r.mv_dir > 0 && a.r.overwrite > 0 && a.r.shrink > 0 && a.r.rm_dir > 0);
    }
}

struct find_path {
    const char *path;           /* Wanted. */
    bool found;                 /* It exists. */
    uint64_t size;              /* Its size. */
};

static int
find_path_fn(void *arg, const char *path, bool is_dir, uint64_t size)
{
    struct find_path *f = arg;
    (void)is_dir;
    if (strcmp(path, f->path) == 0) {
        f->found = true;
        f->size = size;
        return 1;
    }
    return 0;
}

/* The shape a core write or truncate must have in the oracle's state. */
static bool
ace_shape_ok(const struct oracle *m, const struct trace_step *s, bool append)
{
    if (s->op != TRACE_WRITE && s->op != TRACE_TRUNCATE) {
        return true;
    }
    struct find_path f = { s->path, false, 0 };
    CHECK_EQ(oracle_walk(m, find_path_fn, &f) >= 0, 1);
    if (!f.found) {
        return false;
    }
    if (s->op == TRACE_TRUNCATE) {
        return s->length < f.size;                      /* A shrink. */
    }
    return append ? s->offset == f.size                 /* At the end. */
        : s->offset + s->length <= f.size;              /* Inside the data. */
}

/* Replays a case in the oracle without step skip (NONE: all): true if
 * every step succeeds and every core operation has its shape. */
static bool
ace_replay(const struct gen_ace_case *c, uint64_t skip)
{
    struct oracle *m = oracle_new();
    assert_non_null(m);
    bool ok = true;
    uint32_t core = 0;
    for (uint32_t i = 0; i < c->trace->count && ok; i++) {
        const struct trace_step *s = &c->trace->steps[i];
        if (c->role[i] == GEN_ACE_CORE) {
            const char *name = gen_ace_menu_name(c->menu[core++]);
            ok = i == skip || ace_shape_ok(m, s, strstr(name, "append") != NULL);
        }
        if (i != skip && ok) {
            ok = oracle_apply(m, s) == 0;
        }
    }
    oracle_free(m);
    return ok;
}

/* The roles of a case's steps agree with its sequence. */
static void
ace_check_roles(const struct gen_ace_case *c)
{
    const struct trace *t = c->trace;
    CHECK_TRUE(t->count <= GEN_ACE_STEPS_MAX);
    CHECK_EQ(t->steps[t->count - 1].op, TRACE_SYNC);          /* Ends persisted. */
    uint32_t core = 0, persist = 0;
    for (uint32_t i = 0; i < t->count; i++) {
        CHECK_EQ(t->steps[i].expect, 0);
        if (c->role[i] == GEN_ACE_CORE) {
            CHECK_EQ(c->core_step[core], i);
            core++;
        } else if (c->role[i] == GEN_ACE_PERSIST) {
            CHECK_EQ(t->steps[i].op, TRACE_SYNC);
            CHECK_EQ(c->role[i - 1], GEN_ACE_CORE);
            CHECK_TRUE(c->sync_after[core - 1]);
            persist++;
        }
    }
    CHECK_EQ(core, c->length);
    uint32_t syncs = 0;
    for (uint32_t p = 0; p < c->length; p++) {
        syncs += c->sync_after[p];
    }
    CHECK_EQ(persist, syncs);
    CHECK_TRUE(c->sync_after[c->length - 1]);
}

static uint64_t
trace_hash(const struct trace *t)
{
    uint64_t h = 0xcbf29ce484222325ull;
    char line[TRACE_LINE_MAX];
    for (uint32_t i = 0; i < t->count; i++) {
        trace_step_format(&t->steps[i], line, sizeof(line));
        for (const char *p = line; *p != '\0'; p++) {
            h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
        }
        h = (h ^ '\n') * 0x100000001b3ull;
    }
    return h;
}

static int
ace_deps_fn(void *arg, const struct gen_ace_case *c)
{
    struct ace_tally *a = arg;
    ace_check_roles(c);
    if (!ace_replay(c, NONE)) {
        util_note("%s: does not run in the oracle with its dependencies", c->trace->name);
        fail();
    }
    for (uint32_t i = 0; i < c->trace->count; i++) {
        if (c->role[i] == GEN_ACE_DEP && ace_replay(c, i)) {
            util_note("%s: step %u is a dependency nothing needs", c->trace->name, i + 1);
            fail();
        }
        a->dep_steps += c->role[i] == GEN_ACE_DEP;
    }
    if (c->length == 1) {
        uint32_t deps = c->trace->count - 2;            /* Less the core step and its sync. */
        CHECK_EQ(deps, ace_deps_alone[c->menu[0]]);
    }
    a->hashes[a->count++] = trace_hash(c->trace);
    return 0;
}

static int
u64_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every dependency step is needed, and the sequences make distinct traces
 * (as many as GENERATORS.md says: a few sequences coincide). */
static void
gen_ace_dependencies(void **state)
{
    (void)state;
    static const uint64_t distinct[3] = { 14, 379, 10038 };
    for (uint32_t length = 1; length <= 3; length++) {
        struct ace_tally a = { 0 };
        a.hashes = calloc(ace_counts[length - 1], sizeof(uint64_t));
        assert_non_null(a.hashes);
        CHECK_ERR(gen_ace(length, ace_deps_fn, &a), 0);
        qsort(a.hashes, a.count, sizeof(uint64_t), u64_cmp);
        uint64_t unique = 0;
        for (uint64_t i = 0; i < a.count; i++) {
            unique += i == 0 || a.hashes[i] != a.hashes[i - 1];
        }
        util_note("ace-%u: %" PRIu64 " traces, %" PRIu64 " distinct, %" PRIu64
                " dependency steps", length, a.count, unique, a.dep_steps);
        CHECK_EQ(unique, distinct[length - 1]);
        free(a.hashes);
    }
}

/* ---- The standard workloads. ---- */

struct geometry {
    uint64_t device_size;       /* Bytes. */
    uint64_t block_size;        /* Bytes. */
    uint64_t arenas;            /* 0: the default. */
};

/* The "# geometry: --size S --block-size B [--arenas N]" line of a header. */
static void
geometry_read(const char *path, struct geometry *g)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        util_note("%s: cannot open (tests run from the repository root)", path);
        fail();
    }
    char line[TRACE_LINE_MAX + 2];
    bool found = false;
    *g = (struct geometry){ 0, 0, 0 };
    while (!found && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "# geometry:", 11) != 0) {
            continue;
        }
        found = true;
        char *save = NULL;
        for (char *w = strtok_r(line + 11, " \t\n", &save); w != NULL;
                w = strtok_r(NULL, " \t\n", &save)) {
            char *v = strtok_r(NULL, " \t\n", &save);
            assert_non_null(v);
            bool ok = strcmp(w, "--size") == 0 ? cli_parse_size(v, &g->device_size)
                : strcmp(w, "--block-size") == 0 ? cli_parse_size(v, &g->block_size)
                : strcmp(w, "--arenas") == 0 ? cli_parse_u64(v, &g->arenas) : false;
            if (!ok) {
                util_note("%s: bad geometry word '%s %s'", path, w, v);
                fail();
            }
        }
    }
    fclose(f);
    if (!found || g->device_size == 0 || g->block_size == 0) {
        util_note("%s: no '# geometry: --size S --block-size B' line", path);
        fail();
    }
}

/* Parses, records with record_workload (no violation), runs with rx. */
static void
workload_run(const char *path, struct geometry *geo, struct reach *r)
{
    struct geometry g;
    geometry_read(path, &g);
    *geo = g;
    struct trace t;
    char err[512];
    if (trace_parse_file(path, &t, err, sizeof(err)) != 0) {
        util_note("%s", err);
        fail();
    }
    struct record_config rc = { .block_size = (uint32_t)g.block_size,
        .device_size = g.device_size, .arenas = (uint32_t)g.arenas };
    struct recording *rec = calloc(1, sizeof(*rec));
    assert_non_null(rec);
    if (record_workload(&rc, &t, rec, err, sizeof(err)) != 0) {
        util_note("%s: record_workload: %s", path, err);
        fail();
    }
    if (rec->violation[0] != '\0') {
        util_note("%s: record_workload: %s", path, rec->violation);
        fail();
    }
    CHECK_EQ(rec->steps_run, t.count);
    recording_free(rec);
    free(rec);
    reach_init(r);
    run_trace(&t, (uint32_t)g.block_size, g.device_size, (uint32_t)g.arenas, true, r);
    reach_note(path, r);
    trace_free(&t);
}

/* What each workload's header says it reaches (numbers at or below what it
 * reaches today, so that a workload that stopped reaching it fails). */
static void
check_tree_splits(const struct reach *r, const struct geometry *g)
{
    CHECK_EQ(g->block_size, 4 * KIB);
    CHECK_TRUE(r->height_max >= 3);                 /* Split up to three levels. */
    CHECK_TRUE(r->height_end >= 3);                 /* And still three after the removals. */
    CHECK_TRUE(r->leaves_max >= 16);
    CHECK_TRUE(r->leaves_end < r->leaves_max);      /* Removals merged leaves. */
    CHECK_TRUE(r->op[TRACE_CREATE] >= 240);
    CHECK_TRUE(r->rm_file >= 160);
    CHECK_TRUE(r->mv_file >= 10);
    CHECK_TRUE(r->append >= 5);                     /* Data keys in the same tree. */
}

static void
check_snapshots(const struct reach *r, const struct geometry *g)
{
    (void)g;
    CHECK_TRUE(r->del_succ >= 2);                   /* A: b, then a. */
    CHECK_TRUE(r->del_merge >= 1);                  /* A: b's deadlists merge forward. */
    CHECK_TRUE(r->del_shared >= 1);                 /* B: f, a second name of g's record. */
    CHECK_TRUE(r->del_leaf >= 5);                   /* B: g, C: h, D: f, E: fa, fb. */
    CHECK_TRUE(r->del_fork_only >= 1);              /* C: f. */
    CHECK_TRUE(r->del_fork_chain >= 3);             /* D: l, E: a, b. */
    CHECK_TRUE(r->cascades >= 4);                   /* B: g, D: f, E: fa, fb. */
    CHECK_TRUE(r->dlist_max > 0);                   /* Deadlists filled... */
    CHECK_TRUE(r->dlist_end > 0);                   /* ...and some remain at the end. */
    CHECK_TRUE(r->labels_max >= 5);
    CHECK_TRUE(r->errors[-FS_EPERM] >= 1);
    CHECK_TRUE(r->errors[-FS_EEXIST] >= 1);
    CHECK_TRUE(r->errors[-FS_ENOENT] >= 1);
}

static void
check_log_growth(const struct reach *r, const struct geometry *g)
{
    CHECK_EQ(g->arenas, 1);
    CHECK_TRUE(r->compress_first_sync >= 1);        /* The first commit compresses. */
    CHECK_TRUE(r->stats.log_grow_count >= 2);       /* The chain grew twice or more. */
    CHECK_TRUE(r->stats.log_compress_count >= r->compress_first_sync + 2);   /* Doublings. */
}

static void
check_full_disk(const struct reach *r, const struct geometry *g)
{
    (void)g;
    CHECK_TRUE(r->enospc >= 5);                     /* Each an expect=ENOSPC that matched. */
    CHECK_EQ(r->errors[-FS_ENOSPC], r->enospc);
    CHECK_TRUE(r->stats.enospc_count >= r->enospc); /* The allocator said so each time. */
    CHECK_TRUE(r->writes_after_enospc >= 3);        /* Space came back after the last one. */
    CHECK_TRUE(r->rm_file >= 6);
    CHECK_TRUE(r->op[TRACE_SNAP_DELETE] >= 1);
}

static void
check_rename_heavy(const struct reach *r, const struct geometry *g)
{
    (void)g;
    CHECK_TRUE(r->mv_file >= 20);
    CHECK_TRUE(r->mv_dir >= 8);
    CHECK_TRUE(r->mv_back >= 5);                    /* a -> b, later b -> a. */
    CHECK_TRUE(r->mv_freed >= 10);                  /* Onto names freed before. */
    CHECK_TRUE(r->errors[-FS_EEXIST] >= 2);
    CHECK_TRUE(r->errors[-FS_EXDEV] >= 1);
    CHECK_TRUE(r->errors[-FS_ENOENT] >= 1);
    CHECK_TRUE(r->labels_max >= 2);                 /* Old names kept in a label. */
}

static void
check_large_file(const struct reach *r, const struct geometry *g)
{
    CHECK_TRUE(r->big_size >= 2 * g->device_size);  /* Larger than the device. */
    CHECK_TRUE(r->big_zero_blocks >= 4000);         /* Holes, read as zeros (and checked). */
    CHECK_TRUE(r->big_data_blocks >= 10);
    CHECK_TRUE(r->write_end_max - r->write_off_min >= 20 * MIB);    /* Far apart. */
    CHECK_TRUE(r->sparse >= 4);
    CHECK_TRUE(r->overwrite_across >= 4);
    CHECK_TRUE(r->extend >= 1);
    CHECK_TRUE(r->shrink >= 2);
    CHECK_TRUE(r->grow >= 3);
}

struct workload {
    const char *path;                           /* From the repository root. */
    void (*check)(const struct reach *r, const struct geometry *g);  /* What it claims. */
};

static const struct workload workloads[] = {
    { "traces/workloads/tree-splits.trace", check_tree_splits },
    { "traces/workloads/snapshots-deadlists.trace", check_snapshots },
    { "traces/workloads/log-growth.trace", check_log_growth },
    { "traces/workloads/full-disk.trace", check_full_disk },
    { "traces/workloads/rename-heavy.trace", check_rename_heavy },
    { "traces/workloads/large-file.trace", check_large_file },
};

/* Each standard workload runs cleanly on its geometry and reaches what its
 * header says it reaches. WORKLOAD=substring runs only the matching ones. */
static void
gen_workloads(void **state)
{
    (void)state;
    const char *only = getenv("WORKLOAD");
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(workloads); i++) {
        if (only != NULL && strstr(workloads[i].path, only) == NULL) {
            continue;
        }
        struct reach r;
        struct geometry g;
        workload_run(workloads[i].path, &g, &r);
        workloads[i].check(&r, &g);
    }
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gen_random_deterministic),
        cmocka_unit_test(gen_random_arguments),
        cmocka_unit_test(gen_random_coverage),
        cmocka_unit_test(gen_random_runs),
        cmocka_unit_test(gen_ace_counts),
        cmocka_unit_test(gen_ace_dependencies),
        cmocka_unit_test(gen_ace_runs),
        cmocka_unit_test(gen_workloads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
