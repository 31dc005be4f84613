/*
 * fs/tree.h: reading the copy-on-write Bε-tree (GEFS.md §5): lookups, ordered
 * scans and walks over every node. Updates are treeupdate.h; the node format
 * is treenode.h, included here for its record types.
 *
 * Pivots hold child pointers and a buffer of messages; leaves hold values. A
 * key's value is what its leaf holds with every message buffered on the path
 * to it applied, deepest first (deeper buffers hold older messages). Lookups
 * do that for one key; scans do it for each key in order, one leaf's range at
 * a time, so a scan holds one root-to-leaf path of nodes, never more.
 *
 * Nothing here writes: every node is read through the block layer (blk.h),
 * verified, and put back before the call returns.
 */
#ifndef FS_TREE_H
#define FS_TREE_H

#include "keys.h"
#include "state.h"
#include "treenode.h"

/* Reads node bp of a tree at height (1: a leaf, else a pivot), verified and
 * held (blk.h). */
int tree_node_read(struct fs *fs, struct bptr bp, uint32_t height, struct cblk **out);

/* Looks up key k: FS_ENOENT if absent, else copies the value to val (at least
 * FMT_INLINE_MAX bytes) and its size to *nv. */
int tree_lookup(struct fs *fs, const struct tree *t, const uint8_t *k, uint16_t nk,
        uint8_t *val, uint16_t *nv);

/* Calls fn for every key >= lo that starts with prefix, in key order, with
 * buffered messages applied. fn returns 0 to go on, 1 to stop, or an error.
 * fn must not modify the tree. */
int tree_scan(struct fs *fs, const struct tree *t, const uint8_t *lo, uint16_t nlo,
        const uint8_t *prefix, uint16_t nprefix,
        int (*fn)(void *arg, const struct kv *kv), void *arg);

/* Visits every node (pre-order) with its pointer and height; node_fn returns
 * 0 to go on into its children, 1 to skip them, or an error. */
int tree_walk(struct fs *fs, const struct tree *t,
        int (*node_fn)(void *arg, struct bptr bp, uint32_t height, const uint8_t *buf),
        void *arg);

/* The rounds a batched scan-and-delete over one key kind may take: each round
 * removes the keys it found (at most batch) and scans again, and a tree holds
 * at most tree_node_record_count_max records of keys nk bytes and values nv
 * bytes per device block; with one round for a partial batch and one that
 * finds nothing, this many always suffice. More means keys that do not go
 * away: the tree on the device is damaged. */
uint64_t tree_batch_rounds_max(const struct fs *fs, uint16_t nk, uint16_t nv, uint32_t batch);

#endif /* FS_TREE_H */
