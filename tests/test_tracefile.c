/*
 * tests/test_tracefile.c: the trace files of traces/FORMAT.md as
 * traces/tracefile.c reads them: trace_load, the one reader of trace files,
 * and the "# geometry:" line.
 *
 * What it proves:
 *   - trace_load refuses a missing file, a directory, /dev/zero, a FIFO
 *     (without blocking), a socket and a file over TRACE_FILE_SIZE_MAX with
 *     one message each, the same as trace_parse_file gives; a NUL byte is an
 *     error even in a comment; a long line is named at its line and column;
 *     the text it hands back is the file's bytes, and its steps are those of
 *     the text;
 *   - the "# geometry:" line: every form and each option alone, no line at all
 *     (nothing given), and the exact message of an unknown option, a missing,
 *     bad or out-of-range value, a repeated option, a second geometry line;
 *     the standard workloads' lines read as their headers say.
 *
 * The line parser, the writer, the write data and traces/prng.h are
 * tests/test_trace.c.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "trace_shared.h"

/* ---- Reading files. ---- */

/* Writes size bytes to a new temporary file; returns its path (static). */
static const char *
temp_file(const void *bytes, size_t size)
{
    static char path[64];
    snprintf(path, sizeof(path), "/tmp/test_trace.XXXXXX");
    int fd = mkstemp(path);
    CHECK_TRUE(fd >= 0);
    CHECK_TRUE(write(fd, bytes, size) == (ssize_t)size);
    close(fd);
    return path;
}

/* trace_load must refuse path with exactly "PATH" + want, leave the trace
 * empty and hand back no text; trace_parse_file must say the same. */
static void
load_fails(const char *path, const char *want)
{
    char err[ERR_SIZE], err2[ERR_SIZE], full[ERR_SIZE];
    struct trace t;
    char *text = (char *)"sentinel";
    snprintf(full, sizeof(full), "%s%s", path, want);
    CHECK_EQ(trace_load(path, &t, &text, err, sizeof(err)), -1);
    assert_string_equal(err, full);
    CHECK_EQ(t.count, 0);
    CHECK_TRUE(t.steps == NULL);
    CHECK_TRUE(text == NULL);
    CHECK_EQ(trace_parse_file(path, &t, err2, sizeof(err2)), -1);
    assert_string_equal(err2, full);
}

static void
trace_errors_files(void **state)
{
    (void)state;
    load_fails("/nonexistent/x.trace", ":1:1: cannot open: No such file or directory");
    load_fails("/", ":1:1: not a regular file (a directory)");
    /* A NUL byte is an error even in a comment: a trace's text is a C string. */
    static const char good[] = "sync # a comment\r\nmkdir /a";
    const char *path = temp_file(good, sizeof(good) - 1);
    char err[ERR_SIZE];
    struct trace t;
    CHECK_EQ(trace_parse_file(path, &t, err, sizeof(err)), 0);
    CHECK_EQ(t.count, 2);
    assert_string_equal(t.steps[1].path, "/a");
    trace_free(&t);
    unlink(path);
    static const char nul_comment[] = "sync # \0 comment\r\nmkdir /a";
    path = temp_file(nul_comment, sizeof(nul_comment) - 1);
    load_fails(path, ":1:8: control character 0x00");
    unlink(path);
    static const char bad[] = "sync\n\nmkdir /\0\n";
    path = temp_file(bad, sizeof(bad) - 1);
    load_fails(path, ":3:8: control character 0x00");
    unlink(path);
    /* A long line. */
    char *big = malloc(3 * TRACE_LINE_MAX);
    assert_non_null(big);
    memcpy(big, "sync\n", 5);
    memset(big + 5, 'z', 3 * TRACE_LINE_MAX - 5);
    path = temp_file(big, 3 * TRACE_LINE_MAX);
    free(big);
    load_fails(path, ":2:4097: line too long (more than 4096 bytes)");
    unlink(path);
}

/* A fresh temporary directory (static; one at a time). */
static const char *
temp_dir(void)
{
    static char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/test_trace.XXXXXX");
    CHECK_TRUE(mkdtemp(dir) != NULL);
    return dir;
}

/* Only regular files are read: a directory, a device, a FIFO, a socket are
 * refused on sight. Opening the FIFO would block a reader without
 * O_NONBLOCK: the alarm turns such a hang into a failure. */
static void
trace_load_special_files(void **state)
{
    (void)state;
    const char *dir = temp_dir();
    load_fails(dir, ":1:1: not a regular file (a directory)");
    load_fails("/dev/zero", ":1:1: not a regular file (a character device)");
    load_fails("/dev/null", ":1:1: not a regular file (a character device)");
    char fifo[128], sock[96], link[128];
    snprintf(fifo, sizeof(fifo), "%s/fifo.trace", dir);
    CHECK_EQ(mkfifo(fifo, 0600), 0);
    alarm(10);
    load_fails(fifo, ":1:1: not a regular file (a FIFO)");
    alarm(0);
    snprintf(sock, sizeof(sock), "%s/s", dir);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK_TRUE(fd >= 0);
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", sock);
    CHECK_EQ(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    load_fails(sock, ":1:1: not a regular file (a socket)");
    close(fd);
    snprintf(link, sizeof(link), "%s/link.trace", dir);     /* A link to a directory. */
    CHECK_EQ(symlink(dir, link), 0);
    load_fails(link, ":1:1: not a regular file (a directory)");
    CHECK_EQ(unlink(link), 0);
    CHECK_EQ(unlink(sock), 0);
    CHECK_EQ(unlink(fifo), 0);
    CHECK_EQ(rmdir(dir), 0);
}

/* A file over TRACE_FILE_SIZE_MAX is refused before it is read (a sparse
 * file, so nothing is written); one of exactly that size is read and parsed. */
static void
trace_load_size_cap(void **state)
{
    (void)state;
    const char *path = temp_file("sync\n", 5);
    CHECK_EQ(truncate(path, (off_t)TRACE_FILE_SIZE_MAX + 1), 0);
    char want[ERR_SIZE];
    snprintf(want, sizeof(want), ":1:1: file too large (%u bytes, at most %u)",
            TRACE_FILE_SIZE_MAX + 1, TRACE_FILE_SIZE_MAX);
    load_fails(path, want);
    CHECK_EQ(truncate(path, (off_t)TRACE_FILE_SIZE_MAX), 0);
    load_fails(path, ":2:4097: line too long (more than 4096 bytes)");   /* Read: the zeros. */
    CHECK_EQ(truncate(path, (off_t)TRACE_FILE_SIZE_MAX * 4), 0);
    snprintf(want, sizeof(want), ":1:1: file too large (%u bytes, at most %u)",
            TRACE_FILE_SIZE_MAX * 4, TRACE_FILE_SIZE_MAX);
    load_fails(path, want);
    CHECK_EQ(TRACE_FILE_SIZE_MAX, 16u << 20);               /* As traces/FORMAT.md says. */
    unlink(path);
}

/* The example: a NUL byte at line 1, column 9 of t.trace. */
static void
trace_load_nul_byte(void **state)
{
    (void)state;
    const char *dir = temp_dir();
    int here = open(".", O_RDONLY);
    CHECK_TRUE(here >= 0);
    CHECK_EQ(chdir(dir), 0);
    static const char bytes[] = "mkdir /a\0b\nsync\n";
    FILE *f = fopen("t.trace", "wb");
    assert_non_null(f);
    CHECK_EQ(fwrite(bytes, 1, sizeof(bytes) - 1, f), sizeof(bytes) - 1);
    CHECK_EQ(fclose(f), 0);
    char err[ERR_SIZE];
    struct trace t;
    char *text = NULL;
    int rc = trace_load("t.trace", &t, &text, err, sizeof(err));
    CHECK_EQ(unlink("t.trace"), 0);
    CHECK_EQ(fchdir(here), 0);
    close(here);
    CHECK_EQ(rmdir(dir), 0);
    CHECK_EQ(rc, -1);
    assert_string_equal(err, "t.trace:1:9: control character 0x00");
    CHECK_TRUE(text == NULL);
    CHECK_EQ(t.count, 0);
}

/* The text handed back is the file's bytes, NUL-terminated; the steps are
 * those of the text; an empty file is an empty trace with an empty text. */
static void
trace_load_text(void **state)
{
    (void)state;
    static const char bytes[] = "# head\xc3\xa9\r\nmkdir /a\t# x\n\nwrite /a 0 4K seed=7\nsync";
    const char *path = temp_file(bytes, sizeof(bytes) - 1);
    char err[ERR_SIZE];
    struct trace t, u;
    char *text = NULL;
    CHECK_EQ(trace_load(path, &t, &text, err, sizeof(err)), 0);
    assert_non_null(text);
    CHECK_EQ(strlen(text), sizeof(bytes) - 1);
    CHECK_EQ(memcmp(text, bytes, sizeof(bytes)), 0);       /* The NUL included. */
    parse_ok(text, &u);
    check_same(&t, &u);
    CHECK_EQ(t.count, 3);
    CHECK_EQ(t.steps[1].line, 4);
    assert_string_equal(t.name, path);
    free(text);
    trace_free(&t);
    trace_free(&u);
    CHECK_EQ(trace_load(path, &t, NULL, err, sizeof(err)), 0);  /* No text wanted. */
    CHECK_EQ(t.count, 3);
    trace_free(&t);
    CHECK_EQ(truncate(path, 0), 0);
    CHECK_EQ(trace_load(path, &t, &text, err, sizeof(err)), 0);
    assert_string_equal(text, "");
    CHECK_EQ(t.count, 0);
    free(text);
    unlink(path);
}

/* ---- The geometry line. ---- */

/* Parses the geometry of text (size bytes) that must parse. */
static struct trace_geometry
geometry_ok(const char *text, size_t size)
{
    char err[ERR_SIZE];
    struct trace_geometry g;
    int rc = trace_geometry_parse("t.trace", text, size, &g, err, sizeof(err));
    if (rc != 0) {
        util_note("unexpected geometry error: %s", err);
    }
    CHECK_EQ(rc, 0);
    return g;
}

static void
geometry_is(const struct trace_geometry *g, uint32_t line, uint64_t size, uint32_t block_size,
        uint32_t arenas)
{
    CHECK_EQ(g->line, line);
    CHECK_EQ(g->device_size_given, size != 0);
    CHECK_EQ(g->device_size, size);
    CHECK_EQ(g->block_size_given, block_size != 0);
    CHECK_EQ(g->block_size, block_size);
    CHECK_EQ(g->arena_count_given, arenas != 0);
    CHECK_EQ(g->arena_count, arenas);
}

/* The geometry of text must fail with exactly want, and leave *out zero. */
static void
geometry_fails_n(const char *text, size_t size, const char *want)
{
    char err[ERR_SIZE];
    struct trace_geometry g;
    CHECK_EQ(trace_geometry_parse("t.trace", text, size, &g, err, sizeof(err)), -1);
    assert_string_equal(err, want);
    geometry_is(&g, 0, 0, 0, 0);
}

static void
geometry_fails(const char *text, const char *want)
{
    geometry_fails_n(text, strlen(text), want);
}

static void
trace_geometry_forms(void **state)
{
    (void)state;
    const char *std = "# a workload\n#\n# geometry: --size 8M --block-size 4K --arenas 1\nsync\n";
    struct trace_geometry g = geometry_ok(std, strlen(std));
    geometry_is(&g, 3, 8u << 20, 4096, 1);
    const char *eq = "# geometry: --size=4M --block-size=16K";
    g = geometry_ok(eq, strlen(eq));
    geometry_is(&g, 1, 4u << 20, 16384, 0);
    const char *order = "sync\r\n# geometry:\t--arenas 32  --size 1g \r\n";
    g = geometry_ok(order, strlen(order));
    geometry_is(&g, 2, 1u << 30, 0, 32);
    const char *block = "# geometry: --block-size 8k";
    g = geometry_ok(block, strlen(block));
    geometry_is(&g, 1, 0, 8192, 0);
    const char *arenas = "# geometry: --arenas 2";
    g = geometry_ok(arenas, strlen(arenas));
    geometry_is(&g, 1, 0, 0, 2);
    const char *small = "# geometry: --size 1028K --block-size 4K";   /* 257 blocks. */
    g = geometry_ok(small, strlen(small));
    geometry_is(&g, 1, 1028u << 10, 4096, 0);
    const char *empty = "sync\n# geometry:\n";
    g = geometry_ok(empty, strlen(empty));
    geometry_is(&g, 2, 0, 0, 0);
    /* No geometry line: not an error, nothing given. Near misses are comments. */
    const char *none = "# geometry --size 8M\n#geometry: --size 8M\n # geometry: --size 8M\n"
        "sync # geometry: --size 8M\n# Geometry: --size 8M\n";
    g = geometry_ok(none, strlen(none));
    geometry_is(&g, 0, 0, 0, 0);
    g = geometry_ok("", 0);
    geometry_is(&g, 0, 0, 0, 0);
    g = geometry_ok(NULL, 0);
    geometry_is(&g, 0, 0, 0, 0);
    /* size is the extent, not strlen: the line after a NUL is found. */
    static const char after_nul[] = "sync\0\n# geometry: --size 2M\n";
    g = geometry_ok(after_nul, sizeof(after_nul) - 1);
    geometry_is(&g, 2, 2u << 20, 0, 0);
    /* And nothing past size is read. */
    static const char cut[] = "sync\n# geometry: --size 2M --arenas 3";
    g = geometry_ok(cut, sizeof(cut) - 1 - strlen(" --arenas 3"));
    geometry_is(&g, 2, 2u << 20, 0, 0);
}

static void
trace_geometry_errors(void **state)
{
    (void)state;
    const char *opts = "(the options are --size S, --block-size B and --arenas N)";
    const char *num = "(decimal, optionally with K, M or G, at most 2^64-1)";
    char want[ERR_SIZE];
    snprintf(want, sizeof(want), "t.trace:1:13: unknown option '--sise' %s", opts);
    geometry_fails("# geometry: --sise 8M --block-size 4K", want);
    snprintf(want, sizeof(want), "t.trace:3:23: unknown option '--sise' %s", opts);
    geometry_fails("sync\n\n# geometry: --size 8M --sise=8M\n", want);
    snprintf(want, sizeof(want), "t.trace:1:13: unknown option '8M' %s", opts);
    geometry_fails("# geometry: 8M", want);
    snprintf(want, sizeof(want), "t.trace:1:23: unknown option '#' %s", opts);
    geometry_fails("# geometry: --size 8M # for the tests", want);
    geometry_fails("# geometry: --size", "t.trace:1:19: missing value of --size");
    geometry_fails("# geometry: --arenas 1 --block-size  \r\n",
            "t.trace:1:36: missing value of --block-size");
    snprintf(want, sizeof(want), "t.trace:1:20: bad number '8X' %s", num);
    geometry_fails("# geometry: --size 8X", want);
    snprintf(want, sizeof(want), "t.trace:1:20: bad number '' %s", num);
    geometry_fails("# geometry: --size= --arenas 1", want);
    snprintf(want, sizeof(want), "t.trace:1:20: number out of range '17179869184G' %s", num);
    geometry_fails("# geometry: --size 17179869184G", want);
    snprintf(want, sizeof(want), "t.trace:1:22: bad number '-1' %s", num);
    geometry_fails("# geometry: --arenas -1", want);
    geometry_fails("# geometry: --size 512K", "t.trace:1:20: --size '512K' is too small "
            "(at least 1M)");
    geometry_fails("# geometry: --size 1028K", "t.trace:1:20: --size '1028K' is not a whole "
            "number of 16384-byte blocks");
    geometry_fails("# geometry: --block-size 8K --size=1M1", "t.trace:1:36: bad number '1M1' "
            "(decimal, optionally with K, M or G, at most 2^64-1)");
    geometry_fails("# geometry: --size 1052K --block-size 8K", "t.trace:1:20: --size '1052K' "
            "is not a whole number of 8192-byte blocks");
    geometry_fails("# geometry: --block-size 5K", "t.trace:1:26: --block-size '5K' is not a "
            "block size (a power of two, 4K to 16K)");
    geometry_fails("# geometry: --block-size 32K", "t.trace:1:26: --block-size '32K' is not a "
            "block size (a power of two, 4K to 16K)");
    geometry_fails("# geometry: --block-size=2K", "t.trace:1:26: --block-size '2K' is not a "
            "block size (a power of two, 4K to 16K)");
    geometry_fails("# geometry: --arenas 0", "t.trace:1:22: --arenas '0' is out of range "
            "(1 to 32)");
    geometry_fails("# geometry: --arenas 33", "t.trace:1:22: --arenas '33' is out of range "
            "(1 to 32)");
    geometry_fails("# geometry: --size 8M --arenas 1 --size 4M", "t.trace:1:34: repeated "
            "option --size (first at column 13)");
    geometry_fails("# geometry: --arenas=1 --arenas=1", "t.trace:1:24: repeated option "
            "--arenas (first at column 13)");
    geometry_fails("# geometry: --size 8M\nsync\n# geometry: --size 4M\n",
            "t.trace:3:1: second geometry line (the first is line 1)");
    geometry_fails("# geometry: --size 8M\x01", "t.trace:1:22: control character 0x01");
    static const char nul[] = "# geometry: --size 8\0M";
    geometry_fails_n(nul, sizeof(nul) - 1, "t.trace:1:21: control character 0x00");
    char *line = malloc(TRACE_LINE_MAX + 2);
    assert_non_null(line);
    memset(line, ' ', TRACE_LINE_MAX + 1);
    memcpy(line, "# geometry:", 11);
    line[TRACE_LINE_MAX + 1] = '\0';
    geometry_fails(line, "t.trace:1:4097: line too long (more than 4096 bytes)");
    line[TRACE_LINE_MAX] = '\0';                            /* 4096 bytes: fine. */
    struct trace_geometry g = geometry_ok(line, TRACE_LINE_MAX);
    geometry_is(&g, 1, 0, 0, 0);
    free(line);
}

/* The standard workloads name their geometry; the standard one does not. */
static void
trace_geometry_workloads(void **state)
{
    (void)state;
    static const struct {
        const char *path;           /* A workload of traces/workloads. */
        uint64_t size;              /* Its --size; 0: not given. */
        uint32_t block_size;        /* Its --block-size. */
        uint32_t arenas;            /* Its --arenas. */
    } want[] = {
        { "traces/workloads/default.trace", 0, 0, 0 },
        { "traces/workloads/full-disk.trace", 1u << 20, 4096, 1 },
        { "traces/workloads/log-growth.trace", 4u << 20, 4096, 1 },
        { "traces/workloads/snapshots-deadlists.trace", 8u << 20, 16384, 0 },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char err[ERR_SIZE];
        struct trace t;
        char *text = NULL;
        CHECK_EQ(trace_load(want[i].path, &t, &text, err, sizeof(err)), 0);
        struct trace_geometry g;
        CHECK_EQ(trace_geometry_parse(want[i].path, text, strlen(text), &g, err, sizeof(err)), 0);
        geometry_is(&g, want[i].size != 0 ? 3 : 0, want[i].size, want[i].block_size,
                want[i].arenas);
        free(text);
        trace_free(&t);
    }
}

int
main(void)
{
    util_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(trace_errors_files),
        cmocka_unit_test(trace_load_special_files),
        cmocka_unit_test(trace_load_size_cap),
        cmocka_unit_test(trace_load_nul_byte),
        cmocka_unit_test(trace_load_text),
        cmocka_unit_test(trace_geometry_forms),
        cmocka_unit_test(trace_geometry_errors),
        cmocka_unit_test(trace_geometry_workloads),
    };
    return cmocka_run_group_tests_name("tracefile", tests, NULL, NULL);
}
