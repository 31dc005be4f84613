/*
 * sim/oracle/oracle_impl.h: what the files of the oracle share and no file
 * outside sim/oracle/ includes (others include oracle.h).
 *
 * The representation of an oracle (oracle.c's essay gives its method and
 * invariants), which only oracle.c changes; the path buffer of the walks;
 * the fs listings of fsread.c; and the few helpers one file of the oracle
 * defines for the others, named oracle_*. Everything else is static in its
 * file.
 */
#ifndef SIM_ORACLE_ORACLE_IMPL_H
#define SIM_ORACLE_ORACLE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../fs/fs.h"
#include "oracle.h"

#define MODEL_CHUNK_SIZE 4096u          /* Bytes per file chunk and per digest unit. */

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
    bool digested;              /* File: digest holds its digest (cleared by every change). */
    uint64_t digest;            /* File: file_digest's value, when digested. */
};

struct mlabel {
    char *name;                 /* Owned. */
    bool mutable;               /* A fork or the mounted label, not a frozen label. */
    struct mnode *root;         /* A reference to its root directory. */
};

struct oracle {
    struct mlabel *labels;      /* In name order. */
    uint32_t label_count;       /* In use. */
    uint32_t label_cap;         /* Allocated. */
    char *mounted;              /* Owned: the label steps change (it always exists). */
};

/* ---- oracle.c ---- */

/* realloc and strndup that never return NULL: the oracle is harness code,
 * and running out of memory is fatal (an ASSERT). */
void *oracle_realloc(void *p, size_t size);
char *oracle_strndup(const char *s, size_t n);
/* The canonical order of names: by bytes, a shorter name first on a tie. */
int oracle_name_cmp(const char *a, size_t na, const char *b, size_t nb);
/* Chunk index's bytes in file f, or NULL for a hole. */
const uint8_t *oracle_chunk_peek(const struct mnode *f, uint64_t index);
/* The root directory of the mounted label. */
const struct mnode *oracle_mounted_root(const struct oracle *m);

/* A growable path. */
struct pbuf {
    char *p;                    /* NUL-terminated. */
    size_t len;                 /* Bytes before the NUL. */
    size_t cap;                 /* Bytes allocated. */
};

/* Sets the path to s. */
void oracle_pbuf_set(struct pbuf *b, const char *s);
/* Appends "/name" (no slash after the root); returns the old length. */
size_t oracle_pbuf_push(struct pbuf *b, const char *name, size_t nlen);
/* Cuts the path back to len bytes (what oracle_pbuf_push returned). */
void oracle_pbuf_pop(struct pbuf *b, size_t len);

/* ---- fsread.c ---- */

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

struct slist {
    struct fs_snapinfo *s;      /* Labels, sorted by name once listed. */
    uint32_t count;             /* In use. */
    uint32_t cap;               /* Allocated. */
};

/* Lists the directory at path in canonical order into *l, which the caller
 * frees with oracle_fs_dir_free. Returns 0, or the fs's error with *l empty. */
int oracle_fs_dir_list(struct fs *fs, const char *path, struct flist *l);
void oracle_fs_dir_free(struct flist *l);
/* Lists the labels in canonical order into *l; the caller frees l->s (after
 * an error it may hold the labels listed before it). Returns 0 or the fs's
 * error. */
int oracle_fs_labels_list(struct fs *fs, struct slist *l);
/* Reads chunks [index, index + count) of the file at path, of size bytes,
 * into buf, zero-padded to whole chunks. */
int oracle_fs_chunks_read(struct fs *fs, const char *path, uint64_t size, uint64_t index,
        uint32_t count, uint8_t *buf);

#endif /* SIM_ORACLE_ORACLE_IMPL_H */
