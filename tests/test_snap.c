/*
 * tests/test_snap.c: snapshot deletion in every shape of the snapshot graph.
 *
 * Method: a file system on a 16 KiB-block memory device and the oracle
 * (sim/oracle/oracle.h) take the same steps. Between snapshots the mounted label
 * changes (blocks overwritten, files created and removed) so that records
 * own blocks and deadlists hold kills. After every snapshot delete, check()
 * requires oracle_diff to find nothing (it reads every remaining label through
 * fs_view), the digests to agree, and fs_check to find neither corruption
 * nor a leak; then the same after a remount. The shape each case is about
 * (successor, fork, both, none) is asserted from fs_snap_list before the
 * delete, so a case cannot pass without reaching it.
 *
 * Trees stay one leaf here (checked), so no message waits in a buffer and
 * free-block counts are exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/state.h"
#include "../fs/tree.h"
#include "../sim/oracle/oracle.h"

#define BS (16 * KIB)
#define NONE UINT64_MAX

struct sx {
    struct bdev dev;            /* Memory device. */
    struct fs *fs;              /* Mounted. */
    struct oracle *m;            /* The oracle. */
    uint32_t line;              /* Steps so far (also the data seed). */
    char mounted[64];           /* The mounted label. */
    char churned[32];           /* The file the last churn created, "" if none. */
};

/* The fixture of the running case, released by teardown if the case fails. */
static struct sx *sx_current;

static struct sx *
sx_open(void)
{
    struct sx *x = calloc(1, sizeof(*x));
    sx_current = x;
    assert_non_null(x);
    util_mem_open(&x->dev, BS, 1024);
    x->fs = util_format_mount(&x->dev, 0);
    x->m = oracle_new();
    snprintf(x->mounted, sizeof(x->mounted), "main");
    return x;
}

static int
run(struct sx *x, const struct trace_step *s)
{
    switch (s->op) {
    case TRACE_MKDIR: return fs_mkdir(x->fs, s->path);
    case TRACE_CREATE: return fs_create(x->fs, s->path);
    case TRACE_WRITE: {
        uint8_t *buf = malloc((size_t)s->length + 1);
        assert_non_null(buf);
        trace_fill(s->seed, 0, buf, (size_t)s->length);
        int err = fs_write(x->fs, s->path, s->offset, buf, (size_t)s->length);
        free(buf);
        return err;
    }
    case TRACE_TRUNCATE: return fs_truncate(x->fs, s->path, s->length);
    case TRACE_RM: return fs_remove(x->fs, s->path);
    case TRACE_MV: return fs_rename(x->fs, s->path, s->path2);
    case TRACE_SYNC: return fs_sync(x->fs);
    case TRACE_SNAP_LABEL: return fs_snap_label(x->fs, s->path, s->path2);
    case TRACE_SNAP_FORK: return fs_snap_fork(x->fs, s->path, s->path2);
    case TRACE_SNAP_DELETE: return fs_snap_delete(x->fs, s->path);
    default: fail_msg("op %d not used here", (int)s->op); return FS_EINVAL;
    }
}

/* A step on both; the fs must return want and the oracle agree. */
static void
st(struct sx *x, enum trace_op op, const char *path, const char *path2, uint64_t off,
        uint64_t len, int want)
{
    struct trace_step s;
    memset(&s, 0, sizeof(s));
    s.op = op;
    s.line = ++x->line;
    snprintf(s.path, sizeof(s.path), "%s", path);
    snprintf(s.path2, sizeof(s.path2), "%s", path2 != NULL ? path2 : "");
    s.offset = off;
    s.length = len;
    s.seed = x->line;
    int got = run(x, &s);
    if (got != want) {
        util_note("step %u: %s %s %s returned %s, want %s", s.line, trace_op_name(op), s.path,
                s.path2, fs_strerror(got), fs_strerror(want));
    }
    CHECK_ERR(got, want);
    char why[512];
    if (oracle_step(x->m, &s, got, why, sizeof(why)) != 0) {
        util_note("%s", why);
        fail();
    }
}

static void
label(struct sx *x, const char *from, const char *name)
{
    st(x, TRACE_SNAP_LABEL, from, name, 0, 0, 0);
}

static void
fork_(struct sx *x, const char *from, const char *name)
{
    st(x, TRACE_SNAP_FORK, from, name, 0, 0, 0);
}

static void
check_here(struct sx *x, const char *when)
{
    static char diff[8192];
    if (oracle_diff(x->m, x->fs, diff, sizeof(diff)) != 0) {
        util_note("%s: the file system differs from the oracle:\n%s", when, diff);
        fail();
    }
    uint64_t d = 0;
    CHECK_ERR(oracle_digest_fs(x->fs, &d), 0);
    CHECK_EQ(d, oracle_digest(x->m));
    struct fs_check_result r;
    util_check_run(x->fs, &r, false);
    if (r.count[FS_CHECK_CORRUPT] != 0 || r.count[FS_CHECK_LEAK] != 0) {
        util_note("%s: fs_check is not clean", when);
        util_check_print(&r);
        fail();
    }
    CHECK_EQ(x->fs->tree.height, 1);        /* The premise of exact counts. */
}

/* Mounts label (read-write) in fs and oracle. */
static void
sx_mount(struct sx *x, const char *name)
{
    int err = fs_unmount(x->fs);
    x->fs = NULL;
    CHECK_ERR(err, 0);
    struct fs_config c = { .snapshot = name };
    CHECK_ERR(fs_mount(&x->fs, &x->dev, &c), 0);
    CHECK_ERR(oracle_mount(x->m, name), 0);
    snprintf(x->mounted, sizeof(x->mounted), "%s", name);
}

/* Checks, remounts the same label, checks again. */
static void
check(struct sx *x, const char *when)
{
    check_here(x, when);
    char name[64];
    snprintf(name, sizeof(name), "%s", x->mounted);
    sx_mount(x, name);
    check_here(x, when);
}

static void
sx_free(struct sx *x)
{
    if (x->fs != NULL) {
        (void)fs_unmount(x->fs);
    }
    bdev_mem_close(&x->dev);
    oracle_free(x->m);
    free(x);
    sx_current = NULL;
}

static void
sx_close(struct sx *x)
{
    check(x, "at the end");
    util_unmount(x->fs);
    x->fs = NULL;
    sx_free(x);
}

static int
teardown(void **state)
{
    (void)state;
    if (sx_current != NULL) {
        sx_free(sx_current);
    }
    return 0;
}

struct info_find {
    const char *name;           /* Wanted. */
    struct fs_snapinfo info;    /* Found. */
    bool found;                 /* It exists. */
};

static int
info_fn(void *arg, const struct fs_snapinfo *info)
{
    struct info_find *f = arg;
    if (strcmp(info->name, f->name) == 0) {
        f->info = *info;
        f->found = true;
        return 1;
    }
    return 0;
}

static struct fs_snapinfo
info(struct sx *x, const char *name)
{
    struct info_find f = { name, { .nlbl = 0 }, false };
    CHECK_ERR(fs_snap_list(x->fs, info_fn, &f), 0);
    assert_true(f.found);
    return f.info;
}

/* Deletes a label and checks everything. */
static void
del(struct sx *x, const char *name)
{
    char when[96];
    snprintf(when, sizeof(when), "after deleting %s", name);
    st(x, TRACE_SNAP_DELETE, name, NULL, 0, 0, 0);
    check(x, when);
}

/* Files every case starts from: four files of a few blocks. */
static void
base_files(struct sx *x)
{
    char p[16];
    for (uint32_t i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "/f%u", i);
        st(x, TRACE_CREATE, p, NULL, 0, 0, 0);
        st(x, TRACE_WRITE, p, NULL, 0, (3 + i) * BS, 0);
    }
    st(x, TRACE_MKDIR, "/d", NULL, 0, 0, 0);
}

/* Changes the mounted label: overwrites, a new file, a removal, a truncate,
 * then a commit, so that the change is a record of its own. */
static void
churn(struct sx *x, uint32_t k)
{
    char p[32];
    st(x, TRACE_WRITE, "/f0", NULL, (k % 3) * BS, BS, 0);
    st(x, TRACE_WRITE, "/f1", NULL, BS / 2, BS, 0);
    if (x->churned[0] != '\0' && fs_stat(x->fs, x->churned, NULL) == 0) {
        st(x, TRACE_RM, x->churned, NULL, 0, 0, 0);
    }
    snprintf(p, sizeof(p), "/d/n%u", k);
    st(x, TRACE_CREATE, p, NULL, 0, 0, 0);
    st(x, TRACE_WRITE, p, NULL, 0, 2 * BS + k, 0);
    snprintf(x->churned, sizeof(x->churned), "%s", p);
    st(x, TRACE_TRUNCATE, "/f3", NULL, 0, (k % 4 + 1) * BS + 5, 0);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
}

/* ---- Shapes. ---- */

/* A label whose record has a successor (main went on after it): deleting
 * it merges its deadlists into the successor. Oldest first, then the next. */
static void
snap_delete_with_successor(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    label(x, "main", "a");
    churn(x, 1);
    label(x, "main", "b");
    churn(x, 2);
    struct fs_snapinfo a = info(x, "a"), b = info(x, "b");
    CHECK_EQ(a.nlbl, 1);
    CHECK_EQ(a.nref, 1);
    assert_true(a.succ != NONE);
    CHECK_EQ(b.pred, a.gen);
    assert_true(b.succ != NONE);
    check(x, "before the deletes");
    del(x, "a");
    CHECK_EQ(info(x, "b").pred, NONE);
    churn(x, 3);
    del(x, "b");
    sx_close(x);
}

/* Leaves: a fork nobody went on from, named twice; deleting one name keeps
 * the record, deleting the other removes it and sweeps what it owned. The
 * fork is mounted and written first, so it owns blocks and kills some. */
static void
snap_delete_leaf(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    fork_(x, "main", "f");
    label(x, "f", "g");
    churn(x, 1);
    sx_mount(x, "f");
    churn(x, 10);
    st(x, TRACE_CREATE, "/onlyf", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/onlyf", NULL, 0, 4 * BS, 0);
    st(x, TRACE_SNAP_DELETE, "f", NULL, 0, 0, FS_EPERM);     /* Mounted. */
    sx_mount(x, "main");
    struct fs_snapinfo f = info(x, "f"), g = info(x, "g");
    CHECK_EQ(f.nref, 0);
    CHECK_EQ(f.succ, NONE);
    assert_true(f.gen != g.gen);                            /* f moved on, g stayed. */
    CHECK_EQ(g.nlbl, 1);
    check(x, "before the deletes");
    del(x, "f");                                            /* A leaf with own blocks. */
    del(x, "g");
    sx_close(x);
}

/* Two names on one record, no successor: the record goes with the last. */
static void
snap_delete_shared_record(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    fork_(x, "main", "f");
    label(x, "f", "g");
    label(x, "g", "h");
    CHECK_EQ(info(x, "g").gen, info(x, "f").gen);
    CHECK_EQ(info(x, "f").nlbl, 3);
    churn(x, 1);
    del(x, "g");
    CHECK_EQ(info(x, "f").nlbl, 2);
    del(x, "f");
    del(x, "h");
    sx_close(x);
}

/* A record whose only successor is a fork: f is forked, named g too, and
 * h is forked from f; h is written. Deleting f and g leaves h's content and
 * a clean image (the successor is found by its pred: f's record has no succ). */
static void
snap_delete_fork_only_successor(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    fork_(x, "main", "f");
    label(x, "f", "g");
    fork_(x, "f", "h");
    sx_mount(x, "h");
    churn(x, 5);
    sx_mount(x, "main");
    churn(x, 1);
    struct fs_snapinfo f = info(x, "f"), h = info(x, "h");
    CHECK_EQ(f.nref, 1);
    CHECK_EQ(f.succ, NONE);
    CHECK_EQ(h.pred, f.gen);
    check(x, "before the deletes");
    del(x, "g");
    del(x, "f");                            /* f's record may stay as h's base: not visible. */
    sx_mount(x, "h");
    churn(x, 6);
    sx_mount(x, "main");
    del(x, "h");
    sx_close(x);
}

/* A record with a chain successor and a fork: deleting its label keeps it
 * (two successors); deleting the fork then cascades into it. */
static void
snap_delete_fork_and_chain(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    label(x, "main", "l");
    churn(x, 1);
    fork_(x, "l", "f");
    sx_mount(x, "f");
    churn(x, 7);
    sx_mount(x, "main");
    churn(x, 2);
    struct fs_snapinfo l = info(x, "l");
    CHECK_EQ(l.nref, 2);
    assert_true(l.succ != NONE);
    CHECK_EQ(info(x, "f").pred, l.gen);
    del(x, "l");                            /* Unlabelled, two successors: it stays. */
    del(x, "f");                            /* Leaf: swept; then l's record cascades. */
    sx_close(x);
}

/* Cascades through two unlabelled records with a fork each. */
static void
snap_delete_cascade(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    label(x, "main", "a");
    churn(x, 1);
    label(x, "main", "b");
    churn(x, 2);
    fork_(x, "b", "fb");
    fork_(x, "a", "fa");
    CHECK_EQ(info(x, "a").nref, 2);
    CHECK_EQ(info(x, "b").nref, 2);
    del(x, "a");
    del(x, "b");
    del(x, "fa");                           /* Cascade into a's record. */
    del(x, "fb");                           /* Cascade into b's record. */
    sx_close(x);
}

/* The graph of the order cases: a, b on main's chain, fork c from b,
 * fork d from main's tip, each with changes after it. */
static void
order_snaps(struct sx *x)
{
    label(x, "main", "a");
    churn(x, 1);
    label(x, "main", "b");
    churn(x, 2);
    fork_(x, "b", "c");
    sx_mount(x, "c");
    churn(x, 8);
    sx_mount(x, "main");
    churn(x, 3);
    fork_(x, "main", "d");
    churn(x, 4);
}

/* Every order of deleting four snapshots (24 runs), checked after each. */
static void
snap_delete_orders(void **state)
{
    (void)state;
    static const char *const names[4] = { "a", "b", "c", "d" };
    uint32_t p[4] = { 0, 1, 2, 3 }, runs = 0;
    for (;;) {
        struct sx *x = sx_open();
        base_files(x);
        order_snaps(x);
        for (uint32_t i = 0; i < 4; i++) {
            del(x, names[p[i]]);
        }
        CHECK_EQ(info(x, "main").pred, NONE);   /* Only main is left. */
        sx_close(x);
        runs++;
        int i = 2;                              /* Next permutation, lexicographic. */
        while (i >= 0 && p[i] > p[i + 1]) {
            i--;
        }
        if (i < 0) {
            break;
        }
        int j = 3;
        while (p[j] < p[i]) {
            j--;
        }
        uint32_t t = p[i];
        p[i] = p[j];
        p[j] = t;
        for (int l = i + 1, r = 3; l < r; l++, r--) {
            t = p[l];
            p[l] = p[r];
            p[r] = t;
        }
    }
    CHECK_EQ(runs, 24);
}

static int
count_fn(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    (void)bp;
    (void)height;
    (void)buf;
    (*(uint32_t *)arg)++;
    return 0;
}

/* Free blocks plus log blocks: the log grows with activity, the rest must
 * come back. */
static uint64_t
space(struct sx *x)
{
    struct fs_check_result r;
    util_check_run(x->fs, &r, false);
    uint64_t logs = 0;
    for (uint32_t i = 0; i < x->fs->arena_count; i++) {
        logs += x->fs->arenas[i].log_block_count;
    }
    uint32_t nodes[2] = { 0, 0 };
    CHECK_ERR(tree_walk(x->fs, &x->fs->tree, count_fn, &nodes[0]), 0);
    CHECK_ERR(tree_walk(x->fs, &x->fs->snap, count_fn, &nodes[1]), 0);
    CHECK_EQ(nodes[0], 1);                  /* One leaf each: no space held in buffers. */
    CHECK_EQ(nodes[1], 1);
    return r.blocks_free + logs;
}

struct names {
    uint32_t count;             /* Entries. */
    char path[16][64];          /* "/d/NAME". */
};

static int
names_fn(void *arg, const struct fs_dirent *e)
{
    struct names *n = arg;
    assert_true(n->count < 16);
    snprintf(n->path[n->count++], sizeof(n->path[0]), "/d/%.50s", e->name);
    return 0;
}

/* Deleting every snapshot but main gives back all the space the snapshots
 * held: main ends with the same files and sizes (overwritten in place, extra
 * files removed), so the free count (log blocks aside) is the one before. */
static void
snap_delete_all_space(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    uint64_t before = space(x);
    order_snaps(x);
    label(x, "d", "e");
    uint64_t held = space(x);
    static const char *const names[] = { "a", "c", "e", "b", "d" };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(names); i++) {
        del(x, names[i]);
    }
    struct names left = { 0, { { 0 } } };
    CHECK_ERR(fs_readdir(x->fs, "/d", names_fn, &left), 0);
    for (uint32_t i = 0; i < left.count; i++) {
        st(x, TRACE_RM, left.path[i], NULL, 0, 0, 0);       /* What churns left behind. */
    }
    st(x, TRACE_TRUNCATE, "/f3", NULL, 0, 6 * BS, 0);
    st(x, TRACE_WRITE, "/f3", NULL, 0, 6 * BS, 0);          /* f3 as base_files made it. */
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    uint64_t after = space(x);
    util_note("free blocks (log aside): %llu before the snapshots, %llu with them, %llu after "
            "deleting them", (unsigned long long)before, (unsigned long long)held,
            (unsigned long long)after);
    assert_true(held < before);
    CHECK_EQ(after, before);
    sx_close(x);
}

/* The mounted label cannot be deleted, whichever it is; another can, even
 * main, after which main no longer mounts. (f changes nothing before main
 * goes: see snap_delete_fork_origin for what a change would do.) */
static void
snap_delete_mounted(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    st(x, TRACE_SNAP_DELETE, "main", NULL, 0, 0, FS_EPERM);
    fork_(x, "main", "f");
    sx_mount(x, "f");
    st(x, TRACE_SNAP_DELETE, "f", NULL, 0, 0, FS_EPERM);
    del(x, "main");
    int err = fs_unmount(x->fs);
    x->fs = NULL;
    CHECK_ERR(err, 0);
    struct fs_config c = { .snapshot = NULL };
    struct fs *fs = NULL;
    CHECK_ERR(fs_mount(&fs, &x->dev, &c), FS_ENOENT);
    assert_null(fs);
    c.snapshot = "f";
    CHECK_ERR(fs_mount(&x->fs, &x->dev, &c), 0);
    sx_close(x);
}

/*
 * A fork overwrites blocks it shares with the label it was forked from, and
 * that label is deleted: the overwritten blocks were alive only in the
 * deleted record and must be freed, the rest stay with the fork. Regression:
 * snap_release recorded no kill for a block born at or before the fork's
 * base ("the other chain owns it"), so once the other chain was gone nothing
 * freed them and fs_check found them leaked.
 */
static void
snap_delete_fork_origin_after_write(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    st(x, TRACE_CREATE, "/a", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/a", NULL, 0, 3 * BS, 0);
    fork_(x, "main", "f");
    sx_mount(x, "f");
    st(x, TRACE_WRITE, "/a", NULL, 0, BS, 0);               /* Block 0 was main's. */
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    del(x, "main");
    sx_close(x);
}

/* The other order: the origin is deleted first, then the fork writes over
 * blocks it now owns alone; they must come back (regression: the fork's base
 * still named the deleted record, so the kills went unrecorded). */
static void
snap_delete_fork_origin_before_write(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    st(x, TRACE_CREATE, "/a", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/a", NULL, 0, 3 * BS, 0);
    fork_(x, "main", "f");
    sx_mount(x, "f");
    del(x, "main");
    st(x, TRACE_WRITE, "/a", NULL, 0, BS, 0);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    check(x, "after the fork wrote");
    sx_close(x);
}

/* An immutable label mounts read-write but refuses every change. */
static void
snap_mount_immutable(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    base_files(x);
    label(x, "main", "l");
    sx_mount(x, "l");
    st(x, TRACE_CREATE, "/x", NULL, 0, 0, FS_EROFS);
    st(x, TRACE_WRITE, "/f0", NULL, 0, 10, FS_EROFS);
    st(x, TRACE_RM, "/f0", NULL, 0, 0, FS_EROFS);
    st(x, TRACE_MV, "/f0", "/g", 0, 0, FS_EROFS);
    st(x, TRACE_TRUNCATE, "/f0", NULL, 0, 0, FS_EROFS);
    st(x, TRACE_MKDIR, "bad", NULL, 0, 0, FS_EROFS);
    fork_(x, "l", "f");                                     /* Snapshots still work. */
    st(x, TRACE_SNAP_DELETE, "l", NULL, 0, 0, FS_EPERM);
    sx_mount(x, "main");
    del(x, "l");
    del(x, "f");
    sx_close(x);
}

/* Label names follow the name rules; FROM must exist; NEW must not. */
static void
snap_label_names(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    char name[FS_NAME_MAX + 2];
    memset(name, 's', FS_NAME_MAX + 1);
    name[FS_NAME_MAX + 1] = '\0';
    st(x, TRACE_SNAP_LABEL, "main", name, 0, 0, FS_ENAMETOOLONG);
    st(x, TRACE_SNAP_DELETE, name, NULL, 0, 0, FS_ENAMETOOLONG);
    name[FS_NAME_MAX] = '\0';
    label(x, "main", name);                                 /* 244 bytes: the limit. */
    static const char *const bad[] = { "", ".", "..", "a/b", "/" };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(bad); i++) {
        st(x, TRACE_SNAP_LABEL, "main", bad[i], 0, 0, FS_EINVAL);
        st(x, TRACE_SNAP_FORK, bad[i], "ok", 0, 0, FS_EINVAL);
        st(x, TRACE_SNAP_DELETE, bad[i], NULL, 0, 0, FS_EINVAL);
    }
    st(x, TRACE_SNAP_LABEL, "nosuch", "x", 0, 0, FS_ENOENT);
    st(x, TRACE_SNAP_FORK, "nosuch", "x", 0, 0, FS_ENOENT);
    st(x, TRACE_SNAP_LABEL, "nosuch", "main", 0, 0, FS_EEXIST);    /* NEW is checked first. */
    st(x, TRACE_SNAP_DELETE, "nosuch", NULL, 0, 0, FS_ENOENT);
    label(x, "main", "a b");
    st(x, TRACE_SNAP_FORK, "a b", name, 0, 0, FS_EEXIST);
    del(x, name);
    del(x, "a b");
    sx_close(x);
}

/* fs.h: names (file, directory, label) hold no control characters. */
static void
snap_label_control_chars(void **state)
{
    (void)state;
    struct sx *x = sx_open();
    CHECK_ERR(fs_snap_label(x->fs, "main", "a\x01"), FS_EINVAL);
    CHECK_ERR(fs_snap_fork(x->fs, "main", "\n"), FS_EINVAL);
    CHECK_ERR(fs_snap_label(x->fs, "main", "tab\there"), FS_EINVAL);
    sx_close(x);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(snap_delete_with_successor, teardown),
        cmocka_unit_test_teardown(snap_delete_leaf, teardown),
        cmocka_unit_test_teardown(snap_delete_shared_record, teardown),
        cmocka_unit_test_teardown(snap_delete_fork_only_successor, teardown),
        cmocka_unit_test_teardown(snap_delete_fork_and_chain, teardown),
        cmocka_unit_test_teardown(snap_delete_cascade, teardown),
        cmocka_unit_test_teardown(snap_delete_orders, teardown),
        cmocka_unit_test_teardown(snap_delete_all_space, teardown),
        cmocka_unit_test_teardown(snap_delete_mounted, teardown),
        cmocka_unit_test_teardown(snap_delete_fork_origin_after_write, teardown),
        cmocka_unit_test_teardown(snap_delete_fork_origin_before_write, teardown),
        cmocka_unit_test_teardown(snap_mount_immutable, teardown),
        cmocka_unit_test_teardown(snap_label_names, teardown),
        cmocka_unit_test_teardown(snap_label_control_chars, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
