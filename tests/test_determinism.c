/*
 * tests/test_determinism.c: the same operations give the same bytes.
 *
 * Crash-state exploration replays a workload and cuts its write sequence at
 * every point, so the file system must be a function of its inputs: no heap
 * garbage, addresses or clock on disk, and no order that depends on them.
 *
 * What it proves:
 *   - format plus one sequence of file operations, block allocations, frees,
 *     syncs and a remount, run twice on two fresh memory devices (the heap
 *     scribbled on in between), issues the same sequence of device operations
 *     (a running hash of every read, write and flush with its block and
 *     contents) and leaves identical device bytes (memcmp of the whole image);
 *   - a sequence that differs in one free leaves different bytes, so the
 *     comparison is able to fail.
 */
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/format.h"

/* A pass-through device that hashes every operation in order. */
struct rec_dev {
    struct bdev bdev;               /* What fs/ is given; context is this struct. */
    const struct bdev *inner;       /* The memory device. */
    uint64_t hash;                  /* Running hash of (op, block, contents). */
    uint64_t op_count;              /* Operations seen. */
};

static void
rec_mix(struct rec_dev *r, uint64_t op, uint64_t block, uint64_t contents)
{
    uint64_t words[4] = { r->hash, op, block, contents };
    r->hash = fmt_hash(words, sizeof(words));
    r->op_count++;
}

static int
rec_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    struct rec_dev *r = bdev->context;
    int err = r->inner->read(r->inner, block, buffer);
    rec_mix(r, 'r', block, fmt_hash(buffer, bdev->block_size));
    return err;
}

static int
rec_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    struct rec_dev *r = bdev->context;
    rec_mix(r, 'w', block, fmt_hash(buffer, bdev->block_size));
    return r->inner->write(r->inner, block, buffer);
}

static int
rec_flush(const struct bdev *bdev)
{
    struct rec_dev *r = bdev->context;
    rec_mix(r, 'f', 0, 0);
    return r->inner->flush(r->inner);
}

static void
rec_open(struct rec_dev *r, struct bdev *inner)
{
    util_mem_open(inner, 4 * KIB, 1024);
    memset(r, 0, sizeof(*r));
    r->inner = inner;
    r->bdev = (struct bdev){ r, inner->block_size, inner->block_count, rec_read, rec_write,
        rec_flush, NULL, NULL };
}

/* Dirty freed heap memory, so a buffer written without being initialised
 * would carry different bytes in the second run. Largest first: freeing a big
 * mmap'ed block raises glibc's mmap threshold, so the smaller ones that follow
 * come from (and leave garbage in) the heap the next run allocates from. */
static void
heap_scribble(void)
{
    static const size_t sizes[] = { 8 << 20, 2 << 20, 1 << 20, 256 << 10, 65536, 16384, 4096, 64 };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(sizes); i++) {
        uint8_t *p = malloc(sizes[i]);
        assert_non_null(p);
        util_fill_random(p, sizes[i], i + 77);
        free(p);
    }
}

/* The workload; variant changes one free. */
static void
workload(const struct bdev *dev, uint32_t variant)
{
    struct fs *fs = util_format_mount(dev, 2);
    uint8_t data[3 * 4 * KIB];
    util_fill_random(data, sizeof(data), 11);
    CHECK_ERR(fs_mkdir(fs, "/d"), 0);
    CHECK_ERR(fs_create(fs, "/d/f"), 0);
    CHECK_ERR(fs_write(fs, "/d/f", 100, data, sizeof(data)), 0);
    util_alloc_blocks(fs, 100, true, 3, NULL);
    util_alloc_blocks(fs, 50, false, 4, NULL);
    util_sync(fs);
    util_alloc_blocks(fs, 600, false, 1, NULL);        /* Churn: the log grows. */
    util_alloc_blocks(fs, 30, true, 5 + variant, NULL);
    util_sync(fs);
    fs = util_remount(fs, dev);
    CHECK_ERR(fs_create(fs, "/d/g"), 0);
    CHECK_ERR(fs_write(fs, "/d/g", 0, data, 5000), 0);
    CHECK_ERR(fs_remove(fs, "/d/f"), 0);
    util_alloc_blocks(fs, 20, false, 2, NULL);
    util_unmount(fs);
}

static void
determinism_same_sequence(void **state)
{
    (void)state;
    struct bdev a, b;
    struct rec_dev ra, rb;
    rec_open(&ra, &a);
    workload(&ra.bdev, 0);
    heap_scribble();
    rec_open(&rb, &b);
    workload(&rb.bdev, 0);

    CHECK_TRUE(ra.op_count > 100);
    CHECK_EQ(rb.op_count, ra.op_count);
    CHECK_EQ(rb.hash, ra.hash);
    const uint8_t *pa = bdev_mem_bytes(&a), *pb = bdev_mem_bytes(&b);
    size_t size = util_mem_size(&a);
    for (size_t i = 0; i < size; i++) {
        if (pa[i] != pb[i]) {
            util_note("images differ first at byte %zu (block %zu)", i, i / a.block_size);
            break;
        }
    }
    CHECK_EQ(memcmp(pa, pb, size), 0);
    bdev_mem_close(&a);
    bdev_mem_close(&b);
}

static void
determinism_different_sequence(void **state)
{
    (void)state;
    struct bdev a, b;
    struct rec_dev ra, rb;
    rec_open(&ra, &a);
    workload(&ra.bdev, 0);
    rec_open(&rb, &b);
    workload(&rb.bdev, 1);
    CHECK_TRUE(ra.hash != rb.hash);
    CHECK_TRUE(memcmp(bdev_mem_bytes(&a), bdev_mem_bytes(&b), util_mem_size(&a)) != 0);
    bdev_mem_close(&a);
    bdev_mem_close(&b);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(determinism_same_sequence),
        cmocka_unit_test(determinism_different_sequence),
    };
    return cmocka_run_group_tests_name("determinism", tests, NULL, NULL);
}
