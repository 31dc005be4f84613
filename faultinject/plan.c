/*
 * faultinject/plan.c: crash-state enumeration and ids (see plan.h).
 */
#include "plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../fs/base.h"
#include "../fs/format.h"
#include "forge.h"

#define REORDER_SAMPLES_DEFAULT 64u

static const char *const model_names[MODEL_COUNT] = { "ordered", "writeback", "torn", "hostile" };

const char *
device_model_name(enum device_model m)
{
    ASSERT(m < MODEL_COUNT);
    return model_names[m];
}

int
device_model_parse(const char *s, enum device_model *out)
{
    for (uint32_t i = 0; i < MODEL_COUNT; i++) {
        if (strcmp(s, model_names[i]) == 0) {
            *out = (enum device_model)i;
            return 0;
        }
    }
    return -1;
}

bool
device_model_drops(enum device_model m)
{
    return m == MODEL_WRITEBACK || m == MODEL_HOSTILE;
}

bool
device_model_tears(enum device_model m)
{
    return m == MODEL_TORN || m == MODEL_HOSTILE;
}

bool
device_model_lies(enum device_model m)
{
    return m == MODEL_HOSTILE;
}

bool
device_model_media(enum device_model m)
{
    return m == MODEL_HOSTILE;
}

/* The fault classes a device model may not apply, and the predicate that
 * says which models apply each. */
static const struct {
    uint32_t kind;                          /* PLAN_* bit. */
    const char *name;                       /* As --faults spells it. */
    bool (*applies)(enum device_model m);   /* Models that apply it. */
} model_faults[] = {
    { PLAN_REORDER, "reorder", device_model_drops },
    { PLAN_TORN, "torn", device_model_tears },
    { PLAN_LIAR, "liar", device_model_lies },
    { PLAN_FLIP, "flip", device_model_media },
    { PLAN_LOST, "lost", device_model_media },
    { PLAN_MISDIRECT, "misdirect", device_model_media },
    { PLAN_UNREADABLE, "unreadable", device_model_media },
};

int
fault_plan_check_model(const struct fault_plan *plan, enum device_model model, char *err,
        size_t err_size)
{
    ASSERT(model < MODEL_COUNT);
    ASSERT(err != NULL && err_size > 0);
    for (size_t i = 0; i < sizeof(model_faults) / sizeof(model_faults[0]); i++) {
        if (!(plan->kinds & model_faults[i].kind) || model_faults[i].applies(model)) {
            continue;
        }
        char models[64] = "";
        size_t used = 0;
        for (uint32_t m = 0; m < MODEL_COUNT; m++) {
            if (model_faults[i].applies((enum device_model)m)) {
                used += (size_t)snprintf(models + used, sizeof(models) - used, "%s%s",
                        used ? " or " : "", device_model_name((enum device_model)m));
            }
        }
        snprintf(err, err_size, "the %s model does not apply '%s': use --model %s, or leave "
                "'%s' out", device_model_name(model), model_faults[i].name, models,
                model_faults[i].name);
        return -1;
    }
    return 0;
}

/* An element "NAME:K" with K in 1..max. */
static bool
counted(const char *e, size_t n, const char *name, uint32_t max, uint32_t *k)
{
    size_t len = strlen(name);
    if (n <= len || memcmp(e, name, len) != 0) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = len; i < n; i++) {
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
    static const struct { const char *name; uint32_t bit; } simple[] = {
        { "pass", PLAN_PASS }, { "flush", PLAN_FLUSH }, { "prefix", PLAN_PREFIX },
        { "torn", PLAN_TORN }, { "flip", PLAN_FLIP }, { "lost", PLAN_LOST },
        { "misdirect", PLAN_MISDIRECT }, { "forge", PLAN_FORGE },
        { "unreadable", PLAN_UNREADABLE }, { "repoint", PLAN_REPOINT }, { "liar", PLAN_LIAR },
    };
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
        if (strlen(simple[i].name) == n && memcmp(e, simple[i].name, n) == 0) {
            plan->kinds |= simple[i].bit;
            plan->forge_n = simple[i].bit == PLAN_FORGE ? 1 : plan->forge_n;
            plan->repoint_n = simple[i].bit == PLAN_REPOINT ? 1 : plan->repoint_n;
            return 0;
        }
    }
    uint32_t k;
    if (counted(e, n, "forge:", FORGE_VARIANTS_MAX, &k)) {
        plan->kinds |= PLAN_FORGE;
        plan->forge_n = k;
        return 0;
    }
    if (counted(e, n, "repoint:", FORGE_VARIANTS_MAX, &k)) {
        plan->kinds |= PLAN_REPOINT;
        plan->repoint_n = k;
        return 0;
    }
    if (counted(e, n, "reorder:", CRASH_DROPS_MAX, &k)) {
        plan->kinds |= PLAN_REORDER;
        plan->reorder_k = k;
        return 0;
    }
    return -1;
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
            snprintf(err, err_size, "unknown fault '%.*s' (pass, flush, prefix, reorder:K with "
                    "K 1..%u, torn, flip, lost, misdirect, unreadable, liar, forge:N, repoint:N with N 1..%u)",
                    (int)FS_MIN(n, 40), p, CRASH_DROPS_MAX, FORGE_VARIANTS_MAX);
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
    static const char *names[] = { "pass", "flush", "prefix", "reorder", "torn", "flip", "lost",
        "misdirect", "forge", "unreadable", "repoint", "liar" };
    for (uint32_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(plan->kinds & (1u << i))) {
            continue;
        }
        int n = (1u << i) == PLAN_REORDER
            ? snprintf(buf + used, size - used, "%sreorder:%u", used ? "," : "", plan->reorder_k)
            : (1u << i) == PLAN_FORGE && plan->forge_n > 1
            ? snprintf(buf + used, size - used, "%sforge:%u", used ? "," : "", plan->forge_n)
            : (1u << i) == PLAN_REPOINT && plan->repoint_n > 1
            ? snprintf(buf + used, size - used, "%srepoint:%u", used ? "," : "", plan->repoint_n)
            : snprintf(buf + used, size - used, "%s%s", used ? "," : "", names[i]);
        if (n < 0 || (size_t)n >= size - used) {
            return;
        }
        used += (size_t)n;
    }
}

struct sink {
    struct crash_state **states;    /* The growing array. */
    size_t *count;                  /* Entries. */
    size_t cap;                     /* Allocated entries. */
    bool failed;                    /* Out of memory. */
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

/* Marks the cut points the plan asks for in cuts[0..n]. */
static void
plan_cuts(const struct plan_op *ops, uint32_t n, const struct fault_plan *plan, uint8_t *cuts)
{
    uint32_t kinds = plan->kinds;
    if ((kinds & (PLAN_PASS | PLAN_FLUSH | PLAN_PREFIX)) == 0) {
        /* reorder/torn alone: at the protocol's points; liar: after every write,
         * where a write that trusted the flush has reached the device. */
        kinds |= (kinds & PLAN_LIAR) ? PLAN_PREFIX : PLAN_PASS | PLAN_FLUSH;
    }
    for (uint32_t i = 0; i < n; i++) {
        if ((kinds & PLAN_PASS) && ops[i].kind == 2 && ops[i].mark <= 4) {
            cuts[i] = 1;
        }
        if ((kinds & PLAN_FLUSH) && ops[i].kind == 1) {
            cuts[i + 1] = 1;
        }
        if ((kinds & PLAN_PREFIX) && ops[i].kind == 0) {
            cuts[i + 1] = 1;
        }
    }
    cuts[n] = 1;
}

/* xorshift64*: the sampler's generator, seeded per cut. */
static uint64_t
rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
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
    uint64_t rng = plan->seed ^ (0x9e3779b97f4a7c15ull * (cut + 1)) ^ 1;
    size_t first = *k->count;
    for (uint32_t n = 0, tries = 0; n < plan->samples && tries < 64 * plan->samples; tries++) {
        struct crash_state s = { .cut = cut, .torn = CRASH_NONE };
        uint32_t size = 1 + (uint32_t)(rng_next(&rng) % FS_MIN(plan->reorder_k, w));
        while (s.drop_count < size) {
            uint32_t pick = win[rng_next(&rng) % w];
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
        sampled(k, win, w, plan, cut);
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
    uint64_t rng = plan->seed ^ (0x9e3779b97f4a7c15ull * (cut + 1)) ^ 12;
    size_t first = *k->count;
    for (uint64_t n = 0, tries = 0; n < FS_MIN(total, plan->samples) && tries < 64u * total
            && !k->failed; tries++) {
        uint64_t pick = total <= plan->samples ? tries : rng_next(&rng) % total;
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
}

static void
tears(struct sink *k, const struct plan_op *ops, uint32_t cut)
{
    uint32_t n = ops[cut - 1].sectors;
    uint32_t at[3] = { 1, n / 2, n - 1 };
    static const char fills[3] = { 'o', 'z', 'g' };
    for (uint32_t i = 0; i < 3; i++) {
        if (at[i] < 1 || at[i] >= n || (i > 0 && at[i] == at[i - 1])) {
            continue;
        }
        for (uint32_t f = 0; f < 3; f++) {
            struct crash_state s = { .cut = cut, .torn = cut - 1, .torn_sectors = (uint16_t)at[i],
                .torn_fill = fills[f] };
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
        uint64_t seed = plan->seed ^ (0x9e3779b97f4a7c15ull * (s->media_op + 1))
            ^ (0xd1b54a32d192ed03ull * (v + 1)) ^ 6;
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

/* Up to plan->repoint_n variants of a write: one of its block pointers names
 * another block the log leaves in place (half the time one of the type the
 * pointer named), each (pointer, target) once. A log or deadlist block's next
 * pointer, which no hash checks, also names the block itself: a loop. */
static void
repoints(struct sink *k, struct crash_state *s, const struct plan_op *ops, uint32_t n,
        const uint64_t *live, uint32_t live_count, const struct fault_plan *plan)
{
    const struct plan_op *op = &ops[s->media_op];
    uint32_t bs = op->sectors * 512u, offs[1024];
    uint32_t np = FS_MIN(forge_pointers(op->content, bs, offs, 1024), 1024u);
    if (np == 0 || live_count < 2) {
        return;
    }
    uint32_t seen_off[FORGE_VARIANTS_MAX], seen_target[FORGE_VARIANTS_MAX], count = 0;
    uint16_t own = fmt_get16(op->content);
    bool chain = own == FMT_TYPE_LOG || own == FMT_TYPE_DLIST;  /* Not hash-linked: may loop. */
    uint64_t rng = plan->seed ^ (0x9e3779b97f4a7c15ull * (s->media_op + 1)) ^ 10;
    for (uint32_t v = 0; v < plan->repoint_n && !k->failed; v++) {
        uint32_t off = offs[rng_next(&rng) % np];
        uint64_t was = fmt_get64(op->content + off) / bs, target = was;
        uint16_t type = UINT16_MAX;
        for (uint32_t i = 0; i < n && type == UINT16_MAX; i++) {
            type = ops[i].content != NULL && ops[i].block == was ? fmt_get16(ops[i].content) : type;
        }
        bool same = type != UINT16_MAX && (rng_next(&rng) & 1);
        if (chain && v == 0) {
            target = op->block;                 /* A chain that loops on itself. */
        }
        for (uint32_t tries = 0; tries < 64 && (target == was || (target == op->block && !chain));
                tries++) {
            target = live[rng_next(&rng) % live_count];
            for (uint32_t i = 0; same && i < n; i++) {
                if (ops[i].content != NULL && ops[i].block == target
                        && fmt_get16(ops[i].content) != type) {
                    target = was;               /* Another type: draw again. */
                }
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

/* At the end of the log, for each write, the media faults the plan names (the
 * ones the model allows) and a forged block; a flipped bit is drawn from the
 * seed and the op index, a forged one from the fields of the write's block. */
static void
media(struct sink *k, const struct plan_op *ops, uint32_t n, const struct fault_plan *plan,
        enum device_model model)
{
    uint32_t kinds = plan->kinds & (device_model_media(model) ? PLAN_MEDIA | PLAN_FORGE
            | PLAN_REPOINT : PLAN_FORGE | PLAN_REPOINT);
    uint64_t *live = malloc(((size_t)n + 1) * sizeof(uint64_t));
    uint32_t live_count = 0;
    for (uint32_t i = 0; live != NULL && i < n; i++) {
        if (ops[i].kind == 0 && ops[i].content != NULL) {
            live[live_count++] = ops[i].block;
        }
    }
    k->failed = k->failed || live == NULL;
    for (uint32_t i = 0; i < n && !k->failed; i++) {
        if (ops[i].kind != 0 || ops[i].sectors == 0) {
            continue;
        }
        struct crash_state s = { .cut = n, .torn = CRASH_NONE, .media_op = i };
        if ((kinds & PLAN_FORGE) && ops[i].content != NULL) {
            forges(k, &s, ops[i].content, ops[i].sectors * 512u, plan);
        }
        if (kinds & PLAN_FLIP) {
            uint64_t rng = plan->seed ^ (0x9e3779b97f4a7c15ull * (i + 1)) ^ 2;
            s.media = MEDIA_FLIP;
            s.flip_bit = (uint32_t)(rng_next(&rng) % ((uint64_t)ops[i].sectors * 512u * 8u));
            emit(k, &s);
            s.flip_bit = 0;
        }
        if (kinds & PLAN_LOST) {
            s.media = MEDIA_LOST;
            emit(k, &s);
        }
        if (kinds & PLAN_MISDIRECT) {       /* Next door, or onto a block in use. */
            uint64_t rng = plan->seed ^ (0x9e3779b97f4a7c15ull * (i + 1)) ^ 14;
            uint64_t b = ops[i].block, t = b;
            for (uint32_t tries = 0; (rng_next(&rng) & 1) && live_count > 1 && tries < 8
                    && (t == b || t == b + 1); tries++) {
                t = live[rng_next(&rng) % live_count];
            }
            s.media = MEDIA_MISDIRECT;
            s.target = t == b || t == b + 1 ? CRASH_NONE : (uint32_t)t;   /* NONE: next door. */
            emit(k, &s);
            s.target = 0;
        }
        if ((kinds & PLAN_UNREADABLE) && ops[i].content != NULL) {
            s.media = MEDIA_UNREADABLE;
            emit(k, &s);
        }
        if ((kinds & PLAN_REPOINT) && ops[i].content != NULL) {
            repoints(k, &s, ops, n, live, live_count, plan);
        }
    }
    free(live);
}

int
fault_plan_enumerate(const struct plan_op *ops, uint32_t n, enum device_model model,
        const struct fault_plan *plan, struct crash_state **states, size_t *count)
{
    ASSERT(plan->kinds != 0);
    uint8_t *cuts = calloc((size_t)n + 1, 1);
    uint32_t *win = malloc(((size_t)n + 1) * sizeof(uint32_t));
    struct sink k = { states, count, 0, cuts == NULL || win == NULL };
    *states = NULL;
    *count = 0;
    if (!k.failed) {
        plan_cuts(ops, n, plan, cuts);
    }
    uint32_t *prev = malloc(((size_t)n + 1) * sizeof(uint32_t));
    k.failed = k.failed || prev == NULL;
    uint32_t w = 0, pw = 0, epoch = 0;
    for (uint32_t c = 0; c <= n && !k.failed; c++) {
        if (c > 0 && ops[c - 1].kind == 1) {
            epoch++;
            memcpy(prev, win, w * sizeof(uint32_t));    /* What a lying flush left behind. */
            pw = w;
            w = 0;                          /* A completed flush empties the cache. */
        } else if (c > 0 && ops[c - 1].kind == 0) {
            win[w++] = c - 1;
        }
        if (!cuts[c]) {
            continue;
        }
        struct crash_state s = { .cut = c, .torn = CRASH_NONE };
        emit(&k, &s);
        if ((plan->kinds & PLAN_REORDER) && device_model_drops(model) && w > 0) {
            reorders(&k, win, w, plan, c);
        }
        if ((plan->kinds & PLAN_TORN) && device_model_tears(model) && c > 0
                && ops[c - 1].kind == 0) {
            tears(&k, ops, c);
        }
        if ((plan->kinds & PLAN_LIAR) && device_model_lies(model) && pw > 0) {
            lies(&k, prev, pw, win, w, plan, c);
        }
    }
    free(prev);
    if ((plan->kinds & (PLAN_MEDIA | PLAN_FORGE | PLAN_REPOINT)) && !k.failed) {
        media(&k, ops, n, plan, model);
    }
    (void)epoch;
    free(cuts);
    free(win);
    return k.failed ? -1 : 0;
}

void
crash_id_format(const struct crash_state *s, char *buf, size_t size)
{
    int n = snprintf(buf, size, "w%" PRIu32, s->cut);
    for (uint32_t i = 0; i < s->drop_count && n > 0 && (size_t)n < size; i++) {
        n += snprintf(buf + n, size - (size_t)n, "%s%" PRIu32,
                i > 0 ? "." : s->liar ? "-lie" : "-drop", s->drops[i]);
    }
    if (s->torn != CRASH_NONE && n > 0 && (size_t)n < size) {
        n += snprintf(buf + n, size - (size_t)n, "-torn%" PRIu32 "s%u%c", s->torn,
                s->torn_sectors, s->torn_fill);
    }
    if ((s->media == MEDIA_FLIP || s->media == MEDIA_FORGE) && n > 0 && (size_t)n < size) {
        snprintf(buf + n, size - (size_t)n, "-%s%" PRIu32 "b%" PRIu32,
                s->media == MEDIA_FLIP ? "flip" : "forge", s->media_op, s->flip_bit);
    } else if (s->media == MEDIA_REPOINT && n > 0 && (size_t)n < size) {
        snprintf(buf + n, size - (size_t)n, "-repoint%" PRIu32 "o%" PRIu32 "t%" PRIu32,
                s->media_op, s->flip_bit, s->target);
    } else if (s->media == MEDIA_MISDIRECT && s->target != CRASH_NONE && n > 0
            && (size_t)n < size) {
        snprintf(buf + n, size - (size_t)n, "-mis%" PRIu32 "t%" PRIu32, s->media_op, s->target);
    } else if (s->media != MEDIA_NONE && n > 0 && (size_t)n < size) {
        snprintf(buf + n, size - (size_t)n, "-%s%" PRIu32, s->media == MEDIA_LOST ? "lost"
                : s->media == MEDIA_MISDIRECT ? "mis" : "eio", s->media_op);
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

int
crash_id_parse(const char *id, struct crash_state *s)
{
    memset(s, 0, sizeof(*s));
    s->torn = CRASH_NONE;
    const char *p = id[0] == 'w' ? parse_u32(id + 1, &s->cut) : NULL;
    if (p != NULL && (strncmp(p, "-drop", 5) == 0 || strncmp(p, "-lie", 4) == 0)) {
        s->liar = p[1] == 'l';
        p += s->liar ? 4 : 5;
        do {
            if (s->drop_count == CRASH_DROPS_MAX) {
                return -1;
            }
            p = parse_u32(p + (s->drop_count > 0), &s->drops[s->drop_count]);
            if (p == NULL || s->drops[s->drop_count] >= s->cut
                    || (s->drop_count > 0 && s->drops[s->drop_count] <= s->drops[s->drop_count - 1])) {
                return -1;
            }
            s->drop_count++;
        } while (*p == '.');
    }
    if (p != NULL && strncmp(p, "-torn", 5) == 0) {
        uint32_t sec;
        p = parse_u32(p + 5, &s->torn);
        p = p != NULL && *p == 's' ? parse_u32(p + 1, &sec) : NULL;
        if (p == NULL || sec == 0 || sec > 64 || s->torn >= s->cut
                || (*p != 'o' && *p != 'z' && *p != 'g')) {
            return -1;
        }
        s->torn_sectors = (uint16_t)sec;
        s->torn_fill = *p++;
    }
    if (p != NULL && (strncmp(p, "-flip", 5) == 0 || strncmp(p, "-forge", 6) == 0)) {
        s->media = p[2] == 'l' ? MEDIA_FLIP : MEDIA_FORGE;
        p = parse_u32(p + (s->media == MEDIA_FLIP ? 5 : 6), &s->media_op);
        p = p != NULL && *p == 'b' ? parse_u32(p + 1, &s->flip_bit) : NULL;
    } else if (p != NULL && strncmp(p, "-repoint", 8) == 0) {
        s->media = MEDIA_REPOINT;
        p = parse_u32(p + 8, &s->media_op);
        p = p != NULL && *p == 'o' ? parse_u32(p + 1, &s->flip_bit) : NULL;
        p = p != NULL && *p == 't' ? parse_u32(p + 1, &s->target) : NULL;
    } else if (p != NULL && (strncmp(p, "-lost", 5) == 0 || strncmp(p, "-mis", 4) == 0
            || strncmp(p, "-eio", 4) == 0)) {
        s->media = p[1] == 'l' ? MEDIA_LOST : p[1] == 'm' ? MEDIA_MISDIRECT : MEDIA_UNREADABLE;
        p = parse_u32(p + (p[1] == 'l' ? 5 : 4), &s->media_op);
        if (s->media == MEDIA_MISDIRECT) {  /* -misOP: the next block; -misOPtB: block B. */
            s->target = CRASH_NONE;
            p = p != NULL && *p == 't' ? parse_u32(p + 1, &s->target) : p;
        }
    }
    if (p != NULL && s->media != MEDIA_NONE && s->media_op >= s->cut) {
        return -1;
    }
    return p != NULL && *p == '\0' ? 0 : -1;
}

uint32_t
crash_fault_class_index(const struct crash_state *s)
{
    if (s->media != MEDIA_NONE) {
        return 2u + s->media;       /* flip, lost, misdirect, forge, unreadable, repoint. */
    }
    if (s->liar) {
        return 9;                   /* liar */
    }
    return s->torn != CRASH_NONE ? 2 : s->drop_count > 0 ? 1 : 0;
}

const char *
crash_fault_class_name(uint32_t index)
{
    static const char *const names[CRASH_FAULT_CLASSES] = { "cut", "drop", "torn", "flip", "lost",
        "misdirect", "forge", "unreadable", "repoint", "liar" };
    ASSERT(index < CRASH_FAULT_CLASSES);
    return names[index];
}

const char *
crash_fault_class(const struct crash_state *s)
{
    return crash_fault_class_name(crash_fault_class_index(s));
}
