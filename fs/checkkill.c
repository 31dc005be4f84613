/*
 * fs/checkkill.c: fs_check's rule for killed blocks (see checkkill.h).
 *
 * The rule. Deadlist (k, b) lists blocks born in b that generation k stopped
 * referencing. Reclaim trusts it: deleting a snapshot frees the entries born
 * after its predecessor, and merges the rest into its successor, which
 * descends from the killer too. So a listed block may still be in the trees
 * older than its killer (that is why it is listed, not freed) and in forks of
 * them, but in no tree descending from the killer: the killer's own, its
 * successors', a fork's of either, the mounted tree's when it descends from
 * it. A kill awaiting the next commit is an entry of the mounted tree's
 * generation in the making, and the mounted tree must not reach it either.
 *
 * Method. fs_check's tree walk visits a node shared by snapshots once, so it
 * cannot tell which trees reach a block. While there are deadlists, it
 * records every node it reads: the node's block, then the data blocks and
 * children it points at (a record of 64-bit words, indexed by block). Once
 * the deadlists are read, every tree is tested against the killers among
 * its ancestors. Each killer has a bit (its index among the killers, modulo
 * 64); each node gets, bottom-up and once per check, the mask of the killers
 * of the blocks it or its subtree holds. A tree whose root's mask misses the
 * mask of its ancestors' killers reaches none of their blocks: that settles
 * almost every tree in one test. The others are walked through the nodes
 * whose mask meets theirs, and every listed block found there is tested
 * exactly against the ancestors; only a block killed by one of them is a
 * finding.
 *
 * Bounds. Records exist only for nodes the walk read once each; the masks
 * are computed with an explicit stack of at most one entry per record (a
 * record on the stack is not pushed again, so a cycle of forged pointers
 * ends), and the exact walk marks what it visits in the check's walk map.
 */
#include "checkkill.h"

#include <stdlib.h>
#include <string.h>

enum {
    KREC_BLOCK,             /* The node's block number. */
    KREC_MASK,              /* Its killers' mask, once KREC_STATE is KREC_DONE. */
    KREC_STATE,             /* 0: not visited; 1 + next child while on the stack; KREC_DONE. */
    KREC_DATA,              /* Data blocks that follow. */
    KREC_CHILDREN,          /* Children that follow them. */
    KREC_HEAD               /* Words before the data blocks. */
};
#define KREC_DONE UINT64_MAX
#define KREC_NONE SIZE_MAX

struct kill_entry {
    uint64_t block;         /* The listed block. */
    uint64_t killer;        /* The generation that killed it. */
};

struct check_kill {
    uint64_t *recs;         /* Node records, KREC_HEAD words, data blocks, children. */
    size_t used;            /* Words used. */
    size_t cap;             /* Words allocated. */
    size_t open;            /* Offset of the record being written, KREC_NONE: none. */
    size_t node_count;      /* Records. */
    uint32_t *index;        /* Per device block: its record's offset, if that record names it. */
    struct kill_entry *deads;   /* Entries; sorted by block, then killer, once ready. */
    size_t dead_count;
    size_t dead_cap;
    uint64_t *killers;      /* Distinct killers, sorted. */
    size_t killer_count;
    size_t *stack;          /* Record offsets: one per record at most. */
    bool nomem;             /* An array could not grow: the rule cannot run. */
};

int
checkkill_start(struct check *c)
{
    ASSERT(c->kill == NULL);
    struct check_kill *k = calloc(1, sizeof(*k));
    if (k != NULL) {
        k->index = calloc(c->fs->block_count, sizeof(uint32_t));
        k->open = KREC_NONE;
    }
    if (k == NULL || k->index == NULL) {
        free(k);
        return FS_ENOMEM;
    }
    c->kill = k;
    return 0;
}

void
checkkill_free(struct check *c)
{
    struct check_kill *k = c->kill;
    if (k != NULL) {
        free(k->recs);
        free(k->index);
        free(k->deads);
        free(k->killers);
        free(k->stack);
        free(k);
        c->kill = NULL;
    }
}

static bool
words_grow(struct check_kill *k, size_t n)
{
    if (k->nomem || k->used + n > UINT32_MAX) {
        k->nomem = true;
        return false;
    }
    if (k->used + n > k->cap) {
        size_t cap = k->cap < 1024 ? 1024 : 2 * k->cap;
        uint64_t *recs = realloc(k->recs, cap * sizeof(uint64_t));
        if (recs == NULL) {
            k->nomem = true;
            return false;
        }
        k->recs = recs;
        k->cap = cap;
    }
    return true;
}

static bool
addr_block(const struct check *c, uint64_t addr, uint64_t *block)
{
    *block = addr / c->fs->block_size;
    return addr % c->fs->block_size == 0 && *block < c->fs->block_count;
}

void
checkkill_node(struct check *c, uint64_t addr)
{
    struct check_kill *k = c->kill;
    uint64_t block;
    if (k == NULL || !addr_block(c, addr, &block) || !words_grow(k, KREC_HEAD)) {
        if (k != NULL) {
            k->open = KREC_NONE;
        }
        return;
    }
    k->open = k->used;
    memset(&k->recs[k->used], 0, KREC_HEAD * sizeof(uint64_t));
    k->recs[k->used + KREC_BLOCK] = block;
    k->index[block] = (uint32_t)k->used;
    k->used += KREC_HEAD;
    k->node_count++;
}

/* One word of the open record: a data block (before any child) or a child. */
static void
rec_put(struct check *c, uint64_t addr, uint32_t slot)
{
    struct check_kill *k = c->kill;
    uint64_t block;
    if (k == NULL || k->open == KREC_NONE || !addr_block(c, addr, &block)
            || !words_grow(k, 1)) {
        return;
    }
    ASSERT(slot == KREC_CHILDREN || k->recs[k->open + KREC_CHILDREN] == 0);
    k->recs[k->open + slot]++;
    k->recs[k->used++] = block;
}

void
checkkill_data(struct check *c, uint64_t addr)
{
    rec_put(c, addr, KREC_DATA);
}

void
checkkill_child(struct check *c, uint64_t addr)
{
    rec_put(c, addr, KREC_CHILDREN);
}

void
checkkill_dead(struct check *c, uint64_t addr, uint64_t killer)
{
    struct check_kill *k = c->kill;
    uint64_t block;
    if (k == NULL || k->nomem || !addr_block(c, addr, &block)) {
        return;
    }
    if (k->dead_count == k->dead_cap) {
        size_t cap = k->dead_cap < 64 ? 64 : 2 * k->dead_cap;
        struct kill_entry *deads = realloc(k->deads, cap * sizeof(*deads));
        if (deads == NULL) {
            k->nomem = true;
            return;
        }
        k->deads = deads;
        k->dead_cap = cap;
    }
    k->deads[k->dead_count++] = (struct kill_entry){ block, killer };
}

static int
entry_order(const void *a, const void *b)
{
    const struct kill_entry *x = a, *y = b;
    if (x->block != y->block) {
        return x->block < y->block ? -1 : 1;
    }
    return x->killer < y->killer ? -1 : x->killer > y->killer;
}

static int
gen_order(const void *a, const void *b)
{
    const uint64_t *x = a, *y = b;
    return *x < *y ? -1 : *x > *y;
}

int
checkkill_ready(struct check *c)
{
    struct check_kill *k = c->kill;
    if (k == NULL) {
        return 0;
    }
    k->open = KREC_NONE;
    size_t n = k->dead_count;
    k->killers = malloc((n > 0 ? n : 1) * sizeof(uint64_t));
    k->stack = malloc((k->node_count > 0 ? k->node_count : 1) * sizeof(size_t));
    if (k->nomem || k->killers == NULL || k->stack == NULL) {
        return FS_ENOMEM;
    }
    if (n == 0) {
        return 0;                   /* Nothing listed: every tree passes. */
    }
    qsort(k->deads, n, sizeof(*k->deads), entry_order);
    for (size_t i = 0; i < n; i++) {
        k->killers[i] = k->deads[i].killer;
    }
    qsort(k->killers, n, sizeof(uint64_t), gen_order);
    k->killer_count = 0;
    for (size_t i = 0; i < n; i++) {
        if (k->killer_count == 0 || k->killers[k->killer_count - 1] != k->killers[i]) {
            k->killers[k->killer_count++] = k->killers[i];
        }
    }
    return 0;
}

/* The bit of killer gen, 0 if it killed nothing. */
static uint64_t
killer_bit(const struct check_kill *k, uint64_t gen)
{
    const uint64_t *at = k->killer_count == 0 ? NULL
        : bsearch(&gen, k->killers, k->killer_count, sizeof(uint64_t), gen_order);
    return at == NULL ? 0 : 1ull << ((size_t)(at - k->killers) % 64);
}

/* The first entry listing block, or NULL. */
static const struct kill_entry *
entry_first(const struct check *c, uint64_t block)
{
    const struct check_kill *k = c->kill;
    if (!check_bit(c->dead, block)) {
        return NULL;
    }
    size_t lo = 0, hi = k->dead_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (k->deads[mid].block < block) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < k->dead_count && k->deads[lo].block == block ? &k->deads[lo] : NULL;
}

/* The killers' mask of block itself. */
static uint64_t
block_mask(const struct check *c, uint64_t block)
{
    const struct check_kill *k = c->kill;
    uint64_t mask = 0;
    const struct kill_entry *e = entry_first(c, block);
    for (; e != NULL && e < k->deads + k->dead_count && e->block == block; e++) {
        mask |= killer_bit(k, e->killer);
    }
    return mask;
}

/* Block's record, or KREC_NONE if the walk read no node there. */
static size_t
krec_find(const struct check_kill *k, uint64_t block)
{
    size_t off = k->index[block];
    return off < k->used && k->recs[off + KREC_BLOCK] == block ? off : KREC_NONE;
}

static const uint64_t *
rec_children(const struct check_kill *k, size_t off, uint64_t *count)
{
    *count = k->recs[off + KREC_CHILDREN];
    return &k->recs[off + KREC_HEAD + k->recs[off + KREC_DATA]];
}

/* The mask of a record whose children are all done (or on the stack, in a
 * cycle: they add nothing). */
static uint64_t
rec_mask(const struct check *c, size_t off)
{
    const struct check_kill *k = c->kill;
    uint64_t mask = block_mask(c, k->recs[off + KREC_BLOCK]);
    const uint64_t *data = &k->recs[off + KREC_HEAD];
    for (uint64_t i = 0; i < k->recs[off + KREC_DATA]; i++) {
        mask |= block_mask(c, data[i]);
    }
    uint64_t n;
    const uint64_t *kids = rec_children(k, off, &n);
    for (uint64_t i = 0; i < n; i++) {
        size_t child = krec_find(k, kids[i]);
        if (child != KREC_NONE && k->recs[child + KREC_STATE] == KREC_DONE) {
            mask |= k->recs[child + KREC_MASK];
        }
    }
    return mask;
}

/* The mask below root, computing (once) the masks of every record it reaches. */
static uint64_t
mask_below(const struct check *c, size_t root)
{
    struct check_kill *k = c->kill;
    uint64_t *recs = k->recs;
    size_t depth = 0;
    if (recs[root + KREC_STATE] == 0) {
        recs[root + KREC_STATE] = 1;
        k->stack[depth++] = root;
    }
    while (depth > 0) {
        ASSERT(depth <= k->node_count);
        size_t off = k->stack[depth - 1];
        uint64_t next = recs[off + KREC_STATE] - 1, n;
        const uint64_t *kids = rec_children(k, off, &n);
        if (next < n) {
            recs[off + KREC_STATE]++;
            size_t child = krec_find(k, kids[next]);
            if (child != KREC_NONE && recs[child + KREC_STATE] == 0) {
                recs[child + KREC_STATE] = 1;
                k->stack[depth++] = child;
            }
            continue;
        }
        recs[off + KREC_MASK] = rec_mask(c, off);
        recs[off + KREC_STATE] = KREC_DONE;
        depth--;
    }
    return recs[root + KREC_MASK];
}

static bool
gen_in(uint64_t gen, const uint64_t *gens, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (gens[i] == gen) {
            return true;
        }
    }
    return false;
}

/* Findings for block, if an ancestor killed it. */
static void
block_test(struct check *c, uint64_t block, const uint64_t *ancestors, size_t count,
        const char *what)
{
    const struct check_kill *k = c->kill;
    const struct kill_entry *e = entry_first(c, block);
    for (; e != NULL && e < k->deads + k->dead_count && e->block == block; e++) {
        if (gen_in(e->killer, ancestors, count)) {
            check_finding(c, FS_CHECK_CORRUPT, block, "deadlist entry",
                    "killed in generation %llu, still reached by %s",
                    (unsigned long long)e->killer, what);
        }
    }
}

void
checkkill_tree(struct check *c, uint64_t root_addr, const uint64_t *ancestors, size_t count,
        const char *what)
{
    struct check_kill *k = c->kill;
    uint64_t root_block, want = 0;
    if (k == NULL || k->dead_count == 0 || !addr_block(c, root_addr, &root_block)) {
        return;
    }
    for (size_t i = 0; i < count; i++) {
        want |= killer_bit(k, ancestors[i]);
    }
    size_t root = krec_find(k, root_block);
    if (want == 0 || root == KREC_NONE || (mask_below(c, root) & want) == 0) {
        return;
    }
    memset(c->walk, 0, c->map_size);
    size_t depth = 0;
    k->stack[depth++] = root;
    check_bit_set(c->walk, root_block);
    while (depth > 0) {
        size_t off = k->stack[--depth];
        block_test(c, k->recs[off + KREC_BLOCK], ancestors, count, what);
        const uint64_t *data = &k->recs[off + KREC_HEAD];
        for (uint64_t i = 0; i < k->recs[off + KREC_DATA]; i++) {
            block_test(c, data[i], ancestors, count, what);
        }
        uint64_t n;
        const uint64_t *kids = rec_children(k, off, &n);
        for (uint64_t i = 0; i < n; i++) {
            size_t child = krec_find(k, kids[i]);
            if (child != KREC_NONE && !check_bit(c->walk, kids[i])
                    && (k->recs[child + KREC_MASK] & want) != 0) {
                ASSERT(depth < k->node_count);
                check_bit_set(c->walk, kids[i]);
                k->stack[depth++] = child;
            }
        }
    }
}
