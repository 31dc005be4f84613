/*
 * faultinject/plan.c: crash-state enumeration and ids (see plan.h).
 *
 * Method. A fault plan is parsed into bits, one per element of PLAN_CUTS and
 * FAULT_CLASSES (faultinject/classes.h), and enumerated over a recorded op
 * log (traces/oplog.h), read as it is: at each cut the plan's cut selectors
 * choose, the cut itself, then the lost-write subsets, tears and lying
 * flushes the model allows, and, before the end, its media faults on the
 * writes live there (struct cut_image, kept as the cuts advance), sampled
 * per class past plan->samples; at the end of the log, per write, its media
 * faults and forged variants (of the writes whose bytes the log leaves in
 * place, oplog_live_bytes), as they were before earlier cuts had any. Every
 * random draw comes from a stream seeded by the plan's seed, the index it is
 * drawn for (a cut, an op) and a salt naming the use (enum plan_salt); at a
 * cut before the end, by the cut's own seed in place of the plan's
 * (PLAN_SALT_CUT), so the states and their ids are the same on every run.
 *
 * The names of elements, classes and id pieces all come from the tables in
 * classes.h; this file holds the grammar around them.
 */
#include "plan.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fs/base.h"
#include "../fs/bdev.h"
#include "../fs/format.h"
#include "forge.h"
#include "../traces/prng.h"

#define REORDER_SAMPLES_DEFAULT 64u

/* The salts of the planner's random streams, one per use (prng_stream). The
 * values are part of every stored id a draw decided: never change one. */
enum plan_salt {
    PLAN_SALT_REORDER = 1,      /* Which lost-write subsets are sampled at a cut. */
    PLAN_SALT_FLIP = 2,         /* The bit a flip inverts in a write's block. */
    PLAN_SALT_FORGE = 6,        /* The field and bit of each forged variant of a write. */
    PLAN_SALT_REPOINT = 10,     /* The pointer and target of each repointed variant. */
    PLAN_SALT_LIAR = 12,        /* Which writes a lying flush lost, when sampled. */
    PLAN_SALT_MISDIRECT = 14,   /* Whether, and onto which block, a write is misdirected. */
    PLAN_SALT_CUT = 16,         /* A cut's own seed for its media faults (cut < n): the
                                   uses above draw from it as from the plan's seed. */
    PLAN_SALT_STRUCK = 18,      /* Which writes a media class strikes at a cut, sampled. */
    PLAN_SALT_FLIP_BITS = 20,   /* The other bits of flip:N, from the op and the first bit. */
};

/* Where an element of the plan keeps its count (reorder:K, forge:N). */
struct plan_count {
    size_t offset;              /* Of a uint32_t field of struct fault_plan; 0 (kinds):
                                   no count. */
    const char *letter;         /* As the usage names the count. */
    uint32_t max;               /* Largest count. */
    bool needed;                /* The element takes no plain form; else plain means 1. */
};

#define PLAN_COUNT_NONE { 0, "", 0, false }
#define PLAN_COUNT(field, letter, max, needed) \
    { offsetof(struct fault_plan, field), letter, max, needed }

#define ELEMENT_COUNT (PLAN_CUT_COUNT + FAULT_CLASS_COUNT)

/* The elements of a plan in normal order: the cut selectors, then one row
 * per fault class (class c at PLAN_CUT_COUNT + c; the cut class has none). */
static const struct {
    const char *name;           /* As --faults spells it ("" for the cut class: none). */
    uint32_t bit;               /* PLAN_* bit, 0 for none. */
    struct plan_count count;    /* Its count, if it takes one. */
} elements[ELEMENT_COUNT] = {
#define X(NAME, name) { name, PLAN_##NAME, PLAN_COUNT_NONE },
    PLAN_CUTS(X)
#undef X
#define X(NAME, name, ELEMENT, element, count, needs, verdict, media, id, id_args) \
    { element, PLAN_##ELEMENT, count },
    FAULT_CLASSES(X)
#undef X
};

STATIC_ASSERT(ELEMENT_COUNT <= 32, "the plan's bits fit its kinds word");

STATIC_ASSERT(offsetof(struct fault_plan, kinds) == 0, "offset 0 means no count");

static uint32_t
plan_count_get(const struct fault_plan *plan, const struct plan_count *c)
{
    ASSERT(c->offset != 0);
    ASSERT(c->offset + sizeof(uint32_t) <= sizeof(*plan));
    uint32_t k;
    memcpy(&k, (const uint8_t *)plan + c->offset, sizeof(k));
    return k;
}

static void
plan_count_set(struct fault_plan *plan, const struct plan_count *c, uint32_t k)
{
    ASSERT(c->offset != 0);
    ASSERT(c->offset + sizeof(uint32_t) <= sizeof(*plan));
    memcpy((uint8_t *)plan + c->offset, &k, sizeof(k));
}

/* The models that apply class c, "hostile" or "writeback or hostile". */
static void
models_applying(uint32_t c, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t m = 0; m < MODEL_COUNT && used < size; m++) {
        if (device_model_applies((enum device_model)m, c)) {
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? " or " : "",
                    device_model_name((enum device_model)m));
        }
    }
}

/* A class of the plan the model does not apply: the first by the capability
 * the model lacks (enum device_cap order), then by table order; or
 * CRASH_NONE. */
static uint32_t
plan_unapplied(const struct fault_plan *plan, enum device_model model)
{
    for (uint32_t cap = 1; cap <= DEVICE_MEDIA; cap <<= 1) {
        for (uint32_t c = 0; c < CRASH_FAULT_CLASSES; c++) {
            const struct fault_class_info *info = fault_class_info(c);
            if ((info->needs & cap) && (plan->kinds & elements[PLAN_CUT_COUNT + c].bit)
                    && !device_model_applies(model, c)) {
                return c;
            }
        }
    }
    return CRASH_NONE;
}

int
fault_plan_check_model(const struct fault_plan *plan, enum device_model model, char *err,
        size_t err_size)
{
    ASSERT(model < MODEL_COUNT);
    ASSERT(err != NULL && err_size > 0);
    uint32_t c = plan_unapplied(plan, model);
    if (c == CRASH_NONE) {
        return 0;
    }
    const char *name = fault_class_info(c)->element;
    char models[64];
    models_applying(c, models, sizeof(models));
    snprintf(err, err_size, "the %s model does not apply '%s': use --model %s, or leave "
            "'%s' out", device_model_name(model), name, models, name);
    return -1;
}

/* An element "NAME:K" with K in 1..max. */
static bool
counted(const char *e, size_t n, const char *name, uint32_t max, uint32_t *k)
{
    size_t len = strlen(name);
    if (n <= len + 1 || memcmp(e, name, len) != 0 || e[len] != ':') {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = len + 1; i < n; i++) {
        if (e[i] < '0' || e[i] > '9' || v > max) {
            return false;
        }
        v = v * 10 + (uint64_t)(e[i] - '0');
    }
    *k = (uint32_t)v;
    return v >= 1 && v <= max;
}

static int
plan_element(const char *e, size_t n, struct fault_plan *plan)
{
    for (uint32_t i = 0; i < ELEMENT_COUNT; i++) {
        const char *name = elements[i].name;
        const struct plan_count *c = &elements[i].count;
        if (elements[i].bit == 0) {
            continue;                       /* The cut class: the selectors stand for it. */
        }
        if (strlen(name) == n && memcmp(e, name, n) == 0 && !c->needed) {
            plan->kinds |= elements[i].bit;
            if (c->offset != 0) {
                plan_count_set(plan, c, 1);
            }
            return 0;
        }
        uint32_t k;
        if (c->offset != 0 && counted(e, n, name, c->max, &k)) {
            plan->kinds |= elements[i].bit;
            plan_count_set(plan, c, k);
            return 0;
        }
    }
    return -1;
}

void
fault_plan_usage(char *buf, size_t size)
{
    ASSERT(buf != NULL);
    ASSERT(size > 0);
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < ELEMENT_COUNT && used < size; i++) {
        const struct plan_count *c = &elements[i].count;
        const char *sep = used ? ", " : "";
        int n = elements[i].bit == 0 ? 0 : c->offset == 0
            ? snprintf(buf + used, size - used, "%s%s", sep, elements[i].name)
            : snprintf(buf + used, size - used, "%s%s%s%s:%s with %s 1..%u", sep,
                    c->needed ? "" : elements[i].name, c->needed ? "" : " or ",
                    elements[i].name, c->letter, c->letter, c->max);
        used += n > 0 ? (size_t)n : 0;
    }
}

int
fault_plan_parse(const char *s, struct fault_plan *plan, char *err, size_t err_size)
{
    memset(plan, 0, sizeof(*plan));
    plan->samples = REORDER_SAMPLES_DEFAULT;
    const char *p = s;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (plan_element(p, n, plan) != 0) {
            char usage[256];
            fault_plan_usage(usage, sizeof(usage));
            snprintf(err, err_size, "unknown fault '%.*s' (%s)", (int)FS_MIN(n, 40), p, usage);
            return -1;
        }
        p += n + (comma != NULL);
    }
    if (plan->kinds == 0) {
        snprintf(err, err_size, "no fault plan given");
        return -1;
    }
    return 0;
}

void
fault_plan_format(const struct fault_plan *plan, char *buf, size_t size)
{
    ASSERT(size > 0);
    buf[0] = '\0';
    size_t used = 0;
    for (uint32_t i = 0; i < ELEMENT_COUNT; i++) {
        if (elements[i].bit == 0 || !(plan->kinds & elements[i].bit)) {
            continue;
        }
        const struct plan_count *c = &elements[i].count;
        uint32_t k = c->offset != 0 ? plan_count_get(plan, c) : 0;
        int n = c->offset != 0 && (c->needed || k > 1)
            ? snprintf(buf + used, size - used, "%s%s:%u", used ? "," : "", elements[i].name, k)
            : snprintf(buf + used, size - used, "%s%s", used ? "," : "", elements[i].name);
        if (n < 0 || (size_t)n >= size - used) {
            return;
        }
        used += (size_t)n;
    }
}

/* The plan's class bits the model applies: of every class, or (media) of the
 * classes enumerated per write at the end of the log, whose states carry a
 * media fault. */
static uint32_t
plan_applied(const struct fault_plan *plan, enum device_model model, bool media)
{
    ASSERT(model < MODEL_COUNT);
    uint32_t bits = 0;
    for (uint32_t c = 0; c < CRASH_FAULT_CLASSES; c++) {
        bool end = fault_class_info(c)->media_fault != MEDIA_NONE;
        if (device_model_applies(model, c) && (end || !media)) {
            bits |= elements[PLAN_CUT_COUNT + c].bit;
        }
    }
    ASSERT((bits & (PLAN_PASS | PLAN_FLUSH | PLAN_PREFIX)) == 0);
    return plan->kinds & bits;
}

struct sink {
    struct crash_state **states;    /* The growing array. */
    size_t *count;                  /* Entries. */
    size_t cap;                     /* Allocated entries. */
    bool failed;                    /* Out of memory. */
    uint64_t left_out;              /* States of the space sampling did not draw. */
};

static void
emit(struct sink *k, const struct crash_state *s)
{
    if (k->failed) {
        return;
    }
    if (*k->count == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 1024;
        struct crash_state *n = realloc(*k->states, cap * sizeof(struct crash_state));
        if (n == NULL) {
            k->failed = true;
            return;
        }
        *k->states = n;
        k->cap = cap;
    }
    (*k->states)[(*k->count)++] = *s;
}

/* Marks the cut points the plan asks for in cuts[0..log->count]. */
static void
plan_cuts(const struct oplog *log, const struct fault_plan *plan, uint8_t *cuts)
{
    const struct oplog_op *ops = log->ops;
    uint32_t n = log->count;
    uint32_t kinds = plan->kinds;
    if ((kinds & (PLAN_PASS | PLAN_FLUSH | PLAN_PREFIX)) == 0) {
        /* reorder/torn alone: at the protocol's points; liar: after every write,
         * where a write that trusted the flush has reached the device. */
        kinds |= (kinds & PLAN_LIAR) ? PLAN_PREFIX : PLAN_PASS | PLAN_FLUSH;
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((kinds & PLAN_PASS) && ops[i].kind == OPLOG_OP_MARK
                && oplog_mark_pass(ops[i].mark) != OPLOG_PASS_NONE) {
            cuts[i] = 1;                    /* A sync-pass boundary: before the pass's mark. */
        }
        if ((kinds & PLAN_FLUSH) && ops[i].kind == OPLOG_OP_FLUSH) {
            cuts[i + 1] = 1;
        }
        if ((kinds & PLAN_PREFIX) && ops[i].kind == OPLOG_OP_WRITE) {
            cuts[i + 1] = 1;
        }
    }
    cuts[n] = 1;
}

static uint64_t
choose(uint64_t n, uint32_t k)
{
    uint64_t r = 1;
    for (uint32_t i = 1; i <= k && r < UINT32_MAX; i++) {
        r = r * (n - k + i) / i;
    }
    return r;
}

/* Emits every subset of win[0..w) of size k in lexicographic order. */
static void
subsets(struct sink *k, const uint32_t *win, uint32_t w, uint32_t size, struct crash_state *s,
        uint32_t from)
{
    if (s->drop_count == size) {
        emit(k, s);
        return;
    }
    for (uint32_t i = from; i + (size - s->drop_count) <= w && !k->failed; i++) {
        s->drops[s->drop_count++] = win[i];
        subsets(k, win, w, size, s, i + 1);
        s->drop_count--;
    }
}

static int
u32_order(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Whether v is one of a[0..n). */
static bool
u32_in(const uint32_t *a, uint32_t n, uint32_t v)
{
    for (uint32_t i = 0; i < n; i++) {
        if (a[i] == v) {
            return true;
        }
    }
    return false;
}

static bool
same_drops(const struct crash_state *a, const struct crash_state *b)
{
    return a->drop_count == b->drop_count
        && memcmp(a->drops, b->drops, a->drop_count * sizeof(uint32_t)) == 0;
}

/* Draws plan->samples distinct subsets (the caller made sure more exist). */
static void
sampled(struct sink *k, const uint32_t *win, uint32_t w, const struct fault_plan *plan,
        uint32_t cut)
{
    uint64_t rng = prng_stream(plan->seed, cut, PLAN_SALT_REORDER);
    size_t first = *k->count;
    for (uint32_t n = 0, tries = 0; n < plan->samples && tries < 64 * plan->samples; tries++) {
        struct crash_state s = { .cut = cut, .torn = CRASH_NONE };
        uint32_t size = 1 + (uint32_t)(prng_xorshift64star(&rng) % FS_MIN(plan->reorder_k, w));
        while (s.drop_count < size) {
            uint32_t pick = win[prng_xorshift64star(&rng) % w];
            bool dup = false;
            for (uint32_t j = 0; j < s.drop_count; j++) {
                dup = dup || s.drops[j] == pick;
            }
            if (!dup) {
                s.drops[s.drop_count++] = pick;
            }
        }
        qsort(s.drops, s.drop_count, sizeof(uint32_t), u32_order);
        bool seen = false;
        for (size_t j = first; j < *k->count && !seen && !k->failed; j++) {
            seen = same_drops(&(*k->states)[j], &s);
        }
        if (!seen) {
            emit(k, &s);
            n++;
        }
    }
}

static void
reorders(struct sink *k, const uint32_t *win, uint32_t w, const struct fault_plan *plan,
        uint32_t cut)
{
    uint64_t total = 0;
    for (uint32_t size = 1; size <= plan->reorder_k && size <= w; size++) {
        total += choose(w, size);
    }
    if (total > plan->samples) {
        size_t first = *k->count;
        sampled(k, win, w, plan, cut);
        k->left_out += total - (*k->count - first);
        return;
    }
    for (uint32_t size = 1; size <= plan->reorder_k && size <= w; size++) {
        struct crash_state s = { .cut = cut, .torn = CRASH_NONE };
        subsets(k, win, w, size, &s, 0);
    }
}

/* The last flush before the cut lied: one write from before it is lost,
 * alone or with one write after it; all such pairs up to plan->samples,
 * else that many drawn from the seed. */
static void
lies(struct sink *k, const uint32_t *prev, uint32_t pw, const uint32_t *win, uint32_t w,
        const struct fault_plan *plan, uint32_t cut)
{
    uint64_t total = (uint64_t)pw * (1u + w);
    uint64_t rng = prng_stream(plan->seed, cut, PLAN_SALT_LIAR);
    size_t first = *k->count;
    if (total > plan->samples) {
        k->left_out += total;       /* Less what is drawn, below. */
    }
    for (uint64_t n = 0, tries = 0; n < FS_MIN(total, plan->samples) && tries < 64u * total
            && !k->failed; tries++) {
        uint64_t pick = total <= plan->samples ? tries : prng_xorshift64star(&rng) % total;
        if (pick >= total) {
            break;
        }
        struct crash_state s = { .cut = cut, .torn = CRASH_NONE, .liar = 1, .drop_count = 1 };
        s.drops[0] = prev[pick / (1u + w)];
        uint64_t after = pick % (1u + w);
        if (after > 0) {
            s.drops[s.drop_count++] = win[after - 1];   /* Later than any of prev. */
        }
        bool seen = false;
        for (size_t j = first; j < *k->count && !seen && total > plan->samples; j++) {
            seen = same_drops(&(*k->states)[j], &s);
        }
        if (!seen) {
            emit(k, &s);
            n++;
        }
    }
    if (total > plan->samples) {
        k->left_out -= *k->count - first;
    }
}

static void
tears(struct sink *k, const struct oplog *log, uint32_t cut)
{
    ASSERT(cut > 0 && log->ops[cut - 1].kind == OPLOG_OP_WRITE);
    uint32_t n = log->block_size / BDEV_SECTOR_SIZE;
    uint32_t at[3] = { 1, n / 2, n - 1 };
    for (uint32_t i = 0; i < 3; i++) {
        if (at[i] < 1 || at[i] >= n || (i > 0 && at[i] == at[i - 1])) {
            continue;
        }
        for (uint32_t f = 0; f < TORN_FILL_COUNT; f++) {
            struct crash_state s = { .cut = cut, .torn = cut - 1, .torn_sectors = (uint16_t)at[i],
                .torn_fill = torn_fill_letter((enum torn_fill)f) };
            emit(k, &s);
        }
    }
}

/* Up to plan->forge_n forged variants of a write, each bit once. */
static void
forges(struct sink *k, struct crash_state *s, const uint8_t *content, uint32_t bs,
        const struct fault_plan *plan)
{
    uint32_t bits[FORGE_VARIANTS_MAX], count = 0;
    for (uint32_t v = 0; v < plan->forge_n && !k->failed; v++) {
        uint64_t seed = prng_stream(plan->seed, s->media_op, PLAN_SALT_FORGE)
            ^ (PRNG_VARIANT_MUL * (v + 1));
        uint32_t bit = forge_pick(content, bs, seed);
        bool seen = bit == FORGE_NONE;
        for (uint32_t j = 0; j < count && !seen; j++) {
            seen = bits[j] == bit;
        }
        if (seen) {
            continue;
        }
        bits[count++] = bit;
        s->media = MEDIA_FORGE;
        s->flip_bit = bit;
        emit(k, s);
    }
    s->flip_bit = 0;
}

/* The image at a cut as the planner sees it: which write each block holds
 * after ops [0, cut), and the writes whose bytes are still on their block
 * there (live at the cut). At the end of the log, writer is the log's own
 * last_write and live the writes oplog_live_bytes finds. */
struct cut_image {
    const struct oplog *log;    /* The log cut. */
    uint32_t cut;               /* Ops [0, cut) were issued. */
    const uint32_t *writer;     /* Per block: the write op whose bytes it holds, or
                                   OPLOG_NONE (what the log began with). */
    uint32_t *live_op;          /* The writes live at the cut, ascending. */
    uint64_t *live;             /* Their blocks, in the same order: the blocks in use. */
    uint32_t live_count;        /* Entries of both. */
};

/* The bytes write op left on its block if they are still there at the cut,
 * else NULL (a later write before the cut replaced them). */
static const uint8_t *
cut_live_bytes(const struct cut_image *img, uint32_t op)
{
    ASSERT(op < img->cut);
    const struct oplog_op *o = &img->log->ops[op];
    ASSERT(o->kind == OPLOG_OP_WRITE);
    return img->writer[o->block] == op ? oplog_op_bytes(img->log, op) : NULL;
}

/* The type of what block holds at the cut, UINT16_MAX if no write of the
 * log is there (or block is off the device). */
static uint16_t
live_type(const struct cut_image *img, uint64_t block)
{
    if (block >= img->log->block_count || img->writer[block] == OPLOG_NONE) {
        return UINT16_MAX;
    }
    return fmt_get16(oplog_op_bytes(img->log, img->writer[block]));
}

/* Up to plan->repoint_n variants of a write: one of its block pointers names
 * another block in use at the cut (half the time one of the type the pointer
 * named), each (pointer, target) once. A log or deadlist block's next
 * pointer, which no hash checks, also names the block itself: a loop. */
static void
repoints(struct sink *k, struct crash_state *s, const struct cut_image *img,
        const struct fault_plan *plan)
{
    const struct oplog_op *op = &img->log->ops[s->media_op];
    const uint8_t *content = cut_live_bytes(img, s->media_op);
    ASSERT(content != NULL);
    uint32_t bs = img->log->block_size, offs[1024];
    uint32_t np = FS_MIN(forge_pointers(content, bs, offs, 1024), 1024u);
    const uint64_t *live = img->live;
    uint32_t live_count = img->live_count;
    if (np == 0 || live_count < 2) {
        return;
    }
    uint32_t seen_off[FORGE_VARIANTS_MAX], seen_target[FORGE_VARIANTS_MAX], count = 0;
    uint16_t own = fmt_get16(content);
    bool chain = own == FMT_TYPE_LOG || own == FMT_TYPE_DLIST;  /* Not hash-linked: may loop. */
    uint64_t rng = prng_stream(plan->seed, s->media_op, PLAN_SALT_REPOINT);
    for (uint32_t v = 0; v < plan->repoint_n && !k->failed; v++) {
        uint32_t off = offs[prng_xorshift64star(&rng) % np];
        uint64_t was = fmt_get64(content + off) / bs, target = was;
        uint16_t type = live_type(img, was);
        bool same = type != UINT16_MAX && (prng_xorshift64star(&rng) & 1);
        if (chain && v == 0) {
            target = op->block;                 /* A chain that loops on itself. */
        }
        for (uint32_t tries = 0; tries < 64 && (target == was || (target == op->block && !chain));
                tries++) {
            target = live[prng_xorshift64star(&rng) % live_count];
            if (same && live_type(img, target) != type) {
                target = was;                   /* Another type: draw again. */
            }
        }
        bool dup = target == was || (target == op->block && !chain);
        for (uint32_t j = 0; j < count && !dup; j++) {
            dup = seen_off[j] == off && seen_target[j] == target;
        }
        if (dup) {
            continue;
        }
        seen_off[count] = off;
        seen_target[count++] = (uint32_t)target;
        s->media = MEDIA_REPOINT;
        s->flip_bit = off;
        s->target = (uint32_t)target;
        emit(k, s);
    }
    s->flip_bit = 0;
    s->target = 0;
}

/* A flip of the write's block: its first bit drawn from the seed and the op,
 * the other flip_n - 1 from the id (crash_flip_bits). */
static void
flips(struct sink *k, struct crash_state s, uint32_t bs, const struct fault_plan *plan)
{
    ASSERT(plan->flip_n <= FLIP_BITS_MAX);
    ASSERT(s.media_op < s.cut);
    uint64_t rng = prng_stream(plan->seed, s.media_op, PLAN_SALT_FLIP);
    s.media = MEDIA_FLIP;
    s.flip_count = (uint8_t)FS_MAX(plan->flip_n, 1u);
    s.flip_bit = (uint32_t)(prng_xorshift64star(&rng) % ((uint64_t)bs * 8u));
    emit(k, &s);
}

/* At the end of the log, for each write, the media faults the plan names (the
 * ones the model allows) and a forged block; a flipped bit is drawn from the
 * seed and the op index, a forged one from the fields of the write's block.
 * A misdirected write lands next door or, half the time, on a block in use. */
static void
media_end(struct sink *k, const struct cut_image *img, const struct fault_plan *plan,
        uint32_t kinds)
{
    const struct oplog_op *ops = img->log->ops;
    uint32_t n = img->cut;
    ASSERT(n == img->log->count && n > 0);
    ASSERT(img->writer == img->log->last_write);
    const uint64_t *live = img->live;
    uint32_t live_count = img->live_count;
    for (uint32_t i = 0; i < n && !k->failed; i++) {
        if (ops[i].kind != OPLOG_OP_WRITE) {
            continue;
        }
        const uint8_t *content = cut_live_bytes(img, i);        /* NULL: overwritten later. */
        struct crash_state s = { .cut = n, .torn = CRASH_NONE, .media_op = i };
        if ((kinds & PLAN_FORGE) && content != NULL) {
            forges(k, &s, content, img->log->block_size, plan);
        }
        if (kinds & PLAN_FLIP) {
            flips(k, s, img->log->block_size, plan);
        }
        if (kinds & PLAN_LOST) {
            s.media = MEDIA_LOST;
            emit(k, &s);
        }
        if (kinds & PLAN_MISDIRECT) {       /* Next door, or onto a block in use. */
            uint64_t rng = prng_stream(plan->seed, i, PLAN_SALT_MISDIRECT);
            uint64_t b = ops[i].block, t = b;
            for (uint32_t tries = 0; (prng_xorshift64star(&rng) & 1) && live_count > 1 && tries < 8
                    && (t == b || t == b + 1); tries++) {
                t = live[prng_xorshift64star(&rng) % live_count];
            }
            s.media = MEDIA_MISDIRECT;
            s.target = t == b || t == b + 1 ? CRASH_NONE : (uint32_t)t;   /* NONE: next door. */
            emit(k, &s);
            s.target = 0;
        }
        if ((kinds & PLAN_UNREADABLE) && content != NULL) {
            s.media = MEDIA_UNREADABLE;
            emit(k, &s);
        }
        if ((kinds & PLAN_REPOINT) && content != NULL) {
            repoints(k, &s, img, plan);
        }
    }
}

/* A misdirected write at an earlier cut: it landed on a block in use there,
 * another than its own, drawn from the seed (the caller made sure there is
 * one: two blocks in use). */
static void
misdirects(struct sink *k, struct crash_state s, const struct cut_image *img,
        const struct fault_plan *plan)
{
    ASSERT(img->live_count >= 2);
    ASSERT(s.media_op < img->cut);
    uint64_t own = img->log->ops[s.media_op].block;
    uint64_t rng = prng_stream(plan->seed, s.media_op, PLAN_SALT_MISDIRECT);
    uint32_t at = (uint32_t)(prng_xorshift64star(&rng) % img->live_count);
    if (img->live[at] == own) {             /* Its own block: one of the others instead. */
        uint32_t skip = 1 + (uint32_t)(prng_xorshift64star(&rng) % (img->live_count - 1));
        at = (at + skip) % img->live_count;
    }
    s.media = MEDIA_MISDIRECT;
    s.target = (uint32_t)img->live[at];
    emit(k, &s);
}

/* Which writes a media class may strike at a cut before the end: the writes
 * live there (a fault on bytes a later write replaced would not show), the
 * live metadata writes (forged and repointed blocks), or, misdirected, every
 * write before the cut (its bytes may still stand on the block it hit). */
enum struck_from {
    STRUCK_LIVE,                /* img->live_op. */
    STRUCK_META,                /* Those of img->live_op that are metadata blocks. */
    STRUCK_ALL,                 /* Every write before the cut. */
};

/* The media classes at a cut before the end, in the order a write's states
 * are emitted (the end of the log's order). */
static const struct {
    enum fault_class cls;       /* The class. */
    uint32_t bit;               /* Its PLAN_* bit. */
    enum struck_from from;      /* Its candidate writes. */
} cut_classes[] = {
    { FAULT_CLASS_FORGE, PLAN_FORGE, STRUCK_META },
    { FAULT_CLASS_FLIP, PLAN_FLIP, STRUCK_LIVE },
    { FAULT_CLASS_LOST, PLAN_LOST, STRUCK_LIVE },
    { FAULT_CLASS_MISDIRECT, PLAN_MISDIRECT, STRUCK_ALL },
    { FAULT_CLASS_UNREADABLE, PLAN_UNREADABLE, STRUCK_LIVE },
    { FAULT_CLASS_REPOINT, PLAN_REPOINT, STRUCK_META },
};

#define CUT_CLASS_COUNT (sizeof(cut_classes) / sizeof(cut_classes[0]))

STATIC_ASSERT(CUT_CLASS_COUNT <= 8, "a write's classes at a cut fit its struck byte");

/* The planner's image as the cuts advance, and its scratch for the media
 * faults at each cut before the end. Every array has an entry per op. */
struct cut_media {
    struct cut_image img;       /* At the current cut; writer is at. */
    uint32_t *at;               /* Per block: its writer at the cut (OPLOG_NONE: none). */
    uint64_t *blocks;           /* The distinct blocks written before the cut. */
    uint32_t block_count;       /* Entries of blocks. */
    uint32_t *writes;           /* Every write op before the cut, ascending. */
    uint32_t write_count;       /* Entries of writes. */
    uint32_t *meta_op;          /* The live writes that are metadata blocks, ascending. */
    uint32_t *pick;             /* Sampling scratch: candidate indices. */
    uint8_t *struck;            /* Per op: the cut_classes (bit i: row i) struck at this cut. */
    uint32_t *struck_op;        /* The ops with a struck bit, in the order first struck. */
};

static int
cut_media_init(struct cut_media *m, const struct oplog *log)
{
    size_t n = (size_t)log->count + 1;
    memset(m, 0, sizeof(*m));
    m->at = malloc(log->block_count * sizeof(uint32_t));
    m->blocks = malloc(n * sizeof(uint64_t));
    m->writes = malloc(n * sizeof(uint32_t));
    m->meta_op = malloc(n * sizeof(uint32_t));
    m->pick = malloc(n * sizeof(uint32_t));
    m->struck = calloc(n, 1);
    m->struck_op = malloc(n * sizeof(uint32_t));
    m->img = (struct cut_image){ log, 0, m->at, malloc(n * sizeof(uint32_t)),
        malloc(n * sizeof(uint64_t)), 0 };
    if (m->at == NULL || m->blocks == NULL || m->writes == NULL || m->meta_op == NULL
            || m->pick == NULL || m->struck == NULL || m->struck_op == NULL
            || m->img.live_op == NULL || m->img.live == NULL) {
        return -1;
    }
    memset(m->at, 0xff, log->block_count * sizeof(uint32_t));
    return 0;
}

static void
cut_media_free(struct cut_media *m)
{
    free(m->at);
    free(m->blocks);
    free(m->writes);
    free(m->meta_op);
    free(m->pick);
    free(m->struck);
    free(m->struck_op);
    free(m->img.live_op);
    free(m->img.live);
    memset(m, 0, sizeof(*m));
}

/* Moves the image to cut: op cut - 1 has been issued. */
static void
cut_media_advance(struct cut_media *m, uint32_t cut)
{
    const struct oplog_op *op = &m->img.log->ops[cut - 1];
    ASSERT(cut == m->img.cut + 1);
    m->img.cut = cut;
    if (op->kind != OPLOG_OP_WRITE) {
        return;
    }
    ASSERT(op->block < m->img.log->block_count);
    if (m->at[op->block] == OPLOG_NONE) {
        m->blocks[m->block_count++] = op->block;
    }
    m->at[op->block] = cut - 1;
    m->writes[m->write_count++] = cut - 1;
}

/* Lists the writes live at the cut, ascending, with their blocks, and the
 * metadata ones among them; returns how many of those. */
static uint32_t
cut_media_live(struct cut_media *m)
{
    struct cut_image *img = &m->img;
    for (uint32_t i = 0; i < m->block_count; i++) {
        img->live_op[i] = m->at[m->blocks[i]];
    }
    img->live_count = m->block_count;
    qsort(img->live_op, img->live_count, sizeof(uint32_t), u32_order);
    uint32_t meta = 0;
    for (uint32_t i = 0; i < img->live_count; i++) {
        uint32_t op = img->live_op[i];
        img->live[i] = img->log->ops[op].block;
        if (forge_is_meta(oplog_op_bytes(img->log, op), img->log->block_size)) {
            m->meta_op[meta++] = op;
        }
    }
    return meta;
}

/* Which of m candidates are struck: all when m <= want, else want of them
 * drawn from rng (a partial Fisher-Yates shuffle), as ascending indices in
 * m->pick. Returns how many. */
static uint32_t
struck_pick(struct cut_media *m, uint32_t count, uint32_t want, uint64_t rng)
{
    ASSERT(want > 0);
    ASSERT(count <= m->img.cut);
    for (uint32_t i = 0; i < count; i++) {
        m->pick[i] = i;
    }
    if (count <= want) {
        return count;
    }
    for (uint32_t i = 0; i < want; i++) {
        uint32_t j = i + (uint32_t)(prng_xorshift64star(&rng) % (count - i));
        uint32_t t = m->pick[i];
        m->pick[i] = m->pick[j];
        m->pick[j] = t;
    }
    qsort(m->pick, want, sizeof(uint32_t), u32_order);
    return want;
}

/* Marks the writes each media class of kinds strikes at the cut, up to
 * plan->samples per class, and counts the rest as left out (a write's forged
 * or repointed variants as forge_n or repoint_n: at most that many). Returns
 * the entries of m->struck_op. */
static uint32_t
cut_media_mark(struct sink *k, struct cut_media *m, const struct fault_plan *plan,
        uint32_t kinds, uint64_t cut_seed)
{
    uint32_t meta = cut_media_live(m);
    uint32_t struck = 0;
    for (uint32_t c = 0; c < CUT_CLASS_COUNT; c++) {
        enum struck_from from = cut_classes[c].from;
        if (!(kinds & cut_classes[c].bit) || (from == STRUCK_ALL && m->img.live_count < 2)) {
            continue;                       /* Misdirected: no other block in use to hit. */
        }
        const uint32_t *cand = from == STRUCK_LIVE ? m->img.live_op
            : from == STRUCK_META ? m->meta_op : m->writes;
        uint32_t count = from == STRUCK_LIVE ? m->img.live_count
            : from == STRUCK_META ? meta : m->write_count;
        uint64_t rng = prng_stream(cut_seed, cut_classes[c].cls, PLAN_SALT_STRUCK);
        uint32_t got = struck_pick(m, count, FS_MAX(plan->samples, 1u), rng);
        uint64_t variants = cut_classes[c].cls == FAULT_CLASS_FORGE ? plan->forge_n
            : cut_classes[c].cls == FAULT_CLASS_REPOINT ? plan->repoint_n : 1u;
        k->left_out += (uint64_t)(count - got) * variants;
        for (uint32_t i = 0; i < got; i++) {
            uint32_t op = cand[m->pick[i]];
            if (m->struck[op] == 0) {
                m->struck_op[struck++] = op;
            }
            m->struck[op] |= (uint8_t)(1u << c);
        }
    }
    return struck;
}

/* At a cut before the end of the log: the media faults the plan names, each
 * class on up to plan->samples writes (cut_media_mark), drawn from the cut's
 * own seed; a write's states in the end of the log's order, writes
 * ascending. */
static void
media_cut(struct sink *k, struct cut_media *m, const struct fault_plan *plan, uint32_t kinds)
{
    ASSERT(m->img.cut < m->img.log->count);
    ASSERT(kinds != 0);
    struct fault_plan at = *plan;
    at.seed = prng_stream(plan->seed, m->img.cut, PLAN_SALT_CUT);
    uint32_t struck = cut_media_mark(k, m, plan, kinds, at.seed);
    qsort(m->struck_op, struck, sizeof(uint32_t), u32_order);
    uint32_t bs = m->img.log->block_size;
    for (uint32_t i = 0; i < struck && !k->failed; i++) {
        uint32_t op = m->struck_op[i];
        struct crash_state s = { .cut = m->img.cut, .torn = CRASH_NONE, .media_op = op };
        for (uint32_t c = 0; c < CUT_CLASS_COUNT; c++) {
            if (!(m->struck[op] & (1u << c))) {
                continue;
            }
            enum fault_class cls = cut_classes[c].cls;
            if (cls == FAULT_CLASS_FORGE) {
                forges(k, &s, cut_live_bytes(&m->img, op), bs, &at);
            } else if (cls == FAULT_CLASS_FLIP) {
                flips(k, s, bs, &at);
            } else if (cls == FAULT_CLASS_MISDIRECT) {
                misdirects(k, s, &m->img, &at);
            } else if (cls == FAULT_CLASS_REPOINT) {
                repoints(k, &s, &m->img, &at);
            } else {
                s.media = fault_class_info(cls)->media_fault;
                emit(k, &s);
                s.media = MEDIA_NONE;
            }
        }
        m->struck[op] = 0;
    }
}

/* The end of the log as a cut image: the writes the log leaves in place, in
 * op order (draws index this list), and the log's own last writes. */
static void
media_at_end(struct sink *k, const struct oplog *log, const struct fault_plan *plan,
        uint32_t kinds)
{
    uint32_t n = log->count;
    ASSERT(n > 0);
    struct cut_image img = { log, n, log->last_write, malloc(((size_t)n + 1) * sizeof(uint32_t)),
        malloc(((size_t)n + 1) * sizeof(uint64_t)), 0 };
    k->failed = k->failed || img.live_op == NULL || img.live == NULL;
    for (uint32_t i = 0; !k->failed && i < n; i++) {
        if (oplog_live_bytes(log, i) != NULL) {
            img.live_op[img.live_count] = i;
            img.live[img.live_count++] = log->ops[i].block;
        }
    }
    if (!k->failed) {
        media_end(k, &img, plan, kinds);
    }
    free(img.live_op);
    free(img.live);
}

int
fault_plan_enumerate(const struct oplog *log, enum device_model model,
        const struct fault_plan *plan, struct crash_state **states, size_t *count)
{
    uint64_t left_out;
    return fault_plan_enumerate_counted(log, model, plan, states, count, &left_out);
}

/* The states at cut c the plan's cut classes give: the cut, its lost-write
 * subsets, tears and lying flushes. */
static void
cut_states(struct sink *k, const struct oplog *log, const struct fault_plan *plan,
        uint32_t applied, uint32_t c, const uint32_t *prev, uint32_t pw, const uint32_t *win,
        uint32_t w)
{
    struct crash_state s = { .cut = c, .torn = CRASH_NONE };
    emit(k, &s);
    if ((applied & PLAN_REORDER) && w > 0) {
        reorders(k, win, w, plan, c);
    }
    if ((applied & PLAN_TORN) && c > 0 && log->ops[c - 1].kind == OPLOG_OP_WRITE) {
        tears(k, log, c);
    }
    if ((applied & PLAN_LIAR) && pw > 0) {
        lies(k, prev, pw, win, w, plan, c);
    }
}

int
fault_plan_enumerate_counted(const struct oplog *log, enum device_model model,
        const struct fault_plan *plan, struct crash_state **states, size_t *count,
        uint64_t *left_out)
{
    ASSERT(plan->kinds != 0);
    ASSERT(log->started || log->count == 0);
    const struct oplog_op *ops = log->ops;
    uint32_t n = log->count;
    uint8_t *cuts = calloc((size_t)n + 1, 1);
    uint32_t *win = malloc(((size_t)n + 1) * sizeof(uint32_t));
    uint32_t *prev = malloc(((size_t)n + 1) * sizeof(uint32_t));
    struct sink k = { states, count, 0, cuts == NULL || win == NULL || prev == NULL, 0 };
    *states = NULL;
    *count = 0;
    uint32_t applied = plan_applied(plan, model, false);
    uint32_t media = plan_applied(plan, model, true);
    struct cut_media m = { 0 };
    k.failed = k.failed || (media != 0 && cut_media_init(&m, log) != 0);
    if (!k.failed) {
        plan_cuts(log, plan, cuts);
    }
    uint32_t w = 0, pw = 0;
    for (uint32_t c = 0; c <= n && !k.failed; c++) {
        if (c > 0 && ops[c - 1].kind == OPLOG_OP_FLUSH) {
            memcpy(prev, win, w * sizeof(uint32_t));    /* What a lying flush left behind. */
            pw = w;
            w = 0;                          /* A completed flush empties the cache. */
        } else if (c > 0 && ops[c - 1].kind == OPLOG_OP_WRITE) {
            win[w++] = c - 1;
        }
        if (c > 0 && media != 0) {
            cut_media_advance(&m, c);
        }
        if (cuts[c]) {
            cut_states(&k, log, plan, applied, c, prev, pw, win, w);
        }
        if (cuts[c] && c < n && media != 0) {
            media_cut(&k, &m, plan, media);
        }
    }
    if (media != 0 && !k.failed) {
        media_at_end(&k, log, plan, media);
    }
    cut_media_free(&m);
    free(prev);
    free(cuts);
    free(win);
    *left_out = k.left_out;
    return k.failed ? -1 : 0;
}


/* ---- State ids: w<cut>, then each class's piece (FAULT_CLASSES' id columns). ---- */

#define TORN_SECTORS_MAX 64u        /* Sectors of the largest block a tear may keep. */

/* What follows each class's prefix in an id. */
static const enum crash_id_args id_args[FAULT_CLASS_COUNT] = {
#define X(NAME, name, ELEMENT, element, count, needs, verdict, media, id, id_args) id_args,
    FAULT_CLASSES(X)
#undef X
};

/* An id being formatted: appends stop quietly once it is full. */
struct id_out {
    char *buf;                  /* The id, NUL-terminated. */
    size_t size;                /* Bytes of buf. */
    size_t used;                /* Bytes written before the NUL; size or more: full. */
};

static void id_put(struct id_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
id_put(struct id_out *o, const char *fmt, ...)
{
    ASSERT(o->size > 0);
    if (o->used >= o->size) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->used, o->size - o->used, fmt, ap);
    va_end(ap);
    o->used = n < 0 ? o->size : o->used + (size_t)n;
}

/* Appends the n bytes of piece as id_put would (what fits, then the NUL),
 * without a format to interpret: ids are made for every state of a
 * campaign. */
static void
id_append(struct id_out *o, const char *piece, size_t n)
{
    ASSERT(o->size > 0);
    if (o->used >= o->size) {
        return;
    }
    size_t room = o->size - o->used - 1;
    size_t copy = n < room ? n : room;
    memcpy(o->buf + o->used, piece, copy);
    o->buf[o->used + copy] = '\0';
    o->used += n;
}

/* Appends prefix and value in decimal: id_put(o, "%s%" PRIu32, prefix, value). */
static void
id_num(struct id_out *o, const char *prefix, uint32_t value)
{
    char piece[32];
    size_t n = strlen(prefix);
    ASSERT(n + 10 <= sizeof(piece));            /* Class ids are a few letters. */
    memcpy(piece, prefix, n);
    char digits[10];
    size_t d = 0;
    do {                                        /* At most 10 digits: a uint32_t. */
        digits[d++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (d > 0) {
        piece[n++] = digits[--d];
    }
    id_append(o, piece, n);
}

static const char *
class_id(enum fault_class c)
{
    return fault_class_info(c)->id;
}

/* The media piece: the class's prefix, the op, and what its id_args say. */
static void
media_id_format(struct id_out *o, const struct crash_state *s)
{
    enum fault_class c = fault_class_of_media((enum media_fault)s->media);
    const char *id = class_id(c);
    ASSERT(id[0] == '-');
    switch (id_args[c]) {
    case CRASH_ID_OP_BIT:
        id_put(o, "%s%" PRIu32 "b%" PRIu32, id, s->media_op, s->flip_bit);
        break;
    case CRASH_ID_OP_BITS:
        id_put(o, "%s%" PRIu32 "b%" PRIu32, id, s->media_op, s->flip_bit);
        if (s->flip_count > 1) {
            id_num(o, "x", s->flip_count);
        }
        break;
    case CRASH_ID_OP_OFFSET_TARGET:
        id_put(o, "%s%" PRIu32 "o%" PRIu32 "t%" PRIu32, id, s->media_op, s->flip_bit, s->target);
        break;
    case CRASH_ID_OP_TARGET:
        if (s->target != CRASH_NONE) {
            id_put(o, "%s%" PRIu32 "t%" PRIu32, id, s->media_op, s->target);
            break;
        }
        id_put(o, "%s%" PRIu32, id, s->media_op);
        break;
    default:
        ASSERT(id_args[c] == CRASH_ID_OP);
        id_put(o, "%s%" PRIu32, id, s->media_op);
        break;
    }
}

void
crash_id_format(const struct crash_state *s, char *buf, size_t size)
{
    ASSERT(size > 0);
    ASSERT(s->drop_count <= CRASH_DROPS_MAX);
    struct id_out o = { buf, size, 0 };
    buf[0] = '\0';
    id_num(&o, class_id(FAULT_CLASS_CUT), s->cut);
    const char *drops = class_id(s->liar ? FAULT_CLASS_LIAR : FAULT_CLASS_DROP);
    for (uint32_t i = 0; i < s->drop_count; i++) {
        id_num(&o, i > 0 ? "." : drops, s->drops[i]);
    }
    if (s->torn != CRASH_NONE) {
        id_num(&o, class_id(FAULT_CLASS_TORN), s->torn);
        id_num(&o, "s", s->torn_sectors);
        id_append(&o, &s->torn_fill, 1);
    }
    if (s->media != MEDIA_NONE) {
        media_id_format(&o, s);
    }
}

static const char *
parse_u32(const char *p, uint32_t *out)
{
    uint64_t v = 0;
    const char *start = p;
    while (*p >= '0' && *p <= '9' && v <= UINT32_MAX) {
        v = v * 10 + (uint64_t)(*p++ - '0');
    }
    if (p == start || v >= UINT32_MAX) {
        return NULL;
    }
    *out = (uint32_t)v;
    return p;
}

/* p past class c's prefix if p starts with it, else NULL. */
static const char *
skip_id(const char *p, enum fault_class c)
{
    const char *id = class_id(c);
    size_t len = strlen(id);
    return p != NULL && strncmp(p, id, len) == 0 ? p + len : NULL;
}

/* -drop<op>.<op>... or -lie<op>.<op>...: ascending, each before the cut. */
static const char *
parse_drops(const char *p, struct crash_state *s)
{
    const char *q = skip_id(p, FAULT_CLASS_DROP);
    const char *lie = skip_id(p, FAULT_CLASS_LIAR);
    if (q == NULL && lie == NULL) {
        return p;
    }
    s->liar = lie != NULL;
    p = lie != NULL ? lie - 1 : q - 1;          /* Each op below follows one character. */
    do {
        if (s->drop_count == CRASH_DROPS_MAX) {
            return NULL;
        }
        p = parse_u32(p + 1, &s->drops[s->drop_count]);
        if (p == NULL || s->drops[s->drop_count] >= s->cut
                || (s->drop_count > 0 && s->drops[s->drop_count] <= s->drops[s->drop_count - 1])) {
            return NULL;
        }
        s->drop_count++;
    } while (*p == '.');
    return p;
}

/* -torn<op>s<sectors><fill>. */
static const char *
parse_torn(const char *p, struct crash_state *s)
{
    const char *q = skip_id(p, FAULT_CLASS_TORN);
    if (q == NULL) {
        return p;
    }
    uint32_t sec = 0;
    q = parse_u32(q, &s->torn);
    q = q != NULL && *q == 's' ? parse_u32(q + 1, &sec) : NULL;
    if (q == NULL || sec == 0 || sec > TORN_SECTORS_MAX || s->torn >= s->cut
            || torn_fill_parse(*q) < 0) {
        return NULL;
    }
    s->torn_sectors = (uint16_t)sec;
    s->torn_fill = *q++;
    return q;
}

/* After <op>b<bit> of a flip: nothing (one bit) or x<count>, 2..FLIP_BITS_MAX. */
static const char *
parse_flip_count(const char *p, struct crash_state *s)
{
    uint32_t n = 1;
    if (*p == 'x') {
        p = parse_u32(p + 1, &n);
        if (p == NULL || n < 2 || n > FLIP_BITS_MAX) {
            return NULL;
        }
    }
    s->flip_count = (uint8_t)n;
    return p;
}

/* The media piece: a media class's prefix, <op>, then what its id_args say. */
static const char *
parse_media(const char *p, struct crash_state *s)
{
    for (uint32_t c = 0; c < CRASH_FAULT_CLASSES && p != NULL; c++) {
        const struct fault_class_info *info = fault_class_info(c);
        const char *q = info->media_fault != MEDIA_NONE ? skip_id(p, (enum fault_class)c) : NULL;
        if (q == NULL) {
            continue;
        }
        s->media = info->media_fault;
        q = parse_u32(q, &s->media_op);
        if (id_args[c] == CRASH_ID_OP_BIT || id_args[c] == CRASH_ID_OP_BITS) {
            q = q != NULL && *q == 'b' ? parse_u32(q + 1, &s->flip_bit) : NULL;
        }
        if (id_args[c] == CRASH_ID_OP_BITS) {
            q = q != NULL ? parse_flip_count(q, s) : NULL;
        } else if (id_args[c] == CRASH_ID_OP_OFFSET_TARGET) {
            q = q != NULL && *q == 'o' ? parse_u32(q + 1, &s->flip_bit) : NULL;
            q = q != NULL && *q == 't' ? parse_u32(q + 1, &s->target) : NULL;
        } else if (id_args[c] == CRASH_ID_OP_TARGET) {  /* <op>: the next block; <op>t<b>: b. */
            s->target = CRASH_NONE;
            q = q != NULL && *q == 't' ? parse_u32(q + 1, &s->target) : q;
        }
        return q;
    }
    return p;
}

int
crash_id_parse(const char *id, struct crash_state *s)
{
    memset(s, 0, sizeof(*s));
    s->torn = CRASH_NONE;
    const char *p = skip_id(id, FAULT_CLASS_CUT);
    p = p != NULL ? parse_u32(p, &s->cut) : NULL;
    p = p != NULL ? parse_drops(p, s) : NULL;
    p = p != NULL ? parse_torn(p, s) : NULL;
    p = p != NULL ? parse_media(p, s) : NULL;
    if (p != NULL && s->media != MEDIA_NONE && s->media_op >= s->cut) {
        return -1;
    }
    return p != NULL && *p == '\0' ? 0 : -1;
}

uint32_t
crash_flip_bits(const struct crash_state *s, uint32_t block_size, uint32_t bits[FLIP_BITS_MAX])
{
    ASSERT(s->media == MEDIA_FLIP);
    ASSERT(s->flip_count >= 1 && s->flip_count <= FLIP_BITS_MAX);
    uint64_t total = (uint64_t)block_size * 8u;
    ASSERT(s->flip_bit < total && s->flip_count <= total);
    uint64_t rng = prng_stream(s->flip_bit, s->media_op, PLAN_SALT_FLIP_BITS);
    bits[0] = s->flip_bit;
    for (uint32_t n = 1; n < s->flip_count; n++) {
        uint32_t bit = (uint32_t)(prng_splitmix64(&rng) % total);
        for (uint32_t probe = 0; u32_in(bits, n, bit); probe++) {
            ASSERT(probe < n);                      /* Only n bits are taken. */
            bit = (uint32_t)((bit + 1u) % total);   /* Drawn before: the next free one. */
        }
        bits[n] = bit;
    }
    return s->flip_count;
}

bool
crash_state_dropped(const struct crash_state *s, uint32_t op)
{
    ASSERT(s->drop_count <= CRASH_DROPS_MAX);
    for (uint32_t i = 0; i < s->drop_count; i++) {
        if (s->drops[i] == op) {
            return true;
        }
    }
    return false;
}

uint32_t
crash_fault_class_index(const struct crash_state *s)
{
    ASSERT(s->media < MEDIA_COUNT);
    if (s->media != MEDIA_NONE) {
        return fault_class_of_media((enum media_fault)s->media);
    }
    if (s->liar) {
        return FAULT_CLASS_LIAR;
    }
    return s->torn != CRASH_NONE ? FAULT_CLASS_TORN : s->drop_count > 0 ? FAULT_CLASS_DROP
        : FAULT_CLASS_CUT;
}

const char *
crash_fault_class(const struct crash_state *s)
{
    return crash_fault_class_name(crash_fault_class_index(s));
}
