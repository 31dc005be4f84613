/*
 * fs/keys.h: building the keys of format.h. Each builder writes into a
 * caller's buffer of at least FMT_KEY_MAX bytes and returns the key size.
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
    fmt_put64(k + 1, qid);
    fmt_put64(k + 9, off);
    return FMT_KDAT_SIZE;
}

static inline uint16_t
key_ent(uint8_t *k, uint64_t parent, const char *name, size_t nlen)
{
    ASSERT(nlen <= FMT_NAME_MAX);
    k[0] = FMT_KENT;
    fmt_put64(k + 1, parent);
    fmt_put16(k + 9, (uint16_t)nlen);
    memcpy(k + 11, name, nlen);
    k[11 + nlen] = 0;
    return (uint16_t)(12 + nlen);
}

static inline uint16_t
key_up(uint8_t *k, uint64_t qid)
{
    k[0] = FMT_KUP;
    fmt_put64(k + 1, qid);
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
    fmt_put64(k + 1, gen);
    return FMT_KSNAP_SIZE;
}

static inline uint16_t
key_dlist(uint8_t *k, uint64_t killer, uint64_t birth)
{
    k[0] = FMT_KDLIST;
    fmt_put64(k + 1, killer);
    fmt_put64(k + 9, birth);
    return FMT_KDLIST_SIZE;
}

#endif /* FS_KEYS_H */
