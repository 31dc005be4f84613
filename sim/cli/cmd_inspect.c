/*
 * sim/cli/cmd_inspect.c: image inspection like debugfs: ls, cat, stat, snapshots
 * and tree.
 *
 * Every command mounts the image read-only (fs_config.read_only: recovery
 * runs in memory and nothing is written, so inspecting a crash image never
 * changes it), by default the label "main", or the label --snapshot names.
 * Paths are absolute, as in traces. Exit status: 0 done, 2 usage or
 * operational error (the image does not open or mount, a path is missing:
 * the message names the path and the error).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/debug.h"
#include "../../fs/fs.h"
#include "cli.h"

#define CAT_CHUNK_SIZE (64u * 1024u)    /* Bytes per fs_read of cat. */

static const char ls_help[] =
    "usage: crashsim ls [--snapshot NAME] IMAGE [PATH]\n"
    "\n"
    "Lists the directory PATH (default /) of IMAGE, one entry per line: type\n"
    "(dir or file), size in bytes, qid and name. A file PATH lists itself.\n"
    "\n"
    "  -S, --snapshot NAME  read the snapshot label NAME instead of main\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 listed, 2 usage or operational error (e.g. no such path).\n";

static const char cat_help[] =
    "usage: crashsim cat [--snapshot NAME] IMAGE PATH\n"
    "\n"
    "Writes the bytes of the file PATH of IMAGE to standard output.\n"
    "\n"
    "  -S, --snapshot NAME  read the snapshot label NAME instead of main\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 copied, 2 usage or operational error (e.g. no such file).\n";

static const char stat_help[] =
    "usage: crashsim stat [--snapshot NAME] IMAGE PATH\n"
    "\n"
    "Prints the directory entry of PATH in IMAGE: qid, version, type, mode, size,\n"
    "mtime and atime (logical clock, nanoseconds).\n"
    "\n"
    "  -S, --snapshot NAME  read the snapshot label NAME instead of main\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 printed, 2 usage or operational error (e.g. no such path).\n";

static const char snapshots_help[] =
    "usage: crashsim snapshots [--snapshot NAME] IMAGE\n"
    "\n"
    "Lists every snapshot label of IMAGE in name order with the snapshot it\n"
    "names: gen (snapshot id), mutable (a fork or main, which moves on commit)\n"
    "or not (a label), pred, succ and base (ids, - for none), nlbl (labels\n"
    "naming it), nref (successors and forks) and the tree height.\n"
    "\n"
    "  -S, --snapshot NAME  mount the label NAME instead of main\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 listed, 2 usage or operational error.\n";

static const char tree_help[] =
    "usage: crashsim tree [--snapshot NAME] [--snap-tree] IMAGE\n"
    "\n"
    "Prints the Bε-tree of the mounted label, pre-order, indented by depth: per\n"
    "node its block number, type, depth, height, birth gen, fill (used bytes of\n"
    "the node's space), value and message counts, then one line per key decoded\n"
    "by kind (Kdat qid+off, Kent parent+name, Kup qid, Klabel name, Ksnap id,\n"
    "Kdlist killer+birth) with its value or child block; a summary line last.\n"
    "\n"
    "  -S, --snapshot NAME  print the tree of the label NAME instead of main\n"
    "  -t, --snap-tree      print the snapshot tree instead\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status: 0 printed, 2 usage or operational error.\n";

struct inspect {
    const char *cmd;            /* Subcommand name, for messages. */
    const char *image;          /* Image file. */
    const char *snapshot;       /* --snapshot label; NULL: main. */
    bool snap_tree;             /* tree --snap-tree. */
    const char *path;           /* The PATH argument; NULL if none was given. */
    struct bdev dev;            /* The open image. */
    struct fs *fs;              /* The read-only mount. */
};

/* Parses options and IMAGE [PATH]; returns -1 to go on, else the exit status.
 * path_min/path_max: how many PATH arguments the command takes (0 or 1). */
static int
inspect_args(struct inspect *in, const char *help, int argc, char **argv, int path_min,
        int path_max)
{
    static const struct option opts[] = {
        { "snapshot", required_argument, NULL, 'S' },
        { "snap-tree", no_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ASSERT(path_min >= 0 && path_min <= path_max && path_max <= 1);
    ASSERT(argc >= 1);
    bool tree = strcmp(in->cmd, "tree") == 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, tree ? "S:th" : "S:h", opts, NULL)) != -1) {
        if (c == 'S') {
            in->snapshot = optarg;
        } else if (c == 't' && tree) {
            in->snap_tree = true;
        } else if (c == 'h') {
            fputs(help, stdout);
            return EXIT_OK;
        } else {
            if (c == 't') {
                cli_error(in->cmd, "--snap-tree is an option of tree only");
            }
            fputs(help, stderr);
            return EXIT_USAGE;
        }
    }
    int n = argc - optind;
    if (n < 1 + path_min || n > 1 + path_max) {
        cli_error(in->cmd, path_max == 0 ? "expected one IMAGE" : path_min == 0
                ? "expected IMAGE and at most one PATH" : "expected IMAGE and PATH");
        fputs(help, stderr);
        return EXIT_USAGE;
    }
    in->image = argv[optind];
    in->path = n == 2 ? argv[optind + 1] : NULL;
    return -1;
}

/* Opens and mounts the image read-only; returns 0 or EXIT_USAGE. */
static int
inspect_mount(struct inspect *in)
{
    ASSERT(in->image != NULL);
    ASSERT(in->fs == NULL);
    if (cli_open_image(in->cmd, in->image, false, &in->dev) != 0) {
        return EXIT_USAGE;
    }
    struct fs_config config = { .read_only = true, .snapshot = in->snapshot };
    int err = fs_mount(&in->fs, &in->dev, &config);
    if (err) {
        cli_error(in->cmd, "%s: does not mount%s%s: %s (%s)", in->image,
                in->snapshot != NULL ? " snapshot " : "", in->snapshot != NULL ? in->snapshot
                : "", fs_mount_failure(), fs_strerror(err));
        bdev_file_close(&in->dev);
        in->fs = NULL;
        return EXIT_USAGE;
    }
    return 0;
}

/* Unmounts and closes; passes rc through. */
static int
inspect_done(struct inspect *in, int rc)
{
    ASSERT(in->fs != NULL);
    ASSERT(rc == EXIT_OK || rc == EXIT_USAGE);
    fs_unmount(in->fs);
    in->fs = NULL;
    bdev_file_close(&in->dev);
    return rc;
}

/* Reports a failed call on what (a path, or the image) and returns EXIT_USAGE. */
static int
inspect_fail(const struct inspect *in, const char *what, int err)
{
    ASSERT(err != 0);
    ASSERT(what != NULL);
    const char *why = fs_broken(in->fs);
    cli_error(in->cmd, "%s: %s: %s%s%s", in->image, what, fs_strerror(err),
            why != NULL ? ": " : "", why != NULL ? why : "");
    return EXIT_USAGE;
}

/* Runs fn on a mounted image after parsing the arguments. */
static int
inspect_run(const char *cmd, const char *help, int argc, char **argv, int path_min,
        int path_max, int (*fn)(struct inspect *in))
{
    ASSERT(cmd != NULL && help != NULL);
    ASSERT(fn != NULL);
    struct inspect in = { .cmd = cmd };
    int rc = inspect_args(&in, help, argc, argv, path_min, path_max);
    if (rc != -1) {
        return rc;
    }
    rc = inspect_mount(&in);
    if (rc != 0) {
        return rc;
    }
    return inspect_done(&in, fn(&in));
}

/* ---- ls ---- */

static void
ls_line(const char *name, bool is_dir, uint64_t size, uint64_t qid)
{
    ASSERT(name != NULL);
    ASSERT(!is_dir || size == 0);
    printf("%-4s %12" PRIu64 "  qid %-8" PRIu64 " %s\n", is_dir ? "dir" : "file", size, qid,
            name);
}

static int
ls_entry(void *arg, const struct fs_dirent *e)
{
    (void)arg;
    ls_line(e->name, e->is_dir, e->size, e->qid);
    return 0;
}

static int
ls_do(struct inspect *in)
{
    ASSERT(in->fs != NULL);
    const char *path = in->path != NULL ? in->path : "/";
    ASSERT(path[0] != '\0');
    struct fs_stat st;
    int err = fs_stat(in->fs, path, &st);
    if (err) {
        return inspect_fail(in, path, err);
    }
    if (!st.is_dir) {
        ls_line(path, false, st.size, st.qid);
        return EXIT_OK;
    }
    err = fs_readdir(in->fs, path, ls_entry, NULL);
    return err ? inspect_fail(in, path, err) : EXIT_OK;
}

int
cmd_ls(int argc, char **argv)
{
    return inspect_run("ls", ls_help, argc, argv, 0, 1, ls_do);
}

/* ---- cat ---- */

static int
cat_do(struct inspect *in)
{
    ASSERT(in->path != NULL);
    struct fs_stat st;
    int err = fs_stat(in->fs, in->path, &st);
    if (!err && st.is_dir) {
        err = FS_EISDIR;
    }
    uint8_t *buf = err ? NULL : malloc(CAT_CHUNK_SIZE);
    ASSERT(err || buf != NULL);
    for (uint64_t off = 0; !err && off < st.size;) {
        size_t done;
        err = fs_read(in->fs, in->path, off, buf, CAT_CHUNK_SIZE, &done);
        if (!err && done == 0) {
            break;                      /* The size was all there is. */
        }
        if (!err && fwrite(buf, 1, done, stdout) != done) {
            free(buf);
            cli_error(in->cmd, "standard output: write failed");
            return EXIT_USAGE;
        }
        off += done;
    }
    free(buf);
    if (err) {
        return inspect_fail(in, in->path, err);
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

int
cmd_cat(int argc, char **argv)
{
    return inspect_run("cat", cat_help, argc, argv, 1, 1, cat_do);
}

/* ---- stat ---- */

static int
stat_do(struct inspect *in)
{
    ASSERT(in->path != NULL);
    struct fs_stat st;
    int err = fs_stat(in->fs, in->path, &st);
    if (err) {
        return inspect_fail(in, in->path, err);
    }
    ASSERT(!st.is_dir || st.size == 0);
    printf("path: %s\n", in->path);
    printf("type: %s\n", st.is_dir ? "dir" : "file");
    printf("qid: %" PRIu64 "\n", st.qid);
    printf("version: %" PRIu32 "\n", st.version);
    printf("mode: %04" PRIo32 "\n", st.mode);
    printf("size: %" PRIu64 "\n", st.size);
    printf("mtime_ns: %" PRIu64 "\n", st.mtime_ns);
    printf("atime_ns: %" PRIu64 "\n", st.atime_ns);
    return EXIT_OK;
}

int
cmd_stat(int argc, char **argv)
{
    return inspect_run("stat", stat_help, argc, argv, 1, 1, stat_do);
}

/* ---- snapshots ---- */

/* A snapshot id in a column, "-" for none. */
static void
snap_id(uint64_t id, int width)
{
    if (id == UINT64_MAX) {
        printf(" %*s", width, "-");
    } else {
        printf(" %*" PRIu64, width, id);
    }
}

static int
snap_entry(void *arg, const struct fs_snapinfo *i)
{
    (void)arg;
    ASSERT(i->name[0] != '\0');
    ASSERT(i->nlbl >= 1);
    printf("%-16s", i->name);
    snap_id(i->gen, 6);
    printf(" %-7s", i->mutable ? "yes" : "no");
    snap_id(i->pred, 6);
    snap_id(i->succ, 6);
    snap_id(i->base, 6);
    printf(" %4" PRIu32 " %4" PRIu32 " %6" PRIu32 "\n", i->nlbl, i->nref, i->height);
    return 0;
}

static int
snapshots_do(struct inspect *in)
{
    ASSERT(in->fs != NULL);
    ASSERT(in->path == NULL);
    printf("%-16s %6s %-7s %6s %6s %6s %4s %4s %6s\n", "name", "gen", "mutable", "pred", "succ",
            "base", "nlbl", "nref", "height");
    int err = fs_snap_list(in->fs, snap_entry, NULL);
    return err ? inspect_fail(in, "snapshot list", err) : EXIT_OK;
}

int
cmd_snapshots(int argc, char **argv)
{
    return inspect_run("snapshots", snapshots_help, argc, argv, 0, 0, snapshots_do);
}

/* ---- tree ---- */

static int
tree_do(struct inspect *in)
{
    ASSERT(in->fs != NULL);
    ASSERT(in->path == NULL);
    int err = fs_debug_tree(in->fs, stdout, in->snap_tree);
    if (err) {
        fflush(stdout);
        return inspect_fail(in, in->snap_tree ? "snapshot tree" : "tree", err);
    }
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

int
cmd_tree(int argc, char **argv)
{
    return inspect_run("tree", tree_help, argc, argv, 0, 0, tree_do);
}
