/*
 * traces/ace.c: the bounded-exhaustive ACE set, gen_ace (see ace.h and
 * traces/GENERATORS.md, which lists the dependency rules).
 *
 * Method. The sequence of index i is i written in mixed radix (menu choice,
 * persistence choice, menu choice, ...; the first operation most
 * significant). A small state (which of seven fixed paths exist, file sizes,
 * whether label s1 exists) is stepped along; before each core operation the
 * dependency steps that make it valid in that state, and give it its
 * intended shape, are emitted. No randomness: the set is the same for every
 * run, and a write's seed is its step's 1-based index in the trace.
 *
 * Bounds: a trace has at most GEN_ACE_STEPS_MAX steps (an ASSERT: the rules
 * emit at most six per core operation); the enumeration stops after
 * gen_ace_count(length) sequences or when the callback says so.
 *
 * Ownership: one trace is built at a time in a buffer of this module; the
 * callback sees it only during its call.
 */
#include "ace.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../fs/base.h"

#define ACE_ROOT            UINT32_MAX  /* The parent of /A, /B and /bar. */
#define ACE_APPEND_SIZE     6000u       /* Bytes of an append: crosses a 4 KiB boundary. */
#define ACE_OVERWRITE_OFF   1000u       /* The overwrite: bytes 1000..4999, across 4096. */
#define ACE_OVERWRITE_SIZE  4000u
#define ACE_TRUNCATE_SIZE   2000u       /* The truncate shrinks to this. */
#define ACE_LABEL           "s1"

enum ace_path { P_A, P_B, P_A_FOO, P_A_BAZ, P_B_FOO, P_B_BAZ, P_BAR, ACE_PATH_COUNT };

struct ace_path_info {
    const char *path;       /* Absolute path. */
    bool is_dir;            /* A directory. */
    uint32_t parent;        /* enum ace_path, or ACE_ROOT. */
};

static const struct ace_path_info ace_paths[ACE_PATH_COUNT] = {
    [P_A] = { "/A", true, ACE_ROOT },
    [P_B] = { "/B", true, ACE_ROOT },
    [P_A_FOO] = { "/A/foo", false, P_A },
    [P_A_BAZ] = { "/A/baz", false, P_A },
    [P_B_FOO] = { "/B/foo", false, P_B },
    [P_B_BAZ] = { "/B/baz", false, P_B },
    [P_BAR] = { "/bar", false, ACE_ROOT },
};

/* The children of /A and /B, in the order a directory is emptied. */
static const uint32_t ace_children[2][2] = { { P_A_FOO, P_A_BAZ }, { P_B_FOO, P_B_BAZ } };

enum ace_kind { ACE_MKDIR, ACE_CREATE, ACE_APPEND, ACE_OVERWRITE, ACE_TRUNCATE, ACE_MV, ACE_RM,
    ACE_SNAP_LABEL, ACE_SNAP_DELETE };

struct ace_op {
    enum ace_kind kind;     /* What it does. */
    uint32_t a;             /* Its path (enum ace_path). */
    uint32_t b;             /* mv: the new path. */
    const char *name;       /* As gen_ace_menu_name says it. */
};

static const struct ace_op ace_menu[GEN_ACE_MENU_COUNT] = {
    { ACE_MKDIR, P_A, 0, "mkdir /A" },
    { ACE_CREATE, P_A_FOO, 0, "create /A/foo" },
    { ACE_CREATE, P_BAR, 0, "create /bar" },
    { ACE_APPEND, P_A_FOO, 0, "write /A/foo (append 6000 bytes)" },
    { ACE_APPEND, P_BAR, 0, "write /bar (append 6000 bytes)" },
    { ACE_OVERWRITE, P_A_FOO, 0, "write /A/foo 1000 4000 (overwrite in place)" },
    { ACE_TRUNCATE, P_A_FOO, 0, "truncate /A/foo 2000 (shrink)" },
    { ACE_MV, P_A_FOO, P_A_BAZ, "mv /A/foo /A/baz" },
    { ACE_MV, P_A, P_B, "mv /A /B (a directory)" },
    { ACE_RM, P_A_FOO, 0, "rm /A/foo" },
    { ACE_RM, P_BAR, 0, "rm /bar" },
    { ACE_RM, P_A, 0, "rm /A (a directory)" },
    { ACE_SNAP_LABEL, 0, 0, "snap label main s1" },
    { ACE_SNAP_DELETE, 0, 0, "snap delete s1" },
};

struct ace_build {
    bool exists[ACE_PATH_COUNT];                /* Which paths exist now. */
    uint64_t size[ACE_PATH_COUNT];              /* Bytes of each existing file. */
    bool label;                                 /* Label s1 exists. */
    struct trace_step steps[GEN_ACE_STEPS_MAX]; /* The trace being built. */
    struct trace trace;                         /* Points at steps. */
    struct gen_ace_case c;                      /* What the callback gets. */
};

uint64_t
gen_ace_count(uint32_t length)
{
    if (length < 1 || length > GEN_ACE_LENGTH_MAX) {
        return 0;
    }
    uint64_t n = GEN_ACE_MENU_COUNT;
    for (uint32_t i = 1; i < length; i++) {
        n *= 2 * GEN_ACE_MENU_COUNT;
    }
    ASSERT(n > 0);
    return n;
}

const char *
gen_ace_menu_name(uint32_t menu_index)
{
    ASSERT(menu_index < GEN_ACE_MENU_COUNT);
    ASSERT(ace_menu[menu_index].name != NULL);
    return ace_menu[menu_index].name;
}

static struct trace_step *
ace_emit(struct ace_build *b, enum gen_ace_role role, enum trace_op op, const char *path,
        const char *path2)
{
    uint32_t i = b->trace.count++;
    ASSERT(i < GEN_ACE_STEPS_MAX);
    struct trace_step *s = &b->steps[i];
    memset(s, 0, sizeof(*s));
    s->op = op;
    s->line = i + 1;
    s->column = 1;
    snprintf(s->path, sizeof(s->path), "%s", path);
    snprintf(s->path2, sizeof(s->path2), "%s", path2);
    b->c.role[i] = (uint8_t)role;
    return s;
}

static void
ace_rm(struct ace_build *b, enum gen_ace_role role, uint32_t p)
{
    ASSERT(b->exists[p]);
    ace_emit(b, role, TRACE_RM, ace_paths[p].path, "");
    b->exists[p] = false;
    b->size[p] = 0;
}

static void
ace_append(struct ace_build *b, enum gen_ace_role role, uint32_t f)
{
    ASSERT(b->exists[f] && !ace_paths[f].is_dir);
    struct trace_step *s = ace_emit(b, role, TRACE_WRITE, ace_paths[f].path, "");
    s->offset = b->size[f];
    s->length = ACE_APPEND_SIZE;
    s->seed = b->trace.count;           /* Distinct data for every write of a trace. */
    b->size[f] += ACE_APPEND_SIZE;
}

/* Dependencies: a directory that exists, a path that does not, a file that exists. */
static void
ace_need_dir(struct ace_build *b, uint32_t d)
{
    ASSERT(d == ACE_ROOT || ace_paths[d].is_dir);
    if (d != ACE_ROOT && !b->exists[d]) {
        ace_emit(b, GEN_ACE_DEP, TRACE_MKDIR, ace_paths[d].path, "");
        b->exists[d] = true;
    }
}

static void
ace_need_absent(struct ace_build *b, uint32_t p)
{
    if (!b->exists[p]) {
        return;
    }
    if (ace_paths[p].is_dir) {
        ASSERT(p == P_A || p == P_B);
        for (uint32_t k = 0; k < 2; k++) {
            if (b->exists[ace_children[p][k]]) {
                ace_rm(b, GEN_ACE_DEP, ace_children[p][k]);
            }
        }
    }
    ace_rm(b, GEN_ACE_DEP, p);
}

static void
ace_need_file(struct ace_build *b, uint32_t f)
{
    ASSERT(!ace_paths[f].is_dir);
    ace_need_dir(b, ace_paths[f].parent);
    if (!b->exists[f]) {
        ace_emit(b, GEN_ACE_DEP, TRACE_CREATE, ace_paths[f].path, "");
        b->exists[f] = true;
        b->size[f] = 0;
    }
}

/* The file f holds at least size bytes. */
static void
ace_need_size(struct ace_build *b, uint32_t f, uint64_t size)
{
    ace_need_file(b, f);
    if (b->size[f] < size) {
        ace_append(b, GEN_ACE_DEP, f);
    }
    ASSERT(b->size[f] >= size);
}

/* mv of a path, and of a directory's children with it. */
static void
ace_mv(struct ace_build *b, uint32_t from, uint32_t to)
{
    ace_emit(b, GEN_ACE_CORE, TRACE_MV, ace_paths[from].path, ace_paths[to].path);
    if (ace_paths[from].is_dir) {
        ASSERT(from == P_A && to == P_B);
        for (uint32_t k = 0; k < 2; k++) {
            uint32_t cf = ace_children[P_A][k], ct = ace_children[P_B][k];
            ASSERT(!b->exists[ct]);
            b->exists[ct] = b->exists[cf];
            b->size[ct] = b->size[cf];
            b->exists[cf] = false;
            b->size[cf] = 0;
        }
    }
    b->exists[to] = true;
    b->size[to] = b->size[from];
    b->exists[from] = false;
    b->size[from] = 0;
}

/* The core operations that remove or touch labels. */
static void
ace_core_more(struct ace_build *b, const struct ace_op *op)
{
    uint32_t a = op->a;
    switch (op->kind) {
    case ACE_RM:
        if (ace_paths[a].is_dir) {
            ace_need_dir(b, a);
            for (uint32_t k = 0; k < 2; k++) {      /* Only an empty directory goes. */
                if (b->exists[ace_children[a][k]]) {
                    ace_rm(b, GEN_ACE_DEP, ace_children[a][k]);
                }
            }
        } else {
            ace_need_file(b, a);
        }
        ace_rm(b, GEN_ACE_CORE, a);
        return;
    case ACE_SNAP_LABEL:
        if (b->label) {
            ace_emit(b, GEN_ACE_DEP, TRACE_SNAP_DELETE, ACE_LABEL, "");
        }
        ace_emit(b, GEN_ACE_CORE, TRACE_SNAP_LABEL, "main", ACE_LABEL);
        b->label = true;
        return;
    case ACE_SNAP_DELETE:
        if (!b->label) {
            ace_emit(b, GEN_ACE_DEP, TRACE_SNAP_LABEL, "main", ACE_LABEL);
        }
        ace_emit(b, GEN_ACE_CORE, TRACE_SNAP_DELETE, ACE_LABEL, "");
        b->label = false;
        return;
    default:
        ASSERT(!"every kind is handled");
    }
}

/* One core operation, after the dependencies that make it valid and give it
 * its shape (an append at the end, an overwrite inside the data, a shrink). */
static void
ace_core(struct ace_build *b, const struct ace_op *op)
{
    uint32_t a = op->a;
    switch (op->kind) {
    case ACE_MKDIR:
        ace_need_absent(b, a);
        ace_emit(b, GEN_ACE_CORE, TRACE_MKDIR, ace_paths[a].path, "");
        b->exists[a] = true;
        return;
    case ACE_CREATE:
        ace_need_dir(b, ace_paths[a].parent);
        ace_need_absent(b, a);
        ace_emit(b, GEN_ACE_CORE, TRACE_CREATE, ace_paths[a].path, "");
        b->exists[a] = true;
        b->size[a] = 0;
        return;
    case ACE_APPEND:
        ace_need_file(b, a);
        ace_append(b, GEN_ACE_CORE, a);
        return;
    case ACE_OVERWRITE: {
        ace_need_size(b, a, ACE_OVERWRITE_OFF + ACE_OVERWRITE_SIZE);
        struct trace_step *s = ace_emit(b, GEN_ACE_CORE, TRACE_WRITE, ace_paths[a].path, "");
        s->offset = ACE_OVERWRITE_OFF;
        s->length = ACE_OVERWRITE_SIZE;
        s->seed = b->trace.count;
        return;
    }
    case ACE_TRUNCATE:
        ace_need_size(b, a, ACE_TRUNCATE_SIZE + 1);
        ace_emit(b, GEN_ACE_CORE, TRACE_TRUNCATE, ace_paths[a].path, "")->length =
            ACE_TRUNCATE_SIZE;
        b->size[a] = ACE_TRUNCATE_SIZE;
        return;
    case ACE_MV:
        if (ace_paths[a].is_dir) {
            ace_need_dir(b, a);
        } else {
            ace_need_file(b, a);
        }
        ace_need_absent(b, op->b);
        ace_mv(b, a, op->b);
        return;
    default:
        break;
    }
    ace_core_more(b, op);
}

/* Sequence index of length length: the menu and persistence choices. */
static void
ace_decode(uint32_t length, uint64_t index, struct gen_ace_case *c)
{
    ASSERT(length >= 1 && length <= GEN_ACE_LENGTH_MAX);
    ASSERT(index < gen_ace_count(length));
    uint64_t rem = index;
    c->menu[length - 1] = (uint32_t)(rem % GEN_ACE_MENU_COUNT);
    c->sync_after[length - 1] = true;       /* Every workload ends at a persistence point. */
    rem /= GEN_ACE_MENU_COUNT;
    for (uint32_t p = length - 1; p-- > 0;) {
        c->sync_after[p] = rem % 2 == 1;
        rem /= 2;
        c->menu[p] = (uint32_t)(rem % GEN_ACE_MENU_COUNT);
        rem /= GEN_ACE_MENU_COUNT;
    }
    ASSERT(rem == 0);
}

static void
ace_build_one(struct ace_build *b, uint32_t length, uint64_t index)
{
    memset(b->exists, 0, sizeof(b->exists));
    memset(b->size, 0, sizeof(b->size));
    b->label = false;
    b->trace.steps = b->steps;
    b->trace.count = 0;
    snprintf(b->trace.name, sizeof(b->trace.name), "ace-%" PRIu32 "-%" PRIu64, length, index);
    memset(&b->c, 0, sizeof(b->c));
    b->c.length = length;
    b->c.index = index;
    b->c.count = gen_ace_count(length);
    b->c.trace = &b->trace;
    ace_decode(length, index, &b->c);
    for (uint32_t p = 0; p < length; p++) {
        ace_core(b, &ace_menu[b->c.menu[p]]);
        b->c.core_step[p] = b->trace.count - 1;
        ASSERT(b->c.role[b->c.core_step[p]] == GEN_ACE_CORE);
        if (b->c.sync_after[p]) {
            ace_emit(b, GEN_ACE_PERSIST, TRACE_SYNC, "", "");
        }
    }
    ASSERT(b->steps[b->trace.count - 1].op == TRACE_SYNC);
}

int
gen_ace(uint32_t length, int (*fn)(void *arg, const struct gen_ace_case *c), void *arg)
{
    ASSERT(fn != NULL);
    uint64_t count = gen_ace_count(length);
    if (count == 0) {
        return FS_EINVAL;
    }
    struct ace_build *b = malloc(sizeof(*b));
    if (b == NULL) {
        return FS_ENOMEM;
    }
    int rc = 0;
    for (uint64_t i = 0; i < count && rc == 0; i++) {
        ace_build_one(b, length, i);
        rc = fn(arg, &b->c);
    }
    free(b);
    return rc;
}

int
gen_ace_write(FILE *out, const struct gen_ace_case *c)
{
    ASSERT(out != NULL && c != NULL);
    ASSERT(c->trace != NULL && c->trace->count <= GEN_ACE_STEPS_MAX);
    fprintf(out, "# %s: ACE workload %" PRIu64 " of the %" PRIu64 " of length %" PRIu32
            " (traces/GENERATORS.md).\n", c->trace->name, c->index, c->count, c->length);
    for (uint32_t p = 0; p < c->length; p++) {
        fprintf(out, "# core %" PRIu32 ": %s, then %s\n", p + 1, gen_ace_menu_name(c->menu[p]),
                c->sync_after[p] ? "sync" : "no persistence point");
    }
    fprintf(out, "# Steps marked dep make the next core operation valid. For a small image:\n"
            "# crashsim run FILE --image X --mkfs --size 1M --block-size 4K\n");
    char line[TRACE_LINE_MAX];
    uint32_t core = 0;
    for (uint32_t i = 0; i < c->trace->count; i++) {
        trace_step_format(&c->trace->steps[i], line, sizeof(line));
        core += c->role[i] == GEN_ACE_CORE;
        const char *what = c->role[i] == GEN_ACE_DEP ? "dep of core"
            : c->role[i] == GEN_ACE_CORE ? "core" : "persistence after core";
        fprintf(out, "%-32s # %s %" PRIu32 "\n", line,  what,
                c->role[i] == GEN_ACE_DEP ? core + 1 : core);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
