/*
 * tests/util.h: helpers shared by the unit tests of fs/.
 *
 * What is here, and why it is shared:
 *   - CHECK_EQ / CHECK_ERR: cmocka assertions that print both expressions and
 *     both values (errors by name), as littlefs's test runner does, so a
 *     failure names what broke without a debugger.
 *   - Memory devices, format and mount shortcuts that fail the test on error.
 *   - util_alloc_blocks: allocations through the real block layer (blk_new,
 *     blk_finish, blk_free_now), so the allocation log sees what a tree would.
 *   - Free-map snapshots as one bit per device block, so two states compare
 *     with memcmp and differences print as block numbers.
 *   - The faulty device of the tests is faultinject/faultdev.h's struct
 *     faultdev, the project's one fault wrapper: it counts operations and
 *     fails the k-th read or write, transiently or from then on (SQLite's
 *     fault loop: faultdev_fail_nth), or every write from a given block on.
 *     It wraps the device; fs/ has no fault hooks.
 *   - util_isolated: runs a function in a forked child, so an ASSERT or a
 *     segfault in fs/ on hostile input is reported with its case instead of
 *     ending the test binary.
 *
 * Helpers that fail the test may only be called from the cmocka process, never
 * from a util_isolated child: a cmocka failure longjmps into the runner.
 */
#ifndef TESTS_UTIL_H
#define TESTS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "../faultinject/faultdev.h"
#include "../fs/bdev.h"
#include "../fs/check.h"
#include "../fs/format.h"
#include "../fs/fs.h"
#include "../traces/trace.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

/* Call first in main: line-buffered stdout, so the TAP lines printed before a
 * crash are not lost in a buffer. */
void util_init(void);

/* Assertions that print both sides; values as signed and hex. */
#define CHECK_EQ(a, b) \
    util_check_eq((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_TRUE(c) util_check_eq((c) ? 1 : 0, 1, #c, "true", __FILE__, __LINE__)
/* For FS_E* codes: prints the names of both errors. */
#define CHECK_ERR(a, b) util_check_err((int)(a), (int)(b), #a, #b, __FILE__, __LINE__)

void util_check_eq(long long a, long long b, const char *a_expr, const char *b_expr,
        const char *file, int line);
void util_check_err(int a, int b, const char *a_expr, const char *b_expr, const char *file,
        int line);

/* Prints a TAP diagnostic line ("# ...") on stdout, in order with cmocka's. */
void util_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Fills p with bytes from a xorshift generator seeded with seed: garbage that
 * is the same on every run. */
void util_fill_random(void *p, size_t size, uint64_t seed);

/* A zero-filled memory device; the test fails if it cannot be made. */
void util_mem_open(struct bdev *bdev, uint32_t block_size, uint64_t block_count);
/* A new memory device holding a copy of src's bytes: a crash image. */
void util_mem_clone(struct bdev *out, const struct bdev *src);
size_t util_mem_size(const struct bdev *bdev);

/* fs_format with arena_count (0: the default); the test fails unless it is 0. */
void util_format(const struct bdev *bdev, uint32_t arena_count);
/* fs_mount that must succeed. */
struct fs *util_mount(const struct bdev *bdev, bool read_only);
struct fs *util_format_mount(const struct bdev *bdev, uint32_t arena_count);
void util_unmount(struct fs *fs);
void util_sync(struct fs *fs);
/* Unmount and mount again read-write. */
struct fs *util_remount(struct fs *fs, const struct bdev *bdev);

/*
 * Allocates count blocks through blk_new/blk_finish (type FMT_TYPE_DATA with
 * hint = index when data is true, else leaf blocks), each filled with a
 * pattern naming its address. With free_stride > 0 the blocks whose index is a
 * multiple of it are then freed (blk_free_now), which fragments the free map.
 * Addresses go to addrs[count] (FMT_ADDR_NIL where freed) if not NULL.
 * Returns the number of blocks still allocated. Every call must succeed.
 */
uint64_t util_alloc_blocks(struct fs *fs, uint64_t count, bool data, uint64_t free_stride,
        uint64_t *addrs);
/* One block as above; returns blk_new's error (FS_ENOSPC) instead of failing. */
int util_alloc_one(struct fs *fs, bool data, uint64_t hint, uint64_t *addr);

/* Writes t with the trace writer and parses it back: the test fails unless
 * it parses to the same steps (trace_step_same). */
struct trace;
void util_trace_round_trip(const struct trace *t);

/* Runs fs_check, which must run; prints every stored finding when verbose. */
void util_check_run(struct fs *fs, struct fs_check_result *r, bool verbose);
void util_check_print(const struct fs_check_result *r);
/* fs_check must find no corruption and exactly leaks_expected leaked blocks
 * (UINT64_MAX: any number); the findings print when it fails. */
void util_check_clean(struct fs *fs, uint64_t leaks_expected);
/* True if a stored finding of class cls mentions what (substring). */
bool util_check_has(const struct fs_check_result *r, enum fs_check_class cls, const char *what);

/* The free maps of all arenas as one bit per device block (1 = free). */
struct util_fmap {
    uint64_t block_count;           /* Bits. */
    uint8_t *bits;                  /* block_count bits, owned. */
    uint64_t used[FMT_ARENA_COUNT_MAX];         /* Each arena's used bytes. */
    uint64_t free_bytes[FMT_ARENA_COUNT_MAX];   /* Each arena's free-map bytes. */
    uint32_t arena_count;           /* Arenas recorded. */
};

void util_fmap_take(struct fs *fs, struct util_fmap *m);
void util_fmap_free(struct util_fmap *m);
/* The test fails, naming the first differing blocks, unless a and b are equal. */
void util_fmap_expect_equal(const struct util_fmap *a, const struct util_fmap *b);
bool util_fmap_is_free(const struct util_fmap *m, uint64_t block);
void util_fmap_set(struct util_fmap *m, uint64_t block, bool free);

/* Loads the trace file at path into *t and its "# geometry:" line into *g;
 * the test fails with the message on an error. */
void util_trace_load(const char *path, struct trace *t, struct trace_geometry *g);

/* Outcome of util_isolated. */
struct util_child {
    int exit_code;                  /* The child's exit code, or -1 if killed. */
    int signal;                     /* The signal that killed it, or 0. */
};

/* Runs fn(arg) in a forked child; its return value is the exit code. The
 * child must not use cmocka assertions. */
struct util_child util_isolated(int (*fn)(void *arg), void *arg);
/* "exit 3" or "killed by signal 6 (Aborted)", for messages. */
const char *util_child_describe(struct util_child c, char *buf, size_t size);
/* Runs fn(arg) with util_isolated; the test fails, naming what (a
 * description of the work) and how the child ended, unless it exited 0. */
void util_isolated_clean(int (*fn)(void *arg), void *arg, const char *what);

#endif /* TESTS_UTIL_H */
