/*
 * fs/snap.c: snapshots, deadlists and reclamation (see snap.h).
 *
 * Layering: this file changes the snapshot tree through the tree layer
 * (tree.h, treeupdate.h) and frees through the block layer (blk.h); it never
 * commits. A snapshot operation returns to fs.c, which syncs before and after
 * it, and the tree reaches snap_release only through the hook fs.c wires.
 *
 * Loops over what the device says are bounded: a deadlist chain by the
 * device's block count, the rounds of a reclaim by the deadlist keys the
 * snapshot tree can hold, a cascade of deletions by the block count.
 */
#include "snap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blk.h"
#include "probes.h"
#include "tree.h"
#include "treeupdate.h"

#define DLREF_BATCH 128u        /* Deadlists reclaimed per scan round. */

/* ---- Kill or free. ---- */

/* Queues a committed block for a deadlist. The queue holds one entry per
 * device block: a sound image releases each block once between commits, so
 * a full queue means a block named twice (a cross-link, a deadlist entry
 * repeated), which is corruption, not our bug. */
static int
kill_push(struct fs *fs, uint64_t killer, uint64_t birth, uint64_t addr)
{
    if (fs->kill_count == fs->kill_cap) {
        return fs_broke(fs, FS_ECORRUPT, addr,
                "more blocks released than the device holds: a block named twice");
    }
    fs->kills[fs->kill_count++] = (struct kill){ killer, birth, addr };
    bio_history_note(fs, addr, 'k');
    return 0;
}

int
snap_release(struct fs *fs, struct tree *t, struct bptr bp)
{
    ASSERT(t != NULL);
    if (t->is_snap) {
#ifdef MUTANT_SNAPTREE_FREE_EARLY
        return blk_free_now(fs, bp.addr);   /* Bug: reusable before the superblock moves on. */
#endif
        return blk_free_deferred(fs, bp.addr);
    }
#ifdef MUTANT_KILL_GEN_OFF_BY_ONE
    if (bp.gen + 1 >= t->memgen) {      /* Bug: <= where < was meant; frees committed blocks. */
#else
    if (bp.gen >= t->memgen) {
#endif
        return blk_free_now(fs, bp.addr);       /* Never part of a committed state. */
    }
    if (t->base != GEN_NONE && bp.gen <= t->base) {
        return 0;                               /* The chain we forked from owns it. */
    }
    fs->dirty = true;
    return kill_push(fs, t->memgen, bp.gen, bp.addr);
}

/* ---- Records and labels. ---- */

static int
record_get(struct fs *fs, uint64_t gen, struct fmt_tree *r)
{
    uint8_t k[FMT_KEY_MAX], v[FMT_INLINE_MAX];
    uint16_t nv;
    int err = tree_lookup(fs, &fs->snap, k, key_snap(k, gen), v, &nv);
    if (err) {
        return err == FS_ENOENT ? fs_broke(fs, FS_ECORRUPT, fs->snap.root.addr,
                "snapshot record missing") : err;
    }
    if (nv != FMT_TREE_SIZE) {
        return fs_broke(fs, FS_ECORRUPT, fs->snap.root.addr, "snapshot record malformed");
    }
    fmt_tree_unpack(v, r);
    if (r->gen != gen || r->height < 1 || r->height >= TREE_HEIGHT_MAX) {
        return fs_broke(fs, FS_ECORRUPT, fs->snap.root.addr, "snapshot record malformed");
    }
    return 0;
}

static int
label_get(struct fs *fs, const char *name, uint64_t *gen, uint32_t *flags)
{
    uint8_t k[FMT_KEY_MAX], v[FMT_INLINE_MAX];
    uint16_t nv;
    int err = tree_lookup(fs, &fs->snap, k, key_label(k, name, strlen(name)), v, &nv);
    if (err) {
        return err;
    }
    if (nv != FMT_LABEL_VALUE_SIZE || v[0] != FMT_KSNAP) {
        return fs_broke(fs, FS_ECORRUPT, fs->snap.root.addr, "label value malformed");
    }
    *gen = fmt_label_snapid(v);
    *flags = fmt_label_flags(v);
    return 0;
}

/* Message builders: each keeps its key and value in the caller's storage. */
struct mbuf {
    uint8_t k[FMT_KEY_MAX];     /* Key bytes. */
    uint8_t v[FMT_INLINE_MAX];  /* Value bytes. */
};

static struct msg
msg_record(struct mbuf *b, const struct fmt_tree *r)
{
    fmt_tree_pack(b->v, r);
    return (struct msg){ b->k, b->v, key_snap(b->k, r->gen), FMT_TREE_SIZE, FMT_OP_INSERT };
}

static struct msg
msg_label(struct mbuf *b, const char *name, uint64_t gen, uint32_t flags)
{
    fmt_label_pack(b->v, gen, flags);
    return (struct msg){ b->k, b->v, key_label(b->k, name, strlen(name)), FMT_LABEL_VALUE_SIZE,
        FMT_OP_INSERT };
}

/* Orelink (succ) or Oreprev (pred) with nlbl/nref deltas. */
static struct msg
msg_link(struct mbuf *b, uint8_t op, uint64_t gen, uint64_t link, int8_t dlbl, int8_t dref)
{
    fmt_put64(b->v, link);
    b->v[FMT_LINK_DLBL_OFFSET] = (uint8_t)dlbl;
    b->v[FMT_LINK_DREF_OFFSET] = (uint8_t)dref;
    return (struct msg){ b->k, b->v, key_snap(b->k, gen), FMT_LINK_SIZE, op };
}

/* ---- Deadlists. ---- */

static int
kill_order(const void *a, const void *b)
{
    const struct kill *x = a, *y = b;
    if (x->killer != y->killer) {
        return x->killer < y->killer ? -1 : 1;
    }
    if (x->birth != y->birth) {
        return x->birth < y->birth ? -1 : 1;
    }
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* Prepends blocks holding addrs[0..n) to deadlist (killer, birth). */
static int
dl_append(struct fs *fs, uint64_t killer, uint64_t birth, const struct kill *ks, uint32_t n)
{
    struct mbuf mb;
    uint8_t v[FMT_INLINE_MAX];
    uint16_t nv, nk = key_dlist(mb.k, killer, birth);
    struct bptr hd = BPTR_NIL, tl = BPTR_NIL;
    int err = tree_lookup(fs, &fs->snap, mb.k, nk, v, &nv);
    if (err == 0 && nv == FMT_DLIST_VALUE_SIZE) {
        hd = fmt_bptr_unpack(v);
        tl = fmt_bptr_unpack(v + FMT_PTR_SIZE);
    } else if (err != FS_ENOENT) {
        return err ? err : fs_broke(fs, FS_ECORRUPT, fs->snap.root.addr, "deadlist malformed");
    }
    const uint32_t entry = FMT_DLIST_ENTRY_SIZE;
    uint32_t per = fmt_logspc(fs->block_size) / entry;
#ifdef MUTANT_DLIST_REWRITE_IN_PLACE
    /* Bug (H2): entries go into the committed head block, rewritten in place. */
    if (hd.addr != FMT_ADDR_NIL) {
        struct cblk *ob;
        err = blk_read(fs, hd, BLK_MASK(FMT_TYPE_DLIST), &ob);
        if (err) {
            return err;
        }
        struct fmt_log_header oh;
        fmt_log_header_unpack(ob->buf, &oh);
        uint32_t room = (fmt_logspc(fs->block_size) - oh.logsz) / entry;
        uint32_t m = (ob->flags & CBLK_QUEUED) ? 0 : FS_MIN(room, n);
        for (uint32_t j = 0; j < m; j++) {
            fmt_put64(ob->buf + FMT_LOG_HEADER_SIZE + oh.logsz + entry * j, ks[j].addr);
        }
        if (m > 0) {
            oh.logsz = (uint16_t)(oh.logsz + entry * m);
            oh.logh = fmt_hash(ob->buf + FMT_LOG_HEADER_SIZE, oh.logsz);
            fmt_log_header_pack(ob->buf, &oh);
            ob->hash = fmt_hash(ob->buf, fs->block_size);
            hd.hash = ob->hash;
            tl = tl.addr == hd.addr ? hd : tl;
            err = bio_write(fs, hd.addr, ob->buf);
        }
        blk_put(fs, ob);
        if (err) {
            return err;
        }
        ks += m;
        n -= m;
    }
#endif
    for (uint32_t i = 0; i < n; i += per) {
        struct cblk *b;
        err = blk_new(fs, FMT_TYPE_DLIST, 0, 0, false, &b);
        if (err) {
            return err;
        }
        uint32_t m = FS_MIN(per, n - i);
        for (uint32_t j = 0; j < m; j++) {
            fmt_put64(b->buf + FMT_LOG_HEADER_SIZE + entry * j, ks[i + j].addr);
        }
        struct fmt_log_header h = { FMT_TYPE_DLIST, (uint16_t)(entry * m),
            fmt_hash(b->buf + FMT_LOG_HEADER_SIZE, entry * m), hd };
        fmt_log_header_pack(b->buf, &h);
        hd = blk_finish(fs, b);
        blk_put(fs, b);
        tl = tl.addr == FMT_ADDR_NIL ? hd : tl;
    }
    fmt_bptr_pack(mb.v, hd);
    fmt_bptr_pack(mb.v + FMT_PTR_SIZE, tl);
    struct msg m = { mb.k, mb.v, nk, FMT_DLIST_VALUE_SIZE, FMT_OP_INSERT };
    return tree_upsert(fs, &fs->snap, &m, 1);
}

/* Writes every pending kill into its deadlist. */
static int
dl_sync(struct fs *fs)
{
    if (fs->kill_count == 0) {
        return 0;
    }
    qsort(fs->kills, fs->kill_count, sizeof(struct kill), kill_order);
    uint32_t i = 0;
    while (i < fs->kill_count) {
        uint32_t j = i;
        while (j < fs->kill_count && fs->kills[j].killer == fs->kills[i].killer
                && fs->kills[j].birth == fs->kills[i].birth) {
            j++;
        }
        int err = dl_append(fs, fs->kills[i].killer, fs->kills[i].birth, fs->kills + i, j - i);
        if (err) {
            return err;
        }
        i = j;
    }
    fs->kill_count = 0;
    return 0;
}

int
snap_dl_read(struct fs *fs, struct bptr hd, uint64_t index, struct bptr bp, struct cblk **out,
        struct fmt_log_header *h)
{
    ASSERT(bp.addr != FMT_ADDR_NIL);
    ASSERT(out != NULL && h != NULL);
    if (index > fs->block_count) {
        return fs_broke(fs, FS_ECORRUPT, hd.addr, "deadlist chain loops");
    }
    int err = blk_read(fs, bp, BLK_MASK(FMT_TYPE_DLIST), out);
    if (err) {
        return err;
    }
    fmt_log_header_unpack((*out)->buf, h);
    return 0;
}

enum dl_fate { DL_FREE, DL_MERGE, DL_DROP };

/* Walks deadlist chain hd: frees or merges its entries, frees its blocks. */
static int
dl_consume(struct fs *fs, struct bptr hd, enum dl_fate fate, uint64_t into, uint64_t birth)
{
    struct bptr bp = hd;
    for (uint64_t count = 0; bp.addr != FMT_ADDR_NIL; count++) {
        struct cblk *b;
        struct fmt_log_header h;
        int err = snap_dl_read(fs, hd, count, bp, &b, &h);
        if (err) {
            return err;
        }
        for (uint32_t i = 0; i + FMT_DLIST_ENTRY_SIZE <= h.logsz && !err;
                i += FMT_DLIST_ENTRY_SIZE) {
            uint64_t addr = fmt_get64(b->buf + FMT_LOG_HEADER_SIZE + i);
            if (fate == DL_FREE) {
                err = blk_free_deferred(fs, addr);
            } else if (fate == DL_MERGE) {
                err = kill_push(fs, into, birth, addr);
            }
        }
        struct bptr next = h.logp;
        if (!err) {
            err = blk_free_deferred(fs, bp.addr);
        }
        blk_put(fs, b);
        if (err) {
            return err;
        }
        bp = next;
    }
    return 0;
}

struct dlref {
    uint64_t birth;         /* Birth generation of the deadlist. */
    struct bptr hd;         /* Its newest block. */
};

struct dlscan {
    struct dlref refs[DLREF_BATCH];     /* Collected deadlists. */
    uint32_t count;                     /* Entries. */
    uint64_t above;                     /* Only births greater than this (or all). */
    bool all;                           /* Ignore above. */
};

static int
dlscan_fn(void *arg, const struct kv *kv)
{
    struct dlscan *s = arg;
    if (kv->nk != FMT_KDLIST_SIZE || kv->nv != FMT_DLIST_VALUE_SIZE) {
        return FS_ECORRUPT;
    }
    uint64_t birth = key_dlist_birth(kv->k);
    if (!s->all && birth <= s->above) {
        return 0;
    }
    s->refs[s->count++] = (struct dlref){ birth, fmt_bptr_unpack(kv->v) };
    return s->count == DLREF_BATCH ? 1 : 0;
}

/* Reclaims the deadlists (killer, b) with b above `above` (every b if all):
 * those still alive in p (b <= p) merge into s or are dropped without a
 * successor; the rest are freed. */
static int
dl_reclaim(struct fs *fs, uint64_t killer, bool all, uint64_t above, uint64_t p, uint64_t s)
{
    uint8_t prefix[FMT_KEY_MAX];
    uint16_t nprefix = key_prefix(prefix, FMT_KDLIST, killer);
    /* Each round deletes the keys it found and looks again: a reclaim that
     * needs more rounds is deleting keys that do not go away (a damaged tree). */
    uint64_t round_max = tree_batch_rounds_max(fs, FMT_KDLIST_SIZE, FMT_DLIST_VALUE_SIZE,
            DLREF_BATCH);
    for (uint64_t round = 0; round < round_max; round++) {
        struct dlscan scan = { .count = 0, .above = above, .all = all };
        int err = tree_scan(fs, &fs->snap, NULL, 0, prefix, nprefix, dlscan_fn, &scan);
        if (err) {
            return err == FS_ECORRUPT ? fs_broke(fs, err, fs->snap.root.addr,
                    "deadlist key malformed") : err;
        }
        if (scan.count == 0) {
            return 0;
        }
        struct msg dels[DLREF_BATCH];
        uint8_t keys[DLREF_BATCH][FMT_KDLIST_SIZE];
        for (uint32_t i = 0; i < scan.count; i++) {
            struct dlref *r = &scan.refs[i];
#ifdef MUTANT_DELETE_MERGE_WRONG_BIRTH
            bool keep = p != GEN_NONE && r->birth < p;     /* Bug: birth p itself is freed. */
#else
            bool keep = p != GEN_NONE && r->birth <= p;
#endif
            enum dl_fate fate = !keep ? DL_FREE : s != GEN_NONE ? DL_MERGE : DL_DROP;
            err = dl_consume(fs, r->hd, fate, s, r->birth);
            if (err) {
                return err;
            }
            dels[i] = (struct msg){ keys[i], NULL, key_dlist(keys[i], killer, r->birth), 0,
                FMT_OP_DELETE };
        }
        err = tree_upsert(fs, &fs->snap, dels, scan.count);
        if (err) {
            return err;
        }
    }
    return fs_broke(fs, FS_ECORRUPT, fs->snap.root.addr,
            "more deadlists than the snapshot tree holds (a cycle?)");
}

/* Pending kills by s that were born after p were alive only in the snapshot
 * being deleted: free them instead of writing them to a deadlist. */
static int
kills_reclaim(struct fs *fs, uint64_t s, uint64_t p)
{
    uint32_t keep = 0;
    for (uint32_t i = 0; i < fs->kill_count; i++) {
        struct kill k = fs->kills[i];
        if (k.killer == s && (p == GEN_NONE || k.birth > p)) {
            int err = blk_free_deferred(fs, k.addr);
            if (err) {
                return err;
            }
        } else {
            fs->kills[keep++] = k;
        }
    }
    fs->kill_count = keep;
    return 0;
}

static int
reclaim(struct fs *fs, uint64_t g, uint64_t p, uint64_t s)
{
    FS_PROBE(SNAP_RECLAIM);
    int err = dl_reclaim(fs, g, true, 0, p, s);
    if (!err && s != GEN_NONE) {
        err = dl_reclaim(fs, s, p == GEN_NONE, p, p, s);
    }
    if (!err && s != GEN_NONE) {
        err = kills_reclaim(fs, s, p);
    }
    return err;
}

struct sweep {
    struct fs *fs;          /* The file system. */
    uint64_t pred;          /* Blocks born after it belong to the deleted snapshot. */
};

static bool
sweep_owned(const struct sweep *s, uint64_t gen)
{
    return s->pred == GEN_NONE || gen > s->pred;
}

static int
sweep_data(struct sweep *s, const uint8_t *k, const uint8_t *v, uint16_t nv)
{
    if (k[0] != FMT_KDAT || nv != FMT_PTR_SIZE) {
        return 0;
    }
    struct bptr d = fmt_bptr_unpack(v);
    return sweep_owned(s, d.gen) ? blk_free_deferred(s->fs, d.addr) : 0;
}

/* Frees an owned node and the owned data it points at: leaf values and, in a
 * pivot, buffered inserts (both are allocated until a flush releases them). */
static int
sweep_fn(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    struct sweep *s = arg;
    uint32_t bs = s->fs->block_size;
    if (!sweep_owned(s, bp.gen)) {
        return 1;                   /* Shared with the predecessor, children too. */
    }
    int err = 0;
    for (uint16_t i = 0; height == 1 && !err && i < tree_node_count(buf); i++) {
        struct kv kv = tree_node_val(bs, buf, i);
        err = sweep_data(s, kv.k, kv.v, kv.nv);
    }
    for (uint16_t i = 0; !err && i < tree_node_msg_count(buf); i++) {
        struct msg m = tree_node_msg(bs, buf, i);
        err = m.op == FMT_OP_INSERT ? sweep_data(s, m.k, m.v, m.nv) : 0;
    }
    return err ? err : blk_free_deferred(s->fs, bp.addr);
}

/* Frees the blocks of a deleted leaf snapshot's tree born after its pred. */
static int
sweep(struct fs *fs, const struct fmt_tree *r)
{
    struct tree t = { .root = r->root, .height = r->height, .gen = r->gen, .memgen = r->gen + 1,
        .pred = r->pred, .base = r->base };
    struct sweep s = { fs, r->pred };
    return tree_walk(fs, &t, sweep_fn, &s);
}

struct find_succ {
    uint64_t pred;          /* Looking for the record whose pred is this. */
    uint64_t found;         /* Its gen, or GEN_NONE. */
};

static int
find_succ_fn(void *arg, const struct kv *kv)
{
    struct find_succ *f = arg;
    if (kv->nv != FMT_TREE_SIZE) {
        return 0;
    }
    struct fmt_tree r;
    fmt_tree_unpack(kv->v, &r);
    if (r.pred != f->pred) {
        return 0;
    }
    f->found = r.gen;
    return 1;
}

/* The one successor of record r (its chain successor or its fork). */
static int
successor(struct fs *fs, const struct fmt_tree *r, uint64_t *s)
{
    *s = GEN_NONE;
    if (r->nref == 0) {
        return 0;
    }
    if (r->succ != GEN_NONE) {
        *s = r->succ;
        return 0;
    }
    uint8_t prefix[1] = { FMT_KSNAP };
    struct find_succ f = { r->gen, GEN_NONE };
    int err = tree_scan(fs, &fs->snap, NULL, 0, prefix, 1, find_succ_fn, &f);
    *s = f.found;
    return err;
}

/* Deletes record g (no labels, at most one successor), reclaiming, and goes
 * on to its predecessor if that is left unlabelled with at most one successor. */
static int
record_delete(struct fs *fs, uint64_t g)
{
    for (uint32_t depth = 0; g != GEN_NONE; depth++) {
        ASSERT(depth <= fs->block_count);
        struct fmt_tree r;
        uint64_t s;
        int err = record_get(fs, g, &r);
        if (!err) {
            err = successor(fs, &r, &s);
        }
        struct fmt_tree sr;
        if (!err && s != GEN_NONE) {
            err = record_get(fs, s, &sr);
        }
        if (!err && s != GEN_NONE && sr.base == g) {
            /* g is the base of a fork: the fork never recorded its kills of
             * g's blocks (they were g's to free), so g stays, unlabelled,
             * until the fork is gone; deleting the fork comes back here. */
            return 0;
        }
        if (!err) {
            err = reclaim(fs, g, r.pred, s);
        }
        if (!err && s == GEN_NONE) {
            err = sweep(fs, &r);
        }
        if (err) {
            return err;
        }
        struct mbuf mb[3];
        struct msg m[3];
        uint32_t n = 0;
        m[n++] = (struct msg){ mb[0].k, NULL, key_snap(mb[0].k, g), 0, FMT_OP_DELETE };
        if (s != GEN_NONE) {
            m[n++] = msg_link(&mb[1], FMT_OP_REPREV, s, r.pred, 0, 0);
        }
        struct fmt_tree pr;
        bool cascade = false;
        if (r.pred != GEN_NONE) {
            err = record_get(fs, r.pred, &pr);
            if (err) {
                return err;
            }
            uint64_t link = pr.succ == g ? s : pr.succ;
            m[n++] = msg_link(&mb[2], FMT_OP_RELINK, r.pred, link, 0, s == GEN_NONE ? -1 : 0);
            cascade = s == GEN_NONE && pr.nlbl == 0 && pr.nref <= 2;
        }
        if (fs->tree.gen == s) {
            fs->tree.pred = r.pred;
        }
        err = tree_upsert(fs, &fs->snap, m, n);
        if (err) {
            return err;
        }
        g = cascade ? r.pred : GEN_NONE;
    }
    return 0;
}

/* Commits the mounted tree as a new record t and moves its label there. The
 * previous record o, if the label was all that kept it, is deleted and
 * merged into t. */
static int
updatesnap(struct fs *fs)
{
    struct tree *T = &fs->tree;
    struct fmt_tree o, pr;
    int err = record_get(fs, T->gen, &o);
    if (err) {
        return err;
    }
    struct fmt_tree t = { .nref = 0, .nlbl = 1, .height = T->height, .gen = T->memgen,
        .pred = o.gen, .succ = GEN_NONE, .base = o.base, .root = T->root };
    struct mbuf mb[4];
    struct msg m[4];
    uint32_t n = 0;
    bool merge = o.nlbl == 1 && o.nref == 0;
    if (merge) {
        err = reclaim(fs, o.gen, o.pred, t.gen);
        if (!err && o.pred != GEN_NONE) {
            err = record_get(fs, o.pred, &pr);
        }
        if (err) {
            return err;
        }
        t.pred = o.pred;
        m[n++] = (struct msg){ mb[0].k, NULL, key_snap(mb[0].k, o.gen), 0, FMT_OP_DELETE };
        if (o.pred != GEN_NONE && pr.succ == o.gen) {
            m[n++] = msg_link(&mb[1], FMT_OP_RELINK, o.pred, t.gen, 0, 0);
        }
    } else {
        m[n++] = msg_link(&mb[0], FMT_OP_RELINK, o.gen, t.gen, -1, 1);
    }
    m[n++] = msg_record(&mb[2], &t);
    m[n++] = msg_label(&mb[3], fs->label, t.gen, FMT_LABEL_MUTABLE);
    err = tree_upsert(fs, &fs->snap, m, n);
    if (err) {
        return err;
    }
    T->gen = t.gen;
    T->pred = t.pred;
    T->memgen = fs->nextgen++;
    T->dirty = false;
    return 0;
}

int
snap_commit(struct fs *fs)
{
    int err = 0;
    if (fs->tree_mutable && fs->tree.dirty) {
        err = updatesnap(fs);
    }
    if (!err) {
        err = dl_sync(fs);
    }
    return err;
}

/* Builds the empty root directory: its entry and its up-link. */
static int
root_dir(struct fs *fs, struct tree *t)
{
    struct mbuf ent, up;
    struct fmt_dirent d = { .qid = fs->nextqid++, .qtype = FMT_QID_DIR,
        .mode = FMT_MODE_DIR | 0755, .atime_ns = fs->clock_ns, .mtime_ns = fs->clock_ns };
    fmt_dirent_pack(ent.v, &d);
    uint16_t nk = key_ent(ent.k, QID_NONE, "", 0);
    memcpy(up.v, ent.k, nk);
    struct msg m[2] = {
        { ent.k, ent.v, nk, FMT_DIRENT_SIZE, FMT_OP_INSERT },
        { up.k, up.v, key_up(up.k, d.qid), nk, FMT_OP_INSERT },
    };
    return tree_upsert(fs, t, m, 2);
}

int
snap_format(struct fs *fs)
{
    fs->snap = (struct tree){ .height = 1, .memgen = 0, .pred = GEN_NONE, .base = GEN_NONE,
        .is_snap = true };
    fs->tree = (struct tree){ .height = 1, .gen = 1, .memgen = 1, .pred = GEN_NONE,
        .base = GEN_NONE };
    fs->nextgen = 2;
    fs->nextqid = 1;
    int err = tree_new_empty(fs, &fs->snap, &fs->snap.root);
    if (!err) {
        err = tree_new_empty(fs, &fs->tree, &fs->tree.root);
    }
    if (!err) {
        err = root_dir(fs, &fs->tree);
    }
    if (err) {
        return err;
    }
    struct fmt_tree r = { .nref = 0, .nlbl = 1, .height = fs->tree.height, .gen = 1,
        .pred = GEN_NONE, .succ = GEN_NONE, .base = GEN_NONE, .root = fs->tree.root };
    struct mbuf mb[2];
    struct msg m[2] = { msg_record(&mb[0], &r), msg_label(&mb[1], "main", 1, FMT_LABEL_MUTABLE) };
    fs->tree.dirty = false;
    return tree_upsert(fs, &fs->snap, m, 2);
}

int
snap_mount(struct fs *fs, const char *label)
{
    fs->snap = (struct tree){ .root = fs->sb.snap_root, .height = fs->sb.snap_height,
        .memgen = 0, .pred = GEN_NONE, .base = GEN_NONE, .is_snap = true };
    fs->snap.root.gen = 0;
    label = label != NULL ? label : "main";
    if (strlen(label) == 0 || strlen(label) > FMT_NAME_MAX) {
        return FS_EINVAL;
    }
    snprintf(fs->label, sizeof(fs->label), "%s", label);
    uint64_t gen;
    uint32_t flags;
    int err = label_get(fs, label, &gen, &flags);
    struct fmt_tree r;
    if (!err) {
        err = record_get(fs, gen, &r);
    }
    if (err) {
        return err;
    }
    fs->tree = (struct tree){ .root = r.root, .height = r.height, .gen = r.gen,
        .memgen = GEN_NONE, .pred = r.pred, .base = r.base };
    fs->tree_mutable = (flags & FMT_LABEL_MUTABLE) && !fs->config.read_only;
    if (fs->tree_mutable) {
        fs->tree.memgen = fs->nextgen++;
    }
    return 0;
}

/* ---- The snapshot operations (their commits are fs.c's). ---- */

int
snap_name_check(const char *name)
{
    size_t n = strlen(name);
    if (fmt_name_check((const uint8_t *)name, n) != NULL) {
        return FS_EINVAL;               /* The rules of file names (format.h). */
    }
    return n > FMT_NAME_MAX ? FS_ENAMETOOLONG : 0;
}

/* FROM's snapshot and record, once NAME is known to be free. */
/* A snapshot operation has changed the snapshot tree, which tree_upsert
 * marked dirty so the next sync writes it. The seeded bug SNAP_OP_NOT_DIRTY
 * (fs/mutants.h) forgets that here. */
static void
snap_op_done(struct fs *fs)
{
#ifdef MUTANT_SNAP_OP_NOT_DIRTY
    fs->snap.dirty = false;     /* Bug: the snapshot operation does not mark the snap tree. */
#else
    (void)fs;
#endif
}

static int
snap_source(struct fs *fs, const char *from, const char *name, uint64_t *gen,
        struct fmt_tree *r)
{
    uint64_t g;
    uint32_t flags;
    int err = 0;
    if (label_get(fs, name, &g, &flags) == 0) {
        err = FS_EEXIST;
    }
    if (!err) {
        err = label_get(fs, from, gen, &flags);
    }
    if (!err) {
        err = record_get(fs, *gen, r);
    }
    return err;
}

int
snap_label(struct fs *fs, const char *from, const char *name)
{
    ASSERT(!fs->read_only);
    uint64_t gen;
    struct fmt_tree r;
    int err = snap_source(fs, from, name, &gen, &r);
    if (err) {
        return err;
    }
    struct mbuf mb[2];
    struct msg m[2] = { msg_label(&mb[0], name, gen, 0),
        msg_link(&mb[1], FMT_OP_RELINK, gen, r.succ, 1, 0) };
    err = tree_upsert(fs, &fs->snap, m, 2);
    snap_op_done(fs);
    return err;
}

int
snap_fork(struct fs *fs, const char *from, const char *name)
{
    ASSERT(!fs->read_only);
    uint64_t gen;
    struct fmt_tree r;
    int err = snap_source(fs, from, name, &gen, &r);
    if (err) {
        return err;
    }
    if (fs_counter_exhausted(fs->nextgen)) {
        return FS_ENOSPC;       /* No generation left to give. */
    }
    struct fmt_tree f = { .nref = 0, .nlbl = 1, .height = r.height, .gen = fs->nextgen++,
        .pred = gen, .succ = GEN_NONE, .base = gen, .root = r.root };
    struct mbuf mb[3];
    struct msg m[3] = { msg_label(&mb[0], name, f.gen, FMT_LABEL_MUTABLE),
        msg_record(&mb[1], &f), msg_link(&mb[2], FMT_OP_RELINK, gen, r.succ, 0, 1) };
    err = tree_upsert(fs, &fs->snap, m, 3);
    snap_op_done(fs);
    return err;
}

int
snap_delete(struct fs *fs, const char *name)
{
    ASSERT(!fs->read_only);
    ASSERT(strcmp(name, fs->label) != 0);
    uint64_t gen;
    uint32_t flags;
    struct fmt_tree r;
    int err = label_get(fs, name, &gen, &flags);
    if (!err) {
        err = record_get(fs, gen, &r);
    }
    if (err) {
        return err;
    }
    fs->use_reserve = true;
    struct mbuf mb[2];
    struct msg m[2] = {
        { mb[0].k, NULL, key_label(mb[0].k, name, strlen(name)), 0, FMT_OP_DELETE },
        msg_link(&mb[1], FMT_OP_RELINK, gen, r.succ, -1, 0),
    };
    err = tree_upsert(fs, &fs->snap, m, 2);
    if (!err && r.nlbl == 1 && r.nref <= 1) {
        err = record_delete(fs, gen);
        /* Half done: the label went, and reclaiming may have queued frees
         * of blocks the record still holds. Committing that would free them
         * twice; stop writing instead, and the last commit stands. */
        err = err && !fs->broken ? fs_broke(fs, err, fs->snap.root.addr,
                "snapshot delete failed after its label went") : err;
    }
    snap_op_done(fs);
    fs->use_reserve = false;
    return err;
}

struct list_ctx {
    struct fs *fs;                                          /* The file system. */
    int (*fn)(void *arg, const struct fs_snapinfo *info);   /* The caller's callback. */
    void *arg;                                              /* Its argument. */
};

static int
list_fn(void *arg, const struct kv *kv)
{
    struct list_ctx *c = arg;
    /* The name goes to the caller as a string: one fmt_name_check refuses
     * (a NUL inside, say) would name another label, or none. */
    if (kv->nv != FMT_LABEL_VALUE_SIZE || kv->nk < 2 || kv->nk > FMT_NAME_MAX + 1
            || fmt_name_check(kv->k + 1, kv->nk - 1u) != NULL) {
        return fs_broke(c->fs, FS_ECORRUPT, c->fs->snap.root.addr, "label malformed");
    }
    struct fs_snapinfo i;
    memset(&i, 0, sizeof(i));
    memcpy(i.name, kv->k + 1, kv->nk - 1u);
    i.gen = fmt_label_snapid(kv->v);
    i.mutable = (fmt_label_flags(kv->v) & FMT_LABEL_MUTABLE) != 0;
    struct fmt_tree r;
    int err = record_get(c->fs, i.gen, &r);     /* A lookup inside a scan: reads only. */
    if (err) {
        return err;
    }
    i.pred = r.pred;
    i.succ = r.succ;
    i.base = r.base;
    i.nlbl = r.nlbl;
    i.nref = r.nref;
    i.height = r.height;
    return c->fn(c->arg, &i);
}

int
fs_snap_list(struct fs *fs, int (*fn)(void *arg, const struct fs_snapinfo *info), void *arg)
{
    struct list_ctx c = { fs, fn, arg };
    uint8_t prefix[1] = { FMT_KLABEL };
    return tree_scan(fs, &fs->snap, NULL, 0, prefix, 1, list_fn, &c);
}

int
fs_view(struct fs *fs, const char *label)
{
    if (label == NULL || strcmp(label, fs->label) == 0) {
        fs->viewing = false;
        return 0;
    }
    uint64_t gen;
    uint32_t flags;
    struct fmt_tree r;
    int err = label_get(fs, label, &gen, &flags);
    if (!err) {
        err = record_get(fs, gen, &r);
    }
    if (err) {
        return err;
    }
    fs->view = (struct tree){ .root = r.root, .height = r.height, .gen = r.gen,
        .memgen = GEN_NONE, .pred = r.pred, .base = r.base };
    fs->viewing = true;
    return 0;
}
