/*
 * fs/check_impl.h: what check.c and checktree.c share.
 */
#ifndef FS_CHECK_IMPL_H
#define FS_CHECK_IMPL_H

#include "check.h"
#include "state.h"

struct check {
    struct fs *fs;                  /* What is checked. */
    struct fs_check_result *r;      /* Where findings go. */
    uint8_t *meta;                  /* Blocks with one owner: reached. */
    uint8_t *shared;                /* Tree nodes and data, shared by snapshots: reached. */
    uint8_t *walk;                  /* Reached by the tree walk in progress. */
    uint8_t *dead;                  /* Listed in a deadlist. */
    uint8_t *buf;                   /* One block for raw reads. */
    uint64_t *gens;                 /* Birth generation of each shared block reached. */
    size_t map_size;                /* Bytes of each bitmap. */
};

void check_finding(struct check *c, enum fs_check_class cls, uint64_t block, const char *what,
        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool check_bit(const uint8_t *map, uint64_t block);

/* Marks a block with one owner; false (and a finding) if reached already,
 * outside the device, or free. */
bool check_reach(struct check *c, uint64_t addr, const char *what);
/* Marks a tree node or data block; *first says this is its first reach (from
 * any snapshot); false (and a finding) if the current walk reached it already,
 * it has an exclusive owner, or it is free. */
bool check_reach_shared(struct check *c, uint64_t addr, const char *what, bool *first);
/* Marks a block listed in a deadlist. */
void check_mark_dead(struct check *c, uint64_t addr, const char *what);

/* checktree.c: the snapshot tree, every snapshot's tree, the mounted tree,
 * deadlists and the namespace of each tree. */
int check_trees(struct check *c);

#endif /* FS_CHECK_IMPL_H */
