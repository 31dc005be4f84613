/*
 * fs/blk.h: blocks: verified reads through the cache, copy-on-write creation,
 * the write queue, and the three kinds of free (see the essay in state.h).
 *
 * Every read is verified before anyone sees the bytes: hash (the pointer's
 * for tree and data blocks, logh for log and deadlist blocks), type, and
 * header bounds (bio.h's verifier table). A failure marks the file system
 * broken and returns FS_ECORRUPT with a reason; nothing from the device is
 * asserted on.
 *
 * The write queue is a min-heap ordered by (qgen, op, addr): everything
 * enqueued before a generation bump is issued before anything enqueued after
 * it. fs_sync bumps the generation between its passes; draining the queue
 * crosses those boundaries in order, marking each pass on the device and, in
 * the hardened profile, flushing before it.
 *
 * Layering: above the allocator (alloc.h, which new blocks and frees call)
 * and block I/O (bio.h, included here for its users); below the trees.
 */
#ifndef FS_BLK_H
#define FS_BLK_H

#include "bio.h"
#include "state.h"

/* Type masks for blk_read: one bit per block type below BLK_MASK_TYPE_LIMIT. */
#define BLK_MASK(type) (1u << (type))
#define BLK_MASK_TREE  (BLK_MASK(FMT_TYPE_PIVOT) | BLK_MASK(FMT_TYPE_LEAF))
#define BLK_MASK_TYPE_LIMIT 16u
#define BLK_TYPE_NONE  0xffffu          /* A type field no mask accepts. */

STATIC_ASSERT(FMT_TYPE_ARENA < BLK_MASK_TYPE_LIMIT, "every block type has a mask bit");
STATIC_ASSERT(FMT_TYPE_SUPER >= BLK_MASK_TYPE_LIMIT, "superblocks are never read as blocks");

/* Reads the block bp points to, through the cache, verified. type_mask says
 * which types are acceptable (FMT_TYPE_DATA blocks have no header). On success
 * *out is held; release it with blk_put. */
int blk_read(struct fs *fs, struct bptr bp, uint32_t type_mask, struct cblk **out);
void blk_put(struct fs *fs, struct cblk *b);
/* A data block's content hash, verified against bp as blk_read verifies it
 * (the same errors), without reading its bytes when the device knows its
 * hash and the cache does not hold it; else through blk_read. */
int blk_data_hash(struct fs *fs, struct bptr bp, uint64_t *hash);

/* Allocates a block and a zeroed cache slot for it. gen is its birth
 * generation; hint picks the arena for data blocks (the file's qid); seq asks
 * for the lowest free address (full-block file writes). */
int blk_new(struct fs *fs, uint16_t type, uint64_t gen, uint64_t hint, bool seq,
        struct cblk **out);

/* Seals a block built in memory: computes its hash, enqueues its write and
 * returns the pointer to it. The block must not change afterwards. The
 * caller still holds b. */
struct bptr blk_finish(struct fs *fs, struct cblk *b);

/* Frees a block born after the last commit: cancels a pending write of it and
 * returns it to its arena at once. */
int blk_free_now(struct fs *fs, uint64_t addr);

/* Frees a block of the committed state: logged at the next commit, reusable
 * once that commit's superblock is durable. */
int blk_free_deferred(struct fs *fs, uint64_t addr);
/* Undoes the allocation of addr by an operation that failed: drops it from
 * the cache and its queued write, and frees it unless the file system has
 * gone read-only meanwhile (one that never commits again has nothing to give
 * back; the failure that broke it may be a free of this very undo). */
void blk_free_undo(struct fs *fs, uint64_t addr);

/* Enqueues a write of a raw buffer (arena headers, superblocks) that stays
 * valid until the queue is drained. */
void wq_push_raw(struct fs *fs, uint64_t addr, const uint8_t *buf);
void wq_push_fence(struct fs *fs);
void wq_push_free(struct fs *fs, uint64_t addr);

/* Issues every queued operation in (qgen, op, addr) order. */
int wq_drain(struct fs *fs);

#endif /* FS_BLK_H */
