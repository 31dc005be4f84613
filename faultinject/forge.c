/*
 * faultinject/forge.c: the fields of metadata blocks, and their own hashes
 * (see forge.h). The layouts are fs/format.h's; this file reads them only to
 * know where a field lies, and trusts none of the bytes.
 */
#include "forge.h"

#include <string.h>

#include "../fs/format.h"
#include "../traces/prng.h"

/* Draws a field uniformly from each of two kinds offered (reservoir
 * sampling, so the fields need no table), then one of the kinds: layout
 * fields (a header's counts and sizes, a record's offset, key and value
 * sizes) or record contents (key bytes, value words, log entries). Layout
 * fields are few, so this gives them half the draws. */
enum { LAYOUT, CONTENT };

struct picker {
    uint64_t rng;
    uint32_t seen[2];
    uint32_t off[2];
    uint32_t width[2];
    uint32_t bs;
    struct forge_field *list;   /* Not NULL: every field is listed here instead (forge_fields). */
    uint32_t list_max;
};

static void
offer(struct picker *p, int kind, uint32_t off, uint32_t width)
{
    if (width == 0 || off >= p->bs || width > p->bs - off) {
        return;
    }
    if (p->list != NULL) {
        uint32_t n = p->seen[LAYOUT] + p->seen[CONTENT];
        if (n < p->list_max) {
            p->list[n] = (struct forge_field){ off, (uint16_t)width, kind == LAYOUT };
        }
        p->seen[kind]++;
        return;
    }
    p->seen[kind]++;
    if (prng_splitmix64(&p->rng) % p->seen[kind] == 0) {
        p->off[kind] = off;
        p->width[kind] = width;
    }
}

/* A value of nv bytes at off, as 8-byte words. */
static void
offer_words(struct picker *p, uint32_t off, uint32_t nv)
{
    for (uint32_t j = 0; j < nv; j += 8) {
        offer(p, CONTENT, off + j, nv - j < 8 ? nv - j : 8);
    }
}

/* A node region: its offset table and its records, as far as they are in
 * bounds. head is 2 for values (nk first), 3 for messages (op, then nk). */
static void
offer_region(struct picker *p, const uint8_t *b, uint32_t start, uint32_t size, uint32_t n,
        uint32_t head)
{
    for (uint32_t i = 0; i < n && 2 * i + 2 <= size; i++) {
        offer(p, LAYOUT, start + 2 * i, 2);
        uint32_t off = fmt_get16(b + start + 2 * i);
        if (off < 2 * n || off + head + 2 > size) {
            continue;
        }
        uint32_t at = start + off;
        if (head == 3) {
            offer(p, LAYOUT, at, 1);                    /* The message op. */
        }
        offer(p, LAYOUT, at + head - 2, 2);
        uint32_t nk = fmt_get16(b + at + head - 2);
        if (nk == 0 || off + head + nk + 2 > size) {
            continue;
        }
        offer(p, LAYOUT, at + head, 1);                 /* The key's kind. */
        offer_words(p, at + head + 1, nk - 1);         /* The rest of the key. */
        offer(p, LAYOUT, at + head + nk, 2);
        uint32_t nv = fmt_get16(b + at + head + nk);
        if (off + head + nk + 2 + nv <= size) {
            offer_words(p, at + head + nk + 2, nv);
        }
    }
}

static bool
is_super(const uint8_t *b)
{
    return memcmp(b, FMT_MAGIC, 8) == 0;
}

bool
forge_is_meta(const uint8_t *b, uint32_t bs)
{
    uint16_t t = fmt_get16(b);
    return (t >= FMT_TYPE_PIVOT && t <= FMT_TYPE_ARENA) || (t == FMT_TYPE_SUPER && bs >= 8
            && is_super(b));
}

/* Offers every field of metadata block b. */
static void
fields(struct picker *p, const uint8_t *b, uint32_t bs)
{
    uint16_t t = fmt_get16(b);
    if (t == FMT_TYPE_SUPER) {
        for (uint32_t off = 8; off < 24; off += 4) {
            offer(p, LAYOUT, off, 4);                  /* blksz bufspc narena snap.ht */
        }
        /* snap.addr, snapdl.hd and .tl (addr, hash), flag, nextqid, nextgen, qgen, blocks. */
        static const uint32_t words[] = { 24, 40, 48, 56, 64, 72, 80, 88, 96, 104 };
        for (uint32_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
            offer(p, LAYOUT, words[i], 8);
        }
        uint32_t n = fmt_get32(b + 16);
        for (uint32_t i = 0; i < n && i < FMT_ARENA_COUNT_MAX; i++) {
            offer(p, LAYOUT, FMT_SUPER_HEADER_SIZE + FMT_SUPER_ARENA_SIZE * i, 8);
        }
    } else if (t == FMT_TYPE_ARENA) {
        offer(p, LAYOUT, 2, 8);                        /* loghd.addr */
        offer(p, LAYOUT, 18, 8);                       /* size */
        offer(p, LAYOUT, 26, 8);                       /* used */
    } else if (t == FMT_TYPE_LOG || t == FMT_TYPE_DLIST) {
        offer(p, LAYOUT, 2, 2);                        /* logsz */
        offer(p, LAYOUT, 12, 8);                       /* logp.addr */
        if (t == FMT_TYPE_DLIST) {
            offer(p, LAYOUT, 20, 8);                   /* logp.hash: a deadlist's is checked. */
        }
        offer(p, LAYOUT, 28, 8);                       /* logp.gen */
        uint32_t logsz = fmt_get16(b + 2);
        for (uint32_t i = 0; i + 8 <= logsz && i + 8 <= fmt_logspc(bs); i += 8) {
            offer(p, CONTENT, FMT_LOG_HEADER_SIZE + i, 8);
        }
    } else if (t == FMT_TYPE_LEAF) {
        offer(p, LAYOUT, 2, 2);
        offer(p, LAYOUT, 4, 2);
        offer_region(p, b, FMT_LEAF_HEADER_SIZE, fmt_leafspc(bs), fmt_get16(b + 2), 2);
    } else {
        for (uint32_t off = 2; off < FMT_PIVOT_HEADER_SIZE; off += 2) {
            offer(p, LAYOUT, off, 2);
        }
        offer_region(p, b, FMT_PIVOT_HEADER_SIZE, fmt_pivspc(bs), fmt_get16(b + 2), 2);
        offer_region(p, b, FMT_PIVOT_HEADER_SIZE + fmt_pivspc(bs), fmt_bufspc(bs),
                fmt_get16(b + 6), 3);
    }
}

uint32_t
forge_fields(const uint8_t *b, uint32_t bs, struct forge_field *out, uint32_t max)
{
    if (!forge_is_meta(b, bs)) {
        return 0;
    }
    struct picker p = { .bs = bs, .list = out, .list_max = max };
    fields(&p, b, bs);
    return p.seen[LAYOUT] + p.seen[CONTENT];
}

uint32_t
forge_pick(const uint8_t *b, uint32_t bs, uint64_t seed)
{
    if (!forge_is_meta(b, bs)) {
        return FORGE_NONE;
    }
    struct picker p = { .rng = seed, .bs = bs };
    fields(&p, b, bs);
    if (p.seen[LAYOUT] + p.seen[CONTENT] == 0) {
        return FORGE_NONE;
    }
    int kind = p.seen[CONTENT] == 0 ? LAYOUT : p.seen[LAYOUT] == 0 ? CONTENT
        : (int)(prng_splitmix64(&p.rng) & 1);
    return p.off[kind] * 8 + (uint32_t)(prng_splitmix64(&p.rng) % (p.width[kind] * 8));
}

struct ptrs {
    uint32_t *offs;
    uint32_t max;
    uint32_t n;
};

static void
ptr_at(struct ptrs *p, uint32_t off, uint32_t bs)
{
    if (off + 16 <= bs) {
        if (p->n < p->max) {
            p->offs[p->n] = off;
        }
        p->n++;
    }
}

/* Values of a node region that hold pointers, by key kind and size. */
static void
region_ptrs(struct ptrs *p, const uint8_t *b, uint32_t bs, uint32_t start, uint32_t size,
        uint32_t n, bool pivot)
{
    for (uint32_t i = 0; i < n && 2 * i + 2 <= size; i++) {
        uint32_t off = fmt_get16(b + start + 2 * i);
        if (off < 2 * n || off + 4 > size) {
            continue;
        }
        uint32_t nk = fmt_get16(b + start + off);
        if (nk == 0 || off + 4 + nk > size) {
            continue;
        }
        uint32_t nv = fmt_get16(b + start + off + 2 + nk);
        uint32_t v = start + off + 4 + nk;
        uint8_t kind = b[start + off + 2];
        if (off + 4 + nk + nv > size) {
            continue;
        }
        if (pivot && nv == FMT_PPTR_SIZE) {
            ptr_at(p, v, bs);                                   /* A child. */
        } else if (!pivot && kind == FMT_KDAT && nv == FMT_PTR_SIZE) {
            ptr_at(p, v, bs);                                   /* File data. */
        } else if (!pivot && kind == FMT_KSNAP && nv == FMT_TREE_SIZE) {
            ptr_at(p, v + FMT_TREE_SIZE - FMT_PTR_SIZE, bs);    /* A snapshot's root. */
        } else if (!pivot && kind == FMT_KDLIST && nv == FMT_DLIST_VALUE_SIZE) {
            ptr_at(p, v, bs);                                   /* Deadlist head, tail. */
            ptr_at(p, v + FMT_PTR_SIZE, bs);
        }
    }
}

uint32_t
forge_pointers(const uint8_t *b, uint32_t bs, uint32_t *offs, uint32_t max)
{
    struct ptrs p = { offs, max, 0 };
    if (!forge_is_meta(b, bs)) {
        return 0;
    }
    uint16_t t = fmt_get16(b);
    if (t == FMT_TYPE_SUPER) {
        ptr_at(&p, 24, bs);                 /* snap root, snapdl.hd, snapdl.tl */
        ptr_at(&p, 40, bs);
        ptr_at(&p, 56, bs);
    } else if (t == FMT_TYPE_ARENA) {
        ptr_at(&p, 2, bs);                  /* loghd */
    } else if (t == FMT_TYPE_LOG || t == FMT_TYPE_DLIST) {
        ptr_at(&p, 12, bs);                 /* logp */
    } else if (t == FMT_TYPE_LEAF) {
        region_ptrs(&p, b, bs, FMT_LEAF_HEADER_SIZE, fmt_leafspc(bs), fmt_get16(b + 2), false);
    } else {
        region_ptrs(&p, b, bs, FMT_PIVOT_HEADER_SIZE, fmt_pivspc(bs), fmt_get16(b + 2), true);
    }
    return p.n;
}

void
forge_seal(uint8_t *b, uint32_t bs)
{
    uint16_t t = fmt_get16(b);
    if (t == FMT_TYPE_SUPER && is_super(b)) {
        uint32_t n = fmt_get32(b + 16);
        uint32_t at = FMT_SUPER_HEADER_SIZE + FMT_SUPER_ARENA_SIZE * n;
        if (n <= FMT_ARENA_COUNT_MAX && at + 8 <= bs) {
            fmt_put64(b + at, fmt_hash(b, at));
        }
    } else if (t == FMT_TYPE_LOG || t == FMT_TYPE_DLIST) {
        uint32_t logsz = fmt_get16(b + 2);
        if (logsz <= fmt_logspc(bs)) {
            fmt_put64(b + 4, fmt_hash(b + FMT_LOG_HEADER_SIZE, logsz));
        }
    }
}
