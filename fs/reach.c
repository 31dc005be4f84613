/*
 * fs/reach.c: structural counters of a mounted file system (see reach.h).
 *
 * Method: the arena counters come from memory (the free maps and log chains
 * mount replayed or sync built); the tree's shape from tree_walk over the
 * mounted tree; labels from fs_snap_list; snapshot records and deadlists from
 * scans of the snapshot tree by key kind, each deadlist's chain followed
 * from its newest block through snap_dl_read (the reader snap.c's reclaim
 * uses), so every block is verified before a field of it is used, and a
 * chain longer than the device has blocks is a cycle: FS_ECORRUPT.
 *
 * Layering: a reader at the top of fs/, beside debug.c and check.c; it calls
 * the trees and snap.c (labels, deadlist blocks), and nothing calls it.
 */
#include "reach.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "blk.h"
#include "snap.h"
#include "tree.h"

STATIC_ASSERT(FS_REACH_ARENAS_MAX == FMT_ARENA_COUNT_MAX, "one row per arena");
STATIC_ASSERT(FS_REACH_LEVELS_MAX == TREE_HEIGHT_MAX, "one row per level a path holds");

static const char *const reach_names[FS_REACH_COUNT] = {
#define X(id, name, what) name,
    FS_REACH_COUNTERS(X)
#undef X
};

static const char *const reach_arena_names[FS_REACH_ARENA_COUNT] = {
#define X(id, name, what) name,
    FS_REACH_ARENA_COUNTERS(X)
#undef X
};

static void
reach_arenas(const struct fs *fs, struct fs_reach *r)
{
    ASSERT(fs->arena_count <= FS_REACH_ARENAS_MAX);
    ASSERT(fs->arena_count >= 1);
    r->arena_count = fs->arena_count;
    for (uint32_t i = 0; i < fs->arena_count; i++) {
        const struct arena *a = &fs->arenas[i];
        uint64_t *v = r->arena[i];
        v[FS_REACH_ARENA_LOG_BLOCKS] = a->log_block_count;
        v[FS_REACH_ARENA_LOG_COMPRESSED] = a->log_block_count_last;
        v[FS_REACH_ARENA_FREE_RANGES] = a->free_count;
        v[FS_REACH_ARENA_FREE_BLOCKS] = a->free_bytes / fs->block_size;
        r->value[FS_REACH_LOG_CHAIN_MAX] = FS_MAX(r->value[FS_REACH_LOG_CHAIN_MAX],
                a->log_block_count);
        r->value[FS_REACH_LOG_COMPRESSED_MAX] = FS_MAX(r->value[FS_REACH_LOG_COMPRESSED_MAX],
                a->log_block_count_last);
        r->value[FS_REACH_FREE_RANGES_MAX] = FS_MAX(r->value[FS_REACH_FREE_RANGES_MAX],
                a->free_count);
    }
}

static void
reach_stats(const struct fs *fs, struct fs_reach *r)
{
    const struct fs_stats *s = &fs->stats;
    ASSERT(s->sync_count >= s->log_compress_count);
    r->value[FS_REACH_STAT_SYNCS] = s->sync_count;
    r->value[FS_REACH_STAT_LOG_GROWS] = s->log_grow_count;
    r->value[FS_REACH_STAT_LOG_COMPRESSIONS] = s->log_compress_count;
    r->value[FS_REACH_STAT_WRITE_CANCELS] = s->write_cancel_count;
    r->value[FS_REACH_STAT_ENOSPC] = s->enospc_count;
    r->value[FS_REACH_STAT_COMPRESS_NO_ROOM] = s->compress_no_room_count;
    r->value[FS_REACH_STAT_LOG_TRUNCATED_BYTES] = s->log_truncated_bytes;
    r->value[FS_REACH_STAT_LOG_CUT_ARENAS] = s->log_cut_arena_count;
    r->value[FS_REACH_STAT_LOG_CUT_BLOCK_MAX] = s->log_cut_block_max;
    ASSERT(r->value[FS_REACH_STAT_LOG_CUT_ARENAS] <= fs->arena_count);
}

struct reach_walk {
    struct fs_reach *r;         /* Being filled. */
    uint32_t height;            /* The walked tree's height. */
};

static int
reach_node(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf)
{
    struct reach_walk *w = arg;
    (void)bp;
    ASSERT(height >= 1);
    ASSERT(height <= w->height && height <= FS_REACH_LEVELS_MAX);
    struct fs_reach *r = w->r;
    r->level_nodes[height - 1]++;
    r->value[FS_REACH_TREE_NODES]++;
    if (fmt_block_type(buf) == FMT_TYPE_PIVOT) {
        uint64_t fill = 2u * fmt_node_nval(buf) + fmt_node_valsz(buf);
        r->value[FS_REACH_TREE_PIVOT_FILL_MAX] = FS_MAX(r->value[FS_REACH_TREE_PIVOT_FILL_MAX],
                fill);
        r->value[FS_REACH_TREE_PIVOT_CHILDREN_MAX] = FS_MAX(
                r->value[FS_REACH_TREE_PIVOT_CHILDREN_MAX], tree_node_count(buf));
    }
    return 0;
}

static int
reach_label(void *arg, const struct fs_snapinfo *info)
{
    struct fs_reach *r = arg;
    ASSERT(info != NULL);
    r->value[info->mutable ? FS_REACH_SNAP_FORKS : FS_REACH_SNAP_LABELS]++;
    return 0;
}

static int
reach_record(void *arg, const struct kv *kv)
{
    struct fs_reach *r = arg;
    ASSERT(kv->nk >= 1 && kv->k[0] == FMT_KSNAP);
    r->value[FS_REACH_SNAP_RECORDS]++;
    return 0;
}

struct reach_dl {
    struct fs *fs;              /* The file system scanned. */
    struct fs_reach *r;         /* Being filled. */
};

/* Follows one deadlist chain from its newest block, counting blocks and entries. */
static int
reach_deadlist(void *arg, const struct kv *kv)
{
    struct reach_dl *d = arg;
    struct fs *fs = d->fs;
    if (kv->nk != FMT_KDLIST_SIZE || kv->nv != FMT_DLIST_VALUE_SIZE) {
        return fs_broke(fs, FS_ECORRUPT, fs->snap.root.addr, "deadlist key malformed");
    }
    struct bptr bp = fmt_bptr_unpack(kv->v);
    uint64_t count = 0;
    for (; bp.addr != FMT_ADDR_NIL; count++) {
        struct cblk *b;
        struct fmt_log_header h;
        int err = snap_dl_read(fs, fmt_bptr_unpack(kv->v), count, bp, &b, &h);
        if (err) {
            return err;
        }
        d->r->value[FS_REACH_DLIST_ENTRIES] += h.logsz / FMT_DLIST_ENTRY_SIZE;
        bp = h.logp;
        blk_put(fs, b);
    }
    struct fs_reach *r = d->r;
    r->value[FS_REACH_DLIST_LISTS]++;
    r->value[FS_REACH_DLIST_BLOCKS] += count;
    r->value[FS_REACH_DLIST_CHAIN_MAX] = FS_MAX(r->value[FS_REACH_DLIST_CHAIN_MAX], count);
    return 0;
}

/* The snapshot tree: labels, records and deadlists. */
static int
reach_snapshots(struct fs *fs, struct fs_reach *r)
{
    ASSERT(fs->snap.height >= 1);
    r->value[FS_REACH_SNAP_TREE_HEIGHT] = fs->snap.height;
    int err = fs_snap_list(fs, reach_label, r);
    if (err) {
        return err;
    }
    const uint8_t records[1] = { FMT_KSNAP };
    err = tree_scan(fs, &fs->snap, NULL, 0, records, 1, reach_record, r);
    if (err) {
        return err;
    }
    const uint8_t deadlists[1] = { FMT_KDLIST };
    struct reach_dl d = { fs, r };
    return tree_scan(fs, &fs->snap, NULL, 0, deadlists, 1, reach_deadlist, &d);
}

int
fs_reach(struct fs *fs, struct fs_reach *r)
{
    ASSERT(fs != NULL);
    ASSERT(r != NULL);
    memset(r, 0, sizeof(*r));
    reach_arenas(fs, r);
    reach_stats(fs, r);
    r->value[FS_REACH_TREE_HEIGHT] = fs->tree.height;
    r->value[FS_REACH_TREE_PIVOT_FILL_CAP] = fmt_pivspc(fs->block_size);
    struct reach_walk w = { r, fs->tree.height };
    int err = tree_walk(fs, &fs->tree, reach_node, &w);
    if (!err) {
        err = reach_snapshots(fs, r);
    }
    if (err) {
        memset(r, 0, sizeof(*r));
    }
    return err;
}

bool
fs_reach_entry(const struct fs_reach *r, uint32_t i, char *name, size_t size, uint64_t *value)
{
    ASSERT(r->arena_count <= FS_REACH_ARENAS_MAX);
    ASSERT(name != NULL && size > 0);
    if (i < FS_REACH_COUNT) {
        snprintf(name, size, "%s", reach_names[i]);
        *value = r->value[i];
        return true;
    }
    i -= FS_REACH_COUNT;
    if (i < r->arena_count * FS_REACH_ARENA_COUNT) {
        uint32_t arena = i / FS_REACH_ARENA_COUNT, c = i % FS_REACH_ARENA_COUNT;
        snprintf(name, size, "arena.%" PRIu32 ".%s", arena, reach_arena_names[c]);
        *value = r->arena[arena][c];
        return true;
    }
    i -= r->arena_count * FS_REACH_ARENA_COUNT;
    uint64_t height = FS_MIN(r->value[FS_REACH_TREE_HEIGHT], FS_REACH_LEVELS_MAX);
    if (i < height) {
        snprintf(name, size, "tree.level%" PRIu32 ".nodes", i + 1);
        *value = r->level_nodes[i];
        return true;
    }
    return false;
}
