/*
 * tests/test_oplog.c: the op log's disk (traces/oplog.h) and its sparse base.
 *
 * What it proves:
 *   - a base block holds what was set last; all-zero bytes store nothing, so
 *     base_count counts the blocks that are not all zero and
 *     oplog_disk_base_next walks exactly those, ascending; every other block
 *     reads as zeros;
 *   - oplog_disk_write goes into the base before the log starts and into the
 *     log after, leaving the base as it was; oplog_disk_block answers a
 *     block's last write, else its base;
 *   - a disk of the largest device the file system formats (64 GiB of 16 KiB
 *     blocks) costs words per block, not the device's bytes: the heap grows by
 *     less than 64 MiB (glibc's count; under ASan it sees nothing);
 *   - the content pool keeps each distinct content once and gives every one
 *     back by its index across its chunks (they double from 8 contents to
 *     256, then stay at 256): 2,000 contents, every one written twice;
 *   - the recording disk of a formatted 1 GiB device keeps only the blocks
 *     mkfs wrote, reads every other block as zeros, and a write-log file of it
 *     gives back the same sparse base and log in both formats.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../sim/record/dev.h"
#include "../traces/wlog.h"

#define BS_SMALL 4096u              /* Block size of the hand-made disk. */
#define BLOCKS_SMALL 64u            /* Its blocks. */

static bool
all_zero(const uint8_t *p, size_t n)
{
    return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static size_t
heap_used_size(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

static void
oplog_base_is_sparse(void **state)
{
    (void)state;
    static uint8_t a[BS_SMALL], b[BS_SMALL], c[BS_SMALL], zeros[BS_SMALL];
    memset(a, 0xa1, sizeof(a));
    memset(b, 0xb2, sizeof(b));
    memset(c, 0xc3, sizeof(c));
    struct oplog_disk d;
    CHECK_ERR(oplog_disk_init(&d, BS_SMALL, BLOCKS_SMALL), 0);
    CHECK_EQ(d.base_count, 0);
    CHECK_EQ(oplog_disk_base_next(&d, 0), BLOCKS_SMALL);
    CHECK_ERR(oplog_disk_base_set(&d, 5, a), 0);
    CHECK_ERR(oplog_disk_base_set(&d, 9, b), 0);
    CHECK_ERR(oplog_disk_base_set(&d, 5, c), 0);        /* Set again: the last bytes count. */
    CHECK_ERR(oplog_disk_base_set(&d, 9, zeros), 0);    /* Back to zeros: nothing stored. */
    CHECK_ERR(oplog_disk_write(&d, 63, b), 0);          /* Before the start: the base. */
    CHECK_EQ(d.base_count, 2);
    CHECK_EQ(d.log.count, 0);
    CHECK_EQ(oplog_disk_base_next(&d, 0), 5);
    CHECK_EQ(oplog_disk_base_next(&d, 6), 63);
    CHECK_EQ(oplog_disk_base_next(&d, 64), BLOCKS_SMALL);
    CHECK_TRUE(memcmp(oplog_disk_base_block(&d, 5), c, BS_SMALL) == 0);
    CHECK_TRUE(memcmp(oplog_disk_base_block(&d, 63), b, BS_SMALL) == 0);
    for (uint64_t blk = 0; blk < BLOCKS_SMALL; blk++) {
        if (blk != 5 && blk != 63) {
            CHECK_TRUE(all_zero(oplog_disk_base_block(&d, blk), BS_SMALL));
        }
    }
    oplog_start(&d.log, 0, 0);
    CHECK_ERR(oplog_disk_write(&d, 5, a), 0);           /* After the start: the log. */
    CHECK_ERR(oplog_disk_write(&d, 7, b), 0);
    CHECK_EQ(d.log.write_count, 2);
    CHECK_EQ(d.base_count, 2);
    CHECK_TRUE(memcmp(oplog_disk_base_block(&d, 5), c, BS_SMALL) == 0);
    CHECK_TRUE(memcmp(oplog_disk_block(&d, 5), a, BS_SMALL) == 0);
    CHECK_TRUE(memcmp(oplog_disk_block(&d, 7), b, BS_SMALL) == 0);
    CHECK_TRUE(all_zero(oplog_disk_base_block(&d, 7), BS_SMALL));
    CHECK_TRUE(memcmp(oplog_disk_block(&d, 63), b, BS_SMALL) == 0);
    CHECK_TRUE(all_zero(oplog_disk_block(&d, 9), BS_SMALL));
    oplog_disk_deinit(&d);
}

#define POOL_CONTENTS 2000u        /* Past the doubling chunks and several whole ones. */

static void
oplog_pool_across_chunks(void **state)
{
    (void)state;
    static uint8_t buf[BS_SMALL];
    struct oplog log;
    CHECK_ERR(oplog_init(&log, BS_SMALL, BLOCKS_SMALL), 0);
    oplog_start(&log, 0, 0);
    for (uint32_t round = 0; round < 2; round++) {
        for (uint32_t i = 0; i < POOL_CONTENTS; i++) {
            memset(buf, (int)(i % 251), sizeof(buf));
            memcpy(buf, &i, sizeof(i));
            CHECK_ERR(oplog_write(&log, i % BLOCKS_SMALL, buf), 0);
        }
    }
    CHECK_EQ(log.pool.count, POOL_CONTENTS);            /* The second round stored nothing. */
    for (uint32_t op = 0; op < log.count; op++) {
        uint32_t i = op % POOL_CONTENTS;
        const uint8_t *got = oplog_pool_get(&log.pool, log.ops[op].content);
        CHECK_EQ(log.ops[op].content, i);
        uint32_t id;
        memcpy(&id, got, sizeof(id));
        CHECK_EQ(id, i);
        CHECK_EQ(got[BS_SMALL - 1], i % 251);
    }
    oplog_deinit(&log);
}

static void
oplog_disk_costs_words_per_block(void **state)
{
    (void)state;
    uint64_t blocks = FMT_BLOCK_COUNT_MAX;
    uint8_t *bytes = malloc(FMT_BLOCK_SIZE_MAX);
    assert_non_null(bytes);
    memset(bytes, 0x5a, FMT_BLOCK_SIZE_MAX);
    size_t before = heap_used_size();
    struct oplog_disk d;
    CHECK_ERR(oplog_disk_init(&d, FMT_BLOCK_SIZE_MAX, blocks), 0);
    CHECK_ERR(oplog_disk_base_set(&d, blocks - 1, bytes), 0);
    oplog_start(&d.log, 0, 0);
    CHECK_ERR(oplog_disk_write(&d, blocks / 2, bytes), 0);
    size_t grown = heap_used_size() - before;
    util_note("a %llu-block disk of %u-byte blocks: the heap grew %zu KiB",
            (unsigned long long)blocks, FMT_BLOCK_SIZE_MAX, grown >> 10);
    CHECK_TRUE(grown < 64 * MIB);
    CHECK_EQ(d.base_count, 1);
    CHECK_EQ(oplog_disk_base_next(&d, 0), blocks - 1);
    CHECK_TRUE(all_zero(oplog_disk_block(&d, 1), FMT_BLOCK_SIZE_MAX));
    CHECK_TRUE(memcmp(oplog_disk_block(&d, blocks / 2), bytes, FMT_BLOCK_SIZE_MAX) == 0);
    oplog_disk_deinit(&d);
    free(bytes);
}

/* The same base and log, block by block and op by op (by the log's hash). */
static void
disk_expect_same(const struct oplog_disk *x, const struct oplog_disk *y)
{
    uint32_t bs = x->log.block_size;
    CHECK_EQ(x->log.block_count, y->log.block_count);
    CHECK_EQ(x->base_count, y->base_count);
    for (uint64_t b = oplog_disk_base_next(x, 0); b < x->log.block_count;
            b = oplog_disk_base_next(x, b + 1)) {
        CHECK_EQ(oplog_disk_base_next(y, b), b);
        CHECK_TRUE(memcmp(oplog_disk_base_block(x, b), oplog_disk_base_block(y, b), bs) == 0);
    }
    CHECK_EQ(oplog_hash(&x->log), oplog_hash(&y->log));
}

static void
recording_disk_keeps_what_mkfs_wrote(void **state)
{
    (void)state;
    const uint32_t bs = 16 * KIB;
    const uint64_t blocks = (1ull << 30) / bs;
    struct sim_dev *dev = calloc(1, sizeof(*dev));
    uint8_t *buf = malloc(bs);
    assert_non_null(dev);
    assert_non_null(buf);
    CHECK_ERR(sim_dev_init(dev, bs, blocks), 0);
    struct fs_format_config fc = { 0 };
    CHECK_ERR(fs_format(&dev->bdev, &fc), 0);
    CHECK_ERR(sim_dev_record_start(dev), 0);
    uint64_t formatted = dev->disk.base_count;
    util_note("mkfs of %llu blocks wrote %llu that are not all zero",
            (unsigned long long)blocks, (unsigned long long)formatted);
    CHECK_TRUE(formatted > 0 && formatted < blocks / 64);
    for (uint64_t b = 0; b < blocks; b++) {
        CHECK_ERR(dev->bdev.read(&dev->bdev, b, buf), 0);
        CHECK_TRUE(memcmp(buf, oplog_disk_base_block(&dev->disk, b), bs) == 0);
    }
    struct fs_config mc = { 0 };
    struct fs *fs = NULL;
    CHECK_ERR(fs_mount(&fs, &dev->bdev, &mc), 0);
    memset(buf, 0x77, bs);
    CHECK_ERR(fs_create(fs, "/f"), 0);
    CHECK_ERR(fs_write(fs, "/f", 0, buf, bs), 0);
    CHECK_ERR(fs_unmount(fs), 0);
    CHECK_EQ(dev->disk.base_count, formatted);          /* Recording leaves the base. */
    for (uint32_t f = 0; f < WLOG_FORMAT_COUNT; f++) {
        uint8_t *file;
        size_t size;
        struct oplog_disk back;
        char err[256] = "";
        CHECK_ERR(wlog_encode(&dev->disk, (enum wlog_format)f, &file, &size), 0);
        CHECK_ERR(wlog_decode(file, size, NULL, &back, NULL, err, sizeof(err)), 0);
        disk_expect_same(&dev->disk, &back);
        oplog_disk_deinit(&back);
        free(file);
    }
    sim_dev_deinit(dev);
    free(dev);
    free(buf);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(oplog_base_is_sparse),
        cmocka_unit_test(oplog_pool_across_chunks),
        cmocka_unit_test(oplog_disk_costs_words_per_block),
        cmocka_unit_test(recording_disk_keeps_what_mkfs_wrote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
