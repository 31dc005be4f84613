/*
 * sim/record/dev.c: the recording disk (see dev.h).
 */
#include "dev.h"

#include <stdlib.h>
#include <string.h>

#include "../../faultinject/plan.h"
#include "../../fs/format.h"

const char *const sim_mark_names[] = {
    "sync.pass0", "sync.pass1", "sync.pass2", "sync.pass3", "sync.pass4",
    "log.grow", "log.compress", "dlist.merge", "sync.end", "other",
};

uint32_t
sim_mark_count(void)
{
    return (uint32_t)(sizeof(sim_mark_names) / sizeof(sim_mark_names[0]));
}

const uint8_t *
sim_pool_get(const struct sim_pool *pool, uint32_t index)
{
    ASSERT(index < pool->count);
    return pool->chunks[index / SIM_POOL_CHUNK] + (size_t)(index % SIM_POOL_CHUNK) * pool->block_size;
}

static int
pool_grow_table(struct sim_pool *p)
{
    uint32_t size = p->table_mask ? 2 * (p->table_mask + 1) : 1024;
    uint32_t *t = malloc(size * sizeof(uint32_t));
    if (t == NULL) {
        return FS_ENOMEM;
    }
    memset(t, 0xff, size * sizeof(uint32_t));
    for (uint32_t i = 0; i < p->count; i++) {
        uint32_t h = (uint32_t)p->hashes[i] & (size - 1);
        while (t[h] != SIM_NONE) {
            h = (h + 1) & (size - 1);
        }
        t[h] = i;
    }
    free(p->table);
    p->table = t;
    p->table_mask = size - 1;
    return 0;
}

uint32_t
sim_pool_put(struct sim_pool *p, const uint8_t *bytes)
{
    uint64_t hash = fmt_hash(bytes, p->block_size);
    uint32_t h = (uint32_t)hash & p->table_mask;
    for (; p->table[h] != SIM_NONE; h = (h + 1) & p->table_mask) {
        uint32_t i = p->table[h];
        if (p->hashes[i] == hash && memcmp(sim_pool_get(p, i), bytes, p->block_size) == 0) {
            return i;
        }
    }
    if (p->count % SIM_POOL_CHUNK == 0) {
        uint32_t c = p->count / SIM_POOL_CHUNK;
        uint8_t **chunks = realloc(p->chunks, (c + 1) * sizeof(uint8_t *));
        uint64_t *hashes = realloc(p->hashes, (size_t)(c + 1) * SIM_POOL_CHUNK * sizeof(uint64_t));
        if (chunks != NULL) {
            p->chunks = chunks;
        }
        if (hashes != NULL) {
            p->hashes = hashes;
        }
        if (chunks == NULL || hashes == NULL
                || (p->chunks[c] = malloc((size_t)SIM_POOL_CHUNK * p->block_size)) == NULL) {
            return SIM_NONE;
        }
        p->chunk_count = c + 1;
    }
    uint32_t i = p->count++;
    memcpy((uint8_t *)sim_pool_get(p, i), bytes, p->block_size);
    p->hashes[i] = hash;
    p->table[h] = i;
    if (2 * p->count > p->table_mask && pool_grow_table(p) != 0) {
        return SIM_NONE;
    }
    return i;
}

static struct sim_op *
op_new(struct sim_dev *dev, uint8_t kind)
{
    if (dev->op_count == dev->op_cap) {
        uint32_t cap = dev->op_cap ? 2 * dev->op_cap : 4096;
        struct sim_op *ops = realloc(dev->ops, cap * sizeof(struct sim_op));
        if (ops == NULL) {
            return NULL;
        }
        dev->ops = ops;
        dev->op_cap = cap;
    }
    struct sim_op *op = &dev->ops[dev->op_count++];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    op->pass = dev->pass;
    op->activity = dev->activity;
    op->epoch = dev->epoch;
    op->qgen = dev->qgen;
    op->prev = SIM_NONE;
    op->content = SIM_NONE;
    return op;
}

static int
dev_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    const struct sim_dev *dev = bdev->context;
    ASSERT(block < dev->block_count);
    memcpy(buffer, dev->image + block * dev->block_size, dev->block_size);
    return 0;
}

static int
dev_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    struct sim_dev *dev = bdev->context;
    ASSERT(block < dev->block_count);
    memcpy(dev->image + block * dev->block_size, buffer, dev->block_size);
    if (!dev->recording) {
        return 0;
    }
    struct sim_op *op = op_new(dev, SIM_OP_WRITE);
    if (op == NULL) {
        return FS_ENOMEM;
    }
    op->block = block;
    op->content = sim_pool_put(&dev->pool, buffer);
    if (op->content == SIM_NONE) {
        return FS_ENOMEM;
    }
    uint16_t t = fmt_get16(buffer);
    op->type = t <= FMT_TYPE_ARENA || t == FMT_TYPE_SUPER ? t : FMT_TYPE_DATA;
    op->prev = dev->last_write[block];
    dev->last_write[block] = dev->op_count - 1;
    dev->write_count++;
    return 0;
}

static int
dev_flush(const struct bdev *bdev)
{
    struct sim_dev *dev = bdev->context;
    ASSERT(dev != NULL);
    if (dev->recording) {
        if (op_new(dev, SIM_OP_FLUSH) == NULL) {
            return FS_ENOMEM;
        }
        dev->flush_count++;
    }
    dev->epoch++;
    return 0;
}

static uint8_t
mark_index(const char *what)
{
    uint32_t n = sim_mark_count();
    for (uint32_t i = 0; i + 1 < n; i++) {
        if (strcmp(what, sim_mark_names[i]) == 0) {
            return (uint8_t)i;
        }
    }
    return (uint8_t)(n - 1);
}

static void
dev_mark(const struct bdev *bdev, const char *what, uint64_t qgen)
{
    struct sim_dev *dev = bdev->context;
    uint8_t m = mark_index(what);
    dev->qgen = qgen;
    if (m <= 4) {
        dev->pass = m;
        dev->activity = SIM_ACT_NONE;
    } else if (m <= 7) {
        dev->activity = (uint8_t)(m - 4);
    } else if (m == 8) {
        dev->pass = SIM_PASS_NONE;          /* sync.end: writes until the next sync are between. */
        dev->activity = SIM_ACT_NONE;
    }
    if (dev->recording) {
        struct sim_op *op = op_new(dev, SIM_OP_MARK);
        if (op != NULL) {
            op->mark = m;
        }
    }
}

int
sim_dev_init(struct sim_dev *dev, uint32_t block_size, uint64_t block_count)
{
    ASSERT(block_size >= BDEV_SECTOR_SIZE);
    memset(dev, 0, sizeof(*dev));
    dev->block_size = block_size;
    dev->block_count = block_count;
    dev->image = calloc(block_count, block_size);
    dev->base = malloc((size_t)block_count * block_size);
    dev->last_write = malloc(block_count * sizeof(uint32_t));
    dev->pool.block_size = block_size;
    if (dev->image == NULL || dev->base == NULL || dev->last_write == NULL
            || pool_grow_table(&dev->pool) != 0) {
        sim_dev_deinit(dev);
        return FS_ENOMEM;
    }
    memset(dev->last_write, 0xff, block_count * sizeof(uint32_t));
    dev->pass = SIM_PASS_NONE;
    dev->bdev = (struct bdev){ dev, block_size, block_count, dev_read, dev_write, dev_flush,
        dev_mark };
    return 0;
}

void
sim_dev_deinit(struct sim_dev *dev)
{
    for (uint32_t i = 0; i < dev->pool.chunk_count; i++) {
        free(dev->pool.chunks[i]);
    }
    free(dev->pool.chunks);
    free(dev->pool.hashes);
    free(dev->pool.table);
    free(dev->image);
    free(dev->base);
    free(dev->last_write);
    free(dev->ops);
    memset(dev, 0, sizeof(*dev));
}

int
sim_dev_record_start(struct sim_dev *dev)
{
    ASSERT(!dev->recording);
    memcpy(dev->base, dev->image, (size_t)dev->block_count * dev->block_size);
    dev->recording = true;
    dev->pass = SIM_PASS_NONE;
    dev->activity = SIM_ACT_NONE;
    return 0;
}

uint64_t
sim_dev_log_hash(const struct sim_dev *dev)
{
    uint64_t h = fmt_hash(NULL, 0);
    for (uint32_t i = 0; i < dev->op_count; i++) {
        const struct sim_op *op = &dev->ops[i];
        uint64_t content = op->kind == SIM_OP_WRITE ? dev->pool.hashes[op->content] : 0;
        uint64_t rec[4] = { h, ((uint64_t)op->kind << 8) | op->mark, op->block, content };
        h = fmt_hash(rec, sizeof(rec));
    }
    return h;
}

struct plan_op *
sim_dev_plan_ops(const struct sim_dev *dev)
{
    struct plan_op *ops = calloc((size_t)dev->op_count + 1, sizeof(struct plan_op));
    for (uint32_t i = 0; ops != NULL && i < dev->op_count; i++) {
        const struct sim_op *op = &dev->ops[i];
        ops[i] = (struct plan_op){ op->kind, op->mark, op->epoch,
            dev->block_size / BDEV_SECTOR_SIZE,
            op->kind == SIM_OP_WRITE ? sim_pool_get(&dev->pool, op->content) : NULL, op->block };
    }
    for (uint32_t i = 0; ops != NULL && i < dev->op_count; i++) {
        if (dev->ops[i].kind == SIM_OP_WRITE && dev->ops[i].prev != SIM_NONE) {
            ops[dev->ops[i].prev].content = NULL;       /* Overwritten: not the end's bytes. */
        }
    }
    return ops;
}
