/*
 * fs/bdev.c: the names of the marks (BDEV_MARKS), the one caller of a
 * device's read (bdev_read_block: short reads are asked again), and the two
 * backends shipped with the file system: a memory device and an image file
 * (pread/pwrite/fdatasync).
 */
#include "bdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format.h"

static const char *const mark_names[BDEV_MARK_COUNT] = {
#define X(id, name) name,
    BDEV_MARKS(X)
#undef X
};

const char *
bdev_mark_name(enum bdev_mark mark)
{
    ASSERT(mark < BDEV_MARK_COUNT);
    ASSERT(mark_names[mark] != NULL);
    return mark_names[mark];
}

int
bdev_read_block(const struct bdev *bdev, uint64_t block, void *buffer, const char **why)
{
    ASSERT(block < bdev->block_count);
    ASSERT(buffer != NULL);
    const char *reason = "device read failed";
    int err = FS_EIO;
    for (uint32_t try = 0; try < BDEV_READ_TRIES; try++) {
        int n = bdev->read(bdev, block, buffer);
        if (n <= 0) {
            err = n < 0 ? FS_EIO : 0;
            reason = n < 0 ? "device read failed" : NULL;
            break;
        }
        /* A short read: the rest comes with a whole read of the block again. A
         * count past the block is the device breaking its contract: a failure. */
        if ((uint32_t)n >= bdev->block_size) {
            reason = "device read returned more than a block";
            break;
        }
        reason = "device read short on every try";
    }
    if (why != NULL) {
        *why = reason;
    }
    return err;
}

static int
mem_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    ASSERT(block < bdev->block_count);
    memcpy(buffer, (uint8_t *)bdev->context + block * bdev->block_size, bdev->block_size);
    return 0;
}

static int
mem_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    ASSERT(block < bdev->block_count);
    memcpy((uint8_t *)bdev->context + block * bdev->block_size, buffer, bdev->block_size);
    return 0;
}

static int
mem_flush(const struct bdev *bdev)
{
    ASSERT(bdev->context != NULL);
    return 0;
}

int
bdev_mem_open(struct bdev *out, uint32_t block_size, uint64_t block_count)
{
    ASSERT(block_size >= BDEV_SECTOR_SIZE && (block_size & (block_size - 1)) == 0);
    memset(out, 0, sizeof(*out));
    out->context = calloc(block_count, block_size);
    if (out->context == NULL) {
        return FS_ENOMEM;
    }
    out->block_size = block_size;
    out->block_count = block_count;
    out->read = mem_read;
    out->write = mem_write;
    out->flush = mem_flush;
    return 0;
}

void
bdev_mem_close(struct bdev *bdev)
{
    free(bdev->context);
    bdev->context = NULL;
}

uint8_t *
bdev_mem_bytes(const struct bdev *bdev)
{
    return bdev->context;
}

struct file_dev {
    int fd;                 /* The image file. */
    int fail_errno;         /* errno of the last failed call; 0: none, FILE_EOF: a short read. */
};

#define FILE_EOF (-1)       /* fail_errno of a read that met the end of the file. */

/* Why bdev_file_open refused a file whose size no file system can have. */
static char file_why[160];

/* Records why a read, write or flush failed; the contract's answer is FS_EIO. */
static int
file_fail(const struct bdev *bdev, int errno_value)
{
    struct file_dev *f = bdev->context;
    ASSERT(f != NULL);
    ASSERT(errno_value != 0);
    f->fail_errno = errno_value;
    return FS_EIO;
}

static int
file_read(const struct bdev *bdev, uint64_t block, void *buffer)
{
    const struct file_dev *f = bdev->context;
    ASSERT(block < bdev->block_count);
    size_t done = 0;
    while (done < bdev->block_size) {
        ssize_t n = pread(f->fd, (uint8_t *)buffer + done, bdev->block_size - done,
                (off_t)(block * bdev->block_size + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return file_fail(bdev, n < 0 ? errno : FILE_EOF);
        }
        done += (size_t)n;
    }
    return 0;
}

static int
file_write(const struct bdev *bdev, uint64_t block, const void *buffer)
{
    const struct file_dev *f = bdev->context;
    ASSERT(block < bdev->block_count);
    size_t done = 0;
    while (done < bdev->block_size) {
        ssize_t n = pwrite(f->fd, (const uint8_t *)buffer + done, bdev->block_size - done,
                (off_t)(block * bdev->block_size + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return file_fail(bdev, n < 0 ? errno : EIO);
        }
        done += (size_t)n;
    }
    return 0;
}

static int
file_flush(const struct bdev *bdev)
{
    const struct file_dev *f = bdev->context;
    return fdatasync(f->fd) == 0 ? 0 : file_fail(bdev, errno);
}

static int
file_setup(struct bdev *out, int fd, uint32_t block_size, uint64_t size_bytes)
{
    struct file_dev *f = malloc(sizeof(*f));
    if (f == NULL) {
        close(fd);
        return FS_ENOMEM;
    }
    f->fd = fd;
    f->fail_errno = 0;
    memset(out, 0, sizeof(*out));
    out->context = f;
    out->block_size = block_size;
    out->block_count = size_bytes / block_size;
    out->read = file_read;
    out->write = file_write;
    out->flush = file_flush;
    return 0;
}

/* The FS_E* code for an errno of sizing a file. */
static int
file_errno_err(int errno_value)
{
    ASSERT(errno_value != 0);
    switch (errno_value) {
    case ENOSPC:
    case EDQUOT:    return FS_ENOSPC;
    case EFBIG:     return FS_EFBIG;
    case ENOMEM:    return FS_ENOMEM;
    case EACCES:
    case EPERM:
    case EROFS:     return FS_EPERM;
    default:        return FS_EIO;
    }
}

int
bdev_file_create_fd(struct bdev *out, int fd, uint32_t block_size, uint64_t size_bytes,
        const char **why)
{
    ASSERT(fd >= 0);
    ASSERT(why != NULL);
    ASSERT(block_size >= BDEV_SECTOR_SIZE);
    ASSERT((block_size & (block_size - 1)) == 0);
    *why = NULL;
    if (size_bytes == 0 || size_bytes % block_size != 0) {
        *why = "the size is not a whole, non-zero number of blocks";
        close(fd);
        return FS_EINVAL;
    }
    if (size_bytes > (uint64_t)INT64_MAX) {
        *why = strerror(EFBIG);
        close(fd);
        return FS_EFBIG;
    }
    if (ftruncate(fd, (off_t)size_bytes) != 0) {
        int e = errno;
        *why = strerror(e);
        close(fd);
        return file_errno_err(e);
    }
    /* The file stays sparse, as mkfs tools leave images: the blocks a
     * format writes are allocated now, the rest when written. */
    return file_setup(out, fd, block_size, size_bytes);
}

int
bdev_file_create(struct bdev *out, const char *path, uint32_t block_size, uint64_t size_bytes,
        const char **why)
{
    ASSERT(path != NULL);
    ASSERT(why != NULL);
    ASSERT(block_size >= BDEV_SECTOR_SIZE);
    *why = NULL;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        *why = strerror(e);
        return file_errno_err(e);
    }
    return bdev_file_create_fd(out, fd, block_size, size_bytes, why);
}

const char *
bdev_file_failure(const struct bdev *bdev)
{
    const struct file_dev *f = bdev->context;
    ASSERT(f != NULL);
    if (f->fail_errno == 0) {
        return NULL;
    }
    return f->fail_errno == FILE_EOF ? "unexpected end of file" : strerror(f->fail_errno);
}

/* Reads a superblock candidate's block-size field at off; 0 if not one. */
static uint32_t
probe_at(int fd, uint64_t off)
{
    uint8_t head[12];
    if (pread(fd, head, sizeof(head), (off_t)off) != (ssize_t)sizeof(head)) {
        return 0;
    }
    if (memcmp(head, FMT_MAGIC, 8) != 0) {
        return 0;
    }
    uint32_t bs = fmt_get32(head + 8);
    return fmt_block_size_valid(bs) ? bs : 0;
}

static uint32_t
probe_block_size(int fd, uint64_t size)
{
    uint32_t bs = probe_at(fd, 0);
    if (bs != 0) {
        return bs;
    }
    for (uint32_t b = FMT_BLOCK_SIZE_MIN; b <= FMT_BLOCK_SIZE_MAX; b *= 2) {
        if (size >= 2ull * b && probe_at(fd, size - size % b - b) == b) {
            return b;
        }
    }
    return 0;
}

/* NULL if a file system of block_size can be size bytes long, else why not
 * (in file_why): the limits of fs/format.h. */
static const char *
file_size_why(uint64_t size, uint32_t block_size)
{
    ASSERT(block_size != 0);
    uint64_t min = (uint64_t)FMT_BLOCK_COUNT_MIN * block_size;
    if (size < min) {
        snprintf(file_why, sizeof(file_why), "image of %llu bytes is shorter than the smallest "
                "file system of %u-byte blocks (%llu bytes, %u blocks)", (unsigned long long)size,
                block_size, (unsigned long long)min, FMT_BLOCK_COUNT_MIN);
        return file_why;
    }
    if (size / block_size > FMT_BLOCK_COUNT_MAX) {
        snprintf(file_why, sizeof(file_why), "image of %llu bytes is larger than any file system "
                "of %u-byte blocks (at most %u blocks)", (unsigned long long)size, block_size,
                FMT_BLOCK_COUNT_MAX);
        return file_why;
    }
    return NULL;
}

int
bdev_file_open(struct bdev *out, const char *path, uint32_t block_size, bool writable,
        const char **why)
{
    ASSERT(why != NULL);
    *why = NULL;
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) {
        *why = strerror(errno);
        return FS_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why = strerror(errno);
        close(fd);
        return FS_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = S_ISDIR(st.st_mode) ? "not a regular file (a directory)" : "not a regular file";
        close(fd);
        return FS_EIO;
    }
    uint64_t size = (uint64_t)st.st_size;
    *why = file_size_why(size, block_size != 0 ? block_size : FMT_BLOCK_SIZE_MIN);
    if (*why == NULL && block_size == 0) {
        block_size = probe_block_size(fd, size);
        *why = block_size == 0 ? "no superblock found in either copy (not a crashsim image?)"
            : file_size_why(size, block_size);
    }
    if (*why != NULL) {
        close(fd);
        return FS_ECORRUPT;
    }
    return file_setup(out, fd, block_size, size);
}

void
bdev_file_close(struct bdev *bdev)
{
    struct file_dev *f = bdev->context;
    if (f != NULL) {
        close(f->fd);
        free(f);
    }
    bdev->context = NULL;
}
