/*
 * tests/test_corrupt.c: damaged tree nodes are detected, never trusted.
 *
 * Method (SQLite's fault loop over the image instead of over calls): build an
 * image with a tree of height 3, labels and a fork, each with content the
 * oracle (sim/oracle/oracle.h) knows. Collect every tree node reachable from the
 * committed state: the snapshot tree's nodes and the nodes of every
 * snapshot's tree (walked from the Ksnap records). For every such block and
 * each damage (one byte of the header flipped, one byte of the body flipped,
 * the whole block zeroed), on a copy of the image, in a forked child:
 *   - mount read-write, and separately read-only: 0 or FS_ECORRUPT;
 *   - stat, list and read every path of every label (fs_view): each call
 *     returns 0 with exactly the model's answer, or FS_ECORRUPT; a wrong
 *     answer (ENOENT for a file that exists, other bytes) is a violation;
 *   - once a call returned FS_ECORRUPT, fs_broken() names a reason and
 *     mutations return FS_EROFS;
 *   - fs_check runs and reports the damage (the block is reachable);
 *   - unmount; nothing asserts or crashes (the child's exit status says).
 * The parent requires exit status 0 from every child and names the block,
 * its type and the damage of any that did not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/state.h"
#include "../fs/tree.h"
#include "../sim/oracle/oracle.h"

#define BS (4 * KIB)
#define BLOCKS 1536u
#define NODES_MAX 4096u

/* Exit codes of a trial child: below 10 a pass (and which kind), else a violation. */
enum verdict {
    V_OK = 0,
    P_MOUNT_REFUSED = 1,    /* Pass: mount returned FS_ECORRUPT. */
    P_CALL_SAW = 2,         /* Pass: a call returned FS_ECORRUPT; the fs went read-only. */
    P_CHECK_SAW = 3,        /* Pass: no call read the node; fs_check reported it. */
    P_KIND_COUNT = 4,
    V_MOUNT = 10,           /* Mount returned something other than 0 or FS_ECORRUPT. */
    V_CALL = 11,            /* A read call returned an unexpected error. */
    V_WRONG = 12,           /* A read call returned 0 with a wrong answer. */
    V_NOT_BROKEN = 13,      /* FS_ECORRUPT was returned but fs_broken() is NULL. */
    V_WRITABLE = 14,        /* A mutation of a broken fs did not return FS_EROFS. */
    V_CHECK = 15,           /* fs_check did not run or did not report the damage. */
};

struct image {
    struct bdev dev;            /* The pristine image. */
    struct oracle *m;            /* What it holds. */
    uint64_t nodes[NODES_MAX];  /* Reachable tree-node blocks. */
    uint32_t node_count;        /* Entries. */
    uint32_t height;            /* Height of main's tree. */
};

/* ---- Building the image. ---- */

static void
step(struct fs *fs, struct oracle *m, enum trace_op op, const char *path, const char *path2,
        uint64_t off, uint64_t len)
{
    static uint32_t line;
    struct trace_step s;
    memset(&s, 0, sizeof(s));
    s.op = op;
    s.line = ++line;
    s.seed = line;
    s.offset = off;
    s.length = len;
    snprintf(s.path, sizeof(s.path), "%s", path);
    snprintf(s.path2, sizeof(s.path2), "%s", path2 != NULL ? path2 : "");
    int got = FS_EINVAL;
    uint8_t *buf = NULL;
    switch (op) {
    case TRACE_MKDIR: got = fs_mkdir(fs, path); break;
    case TRACE_CREATE: got = fs_create(fs, path); break;
    case TRACE_WRITE:
        buf = malloc((size_t)len + 1);
        assert_non_null(buf);
        trace_fill(s.seed, 0, buf, (size_t)len);
        got = fs_write(fs, path, off, buf, (size_t)len);
        free(buf);
        break;
    case TRACE_RM: got = fs_remove(fs, path); break;
    case TRACE_SNAP_LABEL: got = fs_snap_label(fs, path, path2); break;
    case TRACE_SNAP_FORK: got = fs_snap_fork(fs, path, path2); break;
    default: fail_msg("op %d not used here", (int)op);
    }
    CHECK_ERR(got, 0);
    CHECK_ERR(oracle_apply(m, &s), 0);
}

/* Files with long names in a few directories: about 1000 entries make a
 * tree of height 3 with 4 KiB blocks. */
static void
populate(struct fs *fs, struct oracle *m, uint32_t from, uint32_t to, uint32_t salt)
{
    char p[128];
    for (uint32_t i = from; i < to; i++) {
        snprintf(p, sizeof(p), "/d%u/file-%05u-%s", i % 4, i, "padding-padding-padding-padding");
        step(fs, m, TRACE_CREATE, p, NULL, 0, 0);
        if (i % 5 == 0) {
            step(fs, m, TRACE_WRITE, p, NULL, (i % 3) * 1000, 1 + (i * 37 + salt) % 9000);
        }
    }
}

struct nodes_ctx {
    struct image *img;          /* Where nodes go. */
    uint32_t block_size;        /* For addresses. */
};

static int
node_fn(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    (void)height;
    (void)buf;
    struct nodes_ctx *c = arg;
    uint64_t block = bp.addr / c->block_size;
    for (uint32_t i = 0; i < c->img->node_count; i++) {
        if (c->img->nodes[i] == block) {
            return 1;           /* Shared with a snapshot already walked. */
        }
    }
    assert_true(c->img->node_count < NODES_MAX);
    c->img->nodes[c->img->node_count++] = block;
    return 0;
}

struct recs_ctx {
    struct fs *fs;              /* The mounted image. */
    struct nodes_ctx *nodes;    /* Collector. */
};

static int
rec_fn(void *arg, const struct kv *kv)
{
    struct recs_ctx *c = arg;
    if (kv->nv != FMT_TREE_SIZE) {
        return 0;
    }
    struct fmt_tree r;
    fmt_tree_unpack(kv->v, &r);
    struct tree t = { .root = r.root, .height = r.height, .gen = r.gen, .memgen = FMT_ADDR_NIL,
        .pred = r.pred, .base = r.base };
    CHECK_ERR(tree_walk(c->fs, &t, node_fn, c->nodes), 0);
    return 0;
}

/* Every tree node the committed state reaches. */
static void
collect_nodes(struct image *img)
{
    struct fs *fs = util_mount(&img->dev, true);
    struct nodes_ctx n = { img, BS };
    img->node_count = 0;
    CHECK_ERR(tree_walk(fs, &fs->snap, node_fn, &n), 0);
    uint8_t prefix[1] = { FMT_KSNAP };
    struct recs_ctx r = { fs, &n };
    CHECK_ERR(tree_scan(fs, &fs->snap, NULL, 0, prefix, 1, rec_fn, &r), 0);
    img->height = fs->tree.height;
    util_unmount(fs);
}

static void
image_build(struct image *img)
{
    util_mem_open(&img->dev, BS, BLOCKS);
    struct fs *fs = util_format_mount(&img->dev, 2);
    img->m = oracle_new();
    for (uint32_t d = 0; d < 4; d++) {
        char p[16];
        snprintf(p, sizeof(p), "/d%u", d);
        step(fs, img->m, TRACE_MKDIR, p, NULL, 0, 0);
    }
    populate(fs, img->m, 0, 700, 1);
    step(fs, img->m, TRACE_SNAP_LABEL, "main", "old", 0, 0);
    populate(fs, img->m, 700, 1000, 2);
    for (uint32_t i = 0; i < 700; i += 35) {
        char p[128];
        snprintf(p, sizeof(p), "/d%u/file-%05u-%s", i % 4, i, "padding-padding-padding-padding");
        step(fs, img->m, i % 70 ? TRACE_WRITE : TRACE_RM, p, NULL, 0, 5000);
    }
    step(fs, img->m, TRACE_SNAP_FORK, "old", "fork", 0, 0);
    step(fs, img->m, TRACE_SNAP_LABEL, "main", "new", 0, 0);
    util_unmount(fs);
    collect_nodes(img);
}

/* ---- One trial, in a child: no cmocka here, only exit codes. ---- */

enum damage { DAMAGE_HEADER, DAMAGE_BODY, DAMAGE_ZERO, DAMAGE_COUNT };

static const char *const damage_names[DAMAGE_COUNT] = { "header byte flipped",
    "body byte flipped", "zeroed" };

struct trial {
    struct image *img;          /* The pristine image and its model. */
    uint64_t block;             /* The node to damage. */
    enum damage damage;         /* How. */
    bool read_only;             /* Mount read-only. */
};

struct probe {
    struct fs *fs;              /* The damaged file system. */
    struct oracle *m;            /* What it must show where it answers. */
    bool corrupt_seen;          /* Some call returned FS_ECORRUPT. */
    int verdict;                /* The first violation, or V_OK. */
    uint8_t *a;                 /* Read buffer. */
    uint8_t *b;                 /* Model buffer. */
};

#define FILE_SIZE_MAX (64 * KIB)   /* Larger than any file of the image. */

static void
damage_apply(uint8_t *block, enum damage d, uint64_t seed)
{
    if (d == DAMAGE_ZERO) {
        memset(block, 0, BS);
    } else if (d == DAMAGE_HEADER) {
        block[seed % 10] ^= (uint8_t)(1u << (seed % 8));       /* type, counts, sizes. */
    } else {
        block[BS - 1 - seed * 7919 % (BS - 10)] ^= 0x5a;      /* Records or free space. */
    }
}

/* Sorts a call's result: 0 and FS_ECORRUPT are fine, anything else is not. */
static bool
answered(struct probe *p, int err, const char *what, const char *path)
{
    if (err == FS_ECORRUPT) {
        p->corrupt_seen = true;
        return false;
    }
    if (err != 0 && p->verdict == V_OK) {
        util_note("%s %s: unexpected %s", what, path, fs_strerror(err));
        p->verdict = V_CALL;
    }
    return err == 0;
}

static void
wrong(struct probe *p, const char *what, const char *path)
{
    if (p->verdict == V_OK) {
        util_note("%s %s: a wrong answer", what, path);
        p->verdict = V_WRONG;
    }
}

static int
dirent_fn(void *arg, const struct fs_dirent *e)
{
    struct probe *p = arg;
    size_t done;
    const char *dir = (const char *)p->b;   /* The directory's path, set by the caller. */
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, e->name);
    int err = oracle_read(p->m, path, 0, p->a, 0, &done);
    if (err != (e->is_dir ? FS_EISDIR : 0)) {
        wrong(p, "readdir entry", path);     /* An entry the model does not have. */
    }
    return 0;
}

static int
probe_fn(void *arg, const char *path, bool is_dir, uint64_t size)
{
    struct probe *p = arg;
    struct fs_stat st;
    if (!answered(p, fs_stat(p->fs, path, &st), "stat", path)) {
        return 0;
    }
    if (st.is_dir != is_dir || (!is_dir && st.size != size)) {
        wrong(p, "stat", path);
        return 0;
    }
    if (is_dir) {
        snprintf((char *)p->b, FILE_SIZE_MAX, "%s", path);
        (void)answered(p, fs_readdir(p->fs, path, dirent_fn, p), "readdir", path);
        return 0;
    }
    size_t done = 0, want = 0;
    if (size <= FILE_SIZE_MAX && answered(p, fs_read(p->fs, path, 0, p->a, FILE_SIZE_MAX, &done),
            "read", path)) {
        (void)oracle_read(p->m, path, 0, p->b, FILE_SIZE_MAX, &want);
        if (done != want || memcmp(p->a, p->b, done) != 0) {
            wrong(p, "read", path);
        }
    }
    return 0;
}

/* Every path of every label, through fs_view. */
static void
probe_labels(struct probe *p)
{
    const char *name;
    bool mutable;
    for (uint32_t i = 0; oracle_label_at(p->m, i, &name, &mutable); i++) {
        char label[FS_NAME_MAX + 1];
        snprintf(label, sizeof(label), "%s", name);
        if (!answered(p, fs_view(p->fs, label), "view", label)) {
            continue;
        }
        (void)oracle_mount(p->m, label);         /* The child's model: walk this label. */
        (void)oracle_walk(p->m, probe_fn, p);
        (void)answered(p, fs_view(p->fs, NULL), "view", "(mounted)");
    }
}

/* After corruption was seen: read-only, with a reason. */
static int
broken_checks(struct probe *p)
{
    if (fs_broken(p->fs) == NULL) {
        util_note("FS_ECORRUPT returned, fs_broken() is NULL");
        return V_NOT_BROKEN;
    }
    int e[4] = { fs_create(p->fs, "/zz"), fs_sync(p->fs), fs_snap_label(p->fs, "main", "zz"),
        fs_snap_delete(p->fs, "old") };
    for (uint32_t i = 0; i < 4; i++) {
        if (e[i] != FS_EROFS) {
            util_note("mutation %u of a broken fs returned %s", i, fs_strerror(e[i]));
            return V_WRITABLE;
        }
    }
    return V_OK;
}

static int
trial_run(void *arg)
{
    struct trial *t = arg;
    struct bdev dev;
    if (bdev_mem_open(&dev, BS, BLOCKS) != 0) {
        return 2;
    }
    memcpy(bdev_mem_bytes(&dev), bdev_mem_bytes(&t->img->dev), (size_t)BS * BLOCKS);
    damage_apply(bdev_mem_bytes(&dev) + t->block * BS, t->damage, t->block);
    struct fs *fs = NULL;
    struct fs_config c = { .read_only = t->read_only };
    int err = fs_mount(&fs, &dev, &c);
    if (err != 0) {
        bdev_mem_close(&dev);
        return err == FS_ECORRUPT ? P_MOUNT_REFUSED : V_MOUNT;
    }
    struct probe p = { fs, t->img->m, false, V_OK, malloc(FILE_SIZE_MAX), malloc(FILE_SIZE_MAX) };
    if (p.a == NULL || p.b == NULL) {
        return 2;
    }
    probe_labels(&p);
    int verdict = p.verdict;
    if (verdict == V_OK && p.corrupt_seen) {
        verdict = broken_checks(&p);
    }
    struct fs_check_result r;
    if (verdict == V_OK && (fs_check(fs, &r) != 0 || r.count[FS_CHECK_CORRUPT] == 0)) {
        util_note("fs_check did not report the damaged block");
        verdict = V_CHECK;
    }
    (void)fs_unmount(fs);
    bdev_mem_close(&dev);
    free(p.a);
    free(p.b);
    return verdict != V_OK ? verdict : p.corrupt_seen ? P_CALL_SAW : P_CHECK_SAW;
}

/* ---- The loop. ---- */

static const char *
type_name(const struct image *img, uint64_t block)
{
    uint16_t type = fmt_get16(bdev_mem_bytes(&img->dev) + block * BS);
    return type == FMT_TYPE_PIVOT ? "pivot" : type == FMT_TYPE_LEAF ? "leaf" : "other";
}

static void
corrupt_nodes(bool read_only)
{
    static struct image img;
    if (img.m == NULL) {
        image_build(&img);
        util_note("image: main's tree has height %u; %u tree nodes reachable", img.height,
                img.node_count);
    }
    assert_true(img.height >= 3);
    assert_true(img.node_count >= 20);
    uint32_t failures = 0, trials = 0, kinds[P_KIND_COUNT] = { 0 };
    for (uint32_t i = 0; i < img.node_count; i++) {
        for (uint32_t d = 0; d < DAMAGE_COUNT; d++) {
            struct trial t = { &img, img.nodes[i], (enum damage)d, read_only };
            struct util_child c = util_isolated(trial_run, &t);
            trials++;
            if (c.signal == 0 && c.exit_code > 0 && c.exit_code < P_KIND_COUNT) {
                kinds[c.exit_code]++;
            } else {
                char why[64];
                util_note("corrupt:block=%llu:%s:%s:%s: %s", (unsigned long long)t.block,
                        type_name(&img, t.block), damage_names[d], read_only ? "ro" : "rw",
                        util_child_describe(c, why, sizeof(why)));
                failures++;
            }
        }
    }
    util_note("%u trials: %u refused at mount, %u seen by a call, %u seen only by fs_check; "
            "%u failed", trials, kinds[P_MOUNT_REFUSED], kinds[P_CALL_SAW], kinds[P_CHECK_SAW],
            failures);
    CHECK_EQ(failures, 0);
    assert_true(kinds[P_CALL_SAW] > 0);         /* The probes read damaged nodes. */
}

static void
corrupt_nodes_rw(void **state)
{
    (void)state;
    corrupt_nodes(false);
}

static void
corrupt_nodes_ro(void **state)
{
    (void)state;
    corrupt_nodes(true);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corrupt_nodes_rw),
        cmocka_unit_test(corrupt_nodes_ro),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
