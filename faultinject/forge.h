/*
 * faultinject/forge.h: forged blocks — corruption before the checksum.
 *
 * A forged write carries wrong bytes under right hashes. One bit of a field
 * of a metadata block (a count, an offset, an address, a key byte, a record
 * word) was inverted before the block was hashed, and every hash that vouches
 * for the block was computed over the wrong bytes: its own (a log block's
 * logh, the superblock's sbhash) and, up to the superblock, each pointer that
 * names it. This is what a bit flip in host memory or a bug in the writer
 * looks like to recovery. No hash can tell; only the checks behind the hashes
 * (ranges, counts, orders, links between structures) can refuse it.
 *
 * A repointed write is the same wrong under right hashes, of one kind: a
 * block pointer in it names another block of the image, with that block's
 * hash (blocks cross-linked by a writer bug).
 *
 * The file system must never crash, hang or assert on such a block. It may
 * refuse it (a detected error) or take it: a forged file length or name is a
 * state no check can know to be wrong.
 */
#ifndef FAULTINJECT_FORGE_H
#define FAULTINJECT_FORGE_H

#include <stdbool.h>
#include <stdint.h>

#define FORGE_NONE UINT32_MAX

/* Metadata blocks: a pivot, leaf, log, deadlist, arena header or superblock
 * by their type field (the blocks that hold hashes of other blocks). */
bool forge_is_meta(const uint8_t *block, uint32_t block_size);

/* A field of a metadata block: where it lies, and whether it is layout (a
 * header's counts and sizes, a record's offset, key and value sizes) or
 * content (key bytes, value words, log entries). */
struct forge_field {
    uint32_t off;                   /* Byte offset in the block. */
    uint16_t width;                 /* Bytes: 1, 2, 4 or 8 (a content word may be shorter). */
    bool layout;                    /* Layout rather than content. */
};

/* The fields of a metadata block, the ones forge_pick draws from, in the
 * order it meets them: stores up to max, returns how many there are (0 for
 * a data block). */
uint32_t forge_fields(const uint8_t *block, uint32_t block_size, struct forge_field *out,
        uint32_t max);

/* The bit to forge in a metadata block: a field drawn uniformly from the
 * block's fields, then a bit of it, from seed. FORGE_NONE for data blocks. */
uint32_t forge_pick(const uint8_t *block, uint32_t block_size, uint64_t seed);

/* The block pointers a metadata block holds (addr[8] hash[8], gen after it
 * where the format has one), as byte offsets into the block, in block order:
 * a superblock's snapshot-tree root and deadlist ends, an arena header's log
 * head, a log or deadlist block's next pointer, a pivot's children, a leaf's
 * file-data pointers, a snapshot record's root and a deadlist record's ends.
 * Stores up to max; returns how many there are. */
uint32_t forge_pointers(const uint8_t *block, uint32_t block_size, uint32_t *offs, uint32_t max);

/* Recomputes the hash a block carries of itself, if any: a superblock's
 * sbhash, a log or deadlist block's logh (when its sizes still let one be
 * computed; otherwise the block is left as it is). */
void forge_seal(uint8_t *block, uint32_t block_size);

#endif /* FAULTINJECT_FORGE_H */
