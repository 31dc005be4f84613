/*
 * tests/test_alloc.c: free maps and allocation logs across syncs, remounts,
 * compression, crashes and a full device.
 *
 * What it proves:
 *   - the allocation log replays to exactly the free map (and used bytes) the
 *     file system had when it committed, for one-block and many-block chains;
 *   - allocations survive log growth: after a chain of several log blocks and
 *     a remount every allocated block is still allocated, and fs_check finds
 *     no corruption and exactly the test's unreachable blocks as leaks;
 *   - compression rewrites the log without changing the free map: after the
 *     compressing sync the map is the old one minus the new chain plus the
 *     old chain, and a remount replays exactly that;
 *   - replay stops at the committed barrier: log entries written after a
 *     commit (by log growth, or by a sync whose superblock never landed) are
 *     dropped, log_truncated_bytes says so, and the state is the commit's;
 *     the truncated tail, appended to in place by the next sync, replays;
 *   - FS_ENOSPC: allocation stops at each arena's reserve, not before and not
 *     after (except for log growth, which the reserve is for), and the full
 *     image still syncs, remounts and checks clean.
 */
#include <stdlib.h>
#include <string.h>

#include "../faultinject/faultdev.h"
#include "util.h"

#include "../fs/alloc.h"
#include "../fs/blk.h"
#include "../fs/state.h"

/* A 4 KiB-block device: small log blocks, so chains grow quickly. */
#define BS4K (4 * KIB)

static void
expect_allocated(const struct util_fmap *m, const uint64_t *addrs, uint64_t count)
{
    uint64_t wrong = 0;
    for (uint64_t i = 0; i < count; i++) {
        if (addrs[i] != FMT_ADDR_NIL && util_fmap_is_free(m, addrs[i] / BS4K)) {
            if (wrong++ < 8) {
                util_note("block %llu was allocated and is free after remount",
                        (unsigned long long)(addrs[i] / BS4K));
            }
        }
    }
    CHECK_EQ(wrong, 0);
}

/* Syncs, records the free map, remounts, and expects the same map. */
static struct fs *
remount_expect_same(struct fs *fs, const struct bdev *dev)
{
    util_sync(fs);
    struct util_fmap before, after;
    util_fmap_take(fs, &before);
    fs = util_remount(fs, dev);
    util_fmap_take(fs, &after);
    util_fmap_expect_equal(&before, &after);
    util_fmap_free(&before);
    util_fmap_free(&after);
    return fs;
}

static void
alloc_remount_same_free_map(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 1024);
    struct fs *fs = util_format_mount(&dev, 2);
    uint64_t kept = util_alloc_blocks(fs, 300, true, 4, NULL);
    kept += util_alloc_blocks(fs, 200, false, 5, NULL);
    fs = remount_expect_same(fs, &dev);                 /* This sync compressed. */
    util_check_clean(fs, kept);

    kept += util_alloc_blocks(fs, 50, true, 2, NULL);
    util_sync(fs);                                      /* First sync: compresses. */
    kept += util_alloc_blocks(fs, 50, false, 3, NULL);
    fs = remount_expect_same(fs, &dev);                 /* A sync that does not. */
    util_check_clean(fs, kept);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

static void
alloc_log_growth(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 4096);
    struct fs *fs = util_format_mount(&dev, 1);
    const uint64_t count = 1600;      /* About 500 Alloc1 entries fill a 4 KiB log block. */
    uint64_t *addrs = calloc(count, sizeof(uint64_t));
    assert_non_null(addrs);
    CHECK_EQ(util_alloc_blocks(fs, count, false, 0, addrs), count);
    CHECK_TRUE(fs_stats(fs)->log_grow_count >= 3);
    CHECK_TRUE(fs->arenas[0].log_block_count >= 4);

    fs = remount_expect_same(fs, &dev);
    struct util_fmap m;
    util_fmap_take(fs, &m);
    expect_allocated(&m, addrs, count);
    util_fmap_free(&m);
    util_check_clean(fs, count);
    util_unmount(fs);
    free(addrs);
    bdev_mem_close(&dev);
}

/* Undoing an allocation (blk_free_undo) frees the block on a writable file
 * system; once the file system is read-only — as after a free of the same
 * undo that failed — the next undo leaves the free map alone instead of
 * aborting on blk_free_now's assertion. */
static void
alloc_undo_after_broke(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 1024);
    struct fs *fs = util_format_mount(&dev, 1);
    uint64_t addrs[3];
    CHECK_EQ(util_alloc_blocks(fs, 3, false, 0, addrs), 3u);
    uint64_t used = fs->arenas[0].used;
    blk_free_undo(fs, addrs[0]);
    CHECK_EQ(fs->arenas[0].used, used - fs->block_size);
    CHECK_TRUE(alloc_range_is_free(&fs->arenas[0], addrs[0], fs->block_size));
    (void)fs_broke(fs, FS_EIO, addrs[1], "a free of the undo failed");
    blk_free_undo(fs, addrs[1]);
    blk_free_undo(fs, addrs[2]);
    CHECK_EQ(fs->arenas[0].used, used - fs->block_size);
    CHECK_TRUE(!alloc_range_is_free(&fs->arenas[0], addrs[1], fs->block_size));
    assert_string_equal(fs_broken(fs), "a free of the undo failed");
    fs_unmount(fs);
    bdev_mem_close(&dev);
}

/* A committed log of several blocks that replay must walk: compression of a
 * fragmented map makes a multi-block chain, and growing it by less than its
 * length does not trigger the next compression. */
static void
alloc_log_chain_replay(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 4096);
    struct fs *fs = util_format_mount(&dev, 1);
    uint64_t kept = util_alloc_blocks(fs, 1400, false, 2, NULL);  /* ~700 free ranges. */
    util_sync(fs);
    const struct arena *a = &fs->arenas[0];
    uint32_t compressed = a->log_block_count;
    CHECK_TRUE(compressed >= 2);
    CHECK_EQ(a->log_block_count_last, compressed);

    uint64_t grow = fs_stats(fs)->log_grow_count;
    while (fs_stats(fs)->log_grow_count < grow + compressed - 1) {
        kept += util_alloc_blocks(fs, 7, false, 7, NULL);
    }
    uint64_t compress_count = fs_stats(fs)->log_compress_count;
    util_sync(fs);
    CHECK_EQ(fs_stats(fs)->log_compress_count, compress_count);   /* Not doubled yet. */
    uint32_t chain = fs->arenas[0].log_block_count;
    CHECK_TRUE(chain >= 2 * compressed - 1);
    fs = remount_expect_same(fs, &dev);
    CHECK_EQ(fs->arenas[0].log_block_count, chain);     /* Replay walked all of it. */
    util_check_clean(fs, kept);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

/* Marks every block of a's log chain free (or not) in m. */
static void
fmap_set_chain(struct util_fmap *m, const struct fs *fs, const struct arena *a, bool free_)
{
    for (uint32_t k = 0; k < a->log_block_count; k++) {
        util_fmap_set(m, a->chain[k] / fs->block_size, free_);
    }
}

static void
alloc_compress_preserves_free_map(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 4096);
    struct fs *fs = util_format_mount(&dev, 1);
    uint64_t kept = util_alloc_blocks(fs, 1200, false, 2, NULL);  /* ~600 free ranges. */
    fs = util_remount(fs, &dev);        /* The first sync after this mount compresses. */
    kept += util_alloc_blocks(fs, 3, false, 0, NULL);

    struct util_fmap expect, mem, replayed;
    util_fmap_take(fs, &expect);
    struct arena *a = &fs->arenas[0];
    uint64_t used_before = a->used;
    uint32_t old_count = a->log_block_count;
    fmap_set_chain(&expect, fs, a, true);             /* The old chain is freed... */
    uint64_t compress_count = fs_stats(fs)->log_compress_count;
    util_sync(fs);
    CHECK_EQ(fs_stats(fs)->log_compress_count, compress_count + 1);
    CHECK_TRUE(a->log_block_count >= 2);              /* A compressed log of many ranges. */
    CHECK_TRUE(a->free_count > 500);
    fmap_set_chain(&expect, fs, a, false);            /* ...and the new one allocated. */
    util_fmap_take(fs, &mem);
    for (uint32_t k = 0; k < mem.block_count; k++) {
        if (util_fmap_is_free(&mem, k) != util_fmap_is_free(&expect, k)) {
            util_note("block %u: %s after compression", k,
                    util_fmap_is_free(&mem, k) ? "free" : "allocated");
        }
    }
    CHECK_EQ(memcmp(mem.bits, expect.bits, mem.block_count / 8 + 1), 0);
    CHECK_EQ(a->used, used_before + ((uint64_t)a->log_block_count - old_count) * BS4K);

    util_unmount(fs);
    fs = util_mount(&dev, false);
    util_fmap_take(fs, &replayed);
    util_fmap_expect_equal(&mem, &replayed);
    util_check_clean(fs, kept);
    util_fmap_free(&expect);
    util_fmap_free(&mem);
    util_fmap_free(&replayed);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

/* A crash after log growth: the grown tail's rewrite put entries after the
 * committed barrier on disk. Recovery must drop them. */
static void
alloc_replay_cutoff_growth(void **state)
{
    (void)state;
    struct bdev dev, crash;
    util_mem_open(&dev, BS4K, 1024);
    struct fs *fs = util_format_mount(&dev, 1);
    uint64_t kept = util_alloc_blocks(fs, 40, false, 3, NULL);
    util_sync(fs);
    struct util_fmap committed, recovered;
    util_fmap_take(fs, &committed);

    uint64_t grow = fs_stats(fs)->log_grow_count;
    while (fs_stats(fs)->log_grow_count < grow + 2) {
        util_alloc_blocks(fs, 10, false, 4, NULL);
    }
    util_mem_clone(&crash, &dev);       /* Power fails here. */
    util_unmount(fs);
    bdev_mem_close(&dev);

    fs = util_mount(&crash, false);
    CHECK_TRUE(fs_stats(fs)->log_truncated_bytes > 0);
    util_fmap_take(fs, &recovered);
    util_fmap_expect_equal(&committed, &recovered);
    util_check_clean(fs, kept);

    /* Work after recovery commits on top of the commit, not the lost work. */
    kept += util_alloc_blocks(fs, 5, false, 0, NULL);
    fs = remount_expect_same(fs, &crash);
    CHECK_EQ(fs_stats(fs)->log_truncated_bytes, 0);
    util_check_clean(fs, kept);
    util_unmount(fs);
    util_fmap_free(&committed);
    util_fmap_free(&recovered);
    bdev_mem_close(&crash);
}

static void
alloc_replay_cutoff_failed_sync(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 1024);
    struct faultdev fdev;
    CHECK_EQ(faultdev_init(&fdev, &dev), 0);
    struct fs *fs = util_format_mount(&fdev.bdev, 2);
    uint64_t kept = util_alloc_blocks(fs, 30, true, 4, NULL);
    kept += util_alloc_blocks(fs, 30, false, 4, NULL);
    util_sync(fs);
    struct util_fmap committed, recovered;
    util_fmap_take(fs, &committed);

    util_alloc_blocks(fs, 40, true, 3, NULL);
    util_alloc_blocks(fs, 40, false, 3, NULL);
    fdev.write_fail_block = 0;          /* Every write from sb0 on fails: a crash. */
    uint64_t writes_before = fdev.write_count;
    CHECK_ERR(fs_sync(fs), FS_EIO);
    assert_non_null(fs_broken(fs));
    CHECK_TRUE(fdev.write_count - fdev.fired_count > writes_before);   /* Tails and h0s. */
    CHECK_ERR(fs_unmount(fs), 0);       /* Broken: nothing more is written. */

    fs = util_mount(&dev, false);
    CHECK_EQ(fs_super_index(fs, NULL), 0);
    CHECK_EQ(fs_arena_header_index(fs, 0), 1);      /* h0 landed, its superblock did not. */
    CHECK_EQ(fs_arena_header_index(fs, 1), 1);
    CHECK_TRUE(fs_stats(fs)->log_truncated_bytes > 0);
    util_fmap_take(fs, &recovered);
    util_fmap_expect_equal(&committed, &recovered);
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    CHECK_TRUE(util_check_has(&r, FS_CHECK_WARNING, "arena 0"));
    util_check_clean(fs, kept);

    kept += util_alloc_blocks(fs, 3, false, 0, NULL);
    fs = remount_expect_same(fs, &dev);
    CHECK_EQ(fs_arena_header_index(fs, 0), 0);
    util_check_clean(fs, kept);
    util_unmount(fs);
    util_fmap_free(&committed);
    util_fmap_free(&recovered);
    bdev_mem_close(&dev);
}

/* Allocates until the arena has exactly free_blocks free blocks left. */
static uint64_t
alloc_down_to(struct fs *fs, const struct arena *a, uint64_t free_blocks)
{
    uint64_t count = 0;
    while (a->free_bytes > free_blocks * fs->block_size) {
        CHECK_TRUE(count < fs->block_count);
        count += util_alloc_blocks(fs, 1, false, 0, NULL);
    }
    CHECK_EQ(a->free_bytes, free_blocks * fs->block_size);
    return count;
}

/*
 * The truncated tail is written back correctly. The first sync after a mount
 * compresses the log, which hides the truncated tail; on an arena too full to
 * compress (a tiny device) the next sync appends to the tail in place, after
 * the committed barrier, and a later mount must replay through it.
 */
static void
alloc_replay_cutoff_rewrite(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, 16 * KIB, 11);
    struct faultdev fdev;
    CHECK_EQ(faultdev_init(&fdev, &dev), 0);
    struct fs *fs = util_format_mount(&fdev.bdev, 1);
    const struct arena *a = &fs->arenas[0];
    CHECK_EQ(a->reserve, fs->block_size);
    uint64_t kept = alloc_down_to(fs, a, 2);   /* Compression needs three free blocks. */
    util_sync(fs);
    CHECK_EQ(fs_stats(fs)->log_compress_count, 0);     /* The scenario's premise. */
    struct util_fmap committed, recovered;
    util_fmap_take(fs, &committed);

    /* Entries after the barrier (one that changes the arena's used bytes, so
     * the header differs too), written by the sync that then crashes. */
    util_alloc_blocks(fs, 1, false, 0, NULL);
    fdev.write_fail_block = 0;
    CHECK_ERR(fs_sync(fs), FS_EIO);
    CHECK_ERR(fs_unmount(fs), 0);

    fs = util_mount(&dev, false);
    a = &fs->arenas[0];
    CHECK_TRUE(fs_stats(fs)->log_truncated_bytes > 0);
    CHECK_EQ(fs_arena_header_index(fs, 0), 1);
    util_fmap_take(fs, &recovered);
    util_fmap_expect_equal(&committed, &recovered);
    kept += alloc_down_to(fs, a, 1);
    util_sync(fs);
    CHECK_EQ(fs_stats(fs)->log_compress_count, 0);
    CHECK_EQ(fs->arenas[0].log_block_count, 1);         /* Appended in place. */
    fs = remount_expect_same(fs, &dev);
    CHECK_EQ(fs_stats(fs)->log_truncated_bytes, 0);
    util_check_clean(fs, kept);
    util_unmount(fs);
    util_fmap_free(&committed);
    util_fmap_free(&recovered);
    bdev_mem_close(&dev);
}

/* Fills the device until FS_ENOSPC; returns the blocks allocated. */
static uint64_t
fill_until_enospc(struct fs *fs)
{
    uint32_t chain_before[FMT_ARENA_COUNT_MAX];
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        chain_before[i] = fs->arenas[i].log_block_count;
    }
    uint64_t count = 0, bound = fs->block_count;
    uint64_t enospc = fs_stats(fs)->enospc_count;
    int err = 0;
    while (err == 0) {
        CHECK_TRUE(count <= bound);
        uint64_t addr;
        err = util_alloc_one(fs, count % 3 != 0, count, &addr);
        if (err == 0) {
            count++;
        }
    }
    CHECK_ERR(err, FS_ENOSPC);
    assert_null(fs_broken(fs));
    CHECK_EQ(fs_stats(fs)->enospc_count, enospc + 1);
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        const struct arena *a = &fs->arenas[i];
        uint64_t keep = FS_MAX(a->reserve, fs->block_size);
        uint64_t grown = (uint64_t)(a->log_block_count - chain_before[i]) * fs->block_size;
        if (a->free_bytes > keep || a->free_bytes + grown < a->reserve) {
            util_note("arena %u: free %llu, reserve %llu, log grown by %llu bytes", i,
                    (unsigned long long)a->free_bytes, (unsigned long long)a->reserve,
                    (unsigned long long)grown);
        }
        CHECK_TRUE(a->free_bytes <= keep);                 /* ENOSPC was not premature. */
        CHECK_TRUE(a->free_bytes + grown >= a->reserve);    /* Only log growth used it. */
    }
    return count;
}

static void
enospc_case(uint32_t block_size, uint64_t block_count, uint32_t arena_count)
{
    struct bdev dev;
    util_mem_open(&dev, block_size, block_count);
    struct fs *fs = util_format_mount(&dev, arena_count);
    uint64_t count = fill_until_enospc(fs);
    CHECK_TRUE(count > 0);
    fs = remount_expect_same(fs, &dev);
    util_check_clean(fs, count);

    /* Full again after the remount (compression may have returned a block or
     * two of the old log chain). */
    count += fill_until_enospc(fs);
    fs = remount_expect_same(fs, &dev);
    util_check_clean(fs, count);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

static void
alloc_enospc(void **state)
{
    (void)state;
    enospc_case(16 * KIB, 64, 1);
    enospc_case(4 * KIB, 1024, 2);
    enospc_case(8 * KIB, 1024, 5);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alloc_remount_same_free_map),
        cmocka_unit_test(alloc_log_growth),
        cmocka_unit_test(alloc_log_chain_replay),
        cmocka_unit_test(alloc_compress_preserves_free_map),
        cmocka_unit_test(alloc_replay_cutoff_growth),
        cmocka_unit_test(alloc_replay_cutoff_failed_sync),
        cmocka_unit_test(alloc_replay_cutoff_rewrite),
        cmocka_unit_test(alloc_enospc),
        cmocka_unit_test(alloc_undo_after_broke),
    };
    return cmocka_run_group_tests_name("alloc", tests, NULL, NULL);
}
