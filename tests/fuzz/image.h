/*
 * tests/fuzz/image.h: the image the mount targets fuzz, and what they do
 * with it.
 *
 * Geometry. Every image is one fixed, small file system: FUZZ_BLOCK_COUNT
 * blocks of FUZZ_BLOCK_SIZE bytes, one arena: small enough that a mount, a
 * check and a sync cost microseconds, large enough for the first steps of
 * every standard workload (tests/fuzz/seeds.c makes the seeds there).
 *
 * Input. An image input holds only the blocks in use, so the fuzzer spends
 * its mutations there, metadata first:
 *     meta[FUZZ_BLOCK_COUNT / 8]        bit b (byte b / 8, bit b % 8): block b
 *                                       is in the first group
 *     data[FUZZ_BLOCK_COUNT / 8]        likewise, the second group (a block in
 *                                       both is in the first only)
 *     block[FUZZ_BLOCK_SIZE] ...        the first group's blocks in block
 *                                       order, then the second group's
 * The encoder puts metadata blocks (forge_is_meta: superblocks, arena
 * headers, logs, deadlists, tree nodes) in the first group and file data
 * in the second, so an input cut short (libFuzzer's -max_len) loses file
 * data before structure. A block whose bytes the input does not reach, and
 * every absent block, reads as zeros; bytes past the last block are
 * ignored.
 *
 * Device. struct fuzz_dev is a memory device of that geometry, made once and
 * reused: loading an input zeroes only the blocks the previous input and
 * its writes touched.
 */
#ifndef TESTS_FUZZ_IMAGE_H
#define TESTS_FUZZ_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fuzz.h"
#include "../../fs/bdev.h"

#define FUZZ_BLOCK_SIZE 4096u
#define FUZZ_BLOCK_COUNT 64u            /* 256 KiB. */
#define FUZZ_ARENAS 1u
#define FUZZ_PRESENT_BYTES (FUZZ_BLOCK_COUNT / 8u)
#define FUZZ_IMAGE_HEAD (2u * FUZZ_PRESENT_BYTES)

/* mount-sealed's edits (mount-sealed.c), and the largest image a
 * mount-sealed seed holds whole, with room for every edit. */
#define FUZZ_EDIT_SIZE 16u
#define FUZZ_EDITS_MAX 16u
#define FUZZ_SEALED_IMAGE_MAX (FUZZ_IMAGE_INPUT_MAX - 4u - FUZZ_EDITS_MAX * FUZZ_EDIT_SIZE)

struct fuzz_dev {
    struct bdev bdev;                   /* The device the file system mounts. */
    uint8_t *bytes;                     /* FUZZ_BLOCK_COUNT * FUZZ_BLOCK_SIZE. */
    uint8_t dirty[FUZZ_PRESENT_BYTES];  /* Blocks that may hold non-zero bytes. */
};

/* Makes the device (all zeros); aborts when memory runs out. */
void fuzz_dev_init(struct fuzz_dev *d);
/* Makes the device show image input data (the format above). */
void fuzz_dev_load(struct fuzz_dev *d, const uint8_t *data, size_t size);
/* Block b's bytes on the device. */
uint8_t *fuzz_dev_block(struct fuzz_dev *d, uint64_t b);

/* The image input of a device image of FUZZ_BLOCK_COUNT blocks (bytes):
 * every block that is not all zeros. *out is malloc'ed; returns its size,
 * or 0 when memory runs out. */
size_t fuzz_image_encode(const uint8_t *bytes, uint8_t **out);

/* What the mount targets do with an image, every result checked:
 *   1. mount read-only; fs_check; every label's every file read, every
 *      directory listed; unmount;
 *   2. mount read-write; a small workload (mkdir, create, write, sync,
 *      rename, truncate, label, remove); unmount, which commits;
 *   3. mount read-only again; fs_check; unmount.
 * Every failure must be an error with a reason (fs_mount_failure, fs_broken
 * or a check finding), never a crash, hang, leak or sanitizer report; and
 * an image fs_check found sound stays sound through step 2 unless step 2
 * itself reported damage. A violation aborts (fuzz.h). */
void fuzz_exercise(const struct bdev *bdev);

/* The dictionary of the file-system format: its magic, block types, log ops. */
void fuzz_dict_format(FILE *out);

#endif /* TESTS_FUZZ_IMAGE_H */
