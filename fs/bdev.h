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
 * label every following write: "sync.pass0" ... "sync.pass4", "log.grow",
 * "log.compress", "dlist.merge", and "sync.end" when a sync returns. qgen is the write-queue generation at the
 * time of the mark. mark may be NULL; it never fails and never does I/O.
 *
 * Each function returns 0 or a negative FS_E* code, never a partial count.
 */
#ifndef FS_BDEV_H
#define FS_BDEV_H

#include "base.h"

struct bdev {
    void *context;          /* Owned by the implementation. */
    uint32_t block_size;    /* Bytes; a power of two, at least 512. */
    uint64_t block_count;   /* Blocks on the device. */

    int (*read)(const struct bdev *bdev, uint64_t block, void *buffer);
    int (*write)(const struct bdev *bdev, uint64_t block, const void *buffer);
    int (*flush)(const struct bdev *bdev);
    void (*mark)(const struct bdev *bdev, const char *what, uint64_t qgen);
};

/* Sector size for torn writes: the unit a device writes atomically. */
#define BDEV_SECTOR_SIZE 512u

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
 * Image file: pread/pwrite/fdatasync on a regular file. bdev_file_create makes
 * (or truncates) a file of size_bytes rounded down to whole blocks.
 * bdev_file_open with block_size 0 probes the block size from the superblocks
 * (sb0 first, then sb1 at the end of the file for each legal size); if nothing
 * is found it returns FS_ECORRUPT and *why says what was tried.
 */
int bdev_file_create(struct bdev *out, const char *path, uint32_t block_size,
        uint64_t size_bytes);
int bdev_file_open(struct bdev *out, const char *path, uint32_t block_size, bool writable,
        const char **why);
void bdev_file_close(struct bdev *bdev);

#endif /* FS_BDEV_H */
