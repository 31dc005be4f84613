/*
 * sim/campaign/mutate.c: the mutations of crashsim gen guided (see mutate.h).
 *
 * Method: a trace is an array of steps; every mutation is an insertion, a
 * deletion or a change of one step, made by the three helpers below and
 * bounded by MUTATE_STEPS_MAX (trace_cut). Inserted steps come from the
 * project's own generators: gen_random with a seed drawn from the stream,
 * gen_ace with a drawn length and index, or another trace of the corpus.
 * Names a mutation makes are built from the letters of the name they
 * replace and lowercase letters, so they are always names the trace format
 * can write (no blank, '#', '/' or control character).
 */
#include "mutate.h"

#include <stdlib.h>
#include <string.h>

#include "../../fs/fs.h"
#include "../../traces/gen.h"
#include "../../traces/prng.h"

#define RANDOM_OPS_MIN 4u           /* Steps of an inserted random workload, at least... */
#define RANDOM_OPS_SPAN 29u         /* ... and fewer than RANDOM_OPS_MIN + this. */
#define RANDOM_FILES 8u             /* Files it keeps at once. */
#define ACE_LENGTH_MAX 2u           /* Core operations of an inserted ACE workload. */
#define DELETE_RUN_MAX 8u           /* Steps a delete removes, at most. */
#define REPEAT_RUN_MAX 16u          /* Steps a repeat copies, at most. */
#define TICK_NS_MAX 2000000000u     /* A changed tick moves the clock up to 2 s. */
#define BLOCK_SPAN 4096u            /* Offsets and lengths move in and across 4 KiB blocks. */

static const char *const mutation_words[MUTATION_COUNT] = {
#define X(id, word, what) word,
    MUTATIONS(X)
#undef X
};

const char *
mutation_word(enum mutation m)
{
    ASSERT(m < MUTATION_COUNT);
    ASSERT(mutation_words[m] != NULL);
    return mutation_words[m];
}

/* A draw in [0, n); 0 when n is 0. */
static uint64_t
draw(uint64_t *rng, uint64_t n)
{
    ASSERT(rng != NULL);
    return n == 0 ? 0 : prng_splitmix64(rng) % n;
}

/* Inserts n steps at index at, cutting the tail past MUTATE_STEPS_MAX. */
static int
trace_insert(struct trace *t, uint32_t at, const struct trace_step *steps, uint32_t n)
{
    ASSERT(at <= t->count);
    ASSERT(t->count <= MUTATE_STEPS_MAX);
    uint32_t total = FS_MIN(t->count + n, MUTATE_STEPS_MAX);
    struct trace_step *s = malloc((size_t)FS_MAX(total, 1u) * sizeof(*s));
    if (s == NULL) {
        return FS_ENOMEM;
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < at && k < total; i++) {
        s[k++] = t->steps[i];
    }
    for (uint32_t i = 0; i < n && k < total; i++) {
        s[k++] = steps[i];
    }
    for (uint32_t i = at; i < t->count && k < total; i++) {
        s[k++] = t->steps[i];
    }
    ASSERT(k == total);
    free(t->steps);
    t->steps = s;
    t->count = total;
    return 0;
}

static void
trace_delete(struct trace *t, uint32_t at, uint32_t n)
{
    ASSERT(at + n <= t->count);
    memmove(&t->steps[at], &t->steps[at + n], (t->count - at - n) * sizeof(t->steps[0]));
    t->count -= n;
}

int
mutate_copy(struct trace *dst, const struct trace *src)
{
    ASSERT(src->count <= TRACE_STEPS_MAX);
    *dst = (struct trace){ .count = 0 };
    snprintf(dst->name, sizeof(dst->name), "%s", src->name);
    return trace_insert(dst, 0, src->steps, FS_MIN(src->count, MUTATE_STEPS_MAX));
}

static int
mutate_random(struct trace *t, uint64_t *rng)
{
    struct trace g;
    uint32_t ops = RANDOM_OPS_MIN + (uint32_t)draw(rng, RANDOM_OPS_SPAN);
    int err = gen_random(prng_splitmix64(rng), ops, RANDOM_FILES, MUTATE_WRITE_MAX, &g);
    if (err) {
        return err;
    }
    err = trace_insert(t, (uint32_t)draw(rng, t->count + 1ull), g.steps, g.count);
    trace_free(&g);
    return err;
}

struct ace_pick {
    uint64_t index;             /* The case wanted. */
    struct trace *t;            /* Where its steps go. */
    uint32_t at;                /* At which step. */
    int err;                    /* trace_insert's result. */
};

static int
ace_take(void *arg, const struct gen_ace_case *c)
{
    struct ace_pick *p = arg;
    ASSERT(c->index <= p->index);
    if (c->index < p->index) {
        return 0;
    }
    p->err = trace_insert(p->t, p->at, c->trace->steps, c->trace->count);
    return 1;                   /* Found: stop the enumeration. */
}

static int
mutate_ace(struct trace *t, uint64_t *rng)
{
    uint32_t length = 1 + (uint32_t)draw(rng, ACE_LENGTH_MAX);
    struct ace_pick p = { draw(rng, gen_ace_count(length)), t,
        (uint32_t)draw(rng, t->count + 1ull), 0 };
    int rc = gen_ace(length, ace_take, &p);
    ASSERT(rc == 1);            /* The index is below the count: always found. */
    return p.err;
}

static int
mutate_splice(struct trace *t, uint64_t *rng, const struct trace *const *corpus, uint32_t count)
{
    ASSERT(count >= 1);
    const struct trace *o = corpus[draw(rng, count)];
    uint32_t keep = (uint32_t)draw(rng, t->count + 1ull);
    uint32_t from = (uint32_t)draw(rng, o->count + 1ull);
    t->count = keep;
    return trace_insert(t, keep, o->steps + from, o->count - from);
}

/* A name of a drawn length made from the letters of old (or 'n'). */
static void
name_make(char *out, size_t size, const char *old, uint64_t *rng)
{
    ASSERT(size > FS_NAME_MAX);
    uint64_t kind = draw(rng, 3);
    size_t len = kind == 0 ? FS_NAME_MAX : kind == 1 ? FS_NAME_MAX - draw(rng, 16)
        : 1 + draw(rng, FS_NAME_MAX);
    size_t old_len = strlen(old);
    for (size_t i = 0; i < len; i++) {
        out[i] = i < old_len ? old[i] : (char)('a' + draw(rng, 26));
    }
    out[len] = '\0';
}

/* Replaces the last component of path by a name of a drawn length. */
static void
path_rename(char *path, uint64_t *rng)
{
    char *slash = strrchr(path, '/');
    ASSERT(slash != NULL);
    char name[FS_NAME_MAX + 1];
    name_make(name, sizeof(name), slash + 1, rng);
    size_t room = TRACE_PATH_MAX - (size_t)(slash + 1 - path) - 1;
    name[FS_MIN(strlen(name), room)] = '\0';
    if (name[0] == '\0') {
        return;                 /* A path at the limit keeps its name. */
    }
    memcpy(slash + 1, name, strlen(name) + 1);
}

/* True if the op's first argument is a path (not a label, not nothing). */
static bool
names_path(enum trace_op op)
{
    return op == TRACE_MKDIR || op == TRACE_CREATE || op == TRACE_WRITE || op == TRACE_TRUNCATE
        || op == TRACE_RM || op == TRACE_MV;
}

/* A changed write: offset, length or seed. */
static void
argument_write(struct trace_step *s, uint64_t *rng)
{
    switch (draw(rng, 4)) {
    case 0: s->offset = draw(rng, 2 * (s->offset + s->length) + BLOCK_SPAN); break;
    case 1: s->length = 1 + draw(rng, MUTATE_WRITE_MAX); break;
    case 2: s->offset = s->offset / BLOCK_SPAN * BLOCK_SPAN + draw(rng, BLOCK_SPAN); break;
    default: s->seed = prng_splitmix64(rng); break;
    }
    s->length = FS_MIN(s->length, (uint64_t)MUTATE_WRITE_MAX);
}

static void
mutate_argument(struct trace *t, uint64_t *rng)
{
    ASSERT(t->count >= 1);
    struct trace_step *s = &t->steps[draw(rng, t->count)];
    const struct trace_step *o = &t->steps[draw(rng, t->count)];
    switch (s->op) {
    case TRACE_WRITE: argument_write(s, rng); break;
    case TRACE_TRUNCATE:
        s->length = FS_MIN(draw(rng, 2 * s->length + 2 * BLOCK_SPAN), (uint64_t)MUTATE_WRITE_MAX);
        break;
    case TRACE_TICK: s->ns = 1 + draw(rng, TICK_NS_MAX); break;
    case TRACE_SYNC: s->op = TRACE_TICK; s->ns = 1 + draw(rng, TICK_NS_MAX); break;
    case TRACE_MV:
    case TRACE_SNAP_LABEL:
    case TRACE_SNAP_FORK:
        if (draw(rng, 2) == 0 && s->op == TRACE_MV) {
            path_rename(s->path2, rng);
        } else {
            memcpy(s->path, o->op == s->op ? o->path : s->path, sizeof(s->path));
        }
        break;
    case TRACE_SNAP_DELETE:
        if (o->op == TRACE_SNAP_LABEL || o->op == TRACE_SNAP_FORK) {
            memcpy(s->path, o->path2, sizeof(s->path));     /* A label the trace makes. */
        }
        break;
    default:
        if (draw(rng, 2) == 0) {
            path_rename(s->path, rng);
        } else if (names_path(o->op)) {
            memcpy(s->path, o->path, sizeof(s->path));      /* Another step's path. */
        }
        break;
    }
}

int
mutate(struct trace *t, enum mutation m, uint64_t *rng, const struct trace *const *corpus,
        uint32_t count, enum mutation *done)
{
    ASSERT(m < MUTATION_COUNT);
    ASSERT(t->count <= MUTATE_STEPS_MAX);
    *done = m;
    if (t->count == 0 && (m == MUTATION_DELETE || m == MUTATION_REPEAT
            || m == MUTATION_ARGUMENT)) {
        *done = m = MUTATION_RANDOM;    /* Nothing to act on. */
    }
    uint32_t at = (uint32_t)draw(rng, t->count);
    switch (m) {
    case MUTATION_RANDOM: return mutate_random(t, rng);
    case MUTATION_ACE: return mutate_ace(t, rng);
    case MUTATION_SPLICE: return mutate_splice(t, rng, corpus, count);
    case MUTATION_DELETE:
        trace_delete(t, at, 1 + (uint32_t)draw(rng, FS_MIN(DELETE_RUN_MAX, t->count - at)));
        return 0;
    case MUTATION_REPEAT: {
        uint32_t n = 1 + (uint32_t)draw(rng, FS_MIN(REPEAT_RUN_MAX, t->count - at));
        struct trace_step *copy = malloc(n * sizeof(*copy));
        if (copy == NULL) {
            return FS_ENOMEM;
        }
        memcpy(copy, &t->steps[at], n * sizeof(*copy));
        int err = trace_insert(t, at + n, copy, n);
        free(copy);
        return err;
    }
    default:
        mutate_argument(t, rng);
        return 0;
    }
}
