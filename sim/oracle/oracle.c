/*
 * sim/oracle/oracle.c: the oracle's semantics (see oracle.h): the representation
 * of an oracle, what every step must return and what it changes, and read-only
 * inspection.
 *
 * Method. The state is a set of labels, each naming the root of a tree of
 * nodes; the mounted one ("main" unless oracle_mount chose another) is the
 * only one steps change, and only if it is mutable. A node is a directory
 * (entries sorted by name bytes, a shorter name first on a tie) or a file (a
 * size and the bytes it was written, in fixed chunks of MODEL_CHUNK_SIZE; a
 * missing chunk is a hole and reads as zeros). Nodes are
 * reference counted: a label made from another, or a clone of the oracle,
 * takes a reference to the same root, and a mutation first copies every
 * shared node on its path (node_own), so nothing reachable from another
 * holder ever changes.
 *
 * Invariant: the bytes of a file at or past its size are zero in every
 * chunk, so a grow reads zeros and the digest of a chunk does not depend on
 * how the size got where it is.
 *
 * The semantics, from fs/fs.h and the design (GEFS.md):
 *   - Paths are absolute. Elements are checked left to right: after a
 *     missing element the next one is FS_ENOENT, after a file FS_ENOTDIR; an
 *     element that is empty, "." or "..", or holds a control character
 *     (below 0x20, or DEL 0x7f: Plan 9's "frog" characters) is FS_EINVAL, one
 *     longer than FS_NAME_MAX bytes FS_ENAMETOOLONG; a trailing slash is
 *     FS_EINVAL. "/" names the root, which exists.
 *   - mkdir/create: FS_EEXIST if the name exists ("/" included).
 *   - write and truncate: FS_ENOENT, FS_EISDIR on a directory (the root
 *     too), then FS_EFBIG past FS_FILE_SIZE_MAX. A write of zero bytes
 *     changes nothing (not even the size).
 *   - rm: FS_EPERM for "/", FS_ENOTEMPTY for a directory with entries.
 *   - mv: both paths resolve first (the source's error wins); then FS_ENOENT
 *     if the source is missing, FS_EPERM for the root as source, FS_EEXIST
 *     for "/" as target, FS_EXDEV if the parents differ, FS_EEXIST if the
 *     target exists under another name, and success without change if both
 *     names are equal. A moved directory keeps its children.
 *   - snap label/fork FROM NEW: NEW's name, then FROM's name, are checked
 *     by the element rules ('/' forbidden); FS_EEXIST if NEW exists, then
 *     FS_ENOENT if FROM does not. The new label is a frozen copy of FROM's
 *     state: immutable for label, mutable for fork. snap delete NAME: name
 *     rules, FS_EPERM for the mounted label, FS_ENOENT if missing.
 *   - mount NAME: FS_EINVAL for a name longer than FS_NAME_MAX (fs_mount's
 *     rule), FS_ENOENT if no label has it; then NAME is the mounted label
 *     (oracle_mount), whose tree later steps change.
 *   - sync and tick change nothing visible.
 *   - With an immutable label mounted, every step that would change the
 *     namespace is FS_EROFS before its paths are looked at.
 *
 * Files. The oracle is five files, one seam each; they share oracle_impl.h
 * (the representation and the helpers one file defines for the others), and
 * everything else is static in its file:
 *   - oracle.c (this file): nodes, labels, the life cycle, the semantics of
 *     every step (oracle_expect, oracle_apply, oracle_step) and inspection
 *     (oracle_counts, oracle_walk, oracle_label_at, oracle_read). It is the
 *     only file that changes an oracle;
 *   - digest.c: the canonical digest, of an oracle and of a mounted fs;
 *   - diff.c: how a mounted fs differs from an oracle, in sentences;
 *   - path.c: the path buffer of the walks;
 *   - fsread.c: a mounted fs read through its public API in the oracle's
 *     canonical order, for digest.c and diff.c.
 */
#include "oracle_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_MOUNTED "main"            /* The label mounted at first. */

/* ---- Memory: the oracle is harness code; running out of memory is fatal. ---- */

void *
oracle_realloc(void *p, size_t size)
{
    void *q = realloc(p, size > 0 ? size : 1);
    ASSERT(q != NULL);
    return q;
}

char *
oracle_strndup(const char *s, size_t n)
{
    char *p = oracle_realloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- Names. ---- */

int
oracle_name_cmp(const char *a, size_t na, const char *b, size_t nb)
{
    int c = memcmp(a, b, na < nb ? na : nb);
    if (c != 0) {
        return c;
    }
    return na < nb ? -1 : na > nb ? 1 : 0;
}

/* The rules for one path element or label name of n bytes. */
static int
name_check(const char *s, size_t n)
{
    if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.')) {
        return FS_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == '/') {
            return FS_EINVAL;
        }
    }
    return n > FS_NAME_MAX ? FS_ENAMETOOLONG : 0;
}

/* ---- Nodes. ---- */

static struct mnode *
node_new(bool is_dir)
{
    struct mnode *n = oracle_realloc(NULL, sizeof(*n));
    memset(n, 0, sizeof(*n));
    n->ref = 1;
    n->is_dir = is_dir;
    return n;
}

static struct mnode *
node_get(struct mnode *n)
{
    ASSERT(n->ref > 0);
    n->ref++;
    return n;
}

static void
node_put(struct mnode *n)
{
    ASSERT(n->ref > 0);
    if (--n->ref > 0) {
        return;
    }
    for (uint32_t i = 0; i < n->ent_count; i++) {
        free(n->ents[i].name);
        node_put(n->ents[i].node);
    }
    for (uint32_t i = 0; i < n->chunk_count; i++) {
        free(n->chunks[i].bytes);
    }
    free(n->ents);
    free(n->chunks);
    free(n);
}

/* A private copy of a shared node: entries share their children, chunks are copied. */
static struct mnode *
node_copy(const struct mnode *o)
{
    struct mnode *n = node_new(o->is_dir);
    n->size = o->size;
    n->ent_count = n->ent_cap = o->ent_count;
    n->ents = oracle_realloc(NULL, o->ent_count * sizeof(struct mentry));
    for (uint32_t i = 0; i < o->ent_count; i++) {
        n->ents[i].name = oracle_strndup(o->ents[i].name, o->ents[i].nlen);
        n->ents[i].nlen = o->ents[i].nlen;
        n->ents[i].node = node_get(o->ents[i].node);
    }
    n->digested = o->digested;
    n->digest = o->digest;
    n->chunk_count = n->chunk_cap = o->chunk_count;
    n->chunks = oracle_realloc(NULL, o->chunk_count * sizeof(struct mchunk));
    for (uint32_t i = 0; i < o->chunk_count; i++) {
        n->chunks[i].index = o->chunks[i].index;
        n->chunks[i].bytes = oracle_realloc(NULL, MODEL_CHUNK_SIZE);
        memcpy(n->chunks[i].bytes, o->chunks[i].bytes, MODEL_CHUNK_SIZE);
    }
    return n;
}

/* Makes *slot a node only this holder references, copying it if shared. */
static struct mnode *
node_own(struct mnode **slot)
{
    ASSERT(*slot != NULL);
    if ((*slot)->ref > 1) {
        struct mnode *c = node_copy(*slot);
        node_put(*slot);
        *slot = c;
    }
    ASSERT((*slot)->ref == 1);
    return *slot;
}

/* ---- Directories. ---- */

/* The one binary search of the oracle's sorted arrays: the index of the
 * element cmp(ctx, i) calls equal (true), or of the first above the key,
 * where it would go (false). cmp < 0: element i is below the key. */
static bool
sorted_find(uint32_t count, const void *ctx, int (*cmp)(const void *ctx, uint32_t i),
        uint32_t *index)
{
    uint32_t lo = 0, hi = count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = cmp(ctx, mid);
        if (c == 0) {
            *index = mid;
            return true;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    ASSERT(lo <= count);
    *index = lo;
    return false;
}

struct name_key {
    const void *array;          /* The entries or labels searched. */
    const char *name;           /* The name sought. */
    size_t nlen;                /* Its bytes. */
};

static int
dir_cmp(const void *ctx, uint32_t i)
{
    const struct name_key *k = ctx;
    const struct mnode *dir = k->array;
    return oracle_name_cmp(dir->ents[i].name, dir->ents[i].nlen, k->name, k->nlen);
}

/* Index of name in dir, or where it would go; true if it is there. */
static bool
dir_find(const struct mnode *dir, const char *name, size_t nlen, uint32_t *index)
{
    ASSERT(dir->is_dir);
    struct name_key k = { dir, name, nlen };
    return sorted_find(dir->ent_count, &k, dir_cmp, index);
}

static const struct mnode *
dir_lookup(const struct mnode *dir, const char *name, size_t nlen)
{
    uint32_t i;
    return dir_find(dir, name, nlen, &i) ? dir->ents[i].node : NULL;
}

/* Adds an entry holding node (the reference passes to the directory). */
static void
dir_insert(struct mnode *dir, const char *name, size_t nlen, struct mnode *node)
{
    ASSERT(dir->ref == 1);
    uint32_t i;
    bool found = dir_find(dir, name, nlen, &i);
    ASSERT(!found);
    if (dir->ent_count == dir->ent_cap) {
        dir->ent_cap = dir->ent_cap ? 2 * dir->ent_cap : 8;
        dir->ents = oracle_realloc(dir->ents, dir->ent_cap * sizeof(struct mentry));
    }
    memmove(&dir->ents[i + 1], &dir->ents[i], (dir->ent_count - i) * sizeof(struct mentry));
    dir->ents[i] = (struct mentry){ oracle_strndup(name, nlen), nlen, node };
    dir->ent_count++;
}

/* Removes an entry; returns its node reference to the caller. */
static struct mnode *
dir_take(struct mnode *dir, const char *name, size_t nlen)
{
    ASSERT(dir->ref == 1);
    uint32_t i;
    bool found = dir_find(dir, name, nlen, &i);
    ASSERT(found);
    struct mnode *node = dir->ents[i].node;
    free(dir->ents[i].name);
    memmove(&dir->ents[i], &dir->ents[i + 1], (dir->ent_count - i - 1) * sizeof(struct mentry));
    dir->ent_count--;
    return node;
}

/* ---- Files. ---- */

struct chunk_key {
    const struct mnode *file;   /* The file searched. */
    uint64_t index;             /* The chunk index sought. */
};

static int
chunk_cmp(const void *ctx, uint32_t i)
{
    const struct chunk_key *k = ctx;
    uint64_t have = k->file->chunks[i].index;
    return have < k->index ? -1 : have > k->index;
}

static bool
chunk_find(const struct mnode *f, uint64_t index, uint32_t *at)
{
    struct chunk_key k = { f, index };
    return sorted_find(f->chunk_count, &k, chunk_cmp, at);
}

/* The bytes of chunk index, created zero-filled if it is a hole. */
static uint8_t *
chunk_get(struct mnode *f, uint64_t index)
{
    ASSERT(!f->is_dir && f->ref == 1);
    uint32_t at;
    if (chunk_find(f, index, &at)) {
        return f->chunks[at].bytes;
    }
    if (f->chunk_count == f->chunk_cap) {
        f->chunk_cap = f->chunk_cap ? 2 * f->chunk_cap : 4;
        f->chunks = oracle_realloc(f->chunks, f->chunk_cap * sizeof(struct mchunk));
    }
    memmove(&f->chunks[at + 1], &f->chunks[at], (f->chunk_count - at) * sizeof(struct mchunk));
    uint8_t *bytes = oracle_realloc(NULL, MODEL_CHUNK_SIZE);
    memset(bytes, 0, MODEL_CHUNK_SIZE);
    f->chunks[at] = (struct mchunk){ index, bytes };
    f->chunk_count++;
    return bytes;
}

/* Chunk index's bytes, or NULL for a hole. */
const uint8_t *
oracle_chunk_peek(const struct mnode *f, uint64_t index)
{
    uint32_t at;
    return chunk_find(f, index, &at) ? f->chunks[at].bytes : NULL;
}

/* Writes len bytes of trace data (seed) at off. */
static void
file_write(struct mnode *f, uint64_t off, uint64_t len, uint64_t seed)
{
    ASSERT(off <= FS_FILE_SIZE_MAX && len <= FS_FILE_SIZE_MAX - off);
    f->digested = false;
    for (uint64_t done = 0; done < len;) {
        uint64_t at = off + done;
        uint32_t in = (uint32_t)(at % MODEL_CHUNK_SIZE);
        uint64_t n = MODEL_CHUNK_SIZE - in < len - done ? MODEL_CHUNK_SIZE - in : len - done;
        trace_fill(seed, done, chunk_get(f, at / MODEL_CHUNK_SIZE) + in, (size_t)n);
        done += n;
    }
    if (len > 0 && off + len > f->size) {
        f->size = off + len;
    }
}

/* Sets the size; a shrink drops whole chunks past it and zeroes the tail of
 * the last one, keeping the invariant that bytes past the size are zero. */
static void
file_truncate(struct mnode *f, uint64_t size)
{
    ASSERT(!f->is_dir && f->ref == 1);
    f->digested = false;
    if (size < f->size) {
        uint64_t keep = (size + MODEL_CHUNK_SIZE - 1) / MODEL_CHUNK_SIZE;
        uint32_t at;
        (void)chunk_find(f, keep, &at);
        for (uint32_t i = at; i < f->chunk_count; i++) {
            free(f->chunks[i].bytes);
        }
        f->chunk_count = at;
        uint32_t in = (uint32_t)(size % MODEL_CHUNK_SIZE);
        uint32_t last;
        if (in != 0 && chunk_find(f, size / MODEL_CHUNK_SIZE, &last)) {
            memset(f->chunks[last].bytes + in, 0, MODEL_CHUNK_SIZE - in);
        }
    }
    f->size = size;
}

static void
file_read(const struct mnode *f, uint64_t off, uint8_t *buf, size_t len, size_t *done)
{
    *done = 0;
    if (off >= f->size) {
        return;
    }
    uint64_t n = f->size - off < len ? f->size - off : len;
    for (uint64_t i = 0; i < n;) {
        uint64_t at = off + i;
        uint32_t in = (uint32_t)(at % MODEL_CHUNK_SIZE);
        uint64_t k = MODEL_CHUNK_SIZE - in < n - i ? MODEL_CHUNK_SIZE - in : n - i;
        const uint8_t *c = oracle_chunk_peek(f, at / MODEL_CHUNK_SIZE);
        if (c != NULL) {
            memcpy(buf + i, c + in, (size_t)k);
        } else {
            memset(buf + i, 0, (size_t)k);
        }
        i += k;
    }
    *done = (size_t)n;
}

/* ---- Labels. ---- */

static int
label_cmp(const void *ctx, uint32_t i)
{
    const struct name_key *k = ctx;
    const struct oracle *m = k->array;
    const char *ln = m->labels[i].name;
    return oracle_name_cmp(ln, strlen(ln), k->name, k->nlen);
}

static bool
label_find(const struct oracle *m, const char *name, uint32_t *index)
{
    struct name_key k = { m, name, strlen(name) };
    return sorted_find(m->label_count, &k, label_cmp, index);
}

static struct mlabel *
label_get(const struct oracle *m, const char *name)
{
    uint32_t i;
    return label_find(m, name, &i) ? &m->labels[i] : NULL;
}

/* Adds a label over root (the reference passes to the label). */
static void
label_add(struct oracle *m, const char *name, bool mutable, struct mnode *root)
{
    uint32_t i;
    bool found = label_find(m, name, &i);
    ASSERT(!found);
    if (m->label_count == m->label_cap) {
        m->label_cap = m->label_cap ? 2 * m->label_cap : 4;
        m->labels = oracle_realloc(m->labels, m->label_cap * sizeof(struct mlabel));
    }
    memmove(&m->labels[i + 1], &m->labels[i], (m->label_count - i) * sizeof(struct mlabel));
    m->labels[i] = (struct mlabel){ oracle_strndup(name, strlen(name)), mutable, root };
    m->label_count++;
}

static void
label_remove(struct oracle *m, const char *name)
{
    uint32_t i;
    bool found = label_find(m, name, &i);
    ASSERT(found);
    free(m->labels[i].name);
    node_put(m->labels[i].root);
    memmove(&m->labels[i], &m->labels[i + 1], (m->label_count - i - 1) * sizeof(struct mlabel));
    m->label_count--;
}

const struct mnode *
oracle_mounted_root(const struct oracle *m)
{
    const struct mlabel *l = label_get(m, m->mounted);
    ASSERT(l != NULL);
    return l->root;
}

/* FS_EROFS when the mounted label is frozen: no change of its namespace. */
static int
mounted_writable(const struct oracle *m)
{
    const struct mlabel *l = label_get(m, m->mounted);
    ASSERT(l != NULL);
    return l->mutable ? 0 : FS_EROFS;
}

/* ---- Life cycle. ---- */

struct oracle *
oracle_new(void)
{
    struct oracle *m = oracle_realloc(NULL, sizeof(*m));
    memset(m, 0, sizeof(*m));
    label_add(m, MODEL_MOUNTED, true, node_new(true));
    m->mounted = oracle_strndup(MODEL_MOUNTED, strlen(MODEL_MOUNTED));
    ASSERT(m->label_count == 1);
    return m;
}

int
oracle_mount(struct oracle *m, const char *label)
{
    ASSERT(m != NULL && label != NULL);
    if (label_get(m, label) == NULL) {
        return FS_ENOENT;
    }
    free(m->mounted);
    m->mounted = oracle_strndup(label, strlen(label));
    return 0;
}

void
oracle_free(struct oracle *m)
{
    if (m == NULL) {
        return;
    }
    for (uint32_t i = 0; i < m->label_count; i++) {
        free(m->labels[i].name);
        node_put(m->labels[i].root);
    }
    free(m->labels);
    free(m->mounted);
    free(m);
}

struct oracle *
oracle_clone(const struct oracle *m)
{
    ASSERT(m != NULL);
    struct oracle *c = oracle_realloc(NULL, sizeof(*c));
    memset(c, 0, sizeof(*c));
    for (uint32_t i = 0; i < m->label_count; i++) {
        const struct mlabel *l = &m->labels[i];
        label_add(c, l->name, l->mutable, node_get(l->root));
    }
    c->mounted = oracle_strndup(m->mounted, strlen(m->mounted));
    ASSERT(c->label_count == m->label_count);
    return c;
}

/* ---- Resolution (read only). ---- */

struct mres {
    const struct mnode *parent; /* Directory holding the last element; NULL for "/". */
    const char *name;           /* The last element, inside the path; NULL for "/". */
    size_t nlen;                /* Its bytes. */
    const struct mnode *node;   /* What it names; NULL if missing. */
};

static int
resolve(const struct mnode *root, const char *path, struct mres *r)
{
    *r = (struct mres){ NULL, NULL, 0, root };
    if (path[0] != '/') {
        return FS_EINVAL;
    }
    const char *p = path + 1;
    for (uint32_t depth = 0; *p != '\0'; depth++) {
        ASSERT(depth < TRACE_PATH_MAX);
        if (r->node == NULL) {
            return FS_ENOENT;
        }
        if (!r->node->is_dir) {
            return FS_ENOTDIR;
        }
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        int err = name_check(p, n);
        if (err) {
            return err;
        }
        r->parent = r->node;
        r->name = p;
        r->nlen = n;
        r->node = dir_lookup(r->parent, p, n);
        p += n + (slash != NULL);
        if (slash != NULL && *p == '\0') {
            return FS_EINVAL;
        }
    }
    return 0;
}

/* The directory holding path's last element, made private along the way.
 * Only for paths that resolved with their parent present. */
static struct mnode *
parent_own(struct oracle *m, const char *path, const char **name, size_t *nlen)
{
    struct mlabel *l = label_get(m, m->mounted);
    ASSERT(l != NULL && l->mutable && path[0] == '/');
    struct mnode **slot = &l->root;
    const char *p = path + 1;
    for (;;) {
        struct mnode *dir = node_own(slot);
        ASSERT(dir->is_dir);
        const char *slash = strchr(p, '/');
        if (slash == NULL) {
            *name = p;
            *nlen = strlen(p);
            return dir;
        }
        uint32_t i;
        bool found = dir_find(dir, p, (size_t)(slash - p), &i);
        ASSERT(found);
        slot = &dir->ents[i].node;
        p = slash + 1;
    }
}

/* The file at path, made private. */
static struct mnode *
file_own(struct oracle *m, const char *path)
{
    const char *name;
    size_t nlen;
    struct mnode *dir = parent_own(m, path, &name, &nlen);
    uint32_t i;
    bool found = dir_find(dir, name, nlen, &i);
    ASSERT(found);
    struct mnode *f = node_own(&dir->ents[i].node);
    ASSERT(!f->is_dir);
    return f;
}

/* ---- Steps. ---- */

static int
expect_make(const struct oracle *m, const struct trace_step *s)
{
    struct mres r;
    int err = resolve(oracle_mounted_root(m), s->path, &r);
    if (err) {
        return err;
    }
    return r.node != NULL ? FS_EEXIST : 0;
}

static int
expect_file(const struct oracle *m, const char *path, const struct mnode **out)
{
    struct mres r;
    int err = resolve(oracle_mounted_root(m), path, &r);
    if (err) {
        return err;
    }
    if (r.node == NULL) {
        return FS_ENOENT;
    }
    *out = r.node;
    return r.node->is_dir ? FS_EISDIR : 0;
}

static int
expect_write(const struct oracle *m, const struct trace_step *s)
{
    const struct mnode *f;
    int err = expect_file(m, s->path, &f);
    if (err) {
        return err;
    }
    if (s->offset > FS_FILE_SIZE_MAX || s->length > FS_FILE_SIZE_MAX - s->offset) {
        return FS_EFBIG;
    }
    return 0;
}

static int
expect_truncate(const struct oracle *m, const struct trace_step *s)
{
    const struct mnode *f;
    int err = expect_file(m, s->path, &f);
    if (err) {
        return err;
    }
    return s->length > FS_FILE_SIZE_MAX ? FS_EFBIG : 0;
}

static int
expect_rm(const struct oracle *m, const struct trace_step *s)
{
    struct mres r;
    int err = resolve(oracle_mounted_root(m), s->path, &r);
    if (err) {
        return err;
    }
    if (r.node == NULL) {
        return FS_ENOENT;
    }
    if (r.name == NULL) {
        return FS_EPERM;
    }
    return r.node->is_dir && r.node->ent_count > 0 ? FS_ENOTEMPTY : 0;
}

static int
expect_mv(const struct oracle *m, const struct trace_step *s)
{
    struct mres a, b;
    int err = resolve(oracle_mounted_root(m), s->path, &a);
    if (!err) {
        err = resolve(oracle_mounted_root(m), s->path2, &b);
    }
    if (err) {
        return err;
    }
    if (a.node == NULL) {
        return FS_ENOENT;
    }
    if (a.name == NULL) {
        return FS_EPERM;
    }
    if (b.name == NULL) {
        return FS_EEXIST;
    }
    /* No "." or ".." and no empty elements: equal parent paths, equal parents. */
    size_t pa = (size_t)(a.name - s->path), pb = (size_t)(b.name - s->path2);
    if (pa != pb || memcmp(s->path, s->path2, pa) != 0) {
        return FS_EXDEV;
    }
    if (b.node != NULL) {
        return oracle_name_cmp(a.name, a.nlen, b.name, b.nlen) == 0 ? 0 : FS_EEXIST;
    }
    return 0;
}

static int
expect_snap(const struct oracle *m, const struct trace_step *s)
{
    int err = name_check(s->path2, strlen(s->path2));
    if (!err) {
        err = name_check(s->path, strlen(s->path));
    }
    if (err) {
        return err;
    }
    if (label_get(m, s->path2) != NULL) {
        return FS_EEXIST;
    }
    return label_get(m, s->path) == NULL ? FS_ENOENT : 0;
}

static int
expect_snap_delete(const struct oracle *m, const struct trace_step *s)
{
    int err = name_check(s->path, strlen(s->path));
    if (err) {
        return err;
    }
    if (strcmp(s->path, m->mounted) == 0) {
        return FS_EPERM;
    }
    return label_get(m, s->path) == NULL ? FS_ENOENT : 0;
}

/* mount NAME: fs_mount's rules (fs/snap.c, snap_mount): a name longer than
 * FS_NAME_MAX is FS_EINVAL; then FS_ENOENT if no label has it. */
static int
expect_mount(const struct oracle *m, const struct trace_step *s)
{
    ASSERT(s->op == TRACE_MOUNT);
    ASSERT(s->path[0] != '\0');            /* The parser takes no empty word. */
    if (strlen(s->path) > FS_NAME_MAX) {
        return FS_EINVAL;
    }
    return label_get(m, s->path) == NULL ? FS_ENOENT : 0;
}

/* Steps that change the mounted tree (snapshot steps change labels). */
static bool
namespace_step(enum trace_op op)
{
    switch (op) {
    case TRACE_MKDIR:
    case TRACE_CREATE:
    case TRACE_WRITE:
    case TRACE_TRUNCATE:
    case TRACE_RM:
    case TRACE_MV:
        return true;
    default:
        return false;
    }
}

int
oracle_expect(const struct oracle *m, const struct trace_step *s)
{
    ASSERT(m != NULL && s != NULL);
    if (namespace_step(s->op) && mounted_writable(m) != 0) {
        return FS_EROFS;        /* Before any path is looked at. */
    }
    switch (s->op) {
    case TRACE_MKDIR:
    case TRACE_CREATE:
        return expect_make(m, s);
    case TRACE_WRITE:
        return expect_write(m, s);
    case TRACE_TRUNCATE:
        return expect_truncate(m, s);
    case TRACE_RM:
        return expect_rm(m, s);
    case TRACE_MV:
        return expect_mv(m, s);
    case TRACE_SNAP_LABEL:
    case TRACE_SNAP_FORK:
        return expect_snap(m, s);
    case TRACE_SNAP_DELETE:
        return expect_snap_delete(m, s);
    case TRACE_MOUNT:
        return expect_mount(m, s);
    case TRACE_SYNC:
    case TRACE_TICK:
        return 0;
    default:
        ASSERT(!"trace op out of range");
        return FS_EINVAL;
    }
}

static void
apply_mv(struct oracle *m, const struct trace_step *s)
{
    const char *from, *to;
    size_t nfrom, nto;
    struct mnode *dir = parent_own(m, s->path, &from, &nfrom);
    (void)parent_own(m, s->path2, &to, &nto);
    if (oracle_name_cmp(from, nfrom, to, nto) != 0) {
        dir_insert(dir, to, nto, dir_take(dir, from, nfrom));
    }
}

/* Applies a step oracle_expect accepted. */
static void
apply(struct oracle *m, const struct trace_step *s)
{
    const char *name;
    size_t nlen;
    switch (s->op) {
    case TRACE_MKDIR:
    case TRACE_CREATE: {
        struct mnode *dir = parent_own(m, s->path, &name, &nlen);
        dir_insert(dir, name, nlen, node_new(s->op == TRACE_MKDIR));
        break;
    }
    case TRACE_WRITE:
        if (s->length > 0) {
            file_write(file_own(m, s->path), s->offset, s->length, s->seed);
        }
        break;
    case TRACE_TRUNCATE:
        file_truncate(file_own(m, s->path), s->length);
        break;
    case TRACE_RM: {
        struct mnode *dir = parent_own(m, s->path, &name, &nlen);
        node_put(dir_take(dir, name, nlen));
        break;
    }
    case TRACE_MV:
        apply_mv(m, s);
        break;
    case TRACE_SNAP_LABEL:
    case TRACE_SNAP_FORK:
        label_add(m, s->path2, s->op == TRACE_SNAP_FORK, node_get(label_get(m, s->path)->root));
        break;
    case TRACE_SNAP_DELETE:
        label_remove(m, s->path);
        break;
    case TRACE_MOUNT: {
        int err = oracle_mount(m, s->path);
        ASSERT(err == 0);                   /* expect_mount found the label. */
        break;
    }
    default:
        break;
    }
}

int
oracle_apply(struct oracle *m, const struct trace_step *s)
{
    int want = oracle_expect(m, s);
    if (want == 0) {
        apply(m, s);
    }
    return want;
}

/* A path for a message: control bytes and bytes above 0x7e as \xNN, cut to size. */
static const char *
escape(const char *p, char *buf, size_t size)
{
    ASSERT(size >= 8);
    size_t at = 0;
    for (; *p != '\0' && at + 5 < size; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c > 0x7e) {
            at += (size_t)snprintf(buf + at, size - at, "\\x%02x", c);
        } else {
            buf[at++] = (char)c;
        }
    }
    buf[at] = '\0';
    return buf;
}

int
oracle_step(struct oracle *m, const struct trace_step *s, int got, char *why, size_t size)
{
    int want = oracle_expect(m, s);
    if (got == want) {
        if (want == 0) {
            apply(m, s);
        }
        return 0;
    }
    if (got == FS_ENOSPC && want == 0) {
        return 0;               /* The ENOSPC rule: the step is skipped. */
    }
    if (why != NULL && size > 0) {
        char a[256], b[256];
        bool two = s->op == TRACE_MV || s->op == TRACE_SNAP_LABEL || s->op == TRACE_SNAP_FORK;
        snprintf(why, size, "line %u: %s %s%s%s: file system returned %s, oracle expects %s",
                s->line, trace_op_name(s->op), escape(s->path, a, sizeof(a)), two ? " " : "",
                two ? escape(s->path2, b, sizeof(b)) : "", fs_strerror(got), fs_strerror(want));
    }
    return 1;
}

/* ---- Inspection. ---- */

static void
counts_add(const struct mnode *dir, struct oracle_counts *c)
{
    c->dir_count++;
    for (uint32_t i = 0; i < dir->ent_count; i++) {
        const struct mnode *n = dir->ents[i].node;
        if (n->is_dir) {
            counts_add(n, c);
        } else {
            c->file_count++;
            c->byte_count += n->size;
        }
    }
}

void
oracle_counts(const struct oracle *m, struct oracle_counts *c)
{
    ASSERT(m != NULL && c != NULL);
    memset(c, 0, sizeof(*c));
    counts_add(oracle_mounted_root(m), c);
    c->label_count = m->label_count;
}

static int
walk_dir(const struct mnode *dir, struct pbuf *path,
        int (*fn)(void *, const char *, bool, uint64_t), void *arg)
{
    int rc = 0;
    for (uint32_t i = 0; i < dir->ent_count && rc == 0; i++) {
        const struct mentry *e = &dir->ents[i];
        size_t old = oracle_pbuf_push(path, e->name, e->nlen);
        rc = fn(arg, path->p, e->node->is_dir, e->node->size);
        if (rc == 0 && e->node->is_dir) {
            rc = walk_dir(e->node, path, fn, arg);
        }
        oracle_pbuf_pop(path, old);
    }
    return rc;
}

int
oracle_walk(const struct oracle *m,
        int (*fn)(void *arg, const char *path, bool is_dir, uint64_t size), void *arg)
{
    ASSERT(m != NULL && fn != NULL);
    struct pbuf path = { NULL, 0, 0 };
    oracle_pbuf_set(&path, "/");
    int rc = walk_dir(oracle_mounted_root(m), &path, fn, arg);
    free(path.p);
    return rc < 0 ? rc : 0;
}

bool
oracle_label_at(const struct oracle *m, uint32_t index, const char **name, bool *mutable)
{
    ASSERT(m != NULL);
    if (index >= m->label_count) {
        return false;
    }
    *name = m->labels[index].name;
    *mutable = m->labels[index].mutable;
    return true;
}

int
oracle_read(const struct oracle *m, const char *path, uint64_t off, void *buf, size_t len,
        size_t *done)
{
    const struct mnode *f;
    *done = 0;
    int err = expect_file(m, path, &f);
    if (!err) {
        file_read(f, off, buf, len, done);
    }
    return err;
}
