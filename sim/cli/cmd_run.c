/*
 * sim/cli/cmd_run.c: `crashsim run`: applies a trace (traces/FORMAT.md) to an
 * image file through the public API of fs/fs.h.
 *
 * The trace is parsed whole before the image is touched, so a parse error
 * never costs an image. Each step must return what it expects (success, or
 * the error its expect= names); the first step that does not is reported as
 * "TRACE:LINE:COL: STEP: got X, expected Y" and ends the run, after a clean
 * unmount, with exit status 1.
 *
 * Each step is applied by runner_step (sim/record/runner.h), the function
 * explore's recorder applies it with: same write chunks, same clock, so the
 * file system issues the device operations the recording logged, and a crash
 * state explore checked is one this image went through. tests/test_samelog.c
 * proves it for every standard workload. What stays here is the command's
 * own: options, the image, the expectation of each step, the messages.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "../../fs/format.h"
#include "../../fs/fs.h"
#include "../../fs/reach.h"
#include "../../traces/trace.h"
#include "../oracle/oracle.h"
#include "../record/runner.h"
#include "cli.h"

static const char run_help[] =
    "usage: crashsim run TRACE --image FILE [--mkfs --size SIZE [--block-size SIZE]\n"
    "                      [--arenas N]] [--hardened] [--reach] [--verbose]\n"
    "\n"
    "Applies the steps of TRACE (format: traces/FORMAT.md) to the file system in\n"
    "FILE, mounted read-write, then unmounts it (which commits). Each step must\n"
    "succeed, or fail with the error its expect= names; the first step that does\n"
    "not is reported as TRACE:LINE:COL and ends the run (the image is still\n"
    "unmounted cleanly). On an image --mkfs made, the file system must also show\n"
    "what the oracle says (every name, byte and snapshot) after each sync and at\n"
    "the end; the first difference is reported and ends the run. Prints a\n"
    "summary line at the end; with --reach, then the file system's structural\n"
    "counters after the final commit (fs/reach.h), one 'name value' a line:\n"
    "the tree's height and nodes per level, the fullest pivot, snapshot records,\n"
    "labels and forks, deadlist lists, blocks and longest chain, per arena\n"
    "(arena.N.*) the allocation-log chain, the blocks its last compression wrote\n"
    "(0: none since mount), free ranges and free blocks, and the counters kept\n"
    "since mount (stats.*: ENOSPC hits, compressions skipped for lack of room,\n"
    "where log replay cut the log). It shows what a workload reaches.\n"
    "\n"
    "  -i, --image FILE       the image file (required)\n"
    "  -m, --mkfs             format a new FILE first, as mkfs does (needs --size)\n"
    "  -s, --size SIZE        image size for --mkfs, e.g. 8M (whole blocks, at least 1 MiB)\n"
    "  -b, --block-size SIZE  4K, 8K or 16K for --mkfs (default 16K)\n"
    "  -a, --arenas N         arena count 1..32 for --mkfs (default: from the size)\n"
    "  -H, --hardened         flush at sync pass boundaries (profile \"hardened\")\n"
    "  -r, --reach            print the structural counters after the run\n"
    "  -v, --verbose          print every step and its result\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 every step did what it expected, 1 a step did not (or the\n"
    "file system differed from the oracle), 2 usage,\n"
    "trace syntax or operational error (image, mount, final commit).\n";

struct run_opts {
    const char *trace_path;     /* The trace file. */
    const char *image;          /* The image file. */
    bool mkfs;                  /* Create and format the image first. */
    uint64_t size;              /* Image bytes for --mkfs; 0 if not given. */
    uint64_t block_size;        /* Bytes per block for --mkfs. */
    uint64_t arenas;            /* Arena count for --mkfs; 0: the default. */
    bool hardened;              /* fs_config.flush_at_pass_boundaries. */
    bool verbose;               /* Print every step. */
    bool reach;                 /* Print fs_reach's counters after the run. */
};

struct run_totals {
    uint32_t step_count;        /* Steps applied (including expected failures). */
    uint64_t bytes_written;     /* Data bytes of write steps that succeeded. */
    uint32_t sync_count;        /* sync steps. */
    uint32_t snap_count;        /* Snapshot steps (each commits twice). */
};

/* Handles one option; returns -1 to go on, else the exit status. */
static int
run_option(int c, struct run_opts *o)
{
    ASSERT(o != NULL);
    ASSERT(c != -1);
    switch (c) {
    case 'i': o->image = optarg; return -1;
    case 'm': o->mkfs = true; return -1;
    case 'H': o->hardened = true; return -1;
    case 'v': o->verbose = true; return -1;
    case 'r': o->reach = true; return -1;
    case 's':
        if (!cli_parse_size(optarg, &o->size) || o->size == 0) {
            cli_error("run", "bad --size '%s' (try 8M)", optarg);
            return EXIT_USAGE;
        }
        return -1;
    case 'b':
        if (!cli_parse_size(optarg, &o->block_size) || !fmt_block_size_valid(o->block_size)) {
            cli_error("run", "bad --block-size '%s' (4K, 8K or 16K)", optarg);
            return EXIT_USAGE;
        }
        return -1;
    case 'a':
        if (!cli_parse_u64(optarg, &o->arenas) || o->arenas < 1
                || o->arenas > FMT_ARENA_COUNT_MAX) {
            cli_error("run", "bad --arenas '%s' (1..32)", optarg);
            return EXIT_USAGE;
        }
        return -1;
    case 'h':
        fputs(run_help, stdout);
        return EXIT_OK;
    default:
        fputs(run_help, stderr);
        return EXIT_USAGE;
    }
}

/* Parses the command line; returns -1 to go on, else the exit status. */
static int
run_args(int argc, char **argv, struct run_opts *o)
{
    static const struct option opts[] = {
        { "image", required_argument, NULL, 'i' },
        { "mkfs", no_argument, NULL, 'm' },
        { "size", required_argument, NULL, 's' },
        { "block-size", required_argument, NULL, 'b' },
        { "arenas", required_argument, NULL, 'a' },
        { "hardened", no_argument, NULL, 'H' },
        { "verbose", no_argument, NULL, 'v' },
        { "reach", no_argument, NULL, 'r' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ASSERT(argc >= 1);
    ASSERT(argv != NULL);
    *o = (struct run_opts){ .block_size = FMT_BLOCK_SIZE_DEFAULT };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "i:ms:b:a:Hvrh", opts, NULL)) != -1) {
        int rc = run_option(c, o);
        if (rc != -1) {
            return rc;
        }
    }
    const char *why = optind + 1 != argc ? "expected one TRACE"
        : o->image == NULL ? "--image is required"
        : o->mkfs && o->size == 0 ? "--mkfs needs --size"
        : !o->mkfs && (o->size != 0 || o->arenas != 0) ? "--size and --arenas need --mkfs"
        : NULL;     /* The geometry itself is cli_mkfs_image's to check. */
    if (why != NULL) {
        cli_error("run", "%s", why);
        fputs(run_help, stderr);
        return EXIT_USAGE;
    }
    o->trace_path = argv[optind];
    return -1;
}

/* Creates and formats the image with crashsim mkfs's own function, so the
 * two cannot drift: the old image survives any failure, and the new one is
 * in place under its name before the first step runs (a trace that fails
 * later leaves a formatted image, as mkfs followed by run would). dev stays
 * open. Returns 0 or EXIT_USAGE. */
static int
run_mkfs(const struct run_opts *o, struct bdev *dev)
{
    ASSERT(o->mkfs);
    ASSERT(fmt_block_size_valid(o->block_size));
    return cli_mkfs_image("run", o->image, o->size, (uint32_t)o->block_size, (uint32_t)o->arenas,
            dev);
}

/* "success" or the error's name. */
static const char *
run_result_name(int err)
{
    return err == 0 ? "success" : fs_strerror(err);
}

/* Prints the step that did not do what it expected, as TRACE:LINE:COL. */
static void
run_report(const char *trace_path, const struct trace_step *s, int err, const struct fs *fs)
{
    ASSERT(err != s->expect);
    ASSERT(trace_path != NULL);
    struct trace_step plain = *s;
    plain.expect = 0;                   /* The expectation is said in words below. */
    char line[TRACE_LINE_MAX];
    trace_step_format(&plain, line, sizeof(line));
    fprintf(stderr, "%s:%" PRIu32 ":%" PRIu32 ": %s: got %s, expected %s\n", trace_path,
            s->line, s->column, line, run_result_name(err), run_result_name(s->expect));
    if (fs_broken(fs) != NULL) {
        fprintf(stderr, "crashsim run: the file system went read-only: %s\n", fs_broken(fs));
    }
}

/* With an oracle (an image --mkfs made): the file system must show what it
 * says. EXIT_OK, or EXIT_VIOLATIONS with the difference printed. */
static int
run_compare(const struct run_opts *o, struct fs *fs, const struct oracle *m, uint32_t line)
{
    uint64_t d = 0;
    int err = m == NULL ? 0 : oracle_digest_fs(fs, &d);
    if (m == NULL || (!err && d == oracle_digest(m))) {
        return EXIT_OK;
    }
    char diff[1024] = "";
    if (err) {
        snprintf(diff, sizeof(diff), "reading it failed: %s", fs_strerror(err));
    } else {
        oracle_diff(m, fs, diff, sizeof(diff));
    }
    fprintf(stderr, "%s:%" PRIu32 ": the file system differs from the oracle: %s\n",
            o->trace_path, line, diff);
    return EXIT_VIOLATIONS;
}

/* Applies the steps in order, keeping the oracle m (NULL: none) in step;
 * returns EXIT_OK, or EXIT_VIOLATIONS at the first step that did not do what
 * it expected or after which the file system differs from the oracle. */
static int
run_steps(const struct run_opts *o, const struct trace *t, struct fs *fs, struct oracle *m,
        struct run_totals *tot)
{
    ASSERT(t->steps != NULL || t->count == 0);
    ASSERT(tot->step_count == 0);
    for (uint32_t i = 0; i < t->count; i++) {
        const struct trace_step *s = &t->steps[i];
        int err = runner_step(fs, s);
        if (o->verbose) {
            char line[TRACE_LINE_MAX];
            trace_step_format(s, line, sizeof(line));
            printf("%" PRIu32 ": %s: %s\n", s->line, line, run_result_name(err));
        }
        if (err != s->expect) {
            run_report(o->trace_path, s, err, fs);
            return EXIT_VIOLATIONS;
        }
        if (m != NULL) {
            (void)oracle_step(m, s, err, NULL, 0);  /* The trace's expect= is the judge. */
        }
        if (s->op == TRACE_SYNC && run_compare(o, fs, m, s->line) != EXIT_OK) {
            return EXIT_VIOLATIONS;
        }
        tot->step_count++;
        tot->bytes_written += s->op == TRACE_WRITE && err == 0 ? s->length : 0;
        tot->sync_count += s->op == TRACE_SYNC;
        tot->snap_count += s->op >= TRACE_SNAP_LABEL && s->op <= TRACE_SNAP_DELETE;
    }
    return run_compare(o, fs, m, t->count > 0 ? t->steps[t->count - 1].line : 0);
}

/* Prints every counter of r, "name value" a line. */
static void
run_print_reach(const struct fs_reach *r)
{
    ASSERT(r->arena_count >= 1);
    char name[64];
    uint64_t value;
    uint32_t i = 0;
    for (; fs_reach_entry(r, i, name, sizeof(name), &value); i++) {
        printf("%s %" PRIu64 "\n", name, value);
    }
    ASSERT(i >= FS_REACH_COUNT);
}

/* Mounts, runs, commits and unmounts; returns the exit status. */
static int
run_image(const struct run_opts *o, const struct trace *t, const struct bdev *dev)
{
    ASSERT(dev != NULL);
    ASSERT(t->count <= TRACE_STEPS_MAX);
    struct fs_config config = { .flush_at_pass_boundaries = o->hardened };
    struct fs *fs;
    int err = fs_mount(&fs, dev, &config);
    if (err) {
        cli_error("run", "%s: does not mount: %s (%s)", o->image, fs_mount_failure(),
                fs_strerror(err));
        return EXIT_USAGE;
    }
    struct run_totals tot = { 0 };
    struct oracle *m = o->mkfs ? oracle_new() : NULL;   /* A fresh image: it is empty. */
    int rc = run_steps(o, t, fs, m, &tot);
    oracle_free(m);
    err = rc == EXIT_OK ? fs_sync(fs) : 0;      /* Commit now, to count it below. */
    struct fs_stats st = *fs_stats(fs);
    struct fs_reach reach;      /* Of the committed state, before unmount. */
    int rerr = !err && rc == EXIT_OK && o->reach ? fs_reach(fs, &reach) : 0;
    int uerr = fs_unmount(fs);
    err = err ? err : uerr ? uerr : dev->flush(dev);
    if (err || rerr) {
        cli_error("run", "%s: %s failed: %s", o->image, err ? "final commit"
                : "reading the structural counters", fs_strerror(err ? err : rerr));
        return rc == EXIT_OK ? EXIT_USAGE : rc;
    }
    if (rc == EXIT_OK) {
        printf("%s: %" PRIu32 " steps, %" PRIu64 " bytes written, %" PRIu32 " syncs, %" PRIu32
                " snapshot ops; %" PRIu64 " commits, %" PRIu64 " device writes, %" PRIu64
                " flushes\n", o->trace_path, tot.step_count, tot.bytes_written,
                tot.sync_count, tot.snap_count, st.sync_count, st.block_write_count,
                st.flush_count);
        if (o->reach) {
            run_print_reach(&reach);
        }
    }
    return rc;
}

int
cmd_run(int argc, char **argv)
{
    struct run_opts o;
    int rc = run_args(argc, argv, &o);
    if (rc != -1) {
        return rc;
    }
    ASSERT(o.trace_path != NULL);
    ASSERT(o.image != NULL);
    struct trace t;
    char err[512];
    if (trace_parse_file(o.trace_path, &t, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    struct bdev dev;
    if (o.mkfs) {
        rc = run_mkfs(&o, &dev);
    } else {
        rc = cli_open_image("run", o.image, true, &dev) != 0 ? EXIT_USAGE : 0;
    }
    if (rc == 0) {
        rc = run_image(&o, &t, &dev);
        bdev_file_close(&dev);
    }
    trace_free(&t);
    return rc;
}
