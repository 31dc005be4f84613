/*
 * traces/wlog.h: write-log files — an op log (traces/oplog.h) and the image
 * it began from, saved to a file and read back, in two formats:
 *
 *   crashsim       the native format (traces/WLOG.md): the geometry, the base
 *                  image, every operation with every field, each distinct
 *                  block content once, and an XXH3 checksum of the whole file;
 *   dm-log-writes  the on-disk log of Linux's dm-log-writes target
 *                  (drivers/md/dm-log-writes.c), the format the xfstests and
 *                  btrfs-progs replay-log tool replays onto a device.
 *
 * A write log in memory is a struct oplog_disk: the base image (sparse: only
 * its blocks that are not all zero, which are exactly what both formats
 * store) and the log.
 * Reading a file appends its operations to a fresh log through the log's own
 * appends (oplog_write, oplog_flush, oplog_mark), so the flush epochs, queue
 * generations, sync passes, activities, block types and content indices of
 * the result are what the op log itself derives, exactly as when the
 * recording disk appended them — and, for the native format, each must equal
 * the value the file stores, or the file is refused. Equal logs have equal
 * oplog_hash; export then import gives back the same log, field by field, in
 * both formats.
 *
 * Files are untrusted: every reader returns FS_ECORRUPT with a one-line reason
 * naming the check that failed (never an ASSERT, never a read outside the
 * buffer), FS_EIO when the file cannot be read or written, FS_ENOMEM, or
 * FS_EINVAL when the caller must supply what the file lacks (the geometry of
 * a foreign dm-log-writes log). Counts are checked against the file's size
 * before anything is allocated, and devices are bounded by WLOG_DEVICE_SIZE_MAX.
 *
 * Dependencies: traces/oplog.h for the log; fs/format.h for the hash. A
 * recording with sync points made from a file is the campaign code's
 * (sim/campaign/inputs.h, input_wlog).
 *
 * The module is traces/wlog.c (these entry points and the native format) and
 * traces/dmlog.c (dm-log-writes), which share traces/wlog_impl.h; this
 * header is all that code outside them may call.
 */
#ifndef TRACES_WLOG_H
#define TRACES_WLOG_H

#include <stddef.h>
#include <stdint.h>

#include "oplog.h"

#define WLOG_NATIVE_MAGIC       { 'C', 'R', 'S', 'H', 'W', 'L', 'O', 'G' }   /* The native header's first 8 bytes. */
#define WLOG_VERSION            1u
#define WLOG_HEADER_SIZE        72u                 /* Bytes of the native header. */
#define WLOG_OP_SIZE            32u                 /* Bytes of a native op record. */
#define WLOG_DEVICE_SIZE_MAX    (1ull << 30)        /* Bytes of the largest device read. */
#define WLOG_FILE_SIZE_MAX      (1ull << 32)        /* Bytes of the largest file read. */
#define WLOG_OP_COUNT_MAX       (1u << 28)          /* Operations in a log. */
#define WLOG_BLOCK_SIZE_MIN     512u                /* Bytes; a power of two. */
#define WLOG_BLOCK_SIZE_MAX     65536u

/* dm-log-writes (drivers/md/dm-log-writes.c): the constants of the format. */
#define WLOG_DM_MAGIC           0x6a736677736872ull /* log_write_super.magic. */
#define WLOG_DM_VERSION         1u                  /* WRITE_LOG_VERSION. */
#define WLOG_DM_FLAG_FLUSH      0x1u                /* LOG_FLUSH_FLAG. */
#define WLOG_DM_FLAG_FUA        0x2u                /* LOG_FUA_FLAG. */
#define WLOG_DM_FLAG_DISCARD    0x4u                /* LOG_DISCARD_FLAG. */
#define WLOG_DM_FLAG_MARK       0x8u                /* LOG_MARK_FLAG. */
#define WLOG_DM_FLAG_METADATA   0x10u               /* LOG_METADATA_FLAG. */
#define WLOG_DM_SECTOR_SIZE     512u                /* log_write_super.sectorsize we write. */
#define WLOG_DM_ENTRY_SIZE      32u                 /* struct log_write_entry. */
#define WLOG_DM_SUPER_SIZE      28u                 /* struct log_write_super. */

/* Our marks in a dm-log-writes log (traces/WLOG.md). */
#define WLOG_DM_MARK_DEVICE     "crashsim.device"   /* First entry: geometry, epoch, qgen. */
#define WLOG_DM_MARK_BASE       "crashsim.base"     /* Ends the base-image writes. */
#define WLOG_DM_MARK_QGEN       "crashsim.qgen"     /* Before a mark that changes qgen. */
#define WLOG_DM_MARK_END        "dm-log-writes-end" /* The kernel's teardown mark. */

enum wlog_format {
    WLOG_FORMAT_CRASHSIM,
    WLOG_FORMAT_DM_LOG_WRITES,
    WLOG_FORMAT_COUNT
};

/* What a foreign dm-log-writes log (one without a crashsim.device mark) does
 * not say. Zero fields: take them from the file. */
struct wlog_geometry {
    uint32_t block_size;        /* Bytes per block; required for a foreign log. */
    uint64_t block_count;       /* Blocks; 0: the highest block written, plus one. */
};

/* A log at a glance, for `crashsim wlog import`. */
struct wlog_summary {
    uint32_t block_size;        /* Bytes per block. */
    uint64_t block_count;       /* Blocks on the device. */
    uint64_t base_block_count;  /* Blocks of the base image that are not all zero. */
    uint32_t op_count;          /* Operations in the log. */
    uint32_t write_count;       /* Of which writes. */
    uint32_t flush_count;       /* Of which flushes. */
    uint32_t mark_count;        /* Of which marks. */
    uint32_t content_count;     /* Distinct write contents. */
    uint64_t log_hash;          /* oplog_hash. */
};

const char *wlog_format_name(enum wlog_format format);
/* "crashsim" or "dm-log-writes"; -1 otherwise. */
int wlog_format_parse(const char *s, enum wlog_format *out);
/* Which format buf starts with, by magic; -1 if neither. */
int wlog_format_detect(const uint8_t *buf, size_t size, enum wlog_format *out);

/* Serialises disk's base image and log. *out is malloc'ed (the caller frees
 * it). Returns 0 or FS_ENOMEM. */
int wlog_encode(const struct oplog_disk *disk, enum wlog_format format, uint8_t **out,
        size_t *size);
/* The same in two steps, for a caller that keeps its buffer: the export's
 * size, then the export into buf, which holds that many bytes. */
size_t wlog_encoded_size(const struct oplog_disk *disk, enum wlog_format format);
void wlog_encode_into(const struct oplog_disk *disk, enum wlog_format format, uint8_t *buf);

/* Reads a log of either format (detected by magic) into disk, which the call
 * initialises (oplog_disk_deinit releases it; on failure it is left empty).
 * geometry may be NULL. Returns 0, FS_ECORRUPT, FS_EINVAL or FS_ENOMEM with a
 * reason in err. *format (may be NULL) receives the format found. */
int wlog_decode(const uint8_t *buf, size_t size, const struct wlog_geometry *geometry,
        struct oplog_disk *disk, enum wlog_format *format, char *err, size_t err_size);

/* The same through files. Writing goes to PATH.tmp and renames it over path. */
int wlog_write_file(const char *path, const struct oplog_disk *disk, enum wlog_format format,
        char *err, size_t err_size);
int wlog_read_file(const char *path, const struct wlog_geometry *geometry,
        struct oplog_disk *disk, enum wlog_format *format, char *err, size_t err_size);

void wlog_summarize(const struct oplog_disk *disk, struct wlog_summary *s);

#endif /* TRACES_WLOG_H */
