/*
 * fs/base.h: the vocabulary every module of the file system shares.
 *
 * Errors are negative codes (littlefs manner); functions that can fail return
 * 0 or one of these and pass results through out-parameters placed last.
 * FS_ECORRUPT is how damage on the device is reported: bytes read from a
 * device are untrusted input and are verified, never asserted on.
 *
 * ASSERT is always compiled in. It is for our own bugs only. On failure it
 * prints the expression and location, calls the hook the harness installed
 * (which prints the run's seed, the crash-state id and the block history ring),
 * and aborts.
 */
#ifndef FS_BASE_H
#define FS_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fs_err {
    FS_OK           = 0,
    FS_EPERM        = -1,     /* The operation is refused by policy (e.g. a reserved label). */
    FS_ENOENT       = -2,     /* No such file, directory or snapshot. */
    FS_EIO          = -5,     /* The device failed the operation. */
    FS_ENOMEM       = -12,    /* A configured in-memory limit was reached. */
    FS_EEXIST       = -17,    /* The name exists already. */
    FS_EXDEV        = -18,    /* Rename across directories: GEFS renames within one. */
    FS_ENOTDIR      = -20,    /* A path element is not a directory. */
    FS_EISDIR       = -21,    /* A file operation on a directory. */
    FS_EINVAL       = -22,    /* The caller broke the API contract in a checkable way. */
    FS_EFBIG        = -27,    /* Offset or length beyond what the format can address. */
    FS_ENOSPC       = -28,    /* No free block outside the reserve. */
    FS_EROFS        = -30,    /* Mounted read-only, or gone read-only after corruption. */
    FS_ENAMETOOLONG = -36,    /* A name element longer than FS_NAME_MAX bytes. */
    FS_ENOTEMPTY    = -39,    /* Remove of a non-empty directory. */
    FS_ECORRUPT     = -84,    /* Bytes read from the device failed verification. */
};

/* A short, stable name for an error code ("FS_ECORRUPT"), for logs and stores. */
const char *fs_strerror(int err);

/* Called after an ASSERT failure has been printed; the harness uses it to print
 * its seed and the block history ring. NULL means nothing extra. */
extern void (*fs_assert_hook)(void);

_Noreturn void fs_assert_fail(const char *expr, const char *file, int line);

#define ASSERT(expr) ((expr) ? (void)0 : fs_assert_fail(#expr, __FILE__, __LINE__))
#define STATIC_ASSERT(expr, why) _Static_assert(expr, why)

#define FS_ARRAY_COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define FS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define FS_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif /* FS_BASE_H */
