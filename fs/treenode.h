/*
 * fs/treenode.h: the node format of the Bε-tree (GEFS.md §5): reading the
 * records of a pivot or leaf image, verifying one, and applying a message to
 * a value. No I/O: everything here works on a block image the caller holds.
 *
 * A leaf's region and a pivot's two regions (format.h) each start with a
 * sorted table of u16 offsets and pack records from the region's end
 * downward: values nk[2] key nv[2] value (a pivot's value is a child pointer
 * and its fill[2]), messages op[1] nk[2] key nv[2] value.
 *
 * The accessors trust their image: it is one tree_node_verify accepted (every
 * read goes through it, as the block layer's verifier for pivots and leaves;
 * fs.c registers it) or one this module's users built themselves. The
 * verifier trusts nothing: offsets, sizes, key order and message ops of an
 * image from the device are all checked before any accessor runs on it.
 */
#ifndef FS_TREENODE_H
#define FS_TREENODE_H

#include <string.h>

#include "format.h"

#define TREE_HEIGHT_MAX 10u     /* Levels of a tree: a path holds one node per level. */

/* A tree read from the device is at most FMT_TREE_HEIGHT_MAX high, and a path
 * holds one more level than that, so an update can grow the root. */
STATIC_ASSERT(FMT_TREE_HEIGHT_MAX + 1 == TREE_HEIGHT_MAX, "paths hold every level on disk");

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

/* NULL if buf is a well-formed pivot or leaf, else a reason: the block
 * layer's read verifier for both types (bio.h). */
const char *tree_node_verify(uint32_t block_size, const uint8_t *buf, uint16_t type);

/*
 * The accessors below are inline: they sit in the inner loops of every
 * lookup, scan, merge and check (binary searches over keys), where a call
 * into another file would cost more than the work.
 */

/* memcmp order, a shorter key first on a tie (format.h). */
static inline int
key_cmp(const uint8_t *a, uint16_t na, const uint8_t *b, uint16_t nb)
{
    int c = memcmp(a, b, FS_MIN(na, nb));
    if (c != 0) {
        return c;
    }
    return na < nb ? -1 : na > nb ? 1 : 0;
}

/* The value region of a leaf or pivot, and the message region of a pivot. */
static inline const uint8_t *
tree_node_val_region(const uint8_t *buf)
{
    return buf + (fmt_block_type(buf) == FMT_TYPE_LEAF ? FMT_LEAF_HEADER_SIZE
        : FMT_PIVOT_HEADER_SIZE);
}

static inline const uint8_t *
tree_node_msg_region(uint32_t block_size, const uint8_t *buf)
{
    return buf + FMT_PIVOT_HEADER_SIZE + fmt_pivspc(block_size);
}

/* Values (leaf) or children (pivot), and buffered messages (0 in a leaf). */
static inline uint16_t
tree_node_count(const uint8_t *buf)
{
    return fmt_node_nval(buf);
}

static inline uint16_t
tree_node_msg_count(const uint8_t *buf)
{
    return fmt_block_type(buf) == FMT_TYPE_PIVOT ? fmt_node_nbuf(buf) : 0;
}

/* Used bytes of a node, as its parent records it. */
static inline uint16_t
tree_node_fill(const uint8_t *buf)
{
    uint32_t fill = 2u * fmt_node_nval(buf) + fmt_node_valsz(buf);
    if (fmt_block_type(buf) == FMT_TYPE_PIVOT) {
        fill += 2u * fmt_node_nbuf(buf) + fmt_node_bufsz(buf);
    }
    return (uint16_t)fill;
}

/* Value record i: nk[2] key nv[2] value. */
static inline struct kv
tree_node_val(uint32_t block_size, const uint8_t *buf, uint16_t i)
{
    (void)block_size;
    const uint8_t *r = tree_node_val_region(buf);
    const uint8_t *p = r + fmt_get16(r + 2 * i);
    struct kv kv;
    kv.nk = fmt_get16(p);
    kv.k = p + 2;
    kv.nv = fmt_get16(p + 2 + kv.nk);
    kv.v = p + 4 + kv.nk;
    return kv;
}

/* Message record i of a pivot: op[1] nk[2] key nv[2] value. */
static inline struct msg
tree_node_msg(uint32_t block_size, const uint8_t *buf, uint16_t i)
{
    const uint8_t *r = tree_node_msg_region(block_size, buf);
    const uint8_t *p = r + fmt_get16(r + 2 * i);
    struct msg m;
    m.op = p[0];
    m.nk = fmt_get16(p + 1);
    m.k = p + 3;
    m.nv = fmt_get16(p + 3 + m.nk);
    m.v = p + 5 + m.nk;
    return m;
}

/* A pivot's child i: pointer and fill. */
static inline struct bptr
tree_node_child(uint32_t block_size, const uint8_t *buf, uint16_t i, uint16_t *fill)
{
    struct kv kv = tree_node_val(block_size, buf, i);
    ASSERT(kv.nv == FMT_PPTR_SIZE);
    if (fill != NULL) {
        *fill = fmt_get16(kv.v + FMT_PTR_SIZE);
    }
    return fmt_bptr_unpack(kv.v);
}

/* The most records with keys of nk bytes and values of nv bytes one node
 * holds (as leaf values, which pack tightest): times the device's blocks, a
 * bound on the distinct keys of that shape any tree can show. */
uint32_t tree_node_record_count_max(uint32_t block_size, uint16_t nk, uint16_t nv);

/* Applies one message to a value state (used by lookups, scans and leaves). */
struct vstate {
    bool present;                   /* The key has a value. */
    uint16_t nv;                    /* Value size. */
    uint8_t v[FMT_INLINE_MAX];      /* Value bytes. */
};
void tree_apply(const struct msg *m, struct vstate *s);

#endif /* FS_TREENODE_H */
