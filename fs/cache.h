/*
 * fs/cache.h: the bounded block cache.
 *
 * A fixed number of slots, each holding one block image, found by address
 * through a hash table. Unreferenced slots sit on an LRU list and are reused
 * least-recently-used first. A slot with a pending write is referenced by its
 * write-queue entry, so it cannot be evicted before it is written.
 */
#ifndef FS_CACHE_H
#define FS_CACHE_H

#include "state.h"

/* Bytes of memory cache_init needs for count slots of block_size. */
size_t cache_mem_size(uint32_t count, uint32_t block_size);
void cache_init(struct fs *fs, uint32_t count, void *mem);

/* The cached block at addr, held, or NULL. */
struct cblk *cache_lookup(struct fs *fs, uint64_t addr);
/* Whether the cache holds addr; touches nothing (no hold, no LRU move). */
bool cache_holds(const struct fs *fs, uint64_t addr);

/* An empty slot bound to addr, held once, or NULL if every slot is held. The
 * address must not be cached already. */
struct cblk *cache_claim(struct fs *fs, uint64_t addr);

void cache_hold(struct fs *fs, struct cblk *b);
void cache_put(struct fs *fs, struct cblk *b);

/* Unbinds the slot from its address (the block was freed or failed to read);
 * the slot is reused once its last reference is put. */
void cache_forget(struct fs *fs, struct cblk *b);

/* Unbinds every unreferenced slot (all clean): later reads go to the device.
 * fs_check starts so, so that what it finds, and in which order, does not
 * depend on what earlier reads left cached. */
void cache_drop_clean(struct fs *fs);

#endif /* FS_CACHE_H */
