/*
 * fs/blk.c: verified block reads through the cache, copy-on-write block
 * creation, frees and the write queue (see blk.h).
 *
 * This layer sits on the allocator and the block I/O below it: blk_new asks
 * alloc.c for an address, the frees hand addresses back to it, and draining
 * the queue's pass-4 entries releases deferred frees into the free map.
 * Verification is bio.c's table; this file knows no structure of a block but
 * its type field.
 */
#include "blk.h"

#include <string.h>

#include "alloc.h"
#include "cache.h"

static void wq_push(struct fs *fs, struct wq_entry e);

/* A free cache slot for addr, draining the write queue if every slot is held. */
static int
claim_slot(struct fs *fs, uint64_t addr, struct cblk **out)
{
    struct cblk *b = cache_claim(fs, addr);
    if (b == NULL) {
        int err = wq_drain(fs);
        if (err) {
            return err;
        }
        b = cache_claim(fs, addr);
    }
    if (b == NULL) {
        return FS_ENOMEM;       /* Every slot is held by a caller: cache too small. */
    }
    *out = b;
    return 0;
}

/* The block's type if the mask accepts it, else BLK_TYPE_NONE. Raw data has
 * no type field: a data-only mask takes the block as data. */
static uint16_t
type_from_mask(const uint8_t *buf, uint32_t type_mask)
{
    if (type_mask == BLK_MASK(FMT_TYPE_DATA)) {
        return FMT_TYPE_DATA;
    }
    uint16_t t = fmt_block_type(buf);
    return (t < BLK_MASK_TYPE_LIMIT && (type_mask & BLK_MASK(t))) ? t : BLK_TYPE_NONE;
}

/* Whether a block of this type is verified by its pointer's hash: log and
 * deadlist blocks are chained by address (format.h seals their bytes). */
static bool
hash_checked(uint16_t type)
{
#ifdef MUTANT_DATA_NO_VERIFY
    if (type == FMT_TYPE_DATA) {
        return false;           /* Bug: data blocks are trusted as read. */
    }
#endif
    return type != FMT_TYPE_LOG && type != FMT_TYPE_DLIST;
}

/* A cached block holds the device's bytes, verified when they were read, so
 * a pointer that does not match it fails for the reason a read of those
 * bytes would give (blk_read): the type first, then the hash. The reason
 * then does not depend on what happens to be cached, and a memoized check
 * reports what a full one does. */
static int
blk_hit(struct fs *fs, struct cblk *b, struct bptr bp, uint32_t type_mask, struct cblk **out)
{
    const char *why = (type_mask & BLK_MASK(b->type)) == 0 ? "unexpected block type"
        : hash_checked(b->type) && b->hash != bp.hash ? "block hash mismatch" : NULL;
    if (why != NULL) {
        cache_put(fs, b);
        return fs_broke(fs, FS_ECORRUPT, bp.addr, why);
    }
    *out = b;
    return 0;
}

static int
bptr_check(struct fs *fs, struct bptr bp)
{
    if (bp.addr == FMT_ADDR_NIL || bp.addr % fs->block_size != 0
            || bp.addr / fs->block_size >= fs->block_count) {
        return fs_broke(fs, FS_ECORRUPT, bp.addr, "block pointer outside the device");
    }
    return 0;
}

int
blk_read(struct fs *fs, struct bptr bp, uint32_t type_mask, struct cblk **out)
{
    ASSERT(type_mask != 0);
    ASSERT(out != NULL);
    int err = bptr_check(fs, bp);
    if (err) {
        return err;
    }
    struct cblk *b = cache_lookup(fs, bp.addr);
    if (b != NULL) {
        return blk_hit(fs, b, bp, type_mask, out);
    }
    err = claim_slot(fs, bp.addr, &b);
    if (err) {
        return err;
    }
    uint64_t hash;
    err = bio_read_hashed(fs, bp.addr, b->buf, &hash);
    if (err) {
        cache_forget(fs, b);
        cache_put(fs, b);
        return fs_broke(fs, err, bp.addr, "device read failed");
    }
    uint16_t type = type_from_mask(b->buf, type_mask);
    const char *why = type == BLK_TYPE_NONE ? "unexpected block type"
        : bio_verify(fs, b->buf, type);
    b->hash = hash;
    if (why == NULL && hash_checked(type) && b->hash != bp.hash) {
        why = "block hash mismatch";
    }
    if (why != NULL) {
        cache_forget(fs, b);
        cache_put(fs, b);
        return fs_broke(fs, FS_ECORRUPT, bp.addr, why);
    }
    b->type = type;
    b->gen = bp.gen;
    *out = b;
    return 0;
}

/* A data block whose hash the device knew: cached as blk_read would cache it
 * (its bytes read, not hashed), so what later reads of the block find in the
 * cache — and so every verdict — does not depend on whether the hash was
 * known. */
static int
data_cache(struct fs *fs, struct bptr bp, uint64_t hash)
{
    struct cblk *b;
    int err = claim_slot(fs, bp.addr, &b);
    if (err) {
        return err;
    }
    err = bio_read(fs, bp.addr, b->buf);
    if (err) {
        cache_forget(fs, b);
        cache_put(fs, b);
        return fs_broke(fs, err, bp.addr, "device read failed");
    }
    b->hash = hash;
    b->type = FMT_TYPE_DATA;
    b->gen = bp.gen;
    blk_put(fs, b);
    return 0;
}

int
blk_data_hash(struct fs *fs, struct bptr bp, uint64_t *hash)
{
    int err = bptr_check(fs, bp);
    if (err) {
        return err;
    }
    struct cblk *b = cache_lookup(fs, bp.addr);
    if (b != NULL) {
        err = blk_hit(fs, b, bp, BLK_MASK(FMT_TYPE_DATA), &b);
    } else if (bio_hash_known(fs, bp.addr, hash)) {
        if (hash_checked(FMT_TYPE_DATA) && *hash != bp.hash) {
            return fs_broke(fs, FS_ECORRUPT, bp.addr, "block hash mismatch");
        }
        return data_cache(fs, bp, *hash);
    } else {
        err = blk_read(fs, bp, BLK_MASK(FMT_TYPE_DATA), &b);
    }
    if (!err) {
        *hash = b->hash;
        blk_put(fs, b);
    }
    return err;
}

void
blk_put(struct fs *fs, struct cblk *b)
{
    ASSERT(b != NULL);
    cache_put(fs, b);
}

int
blk_new(struct fs *fs, uint16_t type, uint64_t gen, uint64_t hint, bool seq, struct cblk **out)
{
    ASSERT(type <= FMT_TYPE_ARENA);
    ASSERT(!fs->read_only);
    uint64_t addr;
    int err = alloc_block(fs, type, hint, seq, &addr);
    if (err) {
        return err;
    }
    struct cblk *b;
    err = claim_slot(fs, addr, &b);
    if (err) {
        int err2 = alloc_free_now(fs, addr);
        return err2 ? err2 : err;
    }
    memset(b->buf, 0, fs->block_size);
    b->type = type;
    b->gen = gen;
    b->flags = CBLK_DIRTY;
    fs->dirty = true;
    *out = b;
    return 0;
}

struct bptr
blk_finish(struct fs *fs, struct cblk *b)
{
    ASSERT(b->flags == CBLK_DIRTY);
    ASSERT(bio_verify(fs, b->buf, b->type) == NULL);     /* Ours: never write a bad block. */
    b->hash = fmt_hash(b->buf, fs->block_size);
    cache_hold(fs, b);                                   /* The queue's reference. */
    b->flags |= CBLK_QUEUED;
    wq_push(fs, (struct wq_entry){ fs->qgen, b->addr, WQ_WRITE, b, NULL });
    return (struct bptr){ b->addr, b->hash, b->gen };
}

/* Cancels a pending write of addr and drops it from the cache. An address
 * no block has (a deadlist entry read from the device may say anything) is
 * in no cache slot: the free that follows refuses it as corruption. */
static void
blk_forget(struct fs *fs, uint64_t addr)
{
    if (addr % fs->block_size != 0 || addr / fs->block_size >= fs->block_count) {
        return;
    }
    struct cblk *b = cache_lookup(fs, addr);
    if (b == NULL) {
        return;
    }
    if (b->flags & CBLK_QUEUED) {
        b->flags |= CBLK_FREED;
        fs->stats.write_cancel_count++;
        bio_history_note(fs, addr, 'c');
    }
    cache_forget(fs, b);
    cache_put(fs, b);
}

int
blk_free_now(struct fs *fs, uint64_t addr)
{
    ASSERT(!fs->read_only);
    blk_forget(fs, addr);
    fs->dirty = true;
    return alloc_free_now(fs, addr);
}

void
blk_free_undo(struct fs *fs, uint64_t addr)
{
    blk_forget(fs, addr);
    if (!fs->read_only) {
        (void)blk_free_now(fs, addr);   /* A failure breaks the fs: the rest are moot. */
    }
}

int
blk_free_deferred(struct fs *fs, uint64_t addr)
{
    ASSERT(!fs->read_only);
    blk_forget(fs, addr);
    fs->dirty = true;
    return alloc_defer(fs, addr);
}

/* Heap order: qgen, then op (fence < write < free), then address. */
static bool
wq_before(const struct wq_entry *a, const struct wq_entry *b)
{
#ifdef MUTANT_WQ_ADDR_ORDER
    if (a->addr != b->addr) {
        return a->addr < b->addr;       /* Bug: the address alone orders the queue. */
    }
#endif
    if (a->qgen != b->qgen) {
        return a->qgen < b->qgen;
    }
    if (a->op != b->op) {
        return a->op < b->op;
    }
    return a->addr < b->addr;
}

static void
wq_push(struct fs *fs, struct wq_entry e)
{
    ASSERT(e.op >= WQ_FENCE && e.op <= WQ_FREE);
    if (fs->wq_count == fs->wq_cap) {
        (void)wq_drain(fs);     /* Errors are sticky in fs->broken; the sync reports them. */
    }
    ASSERT(fs->wq_count < fs->wq_cap);
    uint32_t i = fs->wq_count++;
    while (i > 0 && wq_before(&e, &fs->wq[(i - 1) / 2])) {
        fs->wq[i] = fs->wq[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    fs->wq[i] = e;
}

static struct wq_entry
wq_pop(struct fs *fs)
{
    ASSERT(fs->wq_count > 0);
    struct wq_entry top = fs->wq[0];
    struct wq_entry last = fs->wq[--fs->wq_count];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        const struct wq_entry *best = &last;
        if (l < fs->wq_count && wq_before(&fs->wq[l], best)) {
            m = l;
            best = &fs->wq[l];
        }
        if (l + 1 < fs->wq_count && wq_before(&fs->wq[l + 1], best)) {
            m = l + 1;
        }
        if (m == i) {
            break;
        }
        fs->wq[i] = fs->wq[m];
        i = m;
    }
    if (fs->wq_count > 0) {
        fs->wq[i] = last;
    }
    return top;
}

void
wq_push_raw(struct fs *fs, uint64_t addr, const uint8_t *buf)
{
    ASSERT(buf != NULL);
    wq_push(fs, (struct wq_entry){ fs->qgen, addr, WQ_WRITE, NULL, buf });
}

void
wq_push_fence(struct fs *fs)
{
    wq_push(fs, (struct wq_entry){ fs->qgen, 0, WQ_FENCE, NULL, NULL });
}

void
wq_push_free(struct fs *fs, uint64_t addr)
{
    wq_push(fs, (struct wq_entry){ fs->qgen, addr, WQ_FREE, NULL, NULL });
}

/* Entering the queue generation of sync pass 2, 3 or 4: flush first in the
 * hardened profile, then tell the device which pass begins. */
static int
wq_boundary(struct fs *fs, uint64_t qgen, uint32_t *passes_seen)
{
    for (uint32_t k = 2; k < 5; k++) {
        if (fs->pass_qgen[k] != qgen || (*passes_seen & (1u << k))) {
            continue;
        }
        *passes_seen |= 1u << k;
#ifdef MUTANT_HARDENED_NO_FLUSH_BEFORE_SUPER
        int err = fs->config.flush_at_pass_boundaries && k != 2 ? bio_flush(fs) : 0;  /* Bug. */
#else
        int err = fs->config.flush_at_pass_boundaries ? bio_flush(fs) : 0;
#endif
        bio_mark(fs, (enum bdev_mark)(BDEV_MARK_SYNC_PASS0 + k));
        return err;
    }
    return 0;
}

static int
wq_issue(struct fs *fs, const struct wq_entry *e)
{
    if (e->op == WQ_FREE) {
        return fs->broken ? FS_EROFS : alloc_release(fs, e->addr);
    }
    if (e->op == WQ_FENCE) {
        return 0;
    }
    if (e->raw != NULL) {
        return bio_write(fs, e->addr, e->raw);
    }
    struct cblk *b = e->b;
    ASSERT(b->flags & CBLK_QUEUED);
    int err = 0;
    if ((b->flags & CBLK_FREED) == 0) {
        ASSERT(fmt_hash(b->buf, fs->block_size) == b->hash);   /* Sealed blocks never change. */
        err = bio_write(fs, b->addr, b->buf);
    }
    b->flags = 0;
    cache_put(fs, b);
    return err;
}

int
wq_drain(struct fs *fs)
{
    int first_err = 0;
    uint32_t passes_seen = 0;
    while (fs->wq_count > 0) {
        struct wq_entry e = wq_pop(fs);
        int err = wq_boundary(fs, e.qgen, &passes_seen);
        if (!err) {
            err = wq_issue(fs, &e);
        } else if (e.b != NULL) {
            e.b->flags = 0;
            cache_put(fs, e.b);
        }
        if (err && !first_err) {
            first_err = err;
        }
    }
    return first_err;
}
