/*
 * faultinject/damage.h: what each fault of a crash state does to the blocks
 * of a crash image — the bytes of a torn write, a flipped bit, a lost or
 * misdirected write, an unreadable block, a forged or repointed block and
 * the resealing of every hash above it.
 *
 * Method. The fault code knows what a fault does; it does not know how the
 * image is held. The caller (sim/check/crash.c, a copy-on-write view over a
 * recording) describes the image through struct damage_image — read a
 * block, say which write a block holds, say which blocks earlier faults of
 * the state already changed, list the metadata blocks — and the write the
 * fault struck through struct damage_write. damage_media() then answers with
 * the blocks the fault changes, their new bytes and content hashes, and the
 * block that reads as a device error, in struct damage; the caller lays
 * those over the image. Nothing here includes sim/: addresses are block
 * numbers, contents are block_size bytes, ops are write-log indices.
 *
 * Ownership: struct damage's buf is the caller's (DAMAGE_BLOCKS_MAX blocks),
 * and its bytes pointers point into buf or into the caller's own bytes; they
 * stay valid until the next damage_media on the same struct damage.
 *
 * The faults of a device at run time (a failed, lost, misdirected write, a
 * flipped bit on read) are faultinject/faultdev.h's; they share damage_flip.
 */
#ifndef FAULTINJECT_DAMAGE_H
#define FAULTINJECT_DAMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "plan.h"

#define DAMAGE_BLOCKS_MAX 32u       /* Blocks one fault may change: a forge and its reseals. */
#define DAMAGE_NONE UINT64_MAX      /* No block. */

/* The crash image a fault strikes, as its holder describes it. */
struct damage_image {
    void *context;                  /* The holder's. */
    uint32_t block_size;            /* Bytes per block. */
    uint64_t block_count;           /* Blocks. */
    /* The bytes block holds, with the state's earlier faults (tear, lost writes). */
    const uint8_t *(*read)(void *context, uint64_t block);
    /* The write op whose bytes block holds at the cut, before any fault of the
     * state; CRASH_NONE for the base image. */
    uint32_t (*writer)(void *context, uint64_t block);
    /* Whether an earlier fault of the state already changed block: a media
     * fault leaves such a block to that fault. */
    bool (*changed)(void *context, uint64_t block);
    /* The metadata blocks of the image (forge_is_meta), for resealing; the
     * list stays valid until the next call. */
    uint64_t (*meta)(void *context, const uint64_t **blocks);
};

/* The write a media fault struck. */
struct damage_write {
    uint64_t block;                 /* The block it was meant for. */
    const uint8_t *bytes;           /* What it wrote. */
    uint64_t hash;                  /* Their content hash (fmt_hash). */
    const uint8_t *prior;           /* What the block holds without it, the state's lost
                                       writes lost too (NULL: the base image). */
    uint64_t prior_hash;            /* Their content hash (0 for the base image). */
};

/* What a media fault did: the blocks it changed, in the order they changed. */
struct damage {
    uint8_t *buf;                   /* DAMAGE_BLOCKS_MAX * block_size bytes, the caller's. */
    uint64_t block[DAMAGE_BLOCKS_MAX];          /* Blocks changed. */
    const uint8_t *bytes[DAMAGE_BLOCKS_MAX];    /* Their bytes (NULL: the base image). */
    uint64_t hash[DAMAGE_BLOCKS_MAX];           /* Content hashes, for signatures. */
    uint32_t count;                 /* Entries. */
    uint64_t unreadable;            /* The block that reads as a device error, or DAMAGE_NONE. */
    bool partial;                   /* Forge: resealing stopped at a bound, so a hash above
                                       the forged block still differs. */
};

/* Applies state s's media fault (s->media != MEDIA_NONE) to the image:
 * fills out (count, blocks, bytes, hashes, unreadable, partial). A fault
 * whose write is no longer visible (overwritten, lost, or changed by an
 * earlier fault) changes nothing. */
void damage_media(const struct damage_image *img, const struct crash_state *s,
        const struct damage_write *w, struct damage *out);

/* Block's bytes become bytes (block_size of them; they may lie in out->buf),
 * sealed (forge_seal), and every metadata block that held block's hash —
 * the hash of what img reads there now — is resealed in turn, up to the
 * superblocks: what a forge does after it changes its block, for a change
 * the caller chose. Fills out as damage_media does (out->partial when a
 * bound stopped the resealing); img's changed() is asked as there. */
void damage_reseal(const struct damage_image *img, uint64_t block, const uint8_t *bytes,
        struct damage *out);

/* The bytes of a torn write: the first sectors (512 bytes each) of written,
 * then what fill says (TORN_FILLS): old's bytes, zeros, or garbage fixed by
 * the torn op's index. */
void damage_tear(uint8_t *out, const uint8_t *written, const uint8_t *old, uint32_t block_size,
        uint32_t sectors, char fill, uint32_t torn_op);

/* Inverts bit of block (bit 0: the low bit of byte 0). */
void damage_flip(uint8_t *block, uint64_t bit);

/* 0 if s's media fault fits an image of block_count blocks of block_size
 * bytes whose struck write went to struck_block; else -1. */
int damage_state_check(const struct crash_state *s, uint64_t struck_block, uint32_t block_size,
        uint64_t block_count);

#endif /* FAULTINJECT_DAMAGE_H */
