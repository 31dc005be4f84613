/*
 * sim/cli/cmd_image.c: the image-file commands mkfs and check, and
 * cli_mkfs_image, the one way an image file is made (mkfs, run --mkfs).
 *
 * Method of cli_mkfs_image: bad input destroys nothing. The whole geometry is
 * checked first, against the limits fs/format.h names, before any file is
 * opened or any memory sized from the block count is allocated (so even a
 * sanitizer build refuses a huge --size with a message rather than dying in
 * its allocator). The image is then built in a temporary file beside the
 * target (same directory, so same file system: the rename is atomic), sized
 * (sparse), formatted and fdatasync'd; only then is it renamed over
 * the target and the directory fsync'd. Every failure before the rename
 * unlinks the temporary file, so the old image, if any, is byte for byte
 * what it was. A process killed in between leaves IMAGE.tmp-XXXXXX behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../fs/check.h"
#include "../../fs/format.h"
#include "../../fs/fs.h"
#include "../check/checker.h"
#include "cli.h"

#define CHECK_EXIT_CLEAN   0
#define CHECK_EXIT_LEAKS   1
#define CHECK_EXIT_CORRUPT 4
#define CHECK_EXIT_OPERR   8
#define CHECK_EXIT_USAGE   16

static const char mkfs_help[] =
    "usage: crashsim mkfs IMAGE --size SIZE [--block-size SIZE] [--arenas N]\n"
    "\n"
    "Formats a file system in a new file beside IMAGE and, only once that has\n"
    "worked, renames it over IMAGE: an existing IMAGE survives any failure.\n"
    "\n"
    "  -s, --size SIZE        image size, e.g. 8M, 1G: a whole number of blocks,\n"
    "                         at least 1 MiB, at most 4194304 blocks\n"
    "  -b, --block-size SIZE  4K, 8K or 16K (default 16K, as GEFS)\n"
    "  -a, --arenas N         arena count 1..32 (default: one per 256 blocks, at most 8)\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 formatted, 2 usage or operational error.\n";

#define MKFS_SIZE_MIN       (1ull << 20)    /* Bytes: the smallest image mkfs makes. */
#define MKFS_TMP_SUFFIX     ".tmp-XXXXXX"   /* mkstemp template after the image's name. */

STATIC_ASSERT(MKFS_SIZE_MIN >= (uint64_t)FMT_BLOCK_COUNT_MIN * FMT_BLOCK_SIZE_MAX,
        "every block size lays out at 1 MiB");
STATIC_ASSERT(FMT_BLOCK_COUNT_MAX == 4194304u, "mkfs_help and README name the limit");

/* Checks the whole geometry before anything is touched; 0 and the arena
 * count, or EXIT_USAGE after saying why. */
static int
mkfs_geometry(const char *cmd, uint64_t size, uint32_t block_size, uint32_t arenas,
        uint32_t *arena_count)
{
    ASSERT(cmd != NULL);
    ASSERT(arena_count != NULL);
    if (!fmt_block_size_valid(block_size)) {
        cli_error(cmd, "bad block size %" PRIu32 " (4K, 8K or 16K)", block_size);
        return EXIT_USAGE;
    }
    uint64_t below = size - size % block_size;
    if (size % block_size != 0 && below > UINT64_MAX - block_size) {
        cli_error(cmd, "--size %" PRIu64 " is not a whole number of %" PRIu32 "-byte blocks "
                "(%" PRIu64 ")", size, block_size, below);
        return EXIT_USAGE;
    }
    if (size % block_size != 0) {
        cli_error(cmd, "--size %" PRIu64 " is not a whole number of %" PRIu32 "-byte blocks "
                "(%" PRIu64 " or %" PRIu64 ")", size, block_size, below, below + block_size);
        return EXIT_USAGE;
    }
    if (size < MKFS_SIZE_MIN) {
        cli_error(cmd, "--size must be at least 1M");
        return EXIT_USAGE;
    }
    uint64_t blocks = size / block_size;
    *arena_count = arenas ? arenas : fs_arena_count_default(block_size, blocks);
    if (fs_format_validate(block_size, blocks, *arena_count) != 0) {
        cli_error(cmd, "%s", fs_mount_failure());
        return EXIT_USAGE;
    }
    return 0;
}

/* The file mkfs replaces: path, or the file a symbolic link at path names.
 * *mode: the permissions of the existing image, else 0644 less the umask. 0,
 * or EXIT_USAGE when the target exists and is not a regular file. */
static int
mkfs_target(const char *cmd, const char *path, char **target, mode_t *mode)
{
    ASSERT(target != NULL);
    ASSERT(mode != NULL);
    *target = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno != ENOENT) {
            cli_error(cmd, "%s: %s", path, strerror(errno));
            return EXIT_USAGE;
        }
        mode_t mask = umask(0);             /* The only way to read the umask. */
        umask(mask);
        *mode = 0644 & ~mask;
        *target = strdup(path);             /* Absent (or a dangling link): path itself. */
    } else if (!S_ISREG(st.st_mode)) {
        cli_error(cmd, "%s: not a regular file%s, not replaced", path,
                S_ISDIR(st.st_mode) ? " (a directory)" : "");
        return EXIT_USAGE;
    } else {
        *mode = st.st_mode & 07777;
        *target = realpath(path, NULL);
    }
    if (*target == NULL) {
        cli_error(cmd, "%s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    return 0;
}

/* Sizes, formats and flushes the temporary image fd (owned from here on);
 * 0 with *dev open, or EXIT_USAGE after saying why. */
static int
mkfs_fill(const char *cmd, const char *path, int fd, mode_t mode, uint64_t size,
        uint32_t block_size, uint32_t arenas, struct bdev *dev)
{
    ASSERT(fd >= 0);
    ASSERT(size % block_size == 0);
    if (fchmod(fd, mode) != 0) {
        cli_error(cmd, "%s: %s", path, strerror(errno));
        close(fd);
        return EXIT_USAGE;
    }
    const char *why = NULL;
    int err = bdev_file_create_fd(dev, fd, block_size, size, &why);
    if (err) {
        cli_error(cmd, "%s: cannot create a %" PRIu64 "-byte image: %s", path, size,
                why != NULL ? why : fs_strerror(err));
        return EXIT_USAGE;
    }
    struct fs_format_config fc = { .arena_count = arenas };
    err = fs_format(dev, &fc);
    if (!err) {
        err = dev->flush(dev);
    }
    if (err) {
        why = bdev_file_failure(dev);
        cli_error(cmd, "%s: cannot format the image: %s (%s)", path,
                why != NULL ? why : fs_mount_failure(), fs_strerror(err));
        bdev_file_close(dev);
        return EXIT_USAGE;
    }
    return 0;
}

/* Renames tmp over target and makes the rename durable; 0 or EXIT_USAGE. */
static int
mkfs_replace(const char *cmd, const char *path, const char *tmp, const char *target)
{
    ASSERT(tmp != NULL);
    ASSERT(target != NULL);
    if (rename(tmp, target) != 0) {
        cli_error(cmd, "%s: cannot replace the image: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    const char *slash = strrchr(target, '/');
    char *dir = slash == NULL ? strdup(".")
        : strndup(target, slash == target ? 1 : (size_t)(slash - target));
    int fd = dir != NULL ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : EXIT_USAGE;
    if (rc) {
        cli_error(cmd, "%s: formatted, but its directory could not be synced: %s", path,
                strerror(dir != NULL ? errno : ENOMEM));
    }
    if (fd >= 0) {
        close(fd);
    }
    free(dir);
    return rc;
}

int
cli_mkfs_image(const char *cmd, const char *path, uint64_t size, uint32_t block_size,
        uint32_t arenas, struct bdev *out)
{
    ASSERT(cmd != NULL);
    ASSERT(path != NULL);
    uint32_t arena_count = 0;
    int rc = mkfs_geometry(cmd, size, block_size, arenas, &arena_count);
    char *target = NULL, *tmp = NULL;
    mode_t mode = 0;
    if (rc == 0) {
        rc = mkfs_target(cmd, path, &target, &mode);
    }
    if (rc) {
        goto out;
    }
    size_t tmp_size = strlen(target) + sizeof(MKFS_TMP_SUFFIX);
    tmp = malloc(tmp_size);
    int fd = -1;
    if (tmp != NULL) {
        snprintf(tmp, tmp_size, "%s%s", target, MKFS_TMP_SUFFIX);
        fd = mkstemp(tmp);
    }
    if (fd < 0) {
        cli_error(cmd, "%s: cannot create a temporary image beside it: %s", path,
                strerror(tmp != NULL ? errno : ENOMEM));
        rc = EXIT_USAGE;
        goto out;
    }
    struct bdev dev;
    rc = mkfs_fill(cmd, path, fd, mode, size, block_size, arenas, &dev);
    if (rc == 0) {
        rc = mkfs_replace(cmd, path, tmp, target);
        if (rc != 0 || out == NULL) {
            bdev_file_close(&dev);
        } else {
            *out = dev;
        }
    }
    if (rc != 0) {
        unlink(tmp);                        /* Gone already if the rename happened. */
    }
out:
    free(tmp);
    free(target);
    return rc;
}

int
cmd_mkfs(int argc, char **argv)
{
    static const struct option opts[] = {
        { "size", required_argument, NULL, 's' },
        { "block-size", required_argument, NULL, 'b' },
        { "arenas", required_argument, NULL, 'a' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t size = 0, block_size = FMT_BLOCK_SIZE_DEFAULT, arenas = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:b:a:h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (!cli_parse_size(optarg, &size)) {
                cli_error("mkfs", "bad --size '%s' (try 8M)", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'b':
            if (!cli_parse_size(optarg, &block_size) || !fmt_block_size_valid(block_size)) {
                cli_error("mkfs", "bad --block-size '%s' (4K, 8K or 16K)", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'a':
            if (!cli_parse_u64(optarg, &arenas) || arenas < 1 || arenas > FMT_ARENA_COUNT_MAX) {
                cli_error("mkfs", "bad --arenas '%s' (1..32)", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            fputs(mkfs_help, stdout);
            return EXIT_OK;
        default:
            fputs(mkfs_help, stderr);
            return EXIT_USAGE;
        }
    }
    if (optind + 1 != argc || size == 0) {
        cli_error("mkfs", optind + 1 != argc ? "expected one IMAGE" : "--size is required");
        fputs(mkfs_help, stderr);
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    int rc = cli_mkfs_image("mkfs", path, size, (uint32_t)block_size, (uint32_t)arenas, NULL);
    if (rc != 0) {
        return rc;
    }
    uint64_t blocks = size / block_size;
    uint32_t n = arenas ? (uint32_t)arenas : fs_arena_count_default((uint32_t)block_size, blocks);
    printf("%s: %" PRIu64 " blocks of %" PRIu64 " KiB, %u arena%s\n", path, blocks,
            block_size / 1024, n, n == 1 ? "" : "s");
    return EXIT_OK;
}

static const char check_help[] =
    "usage: crashsim check [--quiet] [--snapshot NAME] IMAGE\n"
    "\n"
    "Mounts IMAGE read-only (running recovery in memory) and checks it: both\n"
    "superblocks, both copies of every arena header, every allocation-log\n"
    "block, the free maps, and every block's accounting (referenced and free,\n"
    "or referenced twice, is corruption; allocated and unreachable is a leak).\n"
    "Prints one line per finding: block number, structure, class, failed check.\n"
    "\n"
    "  -q, --quiet          print only the summary line\n"
    "  -S, --snapshot NAME  mount the label NAME instead of main (an image whose\n"
    "                       trace deleted main after mounting another label)\n"
    "  -h, --help           this text\n"
    "\n"
    "Exit status (fsck): 0 clean (warnings allowed), 1 leaks only, 4 corruption\n"
    "(including an image that does not mount), 8 operational error, 16 usage.\n";

static void
check_print(const char *path, const struct fs_check_result *r, bool quiet)
{
    for (uint32_t i = 0; i < r->finding_count && !quiet; i++) {
        const struct fs_check_finding *f = &r->findings[i];
        char where[32];
        checker_finding_where(f->block, where, sizeof(where));
        printf("%s%s: %s: %s\n", where, f->what, fs_check_class_name((enum fs_check_class)f->cls),
                f->why);
    }
    uint64_t total = r->count[0] + r->count[1] + r->count[2];
    if (!quiet && total > r->finding_count) {
        printf("... and %" PRIu64 " more findings\n", total - r->finding_count);
    }
    printf("%s: %s: %" PRIu64 " corrupt, %" PRIu64 " leaked, %" PRIu64 " warnings; %" PRIu64
            " blocks reachable, %" PRIu64 " free\n", path,
            r->count[FS_CHECK_CORRUPT] ? "CORRUPT" : r->count[FS_CHECK_LEAK] ? "leaks" : "clean",
            r->count[FS_CHECK_CORRUPT], r->count[FS_CHECK_LEAK], r->count[FS_CHECK_WARNING],
            r->blocks_reachable, r->blocks_free);
}

static int
check_image(const char *path, const char *label, bool quiet)
{
    struct bdev dev;
    const char *why = NULL;
    int err = bdev_file_open(&dev, path, 0, false, &why);
    if (err == FS_ECORRUPT) {
        /* Too short, too long or no superblock: the bytes are not a file
         * system, which fsck calls corruption. */
        printf("%s: CORRUPT: %s\n", path, why != NULL ? why : fs_strerror(err));
        return CHECK_EXIT_CORRUPT;
    }
    if (err) {
        cli_error("check", "%s: %s", path, why != NULL ? why : fs_strerror(err));
        return CHECK_EXIT_OPERR;
    }
    struct fs *fs;
    struct fs_config config = { .read_only = true, .snapshot = label };
    err = fs_mount(&fs, &dev, &config);
    if (err) {
        printf("%s: %s: does not mount: %s (%s)\n", path,
                err == FS_ECORRUPT ? "CORRUPT" : "error", fs_mount_failure(),
                fs_strerror(err));
        bdev_file_close(&dev);
        return err == FS_ECORRUPT ? CHECK_EXIT_CORRUPT : CHECK_EXIT_OPERR;
    }
    struct fs_check_result r;
    err = fs_check(fs, &r);
    fs_unmount(fs);
    bdev_file_close(&dev);
    if (err) {
        cli_error("check", "%s: %s", path, fs_strerror(err));
        return CHECK_EXIT_OPERR;
    }
    check_print(path, &r, quiet);
    if (r.count[FS_CHECK_CORRUPT]) {
        return CHECK_EXIT_CORRUPT;
    }
    return r.count[FS_CHECK_LEAK] ? CHECK_EXIT_LEAKS : CHECK_EXIT_CLEAN;
}

int
cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "snapshot", required_argument, NULL, 'S' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool quiet = false;
    const char *label = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qS:h", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = true;
            break;
        case 'S':
            label = optarg;
            break;
        case 'h':
            fputs(check_help, stdout);
            return CHECK_EXIT_CLEAN;
        default:
            fputs(check_help, stderr);
            return CHECK_EXIT_USAGE;
        }
    }
    if (optind + 1 != argc) {
        cli_error("check", "expected one IMAGE");
        fputs(check_help, stderr);
        return CHECK_EXIT_USAGE;
    }
    return check_image(argv[optind], label, quiet);
}
