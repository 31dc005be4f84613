/*
 * tests/test_ops.c: edge cases of the path API (fs/fs.h): rename, truncate,
 * remove, names, qids, the space a removed file gives back.
 *
 * Method: each case runs its calls on a file system on a memory device and,
 * where contents matter, the same steps on the oracle (sim/oracle/oracle.h), then
 * requires oracle_diff to find nothing, before and after a remount, and
 * fs_check to find neither corruption nor leaks. Direct assertions on the
 * calls' results and on fs_stat come first, so a failure names the call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/check.h"
#include "../fs/state.h"
#include "../sim/oracle/oracle.h"

struct ot {
    struct bdev dev;            /* Memory device. */
    struct fs *fs;              /* Mounted. */
    struct oracle *m;            /* The oracle. */
    uint32_t line;              /* Steps so far. */
};

/* The fixture of the running case, released by teardown if the case fails
 * (a failed case must not leave leaks for LeakSanitizer to find in the
 * children of later cases). */
static struct ot *ot_current;

static struct ot *
ot_open(uint32_t block_size, uint64_t block_count)
{
    struct ot *x = calloc(1, sizeof(*x));
    ot_current = x;
    assert_non_null(x);
    util_mem_open(&x->dev, block_size, block_count);
    x->fs = util_format_mount(&x->dev, 0);
    x->m = oracle_new();
    return x;
}

/* The fs must show the oracle's state; fs_check clean. */
static void
ot_expect(struct ot *x)
{
    static char diff[8192];
    if (oracle_diff(x->m, x->fs, diff, sizeof(diff)) != 0) {
        util_note("the file system differs from the oracle:\n%s", diff);
        fail();
    }
    uint64_t d = 0;
    CHECK_ERR(oracle_digest_fs(x->fs, &d), 0);
    CHECK_EQ(d, oracle_digest(x->m));
}

static void
ot_remount(struct ot *x)
{
    ot_expect(x);
    int err = fs_unmount(x->fs);
    x->fs = NULL;
    CHECK_ERR(err, 0);
    x->fs = util_mount(&x->dev, false);
    ot_expect(x);
    util_check_clean(x->fs, 0);
}

static void
ot_free(struct ot *x)
{
    if (x->fs != NULL) {
        (void)fs_unmount(x->fs);
    }
    bdev_mem_close(&x->dev);
    oracle_free(x->m);
    free(x);
    ot_current = NULL;
}

static void
ot_close(struct ot *x)
{
    ot_remount(x);
    util_unmount(x->fs);
    x->fs = NULL;
    ot_free(x);
}

static int
teardown(void **state)
{
    (void)state;
    if (ot_current != NULL) {
        ot_free(ot_current);
    }
    return 0;
}

/* Runs a step on the fs and on the oracle; the fs must return want, and the
 * oracle must agree. */
static void
st(struct ot *x, enum trace_op op, const char *path, const char *path2, uint64_t off,
        uint64_t len, int want)
{
    struct trace_step s;
    memset(&s, 0, sizeof(s));
    s.op = op;
    s.line = ++x->line;
    snprintf(s.path, sizeof(s.path), "%s", path);
    snprintf(s.path2, sizeof(s.path2), "%s", path2 != NULL ? path2 : "");
    s.offset = off;
    s.length = len;
    s.seed = x->line;
    int got;
    switch (op) {
    case TRACE_MKDIR: got = fs_mkdir(x->fs, path); break;
    case TRACE_CREATE: got = fs_create(x->fs, path); break;
    case TRACE_WRITE: {
        uint8_t *buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        trace_fill(s.seed, 0, buf, (size_t)len);
        got = fs_write(x->fs, path, off, buf, (size_t)len);
        free(buf);
        break;
    }
    case TRACE_TRUNCATE: got = fs_truncate(x->fs, path, len); break;
    case TRACE_RM: got = fs_remove(x->fs, path); break;
    case TRACE_MV: got = fs_rename(x->fs, path, path2); break;
    case TRACE_SYNC: got = fs_sync(x->fs); break;
    default: fail_msg("op %d not used here", (int)op); return;
    }
    CHECK_ERR(got, want);
    char why[512];
    if (oracle_step(x->m, &s, got, why, sizeof(why)) != 0) {
        util_note("%s", why);
        fail();
    }
}

static uint64_t
qid_of(struct ot *x, const char *path)
{
    struct fs_stat stat;
    CHECK_ERR(fs_stat(x->fs, path, &stat), 0);
    return stat.qid;
}

/* ---- Rename. ---- */

static void
ops_rename_same_name(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    st(x, TRACE_CREATE, "/a", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/a", NULL, 100, 5000, 0);
    st(x, TRACE_MKDIR, "/d", NULL, 0, 0, 0);
    uint64_t qa = qid_of(x, "/a"), qd = qid_of(x, "/d");
    st(x, TRACE_MV, "/a", "/a", 0, 0, 0);                   /* A no-op that succeeds. */
    st(x, TRACE_MV, "/d", "/d", 0, 0, 0);
    CHECK_EQ(qid_of(x, "/a"), qa);
    CHECK_EQ(qid_of(x, "/d"), qd);
    st(x, TRACE_MV, "/missing", "/missing", 0, 0, FS_ENOENT);
    st(x, TRACE_MV, "/", "/", 0, 0, FS_EPERM);
    ot_close(x);
}

static void
ops_rename_to_existing(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    st(x, TRACE_CREATE, "/a", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/a", NULL, 0, 3000, 0);
    st(x, TRACE_CREATE, "/b", NULL, 0, 0, 0);
    st(x, TRACE_MKDIR, "/d", NULL, 0, 0, 0);
    st(x, TRACE_MV, "/a", "/b", 0, 0, FS_EEXIST);           /* GEFS: the new name must not exist. */
    st(x, TRACE_MV, "/a", "/d", 0, 0, FS_EEXIST);
    st(x, TRACE_MV, "/d", "/a", 0, 0, FS_EEXIST);
    st(x, TRACE_MV, "/a", "/", 0, 0, FS_EEXIST);
    st(x, TRACE_MV, "/a", "/c", 0, 0, 0);
    st(x, TRACE_MV, "/c", "/a", 0, 0, 0);
    ot_close(x);
}

static void
ops_rename_across_dirs(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    st(x, TRACE_MKDIR, "/d", NULL, 0, 0, 0);
    st(x, TRACE_MKDIR, "/e", NULL, 0, 0, 0);
    st(x, TRACE_CREATE, "/a", NULL, 0, 0, 0);
    st(x, TRACE_CREATE, "/d/b", NULL, 0, 0, 0);
    st(x, TRACE_MV, "/a", "/d/a", 0, 0, FS_EXDEV);
    st(x, TRACE_MV, "/d/b", "/b", 0, 0, FS_EXDEV);
    st(x, TRACE_MV, "/d/b", "/e/b", 0, 0, FS_EXDEV);
    st(x, TRACE_MV, "/d", "/d/x", 0, 0, FS_EXDEV);          /* Into itself: another directory. */
    st(x, TRACE_MV, "/a", "/nodir/a", 0, 0, FS_ENOENT);
    st(x, TRACE_MV, "/a", "/a/x", 0, 0, FS_ENOTDIR);
    ot_close(x);
}

/* A renamed directory keeps its children reachable, by path and by the
 * up-links the checker verifies, also after a remount. */
static void
ops_rename_directory(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    st(x, TRACE_MKDIR, "/d", NULL, 0, 0, 0);
    st(x, TRACE_MKDIR, "/d/e", NULL, 0, 0, 0);
    st(x, TRACE_CREATE, "/d/e/f", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/d/e/f", NULL, 0, 40000, 0);
    st(x, TRACE_CREATE, "/d/g", NULL, 0, 0, 0);
    uint64_t qd = qid_of(x, "/d"), qf = qid_of(x, "/d/e/f");
    st(x, TRACE_MV, "/d", "/d2", 0, 0, 0);
    CHECK_EQ(qid_of(x, "/d2"), qd);
    CHECK_EQ(qid_of(x, "/d2/e/f"), qf);
    CHECK_ERR(fs_stat(x->fs, "/d", NULL), FS_ENOENT);
    CHECK_ERR(fs_stat(x->fs, "/d/e/f", NULL), FS_ENOENT);
    st(x, TRACE_MV, "/d2/e", "/d2/e2", 0, 0, 0);
    st(x, TRACE_CREATE, "/d2/e2/h", NULL, 0, 0, 0);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    ot_remount(x);
    CHECK_EQ(qid_of(x, "/d2/e2/f"), qf);
    st(x, TRACE_RM, "/d2/e2", NULL, 0, 0, FS_ENOTEMPTY);
    st(x, TRACE_RM, "/d2/e2/f", NULL, 0, 0, 0);
    st(x, TRACE_RM, "/d2/e2/h", NULL, 0, 0, 0);
    st(x, TRACE_RM, "/d2/e2", NULL, 0, 0, 0);               /* Its up-link goes too. */
    st(x, TRACE_MV, "/d2", "/d", 0, 0, 0);
    ot_close(x);
}

/* ---- Truncate. ---- */

static void
truncate_mid_block(uint32_t bs)
{
    struct ot *x = ot_open(bs, 4 * MIB / bs);
    st(x, TRACE_CREATE, "/f", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/f", NULL, 0, 3 * bs, 0);
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, bs + 100, 0);      /* Shrink inside block 1. */
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, 3 * bs + 17, 0);   /* Grow: the tail reads zeros. */
    uint8_t *buf = calloc(1, 3 * bs + 17);
    assert_non_null(buf);
    size_t done = 0;
    CHECK_ERR(fs_read(x->fs, "/f", 0, buf, 3 * bs + 17, &done), 0);
    CHECK_EQ(done, 3 * bs + 17);
    for (size_t i = bs + 100; i < done; i++) {
        if (buf[i] != 0) {
            util_note("byte %zu is 0x%02x after shrink and grow", i, buf[i]);
            fail();
        }
    }
    free(buf);
    ot_expect(x);
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, 2 * bs, 0);        /* A block boundary. */
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, 2 * bs - 1, 0);
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, 5 * bs, 0);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    ot_remount(x);
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, 0, 0);
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, 2 * bs + 1, 0);
    st(x, TRACE_TRUNCATE, "/", NULL, 0, 0, FS_EISDIR);
    st(x, TRACE_TRUNCATE, "/g", NULL, 0, 0, FS_ENOENT);
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, FS_FILE_SIZE_MAX + 1, FS_EFBIG);
    ot_close(x);
}

static void
ops_truncate_shrink_grow(void **state)
{
    (void)state;
    truncate_mid_block(4 * KIB);
    truncate_mid_block(16 * KIB);
}

/* Sparse files: holes read as zeros through shrinks and grows into holes. */
static void
ops_truncate_sparse(void **state)
{
    (void)state;
    uint32_t bs = 4 * KIB;
    struct ot *x = ot_open(bs, 1024);
    st(x, TRACE_CREATE, "/s", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/s", NULL, 10 * bs + 5, 100, 0);    /* Ten blocks of hole first. */
    st(x, TRACE_WRITE, "/s", NULL, 20 * bs - 3, 10, 0);     /* Across a block boundary. */
    ot_expect(x);
    st(x, TRACE_TRUNCATE, "/s", NULL, 0, 5 * bs + 7, 0);    /* Into the hole. */
    st(x, TRACE_TRUNCATE, "/s", NULL, 0, 30 * bs, 0);       /* The data must not come back. */
    ot_expect(x);
    st(x, TRACE_WRITE, "/s", NULL, 25 * bs, 1, 0);
    st(x, TRACE_TRUNCATE, "/s", NULL, 0, 25 * bs, 0);       /* Just before the byte. */
    st(x, TRACE_TRUNCATE, "/s", NULL, 0, 26 * bs, 0);
    st(x, TRACE_WRITE, "/s", NULL, 3, 0, 0);                /* Zero bytes: no change. */
    st(x, TRACE_WRITE, "/s", NULL, 100 * bs, 0, 0);         /* Not even past the end. */
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    ot_remount(x);
    st(x, TRACE_CREATE, "/h", NULL, 0, 0, 0);
    st(x, TRACE_TRUNCATE, "/h", NULL, 0, 64 * bs, 0);       /* All hole. */
    ot_close(x);
}

/* Offsets at the edge of FS_FILE_SIZE_MAX. */
static void
ops_file_size_limit(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    st(x, TRACE_CREATE, "/f", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/f", NULL, FS_FILE_SIZE_MAX, 1, FS_EFBIG);
    st(x, TRACE_WRITE, "/f", NULL, FS_FILE_SIZE_MAX - 1, 2, FS_EFBIG);
    st(x, TRACE_WRITE, "/f", NULL, FS_FILE_SIZE_MAX + 1, 0, FS_EFBIG);
    st(x, TRACE_WRITE, "/f", NULL, FS_FILE_SIZE_MAX, 0, 0);
    st(x, TRACE_WRITE, "/f", NULL, FS_FILE_SIZE_MAX - 1, 1, 0);
    struct fs_stat stat;
    CHECK_ERR(fs_stat(x->fs, "/f", &stat), 0);
    CHECK_EQ(stat.size, FS_FILE_SIZE_MAX);
    uint8_t b[2] = { 0, 0 }, want;
    size_t done;
    CHECK_ERR(fs_read(x->fs, "/f", FS_FILE_SIZE_MAX - 1, b, 2, &done), 0);
    CHECK_EQ(done, 1);
    CHECK_ERR(oracle_read(x->m, "/f", FS_FILE_SIZE_MAX - 1, &want, 1, &done), 0);
    CHECK_EQ(b[0], want);
    CHECK_ERR(fs_read(x->fs, "/f", 12345, b, 2, &done), 0);
    CHECK_EQ(b[0] | b[1], 0);
    st(x, TRACE_TRUNCATE, "/f", NULL, 0, 100, 0);           /* Back to a size a digest can read. */
    ot_close(x);
}

/* ---- Remove. ---- */

static void
ops_remove_dirs(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    st(x, TRACE_MKDIR, "/d", NULL, 0, 0, 0);
    st(x, TRACE_MKDIR, "/d/e", NULL, 0, 0, 0);
    st(x, TRACE_CREATE, "/d/e/f", NULL, 0, 0, 0);
    st(x, TRACE_RM, "/d", NULL, 0, 0, FS_ENOTEMPTY);
    st(x, TRACE_RM, "/d/e", NULL, 0, 0, FS_ENOTEMPTY);
    st(x, TRACE_RM, "/", NULL, 0, 0, FS_EPERM);
    st(x, TRACE_RM, "/d/e/f/g", NULL, 0, 0, FS_ENOTDIR);
    st(x, TRACE_RM, "/d/x", NULL, 0, 0, FS_ENOENT);
    st(x, TRACE_RM, "/d/e/f", NULL, 0, 0, 0);
    st(x, TRACE_RM, "/d/e/f", NULL, 0, 0, FS_ENOENT);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    ot_remount(x);
    st(x, TRACE_RM, "/d", NULL, 0, 0, FS_ENOTEMPTY);        /* Still has e. */
    st(x, TRACE_RM, "/d/e", NULL, 0, 0, 0);
    st(x, TRACE_RM, "/d", NULL, 0, 0, 0);
    ot_close(x);
}

/* Qids are never reused: a name removed and created again is a new file,
 * also across commits and mounts. */
static void
ops_recreate_new_qid(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    st(x, TRACE_CREATE, "/a", NULL, 0, 0, 0);
    uint64_t q1 = qid_of(x, "/a");
    st(x, TRACE_RM, "/a", NULL, 0, 0, 0);
    st(x, TRACE_CREATE, "/a", NULL, 0, 0, 0);
    uint64_t q2 = qid_of(x, "/a");
    assert_true(q2 > q1);
    st(x, TRACE_RM, "/a", NULL, 0, 0, 0);
    st(x, TRACE_MKDIR, "/a", NULL, 0, 0, 0);
    uint64_t q3 = qid_of(x, "/a");
    assert_true(q3 > q2);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    ot_remount(x);
    st(x, TRACE_RM, "/a", NULL, 0, 0, 0);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    ot_remount(x);
    st(x, TRACE_CREATE, "/a", NULL, 0, 0, 0);
    assert_true(qid_of(x, "/a") > q3);
    ot_close(x);
}

/* Free blocks, as the checker counts them, after a commit. */
static uint64_t
free_blocks(struct fs *fs)
{
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    CHECK_EQ(r.count[FS_CHECK_CORRUPT], 0);
    CHECK_EQ(r.count[FS_CHECK_LEAK], 0);
    return r.blocks_free;
}

/* The free count after a commit: the file of `blocks` blocks is written
 * and synced, then removed (or truncated to zero) and synced. */
struct space {
    uint64_t before;            /* Free blocks before the file existed. */
    uint64_t with;              /* With it. */
    uint64_t after;             /* After fs_remove and fs_sync. */
};

static struct space
remove_space(uint32_t bs, uint64_t block_count, uint32_t blocks, bool truncate)
{
    struct ot *x = ot_open(bs, block_count);
    struct space sp;
    st(x, TRACE_CREATE, "/keep", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/keep", NULL, 0, 3 * bs, 0);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    sp.before = free_blocks(x->fs);
    st(x, TRACE_CREATE, "/big", NULL, 0, 0, 0);
    st(x, TRACE_WRITE, "/big", NULL, 0, (uint64_t)blocks * bs, 0);
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    sp.with = free_blocks(x->fs);
    if (truncate) {
        st(x, TRACE_TRUNCATE, "/big", NULL, 0, 0, 0);
        st(x, TRACE_RM, "/big", NULL, 0, 0, 0);
    } else {
        st(x, TRACE_RM, "/big", NULL, 0, 0, 0);
    }
    st(x, TRACE_SYNC, "", NULL, 0, 0, 0);
    sp.after = free_blocks(x->fs);
    util_note("%u-byte blocks, %u-block file%s: free %llu before, %llu with it, %llu after "
            "removing it and syncing (tree height %u)", bs, blocks, truncate ? " (truncated)" : "",
            (unsigned long long)sp.before, (unsigned long long)sp.with,
            (unsigned long long)sp.after, x->fs->tree.height);
    assert_true(sp.before >= sp.with + blocks);
    ot_close(x);
    return sp;
}

/* A removed file's data blocks come back at the commit (with only "main",
 * a commit frees what it kills): the free count after remove and sync is the
 * count before the file was written. Here the tree stays one leaf, so every
 * message is applied at once. */
static void
ops_remove_releases_blocks(void **state)
{
    (void)state;
    struct space sp = remove_space(16 * KIB, 512, 64, false);
    CHECK_EQ(sp.after, sp.before);
    sp = remove_space(16 * KIB, 512, 64, true);
    CHECK_EQ(sp.after, sp.before);
}

/*
 * The same with a tree of height 2 (a 1 MiB file in 4 KiB blocks: 256 Kdat
 * values). GEFS releases a data block when its Oclearb reaches the leaf; the
 * last batch of Oclearb messages of the remove waits in the root's buffer,
 * and nothing pushes it down while the file system is idle (the root, left
 * with one child, also never collapses: test_tree's tree_shrink). So the
 * space does not come back at the sync; this case fails until it does.
 */
static void
ops_remove_releases_blocks_tall(void **state)
{
    (void)state;
    struct space sp = remove_space(4 * KIB, 2048, 256, false);
    CHECK_EQ(sp.after, sp.before);
}

/* ---- Names. ---- */

static void
ops_name_rules(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    char name[FS_NAME_MAX + 8], path[FS_NAME_MAX + 16];
    memset(name, 'n', FS_NAME_MAX);
    name[FS_NAME_MAX] = '\0';
    snprintf(path, sizeof(path), "/%s", name);
    st(x, TRACE_CREATE, path, NULL, 0, 0, 0);               /* 244 bytes: the limit. */
    st(x, TRACE_WRITE, path, NULL, 0, 10, 0);
    snprintf(path, sizeof(path), "/%sx", name);
    st(x, TRACE_CREATE, path, NULL, 0, 0, FS_ENAMETOOLONG);
    st(x, TRACE_MKDIR, "/d", NULL, 0, 0, 0);
    static const char *const invalid[] = { "d", "", "/d/", "/d/.", "/d/..", "/.", "//", "/d//x",
        "/a\x01", "/\x1f", "/d/x\ny", "/\t" };
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(invalid); i++) {
        st(x, TRACE_CREATE, invalid[i], NULL, 0, 0, FS_EINVAL);
        st(x, TRACE_MKDIR, invalid[i], NULL, 0, 0, FS_EINVAL);
    }
    st(x, TRACE_CREATE, "/missing/x", NULL, 0, 0, FS_ENOENT);
    st(x, TRACE_CREATE, "/missing/.", NULL, 0, 0, FS_ENOENT);  /* Checked left to right. */
    st(x, TRACE_MKDIR, "/", NULL, 0, 0, FS_EEXIST);
    st(x, TRACE_CREATE, "/d", NULL, 0, 0, FS_EEXIST);
    st(x, TRACE_WRITE, "/", NULL, 0, 1, FS_EISDIR);
    st(x, TRACE_WRITE, "/d", NULL, 0, 1, FS_EISDIR);
    st(x, TRACE_CREATE, "/d/ \xc3\xa9~!", NULL, 0, 0, 0);    /* Spaces, UTF-8, punctuation. */
    ot_close(x);
}

/* DEL (0x7f) is a control character (iscntrl; Plan 9 refuses it in names
 * with the C0 controls), so fs.h's rule "without ... control characters"
 * makes a name holding it FS_EINVAL. */
static void
ops_name_del(void **state)
{
    (void)state;
    struct ot *x = ot_open(16 * KIB, 512);
    CHECK_ERR(fs_create(x->fs, "/a\x7f" "b"), FS_EINVAL);
    CHECK_ERR(fs_mkdir(x->fs, "/\x7f"), FS_EINVAL);
    ot_close(x);
}

/* In a child: 10000 one-byte writes on one mount; 0 if all succeeded. */
static int
many_writes(void *arg)
{
    (void)arg;
    struct bdev dev;
    struct fs *fs = NULL;
    struct fs_format_config fc = { .arena_count = 0 };
    struct fs_config c = { .cache_block_count = 0 };
    if (bdev_mem_open(&dev, 16 * KIB, 1024) != 0 || fs_format(&dev, &fc) != 0
            || fs_mount(&fs, &dev, &c) != 0 || fs_create(fs, "/f") != 0) {
        return 2;
    }
    int rc = 0;
    for (uint32_t i = 0; i < 10000 && rc == 0; i++) {
        uint8_t b = (uint8_t)i;
        if (fs_write(fs, "/f", i % 64, &b, 1) != 0 || (i % 1000 == 999 && fs_sync(fs) != 0)) {
            rc = 3;
        }
    }
    rc = fs_unmount(fs) != 0 && rc == 0 ? 4 : rc;   /* Everything freed: LeakSanitizer checks. */
    bdev_mem_close(&dev);
    return rc;
}

/* A mount takes any number of calls. Regression: fs/tree.c never reset the
 * workspace's root-level key arena (lv[0].keys); each root rewrite added the
 * root's first key to it until key_keep's ASSERT fired, after about 7000
 * one-block writes with 16 KiB blocks (syncs did not help, only a remount). */
static void
ops_many_writes_one_mount(void **state)
{
    (void)state;
    util_isolated_clean(many_writes, NULL, "10000 writes on one mount");
}

/* A memory device that knows the content hash of every block (struct bdev's
 * hash), as the crash view knows those of the log's writes. */
static bool
known_hash(const struct bdev *bdev, uint64_t block, uint64_t *hash)
{
    const struct bdev *mem = bdev->context;
    *hash = fmt_hash(bdev_mem_bytes(mem) + block * mem->block_size, mem->block_size);
    return true;
}

static int known_read(const struct bdev *b, uint64_t k, void *p)
{
    const struct bdev *mem = b->context;
    return mem->read(mem, k, p);
}

static int known_write(const struct bdev *b, uint64_t k, const void *p)
{
    const struct bdev *mem = b->context;
    return mem->write(mem, k, p);
}

static int known_flush(const struct bdev *b)
{
    const struct bdev *mem = b->context;
    return mem->flush(mem);
}

/* The block of the device whose bytes hash to h, or UINT64_MAX. */
static uint64_t
block_of_hash(const struct bdev *mem, uint64_t h)
{
    for (uint64_t b = 0; b < mem->block_count; b++) {
        if (fmt_hash(bdev_mem_bytes(mem) + b * mem->block_size, mem->block_size) == h) {
            return b;
        }
    }
    return UINT64_MAX;
}

/* Reading by content: fs_read_ids names what fs_read reads (holes too),
 * verified with the device's hashes without reading; the memoized digest
 * equals the full one and knows chunks and trees the second time; a data
 * block damaged afterwards is a different content, refused exactly as a
 * plain read refuses it, though the memo knew the old bytes. */
static void
ops_read_by_content(void **state)
{
    (void)state;
    struct ot *x = ot_open(4096, 512);
    static uint8_t buf[5 * 4096];
    for (size_t i = 0; i < sizeof(buf); i++) {
        buf[i] = (uint8_t)(i * 7 + 3);
    }
    CHECK_ERR(fs_create(x->fs, "/f"), 0);
    CHECK_ERR(fs_write(x->fs, "/f", 0, buf, 4096), 0);
    CHECK_ERR(fs_write(x->fs, "/f", 2 * 4096, buf, 2 * 4096 + 100), 0);    /* Block 1: a hole. */
    CHECK_ERR(fs_unmount(x->fs), 0);
    struct bdev known = { &x->dev, 4096, 512, known_read, known_write, known_flush, NULL,
        known_hash };
    x->fs = util_mount(&known, false);

    struct fs_block_id ids[8];
    uint32_t count = 8;
    CHECK_ERR(fs_read_ids(x->fs, "/f", 100, 4 * 4096, ids, &count), 0);
    CHECK_EQ(count, 5u);                        /* Bytes 100 .. 4*4096+100: blocks 0..4. */
    CHECK_TRUE(!ids[0].hole && ids[1].hole && !ids[2].hole && !ids[3].hole && !ids[4].hole);
    CHECK_EQ(ids[0].hash, fmt_hash(buf, 4096));
    CHECK_EQ(ids[2].hash, fmt_hash(buf, 4096));
    CHECK_TRUE(fs_stats(x->fs)->hash_known_count >= 3);

    struct oracle_memo *memo = oracle_memo_new();
    assert_non_null(memo);
    uint64_t full = 0, memoized = 0, lookups, hits;
    CHECK_ERR(oracle_digest_fs(x->fs, &full), 0);
    CHECK_ERR(oracle_digest_fs_memo(x->fs, memo, true, &memoized), 0);
    CHECK_EQ(memoized, full);
    oracle_memo_counts(memo, &lookups, &hits);
    CHECK_TRUE(hits < lookups);                 /* The first time, only repeats are known. */
    CHECK_ERR(oracle_digest_fs_memo(x->fs, memo, false, &memoized), 0);
    CHECK_EQ(memoized, full);
    uint64_t lookups2, hits2;
    oracle_memo_counts(memo, &lookups2, &hits2);
    CHECK_TRUE(lookups2 > lookups && hits2 - hits == lookups2 - lookups);   /* All known. */
    CHECK_ERR(oracle_digest_fs_memo(x->fs, memo, true, &memoized), 0);
    CHECK_EQ(memoized, full);                   /* The tree, known by its identity. */


    /* Damage the third data block behind the file system's back. */
    uint64_t victim = block_of_hash(&x->dev, ids[3].hash);
    CHECK_TRUE(victim != UINT64_MAX);
    CHECK_ERR(fs_unmount(x->fs), 0);
    bdev_mem_bytes(&x->dev)[victim * 4096 + 17] ^= 1;
    x->fs = util_mount(&known, false);
    CHECK_ERR(oracle_digest_fs_memo(x->fs, memo, false, &memoized), FS_ECORRUPT);
    assert_string_equal(fs_broken(x->fs), "block hash mismatch");
    CHECK_ERR(fs_unmount(x->fs), 0);
    x->fs = util_mount(&x->dev, false);         /* No hashes from the device: the same. */
    CHECK_ERR(oracle_digest_fs(x->fs, &full), FS_ECORRUPT);
    assert_string_equal(fs_broken(x->fs), "block hash mismatch");
    oracle_memo_free(memo);
}

/* fs_check with a memo (fs_check_memo) over a tree of several levels on a
 * device that knows its hashes: the next mount's check knows the namespace
 * and the nodes the cache does not hold, and finds what the first and a full
 * check found. */
static void
ops_check_memo(void **state)
{
    (void)state;
    struct ot *x = ot_open(4096, 1024);
    char path[64];
    for (uint32_t i = 0; i < 300; i++) {
        snprintf(path, sizeof(path), "/a-rather-long-file-name-to-fill-leaves-%04u", i);
        CHECK_ERR(fs_create(x->fs, path), 0);
    }
    CHECK_ERR(fs_unmount(x->fs), 0);
    struct bdev known = { &x->dev, 4096, 1024, known_read, known_write, known_flush, NULL,
        known_hash };
    x->fs = util_mount(&known, false);
    CHECK_TRUE(x->fs->tree.height >= 2);
    struct fs_check_memo *cm = fs_check_memo_new();
    assert_non_null(cm);
    static struct fs_check_result plain, first, again;
    CHECK_ERR(fs_check_memo(x->fs, cm, &first), 0);
    CHECK_ERR(fs_unmount(x->fs), 0);            /* The memo outlives a mount; the cache not. */
    x->fs = util_mount(&known, false);
    CHECK_ERR(fs_check_memo(x->fs, cm, &again), 0);
    CHECK_ERR(fs_check(x->fs, &plain), 0);
    CHECK_EQ(first.nodes_known + first.trees_known, 0u);
    CHECK_TRUE(again.trees_known > 0);
    CHECK_TRUE(again.nodes_known > 0);
    CHECK_EQ(again.blocks_reachable, plain.blocks_reachable);
    CHECK_EQ(again.count[FS_CHECK_CORRUPT] + again.count[FS_CHECK_LEAK], 0u);
    CHECK_EQ(again.count[FS_CHECK_WARNING], plain.count[FS_CHECK_WARNING]);
    fs_check_memo_free(cm);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(ops_rename_same_name, teardown),
        cmocka_unit_test_teardown(ops_rename_to_existing, teardown),
        cmocka_unit_test_teardown(ops_rename_across_dirs, teardown),
        cmocka_unit_test_teardown(ops_rename_directory, teardown),
        cmocka_unit_test_teardown(ops_truncate_shrink_grow, teardown),
        cmocka_unit_test_teardown(ops_truncate_sparse, teardown),
        cmocka_unit_test_teardown(ops_file_size_limit, teardown),
        cmocka_unit_test_teardown(ops_remove_dirs, teardown),
        cmocka_unit_test_teardown(ops_recreate_new_qid, teardown),
        cmocka_unit_test_teardown(ops_remove_releases_blocks, teardown),
        cmocka_unit_test_teardown(ops_remove_releases_blocks_tall, teardown),
        cmocka_unit_test_teardown(ops_name_rules, teardown),
        cmocka_unit_test_teardown(ops_name_del, teardown),
        cmocka_unit_test_teardown(ops_many_writes_one_mount, teardown),
        cmocka_unit_test_teardown(ops_read_by_content, teardown),
        cmocka_unit_test_teardown(ops_check_memo, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
