/*
 * fs/format.h: the on-disk format, written out where the types live.
 *
 * Every integer on disk is big-endian and byte-packed, so that keys sort
 * lexicographically with memcmp. Notation: name[bytes]. A block is exactly
 * block_size bytes, a power of two from 4 KiB to 16 KiB chosen at format time
 * (GEFS fixes 16 KiB). Addresses are byte offsets on the device, multiples of
 * the block size, so their low 8 bits are free (the allocation log uses them).
 *
 * Block pointer (24):
 *     addr[8] hash[8] gen[8]
 *   addr is FMT_ADDR_NIL for "none". hash is XXH3-64 (seed FMT_HASH_SEED) of the
 *   whole block image of the pointee. gen is the birth generation of the block
 *   (the tree's memgen when allocated); FMT_ADDR_NIL for log, arena and super
 *   blocks; 0 for snapshot-tree and deadlist blocks.
 *
 * Block types, the first two bytes of every block except raw data:
 *     0 data (no header), 1 pivot, 2 leaf, 3 log, 4 deadlist, 5 arena header,
 *     0x6765 superblock ("ge", the start of its magic).
 *
 * Pivot (Bε-tree inner node):
 *     type[2] nval[2] valsz[2] nbuf[2] bufsz[2] | values[pivspc] | messages[bufspc]
 * Leaf:
 *     type[2] nval[2] valsz[2] | values[leafspc]
 *   bufspc = (block_size - 10) / 2, pivspc = block_size - 10 - bufspc,
 *   leafspc = block_size - 6. Each region begins with a sorted table of u16
 *   offsets (nval, resp. nbuf entries) and packs records from its end downward.
 *
 * Log and deadlist block (type 3 and 4):
 *     type[2] logsz[2] logh[8] logp[24] | data[logspc]
 *   logsz: bytes used in data; logh: XXH3 of data[0, logsz); logp: the next
 *   block of the chain. A log block is read-verified by logh, not by the
 *   pointer's hash, because the tail is rewritten in place.
 *
 * Allocation-log entry (in a type-3 data area), one or two u64 words; the op is
 * in the low 8 bits of the first word:
 *     1 Alloc1  addr|1                  allocate one block
 *     2 Free1   addr|2                  free one block
 *     3 Sync    (qgen << 8)|3           sync barrier of write-queue generation qgen
 *     4 Alloc   addr|4, len[8]          allocate len bytes
 *     5 Free    addr|5, len[8]          free len bytes
 *   Op 0 and ops above 5 are invalid. One-block ranges use the 1-word forms.
 *
 * Arena header (type 5), two identical copies h0 at the arena start and h1 one
 * block later:
 *     type[2] loghd.addr[8] loghd.hash[8] size[8] used[8]
 *   size: usable bytes, from start + 2 blocks; used: allocated bytes as of the
 *   log up to its last sync barrier. Both copies have the same bytes, hence the
 *   same block hash, which the superblock records.
 *
 * Superblock (type 0x6765), identical copies sb0 in block 0 and sb1 in the last
 * block of the device:
 *     magic[8] blksz[4] bufspc[4] narena[4] snap.ht[4]
 *     snap.addr[8] snap.hash[8]
 *     snapdl.hd.addr[8] snapdl.hd.hash[8] snapdl.tl.addr[8] snapdl.tl.hash[8]
 *     flag[8] nextqid[8] nextgen[8] qgen[8] blocks[8]
 *     arena[narena] = { addr[8] hash[8] }
 *     sbhash[8]
 *   qgen is the write-queue generation of the sync that wrote it: allocation-log
 *   replay stops at the first Sync barrier with a generation >= qgen. blocks is
 *   the device size in blocks at format time. sbhash is XXH3 of every byte
 *   before it. Bytes after sbhash are zero and covered by nothing.
 *
 * Bε-tree records. A leaf or pivot value record is nk[2] key[nk] nv[2] value[nv];
 * a pivot's value is a child pointer and the child's fill[2] (its used bytes:
 * 2*nval+valsz, plus 2*nbuf+bufsz for a pivot). A message record is op[1] nk[2]
 * key[nk] nv[2] value[nv]. Keys are 1..256 bytes and compare with memcmp, a
 * shorter key first on a tie; values are at most 512 bytes.
 *
 * Message ops: 1 insert (set), 2 delete, 3 clearb (remove a Kdat if present and
 * release its block), 4 clobber (remove if present), 5 wstat (partial dirent
 * update), 6 relink (set a snapshot's successor, adjust nlbl/nref), 7 reprev
 * (set its predecessor, adjust nlbl/nref).
 *
 * Keys of a file-system tree (the first byte is the kind):
 *     Kdat  00 qid[8] off[8]               -> block pointer[24] of file data
 *     Kent  01 parent[8] nlen[2] name 00   -> directory entry[61]
 *     Kup   02 qid[8]                      -> the directory's own Kent key
 *   Directory entry: flag[8] qid.path[8] qid.vers[4] qid.type[1] mode[4]
 *     atime[8] mtime[8] length[8] uid[4] gid[4] muid[4].
 *   Wstat value: flags[1], then for each set bit in order size[8] (0x01)
 *     mode[4] (0x02) mtime[8] (0x04) atime[8] (0x08) uid[4] (0x10) gid[4] (0x20)
 *     muid[4] (0x40). Every wstat increments qid.vers.
 * Keys of the snapshot tree:
 *     Klabel 03 name                       -> 04 snapid[8] flags[4] (bit 0: mutable)
 *     Ksnap  04 snapid[8]                  -> tree record[72]
 *     Kdlist 05 killer[8] birth[8]         -> hd pointer[24] tl pointer[24]
 *     Kconf  06 name                       -> string
 *   Tree record: nref[4] nlbl[4] ht[4] flag[4] gen[8] pred[8] succ[8] base[8]
 *     root pointer[24]. Relink and reprev values: link[8] dlbl[1] dref[1]
 *     (signed deltas of nlbl and nref).
 *
 * Deadlist block (type 4): the log-block header, then 8-byte block addresses.
 * A deadlist is a chain from its newest block (hd) to its oldest (tl).
 */
#ifndef FS_FORMAT_H
#define FS_FORMAT_H

#include "base.h"

#define FMT_MAGIC               "gefs9.cs"
#define FMT_HASH_SEED           0x6765u
#define FMT_ADDR_NIL            UINT64_MAX

#define FMT_BLOCK_SIZE_MIN      4096u
#define FMT_BLOCK_SIZE_MAX      16384u
#define FMT_BLOCK_SIZE_DEFAULT  16384u
#define FMT_ARENA_COUNT_MAX     32u

/*
 * Device size limits, in blocks of the format's block size. The smallest
 * device holds sb0, one arena of 8 blocks (h0, h1 and 6 usable) and sb1. The
 * largest is set by memory, not by the format: a mount sizes per-block tables
 * from the block count (deferred frees 8 bytes, kill list 24, free-range map 8,
 * log chain 8: about 48 bytes a block) and fs_check adds about 8.5 bytes a
 * block, so at the maximum a mount needs about 192 MiB and a check 34 MiB
 * more. Those tables count blocks in u32. Addresses are byte offsets in
 * addr[8]; the last byte of the largest device stays far below FMT_ADDR_NIL
 * and fits in an off_t. fs_format_validate refuses anything outside these
 * bounds before anything is allocated or written.
 *   4 KiB blocks: at most 16 GiB;  8 KiB: 32 GiB;  16 KiB: 64 GiB.
 */
#define FMT_BLOCK_COUNT_MIN     10u
#define FMT_BLOCK_COUNT_MAX     (1u << 22)

#define FMT_TYPE_DATA           0u
#define FMT_TYPE_PIVOT          1u
#define FMT_TYPE_LEAF           2u
#define FMT_TYPE_LOG            3u
#define FMT_TYPE_DLIST          4u
#define FMT_TYPE_ARENA          5u
#define FMT_TYPE_SUPER          0x6765u

#define FMT_PTR_SIZE            24u
#define FMT_PPTR_SIZE           26u     /* Pointer + fill[2], a pivot's value. */
#define FMT_PIVOT_HEADER_SIZE   10u
#define FMT_LEAF_HEADER_SIZE    6u
#define FMT_LOG_HEADER_SIZE     36u
#define FMT_ARENA_HEADER_SIZE   34u
#define FMT_SUPER_HEADER_SIZE   112u
#define FMT_SUPER_ARENA_SIZE    16u
#define FMT_LOG_SLOP            40u     /* A log block is full at logspc - slop. */

/*
 * Header fields as offsets into a block, named as in the essay above. Every
 * block but raw data starts with type[2]; a node goes on with nval[2] valsz[2]
 * and, in a pivot, nbuf[2] bufsz[2]. Read them through fmt_block_type and the
 * fmt_node_* accessors below, never as buf + 2.
 */
#define FMT_TYPE_OFFSET         0u
#define FMT_NODE_NVAL_OFFSET    2u
#define FMT_NODE_VALSZ_OFFSET   4u
#define FMT_NODE_NBUF_OFFSET    6u
#define FMT_NODE_BUFSZ_OFFSET   8u
#define FMT_TREE_HEIGHT_MAX     9u      /* Levels of any tree on disk; deeper is refused. */
#define FMT_SNAP_HEIGHT_MAX     FMT_TREE_HEIGHT_MAX     /* A superblock's snap.ht above: refused. */

#define FMT_LOG_ALLOC1          1u
#define FMT_LOG_FREE1           2u
#define FMT_LOG_SYNC            3u
#define FMT_LOG_ALLOC           4u
#define FMT_LOG_FREE            5u
#define FMT_LOG_WIDE            4u      /* Ops >= this take a second word. */
#define FMT_LOG_WORD_SIZE       8u      /* An entry is one or two u64 words. */
#define FMT_LOG_OP_MASK         0xffu   /* The op: the low 8 bits of the first word. */
#define FMT_LOG_QGEN_SHIFT      8u      /* Sync: qgen sits above the op. */
#define FMT_DLIST_ENTRY_SIZE    8u      /* A deadlist entry: one block address[8]. */
#define FMT_QGEN_LIMIT          (1ull << 56)    /* A Sync entry holds qgen in 56 bits; the
                                                   generation and qid counters stay below it too. */

#define FMT_KEY_MAX             256u
#define FMT_INLINE_MAX          512u
#define FMT_KV_MAX              768u
#define FMT_KP_MAX              280u
#define FMT_MSG_MAX             769u

STATIC_ASSERT(FMT_BLOCK_COUNT_MIN == 1 + 8 + 1, "sb0, the smallest arena, sb1");
STATIC_ASSERT(FMT_BLOCK_COUNT_MAX <= UINT32_MAX, "per-block tables count blocks in u32");
STATIC_ASSERT((uint64_t)FMT_BLOCK_COUNT_MAX * FMT_BLOCK_SIZE_MAX <= INT64_MAX,
        "every byte address fits in addr[8] below FMT_ADDR_NIL and in an off_t");
STATIC_ASSERT(FMT_BLOCK_SIZE_MIN >= 256, "an address leaves its low 8 bits to the log op");
STATIC_ASSERT(FMT_PTR_SIZE == 3 * 8, "a block pointer is addr, hash, gen");
STATIC_ASSERT(FMT_PPTR_SIZE == FMT_PTR_SIZE + 2, "pivot value is a pointer and a fill");
STATIC_ASSERT(FMT_PIVOT_HEADER_SIZE == 5 * 2, "pivot header is five u16");
STATIC_ASSERT(FMT_LEAF_HEADER_SIZE == 3 * 2, "leaf header is three u16");
STATIC_ASSERT(FMT_LOG_HEADER_SIZE == 2 + 2 + 8 + FMT_PTR_SIZE, "log header layout");
STATIC_ASSERT(FMT_ARENA_HEADER_SIZE == 2 + 4 * 8, "arena header layout");
STATIC_ASSERT(FMT_SUPER_HEADER_SIZE == 8 + 4 * 4 + 2 * 8 + 4 * 8 + 5 * 8, "superblock layout");
STATIC_ASSERT(FMT_SUPER_HEADER_SIZE + FMT_ARENA_COUNT_MAX * FMT_SUPER_ARENA_SIZE + 8
        <= FMT_BLOCK_SIZE_MIN, "the superblock fits the smallest block");
STATIC_ASSERT(FMT_KV_MAX == FMT_KEY_MAX + FMT_INLINE_MAX, "key + value");
STATIC_ASSERT(FMT_KP_MAX == FMT_KEY_MAX + FMT_PTR_SIZE, "key + pointer");
STATIC_ASSERT(FMT_MSG_MAX == 1 + FMT_KV_MAX, "op + largest record");
STATIC_ASSERT(4 * FMT_KP_MAX < (FMT_BLOCK_SIZE_MIN - FMT_PIVOT_HEADER_SIZE) / 2,
        "four key/pointer records fit a pivot of the smallest block");
STATIC_ASSERT(2 * FMT_MSG_MAX < (FMT_BLOCK_SIZE_MIN - FMT_PIVOT_HEADER_SIZE) / 2,
        "two messages fit the buffer of the smallest block");
STATIC_ASSERT((FMT_BLOCK_SIZE_MIN & 0xff) == 0, "addresses leave the low byte to log ops");
STATIC_ASSERT(FMT_LOG_OP_MASK == (1u << FMT_LOG_QGEN_SHIFT) - 1, "the op is what qgen leaves");
STATIC_ASSERT((FMT_BLOCK_SIZE_MIN & FMT_LOG_OP_MASK) == 0, "an address leaves the op bits free");
STATIC_ASSERT(FMT_QGEN_LIMIT == 1ull << (64 - FMT_LOG_QGEN_SHIFT), "qgen fills a Sync word");
STATIC_ASSERT(FMT_LOG_WORD_SIZE == 8 && FMT_DLIST_ENTRY_SIZE == 8, "u64 words and addresses");
STATIC_ASSERT(FMT_NODE_VALSZ_OFFSET + 2 == FMT_LEAF_HEADER_SIZE, "leaf: type nval valsz");
STATIC_ASSERT(FMT_NODE_BUFSZ_OFFSET + 2 == FMT_PIVOT_HEADER_SIZE,
        "pivot: type nval valsz nbuf bufsz");
STATIC_ASSERT(FMT_NODE_NVAL_OFFSET == FMT_TYPE_OFFSET + 2 && FMT_NODE_VALSZ_OFFSET == 4
        && FMT_NODE_NBUF_OFFSET == 6, "node header fields are consecutive u16");

#define FMT_OP_INSERT           1u
#define FMT_OP_DELETE           2u
#define FMT_OP_CLEARB           3u
#define FMT_OP_CLOBBER          4u
#define FMT_OP_WSTAT            5u
#define FMT_OP_RELINK           6u
#define FMT_OP_REPREV           7u

#define FMT_KDAT                0u
#define FMT_KENT                1u
#define FMT_KUP                 2u
#define FMT_KLABEL              3u
#define FMT_KSNAP               4u
#define FMT_KDLIST              5u
#define FMT_KCONF               6u

#define FMT_KDAT_SIZE           17u
#define FMT_KUP_SIZE            9u
#define FMT_KSNAP_SIZE          9u
#define FMT_KDLIST_SIZE         17u
#define FMT_DIRENT_SIZE         61u
#define FMT_TREE_SIZE           72u
#define FMT_LABEL_VALUE_SIZE    13u
#define FMT_DLIST_VALUE_SIZE    48u
#define FMT_LINK_SIZE           10u
#define FMT_NAME_MAX            244u
#define FMT_KENT_SIZE_MAX       (1u + 8u + 2u + FMT_NAME_MAX + 1u)

/*
 * Key and value fields as offsets, named as in the essay above. Every key is
 * kind[1] and then its fields; the first is an id[8] (Kdat and Kup qid, Kent
 * parent, Ksnap snapid, Kdlist killer), so kind[1] id[8] is the prefix of
 * every key of one file (Kdat), directory (Kent) or killer (Kdlist).
 */
#define FMT_KEY_ID_OFFSET       1u
#define FMT_KEY_PREFIX_SIZE     9u      /* kind[1] id[8]. */
#define FMT_KDAT_OFF_OFFSET     9u      /* Kdat off[8]: the block's offset in the file. */
#define FMT_KDLIST_BIRTH_OFFSET 9u      /* Kdlist birth[8]. */
#define FMT_KENT_NLEN_OFFSET    9u      /* Kent nlen[2]. */
#define FMT_KENT_NAME_OFFSET    11u     /* Kent name[nlen], then 00. */
#define FMT_KENT_SIZE_MIN       12u     /* A Kent with the empty name: the root's. */
#define FMT_LABEL_SNAPID_OFFSET 1u      /* Klabel value: 04 snapid[8] flags[4]. */
#define FMT_LABEL_FLAGS_OFFSET  9u
#define FMT_LABEL_MUTABLE       0x1u    /* Klabel flags bit 0: a fork, moved by commits. */
#define FMT_LINK_DLBL_OFFSET    8u      /* Relink and reprev value: link[8] dlbl[1] dref[1]. */
#define FMT_LINK_DREF_OFFSET    9u

#define FMT_WSTAT_SIZE          0x01u
#define FMT_WSTAT_MODE          0x02u
#define FMT_WSTAT_MTIME         0x04u
#define FMT_WSTAT_ATIME         0x08u
#define FMT_WSTAT_UID           0x10u
#define FMT_WSTAT_GID           0x20u
#define FMT_WSTAT_MUID          0x40u
#define FMT_WSTAT_MAX           (1u + 8u + 4u + 8u + 8u + 4u + 4u + 4u)

#define FMT_QID_DIR             0x80u   /* qid.type bit of a directory. */
#define FMT_MODE_DIR            0x80000000u

STATIC_ASSERT(FMT_KENT_SIZE_MAX <= FMT_KEY_MAX, "a directory-entry key fits the key limit");
STATIC_ASSERT(FMT_DIRENT_SIZE == 8 + 8 + 4 + 1 + 4 + 8 + 8 + 8 + 4 + 4 + 4, "dirent layout");
STATIC_ASSERT(FMT_TREE_SIZE == 4 * 4 + 4 * 8 + FMT_PTR_SIZE, "tree record layout");
STATIC_ASSERT(FMT_TREE_SIZE < FMT_INLINE_MAX, "a tree record fits a value");
STATIC_ASSERT(FMT_DLIST_VALUE_SIZE == 2 * FMT_PTR_SIZE, "deadlist value is two pointers");
STATIC_ASSERT(FMT_KUP_SIZE + FMT_PPTR_SIZE + 4 <= FMT_KP_MAX, "pivot record bound");
STATIC_ASSERT(FMT_KEY_PREFIX_SIZE == FMT_KEY_ID_OFFSET + 8, "kind[1] id[8]");
STATIC_ASSERT(FMT_KDAT_SIZE == FMT_KDAT_OFF_OFFSET + 8, "Kdat: kind qid off");
STATIC_ASSERT(FMT_KDLIST_SIZE == FMT_KDLIST_BIRTH_OFFSET + 8, "Kdlist: kind killer birth");
STATIC_ASSERT(FMT_KUP_SIZE == FMT_KEY_PREFIX_SIZE && FMT_KSNAP_SIZE == FMT_KEY_PREFIX_SIZE,
        "Kup and Ksnap are kind and id alone");
STATIC_ASSERT(FMT_KENT_NLEN_OFFSET == FMT_KEY_PREFIX_SIZE, "Kent: kind parent nlen");
STATIC_ASSERT(FMT_KENT_NAME_OFFSET == FMT_KENT_NLEN_OFFSET + 2, "Kent: nlen, then the name");
STATIC_ASSERT(FMT_KENT_SIZE_MIN == FMT_KENT_NAME_OFFSET + 1, "Kent: the name, then 00");
STATIC_ASSERT(FMT_KENT_SIZE_MAX == FMT_KENT_SIZE_MIN + FMT_NAME_MAX, "Kent size bounds");
STATIC_ASSERT(FMT_LABEL_FLAGS_OFFSET == FMT_LABEL_SNAPID_OFFSET + 8, "label: kind snapid flags");
STATIC_ASSERT(FMT_LABEL_VALUE_SIZE == FMT_LABEL_FLAGS_OFFSET + 4, "label value layout");
STATIC_ASSERT(FMT_LINK_SIZE == FMT_LINK_DREF_OFFSET + 1 && FMT_LINK_DLBL_OFFSET == 8,
        "link value layout");

/* Block-size dependent region sizes (GEFS: Bufspc, Pivspc, Leafspc, Logspc). */
static inline uint32_t
fmt_bufspc(uint32_t block_size)
{
    return (block_size - FMT_PIVOT_HEADER_SIZE) / 2;
}

static inline uint32_t
fmt_pivspc(uint32_t block_size)
{
    return block_size - FMT_PIVOT_HEADER_SIZE - fmt_bufspc(block_size);
}

static inline uint32_t
fmt_leafspc(uint32_t block_size)
{
    return block_size - FMT_LEAF_HEADER_SIZE;
}

static inline uint32_t
fmt_logspc(uint32_t block_size)
{
    return block_size - FMT_LOG_HEADER_SIZE;
}

/* The geometry every arena shares: span in blocks, including both headers.
 * fs_format tiles the device with them from block 1; blocks left over lie
 * unused before sb1. */
static inline uint64_t
fmt_arena_span_blocks(uint64_t block_count, uint32_t arena_count)
{
    return (block_count - 2) / arena_count;
}

static inline bool
fmt_block_size_valid(uint64_t block_size)
{
    return block_size >= FMT_BLOCK_SIZE_MIN && block_size <= FMT_BLOCK_SIZE_MAX
        && (block_size & (block_size - 1)) == 0;
}

/* Big-endian packing. */
static inline void
fmt_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void
fmt_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (24 - 8 * i));
    }
}

static inline void
fmt_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (56 - 8 * i));
    }
}

static inline uint16_t
fmt_get16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t
fmt_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t
fmt_get64(const uint8_t *p)
{
    return ((uint64_t)fmt_get32(p) << 32) | fmt_get32(p + 4);
}

/* The type[2] of any block but raw data. */
static inline uint16_t
fmt_block_type(const uint8_t *block)
{
    return fmt_get16(block + FMT_TYPE_OFFSET);
}

static inline void
fmt_block_type_put(uint8_t *block, uint16_t type)
{
    fmt_put16(block + FMT_TYPE_OFFSET, type);
}

/* Node header fields (pivot and leaf): nval[2] valsz[2]; pivots only: nbuf[2] bufsz[2]. */
static inline uint16_t
fmt_node_nval(const uint8_t *block)
{
    return fmt_get16(block + FMT_NODE_NVAL_OFFSET);
}

static inline uint16_t
fmt_node_valsz(const uint8_t *block)
{
    return fmt_get16(block + FMT_NODE_VALSZ_OFFSET);
}

static inline uint16_t
fmt_node_nbuf(const uint8_t *block)
{
    return fmt_get16(block + FMT_NODE_NBUF_OFFSET);
}

static inline uint16_t
fmt_node_bufsz(const uint8_t *block)
{
    return fmt_get16(block + FMT_NODE_BUFSZ_OFFSET);
}

static inline void
fmt_node_vals_put(uint8_t *block, uint16_t nval, uint16_t valsz)
{
    fmt_put16(block + FMT_NODE_NVAL_OFFSET, nval);
    fmt_put16(block + FMT_NODE_VALSZ_OFFSET, valsz);
}

static inline void
fmt_node_bufs_put(uint8_t *block, uint16_t nbuf, uint16_t bufsz)
{
    fmt_put16(block + FMT_NODE_NBUF_OFFSET, nbuf);
    fmt_put16(block + FMT_NODE_BUFSZ_OFFSET, bufsz);
}

/* A Klabel value: kind[1] = FMT_KSNAP, snapid[8], flags[4]. */
static inline void
fmt_label_pack(uint8_t *v, uint64_t snapid, uint32_t flags)
{
    v[0] = FMT_KSNAP;
    fmt_put64(v + FMT_LABEL_SNAPID_OFFSET, snapid);
    fmt_put32(v + FMT_LABEL_FLAGS_OFFSET, flags);
}

static inline uint64_t
fmt_label_snapid(const uint8_t *v)
{
    return fmt_get64(v + FMT_LABEL_SNAPID_OFFSET);
}

static inline uint32_t
fmt_label_flags(const uint8_t *v)
{
    return fmt_get32(v + FMT_LABEL_FLAGS_OFFSET);
}

/* XXH3-64 with FMT_HASH_SEED over n bytes: block, log-body and superblock hash. */
uint64_t fmt_hash(const void *p, size_t n);

struct bptr {
    uint64_t addr;          /* Byte offset of the block; FMT_ADDR_NIL for none. */
    uint64_t hash;          /* fmt_hash of the whole pointee block. */
    uint64_t gen;           /* Birth generation; FMT_ADDR_NIL for non-tree blocks. */
};

#define BPTR_NIL ((struct bptr){ FMT_ADDR_NIL, FMT_ADDR_NIL, FMT_ADDR_NIL })

void fmt_bptr_pack(uint8_t *p, struct bptr bp);
struct bptr fmt_bptr_unpack(const uint8_t *p);

struct fmt_log_header {
    uint16_t type;          /* FMT_TYPE_LOG or FMT_TYPE_DLIST. */
    uint16_t logsz;         /* Bytes of data in use. */
    uint64_t logh;          /* fmt_hash(data, logsz). */
    struct bptr logp;       /* Next block of the chain; addr nil at the end. */
};

void fmt_log_header_pack(uint8_t *block, const struct fmt_log_header *h);
void fmt_log_header_unpack(const uint8_t *block, struct fmt_log_header *h);
/* The read verifier of log and deadlist blocks (type 3 and 4) for the block
 * layer's table: NULL if logsz fits the block and logh matches the data, else
 * the reason. The type field is checked already. */
const char *fmt_log_verify(uint32_t block_size, const uint8_t *block, uint16_t type);

struct fmt_arena_header {
    uint64_t loghd_addr;    /* First block of the allocation log. */
    uint64_t loghd_hash;    /* Its hash when known; FMT_ADDR_NIL after compression. */
    uint64_t size;          /* Usable bytes from arena start + 2 blocks. */
    uint64_t used;          /* Allocated bytes as of the last sync barrier. */
};

void fmt_arena_header_pack(uint8_t *block, uint32_t block_size,
        const struct fmt_arena_header *h);
void fmt_arena_header_unpack(const uint8_t *block, struct fmt_arena_header *h);

struct fmt_super {
    uint32_t block_size;            /* Bytes per block. */
    uint32_t bufspc;                /* Pivot message-buffer bytes, a sanity check. */
    uint32_t arena_count;           /* Arenas, 1..FMT_ARENA_COUNT_MAX. */
    uint32_t snap_height;           /* Height of the snapshot tree (a leaf is 1). */
    struct bptr snap_root;          /* Snapshot-tree root; gen is 0. */
    uint64_t snapdl_hd_addr;        /* Snapshot-tree deadlist head; always nil. */
    uint64_t snapdl_hd_hash;        /* Its hash. */
    uint64_t snapdl_tl_addr;        /* Snapshot-tree deadlist tail; always nil. */
    uint64_t snapdl_tl_hash;        /* Its hash. */
    uint64_t flags;                 /* Feature flags, 0. */
    uint64_t nextqid;               /* Next qid to hand out. */
    uint64_t nextgen;               /* Next generation number. */
    uint64_t qgen;                  /* Write-queue generation: log replay cut-off. */
    uint64_t block_count;           /* Device blocks at format time. */
    uint64_t arena_addr[FMT_ARENA_COUNT_MAX];   /* Byte address of arena i's h0. */
    uint64_t arena_hash[FMT_ARENA_COUNT_MAX];   /* Block hash both headers must have. */
};

/* Bytes the superblock's self-hash covers for n arenas; sbhash follows. */
static inline uint32_t
fmt_super_size(uint32_t arena_count)
{
    return FMT_SUPER_HEADER_SIZE + FMT_SUPER_ARENA_SIZE * arena_count;
}

void fmt_super_pack(uint8_t *block, uint32_t block_size, const struct fmt_super *sb);

/* Verifies magic, self-hash and every field against the device geometry and
 * fills *sb. Returns NULL, or a reason the block is not a valid superblock. */
const char *fmt_super_unpack(const uint8_t *block, uint32_t block_size,
        uint64_t device_block_count, struct fmt_super *sb);

struct fmt_dirent {
    uint64_t flag;          /* Reserved, 0. */
    uint64_t qid;           /* qid.path: the file's identity. */
    uint32_t version;       /* qid.vers: bumped by every wstat. */
    uint8_t qtype;          /* qid.type: FMT_QID_DIR for directories. */
    uint32_t mode;          /* FMT_MODE_DIR | permission bits. */
    uint64_t atime_ns;      /* Access time (never updated by reads). */
    uint64_t mtime_ns;      /* Modification time. */
    uint64_t length;        /* Bytes; 0 for directories. */
    int32_t uid;            /* Owner. */
    int32_t gid;            /* Group. */
    int32_t muid;           /* Last modifier. */
};

void fmt_dirent_pack(uint8_t *p, const struct fmt_dirent *d);
void fmt_dirent_unpack(const uint8_t *p, struct fmt_dirent *d);
/* A name of a file, directory or snapshot label, name[0..n): not empty,
 * no control character (0x00-0x1f, 0x7f) or '/', not . or ..; its length
 * (at most FMT_NAME_MAX bytes) is the caller's to check. NULL or the reason. */
const char *fmt_name_check(const uint8_t *name, size_t n);
/* Verifies a directory-entry key (Kent): its sizes, the terminating NUL, a
 * name fmt_name_check accepts, empty only for the root. NULL or the reason. */
const char *fmt_kent_check(const uint8_t *k, uint16_t nk);

struct fmt_tree {
    uint32_t nref;          /* Snapshots forked from or succeeding this one. */
    uint32_t nlbl;          /* Labels naming this snapshot. */
    uint32_t height;        /* Tree height, a leaf is 1. */
    uint32_t flag;          /* Reserved, 0. */
    uint64_t gen;           /* Snapshot id. */
    uint64_t pred;          /* Predecessor snapshot; FMT_ADDR_NIL for none. */
    uint64_t succ;          /* Successor in its chain; FMT_ADDR_NIL for none. */
    uint64_t base;          /* First snapshot of this fork chain; nil for none. */
    struct bptr root;       /* Tree root. */
};

void fmt_tree_pack(uint8_t *p, const struct fmt_tree *t);
void fmt_tree_unpack(const uint8_t *p, struct fmt_tree *t);

/* Name of a block type for dumps, "type?" if unknown. */
const char *fmt_type_name(uint16_t type);

#endif /* FS_FORMAT_H */
