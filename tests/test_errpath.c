/*
 * tests/test_errpath.c: error paths never abort, and faults strike while the
 * file system runs.
 *
 * What it proves, over the standard workloads full-disk.trace (a disk driven
 * to FS_ENOSPC and back) and snapshots-deadlists.trace (snapshot deletion in
 * every shape), each on its "# geometry:", run through the trace runner
 * (runner_step) beside the oracle:
 *
 *   - Failing block allocations. The k-th block allocation of the run fails,
 *     for k = 1, 2, ... until a run fires no fault, once (transient) and
 *     from then on (persistent), in two manners: as arenas with no room
 *     (FS_ENOSPC: the file system goes on) and as an allocation whose log
 *     write failed (FS_EIO: the file system breaks, as a device error
 *     breaks it). Then the k-th device write fails (FS_EIO), likewise. A
 *     failure that breaks the file system is tried once only: nothing is
 *     allocated or written after it, so failing the later ones too would
 *     run the same run again.
 *     Every step and the unmount return 0 or an error code, never abort;
 *     while the file system is not broken every result is the oracle's
 *     (FS_ENOSPC where success was due changes nothing: oracle.h); afterwards
 *     the device mounts, fs_check finds no corruption and no leak (an undo
 *     that forgot a block would leak it), and the state is the oracle's: the
 *     final one if the run never broke, else a sync point from the last one
 *     completed on, or the state of the step in flight.
 *   - The regressions the loop found, each alone: a remove, a truncate into
 *     a block and a snapshot delete with their k-th allocation failing do
 *     all of it, or none (FS_ENOSPC, nothing leaked), or, half done, break
 *     the file system so that the last commit stands; and a tree release
 *     that breaks the file system (a free whose log cannot grow) stops the
 *     releases after it instead of aborting on them.
 *   - Short reads at the contract (fs/bdev.h): bdev_read_block reads a block
 *     that arrived short once again and returns it whole, fails one that is
 *     short on every try, and refuses a count larger than a block.
 *   - Blocks rewritten behind a warm cache. At a sync point of the workload,
 *     a block the cache holds is changed on the device (the bytes of its
 *     neighbour: a misdirected write, or a repointed one) while the file
 *     system keeps running, with the default cache (everything stays warm)
 *     and the smallest (blocks are evicted and read back). Every read must
 *     give the oracle's bytes or an error with the file system read-only and
 *     a reason (docs/DESIGN.md, "Faults while running"): at every later sync
 *     point the file system's digest (which reads every file) is the
 *     oracle's or an error, and after unmount the device either refuses to
 *     mount, or fs_check names the damage, or every file reads as the oracle
 *     says. Never wrong bytes.
 *
 * Method: the allocator is wrapped at link time (-Wl,--wrap=alloc_block, as
 * test_oom wraps malloc), so fs/ holds no hook; device faults come from the
 * one faulty device (faultinject/faultdev.h). Every run is a forked child
 * (util_isolated): an ASSERT or a segfault is reported with the case that
 * caused it and the loop goes on. A child returns one of the CHILD_ codes;
 * anything else, a sanitizer exit included, is a failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

#include "../faultinject/faultdev.h"
#include "../fs/bio.h"
#include "../fs/blk.h"
#include "../fs/cache.h"
#include "../fs/check.h"
#include "../sim/oracle/oracle.h"
#include "../sim/record/runner.h"

/* Exit codes of a child; never 1, which a sanitizer uses. */
#define CHILD_OK          0
#define CHILD_NO_FAULT    10        /* The run fired no fault: the loop ends. */
#define CHILD_VIOLATION   11
#define CHILD_DETECTED    12        /* Warm cache: a read named the damage while running. */
#define CHILD_REMOUNT     13        /* Warm cache: the remount or fs_check named it. */
#define CHILD_UNHARMED    14        /* Warm cache: no read met the damage; all as the oracle. */

#define FAILURES_SHOWN_MAX 20u
#define FAULT_INDEX_MAX 100000u     /* A loop bound: no workload here allocates this much. */
#define STATES_MAX 256u             /* Sync points a run keeps. */
#define MOMENTS_MAX 32u             /* Sync steps of a workload the warm-cache loop visits. */

#define VIOLATION(...) (util_note(__VA_ARGS__), CHILD_VIOLATION)

/* ---- The allocator, wrapped: FAULT_ALLOC_BLOCK's schedule. ---- */

int __real_alloc_block(struct fs *fs, uint16_t type, uint64_t hint, bool seq, uint64_t *addr);
int __wrap_alloc_block(struct fs *fs, uint16_t type, uint64_t hint, bool seq, uint64_t *addr);

static struct fault_state alloc_faults;     /* Only FAULT_ALLOC_BLOCK is hit. */
static int alloc_fault_err;                 /* What a failure returns: FS_ENOSPC or FS_EIO. */

int
__wrap_alloc_block(struct fs *fs, uint16_t type, uint64_t hint, bool seq, uint64_t *addr)
{
    if (!fault_hit(&alloc_faults, FAULT_ALLOC_BLOCK)) {
        return __real_alloc_block(fs, type, hint, seq, addr);
    }
    ASSERT(alloc_fault_err == FS_ENOSPC || alloc_fault_err == FS_EIO);
    if (alloc_fault_err == FS_EIO) {
        /* As log_grow's failed write does: the file system breaks. */
        return fs_broke(fs, FS_EIO, FMT_ADDR_NIL, "allocation log write failed (injected)");
    }
    return FS_ENOSPC;
}

/* ---- The workloads. ---- */

struct workload {
    const char *path;               /* The trace file. */
    struct trace trace;             /* Its steps. */
    struct bdev pristine;           /* Formatted on its geometry; never changed. */
};

static void
workload_open(struct workload *w, const char *path)
{
    w->path = path;
    struct trace_geometry g;
    util_trace_load(path, &w->trace, &g);
    assert_true(g.device_size_given && g.block_size_given);
    util_mem_open(&w->pristine, g.block_size, g.device_size / g.block_size);
    util_format(&w->pristine, g.arena_count);
}

static void
workload_close(struct workload *w)
{
    trace_free(&w->trace);
    bdev_mem_close(&w->pristine);
}

static bool
step_commits(const struct trace_step *s)
{
    return s->op == TRACE_SYNC || s->op == TRACE_SNAP_LABEL || s->op == TRACE_SNAP_FORK
        || s->op == TRACE_SNAP_DELETE;
}

/* An error code the file system may return: 0 or one it can name. */
static bool
known_result(int got)
{
    return got <= 0 && strcmp(fs_strerror(got), "FS_E?") != 0;
}

/* The states a run may leave on the device: states[done .. count - 1]. */
struct states {
    uint64_t digest[STATES_MAX];    /* Oracle digests, in order. */
    uint32_t count;                 /* Entries. */
    uint32_t done;                  /* The last sync point that returned 0. */
    bool broken;                    /* The file system broke during the run. */
};

static void
states_push(struct states *st, uint64_t digest, bool done)
{
    ASSERT(st->count < STATES_MAX);
    st->digest[st->count++] = digest;
    st->done = done ? st->count - 1 : st->done;
}

static bool
states_legal(const struct states *st, uint64_t digest)
{
    for (uint32_t i = st->done; i < st->count; i++) {
        if (st->digest[i] == digest) {
            return true;
        }
    }
    return false;
}

/* The device a child runs on: the workload's formatted image itself. A
 * child's memory is a copy-on-write copy of the parent's, so it writes the
 * image in place, paying only for the blocks it changes, and the parent's
 * stays pristine. Only a util_isolated child may call it. */
static struct bdev
child_device(const struct workload *w)
{
    ASSERT(bdev_mem_bytes(&w->pristine) != NULL);
    return w->pristine;
}

static int
child_mount(const struct bdev *dev, uint32_t cache_block_count, struct fs **fs)
{
    struct fs_config c = { .cache_block_count = cache_block_count };
    int err = fs_mount(fs, dev, &c);
    return err ? VIOLATION("mount: %s (%s)", fs_strerror(err), fs_mount_failure()) : CHILD_OK;
}

/* ---- Failing allocations and writes. ---- */

/* What fails, and whether the failure breaks the file system: after one
 * that does, nothing is allocated or written again, so failing every later
 * one too (persistent) would run the same run twice. */
#define ERRPATH_MODES(X) \
    X(ALLOC_ENOSPC, "alloc.enospc",  false)   /* an allocation finds no room */ \
    X(ALLOC_EIO,    "alloc.eio",     true)    /* an allocation's log write fails */ \
    X(WRITE_EIO,    "dev.write.eio", true)    /* a device write fails */

enum errpath_mode {
#define X(id, name, breaks) ERRPATH_##id,
    ERRPATH_MODES(X)
#undef X
    ERRPATH_MODE_COUNT
};

static const char *const errpath_mode_names[ERRPATH_MODE_COUNT] = {
#define X(id, name, breaks) name,
    ERRPATH_MODES(X)
#undef X
};

static const bool errpath_mode_breaks[ERRPATH_MODE_COUNT] = {
#define X(id, name, breaks) breaks,
    ERRPATH_MODES(X)
#undef X
};

struct errpath_case {
    const struct workload *w;       /* The workload and its image. */
    enum errpath_mode mode;         /* What fails. */
    uint64_t index;                 /* The allocation or write that fails (1-based). */
    bool persistent;                /* And every one after it. */
};

/* The file system broke in step s: its outcome is unknown. The unmount's
 * commit cannot happen now, but one inside the step may have: the state
 * before it (prev) and, if the step could succeed, the state after it. */
static void
errpath_broke(struct states *st, struct oracle *prev, const struct trace_step *s)
{
    char why[256];
    st->broken = true;
    states_push(st, oracle_digest(prev), false);
    if (oracle_step(prev, s, s->expect, why, sizeof(why)) == 0) {
        states_push(st, oracle_digest(prev), false);
    }
}

/* Runs every step; while the file system is not broken each result must be
 * the oracle's. Fills st with the legal end states. A digest costs a walk of
 * the oracle's files, so the state before each step is kept as a clone
 * (copy on write: O(1)) and hashed only if the step breaks the file system. */
static int
errpath_steps(struct fs *fs, const struct trace *t, struct oracle *m, struct states *st)
{
    states_push(st, oracle_digest(m), true);
    int rc = CHILD_OK;
    for (uint32_t i = 0; i < t->count && rc == CHILD_OK; i++) {
        const struct trace_step *s = &t->steps[i];
        struct oracle *prev = st->broken ? NULL : oracle_clone(m);
        int got = runner_step(&fs, NULL, s);     /* The workloads mount no other label. */
        char why[256] = "";
        if (!known_result(got)) {
            rc = VIOLATION("line %u: result %d is no error code", s->line, got);
        } else if (st->broken) {
            /* Read-only now: any named error will do. */
        } else if (prev == NULL) {
            rc = VIOLATION("no memory for the oracle");
        } else if (fs_broken(fs) != NULL) {
            errpath_broke(st, prev, s);
        } else if (oracle_step(m, s, got, why, sizeof(why)) != 0) {
            rc = VIOLATION("line %u: %s %s: %s", s->line, trace_op_name(s->op), s->path, why);
        } else if (step_commits(s) && got == 0) {
            states_push(st, oracle_digest(m), true);
        }
        oracle_free(prev);
    }
    if (!st->broken) {
        states_push(st, oracle_digest(m), false);      /* What the unmount commits. */
    }
    return rc;
}

/* The device after the run: it mounts, checks clean with no leak, and holds
 * a legal state. */
static int
errpath_remount(const struct bdev *mem, const struct states *st, const struct oracle *last)
{
    struct fs_config c = { .read_only = true };
    struct fs *fs = NULL;
    int err = fs_mount(&fs, mem, &c);
    if (err) {
        return VIOLATION("remount: %s (%s)", fs_strerror(err), fs_mount_failure());
    }
    struct fs_check_result r;
    uint64_t digest = 0;
    int rc = CHILD_OK;
    if (fs_check(fs, &r) != 0) {
        rc = VIOLATION("remount: fs_check did not run");
    } else if (r.count[FS_CHECK_CORRUPT] != 0 || r.blocks_leaked != 0) {
        util_check_print(&r);
        rc = VIOLATION("remount: corruption, or %llu blocks leaked",
                (unsigned long long)r.blocks_leaked);
    } else if ((err = oracle_digest_fs(fs, &digest)) != 0) {
        rc = VIOLATION("remount: reading the files: %s", fs_strerror(err));
    } else if (!states_legal(st, digest)) {
        char diff[384];
        oracle_diff(last, fs, diff, sizeof(diff));
        rc = VIOLATION("remount: the state is no sync point from the last completed one on; "
                "against the last: %s", diff);
    }
    fs_unmount(fs);
    return rc;
}

static int
errpath_child(void *arg)
{
    const struct errpath_case *c = arg;
    struct bdev mem = child_device(c->w);
    struct faultdev fdev;
    struct fs *fs = NULL;
    faultdev_init(&fdev, &mem);
    int rc = child_mount(&fdev.bdev, 0, &fs);
    if (rc != CHILD_OK) {
        return rc;
    }
    fault_reset(&alloc_faults);
    if (c->mode == ERRPATH_WRITE_EIO) {
        faultdev_fail_nth(&fdev, FAULT_DEV_WRITE_EIO, c->index, c->persistent);
    } else {
        fault_arm(&alloc_faults, FAULT_ALLOC_BLOCK, (struct fault_arming){ c->index - 1,
            c->persistent ? FAULT_PERSISTENT : 1 });
        alloc_fault_err = c->mode == ERRPATH_ALLOC_EIO ? FS_EIO : FS_ENOSPC;
    }
    struct states st = { .count = 0 };
    struct oracle *m = oracle_new();
    rc = m != NULL ? errpath_steps(fs, &c->w->trace, m, &st)
        : VIOLATION("no memory for the oracle");
    int err = fs_unmount(fs);
    fault_disarm(&alloc_faults);
    fault_disarm(&fdev.faults);
    if (rc == CHILD_OK && !known_result(err)) {
        rc = VIOLATION("unmount: result %d is no error code", err);
    }
    if (rc == CHILD_OK && err == 0 && !st.broken) {
        st.done = st.count - 1;         /* The unmount committed the final state. */
    }
    rc = rc != CHILD_OK ? rc : errpath_remount(&mem, &st, m);
    oracle_free(m);
    uint64_t fired = fault_fired_total(&alloc_faults) + fdev.fired_count;
    return rc != CHILD_OK ? rc : fired == 0 ? CHILD_NO_FAULT : CHILD_OK;
}

/* Fails the k-th allocation or write for k = 1, 2, ... until a run fires no
 * fault; returns that k. */
static uint64_t
errpath_loop(const struct workload *w, enum errpath_mode mode, bool persistent,
        uint32_t *failures)
{
    uint64_t k;
    for (k = 1; k < FAULT_INDEX_MAX; k++) {
        struct errpath_case c = { w, mode, k, persistent };
        struct util_child r = util_isolated(errpath_child, &c);
        if (r.signal == 0 && r.exit_code == CHILD_NO_FAULT) {
            break;
        }
        if ((r.signal != 0 || r.exit_code != CHILD_OK) && (*failures)++ < FAILURES_SHOWN_MAX) {
            char buf[64];
            util_note("FAILED: %s: %s %llu (%s): child %s", w->path, errpath_mode_names[mode],
                    (unsigned long long)k, persistent ? "persistent" : "transient",
                    util_child_describe(r, buf, sizeof(buf)));
        }
    }
    CHECK_TRUE(k < FAULT_INDEX_MAX);
    return k;
}

static void
errpath_workload(const char *path)
{
    struct workload w;
    workload_open(&w, path);
    uint32_t failures = 0;
    for (uint32_t mode = 0; mode < ERRPATH_MODE_COUNT; mode++) {
        uint32_t runs = errpath_mode_breaks[mode] ? 1 : 2;     /* Transient, then persistent. */
        for (uint32_t persistent = 0; persistent < runs; persistent++) {
            uint32_t failed = 0;
            uint64_t k = errpath_loop(&w, (enum errpath_mode)mode, persistent == 1, &failed);
            util_note("%s: %s %s: 1..%llu failed in turn, %u runs wrong", path,
                    errpath_mode_names[mode], persistent ? "persistent" : "transient",
                    (unsigned long long)(k - 1), failed);
            failures += failed;
            CHECK_TRUE(k > 10);         /* The workload does allocate and write. */
        }
    }
    CHECK_EQ(failures, 0);
    workload_close(&w);
}

static void
errpath_full_disk(void **state)
{
    (void)state;
    errpath_workload("traces/workloads/full-disk.trace");
}

static void
errpath_snapshots(void **state)
{
    (void)state;
    errpath_workload("traces/workloads/snapshots-deadlists.trace");
}

/* ---- Short reads at the contract. ---- */

/* A device whose reads claim more bytes than a block: the contract broken. */
static int
overlong_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    ASSERT(block < bdev->block_count);
    memset(buffer, 0, bdev->block_size);
    return (int)bdev->block_size + 1;
}

static void
errpath_short_reads(void **state)
{
    (void)state;
    const uint32_t bs = 4096;
    struct bdev mem;
    util_mem_open(&mem, bs, 16);
    util_fill_random(bdev_mem_bytes(&mem), util_mem_size(&mem), 9);
    const uint8_t *want = bdev_mem_bytes(&mem) + 3 * bs;
    struct faultdev fdev;
    faultdev_init(&fdev, &mem);
    static uint8_t buf[4096];
    const char *why = "unset";
    faultdev_fail_nth(&fdev, FAULT_DEV_READ_SHORT, 1, false);
    CHECK_ERR(bdev_read_block(&fdev.bdev, 3, buf, &why), 0);
    assert_null(why);
    assert_memory_equal(buf, want, bs);         /* The rest came with the second read. */
    CHECK_EQ(fdev.read_count, 2);

    faultdev_init(&fdev, &mem);
    faultdev_fail_nth(&fdev, FAULT_DEV_READ_SHORT, 1, true);
    CHECK_ERR(bdev_read_block(&fdev.bdev, 3, buf, &why), FS_EIO);
    assert_string_equal(why, "device read short on every try");
    CHECK_EQ(fdev.read_count, BDEV_READ_TRIES);

    faultdev_init(&fdev, &mem);
    faultdev_fail_nth(&fdev, FAULT_DEV_READ_EIO, 1, false);
    CHECK_ERR(bdev_read_block(&fdev.bdev, 3, buf, &why), FS_EIO);
    assert_string_equal(why, "device read failed");
    CHECK_EQ(fdev.read_count, 1);               /* A failure is not read again. */

    struct bdev odd = mem;
    odd.read = overlong_read;
    CHECK_ERR(bdev_read_block(&odd, 3, buf, &why), FS_EIO);
    assert_string_equal(why, "device read returned more than a block");
    bdev_mem_close(&mem);
}

/* ---- Regressions: operations an allocation failure left half done. ---- */

#define HALF_BLOCK_SIZE 4096u
#define HALF_BLOCK_COUNT 256u       /* full-disk.trace's geometry. */
#define HALF_FILE_SIZE (160 * KIB)  /* 40 blocks: a remove clears them in several upserts. */

struct half_case {
    const char *name;               /* The operation. */
    int (*op)(struct fs *fs);       /* It, on the mounted image. */
    const char *broke_why;          /* Why it breaks the file system when half done. */
};

static int
half_remove(struct fs *fs)
{
    return fs_remove(fs, "/f");
}

static int
half_truncate(struct fs *fs)
{
    return fs_truncate(fs, "/f", 5000);        /* Into a block: a new tail block. */
}

static int
half_snap_delete(struct fs *fs)
{
    return fs_snap_delete(fs, "keep");
}

/* A committed image: /f of 40 blocks, label "keep", then /f partly
 * overwritten, so the label holds blocks the mounted tree killed. */
static void
half_image(struct bdev *dev)
{
    static uint8_t data[HALF_FILE_SIZE];
    util_fill_random(data, sizeof(data), 3);
    util_mem_open(dev, HALF_BLOCK_SIZE, HALF_BLOCK_COUNT);
    struct fs *fs = util_format_mount(dev, 1);
    CHECK_ERR(fs_create(fs, "/f"), 0);
    CHECK_ERR(fs_write(fs, "/f", 0, data, sizeof(data)), 0);
    CHECK_ERR(fs_create(fs, "/g"), 0);
    CHECK_ERR(fs_write(fs, "/g", 0, data, 10000), 0);
    CHECK_ERR(fs_snap_label(fs, "main", "keep"), 0);
    CHECK_ERR(fs_write(fs, "/f", 4096, data + 1, 64 * KIB), 0);
    util_unmount(fs);
}

/* Remounts dev: no corruption, no leak; returns the digest of what it holds. */
static uint64_t
half_remount(const struct bdev *dev)
{
    struct fs *fs = util_mount(dev, true);
    util_check_clean(fs, 0);
    uint64_t digest;
    CHECK_ERR(oracle_digest_fs(fs, &digest), 0);
    util_unmount(fs);
    return digest;
}

/* The operation on a copy of image with the k-th allocation failing (0:
 * none); the copy afterwards must hold the state before or the state after. */
static bool
half_run(const struct bdev *image, const struct half_case *c, uint64_t k, int *err,
        char why[FS_NAME_MAX], uint64_t *digest)
{
    struct bdev dev;
    util_mem_clone(&dev, image);
    struct fs *fs = util_mount(&dev, false);
    fault_reset(&alloc_faults);
    if (k > 0) {
        fault_arm(&alloc_faults, FAULT_ALLOC_BLOCK, (struct fault_arming){ k - 1, 1 });
        alloc_fault_err = FS_ENOSPC;
    }
    *err = c->op(fs);
    fault_disarm(&alloc_faults);
    snprintf(why, FS_NAME_MAX, "%s", fs_broken(fs) != NULL ? fs_broken(fs) : "");
    assert_true(known_result(*err));
    assert_true(*err != 0 || why[0] == '\0');
    fs_unmount(fs);                     /* Commits, unless the file system broke. */
    *digest = half_remount(&dev);
    bdev_mem_close(&dev);
    return fault_fired_total(&alloc_faults) > 0;
}

/* Fails the k-th allocation of the operation for k = 1, 2, ... until none
 * fires: each run does all of it, or none of it (FS_ENOSPC), or breaks the
 * file system so that the last commit stands; never a half done one, and
 * never a leak. */
static void
half_loop(const struct half_case *c)
{
    struct bdev image;
    half_image(&image);
    uint64_t before = half_remount(&image);
    char why[FS_NAME_MAX];
    int err;
    uint64_t after, digest;
    assert_false(half_run(&image, c, 0, &err, why, &after));
    CHECK_ERR(err, 0);
    bool undone = false, broke = false;
    uint64_t k;
    for (k = 1; k < FAULT_INDEX_MAX && half_run(&image, c, k, &err, why, &digest); k++) {
        undone |= err == FS_ENOSPC && why[0] == '\0';
        broke |= strcmp(why, c->broke_why) == 0;
        assert_true(digest == (err == 0 ? after : before));
    }
    util_note("%s: allocations 1..%llu failed in turn; half done, it broke: %s", c->name,
            (unsigned long long)(k - 1), broke ? "yes" : "no");
    assert_true(k > 1);
    assert_true(undone);                /* An undo ran... */
    assert_true(broke);                 /* ...and a half-done step stopped. */
    bdev_mem_close(&image);
}

static void
errpath_half_done(void **state)
{
    (void)state;
    static const struct half_case cases[] = {
        { "remove", half_remove, "remove failed to clear the data of its file" },
        { "truncate into a block", half_truncate,
          "truncate failed to clear past the new length" },
        { "snapshot delete", half_snap_delete, "snapshot delete failed after its label went" },
    };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(cases); i++) {
        half_loop(&cases[i]);
    }
}

/* ---- Regression: a release that breaks the file system stops the rest. ---- */

#define GROW_BLOCK_SIZE 4096u
#define GROW_BLOCK_COUNT 1024u      /* 4 MiB, one arena: room for a log block of pairs. */
#define GROW_FILE_BLOCKS 8u         /* Blocks overwritten: each releases one. */
#define GROW_SHORT_MAX 48u          /* Log words short of full tried. */
#define CHILD_BROKE 15              /* The overwrite broke the file system, with a reason. */

/* One data block allocated, then kept (queued) or freed at once: one or two
 * log words. */
static int
grow_alloc(struct fs *fs, bool keep)
{
    struct cblk *b;
    int err = blk_new(fs, FMT_TYPE_DATA, fs->nextgen, 0, false, &b);
    if (err) {
        return err;
    }
    if (keep) {
        blk_finish(fs, b);
    } else {
        err = blk_free_now(fs, b->addr);
    }
    blk_put(fs, b);
    return err;
}

/* Fills arena 0's log tail until it is short_words words from full. */
static int
grow_fill(struct fs *fs, uint32_t short_words)
{
    struct arena *a = &fs->arenas[0];
    /* The log grows at the first append that finds logsz at or past this. */
    uint32_t full = fmt_logspc(fs->block_size) - FMT_LOG_SLOP;
    full = (full + FMT_LOG_WORD_SIZE - 1) / FMT_LOG_WORD_SIZE * FMT_LOG_WORD_SIZE;
    uint32_t target = full - short_words * FMT_LOG_WORD_SIZE;
    int err = 0;
    for (uint32_t i = 0; !err && a->logsz != target; i++) {
        if (i > 2 * fs->block_size / FMT_LOG_WORD_SIZE) {
            return VIOLATION("the log does not reach %u bytes", target);
        }
        /* Past the target, pairs until the log grows and starts again. */
        err = grow_alloc(fs, a->logsz < target && target - a->logsz == FMT_LOG_WORD_SIZE);
    }
    return err ? VIOLATION("filling the log: %s", fs_strerror(err)) : CHILD_OK;
}

/* Overwrites a file's uncommitted blocks with the log short_words from full
 * and every device write failing: the log grows while the overwrite
 * allocates or while it releases the old blocks, the write fails and the
 * file system breaks; the releases after that must stop, not abort. */
static int
grow_child(void *arg)
{
    uint32_t short_words = *(const uint32_t *)arg;
    static uint8_t data[GROW_FILE_BLOCKS * GROW_BLOCK_SIZE];
    struct bdev mem;
    struct faultdev fdev;
    struct fs *fs = NULL;
    struct fs_format_config fc = { .arena_count = 1 };
    if (bdev_mem_open(&mem, GROW_BLOCK_SIZE, GROW_BLOCK_COUNT) != 0 || fs_format(&mem, &fc) != 0) {
        return VIOLATION("no device");
    }
    faultdev_init(&fdev, &mem);
    int rc = child_mount(&fdev.bdev, 0, &fs);
    int err = rc != CHILD_OK ? 0 : fs_create(fs, "/f");
    err = err ? err : fs_write(fs, "/f", 0, data, sizeof(data));
    err = err ? err : fs_sync(fs);
    err = err ? err : fs_write(fs, "/f", 0, data, sizeof(data));      /* Uncommitted blocks. */
    rc = rc != CHILD_OK ? rc : err ? VIOLATION("setup: %s", fs_strerror(err))
        : grow_fill(fs, short_words);
    if (rc == CHILD_OK) {
        faultdev_fail_nth(&fdev, FAULT_DEV_WRITE_EIO, 1, true);     /* The next write on. */
        err = fs_write(fs, "/f", 0, data, sizeof(data));
        rc = !known_result(err) ? VIOLATION("overwrite: result %d", err)
            : fs_broken(fs) != NULL && err != 0 ? CHILD_BROKE : CHILD_OK;
    }
    if (fs != NULL) {
        fs_unmount(fs);
    }
    bdev_mem_close(&mem);
    return rc;
}

static void
errpath_release_breaks(void **state)
{
    (void)state;
    uint32_t broke = 0, failures = 0;
    for (uint32_t short_words = 0; short_words < GROW_SHORT_MAX; short_words++) {
        struct util_child r = util_isolated(grow_child, &short_words);
        if (r.signal == 0 && (r.exit_code == CHILD_OK || r.exit_code == CHILD_BROKE)) {
            broke += r.exit_code == CHILD_BROKE;
        } else if (failures++ < FAILURES_SHOWN_MAX) {
            char buf[64];
            util_note("FAILED: the log %u words from full: child %s", short_words,
                    util_child_describe(r, buf, sizeof(buf)));
        }
    }
    util_note("%u of %u overwrites broke the file system as the log grew", broke,
            GROW_SHORT_MAX);
    CHECK_EQ(failures, 0);
    CHECK_TRUE(broke > 0);
}

/* ---- Blocks rewritten behind a warm cache. ---- */

#define WARM_BLOCKS_MAX 256u        /* Device blocks the warm-cache loop covers. */

struct warm_case {
    const struct workload *w;       /* The workload and its image. */
    uint32_t cache_block_count;     /* Cache slots of the mount. */
    uint32_t moment;                /* The step after which the block changes. */
    uint64_t block;                 /* The block changed: one the cache holds then. */
};

/* Changes block on the device as a misdirected or repointed write would: it
 * gets its neighbour's bytes or, where they are the same, its own with the
 * first byte flipped. */
static void
warm_damage(const struct bdev *mem, uint64_t block)
{
    uint32_t bs = mem->block_size;
    uint8_t *p = bdev_mem_bytes(mem) + block * bs;
    const uint8_t *q = bdev_mem_bytes(mem) + (block + 1) % mem->block_count * bs;
    if (memcmp(p, q, bs) != 0) {
        memcpy(p, q, bs);
    } else {
        p[0] ^= 0xff;
    }
}

/* Whether everything the file system shows is the oracle's: CHILD_OK, or
 * CHILD_DETECTED when a read failed and the file system says why, or a
 * violation (wrong bytes, or an error without a reason). */
static int
warm_compare(struct fs *fs, const struct oracle *m, uint32_t line)
{
    uint64_t digest;
    int err = oracle_digest_fs(fs, &digest);
    if (err) {
        return fs_broken(fs) != NULL && fs_broken(fs)[0] != '\0' ? CHILD_DETECTED
            : VIOLATION("line %u: reading failed with %s and no reason", line, fs_strerror(err));
    }
    if (digest != oracle_digest(m)) {
        char diff[384];
        oracle_diff(m, fs, diff, sizeof(diff));
        return VIOLATION("line %u: wrong bytes returned as good: %s", line, diff);
    }
    return CHILD_OK;
}

/* Runs the workload, damaging the block after step c->moment; every step
 * before the damage is the oracle's, and after it every sync point is
 * compared whole. CHILD_OK when the run ended unharmed. */
static int
warm_steps(const struct warm_case *c, const struct bdev *mem, struct fs *fs, struct oracle *m)
{
    const struct trace *t = &c->w->trace;
    for (uint32_t i = 0; i < t->count; i++) {
        const struct trace_step *s = &t->steps[i];
        int got = runner_step(&fs, NULL, s);     /* The workloads mount no other label. */
        char why[256];
        if (i > c->moment && fs_broken(fs) != NULL) {
            return fs_broken(fs)[0] != '\0' ? CHILD_DETECTED
                : VIOLATION("line %u: broken without a reason", s->line);
        }
        if (oracle_step(m, s, got, why, sizeof(why)) != 0) {
            return VIOLATION("line %u: %s %s: %s", s->line, trace_op_name(s->op), s->path, why);
        }
        if (i == c->moment) {
            if (!cache_holds(fs, c->block * mem->block_size)) {
                return VIOLATION("block %llu is not cached at line %u",
                        (unsigned long long)c->block, s->line);
            }
            warm_damage(mem, c->block);
        }
        int rc = i > c->moment && step_commits(s) ? warm_compare(fs, m, s->line) : CHILD_OK;
        if (rc != CHILD_OK) {
            return rc;
        }
    }
    return warm_compare(fs, m, 0);
}

/* After an unharmed run: the device refuses to mount or fs_check names the
 * damage (CHILD_REMOUNT), or every file is the oracle's (CHILD_UNHARMED). */
static int
warm_remount(const struct bdev *mem, const struct oracle *m)
{
    struct fs_config c = { .read_only = true };
    struct fs *fs = NULL;
    int err = fs_mount(&fs, mem, &c);
    if (err) {
        return fs_mount_failure()[0] != '\0' ? CHILD_REMOUNT
            : VIOLATION("remount: %s without a reason", fs_strerror(err));
    }
    struct fs_check_result r;
    int rc = fs_check(fs, &r) != 0 ? VIOLATION("remount: fs_check did not run")
        : r.count[FS_CHECK_CORRUPT] != 0 ? CHILD_REMOUNT : warm_compare(fs, m, 0);
    fs_unmount(fs);
    return rc == CHILD_OK ? CHILD_UNHARMED : rc == CHILD_DETECTED ? CHILD_REMOUNT : rc;
}

static int
warm_child(void *arg)
{
    const struct warm_case *c = arg;
    struct bdev mem = child_device(c->w);
    struct fs *fs = NULL;
    int rc = child_mount(&mem, c->cache_block_count, &fs);
    if (rc != CHILD_OK) {
        return rc;
    }
    struct oracle *m = oracle_new();
    rc = m != NULL ? warm_steps(c, &mem, fs, m) : VIOLATION("no memory for the oracle");
    int err = fs_unmount(fs);
    if (rc == CHILD_OK && err != 0) {
        rc = VIOLATION("unmount: %s", fs_strerror(err));
    }
    rc = rc == CHILD_OK ? warm_remount(&mem, m) : rc;
    oracle_free(m);
    return rc;
}

/* The moments (sync steps) of the workload and the blocks the cache holds
 * after each, from one run in this process: runs are deterministic, so a
 * child sees the same cache. Returns the moments. */
static uint32_t
warm_sets(const struct workload *w, uint32_t cache_block_count, uint32_t moment[MOMENTS_MAX],
        bool warm[MOMENTS_MAX][WARM_BLOCKS_MAX])
{
    struct bdev mem;
    util_mem_clone(&mem, &w->pristine);
    assert_true(mem.block_count <= WARM_BLOCKS_MAX);
    struct fs_config c = { .cache_block_count = cache_block_count };
    struct fs *fs = NULL;
    CHECK_ERR(fs_mount(&fs, &mem, &c), 0);
    uint32_t n = 0;
    for (uint32_t i = 0; i < w->trace.count; i++) {
        const struct trace_step *s = &w->trace.steps[i];
        CHECK_ERR(runner_step(&fs, NULL, s), s->expect);
        if (s->op != TRACE_SYNC || n == MOMENTS_MAX) {
            continue;
        }
        moment[n] = i;
        for (uint64_t b = 0; b < mem.block_count; b++) {
            warm[n][b] = cache_holds(fs, b * mem.block_size);
        }
        n++;
    }
    util_unmount(fs);
    bdev_mem_close(&mem);
    return n;
}

/* Every block the cache holds at the first, the middle and the last sync
 * step, damaged in turn; counts the outcomes in seen[]: detected running, at
 * remount, never read. */
static void
warm_loop(const struct workload *w, uint32_t cache_block_count, uint32_t seen[3],
        uint32_t *failures)
{
    static bool warm[MOMENTS_MAX][WARM_BLOCKS_MAX];
    uint32_t moment[MOMENTS_MAX];
    uint32_t moments = warm_sets(w, cache_block_count, moment, warm);
    assert_true(moments > 2);
    const uint32_t chosen[] = { 0, moments / 2, moments - 1 };
    for (uint32_t j = 0; j < FS_ARRAY_COUNT(chosen); j++) {
        uint32_t i = chosen[j];
        for (uint64_t b = 0; b < w->pristine.block_count; b++) {
            if (!warm[i][b]) {
                continue;
            }
            struct warm_case c = { w, cache_block_count, moment[i], b };
            struct util_child r = util_isolated(warm_child, &c);
            if (r.signal == 0 && r.exit_code >= CHILD_DETECTED && r.exit_code <= CHILD_UNHARMED) {
                seen[r.exit_code - CHILD_DETECTED]++;
            } else if ((*failures)++ < FAILURES_SHOWN_MAX) {
                char buf[64];
                util_note("FAILED: %s: cache %u, block %llu changed after line %u: child %s",
                        w->path, cache_block_count, (unsigned long long)b,
                        w->trace.steps[moment[i]].line, util_child_describe(r, buf, sizeof(buf)));
            }
        }
    }
}

static void
errpath_warm_cache(void **state)
{
    (void)state;
    struct workload w;
    workload_open(&w, "traces/workloads/full-disk.trace");
    static const uint32_t caches[] = { FS_CACHE_BLOCKS_DEFAULT, FS_CACHE_BLOCKS_MIN };
    uint32_t failures = 0;
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(caches); i++) {
        uint32_t seen[3] = { 0 };
        warm_loop(&w, caches[i], seen, &failures);
        util_note("cache of %u blocks: changed blocks detected while running %u, at remount %u, "
                "never read %u", caches[i], seen[0], seen[1], seen[2]);
        CHECK_TRUE(seen[1] > 0);        /* Committed blocks changed are found at remount... */
        CHECK_TRUE(seen[0] > 0 || caches[i] == FS_CACHE_BLOCKS_DEFAULT);   /* ...or on eviction. */
    }
    CHECK_EQ(failures, 0);
    workload_close(&w);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errpath_short_reads),
        cmocka_unit_test(errpath_full_disk),
        cmocka_unit_test(errpath_snapshots),
        cmocka_unit_test(errpath_half_done),
        cmocka_unit_test(errpath_release_breaks),
        cmocka_unit_test(errpath_warm_cache),
    };
    return cmocka_run_group_tests_name("errpath", tests, NULL, NULL);
}
