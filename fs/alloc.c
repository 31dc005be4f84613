/*
 * fs/alloc.c: arenas, free maps and allocation logs (see alloc.h).
 *
 * The free map is a sorted array of ranges sized at mount for the worst case
 * (every other block free), so nothing is allocated afterwards. Ranges never
 * overlap or touch: inserting a range coalesces it with its neighbours.
 *
 * Layering: the allocator reads and writes its log blocks through block I/O
 * (bio.h) and nothing else; the block cache and write queue (blk.h) sit above
 * it and call in to allocate and free.
 */
#include "alloc.h"

#include <string.h>

#include "bio.h"
#include "probes.h"

#define ARENA_ROTATE_ALLOC_COUNT 2048u  /* Allocations before the arena choice moves on. */

uint64_t
alloc_reserve_bytes(uint64_t size, uint32_t block_size)
{
    /* GEFS keeps size/1024 clamped to [512 KiB, 8 MiB]; small arenas need a
     * proportionate reserve, enough for a remove's copy-on-write path, log
     * growth and a sync. */
    uint64_t r = size / 16;
    r = FS_MAX(r, 8ull * block_size);
    r = FS_MIN(r, 8ull << 20);
    r = FS_MIN(r, size / 4);
    return r - r % block_size;
}

uint32_t
alloc_free_cap(uint64_t size, uint32_t block_size)
{
    return (uint32_t)(size / block_size / 2 + 2);
}

uint32_t
alloc_chain_cap(uint64_t size, uint32_t block_size)
{
    return (uint32_t)(size / block_size + 1);
}

static uint64_t
usable_start(const struct fs *fs, const struct arena *a)
{
    return a->start + 2ull * fs->block_size;
}

struct arena *
alloc_arena_of(struct fs *fs, uint64_t addr)
{
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        struct arena *a = &fs->arenas[i];
        uint64_t lo = usable_start(fs, a);
        if (addr >= lo && addr - lo < a->size) {
            return a;
        }
    }
    return NULL;
}

/* Index of the first range starting above off. */
static uint32_t
fmap_upper(const struct arena *a, uint64_t off)
{
    uint32_t lo = 0, hi = a->free_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (a->free[mid].off <= off) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static void
fmap_open(struct arena *a, uint32_t i)
{
    ASSERT(a->free_count < a->free_cap);
    memmove(&a->free[i + 1], &a->free[i], (a->free_count - i) * sizeof(struct range));
    a->free_count++;
}

static void
fmap_close(struct arena *a, uint32_t i)
{
    ASSERT(i < a->free_count);
    memmove(&a->free[i], &a->free[i + 1], (a->free_count - i - 1) * sizeof(struct range));
    a->free_count--;
}

/* Adds [off, off+len) to the free map; false if any of it is free already. */
static bool
fmap_insert(struct arena *a, uint64_t off, uint64_t len)
{
    ASSERT(len > 0);
    uint32_t i = fmap_upper(a, off);
    struct range *prev = i > 0 ? &a->free[i - 1] : NULL;
    struct range *next = i < a->free_count ? &a->free[i] : NULL;
    if ((prev != NULL && prev->off + prev->len > off) || (next != NULL && off + len > next->off)) {
        return false;
    }
    bool join_prev = prev != NULL && prev->off + prev->len == off;
    bool join_next = next != NULL && off + len == next->off;
#ifdef MUTANT_FMAP_COALESCE_GAP
    /* Bug: a neighbour one block (len) away counts as touching; the merge
     * swallows the block between, which is in use. */
    if (next != NULL && !join_next && off + 2 * len == next->off) {
        len = 2 * len;
        join_next = true;
    }
#endif
    if (join_prev && join_next) {
        prev->len += len + next->len;
        fmap_close(a, i);
    } else if (join_prev) {
        prev->len += len;
    } else if (join_next) {
        next->off = off;
        next->len += len;
    } else {
        fmap_open(a, i);
        a->free[i] = (struct range){ off, len };
    }
    a->free_bytes += len;
    return true;
}

/* Removes [off, off+len) from the free map; false unless all of it is free. */
static bool
fmap_remove(struct arena *a, uint64_t off, uint64_t len)
{
    ASSERT(len > 0);
    uint32_t i = fmap_upper(a, off);
    if (i == 0) {
        return false;
    }
    struct range *r = &a->free[i - 1];
    if (off + len > r->off + r->len || off + len < off) {
        return false;
    }
    if (off == r->off && len == r->len) {
        fmap_close(a, i - 1);
    } else if (off == r->off) {
        r->off += len;
        r->len -= len;
    } else if (off + len == r->off + r->len) {
        r->len -= len;
    } else {
        if (a->free_count == a->free_cap) {
            return false;
        }
        uint64_t end = r->off + r->len;
        r->len = off - r->off;
        fmap_open(a, i);
        a->free[i] = (struct range){ off + len, end - off - len };
    }
    a->free_bytes -= len;
    return true;
}

bool
alloc_range_is_free(const struct arena *a, uint64_t off, uint64_t len)
{
    uint32_t i = fmap_upper(a, off);
    if (i == 0) {
        return false;
    }
    const struct range *r = &a->free[i - 1];
    return off + len <= r->off + r->len;
}

/* Takes one block: the lowest address for seq, else the highest. */
static bool
fmap_take(struct fs *fs, struct arena *a, bool seq, uint64_t *addr)
{
    if (a->free_count == 0) {
        return false;
    }
    uint64_t bs = fs->block_size;
    struct range *r = seq ? &a->free[0] : &a->free[a->free_count - 1];
    *addr = seq ? r->off : r->off + r->len - bs;
    bool ok = fmap_remove(a, *addr, bs);
    ASSERT(ok);
    return true;
}

/* Seals the in-memory tail: packs its header with logp. */
static void
log_seal(struct fs *fs, struct arena *a, struct bptr logp)
{
    ASSERT(a->logsz <= fmt_logspc(fs->block_size));
    struct fmt_log_header h = {
        .type = FMT_TYPE_LOG,
        .logsz = (uint16_t)a->logsz,
        .logh = fmt_hash(a->logtl + FMT_LOG_HEADER_SIZE, a->logsz),
        .logp = logp,
    };
    fmt_log_header_pack(a->logtl, &h);
}

static void
log_put(struct arena *a, uint64_t word)
{
    fmt_put64(a->logtl + FMT_LOG_HEADER_SIZE + a->logsz, word);
    a->logsz += FMT_LOG_WORD_SIZE;
    a->logtl_dirty = true;
}

/* Chains a new block onto the full tail: the new block is written first, then
 * the old tail (now recording the new block's allocation and pointing at it)
 * is rewritten in place. */
static int
log_grow(struct fs *fs, struct arena *a)
{
    uint64_t o;
    if (!fmap_take(fs, a, false, &o)) {
        fs->stats.enospc_count++;
        return fs_broke(fs, FS_ENOSPC, a->start, "no block left to grow the allocation log");
    }
    ASSERT(a->log_block_count < a->chain_cap);
    a->used += fs->block_size;
#ifndef MUTANT_LOG_GROW_UNRECORDED
    log_put(a, o | FMT_LOG_ALLOC1);
#endif
    bio_history_note(fs, o, 'a');

    uint8_t *nb = fs->scratch;
    memset(nb, 0, fs->block_size);
    struct fmt_log_header h = { FMT_TYPE_LOG, 0, fmt_hash(NULL, 0), BPTR_NIL };
    fmt_log_header_pack(nb, &h);
    log_seal(fs, a, (struct bptr){ o, fmt_hash(nb, fs->block_size), FMT_ADDR_NIL });

    bio_mark(fs, BDEV_MARK_LOG_GROW);
#ifdef MUTANT_LOG_GROW_TAIL_FIRST
    /* Bug: the old tail points at a block not yet written. */
    int err = bio_write(fs, a->logtl_addr, a->logtl);
    if (!err) {
        err = bio_write(fs, o, nb);
    }
#else
    int err = bio_write(fs, o, nb);
    if (!err) {
        err = bio_write(fs, a->logtl_addr, a->logtl);
    }
#endif
    memcpy(a->logtl, nb, fs->block_size);
    a->logtl_addr = o;
    a->logsz = 0;
    a->logtl_dirty = false;
    a->chain[a->log_block_count++] = o;
    fs->stats.log_grow_count++;
    FS_PROBE(SYNC_LOG_GROW);
    return err;
}

static int
log_append(struct fs *fs, struct arena *a, uint64_t w0, uint64_t len)
{
    ASSERT((w0 & FMT_LOG_OP_MASK) >= FMT_LOG_ALLOC1 && (w0 & FMT_LOG_OP_MASK) <= FMT_LOG_FREE);
    if (a->logsz >= fmt_logspc(fs->block_size) - FMT_LOG_SLOP) {
        int err = log_grow(fs, a);
        if (err) {
            return err;
        }
    }
    log_put(a, w0);
    if ((w0 & FMT_LOG_OP_MASK) >= FMT_LOG_WIDE) {
        log_put(a, len);
    }
    return 0;
}

static int
log_range(struct fs *fs, struct arena *a, uint64_t off, uint64_t len, bool alloc)
{
    if (len == fs->block_size) {
        return log_append(fs, a, off | (alloc ? FMT_LOG_ALLOC1 : FMT_LOG_FREE1), 0);
    }
    return log_append(fs, a, off | (alloc ? FMT_LOG_ALLOC : FMT_LOG_FREE), len);
}

/* Arena choice (GEFS): metadata and data in different arenas, moving on every
 * ARENA_ROTATE_ALLOC_COUNT allocations; each retry tries the next arena. */
static struct arena *
pick_arena(struct fs *fs, uint16_t type, uint64_t hint, uint32_t tries)
{
    uint64_t n = fs->arena_count;
    uint64_t r = fs->alloc_count / ARENA_ROTATE_ALLOC_COUNT + tries;
    if (type == FMT_TYPE_DATA && n > 1) {
        return &fs->arenas[(hint % (n - 1) + r + 1) % n];
    }
    return &fs->arenas[r % n];
}

int
alloc_block(struct fs *fs, uint16_t type, uint64_t hint, bool seq, uint64_t *addr)
{
    ASSERT(!fs->read_only);
    ASSERT(addr != NULL);
    uint64_t bs = fs->block_size;
    for (uint32_t tries = 0; tries < fs->arena_count; tries++) {
        struct arena *a = pick_arena(fs, type, hint, tries);
        uint64_t keep = fs->use_reserve ? bs : FS_MAX(a->reserve, bs);
        if (a->free_bytes <= keep) {
            continue;       /* One block always stays for log growth. */
        }
        bool ok = fmap_take(fs, a, seq, addr);
        ASSERT(ok);
        a->used += bs;
        fs->alloc_count++;
        fs->dirty = true;
        bio_history_note(fs, *addr, 'a');
        return log_range(fs, a, *addr, bs, true);
    }
    fs->stats.enospc_count++;
    return FS_ENOSPC;
}

/* The arena a free of addr goes to, or NULL (the file system broken) when
 * addr is no block of any arena: outside them all, or not block-aligned. */
static struct arena *
arena_checked(struct fs *fs, uint64_t addr)
{
    struct arena *a = alloc_arena_of(fs, addr);
    if (a == NULL || addr % fs->block_size != 0) {
        fs_broke(fs, FS_ECORRUPT, addr, "free of an address outside every arena");
        return NULL;
    }
    return a;
}

int
alloc_free_now(struct fs *fs, uint64_t addr)
{
    struct arena *a = arena_checked(fs, addr);
    if (a == NULL) {
        return FS_ECORRUPT;
    }
    if (!fmap_insert(a, addr, fs->block_size)) {
        return fs_broke(fs, FS_ECORRUPT, addr, "free of a block that is free already");
    }
    ASSERT(a->used >= fs->block_size);
    a->used -= fs->block_size;
    bio_history_note(fs, addr, 'f');
    return log_range(fs, a, addr, fs->block_size, false);
}

int
alloc_defer(struct fs *fs, uint64_t addr)
{
    struct arena *a = arena_checked(fs, addr);
    if (a == NULL) {
        return FS_ECORRUPT;
    }
    if (alloc_range_is_free(a, addr, fs->block_size)) {
        return fs_broke(fs, FS_ECORRUPT, addr, "deferred free of a block that is free");
    }
#ifdef MUTANT_DEFERRED_FREE_AT_ONCE
    return alloc_free_now(fs, addr);    /* Bug (H1): reusable before the commit is durable. */
#endif
    if (fs->deferred_count == fs->deferred_cap) {
        /* One entry per block: a sound image frees each block once a commit. */
        return fs_broke(fs, FS_ECORRUPT, addr,
                "more deferred frees than blocks: a block freed twice");
    }
    fs->deferred[fs->deferred_count++] = addr;
    bio_history_note(fs, addr, 'd');
    return 0;
}

int
alloc_log_deferred(struct fs *fs)
{
    for (; fs->deferred_logged < fs->deferred_count; fs->deferred_logged++) {
        uint64_t addr = fs->deferred[fs->deferred_logged];
        struct arena *a = alloc_arena_of(fs, addr);
        ASSERT(a != NULL);                      /* Checked by alloc_defer. */
        if (a->used < fs->block_size) {         /* A block freed twice, deferred both times. */
            return fs_broke(fs, FS_ECORRUPT, addr, "deferred free of more blocks than are in use");
        }
        a->used -= fs->block_size;
        int err = log_range(fs, a, addr, fs->block_size, false);
        if (err) {
            return err;
        }
    }
    return 0;
}

int
alloc_release(struct fs *fs, uint64_t addr)
{
    struct arena *a = alloc_arena_of(fs, addr);
    ASSERT(a != NULL);
    if (!fmap_insert(a, addr, fs->block_size)) {
        return fs_broke(fs, FS_ECORRUPT, addr, "deferred free of a block that is free");
    }
    bio_history_note(fs, addr, 'f');
    FS_PROBE(SYNC_DEFERRED);
    return 0;
}

void
alloc_arena_format(struct fs *fs, struct arena *a)
{
    uint64_t lo = usable_start(fs, a);
    a->free_count = 0;
    a->free_bytes = 0;
    a->used = 0;
    bool ok = fmap_insert(a, lo, a->size);
    ASSERT(ok);
    uint64_t log;
    ok = fmap_take(fs, a, true, &log);
    ASSERT(ok && log == lo);
    a->used = fs->block_size;
    memset(a->logtl, 0, fs->block_size);
    a->logtl_addr = log;
    a->logsz = 0;
    log_put(a, lo | FMT_LOG_FREE);
    log_put(a, a->size);
    log_put(a, log | FMT_LOG_ALLOC1);
    a->loghd = (struct bptr){ log, FMT_ADDR_NIL, FMT_ADDR_NIL };
    a->chain[0] = log;
    a->log_block_count = 1;
    a->log_block_count_last = 1;
    a->log_cut_block = 0;
    a->log_cut_size = 0;
}

/* Validates one log entry's range against the arena. */
static const char *
entry_range_check(const struct fs *fs, const struct arena *a, uint64_t off, uint64_t len)
{
    uint64_t lo = usable_start(fs, a);
    if (len == 0 || len % fs->block_size != 0 || off % fs->block_size != 0) {
        return "log entry with a misaligned range";
    }
    if (off < lo || off - lo > a->size || len > a->size - (off - lo)) {
        return "log entry outside its arena";
    }
    return NULL;
}

/* Applies the entries of one log block; sets *cut to the barrier's end if it
 * holds the committed barrier, else leaves it at UINT32_MAX. */
static const char *
replay_block(struct fs *fs, struct arena *a, const uint8_t *d, uint32_t logsz, uint32_t *cut)
{
    const uint32_t word = FMT_LOG_WORD_SIZE;
    uint32_t i = 0;
    while (i < logsz) {
        if (logsz - i < word) {
            return "log entry cut short";
        }
        uint64_t w = fmt_get64(d + i);
        uint32_t op = (uint32_t)(w & FMT_LOG_OP_MASK);
        if (op == FMT_LOG_SYNC) {
            i += word;
#ifdef MUTANT_REPLAY_PAST_BARRIER
            continue;
#endif
            if ((w >> FMT_LOG_QGEN_SHIFT) >= fs->sb.qgen) {
                *cut = i;       /* Keep the committed barrier, drop what follows. */
#ifdef MUTANT_REPLAY_KEEP_ONE_PAST
                if (i < logsz) {    /* Bug: the first entry after the barrier survives. */
                    uint32_t op2 = (uint32_t)(fmt_get64(d + i) & FMT_LOG_OP_MASK);
                    uint32_t n2 = op2 >= FMT_LOG_WIDE && op2 <= FMT_LOG_FREE ? 2 * word : word;
                    *cut = FS_MIN(i + n2, logsz);
                    return replay_block(fs, a, d + i, *cut - i, &(uint32_t){ UINT32_MAX });
                }
#endif
                FS_PROBE(LOG_REPLAY_CUT);
                return NULL;
            }
            FS_PROBE(LOG_REPLAY_OLD_SYNC);
            continue;
        }
        if (op < FMT_LOG_ALLOC1 || op > FMT_LOG_FREE) {
            return "invalid log op";
        }
        uint32_t n = op >= FMT_LOG_WIDE ? 2 * word : word;
        if (logsz - i < n) {
            return "log entry cut short";
        }
        uint64_t off = w & ~(uint64_t)FMT_LOG_OP_MASK;
        uint64_t len = op >= FMT_LOG_WIDE ? fmt_get64(d + i + word) : fs->block_size;
        const char *why = entry_range_check(fs, a, off, len);
        if (why != NULL) {
            return why;
        }
        if (op == FMT_LOG_ALLOC1 || op == FMT_LOG_ALLOC) {
            if (!fmap_remove(a, off, len)) {
                return "log allocates space that is not free";
            }
            a->used += len;
        } else {
            if (a->used < len || !fmap_insert(a, off, len)) {
                return "log frees space that is free already";
            }
            a->used -= len;
        }
        i += n;
    }
    return NULL;
}

int
alloc_replay(struct fs *fs, struct arena *a, const char **why)
{
    ASSERT(why != NULL);
    a->free_count = 0;
    a->free_bytes = 0;
    a->used = a->size;
    a->log_block_count = 0;
    a->log_cut_block = 0;
    a->log_cut_size = 0;
    uint64_t addr = a->loghd.addr;
    for (;;) {
        *why = entry_range_check(fs, a, addr, fs->block_size);
        if (*why != NULL) {
            return FS_ECORRUPT;
        }
        if (a->log_block_count == a->chain_cap) {
            *why = "log chain longer than its arena (a cycle?)";
            return FS_ECORRUPT;
        }
        a->chain[a->log_block_count++] = addr;
        int err = bio_read(fs, addr, a->logtl);
        if (err) {
            *why = "device read failed";
            return err;
        }
        *why = bio_verify(fs, a->logtl, FMT_TYPE_LOG);
        if (*why != NULL) {
            return FS_ECORRUPT;
        }
        struct fmt_log_header h;
        fmt_log_header_unpack(a->logtl, &h);
        uint32_t cut = UINT32_MAX;
        *why = replay_block(fs, a, a->logtl + FMT_LOG_HEADER_SIZE, h.logsz, &cut);
        if (*why != NULL) {
            return FS_ECORRUPT;
        }
        a->logtl_addr = addr;
        a->logsz = h.logsz;
        a->logtl_dirty = false;
        if (cut != UINT32_MAX) {
            fs->stats.log_truncated_bytes += h.logsz - cut;
            if (cut != h.logsz) {
                FS_PROBE(LOG_TRUNCATE_TAIL);
            }
            fs->stats.log_cut_arena_count += cut != h.logsz || h.logp.addr != FMT_ADDR_NIL;
            fs->stats.log_cut_block_max = FS_MAX(fs->stats.log_cut_block_max,
                    a->log_block_count);
            a->log_cut_block = a->log_block_count;
            a->log_cut_size = h.logsz - cut;
            a->logtl_dirty = cut != h.logsz || h.logp.addr != FMT_ADDR_NIL;
            a->logsz = cut;
            memset(a->logtl + FMT_LOG_HEADER_SIZE + cut, 0, fmt_logspc(fs->block_size) - cut);
            break;
        }
        if (h.logp.addr == FMT_ADDR_NIL) {
            FS_PROBE(LOG_REPLAY_TO_END);
            break;
        }
        FS_PROBE(LOG_REPLAY_CHAIN);
        addr = h.logp.addr;
    }
    a->log_block_count_last = 0;        /* GEFS: the first sync after mount compresses. */
    return 0;
}

bool
alloc_compress_due(const struct arena *a)
{
    return a->log_block_count >= 2 * a->log_block_count_last;
}

/* Blocks a compressed log of the current free map needs, pessimistically. */
static uint32_t
compress_block_count(const struct fs *fs, const struct arena *a)
{
    uint64_t room = fmt_logspc(fs->block_size) - FMT_LOG_SLOP;
    uint64_t sz = 2ull * FMT_LOG_WORD_SIZE * a->free_count;     /* One Free entry a range. */
    return (uint32_t)((sz + room) / room + sz / room + 1);
}

/* Writes the compressed chain: one Free entry per free range. All blocks but
 * the last are written now; the last becomes the in-memory tail. */
static int
compress_write(struct fs *fs, struct arena *a, uint32_t *used_count)
{
    uint64_t room = fmt_logspc(fs->block_size) - FMT_LOG_SLOP;
    uint32_t k = 0;
    memset(a->logtl, 0, fs->block_size);
    a->logtl_addr = fs->compress_blocks[k++];
    a->logsz = 0;
    for (uint32_t i = 0; i < a->free_count; i++) {
        if (a->logsz >= room) {
            ASSERT(k < *used_count);
            uint64_t next = fs->compress_blocks[k++];
            log_seal(fs, a, (struct bptr){ next, FMT_ADDR_NIL, FMT_ADDR_NIL });
            int err = bio_write(fs, a->logtl_addr, a->logtl);
            if (err) {
                return err;
            }
            memset(a->logtl, 0, fs->block_size);
            a->logtl_addr = next;
            a->logsz = 0;
        }
        struct range r = a->free[i];
        bool one = r.len == fs->block_size;
        log_put(a, r.off | (one ? FMT_LOG_FREE1 : FMT_LOG_FREE));
        if (!one) {
            log_put(a, r.len);
        }
    }
    *used_count = k;
    return 0;
}

int
alloc_compress(struct fs *fs, struct arena *a)
{
    ASSERT(!fs->read_only);
    uint32_t n = compress_block_count(fs, a);
    if (n > fs->compress_cap || a->free_bytes < (n + 1ull) * fs->block_size) {
        fs->stats.compress_no_room_count++;
        FS_PROBE(SYNC_COMPRESS_NO_ROOM);
        return 0;       /* No room: keep the long log; compression is an optimisation. */
    }
    bio_mark(fs, BDEV_MARK_LOG_COMPRESS);
    for (uint32_t i = 0; i < n; i++) {
        bool ok = fmap_take(fs, a, true, &fs->compress_blocks[i]);
        ASSERT(ok);     /* Unlogged: implicit in the new image. */
        a->used += fs->block_size;
    }
    for (uint32_t i = 0; i < a->log_block_count; i++) {
        ASSERT(fs->deferred_count < fs->deferred_cap);
        fs->deferred[fs->deferred_count++] = a->chain[i];   /* The old chain. */
    }
    uint32_t used_count = n;
    int err = compress_write(fs, a, &used_count);
    if (err) {
        return err;
    }
    a->loghd = (struct bptr){ fs->compress_blocks[0], FMT_ADDR_NIL, FMT_ADDR_NIL };
    for (uint32_t i = 0; i < used_count; i++) {
        a->chain[i] = fs->compress_blocks[i];
    }
    a->log_block_count = used_count;
    a->log_block_count_last = used_count;
    fs->stats.log_compress_count++;
    for (uint32_t i = used_count; i < n; i++) {
        err = alloc_free_now(fs, fs->compress_blocks[i]);
        if (err) {
            return err;
        }
    }
    return 0;
}

int
alloc_barrier(struct fs *fs, struct arena *a, uint64_t qgen)
{
    ASSERT(!fs->read_only);
    ASSERT(qgen < FMT_QGEN_LIMIT);
    if (a->logsz >= fmt_logspc(fs->block_size) - FMT_LOG_SLOP) {
        int err = log_grow(fs, a);
        if (err) {
            return err;
        }
    }
    log_put(a, (qgen << FMT_LOG_QGEN_SHIFT) | FMT_LOG_SYNC);
    log_seal(fs, a, BPTR_NIL);
#ifdef MUTANT_BARRIER_TAIL_UNWRITTEN
    /* Bug: the tail with the barrier stays in memory; only log growth writes it. */
#else
    int err = bio_write(fs, a->logtl_addr, a->logtl);
    if (err) {
        return err;
    }
    a->logtl_dirty = false;
#endif
#ifdef MUTANT_ARENA_HASH_STALE
    a->hdr_hash = fmt_hash(a->hdr, fs->block_size);    /* Bug: hash of the previous packing. */
#endif
    a->hdr_fields = (struct fmt_arena_header){
        .loghd_addr = a->loghd.addr,
        .loghd_hash = a->loghd.hash,
        .size = a->size,
        .used = a->used,
    };
    fmt_arena_header_pack(a->hdr, fs->block_size, &a->hdr_fields);
#ifndef MUTANT_ARENA_HASH_STALE
    a->hdr_hash = fmt_hash(a->hdr, fs->block_size);
#endif
    return 0;
}
