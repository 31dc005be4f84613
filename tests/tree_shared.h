/*
 * tests/tree_shared.h: what tests/test_tree.c and tests/test_treeupdate.c
 * share and no other file includes: the reference map, the fixture, the
 * message builders, and the checks every case ends with.
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
 * A test program is one file of tests/ and tests/util.c, so what two of them
 * share is static inline here, as traces/trace_impl.h holds what the trace
 * format's two files share. The fixture of the running case is tt_current
 * (one per program); teardown releases it if the case failed. Everything
 * else is static in its file.
 */
#ifndef TESTS_TREE_SHARED_H
#define TESTS_TREE_SHARED_H

#include <stdlib.h>
#include <string.h>

#include "util.h"

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

static inline int
kcmp(const uint8_t *a, uint16_t na, const uint8_t *b, uint16_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    return c != 0 ? c : (na > nb) - (na < nb);
}

static inline bool
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

static inline uint64_t
get_be(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static inline void
put_be(uint8_t *p, uint32_t n, uint64_t v)
{
    for (uint32_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    }
}

/* Owstat on a 61-byte entry: fields by bit, then qid.vers + 1 (GEFS.md §6.2:
 * vers @16, type @20, mode @21, atime @25, mtime @33, length @41, uid @49,
 * gid @53, muid @57). */
static inline void
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
static inline void
ref_link(struct rent *e, uint8_t op, const uint8_t *m)
{
    assert_int_equal(e->nv, 72);
    memcpy(e->v + (op == FMT_OP_RELINK ? 32 : 24), m, 8);
    put_be(e->v + 4, 4, (uint32_t)((int64_t)get_be(e->v + 4, 4) + (int8_t)m[8]));
    put_be(e->v, 4, (uint32_t)((int64_t)get_be(e->v, 4) + (int8_t)m[9]));
}

static inline void
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

static inline void
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

static inline struct tt *
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

static inline void
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

static inline void
tt_close(struct tt *x)
{
    assert_null(fs_broken(x->fs));
    CHECK_ERR(fs_unmount(x->fs), 0);        /* The scratch tree's blocks leak: a dropped image. */
    x->fs = NULL;
    tt_free(x);
}

static inline int
teardown(void **state)
{
    (void)state;
    if (tt_current != NULL) {
        tt_free(tt_current);
    }
    return 0;
}

/* Keys: kind 06, a 32-bit number, then pad bytes; they sort by number first. */
static inline uint16_t
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
static inline void
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

static inline struct msg
msg_put(struct mb *b, uint32_t i, uint16_t pad, uint16_t nv, uint32_t salt)
{
    val_fill(b->v, nv, i, salt);
    return (struct msg){ b->k, b->v, key_num(b->k, i, pad), nv, FMT_OP_INSERT };
}

static inline struct msg
msg_op(struct mb *b, uint8_t op, uint32_t i, uint16_t pad)
{
    return (struct msg){ b->k, NULL, key_num(b->k, i, pad), 0, op };
}

/* Upserts into x->t and the reference; must succeed. */
static inline void
up(struct tt *x, const struct msg *m, uint32_t n)
{
    CHECK_ERR(tree_upsert(x->fs, &x->t, m, n), 0);
    for (uint32_t i = 0; i < n; i++) {
        ref_apply(&x->ref, &m[i]);
    }
}

static inline void
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

static inline int
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

static inline struct shape
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

static inline bool
in_range(const struct krange *r, const uint8_t *k, uint16_t nk)
{
    return (r->lo == NULL || kcmp(k, nk, r->lo, r->nlo) >= 0)
        && (r->hi == NULL || kcmp(k, nk, r->hi, r->nhi) < 0);
}

static inline uint32_t node_check(struct tt *x, struct bptr bp, uint32_t height, struct krange r,
        int32_t fill);

/* A pivot's children: recorded fill, ranges, keys in order. */
static inline uint32_t
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
static inline uint32_t
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

static inline void
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

static inline int
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

static inline void
rent_expect(const struct rent *got, const struct rent *want)
{
    CHECK_EQ(got->nk, want->nk);
    assert_memory_equal(got->k, want->k, want->nk);
    CHECK_EQ(got->nv, want->nv);
    assert_memory_equal(got->v, want->v, want->nv);
}

/* Scans t from lo with prefix and requires exactly the reference's entries
 * in that range, in order. */
static inline void
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
static inline void
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

static inline void
verify(struct tt *x)
{
    verify_tree(x, &x->t);
}

/* Fills x->t with keys 0, step, 2*step, ... (count of them). */
static inline void
fill_seq(struct tt *x, uint32_t count, uint32_t step, uint16_t pad, uint16_t nv)
{
    struct mb b;
    for (uint32_t i = 0; i < count; i++) {
        up1(x, msg_put(&b, i * step, pad, nv, 0));
    }
}

/* The test's own PRNG: the MMIX LCG of traces/prng.h, its high 31 bits. */
static inline uint64_t
lcg(uint64_t *s)
{
    return prng_lcg64(s) >> 33;
}

#endif /* TESTS_TREE_SHARED_H */
