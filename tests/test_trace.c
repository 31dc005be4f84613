/*
 * tests/test_trace.c: the trace format of traces/FORMAT.md as traces/trace.c
 * has it (the line parser, the step values, the write data and the writer)
 * and the generators of traces/prng.h.
 *
 * What it proves:
 *   - every op parses into the fields trace.h documents, with line and column,
 *     comments, blank lines, tabs, CRLF, numbers with K/M/G and expect=;
 *   - format and parse are inverse: parse(format(t)) == t for a hand-written
 *     trace (through a file, with a header comment) and for thousands of random
 *     steps, and formatting is canonical (format(parse(format(s))) == format(s));
 *   - every error class gives the exact "FILE:LINE:COL: message", and a failed
 *     parse leaves the trace empty;
 *   - thousands of seeded random byte strings and mutations of a valid trace
 *     (NUL bytes, huge lines, no trailing newline) parse or fail cleanly, never
 *     read out of bounds (run under SAN=1), and an error's LINE:COL points into
 *     the input;
 *   - trace_fill is splitmix64 as FORMAT.md defines it (known answers), and any
 *     slice regenerates the same bytes as the whole;
 *   - traces/prng.h's generators give the published algorithms' known answers
 *     (splitmix64, xorshift64*, the MMIX LCG), and splitmix64's random access
 *     equals drawing in order;
 *   - every op is named as the format spells it.
 *
 * The file reader (trace_load) and the "# geometry:" line of
 * traces/tracefile.c are tests/test_tracefile.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace_shared.h"

#include "../traces/prng.h"

/* The test's own PRNG is xorshift64* (traces/prng.h), seeded per test, so
 * runs repeat. */
static uint64_t
rng_below(uint64_t *s, uint64_t n)
{
    return n == 0 ? 0 : prng_xorshift64star(s) % n;
}

/* Parses size bytes that must fail with exactly want. */
static void
parse_fails(const char *text, size_t size, uint32_t steps_max, const char *want)
{
    char err[ERR_SIZE];
    struct trace t;
    int rc = trace_parse_buf("t.trace", text, size, steps_max, &t, err, sizeof(err));
    CHECK_EQ(rc, -1);
    assert_string_equal(err, want);
    CHECK_EQ(t.count, 0);
    CHECK_TRUE(t.steps == NULL);
}

static void
fails(const char *text, const char *want)
{
    parse_fails(text, strlen(text), TRACE_STEPS_MAX, want);
}

/* ---- Parsing every op. ---- */

static void
trace_every_op(void **state)
{
    (void)state;
    struct trace t;
    parse_ok("# header\n"
            "mkdir /a\n"
            "  create /a/f   # indented, with a comment\n"
            "write /a/f 4K 1M seed=42\n"
            "\ttruncate /a/f 100\n"
            "rm /a/f expect=ENOENT\n"
            "mv /a /b\n"
            "sync\n"
            "snap label main s1\n"
            "snap fork s1 f1\n"
            "snap delete s1 expect=EPERM\n"
            "tick 1000000000\n", &t);
    CHECK_EQ(t.count, 11);
    assert_string_equal(t.name, "t.trace");
    const struct trace_step *s = t.steps;
    CHECK_EQ(s[0].op, TRACE_MKDIR);
    assert_string_equal(s[0].path, "/a");
    CHECK_EQ(s[0].line, 2);
    CHECK_EQ(s[0].column, 1);
    CHECK_EQ(s[1].op, TRACE_CREATE);
    CHECK_EQ(s[1].column, 3);
    CHECK_EQ(s[2].op, TRACE_WRITE);
    CHECK_EQ(s[2].offset, 4096);
    CHECK_EQ(s[2].length, 1 << 20);
    CHECK_EQ(s[2].seed, 42);
    CHECK_EQ(s[3].op, TRACE_TRUNCATE);
    CHECK_EQ(s[3].length, 100);
    CHECK_EQ(s[3].column, 2);
    CHECK_EQ(s[4].op, TRACE_RM);
    CHECK_ERR(s[4].expect, FS_ENOENT);
    CHECK_EQ(s[5].op, TRACE_MV);
    assert_string_equal(s[5].path2, "/b");
    CHECK_EQ(s[6].op, TRACE_SYNC);
    CHECK_EQ(s[6].expect, 0);
    CHECK_EQ(s[7].op, TRACE_SNAP_LABEL);
    assert_string_equal(s[7].path, "main");
    assert_string_equal(s[7].path2, "s1");
    CHECK_EQ(s[8].op, TRACE_SNAP_FORK);
    CHECK_EQ(s[9].op, TRACE_SNAP_DELETE);
    assert_string_equal(s[9].path, "s1");
    CHECK_ERR(s[9].expect, FS_EPERM);
    CHECK_EQ(s[10].op, TRACE_TICK);
    CHECK_EQ(s[10].ns, 1000000000);
    CHECK_EQ(s[10].line, 12);
    trace_free(&t);
    CHECK_TRUE(t.steps == NULL);
}

static void
trace_every_expect_name(void **state)
{
    (void)state;
    static const int codes[] = { FS_EPERM, FS_ENOENT, FS_EIO, FS_ENOMEM, FS_EEXIST, FS_EXDEV,
        FS_ENOTDIR, FS_EISDIR, FS_EINVAL, FS_EFBIG, FS_ENOSPC, FS_EROFS, FS_ENAMETOOLONG,
        FS_ENOTEMPTY, FS_ECORRUPT };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        char text[64];
        snprintf(text, sizeof(text), "sync expect=%s", fs_strerror(codes[i]) + 3);
        struct trace t;
        parse_ok(text, &t);
        CHECK_EQ(t.count, 1);
        CHECK_ERR(t.steps[0].expect, codes[i]);
        trace_free(&t);
    }
}

static void
trace_numbers_and_layout(void **state)
{
    (void)state;
    struct trace t;
    parse_ok("truncate /f 0\ntruncate /f 7k\ntruncate /f 3M\ntruncate /f 2G\r\n\n"
            "truncate /f 18446744073709551615\ntruncate /f 17179869183G\n"
            "truncate /f 007#comment\nmkdir /x#y\n   \n\t# only a comment\nsync", &t);
    CHECK_EQ(t.count, 9);
    CHECK_EQ(t.steps[0].length, 0);
    CHECK_EQ(t.steps[1].length, 7 << 10);
    CHECK_EQ(t.steps[2].length, 3 << 20);
    CHECK_EQ(t.steps[3].length, 2ll << 30);
    CHECK_TRUE(t.steps[4].length == UINT64_MAX);
    CHECK_TRUE(t.steps[5].length == 17179869183ull << 30);
    CHECK_EQ(t.steps[6].length, 7);
    assert_string_equal(t.steps[7].path, "/x");
    CHECK_EQ(t.steps[8].op, TRACE_SYNC);
    CHECK_EQ(t.steps[8].line, 12);
    trace_free(&t);
    parse_ok("", &t);
    CHECK_EQ(t.count, 0);
    trace_free(&t);
}

/* mount NAME: a label, not a path; its errors name the one argument. */
static void
trace_mount_step(void **state)
{
    (void)state;
    struct trace t;
    parse_ok("snap fork main f\nmount f\n  mount main expect=ENOENT # back\nmount /x\n", &t);
    CHECK_EQ(t.count, 4);
    CHECK_EQ(t.steps[1].op, TRACE_MOUNT);
    assert_string_equal(t.steps[1].path, "f");
    assert_string_equal(t.steps[1].path2, "");
    CHECK_EQ(t.steps[1].expect, 0);
    CHECK_EQ(t.steps[2].line, 3);
    CHECK_EQ(t.steps[2].column, 3);
    CHECK_ERR(t.steps[2].expect, FS_ENOENT);
    assert_string_equal(t.steps[3].path, "/x");     /* A label with '/': the fs refuses it. */
    char line[TRACE_LINE_MAX];
    trace_step_format(&t.steps[2], line, sizeof(line));
    assert_string_equal(line, "mount main expect=ENOENT");
    trace_free(&t);
    fails("mount\n", "t.trace:1:6: missing NAME (mount NAME)");
    fails("sync\n  mount  expect=ENOENT\n", "t.trace:2:8: missing NAME (mount NAME)");
    fails("mount f g\n", "t.trace:1:9: extra argument 'g' (mount NAME)");
    fails("mount f expect=ENOENT x", "t.trace:1:9: extra argument 'expect=ENOENT' (mount NAME; "
            "expect= must be the last word)");
    fails("mount f expect=ENOLABEL", "t.trace:1:9: unknown error name 'ENOLABEL' in expect= (an "
            "FS_E* name without FS_, e.g. ENOSPC)");
    fails("mounts f", "t.trace:1:1: unknown operation 'mounts'");
    char text[TRACE_PATH_MAX + 16], want[ERR_SIZE];
    snprintf(text, sizeof(text), "mount %0*d", (int)TRACE_PATH_MAX, 0);
    snprintf(want, sizeof(want), "t.trace:1:7: name too long (%u bytes, at most %u)",
            TRACE_PATH_MAX, TRACE_PATH_MAX - 1);
    fails(text, want);
}

/* ---- Errors: each class, exact text. ---- */

static void
trace_errors_syntax(void **state)
{
    (void)state;
    fails("frob /a\n", "t.trace:1:1: unknown operation 'frob'");
    fails("sync\n\n  mkdir\n", "t.trace:3:8: missing PATH (mkdir PATH)");
    fails("mkdir /a /b\n", "t.trace:1:10: extra argument '/b' (mkdir PATH)");
    fails("sync now", "t.trace:1:6: extra argument 'now' (sync)");
    fails("write /f 0 10\n", "t.trace:1:14: missing seed=N (write PATH OFFSET LENGTH seed=N)");
    fails("write /f 0 10 sed=1",
            "t.trace:1:15: expected seed=N, not 'sed=1' (write PATH OFFSET LENGTH seed=N)");
    fails("mv /a", "t.trace:1:6: missing NEWPATH (mv PATH NEWPATH)");
    fails("snap", "t.trace:1:5: missing snapshot operation (snap label, snap fork or snap "
            "delete)");
    fails("snap rename a b", "t.trace:1:6: unknown snapshot operation 'rename' (label, fork or "
            "delete)");
    fails("snap label main", "t.trace:1:16: missing NEW (snap label FROM NEW)");
    fails("mkdir /a expect=EEXIST x", "t.trace:1:10: extra argument 'expect=EEXIST' (mkdir "
            "PATH; expect= must be the last word)");
    fails("expect=EEXIST", "t.trace:1:1: unknown operation 'expect=EEXIST'");
    fails("mkdir /a\x01z", "t.trace:1:9: control character 0x01");
    static const char nul[] = "sync\nmkdir /a\0b\n";
    parse_fails(nul, sizeof(nul) - 1, TRACE_STEPS_MAX, "t.trace:2:9: control character 0x00");
    fails("frob0123456789012345678901234567890123456789",
            "t.trace:1:1: unknown operation 'frob012345678901234567890123456789012345...'");
}

static void
trace_errors_values(void **state)
{
    (void)state;
    const char *num = "(decimal, optionally with K, M or G, at most 2^64-1)";
    char want[ERR_SIZE];
    snprintf(want, sizeof(want), "t.trace:1:10: bad number 'x' %s", num);
    fails("write /f x 10 seed=1", want);
    snprintf(want, sizeof(want), "t.trace:1:14: bad number 'seed=1x' %s", num);
    fails("write /f 0 1 seed=1x", want);
    snprintf(want, sizeof(want), "t.trace:1:6: bad number '-5' %s", num);
    fails("tick -5", want);
    snprintf(want, sizeof(want), "t.trace:1:6: bad number '5KB' %s", num);
    fails("tick 5KB", want);
    snprintf(want, sizeof(want), "t.trace:1:13: number out of range '18446744073709551616' %s",
            num);
    fails("truncate /f 18446744073709551616", want);
    snprintf(want, sizeof(want), "t.trace:1:13: number out of range '17179869184G' %s", num);
    fails("truncate /f 17179869184G", want);
    fails("mkdir a/b", "t.trace:1:7: relative path 'a/b' (paths start with '/')");
    fails("mv /a b", "t.trace:1:7: relative path 'b' (paths start with '/')");
    fails("mkdir /a expect=EFOO", "t.trace:1:10: unknown error name 'EFOO' in expect= (an FS_E* "
            "name without FS_, e.g. ENOSPC)");
    fails("mkdir /a expect=FS_EEXIST", "t.trace:1:10: unknown error name 'FS_EEXIST' in expect= "
            "(an FS_E* name without FS_, e.g. ENOSPC)");
    fails("mkdir /a expect=", "t.trace:1:10: unknown error name '' in expect= (an FS_E* name "
            "without FS_, e.g. ENOSPC)");
}

static void
trace_errors_limits(void **state)
{
    (void)state;
    char *text = malloc(2 * TRACE_LINE_MAX);
    assert_non_null(text);
    /* A path of TRACE_PATH_MAX - 1 bytes is the longest. */
    memset(text, 0, 2 * TRACE_LINE_MAX);
    memcpy(text, "create /", 8);
    memset(text + 8, 'x', TRACE_PATH_MAX - 2);
    struct trace t;
    parse_ok(text, &t);
    CHECK_EQ(strlen(t.steps[0].path), TRACE_PATH_MAX - 1);
    trace_free(&t);
    text[8 + TRACE_PATH_MAX - 2] = 'x';
    fails(text, "t.trace:1:8: path too long (1024 bytes, at most 1023)");
    memset(text, 0, 2 * TRACE_LINE_MAX);
    memcpy(text, "sync\nsnap delete ", 17);
    memset(text + 17, 'n', TRACE_PATH_MAX);
    fails(text, "t.trace:2:13: name too long (1024 bytes, at most 1023)");
    /* TRACE_LINE_MAX bytes are a line; one more is too long, even in a comment. */
    memset(text, 0, 2 * TRACE_LINE_MAX);
    text[0] = '#';
    memset(text + 1, 'c', TRACE_LINE_MAX - 1);
    parse_ok(text, &t);
    trace_free(&t);
    text[TRACE_LINE_MAX] = 'c';
    fails(text, "t.trace:1:4097: line too long (more than 4096 bytes)");
    free(text);
    static const char many[] = "sync\nsync\n# x\nsync\nsync\n";
    parse_fails(many, sizeof(many) - 1, 3, "t.trace:5:1: too many steps (at most 3)");
}

/* ---- Round trips. ---- */

static void
trace_round_trip_file(void **state)
{
    (void)state;
    static const char text[] =
        "mkdir /a  # c\n create /a/f\nwrite /a/f 4K 1M seed=42\nwrite /a/f 1 1025 seed=0\n"
        "truncate /a/f 0\nrm /a/f expect=ENOENT\nmv /a /b=c\nsync\nsnap label main s1\n"
        "snap fork s1 f1 expect=EEXIST\nsnap delete s1\ntick 1024\n";
    struct trace t, u;
    parse_ok(text, &t);
    char path[] = "/tmp/test_trace.XXXXXX";
    int fd = mkstemp(path);
    CHECK_TRUE(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    CHECK_EQ(trace_write(f, &t, "a header\n\nof three lines"), 0);
    fclose(f);
    char err[ERR_SIZE];
    CHECK_EQ(trace_parse_file(path, &u, err, sizeof(err)), 0);
    check_same(&t, &u);
    CHECK_EQ(u.steps[0].line, 4);           /* After the three header lines. */
    f = fopen(path, "r");
    assert_non_null(f);
    char line[TRACE_LINE_MAX];
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, "# a header\n");
    assert_non_null(fgets(line, sizeof(line), f));
    assert_string_equal(line, "#\n");
    fclose(f);
    unlink(path);
    trace_step_format(&t.steps[2], line, sizeof(line));
    assert_string_equal(line, "write /a/f 4K 1M seed=42");
    trace_step_format(&t.steps[3], line, sizeof(line));
    assert_string_equal(line, "write /a/f 1 1025 seed=0");
    trace_step_format(&t.steps[9], line, sizeof(line));
    assert_string_equal(line, "snap fork s1 f1 expect=EEXIST");
    trace_step_format(&t.steps[11], line, sizeof(line));
    assert_string_equal(line, "tick 1024");         /* Nanoseconds take no suffix. */
    trace_free(&t);
    trace_free(&u);
}

/* A random word for a path (absolute) or a name: any byte that is not blank,
 * '#' or a control character, UTF-8 and '=' included. */
static void
random_word(uint64_t *rng, char *out, bool path)
{
    static const char alphabet[] = "abcXYZ019._-=/+\xc3\xa9\xe2\x82\xac";
    size_t n = 1 + rng_below(rng, rng_below(rng, 8) == 0 ? TRACE_PATH_MAX - 1 : 12);
    for (size_t i = 0; i < n; i++) {
        out[i] = alphabet[rng_below(rng, sizeof(alphabet) - 1)];
    }
    out[0] = path ? '/' : out[0] == '/' ? 'n' : out[0];
    out[n] = '\0';
    if (!path && strncmp(out, "expect=", 7) == 0) {
        out[0] = 'E';
    }
}

static uint64_t
random_number(uint64_t *rng)
{
    switch (rng_below(rng, 4)) {
    case 0:  return rng_below(rng, 100);
    case 1:  return rng_below(rng, 1 << 20) << (10 * rng_below(rng, 4));
    case 2:  return UINT64_MAX - rng_below(rng, 3);
    default: return prng_xorshift64star(rng);
    }
}

static void
random_step(uint64_t *rng, struct trace_step *s)
{
    static const int codes[] = { 0, 0, 0, FS_ENOSPC, FS_EEXIST, FS_ENOTEMPTY, FS_ECORRUPT };
    memset(s, 0, sizeof(*s));
    s->op = (enum trace_op)rng_below(rng, TRACE_OP_COUNT);
    s->expect = codes[rng_below(rng, sizeof(codes) / sizeof(codes[0]))];
    bool names = (s->op >= TRACE_SNAP_LABEL && s->op <= TRACE_SNAP_DELETE)
        || s->op == TRACE_MOUNT;
    if (s->op != TRACE_SYNC && s->op != TRACE_TICK) {
        random_word(rng, s->path, !names);
    }
    if (s->op == TRACE_MV || s->op == TRACE_SNAP_LABEL || s->op == TRACE_SNAP_FORK) {
        random_word(rng, s->path2, !names);
    }
    if (s->op == TRACE_WRITE) {
        s->offset = random_number(rng);
        s->seed = random_number(rng);
    }
    if (s->op == TRACE_WRITE || s->op == TRACE_TRUNCATE) {
        s->length = random_number(rng);
    }
    if (s->op == TRACE_TICK) {
        s->ns = random_number(rng);
    }
}

static void
trace_round_trip_random(void **state)
{
    (void)state;
    uint64_t rng = PRNG_GOLDEN;
    for (uint32_t i = 0; i < 20000; i++) {
        struct trace_step s;
        random_step(&rng, &s);
        char line[TRACE_LINE_MAX], again[TRACE_LINE_MAX], err[ERR_SIZE];
        trace_step_format(&s, line, sizeof(line));
        struct trace t;
        int rc = trace_parse_text("r", line, &t, err, sizeof(err));
        if (rc != 0) {
            util_note("step %u: '%s' does not parse: %s", i, line, err);
        }
        CHECK_EQ(rc, 0);
        CHECK_EQ(t.count, 1);
        CHECK_TRUE(trace_step_same(&s, &t.steps[0]));
        trace_step_format(&t.steps[0], again, sizeof(again));
        assert_string_equal(line, again);
        trace_free(&t);
    }
}

/* ---- Robustness. ---- */

/* Parses size bytes; whatever the outcome, checks it is well formed: an
 * error names a LINE:COL inside the input (or just past a line), a success
 * formats back to the same steps. */
static void
parse_any(const char *text, size_t size)
{
    char err[ERR_SIZE];
    struct trace t;
    int rc = trace_parse_buf("fuzz", text, size, 1000, &t, err, sizeof(err));
    CHECK_TRUE(rc == 0 || rc == -1);
    if (rc == -1) {
        unsigned line = 0, col = 0;
        CHECK_EQ(sscanf(err, "fuzz:%u:%u: ", &line, &col), 2);
        CHECK_EQ(t.count, 0);
        CHECK_TRUE(t.steps == NULL);
        const char *p = text, *end = text + size;
        for (unsigned l = 1; l < line; l++) {      /* Find the line. */
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            assert_non_null(nl);
            p = nl + 1;
        }
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        CHECK_TRUE(col >= 1 && (col <= len + 1 || col == TRACE_LINE_MAX + 1));
        return;
    }
    CHECK_TRUE(size == 0 || memchr(text, '\0', size) == NULL);    /* Text is a C string. */
    for (uint32_t i = 0; i < t.count; i++) {
        char line[TRACE_LINE_MAX], err2[ERR_SIZE];
        trace_step_format(&t.steps[i], line, sizeof(line));
        struct trace u;
        CHECK_EQ(trace_parse_text("again", line, &u, err2, sizeof(err2)), 0);
        CHECK_TRUE(trace_step_same(&t.steps[i], &u.steps[0]));
        trace_free(&u);
    }
    trace_free(&t);
}

static void
trace_fuzz_random_bytes(void **state)
{
    (void)state;
    uint64_t rng = 12345;
    static const char *const words[] = { "mkdir ", "create ", "write ", "truncate ", "rm ",
        "mv ", "sync", "snap ", "label ", "fork ", "delete ", "tick ", "/a", "/b/c ", "12",
        "4K ", "seed=", "expect=", "ENOSPC", "#", "\n", "\r\n", " ", "\t", "\0", "\xff" };
    char *buf = malloc(3 * TRACE_LINE_MAX);
    assert_non_null(buf);
    for (uint32_t i = 0; i < 6000; i++) {
        size_t n = (size_t)rng_below(&rng, i % 100 == 0 ? 3 * TRACE_LINE_MAX : 300);
        if (i % 2 == 0) {
            for (size_t j = 0; j < n; j++) {
                buf[j] = (char)prng_xorshift64star(&rng);
            }
        } else {
            size_t j = 0;
            while (j < n) {
                const char *w = words[rng_below(&rng, sizeof(words) / sizeof(words[0]))];
                size_t wl = *w == '\0' ? 1 : strlen(w);
                wl = wl < n - j ? wl : n - j;
                memcpy(buf + j, w, wl);
                j += wl;
            }
        }
        /* An exact-size heap copy, so ASan sees any read past the end. */
        char *copy = malloc(n == 0 ? 1 : n);
        assert_non_null(copy);
        memcpy(copy, buf, n);
        parse_any(copy, n);
        free(copy);
    }
    free(buf);
}

static void
trace_fuzz_mutations(void **state)
{
    (void)state;
    static const char base[] =
        "# the default shape\nmkdir /a\ncreate /a/f\nwrite /a/f 0 64K seed=1\n"
        "write /a/f 100 300 seed=2 expect=ENOSPC\ntruncate /a/f 1000\nmv /a/f /a/g\n"
        "rm /a/g\nsync\nsnap label main s1\nsnap fork s1 f\nsnap delete s1\ntick 5\n";
    uint64_t rng = 777;
    size_t cap = 4 * sizeof(base);
    char *buf = malloc(cap);
    assert_non_null(buf);
    for (uint32_t i = 0; i < 6000; i++) {
        size_t n = sizeof(base) - 1;
        memcpy(buf, base, n);
        for (uint64_t m = 1 + rng_below(&rng, 6); m > 0; m--) {
            size_t at = (size_t)rng_below(&rng, n + 1);
            switch (rng_below(&rng, 5)) {
            case 0:     /* Flip a byte. */
                if (at < n) {
                    buf[at] = (char)(buf[at] ^ (1 << rng_below(&rng, 8)));
                }
                break;
            case 1:     /* Insert a byte. */
                if (n + 1 < cap) {
                    memmove(buf + at + 1, buf + at, n - at);
                    buf[at] = "\n# \0x9/="[rng_below(&rng, 8)];
                    n++;
                }
                break;
            case 2: {   /* Delete a range. */
                size_t len = (size_t)rng_below(&rng, 16);
                len = len < n - at ? len : n - at;
                memmove(buf + at, buf + at + len, n - at - len);
                n -= len;
                break;
            }
            case 3: {   /* Duplicate a range. */
                size_t len = (size_t)rng_below(&rng, 32);
                len = len < n - at ? len : n - at;
                len = n + len < cap ? len : 0;
                memmove(buf + at + len, buf + at, n - at);
                n += len;
                break;
            }
            default:    /* Cut the end (no trailing newline). */
                n = at;
                break;
            }
        }
        char *copy = malloc(n == 0 ? 1 : n);
        assert_non_null(copy);
        memcpy(copy, buf, n);
        parse_any(copy, n);
        free(copy);
    }
    free(buf);
}

/* ---- Write data. ---- */

static void
trace_fill_known_answers(void **state)
{
    (void)state;
    /* splitmix64 seeded with 0 and with 1234567: first outputs (Vigna). */
    uint8_t b[16];
    trace_fill(0, 0, b, 8);
    uint64_t w = 0;
    for (int i = 7; i >= 0; i--) {
        w = w << 8 | b[i];
    }
    CHECK_TRUE(w == 0xe220a8397b1dcdafull);
    trace_fill(1234567, 0, b, 16);
    uint64_t w0 = 0, w1 = 0;
    for (int i = 7; i >= 0; i--) {
        w0 = w0 << 8 | b[i];
        w1 = w1 << 8 | b[8 + i];
    }
    CHECK_TRUE(w0 == 6457827717110365317ull);
    CHECK_TRUE(w1 == 3203168211198807973ull);
}

/* traces/prng.h, the project's one copy of each generator: known answers of
 * the published algorithms, and the random access trace_fill relies on. */
static void
prng_known_answers(void **state)
{
    (void)state;
    uint64_t x = 0;                                 /* splitmix64 (Vigna), seed 0. */
    CHECK_TRUE(prng_splitmix64(&x) == 0xe220a8397b1dcdafull);
    CHECK_TRUE(prng_splitmix64(&x) == 0x6e789e6aa1b965f4ull);
    CHECK_TRUE(prng_splitmix64(&x) == 0x06c45d188009454full);
    x = 1234567;                                    /* The seed traces/FORMAT.md quotes. */
    CHECK_TRUE(prng_splitmix64(&x) == 6457827717110365317ull);
    CHECK_TRUE(prng_splitmix64(&x) == 3203168211198807973ull);
    x = 42;
    for (uint64_t i = 0; i < 100; i++) {            /* Output i, drawn in order or directly. */
        uint64_t at = prng_splitmix64_at(42, i);
        CHECK_TRUE(prng_splitmix64(&x) == at);
    }
    x = 1;                                          /* xorshift64* (Vigna), seed 1. */
    CHECK_TRUE(prng_xorshift64star(&x) == 0x47e4ce4b896cdd1dull);
    CHECK_TRUE(prng_xorshift64star(&x) == 0xabcfa6a8e079651dull);
    CHECK_TRUE(prng_xorshift64star(&x) == 0xb9d10d8feb731f57ull);
    x = 0;                                          /* Knuth's MMIX LCG, state 0. */
    CHECK_TRUE(prng_lcg64(&x) == 0x14057b7ef767814full);
    CHECK_TRUE(prng_lcg64(&x) == 0x1a08ee1184ba6d32ull);
    CHECK_TRUE(prng_stream(0, 0, 0) == PRNG_GOLDEN);
    CHECK_TRUE(prng_stream(5, 1, 3) == (5 ^ (2 * PRNG_GOLDEN) ^ 3));
}

static void
trace_fill_slices(void **state)
{
    (void)state;
    enum { N = 4096 };
    uint8_t *whole = malloc(N), *again = malloc(N), *part = malloc(N);
    assert_non_null(whole);
    assert_non_null(again);
    assert_non_null(part);
    uint64_t rng = 99;
    for (uint64_t seed = 0; seed < 50; seed++) {
        trace_fill(seed, 0, whole, N);
        trace_fill(seed, 0, again, N);
        assert_memory_equal(whole, again, N);       /* Deterministic. */
        for (int k = 0; k < 40; k++) {
            size_t at = (size_t)rng_below(&rng, N), len = (size_t)rng_below(&rng, N - at + 1);
            trace_fill(seed, at, part, len);
            assert_memory_equal(part, whole + at, len);
        }
        trace_fill(seed + 1, 0, again, N);
        CHECK_TRUE(memcmp(whole, again, N) != 0);   /* Seeds differ. */
    }
    trace_fill(1, UINT64_MAX - 3, part, 16);        /* The index wraps; no crash. */
    trace_fill(1, 5, NULL, 0);
    free(whole);
    free(again);
    free(part);
}

static void
trace_op_names(void **state)
{
    (void)state;
    static const char *const names[TRACE_OP_COUNT] = { "mkdir", "create", "write", "truncate",
        "rm", "mv", "sync", "snap label", "snap fork", "snap delete", "tick", "mount" };
    for (uint32_t i = 0; i < TRACE_OP_COUNT; i++) {
        assert_string_equal(trace_op_name((enum trace_op)i), names[i]);
    }
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trace_every_op),
        cmocka_unit_test(trace_every_expect_name),
        cmocka_unit_test(trace_mount_step),
        cmocka_unit_test(trace_numbers_and_layout),
        cmocka_unit_test(trace_errors_syntax),
        cmocka_unit_test(trace_errors_values),
        cmocka_unit_test(trace_errors_limits),
        cmocka_unit_test(trace_round_trip_file),
        cmocka_unit_test(trace_round_trip_random),
        cmocka_unit_test(trace_fuzz_random_bytes),
        cmocka_unit_test(trace_fuzz_mutations),
        cmocka_unit_test(trace_fill_known_answers),
        cmocka_unit_test(prng_known_answers),
        cmocka_unit_test(trace_fill_slices),
        cmocka_unit_test(trace_op_names),
    };
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
