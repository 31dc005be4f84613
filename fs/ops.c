/*
 * fs/ops.c: the path API of fs.h over the mounted tree.
 *
 * Every call resolves its path from the root directory entry Kent(-1, "")
 * through Kent(parent qid, name), then applies one batch of messages, so a
 * call is atomic with respect to commits. File data lives in Kdat(qid, block
 * offset) values; a missing one is a hole and reads as zeros. Every write of
 * a block writes a new block (a partial write copies the old one first).
 * Shrinking a file zeroes the tail of its last block and clears the blocks
 * beyond, so bytes past the end of a file are always zero on disk.
 *
 * Layering: the path API sits on the trees (tree.h to read, treeupdate.h to
 * change) and the block layer (blk.h) for data blocks; it calls nothing of
 * snapshots and never commits (fs.c does). Clearing a file's blocks is the
 * one loop that runs until the tree says it is done; it is bounded by the
 * data keys a tree can hold.
 */
#include "fs.h"

#include <string.h>

#include "blk.h"
#include "tree.h"
#include "treeupdate.h"

#define CLEAR_BATCH 64u         /* Oclearb messages per batch (GEFS uses 45). */

struct res {
    uint64_t parent;            /* Qid of the containing directory. */
    const char *name;           /* Last element (points into the path). */
    size_t nlen;                /* Its length. */
    bool exists;                /* The last element exists. */
    struct fmt_dirent d;        /* Its entry, when it exists. */
};

void
fs_clock_set(struct fs *fs, uint64_t now_ns)
{
    fs->clock_ns = now_ns;
}

uint64_t
fs_clock(const struct fs *fs)
{
    return fs->clock_ns;
}

/* The tree path reads go to: the mounted one, or the one fs_view chose. */
static struct tree *
cur(struct fs *fs)
{
    return fs->viewing ? &fs->view : &fs->tree;
}

bool
fs_view_ident(struct fs *fs, uint64_t ident[3])
{
    const struct tree *t = cur(fs);
    ident[0] = t->root.hash;
    ident[1] = t->root.addr;
    ident[2] = t->height;
    return !t->dirty;
}

/* One element of a path (no '/' in it): control characters are refused as
 * GEFS refuses them. */
static int
elem_check(const char *e, size_t n)
{
    if (fmt_name_check((const uint8_t *)e, n) != NULL) {
        return FS_EINVAL;
    }
    return n > FMT_NAME_MAX ? FS_ENAMETOOLONG : 0;
}

static int
entry_get(struct fs *fs, uint64_t parent, const char *name, size_t nlen, struct fmt_dirent *d)
{
    uint8_t k[FMT_KEY_MAX], v[FMT_INLINE_MAX];
    uint16_t nv;
    int err = tree_lookup(fs, cur(fs), k, key_ent(k, parent, name, nlen), v, &nv);
    if (err) {
        return err;
    }
    if (nv != FMT_DIRENT_SIZE) {
        return fs_broke(fs, FS_ECORRUPT, fs->tree.root.addr, "directory entry malformed");
    }
    fmt_dirent_unpack(v, d);
    if (d->length > FS_FILE_SIZE_MAX) {
        return fs_broke(fs, FS_ECORRUPT, fs->tree.root.addr, "file length out of range");
    }
    if (d->qid == 0) {          /* No qid is 0: the entry could not be written back. */
        return fs_broke(fs, FS_ECORRUPT, fs->tree.root.addr, "directory entry with qid 0");
    }
    return 0;
}

/* Resolves path; the last element may be missing (r->exists says). */
static int
resolve(struct fs *fs, const char *path, struct res *r)
{
    if (path == NULL || path[0] != '/') {
        return FS_EINVAL;
    }
    memset(r, 0, sizeof(*r));
    int err = entry_get(fs, QID_NONE, "", 0, &r->d);
    if (err) {
        return err == FS_ENOENT ? fs_broke(fs, FS_ECORRUPT, 0, "root directory missing") : err;
    }
    r->parent = QID_NONE;
    r->exists = true;
    const char *p = path + 1;
    while (*p != '\0') {
        if (!r->exists) {
            return FS_ENOENT;
        }
        if (!(r->d.qtype & FMT_QID_DIR)) {
            return FS_ENOTDIR;
        }
        const char *slash = strchr(p, '/');
        size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
        err = elem_check(p, n);
        if (err) {
            return err;
        }
        r->parent = r->d.qid;
        r->name = p;
        r->nlen = n;
        err = entry_get(fs, r->parent, p, n, &r->d);
        if (err && err != FS_ENOENT) {
            return err;
        }
        r->exists = err == 0;
        p += n + (slash != NULL);
        if (slash != NULL && *p == '\0') {
            return FS_EINVAL;       /* A trailing slash. */
        }
    }
    return 0;
}

static int
writable(const struct fs *fs)
{
    if (fs->broken) {
        return FS_EROFS;
    }
    return fs->tree_mutable && !fs->viewing ? 0 : FS_EROFS;
}

/* Owstat message: flags and the fields they select, in bit order. */
static struct msg
wstat_msg(uint8_t *k, uint8_t *v, uint64_t parent, const char *name, size_t nlen, bool size,
        uint64_t length, uint64_t mtime)
{
    uint16_t nv = 1;
    v[0] = FMT_WSTAT_MTIME | (size ? FMT_WSTAT_SIZE : 0);
    if (size) {
        fmt_put64(v + nv, length);
        nv += 8;
    }
    fmt_put64(v + nv, mtime);
    nv += 8;
    return (struct msg){ k, v, key_ent(k, parent, name, nlen), nv, FMT_OP_WSTAT };
}

/* A wstat touching the directory that holds entry r (its parent's entry). */
static int
touch_parent(struct fs *fs, const struct res *r, uint8_t *k, uint8_t *v, struct msg *m)
{
    uint8_t upk[FMT_KEY_MAX], upv[FMT_INLINE_MAX];
    uint16_t nv;
    int err = tree_lookup(fs, &fs->tree, upk, key_up(upk, r->parent), upv, &nv);
    if (err) {
        return err == FS_ENOENT ? fs_broke(fs, FS_ECORRUPT, 0, "directory without up-link") : err;
    }
    if (nv < FMT_KENT_SIZE_MIN || upv[0] != FMT_KENT
            || key_ent_nlen(upv) != nv - FMT_KENT_SIZE_MIN) {
        return fs_broke(fs, FS_ECORRUPT, 0, "up-link malformed");
    }
    *m = wstat_msg(k, v, key_id(upv), (const char *)key_ent_name(upv), nv - FMT_KENT_SIZE_MIN,
            false, 0, fs->clock_ns);
    return 0;
}

static int
make(struct fs *fs, const char *path, bool dir)
{
    int err = writable(fs);
    struct res r;
    if (!err) {
        err = resolve(fs, path, &r);
    }
    if (err) {
        return err;
    }
    if (r.exists) {
        return FS_EEXIST;       /* Including "/". */
    }
    if (fs_counter_exhausted(fs->nextqid)) {
        return FS_ENOSPC;       /* No qid left to give. */
    }
    struct fmt_dirent d = { .qid = fs->nextqid, .qtype = dir ? FMT_QID_DIR : 0,
        .mode = dir ? FMT_MODE_DIR | 0755 : 0644, .atime_ns = fs->clock_ns,
        .mtime_ns = fs->clock_ns };
    uint8_t k[3][FMT_KEY_MAX], v[3][FMT_INLINE_MAX];
    struct msg m[3];
    fmt_dirent_pack(v[0], &d);
    uint16_t nk = key_ent(k[0], r.parent, r.name, r.nlen);
    m[0] = (struct msg){ k[0], v[0], nk, FMT_DIRENT_SIZE, FMT_OP_INSERT };
    err = touch_parent(fs, &r, k[1], v[1], &m[1]);
    if (err) {
        return err;
    }
    uint32_t n = 2;
    if (dir) {
        memcpy(v[2], k[0], nk);
        m[n++] = (struct msg){ k[2], v[2], key_up(k[2], d.qid), nk, FMT_OP_INSERT };
    }
    err = tree_upsert(fs, &fs->tree, m, n);
    if (!err) {
        fs->nextqid++;
    }
    return err;
}

int
fs_mkdir(struct fs *fs, const char *path)
{
    return make(fs, path, true);
}

int
fs_create(struct fs *fs, const char *path)
{
    return make(fs, path, false);
}

static int
file_get(struct fs *fs, const char *path, struct res *r)
{
    int err = resolve(fs, path, r);
    if (err) {
        return err;
    }
    if (!r->exists) {
        return FS_ENOENT;
    }
    return (r->d.qtype & FMT_QID_DIR) ? FS_EISDIR : 0;
}

/* Builds the new block for [in, in+n) of the file block at blkoff: a copy of
 * the old block (if the write does not cover it) with the new bytes in. */
static int
data_block(struct fs *fs, const struct res *r, uint64_t blkoff, uint32_t in, const uint8_t *src,
        uint32_t n, uint64_t length, struct bptr *out)
{
    uint32_t bs = fs->block_size;
    uint8_t k[FMT_KEY_MAX], v[FMT_INLINE_MAX];
    struct cblk *b;
    int err = blk_new(fs, FMT_TYPE_DATA, fs->tree.memgen, r->d.qid, in + n == bs, &b);
    if (err) {
        return err;
    }
    uint16_t nv;
    if (n < bs && blkoff < length) {
        err = tree_lookup(fs, &fs->tree, k, key_dat(k, r->d.qid, blkoff), v, &nv);
        struct cblk *old;
        if (!err && nv == FMT_PTR_SIZE) {
            err = blk_read(fs, fmt_bptr_unpack(v), BLK_MASK(FMT_TYPE_DATA), &old);
            if (!err) {
#ifndef MUTANT_PARTIAL_WRITE_STALE
                memcpy(b->buf, old->buf, bs);
#endif                                          /* Bug: else the old bytes are lost. */
                blk_put(fs, old);
            }
        } else if (!err) {
            err = fs_broke(fs, FS_ECORRUPT, fs->tree.root.addr, "data pointer malformed");
        }
        err = err == FS_ENOENT ? 0 : err;
    }
    if (err) {
        blk_free_undo(fs, b->addr);            /* While held: the slot is still ours. */
        blk_put(fs, b);
        return err;
    }
    memcpy(b->buf + in, src, n);
    *out = blk_finish(fs, b);
    blk_put(fs, b);
    return 0;
}

/* Writes up to FS_WRITE_ATOMIC_BLOCKS blocks as one batch: every data block
 * first, then one upsert of their pointers and the size. On any error every
 * new block is freed again and the file is as it was. */
static int
write_batch(struct fs *fs, const struct res *r, uint64_t off, const uint8_t *src, size_t len,
        uint64_t *length, size_t *done)
{
    uint32_t bs = fs->block_size, n = 0;
    struct wbatch *w = fs->wbatch;
    int err = 0;
    uint64_t end = off;
    while (*done < len && n < w->cap && !err) {
        uint32_t in = (uint32_t)(end % bs);
        uint32_t part = (uint32_t)FS_MIN((uint64_t)(bs - in), (uint64_t)(len - *done));
        struct bptr bp;
        err = data_block(fs, r, end - in, in, src + *done, part, *length, &bp);
        if (!err) {
            fmt_bptr_pack(w->vals[n], bp);
            w->addrs[n] = bp.addr;
            w->msgs[n] = (struct msg){ w->keys[n], w->vals[n],
                key_dat(w->keys[n], r->d.qid, end - in), FMT_PTR_SIZE, FMT_OP_INSERT };
            n++;
            end += part;
            *done += part;
        }
    }
    if (!err) {
        w->msgs[n] = wstat_msg(w->keys[n], w->vals[n], r->parent, r->name, r->nlen,
                end > *length, end, fs->clock_ns);
        err = tree_upsert(fs, &fs->tree, w->msgs, n + 1);
    }
    for (uint32_t i = 0; err && i < n; i++) {
        blk_free_undo(fs, w->addrs[i]);
    }
    *length = err ? *length : FS_MAX(*length, end);
    return err;
}

int
fs_write(struct fs *fs, const char *path, uint64_t off, const void *buf, size_t len)
{
    int err = writable(fs);
    struct res r;
    if (!err) {
        err = file_get(fs, path, &r);
    }
    if (err) {
        return err;
    }
    if (off > FS_FILE_SIZE_MAX || len > FS_FILE_SIZE_MAX - off) {
        return FS_EFBIG;
    }
    uint64_t length = r.d.length;
    size_t done = 0;
    while (!err && done < len) {            /* A write of nothing changes nothing. */
        size_t before = done;
        err = write_batch(fs, &r, off + done, (const uint8_t *)buf, len, &length, &done);
        ASSERT(err || done > before);
    }
    return err;
}

/* The data pointer of the file block at blkoff; *hole when there is none. */
static int
data_ptr(struct fs *fs, const struct res *r, uint64_t blkoff, struct bptr *bp, bool *hole)
{
    uint8_t k[FMT_KEY_MAX], v[FMT_INLINE_MAX];
    uint16_t nv;
    int err = tree_lookup(fs, cur(fs), k, key_dat(k, r->d.qid, blkoff), v, &nv);
    *hole = err == FS_ENOENT;
    if (err) {
        return *hole ? 0 : err;
    }
    if (nv != FMT_PTR_SIZE) {
        return fs_broke(fs, FS_ECORRUPT, 0, "data pointer malformed");
    }
    *bp = fmt_bptr_unpack(v);
    return 0;
}

/* The data block of the file block at blkoff (held: blk_put it), or NULL
 * for a hole. */
static int
data_get(struct fs *fs, const struct res *r, uint64_t blkoff, struct cblk **out)
{
    struct bptr bp;
    bool hole;
    *out = NULL;
    int err = data_ptr(fs, r, blkoff, &bp, &hole);
    return err || hole ? err : blk_read(fs, bp, BLK_MASK(FMT_TYPE_DATA), out);
}

/* The file at path and the bytes [off, off + *len) of it below its length
 * (*len clamped; 0 at or past the end). */
static int
read_range(struct fs *fs, const char *path, uint64_t off, size_t *len, struct res *r)
{
    int err = file_get(fs, path, r);
    if (err || off >= r->d.length) {
        *len = 0;
        return err;
    }
    *len = (size_t)FS_MIN((uint64_t)*len, r->d.length - off);
    return 0;
}

int
fs_read(struct fs *fs, const char *path, uint64_t off, void *buf, size_t len, size_t *done)
{
    struct res r;
    *done = 0;
    int err = read_range(fs, path, off, &len, &r);
    uint32_t bs = fs->block_size;
    uint8_t *dst = buf;
    while (!err && len > 0) {
        uint32_t in = (uint32_t)(off % bs);
        uint32_t n = (uint32_t)FS_MIN((uint64_t)(bs - in), (uint64_t)len);
        struct cblk *b;
        err = data_get(fs, &r, off - in, &b);
        if (err) {
            return err;
        }
        if (b == NULL) {
            memset(dst, 0, n);
        } else {
            memcpy(dst, b->buf + in, n);
            blk_put(fs, b);
        }
        *done += n;
        dst += n;
        off += n;
        len -= n;
    }
    return err;
}

int
fs_read_ids(struct fs *fs, const char *path, uint64_t off, size_t len, struct fs_block_id *ids,
        uint32_t *count)
{
    struct res r;
    uint32_t cap = *count;
    *count = 0;
    int err = read_range(fs, path, off, &len, &r);
    uint32_t bs = fs->block_size;
    for (uint64_t blkoff = off - off % bs; !err && len > 0 && blkoff < off + len; blkoff += bs) {
        ASSERT(*count < cap);
        struct bptr bp;
        struct fs_block_id id = { 0, false };
        err = data_ptr(fs, &r, blkoff, &bp, &id.hole);
        if (!err && !id.hole) {
            err = blk_data_hash(fs, bp, &id.hash);
        }
        ids[*count] = id;
        *count += !err;
    }
    return err;
}

struct seek_scan {
    uint64_t off;                   /* The first data block's offset found. */
    bool found;
};

static int
seek_fn(void *arg, const struct kv *kv)
{
    struct seek_scan *s = arg;
    if (kv->nk != FMT_KDAT_SIZE) {
        return FS_ECORRUPT;
    }
    s->off = key_dat_off(kv->k);
    s->found = true;
    return 1;
}

int
fs_seek_data(struct fs *fs, const char *path, uint64_t off, uint64_t *data)
{
    struct res r;
    int err = file_get(fs, path, &r);
    if (err) {
        return err;
    }
    uint32_t bs = fs->block_size;
    if (off >= r.d.length) {
        return FS_ENOENT;
    }
    uint8_t lo[FMT_KEY_MAX];
    uint16_t nlo = key_dat(lo, r.d.qid, off - off % bs);
    struct seek_scan s = { 0, false };
    err = tree_scan(fs, cur(fs), lo, nlo, lo, FMT_KEY_PREFIX_SIZE, seek_fn, &s);
    if (err) {
        return err == FS_ECORRUPT && !fs->broken ? fs_broke(fs, err, 0, "data key malformed")
            : err;
    }
    if (!s.found || s.off >= r.d.length) {
        return FS_ENOENT;
    }
    *data = FS_MAX(s.off, off);
    return 0;
}

struct dat_scan {
    uint64_t offs[CLEAR_BATCH];     /* Block offsets found. */
    uint32_t count;                 /* Entries. */
};

static int
dat_scan_fn(void *arg, const struct kv *kv)
{
    struct dat_scan *s = arg;
    if (kv->nk != FMT_KDAT_SIZE) {
        return FS_ECORRUPT;
    }
    s->offs[s->count++] = key_dat_off(kv->k);
    return s->count == CLEAR_BATCH ? 1 : 0;
}

/* Clears (releases) every data block of qid at or past block offset from. */
static int
clear_from(struct fs *fs, uint64_t qid, uint64_t from)
{
    uint8_t prefix[FMT_KEY_MAX], lo[FMT_KEY_MAX];
    uint16_t nprefix = key_prefix(prefix, FMT_KDAT, qid);
    /* Each round clears the keys it found and looks again: a clear that needs
     * more rounds is clearing keys that do not go away (a damaged tree). */
    uint64_t round_max = tree_batch_rounds_max(fs, FMT_KDAT_SIZE, 0, CLEAR_BATCH);
    for (uint64_t round = 0; round < round_max; round++) {
        struct dat_scan s = { .count = 0 };
        int err = tree_scan(fs, &fs->tree, lo, key_dat(lo, qid, from), prefix, nprefix,
                dat_scan_fn, &s);
        if (err) {
            return err == FS_ECORRUPT ? fs_broke(fs, err, 0, "data key malformed") : err;
        }
        if (s.count == 0) {
            return 0;
        }
        uint8_t k[CLEAR_BATCH][FMT_KDAT_SIZE];
        struct msg m[CLEAR_BATCH];
        for (uint32_t i = 0; i < s.count; i++) {
            m[i] = (struct msg){ k[i], NULL, key_dat(k[i], qid, s.offs[i]), 0, FMT_OP_CLEARB };
        }
        err = tree_upsert(fs, &fs->tree, m, s.count);
        if (err) {
            return err;
        }
    }
    return fs_broke(fs, FS_ECORRUPT, fs->tree.root.addr,
            "more data blocks than the tree holds (a cycle?)");
}

/* A clear that failed after the upsert it follows went in (a remove's entry
 * delete, a truncate's new length): the step is half done, and committing
 * it would leave data blocks of no file, or past a file's length. The file
 * system stops writing instead (broke), so the last commit stands; the
 * error goes back unchanged. */
static int
clear_failed(struct fs *fs, int err, const char *why)
{
    ASSERT(err < 0);
    ASSERT(why != NULL);
    return fs->broken ? err : fs_broke(fs, err, fs->tree.root.addr, why);
}

/* Zeroes the bytes of the block holding offset size past it (shrink). */
static int
zero_tail(struct fs *fs, const struct res *r, uint64_t size, struct msg *m, uint8_t *k, uint8_t *v,
        uint32_t *n)
{
    uint32_t bs = fs->block_size, in = (uint32_t)(size % bs);
    uint16_t nv, nk = key_dat(k, r->d.qid, size - in);
    if (in == 0) {
        return 0;
    }
    int err = tree_lookup(fs, &fs->tree, k, nk, v, &nv);
    if (err == FS_ENOENT) {
        return 0;
    }
    struct cblk *old, *b;
    if (!err) {
        err = nv != FMT_PTR_SIZE ? fs_broke(fs, FS_ECORRUPT, 0, "data pointer malformed")
            : blk_read(fs, fmt_bptr_unpack(v), BLK_MASK(FMT_TYPE_DATA), &old);
    }
    if (err) {
        return err;
    }
    err = blk_new(fs, FMT_TYPE_DATA, fs->tree.memgen, r->d.qid, false, &b);
    if (!err) {
        memcpy(b->buf, old->buf, in);
        fmt_bptr_pack(v, blk_finish(fs, b));
        blk_put(fs, b);
        m[(*n)++] = (struct msg){ k, v, nk, FMT_PTR_SIZE, FMT_OP_INSERT };
    }
    blk_put(fs, old);
    return err;
}

int
fs_truncate(struct fs *fs, const char *path, uint64_t size)
{
    int err = writable(fs);
    struct res r;
    if (!err) {
        err = file_get(fs, path, &r);
    }
    if (err) {
        return err;
    }
    if (size > FS_FILE_SIZE_MAX) {
        return FS_EFBIG;
    }
    uint8_t k[2][FMT_KEY_MAX], v[2][FMT_INLINE_MAX];
    struct msg m[2];
    uint32_t n = 0;
    bool shrink = size < r.d.length;
    fs->use_reserve = shrink;
    m[n++] = wstat_msg(k[0], v[0], r.parent, r.name, r.nlen, true, size, fs->clock_ns);
    err = shrink ? zero_tail(fs, &r, size, m, k[1], v[1], &n) : 0;
    if (!err) {
        err = tree_upsert(fs, &fs->tree, m, n);
    }
    if (err && n == 2) {
        blk_free_undo(fs, fmt_bptr_unpack(v[1]).addr);     /* The new tail block. */
    }
#ifndef MUTANT_TRUNCATE_KEEPS_BLOCKS
    if (!err && shrink) {
        uint64_t bs = fs->block_size;
        err = clear_from(fs, r.d.qid, (size + bs - 1) / bs * bs);
        err = err ? clear_failed(fs, err, "truncate failed to clear past the new length") : 0;
    }
#endif
    fs->use_reserve = false;
    return err;
}

struct any {
    bool found;             /* An entry was seen. */
};

static int
any_fn(void *arg, const struct kv *kv)
{
    (void)kv;
    ((struct any *)arg)->found = true;
    return 1;
}

int
fs_remove(struct fs *fs, const char *path)
{
    int err = writable(fs);
    struct res r;
    if (!err) {
        err = resolve(fs, path, &r);
    }
    if (err || !r.exists || r.name == NULL) {
        return err ? err : !r.exists ? FS_ENOENT : FS_EPERM;
    }
    bool dir = (r.d.qtype & FMT_QID_DIR) != 0;
    if (dir) {
        uint8_t prefix[FMT_KEY_MAX];
        struct any a = { false };
        uint16_t nprefix = key_prefix(prefix, FMT_KENT, r.d.qid);
        err = tree_scan(fs, &fs->tree, NULL, 0, prefix, nprefix, any_fn, &a);
        if (err || a.found) {
            return err ? err : FS_ENOTEMPTY;
        }
    }
    uint8_t k[3][FMT_KEY_MAX], v[3][FMT_INLINE_MAX];
    struct msg m[3];
    uint32_t n = 0;
    m[n++] = (struct msg){ k[0], NULL, key_ent(k[0], r.parent, r.name, r.nlen), 0, FMT_OP_DELETE };
    err = touch_parent(fs, &r, k[1], v[1], &m[n++]);
    if (dir) {
        m[n++] = (struct msg){ k[2], NULL, key_up(k[2], r.d.qid), 0, FMT_OP_CLOBBER };
    }
    fs->use_reserve = true;
    if (!err) {
        err = tree_upsert(fs, &fs->tree, m, n);
    }
#ifndef MUTANT_REMOVE_KEEPS_BLOCKS
    if (!err && !dir) {
        err = clear_from(fs, r.d.qid, 0);
        err = err ? clear_failed(fs, err, "remove failed to clear the data of its file") : 0;
    }
#endif
    fs->use_reserve = false;
    return err;
}

int
fs_rename(struct fs *fs, const char *from, const char *to)
{
    int err = writable(fs);
    struct res a, b;
    if (!err) {
        err = resolve(fs, from, &a);
    }
    if (!err) {
        err = resolve(fs, to, &b);
    }
    if (err || !a.exists || a.name == NULL) {
        return err ? err : !a.exists ? FS_ENOENT : FS_EPERM;
    }
    if (b.name == NULL || b.parent != a.parent) {
        return b.name == NULL ? FS_EEXIST : FS_EXDEV;
    }
    if (b.exists) {
        return a.nlen == b.nlen && memcmp(a.name, b.name, a.nlen) == 0 ? 0 : FS_EEXIST;
    }
    uint8_t k[4][FMT_KEY_MAX], v[4][FMT_INLINE_MAX];
    struct msg m[4];
    uint32_t n = 0;
    fmt_dirent_pack(v[0], &a.d);
    uint16_t nk = key_ent(k[0], b.parent, b.name, b.nlen);
    m[n++] = (struct msg){ k[0], v[0], nk, FMT_DIRENT_SIZE, FMT_OP_INSERT };
    m[n++] = (struct msg){ k[1], NULL, key_ent(k[1], a.parent, a.name, a.nlen), 0,
        FMT_OP_CLOBBER };
    err = touch_parent(fs, &a, k[2], v[2], &m[n++]);
    if (a.d.qtype & FMT_QID_DIR) {
        memcpy(v[3], k[0], nk);
        m[n++] = (struct msg){ k[3], v[3], key_up(k[3], a.d.qid), nk, FMT_OP_INSERT };
    }
    return err ? err : tree_upsert(fs, &fs->tree, m, n);
}

int
fs_stat(struct fs *fs, const char *path, struct fs_stat *st)
{
    struct res r;
    int err = resolve(fs, path, &r);
    if (err || !r.exists) {
        return err ? err : FS_ENOENT;
    }
    if (st != NULL) {
        *st = (struct fs_stat){ .qid = r.d.qid, .version = r.d.version,
            .is_dir = (r.d.qtype & FMT_QID_DIR) != 0, .mode = r.d.mode & 0777,
            .size = r.d.length, .mtime_ns = r.d.mtime_ns, .atime_ns = r.d.atime_ns };
    }
    return 0;
}

struct dir_ctx {
    int (*fn)(void *arg, const struct fs_dirent *entry);   /* The caller's callback. */
    void *arg;                                              /* Its argument. */
};

static int
dir_fn(void *arg, const struct kv *kv)
{
    struct dir_ctx *c = arg;
    /* An empty name is the root's own key, which no directory lists: one
     * does only when a directory's qid is forged to the root's parent, nil. */
    if (fmt_kent_check(kv->k, kv->nk) != NULL || kv->nk == FMT_KENT_SIZE_MIN
            || kv->nv != FMT_DIRENT_SIZE) {
        return FS_ECORRUPT;
    }
    struct fmt_dirent d;
    fmt_dirent_unpack(kv->v, &d);
    if (d.length > FS_FILE_SIZE_MAX) {
        return FS_ECORRUPT;
    }
    struct fs_dirent e = { .qid = d.qid, .is_dir = (d.qtype & FMT_QID_DIR) != 0,
        .size = d.length };
    memcpy(e.name, key_ent_name(kv->k), kv->nk - FMT_KENT_SIZE_MIN);
    e.name[kv->nk - FMT_KENT_SIZE_MIN] = '\0';
    return c->fn(c->arg, &e);
}

int
fs_readdir(struct fs *fs, const char *path, int (*fn)(void *arg, const struct fs_dirent *entry),
        void *arg)
{
    struct res r;
    int err = resolve(fs, path, &r);
    if (err || !r.exists) {
        return err ? err : FS_ENOENT;
    }
    if (!(r.d.qtype & FMT_QID_DIR)) {
        return FS_ENOTDIR;
    }
    uint8_t prefix[FMT_KEY_PREFIX_SIZE];
    uint16_t nprefix = key_prefix(prefix, FMT_KENT, r.d.qid);
    struct dir_ctx c = { fn, arg };
    err = tree_scan(fs, cur(fs), NULL, 0, prefix, nprefix, dir_fn, &c);
    return err == FS_ECORRUPT && !fs->broken ? fs_broke(fs, err, 0, "directory key malformed")
        : err;
}
