/*
 * traces/prng.h: the pseudo-random generators of the whole project, in one
 * place, so every draw a trace, a crash state or a test depends on is made by
 * code that is written once. Each generator's constants appear here and
 * nowhere else in the C code.
 *
 * Every draw is fixed by its seed and by where it is made: the same seed,
 * log and plan give the same traces, crash states and ids, run after run and
 * build after build (docs/SCHEMA.md, "What is deterministic"). So none of
 * these may change without changing stored traces and ids:
 *   - splitmix64 (Vigna): the bytes of a trace's write steps (trace_fill,
 *     traces/FORMAT.md gives the definition and known answers, random access
 *     through prng_splitmix64_at), gen_random's one stream (traces/gen.c),
 *     the forger's field and bit choice (faultinject/forge.c);
 *   - xorshift64* (Marsaglia, Vigna): the planner's sampling
 *     (faultinject/plan.c), one stream per use seeded by prng_stream;
 *   - the 64-bit LCG of Knuth's MMIX: the garbage a torn write leaves
 *     (faultinject/damage.c).
 * A stream's seed is the campaign seed mixed with the index of what it is
 * drawn for (a cut, an op) and a salt naming the use, so two uses at the same
 * index draw apart; the salts are named where they are used
 * (faultinject/plan.c).
 *
 * Header-only (static inline): the generators are a few instructions each
 * and are called per draw. traces/ is the lowest layer that draws, so the
 * header lives here and faultinject/ and tests/ include it from here.
 */
#ifndef TRACES_PRNG_H
#define TRACES_PRNG_H

#include <stdint.h>

#define PRNG_GOLDEN 0x9e3779b97f4a7c15ull       /* 2^64 / phi: splitmix64's increment. */
#define PRNG_SPLITMIX_MUL1 0xbf58476d1ce4e5b9ull /* splitmix64's first mixing multiplier. */
#define PRNG_SPLITMIX_MUL2 0x94d049bb133111ebull /* splitmix64's second mixing multiplier. */
#define PRNG_XORSHIFT_MUL 0x2545f4914f6cdd1dull /* xorshift64*'s output multiplier. */
#define PRNG_VARIANT_MUL 0xd1b54a32d192ed03ull  /* Spreads a variant number over a seed. */
#define PRNG_LCG_MUL 6364136223846793005ull     /* Knuth's MMIX LCG. */
#define PRNG_LCG_ADD 1442695040888963407ull

/* splitmix64: the next output of the stream whose state is *state. */
static inline uint64_t
prng_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += PRNG_GOLDEN);
    z = (z ^ (z >> 30)) * PRNG_SPLITMIX_MUL1;
    z = (z ^ (z >> 27)) * PRNG_SPLITMIX_MUL2;
    return z ^ (z >> 31);
}

/* Output index (0-based) of the splitmix64 stream seeded with seed, without
 * drawing the outputs before it: the state advances by PRNG_GOLDEN per
 * output, so it is seed + index * PRNG_GOLDEN just before output index. */
static inline uint64_t
prng_splitmix64_at(uint64_t seed, uint64_t index)
{
    uint64_t state = seed + index * PRNG_GOLDEN;
    return prng_splitmix64(&state);
}

/* xorshift64*: the next output of the stream whose state is *state (never 0
 * for a useful stream; a zero state stays zero). */
static inline uint64_t
prng_xorshift64star(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * PRNG_XORSHIFT_MUL;
}

/* The MMIX LCG: the next state; its high bits are the output (damage.c takes
 * the top byte). */
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

#endif /* TRACES_PRNG_H */
