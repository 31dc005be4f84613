/*
 * sim/oracle/fsread.c: a mounted file system read through its public API
 * (fs_readdir, fs_snap_list, fs_read) in the oracle's canonical order, for
 * digest.c and diff.c (declared in oracle_impl.h).
 *
 * A directory's entries and the labels come back sorted by name bytes, a
 * shorter name first on a tie (oracle_name_cmp, the order oracle.c keeps its
 * own entries and labels in), whatever order the fs listed them in; a file's
 * bytes come in whole MODEL_CHUNK_SIZE chunks, zero past the size, the unit
 * of the digest. A short read inside a file's size is FS_EIO: the fs broke
 * its own contract. Nothing here changes the fs; the lists belong to the
 * caller, who frees them.
 */
#include "oracle_impl.h"

#include <stdlib.h>
#include <string.h>

static int
flist_fn(void *arg, const struct fs_dirent *entry)
{
    struct flist *l = arg;
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->e = oracle_realloc(l->e, l->cap * sizeof(struct fent));
    }
    size_t n = strlen(entry->name);
    l->e[l->count++] = (struct fent){ oracle_strndup(entry->name, n), n, entry->is_dir,
        entry->size };
    return 0;
}

static int
fent_order(const void *a, const void *b)
{
    const struct fent *x = a, *y = b;
    return oracle_name_cmp(x->name, x->nlen, y->name, y->nlen);
}

void
oracle_fs_dir_free(struct flist *l)
{
    for (uint32_t i = 0; i < l->count; i++) {
        free(l->e[i].name);
    }
    free(l->e);
    *l = (struct flist){ NULL, 0, 0 };
}

/* Lists a directory of the fs in canonical order. */
int
oracle_fs_dir_list(struct fs *fs, const char *path, struct flist *l)
{
    *l = (struct flist){ NULL, 0, 0 };
    int err = fs_readdir(fs, path, flist_fn, l);
    if (err) {
        oracle_fs_dir_free(l);
        return err;
    }
    if (l->count > 0) {
        qsort(l->e, l->count, sizeof(struct fent), fent_order);
    }
    return 0;
}

/* Reads chunks [index, index + count) of a file of size bytes into buf,
 * zero-padded to whole chunks. */
int
oracle_fs_chunks_read(struct fs *fs, const char *path, uint64_t size, uint64_t index,
        uint32_t count, uint8_t *buf)
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
slist_fn(void *arg, const struct fs_snapinfo *info)
{
    struct slist *l = arg;
    if (l->count == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->s = oracle_realloc(l->s, l->cap * sizeof(struct fs_snapinfo));
    }
    l->s[l->count++] = *info;
    return 0;
}

static int
snapinfo_order(const void *a, const void *b)
{
    const struct fs_snapinfo *x = a, *y = b;
    return oracle_name_cmp(x->name, strlen(x->name), y->name, strlen(y->name));
}

int
oracle_fs_labels_list(struct fs *fs, struct slist *l)
{
    *l = (struct slist){ NULL, 0, 0 };
    int err = fs_snap_list(fs, slist_fn, l);
    if (!err && l->count > 0) {
        qsort(l->s, l->count, sizeof(struct fs_snapinfo), snapinfo_order);
    }
    return err;
}
