/*
 * fs/tree.c: reading the Bε-tree: lookup, scan, walk (see tree.h).
 *
 * Method: a lookup descends to the key's leaf holding every node on the way
 * (struct path, one slot per level), takes the leaf's value, then applies the
 * buffered messages for the key from the deepest pivot up to the root. A
 * scan does the same per leaf: it descends to the leaf that holds its cursor
 * key, keeps a cursor per level (the next message of each buffer, the next
 * value of the leaf), and repeatedly takes the smallest key under any cursor
 * below the leaf's upper bound, resolving it across all levels. The next
 * leaf starts at that upper bound, which is always above the cursor, so a
 * scan moves forward on any tree. tree_scan asserts that it visits at most
 * one leaf per device block, which holds for a tree whose pivots point at
 * distinct children.
 */
#include "tree.h"

#include <string.h>

#include "blk.h"

int
tree_node_read(struct fs *fs, struct bptr bp, uint32_t height, struct cblk **out)
{
    ASSERT(height >= 1);
    ASSERT(out != NULL);
    uint32_t mask = height == 1 ? BLK_MASK(FMT_TYPE_LEAF) : BLK_MASK(FMT_TYPE_PIVOT);
    return blk_read(fs, bp, mask, out);
}

/* The one lower-bound search of a node: the first record index with key >= k,
 * among the node's messages (a pivot's buffer) or its values. */
static uint16_t
key_lower(uint32_t bs, const uint8_t *buf, bool msgs, const uint8_t *k, uint16_t nk)
{
    uint16_t lo = 0, hi = msgs ? tree_node_msg_count(buf) : tree_node_count(buf);
    while (lo < hi) {
        uint16_t mid = (uint16_t)(lo + (hi - lo) / 2);
        int c;
        if (msgs) {
            struct msg m = tree_node_msg(bs, buf, mid);
            c = key_cmp(m.k, m.nk, k, nk);
        } else {
            struct kv kv = tree_node_val(bs, buf, mid);
            c = key_cmp(kv.k, kv.nk, k, nk);
        }
        if (c < 0) {
            lo = (uint16_t)(mid + 1);
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* First message index in a pivot's buffer with key >= k. */
static uint16_t
msg_lower(uint32_t bs, const uint8_t *buf, const uint8_t *k, uint16_t nk)
{
    return key_lower(bs, buf, true, k, nk);
}

/* First value index in a node with key >= k. */
static uint16_t
val_lower(uint32_t bs, const uint8_t *buf, const uint8_t *k, uint16_t nk)
{
    return key_lower(bs, buf, false, k, nk);
}

/* Child index a pivot routes key k to. */
static uint16_t
node_route(uint32_t bs, const uint8_t *buf, const uint8_t *k, uint16_t nk)
{
    uint16_t lo = val_lower(bs, buf, k, nk), n = tree_node_count(buf);
    if (lo < n) {
        struct kv kv = tree_node_val(bs, buf, lo);
        if (key_cmp(kv.k, kv.nk, k, nk) == 0) {
            return lo;
        }
    }
    return lo == 0 ? 0 : (uint16_t)(lo - 1);
}

struct path {
    struct cblk *node[TREE_HEIGHT_MAX];     /* Held nodes, root first. */
    uint32_t count;                         /* Levels held. */
};

static void
path_put(struct fs *fs, struct path *p)
{
    for (uint32_t i = 0; i < p->count; i++) {
        blk_put(fs, p->node[i]);
    }
    p->count = 0;
}

/* Descends toward key k holding every node; *hi, if not NULL, receives the
 * upper bound of the leaf's key range (pointer into a held node, NULL: none). */
static int
path_descend(struct fs *fs, const struct tree *t, const uint8_t *k, uint16_t nk, struct path *p,
        struct kv *hi)
{
    uint32_t bs = fs->block_size;
    struct bptr bp = t->root;
    p->count = 0;
    if (hi != NULL) {
        hi->k = NULL;
    }
    for (uint32_t h = t->height; h >= 1; h--) {
        int err = tree_node_read(fs, bp, h, &p->node[p->count]);
        if (err) {
            path_put(fs, p);
            return err;
        }
        const uint8_t *buf = p->node[p->count++]->buf;
        if (h == 1) {
            break;
        }
        uint16_t c = node_route(bs, buf, k, nk);
        if (hi != NULL && c + 1 < tree_node_count(buf)) {
            *hi = tree_node_val(bs, buf, (uint16_t)(c + 1));
        }
        bp = tree_node_child(bs, buf, c, NULL);
    }
    return 0;
}

int
tree_lookup(struct fs *fs, const struct tree *t, const uint8_t *k, uint16_t nk, uint8_t *val,
        uint16_t *nv)
{
    ASSERT(nk >= 1 && nk <= FMT_KEY_MAX);
    uint32_t bs = fs->block_size;
    struct path p;
    int err = path_descend(fs, t, k, nk, &p, NULL);
    if (err) {
        return err;
    }
    struct vstate s = { .present = false };
    const uint8_t *leaf = p.node[p.count - 1]->buf;
    uint16_t i = val_lower(bs, leaf, k, nk);
    if (i < tree_node_count(leaf)) {
        struct kv kv = tree_node_val(bs, leaf, i);
        if (key_cmp(kv.k, kv.nk, k, nk) == 0) {
            s.present = true;
            s.nv = kv.nv;
            memcpy(s.v, kv.v, kv.nv);
        }
    }
#ifdef MUTANT_LOOKUP_SKIP_ROOT_BUFFER
    for (uint32_t d = p.count - 1; d-- > 1;) {     /* Bug: stops above the root. */
#else
    for (uint32_t d = p.count - 1; d-- > 0;) {
#endif
        const uint8_t *buf = p.node[d]->buf;
        for (uint16_t m = msg_lower(bs, buf, k, nk); m < tree_node_msg_count(buf); m++) {
            struct msg msg = tree_node_msg(bs, buf, m);
            if (key_cmp(msg.k, msg.nk, k, nk) != 0) {
                break;
            }
            tree_apply(&msg, &s);
        }
    }
    path_put(fs, &p);
    if (!s.present) {
        return FS_ENOENT;
    }
    memcpy(val, s.v, s.nv);
    *nv = s.nv;
    return 0;
}

struct scan_cursor {
    uint16_t at[TREE_HEIGHT_MAX];   /* Next message (pivots) or value (leaf) per level. */
};

/* The smallest key under any cursor that is below hi; false if none. */
static bool
scan_min(uint32_t bs, const struct path *p, const struct scan_cursor *c, const struct kv *hi,
        struct kv *min)
{
    bool found = false;
    for (uint32_t d = 0; d < p->count; d++) {
        const uint8_t *buf = p->node[d]->buf;
        bool leaf = d + 1 == p->count;
        uint16_t n = leaf ? tree_node_count(buf) : tree_node_msg_count(buf);
        if (c->at[d] >= n) {
            continue;
        }
        struct kv k;
        if (leaf) {
            k = tree_node_val(bs, buf, c->at[d]);
        } else {
            struct msg m = tree_node_msg(bs, buf, c->at[d]);
            k = (struct kv){ m.k, NULL, m.nk, 0 };
        }
        if (hi->k != NULL && key_cmp(k.k, k.nk, hi->k, hi->nk) >= 0) {
            continue;
        }
        if (!found || key_cmp(k.k, k.nk, min->k, min->nk) < 0) {
            *min = k;
            found = true;
        }
    }
    return found;
}

/* Resolves key k across the leaf and every buffer, advancing the cursors. */
static void
scan_resolve(uint32_t bs, const struct path *p, struct scan_cursor *c, const struct kv *k,
        struct vstate *s)
{
    uint32_t last = p->count - 1;
    const uint8_t *leaf = p->node[last]->buf;
    s->present = false;
    if (c->at[last] < tree_node_count(leaf)) {
        struct kv kv = tree_node_val(bs, leaf, c->at[last]);
        if (key_cmp(kv.k, kv.nk, k->k, k->nk) == 0) {
            s->present = true;
            s->nv = kv.nv;
            memcpy(s->v, kv.v, kv.nv);
            c->at[last]++;
        }
    }
    for (uint32_t d = last; d-- > 0;) {
        const uint8_t *buf = p->node[d]->buf;
        while (c->at[d] < tree_node_msg_count(buf)) {
            struct msg m = tree_node_msg(bs, buf, c->at[d]);
            if (key_cmp(m.k, m.nk, k->k, k->nk) != 0) {
                break;
            }
            tree_apply(&m, s);
            c->at[d]++;
        }
    }
}

/* Scans one leaf's range from key cur; *more says whether leaves follow, and
 * cur becomes the next leaf's lower bound. */
static int
scan_leaf(struct fs *fs, const struct tree *t, uint8_t *cur, uint16_t *ncur,
        const uint8_t *prefix, uint16_t np, int (*fn)(void *, const struct kv *), void *arg,
        bool *more)
{
    uint32_t bs = fs->block_size;
    struct path p;
    struct kv hi;
    int err = path_descend(fs, t, cur, *ncur, &p, &hi);
    if (err) {
        return err;
    }
    struct scan_cursor c;
    for (uint32_t d = 0; d < p.count; d++) {
        const uint8_t *buf = p.node[d]->buf;
        c.at[d] = d + 1 == p.count ? val_lower(bs, buf, cur, *ncur)
            : msg_lower(bs, buf, cur, *ncur);
    }
    struct kv k = { NULL, NULL, 0, 0 };
    int rc = 0;
    *more = hi.k != NULL;
    while (rc == 0 && scan_min(bs, &p, &c, &hi, &k)) {
        if (key_cmp(k.k, FS_MIN(k.nk, np), prefix, np) > 0) {
            *more = false;      /* Past every key with the prefix. */
            break;
        }
        struct vstate s;
        uint8_t kb[FMT_KEY_MAX];
        memcpy(kb, k.k, k.nk);
        struct kv out = { kb, s.v, k.nk, 0 };
        scan_resolve(bs, &p, &c, &k, &s);
        if (s.present && k.nk >= np && memcmp(kb, prefix, np) == 0) {
            out.nv = s.nv;
            rc = fn(arg, &out);
        }
    }
    if (*more && rc == 0) {
        memcpy(cur, hi.k, hi.nk);
        *ncur = hi.nk;
    }
    path_put(fs, &p);
    *more = *more && rc == 0;
    return rc < 0 ? rc : 0;
}

int
tree_scan(struct fs *fs, const struct tree *t, const uint8_t *lo, uint16_t nlo,
        const uint8_t *prefix, uint16_t nprefix, int (*fn)(void *arg, const struct kv *kv),
        void *arg)
{
    ASSERT(nprefix <= FMT_KEY_MAX && nlo <= FMT_KEY_MAX);
    static const uint8_t none[1] = { 0 };
    prefix = prefix != NULL ? prefix : none;
    uint8_t cur[FMT_KEY_MAX];
    uint16_t ncur = nprefix;
    memcpy(cur, prefix, nprefix);
    if (lo != NULL && key_cmp(lo, nlo, prefix, nprefix) > 0) {
        memcpy(cur, lo, nlo);
        ncur = nlo;
    }
    if (ncur == 0) {
        cur[0] = 0;
        ncur = 1;       /* The smallest key: keys are never empty. */
    }
    /* Each leaf's range starts at the next pivot key above the last one, and
     * node verification keeps pivot keys strictly ascending, so cur strictly
     * increases through distinct pivot keys: at most the records every block
     * could hold, even when a forged tree names one child from many pivots. */
    uint64_t leaves_max = fs->block_count * tree_node_record_count_max(fs->block_size, 1, 0);
    bool more = true;
    for (uint64_t leaves = 0; more; leaves++) {
        ASSERT(leaves <= leaves_max);
        int err = scan_leaf(fs, t, cur, &ncur, prefix, nprefix, fn, arg, &more);
        if (err) {
            return err;
        }
    }
    return 0;
}

static int
walk_node(struct fs *fs, struct bptr bp, uint32_t height,
        int (*node_fn)(void *, struct bptr, uint32_t, const uint8_t *), void *arg)
{
    struct cblk *b;
    int err = tree_node_read(fs, bp, height, &b);
    if (err) {
        return err;
    }
    int rc = node_fn(arg, bp, height, b->buf);
    for (uint16_t i = 0; rc == 0 && height > 1 && i < tree_node_count(b->buf); i++) {
        rc = walk_node(fs, tree_node_child(fs->block_size, b->buf, i, NULL), height - 1,
                node_fn, arg);
    }
    blk_put(fs, b);
    return rc < 0 ? rc : 0;
}

int
tree_walk(struct fs *fs, const struct tree *t,
        int (*node_fn)(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf), void *arg)
{
    ASSERT(t->height >= 1 && t->height < TREE_HEIGHT_MAX);
    return walk_node(fs, t->root, t->height, node_fn, arg);
}

uint64_t
tree_batch_rounds_max(const struct fs *fs, uint16_t nk, uint16_t nv, uint32_t batch)
{
    ASSERT(batch >= 1);
    ASSERT(fs->block_count <= FMT_BLOCK_COUNT_MAX);
    uint64_t key_count_max = fs->block_count * tree_node_record_count_max(fs->block_size, nk, nv);
    return key_count_max / batch + 2;
}
