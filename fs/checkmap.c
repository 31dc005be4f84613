/*
 * fs/checkmap.c: the reach maps and the findings of fs_check (see
 * checkmap.h).
 *
 * Method: one bit per device block in each map. A mark first checks the
 * address (inside the device, block-aligned) and that the block is not in
 * its arena's free map, then the maps: a block with one owner may be reached
 * once from anywhere; a tree node or data block may be reached again by
 * another snapshot's walk but not twice by one walk, and never by an
 * exclusive owner as well. Each failed check is a finding that names it; the
 * first FS_CHECK_FINDINGS_MAX findings are kept, all are counted.
 */
#include "checkmap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"

void
check_finding(struct check *c, enum fs_check_class cls, uint64_t block, const char *what,
        const char *fmt, ...)
{
    c->r->count[cls]++;
    if (c->r->finding_count == FS_CHECK_FINDINGS_MAX) {
        return;
    }
    struct fs_check_finding *f = &c->r->findings[c->r->finding_count++];
    f->cls = (uint8_t)cls;
    f->block = block;
    snprintf(f->what, sizeof(f->what), "%s", what);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->why, sizeof(f->why), fmt, ap);
    va_end(ap);
}

static uint32_t
memo_slot(const struct fs_check_memo *m, uint64_t key)
{
    ASSERT(key != 0);
    uint32_t i = (uint32_t)(key ^ key >> 32) & m->mask;
    while (m->keys[i] != 0 && m->keys[i] != key) {
        i = (i + 1) & m->mask;
    }
    return i;
}

bool
check_memo_has(const struct fs_check_memo *m, uint64_t key)
{
    return m->keys[memo_slot(m, key)] == key;
}

/* Doubles the slots, up to CHECK_MEMO_SLOTS; false if it may not. */
static bool
memo_grow(struct fs_check_memo *m)
{
    uint32_t n = m->mask + 1;
    uint64_t *old = m->keys;
    uint64_t *keys = n < CHECK_MEMO_SLOTS ? calloc(2 * (size_t)n, sizeof(uint64_t)) : NULL;
    if (keys == NULL) {
        return false;
    }
    m->keys = keys;
    m->mask = 2 * n - 1;
    for (uint32_t i = 0; i < n; i++) {
        if (old[i] != 0) {
            m->keys[memo_slot(m, old[i])] = old[i];
        }
    }
    free(old);
    return true;
}

void
check_memo_add(struct fs_check_memo *m, uint64_t key)
{
    if (m->used + 1 >= (m->mask + 1) / 2 && !memo_grow(m)) {
        return;                     /* At its bound: what it holds stays. */
    }
    uint32_t i = memo_slot(m, key);
    if (m->keys[i] == 0) {
        m->keys[i] = key;
        m->used++;
    }
}

bool
check_bit(const uint8_t *map, uint64_t block)
{
    return ((unsigned)map[block / 8] >> (block % 8)) & 1u;
}

void
check_bit_set(uint8_t *map, uint64_t block)
{
    map[block / 8] |= (uint8_t)(1u << (block % 8));
}

/* Common part of a mark: in the device, and allocated if in an arena. */
static bool
reach_valid(struct check *c, uint64_t addr, const char *what)
{
    struct fs *fs = c->fs;
    uint64_t block = addr / fs->block_size;
    if (addr % fs->block_size != 0 || block >= fs->block_count) {
        check_finding(c, FS_CHECK_CORRUPT, block, what, "pointer outside the device");
        return false;
    }
    struct arena *a = alloc_arena_of(fs, addr);
    if (a != NULL && alloc_range_is_free(a, addr, fs->block_size)) {
        check_finding(c, FS_CHECK_CORRUPT, block, what, "referenced block is free");
        return false;
    }
    return true;
}

bool
check_reach_shared(struct check *c, uint64_t addr, const char *what, bool data, bool *first)
{
    *first = false;
    if (!reach_valid(c, addr, what)) {
        return false;
    }
    uint64_t block = addr / c->fs->block_size;
    if (check_bit(c->meta, block) || check_bit(c->walk, block)) {
        check_finding(c, FS_CHECK_CORRUPT, block, what, "block referenced twice");
        return false;
    }
    if (check_bit(c->shared, block) && check_bit(c->data, block) != data) {
        /* Snapshots share blocks, never a tree node as file data. */
        check_finding(c, FS_CHECK_CORRUPT, block, what, "%s", data
                ? "referenced as file data and, by another snapshot, as a tree node"
                : "referenced as a tree node and, by another snapshot, as file data");
        return false;
    }
    if (data) {
        check_bit_set(c->data, block);
    }
    check_bit_set(c->walk, block);
    if (!check_bit(c->shared, block)) {
        check_bit_set(c->shared, block);
        c->r->blocks_reachable++;
        *first = true;
    }
    return true;
}

void
check_mark_dead(struct check *c, uint64_t addr, const char *what)
{
    if (!reach_valid(c, addr, what)) {
        return;
    }
    uint64_t block = addr / c->fs->block_size;
    if (check_bit(c->dead, block)) {
        check_finding(c, FS_CHECK_CORRUPT, block, what, "block listed in deadlists twice");
    }
    check_bit_set(c->dead, block);
}

bool
check_reach(struct check *c, uint64_t addr, const char *what)
{
    struct fs *fs = c->fs;
    uint64_t block = addr / fs->block_size;
    if (addr % fs->block_size != 0 || block >= fs->block_count) {
        check_finding(c, FS_CHECK_CORRUPT, block, what, "pointer outside the device");
        return false;
    }
    if (check_bit(c->meta, block) || check_bit(c->shared, block)) {
        check_finding(c, FS_CHECK_CORRUPT, block, what, "block referenced twice");
        return false;
    }
    check_bit_set(c->meta, block);
    c->r->blocks_reachable++;
    struct arena *a = alloc_arena_of(fs, addr);
    if (a != NULL && alloc_range_is_free(a, addr, fs->block_size)) {
        check_finding(c, FS_CHECK_CORRUPT, block, what, "referenced block is free");
        return false;
    }
    return true;
}
