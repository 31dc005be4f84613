/*
 * traces/tracefile.c: trace files and their "# geometry:" line — trace_load,
 * the one reader of trace files, and trace_geometry_parse (see trace.h; the
 * format is traces/FORMAT.md).
 *
 * Method, files. A trace file is read whole by trace_load and its bytes are
 * handed to trace_parse_buf (traces/trace.c), so every command refuses the
 * same files with the same messages. Before a byte is read the path is
 * checked with stat and the open descriptor again with fstat: a regular file
 * of at most TRACE_FILE_SIZE_MAX bytes, opened with O_NONBLOCK so a FIFO
 * swapped in between cannot block. The read goes on to the file's end, since
 * a file may grow after fstat, but never past TRACE_FILE_SIZE_MAX.
 *
 * Method, geometry. The "# geometry:" line is a comment to the step parser;
 * trace_geometry_parse finds it among the lines and reads its options with
 * the step parser's words, numbers and messages (traces/trace_impl.h).
 *
 * Invariants. Every refusal is one "PATH:LINE:COL: message" (a file's own
 * problems at 1:1), never a crash; every loop is bounded by the file's size
 * or by TRACE_LINE_MAX, and nothing is read outside the buffer.
 *
 * Ownership: the text trace_load hands back belongs to the caller; a failed
 * call leaves nothing allocated.
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../fs/base.h"
#include "../fs/format.h"
#include "trace_impl.h"

/* ---- Files. ---- */

/* What a file that is not a regular one is, for messages. */
static const char *
file_kind(mode_t mode)
{
    ASSERT(!S_ISREG(mode));
    return S_ISDIR(mode) ? "a directory" : S_ISFIFO(mode) ? "a FIFO"
        : S_ISCHR(mode) ? "a character device" : S_ISBLK(mode) ? "a block device"
        : S_ISSOCK(mode) ? "a socket" : S_ISLNK(mode) ? "a symbolic link" : "of unknown type";
}

/* Refuses what is not a regular file of at most TRACE_FILE_SIZE_MAX bytes. */
static int
file_check(struct parser *p, const struct stat *st)
{
    ASSERT(p != NULL && st != NULL);
    ASSERT(p->line == 1);
    if (!S_ISREG(st->st_mode)) {
        return trace_fail(p, 1, "not a regular file (%s)", file_kind(st->st_mode));
    }
    if (st->st_size < 0 || (uint64_t)st->st_size > TRACE_FILE_SIZE_MAX) {
        return trace_fail(p, 1, "file too large (%jd bytes, at most %u)", (intmax_t)st->st_size,
                TRACE_FILE_SIZE_MAX);
    }
    return 0;
}

/* Opens path for reading. A path that is not a regular file is refused from
 * stat before it is opened (opening a device or a FIFO can block or act), and
 * again from fstat on the descriptor, which is the file actually read: it is
 * opened with O_NONBLOCK, so a FIFO swapped in meanwhile cannot block, and
 * the flag is cleared once the descriptor is known to be a regular file. */
static int
file_open(struct parser *p, const char *path, off_t *size)
{
    ASSERT(path != NULL && size != NULL);
    ASSERT(p->line == 1);
    struct stat st;
    if (stat(path, &st) != 0) {
        return trace_fail(p, 1, "cannot open: %s", strerror(errno));
    }
    if (file_check(p, &st) != 0) {
        return -1;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        trace_fail(p, 1, "cannot open: %s", strerror(errno));
    } else if (file_check(p, &st) == 0) {
        int flags = fcntl(fd, F_GETFL);
        if (flags != -1 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != -1) {
            *size = st.st_size;
            return fd;
        }
        trace_fail(p, 1, "cannot open: %s", strerror(errno));
    }
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

/* Reads fd to its end into a fresh buffer, NUL-terminated. size is what fstat
 * said; a file that grows is read on, but never past TRACE_FILE_SIZE_MAX. */
static int
file_read(struct parser *p, int fd, size_t size, char **buf_out, size_t *size_out)
{
    ASSERT(size <= TRACE_FILE_SIZE_MAX);
    ASSERT(fd >= 0);
    size_t cap = size + 2;                  /* The bytes, one to see the end, the NUL. */
    char *buf = malloc(cap);
    size_t n = 0;
    int e = ENOMEM;
    while (buf != NULL) {                   /* Bound: n grows to TRACE_FILE_SIZE_MAX + 1. */
        ASSERT(n < cap && cap <= (size_t)TRACE_FILE_SIZE_MAX + 2);
        if (n == cap - 1) {
            if (n > TRACE_FILE_SIZE_MAX) {
                e = EFBIG;
                break;
            }
            cap = FS_MIN(2 * cap, (size_t)TRACE_FILE_SIZE_MAX + 2);
            char *bigger = realloc(buf, cap);
            if (bigger == NULL) {
                e = ENOMEM;
                break;
            }
            buf = bigger;
        }
        ssize_t got = read(fd, buf + n, cap - 1 - n);
        if (got == 0) {
            buf[n] = '\0';
            *buf_out = buf;
            *size_out = n;
            return 0;
        }
        if (got < 0 && errno != EINTR) {
            e = errno;
            break;
        }
        n += got > 0 ? (size_t)got : 0;
    }
    free(buf);
    if (e == EFBIG) {
        trace_fail(p, 1, "file too large (it grew past %u bytes while being read)",
                TRACE_FILE_SIZE_MAX);
    } else if (e == ENOMEM) {
        trace_fail(p, 1, "out of memory for %zu bytes", cap);
    } else {
        trace_fail(p, 1, "I/O error: %s", strerror(e));
    }
    return -1;
}

/* The checked bytes of the file at path, NUL-terminated (free them). */
static int
file_slurp(struct parser *p, const char *path, char **buf, size_t *size)
{
    ASSERT(path != NULL);
    ASSERT(buf != NULL && size != NULL);
    off_t file_size = 0;
    int fd = file_open(p, path, &file_size);
    if (fd < 0) {
        return -1;
    }
    int rc = file_read(p, fd, (size_t)file_size, buf, size);
    close(fd);
    return rc;
}

int
trace_load(const char *path, struct trace *out, char **text, char *err, size_t err_size)
{
    ASSERT(path != NULL);
    ASSERT(out != NULL);
    struct parser p;
    trace_parser_init(&p, path, TRACE_STEPS_MAX, out, err, err_size);
    if (text != NULL) {
        *text = NULL;
    }
    char *buf = NULL;
    size_t size = 0;
    if (file_slurp(&p, path, &buf, &size) != 0) {
        return trace_parser_finish(&p, -1);
    }
    ASSERT(buf != NULL && size <= TRACE_FILE_SIZE_MAX);
    int rc = trace_parse_buf(path, buf, size, TRACE_STEPS_MAX, out, err, err_size);
    if (rc == 0 && text != NULL) {
        ASSERT(strlen(buf) == size);        /* A trace that parsed holds no NUL. */
        *text = buf;
        buf = NULL;
    }
    free(buf);
    return rc;
}

int
trace_parse_file(const char *path, struct trace *out, char *err, size_t err_size)
{
    ASSERT(path != NULL);
    ASSERT(out != NULL);
    return trace_load(path, out, NULL, err, err_size);
}

/* ---- The geometry line. ---- */

static const char geometry_prefix[] = "# geometry:";
static const char geometry_usage[] = "the options are --size S, --block-size B and --arenas N";

enum geometry_option {
    GEOMETRY_SIZE,                  /* --size S */
    GEOMETRY_BLOCK_SIZE,            /* --block-size B */
    GEOMETRY_ARENAS,                /* --arenas N */
    GEOMETRY_OPTION_COUNT
};

static const char *const geometry_names[GEOMETRY_OPTION_COUNT] = {
    [GEOMETRY_SIZE] = "--size",
    [GEOMETRY_BLOCK_SIZE] = "--block-size",
    [GEOMETRY_ARENAS] = "--arenas",
};

/* Where each option of the line was, for messages. */
struct geometry_seen {
    uint32_t col[GEOMETRY_OPTION_COUNT];    /* Column of the option word; 0: not seen. */
    struct token size_value;                /* The value word of --size. */
};

/* The next word of a geometry line from *at on, or 0 at its end; -1 on a
 * control character. */
static int
geometry_word(struct parser *p, const char *s, size_t len, size_t *at, struct token *t)
{
    ASSERT(len <= TRACE_LINE_MAX);
    ASSERT(*at <= len);
    while (*at < len && is_space((unsigned char)s[*at])) {
        (*at)++;
    }
    size_t start = *at;
    while (*at < len && !is_space((unsigned char)s[*at])) {
        if (is_control((unsigned char)s[*at])) {
            return trace_fail(p, (uint32_t)*at + 1, "control character 0x%02x",
                    (unsigned)(unsigned char)s[*at]);
        }
        (*at)++;
    }
    *t = (struct token){ s + start, (uint32_t)(*at - start), (uint32_t)start + 1 };
    return *at > start ? 1 : 0;
}

/* Which option a word names ("--size" or "--size=8M"), and its value word:
 * the rest of the word after '=', or the next word. */
static int
geometry_option(struct parser *p, const char *s, size_t len, size_t *at, const struct token *w,
        enum geometry_option *which, struct token *value)
{
    ASSERT(w->len >= 1);
    ASSERT(*at <= len);
    const char *eq = memchr(w->s, '=', w->len);
    struct token name = { w->s, eq != NULL ? (uint32_t)(eq - w->s) : w->len, w->col };
    *which = GEOMETRY_OPTION_COUNT;
    for (uint32_t i = 0; i < GEOMETRY_OPTION_COUNT; i++) {
        if (token_is(&name, geometry_names[i])) {
            *which = (enum geometry_option)i;
        }
    }
    if (*which == GEOMETRY_OPTION_COUNT) {
        return trace_fail(p, w->col, "unknown option '%.*s%s' (%s)", quote_len(&name), name.s,
                quote_more(&name), geometry_usage);
    }
    if (eq != NULL) {
        *value = (struct token){ eq + 1, w->len - name.len - 1, w->col + name.len + 1 };
        return 0;
    }
    int rc = geometry_word(p, s, len, at, value);
    if (rc == 0) {
        return trace_fail(p, w->col + w->len, "missing value of %s", geometry_names[*which]);
    }
    return rc < 0 ? -1 : 0;
}

/* Checks one option's value and stores it. */
static int
geometry_value(struct parser *p, enum geometry_option which, const struct token *v,
        struct trace_geometry *g)
{
    ASSERT(which < GEOMETRY_OPTION_COUNT);
    ASSERT(v->s != NULL);
    uint64_t n;
    if (trace_number_take(p, v, 0, &n) != 0) {
        return -1;
    }
    const char *name = geometry_names[which];
    if (which == GEOMETRY_SIZE && n < TRACE_GEOMETRY_SIZE_MIN) {
        return trace_fail(p, v->col, "%s '%.*s%s' is too small (at least %uM)", name, quote_len(v),
                v->s, quote_more(v), TRACE_GEOMETRY_SIZE_MIN >> 20);
    }
    if (which == GEOMETRY_BLOCK_SIZE && !fmt_block_size_valid(n)) {
        return trace_fail(p, v->col, "%s '%.*s%s' is not a block size (a power of two, %uK to %uK)",
                name, quote_len(v), v->s, quote_more(v), FMT_BLOCK_SIZE_MIN >> 10,
                FMT_BLOCK_SIZE_MAX >> 10);
    }
    if (which == GEOMETRY_ARENAS && (n < 1 || n > FMT_ARENA_COUNT_MAX)) {
        return trace_fail(p, v->col, "%s '%.*s%s' is out of range (1 to %u)", name, quote_len(v),
                v->s, quote_more(v), FMT_ARENA_COUNT_MAX);
    }
    if (which == GEOMETRY_SIZE) {
        g->device_size = n;
        g->device_size_given = true;
    } else if (which == GEOMETRY_BLOCK_SIZE) {
        g->block_size = (uint32_t)n;
        g->block_size_given = true;
    } else {
        g->arena_count = (uint32_t)n;
        g->arena_count_given = true;
    }
    return 0;
}

/* Parses the words of a geometry line (s: the line from its '#', no newline). */
static int
geometry_line_parse(struct parser *p, const char *s, size_t len, struct trace_geometry *g)
{
    ASSERT(len >= strlen(geometry_prefix));
    ASSERT(memcmp(s, geometry_prefix, strlen(geometry_prefix)) == 0);
    if (len > TRACE_LINE_MAX) {
        return trace_line_too_long(p);
    }
    struct geometry_seen seen;
    memset(&seen, 0, sizeof(seen));
    size_t at = strlen(geometry_prefix);
    struct token w;
    int rc;
    while ((rc = geometry_word(p, s, len, &at, &w)) == 1) {     /* Bound: at grows to len. */
        enum geometry_option which;
        struct token value;
        if (geometry_option(p, s, len, &at, &w, &which, &value) != 0) {
            return -1;
        }
        ASSERT(which < GEOMETRY_OPTION_COUNT);
        if (seen.col[which] != 0) {
            return trace_fail(p, w.col, "repeated option %s (first at column %" PRIu32 ")",
                    geometry_names[which], seen.col[which]);
        }
        seen.col[which] = w.col;
        seen.size_value = which == GEOMETRY_SIZE ? value : seen.size_value;
        if (geometry_value(p, which, &value, g) != 0) {
            return -1;
        }
    }
    uint32_t unit = g->block_size_given ? g->block_size : FMT_BLOCK_SIZE_MAX;
    if (rc == 0 && g->device_size_given && g->device_size % unit != 0) {
        const struct token *v = &seen.size_value;
        return trace_fail(p, v->col, "--size '%.*s%s' is not a whole number of %" PRIu32 "-byte "
                "blocks", quote_len(v), v->s, quote_more(v), unit);
    }
    return rc;
}

int
trace_geometry_parse(const char *name, const char *text, size_t size,
        struct trace_geometry *out, char *err, size_t err_size)
{
    ASSERT(name != NULL && out != NULL);
    ASSERT(text != NULL || size == 0);
    memset(out, 0, sizeof(*out));
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    struct parser p = { .name = name, .line = 1, .err = err, .err_size = err_size };
    size_t prefix_len = strlen(geometry_prefix);
    size_t at = 0;
    int rc = 0;
    while (rc == 0 && at < size) {          /* Bound: at grows to size. */
        const char *nl = memchr(text + at, '\n', size - at);
        size_t len = nl != NULL ? (size_t)(nl - (text + at)) : size - at;
        if (len >= prefix_len && memcmp(text + at, geometry_prefix, prefix_len) == 0) {
            rc = out->line != 0 ? trace_fail(&p, 1, "second geometry line (the first is line %"
                    PRIu32 ")", out->line) : geometry_line_parse(&p, text + at, len, out);
            out->line = p.line;
        }
        at += len + (nl != NULL);
        if (rc == 0 && at < size && p.line == UINT32_MAX) {
            rc = trace_fail(&p, 1, "too many lines");
        }
        p.line += rc == 0;
    }
    if (rc != 0) {
        memset(out, 0, sizeof(*out));
    }
    return rc;
}
