/*
 * fs/bdev.h: the storage contract, the only way fs/ touches storage.
 *
 * A device is an array of block_count blocks of block_size bytes. The file
 * system's block size is the device's: format and mount use bdev->block_size.
 *
 * Durability: a write is durable only once a later flush has returned 0;
 * until then a crash may drop it, keep it, or tear it at sector granularity.
 * Whether the file system issues flushes between its sync passes is a mount
 * option (fs_config.flush_at_pass_boundaries); GEFS issues none.
 *
 * mark() names what the file system is about to do, so a recording device can
 * label every following write: one of BDEV_MARKS below — the five sync
 * passes, a log growing or being compressed, deadlists merging, and the end
 * of a sync when it returns. qgen is the write-queue generation at the time
 * of the mark. mark may be NULL; it never fails and never does I/O. The
 * table is the whole vocabulary: a device learns what the file system
 * announces from it, never from strings of its own.
 *
 * Each function returns 0 or a negative FS_E* code, with one exception: a
 * read may be short. read returns 0 when the whole block arrived, or a
 * count of bytes in 1 .. block_size - 1 when only that many leading bytes
 * did (the rest of the buffer is undefined), as pread may. A short read is
 * no error: the file system asks again (bdev_read_block), and the rest
 * comes on a later try; a device that never delivers the whole block fails
 * the read (FS_EIO) after BDEV_READ_TRIES tries. write and flush never
 * return a partial count.
 */
#ifndef FS_BDEV_H
#define FS_BDEV_H

#include "base.h"

/* What the file system may announce through mark(), with the name a log
 * stores for each. The sync passes are consecutive, pass 0 first. */
#define BDEV_MARKS(X) \
    X(SYNC_PASS0,   "sync.pass0")   /* Allocation logs, their compression, the barriers. */ \
    X(SYNC_PASS1,   "sync.pass1")   /* Tree, data and deadlist blocks, first arena headers. */ \
    X(SYNC_PASS2,   "sync.pass2")   /* Both superblocks. */ \
    X(SYNC_PASS3,   "sync.pass3")   /* The second arena headers. */ \
    X(SYNC_PASS4,   "sync.pass4")   /* Deferred frees (no device writes). */ \
    X(LOG_GROW,     "log.grow")     /* An allocation log chains a new block. */ \
    X(LOG_COMPRESS, "log.compress") /* An allocation log is rewritten compressed. */ \
    X(DLIST_MERGE,  "dlist.merge")  /* Deadlists merge. */ \
    X(SYNC_END,     "sync.end")     /* A sync returned: later writes are between syncs. */

enum bdev_mark {
#define X(id, name) BDEV_MARK_##id,
    BDEV_MARKS(X)
#undef X
    BDEV_MARK_COUNT
};

STATIC_ASSERT(BDEV_MARK_SYNC_PASS4 - BDEV_MARK_SYNC_PASS0 == 4, "the five passes, in order");

/* "sync.pass0" ... "sync.end". */
const char *bdev_mark_name(enum bdev_mark mark);

struct bdev {
    void *context;          /* Owned by the implementation. */
    uint32_t block_size;    /* Bytes; a power of two, at least 512. */
    uint64_t block_count;   /* Blocks on the device. */

    int (*read)(const struct bdev *bdev, uint64_t block, void *buffer);
    int (*write)(const struct bdev *bdev, uint64_t block, const void *buffer);
    int (*flush)(const struct bdev *bdev);
    void (*mark)(const struct bdev *bdev, enum bdev_mark mark, uint64_t qgen);
    /* Optional (NULL: none). The content hash (fmt_hash: XXH3 of all
     * block_size bytes) of what a read of block returns now, when the device
     * knows it without reading: a device that keeps its contents by hash.
     * True with *hash set, or false when it does not know (a block it would
     * fail to read included); the file system then hashes what it reads. A
     * device that answers must answer truly: blocks are verified with it. */
    bool (*hash)(const struct bdev *bdev, uint64_t block, uint64_t *hash);
};

/* Sector size for torn writes: the unit a device writes atomically. */
#define BDEV_SECTOR_SIZE 512u

/* Tries of one block read before a short read counts as a failure. */
#define BDEV_READ_TRIES 4u

/* The file system's one caller of bdev->read: reads block whole into
 * buffer, reading it again after a short read. 0, or FS_EIO when the device
 * failed the read or delivered fewer bytes than a block BDEV_READ_TRIES
 * times; *why (may be NULL) then says which. */
int bdev_read_block(const struct bdev *bdev, uint64_t block, void *buffer, const char **why);

/*
 * Backends shipped with the file system.
 *
 * Memory: a zero-filled device held in one allocation. Reads and writes are
 * memcpy; flush does nothing. bdev_mem_bytes exposes the image for tests.
 */
int bdev_mem_open(struct bdev *out, uint32_t block_size, uint64_t block_count);
void bdev_mem_close(struct bdev *bdev);
uint8_t *bdev_mem_bytes(const struct bdev *bdev);

/*
 * Image file: pread/pwrite/fdatasync on a regular file.
 *
 * bdev_file_create_fd sizes the open, empty file fd to size_bytes, which must
 * be a whole, non-zero number of blocks (else FS_EINVAL), as a sparse file,
 * and makes it the device; the device owns fd from then on, and fd is closed on
 * failure. bdev_file_create opens path (created, or truncated if it exists)
 * and does the same. Both report why they failed in *why (strerror text on a
 * failed system call): FS_ENOSPC for no space or quota, FS_EFBIG for a size
 * the host file system cannot hold, FS_EPERM for permission, else FS_EIO.
 *
 * bdev_file_open with block_size 0 probes the block size from the superblocks
 * (sb0 first, then sb1 at the end of the file for each legal size). A file
 * whose size no file system can have (fewer than FMT_BLOCK_COUNT_MIN or more
 * than FMT_BLOCK_COUNT_MAX blocks) or without a superblock is FS_ECORRUPT;
 * a file that cannot be opened or is not a regular file is FS_EIO. Either way
 * *why says what went wrong; it may point into a static buffer that the next
 * call overwrites.
 *
 * A read, write or flush that fails returns FS_EIO, as the contract says;
 * bdev_file_failure then gives the reason (strerror text), NULL if nothing
 * failed yet.
 */
int bdev_file_create_fd(struct bdev *out, int fd, uint32_t block_size, uint64_t size_bytes,
        const char **why);
int bdev_file_create(struct bdev *out, const char *path, uint32_t block_size,
        uint64_t size_bytes, const char **why);
int bdev_file_open(struct bdev *out, const char *path, uint32_t block_size, bool writable,
        const char **why);
const char *bdev_file_failure(const struct bdev *bdev);
void bdev_file_close(struct bdev *bdev);

#endif /* FS_BDEV_H */
