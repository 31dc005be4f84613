/*
 * tests/gen_shared.h: what tests/test_gen.c and tests/test_ace.c share and no
 * other file includes: a trace run against the file system and the oracle
 * side by side, and the counts of what it reached.
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
 * a workload that stopped reaching its target fails.
 *
 * A test program is one file of tests/ and tests/util.c, so what two of them
 * share is static inline here, as in tests/tree_shared.h. Everything else is
 * static in its file.
 */
#ifndef TESTS_GEN_SHARED_H
#define TESTS_GEN_SHARED_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/state.h"
#include "../fs/tree.h"
#include "../sim/oracle/oracle.h"
#include "../sim/record/runner.h"
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

static inline void
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

static inline void
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

static inline void
strs_free(char **v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static inline void
rx_close(struct rx *x)
{
    util_unmount(x->fs);
    bdev_mem_close(&x->dev);
    oracle_free(x->m);
    strs_free(x->freed, x->freed_count);
    strs_free(x->moves, x->move_count);
}

static inline void
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

static inline bool
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
static inline bool
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
static inline void
rx_fail(const struct rx *x, const struct trace_step *s, const char *why)
{
    char line[TRACE_LINE_MAX];
    trace_step_format(s, line, sizeof(line));
    util_note("%s:%" PRIu32 ": %s: %s", x->t->name, s->line, line, why);
    fail();
}

/* ---- Classifying steps. ---- */

static inline void
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
static inline void
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
static inline void
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

static inline int
labels_fn(void *arg, const struct fs_snapinfo *info)
{
    struct labels *l = arg;
    assert_true(l->count < LABELS_MAX);
    l->info[l->count++] = *info;
    return 0;
}

static inline void
labels_take(struct fs *fs, struct labels *l)
{
    l->count = 0;
    CHECK_ERR(fs_snap_list(fs, labels_fn, l), 0);
}

static inline const struct fs_snapinfo *
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

static inline int
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
static inline uint64_t
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
static inline void
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
static inline void
classify_delete_after(struct rx *x, uint64_t records_before)
{
    uint64_t after = snap_keys(x->fs, FMT_KSNAP, NONE, NONE);
    x->r->cascades += after + 2 <= records_before;
    if (getenv("GEN_VERBOSE") != NULL) {
        util_note("    records after: %" PRIu64, after);
    }
}

/* ---- Running. ---- */

static inline void
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

static inline bool
is_snap(enum trace_op op)
{
    return op == TRACE_SNAP_LABEL || op == TRACE_SNAP_FORK || op == TRACE_SNAP_DELETE;
}

static inline int
leaves_fn(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    (void)bp;
    (void)buf;
    *(uint32_t *)arg += height == 1;
    return 0;
}

/* Leaves of the mounted tree. */
static inline uint32_t
tree_leaves(struct fs *fs)
{
    uint32_t n = 0;
    CHECK_ERR(tree_walk(fs, &fs->tree, leaves_fn, &n), 0);
    CHECK_TRUE(n > 0);
    return n;
}

static inline void
rx_step(struct rx *x, const struct trace_step *s)
{
    struct labels before;
    uint64_t records = 0;
    classify_before(x, s);
    if (s->op == TRACE_SNAP_DELETE) {
        classify_delete(x, s, &before, &records);
    }
    int got = runner_step(&x->fs, NULL, s);
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

static inline int
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
static inline void
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
static inline void
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

/* What a run reached, as two TAP diagnostic lines headed with name. */
static inline void
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

#endif /* TESTS_GEN_SHARED_H */
