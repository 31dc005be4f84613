/*
 * fs/debug.h: printing the internals of a mounted file system for people,
 * like debugfs. Used by `crashsim tree`; nothing here changes the file system.
 *
 * fs/ stays free of harness code: these functions only format what the tree
 * module already reads and verifies, onto a FILE* the caller owns.
 */
#ifndef FS_DEBUG_H
#define FS_DEBUG_H

#include <stdbool.h>
#include <stdio.h>

#include "fs.h"

/*
 * Prints every node of the mounted tree (snap_tree false) or of the snapshot
 * tree (true), pre-order, indented two spaces per depth: per node its block
 * number, type, depth, height, fill, value and message counts, then each key
 * decoded by kind (Kdat qid+offset, Kent parent+name, Kup qid, Klabel name,
 * Ksnap id, Kdlist killer+birth) with a short decoding of its value; a
 * header line first and a summary line last. Returns 0, or the error reading
 * a node (FS_ECORRUPT, FS_EIO; fs_broken() says why).
 */
int fs_debug_tree(struct fs *fs, FILE *out, bool snap_tree);

#endif /* FS_DEBUG_H */
