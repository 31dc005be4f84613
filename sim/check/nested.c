/*
 * sim/check/nested.c: nested crash states (see nested.h).
 */
#include "nested.h"

#include <stdio.h>
#include <string.h>

int
nest_id_parse(const char *id, struct crash_state *states, uint32_t max)
{
    uint32_t depth = 0;
    const char *p = id;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        char piece[CRASH_ID_MAX];
        if (depth == max || n == 0 || n >= sizeof(piece)) {
            return -1;
        }
        memcpy(piece, p, n);
        piece[n] = '\0';
        if (crash_id_parse(piece, &states[depth]) != 0) {
            return -1;
        }
        depth++;
        if (slash == NULL) {
            return (int)depth;
        }
        p = slash + 1;
    }
}

void
nest_id_format(const struct nest_link *chain, uint32_t depth, const struct crash_state *s,
        char *buf, size_t size)
{
    ASSERT(size > 0 && depth < NEST_DEPTH_MAX);
    size_t used = 0;
    buf[0] = '\0';
    for (uint32_t l = 0; l <= depth && used < size; l++) {
        char piece[CRASH_ID_MAX];
        crash_id_format(l < depth ? &chain[l].state : s, piece, sizeof(piece));
        int n = snprintf(buf + used, size - used, "%s%s", l > 0 ? "/" : "", piece);
        used += n > 0 ? (size_t)n : 0;
    }
}

int
nest_init(struct nest *n, const struct recording *top, bool memo)
{
    memset(n, 0, sizeof(*n));
    n->top = top;
    n->memo = memo;
    if (checker_init(&n->lv[0].checker, top) != 0) {
        return FS_ENOMEM;
    }
    n->lv[0].ready = true;
    if (memo) {
        (void)checker_memo(&n->lv[0].checker);  /* Out of memory: in full, same verdicts. */
    }
    return 0;
}

/* Forgets level l and every level under it. */
static void
level_drop(struct nest *n, uint32_t l)
{
    for (uint32_t i = l; i < NEST_DEPTH_MAX; i++) {
        if (n->lv[i].key[0] != '\0') {
            recording_free(&n->lv[i].rec);
            n->lv[i].key[0] = '\0';
        }
    }
}

void
nest_deinit(struct nest *n)
{
    level_drop(n, 1);
    for (uint32_t i = 0; i < NEST_DEPTH_MAX; i++) {
        if (n->lv[i].ready) {
            checker_deinit(&n->lv[i].checker);
        }
    }
    memset(n, 0, sizeof(*n));
}

/* Makes level l the nested recording of chain[l - 1] under the level
 * above, whose view shows that state. */
static int
level_make(struct nest *n, const struct nest_link *chain, uint32_t l, const char *key,
        char *err, size_t err_size)
{
    struct nest_level *up = &n->lv[l - 1], *lv = &n->lv[l];
    level_drop(n, l);
    struct oplog_lower image = crash_view_lower(&up->checker.view);
    if (record_nested(up->checker.rec, chain[l - 1].recovered, &image, &lv->rec, err,
            err_size) != 0) {
        return -1;
    }
    snprintf(lv->key, sizeof(lv->key), "%s", key);
    n->recorded++;
    if (!lv->ready) {
        if (checker_init(&lv->checker, &lv->rec) != 0) {
            snprintf(err, err_size, "out of memory for a nested checker");
            level_drop(n, l);
            return -1;
        }
        lv->ready = true;
        if (n->memo) {
            (void)checker_memo(&lv->checker);
        }
        return 0;
    }
    lv->checker.rec = &lv->rec;
    if (crash_view_rebind(&lv->checker.view, &lv->rec.dev.disk) != 0) {
        lv->ready = false;                      /* The view is gone; the memos go too. */
        checker_deinit(&lv->checker);
        level_drop(n, l);
        snprintf(err, err_size, "out of memory for a nested checker");
        return -1;
    }
    return 0;
}

struct checker *
nest_level(struct nest *n, const struct nest_link *chain, uint32_t depth, char *err,
        size_t err_size)
{
    ASSERT(depth < NEST_DEPTH_MAX);
    for (uint32_t l = 1; l <= depth; l++) {
        struct nest_level *up = &n->lv[l - 1];
        const struct crash_state *s = &chain[l - 1].state;
        if (crash_view_set(&up->checker.view, s) != 0) {
            snprintf(err, err_size, "the parent state does not fit its recording");
            level_drop(n, l);
            return NULL;
        }
        char key[NEST_ID_MAX];
        nest_id_format(chain, l - 1, s, key, sizeof(key));
        size_t len = strlen(key);
        snprintf(key + len, sizeof(key) - len, "@%u", chain[l - 1].recovered);
        if (strcmp(n->lv[l].key, key) != 0
                && level_make(n, chain, l, key, err, err_size) != 0) {
            return NULL;
        }
    }
    return &n->lv[depth].checker;
}

bool
nest_expandable(const struct crash_state *s, enum outcome o)
{
    return (o == OUTCOME_OK || o == OUTCOME_OK_LEAK)
        && fault_class_info(crash_fault_class_index(s))->verdict == FAULT_VERDICT_EXACT;
}

struct checker *
nest_descend(struct nest *n, const struct crash_state *states, uint32_t depth,
        struct nest_link *chain, char *err, size_t err_size)
{
    ASSERT(depth >= 1 && depth <= NEST_DEPTH_MAX);
    for (uint32_t l = 0; l + 1 < depth; l++) {
        struct checker *c = nest_level(n, chain, l, err, err_size);
        struct state_result r;
        if (c == NULL) {
            return NULL;
        }
        if (checker_check(c, &states[l], &r) != 0) {
            snprintf(err, err_size, "level %u does not fit its recording", l + 1);
            return NULL;
        }
        if (!nest_expandable(&states[l], (enum outcome)r.outcome)) {
            snprintf(err, err_size, "level %u recovered no legal state (%s: %.120s), or has a "
                    "media fault: it has no nested states", l + 1,
                    outcome_name((enum outcome)r.outcome), r.reason);
            return NULL;
        }
        chain[l] = (struct nest_link){ states[l], (uint32_t)r.recovered };
    }
    return nest_level(n, chain, depth - 1, err, err_size);
}
