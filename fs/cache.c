/*
 * fs/cache.c: the bounded block cache (see cache.h).
 *
 * Invariants: a slot is on the LRU list iff its ref is 0; a slot is in the
 * hash table iff its addr is not nil; an address is in the table at most once.
 */
#include "cache.h"

#include <string.h>

static uint32_t
cache_hash_count(uint32_t count)
{
    uint32_t n = 1;
    while (n < 2 * count) {
        n <<= 1;
    }
    return n;
}

size_t
cache_mem_size(uint32_t count, uint32_t block_size)
{
    return (size_t)count * (sizeof(struct cblk) + block_size)
        + cache_hash_count(count) * sizeof(struct cblk *);
}

static uint32_t
cache_bucket(const struct fs *fs, uint64_t addr)
{
    uint64_t x = addr / fs->block_size;
    x ^= x >> 31;
    x *= 0x9e3779b97f4a7c15ull;
    return (uint32_t)(x >> 32) & fs->cache_hash_mask;
}

static void
lru_unlink(struct cblk *b)
{
    ASSERT(b->lprev != NULL);
    ASSERT(b->lnext != NULL);
    b->lprev->lnext = b->lnext;
    b->lnext->lprev = b->lprev;
    b->lprev = NULL;
    b->lnext = NULL;
}

static void
lru_push_back(struct fs *fs, struct cblk *b)
{
    ASSERT(b->lprev == NULL && b->lnext == NULL);
    b->lprev = fs->lru.lprev;
    b->lnext = &fs->lru;
    fs->lru.lprev->lnext = b;
    fs->lru.lprev = b;
}

static void
lru_push_front(struct fs *fs, struct cblk *b)
{
    ASSERT(b->lprev == NULL && b->lnext == NULL);
    b->lnext = fs->lru.lnext;
    b->lprev = &fs->lru;
    fs->lru.lnext->lprev = b;
    fs->lru.lnext = b;
}

void
cache_init(struct fs *fs, uint32_t count, void *mem)
{
    ASSERT(count >= FS_CACHE_BLOCKS_MIN);
    ASSERT(mem != NULL);
    uint8_t *p = mem;
    uint32_t hash_count = cache_hash_count(count);
    fs->cache = (struct cblk *)p;
    p += (size_t)count * sizeof(struct cblk);
    fs->cache_hash = (struct cblk **)p;
    p += hash_count * sizeof(struct cblk *);
    fs->cache_count = count;
    fs->cache_hash_mask = hash_count - 1;
    memset(fs->cache_hash, 0, hash_count * sizeof(struct cblk *));
    fs->lru.lprev = &fs->lru;
    fs->lru.lnext = &fs->lru;
    for (uint32_t i = 0; i < count; i++) {
        struct cblk *b = &fs->cache[i];
        memset(b, 0, sizeof(*b));
        b->buf = p + (size_t)i * fs->block_size;
        b->addr = FMT_ADDR_NIL;
        lru_push_back(fs, b);
    }
}

struct cblk *
cache_lookup(struct fs *fs, uint64_t addr)
{
    ASSERT(addr != FMT_ADDR_NIL);
    for (struct cblk *b = fs->cache_hash[cache_bucket(fs, addr)]; b != NULL; b = b->hnext) {
        if (b->addr == addr) {
            cache_hold(fs, b);
            return b;
        }
    }
    return NULL;
}

bool
cache_holds(const struct fs *fs, uint64_t addr)
{
    ASSERT(addr != FMT_ADDR_NIL);
    for (const struct cblk *b = fs->cache_hash[cache_bucket(fs, addr)]; b != NULL; b = b->hnext) {
        if (b->addr == addr) {
            return true;
        }
    }
    return false;
}

static void
hash_remove(struct fs *fs, struct cblk *b)
{
    struct cblk **pp = &fs->cache_hash[cache_bucket(fs, b->addr)];
    while (*pp != b) {
        ASSERT(*pp != NULL);
        pp = &(*pp)->hnext;
    }
    *pp = b->hnext;
    b->hnext = NULL;
    b->addr = FMT_ADDR_NIL;
}

struct cblk *
cache_claim(struct fs *fs, uint64_t addr)
{
    ASSERT(addr != FMT_ADDR_NIL);
    struct cblk *b = fs->lru.lnext;
    if (b == &fs->lru) {
        return NULL;
    }
    ASSERT(b->ref == 0);
    ASSERT((b->flags & (CBLK_DIRTY | CBLK_QUEUED)) == 0);
    lru_unlink(b);
    if (b->addr != FMT_ADDR_NIL) {
        hash_remove(fs, b);
    }
    uint32_t h = cache_bucket(fs, addr);
    b->addr = addr;
    b->hnext = fs->cache_hash[h];
    fs->cache_hash[h] = b;
    b->ref = 1;
    b->flags = 0;
    b->hash = 0;
    b->gen = FMT_ADDR_NIL;
    b->type = FMT_TYPE_DATA;
    return b;
}

void
cache_hold(struct fs *fs, struct cblk *b)
{
    ASSERT(b >= fs->cache && b < fs->cache + fs->cache_count);
    if (b->ref == 0) {
        lru_unlink(b);
    }
    b->ref++;
    ASSERT(b->ref != 0);
}

void
cache_put(struct fs *fs, struct cblk *b)
{
    ASSERT(b >= fs->cache && b < fs->cache + fs->cache_count);
    ASSERT(b->ref > 0);
    b->ref--;
    if (b->ref != 0) {
        return;
    }
    ASSERT((b->flags & CBLK_QUEUED) == 0);
    if (b->addr == FMT_ADDR_NIL) {
        b->flags = 0;
        lru_push_front(fs, b);      /* Empty slots are reused first. */
    } else {
        lru_push_back(fs, b);
    }
}

void
cache_forget(struct fs *fs, struct cblk *b)
{
    ASSERT(b->ref > 0);
    if (b->addr != FMT_ADDR_NIL) {
        hash_remove(fs, b);
    }
    ASSERT(b->addr == FMT_ADDR_NIL);
}

void
cache_drop_clean(struct fs *fs)
{
    for (uint32_t i = 0; i < fs->cache_count; i++) {
        struct cblk *b = &fs->cache[i];
        if (b->ref == 0 && b->addr != FMT_ADDR_NIL) {
            ASSERT((b->flags & (CBLK_DIRTY | CBLK_QUEUED)) == 0);   /* Unreferenced: clean. */
            hash_remove(fs, b);
            lru_unlink(b);
            b->flags = 0;
            lru_push_front(fs, b);  /* Empty slots are reused first. */
        }
    }
}
