/*
 * traces/gen.c: trace generators (see gen.h and traces/GENERATORS.md).
 *
 * Method, gen_random. One splitmix64 stream, seeded with the seed, drives
 * every choice, so a seed names a trace. The generator keeps its own view of
 * the namespace (struct gen_node: every directory and file below the root,
 * by path, with file sizes) and of the snapshot labels. Each step picks a
 * kind by weight (gen_weights below: a sync about every 10 steps, a
 * snapshot step about every 25) and asks the kind's function to make a step
 * that is valid in the view; a kind that has nothing to act on (an overwrite
 * with no file holding data) declines, and another kind is drawn, at most
 * GEN_TRIES_MAX times before a tick (always valid) is written instead.
 * Deliberate failures are made only where the view proves the error (an
 * existing name for EEXIST, a non-empty directory for ENOTEMPTY, ...).
 *
 * Bounds: names come from fixed pools larger than what can exist at once
 * (directories d0..d4 with at most four directories, files f0..fN with at
 * most N files), so a free name can always be found; directories nest two
 * deep; no write or grow takes a file past size_max.
 *
 * Method, gen_ace. The sequence of index i is i written in mixed radix
 * (menu choice, persistence choice, menu choice, ...; the first operation
 * most significant). A small state (which of seven fixed paths exist, file
 * sizes, whether label s1 exists) is stepped along; before each core
 * operation the dependency steps that make it valid in that state, and give
 * it its intended shape, are emitted (GENERATORS.md lists the rules).
 */
#include "gen.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../fs/base.h"

#define GEN_DIR_COUNT_MAX   4u          /* Directories below the root at once. */
#define GEN_DIR_NAME_COUNT  5u          /* d0..d4: more than can exist in one directory. */
#define GEN_DIR_DEPTH_MAX   2u          /* /d0/d1 is as deep as directories go. */
#define GEN_LABEL_COUNT     4u          /* Immutable labels s0..s3. */
#define GEN_FORK_COUNT      2u          /* Forks k0..k1. */
#define GEN_NAME_COUNT      (GEN_LABEL_COUNT + GEN_FORK_COUNT)
#define GEN_NODE_MAX        (GEN_DIR_COUNT_MAX + GEN_FILES_MAX)
#define GEN_NODE_PATH_SIZE  32u         /* Bytes: "/d0/d1/f64" and its NUL fit. */
#define GEN_TRIES_MAX       32u         /* Kinds drawn for one step before a tick. */
#define GEN_NONE            UINT32_MAX  /* No node: the root, or not found. */
#define GEN_TICK_NS_MAX     1000000000u /* A tick moves the clock at most 1 s. */

STATIC_ASSERT(GEN_DIR_NAME_COUNT > GEN_DIR_COUNT_MAX, "a free directory name always exists");
STATIC_ASSERT(GEN_FILES_MAX <= 999u, "file names fit GEN_NODE_PATH_SIZE");

/* ---- gen_random ---- */

enum gen_kind {
    K_MKDIR, K_CREATE, K_APPEND, K_SPARSE, K_OVERWRITE, K_SHRINK, K_GROW, K_RM_FILE, K_RM_DIR,
    K_MV_FILE, K_MV_DIR, K_SYNC, K_TICK, K_SNAP, K_FAIL, K_COUNT
};

/* Relative frequencies, in percent. */
static const uint32_t gen_weights[K_COUNT] = {
    [K_MKDIR] = 5, [K_CREATE] = 12, [K_APPEND] = 14, [K_SPARSE] = 4, [K_OVERWRITE] = 16,
    [K_SHRINK] = 6, [K_GROW] = 4, [K_RM_FILE] = 6, [K_RM_DIR] = 2, [K_MV_FILE] = 7,
    [K_MV_DIR] = 2, [K_SYNC] = 10, [K_TICK] = 4, [K_SNAP] = 4, [K_FAIL] = 4,
};
#define GEN_WEIGHT_SUM 100u

struct gen_node {
    char path[GEN_NODE_PATH_SIZE];  /* Absolute path. */
    bool is_dir;                    /* A directory, else a file. */
    uint64_t size;                  /* Bytes (files). */
};

struct gen_rand {
    uint64_t x;                         /* splitmix64 state. */
    uint32_t file_count_max;            /* Files alive at once, at most. */
    uint64_t size_max;                  /* Bytes a file may reach. */
    struct gen_node node[GEN_NODE_MAX]; /* The namespace below the root, unordered. */
    uint32_t node_count;                /* Entries of node. */
    uint32_t file_count;                /* Files among them. */
    uint32_t dir_count;                 /* Directories among them. */
    bool name_used[GEN_NAME_COUNT];     /* Labels s0..s3 and forks k0..k1 that exist. */
    struct trace_step *s;               /* The step being made. */
};

static uint64_t
gen_rnd(struct gen_rand *g)
{
    uint64_t z = (g->x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static uint64_t
gen_below(struct gen_rand *g, uint64_t n)
{
    ASSERT(n > 0);
    uint64_t v = gen_rnd(g) % n;
    ASSERT(v < n);
    return v;
}

static uint32_t
gen_find(const struct gen_rand *g, const char *path)
{
    ASSERT(path[0] == '/');
    for (uint32_t i = 0; i < g->node_count; i++) {
        if (strcmp(g->node[i].path, path) == 0) {
            return i;
        }
    }
    return GEN_NONE;
}

/* The parent directory's path of node i ("" for the root). */
static void
gen_parent(const struct gen_rand *g, uint32_t i, char *buf)
{
    ASSERT(i < g->node_count);
    const char *slash = strrchr(g->node[i].path, '/');
    ASSERT(slash != NULL);
    size_t n = (size_t)(slash - g->node[i].path);
    memcpy(buf, g->node[i].path, n);
    buf[n] = '\0';
}

static uint32_t
gen_depth(const char *path)
{
    uint32_t d = 0;
    for (const char *p = path; *p != '\0'; p++) {
        d += *p == '/';
    }
    return d;
}

/* True if directory dir ("" for the root) holds an entry. */
static bool
gen_has_children(const struct gen_rand *g, const char *dir)
{
    size_t n = strlen(dir);
    for (uint32_t i = 0; i < g->node_count; i++) {
        if (strncmp(g->node[i].path, dir, n) == 0 && g->node[i].path[n] == '/') {
            return true;
        }
    }
    return false;
}

/* A random node index for which ok() holds, or GEN_NONE. */
static uint32_t
gen_pick(struct gen_rand *g, bool (*ok)(const struct gen_rand *g, const struct gen_node *n))
{
    uint32_t cand[GEN_NODE_MAX];
    uint32_t count = 0;
    for (uint32_t i = 0; i < g->node_count; i++) {
        if (ok(g, &g->node[i])) {
            cand[count++] = i;
        }
    }
    ASSERT(count <= GEN_NODE_MAX);
    return count == 0 ? GEN_NONE : cand[gen_below(g, count)];
}

static bool
ok_file(const struct gen_rand *g, const struct gen_node *n)
{
    (void)g;
    return !n->is_dir;
}

static bool
ok_file_data(const struct gen_rand *g, const struct gen_node *n)
{
    (void)g;
    return !n->is_dir && n->size > 0;
}

static bool
ok_file_room(const struct gen_rand *g, const struct gen_node *n)
{
    return !n->is_dir && n->size < g->size_max;
}

static bool
ok_file_hole(const struct gen_rand *g, const struct gen_node *n)
{
    return !n->is_dir && g->size_max - n->size >= 2;    /* A hole byte and a data byte. */
}

static bool
ok_dir(const struct gen_rand *g, const struct gen_node *n)
{
    (void)g;
    return n->is_dir;
}

static bool
ok_dir_empty(const struct gen_rand *g, const struct gen_node *n)
{
    return n->is_dir && !gen_has_children(g, n->path);
}

static bool
ok_dir_full(const struct gen_rand *g, const struct gen_node *n)
{
    return n->is_dir && gen_has_children(g, n->path);
}

static bool
ok_dir_parent(const struct gen_rand *g, const struct gen_node *n)
{
    (void)g;
    return n->is_dir && gen_depth(n->path) < GEN_DIR_DEPTH_MAX;
}

/* "dir/<prefix><k>" for the first free k from a random start among count. */
static void
gen_free_name(struct gen_rand *g, const char *dir, char prefix, uint32_t count, char *out)
{
    ASSERT(count > 0);
    uint32_t start = (uint32_t)gen_below(g, count);
    for (uint32_t k = 0; k < count; k++) {
        snprintf(out, GEN_NODE_PATH_SIZE, "%s/%c%" PRIu32, dir, prefix, (start + k) % count);
        if (gen_find(g, out) == GEN_NONE) {
            return;
        }
    }
    ASSERT(!"the name pools are larger than what can exist");
}

static struct trace_step *
gen_step(struct gen_rand *g, enum trace_op op, const char *path, const char *path2)
{
    struct trace_step *s = g->s;
    ASSERT(strlen(path) < TRACE_PATH_MAX);
    ASSERT(path2 == NULL || strlen(path2) < TRACE_PATH_MAX);
    s->op = op;
    snprintf(s->path, sizeof(s->path), "%s", path);
    snprintf(s->path2, sizeof(s->path2), "%s", path2 != NULL ? path2 : "");
    return s;
}

static void
gen_add(struct gen_rand *g, const char *path, bool is_dir)
{
    ASSERT(g->node_count < GEN_NODE_MAX);
    ASSERT(gen_find(g, path) == GEN_NONE);
    struct gen_node *n = &g->node[g->node_count++];
    snprintf(n->path, sizeof(n->path), "%s", path);
    n->is_dir = is_dir;
    n->size = 0;
    g->dir_count += is_dir;
    g->file_count += !is_dir;
}

static void
gen_del(struct gen_rand *g, uint32_t i)
{
    ASSERT(i < g->node_count);
    ASSERT(!g->node[i].is_dir || !gen_has_children(g, g->node[i].path));
    g->dir_count -= g->node[i].is_dir;
    g->file_count -= !g->node[i].is_dir;
    g->node[i] = g->node[--g->node_count];
}

/* A write length for room bytes (> 0): small, medium or large, at random. */
static uint64_t
gen_length(struct gen_rand *g, uint64_t room)
{
    static const uint64_t caps[] = { 512, 16384, GEN_SIZE_MAX };
    ASSERT(room > 0);
    uint64_t cap = caps[gen_below(g, FS_ARRAY_COUNT(caps))];
    cap = FS_MIN(cap, room);
    uint64_t n = 1 + gen_below(g, cap);
    ASSERT(n <= room);
    return n;
}

static void
gen_write(struct gen_rand *g, uint32_t i, uint64_t off, uint64_t len)
{
    ASSERT(off + len <= g->size_max);
    ASSERT(len > 0);
    struct trace_step *s = gen_step(g, TRACE_WRITE, g->node[i].path, NULL);
    s->offset = off;
    s->length = len;
    s->seed = gen_rnd(g) >> 32;
    g->node[i].size = FS_MAX(g->node[i].size, off + len);
}

/* ---- The kinds of step; each returns false if it has nothing to act on. ---- */

static bool
gen_mkdir(struct gen_rand *g)
{
    if (g->dir_count >= GEN_DIR_COUNT_MAX) {
        return false;
    }
    uint32_t p = gen_below(g, 3) == 0 ? gen_pick(g, ok_dir_parent) : GEN_NONE;
    char path[GEN_NODE_PATH_SIZE];
    gen_free_name(g, p == GEN_NONE ? "" : g->node[p].path, 'd', GEN_DIR_NAME_COUNT, path);
    gen_step(g, TRACE_MKDIR, path, NULL);
    gen_add(g, path, true);
    return true;
}

static bool
gen_create(struct gen_rand *g)
{
    if (g->file_count >= g->file_count_max) {
        return false;
    }
    uint32_t p = gen_below(g, 2) == 0 ? gen_pick(g, ok_dir) : GEN_NONE;
    char path[GEN_NODE_PATH_SIZE];
    gen_free_name(g, p == GEN_NONE ? "" : g->node[p].path, 'f', g->file_count_max + 1, path);
    gen_step(g, TRACE_CREATE, path, NULL);
    gen_add(g, path, false);
    return true;
}

/* A write at the end of a file. */
static bool
gen_append(struct gen_rand *g)
{
    uint32_t i = gen_pick(g, ok_file_room);
    if (i == GEN_NONE) {
        return false;
    }
    uint64_t size = g->node[i].size;
    gen_write(g, i, size, gen_length(g, g->size_max - size));
    return true;
}

/* A write that starts past the end of a file, leaving a hole. */
static bool
gen_sparse(struct gen_rand *g)
{
    uint32_t i = gen_pick(g, ok_file_hole);
    if (i == GEN_NONE) {
        return false;
    }
    uint64_t size = g->node[i].size;
    uint64_t off = size + 1 + gen_below(g, g->size_max - size - 1);
    ASSERT(off < g->size_max);
    gen_write(g, i, off, gen_length(g, g->size_max - off));
    return true;
}

/* A write that starts inside the data of a file; one in four may run past
 * the end (extending the file), the others stay inside. */
static bool
gen_overwrite(struct gen_rand *g)
{
    uint32_t i = gen_pick(g, ok_file_data);
    if (i == GEN_NONE) {
        return false;
    }
    uint64_t size = g->node[i].size;
    uint64_t off = gen_below(g, size);
    bool inside = gen_below(g, 4) != 0;
    gen_write(g, i, off, gen_length(g, (inside ? size : g->size_max) - off));
    ASSERT(!inside || g->node[i].size == size);
    return true;
}

static bool
gen_truncate(struct gen_rand *g, bool grow)
{
    uint32_t i = gen_pick(g, grow ? ok_file_room : ok_file_data);
    if (i == GEN_NONE) {
        return false;
    }
    uint64_t size = g->node[i].size;
    uint64_t to = grow ? size + 1 + gen_below(g, g->size_max - size) : gen_below(g, size);
    ASSERT(to <= g->size_max);
    ASSERT(to != size);
    gen_step(g, TRACE_TRUNCATE, g->node[i].path, NULL)->length = to;
    g->node[i].size = to;
    return true;
}

static bool
gen_rm(struct gen_rand *g, bool dir)
{
    uint32_t i = gen_pick(g, dir ? ok_dir_empty : ok_file);
    if (i == GEN_NONE) {
        return false;
    }
    gen_step(g, TRACE_RM, g->node[i].path, NULL);
    gen_del(g, i);
    return true;
}

/* Renames node i to to, and a directory's descendants with it. */
static void
gen_rename(struct gen_rand *g, uint32_t i, const char *to)
{
    char from[GEN_NODE_PATH_SIZE];
    snprintf(from, sizeof(from), "%s", g->node[i].path);
    size_t n = strlen(from);
    for (uint32_t k = 0; k < g->node_count; k++) {
        char *p = g->node[k].path;
        if (k == i || (strncmp(p, from, n) == 0 && p[n] == '/')) {
            char tail[GEN_NODE_PATH_SIZE];
            snprintf(tail, sizeof(tail), "%s", p + n);
            int w = snprintf(p, GEN_NODE_PATH_SIZE, "%s%s", to, tail);
            ASSERT(w > 0 && (uint32_t)w < GEN_NODE_PATH_SIZE);
        }
    }
}

static bool
gen_mv(struct gen_rand *g, bool dir)
{
    uint32_t i = gen_pick(g, dir ? ok_dir : ok_file);
    if (i == GEN_NONE) {
        return false;
    }
    char parent[GEN_NODE_PATH_SIZE], to[GEN_NODE_PATH_SIZE];
    gen_parent(g, i, parent);
    gen_free_name(g, parent, dir ? 'd' : 'f', dir ? GEN_DIR_NAME_COUNT : g->file_count_max + 1,
            to);
    gen_step(g, TRACE_MV, g->node[i].path, to);
    gen_rename(g, i, to);
    return true;
}

static bool
gen_tick(struct gen_rand *g)
{
    gen_step(g, TRACE_TICK, "", NULL)->ns = 1 + gen_below(g, GEN_TICK_NS_MAX);
    return true;
}

static bool
gen_sync(struct gen_rand *g)
{
    gen_step(g, TRACE_SYNC, "", NULL);
    return true;
}

/* Label names: s0..s3 are immutable labels, k0..k1 forks. */
static void
gen_label_name(uint32_t k, char *buf, size_t size)
{
    ASSERT(k < GEN_NAME_COUNT);
    if (k < GEN_LABEL_COUNT) {
        snprintf(buf, size, "s%" PRIu32, k);
    } else {
        snprintf(buf, size, "k%" PRIu32, k - GEN_LABEL_COUNT);
    }
}

/* A random existing name index (GEN_NAME_COUNT stands for main), or GEN_NONE. */
static uint32_t
gen_pick_label(struct gen_rand *g, bool with_main)
{
    uint32_t cand[GEN_NAME_COUNT + 1];
    uint32_t count = 0;
    for (uint32_t k = 0; k < GEN_NAME_COUNT; k++) {
        if (g->name_used[k]) {
            cand[count++] = k;
        }
    }
    if (with_main) {
        cand[count++] = GEN_NAME_COUNT;
    }
    ASSERT(count <= GEN_NAME_COUNT + 1);
    return count == 0 ? GEN_NONE : cand[gen_below(g, count)];
}

static void
gen_label_or_main(uint32_t k, char *buf, size_t size)
{
    if (k == GEN_NAME_COUNT) {
        snprintf(buf, size, "main");
    } else {
        gen_label_name(k, buf, size);
    }
}

/* A free name index in [lo, hi), from a random start, or GEN_NONE. */
static uint32_t
gen_free_label(struct gen_rand *g, uint32_t lo, uint32_t hi)
{
    ASSERT(lo < hi && hi <= GEN_NAME_COUNT);
    uint32_t start = (uint32_t)gen_below(g, hi - lo);
    for (uint32_t t = 0; t < hi - lo; t++) {
        uint32_t k = lo + (start + t) % (hi - lo);
        if (!g->name_used[k]) {
            return k;
        }
    }
    return GEN_NONE;
}

/* A label of any existing name (main included), a fork, or a deletion. */
static bool
gen_snap(struct gen_rand *g)
{
    uint32_t action = (uint32_t)gen_below(g, 3);    /* 0 label, 1 fork, 2 delete. */
    char from[16], name[16];
    if (action < 2) {
        uint32_t k = action == 0 ? gen_free_label(g, 0, GEN_LABEL_COUNT)
            : gen_free_label(g, GEN_LABEL_COUNT, GEN_NAME_COUNT);
        if (k != GEN_NONE) {
            gen_label_or_main(gen_pick_label(g, true), from, sizeof(from));
            gen_label_name(k, name, sizeof(name));
            gen_step(g, action == 0 ? TRACE_SNAP_LABEL : TRACE_SNAP_FORK, from, name);
            g->name_used[k] = true;
            return true;
        }
    }
    uint32_t k = gen_pick_label(g, false);
    if (k == GEN_NONE) {
        return false;
    }
    gen_label_name(k, name, sizeof(name));
    gen_step(g, TRACE_SNAP_DELETE, name, NULL);
    g->name_used[k] = false;
    return true;
}

/* mv of a file into another directory: FS_EXDEV. */
static bool
gen_fail_xdev(struct gen_rand *g)
{
    uint32_t i = gen_pick(g, ok_file);
    if (i == GEN_NONE || g->dir_count == 0) {
        return false;
    }
    char parent[GEN_NODE_PATH_SIZE], to[GEN_NODE_PATH_SIZE];
    gen_parent(g, i, parent);
    uint32_t d = gen_pick(g, ok_dir);
    ASSERT(d != GEN_NONE);
    /* d, or the root when d is the file's own directory. */
    const char *dir = strcmp(g->node[d].path, parent) == 0 ? "" : g->node[d].path;
    ASSERT(strcmp(dir, parent) != 0);
    gen_free_name(g, dir, 'f', g->file_count_max + 1, to);
    gen_step(g, TRACE_MV, g->node[i].path, to)->expect = FS_EXDEV;
    return true;
}

/* mv of a file onto another file of its directory: FS_EEXIST. */
static bool
gen_fail_mv_exists(struct gen_rand *g)
{
    uint32_t i = gen_pick(g, ok_file);
    if (i == GEN_NONE) {
        return false;
    }
    char pi[GEN_NODE_PATH_SIZE], pj[GEN_NODE_PATH_SIZE];
    gen_parent(g, i, pi);
    for (uint32_t j = 0; j < g->node_count; j++) {
        gen_parent(g, j, pj);
        if (j != i && strcmp(pi, pj) == 0) {
            gen_step(g, TRACE_MV, g->node[i].path, g->node[j].path)->expect = FS_EEXIST;
            return true;
        }
    }
    return false;
}

#define GEN_FAIL_COUNT 11u

/* Makes failure number which, if the view has what it needs (else false). */
static bool
gen_fail_one(struct gen_rand *g, uint32_t which)
{
    ASSERT(which < GEN_FAIL_COUNT);
    char path[GEN_NODE_PATH_SIZE + 2];      /* A node path and "/x". */
    uint32_t i = GEN_NONE;
    switch (which) {
    case 0:
        gen_free_name(g, "", 'f', g->file_count_max + 1, path);
        gen_step(g, TRACE_RM, path, NULL)->expect = FS_ENOENT;
        return true;
    case 1:
        if ((i = gen_pick(g, ok_dir)) != GEN_NONE) {
            gen_step(g, TRACE_MKDIR, g->node[i].path, NULL)->expect = FS_EEXIST;
        }
        break;
    case 2:
        if ((i = gen_pick(g, ok_file)) != GEN_NONE) {
            gen_step(g, TRACE_CREATE, g->node[i].path, NULL)->expect = FS_EEXIST;
        }
        break;
    case 3:
        if ((i = gen_pick(g, ok_dir_full)) != GEN_NONE) {
            gen_step(g, TRACE_RM, g->node[i].path, NULL)->expect = FS_ENOTEMPTY;
        }
        break;
    case 4:
        if ((i = gen_pick(g, ok_dir)) != GEN_NONE) {
            struct trace_step *s = gen_step(g, TRACE_WRITE, g->node[i].path, NULL);
            s->length = 1 + gen_below(g, 4096);
            s->seed = gen_rnd(g) >> 32;
            s->expect = FS_EISDIR;
        }
        break;
    case 5:
        return gen_fail_xdev(g);
    case 6:
        return gen_fail_mv_exists(g);
    case 7:
        gen_step(g, TRACE_SNAP_DELETE, "main", NULL)->expect = FS_EPERM;
        return true;
    case 8:
        gen_step(g, TRACE_SNAP_LABEL, "main", "main")->expect = FS_EEXIST;
        return true;
    case 9:
        if ((i = gen_pick(g, ok_file)) != GEN_NONE) {
            snprintf(path, sizeof(path), "%s/x", g->node[i].path);
            gen_step(g, TRACE_CREATE, path, NULL)->expect = FS_ENOTDIR;
        }
        break;
    default:
        if ((i = gen_pick(g, ok_dir)) != GEN_NONE) {
            gen_step(g, TRACE_TRUNCATE, g->node[i].path, NULL)->expect = FS_EISDIR;
        }
        break;
    }
    return i != GEN_NONE;
}

/* A step that must fail, with the error the view proves. */
static bool
gen_fail(struct gen_rand *g)
{
    uint32_t which = (uint32_t)gen_below(g, GEN_FAIL_COUNT);
    for (uint32_t t = 0; t < GEN_FAIL_COUNT; t++) {
        if (gen_fail_one(g, (which + t) % GEN_FAIL_COUNT)) {
            ASSERT(g->s->expect != 0);
            return true;
        }
    }
    ASSERT(!"failure 0 always applies");
    return false;
}

static bool
gen_kind_run(struct gen_rand *g, enum gen_kind k)
{
    ASSERT(k < K_COUNT);
    ASSERT(g->s != NULL);
    switch (k) {
    case K_MKDIR:       return gen_mkdir(g);
    case K_CREATE:      return gen_create(g);
    case K_APPEND:      return gen_append(g);
    case K_SPARSE:      return gen_sparse(g);
    case K_OVERWRITE:   return gen_overwrite(g);
    case K_SHRINK:      return gen_truncate(g, false);
    case K_GROW:        return gen_truncate(g, true);
    case K_RM_FILE:     return gen_rm(g, false);
    case K_RM_DIR:      return gen_rm(g, true);
    case K_MV_FILE:     return gen_mv(g, false);
    case K_MV_DIR:      return gen_mv(g, true);
    case K_SYNC:        return gen_sync(g);
    case K_TICK:        return gen_tick(g);
    case K_SNAP:        return gen_snap(g);
    default:            return gen_fail(g);
    }
}

static enum gen_kind
gen_draw(struct gen_rand *g)
{
    uint32_t w = (uint32_t)gen_below(g, GEN_WEIGHT_SUM);
    for (uint32_t k = 0; k < K_COUNT; k++) {
        if (w < gen_weights[k]) {
            return (enum gen_kind)k;
        }
        w -= gen_weights[k];
    }
    ASSERT(!"the weights sum to GEN_WEIGHT_SUM");
    return K_TICK;
}

/* One step into g->s: a kind drawn by weight that has something to act on. */
static void
gen_random_step(struct gen_rand *g)
{
    for (uint32_t t = 0; t < GEN_TRIES_MAX; t++) {
        memset(g->s, 0, sizeof(*g->s));
        if (gen_kind_run(g, gen_draw(g))) {
            return;
        }
    }
    memset(g->s, 0, sizeof(*g->s));
    gen_tick(g);
}

int
gen_random(uint64_t seed, uint32_t op_count, uint32_t file_count, uint64_t size_max,
        struct trace *out)
{
    ASSERT(out != NULL);
    memset(out, 0, sizeof(*out));
    if (op_count > GEN_STEPS_MAX || file_count < 1 || file_count > GEN_FILES_MAX
            || size_max < 1 || size_max > GEN_SIZE_MAX) {
        return FS_EINVAL;
    }
    struct gen_rand *g = calloc(1, sizeof(*g));
    struct trace_step *steps = calloc(FS_MAX(op_count, 1u), sizeof(*steps));
    if (g == NULL || steps == NULL) {
        free(g);
        free(steps);
        return FS_ENOMEM;
    }
    g->x = seed;
    g->file_count_max = file_count;
    g->size_max = size_max;
    for (uint32_t i = 0; i < op_count; i++) {
        g->s = &steps[i];
        gen_random_step(g);
        steps[i].line = i + 1;
        steps[i].column = 1;
        ASSERT(g->file_count <= file_count);
    }
    out->steps = steps;
    out->count = op_count;
    snprintf(out->name, sizeof(out->name), "random:seed=%" PRIu64, seed);
    free(g);
    return 0;
}

/* ---- gen_ace ---- */

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
