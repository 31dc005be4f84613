/*
 * fs/tree.h: the copy-on-write Bε-tree (GEFS.md §5).
 *
 * Pivots hold child pointers and a buffer of messages; leaves hold values.
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
 * blocks whose Kdat values are replaced at a leaf are released through
 * tree_release (kill-or-free, snap.c) only after the pass has succeeded, so a
 * failed pass (FS_ENOSPC, FS_ECORRUPT) leaves the tree as it was and frees
 * what it had allocated.
 *
 * Lookups apply buffered messages deepest first (deeper buffers hold older
 * messages); scans do the same for each key in order.
 */
#ifndef FS_TREE_H
#define FS_TREE_H

#include "keys.h"
#include "state.h"

#define TREE_HEIGHT_MAX 10u


struct kv {
    const uint8_t *k;       /* Key bytes. */
    const uint8_t *v;       /* Value bytes. */
    uint16_t nk;            /* Key size. */
    uint16_t nv;            /* Value size. */
};

struct msg {
    const uint8_t *k;       /* Key bytes. */
    const uint8_t *v;       /* Value bytes (NULL when nv is 0). */
    uint16_t nk;            /* Key size, 1..FMT_KEY_MAX. */
    uint16_t nv;            /* Value size, 0..FMT_INLINE_MAX. */
    uint8_t op;             /* FMT_OP_*. */
};

int key_cmp(const uint8_t *a, uint16_t na, const uint8_t *b, uint16_t nb);

/* Messages tree_upsert takes in one call. */
uint32_t tree_batch_max(uint32_t block_size);

/* Workspace: bytes needed for a block size, and its set-up (at mount). */
size_t tree_ws_size(uint32_t block_size);
void tree_ws_init(struct fs *fs, void *mem);

/* NULL if buf is a well-formed pivot or leaf, else a reason. */
const char *tree_node_verify(uint32_t block_size, const uint8_t *buf, uint16_t type);

/* Writes an empty leaf; *out points at it. */
int tree_new_empty(struct fs *fs, struct tree *t, struct bptr *out);

/* Applies a batch of messages (any order; equal keys apply in batch order). */
int tree_upsert(struct fs *fs, struct tree *t, const struct msg *msgs, uint32_t count);

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

/* Node accessors for the checker and the dumper. */
uint16_t tree_node_count(const uint8_t *buf);
uint16_t tree_node_msg_count(const uint8_t *buf);
struct kv tree_node_val(uint32_t block_size, const uint8_t *buf, uint16_t i);
struct msg tree_node_msg(uint32_t block_size, const uint8_t *buf, uint16_t i);
/* A pivot's child i: pointer and fill. */
struct bptr tree_node_child(uint32_t block_size, const uint8_t *buf, uint16_t i, uint16_t *fill);
/* Used bytes of a node, as its parent records it. */
uint16_t tree_node_fill(const uint8_t *buf);

/* Applies one message to a value state (used by lookups, scans and leaves). */
struct vstate {
    bool present;                   /* The key has a value. */
    uint16_t nv;                    /* Value size. */
    uint8_t v[FMT_INLINE_MAX];      /* Value bytes. */
};
void tree_apply(const struct msg *m, struct vstate *s);

#endif /* FS_TREE_H */
