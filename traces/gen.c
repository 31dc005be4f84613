/*
 * traces/gen.c: the seeded random trace generator, gen_random (see gen.h and
 * traces/GENERATORS.md; the ACE enumeration is traces/ace.c).
 *
 * Method. One splitmix64 stream (traces/prng.h), seeded with the seed, drives
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
 * Ownership: the trace gen_random makes is the caller's (trace_free); the
 * view is freed before it returns.
 */
#include "gen.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../fs/base.h"
#include "prng.h"

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

/* Uniform in [0, n); n > 0. */
static uint64_t
gen_below(struct gen_rand *g, uint64_t n)
{
    ASSERT(n > 0);
    uint64_t v = prng_splitmix64(&g->x) % n;
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
    s->seed = prng_splitmix64(&g->x) >> 32;
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
            s->seed = prng_splitmix64(&g->x) >> 32;
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
