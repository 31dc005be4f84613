/*
 * fs/checkkill.h: fs_check's rule for killed blocks (see checkkill.c).
 *
 * A block a deadlist lists was killed by the deadlist's killer: no tree that
 * descends from the killer may still reach it, or deleting a snapshot frees a
 * block in use. checktree.c calls these: the walk records every tree node it
 * reads (checkkill_node, then its data blocks and children), the deadlist
 * check every entry it accepts (checkkill_dead), and then each tree is tested
 * against the killers among its ancestors (checkkill_tree).
 */
#ifndef FS_CHECKKILL_H
#define FS_CHECKKILL_H

#include "checkmap.h"

/* Starts recording into c->kill: 0, or FS_ENOMEM. */
int checkkill_start(struct check *c);
void checkkill_free(struct check *c);

/* A tree node the walk read (or the node memo vouched for) at addr, then
 * the data blocks and the children it points at, in any order, before the
 * next node. Nothing is recorded without checkkill_start. */
void checkkill_node(struct check *c, uint64_t addr);
void checkkill_data(struct check *c, uint64_t addr);
void checkkill_child(struct check *c, uint64_t addr);

/* A deadlist entry (or a kill awaiting the next commit): block addr, killed
 * in generation killer. */
void checkkill_dead(struct check *c, uint64_t addr, uint64_t killer);

/* Once every entry is in: 0, or FS_ENOMEM (the rule could not run). */
int checkkill_ready(struct check *c);

/* The tree whose root is at root_addr, descending from the generations
 * ancestors[0..count): every block it reaches that a deadlist lists as
 * killed by one of them is a finding, named by what. */
void checkkill_tree(struct check *c, uint64_t root_addr, const uint64_t *ancestors,
        size_t count, const char *what);

#endif /* FS_CHECKKILL_H */
