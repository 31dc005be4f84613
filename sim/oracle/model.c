/*
 * sim/oracle/model.c: the oracle (see model.h).
 *
 * Method. The state is a set of labels, each naming the root of a tree of
 * nodes; the mounted one ("main" unless model_mount chose another) is the
 * only one steps change, and only if it is mutable. A node is a directory
 * (entries sorted by name bytes, a shorter name first on a tie) or a file (a
 * size and the bytes it was written, in fixed chunks of MODEL_CHUNK_SIZE; a
 * missing chunk is a hole and reads as zeros). Nodes are
 * reference counted: a label made from another, or a clone of the model,
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
 *   - sync and tick change nothing visible.
 *   - With an immutable label mounted, every step that would change the
 *     namespace is FS_EROFS before its paths are looked at.
 *
 * Digest, an ordered stream of 64-bit items mixed into one value:
 *   - file: (chunk index, hash of its MODEL_CHUNK_SIZE bytes) for every chunk
 *     below the size that is not all zeros, then the size. A hole and
 *     written zeros digest alike: the fs may store either;
 *   - directory: per entry in name order (name bytes, type, size for a file,
 *     the entry's digest), then the entry count;
 *   - state: the mounted tree's digest, then per label in name order (name,
 *     mutable flag, its tree's digest), then the label count.
 * The hash reads bytes little-endian, so digests agree across machines. The
 * fs side reads every byte below each file's size through fs_read (holes
 * too): its cost is the logical size, so workloads keep files small.
 */
#include "model.h"

#include "../../fs/format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_CHUNK_SIZE 4096u          /* Bytes per file chunk and per digest unit. */
#define MODEL_MOUNTED "main"            /* The label mounted at first. */
#define DIFF_LINES_MAX 16u              /* Differences model_diff describes. */
#define READ_CHUNKS 16u                 /* Chunks model_digest_fs reads per fs_read. */

struct mnode;

struct mentry {
    char *name;                 /* Owned, NUL-terminated. */
    size_t nlen;                /* Bytes of name. */
    struct mnode *node;         /* A reference. */
};

struct mchunk {
    uint64_t index;             /* Chunk number: byte offset / MODEL_CHUNK_SIZE. */
    uint8_t *bytes;             /* MODEL_CHUNK_SIZE bytes, owned. */
};

struct mnode {
    uint32_t ref;               /* Holders: entries, labels, clones. */
    bool is_dir;                /* A directory, else a file. */
    struct mentry *ents;        /* Directory: entries in name order. */
    uint32_t ent_count;         /* Entries in use. */
    uint32_t ent_cap;           /* Entries allocated. */
    uint64_t size;              /* File: bytes. */
    struct mchunk *chunks;      /* File: present chunks by index. */
    uint32_t chunk_count;       /* Chunks in use. */
    uint32_t chunk_cap;         /* Chunks allocated. */
};

struct mlabel {
    char *name;                 /* Owned. */
    bool mutable;               /* A fork or the mounted label, not a frozen label. */
    struct mnode *root;         /* A reference to its root directory. */
};

struct model {
    struct mlabel *labels;      /* In name order. */
    uint32_t label_count;       /* In use. */
    uint32_t label_cap;         /* Allocated. */
    char *mounted;              /* Owned: the label steps change (it always exists). */
};

/* ---- Memory: the model is harness code; running out of memory is fatal. ---- */

static void *
xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size > 0 ? size : 1);
    ASSERT(q != NULL);
    return q;
}

static char *
xstrndup(const char *s, size_t n)
{
    char *p = xrealloc(NULL, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- Names. ---- */

static int
name_cmp(const char *a, size_t na, const char *b, size_t nb)
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
    struct mnode *n = xrealloc(NULL, sizeof(*n));
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
    n->ents = xrealloc(NULL, o->ent_count * sizeof(struct mentry));
    for (uint32_t i = 0; i < o->ent_count; i++) {
        n->ents[i].name = xstrndup(o->ents[i].name, o->ents[i].nlen);
        n->ents[i].nlen = o->ents[i].nlen;
        n->ents[i].node = node_get(o->ents[i].node);
    }
    n->chunk_count = n->chunk_cap = o->chunk_count;
    n->chunks = xrealloc(NULL, o->chunk_count * sizeof(struct mchunk));
    for (uint32_t i = 0; i < o->chunk_count; i++) {
        n->chunks[i].index = o->chunks[i].index;
        n->chunks[i].bytes = xrealloc(NULL, MODEL_CHUNK_SIZE);
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

/* Index of name in dir, or where it would go; true if it is there. */
static bool
dir_find(const struct mnode *dir, const char *name, size_t nlen, uint32_t *index)
{
    ASSERT(dir->is_dir);
    uint32_t lo = 0, hi = dir->ent_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        int c = name_cmp(dir->ents[mid].name, dir->ents[mid].nlen, name, nlen);
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
    *index = lo;
    return false;
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
        dir->ents = xrealloc(dir->ents, dir->ent_cap * sizeof(struct mentry));
    }
    memmove(&dir->ents[i + 1], &dir->ents[i], (dir->ent_count - i) * sizeof(struct mentry));
    dir->ents[i] = (struct mentry){ xstrndup(name, nlen), nlen, node };
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

static bool
chunk_find(const struct mnode *f, uint64_t index, uint32_t *at)
{
    uint32_t lo = 0, hi = f->chunk_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (f->chunks[mid].index == index) {
            *at = mid;
            return true;
        }
        if (f->chunks[mid].index < index) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    *at = lo;
    return false;
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
        f->chunks = xrealloc(f->chunks, f->chunk_cap * sizeof(struct mchunk));
    }
    memmove(&f->chunks[at + 1], &f->chunks[at], (f->chunk_count - at) * sizeof(struct mchunk));
    uint8_t *bytes = xrealloc(NULL, MODEL_CHUNK_SIZE);
    memset(bytes, 0, MODEL_CHUNK_SIZE);
    f->chunks[at] = (struct mchunk){ index, bytes };
    f->chunk_count++;
    return bytes;
}

/* Chunk index's bytes, or NULL for a hole. */
static const uint8_t *
chunk_peek(const struct mnode *f, uint64_t index)
{
    uint32_t at;
    return chunk_find(f, index, &at) ? f->chunks[at].bytes : NULL;
}

/* Writes len bytes of trace data (seed) at off. */
static void
file_write(struct mnode *f, uint64_t off, uint64_t len, uint64_t seed)
{
    ASSERT(off <= FS_FILE_SIZE_MAX && len <= FS_FILE_SIZE_MAX - off);
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
        const uint8_t *c = chunk_peek(f, at / MODEL_CHUNK_SIZE);
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

static bool
label_find(const struct model *m, const char *name, uint32_t *index)
{
    size_t n = strlen(name);
    uint32_t lo = 0, hi = m->label_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const char *ln = m->labels[mid].name;
        int c = name_cmp(ln, strlen(ln), name, n);
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
    *index = lo;
    return false;
}

static struct mlabel *
label_get(const struct model *m, const char *name)
{
    uint32_t i;
    return label_find(m, name, &i) ? &m->labels[i] : NULL;
}

/* Adds a label over root (the reference passes to the label). */
static void
label_add(struct model *m, const char *name, bool mutable, struct mnode *root)
{
    uint32_t i;
    bool found = label_find(m, name, &i);
    ASSERT(!found);
    if (m->label_count == m->label_cap) {
        m->label_cap = m->label_cap ? 2 * m->label_cap : 4;
        m->labels = xrealloc(m->labels, m->label_cap * sizeof(struct mlabel));
    }
    memmove(&m->labels[i + 1], &m->labels[i], (m->label_count - i) * sizeof(struct mlabel));
    m->labels[i] = (struct mlabel){ xstrndup(name, strlen(name)), mutable, root };
    m->label_count++;
}

static void
label_remove(struct model *m, const char *name)
{
    uint32_t i;
    bool found = label_find(m, name, &i);
    ASSERT(found);
    free(m->labels[i].name);
    node_put(m->labels[i].root);
    memmove(&m->labels[i], &m->labels[i + 1], (m->label_count - i - 1) * sizeof(struct mlabel));
    m->label_count--;
}

static const struct mnode *
mounted_root(const struct model *m)
{
    const struct mlabel *l = label_get(m, m->mounted);
    ASSERT(l != NULL);
    return l->root;
}

/* FS_EROFS when the mounted label is frozen: no change of its namespace. */
static int
mounted_writable(const struct model *m)
{
    const struct mlabel *l = label_get(m, m->mounted);
    ASSERT(l != NULL);
    return l->mutable ? 0 : FS_EROFS;
}

/* ---- Life cycle. ---- */

struct model *
model_new(void)
{
    struct model *m = xrealloc(NULL, sizeof(*m));
    memset(m, 0, sizeof(*m));
    label_add(m, MODEL_MOUNTED, true, node_new(true));
    m->mounted = xstrndup(MODEL_MOUNTED, strlen(MODEL_MOUNTED));
    ASSERT(m->label_count == 1);
    return m;
}

int
model_mount(struct model *m, const char *label)
{
    ASSERT(m != NULL && label != NULL);
    if (label_get(m, label) == NULL) {
        return FS_ENOENT;
    }
    free(m->mounted);
    m->mounted = xstrndup(label, strlen(label));
    return 0;
}

void
model_free(struct model *m)
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

struct model *
model_clone(const struct model *m)
{
    ASSERT(m != NULL);
    struct model *c = xrealloc(NULL, sizeof(*c));
    memset(c, 0, sizeof(*c));
    for (uint32_t i = 0; i < m->label_count; i++) {
        const struct mlabel *l = &m->labels[i];
        label_add(c, l->name, l->mutable, node_get(l->root));
    }
    c->mounted = xstrndup(m->mounted, strlen(m->mounted));
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
parent_own(struct model *m, const char *path, const char **name, size_t *nlen)
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
file_own(struct model *m, const char *path)
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
expect_make(const struct model *m, const struct trace_step *s)
{
    struct mres r;
    int err = resolve(mounted_root(m), s->path, &r);
    if (err) {
        return err;
    }
    return r.node != NULL ? FS_EEXIST : 0;
}

static int
expect_file(const struct model *m, const char *path, const struct mnode **out)
{
    struct mres r;
    int err = resolve(mounted_root(m), path, &r);
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
expect_write(const struct model *m, const struct trace_step *s)
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
expect_truncate(const struct model *m, const struct trace_step *s)
{
    const struct mnode *f;
    int err = expect_file(m, s->path, &f);
    if (err) {
        return err;
    }
    return s->length > FS_FILE_SIZE_MAX ? FS_EFBIG : 0;
}

static int
expect_rm(const struct model *m, const struct trace_step *s)
{
    struct mres r;
    int err = resolve(mounted_root(m), s->path, &r);
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
expect_mv(const struct model *m, const struct trace_step *s)
{
    struct mres a, b;
    int err = resolve(mounted_root(m), s->path, &a);
    if (!err) {
        err = resolve(mounted_root(m), s->path2, &b);
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
        return name_cmp(a.name, a.nlen, b.name, b.nlen) == 0 ? 0 : FS_EEXIST;
    }
    return 0;
}

static int
expect_snap(const struct model *m, const struct trace_step *s)
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
expect_snap_delete(const struct model *m, const struct trace_step *s)
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
model_expect(const struct model *m, const struct trace_step *s)
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
    case TRACE_SYNC:
    case TRACE_TICK:
        return 0;
    default:
        ASSERT(!"trace op out of range");
        return FS_EINVAL;
    }
}

static void
apply_mv(struct model *m, const struct trace_step *s)
{
    const char *from, *to;
    size_t nfrom, nto;
    struct mnode *dir = parent_own(m, s->path, &from, &nfrom);
    (void)parent_own(m, s->path2, &to, &nto);
    if (name_cmp(from, nfrom, to, nto) != 0) {
        dir_insert(dir, to, nto, dir_take(dir, from, nfrom));
    }
}

/* Applies a step model_expect accepted. */
static void
apply(struct model *m, const struct trace_step *s)
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
    default:
        break;
    }
}

int
model_apply(struct model *m, const struct trace_step *s)
{
    int want = model_expect(m, s);
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
model_step(struct model *m, const struct trace_step *s, int got, char *why, size_t size)
{
    int want = model_expect(m, s);
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
        snprintf(why, size, "line %u: %s %s%s%s: file system returned %s, model expects %s",
                s->line, trace_op_name(s->op), escape(s->path, a, sizeof(a)), two ? " " : "",
                two ? escape(s->path2, b, sizeof(b)) : "", fs_strerror(got), fs_strerror(want));
    }
    return 1;
}

/* ---- Digest. ---- */

static uint64_t
mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* XXH3 (fs/format.h, compiled inline there): the digest reads every byte of
 * every file of every recovered state, so this is the checker's hot loop. */
static uint64_t
hash_bytes(const uint8_t *p, size_t n)
{
    return mix64(fmt_hash(p, n) ^ n);
}

/* An ordered digest stream. */
struct dg {
    uint64_t h;                 /* Running value. */
    uint64_t count;             /* Items so far: order matters. */
};

static void
dg_u64(struct dg *d, uint64_t v)
{
    d->h = mix64(d->h ^ mix64(v + ++d->count * 0x9e3779b97f4a7c15ull));
}

static void
dg_bytes(struct dg *d, const void *p, size_t n)
{
    dg_u64(d, n);
    dg_u64(d, hash_bytes(p, n));
}

static bool
all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

/* Tags that keep the canonical stream unambiguous. */
enum { TAG_FILE = 0x46, TAG_DIR = 0x44, TAG_MOUNTED = 0x4d, TAG_LABEL = 0x4c };

/* A file: (index, hash) of every chunk that is not all zeros, then the size. */
static uint64_t
file_digest(const struct mnode *f)
{
    struct dg d = { 0, 0 };
    for (uint32_t i = 0; i < f->chunk_count; i++) {
        const struct mchunk *c = &f->chunks[i];
        if (!all_zero(c->bytes, MODEL_CHUNK_SIZE)) {
            dg_u64(&d, c->index);
            dg_u64(&d, hash_bytes(c->bytes, MODEL_CHUNK_SIZE));
        }
    }
    dg_u64(&d, f->size);
    return d.h;
}

static void
dg_entry(struct dg *d, const char *name, size_t nlen, bool is_dir, uint64_t size, uint64_t digest)
{
    dg_bytes(d, name, nlen);
    dg_u64(d, is_dir ? TAG_DIR : TAG_FILE);
    dg_u64(d, is_dir ? 0 : size);
    dg_u64(d, digest);
}

static uint64_t
dir_digest(const struct mnode *dir)
{
    ASSERT(dir->is_dir);
    struct dg d = { 0, 0 };
    for (uint32_t i = 0; i < dir->ent_count; i++) {
        const struct mentry *e = &dir->ents[i];
        uint64_t v = e->node->is_dir ? dir_digest(e->node) : file_digest(e->node);
        dg_entry(&d, e->name, e->nlen, e->node->is_dir, e->node->size, v);
    }
    dg_u64(&d, dir->ent_count);
    return d.h;
}

static void
dg_label(struct dg *d, const char *name, bool mutable, uint64_t tree)
{
    dg_u64(d, TAG_LABEL);
    dg_bytes(d, name, strlen(name));
    dg_u64(d, mutable);
    dg_u64(d, tree);
}

uint64_t
model_digest(const struct model *m)
{
    ASSERT(m != NULL);
    struct dg d = { 0, 0 };
    dg_u64(&d, TAG_MOUNTED);
    dg_u64(&d, dir_digest(mounted_root(m)));
    for (uint32_t i = 0; i < m->label_count; i++) {
        const struct mlabel *l = &m->labels[i];
        dg_label(&d, l->name, l->mutable, dir_digest(l->root));
    }
    dg_u64(&d, m->label_count);
    return d.h;
}

/* ---- The file system seen through its public API. ---- */

/* A growable path. */
struct pbuf {
    char *p;                    /* NUL-terminated. */
    size_t len;                 /* Bytes before the NUL. */
    size_t cap;                 /* Bytes allocated. */
};

static void
pbuf_set(struct pbuf *b, const char *s)
{
    b->len = 0;
    size_t n = strlen(s);
    if (n + 1 > b->cap) {
        b->cap = n + 256;
        b->p = xrealloc(b->p, b->cap);
    }
    memcpy(b->p, s, n + 1);
    b->len = n;
}

/* Appends "/name" (no slash after the root); returns the old length. */
static size_t
pbuf_push(struct pbuf *b, const char *name, size_t nlen)
{
    size_t old = b->len;
    bool slash = !(b->len == 1 && b->p[0] == '/');
    if (b->len + nlen + 2 > b->cap) {
        b->cap = 2 * (b->len + nlen + 2);
        b->p = xrealloc(b->p, b->cap);
    }
    if (slash) {
        b->p[b->len++] = '/';
    }
    memcpy(b->p + b->len, name, nlen);
    b->len += nlen;
    b->p[b->len] = '\0';
    return old;
}

static void
pbuf_pop(struct pbuf *b, size_t len)
{
    b->len = len;
    b->p[len] = '\0';
}

struct fent {
    char *name;                 /* Owned. */
    size_t nlen;                /* Bytes. */
    bool is_dir;                /* A directory. */
    uint64_t size;              /* From the directory entry. */
};

struct flist {
    struct fent *e;             /* Entries, sorted by name once listed. */
    uint32_t count;             /* In use. */
    uint32_t cap;               /* Allocated. */
};

static int
flist_fn(void *arg, const struct fs_dirent *entry)
{
    struct flist *l = arg;
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->e = xrealloc(l->e, l->cap * sizeof(struct fent));
    }
    size_t n = strlen(entry->name);
    l->e[l->count++] = (struct fent){ xstrndup(entry->name, n), n, entry->is_dir, entry->size };
    return 0;
}

static int
fent_order(const void *a, const void *b)
{
    const struct fent *x = a, *y = b;
    return name_cmp(x->name, x->nlen, y->name, y->nlen);
}

static void
flist_free(struct flist *l)
{
    for (uint32_t i = 0; i < l->count; i++) {
        free(l->e[i].name);
    }
    free(l->e);
    *l = (struct flist){ NULL, 0, 0 };
}

/* Lists a directory of the fs in canonical order. */
static int
flist_read(struct fs *fs, const char *path, struct flist *l)
{
    *l = (struct flist){ NULL, 0, 0 };
    int err = fs_readdir(fs, path, flist_fn, l);
    if (err) {
        flist_free(l);
        return err;
    }
    if (l->count > 0) {
        qsort(l->e, l->count, sizeof(struct fent), fent_order);
    }
    return 0;
}

/* Reads chunks [index, index + count) of a file of size bytes into buf,
 * zero-padded to whole chunks. */
static int
fs_chunks(struct fs *fs, const char *path, uint64_t size, uint64_t index, uint32_t count,
        uint8_t *buf)
{
    size_t want = (size_t)count * MODEL_CHUNK_SIZE, done = 0;
    memset(buf, 0, want);
    uint64_t off = index * MODEL_CHUNK_SIZE;
    if (off + want > size) {
        want = (size_t)(size - off);
    }
    int err = fs_read(fs, path, off, buf, want, &done);
    if (!err && done != want) {
        err = FS_EIO;           /* A short read inside the size: a file-system bug. */
    }
    return err;
}

static int
fs_file_digest(struct fs *fs, const char *path, uint64_t *digest, uint64_t *size)
{
    struct fs_stat st;
    int err = fs_stat(fs, path, &st);
    if (err) {
        return err;
    }
    struct dg d = { 0, 0 };
    uint64_t chunks = (st.size + MODEL_CHUNK_SIZE - 1) / MODEL_CHUNK_SIZE;
    uint8_t *buf = xrealloc(NULL, READ_CHUNKS * MODEL_CHUNK_SIZE);
    for (uint64_t i = 0; i < chunks && !err;) {
        uint64_t data;                  /* Holes read as zeros: skip them, however long. */
        err = fs_seek_data(fs, path, i * MODEL_CHUNK_SIZE, &data);
        if (err == FS_ENOENT) {
            err = 0;
            break;
        }
        i = err ? i : data / MODEL_CHUNK_SIZE;
        uint32_t n = (uint32_t)(chunks - i < READ_CHUNKS ? chunks - i : READ_CHUNKS);
        err = err ? err : fs_chunks(fs, path, st.size, i, n, buf);
        for (uint32_t k = 0; k < n && !err; k++) {
            const uint8_t *c = buf + (size_t)k * MODEL_CHUNK_SIZE;
            if (!all_zero(c, MODEL_CHUNK_SIZE)) {
                dg_u64(&d, i + k);
                dg_u64(&d, hash_bytes(c, MODEL_CHUNK_SIZE));
            }
        }
        i += n;
    }
    free(buf);
    dg_u64(&d, st.size);
    *digest = d.h;
    *size = st.size;
    return err;
}

static int
fs_dir_digest(struct fs *fs, struct pbuf *path, uint64_t *digest)
{
    struct flist l;
    int err = flist_read(fs, path->p, &l);
    if (err) {
        return err;
    }
    struct dg d = { 0, 0 };
    for (uint32_t i = 0; i < l.count && !err; i++) {
        const struct fent *e = &l.e[i];
        size_t old = pbuf_push(path, e->name, e->nlen);
        uint64_t v = 0, size = 0;
        err = e->is_dir ? fs_dir_digest(fs, path, &v) : fs_file_digest(fs, path->p, &v, &size);
        pbuf_pop(path, old);
        dg_entry(&d, e->name, e->nlen, e->is_dir, size, v);
    }
    dg_u64(&d, l.count);
    flist_free(&l);
    *digest = d.h;
    return err;
}

struct slist {
    struct fs_snapinfo *s;      /* Labels in the order fs_snap_list gave them. */
    uint32_t count;             /* In use. */
    uint32_t cap;               /* Allocated. */
};

static int
slist_fn(void *arg, const struct fs_snapinfo *info)
{
    struct slist *l = arg;
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->s = xrealloc(l->s, l->cap * sizeof(struct fs_snapinfo));
    }
    l->s[l->count++] = *info;
    return 0;
}

static int
snapinfo_order(const void *a, const void *b)
{
    const struct fs_snapinfo *x = a, *y = b;
    return name_cmp(x->name, strlen(x->name), y->name, strlen(y->name));
}

static int
slist_read(struct fs *fs, struct slist *l)
{
    *l = (struct slist){ NULL, 0, 0 };
    int err = fs_snap_list(fs, slist_fn, l);
    if (!err && l->count > 0) {
        qsort(l->s, l->count, sizeof(struct fs_snapinfo), snapinfo_order);
    }
    return err;
}

/* The digest of the tree of one label (the mounted tree for NULL). */
static int
fs_tree_digest(struct fs *fs, const char *label, struct pbuf *path, uint64_t *digest)
{
    int err = fs_view(fs, label);
    if (!err) {
        pbuf_set(path, "/");
        err = fs_dir_digest(fs, path, digest);
    }
    int err2 = fs_view(fs, NULL);
    return err ? err : err2;
}

int
model_digest_fs(struct fs *fs, uint64_t *digest)
{
    ASSERT(fs != NULL && digest != NULL);
    struct pbuf path = { NULL, 0, 0 };
    struct slist l = { NULL, 0, 0 };
    struct dg d = { 0, 0 };
    uint64_t v = 0;
    int err = fs_tree_digest(fs, NULL, &path, &v);
    dg_u64(&d, TAG_MOUNTED);
    dg_u64(&d, v);
    if (!err) {
        err = slist_read(fs, &l);
    }
    for (uint32_t i = 0; !err && i < l.count; i++) {
        err = fs_tree_digest(fs, l.s[i].name, &path, &v);
        dg_label(&d, l.s[i].name, l.s[i].mutable, v);
    }
    dg_u64(&d, l.count);
    free(l.s);
    free(path.p);
    *digest = d.h;
    return err;
}

/* ---- Differences. ---- */

struct diff {
    struct fs *fs;              /* The file system compared. */
    char *out;                  /* The caller's buffer. */
    size_t size;                /* Its bytes. */
    size_t used;                /* Bytes written, NUL excluded. */
    uint32_t count;             /* Differences found. */
    const char *where;          /* "" or "label NAME: " before each path. */
};

static bool
diff_full(const struct diff *d)
{
    return d->count >= DIFF_LINES_MAX;
}

static void __attribute__((format(printf, 3, 4)))
diff_note(struct diff *d, const char *path, const char *fmt, ...)
{
    d->count++;
    if (d->count > DIFF_LINES_MAX || d->size == 0 || d->used + 1 >= d->size) {
        return;
    }
    int n = snprintf(d->out + d->used, d->size - d->used, "%s%s: ", d->where, path);
    d->used += n > 0 ? (size_t)n : 0;
    if (d->used + 1 < d->size) {
        va_list ap;
        va_start(ap, fmt);
        n = vsnprintf(d->out + d->used, d->size - d->used, fmt, ap);
        va_end(ap);
        d->used += n > 0 ? (size_t)n : 0;
    }
    if (d->used + 1 < d->size) {
        d->out[d->used++] = '\n';
        d->out[d->used] = '\0';
    }
    d->used = d->used < d->size ? d->used : d->size - 1;
}

static const char *
kind(bool is_dir)
{
    return is_dir ? "directory" : "file";
}

/* Compares a file's size and bytes. */
static void
diff_file(struct diff *d, const struct mnode *f, const char *path)
{
    struct fs_stat st;
    int err = fs_stat(d->fs, path, &st);
    if (err) {
        diff_note(d, path, "fs_stat failed: %s", fs_strerror(err));
        return;
    }
    if (st.size != f->size) {
        diff_note(d, path, "size: model %llu, fs %llu bytes", (unsigned long long)f->size,
                (unsigned long long)st.size);
    }
    uint64_t size = st.size < f->size ? st.size : f->size;
    uint64_t chunks = (size + MODEL_CHUNK_SIZE - 1) / MODEL_CHUNK_SIZE;
    uint8_t *buf = xrealloc(NULL, MODEL_CHUNK_SIZE);
    for (uint64_t i = 0; i < chunks; i++) {
        err = fs_chunks(d->fs, path, size, i, 1, buf);
        if (err) {
            diff_note(d, path, "fs_read at byte %llu failed: %s",
                    (unsigned long long)(i * MODEL_CHUNK_SIZE), fs_strerror(err));
            break;
        }
        const uint8_t *c = chunk_peek(f, i);
        for (uint32_t k = 0; k < MODEL_CHUNK_SIZE; k++) {
            uint8_t want = c != NULL ? c[k] : 0;
            if (buf[k] != want) {
                diff_note(d, path, "content differs first at byte %llu: model 0x%02x, fs 0x%02x",
                        (unsigned long long)(i * MODEL_CHUNK_SIZE + k), want, buf[k]);
                i = chunks;
                break;
            }
        }
    }
    free(buf);
}

static void diff_dir(struct diff *d, const struct mnode *dir, struct pbuf *path);

/* One name present on both sides. */
static void
diff_pair(struct diff *d, const struct mentry *me, const struct fent *fe, struct pbuf *path)
{
    if (me->node->is_dir != fe->is_dir) {
        diff_note(d, path->p, "type: model %s, fs %s", kind(me->node->is_dir), kind(fe->is_dir));
    } else if (fe->is_dir) {
        diff_dir(d, me->node, path);
    } else {
        if (fe->size != me->node->size) {
            diff_note(d, path->p, "directory entry size: model %llu, fs %llu bytes",
                    (unsigned long long)me->node->size, (unsigned long long)fe->size);
        }
        diff_file(d, me->node, path->p);
    }
}

static void
diff_dir(struct diff *d, const struct mnode *dir, struct pbuf *path)
{
    struct flist l;
    int err = flist_read(d->fs, path->p, &l);
    if (err) {
        diff_note(d, path->p, "fs_readdir failed: %s", fs_strerror(err));
        return;
    }
    uint32_t i = 0, j = 0;
    while ((i < dir->ent_count || j < l.count) && !diff_full(d)) {
        const struct mentry *me = i < dir->ent_count ? &dir->ents[i] : NULL;
        const struct fent *fe = j < l.count ? &l.e[j] : NULL;
        int c = me == NULL ? 1 : fe == NULL ? -1
            : name_cmp(me->name, me->nlen, fe->name, fe->nlen);
        size_t old = pbuf_push(path, c <= 0 ? me->name : fe->name, c <= 0 ? me->nlen : fe->nlen);
        if (c < 0) {
            diff_note(d, path->p, "missing in the fs (model: %s of %llu bytes)",
                    kind(me->node->is_dir), (unsigned long long)me->node->size);
        } else if (c > 0) {
            diff_note(d, path->p, "extra in the fs (%s of %llu bytes)", kind(fe->is_dir),
                    (unsigned long long)fe->size);
        } else {
            diff_pair(d, me, fe, path);
        }
        pbuf_pop(path, old);
        i += c <= 0;
        j += c >= 0;
    }
    flist_free(&l);
}

static void
diff_tree(struct diff *d, const char *label, const struct mnode *root, struct pbuf *path)
{
    int err = fs_view(d->fs, label);
    pbuf_set(path, "/");
    if (err) {
        diff_note(d, path->p, "fs_view failed: %s", fs_strerror(err));
    } else {
        diff_dir(d, root, path);
    }
    (void)fs_view(d->fs, NULL);
}

static void
diff_labels(struct diff *d, const struct model *m, struct pbuf *path)
{
    struct slist l;
    int err = slist_read(d->fs, &l);
    if (err) {
        diff_note(d, "labels", "fs_snap_list failed: %s", fs_strerror(err));
        return;
    }
    char where[FS_NAME_MAX + 16];
    uint32_t i = 0, j = 0;
    while ((i < m->label_count || j < l.count) && !diff_full(d)) {
        const struct mlabel *ml = i < m->label_count ? &m->labels[i] : NULL;
        const struct fs_snapinfo *fl = j < l.count ? &l.s[j] : NULL;
        int c = ml == NULL ? 1 : fl == NULL ? -1
            : name_cmp(ml->name, strlen(ml->name), fl->name, strlen(fl->name));
        if (c < 0) {
            diff_note(d, ml->name, "label missing in the fs");
        } else if (c > 0) {
            diff_note(d, fl->name, "label extra in the fs");
        } else if (ml->mutable != fl->mutable) {
            diff_note(d, ml->name, "label mutability: model %s, fs %s",
                    ml->mutable ? "mutable" : "immutable", fl->mutable ? "mutable" : "immutable");
        }
        if (c == 0 && strcmp(ml->name, m->mounted) != 0) {
            snprintf(where, sizeof(where), "label %s: ", ml->name);
            d->where = where;
            diff_tree(d, ml->name, ml->root, path);
            d->where = "";
        }
        i += c <= 0;
        j += c >= 0;
    }
    free(l.s);
}

int
model_diff(const struct model *m, struct fs *fs, char *out, size_t size)
{
    ASSERT(m != NULL && fs != NULL);
    struct diff d = { fs, out, size, 0, 0, "" };
    if (size > 0) {
        out[0] = '\0';
    }
    struct pbuf path = { NULL, 0, 0 };
    diff_tree(&d, NULL, mounted_root(m), &path);
    if (!diff_full(&d)) {
        diff_labels(&d, m, &path);
    }
    free(path.p);
    if (d.count > DIFF_LINES_MAX && d.used + 32 < size) {
        snprintf(out + d.used, size - d.used, "... and more\n");
    }
    return d.count > 0;
}

/* ---- Inspection. ---- */

static void
counts_add(const struct mnode *dir, struct model_counts *c)
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
model_counts(const struct model *m, struct model_counts *c)
{
    ASSERT(m != NULL && c != NULL);
    memset(c, 0, sizeof(*c));
    counts_add(mounted_root(m), c);
    c->label_count = m->label_count;
}

static int
walk_dir(const struct mnode *dir, struct pbuf *path,
        int (*fn)(void *, const char *, bool, uint64_t), void *arg)
{
    int rc = 0;
    for (uint32_t i = 0; i < dir->ent_count && rc == 0; i++) {
        const struct mentry *e = &dir->ents[i];
        size_t old = pbuf_push(path, e->name, e->nlen);
        rc = fn(arg, path->p, e->node->is_dir, e->node->size);
        if (rc == 0 && e->node->is_dir) {
            rc = walk_dir(e->node, path, fn, arg);
        }
        pbuf_pop(path, old);
    }
    return rc;
}

int
model_walk(const struct model *m,
        int (*fn)(void *arg, const char *path, bool is_dir, uint64_t size), void *arg)
{
    ASSERT(m != NULL && fn != NULL);
    struct pbuf path = { NULL, 0, 0 };
    pbuf_set(&path, "/");
    int rc = walk_dir(mounted_root(m), &path, fn, arg);
    free(path.p);
    return rc < 0 ? rc : 0;
}

bool
model_label_at(const struct model *m, uint32_t index, const char **name, bool *mutable)
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
model_read(const struct model *m, const char *path, uint64_t off, void *buf, size_t len,
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
