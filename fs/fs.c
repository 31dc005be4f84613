/*
 * fs/fs.c: format, mount (recovery), the multi-pass sync, unmount.
 *
 * Sync (GEFS.md §9), with Q the queue generation on entry:
 *   pass 0  qgen = Q+1. Compress logs that doubled; log deferred frees; append
 *           Sync(Q+1) to every arena's log and write each tail in place; pack
 *           the arena headers and the superblock.
 *   pass 1  every block written since the last commit, and every h0 (Q+1).
 *   pass 2  sb0, sb1 (Q+2).
 *   pass 3  every h1 (Q+3).
 *   pass 4  a fence (Q+4), then the deferred frees become allocatable.
 * The first copy written must never be the only one the durable superblock
 * can use. After a crash between pass 2 and pass 3, mount finds h1 stale (h0
 * alone carries the hash sb0 records) and perhaps sb1 stale (sb0 alone is
 * new): the first sync after that mount writes the stale copies first — an
 * arena's h1 in pass 1 and its h0 in pass 3; and when sb1 is stale, sb1
 * alone in pass 2, sb0 in pass 3 and the second header copies in pass 4,
 * since mount takes sb0 whenever it verifies — so a crash, a lost write
 * within a flush epoch or a torn superblock in that sync always leaves a
 * superblock whose headers agree (docs/DESIGN.md, "Crash protocol"; found by
 * nested crashes).
 * The queue issues passes 1-4 in generation order. The hardened profile
 * (flush_at_pass_boundaries) flushes the device before each pass after 0.
 *
 * Mount: sb0 if it verifies, else sb1; per arena the header copy whose hash
 * the superblock records (h0, else h1); replay of each allocation log up to
 * the committed barrier. Anything else is FS_ECORRUPT with a reason.
 *
 * This is the top of the file system (docs/DESIGN.md, "Layers of fs/"): it
 * may call every layer, and it wires the two calls that go up, so that no
 * layer names the one above it: the block layer's verifier table (the tree's
 * node verifier, format.h's log verifier) and the tree's release hook
 * (snap_release). The snapshot operations commit here too: snap.c changes
 * the snapshot tree, fs.c syncs before and after.
 */
#include "fs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "blk.h"
#include "cache.h"
#include "probes.h"
#include "snap.h"
#include "state.h"
#include "treenode.h"
#include "treeupdate.h"

#define CARVE_ALIGN 64u

static size_t
carve_size(size_t n)
{
    return (n + CARVE_ALIGN - 1) & ~(size_t)(CARVE_ALIGN - 1);
}

static void *
carve(uint8_t **p, size_t n)
{
    void *r = *p;
    *p += carve_size(n);
    return r;
}

uint32_t
fs_arena_count_default(uint32_t block_size, uint64_t block_count)
{
    ASSERT(fmt_block_size_valid(block_size));
    uint64_t n = block_count / 256;     /* About 4 MiB of 16 KiB blocks per arena. */
    n = FS_MAX(n, 1);
    n = FS_MIN(n, 8);
    return (uint32_t)n;
}

#define ARENA_SPAN_BLOCKS_MIN 8u

STATIC_ASSERT(FMT_BLOCK_COUNT_MIN == 2 + ARENA_SPAN_BLOCKS_MIN, "two superblocks, one arena");

/* Everything a mounted fs needs, sized from its geometry and configuration. */
static size_t
fs_mem_size(uint32_t block_size, uint64_t block_count, uint32_t arena_count,
        const uint64_t *arena_sizes, uint32_t cache_count)
{
    size_t n = carve_size(sizeof(struct fs));
    n += carve_size(cache_mem_size(cache_count, block_size));
    uint64_t compress_cap = 0;
    for (uint32_t i = 0; i < arena_count; i++) {
        uint32_t fcap = alloc_free_cap(arena_sizes[i], block_size);
        n += carve_size(fcap * sizeof(struct range));
        n += carve_size(alloc_chain_cap(arena_sizes[i], block_size) * sizeof(uint64_t));
        n += 2 * carve_size(block_size);      /* Log tail, header. */
        compress_cap = FS_MAX(compress_cap, 32ull * fcap / block_size + 4);
    }
    n += carve_size(block_count * sizeof(uint64_t));                  /* Deferred frees. */
    n += carve_size((cache_count + 4ull * arena_count + 16) * sizeof(struct wq_entry));
    n += carve_size(compress_cap * sizeof(uint64_t));
    n += 2 * carve_size(block_size);          /* Scratch, superblock image. */
    n += carve_size(tree_ws_size(block_size));
    n += carve_size(block_count * sizeof(struct kill));
    uint32_t wcap = FS_MIN(FS_WRITE_ATOMIC_BLOCKS, tree_batch_max(block_size) - 1);
    n += carve_size(sizeof(struct wbatch)) + carve_size((wcap + 1) * sizeof(struct msg))
        + carve_size((wcap + 1) * (size_t)FMT_KEY_MAX)
        + carve_size((wcap + 1) * (size_t)WBATCH_VALUE_SIZE) + carve_size(wcap * sizeof(uint64_t));
    return n;
}

/* The calls that go up a layer: block verifiers by type, and the tree's
 * kill-or-free. Every other call in fs/ goes down. */
static void
fs_wire(struct fs *fs)
{
    bio_verifier_set(fs, FMT_TYPE_PIVOT, tree_node_verify);
    bio_verifier_set(fs, FMT_TYPE_LEAF, tree_node_verify);
    bio_verifier_set(fs, FMT_TYPE_LOG, fmt_log_verify);
    bio_verifier_set(fs, FMT_TYPE_DLIST, fmt_log_verify);
    bio_verifier_set(fs, FMT_TYPE_ARENA, bio_verify_type_only);
    fs->tree_release = snap_release;
}

static struct fs *
fs_alloc(const struct bdev *bdev, const struct fs_config *config, uint32_t arena_count,
        const uint64_t *arena_starts, const uint64_t *arena_sizes)
{
    uint32_t bs = bdev->block_size;
    uint32_t cache_count = config->cache_block_count ? config->cache_block_count
        : FS_CACHE_BLOCKS_DEFAULT;
    cache_count = FS_MAX(cache_count, FS_CACHE_BLOCKS_MIN);
    size_t size = fs_mem_size(bs, bdev->block_count, arena_count, arena_sizes, cache_count);
    /* Not calloc: the region is megabytes and every part of it is set up by
     * its owner before use, so zeroing it all at every mount would dominate
     * the cost of checking a crash state. */
    bool lent = config->mem != NULL && size <= config->mem_size;
    uint8_t *p = lent ? config->mem : malloc(size);
    if (p == NULL) {
        return NULL;
    }
    uint8_t *base = p;
    struct fs *fs = carve(&p, sizeof(struct fs));
    memset(fs, 0, sizeof(*fs));
    fs->mem = base;
    fs->mem_lent = lent;
    fs->bdev = bdev;
    fs->config = *config;
    fs->config.cache_block_count = cache_count;
    fs->block_size = bs;
    fs->block_count = bdev->block_count;
    fs->read_only = config->read_only;
    fs_wire(fs);
    cache_init(fs, cache_count, carve(&p, cache_mem_size(cache_count, bs)));
    uint64_t compress_cap = 0;
    fs->arena_count = arena_count;
    for (uint32_t i = 0; i < arena_count; i++) {
        struct arena *a = &fs->arenas[i];
        a->start = arena_starts[i];
        a->size = arena_sizes[i];
        a->reserve = alloc_reserve_bytes(a->size, bs);
        a->free_cap = alloc_free_cap(a->size, bs);
        a->free = carve(&p, a->free_cap * sizeof(struct range));
        a->chain_cap = alloc_chain_cap(a->size, bs);
        a->chain = carve(&p, a->chain_cap * sizeof(uint64_t));
        a->logtl = carve(&p, bs);
        a->hdr = carve(&p, bs);
        compress_cap = FS_MAX(compress_cap, 32ull * a->free_cap / bs + 4);
    }
    fs->deferred_cap = (uint32_t)bdev->block_count;
    fs->deferred = carve(&p, fs->deferred_cap * sizeof(uint64_t));
    fs->wq_cap = cache_count + 4 * arena_count + 16;
    fs->wq = carve(&p, fs->wq_cap * sizeof(struct wq_entry));
    fs->compress_cap = (uint32_t)compress_cap;
    fs->compress_blocks = carve(&p, compress_cap * sizeof(uint64_t));
    fs->scratch = carve(&p, bs);
    fs->sbbuf = carve(&p, bs);
    tree_ws_init(fs, carve(&p, tree_ws_size(bs)));
    fs->kill_cap = (uint32_t)bdev->block_count;
    fs->kills = carve(&p, fs->kill_cap * sizeof(struct kill));
    uint32_t wcap = FS_MIN(FS_WRITE_ATOMIC_BLOCKS, tree_batch_max(bs) - 1);
    fs->wbatch = carve(&p, sizeof(struct wbatch));
    fs->wbatch->cap = wcap;
    fs->wbatch->msgs = carve(&p, (wcap + 1) * sizeof(struct msg));
    fs->wbatch->keys = carve(&p, (wcap + 1) * (size_t)FMT_KEY_MAX);
    fs->wbatch->vals = carve(&p, (wcap + 1) * (size_t)WBATCH_VALUE_SIZE);
    fs->wbatch->addrs = carve(&p, wcap * sizeof(uint64_t));
    ASSERT((size_t)(p - base) <= size);
    return fs;
}

static void
fs_free(struct fs *fs)
{
    if (!fs->mem_lent) {
        free(fs->mem);
    }
}

static char mount_why[160];

const char *
fs_mount_failure(void)
{
    return mount_why;
}

static int
mount_fail(int err, uint64_t addr, const char *what, const char *why)
{
    if (addr == FMT_ADDR_NIL) {
        snprintf(mount_why, sizeof(mount_why), "%s: %s", what, why);
    } else {
        snprintf(mount_why, sizeof(mount_why), "%s at block %llu: %s", what,
                (unsigned long long)(addr), why);
    }
    return err;
}

static int
super_build(struct fs *fs)
{
    struct fmt_super sb = fs->sb;
    sb.block_size = fs->block_size;
    sb.bufspc = fmt_bufspc(fs->block_size);
    sb.arena_count = fs->arena_count;
    sb.snap_height = fs->snap.height;
    sb.snap_root = fs->snap.root;
#ifdef MUTANT_SNAP_OP_NOT_DIRTY
    if (!fs->snap.dirty && fs->sb.snap_root.addr != 0) {
        sb.snap_height = fs->sb.snap_height;    /* Bug: a clean snap tree keeps the old root. */
        sb.snap_root = fs->sb.snap_root;
    }
    fs->snap.dirty = false;
#endif
    sb.snapdl_hd_addr = sb.snapdl_tl_addr = FMT_ADDR_NIL;
    sb.snapdl_hd_hash = sb.snapdl_tl_hash = FMT_ADDR_NIL;
#ifdef MUTANT_NEXTQID_NOT_PERSISTED
    sb.nextqid = fs->sb.nextqid != 0 ? fs->sb.nextqid : fs->nextqid;   /* Bug: format only. */
#else
    sb.nextqid = fs->nextqid;
#endif
    sb.nextgen = fs->nextgen;
    sb.qgen = fs->qgen;
    sb.block_count = fs->block_count;
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        sb.arena_addr[i] = fs->arenas[i].start;
        sb.arena_hash[i] = fs->arenas[i].hdr_hash;
    }
    fmt_super_pack(fs->sbbuf, fs->block_size, &sb);
    fs->sb = sb;
    return 0;
}

/* Pass 0: everything that must be on disk before the headers: compressed
 * logs, deferred frees and the barrier of every log. */
static int
sync_pass0(struct fs *fs, uint64_t qgen)
{
    bio_mark(fs, BDEV_MARK_SYNC_PASS0);
    int err = snap_commit(fs);
    if (err) {
        return err;
    }
    bool compressed = false;
#ifdef MUTANT_COMPRESS_SWITCH_EARLY
    /* Bug: compress after the barriers, then switch the head in the packed
     * header: the new chain's tail is written only at the next sync. */
    bool due[FMT_ARENA_COUNT_MAX];
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        due[i] = alloc_compress_due(&fs->arenas[i]);
    }
    err = alloc_log_deferred(fs);
    for (uint32_t i = 0; !err && i < fs->arena_count; i++) {
        err = alloc_barrier(fs, &fs->arenas[i], qgen);
    }
    for (uint32_t i = 0; !err && i < fs->arena_count; i++) {
        struct arena *a = &fs->arenas[i];
        if (due[i]) {
            err = alloc_compress(fs, a);
            a->hdr_fields.loghd_addr = a->loghd.addr;
            a->hdr_fields.loghd_hash = a->loghd.hash;
            a->hdr_fields.used = a->used;
            fmt_arena_header_pack(a->hdr, fs->block_size, &a->hdr_fields);
            a->hdr_hash = fmt_hash(a->hdr, fs->block_size);
        }
    }
    return err ? err : super_build(fs);
#endif
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        struct arena *a = &fs->arenas[i];
        if (alloc_compress_due(a)) {
            uint64_t before = fs->stats.log_compress_count;
            err = alloc_compress(fs, a);
            if (err) {
                return err;
            }
            compressed = compressed || fs->stats.log_compress_count != before;
        }
    }
    if (compressed) {
        FS_PROBE(SYNC_COMPRESS);
        bio_mark(fs, BDEV_MARK_SYNC_PASS0);   /* Back from log.compress: the barriers are pass 0. */
    }
#ifndef MUTANT_DEFERRED_LOGGED_LATE
    err = alloc_log_deferred(fs);
    if (err) {
        return err;
    }
#endif
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        err = alloc_barrier(fs, &fs->arenas[i], qgen);
        if (err) {
            return err;
        }
    }
#ifdef MUTANT_DEFERRED_LOGGED_LATE
    /* Bug (GEFS L4): the frees this commit makes are logged after its
     * barrier, so they count only from the next commit on. */
    err = alloc_log_deferred(fs);
    if (err) {
        return err;
    }
#endif
    return super_build(fs);
}

/* Passes 1-4: queue the headers and superblocks a generation apart, then
 * drain the queue in generation order. A stale copy goes first (see the top
 * of this file). */
static int
sync_queue(struct fs *fs, uint64_t q)
{
    uint64_t bs = fs->block_size, sb1 = (fs->block_count - 1) * bs;
#ifdef MUTANT_STALE_COPY_LAST
    fs->sb1_stale = false;                  /* Bug: the stale copies are not written first. */
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        fs->arenas[i].h1_stale = false;
    }
#endif
    bool sb_first = fs->sb1_stale;
#ifdef MUTANT_SUPER_BEFORE_HEADERS
    fs->qgen = fs->pass_qgen[2] = q + 2;    /* Bug: the h0s go out after the superblocks. */
#endif
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        struct arena *a = &fs->arenas[i];
        wq_push_raw(fs, a->start + (a->h1_stale ? bs : 0), a->hdr);
        if (a->h1_stale || sb_first) {
            FS_PROBE(SYNC_STALE_FIRST);
        }
    }
#ifdef MUTANT_HEADERS_SAME_PASS
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        wq_push_raw(fs, fs->arenas[i].start + (fs->arenas[i].h1_stale ? 0 : bs), fs->arenas[i].hdr);
    }
#endif
#ifdef MUTANT_SUPER_BEFORE_HEADERS
    fs->qgen = q + 1;
#else
    fs->qgen = fs->pass_qgen[2] = q + 2;
#endif
    if (!sb_first) {
        wq_push_raw(fs, 0, fs->sbbuf);
    }
    wq_push_raw(fs, sb1, fs->sbbuf);
    fs->qgen = fs->pass_qgen[3] = q + 3;
    if (sb_first) {
        wq_push_raw(fs, 0, fs->sbbuf);      /* sb1 holds the commit: sb0 may tear now, */
        fs->qgen = fs->pass_qgen[4] = q + 4;    /* and the other header copies follow it. */
    }
#ifndef MUTANT_HEADERS_SAME_PASS
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        struct arena *a = &fs->arenas[i];
        wq_push_raw(fs, a->start + (a->h1_stale ? 0 : bs), a->hdr);
    }
#endif
    fs->qgen = fs->pass_qgen[4] = q + 4;
    wq_push_fence(fs);
    for (uint32_t i = 0; i < fs->deferred_count; i++) {
        wq_push_free(fs, fs->deferred[i]);
    }
    bio_mark(fs, BDEV_MARK_SYNC_PASS1);
    int err = wq_drain(fs);
    fs->deferred_count = 0;
    fs->deferred_logged = 0;
    if (!err) {
        fs->sb1_stale = false;              /* Every copy holds this commit. */
        for (uint32_t i = 0; i < fs->arena_count; i++) {
            fs->arenas[i].h1_stale = false;
        }
    }
    return err;
}

int
fs_sync(struct fs *fs)
{
    ASSERT(fs != NULL);
    if (fs->read_only) {
        return FS_EROFS;
    }
    if (!fs->dirty) {
        return 0;
    }
    ASSERT(fs->deferred_logged <= fs->deferred_count);
    if (fs_counter_exhausted(fs->qgen) || fs_counter_exhausted(fs->nextgen)
            || fs_counter_exhausted(fs->nextqid)) {
        return fs_broke(fs, FS_ENOSPC, FMT_ADDR_NIL,
                "a generation, qid or queue counter is exhausted: no superblock can hold it");
    }
    fs->use_reserve = true;
    uint64_t q = fs->qgen;
    memset(fs->pass_qgen, 0, sizeof(fs->pass_qgen));
    fs->qgen = fs->pass_qgen[0] = fs->pass_qgen[1] = q + 1;
    int err = sync_pass0(fs, q + 1);
    if (!err && fs->config.flush_at_pass_boundaries) {
        err = bio_flush(fs);
    }
    if (!err) {
        err = sync_queue(fs, q);
    }
    fs->use_reserve = false;
    if (err) {
        return fs_broke(fs, err, FMT_ADDR_NIL, "sync failed");
    }
    ASSERT(fs->wq_count == 0);
    fs->dirty = false;
    fs->stats.sync_count++;
    bio_mark(fs, BDEV_MARK_SYNC_END);
    return 0;
}

/* The reason for a device above FMT_BLOCK_COUNT_MAX, with the limit in bytes. */
static int
format_too_large(uint32_t block_size, uint64_t block_count)
{
    ASSERT(fmt_block_size_valid(block_size));
    ASSERT(block_count > FMT_BLOCK_COUNT_MAX);
    uint64_t size_max = (uint64_t)FMT_BLOCK_COUNT_MAX * block_size;
    snprintf(mount_why, sizeof(mount_why), "format: device too large (%llu blocks): at most "
            "%u blocks of %u bytes (%llu GiB)", (unsigned long long)block_count,
            FMT_BLOCK_COUNT_MAX, block_size, (unsigned long long)(size_max >> 30));
    return FS_EINVAL;
}

/* Checks the geometry against the limits of fs/format.h before anything is
 * allocated: fs_alloc and fs_check size tables from the block count. */
int
fs_format_validate(uint32_t block_size, uint64_t block_count, uint32_t arena_count)
{
    if (!fmt_block_size_valid(block_size)) {
        return mount_fail(FS_EINVAL, FMT_ADDR_NIL, "format",
                "block size must be a power of two from 4 KiB to 16 KiB");
    }
    if (arena_count < 1 || arena_count > FMT_ARENA_COUNT_MAX) {
        return mount_fail(FS_EINVAL, FMT_ADDR_NIL, "format", "arena count must be 1..32");
    }
    if (block_count > FMT_BLOCK_COUNT_MAX) {
        return format_too_large(block_size, block_count);
    }
    if (block_count < FMT_BLOCK_COUNT_MIN
            || fmt_arena_span_blocks(block_count, arena_count) < ARENA_SPAN_BLOCKS_MIN) {
        return mount_fail(FS_EINVAL, FMT_ADDR_NIL, "format",
                "device too small for the arena count (each arena needs 8 blocks)");
    }
    return 0;
}

static int
format_geometry(const struct bdev *bdev, uint32_t n, uint64_t *starts, uint64_t *sizes)
{
    uint32_t bs = bdev->block_size;
    int err = fs_format_validate(bs, bdev->block_count, n);
    if (err) {
        return err;
    }
    uint64_t span = fmt_arena_span_blocks(bdev->block_count, n);
    for (uint32_t i = 0; i < n; i++) {
        starts[i] = (1 + i * span) * bs;
        sizes[i] = (span - 2) * bs;
    }
    return 0;
}

int
fs_format(const struct bdev *bdev, const struct fs_format_config *config)
{
    ASSERT(bdev != NULL && config != NULL);
    if (!fmt_block_size_valid(bdev->block_size)) {
        return fs_format_validate(bdev->block_size, bdev->block_count, 1);
    }
    uint32_t n = config->arena_count ? config->arena_count
        : fs_arena_count_default(bdev->block_size, bdev->block_count);
    uint64_t starts[FMT_ARENA_COUNT_MAX], sizes[FMT_ARENA_COUNT_MAX];
    int err = format_geometry(bdev, n, starts, sizes);
    if (err) {
        return err;
    }
    struct fs_config fc = { 0 };
    struct fs *fs = fs_alloc(bdev, &fc, n, starts, sizes);
    if (fs == NULL) {
        return FS_ENOMEM;
    }
    for (uint32_t i = 0; i < n; i++) {
        alloc_arena_format(fs, &fs->arenas[i]);
    }
    fs->qgen = 0;
    err = snap_format(fs);
    if (!err) {
        err = fs_sync(fs);
    }
    fs_free(fs);
    return err;
}

/* Whether sb1 is older than sb0 (*sb) or no superblock at all. */
static bool
super_stale(const struct bdev *bdev, uint8_t *buf, const struct fmt_super *sb)
{
    const char *why = NULL;
    struct fmt_super other;
    if (bdev_read_block(bdev, bdev->block_count - 1, buf, &why) != 0) {
        return true;
    }
    return fmt_super_unpack(buf, bdev->block_size, bdev->block_count, &other) != NULL
        || other.qgen != sb->qgen;
}

/* Reads sb0, else sb1, into *sb; with sb0, whether sb1 is stale. */
static int
mount_super(const struct bdev *bdev, uint8_t *buf, struct fmt_super *sb, uint32_t *index,
        bool *sb1_stale, char *sb0_why, size_t sb0_why_size)
{
    const char *why[2] = { NULL, NULL };
    uint64_t where[2] = { 0, bdev->block_count - 1 };
    for (uint32_t i = 0; i < 2; i++) {
        if (bdev_read_block(bdev, where[i], buf, &why[i]) != 0) {
            ASSERT(why[i] != NULL);
        } else {
            why[i] = fmt_super_unpack(buf, bdev->block_size, bdev->block_count, sb);
        }
        if (why[i] == NULL) {
            *index = i;
            if (i == 0) {
                FS_PROBE(MOUNT_SB0);
                *sb1_stale = super_stale(bdev, buf, sb);
            } else {
                FS_PROBE(MOUNT_SB1_FALLBACK);
            }
            snprintf(sb0_why, sb0_why_size, "%s", i == 0 ? "" : why[0]);
            return 0;
        }
    }
    snprintf(mount_why, sizeof(mount_why), "no valid superblock: sb0: %s; sb1: %s", why[0],
            why[1]);
    FS_PROBE(MOUNT_NO_SUPER);
    return FS_ECORRUPT;
}

/* The largest usable size arena i can have: up to the next arena or sb1. */
static uint64_t
arena_size_bound(const struct bdev *bdev, const struct fmt_super *sb, uint32_t i)
{
    uint64_t end = i + 1 < sb->arena_count ? sb->arena_addr[i + 1]
        : (bdev->block_count - 1) * bdev->block_size;
    return end - sb->arena_addr[i] - 2ull * bdev->block_size;
}

static const char *
header_check(struct fs *fs, struct arena *a, uint64_t bound, const struct fmt_arena_header *h)
{
    uint64_t bs = fs->block_size;
    uint64_t lo = a->start + 2 * bs;
    if (h->size == 0 || h->size % bs != 0 || h->size > bound) {
        return "arena size out of range";
    }
    if (h->used > h->size) {
        return "arena used beyond its size";
    }
    if (h->loghd_addr % bs != 0 || h->loghd_addr < lo || h->loghd_addr - lo >= h->size) {
        return "log head outside its arena";
    }
    return NULL;
}

/* Picks h0 if its hash is the one the superblock records, else h1. */
static int
mount_arena(struct fs *fs, uint32_t i, uint64_t bound)
{
    struct arena *a = &fs->arenas[i];
    const char *why = "hash differs from the superblock's";
    for (uint32_t copy = 0; copy < 2; copy++) {
        uint64_t addr = a->start + copy * fs->block_size;
        uint64_t hash;
        if (bio_read_hashed(fs, addr, a->hdr, &hash) != 0) {
            why = "device read failed";
            continue;
        }
        if (fmt_block_type(a->hdr) != FMT_TYPE_ARENA || hash != fs->sb.arena_hash[i]) {
            continue;
        }
        struct fmt_arena_header h;
        fmt_arena_header_unpack(a->hdr, &h);
        why = header_check(fs, a, bound, &h);
        if (why != NULL) {
            continue;
        }
        fs->arena_header_used[i] = copy;
        if (copy == 0) {
            FS_PROBE(MOUNT_H0);
            uint64_t h1;
            a->h1_stale = bio_read_hashed(fs, addr + fs->block_size, fs->scratch, &h1) != 0
                || h1 != fs->sb.arena_hash[i];
        } else {
            FS_PROBE(MOUNT_H1_FALLBACK);
        }
        a->hdr_fields = h;
        a->hdr_hash = fs->sb.arena_hash[i];
        a->size = h.size;
        a->reserve = alloc_reserve_bytes(a->size, fs->block_size);
        a->loghd = (struct bptr){ h.loghd_addr, h.loghd_hash, FMT_ADDR_NIL };
        return 0;
    }
    FS_PROBE(MOUNT_NO_HEADER);
    return mount_fail(FS_ECORRUPT, a->start / fs->block_size, "arena header", why);
}

static int
mount_load(struct fs *fs, const uint64_t *bounds)
{
    fs->qgen = fs->sb.qgen;
    fs->nextqid = fs->sb.nextqid;
    fs->nextgen = fs->sb.nextgen;
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        int err = mount_arena(fs, i, bounds[i]);
        if (err) {
            return err;
        }
    }
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        struct arena *a = &fs->arenas[i];
        const char *why = NULL;
        int err = alloc_replay(fs, a, &why);
        if (err) {
            FS_PROBE(LOG_REPLAY_BAD);
            uint64_t at = a->log_block_count ? a->chain[a->log_block_count - 1] : a->loghd.addr;
            return mount_fail(err, at / fs->block_size, "allocation log", why);
        }
    }
    int err = snap_mount(fs, fs->config.snapshot);
    if (err == FS_ENOENT) {
        return mount_fail(err, FMT_ADDR_NIL, "mount", "no such snapshot label");
    }
    if (err) {
        FS_PROBE(MOUNT_SNAP_BAD);
        return mount_fail(err, fs->broken ? fs->broken_addr / fs->block_size : FMT_ADDR_NIL,
                "snapshot tree", fs->broken ? fs->broken_why : fs_strerror(err));
    }
    return 0;
}

int
fs_mount(struct fs **out, const struct bdev *bdev, const struct fs_config *config)
{
    ASSERT(out != NULL && bdev != NULL && config != NULL);
    *out = NULL;
    mount_why[0] = '\0';
    if (!fmt_block_size_valid(bdev->block_size) || bdev->block_count < 3
            || bdev->block_count > FMT_BLOCK_COUNT_MAX) {
        return mount_fail(FS_EINVAL, FMT_ADDR_NIL, "mount", "device geometry not supported");
    }
    uint8_t *buf = malloc(bdev->block_size);
    if (buf == NULL) {
        return FS_ENOMEM;
    }
    struct fmt_super sb;
    uint32_t index = 0;
    bool sb1_stale = false;
    char sb0_why[64];
    int err = mount_super(bdev, buf, &sb, &index, &sb1_stale, sb0_why, sizeof(sb0_why));
    free(buf);
    if (err) {
        return err;
    }
    uint64_t bounds[FMT_ARENA_COUNT_MAX];
    for (uint32_t i = 0; i < sb.arena_count; i++) {
        bounds[i] = arena_size_bound(bdev, &sb, i);
    }
    struct fs *fs = fs_alloc(bdev, config, sb.arena_count, sb.arena_addr, bounds);
    if (fs == NULL) {
        return FS_ENOMEM;
    }
    fs->sb = sb;
    fs->sb_index = index;
    fs->sb1_stale = sb1_stale;
    snprintf(fs->sb0_why, sizeof(fs->sb0_why), "%s", sb0_why);
    bool read_only = fs->read_only;
    fs->read_only = true;               /* Recovery never writes. */
    err = mount_load(fs, bounds);
    fs->read_only = read_only;
    fs->tree_mutable = fs->tree_mutable && !read_only;
    if (err) {
        fs_free(fs);
        return err;
    }
    fs->broken = false;
    *out = fs;
    return 0;
}

/* The first commit of a snapshot operation: what is pending, so that FROM's
 * record is its current state. The second follows the operation. */
static int
snap_op_begin(struct fs *fs, const char *from, const char *name)
{
    if (fs->read_only) {
        return FS_EROFS;
    }
    int err = snap_name_check(name);
    if (!err) {
        err = snap_name_check(from);
    }
    return err ? err : fs_sync(fs);
}

int
fs_snap_label(struct fs *fs, const char *from, const char *name)
{
    int err = snap_op_begin(fs, from, name);
    if (!err) {
        err = snap_label(fs, from, name);
    }
    return err ? err : fs_sync(fs);
}

int
fs_snap_fork(struct fs *fs, const char *from, const char *name)
{
    int err = snap_op_begin(fs, from, name);
    if (!err) {
        err = snap_fork(fs, from, name);
    }
    return err ? err : fs_sync(fs);
}

int
fs_snap_delete(struct fs *fs, const char *name)
{
    if (fs->read_only) {
        return FS_EROFS;
    }
    int err = snap_name_check(name);
    if (err) {
        return err;
    }
    if (strcmp(name, fs->label) == 0) {
        return FS_EPERM;
    }
    err = fs_sync(fs);
    if (!err) {
        err = snap_delete(fs, name);
    }
    return err ? err : fs_sync(fs);
}

int
fs_unmount(struct fs *fs)
{
    ASSERT(fs != NULL);
    int err = 0;
    if (!fs->read_only) {
        err = fs_sync(fs);
    }
    fs_free(fs);
    return err;
}

const char *
fs_broken(const struct fs *fs)
{
    return fs->broken ? fs->broken_why : NULL;
}

const struct fs_stats *
fs_stats(const struct fs *fs)
{
    return &fs->stats;
}

uint32_t
fs_super_index(const struct fs *fs, const char **sb0_why)
{
    if (sb0_why != NULL) {
        *sb0_why = fs->sb0_why;
    }
    return fs->sb_index;
}

uint32_t
fs_write_atomic_blocks(const struct fs *fs)
{
    return fs->wbatch->cap;
}

uint32_t
fs_block_size(const struct fs *fs)
{
    return fs->block_size;
}

uint32_t
fs_arena_count(const struct fs *fs)
{
    return fs->arena_count;
}

uint32_t
fs_arena_header_index(const struct fs *fs, uint32_t arena_index)
{
    ASSERT(arena_index < fs->arena_count);
    return fs->arena_header_used[arena_index];
}
