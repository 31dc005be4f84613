/*
 * fs/check.h: fs_check, the structural checker of a mounted file system.
 *
 * It is far stricter than GEFS's check: it verifies both superblocks and both
 * copies of every arena header, every block of every log chain, the free
 * maps, and the allocation accounting of the whole device against the set of
 * blocks reachable from the committed state. A block referenced and free, or
 * referenced twice, is corruption; a block allocated and unreachable is a
 * leak (GEFS leaks by design after some crashes); a stale second copy of a
 * superblock or header is a warning (the next sync rewrites it).
 *
 * It can run at any time: after mount, after a sync, or between syncs, when
 * blocks written since the last sync are read from the cache and the frees
 * deferred to the next sync are accounted for.
 */
#ifndef FS_CHECK_H
#define FS_CHECK_H

#include "fs.h"

enum fs_check_class {
    FS_CHECK_CORRUPT,       /* The image is damaged: data may be lost or wrong. */
    FS_CHECK_LEAK,          /* Allocated but unreachable blocks: space lost, nothing wrong. */
    FS_CHECK_WARNING,       /* A redundant copy is stale or damaged; recovery used the other. */
    FS_CHECK_CLASS_COUNT
};

#define FS_CHECK_FINDINGS_MAX 32u

struct fs_check_finding {
    uint8_t cls;            /* enum fs_check_class. */
    uint64_t block;         /* Block number involved; UINT64_MAX if none. */
    char what[32];          /* The structure: "superblock", "arena 1 h0", "log", ... */
    char why[112];          /* The failed check, in words. */
};

struct fs_check_result {
    uint64_t count[FS_CHECK_CLASS_COUNT];   /* Findings by class, all of them. */
    uint64_t blocks_reachable;              /* Blocks reachable from the committed state. */
    uint64_t blocks_free;                   /* Blocks in the free maps. */
    uint64_t blocks_leaked;                 /* Allocated, unreachable (= count[LEAK]). */
    uint32_t trees_known;                   /* Namespace scans a memo made needless. */
    uint32_t nodes_known;                   /* Tree nodes a memo knew sound (not read). */
    uint32_t finding_count;                 /* Findings stored below (first ones). */
    struct fs_check_finding findings[FS_CHECK_FINDINGS_MAX];
};

/* Checks fs and fills *result. Returns 0 if the check ran (its verdict is in
 * *result; blocks it could not read, FS_ECORRUPT or FS_EIO, are findings), or
 * FS_ENOMEM if it could not run. */
int fs_check(struct fs *fs, struct fs_check_result *result);

/*
 * What fs_check may keep from one check to the next, across mounts: the
 * trees whose namespace it found sound (every entry, up-link and data key
 * consistent), by identity — root hash, address and height, with nextqid
 * and the geometry. A tree of a known identity is not scanned again when
 * every tree node the check reached so far verified: its root's hash then
 * commits to the bytes the scan would read, so the scan would find nothing
 * again. Bounded; owned by the caller.
 */
struct fs_check_memo;
struct fs_check_memo *fs_check_memo_new(void);
void fs_check_memo_free(struct fs_check_memo *memo);
/* fs_check with a memo (NULL: fs_check). The same findings as fs_check. */
int fs_check_memo(struct fs *fs, struct fs_check_memo *memo, struct fs_check_result *result);

const char *fs_check_class_name(enum fs_check_class cls);

#endif /* FS_CHECK_H */
