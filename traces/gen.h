/*
 * traces/gen.h: trace generators — seeded random workloads and the
 * bounded-exhaustive ACE set (traces/GENERATORS.md describes both).
 *
 * gen_random makes one trace from a seed. It keeps its own view of the
 * namespace and of the labels, so every step it writes does what it says:
 * success, or the error its expect= names (a few deliberate failures). The
 * same arguments always give the same trace.
 *
 * gen_ace enumerates the bounded-exhaustive ACE set (CrashMonkey, OSDI'18):
 * every sequence of a few core operations from a fixed menu, each with its
 * persistence choice and the dependency steps it needs. It is traces/ace.c,
 * declared in traces/ace.h, which this header includes: gen.h stays the one
 * header a caller of either generator includes. gen_random is traces/gen.c.
 */
#ifndef TRACES_GEN_H
#define TRACES_GEN_H

#include <stdint.h>

#include "ace.h"
#include "trace.h"

#define GEN_STEPS_MAX       100000u         /* Steps gen_random makes (each holds ~2 KiB). */
#define GEN_FILES_MAX       64u             /* Files gen_random keeps at once, at most. */
#define GEN_SIZE_MAX        (64ull << 20)   /* Bytes: the largest size_max of gen_random. */

/*
 * A random trace of op_count steps (0..GEN_STEPS_MAX) over at most
 * file_count files (1..GEN_FILES_MAX) alive at once and a few directories,
 * no file ever larger than size_max bytes (1..GEN_SIZE_MAX). Every step
 * succeeds or fails with its expect= on a device large enough to hold
 * about 8 * file_count * size_max bytes (labels keep old data alive).
 * Returns 0, FS_EINVAL for arguments out of range, FS_ENOMEM; *out is then
 * empty. out->name is "random:seed=N". trace_free releases it.
 */
int gen_random(uint64_t seed, uint32_t op_count, uint32_t file_count, uint64_t size_max,
        struct trace *out);

#endif /* TRACES_GEN_H */
