/*
 * sim/oracle/digest.c: the canonical digest of a state (oracle_digest,
 * oracle_digest_fs; see oracle.h).
 *
 * What it owns: the one definition of the digest, computed two ways, from a
 * oracle's nodes and from a mounted fs through its public API, by pairs of
 * functions that emit the same items in the same order (file_digest and
 * fs_file_digest, dir_digest and fs_dir_digest, oracle_digest and
 * oracle_digest_fs). A change to one of a pair must be made to the other:
 * the checker judges every crash state by their equality.
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
 * fs side reads the bytes below each file's size through fs_read, skipping
 * holes with fs_seek_data: its cost is the size of the data, so workloads
 * keep files small.
 */
#include "oracle_impl.h"

#include "../../fs/format.h"

#include <stdlib.h>
#include <string.h>

#define READ_CHUNKS 16u                 /* Chunks oracle_digest_fs reads per fs_read. */

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
    uint64_t any = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        any |= w;
    }
    for (; i < n; i++) {
        any |= p[i];
    }
    return any == 0;
}

/* Tags that keep the canonical stream unambiguous. */
enum { TAG_FILE = 0x46, TAG_DIR = 0x44, TAG_MOUNTED = 0x4d, TAG_LABEL = 0x4c };

/* A file: (index, hash) of every chunk that is not all zeros, then the size.
 * Kept in the node until a write or truncate changes it (oracle.c). */
static uint64_t
file_digest(struct mnode *f)
{
    if (f->digested) {
        return f->digest;
    }
    struct dg d = { 0, 0 };
    for (uint32_t i = 0; i < f->chunk_count; i++) {
        const struct mchunk *c = &f->chunks[i];
        if (!all_zero(c->bytes, MODEL_CHUNK_SIZE)) {
            dg_u64(&d, c->index);
            dg_u64(&d, hash_bytes(c->bytes, MODEL_CHUNK_SIZE));
        }
    }
    dg_u64(&d, f->size);
    f->digest = d.h;
    f->digested = true;
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
oracle_digest(const struct oracle *m)
{
    ASSERT(m != NULL);
    struct dg d = { 0, 0 };
    dg_u64(&d, TAG_MOUNTED);
    dg_u64(&d, dir_digest(oracle_mounted_root(m)));
    for (uint32_t i = 0; i < m->label_count; i++) {
        const struct mlabel *l = &m->labels[i];
        dg_label(&d, l->name, l->mutable, dir_digest(l->root));
    }
    dg_u64(&d, m->label_count);
    return d.h;
}

/* ---- The chunk memo. ---- */

#define ORACLE_MEMO_SLOTS_MIN (1u << 10) /* Slots a memo starts with: 24 KiB. */
#define ORACLE_MEMO_SLOTS (1u << 20)    /* Slots it grows to, at most: 24 MiB. */
#define MEMO_TREE UINT32_MAX            /* The where of a tree's digest. */

struct memo_slot {
    uint64_t block_hash;        /* Content hash of the data block. */
    uint64_t digest;            /* hash_bytes of the chunk; 0 when all zeros. */
    uint32_t where;             /* Chunk in the block << 16 | bytes below the size; 0: empty. */
    bool zero;                  /* All zeros: the digest skips it. */
};

struct oracle_memo {
    struct memo_slot *slots;    /* Open addressing, a power of two of them. */
    uint32_t mask;              /* Slots - 1. */
    uint32_t used;              /* Entries: below half the slots. */
    uint64_t lookups;           /* Chunks asked for. */
    uint64_t hits;              /* Chunks found. */
};

struct oracle_memo *
oracle_memo_new(void)
{
    struct oracle_memo *m = oracle_realloc(NULL, sizeof(*m));
    *m = (struct oracle_memo){ calloc(ORACLE_MEMO_SLOTS_MIN, sizeof(struct memo_slot)),
        ORACLE_MEMO_SLOTS_MIN - 1, 0, 0, 0 };
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void
oracle_memo_free(struct oracle_memo *memo)
{
    if (memo != NULL) {
        free(memo->slots);
        free(memo);
    }
}

void
oracle_memo_counts(const struct oracle_memo *memo, uint64_t *lookups, uint64_t *hits)
{
    *lookups = memo->lookups;
    *hits = memo->hits;
}

/* The slot of key (block_hash, where): its entry, or the empty slot to fill. */
static struct memo_slot *
memo_slot(const struct oracle_memo *m, uint64_t block_hash, uint32_t where)
{
    ASSERT(where != 0);
    uint32_t i = (uint32_t)mix64(block_hash ^ where) & m->mask;
    while (m->slots[i].where != 0
            && (m->slots[i].block_hash != block_hash || m->slots[i].where != where)) {
        i = (i + 1) & m->mask;
    }
    return &m->slots[i];
}

/* Doubles the slots, up to ORACLE_MEMO_SLOTS; false when it may not or
 * memory runs out (the memo then keeps what it holds). */
static bool
memo_grow(struct oracle_memo *m)
{
    uint32_t n = m->mask + 1;
    struct memo_slot *old = m->slots;
    struct memo_slot *slots = n < ORACLE_MEMO_SLOTS ? calloc(2 * (size_t)n, sizeof(*slots)) : NULL;
    if (slots == NULL) {
        return false;
    }
    m->slots = slots;
    m->mask = 2 * n - 1;
    for (uint32_t i = 0; i < n; i++) {
        if (old[i].where != 0) {
            *memo_slot(m, old[i].block_hash, old[i].where) = old[i];
        }
    }
    free(old);
    return true;
}

/* The entry of key, counted as a lookup (and a hit), or NULL. */
static const struct memo_slot *
memo_find(struct oracle_memo *m, uint64_t block_hash, uint32_t where)
{
    const struct memo_slot *s = memo_slot(m, block_hash, where);
    m->lookups++;
    m->hits += s->where != 0;
    return s->where != 0 ? s : NULL;
}

/* Keeps an entry; a memo half full doubles, and at its bound keeps what it
 * holds. */
static void
memo_put(struct oracle_memo *m, uint64_t block_hash, uint32_t where, uint64_t digest, bool zero)
{
    if (m->used + 1 >= (m->mask + 1) / 2 && !memo_grow(m)) {
        return;
    }
    struct memo_slot *s = memo_slot(m, block_hash, where);
    if (s->where == 0) {
        *s = (struct memo_slot){ block_hash, digest, where, zero };
        m->used++;
    }
}

/* ---- The same digest, of a mounted file system. ---- */

/* A chunk's part of the digest: its index and hash, unless it is all zeros. */
static void
dg_chunk(struct dg *d, uint64_t index, uint64_t hash, bool zero)
{
    if (!zero) {
        dg_u64(d, index);
        dg_u64(d, hash);
    }
}

/* Chunks [index, index + n) of a file of size bytes, into the digest: from
 * the memo where their blocks' contents are known, else read into buf.
 * The blocks are looked up and verified first (fs_read_ids), as the read
 * would, so errors and reads are a plain read's. */
static int
group_digest(struct fs *fs, const char *path, uint64_t size, uint64_t index, uint32_t n,
        uint8_t *buf, struct oracle_memo *memo, struct dg *d)
{
    uint32_t bs = fs_block_size(fs);
    uint64_t off = index * MODEL_CHUNK_SIZE;
    struct fs_block_id ids[READ_CHUNKS + 2];
    uint32_t count = READ_CHUNKS + 2;
    int err = memo == NULL ? oracle_fs_chunks_read(fs, path, size, index, n, buf)
        : fs_read_ids(fs, path, off, (size_t)n * MODEL_CHUNK_SIZE, ids, &count);
    for (uint32_t k = 0; k < n && !err; k++) {
        uint64_t at = (index + k) * MODEL_CHUNK_SIZE;
        if (at >= size) {
            break;                      /* Past the size: zeros, which the digest skips. */
        }
        const struct fs_block_id *id = memo == NULL ? NULL : &ids[at / bs - off / bs];
        if (id != NULL && id->hole) {
            continue;                   /* Reads as zeros. */
        }
        uint32_t where = 0;
        if (id != NULL) {
            where = (uint32_t)((at % bs / MODEL_CHUNK_SIZE + 1) << 16
                    | FS_MIN(size - at, MODEL_CHUNK_SIZE));
            const struct memo_slot *m = memo_find(memo, id->hash, where);
            if (m != NULL) {
                dg_chunk(d, index + k, m->digest, m->zero);
                continue;
            }
            err = oracle_fs_chunks_read(fs, path, size, index + k, 1,   /* This chunk: the */
                    buf + (size_t)k * MODEL_CHUNK_SIZE);                /* lookups all passed. */
            if (err) {
                break;
            }
        }
        const uint8_t *c = buf + (size_t)k * MODEL_CHUNK_SIZE;
        bool zero = all_zero(c, MODEL_CHUNK_SIZE);
        uint64_t h = zero ? 0 : hash_bytes(c, MODEL_CHUNK_SIZE);
        dg_chunk(d, index + k, h, zero);
        if (id != NULL) {
            memo_put(memo, id->hash, where, h, zero);
        }
    }
    return err;
}

static int
fs_file_digest(struct fs *fs, const char *path, struct oracle_memo *memo, uint64_t *digest,
        uint64_t *size)
{
    struct fs_stat st;
    int err = fs_stat(fs, path, &st);
    if (err) {
        return err;
    }
    struct dg d = { 0, 0 };
    uint64_t chunks = (st.size + MODEL_CHUNK_SIZE - 1) / MODEL_CHUNK_SIZE;
    uint8_t *buf = oracle_realloc(NULL, READ_CHUNKS * MODEL_CHUNK_SIZE);
    for (uint64_t i = 0; i < chunks && !err;) {
        uint64_t data;                  /* Holes read as zeros: skip them, however long. */
        err = fs_seek_data(fs, path, i * MODEL_CHUNK_SIZE, &data);
        if (err == FS_ENOENT) {
            err = 0;
            break;
        }
        i = err ? i : data / MODEL_CHUNK_SIZE;
        uint32_t n = (uint32_t)(chunks - i < READ_CHUNKS ? chunks - i : READ_CHUNKS);
        err = err ? err : group_digest(fs, path, st.size, i, n, buf, memo, &d);
        i += n;
    }
    free(buf);
    dg_u64(&d, st.size);
    *digest = d.h;
    *size = st.size;
    return err;
}

/* A directory of the mounted tree, its subdirectories recursively. The bytes
 * are the crash state's, untrusted: a forged entry may make a directory its
 * own descendant, so the walk stops where a path outgrows every path a trace
 * can name (TRACE_PATH_MAX), as a system whose PATH_MAX that is would, and
 * the oracle's tree, made of such paths, is never that deep. */
static int
fs_dir_digest(struct fs *fs, struct pbuf *path, struct oracle_memo *memo, uint64_t *digest)
{
    if (path->len >= TRACE_PATH_MAX) {
        return FS_ENAMETOOLONG;
    }
    struct flist l;
    int err = oracle_fs_dir_list(fs, path->p, &l);
    if (err) {
        return err;
    }
    struct dg d = { 0, 0 };
    for (uint32_t i = 0; i < l.count && !err; i++) {
        const struct fent *e = &l.e[i];
        size_t old = oracle_pbuf_push(path, e->name, e->nlen);
        uint64_t v = 0, size = 0;
        err = e->is_dir ? fs_dir_digest(fs, path, memo, &v)
            : fs_file_digest(fs, path->p, memo, &v, &size);
        oracle_pbuf_pop(path, old);
        dg_entry(&d, e->name, e->nlen, e->is_dir, size, v);
    }
    dg_u64(&d, l.count);
    oracle_fs_dir_free(&l);
    *digest = d.h;
    return err;
}

/* The digest of the tree of one label (the mounted tree for NULL). With a
 * memo and checked (fs_check found every block sound), a tree is known by
 * its identity (fs_view_ident), which commits to all its bytes. */
static int
fs_tree_digest(struct fs *fs, const char *label, struct pbuf *path, struct oracle_memo *memo,
        bool checked, uint64_t *digest)
{
    int err = fs_view(fs, label);
    uint64_t id[3];
    uint64_t key = 0;
    if (!err && memo != NULL && checked && fs_view_ident(fs, id)) {
        key = mix64(id[0] ^ mix64(id[1] ^ mix64(id[2])));
        const struct memo_slot *m = memo_find(memo, key, MEMO_TREE);
        if (m != NULL) {
            *digest = m->digest;
            return fs_view(fs, NULL);
        }
    }
    if (!err) {
        oracle_pbuf_set(path, "/");
        err = fs_dir_digest(fs, path, memo, digest);
    }
    if (!err && key != 0) {
        memo_put(memo, key, MEMO_TREE, *digest, false);
    }
    int err2 = fs_view(fs, NULL);
    return err ? err : err2;
}

int
oracle_digest_fs(struct fs *fs, uint64_t *digest)
{
    return oracle_digest_fs_memo(fs, NULL, false, digest);
}

int
oracle_digest_fs_memo(struct fs *fs, struct oracle_memo *memo, bool checked, uint64_t *digest)
{
    ASSERT(fs != NULL && digest != NULL);
    struct pbuf path = { NULL, 0, 0 };
    struct slist l = { NULL, 0, 0 };
    struct dg d = { 0, 0 };
    uint64_t v = 0;
    int err = fs_tree_digest(fs, NULL, &path, memo, checked, &v);
    dg_u64(&d, TAG_MOUNTED);
    dg_u64(&d, v);
    if (!err) {
        err = oracle_fs_labels_list(fs, &l);
    }
    for (uint32_t i = 0; !err && i < l.count; i++) {
        err = fs_tree_digest(fs, l.s[i].name, &path, memo, checked, &v);
        dg_label(&d, l.s[i].name, l.s[i].mutable, v);
    }
    dg_u64(&d, l.count);
    free(l.s);
    free(path.p);
    *digest = d.h;
    return err;
}
