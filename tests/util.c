/*
 * tests/util.c: helpers shared by the unit tests (see util.h).
 *
 * The helpers reach into fs/state.h where a test needs to see what the public
 * API does not show (free maps, the log chain); they never change that state.
 */
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../fs/blk.h"
#include "../fs/cache.h"
#include "../fs/state.h"
#include "../traces/prng.h"
#include "../traces/trace.h"

void
util_trace_round_trip(const struct trace *t)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    CHECK_EQ(trace_write(f, t, "round trip\nof a trace"), 0);
    CHECK_EQ(fclose(f), 0);
    struct trace back;
    char err[512];
    if (trace_parse_text("round trip", text, &back, err, sizeof(err)) != 0) {
        util_note("%s", err);
        fail();
    }
    CHECK_EQ(back.count, t->count);
    for (uint32_t i = 0; i < t->count; i++) {
        CHECK_TRUE(trace_step_same(&back.steps[i], &t->steps[i]));
    }
    trace_free(&back);
    free(text);
}

void
util_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IONBF, 0);
}

void
util_check_eq(long long a, long long b, const char *a_expr, const char *b_expr,
        const char *file, int line)
{
    if (a == b) {
        return;
    }
    util_note("%s:%d: CHECK_EQ(%s, %s) failed", file, line, a_expr, b_expr);
    util_note("    %s = %lld (0x%llx)", a_expr, a, (unsigned long long)a);
    util_note("    %s = %lld (0x%llx)", b_expr, b, (unsigned long long)b);
    _fail(file, line);
}

void
util_check_err(int a, int b, const char *a_expr, const char *b_expr, const char *file, int line)
{
    if (a == b) {
        return;
    }
    util_note("%s:%d: CHECK_ERR(%s, %s) failed: %s (%d) != %s (%d)", file, line, a_expr, b_expr,
            fs_strerror(a), a, fs_strerror(b), b);
    if (fs_mount_failure()[0] != '\0') {
        util_note("    last mount/format failure: %s", fs_mount_failure());
    }
    _fail(file, line);
}

void
util_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
}

void
util_fill_random(void *p, size_t size, uint64_t seed)
{
    uint64_t x = seed * PRNG_GOLDEN + 1;
    uint8_t *b = p;
    for (size_t i = 0; i < size; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (uint8_t)(x >> 24);
    }
}

void
util_mem_open(struct bdev *bdev, uint32_t block_size, uint64_t block_count)
{
    CHECK_ERR(bdev_mem_open(bdev, block_size, block_count), 0);
    assert_non_null(bdev_mem_bytes(bdev));
}

size_t
util_mem_size(const struct bdev *bdev)
{
    return (size_t)(bdev->block_count * bdev->block_size);
}

void
util_mem_clone(struct bdev *out, const struct bdev *src)
{
    util_mem_open(out, src->block_size, src->block_count);
    memcpy(bdev_mem_bytes(out), bdev_mem_bytes(src), util_mem_size(src));
}

void
util_format(const struct bdev *bdev, uint32_t arena_count)
{
    struct fs_format_config fc = { .arena_count = arena_count };
    CHECK_ERR(fs_format(bdev, &fc), 0);
}

struct fs *
util_mount(const struct bdev *bdev, bool read_only)
{
    struct fs_config c = { .read_only = read_only };
    struct fs *fs = NULL;
    CHECK_ERR(fs_mount(&fs, bdev, &c), 0);
    assert_non_null(fs);
    assert_null(fs_broken(fs));
    return fs;
}

struct fs *
util_format_mount(const struct bdev *bdev, uint32_t arena_count)
{
    util_format(bdev, arena_count);
    return util_mount(bdev, false);
}

void
util_unmount(struct fs *fs)
{
    CHECK_ERR(fs_unmount(fs), 0);
}

void
util_sync(struct fs *fs)
{
    CHECK_ERR(fs_sync(fs), 0);
    assert_null(fs_broken(fs));
}

struct fs *
util_remount(struct fs *fs, const struct bdev *bdev)
{
    util_unmount(fs);
    return util_mount(bdev, false);
}

int
util_alloc_one(struct fs *fs, bool data, uint64_t hint, uint64_t *addr)
{
    struct cblk *b;
    int err = blk_new(fs, data ? FMT_TYPE_DATA : FMT_TYPE_LEAF, fs->nextgen, hint, false, &b);
    if (err) {
        return err;
    }
    /* A pattern naming the block, so images differ when placement differs. */
    if (!data) {
        fmt_put16(b->buf, FMT_TYPE_LEAF);
    }
    fmt_put64(b->buf + fs->block_size - 8, b->addr);
    fmt_put64(b->buf + fs->block_size - 16, hint);
    struct bptr bp = blk_finish(fs, b);
    assert_int_equal(bp.addr, b->addr);
    blk_put(fs, b);
    *addr = bp.addr;
    return 0;
}

uint64_t
util_alloc_blocks(struct fs *fs, uint64_t count, bool data, uint64_t free_stride,
        uint64_t *addrs)
{
    uint64_t *a = addrs != NULL ? addrs : calloc(count + 1, sizeof(uint64_t));
    assert_non_null(a);
    for (uint64_t i = 0; i < count; i++) {
        CHECK_ERR(util_alloc_one(fs, data, i, &a[i]), 0);
    }
    /* Frees come after all allocations: freeing as we go would hand the same
     * block straight back, and the free map would never fragment. */
    uint64_t kept = count;
    for (uint64_t i = 0; free_stride != 0 && i < count; i += free_stride) {
        CHECK_ERR(blk_free_now(fs, a[i]), 0);
        a[i] = FMT_ADDR_NIL;
        kept--;
    }
    assert_null(fs_broken(fs));
    if (addrs == NULL) {
        free(a);
    }
    return kept;
}

void
util_check_print(const struct fs_check_result *r)
{
    util_note("fs_check: %llu corrupt, %llu leak, %llu warning; %llu reachable, %llu free",
            (unsigned long long)r->count[FS_CHECK_CORRUPT],
            (unsigned long long)r->count[FS_CHECK_LEAK],
            (unsigned long long)r->count[FS_CHECK_WARNING],
            (unsigned long long)r->blocks_reachable, (unsigned long long)r->blocks_free);
    for (uint32_t i = 0; i < r->finding_count; i++) {
        const struct fs_check_finding *f = &r->findings[i];
        util_note("    %-7s block %lld %s: %s", fs_check_class_name(f->cls),
                f->block == UINT64_MAX ? -1ll : (long long)f->block, f->what, f->why);
    }
}

void
util_check_run(struct fs *fs, struct fs_check_result *r, bool verbose)
{
    CHECK_ERR(fs_check(fs, r), 0);
    if (verbose) {
        util_check_print(r);
    }
}

void
util_check_clean(struct fs *fs, uint64_t leaks_expected)
{
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    bool leaks_ok = leaks_expected == UINT64_MAX || r.count[FS_CHECK_LEAK] == leaks_expected;
    if (r.count[FS_CHECK_CORRUPT] != 0 || !leaks_ok) {
        util_check_print(&r);
    }
    CHECK_EQ(r.count[FS_CHECK_CORRUPT], 0);
    if (leaks_expected != UINT64_MAX) {
        CHECK_EQ(r.count[FS_CHECK_LEAK], leaks_expected);
        CHECK_EQ(r.blocks_leaked, leaks_expected);
    }
}

bool
util_check_has(const struct fs_check_result *r, enum fs_check_class cls, const char *what)
{
    for (uint32_t i = 0; i < r->finding_count; i++) {
        const struct fs_check_finding *f = &r->findings[i];
        if (f->cls == cls && (strstr(f->what, what) != NULL || strstr(f->why, what) != NULL)) {
            return true;
        }
    }
    return false;
}

void
util_fmap_set(struct util_fmap *m, uint64_t block, bool free)
{
    assert_true(block < m->block_count);
    if (free) {
        m->bits[block / 8] |= (uint8_t)(1u << (block % 8));
    } else {
        m->bits[block / 8] &= (uint8_t)~(1u << (block % 8));
    }
}

bool
util_fmap_is_free(const struct util_fmap *m, uint64_t block)
{
    assert_true(block < m->block_count);
    return (m->bits[block / 8] & (1u << (block % 8))) != 0;
}

void
util_fmap_take(struct fs *fs, struct util_fmap *m)
{
    memset(m, 0, sizeof(*m));
    m->block_count = fs->block_count;
    m->bits = calloc(fs->block_count / 8 + 1, 1);
    assert_non_null(m->bits);
    m->arena_count = fs->arena_count;
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        const struct arena *a = &fs->arenas[i];
        m->used[i] = a->used;
        m->free_bytes[i] = a->free_bytes;
        for (uint32_t k = 0; k < a->free_count; k++) {
            for (uint64_t off = 0; off < a->free[k].len; off += fs->block_size) {
                uint64_t block = (a->free[k].off + off) / fs->block_size;
                assert_false(util_fmap_is_free(m, block));     /* Ranges never overlap. */
                util_fmap_set(m, block, true);
            }
        }
    }
}

void
util_fmap_free(struct util_fmap *m)
{
    free(m->bits);
    m->bits = NULL;
}

void
util_fmap_expect_equal(const struct util_fmap *a, const struct util_fmap *b)
{
    CHECK_EQ(a->block_count, b->block_count);
    CHECK_EQ(a->arena_count, b->arena_count);
    uint32_t shown = 0;
    for (uint64_t k = 0; k < a->block_count; k++) {
        if (util_fmap_is_free(a, k) != util_fmap_is_free(b, k) && shown++ < 8) {
            util_note("free maps differ at block %llu: %s vs %s", (unsigned long long)k,
                    util_fmap_is_free(a, k) ? "free" : "allocated",
                    util_fmap_is_free(b, k) ? "free" : "allocated");
        }
    }
    CHECK_EQ(shown, 0);
    for (uint32_t i = 0; i < a->arena_count; i++) {
        CHECK_EQ(a->used[i], b->used[i]);
        CHECK_EQ(a->free_bytes[i], b->free_bytes[i]);
    }
}

void
util_trace_load(const char *path, struct trace *t, struct trace_geometry *g)
{
    char err[512], *text = NULL;
    if (trace_load(path, t, &text, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    int rc = trace_geometry_parse(path, text, strlen(text), g, err, sizeof(err));
    free(text);
    if (rc != 0) {
        fail_msg("%s", err);
    }
}

struct util_child
util_isolated(int (*fn)(void *arg), void *arg)
{
    /* Unflushed output would be printed twice, once by each process. */
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* exit(), not _exit(): LeakSanitizer checks the child at exit. */
        exit(fn(arg));
    }
    int status = 0;
    pid_t w;
    do {
        w = waitpid(pid, &status, 0);
    } while (w < 0 && errno == EINTR);
    assert_int_equal(w, pid);
    struct util_child c = { -1, 0 };
    if (WIFEXITED(status)) {
        c.exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        c.signal = WTERMSIG(status);
    }
    return c;
}

const char *
util_child_describe(struct util_child c, char *buf, size_t size)
{
    if (c.signal != 0) {
        snprintf(buf, size, "killed by signal %d (%s)", c.signal, strsignal(c.signal));
    } else {
        snprintf(buf, size, "exit %d", c.exit_code);
    }
    return buf;
}

void
util_isolated_clean(int (*fn)(void *arg), void *arg, const char *what)
{
    struct util_child c = util_isolated(fn, arg);
    char why[64];
    if (c.signal != 0 || c.exit_code != 0) {
        util_note("%s: %s", what, util_child_describe(c, why, sizeof(why)));
    }
    CHECK_EQ(c.signal, 0);
    CHECK_EQ(c.exit_code, 0);
}
