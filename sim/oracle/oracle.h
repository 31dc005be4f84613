/*
 * sim/oracle/oracle.h: the oracle, an independent in-memory model of what the file
 * system must show: the namespace, the bytes of every file and the labels.
 *
 * The oracle is written from the semantics of fs/fs.h, not from the code of
 * fs/. It is driven by the steps of a trace (traces/trace.h): for each step it
 * says which FS_E* code the file system must return and, on success, applies
 * the step. The mounted label is "main" unless oracle_mount chose another.
 *
 * Canonical state, the thing a digest covers: the tree of the mounted label
 * (entries sorted by name bytes, each with its type, and for files the size
 * and the content) and every label (name, mutable flag, the digest of its
 * tree). Times, qids and versions are not part of it: they are not semantics
 * a crash may be judged by. oracle_digest and oracle_digest_fs compute the same
 * value by the same definition, one from the oracle and one from a mounted fs
 * through the public API only.
 *
 * FS_ENOSPC: the oracle cannot predict space. The rule: a step that fails
 * with FS_ENOSPC in the file system must leave the file-system state
 * unchanged, and the oracle does not apply it. oracle_step implements the rule
 * for a runner: it accepts FS_ENOSPC wherever the oracle expected success (and
 * then skips the step), and nowhere else; the next digest comparison then
 * proves the file system left its state unchanged.
 *
 * Ownership: an oracle owns its nodes. Nodes are reference counted and copied
 * on write, so oracle_clone and a snapshot label cost O(1) and a mutation
 * copies only the nodes on its path; a clone is still semantically a deep
 * copy (no change to one is ever visible in the other).
 *
 * The oracle is sim/oracle/oracle.c (the semantics), digest.c, diff.c and
 * fsread.c; oracle.c's opening comment says which owns what. This header is
 * all that code outside sim/oracle/ may call.
 */
#ifndef SIM_ORACLE_ORACLE_H
#define SIM_ORACLE_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../fs/fs.h"
#include "../../traces/trace.h"

struct oracle;

/* An empty root directory, with label "main" (mutable) mounted. */
struct oracle *oracle_new(void);
/* Mounts another label, as fs_mount with fs_config.snapshot does: steps then
 * change that label's tree, and an immutable label refuses every change of
 * the namespace with FS_EROFS (snapshot steps still work). FS_ENOENT if there
 * is no such label. */
int oracle_mount(struct oracle *m, const char *label);
void oracle_free(struct oracle *m);
/* A deep copy (copy-on-write sharing underneath): the explorer keeps one per sync point. */
struct oracle *oracle_clone(const struct oracle *m);

/* The FS_E* code the file system must return for step s (0 on success); the
 * oracle does not change. */
int oracle_expect(const struct oracle *m, const struct trace_step *s);
/* As oracle_expect, and applies the step when the code is 0. */
int oracle_apply(struct oracle *m, const struct trace_step *s);

/*
 * The runner's call after it ran step s against the file system and got
 * got: applies the step when the oracle expects success and got is 0; skips
 * it when got is FS_ENOSPC and the oracle expected success (the ENOSPC rule
 * above). Returns 0 if got was legal, else 1 with a sentence in why (which
 * may be NULL).
 */
int oracle_step(struct oracle *m, const struct trace_step *s, int got, char *why, size_t size);

/* Canonical digest of the visible state. */
uint64_t oracle_digest(const struct oracle *m);
/* The same digest computed from a mounted fs through fs_readdir, fs_stat,
 * fs_read, fs_snap_list and fs_view only. Leaves the fs viewing its mounted
 * tree. Returns 0 or the first error of the file system. */
int oracle_digest_fs(struct fs *fs, uint64_t *digest);

/*
 * A memo of file chunks by content, for oracle_digest_fs_memo: a chunk's
 * part of the digest is a function of its bytes, so it is kept under the
 * content hash of the data block it lies in, its place in the block and the
 * bytes of it below the file's size; a tree's digest under its identity. A
 * memo starts small and doubles as it fills, up to a bound (digest.c:
 * 2^19 entries, 24 MiB), beyond which it keeps what it holds; it counts its
 * lookups and hits.
 */
struct oracle_memo;
struct oracle_memo *oracle_memo_new(void);
void oracle_memo_free(struct oracle_memo *memo);
/* Lookups and hits since oracle_memo_new. */
void oracle_memo_counts(const struct oracle_memo *memo, uint64_t *lookups, uint64_t *hits);
/* oracle_digest_fs, reading by content (fs_read_ids) first: a chunk the memo
 * holds is not read or hashed again; the rest are read as oracle_digest_fs
 * reads them. The same digest and errors as oracle_digest_fs. With checked
 * (the caller's fs_check found no corruption in this mount: every block of
 * every tree verified), a tree whose identity (fs_view_ident) the memo holds
 * is not read at all: its root's hash commits to all its bytes. Only
 * digests computed without error are kept. memo NULL: oracle_digest_fs. */
int oracle_digest_fs_memo(struct fs *fs, struct oracle_memo *memo, bool checked, uint64_t *digest);

/*
 * 0 if fs shows exactly the oracle's state, else 1 and a description of the
 * first differences in out (one per line: the path and what differs: a
 * missing or extra entry, the type, the size, the first differing byte
 * offset; labels missing, extra, or of the wrong mutability). A file-system
 * error is reported as a difference. Leaves the fs viewing its mounted tree.
 */
int oracle_diff(const struct oracle *m, struct fs *fs, char *out, size_t size);

/* Counts of the mounted label's tree, for tests and progress lines. */
struct oracle_counts {
    uint64_t dir_count;         /* Directories, the root included. */
    uint64_t file_count;        /* Regular files. */
    uint64_t byte_count;        /* Sum of file sizes. */
    uint32_t label_count;       /* Labels, "main" included. */
};
void oracle_counts(const struct oracle *m, struct oracle_counts *c);

/* Calls fn for every path of the mounted tree below the root, parents first,
 * entries in name order; fn returns 0 to go on, 1 to stop. */
int oracle_walk(const struct oracle *m,
        int (*fn)(void *arg, const char *path, bool is_dir, uint64_t size), void *arg);

/* Label index (0-based, name order): its name and mutable flag; false if
 * index is past the last label. */
bool oracle_label_at(const struct oracle *m, uint32_t index, const char **name, bool *mutable);

/* Reads up to len bytes of the file at path in the mounted tree (holes read
 * as zeros); *done is what was read. FS_ENOENT, FS_EISDIR as fs_read. */
int oracle_read(const struct oracle *m, const char *path, uint64_t off, void *buf, size_t len,
        size_t *done);

#endif /* SIM_ORACLE_ORACLE_H */
