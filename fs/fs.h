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
    const char *snapshot;           /* Label to mount; NULL = "main". */
    bool read_only;                 /* Replay in memory only; never write. */
    bool flush_at_pass_boundaries;  /* Profile "hardened": flush between sync passes. */
    /* Optional: memory the caller lends for the mount's tables (the cache,
     * free maps, write queue, tree workspace: one region whose size
     * depends on the device and its arenas). Used when that size fits in
     * mem_size, else fs_mount allocates the region as it does with mem
     * NULL. The caller keeps it until fs_unmount returns (or fs_mount
     * fails) and lends it to one mount at a time. For a caller that mounts
     * many images in a row, it saves an allocation of megabytes a mount. */
    void *mem;
    size_t mem_size;
};

#define FS_CACHE_BLOCKS_DEFAULT 256u
#define FS_CACHE_BLOCKS_MIN     64u

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
    uint64_t log_cut_arena_count;   /* Arenas whose replay dropped entries or blocks. */
    uint64_t log_cut_block_max;     /* Chain position (from 1) of the block holding an
                                     * arena's committed barrier at mount, most. */
    uint64_t compress_no_room_count; /* Log compressions due but skipped for lack of space. */
    uint64_t hash_known_count;      /* Block hashes the device knew (struct bdev's hash). */
    uint64_t hash_computed_count;   /* Block hashes computed from bytes read. */
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

#define FS_NAME_MAX 244u             /* Bytes in a name (file, directory, label). */

struct fs_snapinfo {
    char name[FS_NAME_MAX + 1];     /* The label. */
    uint64_t gen;                   /* Snapshot id it names. */
    bool mutable;                   /* A fork (moves on commit) rather than a label. */
    uint64_t pred;                  /* Predecessor id, UINT64_MAX for none. */
    uint64_t succ;                  /* Successor id in its chain, UINT64_MAX for none. */
    uint64_t base;                  /* Fork base, UINT64_MAX for none. */
    uint32_t nlbl;                  /* Labels naming the snapshot. */
    uint32_t nref;                  /* Successors and forks. */
    uint32_t height;                /* Tree height. */
};

/* Snapshots. Each commits what is pending before it and commits itself
 * (two syncs). label: an immutable name for FROM's current state; fork: a
 * mutable copy; delete: removes a name and reclaims what only it kept. The
 * mounted label cannot be deleted (FS_EPERM). */
int fs_snap_label(struct fs *fs, const char *from, const char *name);
int fs_snap_fork(struct fs *fs, const char *from, const char *name);
int fs_snap_delete(struct fs *fs, const char *name);
/* Path reads (fs_stat, fs_read, fs_readdir) go to label's tree until
 * fs_view(fs, NULL) returns them to the mounted tree; writes meanwhile
 * return FS_EROFS. FS_ENOENT if there is no such label. */
int fs_view(struct fs *fs, const char *label);
/* Calls fn for every label in name order; fn returns 0 to go on, 1 to stop. */
int fs_snap_list(struct fs *fs, int (*fn)(void *arg, const struct fs_snapinfo *info), void *arg);

struct fs_stat {
    uint64_t qid;                   /* Identity of the file (never reused). */
    uint32_t version;               /* Bumped by every change of the entry. */
    bool is_dir;                    /* A directory. */
    uint32_t mode;                  /* Permission bits. */
    uint64_t size;                  /* Bytes (0 for directories). */
    uint64_t mtime_ns;              /* Last modification, logical clock. */
    uint64_t atime_ns;              /* Creation, logical clock (reads do not update it). */
};

struct fs_dirent {
    char name[FS_NAME_MAX + 1];     /* Entry name. */
    uint64_t qid;                   /* Its identity. */
    bool is_dir;                    /* A directory. */
    uint64_t size;                  /* Bytes. */
};

/* The file-system calls. Paths are absolute ("/a/b"); names are 1..244 bytes,
 * not "." or "..", without '/' or control characters. Times come from the
 * logical clock the caller sets. Each call is atomic with respect to commits;
 * nothing is durable before fs_sync returns. Errors: FS_ENOENT, FS_EEXIST,
 * FS_ENOTDIR, FS_EISDIR, FS_ENOTEMPTY, FS_EXDEV (rename across directories),
 * FS_EINVAL, FS_ENAMETOOLONG, FS_EFBIG, FS_ENOSPC, FS_EROFS, FS_ECORRUPT, FS_EIO. */
void fs_clock_set(struct fs *fs, uint64_t now_ns);
uint64_t fs_clock(const struct fs *fs);
int fs_mkdir(struct fs *fs, const char *path);
int fs_create(struct fs *fs, const char *path);
int fs_write(struct fs *fs, const char *path, uint64_t off, const void *buf, size_t len);
/* Reads up to len bytes at off; *done is what was read (0 at or past the end). */
int fs_read(struct fs *fs, const char *path, uint64_t off, void *buf, size_t len, size_t *done);
/* What fs_read of the same bytes reads, by content instead of bytes: per
 * block the read touches, in order, the content hash of its data block
 * (fmt_hash of the whole block, verified as fs_read verifies it) or a hole
 * (reads as zeros). The same lookups and errors as fs_read; a data block
 * the cache does not hold and whose hash the device knows (struct bdev's
 * hash) is not read at all. ids has room for *count blocks (at most
 * len / block_size + 2 are needed); *count is the blocks filled. */
struct fs_block_id {
    uint64_t hash;                  /* Content hash of the data block; 0 for a hole. */
    bool hole;                      /* No data block: the block reads as zeros. */
};
int fs_read_ids(struct fs *fs, const char *path, uint64_t off, size_t len, struct fs_block_id *ids,
        uint32_t *count);
/* The content identity of the tree path reads go to (fs_view): its root's
 * hash, address and height. The root's hash commits to every node and data
 * block below it, so two trees of equal identity whose blocks all verify
 * (fs_check finds no corruption) read alike. False while the tree has
 * changes not yet committed. */
bool fs_view_ident(struct fs *fs, uint64_t ident[3]);
/* The first offset >= off, below the file's length, whose block holds data
 * (lseek's SEEK_DATA): the rest of the file up to it reads as zeros.
 * FS_ENOENT when there is none. */
int fs_seek_data(struct fs *fs, const char *path, uint64_t off, uint64_t *data);
int fs_truncate(struct fs *fs, const char *path, uint64_t size);
/* Removes a file or an empty directory, and releases its data. */
int fs_remove(struct fs *fs, const char *path);
/* Renames within one directory; the new name must not exist (GEFS). */
int fs_rename(struct fs *fs, const char *from, const char *to);
int fs_stat(struct fs *fs, const char *path, struct fs_stat *st);
/* Calls fn for every entry of a directory in key order; fn returns 0 to go on,
 * 1 to stop, or an error. fn must not modify the file system. */
int fs_readdir(struct fs *fs, const char *path,
        int (*fn)(void *arg, const struct fs_dirent *entry), void *arg);

#define FS_FILE_SIZE_MAX (1ull << 48)   /* Bytes: offsets beyond are FS_EFBIG. */

/* fs_write is atomic (all or nothing, FS_ENOSPC included) for up to this many
 * blocks (fewer for 4 KiB blocks: the tree's batch limit); a longer write is
 * a sequence of such batches. */
#define FS_WRITE_ATOMIC_BLOCKS 1024u
uint32_t fs_write_atomic_blocks(const struct fs *fs);
/* Bytes per block of the mounted device. */
uint32_t fs_block_size(const struct fs *fs);

/* Which superblock copy mount used (0 or 1), and why sb0 was rejected ("" if not). */
uint32_t fs_super_index(const struct fs *fs, const char **sb0_why);
/* Arenas, and which header copy mount used for arena i (0 = h0, 1 = h1). */
uint32_t fs_arena_count(const struct fs *fs);
uint32_t fs_arena_header_index(const struct fs *fs, uint32_t arena_index);

#endif /* FS_FS_H */
