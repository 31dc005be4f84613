/*
 * sim/oracle/diff.c: oracle_diff (see oracle.h): how a mounted file system
 * differs from an oracle, in sentences for a person.
 *
 * Method. The oracle's tree and the fs's listing (fsread.c, in the same name
 * order) are walked side by side as in a merge: a name on one side only is
 * missing or extra; a name on both is compared by type, then a directory
 * recursively, a file by size and by its bytes chunk by chunk up to the
 * first that differs. The mounted tree comes first, then the labels: each
 * is missing, extra or of the other mutability, and the tree of every label
 * both sides have (but the mounted one, already compared) is compared too.
 *
 * It describes the first DIFF_LINES_MAX differences, then "... and more":
 * it explains a digest mismatch (digest.c), it proves nothing itself. It
 * never changes the oracle and leaves the fs viewing its mounted tree.
 */
#include "oracle_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_LINES_MAX 16u              /* Differences oracle_diff describes. */

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
        diff_note(d, path, "size: oracle %llu, fs %llu bytes", (unsigned long long)f->size,
                (unsigned long long)st.size);
    }
    uint64_t size = st.size < f->size ? st.size : f->size;
    uint64_t chunks = (size + MODEL_CHUNK_SIZE - 1) / MODEL_CHUNK_SIZE;
    uint8_t *buf = oracle_realloc(NULL, MODEL_CHUNK_SIZE);
    for (uint64_t i = 0; i < chunks; i++) {
        err = oracle_fs_chunks_read(d->fs, path, size, i, 1, buf);
        if (err) {
            diff_note(d, path, "fs_read at byte %llu failed: %s",
                    (unsigned long long)(i * MODEL_CHUNK_SIZE), fs_strerror(err));
            break;
        }
        const uint8_t *c = oracle_chunk_peek(f, i);
        for (uint32_t k = 0; k < MODEL_CHUNK_SIZE; k++) {
            uint8_t want = c != NULL ? c[k] : 0;
            if (buf[k] != want) {
                diff_note(d, path, "content differs first at byte %llu: oracle 0x%02x, fs 0x%02x",
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
        diff_note(d, path->p, "type: oracle %s, fs %s", kind(me->node->is_dir), kind(fe->is_dir));
    } else if (fe->is_dir) {
        diff_dir(d, me->node, path);
    } else {
        if (fe->size != me->node->size) {
            diff_note(d, path->p, "directory entry size: oracle %llu, fs %llu bytes",
                    (unsigned long long)me->node->size, (unsigned long long)fe->size);
        }
        diff_file(d, me->node, path->p);
    }
}

static void
diff_dir(struct diff *d, const struct mnode *dir, struct pbuf *path)
{
    struct flist l;
    int err = oracle_fs_dir_list(d->fs, path->p, &l);
    if (err) {
        diff_note(d, path->p, "fs_readdir failed: %s", fs_strerror(err));
        return;
    }
    uint32_t i = 0, j = 0;
    while ((i < dir->ent_count || j < l.count) && !diff_full(d)) {
        const struct mentry *me = i < dir->ent_count ? &dir->ents[i] : NULL;
        const struct fent *fe = j < l.count ? &l.e[j] : NULL;
        int c = me == NULL ? 1 : fe == NULL ? -1
            : oracle_name_cmp(me->name, me->nlen, fe->name, fe->nlen);
        size_t old = oracle_pbuf_push(path, c <= 0 ? me->name : fe->name,
                c <= 0 ? me->nlen : fe->nlen);
        if (c < 0) {
            diff_note(d, path->p, "missing in the fs (oracle: %s of %llu bytes)",
                    kind(me->node->is_dir), (unsigned long long)me->node->size);
        } else if (c > 0) {
            diff_note(d, path->p, "extra in the fs (%s of %llu bytes)", kind(fe->is_dir),
                    (unsigned long long)fe->size);
        } else {
            diff_pair(d, me, fe, path);
        }
        oracle_pbuf_pop(path, old);
        i += c <= 0;
        j += c >= 0;
    }
    oracle_fs_dir_free(&l);
}

static void
diff_tree(struct diff *d, const char *label, const struct mnode *root, struct pbuf *path)
{
    int err = fs_view(d->fs, label);
    oracle_pbuf_set(path, "/");
    if (err) {
        diff_note(d, path->p, "fs_view failed: %s", fs_strerror(err));
    } else {
        diff_dir(d, root, path);
    }
    (void)fs_view(d->fs, NULL);
}

static void
diff_labels(struct diff *d, const struct oracle *m, struct pbuf *path)
{
    struct slist l;
    int err = oracle_fs_labels_list(d->fs, &l);
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
            : oracle_name_cmp(ml->name, strlen(ml->name), fl->name, strlen(fl->name));
        if (c < 0) {
            diff_note(d, ml->name, "label missing in the fs");
        } else if (c > 0) {
            diff_note(d, fl->name, "label extra in the fs");
        } else if (ml->mutable != fl->mutable) {
            diff_note(d, ml->name, "label mutability: oracle %s, fs %s",
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
oracle_diff(const struct oracle *m, struct fs *fs, char *out, size_t size)
{
    ASSERT(m != NULL && fs != NULL);
    struct diff d = { fs, out, size, 0, 0, "" };
    if (size > 0) {
        out[0] = '\0';
    }
    struct pbuf path = { NULL, 0, 0 };
    diff_tree(&d, NULL, oracle_mounted_root(m), &path);
    if (!diff_full(&d)) {
        diff_labels(&d, m, &path);
    }
    free(path.p);
    if (d.count > DIFF_LINES_MAX && d.used + 32 < size) {
        snprintf(out + d.used, size - d.used, "... and more\n");
    }
    return d.count > 0;
}
