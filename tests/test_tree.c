/*
 * tests/test_tree.c: the Bε-tree (fs/tree.h) on its own, against a reference.
 *
 * Method: a formatted file system on a 4 KiB memory device lends its block
 * layer to a scratch tree whose memgen is the mounted tree's, so every block
 * the scratch tree releases is freed at once (nothing is killed into a
 * deadlist). Every upsert also goes to a reference map written here from the
 * message semantics of GEFS.md §5.2 and §6.2 (the wstat and link layouts by
 * their byte offsets), and verify() requires, after the operations of each
 * case: every lookup and a full scan equal the reference, absent keys are
 * FS_ENOENT, and the structure holds (every node verifies, fills recorded
 * in parents are the children's, keys and buffered messages lie in their
 * pivot's range, all leaves at one depth).
 *
 * What each case proves is said above it. Shapes are observed with a walk of
 * the nodes (heights, leaf counts, which keys sit in buffers), never taken on
 * trust: a case that did not reach its shape fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../fs/alloc.h"
#include "../fs/blk.h"
#include "../fs/state.h"
#include "../fs/tree.h"
#include "../fs/treeupdate.h"
#include "../traces/prng.h"

#define BS (4 * KIB)
#define DEVICE_BLOCKS 4096u
#define REF_CAP 20000u                  /* Entries the reference map can hold. */
#define SCAN_CAP 20000u                 /* Entries a scan can collect. */

/* ---- The reference map. ---- */

struct rent {
    uint8_t k[FMT_KEY_MAX];     /* Key bytes. */
    uint8_t v[FMT_INLINE_MAX];  /* Value bytes. */
    uint16_t nk;                /* Key size. */
    uint16_t nv;                /* Value size. */
};

struct ref {
    struct rent *e;             /* Sorted by key. */
    uint32_t count;             /* Entries. */
};

static int
kcmp(const uint8_t *a, uint16_t na, const uint8_t *b, uint16_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c != 0 ? c : (na > nb) - (na < nb);
}

static bool
ref_find(const struct ref *r, const uint8_t *k, uint16_t nk, uint32_t *at)
{
    uint32_t lo = 0, hi = r->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = kcmp(r->e[mid].k, r->e[mid].nk, k, nk);
        if (c == 0) {
            *at = mid;
            return true;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *at = lo;
    return false;
}

static uint64_t
get_be(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void
put_be(uint8_t *p, uint32_t n, uint64_t v)
{
    for (uint32_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

/* Owstat on a 61-byte entry: fields by bit, then qid.vers + 1 (GEFS.md §6.2:
 * vers @16, type @20, mode @21, atime @25, mtime @33, length @41, uid @49,
 * gid @53, muid @57). */
static void
ref_wstat(struct rent *e, const uint8_t *m, uint16_t nm)
{
    static const struct { uint8_t bit; uint8_t off; uint8_t size; } f[] = {
        { 0x01, 41, 8 }, { 0x02, 21, 4 }, { 0x04, 33, 8 }, { 0x08, 25, 8 },
        { 0x10, 49, 4 }, { 0x20, 53, 4 }, { 0x40, 57, 4 },
    };
    assert_int_equal(e->nv, 61);
    uint32_t at = 1;
    for (uint32_t i = 0; i < FS_ARRAY_COUNT(f); i++) {
        if ((m[0] & f[i].bit) && at + f[i].size <= nm) {
            memcpy(e->v + f[i].off, m + at, f[i].size);
            at += f[i].size;
            if (f[i].bit == 0x02) {
                e->v[20] = m[at - 4];           /* qid.type = mode >> 24. */
            }
        }
    }
    put_be(e->v + 16, 4, get_be(e->v + 16, 4) + 1);
}

/* Orelink/Oreprev on a 72-byte record: succ @32 or pred @24, nlbl @4 and
 * nref @0 move by signed deltas. */
static void
ref_link(struct rent *e, uint8_t op, const uint8_t *m)
{
    assert_int_equal(e->nv, 72);
    memcpy(e->v + (op == FMT_OP_RELINK ? 32 : 24), m, 8);
    put_be(e->v + 4, 4, (uint32_t)((int64_t)get_be(e->v + 4, 4) + (int8_t)m[8]));
    put_be(e->v, 4, (uint32_t)((int64_t)get_be(e->v, 4) + (int8_t)m[9]));
}

static void
ref_apply(struct ref *r, const struct msg *m)
{
    uint32_t at;
    bool present = ref_find(r, m->k, m->nk, &at);
    struct rent *e = &r->e[at];
    if (m->op == FMT_OP_INSERT) {
        if (!present) {
            assert_true(r->count < REF_CAP);
            memmove(e + 1, e, (r->count - at) * sizeof(struct rent));
            r->count++;
            memcpy(e->k, m->k, m->nk);
            e->nk = m->nk;
        }
        memcpy(e->v, m->v, m->nv);
        e->nv = m->nv;
    } else if (m->op == FMT_OP_DELETE || m->op == FMT_OP_CLEARB || m->op == FMT_OP_CLOBBER) {
        if (present) {
            memmove(e, e + 1, (r->count - at - 1) * sizeof(struct rent));
            r->count--;
        }
    } else if (present && m->op == FMT_OP_WSTAT) {
        ref_wstat(e, m->v, m->nv);
    } else if (present) {
        ref_link(e, m->op, m->v);
    }
}

/* ---- Fixture: a mounted fs, a scratch tree, its reference. ---- */

struct tt {
    struct bdev dev;            /* 4 KiB memory device. */
    struct fs *fs;              /* Lends its block layer. */
    struct tree t;              /* The tree under test. */
    struct ref ref;             /* What it must hold. */
};

static void
tt_scratch(struct tt *x, struct tree *t)
{
    *t = (struct tree){ .height = 1, .gen = x->fs->tree.gen, .memgen = x->fs->tree.memgen,
        .pred = FMT_ADDR_NIL, .base = FMT_ADDR_NIL };
    CHECK_ERR(tree_new_empty(x->fs, t, &t->root), 0);
}

/* The fixture of the running case, released by teardown if the case fails
 * (a failed case must not leave leaks for LeakSanitizer to find in the
 * children of later cases). */
static struct tt *tt_current;

static struct tt *
tt_open(void)
{
    struct tt *x = calloc(1, sizeof(*x));
    tt_current = x;
    assert_non_null(x);
    x->ref.e = calloc(REF_CAP, sizeof(struct rent));
    assert_non_null(x->ref.e);
    util_mem_open(&x->dev, BS, DEVICE_BLOCKS);
    x->fs = util_format_mount(&x->dev, 1);
    tt_scratch(x, &x->t);
    return x;
}

static void
tt_free(struct tt *x)
{
    if (x->fs != NULL) {
        (void)fs_unmount(x->fs);
    }
    bdev_mem_close(&x->dev);
    free(x->ref.e);
    free(x);
    tt_current = NULL;
}

static void
tt_close(struct tt *x)
{
    assert_null(fs_broken(x->fs));
    CHECK_ERR(fs_unmount(x->fs), 0);        /* The scratch tree's blocks leak: a dropped image. */
    x->fs = NULL;
    tt_free(x);
}

static int
teardown(void **state)
{
    (void)state;
    if (tt_current != NULL) {
        tt_free(tt_current);
    }
    return 0;
}

/* Keys: kind 06, a 32-bit number, then pad bytes; they sort by number first. */
static uint16_t
key_num(uint8_t *k, uint32_t i, uint16_t pad)
{
    k[0] = FMT_KCONF;
    put_be(k + 1, 4, i);
    for (uint16_t j = 0; j < pad; j++) {
        k[5 + j] = (uint8_t)('a' + (i + j) % 26);
    }
    return (uint16_t)(5 + pad);
}

/* A value of n bytes derived from (i, salt). */
static void
val_fill(uint8_t *v, uint16_t n, uint32_t i, uint32_t salt)
{
    for (uint16_t j = 0; j < n; j++) {
        v[j] = (uint8_t)(i * 31 + salt * 7 + j);
    }
}

/* Storage for one message. */
struct mb {
    uint8_t k[FMT_KEY_MAX];     /* Key. */
    uint8_t v[FMT_INLINE_MAX];  /* Value. */
};

static struct msg
msg_put(struct mb *b, uint32_t i, uint16_t pad, uint16_t nv, uint32_t salt)
{
    val_fill(b->v, nv, i, salt);
    return (struct msg){ b->k, b->v, key_num(b->k, i, pad), nv, FMT_OP_INSERT };
}

static struct msg
msg_op(struct mb *b, uint8_t op, uint32_t i, uint16_t pad)
{
    return (struct msg){ b->k, NULL, key_num(b->k, i, pad), 0, op };
}

/* Upserts into x->t and the reference; must succeed. */
static void
up(struct tt *x, const struct msg *m, uint32_t n)
{
    CHECK_ERR(tree_upsert(x->fs, &x->t, m, n), 0);
    for (uint32_t i = 0; i < n; i++) {
        ref_apply(&x->ref, &m[i]);
    }
}

static void
up1(struct tt *x, struct msg m)
{
    up(x, &m, 1);
}

/* ---- Observing the tree. ---- */

/* Per-node facts from a walk. */
struct shape {
    uint32_t leaves;            /* Leaf nodes. */
    uint32_t pivots;            /* Pivot nodes. */
    uint32_t buffered;          /* Messages in pivot buffers. */
    uint32_t leaf_vals;         /* Values in leaves. */
};

static int
shape_fn(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    (void)bp;
    struct shape *s = arg;
    if (height == 1) {
        s->leaves++;
        s->leaf_vals += tree_node_count(buf);
    } else {
        s->pivots++;
        s->buffered += tree_node_msg_count(buf);
    }
    return 0;
}

static struct shape
shape_of(struct tt *x, const struct tree *t)
{
    struct shape s = { 0, 0, 0, 0 };
    CHECK_ERR(tree_walk(x->fs, t, shape_fn, &s), 0);
    return s;
}

/* A key range [lo, hi) of a subtree; NULL bounds are open. */
struct krange {
    const uint8_t *lo;          /* Smallest key allowed, or NULL. */
    uint16_t nlo;               /* Its size. */
    const uint8_t *hi;          /* First key not allowed, or NULL. */
    uint16_t nhi;               /* Its size. */
};

static bool
in_range(const struct krange *r, const uint8_t *k, uint16_t nk)
{
    return (r->lo == NULL || kcmp(k, nk, r->lo, r->nlo) >= 0)
        && (r->hi == NULL || kcmp(k, nk, r->hi, r->nhi) < 0);
}

static uint32_t node_check(struct tt *x, struct bptr bp, uint32_t height, struct krange r,
        int32_t fill);

/* A pivot's children: recorded fill, ranges, keys in order. */
static uint32_t
pivot_check(struct tt *x, const uint8_t *buf, uint32_t height, struct krange r)
{
    uint16_t n = tree_node_count(buf);
    for (uint16_t i = 0; i < tree_node_msg_count(buf); i++) {
        struct msg m = tree_node_msg(BS, buf, i);
        assert_true(in_range(&r, m.k, m.nk));
    }
    uint32_t depth = 0;
    for (uint16_t i = 0; i < n; i++) {
        struct kv kv = tree_node_val(BS, buf, i);
        uint16_t fill;
        struct bptr child = tree_node_child(BS, buf, i, &fill);
        struct kv next = i + 1 < n ? tree_node_val(BS, buf, (uint16_t)(i + 1)) : (struct kv){ 0 };
        struct krange cr = { i == 0 ? r.lo : kv.k, i == 0 ? r.nlo : kv.nk,
            i + 1 < n ? next.k : r.hi, i + 1 < n ? next.nk : r.nhi };
        uint32_t d = node_check(x, child, height - 1, cr, fill);
        assert_true(i == 0 || d == depth);
        depth = d;
    }
    return depth + 1;
}

/* Checks a subtree; returns its height. */
static uint32_t
node_check(struct tt *x, struct bptr bp, uint32_t height, struct krange r, int32_t fill)
{
    struct cblk *b;
    assert_true(height >= 1);
    CHECK_ERR(blk_read(x->fs, bp, height == 1 ? BLK_MASK(FMT_TYPE_LEAF)
            : BLK_MASK(FMT_TYPE_PIVOT), &b), 0);
    const uint8_t *buf = b->buf;
    uint16_t type = height == 1 ? FMT_TYPE_LEAF : FMT_TYPE_PIVOT;
    const char *why = tree_node_verify(BS, buf, type);
    if (why != NULL) {
        util_note("node %llu: %s", (unsigned long long)(bp.addr / BS), why);
    }
    assert_null(why);
    if (fill >= 0) {
        CHECK_EQ(tree_node_fill(buf), fill);
    }
    uint32_t h = 1;
    if (height == 1) {
        for (uint16_t i = 0; i < tree_node_count(buf); i++) {
            struct kv kv = tree_node_val(BS, buf, i);
            assert_true(in_range(&r, kv.k, kv.nk));
        }
    } else {
        h = pivot_check(x, buf, height, r);
    }
    blk_put(x->fs, b);
    return h;
}

static void
structure_check(struct tt *x, const struct tree *t)
{
    struct krange all = { NULL, 0, NULL, 0 };
    CHECK_EQ(node_check(x, t->root, t->height, all, -1), t->height);
}

/* ---- Comparing with the reference. ---- */

struct scan {
    struct rent *e;             /* Collected entries. */
    uint32_t count;             /* In use. */
    uint32_t stop_after;        /* Return 1 after this many (0: never). */
};

static int
scan_fn(void *arg, const struct kv *kv)
{
    struct scan *s = arg;
    assert_true(s->count < SCAN_CAP);
    struct rent *e = &s->e[s->count++];
    memcpy(e->k, kv->k, kv->nk);
    memcpy(e->v, kv->v, kv->nv);
    e->nk = kv->nk;
    e->nv = kv->nv;
    return s->stop_after != 0 && s->count == s->stop_after ? 1 : 0;
}

static void
rent_expect(const struct rent *got, const struct rent *want)
{
    CHECK_EQ(got->nk, want->nk);
    assert_memory_equal(got->k, want->k, want->nk);
    CHECK_EQ(got->nv, want->nv);
    assert_memory_equal(got->v, want->v, want->nv);
}

/* Scans t from lo with prefix and requires exactly the reference's entries
 * in that range, in order. */
static void
scan_expect(struct tt *x, const struct tree *t, const uint8_t *lo, uint16_t nlo,
        const uint8_t *prefix, uint16_t np)
{
    struct scan s = { calloc(SCAN_CAP, sizeof(struct rent)), 0, 0 };
    assert_non_null(s.e);
    CHECK_ERR(tree_scan(x->fs, t, lo, nlo, prefix, np, scan_fn, &s), 0);
    uint32_t j = 0;
    for (uint32_t i = 0; i < x->ref.count; i++) {
        const struct rent *e = &x->ref.e[i];
        bool want = (lo == NULL || kcmp(e->k, e->nk, lo, nlo) >= 0)
            && e->nk >= np && memcmp(e->k, prefix, np) == 0;
        if (want) {
            assert_true(j < s.count);
            rent_expect(&s.e[j++], e);
        }
    }
    CHECK_EQ(s.count, j);
    free(s.e);
}

/* Every reference entry by lookup, absent neighbours, a full scan, the structure. */
static void
verify_tree(struct tt *x, const struct tree *t)
{
    uint8_t v[FMT_INLINE_MAX];
    uint16_t nv;
    for (uint32_t i = 0; i < x->ref.count; i++) {
        const struct rent *e = &x->ref.e[i];
        CHECK_ERR(tree_lookup(x->fs, t, e->k, e->nk, v, &nv), 0);
        CHECK_EQ(nv, e->nv);
        assert_memory_equal(v, e->v, nv);
        uint8_t k[FMT_KEY_MAX + 1];
        memcpy(k, e->k, e->nk);
        k[e->nk] = 0xff;                        /* Sorts right after e; absent. */
        uint32_t at;
        if (e->nk < FMT_KEY_MAX && !ref_find(&x->ref, k, (uint16_t)(e->nk + 1), &at)) {
            CHECK_ERR(tree_lookup(x->fs, t, k, (uint16_t)(e->nk + 1), v, &nv), FS_ENOENT);
        }
    }
    uint8_t none[1] = { FMT_KCONF };
    scan_expect(x, t, NULL, 0, none, 0);
    structure_check(x, t);
}

static void
verify(struct tt *x)
{
    verify_tree(x, &x->t);
}

/* Fills x->t with keys 0, step, 2*step, ... (count of them). */
static void
fill_seq(struct tt *x, uint32_t count, uint32_t step, uint16_t pad, uint16_t nv)
{
    struct mb b;
    for (uint32_t i = 0; i < count; i++) {
        up1(x, msg_put(&b, i * step, pad, nv, 0));
    }
}

/* ---- Values with structure: directory entries and snapshot records. ---- */

static struct msg
msg_dirent(struct mb *b, uint32_t i, uint64_t qid, uint32_t version, uint64_t length)
{
    memset(b->v, 0, 61);
    put_be(b->v + 8, 8, qid);
    put_be(b->v + 16, 4, version);
    put_be(b->v + 21, 4, 0644);
    put_be(b->v + 25, 8, 111);          /* atime */
    put_be(b->v + 33, 8, 222);          /* mtime */
    put_be(b->v + 41, 8, length);
    return (struct msg){ b->k, b->v, key_num(b->k, i, 0), 61, FMT_OP_INSERT };
}

/* Owstat: flags, then size (if 0x01), mode (0x02), mtime (0x04), in bit order. */
static struct msg
msg_wstat(struct mb *b, uint32_t i, uint8_t flags, uint64_t size, uint32_t mode, uint64_t mtime)
{
    uint16_t n = 1;
    b->v[0] = flags;
    if (flags & 0x01) {
        put_be(b->v + n, 8, size);
        n += 8;
    }
    if (flags & 0x02) {
        put_be(b->v + n, 4, mode);
        n += 4;
    }
    if (flags & 0x04) {
        put_be(b->v + n, 8, mtime);
        n += 8;
    }
    return (struct msg){ b->k, b->v, key_num(b->k, i, 0), n, FMT_OP_WSTAT };
}

static struct msg
msg_record(struct mb *b, uint32_t i, uint32_t nref, uint32_t nlbl)
{
    memset(b->v, 0, 72);
    put_be(b->v, 4, nref);
    put_be(b->v + 4, 4, nlbl);
    put_be(b->v + 8, 4, 1);             /* height */
    put_be(b->v + 16, 8, 77);           /* gen */
    put_be(b->v + 24, 8, UINT64_MAX);   /* pred */
    put_be(b->v + 32, 8, UINT64_MAX);   /* succ */
    put_be(b->v + 40, 8, UINT64_MAX);   /* base */
    return (struct msg){ b->k, b->v, key_num(b->k, i, 0), 72, FMT_OP_INSERT };
}

static struct msg
msg_link(struct mb *b, uint8_t op, uint32_t i, uint64_t link, int8_t dlbl, int8_t dref)
{
    put_be(b->v, 8, link);
    b->v[8] = (uint8_t)dlbl;
    b->v[9] = (uint8_t)dref;
    return (struct msg){ b->k, b->v, key_num(b->k, i, 0), 10, op };
}

/* The value of key i (no padding) in x->t; FS_ENOENT if absent. */
static int
get(struct tt *x, uint32_t i, uint8_t *v, uint16_t *nv)
{
    uint8_t k[FMT_KEY_MAX];
    return tree_lookup(x->fs, &x->t, k, key_num(k, i, 0), v, nv);
}

/* Each op of GEFS.md §5.2, with direct checks of the bytes besides the reference. */
static void
ops_each(struct tt *x, uint32_t base)
{
    struct mb b;
    uint8_t v[FMT_INLINE_MAX];
    uint16_t nv;
    up1(x, msg_put(&b, base + 1, 0, 20, 1));
    up1(x, msg_put(&b, base + 1, 0, 30, 2));                   /* Replace. */
    CHECK_ERR(get(x, base + 1, v, &nv), 0);
    CHECK_EQ(nv, 30);
    up1(x, msg_put(&b, base + 2, 0, 20, 1));
    up1(x, msg_op(&b, FMT_OP_DELETE, base + 2, 0));
    CHECK_ERR(get(x, base + 2, v, &nv), FS_ENOENT);
    up1(x, msg_op(&b, FMT_OP_CLEARB, base + 3, 0));           /* Absent: evaporates. */
    up1(x, msg_put(&b, base + 4, 0, 10, 1));
    up1(x, msg_op(&b, FMT_OP_CLEARB, base + 4, 0));
    up1(x, msg_op(&b, FMT_OP_CLOBBER, base + 5, 0));          /* Absent: evaporates. */
    up1(x, msg_put(&b, base + 6, 0, 10, 1));
    up1(x, msg_op(&b, FMT_OP_CLOBBER, base + 6, 0));
    for (uint32_t k = 3; k <= 6; k++) {
        CHECK_ERR(get(x, base + k, v, &nv), FS_ENOENT);
    }

    up1(x, msg_dirent(&b, base + 7, 42, 7, 10));
    up1(x, msg_wstat(&b, base + 7, 0x01 | 0x04, 5000, 0, 999));
    CHECK_ERR(get(x, base + 7, v, &nv), 0);
    CHECK_EQ(get_be(v + 41, 8), 5000);                          /* length */
    CHECK_EQ(get_be(v + 33, 8), 999);                           /* mtime */
    CHECK_EQ(get_be(v + 25, 8), 111);                           /* atime unchanged */
    CHECK_EQ(get_be(v + 16, 4), 8);                             /* version bumped */
    up1(x, msg_wstat(&b, base + 7, 0x02, 0, 0x80000755u, 0));  /* Mode sets qid.type. */
    up1(x, msg_wstat(&b, base + 7, 0, 0, 0, 0));               /* A touch: version only. */
    CHECK_ERR(get(x, base + 7, v, &nv), 0);
    CHECK_EQ(get_be(v + 21, 4), 0x80000755u);
    CHECK_EQ(v[20], 0x80);
    CHECK_EQ(get_be(v + 16, 4), 10);
    up1(x, msg_wstat(&b, base + 8, 0x01, 1, 0, 0));            /* Absent: no effect. */
    CHECK_ERR(get(x, base + 8, v, &nv), FS_ENOENT);

    up1(x, msg_record(&b, base + 9, 1, 2));
    up1(x, msg_link(&b, FMT_OP_RELINK, base + 9, 99, -1, 1));
    up1(x, msg_link(&b, FMT_OP_REPREV, base + 9, 5, 1, -2));
    CHECK_ERR(get(x, base + 9, v, &nv), 0);
    CHECK_EQ(get_be(v + 32, 8), 99);                            /* succ */
    CHECK_EQ(get_be(v + 24, 8), 5);                             /* pred */
    CHECK_EQ(get_be(v + 4, 4), 2);                              /* nlbl 2 - 1 + 1 */
    CHECK_EQ(get_be(v, 4), 0);                                  /* nref 1 + 1 - 2 */
    up1(x, msg_link(&b, FMT_OP_RELINK, base + 10, 1, 1, 1));   /* Absent: no effect. */
    CHECK_ERR(get(x, base + 10, v, &nv), FS_ENOENT);
    verify(x);
}

/* Every message op on a single leaf (applied at once) and on a tall tree
 * (buffered in the root and applied by lookups and scans). */
static void
tree_each_op(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    ops_each(x, 1000000);
    CHECK_EQ(x->t.height, 1);
    tt_close(x);

    x = tt_open();
    fill_seq(x, 1500, 1, 8, 60);
    assert_true(x->t.height >= 2);
    struct shape before = shape_of(x, &x->t);
    ops_each(x, 1000000);
    struct shape after = shape_of(x, &x->t);
    util_note("buffered messages: %u before the ops, %u after", before.buffered, after.buffered);
    assert_true(after.buffered > 0);
    tt_close(x);
}

/* The messages for key k in the root's buffer, in buffer order. */
static uint32_t
root_msgs(struct tt *x, const uint8_t *k, uint16_t nk, struct msg *out, uint32_t cap,
        uint8_t (*vals)[FMT_INLINE_MAX])
{
    struct cblk *b;
    CHECK_ERR(blk_read(x->fs, x->t.root, BLK_MASK(FMT_TYPE_PIVOT), &b), 0);
    uint32_t n = 0;
    for (uint16_t i = 0; i < tree_node_msg_count(b->buf); i++) {
        struct msg m = tree_node_msg(BS, b->buf, i);
        if (kcmp(m.k, m.nk, k, nk) == 0 && n < cap) {
            memcpy(vals[n], m.v, m.nv);
            out[n] = m;
            out[n].v = vals[n];
            out[n].k = NULL;
            n++;
        }
    }
    blk_put(x->fs, b);
    return n;
}

/* Equal keys in one batch apply in batch order, wherever they land. */
static void
batch_order(struct tt *x, uint32_t base)
{
    struct mb b[10];
    struct msg m[10] = {
        msg_put(&b[0], base + 1, 0, 40, 1), msg_op(&b[1], FMT_OP_DELETE, base + 2, 0),
        msg_put(&b[2], base + 1, 0, 50, 2), msg_put(&b[3], base + 2, 0, 30, 3),
        msg_put(&b[4], base + 3, 0, 30, 4), msg_dirent(&b[5], base + 4, 9, 1, 0),
        msg_op(&b[6], FMT_OP_DELETE, base + 3, 0), msg_wstat(&b[7], base + 4, 0x01, 77, 0, 0),
        msg_wstat(&b[8], base + 4, 0x01, 88, 0, 0), msg_put(&b[9], base + 5, 0, 20, 5),
    };
    up(x, m, 10);
    uint8_t v[FMT_INLINE_MAX];
    uint16_t nv;
    CHECK_ERR(get(x, base + 1, v, &nv), 0);
    CHECK_EQ(nv, 50);                       /* The second insert won. */
    CHECK_ERR(get(x, base + 2, v, &nv), 0); /* Delete, then insert: present. */
    CHECK_ERR(get(x, base + 3, v, &nv), FS_ENOENT);     /* Insert, then delete. */
    CHECK_ERR(get(x, base + 4, v, &nv), 0);
    CHECK_EQ(get_be(v + 41, 8), 88);
    CHECK_EQ(get_be(v + 16, 4), 3);         /* Two wstats on version 1. */
    verify(x);
}

static void
tree_batch_order(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    batch_order(x, 1000);
    tt_close(x);

    x = tt_open();
    fill_seq(x, 1500, 1, 8, 60);
    assert_true(x->t.height >= 2);
    batch_order(x, 1000000);
    /* On the fast path both inserts of base+1 sit in the root, in batch order. */
    struct msg m[4];
    uint8_t vals[4][FMT_INLINE_MAX], k[FMT_KEY_MAX];
    uint32_t n = root_msgs(x, k, key_num(k, 1000001, 0), m, 4, vals);
    if (n == 2) {
        CHECK_EQ(m[0].nv, 40);
        CHECK_EQ(m[1].nv, 50);
    } else {
        util_note("base+1 has %u messages in the root: flushed by this batch", n);
        assert_true(n == 0);
    }
    tt_close(x);
}

/* Records of every node: (key, height), for finding keys at several levels. */
struct krec {
    uint8_t k[FMT_KEY_MAX];     /* Key. */
    uint16_t nk;                /* Size. */
    uint32_t height;            /* 1: leaf value; more: pivot message at that height. */
};

struct krecs {
    struct krec *r;             /* Records. */
    uint32_t count;             /* In use. */
    uint32_t cap;               /* Allocated. */
};

static void
krec_add(struct krecs *s, const uint8_t *k, uint16_t nk, uint32_t height)
{
    if (s->count == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->r = realloc(s->r, s->cap * sizeof(struct krec));
        assert_non_null(s->r);
    }
    memcpy(s->r[s->count].k, k, nk);
    s->r[s->count].nk = nk;
    s->r[s->count++].height = height;
}

static int
krec_fn(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    (void)bp;
    for (uint16_t i = 0; height == 1 && i < tree_node_count(buf); i++) {
        struct kv kv = tree_node_val(BS, buf, i);
        krec_add(arg, kv.k, kv.nk, 1);
    }
    for (uint16_t i = 0; i < tree_node_msg_count(buf); i++) {
        struct msg m = tree_node_msg(BS, buf, i);
        krec_add(arg, m.k, m.nk, height);
    }
    return 0;
}

static int
krec_order(const void *a, const void *b)
{
    const struct krec *x = a, *y = b;
    int c = kcmp(x->k, x->nk, y->k, y->nk);
    return c != 0 ? c : (x->height > y->height) - (x->height < y->height);
}

/* Keys with messages at two or more pivot heights. */
static uint32_t
multi_level_keys(struct tt *x)
{
    struct krecs s = { NULL, 0, 0 };
    CHECK_ERR(tree_walk(x->fs, &x->t, krec_fn, &s), 0);
    qsort(s.r, s.count, sizeof(struct krec), krec_order);
    uint32_t n = 0;
    for (uint32_t i = 0; i < s.count;) {
        uint32_t j = i, levels = 0, last = 0;
        for (; j < s.count && kcmp(s.r[j].k, s.r[j].nk, s.r[i].k, s.r[i].nk) == 0; j++) {
            if (s.r[j].height >= 2 && s.r[j].height != last) {
                levels++;
                last = s.r[j].height;
            }
        }
        n += levels >= 2;
        i = j;
    }
    free(s.r);
    return n;
}

/* Bit h set if key k has a record at height h (1: a leaf value). */
static uint32_t
key_levels(struct tt *x, const uint8_t *k, uint16_t nk)
{
    struct krecs s = { NULL, 0, 0 };
    CHECK_ERR(tree_walk(x->fs, &x->t, krec_fn, &s), 0);
    uint32_t bits = 0;
    for (uint32_t i = 0; i < s.count; i++) {
        if (kcmp(s.r[i].k, s.r[i].nk, k, nk) == 0) {
            bits |= 1u << s.r[i].height;
        }
    }
    free(s.r);
    return bits;
}

/* A key that exists only as messages in the root's buffer: lookups and
 * scans apply them (equal keys of a batch in batch order), a later delete in
 * the same buffer hides it. Tried on several keys: a batch that overflows
 * the buffer is flushed instead, and the case needs the buffered kind. */
static void
tree_lookup_buffered(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    fill_seq(x, 1500, 2, 8, 60);
    assert_true(x->t.height >= 2);
    uint32_t buffered = 0;
    for (uint32_t i = 0; i < 20; i++) {
        uint32_t key = 74 * i + 1;                  /* Odd: not in the tree. */
        struct mb b[2];
        struct msg m[2] = { msg_put(&b[0], key, 8, 30, 1), msg_put(&b[1], key, 8, 31, 2) };
        up(x, m, 2);
        uint8_t k[FMT_KEY_MAX], v[FMT_INLINE_MAX], vals[3][FMT_INLINE_MAX];
        uint16_t nk = key_num(k, key, 8), nv;
        struct msg in[3];
        if (key_levels(x, k, nk) != 1u << x->t.height || root_msgs(x, k, nk, in, 3, vals) != 2) {
            continue;                               /* Flushed by this batch. */
        }
        buffered++;
        CHECK_EQ(in[0].nv, 30);                     /* Batch order kept in the buffer. */
        CHECK_EQ(in[1].nv, 31);
        CHECK_ERR(tree_lookup(x->fs, &x->t, k, nk, v, &nv), 0);
        CHECK_EQ(nv, 31);
        scan_expect(x, &x->t, k, nk, k, nk);        /* The scan sees it too. */
        up1(x, msg_op(&b[0], FMT_OP_DELETE, key, 8));
        if (root_msgs(x, k, nk, in, 3, vals) == 3) {
            CHECK_ERR(tree_lookup(x->fs, &x->t, k, nk, v, &nv), FS_ENOENT);
        }
    }
    util_note("%u of 20 keys were seen living only in the root's buffer", buffered);
    assert_true(buffered > 0);
    verify(x);
    tt_close(x);
}

/* The test's own PRNG: the MMIX LCG of traces/prng.h, its high 31 bits. */
static uint64_t
lcg(uint64_t *s)
{
    return prng_lcg64(s) >> 33;
}

/* Lookups apply buffered messages deepest first: on a tree of height 3, hot
 * keys are updated over and over, so a key has older messages in a lower
 * pivot and newer ones above; every lookup and scan must give the newest.
 * The case fails unless such keys were seen. */
static void
tree_buffer_levels(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    fill_seq(x, 3000, 4, 20, 40);
    assert_true(x->t.height >= 3);
    uint64_t seed = 12345;
    uint32_t multi_max = 0;
    struct mb b[3];
    for (uint32_t op = 1; op <= 4000; op++) {
        uint32_t i = 4 * (uint32_t)(lcg(&seed) % 300) * 10;     /* 300 hot keys. */
        uint64_t kind = lcg(&seed) % 10;
        if (kind < 6) {
            up1(x, msg_put(&b[0], i, 20, (uint16_t)(1 + lcg(&seed) % 60), op));
        } else if (kind < 8) {
            up1(x, msg_op(&b[0], FMT_OP_DELETE, i, 20));
        } else {
            struct msg m[3] = { msg_put(&b[0], i, 20, 10, op), msg_op(&b[1], FMT_OP_CLOBBER, i, 20),
                msg_put(&b[2], i, 20, 33, op + 1) };
            up(x, m, 3);
        }
        if (op % 250 == 0) {
            uint32_t n = multi_level_keys(x);
            multi_max = n > multi_max ? n : multi_max;
            verify(x);
        }
    }
    util_note("keys with messages at two pivot levels: up to %u", multi_max);
    assert_true(multi_max > 0);
    tt_close(x);
}

/* Leaf splits, root growth to height 2 and 3, then a split of a pivot below
 * the root; inserting in key order or at random. */
static void
split_grow(struct tt *x, bool random)
{
    uint64_t seed = 99;
    uint32_t h = 1, leaf_splits = 0;
    bool pivot_split = false;
    struct shape last = shape_of(x, &x->t);
    struct mb b;
    for (uint32_t n = 0; n < 40000 && !pivot_split; n++) {
        uint32_t i = random ? (uint32_t)lcg(&seed) : n;
        up1(x, msg_put(&b, i, 20, 40, n));
        struct shape s = shape_of(x, &x->t);
        leaf_splits += s.leaves > last.leaves;
        if (x->t.height != h) {
            if (x->t.height == 2) {
                CHECK_EQ(s.pivots, 1);          /* The first leaf split grew a root. */
                assert_true(s.leaves >= 2);
            } else {
                CHECK_EQ(x->t.height, 3);
                assert_true(s.pivots >= 3);     /* The root pivot split, a new root above. */
            }
            structure_check(x, &x->t);
            h = x->t.height;
        } else if (h == 3 && s.pivots > last.pivots) {
            pivot_split = true;                 /* A pivot below the root split. */
        }
        last = s;
    }
    CHECK_EQ(x->t.height, 3);
    assert_true(leaf_splits > 10);
    assert_true(pivot_split);
    verify(x);
}

static void
tree_split_grow(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    split_grow(x, false);
    tt_close(x);
    x = tt_open();
    split_grow(x, true);
    tt_close(x);
}

/* ---- Merge, rotate, shrink. ---- */

struct leaf_info {
    uint32_t first;             /* Number of the first key. */
    uint32_t last;              /* Number of the last key. */
    uint16_t count;             /* Values. */
    uint16_t fill;              /* Used bytes. */
};

struct layout {
    struct leaf_info l[1024];   /* Leaves in key order. */
    uint32_t n;                 /* Leaves. */
};

static int
layout_fn(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    (void)bp;
    struct layout *s = arg;
    if (height != 1) {
        return 0;
    }
    assert_true(s->n < FS_ARRAY_COUNT(s->l));
    uint16_t n = tree_node_count(buf);
    struct leaf_info *l = &s->l[s->n++];
    l->count = n;
    l->fill = tree_node_fill(buf);
    l->first = n ? (uint32_t)get_be(tree_node_val(BS, buf, 0).k + 1, 4) : UINT32_MAX;
    l->last = n ? (uint32_t)get_be(tree_node_val(BS, buf, (uint16_t)(n - 1)).k + 1, 4) : 0;
    return 0;
}

static void
layout_of(struct tt *x, struct layout *s)
{
    s->n = 0;
    CHECK_ERR(tree_walk(x->fs, &x->t, layout_fn, s), 0);
}

/* Index of the leaf holding key number i. */
static uint32_t
leaf_of(const struct layout *s, uint32_t i)
{
    for (uint32_t k = 0; k < s->n; k++) {
        if (s->l[k].count > 0 && s->l[k].first <= i && i <= s->l[k].last) {
            return k;
        }
    }
    return UINT32_MAX;
}

/*
 * GEFS trybalance: a leaf x loses all but `keep` of its values. Its right
 * neighbour y is about half full: x and y merge (one leaf fewer). With y
 * topped up past half first, they rotate instead (as many leaves, y's first
 * records move into x, both at least a quarter full). The deletes reach x
 * through the root's buffer: the case sends clobbers of absent keys into x's
 * range until x is flushed.
 */
static void
balance_case(bool rotate)
{
    struct tt *x = tt_open();
    struct layout *L = calloc(2, sizeof(struct layout));
    assert_non_null(L);
    fill_seq(x, 200, 2, 0, 100);                    /* 111-byte records, even numbers. */
    CHECK_EQ(x->t.height, 2);
    layout_of(x, &L[0]);
    uint32_t xi = 1;
    while (xi + 2 < L[0].n && L[0].l[xi + 1].fill > 2300) {
        xi++;                                       /* A y near half full. */
    }
    assert_true(xi + 2 < L[0].n);
    struct leaf_info X = L[0].l[xi], Y = L[0].l[xi + 1];
    uint32_t keep = rotate ? 6 : 3;
    assert_true(X.count > keep + 6);
    struct mb b;
    for (uint32_t i = Y.first + 1; rotate && i < Y.last && Y.fill + (i - Y.first) / 2 * 111 < 3500;
            i += 2) {
        up1(x, msg_put(&b, i, 0, 100, 7));          /* Odd numbers: new records in y. */
    }
    for (uint32_t j = keep; j < X.count; j++) {
        up1(x, msg_op(&b, FMT_OP_DELETE, X.first + 2 * j, 0));
    }
    for (uint32_t n = 0; n < 200; n++) {
        up1(x, msg_op(&b, FMT_OP_CLOBBER, X.first, 100));   /* Absent: (first, pad 100). */
        layout_of(x, &L[1]);
        uint32_t k = leaf_of(&L[1], X.first);
        if (k != UINT32_MAX && L[1].l[k].count != X.count) {
            break;                                          /* x was flushed. */
        }
    }
    struct leaf_info *nx = &L[1].l[xi], *ny = &L[1].l[xi + 1];
    util_note("%s: leaves %u -> %u; x %u..%u fill %u -> %u..%u fill %u; y %u..%u fill %u -> "
            "%u..%u fill %u", rotate ? "rotate" : "merge", L[0].n, L[1].n, X.first, X.last,
            X.fill, nx->first, nx->last, nx->fill, Y.first, Y.last, Y.fill, ny->first, ny->last,
            ny->fill);
    CHECK_EQ(leaf_of(&L[1], X.first), xi);
    if (rotate) {
        CHECK_EQ(L[1].n, L[0].n);
        assert_true(nx->count > keep);
        assert_true(ny->first > Y.first);                   /* The boundary moved right. */
        CHECK_EQ(ny->last, Y.last);
        assert_true(nx->fill >= fmt_leafspc(BS) / 4);
        assert_true(ny->fill >= fmt_leafspc(BS) / 4);
    } else {
        CHECK_EQ(L[1].n, L[0].n - 1);
        CHECK_EQ(nx->first, X.first);
        CHECK_EQ(nx->last, Y.last);                         /* x and y are one leaf. */
        CHECK_EQ(nx->count, keep + Y.count);
    }
    verify(x);
    free(L);
    tt_close(x);
}

static void
tree_merge_rotate(void **state)
{
    (void)state;
    balance_case(false);
    balance_case(true);
}

/* Deleting every key, then sending messages that push the deletes down:
 * emptied leaves go, pivots merge, and the root shrinks back to one leaf. */
static void
tree_shrink(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    fill_seq(x, 3000, 1, 20, 40);
    CHECK_EQ(x->t.height, 3);
    uint64_t seed = 7;
    uint32_t *order = malloc(3000 * sizeof(uint32_t));
    assert_non_null(order);
    for (uint32_t i = 0; i < 3000; i++) {
        order[i] = i;
    }
    for (uint32_t i = 2999; i > 0; i--) {
        uint32_t j = (uint32_t)(lcg(&seed) % (i + 1)), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    struct mb b[8];
    struct msg m[8];
    for (uint32_t i = 0; i < 3000; i += 8) {
        for (uint32_t j = 0; j < 8; j++) {
            m[j] = msg_op(&b[j], FMT_OP_DELETE, order[i + j], 20);
        }
        up(x, m, 8);
    }
    free(order);
    CHECK_EQ(x->ref.count, 0);
    uint32_t heights[2] = { x->t.height, 0 }, n = 0;
    for (; n < 100000 && x->t.height > 1; n++) {
        up1(x, msg_op(&b[0], FMT_OP_CLOBBER, (uint32_t)(lcg(&seed) % 3000), 21));
    }
    heights[1] = x->t.height;
    struct shape s = shape_of(x, &x->t);
    util_note("height %u after the deletes, %u after %u more messages; %u pivots, %u leaves, "
            "%u values", heights[0], heights[1], n, s.pivots, s.leaves, s.leaf_vals);
    CHECK_EQ(x->t.height, 1);
    CHECK_EQ(s.leaves, 1);
    CHECK_EQ(s.leaf_vals, 0);
    verify(x);
    tt_close(x);
}

/* ---- Scans. ---- */

/* Scans across many leaves, with buffered changes, by prefix, from a lower
 * bound, and stopping early. Key numbers carry a group in their top byte,
 * so the prefix 06 GG selects a group. */
static void
tree_scan_ranges(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    struct mb b;
    for (uint32_t i = 0; i < 2400; i++) {
        up1(x, msg_put(&b, (i % 6) << 24 | i, 12, 50, 0));
    }
    for (uint32_t i = 0; i < 2400; i += 7) {                 /* Buffered changes. */
        up1(x, i % 2 ? msg_op(&b, FMT_OP_DELETE, (i % 6) << 24 | i, 12)
            : msg_put(&b, (i % 6) << 24 | i, 12, 20, 1));
    }
    struct shape s = shape_of(x, &x->t);
    assert_true(s.leaves >= 20);
    assert_true(s.buffered > 0);
    verify(x);
    for (uint8_t g = 0; g < 7; g++) {
        uint8_t prefix[2] = { FMT_KCONF, g };
        scan_expect(x, &x->t, NULL, 0, prefix, 2);           /* Group 6 is empty. */
        uint8_t lo[FMT_KEY_MAX];
        uint16_t nlo = key_num(lo, (uint32_t)g << 24 | 1200, 0);
        scan_expect(x, &x->t, lo, nlo, prefix, 2);            /* From the middle. */
    }
    uint8_t lo[FMT_KEY_MAX], all[1] = { FMT_KCONF };
    scan_expect(x, &x->t, lo, key_num(lo, UINT32_MAX, 0), all, 1);    /* Past the end. */
    scan_expect(x, &x->t, lo, key_num(lo, 0, 0), all, 0);

    struct scan sc = { calloc(SCAN_CAP, sizeof(struct rent)), 0, 100 };
    assert_non_null(sc.e);
    CHECK_ERR(tree_scan(x->fs, &x->t, NULL, 0, all, 1, scan_fn, &sc), 0);
    CHECK_EQ(sc.count, 100);                                  /* fn said stop. */
    for (uint32_t i = 0; i < 100; i++) {
        rent_expect(&sc.e[i], &x->ref.e[i]);
    }
    free(sc.e);
    tt_close(x);
}

/* A batch larger than the pull limit goes in several passes and gives what
 * one upsert per message gives, equal keys in batch order included. */
static void
tree_short_pull(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    fill_seq(x, 1200, 3, 20, 40);
    struct tree one;
    tt_scratch(x, &one);
    struct mb b;
    for (uint32_t i = 0; i < 1200; i++) {
        struct msg m = msg_put(&b, i * 3, 20, 40, 0);
        CHECK_ERR(tree_upsert(x->fs, &one, &m, 1), 0);
    }
    enum { N = 300 };
    struct mb *mb = calloc(N, sizeof(struct mb));
    struct msg *m = calloc(N, sizeof(struct msg));
    assert_non_null(mb);
    assert_non_null(m);
    uint64_t seed = 5, bytes = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint32_t k = (uint32_t)(lcg(&seed) % 1800);          /* Repeats: equal keys. */
        m[i] = lcg(&seed) % 4 == 0 ? msg_op(&mb[i], FMT_OP_DELETE, k, 20)
            : msg_put(&mb[i], k, 20, (uint16_t)(10 + lcg(&seed) % 50), i);
        bytes += 2u + 1u + 2u + m[i].nk + 2u + m[i].nv;
    }
    assert_true(bytes > 4 * fmt_bufspc(BS) / 2);              /* At least four passes. */
    up(x, m, N);
    for (uint32_t i = 0; i < N; i++) {
        CHECK_ERR(tree_upsert(x->fs, &one, &m[i], 1), 0);
    }
    verify(x);
    verify_tree(x, &one);
    free(mb);
    free(m);
    tt_close(x);
}

/* ---- Space. ---- */

/* Allocates until FS_ENOSPC; returns how many blocks it took. */
static uint32_t
fill_device(struct tt *x, uint64_t *addrs, uint32_t n)
{
    while (n < DEVICE_BLOCKS && util_alloc_one(x->fs, false, n, &addrs[n]) == 0) {
        n++;
    }
    assert_true(n < DEVICE_BLOCKS);
    return n;
}

/* A failed pass (FS_ENOSPC at any point of it) leaves the tree as it was:
 * the same root and height, the same contents, the same free map. The
 * device is filled, then 0..10 blocks are given back, so a pass fails at its
 * first allocation or part way through. */
static void
tree_enospc_pass(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    fill_seq(x, 1500, 2, 8, 60);
    uint64_t *addrs = calloc(DEVICE_BLOCKS, sizeof(uint64_t));
    assert_non_null(addrs);
    uint32_t n = fill_device(x, addrs, 0), failed = 0, partial = 0;
    struct mb b[12];
    struct msg m[12];
    for (uint32_t spare = 0; spare <= 10; spare++) {
        for (uint32_t i = 0; i < spare; i++) {
            CHECK_ERR(blk_free_now(x->fs, addrs[--n]), 0);
        }
        for (uint32_t i = 0; i < 12; i++) {             /* One pass: under the pull limit. */
            m[i] = msg_put(&b[i], 2 * (spare * 12 + i) + 1, 8, 60, spare);
        }
        struct tree before = x->t;
        struct util_fmap f0, f1;
        util_fmap_take(x->fs, &f0);
        int err = tree_upsert(x->fs, &x->t, m, 12);
        if (err == 0) {
            for (uint32_t i = 0; i < 12; i++) {
                ref_apply(&x->ref, &m[i]);
            }
        } else {
            CHECK_ERR(err, FS_ENOSPC);
            failed++;
            partial += spare > 0;
            CHECK_EQ(x->t.root.addr, before.root.addr);
            CHECK_EQ(x->t.root.hash, before.root.hash);
            CHECK_EQ(x->t.height, before.height);
            util_fmap_take(x->fs, &f1);
            util_fmap_expect_equal(&f0, &f1);
            util_fmap_free(&f1);
        }
        util_fmap_free(&f0);
        assert_null(fs_broken(x->fs));
        verify(x);
        n = fill_device(x, addrs, n);
    }
    util_note("%u passes failed, %u of them after allocating part of what they needed",
            failed, partial);
    assert_true(failed > 0);
    assert_true(partial > 0);
    free(addrs);
    tt_close(x);
}

static struct bptr
data_block(struct tt *x, uint8_t fill)
{
    struct cblk *c;
    CHECK_ERR(blk_new(x->fs, FMT_TYPE_DATA, x->t.memgen, 5, false, &c), 0);
    memset(c->buf, fill, BS);
    struct bptr bp = blk_finish(x->fs, c);
    blk_put(x->fs, c);
    return bp;
}

static bool
block_free(struct tt *x, uint64_t addr)
{
    struct arena *a = alloc_arena_of(x->fs, addr);
    assert_non_null(a);
    return alloc_range_is_free(a, addr, BS);
}

static struct msg
msg_dat(struct mb *b, uint8_t op, uint64_t off, struct bptr bp)
{
    fmt_bptr_pack(b->v, bp);
    return (struct msg){ b->k, op == FMT_OP_INSERT ? b->v : NULL, key_dat(b->k, 5, off),
        op == FMT_OP_INSERT ? FMT_PTR_SIZE : 0, op };
}

/* A Kdat value replaced or removed at a leaf releases its data block; while
 * the message waits in a buffer, the old block stays allocated. */
static void
tree_data_release(void **state)
{
    (void)state;
    struct tt *x = tt_open();
    struct mb b;
    struct bptr a = data_block(x, 1), c = data_block(x, 2), d = data_block(x, 3);
    up1(x, msg_dat(&b, FMT_OP_INSERT, 0, a));
    up1(x, msg_dat(&b, FMT_OP_INSERT, 0, c));
    assert_true(block_free(x, a.addr));                 /* Replaced at the leaf: released. */
    assert_false(block_free(x, c.addr));
    up1(x, msg_dat(&b, FMT_OP_CLEARB, 0, c));
    assert_true(block_free(x, c.addr));
    up1(x, msg_dat(&b, FMT_OP_CLEARB, BS, c));           /* Absent: nothing happens. */
    up1(x, msg_dat(&b, FMT_OP_INSERT, BS, d));
    up1(x, msg_dat(&b, FMT_OP_DELETE, BS, d));
    assert_true(block_free(x, d.addr));
    verify(x);
    tt_close(x);

    x = tt_open();
    fill_seq(x, 1500, 1, 8, 60);
    a = data_block(x, 1);
    c = data_block(x, 2);
    up1(x, msg_dat(&b, FMT_OP_INSERT, 0, a));
    up1(x, msg_dat(&b, FMT_OP_INSERT, 0, c));
    bool waited = !block_free(x, a.addr);
    uint32_t n = 0;
    for (; n < 500 && !block_free(x, a.addr); n++) {
        up1(x, msg_dat(&b, FMT_OP_CLOBBER, (n + 2) * BS, a));   /* Absent keys beside it. */
    }
    util_note("old data block released after %u more messages", n);
    assert_true(waited);
    assert_true(block_free(x, a.addr));
    assert_false(block_free(x, c.addr));
    verify(x);
    tt_close(x);
}

/* In a child: 20000 upserts into one tree on one mount. Returns 0 if all
 * succeeded; an ASSERT kills the child. */
static int
many_upserts(void *arg)
{
    (void)arg;
    struct bdev dev;
    struct fs *fs = NULL;
    struct fs_format_config fc = { .arena_count = 1 };
    struct fs_config c = { .cache_block_count = 0 };
    if (bdev_mem_open(&dev, BS, DEVICE_BLOCKS) != 0 || fs_format(&dev, &fc) != 0
            || fs_mount(&fs, &dev, &c) != 0) {
        return 2;
    }
    struct tree t = { .height = 1, .gen = fs->tree.gen, .memgen = fs->tree.memgen,
        .pred = FMT_ADDR_NIL, .base = FMT_ADDR_NIL };
    int err = tree_new_empty(fs, &t, &t.root);
    struct mb b;
    for (uint32_t i = 0; i < 20000 && !err; i++) {
        struct msg m = msg_put(&b, i % 50, 20, 40, i);     /* Overwrites: the tree stays small. */
        err = tree_upsert(fs, &t, &m, 1);
    }
    int err2 = fs_unmount(fs);                  /* Everything freed: LeakSanitizer checks. */
    bdev_mem_close(&dev);
    return err ? 3 : err2 ? 4 : 0;
}

/* One mount takes any number of upserts. Regression: the tree workspace's
 * root-level key arena (fs/tree.c, lv[0].keys) was never reset, every root
 * rewrite copied the root's first key into it, and after a few thousand
 * upserts key_keep's ASSERT fired. The workload runs in a child so that a
 * crash is reported here. */
static void
tree_many_upserts(void **state)
{
    (void)state;
    struct util_child c = util_isolated(many_upserts, NULL);
    char why[64];
    if (c.signal != 0 || c.exit_code != 0) {
        util_note("20000 upserts on one mount: %s", util_child_describe(c, why, sizeof(why)));
    }
    CHECK_EQ(c.signal, 0);
    CHECK_EQ(c.exit_code, 0);
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(tree_each_op, teardown),
        cmocka_unit_test_teardown(tree_batch_order, teardown),
        cmocka_unit_test_teardown(tree_lookup_buffered, teardown),
        cmocka_unit_test_teardown(tree_buffer_levels, teardown),
        cmocka_unit_test_teardown(tree_split_grow, teardown),
        cmocka_unit_test_teardown(tree_merge_rotate, teardown),
        cmocka_unit_test_teardown(tree_shrink, teardown),
        cmocka_unit_test_teardown(tree_scan_ranges, teardown),
        cmocka_unit_test_teardown(tree_short_pull, teardown),
        cmocka_unit_test_teardown(tree_enospc_pass, teardown),
        cmocka_unit_test_teardown(tree_data_release, teardown),
        cmocka_unit_test_teardown(tree_many_upserts, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
