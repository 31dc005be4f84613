/*
 * tests/test_faultloop.c: SQLite-style fault loops over a small image.
 *
 * What it proves:
 *   - damaged bytes never crash recovery: for every block of a small image
 *     with committed logs, flipping a byte (at several offsets) or zeroing the
 *     block, then mounting read-write and read-only and running fs_check,
 *     ends in a clean error code or a check that runs; and where the check
 *     finds no corruption, a commit on top of it remounts with none either;
 *   - device read errors (the k-th read fails, for k = 1, 2, ... until a run
 *     hits no fault; once, and from then on) end in 0, FS_EIO or FS_ECORRUPT;
 *     fs_check on the result runs, or stops with FS_EIO when a read it needs
 *     fails; a commit after a mount that read around a fault remounts clean;
 *   - short reads likewise: one short read is read again, so the mount, the
 *     check and the commit must all succeed as if nothing happened; short
 *     from then on, they fail as the read errors do;
 *   - device write errors during format and two commits of file operations
 *     and test blocks (the k-th write fails, likewise) end in 0, FS_EIO or
 *     FS_EROFS, and leave either nothing mountable (only if format failed) or
 *     exactly the state of the last commit that returned 0 or of the one in
 *     flight: its namespace and file contents, no corruption, and exactly
 *     that state's test blocks as leaks.
 *
 * Method: every case runs in a forked child (util_isolated), so an ASSERT or a
 * segfault in fs/ is reported with the case that caused it, and the loop goes
 * on. The child returns CHILD_OK, CHILD_NO_FAULT (the device loops end there)
 * or CHILD_VIOLATION after printing why; anything else, a LeakSanitizer exit
 * included, is a failure too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/blk.h"
#include "../fs/state.h"

/* Exit codes of a child. Not 1: AddressSanitizer exits with 1 on a leak or
 * an error, and that must read as a failure, never as "no fault fired". */
#define CHILD_OK        0
#define CHILD_NO_FAULT  10
#define CHILD_VIOLATION 11
#define CHILD_STATE_0   20          /* OK, and recovery found workload state 0 (+1, +2). */
#define CHILD_UNMOUNTABLE 23        /* OK: format failed, and nothing mounts. */

#define FAILURES_SHOWN_MAX 20u
#define FAULT_INDEX_MAX 100000u     /* A loop bound: no workload here does this much I/O. */

#define VIOLATION(...) (util_note(__VA_ARGS__), CHILD_VIOLATION)

/* One leaf block through the block layer; the child-safe util_alloc_one. */
static int
child_alloc(struct fs *fs, uint64_t *addr)
{
    struct cblk *b;
    int err = blk_new(fs, FMT_TYPE_LEAF, fs->nextgen, 0, false, &b);
    if (err) {
        return err;
    }
    fmt_put16(b->buf, FMT_TYPE_LEAF);
    *addr = blk_finish(fs, b).addr;
    blk_put(fs, b);
    return 0;
}

static bool
mount_err_clean(int err, const struct fs *fs)
{
    return err < 0 && fs == NULL && strcmp(fs_strerror(err), "FS_E?") != 0
        && fs_mount_failure()[0] != '\0';
}

/* Mounts dev plainly and checks it: no corruption, and the leak count is one
 * of the two given. Returns CHILD_OK or a violation. */
static int
child_remount_clean(const struct bdev *dev, uint64_t leaks_a, uint64_t leaks_b, bool must_mount)
{
    struct fs_config c = { 0 };
    struct fs *fs = NULL;
    int err = fs_mount(&fs, dev, &c);
    if (err) {
        if (must_mount || !mount_err_clean(err, fs)) {
            return VIOLATION("remount: %s (%s)", fs_strerror(err), fs_mount_failure());
        }
        return CHILD_OK;
    }
    struct fs_check_result r;
    int rc = CHILD_OK;
    if (fs_check(fs, &r) != 0) {
        rc = VIOLATION("remount: fs_check did not run");
    } else if (r.count[FS_CHECK_CORRUPT] != 0
            || (r.blocks_leaked != leaks_a && r.blocks_leaked != leaks_b)) {
        util_check_print(&r);
        rc = VIOLATION("remount: corruption, or leaks not %llu or %llu",
                (unsigned long long)leaks_a, (unsigned long long)leaks_b);
    }
    fs_unmount(fs);
    return rc;
}

/* ---- Damaged bytes ---------------------------------------------------- */

#define FLIP_BLOCK_SIZE (16 * KIB)
#define FLIP_BLOCK_COUNT 64u        /* 1 MiB. */
#define FLIP_IMAGE_LEAKS 14u        /* Test blocks flip_image keeps: unreachable, allocated. */

struct flip_case {
    const struct bdev *pristine;    /* The committed image; never changed. */
    uint64_t block;                 /* Block damaged. */
    int32_t offset;                 /* Byte changed, or -1: the block is zeroed. */
    uint8_t xor_mask;               /* What the byte is XORed with. */
    bool read_only;                 /* Mount mode. */
};

/* On a read-write mount that checked clean: one more commit, which must
 * work and remount clean. */
static int
flip_commit_on_top(struct fs *fs, const struct bdev *dev, uint64_t leaks)
{
    uint64_t addr;
    int err = child_alloc(fs, &addr);
    if (!err) {
        err = fs_sync(fs);
    }
    int err2 = fs_unmount(fs);
    if (err || err2) {
        return VIOLATION("commit after a clean check: %s, unmount %s", fs_strerror(err),
                fs_strerror(err2));
    }
    return child_remount_clean(dev, leaks + 1, leaks + 1, true);
}

static int
flip_child(void *arg)
{
    const struct flip_case *c = arg;
    struct bdev dev;
    if (bdev_mem_open(&dev, c->pristine->block_size, c->pristine->block_count) != 0) {
        return VIOLATION("no memory for the device");
    }
    memcpy(bdev_mem_bytes(&dev), bdev_mem_bytes(c->pristine), util_mem_size(&dev));
    uint8_t *p = bdev_mem_bytes(&dev) + c->block * dev.block_size;
    if (c->offset < 0) {
        memset(p, 0, dev.block_size);
    } else {
        p[c->offset] ^= c->xor_mask;
    }
    struct fs_config config = { .read_only = c->read_only };
    struct fs *fs = NULL;
    int err = fs_mount(&fs, &dev, &config);
    int rc = CHILD_OK;
    if (err) {
        rc = mount_err_clean(err, fs) ? CHILD_OK
            : VIOLATION("mount returned %s (%d) without a reason", fs_strerror(err), err);
    } else if (fs == NULL) {
        rc = VIOLATION("mount returned 0 and no file system");
    } else {
        struct fs_check_result r;
        if (fs_check(fs, &r) != 0) {
            rc = VIOLATION("fs_check did not run");
            fs_unmount(fs);
        } else if (!c->read_only && fs_broken(fs) == NULL && r.count[FS_CHECK_CORRUPT] == 0) {
            rc = flip_commit_on_top(fs, &dev, r.blocks_leaked);
        } else {
            fs_unmount(fs);
        }
    }
    bdev_mem_close(&dev);
    return rc;
}

/* A committed 1 MiB image: two arenas, two syncs, logs with content, and a
 * small namespace so the checker has tree records and data to walk. */
static void
flip_image(struct bdev *dev)
{
    util_mem_open(dev, FLIP_BLOCK_SIZE, FLIP_BLOCK_COUNT);
    struct fs *fs = util_format_mount(dev, 2);
    uint8_t data[2 * FLIP_BLOCK_SIZE + 100];
    util_fill_random(data, sizeof(data), 7);
    CHECK_ERR(fs_mkdir(fs, "/d"), 0);
    CHECK_ERR(fs_create(fs, "/d/f"), 0);
    CHECK_ERR(fs_write(fs, "/d/f", 0, data, sizeof(data)), 0);
    util_alloc_blocks(fs, 6, true, 3, NULL);
    util_alloc_blocks(fs, 6, false, 3, NULL);
    util_sync(fs);
    CHECK_ERR(fs_create(fs, "/g"), 0);
    CHECK_ERR(fs_write(fs, "/g", 10, data, 300), 0);
    util_alloc_blocks(fs, 4, true, 2, NULL);
    util_alloc_blocks(fs, 4, false, 0, NULL);
    util_unmount(fs);
    fs = util_mount(dev, true);
    util_check_clean(fs, FLIP_IMAGE_LEAKS);
    util_unmount(fs);
}

/* Runs one case; returns 1 if it failed (and says how), else 0. */
static uint32_t
flip_run(struct flip_case *c, uint32_t failures)
{
    struct util_child r = util_isolated(flip_child, c);
    if (r.signal == 0 && r.exit_code == CHILD_OK) {
        return 0;
    }
    if (failures < FAILURES_SHOWN_MAX) {
        char buf[64];
        util_note("FAILED: block %llu, %s %d, %s mount: child %s", (unsigned long long)c->block,
                c->offset < 0 ? "zeroed" : "byte", c->offset,
                c->read_only ? "read-only" : "read-write", util_child_describe(r, buf,
                sizeof(buf)));
    }
    return 1;
}

static void
faultloop_damaged_blocks(void **state)
{
    (void)state;
    struct bdev pristine;
    flip_image(&pristine);
    const int32_t bs = FLIP_BLOCK_SIZE;
    static const struct { int32_t offset; uint8_t xor_mask; } damage[] = {
        { 0, 0x01 }, { 1, 0xff }, { 24, 0x40 }, { 100, 0xff }, { bs - 1, 0x80 }, { -1, 0 },
    };
    uint32_t failures = 0, runs = 0;
    for (uint64_t block = 0; block < FLIP_BLOCK_COUNT; block++) {
        for (uint32_t d = 0; d < FS_ARRAY_COUNT(damage); d++) {
            for (uint32_t ro = 0; ro < 2; ro++) {
                struct flip_case c = { &pristine, block, damage[d].offset, damage[d].xor_mask,
                    ro == 1 };
                failures += flip_run(&c, failures);
                runs++;
            }
        }
    }
    util_note("%u damaged-image cases, %u failed", runs, failures);
    CHECK_EQ(failures, 0);
    bdev_mem_close(&pristine);
}

/* ---- Device read errors ----------------------------------------------- */

struct read_case {
    const struct bdev *pristine;    /* The committed image. */
    enum fault_point point;         /* FAULT_DEV_READ_EIO or FAULT_DEV_READ_SHORT. */
    uint64_t fail_index;            /* The read that fails (1-based). */
    bool persistent;                /* And every read after it. */
    bool read_only;                 /* Mount mode. */
};

static int
read_child(void *arg)
{
    const struct read_case *c = arg;
    struct bdev dev;
    if (bdev_mem_open(&dev, c->pristine->block_size, c->pristine->block_count) != 0) {
        return VIOLATION("no memory for the device");
    }
    memcpy(bdev_mem_bytes(&dev), bdev_mem_bytes(c->pristine), util_mem_size(&dev));
    struct faultdev fdev;
    faultdev_init(&fdev, &dev);
    faultdev_fail_nth(&fdev, c->point, c->fail_index, c->persistent);
    /* One short read is read again: nothing may fail for it. */
    bool invisible = c->point == FAULT_DEV_READ_SHORT && !c->persistent;
    struct fs_config config = { .read_only = c->read_only };
    struct fs *fs = NULL;
    int err = fs_mount(&fs, &fdev.bdev, &config);
    int rc = CHILD_OK;
    if (err) {
        if ((err != FS_EIO && err != FS_ECORRUPT) || !mount_err_clean(err, fs) || invisible) {
            rc = VIOLATION("mount: %s (%s)", fs_strerror(err), fs_mount_failure());
        }
    } else {
        /* A device error during the check may stop it (FS_EIO): the checker
         * cannot verify what it cannot read. Without one it must run. */
        uint64_t fired = fdev.fired_count;
        struct fs_check_result r;
        err = fs_check(fs, &r);
        if (err != 0 && !(err == FS_EIO && fdev.fired_count > fired && !invisible)) {
            rc = VIOLATION("fs_check: %s", fs_strerror(err));
        } else if (invisible && (fs_broken(fs) != NULL || r.count[FS_CHECK_CORRUPT] != 0)) {
            rc = VIOLATION("one short read broke the file system: %s", fs_broken(fs));
        }
        uint64_t addr;
        bool committed = false;
        if (rc == CHILD_OK && !c->read_only && fs_broken(fs) == NULL) {
            err = child_alloc(fs, &addr);
            err = err ? err : fs_sync(fs);
            if (err) {
                rc = VIOLATION("commit after a mount that read around a fault: %s",
                        fs_strerror(err));
            }
            committed = err == 0;
        }
        fs_unmount(fs);
        if (committed) {
            /* The commit landed whole: the image mounts with one more leak. */
            rc = child_remount_clean(&dev, FLIP_IMAGE_LEAKS + 1, FLIP_IMAGE_LEAKS + 1, true);
        }
    }
    bdev_mem_close(&dev);
    return rc != CHILD_OK ? rc : fdev.fired_count == 0 ? CHILD_NO_FAULT : CHILD_OK;
}

/* Fails read k for k = 1, 2, ... until a run completes without the fault. */
static uint64_t
read_loop(const struct bdev *pristine, enum fault_point point, bool persistent, bool read_only,
        uint32_t *failures)
{
    uint64_t k;
    for (k = 1; k < FAULT_INDEX_MAX; k++) {
        struct read_case c = { pristine, point, k, persistent, read_only };
        struct util_child r = util_isolated(read_child, &c);
        if (r.signal == 0 && r.exit_code == CHILD_NO_FAULT) {
            break;
        }
        if (r.signal != 0 || r.exit_code != CHILD_OK) {
            char buf[64];
            if ((*failures)++ < FAILURES_SHOWN_MAX) {
                util_note("FAILED: read %llu fails (%s, %s), %s mount: child %s",
                        (unsigned long long)k, fault_point_name(point), persistent ? "persistent" : "transient",
                        read_only ? "read-only" : "read-write",
                        util_child_describe(r, buf, sizeof(buf)));
            }
        }
    }
    CHECK_TRUE(k < FAULT_INDEX_MAX);
    return k;
}

static void
read_loops(enum fault_point point)
{
    struct bdev pristine;
    flip_image(&pristine);
    uint32_t failures = 0;
    for (uint32_t mode = 0; mode < 4; mode++) {
        bool persistent = mode & 1, read_only = mode & 2;
        uint64_t k = read_loop(&pristine, point, persistent, read_only, &failures);
        util_note("%s %s %s: reads 1..%llu failed in turn", fault_point_name(point),
                persistent ? "persistent" : "transient", read_only ? "read-only" : "read-write",
                (unsigned long long)(k - 1));
        CHECK_TRUE(k > 6);      /* Two superblocks, four arena headers at least. */
    }
    CHECK_EQ(failures, 0);
    bdev_mem_close(&pristine);
}

static void
faultloop_read_errors(void **state)
{
    (void)state;
    read_loops(FAULT_DEV_READ_EIO);
}

static void
faultloop_short_reads(void **state)
{
    (void)state;
    read_loops(FAULT_DEV_READ_SHORT);
}

/* ---- Device write errors ---------------------------------------------- */

#define WRITE_BLOCK_SIZE (4 * KIB)
#define WRITE_BLOCK_COUNT 256u      /* 1 MiB of small blocks: log growth is cheap. */

struct write_case {
    uint64_t fail_index;            /* The write that fails (1-based). */
    bool persistent;                /* And every write after it. */
};

/*
 * The workload's commits, each with file operations and test blocks, so a
 * recovered state can be told apart by its namespace:
 *   state 0 (format):   no /d;
 *   state 1 (commit 1): /d/f holds data 1, /e exists, no /d/g;
 *   state 2 (commit 2): /d/f holds data 1, no /e, /d/g holds data 2.
 */
#define WORKLOAD_DATA1_SIZE (2 * WRITE_BLOCK_SIZE + 1000)
#define WORKLOAD_DATA2_SIZE 5000u

struct workload {
    int err;                        /* The first error, or 0. */
    bool formatted;                 /* fs_format returned 0. */
    uint32_t syncs_ok;              /* Commits after format that returned 0. */
    uint32_t syncs_tried;           /* Commits attempted (a failed one may have landed). */
    uint64_t kept;                  /* Test blocks kept so far. */
    uint64_t kept_at[3];            /* Test blocks kept as of each state. */
    uint64_t log_grow_count;        /* fs_stats at the end. */
    uint64_t log_compress_count;    /* fs_stats at the end. */
    uint8_t data1[WORKLOAD_DATA1_SIZE];     /* Contents of /d/f. */
    uint8_t data2[WORKLOAD_DATA2_SIZE];     /* Contents of /d/g. */
};

/* Allocates count leaf blocks, freeing every free_stride-th at once; stops at
 * the first error. */
static int
workload_alloc(struct fs *fs, struct workload *w, uint32_t count, uint32_t free_stride)
{
    for (uint32_t i = 0; i < count; i++) {
        uint64_t addr;
        int err = child_alloc(fs, &addr);
        if (!err && free_stride != 0 && i % free_stride == 0) {
            err = blk_free_now(fs, addr);
        } else if (!err) {
            w->kept++;
        }
        if (err) {
            return err;
        }
    }
    return 0;
}

static int
workload_sync(struct fs *fs, struct workload *w)
{
    w->kept_at[++w->syncs_tried] = w->kept;
    int err = fs_sync(fs);
    w->syncs_ok += err == 0;
    return err;
}

/* Commit 1 and commit 2, each step only if everything before it worked, as a
 * caller that stops at the first error. Commit 2 follows log growth. */
static int
workload_commits(struct fs *fs, struct workload *w)
{
    int err = fs_mkdir(fs, "/d");
    err = err ? err : fs_create(fs, "/d/f");
    err = err ? err : fs_write(fs, "/d/f", 0, w->data1, sizeof(w->data1));
    err = err ? err : fs_create(fs, "/e");
    err = err ? err : fs_write(fs, "/e", 0, w->data2, 100);
    err = err ? err : workload_alloc(fs, w, 12, 3);
    err = err ? err : workload_sync(fs, w);
    err = err ? err : workload_alloc(fs, w, 600, 1);        /* Churn: log growth. */
    err = err ? err : fs_create(fs, "/d/g");
    err = err ? err : fs_write(fs, "/d/g", 0, w->data2, sizeof(w->data2));
    err = err ? err : fs_remove(fs, "/e");
    err = err ? err : workload_alloc(fs, w, 4, 0);
    return err ? err : workload_sync(fs, w);
}

static void
workload_run(const struct bdev *bdev, struct workload *w)
{
    memset(w, 0, sizeof(*w));
    util_fill_random(w->data1, sizeof(w->data1), 1);
    util_fill_random(w->data2, sizeof(w->data2), 2);
    struct fs_format_config fc = { .arena_count = 2 };
    w->err = fs_format(bdev, &fc);
    if (w->err) {
        return;
    }
    w->formatted = true;
    struct fs_config c = { 0 };
    struct fs *fs;
    w->err = fs_mount(&fs, bdev, &c);
    if (w->err) {
        return;
    }
    w->err = workload_commits(fs, w);
    w->log_grow_count = fs_stats(fs)->log_grow_count;
    w->log_compress_count = fs_stats(fs)->log_compress_count;
    int err = fs_unmount(fs);
    w->err = w->err ? w->err : err;
}

/* 1 if path exists holding exactly want[size], 0 if it does not exist, -1
 * for anything else. */
static int
file_state(struct fs *fs, const char *path, const uint8_t *want, size_t size)
{
    struct fs_stat st;
    int err = fs_stat(fs, path, &st);
    if (err == FS_ENOENT) {
        return 0;
    }
    if (err || st.size != size) {
        return -1;
    }
    uint8_t buf[WORKLOAD_DATA1_SIZE + 1];
    size_t done = 0;
    err = fs_read(fs, path, 0, buf, sizeof(buf), &done);
    return err == 0 && done == size && memcmp(buf, want, size) == 0 ? 1 : -1;
}

/* Which workload state fs holds (0, 1, 2), or -1 if none. */
static int
workload_state(struct fs *fs, const struct workload *w)
{
    struct fs_stat st;
    int d = fs_stat(fs, "/d", &st);
    if (d == FS_ENOENT) {
        return 0;
    }
    int f = file_state(fs, "/d/f", w->data1, sizeof(w->data1));
    int e = file_state(fs, "/e", w->data2, 100);
    int g = file_state(fs, "/d/g", w->data2, sizeof(w->data2));
    if (d != 0 || f != 1) {
        return -1;
    }
    return e == 1 && g == 0 ? 1 : e == 0 && g == 1 ? 2 : -1;
}

/* After a run that stopped at a device error: the image must mount (unless
 * format failed), check free of corruption, and hold the state of the last
 * commit that returned 0 or of the one in flight, with exactly its leaks. */
static int
workload_recovered(const struct bdev *dev, const struct workload *w, int *state)
{
    struct fs_config c = { .read_only = true };
    struct fs *fs = NULL;
    int err = fs_mount(&fs, dev, &c);
    *state = -1;
    if (err) {
        if (w->formatted || !mount_err_clean(err, fs)) {
            return VIOLATION("remount: %s (%s)", fs_strerror(err), fs_mount_failure());
        }
        return CHILD_OK;
    }
    struct fs_check_result r;
    int rc = CHILD_OK;
    int s = *state = workload_state(fs, w);
    if (fs_check(fs, &r) != 0) {
        rc = VIOLATION("remount: fs_check did not run");
    } else if (s < 0 || ((uint32_t)s != w->syncs_ok && (uint32_t)s != w->syncs_tried)) {
        rc = VIOLATION("recovered namespace is state %d; commits returned 0: %u, tried: %u",
                s, w->syncs_ok, w->syncs_tried);
    } else if (r.count[FS_CHECK_CORRUPT] != 0 || r.blocks_leaked != w->kept_at[s]) {
        util_check_print(&r);
        rc = VIOLATION("state %d: corruption, or leaks not %llu", s,
                (unsigned long long)w->kept_at[s]);
    }
    fs_unmount(fs);
    return rc;
}

static int
write_child(void *arg)
{
    const struct write_case *c = arg;
    struct bdev dev;
    if (bdev_mem_open(&dev, WRITE_BLOCK_SIZE, WRITE_BLOCK_COUNT) != 0) {
        return VIOLATION("no memory for the device");
    }
    struct faultdev fdev;
    faultdev_init(&fdev, &dev);
    faultdev_fail_nth(&fdev, FAULT_DEV_WRITE_EIO, c->fail_index, c->persistent);
    struct workload w;
    workload_run(&fdev.bdev, &w);
    int rc = CHILD_OK, state = -1;
    if (w.err != 0 && w.err != FS_EIO && w.err != FS_EROFS) {
        rc = VIOLATION("workload ended in %s", fs_strerror(w.err));
    } else if (fdev.fired_count == 0 && w.err != 0) {
        rc = VIOLATION("workload failed with no fault: %s", fs_strerror(w.err));
    } else {
        rc = workload_recovered(&dev, &w, &state);
    }
    bdev_mem_close(&dev);
    if (rc != CHILD_OK || fdev.fired_count == 0) {
        return rc != CHILD_OK ? rc : CHILD_NO_FAULT;
    }
    return state < 0 ? CHILD_UNMOUNTABLE : CHILD_STATE_0 + state;
}

/* Fails write k for k = 1, 2, ... until a run completes without the fault;
 * counts the recovered states in seen[0..3] (3: nothing mountable). */
static uint64_t
write_loop(bool persistent, uint32_t seen[4], uint32_t *failures)
{
    uint64_t k;
    for (k = 1; k < FAULT_INDEX_MAX; k++) {
        struct write_case c = { k, persistent };
        struct util_child r = util_isolated(write_child, &c);
        if (r.signal == 0 && r.exit_code == CHILD_NO_FAULT) {
            break;
        }
        if (r.signal == 0 && r.exit_code >= CHILD_STATE_0 && r.exit_code <= CHILD_UNMOUNTABLE) {
            seen[r.exit_code - CHILD_STATE_0]++;
        } else if ((*failures)++ < FAILURES_SHOWN_MAX) {
            char buf[64];
            util_note("FAILED: write %llu fails (%s): child %s", (unsigned long long)k,
                    persistent ? "persistent" : "transient",
                    util_child_describe(r, buf, sizeof(buf)));
        }
    }
    CHECK_TRUE(k < FAULT_INDEX_MAX);
    return k;
}

static void
faultloop_write_errors(void **state)
{
    (void)state;
    uint32_t failures = 0;
    for (uint32_t persistent = 0; persistent < 2; persistent++) {
        uint32_t seen[4] = { 0 };
        uint64_t k = write_loop(persistent == 1, seen, &failures);
        util_note("%s: writes 1..%llu failed in turn; recovered state 0: %u, 1: %u, 2: %u, "
                "unmountable: %u", persistent ? "persistent" : "transient",
                (unsigned long long)(k - 1), seen[0], seen[1], seen[2], seen[3]);
        CHECK_TRUE(k > 20);     /* Format and two commits write more than this. */
        /* Every crash point of the workload was reached: the loop tests all. */
        CHECK_TRUE(seen[0] > 0);
        CHECK_TRUE(seen[1] > 0);
        CHECK_TRUE(seen[2] > 0);
        CHECK_TRUE(seen[3] > 0);
    }
    CHECK_EQ(failures, 0);
}

/* The workload without faults: what the loops above take for granted. */
static void
faultloop_workload_baseline(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, WRITE_BLOCK_SIZE, WRITE_BLOCK_COUNT);
    struct faultdev fdev;
    faultdev_init(&fdev, &dev);
    struct workload w;
    workload_run(&fdev.bdev, &w);
    CHECK_ERR(w.err, 0);
    CHECK_EQ(w.syncs_ok, 2);
    CHECK_EQ(w.kept_at[1], 8);
    CHECK_EQ(w.kept_at[2], 12);
    CHECK_TRUE(w.log_grow_count >= 2);          /* The churn grew a log... */
    CHECK_EQ(w.log_compress_count, 2 + 1);      /* ...which the second sync compressed. */
    int recovered;
    CHECK_EQ(workload_recovered(&dev, &w, &recovered), CHILD_OK);
    CHECK_EQ(recovered, 2);
    struct fs *fs = util_mount(&dev, true);
    CHECK_EQ(workload_state(fs, &w), 2);
    util_check_clean(fs, 12);
    util_unmount(fs);
    CHECK_EQ(fdev.fired_count, 0);
    bdev_mem_close(&dev);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(faultloop_workload_baseline),
        cmocka_unit_test(faultloop_damaged_blocks),
        cmocka_unit_test(faultloop_read_errors),
        cmocka_unit_test(faultloop_short_reads),
        cmocka_unit_test(faultloop_write_errors),
    };
    return cmocka_run_group_tests_name("faultloop", tests, NULL, NULL);
}
