/*
 * tests/test_reach.c: fs_reach's structural counters against shapes built
 * on purpose.
 *
 * Method: each case builds one shape through the public API or the block
 * layer (a log chain of several blocks, a fragmented free map, a compressed
 * chain of two blocks or more, snapshots and forks, deadlists, a tree of
 * height two or more, a full arena whose first sync cannot compress, a log
 * cut by replay after a crash) and asserts fs_reach's counters against what
 * the test knows independently: the free ranges counted from the free map's
 * bits, the log blocks from the growth counter, the labels it made, the
 * nodes of each level summing to the whole. A damaged deadlist block must
 * give FS_ECORRUPT, never a crash, and leave the counters zero.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/probes.h"
#include "../fs/reach.h"
#include "../fs/state.h"
#include "../fs/tree.h"

#define BS4K (4 * KIB)
#define BS16K (16 * KIB)

static void
reach_take(struct fs *fs, struct fs_reach *r)
{
    CHECK_ERR(fs_reach(fs, r), 0);
    CHECK_EQ(r->arena_count, fs_arena_count(fs));
}

/* The value the flattened list gives name, which must be in it. */
static uint64_t
reach_named(const struct fs_reach *r, const char *want)
{
    char name[64];
    uint64_t value;
    for (uint32_t i = 0; fs_reach_entry(r, i, name, sizeof(name), &value); i++) {
        if (strcmp(name, want) == 0) {
            return value;
        }
    }
    fail_msg("fs_reach_entry has no '%s'", want);
    return 0;
}

/* Free ranges of arena 0 counted from the free map's bits. */
static uint64_t
free_runs(struct fs *fs)
{
    struct util_fmap m;
    util_fmap_take(fs, &m);
    uint64_t runs = 0;
    for (uint64_t b = 0; b < m.block_count; b++) {
        bool here = util_fmap_is_free(&m, b);
        runs += here && (b == 0 || !util_fmap_is_free(&m, b - 1));
    }
    util_fmap_free(&m);
    return runs;
}

/* A log chain of several blocks, a fragmented map, a compressed chain of
 * two blocks or more, and the counters a remount resets. */
static void
reach_log_chain(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 4096);
    struct fs *fs = util_format_mount(&dev, 1);
    CHECK_EQ(util_alloc_blocks(fs, 1600, false, 2, NULL), 800u);   /* 800 single gaps. */
    struct fs_reach r;
    reach_take(fs, &r);
    uint64_t grows = fs_stats(fs)->log_grow_count;
    CHECK_TRUE(grows >= 3);
    CHECK_EQ(r.arena[0][FS_REACH_ARENA_LOG_BLOCKS], 1 + grows);
    CHECK_EQ(r.value[FS_REACH_LOG_CHAIN_MAX], 1 + grows);
    CHECK_EQ(r.value[FS_REACH_STAT_LOG_GROWS], grows);
    CHECK_EQ(r.arena[0][FS_REACH_ARENA_LOG_COMPRESSED], 0);    /* None since mount. */
    CHECK_EQ(r.arena[0][FS_REACH_ARENA_FREE_RANGES], free_runs(fs));
    CHECK_TRUE(r.arena[0][FS_REACH_ARENA_FREE_RANGES] >= 800);
    CHECK_EQ(reach_named(&r, "arena.0.free_ranges"), r.arena[0][FS_REACH_ARENA_FREE_RANGES]);
    CHECK_EQ(reach_named(&r, "arena.0.free_blocks") * BS4K, fs->arenas[0].free_bytes);

    util_sync(fs);                          /* The first sync after mount compresses. */
    reach_take(fs, &r);
    CHECK_EQ(r.value[FS_REACH_STAT_LOG_COMPRESSIONS], 1);
    CHECK_TRUE(r.arena[0][FS_REACH_ARENA_LOG_COMPRESSED] >= 2);    /* 800 ranges: 2 blocks. */
    CHECK_TRUE(r.arena[0][FS_REACH_ARENA_LOG_BLOCKS] >= r.arena[0][FS_REACH_ARENA_LOG_COMPRESSED]);
    CHECK_EQ(r.value[FS_REACH_LOG_COMPRESSED_MAX], r.arena[0][FS_REACH_ARENA_LOG_COMPRESSED]);
    uint64_t chain = r.arena[0][FS_REACH_ARENA_LOG_BLOCKS];

    fs = util_remount(fs, &dev);            /* Unmount commits; replay walks the chain. */
    reach_take(fs, &r);
    CHECK_EQ(r.arena[0][FS_REACH_ARENA_LOG_COMPRESSED], 0);
    CHECK_EQ(r.value[FS_REACH_STAT_LOG_CUT_BLOCK_MAX], r.arena[0][FS_REACH_ARENA_LOG_BLOCKS]);
    CHECK_TRUE(r.arena[0][FS_REACH_ARENA_LOG_BLOCKS] >= chain);
    CHECK_EQ(r.value[FS_REACH_STAT_LOG_CUT_ARENAS], 0);     /* A clean unmount drops nothing. */
    CHECK_EQ(r.value[FS_REACH_STAT_SYNCS], 0);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

/* Log growth after the last commit, then a crash: replay cuts at the barrier. */
static void
reach_log_cut(void **state)
{
    (void)state;
    struct bdev dev, crash;
    util_mem_open(&dev, BS4K, 4096);
    struct fs *fs = util_format_mount(&dev, 1);
    util_sync(fs);
    CHECK_EQ(util_alloc_blocks(fs, 1200, false, 0, NULL), 1200u);
    CHECK_TRUE(fs_stats(fs)->log_grow_count >= 1);     /* Growth wrote the chain now. */
    util_mem_clone(&crash, &dev);                      /* Power lost here. */
    fs_unmount(fs);
    bdev_mem_close(&dev);

    fs = util_mount(&crash, false);
    struct fs_reach r;
    reach_take(fs, &r);
    CHECK_EQ(r.value[FS_REACH_STAT_LOG_CUT_ARENAS], 1);
    CHECK_TRUE(r.value[FS_REACH_STAT_LOG_TRUNCATED_BYTES] > 0);
    CHECK_EQ(r.value[FS_REACH_STAT_LOG_TRUNCATED_BYTES], fs_stats(fs)->log_truncated_bytes);
    CHECK_EQ(r.value[FS_REACH_STAT_LOG_CUT_BLOCK_MAX], 1);  /* The committed barrier's block. */
    CHECK_EQ(r.arena[0][FS_REACH_ARENA_LOG_BLOCKS], 1);     /* The growth after it is gone. */
    util_unmount(fs);
    bdev_mem_close(&crash);
}

/* Writes n blocks of pattern seed over /f from offset 0. */
static void
write_f(struct fs *fs, uint32_t n, uint8_t seed)
{
    uint8_t *buf = malloc((size_t)n * BS16K);
    assert_non_null(buf);
    memset(buf, seed, (size_t)n * BS16K);
    CHECK_ERR(fs_write(fs, "/f", 0, buf, (size_t)n * BS16K), 0);
    free(buf);
}

/* Labels with overwrites between them (kills into deadlists), and forks. */
static void
reach_snapshots(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS16K, 1024);
    struct fs *fs = util_format_mount(&dev, 1);
    CHECK_ERR(fs_create(fs, "/f"), 0);
    const uint32_t labels = 5, blocks = 4;
    for (uint32_t i = 0; i < labels; i++) {
        write_f(fs, blocks, (uint8_t)i);
        util_sync(fs);
        char name[16];
        snprintf(name, sizeof(name), "s%u", i);
        CHECK_ERR(fs_snap_label(fs, "main", name), 0);
    }
    write_f(fs, blocks, 0xee);
    CHECK_ERR(fs_snap_fork(fs, "s1", "f1"), 0);
    CHECK_ERR(fs_snap_fork(fs, "s3", "f3"), 0);
    struct fs_reach r;
    reach_take(fs, &r);
    CHECK_EQ(r.value[FS_REACH_SNAP_LABELS], labels);
    CHECK_EQ(r.value[FS_REACH_SNAP_FORKS], 3);             /* main, f1, f3. */
    CHECK_TRUE(r.value[FS_REACH_SNAP_RECORDS] >= labels + 1);
    /* Every overwrite after label s0..s4 killed the file's blocks the label holds. */
    CHECK_TRUE(r.value[FS_REACH_DLIST_ENTRIES] >= (uint64_t)labels * blocks);
    CHECK_TRUE(r.value[FS_REACH_DLIST_LISTS] >= labels);
    CHECK_TRUE(r.value[FS_REACH_DLIST_BLOCKS] >= r.value[FS_REACH_DLIST_LISTS]);
    CHECK_TRUE(r.value[FS_REACH_DLIST_CHAIN_MAX] >= 1);
    CHECK_EQ(r.value[FS_REACH_SNAP_TREE_HEIGHT], fs->snap.height);

    CHECK_ERR(fs_snap_delete(fs, "s2"), 0);
    CHECK_ERR(fs_snap_delete(fs, "f1"), 0);
    struct fs_reach after;
    reach_take(fs, &after);
    CHECK_EQ(after.value[FS_REACH_SNAP_LABELS], labels - 1);
    CHECK_EQ(after.value[FS_REACH_SNAP_FORKS], 2);
    CHECK_TRUE(after.value[FS_REACH_SNAP_RECORDS] < r.value[FS_REACH_SNAP_RECORDS]);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

static int
first_deadlist(void *arg, const struct kv *kv)
{
    uint64_t *addr = arg;
    CHECK_EQ(kv->nv, FMT_DLIST_VALUE_SIZE);
    *addr = fmt_bptr_unpack(kv->v).addr;
    return 1;
}

/* A damaged deadlist block: an error with a reason, zero counters, no crash. */
static void
reach_damaged_deadlist(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS16K, 1024);
    struct fs *fs = util_format_mount(&dev, 1);
    CHECK_ERR(fs_create(fs, "/f"), 0);
    write_f(fs, 2, 1);
    CHECK_ERR(fs_snap_label(fs, "main", "old"), 0);
    write_f(fs, 2, 2);
    util_sync(fs);
    uint64_t addr = FMT_ADDR_NIL;
    const uint8_t prefix[1] = { FMT_KDLIST };
    CHECK_ERR(tree_scan(fs, &fs->snap, NULL, 0, prefix, 1, first_deadlist, &addr), 0);
    CHECK_TRUE(addr != FMT_ADDR_NIL);
    util_unmount(fs);

    bdev_mem_bytes(&dev)[addr + FMT_LOG_HEADER_SIZE] ^= 0x40;  /* An entry's byte. */
    fs = util_mount(&dev, true);
    struct fs_reach r;
    CHECK_ERR(fs_reach(fs, &r), FS_ECORRUPT);
    CHECK_TRUE(fs_broken(fs) != NULL);
    CHECK_EQ(r.value[FS_REACH_TREE_HEIGHT], 0);
    CHECK_EQ(r.arena_count, 0);
    fs_unmount(fs);
    bdev_mem_close(&dev);
}

/* Enough long names in one directory for a tree of height two or more. */
static void
reach_tree_height(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 2048);
    struct fs *fs = util_format_mount(&dev, 1);
    char path[FS_NAME_MAX + 2];
    for (uint32_t i = 0; i < 200; i++) {
        memset(path, 'a' + (char)(i % 26), sizeof(path));
        snprintf(path, 12, "/%010u", i);
        path[11] = 'x';
        path[FS_NAME_MAX + 1] = '\0';
        CHECK_ERR(fs_create(fs, path), 0);
    }
    util_sync(fs);
    struct fs_reach r;
    reach_take(fs, &r);
    uint64_t h = r.value[FS_REACH_TREE_HEIGHT];
    CHECK_EQ(h, fs->tree.height);
    CHECK_TRUE(h >= 2);
    CHECK_EQ(r.level_nodes[h - 1], 1);                      /* One root. */
    CHECK_TRUE(r.level_nodes[0] >= 2);
    uint64_t sum = 0;
    for (uint32_t i = 0; i < FS_REACH_LEVELS_MAX; i++) {
        CHECK_TRUE(i < h || r.level_nodes[i] == 0);
        sum += r.level_nodes[i];
    }
    CHECK_EQ(sum, r.value[FS_REACH_TREE_NODES]);
    CHECK_TRUE(r.value[FS_REACH_TREE_PIVOT_CHILDREN_MAX] >= 2);
    CHECK_TRUE(r.value[FS_REACH_TREE_PIVOT_FILL_MAX] > 2 * FS_NAME_MAX);    /* Long keys. */
    CHECK_TRUE(r.value[FS_REACH_TREE_PIVOT_FILL_MAX] <= r.value[FS_REACH_TREE_PIVOT_FILL_CAP]);
    char name[24];
    snprintf(name, sizeof(name), "tree.level%u.nodes", (unsigned)h);
    CHECK_EQ(reach_named(&r, name), 1);
    CHECK_EQ(reach_named(&r, "tree.level1.nodes"), r.level_nodes[0]);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

/* An arena filled, reserve and all, to two free blocks (a compression
 * needs three): the first sync after the remount is due to compress and
 * cannot, and says so. */
static void
reach_compress_no_room(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_open(&dev, BS4K, 256);
    struct fs *fs = util_format_mount(&dev, 1);
    util_sync(fs);
    fs->use_reserve = true;                 /* Down to the block log growth keeps. */
    uint64_t addr;
    while (fs->arenas[0].free_bytes > 2ull * BS4K) {
        CHECK_ERR(util_alloc_one(fs, false, 0, &addr), 0);
    }
    fs->use_reserve = false;
    CHECK_ERR(util_alloc_one(fs, false, 0, &addr), FS_ENOSPC);
    fs = util_remount(fs, &dev);
    (void)fs_probes_take();
    fs->dirty = true;                       /* A commit with nothing new: the barriers. */
    CHECK_ERR(fs_sync(fs), 0);
    CHECK_TRUE((fs_probes_take() >> FS_PROBE_SYNC_COMPRESS_NO_ROOM) & 1);
    struct fs_reach r;
    reach_take(fs, &r);
    CHECK_EQ(r.value[FS_REACH_STAT_COMPRESS_NO_ROOM], 1);
    CHECK_EQ(r.value[FS_REACH_STAT_LOG_COMPRESSIONS], 0);
    CHECK_EQ(r.arena[0][FS_REACH_ARENA_LOG_COMPRESSED], 0);
    CHECK_EQ(reach_named(&r, "stats.compress_no_room"), 1);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reach_log_chain),
        cmocka_unit_test(reach_log_cut),
        cmocka_unit_test(reach_snapshots),
        cmocka_unit_test(reach_damaged_deadlist),
        cmocka_unit_test(reach_tree_height),
        cmocka_unit_test(reach_compress_no_room),
    };
    return cmocka_run_group_tests_name("reach", tests, NULL, NULL);
}
