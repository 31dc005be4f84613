/*
 * traces/ace.h: the bounded-exhaustive ACE set of traces (traces/ace.c;
 * traces/GENERATORS.md describes it). Callers include traces/gen.h, which
 * includes this header.
 *
 * gen_ace enumerates every sequence of `length` core operations drawn from a
 * fixed menu of GEN_ACE_MENU_COUNT operations over a tiny fixed file set, as
 * ACE does (CrashMonkey, OSDI'18): each core operation is followed by a
 * persistence choice (sync or none; the last one always sync), and the
 * dependency steps each operation needs are inserted just before it. Each
 * trace goes to a callback with a description of its sequence.
 */
#ifndef TRACES_ACE_H
#define TRACES_ACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

#define GEN_ACE_LENGTH_MAX  4u          /* Core operations in a sequence, at most. */
#define GEN_ACE_MENU_COUNT  14u         /* Core operations on the menu. */
#define GEN_ACE_STEPS_MAX   (6u * GEN_ACE_LENGTH_MAX)   /* Steps in an ACE trace. */

/* What a step of an ACE trace is there for. */
enum gen_ace_role {
    GEN_ACE_DEP,            /* A dependency of the next core operation. */
    GEN_ACE_CORE,           /* A core operation of the sequence. */
    GEN_ACE_PERSIST,        /* The persistence point after a core operation. */
};

struct gen_ace_case {
    uint32_t length;                            /* Core operations. */
    uint64_t index;                             /* 0-based among the sequences of length. */
    uint64_t count;                             /* Sequences of this length. */
    uint32_t menu[GEN_ACE_LENGTH_MAX];          /* Menu index of each core operation. */
    bool sync_after[GEN_ACE_LENGTH_MAX];        /* Its persistence choice. */
    uint32_t core_step[GEN_ACE_LENGTH_MAX];     /* Step index of each core operation. */
    uint8_t role[GEN_ACE_STEPS_MAX];            /* enum gen_ace_role of each step. */
    const struct trace *trace;                  /* The workload; valid during the callback. */
};

/* Sequences of a length: GEN_ACE_MENU_COUNT^length * 2^(length-1); 0 if the
 * length is out of 1..GEN_ACE_LENGTH_MAX. */
uint64_t gen_ace_count(uint32_t length);

/* The core operation of a menu index, as a step ("write /A/foo 0 6000"). */
const char *gen_ace_menu_name(uint32_t menu_index);

/*
 * Calls fn for every sequence of length core operations, in index order.
 * fn returns 0 to go on; anything else stops the enumeration and is
 * returned. Returns 0 when every sequence was emitted, FS_EINVAL for a
 * length out of 1..GEN_ACE_LENGTH_MAX.
 */
int gen_ace(uint32_t length, int (*fn)(void *arg, const struct gen_ace_case *c), void *arg);

/* Writes an ACE trace: a header comment naming the sequence, then one step
 * per line with a trailing comment giving its role. 0, or -1 on I/O error. */
int gen_ace_write(FILE *out, const struct gen_ace_case *c);

#endif /* TRACES_ACE_H */
