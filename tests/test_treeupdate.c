/*
 * tests/test_treeupdate.c: the Bε-tree's updates (fs/treeupdate.h) on their
 * own, against a reference: how upserts change the tree's shape, and what a
 * pass leaves when it fails or releases blocks.
 *
 * Method: tests/tree_shared.h's, as in tests/test_tree.c. A formatted file
 * system on a 4 KiB memory device lends its block layer to a scratch tree;
 * every upsert also goes to a reference map written from the message
 * semantics of GEFS.md §5.2 and §6.2, and verify() requires, after the
 * operations of each case, that every lookup and a full scan equal the
 * reference, that absent keys are FS_ENOENT, and that the structure holds
 * (every node verifies, fills recorded in parents are the children's, keys
 * and buffered messages lie in their pivot's range, all leaves at one depth).
 *
 * Here: leaf splits, root growth to heights 2 and 3 and a pivot split below
 * the root; GEFS's trybalance merging two leaves or rotating records between
 * them; deleting every key until the root shrinks back to one leaf; a batch
 * larger than the pull limit, in several passes, giving what one upsert per
 * message gives; a pass that fails with FS_ENOSPC at any point leaving the
 * tree and the free map as they were; a Kdat value's data block released when
 * the value is replaced or removed at a leaf, not while the message waits in
 * a buffer; one mount taking any number of upserts. What the messages mean
 * and how lookups and scans read them is tests/test_tree.c.
 *
 * What each case proves is said above it. Shapes are observed with a walk of
 * the nodes (heights, leaf counts, which keys sit in buffers), never taken on
 * trust: a case that did not reach its shape fails.
 */
#include <stdlib.h>
#include <string.h>

#include "tree_shared.h"

#include "../fs/alloc.h"

/* ---- Splits. ---- */

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

/* ---- Batches of several passes. ---- */

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
    util_isolated_clean(many_upserts, NULL, "20000 upserts on one mount");
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(tree_split_grow, teardown),
        cmocka_unit_test_teardown(tree_merge_rotate, teardown),
        cmocka_unit_test_teardown(tree_shrink, teardown),
        cmocka_unit_test_teardown(tree_short_pull, teardown),
        cmocka_unit_test_teardown(tree_enospc_pass, teardown),
        cmocka_unit_test_teardown(tree_data_release, teardown),
        cmocka_unit_test_teardown(tree_many_upserts, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
