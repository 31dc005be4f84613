/*
 * sim/campaign/nestrun.c: the nested phase of a campaign (explore --nested;
 * see explore.h and sim/check/nested.h).
 *
 * Method. The parents to expand form a queue: the campaign's top-level
 * originals that recovered a legal state, then every nested original that
 * did, down to the depth asked for. The queue is worked in batches. For each
 * parent of a batch this process checks the parent again (one check against
 * the tens to hundreds of its nested states: its result, with the sync
 * point it recovered, is then the same whether a worker of this invocation
 * or an earlier one checked it, so a resumed run stores what an
 * uninterrupted one does; a re-check that disagrees is reported and the
 * parent not expanded), makes the nested recording, enumerates its crash
 * states with the
 * campaign's model and plan, and finds their duplicates: states that read
 * the parent's own bytes (nothing of the post-recovery run reached the disk)
 * share the parent's result, and states that read identical bytes share one
 * check. The originals of the batch go to a pool of forked workers
 * (workers_start_nested), which make the same nested recordings themselves
 * (deterministic) as they meet them; each result is stored for the original
 * and its duplicates, and an original that recovered a legal state joins
 * the queue if it is not at the deepest level.
 *
 * Memoization. A parent is expanded once per distinct image: duplicates of
 * a top-level or nested state are never parents (their original is, and its
 * nested states are theirs). So N parents that read identical bytes share
 * one nested enumeration.
 *
 * Resume. Results stored earlier are read once (the ids with a '/'); a
 * state with a final result is counted and not checked again, and an
 * original is checked again only if it or a duplicate of it lacks one.
 */
#include "explore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/format.h"
#include "../check/dedup.h"
#include "../check/nested.h"
#include "../check/workers.h"
#include "../store/store.h"

#define NEST_BATCH_ITEMS 4096u          /* Originals per batch of workers, about. */

/* A parent to expand: its chain (its own link last) and, when known, the
 * sync point it recovered. */
struct expand {
    struct nest_link chain[NEST_DEPTH_MAX - 1];
    uint32_t depth;                     /* Links: the parent's own depth. */
    bool known;                         /* chain[depth - 1].recovered is known. */
};

/* Results stored earlier, by id (nested ids only). */
struct done_map {
    char **ids;                         /* Open addressing; NULL: empty. */
    uint8_t *outcomes;
    size_t size;                        /* A power of two. */
    size_t count;
};

/* One nested state of a batch. */
struct nrow {
    char id[NEST_ID_MAX];
    uint32_t parent;                    /* Index of its parent in the batch's parents. */
    uint32_t depth;                     /* Its depth: its parent's + 1. */
    struct crash_state state;
    uint64_t sig;
    uint32_t pass;
    const char *last_type;
    uint32_t last_write;
    uint32_t orig;                      /* Row of its original, or CRASH_NONE (an original, or
                                           a copy of the parent: parent_copy). */
    uint32_t next_dup;                  /* Next duplicate of its original, or CRASH_NONE. */
    uint32_t item;                      /* An original's item, or CRASH_NONE. */
    bool parent_copy;                   /* Reads the parent's bytes. */
    bool done;                          /* Has a final result (stored earlier, or now). */
    uint32_t legal_lo, legal_hi;
};

/* A parent of a batch. */
struct nparent {
    char id[NEST_ID_MAX];
    struct state_result r;              /* Its result (outcome, recovered). */
};

struct nestrun {
    const struct nested_input *in;
    struct nested_totals *out;
    struct nest nest;                   /* This process's levels. */
    struct expand *queue;               /* Parents to expand: a FIFO. */
    size_t head, tail, cap;
    struct done_map done;
    struct nrow *rows;                  /* The batch's states. */
    size_t row_count, row_cap;
    struct nest_item *items;            /* The batch's originals to check. */
    uint32_t *item_row;                 /* Per item: its row. */
    size_t item_count, item_cap, item_row_cap;
    struct nparent *parents;            /* The batch's parents. */
    size_t parent_count, parent_cap;
};

static bool
grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap) {
        return true;
    }
    size_t n = *cap ? *cap : 256;
    while (n < need) {
        n *= 2;
    }
    void *q = realloc(*p, n * size);
    if (q == NULL) {
        return false;
    }
    *p = q;
    *cap = n;
    return true;
}

/* ---- Results stored earlier. ---- */

static size_t
done_slot(const struct done_map *d, const char *id)
{
    size_t h = (size_t)fmt_hash(id, strlen(id)) & (d->size - 1);
    while (d->ids[h] != NULL && strcmp(d->ids[h], id) != 0) {
        h = (h + 1) & (d->size - 1);
    }
    return h;
}

static int
done_put(struct done_map *d, const char *id, enum outcome o)
{
    if (2 * (d->count + 1) > d->size) {
        struct done_map n = { NULL, NULL, d->size ? 2 * d->size : 1024, 0 };
        n.ids = calloc(n.size, sizeof(char *));
        n.outcomes = calloc(n.size, 1);
        if (n.ids == NULL || n.outcomes == NULL) {
            free(n.ids);
            free(n.outcomes);
            return -1;
        }
        for (size_t i = 0; i < d->size; i++) {
            if (d->ids[i] != NULL) {
                size_t h = done_slot(&n, d->ids[i]);
                n.ids[h] = d->ids[i];
                n.outcomes[h] = d->outcomes[i];
                n.count++;
            }
        }
        free(d->ids);
        free(d->outcomes);
        *d = n;
    }
    size_t h = done_slot(d, id);
    if (d->ids[h] == NULL) {
        d->ids[h] = strdup(id);
        if (d->ids[h] == NULL) {
            return -1;
        }
        d->count++;
    }
    d->outcomes[h] = (uint8_t)o;
    return 0;
}

/* The final outcome stored for id, or -1. */
static int
done_get(const struct done_map *d, const char *id)
{
    if (d->size == 0) {
        return -1;
    }
    size_t h = done_slot(d, id);
    return d->ids[h] != NULL ? d->outcomes[h] : -1;
}

static void
done_free(struct done_map *d)
{
    for (size_t i = 0; i < d->size; i++) {
        free(d->ids[i]);
    }
    free(d->ids);
    free(d->outcomes);
    memset(d, 0, sizeof(*d));
}

struct done_load {
    struct done_map *d;
    bool failed;
};

static void
done_one(void *arg, const char *id, enum outcome o)
{
    struct done_load *l = arg;
    if (outcome_is_final(o) && strchr(id, '/') != NULL && done_put(l->d, id, o) != 0) {
        l->failed = true;
    }
}

/* ---- The queue of parents. ---- */

static int
queue_push(struct nestrun *nr, const struct expand *e)
{
    size_t used = nr->tail - nr->head;
    if (nr->head > 0 && nr->tail == nr->cap) {
        memmove(nr->queue, nr->queue + nr->head, used * sizeof(*nr->queue));
        nr->head = 0;
        nr->tail = used;
    }
    if (!grow((void **)&nr->queue, &nr->cap, nr->tail + 1, sizeof(*nr->queue))) {
        return -1;
    }
    nr->queue[nr->tail++] = *e;
    return 0;
}

/* ---- Storing. ---- */

static void
count(struct nestrun *nr, const struct nrow *w, enum outcome o)
{
    struct nested_totals *t = nr->out;
    tally_add(&t->tally, o, crash_fault_class_index(&w->state));
    ASSERT(w->depth >= 2 && w->depth <= NEST_DEPTH_MAX);
    t->by_depth[w->depth - 1]++;
    if (outcome_is_violation(o) && w->orig == CRASH_NONE && t->failing_count < NESTED_FAILING_MAX) {
        snprintf(t->failing[t->failing_count++], NEST_ID_MAX, "%s", w->id);
    }
}

static int
store_row(struct nestrun *nr, struct nrow *w, const struct state_result *r, bool checked,
        uint32_t worker, uint32_t retries, const char *reason)
{
    const struct nested_input *in = nr->in;
    const char *dup_of = w->parent_copy ? nr->parents[w->parent].id
        : w->orig != CRASH_NONE ? nr->rows[w->orig].id : NULL;
    struct state_row row = { w->id, &w->state, dup_of, w->sig, w->pass, w->last_type,
        w->last_write, nr->parents[w->parent].id, w->depth };
    enum outcome o = (enum outcome)r->outcome;
    struct result_row res = { o, reason, r->recovered, w->legal_lo, w->legal_hi, r->leaked,
        r->corrupt, checked ? r->duration_ns : 0, worker, r->probes, checked ? retries : 0,
        checked && outcome_is_final(o), r->memo_lookups, r->memo_hits, r->hashed };
    if (store_result(in->store, in->run_id, &row, &res) != 0) {
        return -1;
    }
    w->done = outcome_is_final(o);
    count(nr, w, o);
    if (in->cfg->save_failures != NULL && outcome_is_violation(o) && w->orig == CRASH_NONE
            && !w->parent_copy) {
        if (explore_save_case(in->cfg, in->name, in->text, in->rec->wlog_hash, in->run_id,
                w->id, o) != 0) {
            return -1;
        }
        nr->out->saved++;
    }
    return 0;
}

/* ---- Making a batch. ---- */

static int
row_add(struct nestrun *nr, struct nrow **out)
{
    if (!grow((void **)&nr->rows, &nr->row_cap, nr->row_count + 1, sizeof(*nr->rows))) {
        return -1;
    }
    *out = &nr->rows[nr->row_count++];
    memset(*out, 0, sizeof(**out));
    (*out)->orig = (*out)->next_dup = (*out)->item = CRASH_NONE;
    return 0;
}

static int
item_add(struct nestrun *nr, const struct expand *e, uint32_t row)
{
    if (!grow((void **)&nr->items, &nr->item_cap, nr->item_count + 1, sizeof(*nr->items))
            || !grow((void **)&nr->item_row, &nr->item_row_cap, nr->item_count + 1,
                sizeof(uint32_t))) {
        return -1;
    }
    struct nest_item *it = &nr->items[nr->item_count];
    memset(it, 0, sizeof(*it));
    memcpy(it->chain, e->chain, e->depth * sizeof(e->chain[0]));
    it->depth = e->depth;
    it->state = nr->rows[row].state;
    nr->item_row[nr->item_count] = row;
    nr->rows[row].item = (uint32_t)nr->item_count++;
    return 0;
}

/* The recording of a parent whose post-recovery run disagreed with the
 * oracle (or could not mount): one state at the end of its log carries
 * the violation. */
static int
broken_run(struct nestrun *nr, const struct expand *e, uint32_t parent,
        const struct recording *rec)
{
    struct nrow *w;
    if (row_add(nr, &w) != 0) {
        return -1;
    }
    w->parent = parent;
    w->depth = e->depth + 1;
    w->state = (struct crash_state){ .cut = rec->dev.disk.log.count, .torn = CRASH_NONE };
    nest_id_format(e->chain, e->depth, &w->state, w->id, sizeof(w->id));
    explore_state_where(&rec->dev.disk.log, w->state.cut, &w->pass, &w->last_type,
            &w->last_write);
    recording_legal(rec, w->state.cut, &w->legal_lo, &w->legal_hi);
    nr->out->states++;
    nr->out->distinct++;
    int stored = done_get(&nr->done, w->id);
    if (stored >= 0) {
        w->done = true;
        count(nr, w, (enum outcome)stored);
        return 0;
    }
    struct state_result r = { .outcome = OUTCOME_POST_RECOVERY_FAILED, .recovered = -1 };
    char reason[sizeof(r.reason) + 64];
    snprintf(reason, sizeof(reason), "while recording the post-recovery run: %.190s",
            rec->violation);
    return store_row(nr, w, &r, true, 0, 0, reason);
}

/* Expands one parent into the batch: its nested recording, states and
 * duplicates. 0, 1 when it is no parent after all, -1 on error. */
static int
expand_one(struct nestrun *nr, struct expand *e)
{
    const struct nested_input *in = nr->in;
    char err[256];
    uint32_t d = e->depth;
    if (!grow((void **)&nr->parents, &nr->parent_cap, nr->parent_count + 1,
            sizeof(*nr->parents))) {
        return -1;
    }
    struct nparent *p = &nr->parents[nr->parent_count];
    memset(p, 0, sizeof(*p));
    nest_id_format(e->chain, d - 1, &e->chain[d - 1].state, p->id, sizeof(p->id));
    struct checker *pc = nest_level(&nr->nest, e->chain, d - 1, err, sizeof(err));
    if (pc == NULL || checker_check(pc, &e->chain[d - 1].state, &p->r) != 0) {
        fprintf(stderr, "crashsim explore: %s: cannot check the parent again: %s\n", p->id,
                pc == NULL ? err : "it does not fit its recording");
        return -1;
    }
    if (!nest_expandable(&e->chain[d - 1].state, (enum outcome)p->r.outcome)
            || (e->known && (int32_t)e->chain[d - 1].recovered != p->r.recovered)) {
        fprintf(stderr, "crashsim explore: %s: checked again, it gave %s (%s), not the "
                "result stored: not expanded\n", p->id, outcome_name((enum outcome)p->r.outcome),
                p->r.reason);
        nr->out->unexpanded++;
        return 1;
    }
    e->chain[d - 1].recovered = (uint32_t)p->r.recovered;
    struct checker *nc = nest_level(&nr->nest, e->chain, d, err, sizeof(err));
    if (nc == NULL) {
        fprintf(stderr, "crashsim explore: %s: %s\n", p->id, err);
        return -1;
    }
    uint32_t parent = (uint32_t)nr->parent_count++;
    nr->out->enumerations++;
    const struct recording *rec = nc->rec;
    if (rec->violation[0] != '\0') {
        return broken_run(nr, e, parent, rec);
    }
    struct crash_state *st = NULL;
    size_t n = 0;
    uint64_t left = 0;
    struct dedup dd;
    if (fault_plan_enumerate_counted(&rec->dev.disk.log, in->cfg->model, &in->cfg->plan, &st, &n,
            &left) != 0 || dedup_states(rec, st, n, &dd) != 0) {
        free(st);
        return -1;
    }
    nr->out->left_out += left;
    size_t first = nr->row_count;
    int rc = 0;
    for (size_t j = 0; j < n && rc == 0; j++) {
        struct nrow *w;
        if (row_add(nr, &w) != 0) {
            rc = -1;
            break;
        }
        w->parent = parent;
        w->depth = d + 1;
        w->state = st[j];
        w->sig = dd.sigs[j];
        nest_id_format(e->chain, d, &st[j], w->id, sizeof(w->id));
        explore_state_where(&rec->dev.disk.log, w->state.cut, &w->pass, &w->last_type,
            &w->last_write);
        recording_legal(rec, st[j].cut, &w->legal_lo, &w->legal_hi);
        w->parent_copy = dd.sigs[j] == 0;       /* No block differs from the parent's. */
        if (!w->parent_copy && dd.dup_of[j] != CRASH_NONE) {
            struct nrow *o = &nr->rows[first + dd.dup_of[j]];
            w->orig = (uint32_t)(first + dd.dup_of[j]);
            w->next_dup = o->next_dup;
            o->next_dup = (uint32_t)(first + j);
        }
        nr->out->states++;
        nr->out->distinct += !w->parent_copy && w->orig == CRASH_NONE;
        int stored = done_get(&nr->done, w->id);
        if (stored >= 0) {
            w->done = true;
            count(nr, w, (enum outcome)stored);
        }
    }
    for (size_t j = 0; j < n && rc == 0; j++) {
        struct nrow *w = &nr->rows[first + j];
        if (w->parent_copy && !w->done) {
            char reason[sizeof(p->r.reason) + NEST_ID_MAX + 64];
            snprintf(reason, sizeof(reason), "reads the bytes of its parent %.*s: %.*s",
                    (int)NEST_ID_MAX, p->id, (int)sizeof(p->r.reason), p->r.reason);
            struct state_result r = p->r;
            r.recovered = 0;                    /* S_0 of the nested recording. */
            rc = store_row(nr, w, &r, false, 0, 0, reason);
            continue;
        }
        if (w->parent_copy || w->orig != CRASH_NONE) {
            continue;
        }
        bool all = w->done;
        for (uint32_t k = w->next_dup; k != CRASH_NONE && all; k = nr->rows[k].next_dup) {
            all = nr->rows[k].done;
        }
        if (!all) {
            rc = item_add(nr, e, (uint32_t)(first + j));
        } else if (nest_expandable(&w->state, (enum outcome)done_get(&nr->done, w->id))
                && d + 1 < in->cfg->depth) {
            struct expand next = *e;            /* Checked earlier: a parent in its turn. */
            next.chain[d] = (struct nest_link){ w->state, 0 };
            next.depth = d + 1;
            next.known = false;
            rc = queue_push(nr, &next);
        }
    }
    free(st);
    dedup_free(&dd);
    return rc;
}

/* ---- Checking a batch. ---- */

static int
batch_result(struct nestrun *nr, const struct worker_result *res)
{
    const struct nested_input *in = nr->in;
    uint32_t row = nr->item_row[res->index];
    const struct nest_item *it = &nr->items[res->index];
    const struct state_result *r = &res->r;
    enum outcome o = (enum outcome)r->outcome;
    for (uint32_t k = row; k != CRASH_NONE; k = nr->rows[k].next_dup) {
        struct nrow *w = &nr->rows[k];
        if (w->done) {
            continue;
        }
        const char *reason = r->reason;
        char unchecked[sizeof(r->reason) + NEST_ID_MAX + 64];
        if (k != row && !outcome_is_final(o)) {
            snprintf(unchecked, sizeof(unchecked), "duplicate of %.*s, which was not checked: "
                    "%.*s", (int)NEST_ID_MAX, nr->rows[row].id, (int)sizeof(r->reason), r->reason);
            reason = unchecked;
        }
        if (store_row(nr, w, r, k == row, res->worker, res->retries, reason) != 0) {
            return -1;
        }
    }
    if (nest_expandable(&it->state, o) && it->depth + 1 < in->cfg->depth) {
        struct expand next;
        memset(&next, 0, sizeof(next));
        memcpy(next.chain, it->chain, it->depth * sizeof(it->chain[0]));
        next.chain[it->depth] = (struct nest_link){ it->state, (uint32_t)r->recovered };
        next.depth = it->depth + 1;
        next.known = true;
        return queue_push(nr, &next);
    }
    return 0;
}

static int
batch_check(struct nestrun *nr)
{
    const struct nested_input *in = nr->in;
    if (nr->item_count == 0) {
        return 0;
    }
    struct workers *w;
    if (workers_start_nested(&w, in->rec, nr->items, nr->item_count, in->cfg->jobs,
            in->cfg->timeout_ms, !in->cfg->no_memo) != 0) {
        fprintf(stderr, "crashsim explore: cannot start workers\n");
        return -1;
    }
    for (size_t i = 0; i < nr->item_count; i++) {
        workers_queue(w, (uint32_t)i);
    }
    struct worker_result res;
    int rc;
    while ((rc = workers_next(w, &res)) == 0 || rc == 2) {
        if (rc == 2 ? store_flush(in->store) != 0 : batch_result(nr, &res) != 0) {
            rc = -1;
            break;
        }
        if (in->progress != NULL) {
            progress_line(in->progress, &nr->out->tally, nr->out->states, false);
        }
    }
    workers_stop(w);
    return rc < 0 ? -1 : 0;
}

int
nested_explore(const struct nested_input *in, struct nested_totals *out)
{
    ASSERT(in->cfg->depth >= 2 && in->cfg->depth <= NEST_DEPTH_MAX);
    static struct nestrun nr;
    memset(&nr, 0, sizeof(nr));
    memset(out, 0, sizeof(*out));
    nr.in = in;
    nr.out = out;
    struct done_load load = { &nr.done, false };
    int rc = nest_init(&nr.nest, in->rec, !in->cfg->no_memo) != 0 ? -1 : 0;
    if (rc == 0 && in->resumed) {
        rc = store_done_states(in->store, in->run_id, done_one, &load) != 0 || load.failed
            ? -1 : 0;
    }
    for (size_t i = 0; i < in->parent_count && rc == 0; i++) {
        struct expand e;
        memset(&e, 0, sizeof(e));
        e.chain[0] = (struct nest_link){ in->states[in->parents[i]],
            in->recovered[in->parents[i]] >= 0 ? (uint32_t)in->recovered[in->parents[i]] : 0 };
        e.depth = 1;
        e.known = in->recovered[in->parents[i]] >= 0;
        rc = queue_push(&nr, &e);
    }
    while (rc == 0 && nr.head < nr.tail) {
        nr.row_count = nr.item_count = nr.parent_count = 0;
        while (rc == 0 && nr.head < nr.tail && nr.item_count < NEST_BATCH_ITEMS) {
            struct expand e = nr.queue[nr.head++];
            rc = expand_one(&nr, &e) < 0 ? -1 : 0;
        }
        if (rc == 0) {
            rc = batch_check(&nr);
        }
        out->recorded = nr.nest.recorded;
    }
    if (in->progress != NULL) {
        progress_line(in->progress, &out->tally, out->states, true);
    }
    nest_deinit(&nr.nest);
    done_free(&nr.done);
    free(nr.queue);
    free(nr.rows);
    free(nr.items);
    free(nr.item_row);
    free(nr.parents);
    return rc;
}
