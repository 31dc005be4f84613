/*
 * tests/fuzz/fuzz.h: what every fuzz target shares with its two mains.
 *
 * A target is one file defining LLVMFuzzerInitialize, LLVMFuzzerTestOneInput
 * and fuzz_dict (and, for a structured input, LLVMFuzzerCustomMutator). It
 * is linked two ways:
 *   - with libFuzzer (clang -fsanitize=fuzzer, build-fuzz/fuzz/TARGET):
 *     libFuzzer's main generates inputs, coverage-guided;
 *   - with tests/fuzz/replay.c (any build, $(BUILD)/fuzz/replay-TARGET): a
 *     plain main that runs the files it is given, once each, so an input
 *     libFuzzer found reproduces under gdb, valgrind or another sanitizer.
 *
 * A finding is a crash, a hang, a leak, a sanitizer report or a property
 * of the target that fails: FUZZ_REQUIRE prints which and aborts, so
 * libFuzzer keeps the input as it keeps a crash.
 *
 * Nothing here is reset between inputs unless a target says so: state a
 * target can reuse (a formatted image, a device, buffers) is made once in
 * LLVMFuzzerInitialize.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* libFuzzer's -max_len for each target (make fuzz asks a target's replay
 * program, `replay-TARGET --max-len`, which prints fuzz_max_len()). Longer
 * inputs cost libFuzzer and the sanitizers more per input than the target
 * does: the mount targets' 16 blocks hold the metadata of every seed image
 * and some of its file data; a write log's base image and first sync take
 * about 100 KB. */
#define FUZZ_IMAGE_INPUT_MAX 65536u
#define FUZZ_WLOG_INPUT_MAX 131072u
#define FUZZ_TRACE_INPUT_MAX 4096u
size_t fuzz_max_len(void);

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Writes the target's dictionary (libFuzzer's -dict= format: one token a
 * line, name="bytes") to out: the format's magic values and keywords, taken
 * from the tables that define them. */
void fuzz_dict(FILE *out);

/* One token: bytes escaped as libFuzzer's dictionary format wants them. */
void fuzz_dict_bytes(FILE *out, const char *name, const void *bytes, size_t size);
void fuzz_dict_str(FILE *out, const char *name, const char *s);
/* A big-endian (the file system's byte order) or little-endian number. */
void fuzz_dict_be(FILE *out, const char *name, uint64_t v, uint32_t width);
void fuzz_dict_le(FILE *out, const char *name, uint64_t v, uint32_t width);

/* How far the inputs got, counted by the targets and printed by a replay:
 * what a corpus reaches at a glance. */
#define FUZZ_STAGES(X) \
    X(MOUNTED,   "mounted read-only") \
    X(SOUND,     "found sound by fs_check") \
    X(WRITTEN,   "took the read-write workload without damage") \
    X(REMOUNTED, "mounted again after it") \
    X(ACCEPTED,  "accepted by the parser")

enum fuzz_stage {
#define X(id, text) FUZZ_##id,
    FUZZ_STAGES(X)
#undef X
    FUZZ_STAGE_COUNT
};

extern unsigned long fuzz_stage_count[FUZZ_STAGE_COUNT];
const char *fuzz_stage_text(enum fuzz_stage s);
#define FUZZ_STAGE(s) ((void)fuzz_stage_count[FUZZ_##s]++)

/* A property of the input failed: says which, where, and aborts. */
_Noreturn void fuzz_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define FUZZ_REQUIRE(cond, ...) \
    ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, __VA_ARGS__))

#endif /* TESTS_FUZZ_FUZZ_H */
