/*
 * fs/snap.h: snapshots, deadlists and reclamation (GEFS.md §7).
 *
 * The snapshot tree holds a record (Ksnap) per snapshot, the labels that name
 * them (Klabel) and the deadlists (Kdlist). The mounted tree is the newest
 * state of one label. Each commit of a changed mutable tree adds a record
 * (updatesnap) and moves the label to it; the previous record, if nothing
 * else names or succeeds it, is deleted and its deadlists merged forward.
 *
 * Kill or free (snap_release), for a block a tree stops referencing:
 *   - snapshot-tree blocks: deferred free (reusable once the next superblock
 *     is durable: the committed snapshot tree still points at them);
 *   - born in the current generation (never committed): freed now;
 *   - born at or before the tree's fork base: nothing (the other chain owns it);
 *   - otherwise killed: remembered as (killer = memgen, birth, addr) and written
 *     to deadlist (killer, birth) at the next commit.
 *
 * Deleting snapshot g with predecessor p and successor s (GEFS reclaim):
 *   - deadlist (g, b): b <= p: still alive in p: merged into (s, b), or, with
 *     no successor, dropped (p's own deletion accounts for it); b > p: freed;
 *   - deadlists (s, b) with b > p were alive only in g: freed;
 *   - with no successor, g's own blocks born after p are swept and freed.
 * Every such free is deferred, and a merge copies entries into new deadlist
 * blocks instead of rewriting a committed tail in place, so neither GEFS
 * hazard H1 nor H2 exists here.
 *
 * Layering: above the trees, below fs.c. The tree reaches snap_release only
 * through fs->tree_release, which fs.c wires; the snapshot operations below
 * never commit: fs.c syncs what is pending before each (so that FROM's record
 * is its current state) and syncs again after it, as fs.h promises.
 */
#ifndef FS_SNAP_H
#define FS_SNAP_H

#include "state.h"

/* Kill or free of a block tree t stops referencing (the essay above): the
 * tree's release hook. */
int snap_release(struct fs *fs, struct tree *t, struct bptr bp);

/* Reads block index (0: the newest) bp of the deadlist chain whose newest
 * block is hd, verified and held (blk.h), with its header in *h; h->logp
 * names the next older block. An index past the device's block count is a
 * cycle: FS_ECORRUPT, and the file system is broken. */
int snap_dl_read(struct fs *fs, struct bptr hd, uint64_t index, struct bptr bp,
        struct cblk **out, struct fmt_log_header *h);

/* Format: the snapshot tree with label "main" over an empty root directory. */
int snap_format(struct fs *fs);
/* Mount: loads the snapshot tree and the tree of label (NULL: "main"). */
int snap_mount(struct fs *fs, const char *label);
/* Sync pass 0: commit the mounted tree into a new record, write deadlists. */
int snap_commit(struct fs *fs);

/* 0 if name can be a label (the rules of file names), else FS_EINVAL or
 * FS_ENAMETOOLONG. */
int snap_name_check(const char *name);

/* fs_snap_label, fs_snap_fork and fs_snap_delete (fs.h) between their two
 * commits: on a writable file system with nothing pending, names checked,
 * and for delete, name not the mounted label. */
int snap_label(struct fs *fs, const char *from, const char *name);
int snap_fork(struct fs *fs, const char *from, const char *name);
int snap_delete(struct fs *fs, const char *name);

#endif /* FS_SNAP_H */
