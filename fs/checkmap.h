/*
 * fs/checkmap.h: the reach maps and the findings of fs_check, which check.c
 * and checktree.c share.
 *
 * A check owns four bitmaps over the device's blocks and the result it
 * fills. check.c (the driver, superblocks, arena headers, logs, leaks) and
 * checktree.c (trees and deadlists) both mark what they reach here; this
 * module calls neither of them, and checktree.c never calls check.c.
 */
#ifndef FS_CHECKMAP_H
#define FS_CHECKMAP_H

#include "check.h"
#include "state.h"

struct check {
    struct fs *fs;                  /* What is checked. */
    struct fs_check_result *r;      /* Where findings go. */
    uint8_t *meta;                  /* Blocks with one owner: reached. */
    uint8_t *shared;                /* Tree nodes and data, shared by snapshots: reached. */
    uint8_t *walk;                  /* Reached by the tree walk in progress. */
    uint8_t *dead;                  /* Listed in a deadlist. */
    uint8_t *data;                  /* Of shared, those reached as file data. */
    uint8_t *buf;                   /* One block for raw reads. */
    uint64_t *gens;                 /* Birth generation of each shared block reached. */
    size_t map_size;                /* Bytes of each bitmap. */
    struct fs_check_memo *memo;     /* Kept between checks (check.h), or NULL. */
    uint64_t unverified;            /* Tree nodes reached but not verified (a finding each). */
    struct check_kill *kill;        /* Records for the rule for killed blocks, or NULL. */
};

/* Tree nodes a walk found sound — read and verified, fill and key ranges
 * right — by content and context (checktree.c's node_key), each with what
 * the walk does below it: the data pointers it checks and the children it
 * descends into, with their fills and separator keys. Records live in one
 * arena reserved at its bound (pages are touched only as it fills); the
 * index is open addressing, 0 empty. */
#define NODE_MEMO_ARENA (32u << 20)
#define NODE_MEMO_SLOTS_MIN (1u << 8)
#define NODE_MEMO_SLOTS (1u << 20)
struct node_memo {
    uint64_t *keys;                 /* Per slot: a node key, 0 empty. */
    uint32_t *offs;                 /* Per slot: its record's offset in the arena. */
    uint32_t mask;                  /* Slots - 1. */
    uint32_t used;                  /* Records; below half the slots. */
    uint8_t *arena;                 /* NODE_MEMO_ARENA bytes, or NULL. */
    uint32_t arena_used;            /* Bytes in committed records (from 8: 0 is none). */
};

/* The memo (check.h): a set of tree identities, open addressing, 0 empty;
 * it starts with CHECK_MEMO_SLOTS_MIN slots and doubles when half full, up
 * to CHECK_MEMO_SLOTS. */
#define CHECK_MEMO_SLOTS_MIN (1u << 8)
#define CHECK_MEMO_SLOTS (1u << 16)
struct fs_check_memo {
    uint64_t *keys;                 /* The slots. */
    uint32_t mask;                  /* Slots - 1. */
    uint32_t used;                  /* Keys held; below half the slots. */
    uint64_t *gens;                 /* The checks' birth-generation table, reused. */
    uint64_t gens_count;            /* Its entries: the device's blocks. */
    struct node_memo nodes;         /* Tree nodes found sound (checktree.c). */
};
/* Whether the memo holds key (nonzero). */
bool check_memo_has(const struct fs_check_memo *m, uint64_t key);
/* Adds key, unless the memo is half full. */
void check_memo_add(struct fs_check_memo *m, uint64_t key);

void check_finding(struct check *c, enum fs_check_class cls, uint64_t block, const char *what,
        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool check_bit(const uint8_t *map, uint64_t block);
void check_bit_set(uint8_t *map, uint64_t block);

/* Marks a block with one owner; false (and a finding) if reached already,
 * outside the device, or free. */
bool check_reach(struct check *c, uint64_t addr, const char *what);
/* Marks a tree node or (data) a data block; *first says this is its first
 * reach (from any snapshot); false (and a finding) if the current walk
 * reached it already, it has an exclusive owner, it is free, or another
 * snapshot reached it as the other kind (a node as data: only a forged
 * pointer does that). */
bool check_reach_shared(struct check *c, uint64_t addr, const char *what, bool data,
        bool *first);
/* Marks a block listed in a deadlist. */
void check_mark_dead(struct check *c, uint64_t addr, const char *what);

#endif /* FS_CHECKMAP_H */
