/*
 * tests/trace_shared.h: what tests/test_trace.c and tests/test_tracefile.c
 * share and no other file includes: the size of an error message, parsing
 * text that must parse, and comparing two traces step by step.
 *
 * A test program is one file of tests/ and tests/util.c, so what two of them
 * share is static inline here, as in tests/tree_shared.h. Everything else is
 * static in its file.
 */
#ifndef TESTS_TRACE_SHARED_H
#define TESTS_TRACE_SHARED_H

#include "util.h"

#include "../traces/trace.h"

#define ERR_SIZE 512u

/* Parses text that must parse; the test fails with the message otherwise. */
static inline void
parse_ok(const char *text, struct trace *t)
{
    char err[ERR_SIZE];
    int rc = trace_parse_text("t.trace", text, t, err, sizeof(err));
    if (rc != 0) {
        util_note("unexpected parse error: %s", err);
    }
    CHECK_EQ(rc, 0);
}

static inline void
check_same(const struct trace *a, const struct trace *b)
{
    CHECK_EQ(a->count, b->count);
    for (uint32_t i = 0; i < a->count; i++) {
        if (!trace_step_same(&a->steps[i], &b->steps[i])) {
            char x[TRACE_LINE_MAX], y[TRACE_LINE_MAX];
            trace_step_format(&a->steps[i], x, sizeof(x));
            trace_step_format(&b->steps[i], y, sizeof(y));
            util_note("step %u differs: '%s' vs '%s'", i, x, y);
        }
        CHECK_TRUE(trace_step_same(&a->steps[i], &b->steps[i]));
    }
}

#endif /* TESTS_TRACE_SHARED_H */
