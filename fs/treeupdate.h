/*
 * fs/treeupdate.h: updating the copy-on-write Bε-tree (GEFS.md §5): upsert,
 * flush, split, merge.
 *
 * A mutation is a batch of messages. Upsert takes the fast path when the root
 * is a pivot with buffer room for the batch (the root is copied with the
 * messages added); otherwise the flush path pushes buffered messages down the
 * tree toward their leaves, choosing at each full pivot the victim child with
 * the most buffered bytes, until every pivot on the way has room. Leaves
 * split in two when they overflow, pivots likewise; an underfull child is
 * merged with or rotated against a sibling; the root grows when it splits and
 * shrinks when it is left with one child. A batch larger than the pull limit
 * goes in several passes, each from the first message not yet pulled.
 *
 * Every node touched is written to a new block; the old blocks and the data
 * blocks whose Kdat values are replaced at a leaf are released only after
 * the last pass has succeeded, so a failed pass (FS_ENOSPC, FS_ECORRUPT)
 * leaves the tree as it was and frees what it had allocated. Releasing is
 * kill-or-free, a snapshot matter: the tree calls fs->tree_release, which
 * fs.c wires to snap_release, and knows nothing of snapshots itself.
 */
#ifndef FS_TREEUPDATE_H
#define FS_TREEUPDATE_H

#include "state.h"
#include "treenode.h"

/* Messages tree_upsert takes in one call. */
uint32_t tree_batch_max(uint32_t block_size);

/* Workspace: bytes needed for a block size, and its set-up (at mount). */
size_t tree_ws_size(uint32_t block_size);
void tree_ws_init(struct fs *fs, void *mem);

/* Writes an empty leaf; *out points at it. */
int tree_new_empty(struct fs *fs, struct tree *t, struct bptr *out);

/* Applies a batch of messages (any order; equal keys apply in batch order). */
int tree_upsert(struct fs *fs, struct tree *t, const struct msg *msgs, uint32_t count);

#endif /* FS_TREEUPDATE_H */
