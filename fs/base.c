/*
 * fs/base.c: error names and the assertion reporter.
 */
#include "base.h"

#include <stdio.h>
#include <stdlib.h>

void (*fs_assert_hook)(void);

const char *
fs_strerror(int err)
{
    switch (err) {
    case FS_OK:           return "FS_OK";
    case FS_EPERM:        return "FS_EPERM";
    case FS_ENOENT:       return "FS_ENOENT";
    case FS_EIO:          return "FS_EIO";
    case FS_ENOMEM:       return "FS_ENOMEM";
    case FS_EEXIST:       return "FS_EEXIST";
    case FS_EXDEV:        return "FS_EXDEV";
    case FS_ENOTDIR:      return "FS_ENOTDIR";
    case FS_EISDIR:       return "FS_EISDIR";
    case FS_EINVAL:       return "FS_EINVAL";
    case FS_EFBIG:        return "FS_EFBIG";
    case FS_ENOSPC:       return "FS_ENOSPC";
    case FS_EROFS:        return "FS_EROFS";
    case FS_ENAMETOOLONG: return "FS_ENAMETOOLONG";
    case FS_ENOTEMPTY:    return "FS_ENOTEMPTY";
    case FS_ECORRUPT:     return "FS_ECORRUPT";
    default:              return "FS_E?";
    }
}

_Noreturn void
fs_assert_fail(const char *expr, const char *file, int line)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
    if (fs_assert_hook != NULL) {
        fs_assert_hook();
    }
    fflush(stderr);
    abort();
}

#include "probes.h"

uint64_t fs_probe_bits;

static const char *const probe_names[FS_PROBE_COUNT] = {
#define X(id, name) name,
    PROBES(X)
#undef X
};

uint64_t
fs_probes_take(void)
{
    uint64_t bits = fs_probe_bits;
    fs_probe_bits = 0;
    return bits;
}

const char *
fs_probe_name(uint32_t i)
{
    return i < FS_PROBE_COUNT ? probe_names[i] : NULL;
}
