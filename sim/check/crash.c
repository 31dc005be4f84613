/*
 * sim/check/crash.c: crash images as copy-on-write views (see crash.h).
 */
#include "crash.h"

#include <stdlib.h>
#include <string.h>

#include "../../fs/format.h"

#define SCRATCH_BLOCKS_MAX 8192u
#define UNREADABLE_SALT 0x756e7265616461ull     /* An unreadable block's signature differs. */

static uint64_t
block_sig(uint64_t block, uint64_t content_hash)
{
    uint64_t x = (block + 1) * 0x9e3779b97f4a7c15ull ^ content_hash;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static const uint8_t *
op_bytes(const struct sim_dev *rec, uint32_t op)
{
    return op == SIM_NONE ? NULL : sim_pool_get(&rec->pool, rec->ops[op].content);
}

static const uint8_t *
block_bytes(const struct crash_view *v, uint64_t block)
{
    if (v->slot[block] != SIM_NONE) {
        return v->scratch + (size_t)v->slot[block] * v->rec->block_size;
    }
    for (uint32_t i = 0; i < v->ov_count; i++) {
        if (v->ov_block[i] == block) {
            return v->ov_bytes[i] != NULL ? v->ov_bytes[i]
                : v->rec->base + block * v->rec->block_size;
        }
    }
    const uint8_t *b = op_bytes(v->rec, v->map[block]);
    return b != NULL ? b : v->rec->base + block * v->rec->block_size;
}

static int
view_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    const struct crash_view *v = bdev->context;
    ASSERT(block < v->rec->block_count);
    if (block == v->unreadable && v->slot[block] == SIM_NONE) {
        return FS_EIO;              /* Until a write remaps the sector. */
    }
    memcpy(buffer, block_bytes(v, block), v->rec->block_size);
    return 0;
}

static int
view_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    struct crash_view *v = bdev->context;
    ASSERT(block < v->rec->block_count);
    if (v->slot[block] == SIM_NONE) {
        if (v->scratch_used == v->scratch_cap) {
            v->write_fail = true;
            return FS_EIO;
        }
        v->touched[v->scratch_used] = block;
        v->slot[block] = v->scratch_used++;
    }
    memcpy(v->scratch + (size_t)v->slot[block] * v->rec->block_size, buffer, v->rec->block_size);
    v->scratch_writes++;
    return 0;
}

static int
view_flush(const struct bdev *bdev)
{
    ASSERT(bdev->context != NULL);
    return 0;
}

int
crash_view_init(struct crash_view *v, const struct sim_dev *rec)
{
    memset(v, 0, sizeof(*v));
    v->rec = rec;
    uint64_t n = rec->block_count;
    v->scratch_cap = (uint32_t)FS_MIN(n, SCRATCH_BLOCKS_MAX);
    v->map = malloc(n * sizeof(uint32_t));
    v->slot = malloc(n * sizeof(uint32_t));
    v->touched = malloc(v->scratch_cap * sizeof(uint64_t));
    v->scratch = malloc((size_t)v->scratch_cap * rec->block_size);
    v->torn_buf = malloc(rec->block_size);
    v->flip_buf = malloc(rec->block_size);
    v->forge_buf = malloc((size_t)CRASH_FORGE_BLOCKS * rec->block_size);
    v->meta = malloc(n * sizeof(uint64_t));
    v->meta_cut = SIM_NONE;
    v->unreadable = UINT64_MAX;
    if (v->map == NULL || v->slot == NULL || v->touched == NULL || v->scratch == NULL
            || v->torn_buf == NULL || v->flip_buf == NULL || v->forge_buf == NULL
            || v->meta == NULL) {
        crash_view_deinit(v);
        return FS_ENOMEM;
    }
    memset(v->map, 0xff, n * sizeof(uint32_t));
    memset(v->slot, 0xff, n * sizeof(uint32_t));
    v->bdev = (struct bdev){ v, rec->block_size, n, view_read, view_write, view_flush, NULL };
    return 0;
}

void
crash_view_deinit(struct crash_view *v)
{
    free(v->map);
    free(v->slot);
    free(v->touched);
    free(v->scratch);
    free(v->torn_buf);
    free(v->flip_buf);
    free(v->forge_buf);
    free(v->meta);
    memset(v, 0, sizeof(*v));
}

void
crash_view_reset(struct crash_view *v)
{
    for (uint32_t i = 0; i < v->scratch_used; i++) {
        v->slot[v->touched[i]] = SIM_NONE;
    }
    v->scratch_used = 0;
    v->scratch_writes = 0;
    v->write_fail = false;
}

static uint64_t
content_hash(const struct sim_dev *rec, uint32_t op)
{
    return rec->pool.hashes[rec->ops[op].content];
}

/* Moves the prefix overlay to cut, forward by applying writes, backward by
 * rebuilding from the base. */
static void
seek(struct crash_view *v, uint32_t cut)
{
    const struct sim_dev *rec = v->rec;
    if (cut < v->cut) {
        memset(v->map, 0xff, rec->block_count * sizeof(uint32_t));
        v->cut = 0;
        v->sig = 0;
    }
    for (uint32_t i = v->cut; i < cut; i++) {
        const struct sim_op *op = &rec->ops[i];
        if (op->kind != SIM_OP_WRITE) {
            continue;
        }
        uint32_t old = v->map[op->block];
        if (old != SIM_NONE) {
            v->sig ^= block_sig(op->block, content_hash(rec, old));
        }
        v->map[op->block] = i;
        v->sig ^= block_sig(op->block, content_hash(rec, i));
    }
    v->cut = cut;
}

static bool
dropped(const struct crash_state *s, uint32_t op)
{
    for (uint32_t i = 0; i < s->drop_count; i++) {
        if (s->drops[i] == op) {
            return true;
        }
    }
    return false;
}

/* The write whose bytes block b holds when the state's lost writes are lost:
 * op, or the first earlier write to b that was not lost (SIM_NONE: base). */
static uint32_t
surviving(const struct sim_dev *rec, const struct crash_state *s, uint32_t op)
{
    while (op != SIM_NONE && dropped(s, op)) {
        op = rec->ops[op].prev;
    }
    return op;
}

static void
override(struct crash_view *v, uint64_t block, const uint8_t *bytes, uint64_t hash)
{
    ASSERT(v->ov_count < CRASH_OVERRIDES_MAX);
    uint32_t cur = v->map[block];
    if (cur != SIM_NONE) {
        v->state_sig ^= block_sig(block, content_hash(v->rec, cur));
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
    const struct sim_dev *rec = v->rec;
    const struct sim_op *op = &rec->ops[s->torn];
    if (v->map[op->block] != s->torn || dropped(s, s->torn)) {
        return;                     /* Overwritten later, or lost: the tear is invisible. */
    }
    uint32_t bs = rec->block_size, keep = (uint32_t)s->torn_sectors * BDEV_SECTOR_SIZE;
    const uint8_t *old = op_bytes(rec, surviving(rec, s, op->prev));
    old = old != NULL ? old : rec->base + op->block * bs;
    memcpy(v->torn_buf, sim_pool_get(&rec->pool, op->content), keep);
    if (s->torn_fill == 'o') {
        memcpy(v->torn_buf + keep, old + keep, bs - keep);
    } else if (s->torn_fill == 'z') {
        memset(v->torn_buf + keep, 0, bs - keep);
    } else {
        uint64_t x = 0x5851f42d4c957f2dull ^ s->torn;
        for (uint32_t i = keep; i < bs; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            v->torn_buf[i] = (uint8_t)(x >> 56);
        }
    }
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

/* The state's media fault, where it is still visible: on the block the write
 * was meant for if that write is still its content, and for a misdirected
 * write on the neighbour it struck if nothing wrote there after it. Blocks
 * another fault of the state touched are left to that fault. */
static void
media(struct crash_view *v, const struct crash_state *s)
{
    const struct sim_dev *rec = v->rec;
    const struct sim_op *op = &rec->ops[s->media_op];
    uint64_t b = op->block;
    bool live = v->map[b] == s->media_op && !dropped(s, s->media_op) && !overridden(v, b);
    uint32_t bs = rec->block_size;
    if (s->media == MEDIA_FLIP && live) {
        memcpy(v->flip_buf, sim_pool_get(&rec->pool, op->content), bs);
        v->flip_buf[s->flip_bit / 8] ^= (uint8_t)(1u << (s->flip_bit % 8));
        override(v, b, v->flip_buf, fmt_hash(v->flip_buf, bs));
        return;
    }
    if (s->media == MEDIA_FLIP) {
        return;
    }
    if (s->media == MEDIA_UNREADABLE) {
        if (live) {                 /* The same bytes, but no read gets them. */
            v->unreadable = b;
            override(v, b, sim_pool_get(&rec->pool, op->content),
                    content_hash(rec, s->media_op) ^ UNREADABLE_SALT);
        }
        return;
    }
    if (live) {                     /* Lost or misdirected: the block keeps its old bytes. */
        uint32_t old = surviving(rec, s, op->prev);
        override(v, b, op_bytes(rec, old), old == SIM_NONE ? 0 : content_hash(rec, old));
    }
    uint64_t t = s->target != CRASH_NONE ? s->target : b + 1 < rec->block_count ? b + 1 : b - 1;
    if (s->media == MEDIA_MISDIRECT && !overridden(v, t)
            && (v->map[t] == SIM_NONE || v->map[t] < s->media_op)) {
        override(v, t, sim_pool_get(&rec->pool, op->content), content_hash(rec, s->media_op));
    }
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
    for (uint64_t b = 0; b < v->rec->block_count; b++) {
        if (forge_is_meta(block_bytes(v, b), v->rec->block_size)) {
            v->meta[v->meta_count++] = b;
        }
    }
    v->meta_cut = v->ov_count == 0 ? v->cut : SIM_NONE;
}

static uint8_t *
forged(struct crash_view *v, uint64_t block)
{
    for (uint32_t i = 0; i < v->forge_count; i++) {
        if (v->forge_block[i] == block) {
            return v->forge_buf + (size_t)i * v->rec->block_size;
        }
    }
    return NULL;
}

/* The first copy of the 8 bytes f in b[at, n), or n. */
static size_t
find8(const uint8_t *b, size_t n, size_t at, const uint8_t *f)
{
    while (at + 8 <= n) {
        const uint8_t *p = memchr(b + at, f[0], n - 7 - at);
        if (p == NULL) {
            break;
        }
        at = (size_t)(p - b);
        if (memcmp(p, f, 8) == 0) {
            return at;
        }
        at++;
    }
    return n;
}

/* Replaces every copy of hash from in b by to; returns whether there was one. */
static bool
replace_hash(uint8_t *b, uint32_t bs, uint64_t from, uint64_t to)
{
    uint8_t f[8];
    fmt_put64(f, from);
    bool hit = false;
    for (size_t at = find8(b, bs, 0, f); at < bs; at = find8(b, bs, at + 8, f)) {
        fmt_put64(b + at, to);
        hit = true;
    }
    return hit;
}

/* A forged block: the write's bytes with one bit inverted (or, repointed, one
 * block pointer naming another block with its hash), sealed, and every
 * metadata block that holds its hash resealed in turn, up to the superblocks
 * (forge.h). A hash names its block whatever its offset in the holder, so
 * the holders are found by searching for it; a chance match of 64 bits is
 * not a worry. Hashes of the forged blocks as they change are followed in a
 * queue, so a block named from several places (a subtree shared by
 * snapshots) is resealed everywhere. */
static void
forge(struct crash_view *v, const struct crash_state *s)
{
    const struct sim_dev *rec = v->rec;
    const struct sim_op *op = &rec->ops[s->media_op];
    uint32_t bs = rec->block_size;
    v->forge_count = 0;
    v->forge_partial = false;
    if (v->map[op->block] != s->media_op || dropped(s, s->media_op) || overridden(v, op->block)) {
        return;                     /* Overwritten later: the forged bytes are gone. */
    }
    find_meta(v);
    struct { uint64_t from, to; } queue[4 * CRASH_FORGE_BLOCKS];
    uint32_t head = 0, tail = 0;
    uint8_t *b = v->forge_buf;
    memcpy(b, sim_pool_get(&rec->pool, op->content), bs);
    if (s->media == MEDIA_REPOINT) {            /* Names the target, with its hash. */
        fmt_put64(b + s->flip_bit, (uint64_t)s->target * bs);
        fmt_put64(b + s->flip_bit + 8, fmt_hash(block_bytes(v, s->target), bs));
    } else {
        b[s->flip_bit / 8] ^= (uint8_t)(1u << (s->flip_bit % 8));
    }
    forge_seal(b, bs);
    v->forge_block[v->forge_count++] = op->block;
    queue[tail].from = content_hash(rec, s->media_op);
    queue[tail++].to = fmt_hash(b, bs);
    while (head < tail) {
        uint64_t from = queue[head].from, to = queue[head++].to;
        for (uint64_t i = 0; i < v->meta_count; i++) {
            uint64_t m = v->meta[i];
            uint8_t *mb = forged(v, m);
            if (mb == NULL) {
                const uint8_t *cur = block_bytes(v, m);
                uint8_t f[8];
                fmt_put64(f, from);
                if (find8(cur, bs, 0, f) == bs) {
                    continue;
                }
                if (v->forge_count == CRASH_FORGE_BLOCKS || overridden(v, m)) {
                    v->forge_partial = true;
                    continue;
                }
                mb = v->forge_buf + (size_t)v->forge_count * bs;
                memcpy(mb, cur, bs);
                v->forge_block[v->forge_count++] = m;
            }
            uint64_t before = fmt_hash(mb, bs);
            if (!replace_hash(mb, bs, from, to)) {
                continue;
            }
            forge_seal(mb, bs);
            if (tail == sizeof(queue) / sizeof(queue[0])) {
                v->forge_partial = true;
                continue;
            }
            queue[tail].from = before;
            queue[tail++].to = fmt_hash(mb, bs);
        }
    }
    for (uint32_t i = 0; i < v->forge_count; i++) {
        uint8_t *fb = v->forge_buf + (size_t)i * bs;
        override(v, v->forge_block[i], fb, fmt_hash(fb, bs));
    }
}

static int
state_valid(const struct sim_dev *rec, const struct crash_state *s)
{
    if (s->cut > rec->op_count || s->drop_count > CRASH_DROPS_MAX) {
        return -1;
    }
    for (uint32_t i = 0; i < s->drop_count; i++) {
        if (s->drops[i] >= s->cut || rec->ops[s->drops[i]].kind != SIM_OP_WRITE) {
            return -1;
        }
    }
    if (s->torn != CRASH_NONE) {
        uint32_t sectors = rec->block_size / BDEV_SECTOR_SIZE;
        if (s->torn >= s->cut || rec->ops[s->torn].kind != SIM_OP_WRITE
                || s->torn_sectors == 0 || s->torn_sectors >= sectors) {
            return -1;
        }
    }
    if (s->media == MEDIA_REPOINT && ((uint64_t)s->flip_bit + 16 > rec->block_size
            || s->target >= rec->block_count)) {
        return -1;
    }
    if (s->media == MEDIA_MISDIRECT && s->target != CRASH_NONE && (s->target >= rec->block_count
            || s->media_op >= rec->op_count || s->target == rec->ops[s->media_op].block)) {
        return -1;
    }
    if (s->media != MEDIA_NONE && (s->media > MEDIA_REPOINT || s->media_op >= s->cut
            || rec->ops[s->media_op].kind != SIM_OP_WRITE || s->flip_bit / 8 >= rec->block_size
            || rec->block_count < 2)) {
        return -1;
    }
    return 0;
}

int
crash_view_set(struct crash_view *v, const struct crash_state *s)
{
    const struct sim_dev *rec = v->rec;
    if (state_valid(rec, s) != 0) {
        return -1;
    }
    crash_view_reset(v);
    seek(v, s->cut);
    v->ov_count = 0;
    v->unreadable = UINT64_MAX;
    v->state_sig = v->sig;
    if (s->torn != CRASH_NONE) {
        tear(v, s);                 /* First: a lost write to the same block yields to it. */
    }
    for (uint32_t i = 0; i < s->drop_count; i++) {
        uint64_t b = rec->ops[s->drops[i]].block;
        bool seen = false;
        for (uint32_t j = 0; j < v->ov_count; j++) {
            seen = seen || v->ov_block[j] == b;
        }
        uint32_t eff = surviving(rec, s, v->map[b]);
        if (!seen && eff != v->map[b]) {
            override(v, b, op_bytes(rec, eff), eff == SIM_NONE ? 0 : content_hash(rec, eff));
        }
    }
    if (s->media == MEDIA_FORGE || s->media == MEDIA_REPOINT) {
        forge(v, s);
    } else if (s->media != MEDIA_NONE) {
        media(v, s);
    }
    return 0;
}

uint32_t
crash_view_overrides(const struct crash_view *v, const uint64_t **blocks)
{
    *blocks = v->ov_block;
    return v->ov_count;
}
