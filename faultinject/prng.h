/*
 * faultinject/prng.h: the pseudo-random generators of faultinject/, in one
 * place, so every draw a crash state depends on is made by code that is
 * written once.
 *
 * Every draw is fixed by the campaign's seed and by where it is made: the
 * same seed, log and plan give the same crash states and the same ids, run
 * after run and build after build (docs/SCHEMA.md, "What is deterministic").
 * So none of these may change without changing stored ids:
 *   - splitmix64 (Vigna): the forger's field and bit choice (forge.c);
 *   - xorshift64* (Marsaglia, Vigna): the planner's sampling (plan.c), one
 *     stream per use seeded by prng_stream;
 *   - the 64-bit LCG of Knuth's MMIX: the garbage a torn write leaves
 *     (damage.c).
 * A stream's seed is the campaign seed mixed with the index of what it is
 * drawn for (a cut, an op) and a salt naming the use, so two uses at the same
 * index draw apart; the salts are named where they are used (plan.c).
 *
 * Header-only (static inline): the generators are a few instructions each
 * and are called per draw.
 */
#ifndef FAULTINJECT_PRNG_H
#define FAULTINJECT_PRNG_H

#include <stdint.h>

#define PRNG_GOLDEN 0x9e3779b97f4a7c15ull       /* 2^64 / phi: splitmix64's increment. */
#define PRNG_VARIANT_MUL 0xd1b54a32d192ed03ull  /* Spreads a variant number over a seed. */
#define PRNG_LCG_MUL 6364136223846793005ull     /* Knuth's MMIX LCG. */
#define PRNG_LCG_ADD 1442695040888963407ull

/* splitmix64: the next output of the stream whose state is *state. */
static inline uint64_t
prng_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += PRNG_GOLDEN);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* xorshift64*: the next output of the stream whose state is *state (never 0
 * for a useful stream; a zero state stays zero). */
static inline uint64_t
prng_xorshift64star(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 0x2545f4914f6cdd1dull;
}

/* The MMIX LCG: the next state, whose high byte is the output. */
static inline uint64_t
prng_lcg64(uint64_t *state)
{
    *state = *state * PRNG_LCG_MUL + PRNG_LCG_ADD;
    return *state;
}

/* The seed of the stream drawn for index (a cut, an op) under salt. */
static inline uint64_t
prng_stream(uint64_t seed, uint64_t index, uint64_t salt)
{
    return seed ^ (PRNG_GOLDEN * (index + 1)) ^ salt;
}

#endif /* FAULTINJECT_PRNG_H */
