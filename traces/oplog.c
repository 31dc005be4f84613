/*
 * traces/oplog.c: the op log (see oplog.h).
 *
 * Method. Ops go into one growing array; contents into a pool of fixed-size
 * chunks, found again by an open-addressing table over their XXH3 hashes
 * (kept at most half full), so writing the same bytes twice stores them
 * once. Each write links to the previous write of its block through the
 * per-block last_write array, which also answers "what does this block hold
 * at the end of the log" without an image.
 *
 * The base is sparse as well: a second pool holds the contents of the blocks
 * that were not all zero when the log began, a per-block index finds them,
 * and one zero block answers for every other block. Memory therefore grows
 * with the blocks written (two words per block of the device aside), never
 * with the device's bytes. A base block written again before the log starts
 * (mkfs rewriting a header) leaves its old content in the pool: those writes
 * are few, and a pool never frees.
 *
 * Invariants. ops[i].prev < i; last_write[b] is the last write op to b, or
 * OPLOG_NONE; a write's content < pool.count and its block < block_count;
 * write_count + flush_count <= count; base_index[b] is OPLOG_NONE or the
 * base_pool index of bytes that are not all zero, and base_count counts the
 * blocks that have one. An append that runs out of memory leaves the log as
 * it was (a write reserves its op before it stores its content, and the pool
 * stores nothing it cannot index), so a log is always whole; so does a base
 * block set without memory for it.
 *
 * The names of kinds, marks and activities are derived here from their
 * tables; the mark names themselves are fs/bdev.h's.
 */
#include "oplog.h"

#include <stdlib.h>
#include <string.h>

#include "../fs/format.h"

#define OPLOG_CAPACITY_FIRST 4096u      /* Ops allocated by the first append. */
#define POOL_CHUNK 256u                 /* Contents per pool allocation, once grown. */
#define POOL_CHUNK_FIRST 8u             /* Contents of the first; each next one doubles
                                           up to POOL_CHUNK, so a short log allocates
                                           little. */
#define POOL_GROWN 5u                   /* Chunks before the first of POOL_CHUNK. */
#define POOL_GROWN_CONTENTS (POOL_CHUNK_FIRST * ((1u << POOL_GROWN) - 1u))
#define POOL_TABLE_FIRST 1024u          /* Slots of a new pool's table. */

static const char *const mark_other_name = "other";

static const char *const kind_names[OPLOG_OP_KIND_COUNT] = {
#define X(id, name) name,
    OPLOG_OP_KINDS(X)
#undef X
};

/* The mark that begins each activity (none for OPLOG_ACT_NONE). */
static const uint32_t activity_marks[OPLOG_ACT_COUNT] = {
    OPLOG_MARK_OTHER,
#define X(mark) BDEV_MARK_##mark,
    OPLOG_ACTIVITIES(X)
#undef X
};

STATIC_ASSERT(OPLOG_MARK_COUNT <= UINT8_MAX, "a mark fits its op's byte");
STATIC_ASSERT(OPLOG_ACT_COUNT <= UINT8_MAX, "an activity fits its op's byte");

const char *
oplog_op_kind_name(enum oplog_op_kind kind)
{
    ASSERT(kind < OPLOG_OP_KIND_COUNT);
    ASSERT(kind_names[kind] != NULL);
    return kind_names[kind];
}

const char *
oplog_mark_name(uint32_t mark)
{
    ASSERT(mark < OPLOG_MARK_COUNT);
    return mark == OPLOG_MARK_OTHER ? mark_other_name : bdev_mark_name((enum bdev_mark)mark);
}

int
oplog_mark_lookup(const char *name)
{
    ASSERT(name != NULL);
    for (uint32_t m = 0; m < OPLOG_MARK_COUNT; m++) {
        if (strcmp(name, oplog_mark_name(m)) == 0) {
            return (int)m;
        }
    }
    return -1;
}

uint8_t
oplog_mark_pass(uint32_t mark)
{
    ASSERT(mark < OPLOG_MARK_COUNT);
    uint32_t pass = mark - (uint32_t)BDEV_MARK_SYNC_PASS0;      /* Wraps below pass 0. */
    return pass <= BDEV_MARK_SYNC_PASS4 - BDEV_MARK_SYNC_PASS0 ? (uint8_t)pass : OPLOG_PASS_NONE;
}

const char *
oplog_activity_name(enum oplog_activity activity)
{
    ASSERT(activity < OPLOG_ACT_COUNT);
    return activity == OPLOG_ACT_NONE ? "" : oplog_mark_name(activity_marks[activity]);
}

/* The activity mark begins, or OPLOG_ACT_NONE. */
static enum oplog_activity
mark_activity(uint32_t mark)
{
    ASSERT(mark < OPLOG_MARK_COUNT);
    for (uint32_t a = OPLOG_ACT_NONE + 1; a < OPLOG_ACT_COUNT; a++) {
        if (activity_marks[a] == mark) {
            return (enum oplog_activity)a;
        }
    }
    return OPLOG_ACT_NONE;
}

/* ---- The content pool. ---- */

STATIC_ASSERT(POOL_CHUNK_FIRST << POOL_GROWN == POOL_CHUNK, "the chunks double up to POOL_CHUNK");

/* Contents chunk c holds. */
static uint32_t
pool_chunk_size(uint32_t c)
{
    return c < POOL_GROWN ? POOL_CHUNK_FIRST << c : POOL_CHUNK;
}

/* Contents in the chunks before chunk c. */
static uint32_t
pool_chunk_start(uint32_t c)
{
    return c <= POOL_GROWN ? POOL_CHUNK_FIRST * ((1u << c) - 1u)
        : POOL_GROWN_CONTENTS + (c - POOL_GROWN) * POOL_CHUNK;
}

/* The chunk content index is in. */
static uint32_t
pool_chunk_of(uint32_t index)
{
    if (index >= POOL_GROWN_CONTENTS) {
        return POOL_GROWN + (index - POOL_GROWN_CONTENTS) / POOL_CHUNK;
    }
    /* Chunk c starts at FIRST * (2^c - 1): c is log2(index / FIRST + 1), rounded down. */
    return 31u - (uint32_t)__builtin_clz(index / POOL_CHUNK_FIRST + 1u);
}

const uint8_t *
oplog_pool_get(const struct oplog_pool *pool, uint32_t index)
{
    ASSERT(index < pool->count);
    uint32_t c = pool_chunk_of(index);
    ASSERT(c < pool->chunk_count);
    return pool->chunks[c] + (size_t)(index - pool_chunk_start(c)) * pool->block_size;
}

static int
pool_grow_table(struct oplog_pool *p)
{
    uint32_t size = p->table_mask ? 2 * (p->table_mask + 1) : POOL_TABLE_FIRST;
    ASSERT((size & (size - 1)) == 0);
    ASSERT(size >= 2 * p->count);
    uint32_t *t = malloc(size * sizeof(uint32_t));
    if (t == NULL) {
        return FS_ENOMEM;
    }
    memset(t, 0xff, size * sizeof(uint32_t));
    for (uint32_t i = 0; i < p->count; i++) {
        uint32_t h = (uint32_t)p->hashes[i] & (size - 1);
        while (t[h] != OPLOG_NONE) {
            h = (h + 1) & (size - 1);
        }
        t[h] = i;
    }
    free(p->table);
    p->table = t;
    p->table_mask = size - 1;
    return 0;
}

/* Room for one more content: a new chunk when the last is full. */
static int
pool_reserve(struct oplog_pool *p)
{
    uint32_t c = pool_chunk_of(p->count);
    if (c < p->chunk_count) {
        return 0;                       /* The last chunk has room (or was reserved). */
    }
    ASSERT(c == p->chunk_count);
    ASSERT(p->count == pool_chunk_start(c));
    uint8_t **chunks = realloc(p->chunks, (c + 1) * sizeof(uint8_t *));
    if (chunks == NULL) {
        return FS_ENOMEM;
    }
    p->chunks = chunks;
    uint64_t *hashes = realloc(p->hashes, (size_t)pool_chunk_start(c + 1) * sizeof(uint64_t));
    if (hashes == NULL) {
        return FS_ENOMEM;
    }
    p->hashes = hashes;
    p->chunks[c] = malloc((size_t)pool_chunk_size(c) * p->block_size);
    if (p->chunks[c] == NULL) {
        return FS_ENOMEM;
    }
    p->chunk_count = c + 1;
    return 0;
}

/* Stores bytes (if new) and returns their index, or OPLOG_NONE when out of
 * memory (the pool is then as it was). */
static uint32_t
pool_put(struct oplog_pool *p, const uint8_t *bytes)
{
    ASSERT(p->table != NULL);
    uint64_t hash = fmt_hash(bytes, p->block_size);
    uint32_t h = (uint32_t)hash & p->table_mask;
    for (; p->table[h] != OPLOG_NONE; h = (h + 1) & p->table_mask) {
        uint32_t i = p->table[h];
        if (p->hashes[i] == hash && memcmp(oplog_pool_get(p, i), bytes, p->block_size) == 0) {
            return i;
        }
    }
    if (pool_reserve(p) != 0
            || (2 * (p->count + 1) > p->table_mask && pool_grow_table(p) != 0)) {
        return OPLOG_NONE;
    }
    for (h = (uint32_t)hash & p->table_mask; p->table[h] != OPLOG_NONE;
            h = (h + 1) & p->table_mask) {
        ASSERT(p->hashes[p->table[h]] != hash
                || memcmp(oplog_pool_get(p, p->table[h]), bytes, p->block_size) != 0);
    }
    uint32_t i = p->count++;
    memcpy((uint8_t *)oplog_pool_get(p, i), bytes, p->block_size);
    p->hashes[i] = hash;
    p->table[h] = i;
    return i;
}

static void
pool_free(struct oplog_pool *p)
{
    for (uint32_t i = 0; i < p->chunk_count; i++) {
        free(p->chunks[i]);
    }
    free(p->chunks);
    free(p->hashes);
    free(p->table);
    memset(p, 0, sizeof(*p));
}

/* ---- The log. ---- */

int
oplog_init(struct oplog *log, uint32_t block_size, uint64_t block_count)
{
    ASSERT(block_size >= BDEV_SECTOR_SIZE);
    ASSERT(block_count > 0 && block_count < OPLOG_NONE);
    memset(log, 0, sizeof(*log));
    log->block_size = block_size;
    log->block_count = block_count;
    log->pass = OPLOG_PASS_NONE;
    log->pool.block_size = block_size;
    log->last_write = malloc(block_count * sizeof(uint32_t));
    if (log->last_write == NULL || pool_grow_table(&log->pool) != 0) {
        oplog_deinit(log);
        return FS_ENOMEM;
    }
    memset(log->last_write, 0xff, block_count * sizeof(uint32_t));
    return 0;
}

void
oplog_deinit(struct oplog *log)
{
    pool_free(&log->pool);
    free(log->ops);
    free(log->last_write);
    memset(log, 0, sizeof(*log));
}

void
oplog_start(struct oplog *log, uint32_t epoch, uint64_t qgen)
{
    ASSERT(!log->started);
    ASSERT(log->count == 0);
    log->started = true;
    log->epoch = epoch;
    log->qgen = qgen;
    log->pass = OPLOG_PASS_NONE;
    log->activity = OPLOG_ACT_NONE;
}

/* Room for one more op: 0 or FS_ENOMEM. */
static int
op_reserve(struct oplog *log)
{
    ASSERT(log->count <= log->capacity);
    ASSERT(log->capacity < UINT32_MAX / 2);
    if (log->count < log->capacity) {
        return 0;
    }
    uint32_t cap = log->capacity ? 2 * log->capacity : OPLOG_CAPACITY_FIRST;
    struct oplog_op *ops = realloc(log->ops, cap * sizeof(struct oplog_op));
    if (ops == NULL) {
        return FS_ENOMEM;
    }
    log->ops = ops;
    log->capacity = cap;
    return 0;
}

/* A new op of kind carrying the current state, or NULL when out of memory. */
static struct oplog_op *
op_append(struct oplog *log, enum oplog_op_kind kind)
{
    ASSERT(log->started);
    if (op_reserve(log) != 0) {
        return NULL;
    }
    struct oplog_op *op = &log->ops[log->count++];
    *op = (struct oplog_op){ .kind = (uint8_t)kind, .pass = log->pass,
        .activity = log->activity, .content = OPLOG_NONE, .epoch = log->epoch,
        .prev = OPLOG_NONE, .qgen = log->qgen };
    return op;
}

int
oplog_write(struct oplog *log, uint64_t block, const uint8_t *bytes)
{
    ASSERT(block < log->block_count);
    ASSERT(bytes != NULL);
    if (!log->started) {
        return 0;
    }
    uint32_t content = op_reserve(log) == 0 ? pool_put(&log->pool, bytes) : OPLOG_NONE;
    if (content == OPLOG_NONE) {
        return FS_ENOMEM;
    }
    struct oplog_op *op = op_append(log, OPLOG_OP_WRITE);   /* Reserved: cannot fail. */
    ASSERT(op != NULL);
    uint16_t t = fmt_get16(bytes);
    op->type = t <= FMT_TYPE_ARENA || t == FMT_TYPE_SUPER ? t : FMT_TYPE_DATA;
    op->block = block;
    op->content = content;
    op->prev = log->last_write[block];
    log->last_write[block] = log->count - 1;
    log->write_count++;
    return 0;
}

int
oplog_flush(struct oplog *log)
{
    ASSERT(log->epoch < UINT32_MAX);
    if (log->started) {
        if (op_append(log, OPLOG_OP_FLUSH) == NULL) {
            return FS_ENOMEM;
        }
        log->flush_count++;
    }
    log->epoch++;
    return 0;
}

int
oplog_mark(struct oplog *log, uint32_t mark, uint64_t qgen)
{
    ASSERT(mark < OPLOG_MARK_COUNT);
    log->qgen = qgen;
    uint8_t pass = oplog_mark_pass(mark);
    enum oplog_activity act = mark_activity(mark);
    if (pass != OPLOG_PASS_NONE) {
        log->pass = pass;
        log->activity = OPLOG_ACT_NONE;
    } else if (mark == BDEV_MARK_SYNC_END) {
        log->pass = OPLOG_PASS_NONE;        /* Writes until the next sync are between syncs. */
        log->activity = OPLOG_ACT_NONE;
    } else if (act != OPLOG_ACT_NONE) {
        log->activity = (uint8_t)act;
    }
    if (!log->started) {
        return 0;
    }
    struct oplog_op *op = op_append(log, OPLOG_OP_MARK);
    if (op == NULL) {
        return FS_ENOMEM;
    }
    op->mark = (uint8_t)mark;
    return 0;
}

const uint8_t *
oplog_op_bytes(const struct oplog *log, uint32_t index)
{
    ASSERT(index < log->count);
    ASSERT(log->ops[index].kind == OPLOG_OP_WRITE);
    return oplog_pool_get(&log->pool, log->ops[index].content);
}

const uint8_t *
oplog_live_bytes(const struct oplog *log, uint32_t index)
{
    ASSERT(index < log->count);
    const struct oplog_op *op = &log->ops[index];
    if (op->kind != OPLOG_OP_WRITE || log->last_write[op->block] != index) {
        return NULL;
    }
    return oplog_pool_get(&log->pool, op->content);
}

uint32_t
oplog_block_writer_at(const struct oplog *log, uint64_t block, uint32_t cut)
{
    ASSERT(cut <= log->count);
    ASSERT(log->last_write != NULL);
    if (block >= log->block_count) {
        return OPLOG_NONE;
    }
    uint32_t op = log->last_write[block];
    for (uint32_t steps = 0; op != OPLOG_NONE && op >= cut; steps++) {
        ASSERT(steps < log->count);             /* prev only goes down: ops[i].prev < i. */
        op = log->ops[op].prev;
    }
    return op;
}

const uint8_t *
oplog_block_last(const struct oplog *log, uint64_t block)
{
    ASSERT(log->last_write != NULL);
    if (block >= log->block_count || log->last_write[block] == OPLOG_NONE) {
        return NULL;
    }
    return oplog_op_bytes(log, log->last_write[block]);
}

uint64_t
oplog_hash(const struct oplog *log)
{
    ASSERT(log->count <= log->capacity);
    uint64_t h = fmt_hash(NULL, 0);
    for (uint32_t i = 0; i < log->count; i++) {
        const struct oplog_op *op = &log->ops[i];
        uint64_t content = op->kind == OPLOG_OP_WRITE ? log->pool.hashes[op->content] : 0;
        uint64_t rec[4] = { h, ((uint64_t)op->kind << 8) | op->mark, op->block, content };
        h = fmt_hash(rec, sizeof(rec));
    }
    return h;
}

/* ---- A device image and its log. ---- */

int
oplog_disk_init(struct oplog_disk *disk, uint32_t block_size, uint64_t block_count)
{
    ASSERT(block_size >= BDEV_SECTOR_SIZE);
    ASSERT(block_count > 0 && block_count < OPLOG_NONE);
    memset(disk, 0, sizeof(*disk));
    disk->base_pool.block_size = block_size;
    disk->base_index = malloc(block_count * sizeof(uint32_t));
    disk->zero = calloc(1, block_size);
    if (disk->base_index == NULL || disk->zero == NULL || pool_grow_table(&disk->base_pool) != 0
            || oplog_init(&disk->log, block_size, block_count) != 0) {
        oplog_disk_deinit(disk);
        return FS_ENOMEM;
    }
    memset(disk->base_index, 0xff, block_count * sizeof(uint32_t));
    return 0;
}

void
oplog_disk_deinit(struct oplog_disk *disk)
{
    pool_free(&disk->base_pool);
    free(disk->base_index);
    free(disk->zero);
    oplog_deinit(&disk->log);
    memset(disk, 0, sizeof(*disk));
}

int
oplog_disk_base_set(struct oplog_disk *disk, uint64_t block, const uint8_t *bytes)
{
    ASSERT(block < disk->log.block_count);
    ASSERT(!disk->log.started);
    uint32_t index = OPLOG_NONE;            /* All zero: nothing stored. */
    if (memcmp(bytes, disk->zero, disk->log.block_size) != 0) {
        index = pool_put(&disk->base_pool, bytes);
        if (index == OPLOG_NONE) {
            return FS_ENOMEM;
        }
    }
    disk->base_count -= disk->base_index[block] != OPLOG_NONE;
    disk->base_count += index != OPLOG_NONE;
    disk->base_index[block] = index;
    ASSERT(disk->base_count <= disk->log.block_count);
    return 0;
}

int
oplog_disk_write(struct oplog_disk *disk, uint64_t block, const uint8_t *bytes)
{
    ASSERT(block < disk->log.block_count);
    ASSERT(bytes != NULL);
    return disk->log.started ? oplog_write(&disk->log, block, bytes)
        : oplog_disk_base_set(disk, block, bytes);
}

const uint8_t *
oplog_disk_base_block(const struct oplog_disk *disk, uint64_t block)
{
    ASSERT(block < disk->log.block_count);
    ASSERT(disk->base_index != NULL);
    uint32_t index = disk->base_index[block];
    if (index != OPLOG_NONE) {
        return oplog_pool_get(&disk->base_pool, index);
    }
    return disk->lower.block != NULL ? disk->lower.block(disk->lower.context, block) : disk->zero;
}

void
oplog_disk_set_lower(struct oplog_disk *disk, const struct oplog_lower *lower)
{
    ASSERT(!disk->log.started);
    ASSERT(lower->block != NULL && lower->hash != NULL);
    disk->lower = *lower;
}

uint64_t
oplog_disk_base_next(const struct oplog_disk *disk, uint64_t block)
{
    ASSERT(disk->base_index != NULL);
    ASSERT(block <= disk->log.block_count);
    while (block < disk->log.block_count && disk->base_index[block] == OPLOG_NONE) {
        block++;
    }
    return block;
}

bool
oplog_disk_hash(const struct oplog_disk *disk, uint64_t block, uint64_t *hash)
{
    ASSERT(block < disk->log.block_count);
    const struct oplog *log = &disk->log;
    if (log->last_write[block] != OPLOG_NONE) {
        *hash = log->pool.hashes[log->ops[log->last_write[block]].content];
        return true;
    }
    uint32_t index = disk->base_index[block];
    if (index != OPLOG_NONE) {
        *hash = disk->base_pool.hashes[index];
        return true;
    }
    return disk->lower.hash != NULL && disk->lower.hash(disk->lower.context, block, hash);
}

const uint8_t *
oplog_disk_block(const struct oplog_disk *disk, uint64_t block)
{
    ASSERT(block < disk->log.block_count);
    const uint8_t *last = oplog_block_last(&disk->log, block);
    return last != NULL ? last : oplog_disk_base_block(disk, block);
}
