/*
 * fs/fs.h: the public API of the file system.
 *
 * The file system lives on a struct bdev (fs/bdev.h). fs_format writes a new
 * file system; fs_mount runs recovery (superblock choice, arena-header choice,
 * allocation-log replay up to the committed barrier) and returns a handle;
 * fs_sync commits everything done since the last commit with the multi-pass
 * protocol of GEFS; fs_unmount syncs (unless read-only) and releases memory.
 *
 * Every function returns 0 or a negative FS_E* code. After corruption or a
 * device error the file system is broken: it stops writing, further
 * mutations return FS_EROFS, and fs_broken() says why.
 */
#ifndef FS_FS_H
#define FS_FS_H

#include "bdev.h"

struct fs;

struct fs_format_config {
    uint32_t arena_count;       /* 1..32; 0 picks from the device size. */
};

struct fs_config {
    uint32_t cache_block_count;     /* Cache slots; 0 = FS_CACHE_BLOCKS_DEFAULT. */
    bool read_only;                 /* Replay in memory only; never write. */
    bool flush_at_pass_boundaries;  /* Profile "hardened": flush between sync passes. */
};

#define FS_CACHE_BLOCKS_DEFAULT 256u
#define FS_CACHE_BLOCKS_MIN     32u

struct fs_stats {
    uint64_t sync_count;            /* Commits. */
    uint64_t log_grow_count;        /* Log blocks chained on. */
    uint64_t log_compress_count;    /* Log compressions. */
    uint64_t block_read_count;      /* Device reads. */
    uint64_t block_write_count;     /* Device writes. */
    uint64_t flush_count;           /* Device flushes. */
    uint64_t write_cancel_count;    /* Queued writes cancelled by a free. */
    uint64_t enospc_count;          /* Allocations refused for lack of space. */
    uint64_t log_truncated_bytes;   /* Log bytes after the barrier dropped at mount. */
};

/* The arena count fs_format picks when given 0. */
uint32_t fs_arena_count_default(uint32_t block_size, uint64_t block_count);

/* 0 if fs_format can lay out this geometry, else FS_EINVAL (see fs_mount_failure). */
int fs_format_validate(uint32_t block_size, uint64_t block_count, uint32_t arena_count);
int fs_format(const struct bdev *bdev, const struct fs_format_config *config);
int fs_mount(struct fs **out, const struct bdev *bdev, const struct fs_config *config);
int fs_sync(struct fs *fs);
int fs_unmount(struct fs *fs);

/* Why the last fs_format or fs_mount failed, with the block involved. */
const char *fs_mount_failure(void);

/* NULL if the file system is healthy, else why it went read-only. */
const char *fs_broken(const struct fs *fs);
const struct fs_stats *fs_stats(const struct fs *fs);

/* Which superblock copy mount used (0 or 1), and why sb0 was rejected ("" if not). */
uint32_t fs_super_index(const struct fs *fs, const char **sb0_why);
/* Which arena header copy mount used for arena i (0 = h0, 1 = h1). */
uint32_t fs_arena_header_index(const struct fs *fs, uint32_t arena_index);

#endif /* FS_FS_H */
