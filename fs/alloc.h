/*
 * fs/alloc.h: arenas, their free maps and allocation logs.
 *
 * Each arena keeps a free map of coalesced ranges in memory and an append-only
 * allocation log on disk (entries in format.h). The log's tail block lives in
 * memory and is rewritten in place: when it fills (log growth, written at
 * once), and at sync pass 0 with a Sync barrier. Mount replays each log from
 * its head up to the first barrier whose generation is at least the
 * superblock's qgen, and cuts the tail there. When a log has doubled since
 * its last compression, sync pass 0 rewrites it as one Free entry per free
 * range (compression).
 *
 * Differences from GEFS, each closing a crash hazard:
 *   - replay truncation keeps the committed barrier itself (GEFS drops it):
 *     otherwise a crash during the next sync would replay that sync's entries
 *     under the old superblock, freeing blocks the old state still uses;
 *   - deferred frees (state.h) are logged before the barrier of the commit
 *     that frees them, so they neither leak nor become reusable early.
 */
#ifndef FS_ALLOC_H
#define FS_ALLOC_H

#include "state.h"

/* Arena geometry at format time. */
uint64_t alloc_reserve_bytes(uint64_t size, uint32_t block_size);
/* Free-range slots an arena of size bytes can ever need. */
uint32_t alloc_free_cap(uint64_t size, uint32_t block_size);
/* Log-chain slots an arena can ever need. */
uint32_t alloc_chain_cap(uint64_t size, uint32_t block_size);

/* The arena holding addr in its usable space, or NULL. */
struct arena *alloc_arena_of(struct fs *fs, uint64_t addr);

/* Allocates one block: metadata and data go to different arenas (GEFS); seq
 * takes the lowest free address, otherwise the highest. FS_ENOSPC if every
 * arena is at its reserve (unless fs->use_reserve) or full. */
int alloc_block(struct fs *fs, uint16_t type, uint64_t hint, bool seq, uint64_t *addr);

/* Logs a free and returns the block to the free map now. */
int alloc_free_now(struct fs *fs, uint64_t addr);
/* Queues a deferred free (state.h). */
int alloc_defer(struct fs *fs, uint64_t addr);
/* Logs every deferred free not yet logged (sync pass 0, before the barriers). */
int alloc_log_deferred(struct fs *fs);
/* Returns a logged deferred free to the free map (sync pass 4). */
int alloc_release(struct fs *fs, uint64_t addr);

/* A new arena for format: free map of the whole usable space, a one-block log
 * holding Free(all) and Alloc1(log block). */
void alloc_arena_format(struct fs *fs, struct arena *a);
/* Loads an arena's log at mount. On FS_ECORRUPT *why says what was wrong. */
int alloc_replay(struct fs *fs, struct arena *a, const char **why);

/* Sync pass 0 for one arena: compress if due, then (after the caller logged
 * deferred frees) append Sync(qgen), write the tail, pack the header. */
bool alloc_compress_due(const struct arena *a);
int alloc_compress(struct fs *fs, struct arena *a);
int alloc_barrier(struct fs *fs, struct arena *a, uint64_t qgen);

/* Free-map primitives, exposed for the checker and tests. */
bool alloc_range_is_free(const struct arena *a, uint64_t off, uint64_t len);

#endif /* FS_ALLOC_H */
