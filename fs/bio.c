/*
 * fs/bio.c: block I/O, the verifier table, the block history and broke()
 * (see bio.h).
 *
 * Invariants: a write or flush is never issued on a read-only (or broken)
 * file system; every address handed to the device is block-aligned and inside
 * it; a verifier slot, once filled by fs.c, does not change while mounted.
 * This file calls nothing of fs/ but base.h and format.h: every layer above
 * may call it, and it calls none of them.
 */
#include "bio.h"

#include <stdio.h>

#include "probes.h"

void
bio_history_note(struct fs *fs, uint64_t addr, char what)
{
    struct history_event *e = &fs->history[fs->history_next % HISTORY_RING_COUNT];
    e->addr = addr;
    e->qgen = fs->qgen;
    e->what = what;
    fs->history_next++;
}

int
fs_broke(struct fs *fs, int err, uint64_t addr, const char *why)
{
    ASSERT(err < 0);
    ASSERT(why != NULL);
    if (!fs->broken) {
        FS_PROBE(FS_BROKE);
        fs->broken = true;
        fs->broken_err = err;
        fs->broken_addr = addr;
        snprintf(fs->broken_why, sizeof(fs->broken_why), "%s", why);
    }
    fs->read_only = true;
    return err;
}

int
bio_read(struct fs *fs, uint64_t addr, void *buf)
{
    ASSERT(addr % fs->block_size == 0);
    ASSERT(addr / fs->block_size < fs->block_count);
    fs->stats.block_read_count++;
    bio_history_note(fs, addr, 'r');
    return bdev_read_block(fs->bdev, addr / fs->block_size, buf, NULL);
}

bool
bio_hash_known(struct fs *fs, uint64_t addr, uint64_t *hash)
{
    ASSERT(addr % fs->block_size == 0);
    ASSERT(addr / fs->block_size < fs->block_count);
    bool known = fs->bdev->hash != NULL && fs->bdev->hash(fs->bdev, addr / fs->block_size, hash);
    fs->stats.hash_known_count += known;
    return known;
}

static void
hash_computed(struct fs *fs, const void *buf, uint64_t *hash)
{
    fs->stats.hash_computed_count++;
    *hash = fmt_hash(buf, fs->block_size);
}

int
bio_read_hashed(struct fs *fs, uint64_t addr, void *buf, uint64_t *hash)
{
    int err = bio_read(fs, addr, buf);
    if (!err && !bio_hash_known(fs, addr, hash)) {
        hash_computed(fs, buf, hash);
    }
    return err;
}

int
bio_block_hash(struct fs *fs, uint64_t addr, void *buf, uint64_t *hash)
{
    if (bio_hash_known(fs, addr, hash)) {
        return 0;
    }
    int err = bio_read(fs, addr, buf);
    if (!err) {
        hash_computed(fs, buf, hash);
    }
    return err;
}

int
bio_write(struct fs *fs, uint64_t addr, const void *buf)
{
    ASSERT(addr % fs->block_size == 0);
    ASSERT(addr / fs->block_size < fs->block_count);
    if (fs->read_only) {
        return FS_EROFS;
    }
    fs->stats.block_write_count++;
    bio_history_note(fs, addr, 'w');
    int err = fs->bdev->write(fs->bdev, addr / fs->block_size, buf);
    if (err < 0) {
        return fs_broke(fs, FS_EIO, addr, "device write failed");
    }
    return 0;
}

int
bio_flush(struct fs *fs)
{
    ASSERT(fs->bdev->flush != NULL);
    if (fs->read_only) {
        return FS_EROFS;
    }
    fs->stats.flush_count++;
    int err = fs->bdev->flush(fs->bdev);
    if (err < 0) {
        return fs_broke(fs, FS_EIO, FMT_ADDR_NIL, "device flush failed");
    }
    return 0;
}

void
bio_mark(struct fs *fs, enum bdev_mark mark)
{
    ASSERT(mark < BDEV_MARK_COUNT);
    if (fs->bdev->mark != NULL && !fs->read_only) {
        fs->bdev->mark(fs->bdev, mark, fs->qgen);
    }
}

void
bio_verifier_set(struct fs *fs, uint16_t type, bio_verifier *verify)
{
    ASSERT(type != FMT_TYPE_DATA && type < BIO_VERIFIER_COUNT);
    ASSERT(verify != NULL);
    fs->verifiers[type] = verify;
}

const char *
bio_verify_type_only(uint32_t block_size, const uint8_t *buf, uint16_t type)
{
    ASSERT(fmt_block_size_valid(block_size));
    ASSERT(fmt_block_type(buf) == type);
    return NULL;
}

const char *
bio_verify(const struct fs *fs, const uint8_t *buf, uint16_t type)
{
    ASSERT(buf != NULL);
    if (type == FMT_TYPE_DATA) {
        return NULL;
    }
    if (fmt_block_type(buf) != type) {
        return "unexpected block type";
    }
    if (type >= BIO_VERIFIER_COUNT || fs->verifiers[type] == NULL) {
        return "unknown block type";
    }
    return fs->verifiers[type](fs->block_size, buf, type);
}
