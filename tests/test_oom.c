/*
 * tests/test_oom.c: out of memory and the mount options, over the standard
 * workloads default.trace and log-growth.trace (log chains of several
 * blocks), each on its geometry.
 *
 * The binary is linked with the allocator wrapped (-Wl,--wrap=malloc,...),
 * so the k-th allocation can be made to fail. At every sync point of the
 * workload, on a copy of the device:
 *   - fs_mount with the k-th allocation failing, for k = 0, 1, ... until a
 *     mount succeeds with the failure armed: each attempt fails with
 *     FS_ENOMEM and nothing else, and the next plain mount is clean;
 *   - fs_check likewise: FS_ENOMEM, or a result; a result is the clean one
 *     (running out of memory never shows as a finding);
 *   - mount options: read only (writes are FS_EROFS, the image is unchanged
 *     byte for byte), each snapshot label the workload made (mounted, it
 *     checks clean), no such label (FS_ENOENT), an empty or overlong label
 *     (FS_EINVAL), and a device of a geometry no file system has (FS_EINVAL);
 *   - fs_check on the live file system after every step, between syncs
 *     too: clean.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../fs/check.h"
#include "../sim/record/runner.h"
#include "../traces/trace.h"
#include "util.h"

#define ATTEMPTS_MAX 100000u

/* ---- The allocator, wrapped: fail the k-th allocation once armed. ---- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

static long countdown = -1;             /* -1: disarmed; 0: the next allocation fails. */
static bool fired;

static bool
fail_now(void)
{
    if (countdown < 0) {
        return false;
    }
    if (countdown-- == 0) {
        fired = true;
        return true;
    }
    return false;
}

void *
__wrap_malloc(size_t size)
{
    return fail_now() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size)
{
    return fail_now() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size)
{
    return fail_now() ? NULL : __real_realloc(p, size);
}

static void
arm(long k)
{
    fired = false;
    countdown = k;
}

static void
disarm(void)
{
    countdown = -1;
}

/* ---- The loops. ---- */

static void
oom_mount(const struct bdev *dev)
{
    struct fs_config mc = { 0 };
    uint32_t failures = 0;
    for (long k = 0; k < (long)ATTEMPTS_MAX; k++) {
        struct fs *fs = NULL;
        arm(k);
        int err = fs_mount(&fs, dev, &mc);
        bool hit = fired;
        disarm();
        if (!hit) {
            CHECK_ERR(err, 0);
            util_unmount(fs);
            break;
        }
        failures++;
        if (err == 0) {
            util_unmount(fs);           /* An allocation it could do without. */
            continue;
        }
        CHECK_ERR(err, FS_ENOMEM);
        assert_null(fs);
    }
    assert_true(failures > 0);
    util_unmount(util_mount(dev, true));
}

static void
oom_check(const struct bdev *dev)
{
    struct fs *fs = util_mount(dev, true);
    struct fs_check_result *clean = calloc(1, sizeof(*clean));
    struct fs_check_result *r = calloc(1, sizeof(*r));
    assert_non_null(clean);
    assert_non_null(r);
    CHECK_ERR(fs_check(fs, clean), 0);
    assert_int_equal(clean->count[FS_CHECK_CORRUPT], 0);
    uint32_t failures = 0;
    for (long k = 0; k < (long)ATTEMPTS_MAX; k++) {
        arm(k);
        int err = fs_check(fs, r);
        bool hit = fired;
        disarm();
        if (!hit) {
            CHECK_ERR(err, 0);
            break;
        }
        failures++;
        if (err != 0) {
            CHECK_ERR(err, FS_ENOMEM);
            continue;
        }
        for (uint32_t c = 0; c < FS_CHECK_CLASS_COUNT; c++) {
            assert_true(r->count[c] == clean->count[c]);
        }
    }
    assert_true(failures > 0);
    assert_null(fs_broken(fs));
    free(clean);
    free(r);
    util_unmount(fs);
}

struct labels {
    char name[8][FS_NAME_MAX + 1];
    uint32_t count;
};

static int
label_fn(void *arg, const struct fs_snapinfo *info)
{
    struct labels *l = arg;
    if (l->count < 8) {
        snprintf(l->name[l->count++], sizeof(l->name[0]), "%s", info->name);
    }
    return 0;
}

static void
mount_options(const struct bdev *dev, uint32_t *labels_seen)
{
    size_t size = util_mem_size(dev);
    uint8_t *before = malloc(size);
    assert_non_null(before);
    memcpy(before, bdev_mem_bytes(dev), size);
    struct fs *fs = util_mount(dev, true);
    CHECK_ERR(fs_create(fs, "/readonly"), FS_EROFS);
    CHECK_ERR(fs_sync(fs), FS_EROFS);
    struct labels l = { .count = 0 };
    CHECK_ERR(fs_snap_list(fs, label_fn, &l), 0);
    util_unmount(fs);
    assert_memory_equal(before, bdev_mem_bytes(dev), size);     /* Nothing written. */
    free(before);

    for (uint32_t i = 0; i < l.count; i++) {
        struct fs_config mc = { .snapshot = l.name[i], .read_only = true };
        CHECK_ERR(fs_mount(&fs, dev, &mc), 0);
        util_check_clean(fs, UINT64_MAX);
        util_unmount(fs);
        (*labels_seen)++;
    }
    char longname[FS_NAME_MAX + 2];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    static const struct { const char *label; int err; } bad[] = {
        { "no-such-label", FS_ENOENT }, { "", FS_EINVAL },
    };
    for (uint32_t i = 0; i < 3; i++) {
        struct fs_config mc = { .snapshot = i < 2 ? bad[i].label : longname };
        fs = NULL;
        CHECK_ERR(fs_mount(&fs, dev, &mc), i < 2 ? bad[i].err : FS_EINVAL);
        assert_null(fs);
    }
    struct bdev odd = *dev;
    odd.block_size = 1000;                  /* No file system has such blocks. */
    CHECK_ERR(fs_mount(&fs, &odd, &(struct fs_config){ 0 }), FS_EINVAL);
    odd = *dev;
    odd.block_count = 2;
    CHECK_ERR(fs_mount(&fs, &odd, &(struct fs_config){ 0 }), FS_EINVAL);
}

/* Runs a standard workload on its geometry with the loops at every sync;
 * returns the syncs and the labels mounted. */
static void
workload(const char *path, uint32_t block_size, uint64_t blocks, uint32_t arenas,
        uint32_t *syncs, uint32_t *labels)
{
    struct trace t;
    char err[512];
    if (trace_parse_file(path, &t, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    struct bdev dev;
    util_mem_open(&dev, block_size, blocks);
    struct fs *fs = util_format_mount(&dev, arenas);
    for (uint32_t i = 0; i < t.count; i++) {
        const struct trace_step *s = &t.steps[i];
        int got = runner_step(&fs, NULL, s);    /* Neither workload mounts a label. */
        CHECK_ERR(got, s->expect);
        util_check_clean(fs, UINT64_MAX);       /* Live, between syncs too. */
        if (s->op != TRACE_SYNC) {
            continue;
        }
        struct bdev copy;
        util_mem_clone(&copy, &dev);
        oom_mount(&copy);
        oom_check(&copy);
        mount_options(&copy, labels);
        bdev_mem_close(&copy);
        (*syncs)++;
    }
    util_unmount(fs);
    bdev_mem_close(&dev);
    trace_free(&t);
}

static void
default_workload(void **state)
{
    (void)state;
    uint32_t syncs = 0, labels = 0;
    workload("traces/workloads/default.trace", 16384, 512, 0, &syncs, &labels);   /* 8 MiB */
    assert_true(syncs >= 5);
    assert_true(labels > syncs);            /* "main" at each, and "before" at some. */
}

/* Log chains of several blocks (4 KiB blocks, one arena): fs_check walks
 * every block of a chain, live and after mount. */
static void
log_growth_workload(void **state)
{
    (void)state;
    uint32_t syncs = 0, labels = 0;
    workload("traces/workloads/log-growth.trace", 4096, 1024, 1, &syncs, &labels);   /* 4 MiB */
    assert_true(syncs >= 3);
    assert_int_equal(labels, syncs);        /* "main" only. */
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_workload),
        cmocka_unit_test(log_growth_workload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
