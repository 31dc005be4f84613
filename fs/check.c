/*
 * fs/check.c: fs_check, the structural checker (see check.h): the driver,
 * the block layer's structures (superblocks, arena headers, log chains, free
 * maps) and the accounting sweep. checktree.c checks the trees; both mark
 * what they reach in checkmap.c's maps, and this file calls the other two.
 *
 * Method: bitmaps over every device block mark what the state reaches.
 * "meta" marks blocks that have exactly one owner (superblocks, arena headers,
 * log chains, snapshot-tree nodes, deadlist blocks); "shared" marks nodes and
 * data of file-system trees, which snapshots share; "dead" marks blocks listed
 * in deadlists. Each mark verifies the block, that it is not free, and that an
 * exclusive block is not reached twice. Blocks awaiting a deferred free are
 * still owned by the commit in flight. A final sweep over each arena's usable
 * space finds allocated blocks nobody reached: leaks.
 *
 * Fields that restate others are checked against them: the superblock's
 * fixed fields, the arenas' tiling its addresses and the headers' sizes
 * restate, a header's used bytes against its log, the log's links (the
 * whole list, with checktree.c's, is docs/DESIGN.md's "Redundant fields").
 */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "bio.h"
#include "cache.h"
#include "checkmap.h"
#include "checktree.h"
#include "probes.h"

const char *
fs_check_class_name(enum fs_check_class cls)
{
    static const char *const names[FS_CHECK_CLASS_COUNT] = {
        [FS_CHECK_CORRUPT] = "corrupt", [FS_CHECK_LEAK] = "leak", [FS_CHECK_WARNING] = "warning",
    };
    ASSERT((unsigned)cls < FS_CHECK_CLASS_COUNT);
    return names[cls];
}

/* The superblock's fields no mount needs: the snapshot tree's deadlist
 * (always empty: its blocks are freed, not killed) and the feature flags. */
static void
check_super_fixed(struct check *c)
{
    const struct fmt_super *sb = &c->fs->sb;
    uint64_t sbno = c->fs->sb_index == 0 ? 0 : c->fs->block_count - 1;
    if (sb->snapdl_hd_addr != FMT_ADDR_NIL || sb->snapdl_hd_hash != FMT_ADDR_NIL
            || sb->snapdl_tl_addr != FMT_ADDR_NIL || sb->snapdl_tl_hash != FMT_ADDR_NIL) {
        check_finding(c, FS_CHECK_CORRUPT, sbno, "superblock",
                "the snapshot tree's deadlist is not empty");
    }
    if (sb->flags != 0) {
        check_finding(c, FS_CHECK_CORRUPT, sbno, "superblock", "unknown feature flags %llx",
                (unsigned long long)sb->flags);
    }
}

static void
check_supers(struct check *c)
{
    struct fs *fs = c->fs;
    uint64_t last = fs->block_count - 1;
    check_reach(c, 0, "sb0");
    check_reach(c, last * fs->block_size, "sb1");
    check_super_fixed(c);
    if (fs->sb_index == 1) {
        check_finding(c, FS_CHECK_WARNING, 0, "sb0", "rejected (%s); mounted from sb1",
                fs->sb0_why);
        return;
    }
    uint8_t *buf = fs->scratch;
    struct fmt_super other;
    const char *why = bio_read(fs, last * fs->block_size, buf) != 0 ? "device read failed"
        : fmt_super_unpack(buf, fs->block_size, fs->block_count, &other);
    if (why != NULL) {
        check_finding(c, FS_CHECK_WARNING, last, "sb1", "invalid (%s); sb0 is intact", why);
    } else if (other.qgen != fs->sb.qgen) {
        FS_PROBE(CHECK_SB1_STALE);
        check_finding(c, FS_CHECK_WARNING, last, "sb1",
                "%s than sb0 (qgen %llu, sb0 %llu); rewritten at the next sync",
                other.qgen < fs->sb.qgen ? "older" : "newer", (unsigned long long)other.qgen,
                (unsigned long long)fs->sb.qgen);
    }
}

/* Arena i's place, which the superblock's address and the header's size
 * restate: fs_format tiles the device from block 1 with spans of one size
 * (fmt_arena_span_blocks), h0 and h1 first, usable space to the span's end. */
static void
check_geometry(struct check *c, uint32_t i, const char *what)
{
    const struct fs *fs = c->fs;
    const struct arena *a = &fs->arenas[i];
    uint64_t span = fmt_arena_span_blocks(fs->block_count, fs->arena_count);
    if (a->start != (1 + i * span) * fs->block_size || a->size != (span - 2) * fs->block_size) {
        check_finding(c, FS_CHECK_CORRUPT, a->start / fs->block_size, what,
                "start %llu or size %llu breaks the arenas' tiling (span %llu blocks)",
                (unsigned long long)a->start, (unsigned long long)a->size,
                (unsigned long long)span);
    }
}

/* Bytes the entries after the last Sync barrier of a's in-memory tail
 * allocate, net of the bytes they free; false if the tail holds no barrier
 * (it grew since the last sync). The tail was written by this mount or
 * replayed by it, which refuses a malformed entry; one is met here only if
 * replay let it through, and then nothing is said. */
static bool
log_since_barrier(const struct fs *fs, const struct arena *a, int64_t *net)
{
    const uint8_t *d = a->logtl + FMT_LOG_HEADER_SIZE;
    const uint32_t word = FMT_LOG_WORD_SIZE;
    ASSERT(a->logsz <= fmt_logspc(fs->block_size));
    bool barrier = false;
    *net = 0;
    for (uint32_t i = 0; i + word <= a->logsz;) {
        uint64_t w = fmt_get64(d + i);
        uint32_t op = (uint32_t)(w & FMT_LOG_OP_MASK);
        uint32_t n = op >= FMT_LOG_WIDE ? 2 * word : word;
        if (op < FMT_LOG_ALLOC1 || op > FMT_LOG_FREE || i + n > a->logsz) {
            return false;
        }
        int64_t len = op >= FMT_LOG_WIDE ? (int64_t)fmt_get64(d + i + word) : fs->block_size;
        barrier = barrier || op == FMT_LOG_SYNC;
        *net = op == FMT_LOG_SYNC ? 0 : op == FMT_LOG_ALLOC1 || op == FMT_LOG_ALLOC ? *net + len
            : *net - len;
        i += n;
    }
    return barrier;
}

/* The header's used restates the bytes the log allocates up to its last
 * barrier (alloc_barrier packs it there): the arena's used now, less what
 * the tail logged since. A broken mount may have stopped between the two. */
static void
check_header_used(struct check *c, uint32_t i, const char *what)
{
    const struct fs *fs = c->fs;
    const struct arena *a = &fs->arenas[i];
    int64_t net;
    if (fs->broken || !log_since_barrier(fs, a, &net)) {
        return;
    }
    uint64_t logged = a->used - (uint64_t)net;
    if (a->hdr_fields.used != logged) {
        check_finding(c, FS_CHECK_CORRUPT, a->start / fs->block_size, what,
                "used %llu, but its log allocates %llu up to the barrier",
                (unsigned long long)a->hdr_fields.used, (unsigned long long)logged);
    }
}

static void
check_headers(struct check *c, uint32_t i)
{
    struct fs *fs = c->fs;
    struct arena *a = &fs->arenas[i];
    char what[32];
    snprintf(what, sizeof(what), "arena %u header", i);
    check_reach(c, a->start, what);
    check_reach(c, a->start + fs->block_size, what);
    check_geometry(c, i, what);
    check_header_used(c, i, what);
    uint32_t used = fs->arena_header_used[i];
    if (used == 1) {
        check_finding(c, FS_CHECK_WARNING, a->start / fs->block_size, what,
                "h0 does not match the superblock; mounted from h1");
        return;
    }
    uint64_t h1 = a->start + fs->block_size;
    uint64_t hash;
    if (bio_read_hashed(fs, h1, fs->scratch, &hash) != 0) {
        check_finding(c, FS_CHECK_WARNING, h1 / fs->block_size, what, "h1 unreadable");
    } else if (hash != fs->sb.arena_hash[i]) {
        FS_PROBE(CHECK_H1_STALE);
        check_finding(c, FS_CHECK_WARNING, h1 / fs->block_size, what,
                "h1 differs from h0; rewritten at the next sync");
    }
}

/* Every chain block but the in-memory tail is on disk, verified and linked;
 * every link, the tail's too, has no birth generation (log blocks have
 * none). The tail's header is what it was read with at mount, or what this
 * mount last sealed. */
static void
check_log(struct check *c, uint32_t i)
{
    struct fs *fs = c->fs;
    struct arena *a = &fs->arenas[i];
    for (uint32_t k = 0; k < a->log_block_count; k++) {
        uint64_t addr = a->chain[k];
        bool tail = k + 1 == a->log_block_count;
        if (!check_reach(c, addr, "allocation log")) {
            continue;
        }
        const uint8_t *b = tail ? a->logtl : fs->scratch;
        const char *why = tail ? NULL : bio_read(fs, addr, fs->scratch) != 0
            ? "device read failed" : bio_verify(fs, fs->scratch, FMT_TYPE_LOG);
        struct fmt_log_header h;
        fmt_log_header_unpack(b, &h);
        if (why == NULL && !tail && h.logp.addr != a->chain[k + 1]) {
            why = "chain link does not point at the next block";
        }
        if (why == NULL && h.logp.gen != FMT_ADDR_NIL) {
            why = "chain link with a birth generation (log blocks have none)";
        }
        if (why != NULL) {
            check_finding(c, FS_CHECK_CORRUPT, addr / fs->block_size, "allocation log", "%s", why);
        }
    }
}

static void
check_free_map(struct check *c, uint32_t i)
{
    struct fs *fs = c->fs;
    struct arena *a = &fs->arenas[i];
    uint64_t lo = a->start + 2ull * fs->block_size, hi = lo + a->size, sum = 0;
    for (uint32_t k = 0; k < a->free_count; k++) {
        struct range r = a->free[k];
        bool touches = k > 0 && a->free[k - 1].off + a->free[k - 1].len >= r.off;
        if (r.len == 0 || r.len % fs->block_size || r.off % fs->block_size || r.off < lo
                || r.off + r.len > hi || touches) {
            check_finding(c, FS_CHECK_CORRUPT, r.off / fs->block_size, "free map",
                    "range %u malformed, out of order or touching its neighbour", k);
        }
        sum += r.len;
    }
    uint64_t deferred = 0;
    for (uint32_t k = 0; k < fs->deferred_logged; k++) {
        deferred += alloc_arena_of(fs, fs->deferred[k]) == a ? fs->block_size : 0;
    }
    if (sum != a->free_bytes || a->used + sum + deferred != a->size) {
        check_finding(c, FS_CHECK_CORRUPT, a->start / fs->block_size, "free map",
                "accounting: used %llu + free %llu + deferred %llu != size %llu",
                (unsigned long long)a->used, (unsigned long long)sum,
                (unsigned long long)deferred, (unsigned long long)a->size);
    }
    c->r->blocks_free += sum / fs->block_size;
}

/* Leaks among the blocks [from, to) of arena a: allocated (asked of the free
 * map when ask, else known allocated) and reached by nothing. */
static void
leaks_in(struct check *c, const struct arena *a, uint64_t from, uint64_t to, bool ask)
{
    uint32_t bs = c->fs->block_size;
    for (uint64_t addr = from; addr < to; addr += bs) {
        uint64_t block = addr / bs;
        bool reached = check_bit(c->meta, block) || check_bit(c->shared, block)
            || check_bit(c->dead, block);
        if (!reached && !(ask && alloc_range_is_free(a, addr, bs))) {
            c->r->blocks_leaked++;
            check_finding(c, FS_CHECK_LEAK, block, "allocation", "allocated but unreachable");
        }
    }
}

/* Whether a's free map is in order, disjoint and made of whole blocks. */
static bool
free_map_sorted(const struct fs *fs, const struct arena *a)
{
    for (uint32_t k = 0; k < a->free_count; k++) {
        const struct range *r = &a->free[k];
        if (r->off % fs->block_size || r->len % fs->block_size
                || (k > 0 && a->free[k - 1].off + a->free[k - 1].len > r->off)) {
            return false;
        }
    }
    return true;
}

static void
check_leaks(struct check *c)
{
    struct fs *fs = c->fs;
    for (uint32_t k = 0; k < fs->deferred_count; k++) {
        uint64_t block = fs->deferred[k] / fs->block_size;
        if (!check_bit(c->meta, block) && !check_bit(c->shared, block)) {
            check_bit_set(c->meta, block);  /* Owned by the commit in flight. */
        }
    }
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        struct arena *a = &fs->arenas[i];
        uint64_t lo = a->start + 2ull * fs->block_size, hi = lo + a->size;
        if (!free_map_sorted(fs, a)) {
            leaks_in(c, a, lo, hi, true);
            continue;
        }
        /* Sorted, disjoint, whole blocks: a block is free exactly when it lies
         * in a range, so only the gaps between ranges can hold leaks. */
        uint64_t at = lo;
        for (uint32_t k = 0; k < a->free_count && at < hi; k++) {
            leaks_in(c, a, at, FS_MIN(a->free[k].off, hi), false);
            at = FS_MAX(at, a->free[k].off + a->free[k].len);
        }
        leaks_in(c, a, at, hi, false);
    }
}

struct fs_check_memo *
fs_check_memo_new(void)
{
    struct fs_check_memo *m = calloc(1, sizeof(*m));
    if (m == NULL) {
        return NULL;
    }
    m->keys = calloc(CHECK_MEMO_SLOTS_MIN, sizeof(uint64_t));
    m->mask = CHECK_MEMO_SLOTS_MIN - 1;
    if (m->keys == NULL || check_node_memo_init(&m->nodes) != 0) {
        fs_check_memo_free(m);
        return NULL;
    }
    return m;
}

void
fs_check_memo_free(struct fs_check_memo *memo)
{
    if (memo != NULL) {
        check_node_memo_free(&memo->nodes);
        free(memo->keys);
        free(memo->gens);
        free(memo);
    }
}

/* The birth-generation table: the memo's, kept from check to check, else a
 * new one. Never cleared: an entry is read only for a block the check's
 * shared map marks, and every mark there sets it first. */
static uint64_t *
gens_table(struct fs *fs, struct fs_check_memo *memo)
{
    if (memo == NULL) {
        return malloc(fs->block_count * sizeof(uint64_t));
    }
    if (memo->gens_count != fs->block_count) {
        free(memo->gens);
        memo->gens = malloc(fs->block_count * sizeof(uint64_t));
        memo->gens_count = memo->gens != NULL ? fs->block_count : 0;
    }
    return memo->gens;
}

int
fs_check(struct fs *fs, struct fs_check_result *result)
{
    return fs_check_memo(fs, NULL, result);
}

int
fs_check_memo(struct fs *fs, struct fs_check_memo *memo, struct fs_check_result *result)
{
    ASSERT(fs != NULL && result != NULL);
    memset(result, 0, sizeof(*result));
    size_t map = fs->block_count / 8 + 1;
    struct check c = { fs, result, calloc(map, 1), calloc(map, 1), calloc(map, 1),
        calloc(map, 1), calloc(map, 1), malloc(fs->block_size), gens_table(fs, memo), map, memo,
        0, NULL };
    int err = 0;
    if (c.meta == NULL || c.shared == NULL || c.walk == NULL || c.dead == NULL || c.data == NULL
            || c.buf == NULL || c.gens == NULL) {
        err = FS_ENOMEM;
        goto out;
    }
    cache_drop_clean(fs);           /* Findings from the device, not from earlier reads. */
    check_supers(&c);
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        check_headers(&c, i);
        check_free_map(&c, i);
        check_log(&c, i);
    }
    err = check_trees(&c);
    if (!err) {
        check_leaks(&c);
    }
    if (result->count[FS_CHECK_CORRUPT]) {
        FS_PROBE(CHECK_CORRUPT_FOUND);
    }
    if (result->count[FS_CHECK_LEAK]) {
        FS_PROBE(CHECK_LEAK_FOUND);
    }
    if (result->count[FS_CHECK_WARNING]) {
        FS_PROBE(CHECK_WARNING);
    }
    if (result->count[FS_CHECK_CORRUPT] + result->count[FS_CHECK_LEAK]
            + result->count[FS_CHECK_WARNING] == 0) {
        FS_PROBE(CHECK_CLEAN);
    }
out:
    free(c.meta);
    free(c.shared);
    free(c.walk);
    free(c.dead);
    free(c.data);
    free(c.buf);
    if (memo == NULL) {
        free(c.gens);
    }
    return err;
}
