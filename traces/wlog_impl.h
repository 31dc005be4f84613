/*
 * traces/wlog_impl.h: what the two codecs of write-log files share and no file
 * outside traces/wlog.c and traces/dmlog.c includes (others include wlog.h).
 *
 * The write-log module is traces/wlog.c (the public entry points, format
 * detection, file I/O, summaries and the native crashsim codec) and
 * traces/dmlog.c (the Linux dm-log-writes codec). Both lay out little-endian
 * fields, report a malformed file as one reason through the same function,
 * and derive the same starting state from a log. This header holds that
 * code: the small helpers as static inline functions, then the functions
 * one file defines for the other, named wlog_*: two of wlog.c for dmlog.c,
 * and dmlog.c's encoder and decoder for wlog.c's entry points. Everything
 * else is static in its file.
 */
#ifndef TRACES_WLOG_IMPL_H
#define TRACES_WLOG_IMPL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../fs/base.h"
#include "oplog.h"
#include "wlog.h"

/* ---- Little-endian fields (both formats are little-endian). ---- */

static inline void
le_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void
le_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline void
le_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static inline uint16_t
le_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t
le_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16)
        | ((uint32_t)p[3] << 24);
}

static inline uint64_t
le_get64(const uint8_t *p)
{
    return (uint64_t)le_get32(p) | ((uint64_t)le_get32(p + 4) << 32);
}

/* ---- Small helpers. ---- */

/* Writes a one-line reason to err (if err_size > 0) and returns code, a
 * negative FS_E* code. */
static inline int
fail(int code, char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline int
fail(int code, char *err, size_t err_size, const char *fmt, ...)
{
    ASSERT(code < 0);
    if (err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return code;
}

static inline bool
bytes_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

/* Bytes from a file, fit to quote in a one-line reason: printable ASCII,
 * anything else as '?', at most out_size - 1 bytes. */
static inline const char *
quote(const char *p, size_t n, char *out, size_t out_size)
{
    size_t k = 0;
    ASSERT(out_size > 0);
    for (; k < n && k + 1 < out_size; k++) {
        out[k] = p[k] >= 0x20 && p[k] < 0x7f ? p[k] : '?';
    }
    out[k] = '\0';
    return out;
}

/* v is a power of two in [lo, hi]. */
static inline bool
pow2_in(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

/* ---- Defined in wlog.c, used by dmlog.c. ---- */

/* The flush epoch and queue generation when recording began. */
void wlog_initial_state(const struct oplog *log, uint32_t *epoch0, uint64_t *qgen0);

/* ---- Defined in dmlog.c, used by wlog.c: the dm-log-writes codec. ---- */

/* wlog_encoded_size and wlog_encode_into for WLOG_FORMAT_DM_LOG_WRITES. */
size_t wlog_dm_size(const struct oplog_disk *disk);
void wlog_dm_encode(const struct oplog_disk *disk, uint8_t *buf);
/* wlog_decode of a buffer whose magic is dm-log-writes, into an empty disk
 * (the caller deinitialises it on failure): 0, FS_ECORRUPT, FS_EINVAL or
 * FS_ENOMEM with a reason in err. */
int wlog_dm_decode(const uint8_t *buf, size_t size, const struct wlog_geometry *g,
        struct oplog_disk *disk, char *err, size_t err_size);

#endif /* TRACES_WLOG_IMPL_H */
