/*
 * fs/checktree.c: fs_check for trees (see check.h and checktree.h).
 *
 * Structure, physically: every node of the snapshot tree and of every
 * snapshot's tree (and the mounted tree when it has uncommitted changes) is
 * read and verified: hash, type for its height, record bounds and order, the
 * fill its parent records, keys and buffered messages inside the range its
 * parent gives it, birth generations (of nodes and data blocks) not above
 * the parent's and below nextgen. Every data block a leaf or a buffered
 * insert points at is read and its hash verified. Nodes shared between
 * snapshots are checked once.
 *
 * Content, logically (messages applied): labels name existing snapshots;
 * records agree with each other (pred/succ symmetric, nlbl = labels naming
 * it, nref = records whose pred it is, a fork's base is its predecessor or
 * its predecessor's base, a root no younger than its snapshot); deadlists
 * belong to a snapshot, their birth is below their killer, their blocks
 * verify and hold whole entries, and every block they list is allocated,
 * listed once, a tree node or data block (never a log, deadlist or
 * snapshot-tree block) in some snapshot with the deadlist's birth
 * generation, and in no tree descending from its killer (checkkill.h), and
 * the chain ends at the block its tail pointer names, hash and all. In
 * each tree: the root entry exists, qids are unique and below nextqid,
 * every entry's parent is a directory, directories and up-links agree both
 * ways, no directory is its own ancestor, an entry's qid type restates its
 * mode, and data keys belong to files and lie within their length (a data
 * block past the length is corruption: growing the file would show its
 * stale bytes where a hole reads zeros). docs/DESIGN.md lists every
 * redundant field and the check that verifies it.
 *
 * Every loop over what the device says is bounded: a walk marks each node it
 * reaches and does not descend into one reached twice, a deadlist chain ends
 * at a block reached before, a parent chain at the number of entries.
 */
#include "checktree.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk.h"
#include "cache.h"
#include "checkkill.h"
#include "keys.h"
#include "tree.h"

struct walk {
    struct check *c;        /* The check. */
    bool snap;              /* The snapshot tree: exclusive blocks of gen 0. */
    const char *what;       /* Name for findings. */
};

static uint64_t
blockno(const struct check *c, uint64_t addr)
{
    return addr / c->fs->block_size;
}

/* A data block a node born at holder_gen points at: written before the
 * node that names it, so born no later. */
static void
data_check(struct walk *w, struct bptr bp, uint64_t holder_gen)
{
    struct check *c = w->c;
    bool first;
    checkkill_data(c, bp.addr);
    if (bp.gen > holder_gen) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), "file data",
                "birth generation %llu above its node's %llu", (unsigned long long)bp.gen,
                (unsigned long long)holder_gen);
    }
    if (!check_reach_shared(c, bp.addr, "file data", true, &first) || !first) {
        return;
    }
    c->gens[blockno(c, bp.addr)] = bp.gen;
    if (bp.gen >= c->fs->nextgen) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), "file data",
                "birth generation %llu not below nextgen", (unsigned long long)bp.gen);
    }
    struct cblk *cached = cache_lookup(c->fs, bp.addr);    /* Written since the last sync. */
    uint64_t hash = 0;
    if (cached != NULL) {
        hash = fmt_hash(cached->buf, c->fs->block_size);
        cache_put(c->fs, cached);
    }
    if (cached == NULL && bio_block_hash(c->fs, bp.addr, c->buf, &hash) != 0) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), "file data", "unreadable");
    } else if (hash != bp.hash) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), "file data", "hash mismatch");
    }
}

struct krange {
    const uint8_t *lo;      /* Inclusive lower bound, NULL: none. */
    const uint8_t *hi;      /* Exclusive upper bound, NULL: none. */
    uint16_t nlo;           /* Sizes. */
    uint16_t nhi;
};

static bool
in_range(const struct krange *r, const uint8_t *k, uint16_t nk)
{
    return (r->lo == NULL || key_cmp(k, nk, r->lo, r->nlo) >= 0)
        && (r->hi == NULL || key_cmp(k, nk, r->hi, r->nhi) < 0);
}

/* ---- The node memo (checkmap.h's struct node_memo). ----
 *
 * What the walk skips for a node it finds in the memo is exactly what does
 * not depend on the check in progress: the read and verification of the
 * node (its bytes are those of its hash, which the device confirms), the
 * fill its parent records and the key ranges (functions of the bytes and of
 * the context in the key). What does depend on it — reaching the node and
 * its data blocks, their generations, verifying each data block, descending
 * into the children — is done as the full walk does it, in its order. */

static uint64_t
memo_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ h >> 29;
}

/* A node's key: its content, height, the fill its parent records, the walk
 * (the snapshot tree's walk checks no data) and the key range it must hold. */
static uint64_t
node_key(const struct walk *w, struct bptr bp, uint32_t height, const struct krange *r,
        int32_t fill)
{
    uint64_t h = memo_mix(memo_mix(memo_mix(bp.hash, height), (uint64_t)(int64_t)fill), w->snap);
    h = memo_mix(h, r->lo == NULL ? 1 : fmt_hash(r->lo, r->nlo) ^ (uint64_t)r->nlo << 32);
    h = memo_mix(h, r->hi == NULL ? 2 : fmt_hash(r->hi, r->nhi) ^ (uint64_t)r->nhi << 32);
    return h | 1;
}

static uint32_t
node_slot(const struct node_memo *m, uint64_t key)
{
    uint32_t i = (uint32_t)(key ^ key >> 32) & m->mask;
    while (m->keys[i] != 0 && m->keys[i] != key) {
        i = (i + 1) & m->mask;
    }
    return i;
}

int
check_node_memo_init(struct node_memo *m)
{
    *m = (struct node_memo){ calloc(NODE_MEMO_SLOTS_MIN, sizeof(uint64_t)),
        calloc(NODE_MEMO_SLOTS_MIN, sizeof(uint32_t)), NODE_MEMO_SLOTS_MIN - 1, 0,
        malloc(NODE_MEMO_ARENA), 8 };
    if (m->keys == NULL || m->offs == NULL || m->arena == NULL) {
        check_node_memo_free(m);
        return FS_ENOMEM;
    }
    return 0;
}

void
check_node_memo_free(struct node_memo *m)
{
    free(m->keys);
    free(m->offs);
    free(m->arena);
    memset(m, 0, sizeof(*m));
}

/* Doubles the index, up to NODE_MEMO_SLOTS; false if it may not. */
static bool
node_memo_grow(struct node_memo *m)
{
    uint32_t n = m->mask + 1;
    if (n >= NODE_MEMO_SLOTS) {
        return false;
    }
    uint64_t *keys = calloc(2 * (size_t)n, sizeof(uint64_t));
    uint32_t *offs = calloc(2 * (size_t)n, sizeof(uint32_t));
    if (keys == NULL || offs == NULL) {
        free(keys);
        free(offs);
        return false;
    }
    uint64_t *ok = m->keys;
    uint32_t *oo = m->offs;
    m->keys = keys;
    m->offs = offs;
    m->mask = 2 * n - 1;
    for (uint32_t i = 0; i < n; i++) {
        if (ok[i] != 0) {
            uint32_t j = node_slot(m, ok[i]);
            m->keys[j] = ok[i];
            m->offs[j] = oo[i];
        }
    }
    free(ok);
    free(oo);
    return true;
}

/* A record being written at the arena's end: committed by node_rec_commit,
 * else forgotten. */
struct node_rec {
    struct node_memo *m;        /* NULL: not recording. */
    uint32_t start;             /* Its offset. */
    uint32_t at;                /* Bytes written so far, from start. */
    uint16_t data;              /* Data pointers. */
    uint16_t children;          /* Children. */
    bool clean;                 /* Nothing found: worth keeping. */
};

static void
node_rec_put(struct node_rec *rec, const void *p, size_t n)
{
    if (rec->m == NULL || (size_t)rec->start + rec->at + n > NODE_MEMO_ARENA) {
        rec->m = NULL;          /* The arena is full: this node is not kept. */
        return;
    }
    memcpy(rec->m->arena + rec->start + rec->at, p, n);
    rec->at += (uint32_t)n;
}

static void
node_rec_data(struct node_rec *rec, const uint8_t *ptr)
{
    node_rec_put(rec, ptr, FMT_PTR_SIZE);
    rec->data++;
}

static void
node_rec_commit(struct node_rec *rec, uint64_t key)
{
    struct node_memo *m = rec->m;
    if (m == NULL || !rec->clean || (m->used + 1 >= (m->mask + 1) / 2 && !node_memo_grow(m))) {
        return;
    }
    uint32_t i = node_slot(m, key);
    if (m->keys[i] != 0) {
        return;                 /* Known already. */
    }
    uint16_t counts[2] = { rec->data, rec->children };
    memcpy(m->arena + rec->start, counts, sizeof(counts));
    m->keys[i] = key;
    m->offs[i] = rec->start;
    m->used++;
    m->arena_used = rec->start + rec->at;
}

/* Keys, messages and data pointers of one node; the data pointers checked
 * go to rec too, and a key out of range makes it unclean. */
static void
node_records(struct walk *w, struct bptr bp, const uint8_t *buf, const struct krange *r,
        struct node_rec *rec)
{
    struct check *c = w->c;
    uint32_t bs = c->fs->block_size;
    uint16_t n = tree_node_count(buf);
    bool leaf = fmt_block_type(buf) == FMT_TYPE_LEAF;
    for (uint16_t i = 0; i < n; i++) {
        struct kv kv = tree_node_val(bs, buf, i);
        if (!in_range(r, kv.k, kv.nk)) {
            check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), w->what,
                    "key %u outside the range its parent gives", i);
            rec->clean = false;
        }
        if (leaf && !w->snap && kv.k[0] == FMT_KDAT && kv.nv == FMT_PTR_SIZE) {
            node_rec_data(rec, kv.v);
            data_check(w, fmt_bptr_unpack(kv.v), bp.gen);
        }
    }
    for (uint16_t i = 0; i < tree_node_msg_count(buf); i++) {
        struct msg m = tree_node_msg(bs, buf, i);
        if (!in_range(r, m.k, m.nk)) {
            check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), w->what,
                    "message %u outside the range its parent gives", i);
            rec->clean = false;
        }
        if (!w->snap && m.op == FMT_OP_INSERT && m.k[0] == FMT_KDAT && m.nv == FMT_PTR_SIZE) {
            node_rec_data(rec, m.v);
            data_check(w, fmt_bptr_unpack(m.v), bp.gen);
        }
    }
}

static bool
node_mark(struct walk *w, struct bptr bp, uint64_t parent_gen)
{
    struct check *c = w->c;
    bool first = true;
    bool ok = w->snap ? check_reach(c, bp.addr, w->what)
        : check_reach_shared(c, bp.addr, w->what, false, &first);
    if (!ok || !first) {
        c->unverified += !ok;
        return false;           /* Reported, or checked through another snapshot. */
    }
    if (w->snap ? bp.gen != 0 : bp.gen >= c->fs->nextgen || bp.gen > parent_gen) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), w->what,
                "birth generation %llu above its parent's or nextgen",
                (unsigned long long)bp.gen);
    }
    if (!w->snap) {
        c->gens[blockno(c, bp.addr)] = bp.gen;
    }
    return true;
}

static void node_check(struct walk *w, struct bptr bp, uint32_t height, struct krange r,
        int32_t fill, uint64_t parent_gen);

#define RANGE_INHERIT UINT16_MAX    /* In a record: the bound is the node's own. */

/* One bound of a child's range into rec: its key, or the node's own. */
static void
node_rec_bound(struct node_rec *rec, const uint8_t *k, uint16_t nk, bool inherit)
{
    uint16_t len = inherit ? RANGE_INHERIT : nk;
    node_rec_put(rec, &len, sizeof(len));
    if (!inherit) {
        node_rec_put(rec, k, nk);
    }
}

/* A bound read back from a record: the key it holds, or the node's own. */
static const uint8_t *
node_bound(const uint8_t **p, const uint8_t *own, uint16_t own_n, uint16_t *n)
{
    uint16_t len;
    memcpy(&len, *p, sizeof(len));
    *p += sizeof(len);
    if (len == RANGE_INHERIT) {
        *n = own_n;
        return own;
    }
    const uint8_t *k = *p;
    *p += len;
    *n = len;
    return k;
}

/* The next child of a node's record: its pointer, the fill it records and
 * its key range (r: the node's own). */
static void
memo_child(const uint8_t **p, const struct krange *r, struct bptr *child, uint16_t *cfill,
        struct krange *cr)
{
    *child = fmt_bptr_unpack(*p);
    memcpy(cfill, *p + FMT_PTR_SIZE, sizeof(*cfill));
    *p += FMT_PTR_SIZE + sizeof(*cfill);
    cr->lo = node_bound(p, r->lo, r->nlo, &cr->nlo);
    cr->hi = node_bound(p, r->hi, r->nhi, &cr->nhi);
}

/* A node of a snapshot's tree, for the rule for killed blocks (checkkill.h):
 * its data blocks and children follow. */
static bool
node_recorded(struct walk *w, struct bptr bp)
{
    if (w->snap || w->c->kill == NULL) {
        return false;
    }
    checkkill_node(w->c, bp.addr);
    return true;
}

/* The walk below a node the memo knows sound, if its bytes are the ones it
 * knew (the device confirms the hash; the cache does not hold the node):
 * the data checks and the children, as node_check does them. */
static bool
node_replay(struct walk *w, struct bptr bp, uint32_t height, const struct krange *r,
        int32_t fill)
{
    struct check *c = w->c;
    if (c->memo == NULL || cache_holds(c->fs, bp.addr)) {
        return false;
    }
    const struct node_memo *m = &c->memo->nodes;
    uint64_t key = node_key(w, bp, height, r, fill), hash;
    uint32_t slot = node_slot(m, key);
    if (m->keys[slot] != key || !bio_hash_known(c->fs, bp.addr, &hash) || hash != bp.hash) {
        return false;
    }
    c->r->nodes_known++;
    const uint8_t *p = m->arena + m->offs[slot];
    uint16_t counts[2];
    memcpy(counts, p, sizeof(counts));
    p += sizeof(counts);
    bool recording = node_recorded(w, bp);
    for (uint16_t i = 0; i < counts[0]; i++, p += FMT_PTR_SIZE) {
        data_check(w, fmt_bptr_unpack(p), bp.gen);
    }
    struct bptr child;
    uint16_t cfill;
    struct krange cr;
    const uint8_t *kids = p;
    for (uint16_t i = 0; i < counts[1] && recording; i++) {
        memo_child(&p, r, &child, &cfill, &cr);
        checkkill_child(c, child.addr);
    }
    p = kids;
    for (uint16_t i = 0; i < counts[1]; i++) {
        memo_child(&p, r, &child, &cfill, &cr);
        node_check(w, child, height - 1, cr, cfill, bp.gen);
    }
    return true;
}

static void
node_check(struct walk *w, struct bptr bp, uint32_t height, struct krange r, int32_t fill,
        uint64_t parent_gen)
{
    struct check *c = w->c;
    uint32_t bs = c->fs->block_size;
    if (!node_mark(w, bp, parent_gen) || node_replay(w, bp, height, &r, fill)) {
        return;
    }
    struct node_memo *m = c->memo != NULL ? &c->memo->nodes : NULL;
    struct node_rec rec = { m, m != NULL ? m->arena_used : 0, 2 * sizeof(uint16_t), 0, 0, true };
    struct cblk *b;
    uint32_t mask = height == 1 ? BLK_MASK(FMT_TYPE_LEAF) : BLK_MASK(FMT_TYPE_PIVOT);
    if (blk_read(c->fs, bp, mask, &b) != 0) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), w->what, "%s",
                c->fs->broken_why);
        c->unverified++;
        return;
    }
    if (fill >= 0 && tree_node_fill(b->buf) != fill) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), w->what,
                "fill %u, its parent records %d", tree_node_fill(b->buf), fill);
        rec.clean = false;
    }
    bool recording = node_recorded(w, bp);
    node_records(w, bp, b->buf, &r, &rec);
    uint16_t n = height > 1 ? tree_node_count(b->buf) : 0;
    for (uint16_t i = 0; i < n && recording; i++) {
        uint16_t cfill;
        checkkill_child(c, tree_node_child(bs, b->buf, i, &cfill).addr);
    }
    for (uint16_t i = 0; i < n && rec.m != NULL && rec.clean; i++) {
        struct kv k = tree_node_val(bs, b->buf, i);
        uint16_t cfill;
        uint8_t ptr[FMT_PTR_SIZE];
        fmt_bptr_pack(ptr, tree_node_child(bs, b->buf, i, &cfill));
        node_rec_put(&rec, ptr, sizeof(ptr));
        node_rec_put(&rec, &cfill, sizeof(cfill));
        node_rec_bound(&rec, k.k, k.nk, i == 0);
        struct kv next = i + 1 < n ? tree_node_val(bs, b->buf, (uint16_t)(i + 1)) : k;
        node_rec_bound(&rec, next.k, next.nk, i + 1 == n);
        rec.children++;
    }
    if (rec.m != NULL) {
        node_rec_commit(&rec, node_key(w, bp, height, &r, fill));
    }
    for (uint16_t i = 0; i < n; i++) {
        struct kv k = tree_node_val(bs, b->buf, i);
        struct krange cr = { i == 0 ? r.lo : k.k, r.hi, i == 0 ? r.nlo : k.nk, r.nhi };
        if (i + 1 < n) {
            struct kv next = tree_node_val(bs, b->buf, (uint16_t)(i + 1));
            cr.hi = next.k;
            cr.nhi = next.nk;
        }
        uint16_t cfill;
        struct bptr child = tree_node_child(bs, b->buf, i, &cfill);
        node_check(w, child, height - 1, cr, cfill, bp.gen);
    }
    blk_put(c->fs, b);
}

static void
tree_structure(struct check *c, const struct tree *t, const char *what)
{
    struct walk w = { c, t->is_snap, what };
    memset(c->walk, 0, c->map_size);
    if (t->height < 1 || t->height >= TREE_HEIGHT_MAX) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, t->root.addr), what, "height %u",
                t->height);
        c->unverified++;
        return;
    }
    node_check(&w, t->root, t->height, (struct krange){ NULL, NULL, 0, 0 }, -1,
            t->is_snap ? 0 : c->fs->nextgen);
}

/* ---- The namespace of one tree. ---- */

struct ent {
    uint64_t qid;           /* Its qid. */
    uint64_t parent;        /* Containing directory's qid, QID_NONE for the root. */
    uint64_t length;        /* Bytes. */
    uint64_t key_hash;      /* fmt_hash of its Kent key, to match up-links. */
    bool dir;               /* A directory. */
};

struct up {
    uint64_t qid;           /* The directory. */
    uint64_t target_hash;   /* fmt_hash of the Kent key it names. */
};

struct dat {
    uint64_t qid;           /* The file. */
    uint64_t off;           /* Block offset. */
};

struct ns {
    struct check *c;        /* The check. */
    const char *what;       /* Tree name for findings. */
    struct ent *ents;       /* Entries, grown with realloc. */
    struct up *ups;
    struct dat *dats;
    size_t nents, nups, ndats;
    size_t cents, cups, cdats;
    bool nomem;             /* An array could not grow. */
};

static bool
grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) {
        return true;
    }
    size_t ncap = *cap ? 2 * *cap : 64;
    void *q = realloc(*p, ncap * size);
    if (q == NULL) {
        return false;
    }
    *p = q;
    *cap = ncap;
    return true;
}

static void
ns_bad(struct ns *s, const char *why)
{
    check_finding(s->c, FS_CHECK_CORRUPT, UINT64_MAX, s->what, "%s", why);
}

/* The fields of a directory entry that restate another or are fixed:
 * qid.type is the mode's top byte, a directory's length is 0, flag is 0. */
static void
dirent_fields(struct ns *s, const struct fmt_dirent *d)
{
    if (d->length > FS_FILE_SIZE_MAX) {
        ns_bad(s, "file length out of range");
    }
    if (d->qtype != (uint8_t)(d->mode >> 24)) {
        ns_bad(s, "directory entry: qid type differs from its mode's type bits");
    }
    if ((d->qtype & FMT_QID_DIR) && d->length != 0) {
        ns_bad(s, "directory entry: a directory with a nonzero length");
    }
    if (d->flag != 0) {
        ns_bad(s, "directory entry: reserved flag set");
    }
}

static int
ns_fn(void *arg, const struct kv *kv)
{
    struct ns *s = arg;
    switch (kv->k[0]) {
    case FMT_KDAT:
        if (kv->nk != FMT_KDAT_SIZE || kv->nv != FMT_PTR_SIZE) {
            ns_bad(s, "malformed data key or pointer");
        } else if (grow((void **)&s->dats, &s->cdats, s->ndats, sizeof(struct dat))) {
            s->dats[s->ndats++] = (struct dat){ key_id(kv->k), key_dat_off(kv->k) };
        } else {
            s->nomem = true;
        }
        return 0;
    case FMT_KENT:
        if (fmt_kent_check(kv->k, kv->nk) != NULL || kv->nv != FMT_DIRENT_SIZE) {
            ns_bad(s, "malformed directory entry");
        } else if (grow((void **)&s->ents, &s->cents, s->nents, sizeof(struct ent))) {
            struct fmt_dirent d;
            fmt_dirent_unpack(kv->v, &d);
            dirent_fields(s, &d);
            s->ents[s->nents++] = (struct ent){ d.qid, key_id(kv->k), d.length,
                fmt_hash(kv->k, kv->nk), (d.qtype & FMT_QID_DIR) != 0 };
        } else {
            s->nomem = true;
        }
        return 0;
    case FMT_KUP:
        if (kv->nk != FMT_KUP_SIZE || kv->nv < FMT_KENT_SIZE_MIN || kv->v[0] != FMT_KENT) {
            ns_bad(s, "malformed up-link");
        } else if (grow((void **)&s->ups, &s->cups, s->nups, sizeof(struct up))) {
            s->ups[s->nups++] = (struct up){ key_id(kv->k), fmt_hash(kv->v, kv->nv) };
        } else {
            s->nomem = true;
        }
        return 0;
    default:
        ns_bad(s, "key of an unknown kind in a file-system tree");
        return 0;
    }
}

static int
ent_order(const void *a, const void *b)
{
    const struct ent *x = a, *y = b;
    return x->qid < y->qid ? -1 : x->qid > y->qid;
}

static const struct ent *
ent_find(const struct ns *s, uint64_t qid)
{
    struct ent key = { .qid = qid };
    return s->nents == 0 ? NULL : bsearch(&key, s->ents, s->nents, sizeof(struct ent), ent_order);
}

/* Every directory reaches the root by parents within as many steps as there
 * are entries; otherwise a directory is its own ancestor. */
static void
ns_cycles(struct ns *s)
{
    for (size_t i = 0; i < s->nents; i++) {
        const struct ent *e = &s->ents[i];
        for (size_t steps = 0; e != NULL && e->parent != QID_NONE; steps++) {
            if (steps > s->nents) {
                ns_bad(s, "a directory is its own ancestor");
                return;
            }
            e = ent_find(s, e->parent);
        }
    }
}

static void
ns_entries(struct ns *s)
{
    struct check *c = s->c;
    size_t roots = 0;
    for (size_t i = 0; i < s->nents; i++) {
        const struct ent *e = &s->ents[i];
        if (i > 0 && s->ents[i - 1].qid == e->qid) {
            check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, s->what, "qid %llu used twice",
                    (unsigned long long)e->qid);
        }
        if (e->qid == 0 || e->qid >= c->fs->nextqid) {
            check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, s->what, "qid %llu not below nextqid",
                    (unsigned long long)e->qid);
        }
        if (e->parent == QID_NONE) {
            roots++;
            continue;
        }
        const struct ent *p = ent_find(s, e->parent);
        if (p == NULL || !p->dir) {
            check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, s->what,
                    "qid %llu is an orphan: its parent is not a directory",
                    (unsigned long long)e->qid);
        }
    }
    if (roots != 1) {
        ns_bad(s, "not exactly one root directory entry");
    }
}

static void
ns_links(struct ns *s)
{
    struct check *c = s->c;
    size_t dirs = 0;
    for (size_t i = 0; i < s->nents; i++) {
        dirs += s->ents[i].dir;
    }
    if (dirs != s->nups) {
        check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, s->what,
                "%zu directories but %zu up-links", dirs, s->nups);
    }
    for (size_t i = 0; i < s->nups; i++) {
        const struct ent *e = ent_find(s, s->ups[i].qid);
        if (e == NULL || !e->dir || e->key_hash != s->ups[i].target_hash) {
            check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, s->what,
                    "up-link of qid %llu does not name its directory's entry",
                    (unsigned long long)s->ups[i].qid);
        }
    }
    uint64_t bs = c->fs->block_size;
    for (size_t i = 0; i < s->ndats; i++) {
        const struct dat *d = &s->dats[i];
        const struct ent *e = ent_find(s, d->qid);
        if (e == NULL || e->dir) {
            check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, s->what,
                    "data of qid %llu, which is no file", (unsigned long long)d->qid);
        } else if (d->off % bs != 0 || d->off >= (e->length + bs - 1) / bs * bs) {
            check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, s->what,
                    "data block at offset %llu beyond the end of qid %llu (%llu bytes)",
                    (unsigned long long)d->off, (unsigned long long)d->qid,
                    (unsigned long long)e->length);
        }
    }
}

static int
tree_namespace(struct check *c, const struct tree *t, const char *what)
{
    struct ns s = { .c = c, .what = what };
    int err = tree_scan(c->fs, t, NULL, 0, NULL, 0, ns_fn, &s);
    if (err == FS_ECORRUPT || err == FS_EIO) {     /* A finding: the check goes on. */
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, c->fs->broken_addr), what, "%s",
                c->fs->broken_why);
        err = 0;
    } else if (!err && s.nomem) {
        err = FS_ENOMEM;
    } else if (!err) {
        if (s.nents > 0) {                  /* No table at all when a forged tree is empty. */
            qsort(s.ents, s.nents, sizeof(struct ent), ent_order);
        }
        ns_entries(&s);
        ns_links(&s);
        ns_cycles(&s);
    }
    free(s.ents);
    free(s.ups);
    free(s.dats);
    return err;
}

static uint64_t
findings(const struct check *c)
{
    return c->r->count[FS_CHECK_CORRUPT] + c->r->count[FS_CHECK_LEAK]
        + c->r->count[FS_CHECK_WARNING];
}

/* tree_namespace, unless the memo knows the tree sound and every node the
 * tree walks reached so far verified: then the scan would read the bytes the
 * tree's identity commits to, and find nothing again. */
static int
namespace_once(struct check *c, const struct tree *t, const char *what)
{
    const struct fs *fs = c->fs;
    uint64_t key = 0;
    uint64_t from = findings(c);
    if (c->memo != NULL && c->unverified == 0) {
        key = memo_mix(memo_mix(memo_mix(memo_mix(memo_mix(t->root.hash, t->root.addr), t->height),
                fs->nextqid), fs->block_size), fs->block_count) | 1;
        if (check_memo_has(c->memo, key)) {
            c->r->trees_known++;
            return 0;
        }
    }
    int err = tree_namespace(c, t, what);
    if (!err && key != 0 && findings(c) == from && c->unverified == 0) {
        check_memo_add(c->memo, key);
    }
    return err;
}

/* ---- The snapshot tree's content. ---- */

struct rec {
    struct fmt_tree t;      /* The record. */
    uint32_t labels;        /* Labels naming it. */
    uint32_t refs;          /* Records whose pred it is. */
};

struct lab {
    uint64_t gen;           /* Snapshot it names. */
};

struct dlr {
    uint64_t killer;        /* Generation that killed the blocks. */
    uint64_t birth;         /* Their birth generation. */
    struct bptr hd;         /* Newest block. */
    struct bptr tl;         /* Oldest block: the chain's last. */
};

struct snapc {
    struct check *c;        /* The check. */
    struct rec *recs;       /* Records, by gen (key order). */
    struct lab *labs;
    struct dlr *dls;
    size_t nrecs, nlabs, ndls;
    size_t crecs, clabs, cdls;
    bool nomem;             /* An array could not grow. */
};

static void
snap_bad(struct snapc *s, const char *why)
{
    check_finding(s->c, FS_CHECK_CORRUPT, UINT64_MAX, "snapshot tree", "%s", why);
}

static int
snapc_fn(void *arg, const struct kv *kv)
{
    struct snapc *s = arg;
    bool ok = true;
    if (kv->k[0] == FMT_KLABEL && kv->nk >= 2 && kv->nv == FMT_LABEL_VALUE_SIZE) {
        ok = grow((void **)&s->labs, &s->clabs, s->nlabs, sizeof(struct lab));
        if (ok) {
            s->labs[s->nlabs++] = (struct lab){ fmt_label_snapid(kv->v) };
        }
        if (kv->v[0] != FMT_KSNAP || (fmt_label_flags(kv->v) & ~FMT_LABEL_MUTABLE) != 0) {
            snap_bad(s, "a label's value is not a snapshot key, or sets unknown flags");
        }
        if (kv->nk > FMT_NAME_MAX + 1 || fmt_name_check(kv->k + 1, kv->nk - 1u) != NULL) {
            snap_bad(s, "a label's name is not one a label may have");
        }
    } else if (kv->k[0] == FMT_KSNAP && kv->nk == FMT_KSNAP_SIZE && kv->nv == FMT_TREE_SIZE) {
        ok = grow((void **)&s->recs, &s->crecs, s->nrecs, sizeof(struct rec));
        if (ok) {
            struct rec *r = &s->recs[s->nrecs++];
            memset(r, 0, sizeof(*r));
            fmt_tree_unpack(kv->v, &r->t);
            if (r->t.gen != key_id(kv->k)) {
                snap_bad(s, "record stored under another snapshot id");
            }
            if (r->t.flag != 0) {
                snap_bad(s, "a snapshot record's reserved flag is set");
            }
        }
    } else if (kv->k[0] == FMT_KDLIST && kv->nk == FMT_KDLIST_SIZE
            && kv->nv == FMT_DLIST_VALUE_SIZE) {
        ok = grow((void **)&s->dls, &s->cdls, s->ndls, sizeof(struct dlr));
        if (ok) {
            s->dls[s->ndls++] = (struct dlr){ key_id(kv->k), key_dlist_birth(kv->k),
                fmt_bptr_unpack(kv->v), fmt_bptr_unpack(kv->v + FMT_PTR_SIZE) };
        }
    } else if (kv->k[0] != FMT_KCONF) {
        snap_bad(s, "malformed or unknown key in the snapshot tree");
    }
    s->nomem = s->nomem || !ok;
    return 0;
}

static int
rec_order(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    return x->t.gen < y->t.gen ? -1 : x->t.gen > y->t.gen;
}

static struct rec *
rec_find(struct snapc *s, uint64_t gen)
{
    struct rec key;
    key.t.gen = gen;
    return s->nrecs == 0 ? NULL : bsearch(&key, s->recs, s->nrecs, sizeof(struct rec), rec_order);
}

/* A fork's base. A record its predecessor's successor link does not name
 * branches off it (snap_fork leaves that link alone): it is a fork's first
 * record, and its base is that predecessor. A record its predecessor's link
 * names continues the chain and inherits its base; merges and deletions keep
 * both rules. A record without a predecessor has no base. A missing
 * predecessor is reported on its own. */
static bool
base_follows(const struct fmt_tree *t, const struct rec *p)
{
    if (t->pred == GEN_NONE) {
        return t->base == GEN_NONE;
    }
    if (p == NULL) {
        return true;
    }
    return t->base == (p->t.succ != t->gen ? t->pred : p->t.base);
}

static void
snap_links(struct snapc *s)
{
    struct check *c = s->c;
    for (size_t i = 0; i < s->nlabs; i++) {
        struct rec *r = rec_find(s, s->labs[i].gen);
        if (r == NULL) {
            snap_bad(s, "a label names a missing snapshot");
        } else {
            r->labels++;
        }
    }
    for (size_t i = 0; i < s->nrecs; i++) {
        struct fmt_tree *t = &s->recs[i].t;
        struct rec *p = t->pred == GEN_NONE ? NULL : rec_find(s, t->pred);
        struct rec *n = t->succ == GEN_NONE ? NULL : rec_find(s, t->succ);
        if (t->pred != GEN_NONE && p == NULL) {
            snap_bad(s, "a snapshot's predecessor is missing");
        }
        if (p != NULL) {
            p->refs++;
        }
        if (t->succ != GEN_NONE && (n == NULL || n->t.pred != t->gen)) {
            snap_bad(s, "successor and predecessor links disagree");
        }
        if (t->gen >= c->fs->nextgen) {
            snap_bad(s, "a snapshot id is not below nextgen");
        }
        if (t->root.gen > t->gen) {
            snap_bad(s, "a snapshot's root is born after the snapshot");
        }
        if (!base_follows(t, p)) {
            check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, "snapshot tree",
                    "snapshot %llu: fork base %llu is not what its predecessor gives",
                    (unsigned long long)t->gen, (unsigned long long)t->base);
        }
    }
    for (size_t i = 0; i < s->nrecs; i++) {
        struct rec *r = &s->recs[i];
        if (r->labels != r->t.nlbl || r->refs != r->t.nref) {
            check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, "snapshot tree",
                    "snapshot %llu records nlbl %u nref %u; found %u labels, %u successors",
                    (unsigned long long)r->t.gen, r->t.nlbl, r->t.nref, r->labels, r->refs);
        }
    }
}

/* ---- Deadlists. ---- */

static void
dead_entry(struct check *c, uint64_t addr, uint64_t killer, uint64_t birth)
{
    if (addr % c->fs->block_size != 0 || addr / c->fs->block_size >= c->fs->block_count) {
        check_finding(c, FS_CHECK_CORRUPT, UINT64_MAX, "deadlist", "entry outside the device");
        return;
    }
    check_mark_dead(c, addr, "deadlist entry");
    checkkill_dead(c, addr, killer);
    uint64_t b = blockno(c, addr);
    if (check_bit(c->meta, b)) {
        check_finding(c, FS_CHECK_CORRUPT, b, "deadlist entry", "%s",
                "listed block is a log, deadlist or snapshot-tree block");
    } else if (!check_bit(c->shared, b)) {
        check_finding(c, FS_CHECK_LEAK, b, "deadlist entry", "listed block is in no snapshot");
    } else if (c->gens[b] != birth) {
        check_finding(c, FS_CHECK_CORRUPT, b, "deadlist entry",
                "listed with birth %llu, born %llu", (unsigned long long)birth,
                (unsigned long long)c->gens[b]);
    }
}

/* The fields of one deadlist block that restate others. A deadlist block
 * is written once, whole (blk_new zeroes it), and never rewritten: the
 * pointer naming it holds its hash and birth generation 0 (blk_read checks
 * a log-type block by logh only), and logsz covers whole entries with
 * nothing after them. */
static void
dlist_block_check(struct check *c, struct bptr bp, const struct cblk *b, uint16_t logsz)
{
    const char *why = NULL;
    uint32_t n = fmt_logspc(c->fs->block_size);
    const uint8_t *d = b->buf + FMT_LOG_HEADER_SIZE;
    if (bp.gen != 0) {
        why = "pointer with a birth generation, not 0";
    } else if (b->hash != bp.hash) {
        why = "pointer's hash does not match the block";
    } else if (logsz % FMT_DLIST_ENTRY_SIZE != 0) {
        why = "logsz is not a whole number of entries";
    } else if (logsz < n && (d[logsz] != 0 || memcmp(d + logsz, d + logsz + 1, n - logsz - 1))) {
        why = "bytes after logsz: entries its size leaves out";
    }
    if (why != NULL) {
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), "deadlist", "%s", why);
    }
}

/* Every block of the chain is marked as reached before it is read, and a
 * block reached twice ends the walk: a chain visits each device block once at
 * most, and a longer one is our bug. */
static void
dlist_check(struct check *c, const struct dlr *d)
{
    struct bptr bp = d->hd;
    struct bptr last = BPTR_NIL;
    for (uint64_t count = 0; bp.addr != FMT_ADDR_NIL; count++) {
        last = bp;
        ASSERT(count <= c->fs->block_count);
        if (!check_reach(c, bp.addr, "deadlist")) {
            return;                 /* A chain that loops reaches a block twice: reported. */
        }
        if (check_bit(c->dead, blockno(c, bp.addr))) {
            check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), "deadlist",
                    "a deadlist block is listed in a deadlist");
        }
        struct cblk *b;
        if (blk_read(c->fs, bp, BLK_MASK(FMT_TYPE_DLIST), &b) != 0) {
            check_finding(c, FS_CHECK_CORRUPT, blockno(c, bp.addr), "deadlist", "%s",
                    c->fs->broken_why);
            return;
        }
        struct fmt_log_header h;
        fmt_log_header_unpack(b->buf, &h);
        dlist_block_check(c, bp, b, h.logsz);
        for (uint32_t i = 0; i + FMT_DLIST_ENTRY_SIZE <= h.logsz; i += FMT_DLIST_ENTRY_SIZE) {
            dead_entry(c, fmt_get64(b->buf + FMT_LOG_HEADER_SIZE + i), d->killer, d->birth);
        }
        bp = h.logp;
        blk_put(c->fs, b);
    }
    /* The walk reached the chain's end: the tail restates the pointer to
     * its last block, address, hash and generation. */
    if (last.addr != d->tl.addr || last.hash != d->tl.hash || last.gen != d->tl.gen) {
        check_finding(c, FS_CHECK_CORRUPT,
                last.addr == FMT_ADDR_NIL ? UINT64_MAX : blockno(c, last.addr),
                "deadlist", "its tail pointer does not name the chain's last block");
    }
}

static void
dlists_check(struct snapc *s)
{
    struct check *c = s->c;
    for (size_t i = 0; i < s->ndls; i++) {
        if (rec_find(s, s->dls[i].killer) == NULL) {
            snap_bad(s, "a deadlist belongs to no snapshot");
        }
        if (s->dls[i].birth >= s->dls[i].killer) {
            snap_bad(s, "a deadlist's birth generation is not below its killer's");
        }
        dlist_check(c, &s->dls[i]);
    }
    for (uint32_t i = 0; i < c->fs->kill_count; i++) {
        dead_entry(c, c->fs->kills[i].addr, c->fs->kills[i].killer, c->fs->kills[i].birth);
    }
}

/* ---- Killed blocks (checkkill.h). ---- */

/* Writes gen and the generations its predecessor links lead to, while
 * records hold them (at most every record): their count. */
static size_t
ancestors(struct snapc *s, uint64_t gen, uint64_t *out)
{
    size_t n = 0;
    for (struct rec *r = rec_find(s, gen); r != NULL && n < s->nrecs; n++) {
        out[n] = r->t.gen;
        r = r->t.pred == GEN_NONE ? NULL : rec_find(s, r->t.pred);
    }
    return n;
}

/* The mounted tree is checked as a tree of its own unless its record holds
 * its root. */
static bool
mounted_apart(struct snapc *s)
{
    struct rec *mine = rec_find(s, s->c->fs->tree.gen);
    return mine == NULL || mine->t.root.addr != s->c->fs->tree.root.addr;
}

/* Every tree against the killers among its ancestors: each snapshot's, and
 * the mounted tree's, which descends from its record and kills in memgen. */
static int
kills_check(struct snapc *s)
{
    struct check *c = s->c;
    uint64_t *anc = malloc((s->nrecs + 1) * sizeof(uint64_t));
    if (anc == NULL || checkkill_ready(c) != 0) {
        free(anc);
        return FS_ENOMEM;
    }
    char what[64];
    for (size_t i = 0; i < s->nrecs; i++) {
        const struct fmt_tree *t = &s->recs[i].t;
        snprintf(what, sizeof(what), "the tree of snapshot %llu", (unsigned long long)t->gen);
        checkkill_tree(c, t->root.addr, anc, ancestors(s, t->gen, anc), what);
    }
    struct tree *m = &c->fs->tree;
    if (mounted_apart(s)) {
        anc[0] = m->memgen;
        checkkill_tree(c, m->root.addr, anc, 1 + ancestors(s, m->gen, anc + 1),
                "the mounted tree");
    }
    free(anc);
    return 0;
}

/* ---- Driver. ---- */

static int
trees_check(struct check *c, struct snapc *s)
{
    char what[64];
    for (size_t i = 0; i < s->nrecs; i++) {
        const struct fmt_tree *r = &s->recs[i].t;
        struct tree t = { .root = r->root, .height = r->height, .gen = r->gen,
            .pred = r->pred, .base = r->base };
        snprintf(what, sizeof(what), "tree of snapshot %llu", (unsigned long long)r->gen);
        tree_structure(c, &t, what);
        int err = namespace_once(c, &t, what);
        if (err) {
            return err;
        }
    }
    struct fs *fs = c->fs;
    if (mounted_apart(s)) {
        tree_structure(c, &fs->tree, "mounted tree");
        return fs->tree.dirty ? tree_namespace(c, &fs->tree, "mounted tree")
            : namespace_once(c, &fs->tree, "mounted tree");
    }
    return 0;
}

int
check_trees(struct check *c)
{
    struct snapc s = { .c = c };
    tree_structure(c, &c->fs->snap, "snapshot tree");
    int err = tree_scan(c->fs, &c->fs->snap, NULL, 0, NULL, 0, snapc_fn, &s);
    if (err == FS_ECORRUPT || err == FS_EIO) {     /* A finding: the check goes on. */
        check_finding(c, FS_CHECK_CORRUPT, blockno(c, c->fs->broken_addr), "snapshot tree",
                "%s", c->fs->broken_why);
        err = 0;
    } else if (!err && s.nomem) {
        err = FS_ENOMEM;
    } else if (!err) {
        if (s.nrecs > 0) {
            qsort(s.recs, s.nrecs, sizeof(struct rec), rec_order);
        }
        snap_links(&s);
        if (s.ndls > 0 || c->fs->kill_count > 0) {
            err = checkkill_start(c);
        }
        if (!err) {
            err = trees_check(c, &s);
        }
        if (!err) {
            dlists_check(&s);
            err = c->kill != NULL ? kills_check(&s) : 0;
        }
    }
    checkkill_free(c);
    free(s.recs);
    free(s.labs);
    free(s.dls);
    return err;
}
