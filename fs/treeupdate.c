/*
 * fs/treeupdate.c: updating the Bε-tree: upsert, flush, split, merge (see
 * treeupdate.h).
 *
 * Nodes are rebuilt whole: records are gathered into arrays that point into
 * held blocks or into the workspace, then packed into a new block (the node
 * format is treenode.h's; its header fields are written through format.h).
 *
 * Workspace (struct tree_ws), carved at mount: per tree level a message array
 * (the node's buffer merged with what arrives from above), a child array and
 * an arena for child keys copied out of new blocks; one leaf-building array;
 * the lists of blocks allocated and released by the pass in progress. Every
 * array is sized from the block size for the worst case, and each append
 * asserts its bound: overflowing one would be our bug, as whatever comes from
 * the device was verified (treenode.h) before it got here.
 */
#include "treeupdate.h"

#include <string.h>

#include "blk.h"
#include "tree.h"

#define OUT_MAX 4u              /* Nodes a flush can turn one node into. */
#define REC_OVERHEAD_MIN 6u     /* Smallest record: table slot, sizes, 1-byte key. */

struct child {
    const uint8_t *k;           /* First key reachable in the child. */
    struct bptr bp;             /* The child. */
    uint16_t nk;                /* Key size. */
    uint16_t fill;              /* The child's used bytes. */
};

struct out {
    struct child c[OUT_MAX];    /* New nodes, in key order. */
    uint32_t n;                 /* How many (0 when the subtree emptied). */
};

struct level {
    struct msg *msgs;           /* The buffer being rebuilt at this level. */
    uint32_t msg_cap;           /* Bound of msgs. */
    struct child *kids;         /* Children being rebuilt at this level. */
    uint32_t kid_cap;           /* Bound of kids. */
    uint32_t *acc;              /* Buffered bytes per child (victim choice). */
    uint8_t *keys;              /* Copies of new children's first keys. */
    uint32_t keys_used;         /* Bytes of keys in use. */
    uint32_t keys_cap;          /* Bound of keys. */
};

struct tree_ws {
    struct level lv[TREE_HEIGHT_MAX];   /* Per depth, root = 0. */
    struct kv *vals;                    /* A leaf being rebuilt. */
    uint32_t val_cap;                   /* Bound of vals. */
    uint8_t *vbuf;                      /* Bytes of values computed for vals. */
    uint32_t vbuf_used;                 /* In use. */
    uint32_t vbuf_cap;                  /* Bound. */
    struct bptr *released;              /* Blocks to release once the pass succeeds. */
    uint32_t released_count;            /* Entries. */
    uint32_t released_cap;              /* Bound. */
    uint64_t *fresh;                    /* Blocks the pass allocated (undone on failure). */
    uint32_t fresh_count;               /* Entries. */
    uint32_t fresh_cap;                 /* Bound. */
    struct msg *batch;                  /* The sorted batch. */
    uint32_t batch_cap;                 /* Bound. */
    uint32_t *sizes;                    /* Record sizes for splitting (val_cap). */
};

/* ---- Workspace. ---- */

static uint32_t
ws_msg_cap(uint32_t bs)
{
    return 2 * fmt_bufspc(bs) / REC_OVERHEAD_MIN + 8;
}

uint32_t
tree_batch_max(uint32_t bs)
{
    return ws_msg_cap(bs);
}

static uint32_t
ws_kid_cap(uint32_t bs)
{
    return 2 * (fmt_pivspc(bs) / (2 + 2 + 1 + 2 + FMT_PPTR_SIZE) + 2) + 16;
}

static uint32_t
ws_val_cap(uint32_t bs)
{
    return 2 * fmt_leafspc(bs) / REC_OVERHEAD_MIN + ws_msg_cap(bs);
}

static uint32_t
ws_list_cap(uint32_t bs)
{
    return 8 * ws_msg_cap(bs) + 64;
}

static size_t
ws_level_size(uint32_t bs)
{
    return ws_msg_cap(bs) * sizeof(struct msg)
        + ws_kid_cap(bs) * (sizeof(struct child) + sizeof(uint32_t))
        + (size_t)ws_kid_cap(bs) * FMT_KEY_MAX;
}

size_t
tree_ws_size(uint32_t bs)
{
    return sizeof(struct tree_ws) + TREE_HEIGHT_MAX * ws_level_size(bs)
        + ws_val_cap(bs) * sizeof(struct kv) + 3ull * bs
        + ws_list_cap(bs) * (sizeof(struct bptr) + sizeof(uint64_t))
        + ws_msg_cap(bs) * sizeof(struct msg) + ws_val_cap(bs) * sizeof(uint32_t) + 64;
}

void
tree_ws_init(struct fs *fs, void *mem)
{
    uint32_t bs = fs->block_size;
    uint8_t *p = mem;
    struct tree_ws *ws = (struct tree_ws *)p;
    p += sizeof(*ws);
    for (uint32_t d = 0; d < TREE_HEIGHT_MAX; d++) {
        struct level *l = &ws->lv[d];
        l->msg_cap = ws_msg_cap(bs);
        l->msgs = (struct msg *)p;
        p += l->msg_cap * sizeof(struct msg);
        l->kid_cap = ws_kid_cap(bs);
        l->kids = (struct child *)p;
        p += l->kid_cap * sizeof(struct child);
        l->acc = (uint32_t *)p;
        p += l->kid_cap * sizeof(uint32_t);
        l->keys = p;
        l->keys_cap = l->kid_cap * FMT_KEY_MAX;
        p += l->keys_cap;
    }
    ws->val_cap = ws_val_cap(bs);
    ws->vals = (struct kv *)p;
    p += ws->val_cap * sizeof(struct kv);
    ws->vbuf_cap = 3 * bs;
    ws->vbuf = p;
    p += ws->vbuf_cap;
    ws->released_cap = ws->fresh_cap = ws_list_cap(bs);
    ws->released = (struct bptr *)p;
    p += ws->released_cap * sizeof(struct bptr);
    ws->fresh = (uint64_t *)p;
    p += ws->fresh_cap * sizeof(uint64_t);
    ws->batch_cap = ws_msg_cap(bs);
    ws->batch = (struct msg *)p;
    p += ws->batch_cap * sizeof(struct msg);
    ws->sizes = (uint32_t *)p;
    p += ws->val_cap * sizeof(uint32_t);
    ASSERT((size_t)(p - (uint8_t *)mem) <= tree_ws_size(bs));
    fs->tws = ws;
}

/* ---- Packing new nodes. ---- */

static uint32_t
val_rec_size(uint16_t nk, uint16_t nv)
{
    return 2u + 2u + nk + 2u + nv;      /* Table slot and the record. */
}

static uint32_t
msg_rec_size(const struct msg *m)
{
    return 2u + 1u + 2u + m->nk + 2u + m->nv;
}

static uint32_t
child_rec_size(const struct child *c)
{
    return val_rec_size(c->nk, FMT_PPTR_SIZE);
}

/* Packs n records into a region; returns the record bytes (valsz). */
static uint16_t
pack_vals(uint8_t *r, uint32_t size, const struct kv *v, uint32_t n)
{
    uint32_t pos = size;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = 2u + v[i].nk + 2u + v[i].nv;
        ASSERT(pos >= len + 2 * n);
        pos -= len;
        fmt_put16(r + 2 * i, (uint16_t)pos);
        fmt_put16(r + pos, v[i].nk);
        memcpy(r + pos + 2, v[i].k, v[i].nk);
        fmt_put16(r + pos + 2 + v[i].nk, v[i].nv);
        if (v[i].nv > 0) {
            memcpy(r + pos + 4 + v[i].nk, v[i].v, v[i].nv);
        }
    }
    return (uint16_t)(size - pos);
}

static uint16_t
pack_msgs(uint8_t *r, uint32_t size, const struct msg *m, uint32_t n)
{
    uint32_t pos = size;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = 1u + 2u + m[i].nk + 2u + m[i].nv;
        ASSERT(pos >= len + 2 * n);
        pos -= len;
        fmt_put16(r + 2 * i, (uint16_t)pos);
        r[pos] = m[i].op;
        fmt_put16(r + pos + 1, m[i].nk);
        memcpy(r + pos + 3, m[i].k, m[i].nk);
        fmt_put16(r + pos + 3 + m[i].nk, m[i].nv);
        if (m[i].nv > 0) {
            memcpy(r + pos + 5 + m[i].nk, m[i].v, m[i].nv);
        }
    }
    return (uint16_t)(size - pos);
}

/* Allocates a node block for t and remembers it for undo. */
static int
node_new(struct fs *fs, struct tree *t, uint16_t type, struct cblk **out)
{
    struct tree_ws *ws = fs->tws;
    ASSERT(ws->fresh_count < ws->fresh_cap);
    int err = blk_new(fs, type, t->memgen, 0, false, out);
    if (err) {
        return err;
    }
    ws->fresh[ws->fresh_count++] = (*out)->addr;
    fmt_block_type_put((*out)->buf, type);
    return 0;
}

/* Copies a key into the level's key arena (new blocks are not kept held). */
static const uint8_t *
key_keep(struct level *l, const uint8_t *k, uint16_t nk)
{
    ASSERT(l->keys_used + nk <= l->keys_cap);
    uint8_t *p = l->keys + l->keys_used;
    memcpy(p, k, nk);
    l->keys_used += nk;
    return p;
}

/* Seals node b, records it as child *c (first key copied into l). */
static void
node_seal(struct fs *fs, struct level *l, struct cblk *b, const uint8_t *k, uint16_t nk,
        struct child *c)
{
    struct bptr bp = blk_finish(fs, b);
    c->bp = bp;
    c->fill = tree_node_fill(b->buf);
    c->k = k != NULL ? key_keep(l, k, nk) : NULL;
    c->nk = nk;
    blk_put(fs, b);
}

static int
leaf_write(struct fs *fs, struct tree *t, struct level *l, const struct kv *v, uint32_t n,
        struct child *c)
{
    struct cblk *b;
    int err = node_new(fs, t, FMT_TYPE_LEAF, &b);
    if (err) {
        return err;
    }
    uint16_t valsz = pack_vals(b->buf + FMT_LEAF_HEADER_SIZE, fmt_leafspc(fs->block_size), v, n);
    fmt_node_vals_put(b->buf, (uint16_t)n, valsz);
    node_seal(fs, l, b, n ? v[0].k : NULL, n ? v[0].nk : 0, c);
    return 0;
}

/* Writes a pivot over kids[0..n) with messages m[0..nm). */
static int
pivot_write(struct fs *fs, struct tree *t, struct level *l, const struct child *kids,
        uint32_t n, const struct msg *m, uint32_t nm, struct child *c)
{
    ASSERT(n >= 1);
    struct cblk *b;
    int err = node_new(fs, t, FMT_TYPE_PIVOT, &b);
    if (err) {
        return err;
    }
    uint32_t bs = fs->block_size;
    uint8_t *r = b->buf + FMT_PIVOT_HEADER_SIZE;
    uint32_t pos = fmt_pivspc(bs);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = 2u + kids[i].nk + 2u + FMT_PPTR_SIZE;
        ASSERT(pos >= len + 2 * n);
        pos -= len;
        fmt_put16(r + 2 * i, (uint16_t)pos);
        fmt_put16(r + pos, kids[i].nk);
        memcpy(r + pos + 2, kids[i].k, kids[i].nk);
        fmt_put16(r + pos + 2 + kids[i].nk, FMT_PPTR_SIZE);
        fmt_bptr_pack(r + pos + 4 + kids[i].nk, kids[i].bp);
        fmt_put16(r + pos + 4 + kids[i].nk + FMT_PTR_SIZE, kids[i].fill);
    }
    fmt_node_vals_put(b->buf, (uint16_t)n, (uint16_t)(fmt_pivspc(bs) - pos));
    uint16_t bufsz = pack_msgs(b->buf + FMT_PIVOT_HEADER_SIZE + fmt_pivspc(bs), fmt_bufspc(bs),
            m, nm);
    fmt_node_bufs_put(b->buf, (uint16_t)nm, bufsz);
    const uint8_t *k = kids[0].k;
    uint16_t nk = kids[0].nk;
    if (nm > 0 && key_cmp(m[0].k, m[0].nk, k, nk) < 0) {
        k = m[0].k;
        nk = m[0].nk;
    }
    node_seal(fs, l, b, k, nk, c);
    return 0;
}

int
tree_new_empty(struct fs *fs, struct tree *t, struct bptr *out)
{
    struct cblk *b;
    int err = blk_new(fs, FMT_TYPE_LEAF, t->memgen, 0, false, &b);
    if (err) {
        return err;
    }
    fmt_block_type_put(b->buf, FMT_TYPE_LEAF);
    *out = blk_finish(fs, b);
    blk_put(fs, b);
    return 0;
}

/* ---- Children. ---- */

/* Index of the child whose range holds key k: the last with key <= k, else 0. */
static uint32_t
route(const struct child *kids, uint32_t n, const uint8_t *k, uint16_t nk)
{
    uint32_t lo = 1, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (key_cmp(kids[mid].k, kids[mid].nk, k, nk) <= 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo - 1;
}

static uint32_t
load_kids(struct fs *fs, const uint8_t *buf, struct child *kids, uint32_t cap)
{
    uint32_t n = tree_node_count(buf);
    ASSERT(n <= cap);
    for (uint32_t i = 0; i < n; i++) {
        struct kv kv = tree_node_val(fs->block_size, buf, (uint16_t)i);
        kids[i].k = kv.k;
        kids[i].nk = kv.nk;
        kids[i].bp = fmt_bptr_unpack(kv.v);
        kids[i].fill = fmt_get16(kv.v + FMT_PTR_SIZE);
    }
    return n;
}

static void
release_later(struct fs *fs, struct bptr bp)
{
    struct tree_ws *ws = fs->tws;
    ASSERT(ws->released_count < ws->released_cap);
    ws->released[ws->released_count++] = bp;
}

/* ---- Leaves. ---- */

/* Merges the values of leaf buf (NULL: none) with messages in[0..n) into
 * ws->vals. A Kdat value replaced or removed at the leaf releases its block. */
static uint32_t
leaf_merge(struct fs *fs, const uint8_t *buf, const struct msg *in, uint32_t n)
{
    struct tree_ws *ws = fs->tws;
    uint32_t nold = buf != NULL ? tree_node_count(buf) : 0, i = 0, j = 0, count = 0;
    ws->vbuf_used = 0;
    while (i < nold || j < n) {
        struct kv old = i < nold ? tree_node_val(fs->block_size, buf, (uint16_t)i)
            : (struct kv){ 0 };
        int c = i >= nold ? 1 : j >= n ? -1 : key_cmp(old.k, old.nk, in[j].k, in[j].nk);
        struct vstate s = { .present = c <= 0 };
        const uint8_t *k = c <= 0 ? old.k : in[j].k;
        uint16_t nk = c <= 0 ? old.nk : in[j].nk;
        if (c <= 0) {
            s.nv = old.nv;
            memcpy(s.v, old.v, old.nv);
            i++;
        }
        for (; j < n && key_cmp(in[j].k, in[j].nk, k, nk) == 0; j++) {
            bool drops = in[j].op == FMT_OP_INSERT || in[j].op == FMT_OP_DELETE
                || in[j].op == FMT_OP_CLEARB;
            if (drops && s.present && k[0] == FMT_KDAT && s.nv == FMT_PTR_SIZE) {
                release_later(fs, fmt_bptr_unpack(s.v));
            }
            tree_apply(&in[j], &s);
        }
        if (!s.present) {
            continue;
        }
        ASSERT(count < ws->val_cap && ws->vbuf_used + s.nv <= ws->vbuf_cap);
        memcpy(ws->vbuf + ws->vbuf_used, s.v, s.nv);
        ws->vals[count++] = (struct kv){ k, ws->vbuf + ws->vbuf_used, nk, s.nv };
        ws->vbuf_used += s.nv;
    }
    return count;
}

/* Cuts n records of the given sizes into at most OUT_MAX runs that each fit
 * cap, balanced by bytes; cut[k] is where run k ends. Returns the run count. */
static uint32_t
split_runs(const uint32_t *size, uint32_t n, uint32_t cap, uint32_t min_runs, uint32_t *cut)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        total += size[i];
    }
    uint32_t k0 = FS_MAX((uint32_t)((total + cap - 1) / cap), FS_MIN(min_runs, n));
    for (uint32_t k = FS_MAX(k0, 1); k <= OUT_MAX; k++) {
        uint64_t target = (total + k - 1) / k, run = 0;
        uint32_t runs = 0;
        bool ok = true;
        for (uint32_t i = 0; i < n && ok; i++) {
            if (run > 0 && (run + size[i] > cap || (run >= target && runs + 1 < k))) {
                cut[runs++] = i;
                run = 0;
            }
            run += size[i];
            ok = run <= cap && runs < k;
        }
        if (ok) {
            cut[runs++] = n;
            return runs;
        }
    }
    ASSERT(!"records do not fit OUT_MAX nodes");
    return 0;
}

static int
leaves_write(struct fs *fs, struct tree *t, struct level *kl, uint32_t count, bool keep,
        uint32_t min_runs, struct out *out)
{
    struct tree_ws *ws = fs->tws;
    out->n = 0;
    if (count == 0) {
        return keep ? (out->n = 1, leaf_write(fs, t, kl, NULL, 0, &out->c[0])) : 0;
    }
    uint32_t cut[OUT_MAX];
    ASSERT(count <= ws->val_cap);
    for (uint32_t i = 0; i < count; i++) {
        ws->sizes[i] = val_rec_size(ws->vals[i].nk, ws->vals[i].nv);
    }
    uint32_t runs = split_runs(ws->sizes, count, fmt_leafspc(fs->block_size), min_runs, cut);
    for (uint32_t r = 0, start = 0; r < runs; start = cut[r++]) {
        int err = leaf_write(fs, t, kl, ws->vals + start, cut[r] - start, &out->c[r]);
        if (err) {
            return err;
        }
        out->n++;
    }
    return 0;
}

static int
flush_leaf(struct fs *fs, struct tree *t, struct level *kl, struct bptr bp, const struct msg *in,
        uint32_t n, bool keep, struct out *out)
{
    struct cblk *b;
    int err = tree_node_read(fs, bp, 1, &b);
    if (err) {
        return err;
    }
    uint32_t count = leaf_merge(fs, b->buf, in, n);
    release_later(fs, bp);
    err = leaves_write(fs, t, kl, count, keep, 1, out);
    blk_put(fs, b);
    return err;
}

/* ---- Pivots. ---- */

static int flush_node(struct fs *fs, struct tree *t, uint32_t depth, struct bptr bp,
        uint32_t height, const struct msg *in, uint32_t n, bool keep, struct out *out);

/* Merges a pivot's buffer (older) with messages from above (newer) into l. */
static uint32_t
buffer_merge(struct fs *fs, const uint8_t *buf, const struct msg *in, uint32_t n,
        struct level *l, uint32_t *bytes)
{
    uint32_t nb = tree_node_msg_count(buf), i = 0, j = 0, count = 0;
    *bytes = 0;
    while (i < nb || j < n) {
        struct msg m;
        if (j >= n) {
            m = tree_node_msg(fs->block_size, buf, (uint16_t)i++);
        } else if (i < nb) {
            struct msg a = tree_node_msg(fs->block_size, buf, (uint16_t)i);
            bool old_first = key_cmp(a.k, a.nk, in[j].k, in[j].nk) <= 0;
            m = old_first ? a : in[j];
            i += old_first;
            j += !old_first;
        } else {
            m = in[j++];
        }
        ASSERT(count < l->msg_cap);
        l->msgs[count++] = m;
        *bytes += msg_rec_size(&m);
    }
    return count;
}

/* The child with the most buffered bytes, and its run [*start, *end) of l->msgs. */
static uint32_t
victim(struct level *l, uint32_t nkids, uint32_t nmsgs, uint32_t *start, uint32_t *end)
{
    memset(l->acc, 0, nkids * sizeof(uint32_t));
    for (uint32_t i = 0; i < nmsgs; i++) {
        l->acc[route(l->kids, nkids, l->msgs[i].k, l->msgs[i].nk)] += msg_rec_size(&l->msgs[i]);
    }
    uint32_t v = 0;
    for (uint32_t c = 1; c < nkids; c++) {
        v = l->acc[c] > l->acc[v] ? c : v;
    }
    uint32_t s = 0;
    while (s < nmsgs && route(l->kids, nkids, l->msgs[s].k, l->msgs[s].nk) < v) {
        s++;
    }
    uint32_t e = s;
    while (e < nmsgs && route(l->kids, nkids, l->msgs[e].k, l->msgs[e].nk) == v) {
        e++;
    }
    *start = s;
    *end = e;
    return v;
}

/* Replaces child v by the nodes of o (none: the child emptied). */
static uint32_t
kids_replace(struct level *l, uint32_t nkids, uint32_t v, const struct out *o)
{
    ASSERT(nkids - 1 + o->n <= l->kid_cap);
    struct child old = l->kids[v];
    memmove(&l->kids[v + o->n], &l->kids[v + 1], (nkids - v - 1) * sizeof(struct child));
    for (uint32_t i = 0; i < o->n; i++) {
        l->kids[v + i] = o->c[i];
        if (l->kids[v + i].nk == 0) {
            l->kids[v + i].k = old.k;       /* An empty only child keeps its place. */
            l->kids[v + i].nk = old.nk;
        }
    }
    return nkids - 1 + o->n;
}

static int balance(struct fs *fs, struct tree *t, uint32_t depth, uint32_t h, uint32_t *nkids,
        uint32_t v);

/* Pushes messages down until the buffer fits: each round flushes the victim
 * child's run (at most a buffer's worth) into it. */
static int
push_down(struct fs *fs, struct tree *t, uint32_t depth, uint32_t height, uint32_t *nkids,
        uint32_t *nmsgs, uint32_t *bytes)
{
    struct level *l = &fs->tws->lv[depth];
    uint32_t bufspc = fmt_bufspc(fs->block_size);
    while (*bytes > bufspc) {
        uint32_t s, e;
        uint32_t v = victim(l, *nkids, *nmsgs, &s, &e);
        uint32_t pulled = 0, e2 = s;
        while (e2 < e && pulled + msg_rec_size(&l->msgs[e2]) <= bufspc) {
            pulled += msg_rec_size(&l->msgs[e2++]);
        }
        ASSERT(e2 > s);
        struct out o;
        int err = flush_node(fs, t, depth + 1, l->kids[v].bp, height - 1, &l->msgs[s], e2 - s,
                *nkids == 1, &o);
        if (err) {
            return err;
        }
        *nkids = kids_replace(l, *nkids, v, &o);
        memmove(&l->msgs[s], &l->msgs[e2], (*nmsgs - e2) * sizeof(struct msg));
        *nmsgs -= e2 - s;
        *bytes -= pulled;
        if (o.n == 1 && *nkids > 1) {
            err = balance(fs, t, depth, height - 1, nkids, v);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}

/* Writes kids[0..n) and msgs[0..nm) as one pivot, or several when the child
 * records overflow one (a split: messages go with the child they route to). */
static int
pivots_write(struct fs *fs, struct tree *t, struct level *kl, const struct child *kids,
        uint32_t n, const struct msg *msgs, uint32_t nm, uint32_t min_runs, struct out *out)
{
    uint32_t *sizes = fs->tws->sizes, cut[OUT_MAX];
    for (uint32_t i = 0; i < n; i++) {
        sizes[i] = child_rec_size(&kids[i]);
    }
    uint32_t runs = split_runs(sizes, n, fmt_pivspc(fs->block_size), min_runs, cut);
    out->n = 0;
    uint32_t m0 = 0;
    for (uint32_t r = 0, start = 0; r < runs; start = cut[r++]) {
        uint32_t m1 = m0;
        while (m1 < nm && (cut[r] == n || key_cmp(msgs[m1].k, msgs[m1].nk, kids[cut[r]].k,
                kids[cut[r]].nk) < 0)) {
            m1++;
        }
        /* msgs may be NULL with nm 0: no offset is added to it then. */
        int err = pivot_write(fs, t, kl, kids + start, cut[r] - start,
                m1 > m0 ? msgs + m0 : NULL, m1 - m0, &out->c[r]);
        if (err) {
            return err;
        }
        out->n++;
        m0 = m1;
    }
    ASSERT(m0 == nm);
    return 0;
}

/* Merges (or rotates) the children a and a+1 of level l, both of height h,
 * through the workspace of the level below. */
static int
balance_pair(struct fs *fs, struct tree *t, uint32_t depth, uint32_t h, uint32_t a,
        struct cblk *x, struct cblk *y, bool merge, struct out *o)
{
    struct level *l = &fs->tws->lv[depth];
    struct tree_ws *ws = fs->tws;
    if (h == 1) {
        uint32_t nx = tree_node_count(x->buf), ny = tree_node_count(y->buf);
        ASSERT(nx + ny <= ws->val_cap);
        for (uint32_t i = 0; i < nx + ny; i++) {
            ws->vals[i] = i < nx ? tree_node_val(fs->block_size, x->buf, (uint16_t)i)
                : tree_node_val(fs->block_size, y->buf, (uint16_t)(i - nx));
        }
        return leaves_write(fs, t, l, nx + ny, true, merge ? 1 : 2, o);
    }
    struct level *b = &fs->tws->lv[depth + 1];
    uint32_t nx = load_kids(fs, x->buf, b->kids, b->kid_cap);
    uint32_t n = nx + load_kids(fs, y->buf, b->kids + nx, b->kid_cap - nx);
    uint32_t bytes;
    uint32_t mx = buffer_merge(fs, x->buf, NULL, 0, b, &bytes);
    struct msg *tail = b->msgs + mx;
    for (uint32_t i = 0; i < tree_node_msg_count(y->buf); i++) {
        ASSERT(mx + i < b->msg_cap);
        tail[i] = tree_node_msg(fs->block_size, y->buf, (uint16_t)i);
    }
    (void)a;
    return pivots_write(fs, t, l, b->kids, n, b->msgs, mx + tree_node_msg_count(y->buf),
            merge ? 1 : 2, o);
}

/* GEFS trybalance: child v came back underfull; merge it with a neighbour if
 * both fit in one node with room to spare, else rotate records across. */
static int
balance(struct fs *fs, struct tree *t, uint32_t depth, uint32_t h, uint32_t *nkids, uint32_t v)
{
    struct level *l = &fs->tws->lv[depth];
    uint32_t bs = fs->block_size;
    uint32_t cap = h == 1 ? fmt_leafspc(bs) : fmt_pivspc(bs);
    if (l->kids[v].fill >= cap / 4) {
        return 0;
    }
    uint32_t a = v + 1 < *nkids ? v : v - 1;
    struct cblk *x, *y;
    int err = tree_node_read(fs, l->kids[a].bp, h, &x);
    if (err) {
        return err;
    }
    err = tree_node_read(fs, l->kids[a + 1].bp, h, &y);
    if (err) {
        blk_put(fs, x);
        return err;
    }
    uint32_t fx = 2u * tree_node_count(x->buf) + fmt_node_valsz(x->buf);
    uint32_t fy = 2u * tree_node_count(y->buf) + fmt_node_valsz(y->buf);
    uint32_t bx = tree_node_fill(x->buf) - fx, by = tree_node_fill(y->buf) - fy;
    bool merge = fx + fy <= cap * 3 / 4 && bx + by <= fmt_bufspc(bs);
    bool rotate = !merge && (fx < cap / 4 || fy < cap / 4) && FS_MAX(fx, fy) > cap / 2;
    struct out o = { .n = 0 };
    if (merge || rotate) {
        err = balance_pair(fs, t, depth, h, a, x, y, merge, &o);
    }
    blk_put(fs, x);
    blk_put(fs, y);
    if (err || (!merge && !rotate)) {
        return err;
    }
    release_later(fs, l->kids[a].bp);
    release_later(fs, l->kids[a + 1].bp);
    *nkids = kids_replace(l, *nkids, a, &o);
    memmove(&l->kids[a + o.n], &l->kids[a + o.n + 1],
            (*nkids - a - o.n - 1) * sizeof(struct child));
    *nkids -= 1;
    return 0;
}

static int
flush_pivot(struct fs *fs, struct tree *t, uint32_t depth, struct bptr bp, uint32_t height,
        const struct msg *in, uint32_t n, bool keep, struct out *out)
{
    struct level *l = &fs->tws->lv[depth];
    struct cblk *p;
    int err = tree_node_read(fs, bp, height, &p);
    if (err) {
        return err;
    }
    l->keys_used = 0;
    uint32_t nkids = load_kids(fs, p->buf, l->kids, l->kid_cap);
    uint32_t bytes;
    uint32_t nmsgs = buffer_merge(fs, p->buf, in, n, l, &bytes);
    err = push_down(fs, t, depth, height, &nkids, &nmsgs, &bytes);
    if (!err && !keep && nkids == 1 && nmsgs == 0 && l->kids[0].fill == 0) {
        release_later(fs, l->kids[0].bp);       /* Only an empty leaf is left. */
        out->n = 0;
    } else if (!err) {
        err = pivots_write(fs, t, &fs->tws->lv[depth - 1], l->kids, nkids, l->msgs, nmsgs, 1,
                out);
    }
    release_later(fs, bp);
    blk_put(fs, p);
    return err;
}

static int
flush_node(struct fs *fs, struct tree *t, uint32_t depth, struct bptr bp, uint32_t height,
        const struct msg *in, uint32_t n, bool keep, struct out *out)
{
    ASSERT(depth >= 1 && depth < TREE_HEIGHT_MAX);
    ASSERT(height >= 1);
    if (height == 1) {
        return flush_leaf(fs, t, &fs->tws->lv[depth - 1], bp, in, n, keep, out);
    }
    return flush_pivot(fs, t, depth, bp, height, in, n, keep, out);
}

/* ---- Upsert. ---- */

/* Stable sort (insertion sort: batches are small and often sorted). */
static void
batch_sort(struct msg *m, uint32_t n)
{
    for (uint32_t i = 1; i < n; i++) {
        struct msg x = m[i];
        uint32_t j = i;
        while (j > 0 && key_cmp(m[j - 1].k, m[j - 1].nk, x.k, x.nk) > 0) {
            m[j] = m[j - 1];
            j--;
        }
        m[j] = x;
    }
}

/* The fast path: the root is a pivot whose buffer has room for the batch. */
static int
fast_path(struct fs *fs, struct tree *t, struct cblk *root, const struct msg *in, uint32_t n,
        bool *done)
{
    struct level *l = &fs->tws->lv[1];
    uint32_t bytes;
    *done = false;
    if (fmt_block_type(root->buf) != FMT_TYPE_PIVOT) {
        return 0;
    }
    l->keys_used = 0;
    uint32_t nm = buffer_merge(fs, root->buf, in, n, l, &bytes);
    if (bytes > fmt_bufspc(fs->block_size)) {
        return 0;
    }
    uint32_t nkids = load_kids(fs, root->buf, l->kids, l->kid_cap);
    struct out o;
    int err = pivots_write(fs, t, &fs->tws->lv[0], l->kids, nkids, l->msgs, nm, 1, &o);
    if (err) {
        return err;
    }
    ASSERT(o.n == 1);
    release_later(fs, t->root);
    t->root = o.c[0].bp;
    *done = true;
    return 0;
}

/* A root with one child and buffered messages: pushes the whole buffer into
 * the child (it fits: a buffer is at most the pull limit). Returns 1 when the
 * child became the root (look again), 0 when the child split and a new root
 * over its parts replaced the old one, or an error. */
static int
root_push(struct fs *fs, struct tree *t, struct cblk *root, struct bptr child)
{
    struct level *l = &fs->tws->lv[0];
    uint32_t n = tree_node_msg_count(root->buf);
    ASSERT(n <= l->msg_cap);
    for (uint32_t i = 0; i < n; i++) {
        l->msgs[i] = tree_node_msg(fs->block_size, root->buf, (uint16_t)i);
    }
    struct out o;
    int err = flush_node(fs, t, 1, child, t->height - 1, l->msgs, n, true, &o);
    if (err) {
        return err;
    }
    ASSERT(o.n >= 1);
    release_later(fs, t->root);
    if (o.n == 1) {
        t->root = o.c[0].bp;
        t->height--;
        return 1;
    }
    struct out r;
    err = pivots_write(fs, t, l, o.c, o.n, NULL, 0, 1, &r);
    if (!err) {
        ASSERT(r.n == 1);
        t->root = r.c[0].bp;
    }
    return err;
}

/* Grows the root when the flush split it; shrinks it while it is a pivot
 * with one child (pushing its buffer down first). */
static int
root_fix(struct fs *fs, struct tree *t, struct out *o)
{
    if (o->n > 1) {
        ASSERT(t->height + 1 < TREE_HEIGHT_MAX);
        struct out r;
        int err = pivots_write(fs, t, &fs->tws->lv[0], o->c, o->n, NULL, 0, 1, &r);
        if (err) {
            return err;
        }
        ASSERT(r.n == 1);
        o->c[0] = r.c[0];
        t->height++;
    }
    t->root = o->c[0].bp;
    while (t->height > 1) {
        struct cblk *b;
        int err = tree_node_read(fs, t->root, t->height, &b);
        if (err) {
            return err;
        }
        bool single = tree_node_count(b->buf) == 1;
        struct bptr child = tree_node_child(fs->block_size, b->buf, 0, NULL);
        if (single && tree_node_msg_count(b->buf) > 0) {
            err = root_push(fs, t, b, child);   /* Collapses, or leaves a wider root. */
            blk_put(fs, b);
            if (err != 1) {
                return err;
            }
            continue;
        }
        blk_put(fs, b);
        if (!single) {
            break;
        }
        release_later(fs, t->root);
        t->root = child;
        t->height--;
    }
    return 0;
}

static int
upsert_pass(struct fs *fs, struct tree *t, const struct msg *in, uint32_t n)
{
    fs->tws->lv[0].keys_used = 0;           /* Keys of the new root's children, this pass. */
    struct cblk *root;
    int err = tree_node_read(fs, t->root, t->height, &root);
    if (err) {
        return err;
    }
    bool done;
    err = fast_path(fs, t, root, in, n, &done);
    blk_put(fs, root);
    if (err || done) {
        return err;
    }
    struct out o;
    struct bptr old = t->root;
    err = flush_node(fs, t, 1, old, t->height, in, n, true, &o);
    if (err) {
        return err;
    }
    ASSERT(o.n >= 1);
    return root_fix(fs, t, &o);
}

/* Undoes a failed pass: frees what it allocated, forgets what it released. */
static void
pass_undo(struct fs *fs, struct tree *t, struct bptr root, uint32_t height)
{
    struct tree_ws *ws = fs->tws;
    for (uint32_t i = 0; i < ws->fresh_count; i++) {
        blk_free_undo(fs, ws->fresh[i]);
    }
    t->root = root;
    t->height = height;
}

static int
pass_commit(struct fs *fs, struct tree *t)
{
    struct tree_ws *ws = fs->tws;
    int first = 0;
    ASSERT(fs->tree_release != NULL);       /* Wired by fs.c at format and mount. */
    /* A release that fails has broken the file system (a free whose log
     * could not grow, a free of a free block): the rest are moot, and a
     * free on a read-only file system is our bug, so they stop there. */
    for (uint32_t i = 0; i < ws->released_count && !fs->read_only; i++) {
        int err = fs->tree_release(fs, t, ws->released[i]);
        first = first ? first : err;
    }
    t->dirty = true;
    fs->dirty = true;
    return first;
}

int
tree_upsert(struct fs *fs, struct tree *t, const struct msg *msgs, uint32_t count)
{
    ASSERT(count >= 1);
    if (fs->read_only) {
        return FS_EROFS;
    }
    struct tree_ws *ws = fs->tws;
    ASSERT(count <= ws->batch_cap);
    memcpy(ws->batch, msgs, count * sizeof(struct msg));
    batch_sort(ws->batch, count);
    uint32_t pull = fmt_bufspc(fs->block_size) / 2;
    struct bptr root = t->root;
    uint32_t height = t->height;
    ws->fresh_count = ws->released_count = 0;
    for (uint32_t i = 0; i < count;) {
        uint32_t j = i, bytes = 0;
        while (j < count && (j == i || bytes + msg_rec_size(&ws->batch[j]) <= pull)) {
            ASSERT(ws->batch[j].nk >= 1 && ws->batch[j].nk <= FMT_KEY_MAX);
            bytes += msg_rec_size(&ws->batch[j++]);
        }
#ifdef MUTANT_SHORT_PULL_RESTART
        int err = upsert_pass(fs, t, ws->batch, j);     /* Bug: re-applies the batch's start. */
#else
        int err = upsert_pass(fs, t, ws->batch + i, j - i);
#endif
        if (err) {
            pass_undo(fs, t, root, height);     /* Every pass: the batch is all or nothing. */
            return err;
        }
        i = j;                      /* A short pull: go on from the first unpulled. */
    }
    return pass_commit(fs, t);
}
