/*
 * sim/check/crash.c: crash images as copy-on-write views (see crash.h).
 *
 * Ownership: the view owns which write each block holds (the prefix
 * overlay, the lost writes) and the signature; faultinject/damage.c owns
 * what a fault does to the bytes (a torn write's, a media fault's), and the
 * view only lays its answers over the image as overrides.
 */
#include "crash.h"

#include <stdlib.h>
#include <string.h>

#include "../../faultinject/forge.h"
#include "../../fs/format.h"

#define SCRATCH_BLOCKS_MAX 8192u

STATIC_ASSERT(OPLOG_NONE == CRASH_NONE, "a block's writer is OPLOG_NONE or CRASH_NONE alike");

static uint64_t
block_sig(uint64_t block, uint64_t content_hash)
{
    uint64_t x = (block + 1) * 0x9e3779b97f4a7c15ull ^ content_hash;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static uint64_t content_hash(const struct oplog *log, uint32_t op);
static bool overridden(const struct crash_view *v, uint64_t b);

static const uint8_t *
op_bytes(const struct oplog *log, uint32_t op)
{
    return op == OPLOG_NONE ? NULL : oplog_op_bytes(log, op);
}

static const uint8_t *
block_bytes(const struct crash_view *v, uint64_t block)
{
    if (v->slot[block] != OPLOG_NONE) {
        return v->scratch + (size_t)v->slot[block] * v->disk->log.block_size;
    }
    for (uint32_t i = 0; i < v->ov_count; i++) {
        if (v->ov_block[i] == block) {
            return v->ov_bytes[i] != NULL ? v->ov_bytes[i]
                : oplog_disk_base_block(v->disk, block);
        }
    }
    const uint8_t *b = op_bytes(&v->disk->log, v->map[block]);
    return b != NULL ? b : oplog_disk_base_block(v->disk, block);
}

static int
view_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    const struct crash_view *v = bdev->context;
    ASSERT(block < v->disk->log.block_count);
    if (block == v->damage.unreadable && v->slot[block] == OPLOG_NONE) {
        return FS_EIO;              /* Until a write remaps the sector. */
    }
    memcpy(buffer, block_bytes(v, block), v->disk->log.block_size);
    return 0;
}

static int
view_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    struct crash_view *v = bdev->context;
    ASSERT(block < v->disk->log.block_count);
    if (v->slot[block] == OPLOG_NONE) {
        if (v->scratch_used == v->scratch_cap) {
            v->write_fail = true;
            return FS_EIO;
        }
        v->touched[v->scratch_used] = block;
        v->slot[block] = v->scratch_used++;
    }
    uint32_t bs = v->disk->log.block_size;
    memcpy(v->scratch + (size_t)v->slot[block] * bs, buffer, bs);
    v->scratch_writes++;
    return 0;
}

/* A block's content hash when it holds a write of the log, as it was
 * written: the pool keeps the hash of every content. Blocks written since,
 * overridden by the state's faults, or never written in the log are
 * unknown, and the file system hashes what it reads. */
static bool
view_hash(const struct bdev *bdev, uint64_t block, uint64_t *hash)
{
    const struct crash_view *v = bdev->context;
    ASSERT(block < v->disk->log.block_count);
    if (v->slot[block] != OPLOG_NONE || block == v->damage.unreadable || overridden(v, block)) {
        return false;
    }
    if (v->map[block] == OPLOG_NONE) {          /* The base: known below a nested one. */
        const struct oplog_disk *d = v->disk;
        return d->base_index[block] == OPLOG_NONE && d->lower.hash != NULL
            && d->lower.hash(d->lower.context, block, hash);
    }
    *hash = v->hash[block];
    return true;
}

const uint8_t *
crash_view_block(const struct crash_view *v, uint64_t block)
{
    ASSERT(block < v->disk->log.block_count);
    ASSERT(v->scratch_used == 0);               /* The state's bytes, not a check's. */
    return block_bytes(v, block);
}

bool
crash_view_hash(const struct crash_view *v, uint64_t block, uint64_t *hash)
{
    return view_hash(&v->bdev, block, hash);
}

static const uint8_t *
lower_block(const void *context, uint64_t block)
{
    return crash_view_block(context, block);
}

static bool
lower_hash(const void *context, uint64_t block, uint64_t *hash)
{
    return crash_view_hash(context, block, hash);
}

struct oplog_lower
crash_view_lower(const struct crash_view *v)
{
    return (struct oplog_lower){ lower_block, lower_hash, v };
}

int
crash_view_rebind(struct crash_view *v, const struct oplog_disk *disk)
{
    ASSERT(v->map != NULL);
    if (disk->log.block_count != v->disk->log.block_count
            || disk->log.block_size != v->disk->log.block_size) {
        bool memo = v->bdev.hash != NULL;
        crash_view_deinit(v);
        int err = crash_view_init(v, disk);
        crash_view_memo(v, memo);
        return err;
    }
    crash_view_reset(v);
    memset(v->map, 0xff, disk->log.block_count * sizeof(uint32_t));
    v->disk = disk;
    v->cut = 0;
    v->sig = 0;
    v->state_sig = 0;
    v->ov_count = 0;
    v->damage.count = 0;
    v->damage.unreadable = DAMAGE_NONE;
    v->meta_cut = OPLOG_NONE;
    return 0;
}

static int
view_flush(const struct bdev *bdev)
{
    ASSERT(bdev->context != NULL);
    return 0;
}

int
crash_view_init(struct crash_view *v, const struct oplog_disk *disk)
{
    memset(v, 0, sizeof(*v));
    const struct oplog *log = &disk->log;
    v->disk = disk;
    uint64_t n = log->block_count;
    v->scratch_cap = (uint32_t)FS_MIN(n, SCRATCH_BLOCKS_MAX);
    v->map = malloc(n * sizeof(uint32_t));
    v->hash = malloc(n * sizeof(uint64_t));
    v->slot = malloc(n * sizeof(uint32_t));
    v->touched = malloc(v->scratch_cap * sizeof(uint64_t));
    v->scratch = malloc((size_t)v->scratch_cap * log->block_size);
    v->torn_buf = malloc(log->block_size);
    v->damage.buf = malloc((size_t)DAMAGE_BLOCKS_MAX * log->block_size);
    v->damage.unreadable = DAMAGE_NONE;
    v->meta = malloc(n * sizeof(uint64_t));
    v->meta_cut = OPLOG_NONE;
    if (v->map == NULL || v->hash == NULL || v->slot == NULL || v->touched == NULL || v->scratch == NULL
            || v->torn_buf == NULL || v->damage.buf == NULL || v->meta == NULL) {
        crash_view_deinit(v);
        return FS_ENOMEM;
    }
    memset(v->map, 0xff, n * sizeof(uint32_t));
    memset(v->slot, 0xff, n * sizeof(uint32_t));
    v->bdev = (struct bdev){ v, log->block_size, n, view_read, view_write, view_flush, NULL, NULL };
    return 0;
}

void
crash_view_memo(struct crash_view *v, bool on)
{
    v->bdev.hash = on ? view_hash : NULL;
}

void
crash_view_deinit(struct crash_view *v)
{
    free(v->map);
    free(v->hash);
    free(v->slot);
    free(v->touched);
    free(v->scratch);
    free(v->torn_buf);
    free(v->damage.buf);
    free(v->meta);
    memset(v, 0, sizeof(*v));
}

void
crash_view_reset(struct crash_view *v)
{
    for (uint32_t i = 0; i < v->scratch_used; i++) {
        v->slot[v->touched[i]] = OPLOG_NONE;
    }
    v->scratch_used = 0;
    v->scratch_writes = 0;
    v->write_fail = false;
}

static uint64_t
content_hash(const struct oplog *log, uint32_t op)
{
    return log->pool.hashes[log->ops[op].content];
}

/* Moves the prefix overlay to cut, forward by applying writes, backward by
 * rebuilding from the base. */
static void
seek(struct crash_view *v, uint32_t cut)
{
    const struct oplog *log = &v->disk->log;
    if (cut < v->cut) {
        memset(v->map, 0xff, log->block_count * sizeof(uint32_t));
        v->cut = 0;
        v->sig = 0;
    }
    for (uint32_t i = v->cut; i < cut; i++) {
        const struct oplog_op *op = &log->ops[i];
        if (op->kind != OPLOG_OP_WRITE) {
            continue;
        }
        uint32_t old = v->map[op->block];
        if (old != OPLOG_NONE) {
            v->sig ^= block_sig(op->block, content_hash(log, old));
        }
        v->map[op->block] = i;
        v->hash[op->block] = content_hash(log, i);
        v->sig ^= block_sig(op->block, v->hash[op->block]);
    }
    v->cut = cut;
}

/* The write whose bytes block b holds when the state's lost writes are lost:
 * op, or the first earlier write to b that was not lost (OPLOG_NONE: base). */
static uint32_t
surviving(const struct oplog *log, const struct crash_state *s, uint32_t op)
{
    while (op != OPLOG_NONE && crash_state_dropped(s, op)) {
        op = log->ops[op].prev;
    }
    return op;
}

static void
override(struct crash_view *v, uint64_t block, const uint8_t *bytes, uint64_t hash)
{
    ASSERT(v->ov_count < CRASH_OVERRIDES_MAX);
    uint32_t cur = v->map[block];
    if (cur != OPLOG_NONE) {
        v->state_sig ^= block_sig(block, content_hash(&v->disk->log, cur));
    }
    if (bytes != NULL) {
        v->state_sig ^= block_sig(block, hash);
    }
    v->ov_block[v->ov_count] = block;
    v->ov_bytes[v->ov_count++] = bytes;
}

static void
tear(struct crash_view *v, const struct crash_state *s)
{
    const struct oplog *log = &v->disk->log;
    const struct oplog_op *op = &log->ops[s->torn];
    if (v->map[op->block] != s->torn || crash_state_dropped(s, s->torn)) {
        return;                     /* Overwritten later, or lost: the tear is invisible. */
    }
    uint32_t bs = log->block_size;
    const uint8_t *old = op_bytes(log, surviving(log, s, op->prev));
    old = old != NULL ? old : oplog_disk_base_block(v->disk, op->block);
    damage_tear(v->torn_buf, oplog_op_bytes(log, s->torn), old, bs, s->torn_sectors,
            s->torn_fill, s->torn);
    override(v, op->block, v->torn_buf, fmt_hash(v->torn_buf, bs));
}

static bool
overridden(const struct crash_view *v, uint64_t b)
{
    for (uint32_t j = 0; j < v->ov_count; j++) {
        if (v->ov_block[j] == b) {
            return true;
        }
    }
    return false;
}

/* The metadata blocks of the image (before the state's own faults when none
 * came first, which is the only case cached): where hashes of blocks live. */
static void
find_meta(struct crash_view *v)
{
    if (v->meta_cut == v->cut && v->ov_count == 0) {
        return;
    }
    v->meta_count = 0;
    for (uint64_t b = 0; b < v->disk->log.block_count; b++) {
        if (forge_is_meta(block_bytes(v, b), v->disk->log.block_size)) {
            v->meta[v->meta_count++] = b;
        }
    }
    v->meta_cut = v->ov_count == 0 ? v->cut : OPLOG_NONE;
}

/* The view as faultinject/damage.h's image. */
static const uint8_t *
image_read(void *context, uint64_t block)
{
    const struct crash_view *v = context;
    ASSERT(block < v->disk->log.block_count);
    return block_bytes(v, block);
}

static uint32_t
image_writer(void *context, uint64_t block)
{
    const struct crash_view *v = context;
    ASSERT(block < v->disk->log.block_count);
    return v->map[block];
}

static bool
image_changed(void *context, uint64_t block)
{
    const struct crash_view *v = context;
    ASSERT(block < v->disk->log.block_count);
    return overridden(v, block);
}

static uint64_t
image_meta(void *context, const uint64_t **blocks)
{
    struct crash_view *v = context;
    find_meta(v);
    *blocks = v->meta;
    return v->meta_count;
}

/* The state's media fault (faultinject/damage.c decides what it changes),
 * laid over the image. */
static void
strike(struct crash_view *v, const struct crash_state *s)
{
    const struct oplog *log = &v->disk->log;
    const struct oplog_op *op = &log->ops[s->media_op];
    uint32_t prior = surviving(log, s, op->prev);
    struct damage_write w = {
        .block = op->block,
        .bytes = op_bytes(log, s->media_op),
        .hash = content_hash(log, s->media_op),
        .prior = op_bytes(log, prior),
        .prior_hash = prior == OPLOG_NONE ? 0 : content_hash(log, prior),
    };
    struct damage_image img = { v, log->block_size, log->block_count, image_read, image_writer,
        image_changed, image_meta };
    damage_media(&img, s, &w, &v->damage);
    for (uint32_t i = 0; i < v->damage.count; i++) {
        override(v, v->damage.block[i], v->damage.bytes[i], v->damage.hash[i]);
    }
}

static int
state_valid(const struct oplog *log, const struct crash_state *s)
{
    if (s->cut > log->count || s->drop_count > CRASH_DROPS_MAX) {
        return -1;
    }
    for (uint32_t i = 0; i < s->drop_count; i++) {
        if (s->drops[i] >= s->cut || log->ops[s->drops[i]].kind != OPLOG_OP_WRITE) {
            return -1;
        }
    }
    if (s->torn != CRASH_NONE) {
        uint32_t sectors = log->block_size / BDEV_SECTOR_SIZE;
        if (s->torn >= s->cut || log->ops[s->torn].kind != OPLOG_OP_WRITE
                || s->torn_sectors == 0 || s->torn_sectors >= sectors) {
            return -1;
        }
    }
    if (s->media != MEDIA_NONE && (s->media_op >= s->cut
            || log->ops[s->media_op].kind != OPLOG_OP_WRITE)) {
        return -1;
    }
    if (s->media != MEDIA_NONE && damage_state_check(s, log->ops[s->media_op].block,
            log->block_size, log->block_count) != 0) {
        return -1;
    }
    return 0;
}

int
crash_view_set(struct crash_view *v, const struct crash_state *s)
{
    const struct oplog *log = &v->disk->log;
    if (state_valid(log, s) != 0) {
        return -1;
    }
    crash_view_reset(v);
    seek(v, s->cut);
    v->ov_count = 0;
    v->damage.count = 0;
    v->damage.unreadable = DAMAGE_NONE;
    v->damage.partial = false;
    v->state_sig = v->sig;
    if (s->torn != CRASH_NONE) {
        tear(v, s);                 /* First: a lost write to the same block yields to it. */
    }
    for (uint32_t i = 0; i < s->drop_count; i++) {
        uint64_t b = log->ops[s->drops[i]].block;
        bool seen = false;
        for (uint32_t j = 0; j < v->ov_count; j++) {
            seen = seen || v->ov_block[j] == b;
        }
        uint32_t eff = surviving(log, s, v->map[b]);
        if (!seen && eff != v->map[b]) {
            override(v, b, op_bytes(log, eff), eff == OPLOG_NONE ? 0 : content_hash(log, eff));
        }
    }
    if (s->media != MEDIA_NONE) {
        strike(v, s);
    }
    return 0;
}

uint32_t
crash_view_overrides(const struct crash_view *v, const uint64_t **blocks)
{
    *blocks = v->ov_block;
    return v->ov_count;
}
