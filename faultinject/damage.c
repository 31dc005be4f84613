/*
 * faultinject/damage.c: what each fault of a crash state does to block bytes
 * (see damage.h).
 *
 * Invariants. A fault changes a block only where it is still visible: the
 * struck write must still be what its block holds at the cut (not
 * overwritten later, not one of the state's lost writes) and no earlier
 * fault of the state may have changed that block; a misdirected write lands
 * on its target only if nothing wrote there after it. A forged block is
 * resealed upwards through every metadata block that holds its hash, within
 * DAMAGE_BLOCKS_MAX blocks and a bounded queue; when a bound stops it,
 * damage.partial says so instead of looping (a repointed block may name its
 * own ancestor, a cycle of hashes no sealing can satisfy).
 *
 * The bytes of the image are untrusted: they are searched and copied, never
 * parsed here beyond forge_seal, which checks its own sizes.
 */
#include "damage.h"

#include <string.h>

#include "../fs/base.h"
#include "../fs/bdev.h"
#include "../fs/format.h"
#include "forge.h"
#include "../traces/prng.h"

#define UNREADABLE_SALT 0x756e7265616461ull     /* An unreadable block's signature differs. */
#define GARBAGE_SEED 0x5851f42d4c957f2dull      /* A torn write's garbage, with its op index. */
#define REPOINT_SIZE 16u                        /* addr[8] hash[8]: what a repoint rewrites. */
#define RESEAL_QUEUE_MAX (4u * DAMAGE_BLOCKS_MAX)  /* Hash changes followed per forge. */

void
damage_flip(uint8_t *block, uint64_t bit)
{
    ASSERT(block != NULL);
    block[bit / 8] ^= (uint8_t)(1u << (bit % 8));
}

void
damage_tear(uint8_t *out, const uint8_t *written, const uint8_t *old, uint32_t block_size,
        uint32_t sectors, char fill, uint32_t torn_op)
{
    uint32_t keep = sectors * BDEV_SECTOR_SIZE;
    ASSERT(keep < block_size);
    ASSERT(torn_fill_parse(fill) >= 0);
    memcpy(out, written, keep);
    if (fill == torn_fill_letter(TORN_FILL_OLD)) {
        memcpy(out + keep, old + keep, block_size - keep);
    } else if (fill == torn_fill_letter(TORN_FILL_ZERO)) {
        memset(out + keep, 0, block_size - keep);
    } else {
        uint64_t x = GARBAGE_SEED ^ torn_op;
        for (uint32_t i = keep; i < block_size; i++) {
            out[i] = (uint8_t)(prng_lcg64(&x) >> 56);
        }
    }
}

int
damage_state_check(const struct crash_state *s, uint64_t struck_block, uint32_t block_size,
        uint64_t block_count)
{
    ASSERT(s->media != MEDIA_NONE);
    ASSERT(block_size > 0);
    if (s->media >= MEDIA_COUNT || s->flip_bit / 8 >= block_size || block_count < 2) {
        return -1;
    }
    if (s->media == MEDIA_FLIP ? s->flip_count < 1 || s->flip_count > FLIP_BITS_MAX
            : s->flip_count != 0) {
        return -1;                  /* Only a flip counts bits, at least its first. */
    }
    if (s->media == MEDIA_REPOINT && ((uint64_t)s->flip_bit + REPOINT_SIZE > block_size
            || s->target >= block_count)) {
        return -1;
    }
    if (s->media == MEDIA_MISDIRECT && s->target != CRASH_NONE
            && (s->target >= block_count || s->target == struck_block)) {
        return -1;
    }
    return 0;
}

/* Appends a changed block to out. */
static void
changes(struct damage *out, uint64_t block, const uint8_t *bytes, uint64_t hash)
{
    ASSERT(out->count < DAMAGE_BLOCKS_MAX);
    ASSERT(block != DAMAGE_NONE);
    out->block[out->count] = block;
    out->bytes[out->count] = bytes;
    out->hash[out->count++] = hash;
}

/* Whether the struck write is still visible on its own block. */
static bool
visible(const struct damage_image *img, const struct crash_state *s, uint64_t block)
{
    return img->writer(img->context, block) == s->media_op
        && !crash_state_dropped(s, s->media_op) && !img->changed(img->context, block);
}

/* Flip, unreadable, lost, misdirect: the struck block and, misdirected, the
 * block the write landed on if nothing wrote there after it. */
static void
medium(const struct damage_image *img, const struct crash_state *s,
        const struct damage_write *w, struct damage *out)
{
    uint32_t bs = img->block_size;
    uint64_t b = w->block;
    bool live = visible(img, s, b);
    if (s->media == MEDIA_FLIP) {
        if (live) {
            uint32_t bits[FLIP_BITS_MAX];
            uint32_t count = crash_flip_bits(s, bs, bits);
            memcpy(out->buf, w->bytes, bs);
            for (uint32_t i = 0; i < count; i++) {
                damage_flip(out->buf, bits[i]);
            }
            changes(out, b, out->buf, fmt_hash(out->buf, bs));
        }
        return;
    }
    if (s->media == MEDIA_UNREADABLE) {
        if (live) {                 /* The same bytes, but no read gets them. */
            out->unreadable = b;
            changes(out, b, w->bytes, w->hash ^ UNREADABLE_SALT);
        }
        return;
    }
    ASSERT(s->media == MEDIA_LOST || s->media == MEDIA_MISDIRECT);
    if (live) {                     /* Lost or misdirected: the block keeps its old bytes. */
        changes(out, b, w->prior, w->prior_hash);
    }
    if (s->media != MEDIA_MISDIRECT) {
        return;
    }
    uint64_t t = s->target != CRASH_NONE ? s->target : b + 1 < img->block_count ? b + 1 : b - 1;
    uint32_t there = img->writer(img->context, t);
    if (!img->changed(img->context, t) && (there == CRASH_NONE || there < s->media_op)) {
        changes(out, t, w->bytes, w->hash);
    }
}

/* The first copy of the 8 bytes f in b[at, n), or n. The candidates
 * memchr finds are compared as words, not with memcmp: a fuzzing build
 * intercepts memcmp, and this search runs over every metadata block. */
static size_t
find8(const uint8_t *b, size_t n, size_t at, const uint8_t *f)
{
    uint64_t want;
    memcpy(&want, f, sizeof(want));
    while (at + 8 <= n) {
        const uint8_t *p = memchr(b + at, f[0], n - 7 - at);
        if (p == NULL) {
            break;
        }
        at = (size_t)(p - b);
        uint64_t got;
        memcpy(&got, p, sizeof(got));
        if (got == want) {
            return at;
        }
        at++;
    }
    return n;
}

static bool
holds_hash(const uint8_t *b, uint32_t bs, uint64_t hash)
{
    uint8_t f[8];
    fmt_put64(f, hash);
    return find8(b, bs, 0, f) < bs;
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

/* The copy of block in out's forged blocks, or NULL. */
static uint8_t *
forged(struct damage *out, uint64_t block, uint32_t bs)
{
    for (uint32_t i = 0; i < out->count; i++) {
        if (out->block[i] == block) {
            return out->buf + (size_t)i * bs;
        }
    }
    return NULL;
}

/* A hash change to follow upwards: holders of from must hold to instead. */
struct reseal {
    uint64_t from;              /* The hash before. */
    uint64_t to;                /* The hash after. */
};

/* The metadata blocks of the image, where the hashes of blocks live. */
struct holders {
    const uint64_t *block;      /* The image's list (damage_image.meta). */
    uint64_t count;             /* Entries. */
};

/* Reseals, for one hash change, every metadata block that holds the old
 * hash; queues the changes of their own hashes. */
static void
reseal_holders(const struct damage_image *img, struct holders meta, struct reseal r,
        struct damage *out, struct reseal *queue, uint32_t *tail)
{
    uint32_t bs = img->block_size;
    for (uint64_t i = 0; i < meta.count; i++) {
        uint64_t m = meta.block[i];
        uint8_t *mb = forged(out, m, bs);
        if (mb == NULL) {
            const uint8_t *cur = img->read(img->context, m);
            if (!holds_hash(cur, bs, r.from)) {
                continue;
            }
            if (out->count == DAMAGE_BLOCKS_MAX || img->changed(img->context, m)) {
                out->partial = true;
                continue;
            }
            mb = out->buf + (size_t)out->count * bs;
            memcpy(mb, cur, bs);
            changes(out, m, mb, 0);         /* Hashed once resealing is done. */
        }
        uint64_t before = fmt_hash(mb, bs);
        if (!replace_hash(mb, bs, r.from, r.to)) {
            continue;
        }
        forge_seal(mb, bs);
        if (*tail == RESEAL_QUEUE_MAX) {
            out->partial = true;
            continue;
        }
        queue[(*tail)++] = (struct reseal){ before, fmt_hash(mb, bs) };
    }
}

static void reseal_up(const struct damage_image *img, uint64_t block, uint64_t before,
        struct damage *out);

/* A forged block: the write's bytes with one bit inverted (or, repointed, one
 * block pointer naming another block with its hash), sealed, and every
 * metadata block that holds its hash resealed in turn, up to the superblocks
 * (forge.h). A hash names its block whatever its offset in the holder, so
 * the holders are found by searching for it; a chance match of 64 bits is
 * not a worry. Hash changes are followed in a queue, so a block named from
 * several places (a subtree shared by snapshots) is resealed everywhere. */
static void
forge(const struct damage_image *img, const struct crash_state *s,
        const struct damage_write *w, struct damage *out)
{
    uint32_t bs = img->block_size;
    if (!visible(img, s, w->block)) {
        return;                     /* Overwritten later: the forged bytes are gone. */
    }
    uint8_t *b = out->buf;
    memcpy(b, w->bytes, bs);
    if (s->media == MEDIA_REPOINT) {            /* Names the target, with its hash. */
        fmt_put64(b + s->flip_bit, (uint64_t)s->target * bs);
        fmt_put64(b + s->flip_bit + 8, fmt_hash(img->read(img->context, s->target), bs));
    } else {
        damage_flip(b, s->flip_bit);
    }
    reseal_up(img, w->block, w->hash, out);
}

/* out->buf's first block is block's new bytes, before was its hash: seals
 * it and every metadata block above that held its hash, in turn. */
static void
reseal_up(const struct damage_image *img, uint64_t block, uint64_t before, struct damage *out)
{
    uint32_t bs = img->block_size;
    struct holders meta;
    meta.count = img->meta(img->context, &meta.block);
    uint8_t *b = out->buf;
    forge_seal(b, bs);
    changes(out, block, b, 0);
    struct reseal queue[RESEAL_QUEUE_MAX];
    uint32_t head = 0, tail = 0;
    queue[tail++] = (struct reseal){ before, fmt_hash(b, bs) };
    while (head < tail) {
        ASSERT(tail <= RESEAL_QUEUE_MAX);
        reseal_holders(img, meta, queue[head++], out, queue, &tail);
    }
    for (uint32_t i = 0; i < out->count; i++) {
        out->hash[i] = fmt_hash(out->bytes[i], bs);
    }
}

void
damage_reseal(const struct damage_image *img, uint64_t block, const uint8_t *bytes,
        struct damage *out)
{
    ASSERT(out->buf != NULL && block < img->block_count);
    uint32_t bs = img->block_size;
    out->count = 0;
    out->unreadable = DAMAGE_NONE;
    out->partial = false;
    uint64_t before = fmt_hash(img->read(img->context, block), bs);
    memmove(out->buf, bytes, bs);
    reseal_up(img, block, before, out);
}

void
damage_media(const struct damage_image *img, const struct crash_state *s,
        const struct damage_write *w, struct damage *out)
{
    ASSERT(s->media != MEDIA_NONE && s->media < MEDIA_COUNT);
    ASSERT(out->buf != NULL);
    out->count = 0;
    out->unreadable = DAMAGE_NONE;
    out->partial = false;
    if (s->media == MEDIA_FORGE || s->media == MEDIA_REPOINT) {
        forge(img, s, w, out);
    } else {
        medium(img, s, w, out);
    }
}
