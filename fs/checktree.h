/*
 * fs/checktree.h: fs_check for trees: the snapshot tree, every snapshot's
 * tree, the mounted tree when it has changes not yet committed, the
 * deadlists, and the namespace of each tree. check.c, the driver, calls it;
 * it marks what it reaches through checkmap.h and calls nothing of check.c.
 */
#ifndef FS_CHECKTREE_H
#define FS_CHECKTREE_H

#include "checkmap.h"

/* Checks every tree of c->fs; findings go to c. 0, or FS_ENOMEM if a table
 * could not grow (blocks it could not read are findings). */
int check_trees(struct check *c);

/* The node memo of a struct fs_check_memo: 0 or FS_ENOMEM (then empty). */
int check_node_memo_init(struct node_memo *m);
void check_node_memo_free(struct node_memo *m);

#endif /* FS_CHECKTREE_H */
