/*
 * traces/trace.c: the trace format of traces/FORMAT.md: the line parser, steps
 * as values, the deterministic data of write steps, and the writer.
 *
 * Method. A trace is parsed from memory one line at a time (trace_parse_buf;
 * trace_load in traces/tracefile.c reads a file whole and hands its bytes
 * here). A line is cut at its first '#', split into words at spaces, tabs and
 * carriage returns, and its words are checked against a table with one row
 * per op (op_specs): the op's keyword(s), one letter per argument (P path, L
 * snapshot name, N number, S seed=N) and the usage text quoted in messages. A
 * trailing "expect=ENAME" word is taken off first, so every op accepts it the
 * same way. The bytes of a write step are splitmix64's outputs
 * (traces/prng.h), drawn at random access by trace_fill.
 *
 * Invariants. Parsing is total: any byte sequence either parses or yields one
 * "NAME:LINE:COL: message", and nothing is read outside the input or written
 * outside a buffer. A NUL byte is an error wherever it is, comments included,
 * so the text of a trace that parsed is a C string equal to its bytes. Lines
 * are bounded by TRACE_LINE_MAX, words by TRACE_PATH_MAX, steps by the
 * caller's steps_max, so every loop has a bound. Fields a step's op does not
 * use are zero, so steps compare field by field. The writer emits only what
 * the parser reads back to the same steps (parse(format(t)) == t up to line
 * and column); a step that cannot be written (a path with a space) is a
 * caller's bug and an ASSERT.
 *
 * The messages, the parser state and the number parser are shared with
 * traces/tracefile.c through traces/trace_impl.h: the file reader and the
 * "# geometry:" line report and read exactly as the step parser does.
 *
 * Ownership: struct trace owns its step array; trace_free releases it.
 */
#include "trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "../fs/base.h"
#include "prng.h"
#include "trace_impl.h"

#define TOKENS_MAX      8u      /* Words kept per line: the longest step has 6. */
#define ARGS_MAX        4u      /* Arguments of the longest op (write). */
#define STEPS_CAP_MIN   8u      /* First allocation of the step array (doubles as it fills). */

static const char expect_word[] = "expect=";
static const char seed_word[] = "seed=";

struct op_spec {
    const char *word;               /* Keyword(s), as written. */
    const char *args;               /* Per argument: P path, L name, N number, S seed=N. */
    const char *names[ARGS_MAX];    /* Argument names for messages. */
    const char *usage;              /* The whole syntax, for messages. */
};

static const struct op_spec op_specs[TRACE_OP_COUNT] = {
    [TRACE_MKDIR] = { "mkdir", "P", { "PATH" }, "mkdir PATH" },
    [TRACE_CREATE] = { "create", "P", { "PATH" }, "create PATH" },
    [TRACE_WRITE] = { "write", "PNNS", { "PATH", "OFFSET", "LENGTH", "seed=N" },
        "write PATH OFFSET LENGTH seed=N" },
    [TRACE_TRUNCATE] = { "truncate", "PN", { "PATH", "LENGTH" }, "truncate PATH LENGTH" },
    [TRACE_RM] = { "rm", "P", { "PATH" }, "rm PATH" },
    [TRACE_MV] = { "mv", "PP", { "PATH", "NEWPATH" }, "mv PATH NEWPATH" },
    [TRACE_SYNC] = { "sync", "", { NULL }, "sync" },
    [TRACE_SNAP_LABEL] = { "snap label", "LL", { "FROM", "NEW" }, "snap label FROM NEW" },
    [TRACE_SNAP_FORK] = { "snap fork", "LL", { "FROM", "NEW" }, "snap fork FROM NEW" },
    [TRACE_SNAP_DELETE] = { "snap delete", "L", { "NAME" }, "snap delete NAME" },
    [TRACE_TICK] = { "tick", "N", { "NANOSECONDS" }, "tick NANOSECONDS" },
    [TRACE_MOUNT] = { "mount", "L", { "NAME" }, "mount NAME" },
};

/* The errors expect= may name: every FS_E* code of fs/base.h. */
static const int expect_codes[] = {
    FS_EPERM, FS_ENOENT, FS_EIO, FS_ENOMEM, FS_EEXIST, FS_EXDEV, FS_ENOTDIR, FS_EISDIR,
    FS_EINVAL, FS_EFBIG, FS_ENOSPC, FS_EROFS, FS_ENAMETOOLONG, FS_ENOTEMPTY, FS_ECORRUPT,
};

struct line {
    struct token tok[TOKENS_MAX];   /* The first words. */
    uint32_t count;                 /* Words on the line, all of them. */
    struct token last;              /* The last word: where expect= lives. */
};

/* ---- Messages. ---- */

/* Writes "NAME:LINE:COL: message" and returns -1, the parse result. */
int
trace_fail(struct parser *p, uint32_t col, const char *fmt, ...)
{
    ASSERT(p != NULL && fmt != NULL);
    ASSERT(col >= 1);
    if (p->err == NULL || p->err_size == 0) {
        return -1;
    }
    int n = snprintf(p->err, p->err_size, "%s:%" PRIu32 ":%" PRIu32 ": ", p->name, p->line, col);
    if (n >= 0 && (size_t)n < p->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- Words. ---- */

static bool
token_starts(const struct token *t, const char *prefix)
{
    size_t n = strlen(prefix);
    return t->len >= n && memcmp(t->s, prefix, n) == 0;
}

/* Splits a line (comment cut off) into words; control characters are errors. */
static int
line_split(struct parser *p, const char *s, size_t len, struct line *l)
{
    ASSERT(len <= TRACE_LINE_MAX);
    ASSERT(s != NULL || len == 0);
    memset(l, 0, sizeof(*l));
    size_t i = 0;
    while (i < len && s[i] != '#') {
        if (is_space((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        while (i < len && s[i] != '#' && !is_space((unsigned char)s[i])) {
            if (is_control((unsigned char)s[i])) {
                return trace_fail(p, (uint32_t)i + 1, "control character 0x%02x",
                        (unsigned)(unsigned char)s[i]);
            }
            i++;
        }
        struct token t = { s + start, (uint32_t)(i - start), (uint32_t)start + 1 };
        if (l->count < TOKENS_MAX) {
            l->tok[l->count] = t;
        }
        l->count++;
        l->last = t;
    }
    return 0;
}

/* Parses a decimal number with an optional K, M or G (binary) suffix.
 * Returns NULL, or why the word is not a number. */
static const char *
number_parse(const char *s, uint32_t len, uint64_t *out)
{
    ASSERT(s != NULL);
    ASSERT(out != NULL);
    uint64_t v = 0;
    uint32_t i = 0;
    bool overflow = false;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        uint64_t d = (uint64_t)(s[i] - '0');
        overflow = overflow || v > (UINT64_MAX - d) / 10;
        v = v * 10 + d;
    }
    if (i == 0) {
        return "bad number";
    }
    unsigned shift = 0;
    if (i + 1 == len) {
        char c = (char)(s[i] | 0x20);   /* Lower case: K and k are the same suffix. */
        shift = c == 'k' ? 10 : c == 'm' ? 20 : c == 'g' ? 30 : 0;
        if (shift == 0) {
            return "bad number";
        }
    } else if (i != len) {
        return "bad number";
    }
    if (overflow || (shift != 0 && v > (UINT64_MAX >> shift))) {
        return "number out of range";
    }
    *out = v << shift;
    return NULL;
}

bool
trace_number_parse(const char *s, uint64_t *out)
{
    ASSERT(s != NULL && out != NULL);
    size_t len = strlen(s);
    return len <= TRACE_LINE_MAX && number_parse(s, (uint32_t)len, out) == NULL;
}

int
trace_number_take(struct parser *p, const struct token *t, uint32_t skip, uint64_t *out)
{
    ASSERT(skip <= t->len);
    ASSERT(out != NULL);
    const char *why = number_parse(t->s + skip, t->len - skip, out);
    if (why != NULL) {
        return trace_fail(p, t->col, "%s '%.*s%s' (decimal, optionally with K, M or G, at most "
                "2^64-1)", why, quote_len(t), t->s, quote_more(t));
    }
    return 0;
}

/* Copies a path (absolute) or a snapshot name into a step's buffer. */
static int
word_take(struct parser *p, const struct token *t, bool path, char *dst)
{
    ASSERT(t->len >= 1);
    ASSERT(dst != NULL);
    if (path && t->s[0] != '/') {
        return trace_fail(p, t->col, "relative path '%.*s%s' (paths start with '/')", quote_len(t),
                t->s, quote_more(t));
    }
    if (t->len > TRACE_PATH_MAX - 1) {
        return trace_fail(p, t->col, "%s too long (%" PRIu32 " bytes, at most %u)",
                path ? "path" : "name", t->len, TRACE_PATH_MAX - 1);
    }
    memcpy(dst, t->s, t->len);
    dst[t->len] = '\0';
    return 0;
}

static int
expect_take(struct parser *p, const struct token *t, int *out)
{
    ASSERT(token_starts(t, expect_word));
    ASSERT(out != NULL);
    struct token name = { t->s + strlen(expect_word), t->len - (uint32_t)strlen(expect_word),
        t->col };
    for (size_t i = 0; i < FS_ARRAY_COUNT(expect_codes); i++) {
        if (token_is(&name, fs_strerror(expect_codes[i]) + 3)) {
            *out = expect_codes[i];
            return 0;
        }
    }
    return trace_fail(p, t->col, "unknown error name '%.*s%s' in expect= (an FS_E* name without "
            "FS_, e.g. ENOSPC)", quote_len(&name), name.s, quote_more(&name));
}

/* ---- Steps. ---- */

/* Which numeric field argument index of op goes to: offset, length or ns. */
static size_t
num_offset(enum trace_op op, uint32_t index)
{
    ASSERT(op == TRACE_WRITE || op == TRACE_TRUNCATE || op == TRACE_TICK);
    ASSERT(index < ARGS_MAX);
    if (op == TRACE_TICK) {
        return offsetof(struct trace_step, ns);
    }
    return op == TRACE_WRITE && index == 1 ? offsetof(struct trace_step, offset)
        : offsetof(struct trace_step, length);
}

static uint64_t *
num_field(struct trace_step *s, uint32_t index)
{
    return (uint64_t *)(void *)((char *)s + num_offset(s->op, index));
}

static uint64_t
num_value(const struct trace_step *s, uint32_t index)
{
    uint64_t v;
    memcpy(&v, (const char *)s + num_offset(s->op, index), sizeof(v));
    return v;
}

/* Finds the op of a line: one keyword, or "snap" and a second one. */
static int
op_find(struct parser *p, const struct line *l, uint32_t words, enum trace_op *op,
        uint32_t *op_words)
{
    ASSERT(words >= 1);
    ASSERT(l->count >= words);
    const struct token *t = &l->tok[0];
    if (token_is(t, "snap")) {
        if (words < 2) {
            return trace_fail(p, t->col + t->len, "missing snapshot operation (snap label, snap "
                    "fork or snap delete)");
        }
        t = &l->tok[1];
        *op_words = 2;
        *op = token_is(t, "label") ? TRACE_SNAP_LABEL : token_is(t, "fork") ? TRACE_SNAP_FORK
            : token_is(t, "delete") ? TRACE_SNAP_DELETE : TRACE_OP_COUNT;
        if (*op == TRACE_OP_COUNT) {
            return trace_fail(p, t->col, "unknown snapshot operation '%.*s%s' (label, fork or "
                    "delete)", quote_len(t), t->s, quote_more(t));
        }
        return 0;
    }
    *op_words = 1;
    for (uint32_t i = 0; i < TRACE_OP_COUNT; i++) {
        if (token_is(t, op_specs[i].word)) {
            *op = (enum trace_op)i;
            return 0;
        }
    }
    return trace_fail(p, t->col, "unknown operation '%.*s%s'", quote_len(t), t->s, quote_more(t));
}

/* Checks the argument count: words after the op, expect= excluded. */
static int
args_count_check(struct parser *p, const struct line *l, uint32_t words, uint32_t op_words,
        const struct op_spec *spec)
{
    uint32_t want = (uint32_t)strlen(spec->args);
    ASSERT(want <= ARGS_MAX);
    ASSERT(words >= op_words);
    uint32_t have = words - op_words;
    if (have < want) {
        const struct token *t = &l->tok[words - 1];
        return trace_fail(p, t->col + t->len, "missing %s (%s)", spec->names[have], spec->usage);
    }
    if (have > want) {
        const struct token *t = &l->tok[op_words + want];
        return trace_fail(p, t->col, "extra argument '%.*s%s' (%s%s)", quote_len(t), t->s,
                quote_more(t), spec->usage,
                token_starts(t, expect_word) ? "; expect= must be the last word" : "");
    }
    return 0;
}

/* Parses the arguments of a step whose op is known and count checked. */
static int
args_parse(struct parser *p, const struct line *l, uint32_t op_words, struct trace_step *s)
{
    const struct op_spec *spec = &op_specs[s->op];
    ASSERT(op_words + strlen(spec->args) <= TOKENS_MAX);
    ASSERT(op_words == 1 || op_words == 2);
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && spec->args[i] != '\0'; i++) {
        const struct token *t = &l->tok[op_words + i];
        char *word = i == 0 ? s->path : s->path2;
        switch (spec->args[i]) {
        case 'P':
        case 'L':
            rc = word_take(p, t, spec->args[i] == 'P', word);
            break;
        case 'N':
            rc = trace_number_take(p, t, 0, num_field(s, i));
            break;
        case 'S':
            if (!token_starts(t, seed_word)) {
                return trace_fail(p, t->col, "expected seed=N, not '%.*s%s' (%s)", quote_len(t),
                        t->s, quote_more(t), spec->usage);
            }
            rc = trace_number_take(p, t, (uint32_t)strlen(seed_word), &s->seed);
            break;
        default:
            ASSERT(!"argument kinds are P, L, N and S");
        }
    }
    return rc;
}

static int
step_append(struct parser *p, const struct trace_step *s)
{
    struct trace *t = p->out;
    ASSERT(t->count <= p->cap);
    ASSERT(p->steps_max <= TRACE_STEPS_MAX);
    if (t->count >= p->steps_max) {
        return trace_fail(p, s->column, "too many steps (at most %" PRIu32 ")", p->steps_max);
    }
    if (t->count == p->cap) {
        uint32_t cap = p->cap == 0 ? STEPS_CAP_MIN : p->cap * 2;
        cap = cap > p->steps_max ? p->steps_max : cap;
        struct trace_step *steps = realloc(t->steps, (size_t)cap * sizeof(*steps));
        if (steps == NULL) {
            return trace_fail(p, s->column, "out of memory for %" PRIu32 " steps", cap);
        }
        t->steps = steps;
        p->cap = cap;
    }
    t->steps[t->count++] = *s;
    return 0;
}

int
trace_line_too_long(struct parser *p)
{
    return trace_fail(p, TRACE_LINE_MAX + 1, "line too long (more than %u bytes)", TRACE_LINE_MAX);
}

/* Parses one line (without its newline) and appends its step, if any. */
static int
line_parse(struct parser *p, const char *text, size_t len)
{
    ASSERT(p->line >= 1);
    ASSERT(text != NULL || len == 0);
    if (len > TRACE_LINE_MAX) {
        return trace_line_too_long(p);
    }
    struct line l;
    if (line_split(p, text, len, &l) != 0) {
        return -1;
    }
    const char *nul = len > 0 ? memchr(text, '\0', len) : NULL;
    if (nul != NULL) {                      /* In the comment: words have none. */
        return trace_fail(p, (uint32_t)(nul - text) + 1, "control character 0x00");
    }
    if (l.count == 0) {
        return 0;
    }
    struct trace_step s;
    memset(&s, 0, sizeof(s));
    s.line = p->line;
    s.column = l.tok[0].col;
    uint32_t words = l.count;
    if (words >= 2 && token_starts(&l.last, expect_word)) {
        if (expect_take(p, &l.last, &s.expect) != 0) {
            return -1;
        }
        words--;
    }
    uint32_t op_words = 1;
    if (op_find(p, &l, words, &s.op, &op_words) != 0
            || args_count_check(p, &l, words, op_words, &op_specs[s.op]) != 0
            || args_parse(p, &l, op_words, &s) != 0) {
        return -1;
    }
    return step_append(p, &s);
}

/* ---- Parsing entry points. ---- */

void
trace_parser_init(struct parser *p, const char *name, uint32_t steps_max, struct trace *out,
        char *err, size_t err_size)
{
    ASSERT(name != NULL && out != NULL);
    ASSERT(steps_max <= TRACE_STEPS_MAX);
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", name);
    *p = (struct parser){ .name = name, .out = out, .steps_max = steps_max, .line = 1,
        .err = err, .err_size = err_size };
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
}

int
trace_parser_finish(struct parser *p, int rc)
{
    ASSERT(rc == 0 || rc == -1);
    ASSERT(p->out->count <= p->steps_max);
    if (rc != 0) {
        trace_free(p->out);
    }
    return rc;
}

int
trace_parse_buf(const char *name, const char *text, size_t size, uint32_t steps_max,
        struct trace *out, char *err, size_t err_size)
{
    ASSERT(text != NULL || size == 0);
    struct parser p;
    trace_parser_init(&p, name, steps_max, out, err, err_size);
    size_t at = 0;
    int rc = 0;
    while (rc == 0 && at < size) {
        const char *nl = memchr(text + at, '\n', size - at);
        size_t len = nl != NULL ? (size_t)(nl - (text + at)) : size - at;
        rc = line_parse(&p, text + at, len);
        at += len + (nl != NULL);
        if (rc == 0 && at < size && p.line == UINT32_MAX) {
            rc = trace_fail(&p, 1, "too many lines");
        }
        p.line += rc == 0;
    }
    ASSERT(rc != 0 || at == size);
    return trace_parser_finish(&p, rc);
}

int
trace_parse_text(const char *name, const char *text, struct trace *out, char *err,
        size_t err_size)
{
    ASSERT(text != NULL);
    ASSERT(name != NULL);
    return trace_parse_buf(name, text, strlen(text), TRACE_STEPS_MAX, out, err, err_size);
}

void
trace_free(struct trace *t)
{
    ASSERT(t != NULL);
    ASSERT(t->steps != NULL || t->count == 0);
    free(t->steps);
    t->steps = NULL;
    t->count = 0;
}

bool
trace_step_same(const struct trace_step *a, const struct trace_step *b)
{
    ASSERT(a != NULL && b != NULL);
    ASSERT(a->op < TRACE_OP_COUNT && b->op < TRACE_OP_COUNT);
    return a->op == b->op && a->expect == b->expect && a->offset == b->offset
        && a->length == b->length && a->seed == b->seed && a->ns == b->ns
        && strcmp(a->path, b->path) == 0 && strcmp(a->path2, b->path2) == 0;
}

/* ---- Write data. ---- */

void
trace_fill(uint64_t seed, uint64_t index, uint8_t *buf, size_t len)
{
    ASSERT(buf != NULL || len == 0);
    size_t i = 0;
    while (i < len) {
        uint64_t at = index + i;
        uint64_t z = prng_splitmix64_at(seed, at / 8);     /* Output at / 8 of the stream. */
        for (uint64_t b = at % 8; b < 8 && i < len; b++) {
            buf[i++] = (uint8_t)(z >> (8 * b));     /* Little-endian bytes of each word. */
        }
    }
    ASSERT(i == len);
}

/* ---- Writing. ---- */

const char *
trace_op_name(enum trace_op op)
{
    ASSERT(op < TRACE_OP_COUNT);
    ASSERT(op_specs[op].word != NULL);
    return op_specs[op].word;
}

/* Appends to buf at *at, keeping the NUL inside size (output is cut there). */
static void
append(char *buf, size_t size, size_t *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
append(char *buf, size_t size, size_t *at, const char *fmt, ...)
{
    ASSERT(size > 0);
    ASSERT(*at < size);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *at, size - *at, fmt, ap);
    va_end(ap);
    *at = n < 0 ? *at : FS_MIN(*at + (size_t)n, size - 1);
}

/* A word the parser reads back as itself: no blanks, '#' or controls. */
static bool
word_ok(const char *w, bool path, bool last)
{
    ASSERT(w != NULL);
    size_t n = strnlen(w, TRACE_PATH_MAX);
    ASSERT(n < TRACE_PATH_MAX);             /* A step's buffers hold a NUL. */
    if (n == 0 || n >= TRACE_PATH_MAX || (path && w[0] != '/')) {
        return false;
    }
    if (last && strncmp(w, expect_word, strlen(expect_word)) == 0) {
        return false;                       /* It would read back as expect=. */
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (is_space(c) || is_control(c) || c == '#') {
            return false;
        }
    }
    return true;
}

/* Offsets and lengths take the largest exact binary suffix; others are plain. */
static void
number_format(char *buf, size_t size, size_t *at, uint64_t v, bool suffix)
{
    static const char units[] = "GMK";
    ASSERT(buf != NULL);
    ASSERT(*at < size);
    for (unsigned i = 0; suffix && v != 0 && i < 3; i++) {
        unsigned shift = 30 - 10 * i;
        if ((v & ((1ull << shift) - 1)) == 0) {
            append(buf, size, at, " %" PRIu64 "%c", v >> shift, units[i]);
            return;
        }
    }
    append(buf, size, at, " %" PRIu64, v);
}

void
trace_step_format(const struct trace_step *s, char *buf, size_t size)
{
    ASSERT(s->op < TRACE_OP_COUNT);
    ASSERT(buf != NULL && size > 0);
    const struct op_spec *spec = &op_specs[s->op];
    size_t at = 0;
    buf[0] = '\0';
    append(buf, size, &at, "%s", spec->word);
    uint32_t n = (uint32_t)strlen(spec->args);
    for (uint32_t i = 0; i < n; i++) {
        const char *word = i == 0 ? s->path : s->path2;
        switch (spec->args[i]) {
        case 'P':
        case 'L':
            ASSERT(word_ok(word, spec->args[i] == 'P', i + 1 == n && s->expect == 0));
            append(buf, size, &at, " %s", word);
            break;
        case 'N':
            number_format(buf, size, &at, num_value(s, i),
                    s->op != TRACE_TICK);
            break;
        case 'S':
            append(buf, size, &at, " %s%" PRIu64, seed_word, s->seed);
            break;
        default:
            ASSERT(!"argument kinds are P, L, N and S");
        }
    }
    if (s->expect != 0) {
        const char *name = fs_strerror(s->expect);
        ASSERT(strcmp(name, "FS_E?") != 0);
        append(buf, size, &at, " %s%s", expect_word, name + 3);
    }
}

/* Writes a header comment, cutting lines so that each fits TRACE_LINE_MAX. */
static void
header_write(FILE *out, const char *header)
{
    ASSERT(out != NULL && header != NULL);
    const size_t chunk_max = TRACE_LINE_MAX - 2;
    const char *p = header;
    for (size_t lines = 0; *p != '\0'; lines++) {
        ASSERT(lines <= strlen(header));
        size_t n = strcspn(p, "\n");
        n = FS_MIN(n, chunk_max);
        fprintf(out, "#%s%.*s\n", n > 0 ? " " : "", (int)n, p);
        p += n;
        p += *p == '\n';
    }
}

int
trace_write(FILE *out, const struct trace *t, const char *header_comment)
{
    ASSERT(out != NULL && t != NULL);
    ASSERT(t->steps != NULL || t->count == 0);
    if (header_comment != NULL) {
        header_write(out, header_comment);
    }
    char line[TRACE_LINE_MAX];
    for (uint32_t i = 0; i < t->count; i++) {
        trace_step_format(&t->steps[i], line, sizeof(line));
        fputs(line, out);
        fputc('\n', out);
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}
