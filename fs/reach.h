/*
 * fs/reach.h: structural counters of a mounted file system: how far a
 * workload drove it into the shapes its recovery code handles.
 *
 * A crash campaign is only as deep as the states it crashes: a recovery
 * path that needs a compressed allocation log of several blocks, a tree of
 * height four or a nearly full arena is never run by a workload that does
 * not build one. fs_reach measures what a mounted file system holds now
 * (log chains, free ranges, tree shape, deadlists, snapshots) and the
 * counters it kept since mount (fs_stats: ENOSPC, compressions skipped for
 * lack of room, where replay cut the log), so a workload author, a test or
 * a guided search can see what a trace reached.
 *
 * Names: every counter is a row of one X-macro table, FS_REACH_COUNTERS for
 * the file system as a whole and FS_REACH_ARENA_COUNTERS for each arena.
 * fs_reach_entry flattens them, with the nodes per tree level, into one
 * numbered list of named values (`tree.height`, `arena.1.log_blocks`,
 * `tree.level2.nodes`) that printing and feature extraction both walk.
 *
 * Reads: every node and deadlist block is read through the cache and
 * verified like any other read; a damaged image gives FS_ECORRUPT (and the
 * file system goes read-only, as for every corruption), never a crash.
 * Loops over device links are bounded by the device's block count. Nothing
 * is allocated and nothing is written.
 */
#ifndef FS_REACH_H
#define FS_REACH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs.h"

/* Counters of the whole file system: id, printed name, meaning. */
#define FS_REACH_COUNTERS(X) \
    X(TREE_HEIGHT,          "tree.height",            "levels of the mounted tree (a leaf: 1)") \
    X(TREE_NODES,           "tree.nodes",             "nodes of the mounted tree") \
    X(TREE_PIVOT_CHILDREN_MAX, "tree.pivot_children_max", "children of the fullest pivot") \
    X(TREE_PIVOT_FILL_MAX,  "tree.pivot_fill_max",    "bytes used in a pivot's child region, most") \
    X(TREE_PIVOT_FILL_CAP,  "tree.pivot_fill_cap",    "bytes a pivot's child region holds") \
    X(SNAP_TREE_HEIGHT,     "snap.tree_height",       "levels of the snapshot tree") \
    X(SNAP_RECORDS,         "snap.records",           "snapshot records (Ksnap)") \
    X(SNAP_LABELS,          "snap.labels",            "immutable labels") \
    X(SNAP_FORKS,           "snap.forks",             "mutable labels (main is one)") \
    X(DLIST_LISTS,          "deadlist.lists",         "deadlists (Kdlist keys)") \
    X(DLIST_BLOCKS,         "deadlist.blocks",        "blocks of every deadlist chain") \
    X(DLIST_CHAIN_MAX,      "deadlist.chain_max",     "blocks of the longest deadlist chain") \
    X(DLIST_ENTRIES,        "deadlist.entries",       "block addresses in every deadlist") \
    X(LOG_CHAIN_MAX,        "log.chain_max",          "blocks of the longest allocation log") \
    X(LOG_COMPRESSED_MAX,   "log.compressed_max",     "blocks a compression wrote, most") \
    X(FREE_RANGES_MAX,      "free.ranges_max",        "free ranges of the most fragmented arena") \
    X(STAT_SYNCS,           "stats.syncs",            "commits since mount") \
    X(STAT_LOG_GROWS,       "stats.log_grows",        "log blocks chained on since mount") \
    X(STAT_LOG_COMPRESSIONS, "stats.log_compressions", "log compressions since mount") \
    X(STAT_WRITE_CANCELS,   "stats.write_cancels",    "queued writes cancelled by a free") \
    X(STAT_ENOSPC,          "stats.enospc",           "allocations refused for lack of space") \
    X(STAT_COMPRESS_NO_ROOM, "stats.compress_no_room", "compressions due but skipped: no room") \
    X(STAT_LOG_TRUNCATED_BYTES, "stats.log_truncated_bytes", "log bytes replay dropped at mount") \
    X(STAT_LOG_CUT_ARENAS,  "stats.log_cut_arenas",   "arenas whose replay dropped entries") \
    X(STAT_LOG_CUT_BLOCK_MAX, "stats.log_cut_block_max", "chain position of a replay cut, most")

/* Counters of each arena. */
#define FS_REACH_ARENA_COUNTERS(X) \
    X(LOG_BLOCKS,           "log_blocks",             "blocks in the allocation-log chain") \
    X(LOG_COMPRESSED,       "log_compressed",         "blocks the last compression wrote; 0 none") \
    X(FREE_RANGES,          "free_ranges",            "ranges in the free map") \
    X(FREE_BLOCKS,          "free_blocks",            "blocks in the free map")

enum fs_reach_counter {
#define X(id, name, what) FS_REACH_##id,
    FS_REACH_COUNTERS(X)
#undef X
    FS_REACH_COUNT
};

enum fs_reach_arena_counter {
#define X(id, name, what) FS_REACH_ARENA_##id,
    FS_REACH_ARENA_COUNTERS(X)
#undef X
    FS_REACH_ARENA_COUNT
};

#define FS_REACH_ARENAS_MAX 32u     /* Arenas a file system has at most (format.h). */
#define FS_REACH_LEVELS_MAX 10u     /* Tree levels counted (treenode.h's path). */

struct fs_reach {
    uint64_t value[FS_REACH_COUNT];     /* By enum fs_reach_counter. */
    uint32_t arena_count;               /* Arenas of the file system. */
    uint64_t arena[FS_REACH_ARENAS_MAX][FS_REACH_ARENA_COUNT]; /* Per arena, by counter. */
    uint64_t level_nodes[FS_REACH_LEVELS_MAX]; /* Nodes of the mounted tree by height - 1. */
};

/* Fills r from the mounted file system. 0, or the error of a read
 * (FS_ECORRUPT, FS_EIO; fs_broken() says why). r is all zeros on error. */
int fs_reach(struct fs *fs, struct fs_reach *r);

/* Named value i of the flattened list: the counters of FS_REACH_COUNTERS,
 * then each arena's (`arena.N.NAME`), then the nodes of each level of the
 * mounted tree up to its height (`tree.levelH.nodes`, H = 1 for leaves).
 * False past the end; name is cut to size. */
bool fs_reach_entry(const struct fs_reach *r, uint32_t i, char *name, size_t size,
        uint64_t *value);

#endif /* FS_REACH_H */
