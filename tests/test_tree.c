/*
 * tests/test_tree.c: the Bε-tree (fs/tree.h) on its own, against a reference:
 * what its messages mean, and how lookups and scans read them from leaves
 * and from the buffers of the pivots above.
 *
 * Method: tests/tree_shared.h's. A formatted file system on a 4 KiB memory
 * device lends its block layer to a scratch tree; every upsert also goes to a
 * reference map written from the message semantics of GEFS.md §5.2 and §6.2,
 * and verify() requires, after the operations of each case, that every
 * lookup and a full scan equal the reference, that absent keys are
 * FS_ENOENT, and that the structure holds.
 *
 * Here: every message op on a single leaf and buffered in a tall tree's root
 * (the bytes a wstat, a relink and a reprev leave checked directly too);
 * equal keys of one batch applied in batch order; a key that lives only as
 * messages in the root's buffer; messages for one key at several pivot
 * levels, applied deepest first; scans by prefix, from a lower bound, past
 * the end and stopping early. How upserts change the tree's shape (splits,
 * merges, batches of several passes, a failed pass, released data blocks) is
 * tests/test_treeupdate.c.
 *
 * What each case proves is said above it. Shapes are observed with a walk of
 * the nodes (heights, leaf counts, which keys sit in buffers), never taken on
 * trust: a case that did not reach its shape fails.
 */
#include <stdlib.h>
#include <string.h>

#include "tree_shared.h"

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

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(tree_each_op, teardown),
        cmocka_unit_test_teardown(tree_batch_order, teardown),
        cmocka_unit_test_teardown(tree_lookup_buffered, teardown),
        cmocka_unit_test_teardown(tree_buffer_levels, teardown),
        cmocka_unit_test_teardown(tree_scan_ranges, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
