/*
 * fs/bio.h: block I/O, the bottom layer of the file system: the only calls
 * into the bdev, the verifier table every block read goes through, the block
 * history and broke().
 *
 * Device access (bio_read, bio_write, bio_flush, bio_mark) takes byte
 * addresses, checks them against the device (our bug if wrong: ASSERT), and
 * turns every device failure into FS_EIO. A failed write or flush breaks the
 * file system; a read failure is for the caller to report.
 *
 * Verification knows no structure. Each block type has a slot in a table of
 * read verifiers, the way XFS attaches buf_ops to a buffer: the layer that
 * owns a structure provides its verifier (the tree its nodes', format.h the
 * log block's), and fs.c, the top, fills the table at format and mount.
 * bio_verify checks the type field every block but raw data starts with and
 * hands the rest to the slot; a type without a slot is unknown.
 *
 * The block history is a ring of the latest HISTORY_RING_COUNT block events
 * (allocation, free, read, write, cancel, kill) with their queue generation:
 * GEFS's per-block trace, for the assertion hook to print. "History", not
 * "trace": in this project a trace is a workload.
 *
 * fs_broke is GEFS broke(): on corruption or a device error the file system
 * goes read-only, remembers the first reason and the block, and the error
 * goes back up unchanged.
 */
#ifndef FS_BIO_H
#define FS_BIO_H

#include "state.h"

/* Device access: the only calls into the bdev. Errors come back as FS_EIO. */
int bio_read(struct fs *fs, uint64_t addr, void *buf);
/* bio_read, and the block's content hash: the device's when it knows it
 * (struct bdev's hash), else fmt_hash of the bytes read. */
int bio_read_hashed(struct fs *fs, uint64_t addr, void *buf, uint64_t *hash);
/* True with the block's content hash when the device knows it without a read. */
bool bio_hash_known(struct fs *fs, uint64_t addr, uint64_t *hash);
/* A block's content hash: the device's, else read into buf and hashed.
 * 0, or FS_EIO when the read fails. */
int bio_block_hash(struct fs *fs, uint64_t addr, void *buf, uint64_t *hash);
int bio_write(struct fs *fs, uint64_t addr, const void *buf);
int bio_flush(struct fs *fs);
void bio_mark(struct fs *fs, enum bdev_mark mark);

/* Fills the verifier slot of a block type (FMT_TYPE_PIVOT .. FMT_TYPE_ARENA). */
void bio_verifier_set(struct fs *fs, uint16_t type, bio_verifier *verify);

/* The verifier of a type whose type field is all there is to check (arena
 * headers: the superblock's hash of them is their check). */
const char *bio_verify_type_only(uint32_t block_size, const uint8_t *buf, uint16_t type);

/* NULL if buf is a well-formed block of the given type, else a reason: the
 * type field, then the type's verifier. Raw data blocks have no header: NULL. */
const char *bio_verify(const struct fs *fs, const uint8_t *buf, uint16_t type);

/* Records a block event in the history ring. */
void bio_history_note(struct fs *fs, uint64_t addr, char what);

/* GEFS broke(): marks the file system read-only after corruption or a device
 * error, remembers why, and returns err for the caller to pass on. */
int fs_broke(struct fs *fs, int err, uint64_t addr, const char *why);

#endif /* FS_BIO_H */
