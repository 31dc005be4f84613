/*
 * tests/fuzz/common.c: dictionary tokens and the failure report every fuzz
 * target shares (fuzz.h).
 */
#include "fuzz.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

unsigned long fuzz_stage_count[FUZZ_STAGE_COUNT];

static const char *const stage_text[] = {
#define X(id, text) text,
    FUZZ_STAGES(X)
#undef X
};

const char *
fuzz_stage_text(enum fuzz_stage s)
{
    return stage_text[s];
}

void
fuzz_dict_bytes(FILE *out, const char *name, const void *bytes, size_t size)
{
    const uint8_t *b = bytes;
    fprintf(out, "%s=\"", name);
    for (size_t i = 0; i < size; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '"' && b[i] != '\\') {
            fputc(b[i], out);
        } else {
            fprintf(out, "\\x%02x", b[i]);
        }
    }
    fputs("\"\n", out);
}

void
fuzz_dict_str(FILE *out, const char *name, const char *s)
{
    fuzz_dict_bytes(out, name, s, strlen(s));
}

void
fuzz_dict_be(FILE *out, const char *name, uint64_t v, uint32_t width)
{
    uint8_t b[8];
    for (uint32_t i = 0; i < width && i < 8; i++) {
        b[i] = (uint8_t)(v >> (8 * (width - 1 - i)));
    }
    fuzz_dict_bytes(out, name, b, width);
}

void
fuzz_dict_le(FILE *out, const char *name, uint64_t v, uint32_t width)
{
    uint8_t b[8];
    for (uint32_t i = 0; i < width && i < 8; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    fuzz_dict_bytes(out, name, b, width);
}

_Noreturn void
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s:%d: fuzz property failed: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}
