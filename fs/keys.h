/*
 * fs/keys.h: building and reading the keys of format.h. Each builder writes
 * into a caller's buffer of at least FMT_KEY_MAX bytes and returns the key
 * size. Each reader takes a key whose kind and size the caller has checked
 * (keys come from the device: a reader never checks, the caller always has).
 */
#ifndef FS_KEYS_H
#define FS_KEYS_H

#include <string.h>

#include "format.h"

#define QID_NONE FMT_ADDR_NIL   /* The root directory's parent. */
#define GEN_NONE FMT_ADDR_NIL   /* No predecessor, successor or base. */

static inline uint16_t
key_dat(uint8_t *k, uint64_t qid, uint64_t off)
{
    k[0] = FMT_KDAT;
    fmt_put64(k + FMT_KEY_ID_OFFSET, qid);
    fmt_put64(k + FMT_KDAT_OFF_OFFSET, off);
    return FMT_KDAT_SIZE;
}

static inline uint16_t
key_ent(uint8_t *k, uint64_t parent, const char *name, size_t nlen)
{
    ASSERT(nlen <= FMT_NAME_MAX);
    k[0] = FMT_KENT;
    fmt_put64(k + FMT_KEY_ID_OFFSET, parent);
    fmt_put16(k + FMT_KENT_NLEN_OFFSET, (uint16_t)nlen);
    memcpy(k + FMT_KENT_NAME_OFFSET, name, nlen);
    k[FMT_KENT_NAME_OFFSET + nlen] = 0;
    return (uint16_t)(FMT_KENT_SIZE_MIN + nlen);
}

static inline uint16_t
key_up(uint8_t *k, uint64_t qid)
{
    k[0] = FMT_KUP;
    fmt_put64(k + FMT_KEY_ID_OFFSET, qid);
    return FMT_KUP_SIZE;
}

static inline uint16_t
key_label(uint8_t *k, const char *name, size_t nlen)
{
    ASSERT(nlen <= FMT_NAME_MAX);
    k[0] = FMT_KLABEL;
    memcpy(k + 1, name, nlen);
    return (uint16_t)(1 + nlen);
}

static inline uint16_t
key_snap(uint8_t *k, uint64_t gen)
{
    k[0] = FMT_KSNAP;
    fmt_put64(k + FMT_KEY_ID_OFFSET, gen);
    return FMT_KSNAP_SIZE;
}

static inline uint16_t
key_dlist(uint8_t *k, uint64_t killer, uint64_t birth)
{
    k[0] = FMT_KDLIST;
    fmt_put64(k + FMT_KEY_ID_OFFSET, killer);
    fmt_put64(k + FMT_KDLIST_BIRTH_OFFSET, birth);
    return FMT_KDLIST_SIZE;
}

/* The prefix kind[1] id[8] of every key of kind about one id: the Kdat keys
 * of a file, the Kent keys of a directory, the Kdlist keys of a killer. */
static inline uint16_t
key_prefix(uint8_t *k, uint8_t kind, uint64_t id)
{
    ASSERT(kind == FMT_KDAT || kind == FMT_KENT || kind == FMT_KDLIST);
    k[0] = kind;
    fmt_put64(k + FMT_KEY_ID_OFFSET, id);
    return FMT_KEY_PREFIX_SIZE;
}

/* The id[8] after the kind: Kdat and Kup qid, Kent parent, Ksnap snapid,
 * Kdlist killer. */
static inline uint64_t
key_id(const uint8_t *k)
{
    return fmt_get64(k + FMT_KEY_ID_OFFSET);
}

/* Kdat off[8]: the byte offset of the block in its file. */
static inline uint64_t
key_dat_off(const uint8_t *k)
{
    return fmt_get64(k + FMT_KDAT_OFF_OFFSET);
}

/* Kdlist birth[8]. */
static inline uint64_t
key_dlist_birth(const uint8_t *k)
{
    return fmt_get64(k + FMT_KDLIST_BIRTH_OFFSET);
}

/* Kent nlen[2], and the name it counts. */
static inline uint16_t
key_ent_nlen(const uint8_t *k)
{
    return fmt_get16(k + FMT_KENT_NLEN_OFFSET);
}

static inline const uint8_t *
key_ent_name(const uint8_t *k)
{
    return k + FMT_KENT_NAME_OFFSET;
}

#endif /* FS_KEYS_H */
