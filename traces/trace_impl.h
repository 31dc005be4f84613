/*
 * traces/trace_impl.h: what the files of the trace format share and no file
 * outside traces/trace*.c includes (others include trace.h).
 *
 * The trace format is traces/trace.c (the line parser, the step values, the
 * write data and the writer) and traces/tracefile.c (trace_load, the one
 * reader of trace files, and the "# geometry:" line). Both report errors the
 * same way, "NAME:LINE:COL: message" through one struct parser, and read
 * words and numbers with the same code; this header holds that code: the
 * word and the parser state, the few helpers trace.c defines for
 * tracefile.c (named trace_*), and the character classes and quoting rules
 * both apply, as static inline functions. Everything else is static in its
 * file.
 */
#ifndef TRACES_TRACE_IMPL_H
#define TRACES_TRACE_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../fs/base.h"
#include "trace.h"

#define TRACE_QUOTE_MAX 40          /* Bytes of a word quoted in a message. */

/* A word of a line. */
struct token {
    const char *s;          /* First byte; points into the line. */
    uint32_t len;           /* Bytes. */
    uint32_t col;           /* 1-based column of the first byte. */
};

/* A parse in progress: where it is and where its message goes. */
struct parser {
    const char *name;       /* Source name, for messages. */
    struct trace *out;      /* Steps parsed so far (NULL for the geometry line). */
    uint32_t cap;           /* Steps allocated in out->steps. */
    uint32_t steps_max;     /* Most steps allowed. */
    uint32_t line;          /* Current line, 1-based. */
    char *err;              /* Message buffer (may be NULL). */
    size_t err_size;        /* Its size in bytes. */
};

/* Writes "NAME:LINE:COL: message" to p's buffer and returns -1, the parse
 * result. */
int trace_fail(struct parser *p, uint32_t col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "line too long" at the column just past TRACE_LINE_MAX; -1. */
int trace_line_too_long(struct parser *p);
/* Parses the number of t from byte skip on into *out; 0, or -1 with the
 * message. */
int trace_number_take(struct parser *p, const struct token *t, uint32_t skip, uint64_t *out);
/* Starts a parse of name into out (emptied), at most steps_max steps. */
void trace_parser_init(struct parser *p, const char *name, uint32_t steps_max, struct trace *out,
        char *err, size_t err_size);
/* Ends a parse with result rc (0 or -1); on -1 the steps are freed. */
int trace_parser_finish(struct parser *p, int rc);

/* The length of a word as quoted in messages: long words are cut. */
static inline int
quote_len(const struct token *t)
{
    ASSERT(t->s != NULL);
    ASSERT(t->len <= TRACE_LINE_MAX);
    return t->len > TRACE_QUOTE_MAX ? TRACE_QUOTE_MAX : (int)t->len;
}

/* What follows a quoted word: "..." if it was cut. */
static inline const char *
quote_more(const struct token *t)
{
    return t->len > TRACE_QUOTE_MAX ? "..." : "";
}

/* The blanks that separate words. */
static inline bool
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static inline bool
is_control(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static inline bool
token_is(const struct token *t, const char *word)
{
    return t->len == strlen(word) && memcmp(t->s, word, t->len) == 0;
}

#endif /* TRACES_TRACE_IMPL_H */
