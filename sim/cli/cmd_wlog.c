/*
 * sim/cli/cmd_wlog.c: crashsim wlog — write logs to and from files
 * (traces/wlog.h, traces/WLOG.md).
 *
 * export re-records a run's workload from the result database exactly as
 * crashsim replay does (the stored trace text, geometry and profile through
 * record_workload) and refuses it unless the recording's hash is the run's
 * runs.wlog_hash; then writes the log in the native or the dm-log-writes
 * format. import reads either format (told apart by magic), verifies it
 * wholly, prints a summary, and with -o writes it in the native format.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../fs/format.h"
#include "../../traces/wlog.h"
#include "cli.h"
#include "../campaign/inputs.h"
#include "../store/store.h"

static const char wlog_help[] =
    "usage: crashsim wlog export RUN [--db FILE] [--format F] -o FILE\n"
    "       crashsim wlog import FILE [-o OUT] [--block-size SIZE] [--size SIZE]\n"
    "\n"
    "Write logs as files (traces/WLOG.md). 'crashsim wlog export --help' and\n"
    "'crashsim wlog import --help' explain each.\n"
    "\n"
    "Exit status: 0 done, 2 usage or operational error (including a malformed\n"
    "file, reported in one line).\n";

static const char export_help[] =
    "usage: crashsim wlog export RUN [--db FILE] [--format F] -o FILE\n"
    "\n"
    "Re-records the workload of run RUN (0: the latest) from the database, as\n"
    "crashsim replay does, checks that it makes the write log the run stored\n"
    "(runs.wlog_hash), and writes that log to FILE: the device geometry, the\n"
    "base image (the freshly formatted device) and every write, flush and mark.\n"
    "\n"
    "  -d, --db FILE      result database (default results.db)\n"
    "  -f, --format F     crashsim (default: the native format, every field of\n"
    "                     every operation, checksummed) or dm-log-writes (the\n"
    "                     on-disk log of Linux's dm-log-writes target, which\n"
    "                     xfstests' replay-log replays; the base image comes\n"
    "                     first as writes, up to a 'crashsim.base' mark)\n"
    "  -o, --output FILE  where to write (required)\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 written, 2 usage or operational error (no such run, a\n"
    "workload that now records a different log, an unwritable file).\n";

static const char import_help[] =
    "usage: crashsim wlog import FILE [-o OUT] [--block-size SIZE] [--size SIZE]\n"
    "\n"
    "Reads a write log in either format (told apart by magic), verifies all of\n"
    "it and prints a summary: geometry, operations, writes, flushes, marks,\n"
    "distinct contents and the log hash (runs.wlog_hash of the run it came\n"
    "from). With -o it writes the log in the native crashsim format.\n"
    "\n"
    "  -o, --output OUT     write the native format to OUT\n"
    "  -b, --block-size SIZE  block size of a dm-log-writes log recorded outside\n"
    "                       crashsim (one without a crashsim.device mark)\n"
    "  -s, --size SIZE      its device size (default: up to the last sector written)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 the file is a valid write log, 2 usage or operational error\n"
    "(a malformed file, with the failed check in one line).\n";

/* Re-records run *run_id of db; 0 or -1 after printing why. */
static int
export_record(const char *db, int64_t *run_id, struct recording *rec)
{
    struct store *st;
    char err[512];
    if (store_open_read(&st, db, err, sizeof(err)) != 0) {
        cli_error("wlog", "%s", err);
        return -1;
    }
    struct run_info info = { 0 };
    struct trace t = { 0 };
    int rc = input_rerecord(st, run_id, &info, &t, rec, err, sizeof(err));
    if (rc != 0) {
        cli_error("wlog", "%s: %s", db, err);
    } else if (info.device_size > WLOG_DEVICE_SIZE_MAX) {
        cli_error("wlog", "run %" PRId64 ": unusable geometry (%" PRIu64 " bytes in blocks of %"
                PRIu32 ")", *run_id, info.device_size, info.block_size);
        rc = -1;
    }
    if (rc == 0) {
        printf("run %" PRId64 ": %s, profile %s\n", *run_id, info.workload_name, info.profile);
    }
    if (rc == 0 && rec->violation[0] != '\0') {
        fprintf(stderr, "crashsim wlog: note: while recording: %s\n", rec->violation);
    }
    trace_free(&t);
    store_close(st);
    return rc;
}

static void
print_summary(const struct oplog_disk *disk)
{
    struct wlog_summary s;
    wlog_summarize(disk, &s);
    printf("device: %" PRIu64 " blocks of %" PRIu32 " bytes\n", s.block_count, s.block_size);
    printf("base image: %" PRIu64 " non-zero blocks\n", s.base_block_count);
    printf("operations: %" PRIu32 " (%" PRIu32 " writes, %" PRIu32 " flushes, %" PRIu32
            " marks)\n", s.op_count, s.write_count, s.flush_count, s.mark_count);
    printf("distinct contents: %" PRIu32 "\n", s.content_count);
    printf("log hash: %016" PRIx64 "\n", s.log_hash);
}

static void
print_written(const char *path, enum wlog_format format)
{
    struct stat st;
    long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    printf("wrote %s (%s, %lld bytes)\n", path, wlog_format_name(format), size);
}

static int
wlog_export(int argc, char **argv)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' }, { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *db = "results.db", *out = NULL;
    enum wlog_format format = WLOG_FORMAT_CRASHSIM;
    uint64_t run = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:f:o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(export_help, stdout);
            return EXIT_OK;
        }
        if (c == 'd') {
            db = optarg;
        } else if (c == 'o') {
            out = optarg;
        } else if (c != 'f' || wlog_format_parse(optarg, &format) != 0) {
            if (c == 'f') {
                cli_error("wlog", "unknown format '%s' (crashsim or dm-log-writes)", optarg);
            }
            fputs(export_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || !cli_parse_u64(argv[optind], &run) || run > INT64_MAX
            || out == NULL) {
        cli_error("wlog", out == NULL ? "export needs -o FILE" : "export needs one RUN number");
        fputs(export_help, stderr);
        return EXIT_USAGE;
    }
    if (access(db, R_OK) != 0) {
        cli_error("wlog", "%s: no such database", db);
        return EXIT_USAGE;
    }
    int64_t run_id = (int64_t)run;
    struct recording rec;
    memset(&rec, 0, sizeof(rec));
    int code = EXIT_USAGE;
    char err[512];
    if (export_record(db, &run_id, &rec) == 0) {
        if (wlog_write_file(out, &rec.dev.disk, format, err, sizeof(err)) != 0) {
            cli_error("wlog", "%s", err);
        } else {
            print_summary(&rec.dev.disk);
            print_written(out, format);
            code = EXIT_OK;
        }
    }
    recording_free(&rec);
    return code;
}

static int
import_opt(int c, const char **out, struct wlog_geometry *g, uint64_t *size)
{
    uint64_t v;
    switch (c) {
    case 'o':
        *out = optarg;
        return 0;
    case 'b':
        if (!cli_parse_size(optarg, &v) || v < WLOG_BLOCK_SIZE_MIN || v > WLOG_BLOCK_SIZE_MAX
                || (v & (v - 1)) != 0) {
            return -1;
        }
        g->block_size = (uint32_t)v;
        return 0;
    case 's':
        return cli_parse_size(optarg, size) && *size > 0 && *size <= WLOG_DEVICE_SIZE_MAX ? 0 : -1;
    default:
        return -1;
    }
}

static int
wlog_import(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "block-size", required_argument, NULL, 'b' },
        { "size", required_argument, NULL, 's' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    struct wlog_geometry g = { 0, 0 };
    uint64_t size = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:b:s:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(import_help, stdout);
            return EXIT_OK;
        }
        if (import_opt(c, &out, &g, &size) != 0) {
            if (c != '?') {
                cli_error("wlog", "bad value '%s' for an option", optarg);
            }
            fputs(import_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || (size != 0 && (g.block_size == 0 || size % g.block_size != 0))) {
        cli_error("wlog", optind + 1 != argc ? "import needs one FILE"
                : "--size needs --block-size and a whole number of blocks");
        fputs(import_help, stderr);
        return EXIT_USAGE;
    }
    g.block_count = size != 0 ? size / g.block_size : 0;
    const char *path = argv[optind];
    struct oplog_disk disk;
    enum wlog_format format;
    char err[512];
    if (wlog_read_file(path, &g, &disk, &format, err, sizeof(err)) != 0) {
        cli_error("wlog", "%s: %s", path, err);
        return EXIT_USAGE;
    }
    struct stat st;
    printf("%s: %s, %lld bytes\n", path, wlog_format_name(format),
            stat(path, &st) == 0 ? (long long)st.st_size : -1LL);
    print_summary(&disk);
    int code = EXIT_OK;
    if (out != NULL && wlog_write_file(out, &disk, WLOG_FORMAT_CRASHSIM, err, sizeof(err)) != 0) {
        cli_error("wlog", "%s", err);
        code = EXIT_USAGE;
    } else if (out != NULL) {
        print_written(out, WLOG_FORMAT_CRASHSIM);
    }
    oplog_disk_deinit(&disk);
    return code;
}

int
cmd_wlog(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "export") == 0) {
        return wlog_export(argc - 1, argv + 1);
    }
    if (argc >= 2 && strcmp(argv[1], "import") == 0) {
        return wlog_import(argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(wlog_help, stdout);
        return EXIT_OK;
    }
    if (argc >= 2) {
        cli_error("wlog", "unknown subcommand '%s' (export or import)", argv[1]);
    }
    fputs(wlog_help, stderr);
    return EXIT_USAGE;
}
