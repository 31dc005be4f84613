/*
 * tests/test_mount.c: mount (recovery) against damaged copies and odd geometry.
 *
 * What it proves:
 *   - superblock fallback: a garbage or zeroed sb0 mounts from sb1, says why
 *     sb0 was rejected, fs_check warns, and the next sync rewrites sb0; a bad
 *     sb1 alone is only a warning; both bad is FS_ECORRUPT with a reason and
 *     no handle;
 *   - arena header fallback: a damaged h0 mounts from h1 and fs_check warns;
 *     both copies damaged is FS_ECORRUPT;
 *   - a read-only mount never writes or flushes, even when recovery would
 *     rewrite a truncated log tail on a read-write mount;
 *   - geometry: 4, 8 and 16 KiB blocks with 1, 2 and 32 arenas format, mount,
 *     commit and check clean; a 1 MiB device works at every block size;
 *     impossible geometry (arena count 0 or 33 included) is FS_EINVAL at
 *     format, validation and mount, and writes nothing; an image seen
 *     through a device of another block size or size is FS_ECORRUPT.
 */
#include <stdlib.h>
#include <string.h>

#include "../faultinject/faultdev.h"
#include "util.h"

#include "../fs/state.h"

#define SMALL_BLOCK_SIZE (16 * KIB)
#define SMALL_BLOCK_COUNT 64u       /* 1 MiB. */

static uint8_t *
block_at(const struct bdev *dev, uint64_t block)
{
    return bdev_mem_bytes(dev) + block * dev->block_size;
}

/* A formatted 1 MiB image with arena_count arenas and one committed block. */
static void
small_image(struct bdev *dev, uint32_t arena_count)
{
    util_mem_open(dev, SMALL_BLOCK_SIZE, SMALL_BLOCK_COUNT);
    struct fs *fs = util_format_mount(dev, arena_count);
    util_alloc_blocks(fs, 1, false, 0, NULL);
    util_unmount(fs);
}

/* Mounts a damaged sb0 and checks the fallback; then a sync repairs it. */
static void
expect_sb1_fallback(struct bdev *dev, const char *reason, uint64_t leaks_expected)
{
    struct fs *fs = util_mount(dev, false);
    const char *why = NULL;
    CHECK_EQ(fs_super_index(fs, &why), 1);
    assert_non_null(why);
    if (strstr(why, reason) == NULL) {
        util_note("sb0 rejected for \"%s\", expected \"%s\"", why, reason);
    }
    assert_non_null(strstr(why, reason));
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    CHECK_EQ(r.count[FS_CHECK_CORRUPT], 0);
    CHECK_TRUE(util_check_has(&r, FS_CHECK_WARNING, "sb0"));

    util_alloc_blocks(fs, 1, false, 0, NULL);      /* Something to commit. */
    fs = util_remount(fs, dev);
    CHECK_EQ(fs_super_index(fs, &why), 0);          /* The sync rewrote sb0. */
    assert_string_equal(why, "");
    util_check_clean(fs, leaks_expected);
    util_unmount(fs);
}

static void
mount_sb0_garbage(void **state)
{
    (void)state;
    struct bdev dev;
    small_image(&dev, 1);
    util_fill_random(block_at(&dev, 0), SMALL_BLOCK_SIZE, 1);
    expect_sb1_fallback(&dev, "magic", 2);

    /* Every field plausible but nextqid and nextgen garbage: the self-hash
     * is what rejects it. */
    util_fill_random(block_at(&dev, 0) + 80, 16, 2);
    expect_sb1_fallback(&dev, "hash", 3);
    bdev_mem_close(&dev);
}

static void
mount_sb0_zero(void **state)
{
    (void)state;
    struct bdev dev;
    small_image(&dev, 1);
    memset(block_at(&dev, 0), 0, SMALL_BLOCK_SIZE);
    expect_sb1_fallback(&dev, "magic", 2);
    bdev_mem_close(&dev);
}

static void
mount_sb1_bad_only(void **state)
{
    (void)state;
    struct bdev dev;
    small_image(&dev, 1);
    util_fill_random(block_at(&dev, SMALL_BLOCK_COUNT - 1), SMALL_BLOCK_SIZE, 3);
    struct fs *fs = util_mount(&dev, true);
    const char *why = NULL;
    CHECK_EQ(fs_super_index(fs, &why), 0);
    assert_string_equal(why, "");
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    CHECK_EQ(r.count[FS_CHECK_CORRUPT], 0);
    CHECK_TRUE(util_check_has(&r, FS_CHECK_WARNING, "sb1"));
    util_unmount(fs);
    bdev_mem_close(&dev);
}

static void
mount_both_supers_bad(void **state)
{
    (void)state;
    static const bool zero[][2] = { { false, false }, { true, true }, { true, false } };
    for (uint32_t k = 0; k < FS_ARRAY_COUNT(zero); k++) {
        struct bdev dev;
        small_image(&dev, 1);
        uint8_t *sb0 = block_at(&dev, 0), *sb1 = block_at(&dev, SMALL_BLOCK_COUNT - 1);
        util_fill_random(sb0, SMALL_BLOCK_SIZE, 10 + k);
        util_fill_random(sb1, SMALL_BLOCK_SIZE, 20 + k);
        if (zero[k][0]) {
            memset(sb0, 0, SMALL_BLOCK_SIZE);
        }
        if (zero[k][1]) {
            memset(sb1, 0, SMALL_BLOCK_SIZE);
        }
        for (uint32_t ro = 0; ro < 2; ro++) {
            struct fs_config c = { .read_only = ro == 1 };
            struct fs *fs = (struct fs *)&dev;      /* Must be overwritten with NULL. */
            CHECK_ERR(fs_mount(&fs, &dev, &c), FS_ECORRUPT);
            assert_null(fs);
            const char *why = fs_mount_failure();
            assert_non_null(why);
            CHECK_TRUE(strlen(why) > 0);
            assert_non_null(strstr(why, "superblock"));
        }
        bdev_mem_close(&dev);
    }
}

static void
mount_arena_h0_bad(void **state)
{
    (void)state;
    struct bdev dev;
    small_image(&dev, 2);
    struct fs *fs = util_mount(&dev, true);
    uint64_t h0 = fs->arenas[1].start / SMALL_BLOCK_SIZE;
    util_unmount(fs);
    util_fill_random(block_at(&dev, h0), SMALL_BLOCK_SIZE, 4);

    fs = util_mount(&dev, false);
    CHECK_EQ(fs_arena_header_index(fs, 0), 0);
    CHECK_EQ(fs_arena_header_index(fs, 1), 1);
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    CHECK_EQ(r.count[FS_CHECK_CORRUPT], 0);
    CHECK_TRUE(r.count[FS_CHECK_WARNING] >= 1);
    CHECK_TRUE(util_check_has(&r, FS_CHECK_WARNING, "arena 1"));

    util_alloc_blocks(fs, 2, true, 0, NULL);
    fs = util_remount(fs, &dev);
    CHECK_EQ(fs_arena_header_index(fs, 1), 0);      /* The sync rewrote h0. */
    util_check_clean(fs, 3);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

static void
mount_arena_both_headers_bad(void **state)
{
    (void)state;
    for (uint32_t zero = 0; zero < 2; zero++) {
        struct bdev dev;
        small_image(&dev, 2);
        struct fs *fs = util_mount(&dev, true);
        uint64_t h0 = fs->arenas[1].start / SMALL_BLOCK_SIZE;
        util_unmount(fs);
        util_fill_random(block_at(&dev, h0), 2 * SMALL_BLOCK_SIZE, 5);
        if (zero) {
            memset(block_at(&dev, h0), 0, 2 * SMALL_BLOCK_SIZE);
        }
        struct fs_config c = { 0 };
        CHECK_ERR(fs_mount(&fs, &dev, &c), FS_ECORRUPT);
        assert_null(fs);
        assert_non_null(strstr(fs_mount_failure(), "arena header"));
        bdev_mem_close(&dev);
    }
}

/* An image whose log holds entries after the committed barrier, on disk: a
 * read-write mount would rewrite the truncated tail at its next sync. */
static void
image_with_uncommitted_log(struct bdev *dev)
{
    struct bdev work;
    util_mem_open(&work, 4 * KIB, 1024);
    struct fs *fs = util_format_mount(&work, 1);
    util_alloc_blocks(fs, 10, false, 0, NULL);
    util_sync(fs);
    uint64_t grow = fs_stats(fs)->log_grow_count;
    while (fs_stats(fs)->log_grow_count == grow) {
        util_alloc_blocks(fs, 1, false, 0, NULL);     /* Until the tail is written. */
    }
    util_mem_clone(dev, &work);                         /* The crash image. */
    util_unmount(fs);
    bdev_mem_close(&work);
}

static void
mount_read_only_never_writes(void **state)
{
    (void)state;
    struct bdev dev;
    image_with_uncommitted_log(&dev);
    memset(bdev_mem_bytes(&dev), 0, dev.block_size);   /* And recover from sb1. */
    uint8_t *before = malloc(util_mem_size(&dev));
    assert_non_null(before);
    memcpy(before, bdev_mem_bytes(&dev), util_mem_size(&dev));

    struct faultdev counter;
    CHECK_EQ(faultdev_init(&counter, &dev), 0);
    struct fs *fs = util_mount(&counter.bdev, true);
    CHECK_EQ(fs_super_index(fs, NULL), 1);
    CHECK_TRUE(fs_stats(fs)->log_truncated_bytes > 0);
    util_check_clean(fs, UINT64_MAX);
    CHECK_ERR(fs_sync(fs), FS_EROFS);
    util_unmount(fs);
    CHECK_TRUE(counter.read_count > 0);
    CHECK_EQ(counter.write_count, 0);
    CHECK_EQ(counter.flush_count, 0);
    CHECK_EQ(memcmp(before, bdev_mem_bytes(&dev), util_mem_size(&dev)), 0);

    /* The same image read-write does write: the counter can see writes. */
    fs = util_mount(&counter.bdev, false);
    util_alloc_blocks(fs, 1, false, 0, NULL);
    util_unmount(fs);
    CHECK_TRUE(counter.write_count > 0);
    free(before);
    bdev_mem_close(&dev);
}

/* Format, mount, check, commit a few blocks, remount, check again. */
static void
geometry_case(uint32_t block_size, uint64_t block_count, uint32_t arena_count,
        uint64_t alloc_count)
{
    struct bdev dev;
    util_mem_open(&dev, block_size, block_count);
    struct fs *fs = util_format_mount(&dev, arena_count);
    uint32_t expect = arena_count ? arena_count
        : fs_arena_count_default(block_size, block_count);
    CHECK_EQ(fs->arena_count, expect);
    CHECK_EQ(fs_super_index(fs, NULL), 0);
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        CHECK_EQ(fs_arena_header_index(fs, i), 0);
        CHECK_TRUE(fs->arenas[i].size >= 6ull * block_size);
    }
    util_check_clean(fs, 0);
    uint64_t kept = util_alloc_blocks(fs, alloc_count, true, 3, NULL);
    kept += util_alloc_blocks(fs, alloc_count, false, 0, NULL);
    fs = util_remount(fs, &dev);
    util_check_clean(fs, kept);
    util_unmount(fs);
    bdev_mem_close(&dev);
}

static void
mount_geometry(void **state)
{
    (void)state;
    static const uint32_t sizes[] = { 4 * KIB, 8 * KIB, 16 * KIB };
    static const uint32_t counts[] = { 1, 2, 32 };
    for (uint32_t s = 0; s < FS_ARRAY_COUNT(sizes); s++) {
        for (uint32_t c = 0; c < FS_ARRAY_COUNT(counts); c++) {
            geometry_case(sizes[s], 1024, counts[c], 2 * counts[c] + 3);
        }
        geometry_case(sizes[s], MIB / sizes[s], 0, 5);     /* 1 MiB, default arenas. */
        geometry_case(sizes[s], MIB / sizes[s], 1, 5);
    }
    geometry_case(16 * KIB, 10, 1, 1);                      /* The smallest device. */
    geometry_case(4 * KIB, 32 * 8 + 2, 32, 20);             /* The smallest for 32 arenas. */
}

static void
expect_format_einval(uint32_t block_size, uint64_t block_count, uint32_t arena_count)
{
    struct bdev dev;
    util_mem_open(&dev, block_size, block_count);
    struct fs_format_config fc = { .arena_count = arena_count };
    CHECK_ERR(fs_format(&dev, &fc), FS_EINVAL);
    CHECK_TRUE(strlen(fs_mount_failure()) > 0);
    for (uint64_t i = 0; i < util_mem_size(&dev); i++) {
        if (bdev_mem_bytes(&dev)[i] != 0) {
            util_note("failed format wrote byte %llu", (unsigned long long)i);
            fail();
        }
    }
    struct fs_config c = { 0 };
    struct fs *fs;
    int err = fs_mount(&fs, &dev, &c);
    CHECK_TRUE(err == FS_EINVAL || err == FS_ECORRUPT);
    bdev_mem_close(&dev);
}

static void
mount_geometry_invalid(void **state)
{
    (void)state;
    expect_format_einval(16 * KIB, 9, 1);           /* Arena span of 7 blocks. */
    expect_format_einval(16 * KIB, 2, 1);
    expect_format_einval(16 * KIB, 1, 1);
    expect_format_einval(16 * KIB, 64, 32);         /* 1 MiB cannot hold 32 arenas. */
    expect_format_einval(4 * KIB, 32 * 8 + 1, 32);
    expect_format_einval(4 * KIB, 1024, FMT_ARENA_COUNT_MAX + 1);
    expect_format_einval(4 * KIB, 1024, UINT32_MAX);
    expect_format_einval(2 * KIB, 1024, 1);
    expect_format_einval(32 * KIB, 64, 1);
    expect_format_einval(512, 4096, 1);

    /* fs_format reads arena count 0 as "pick one"; the validator, which takes
     * the count format would use, refuses 0 and 33 explicitly. */
    CHECK_ERR(fs_format_validate(16 * KIB, SMALL_BLOCK_COUNT, 0), FS_EINVAL);
    CHECK_ERR(fs_format_validate(4 * KIB, 1024, FMT_ARENA_COUNT_MAX + 1), FS_EINVAL);
    CHECK_ERR(fs_format_validate(4 * KIB, 1024, FMT_ARENA_COUNT_MAX), 0);
    CHECK_ERR(fs_format_validate(16 * KIB, 10, 1), 0);
    CHECK_ERR(fs_format_validate(16 * KIB, 9, 1), FS_EINVAL);
    CHECK_ERR(fs_format_validate(2 * KIB, 1024, 1), FS_EINVAL);

    struct bdev dev;
    struct fs *fs;
    struct fs_config c = { 0 };
    util_mem_open(&dev, 16 * KIB, 2);
    CHECK_ERR(fs_mount(&fs, &dev, &c), FS_EINVAL);
    bdev_mem_close(&dev);
    util_mem_open(&dev, 16 * KIB, SMALL_BLOCK_COUNT);
    CHECK_ERR(fs_mount(&fs, &dev, &c), FS_ECORRUPT);   /* Never formatted. */
    assert_non_null(strstr(fs_mount_failure(), "magic"));
    bdev_mem_close(&dev);
}

/* The bytes of a 4 KiB x 256 image seen through another geometry. */
static void
expect_foreign_geometry(const struct bdev *img, uint32_t block_size, uint64_t block_count)
{
    struct bdev dev;
    util_mem_open(&dev, block_size, block_count);
    memcpy(bdev_mem_bytes(&dev), bdev_mem_bytes(img),
            FS_MIN(util_mem_size(img), util_mem_size(&dev)));
    struct fs_config c = { .read_only = true };
    struct fs *fs;
    CHECK_ERR(fs_mount(&fs, &dev, &c), FS_ECORRUPT);
    bdev_mem_close(&dev);
}

static void
mount_foreign_geometry(void **state)
{
    (void)state;
    struct bdev img;
    util_mem_open(&img, 4 * KIB, 256);
    util_format(&img, 2);
    expect_foreign_geometry(&img, 8 * KIB, 128);       /* Same bytes, other block size. */
    expect_foreign_geometry(&img, 4 * KIB, 257);       /* The device grew. */
    expect_foreign_geometry(&img, 4 * KIB, 255);       /* The device shrank. */
    struct fs *fs = util_mount(&img, true);            /* The original still mounts. */
    util_unmount(fs);
    bdev_mem_close(&img);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mount_sb0_garbage),
        cmocka_unit_test(mount_sb0_zero),
        cmocka_unit_test(mount_sb1_bad_only),
        cmocka_unit_test(mount_both_supers_bad),
        cmocka_unit_test(mount_arena_h0_bad),
        cmocka_unit_test(mount_arena_both_headers_bad),
        cmocka_unit_test(mount_read_only_never_writes),
        cmocka_unit_test(mount_geometry),
        cmocka_unit_test(mount_geometry_invalid),
        cmocka_unit_test(mount_foreign_geometry),
    };
    return cmocka_run_group_tests_name("mount", tests, NULL, NULL);
}
