/*
 * sim/cmd_image.c: the image-file commands: mkfs, check, dump.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../fs/check.h"
#include "../fs/format.h"
#include "../fs/fs.h"
#include "checker.h"
#include "cli.h"

#define CHECK_EXIT_CLEAN   0
#define CHECK_EXIT_LEAKS   1
#define CHECK_EXIT_CORRUPT 4
#define CHECK_EXIT_OPERR   8
#define CHECK_EXIT_USAGE   16

static const char mkfs_help[] =
    "usage: crashsim mkfs IMAGE --size SIZE [--block-size SIZE] [--arenas N]\n"
    "\n"
    "Creates IMAGE (replacing it) and formats a file system on it.\n"
    "\n"
    "  -s, --size SIZE        image size, e.g. 8M, 1G (at least 1 MiB)\n"
    "  -b, --block-size SIZE  4K, 8K or 16K (default 16K, as GEFS)\n"
    "  -a, --arenas N         arena count 1..32 (default: one per 256 blocks, at most 8)\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 formatted, 2 usage or operational error.\n";

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
    if (size < (1u << 20)) {
        cli_error("mkfs", "--size must be at least 1M");
        return EXIT_USAGE;
    }
    const char *path = argv[optind];
    uint64_t blocks = size / block_size;
    uint32_t n = arenas ? (uint32_t)arenas : fs_arena_count_default((uint32_t)block_size, blocks);
    if (fs_format_validate((uint32_t)block_size, blocks, n) != 0) {
        cli_error("mkfs", "%s", fs_mount_failure());
        return EXIT_USAGE;
    }
    struct bdev dev;
    if (bdev_file_create(&dev, path, (uint32_t)block_size, size) != 0) {
        cli_error("mkfs", "%s: cannot create the image", path);
        return EXIT_USAGE;
    }
    struct fs_format_config fc = { .arena_count = (uint32_t)arenas };
    int err = fs_format(&dev, &fc);
    if (!err) {
        err = dev.flush(&dev);
    }
    bdev_file_close(&dev);
    if (err) {
        cli_error("mkfs", "%s: %s (%s)", path, fs_mount_failure(), fs_strerror(err));
        return EXIT_USAGE;
    }
    printf("%s: %" PRIu64 " blocks of %" PRIu64 " KiB, %u arena%s\n", path, blocks,
            block_size / 1024, n, n == 1 ? "" : "s");
    return EXIT_OK;
}

static const char check_help[] =
    "usage: crashsim check [--quiet] IMAGE\n"
    "\n"
    "Mounts IMAGE read-only (running recovery in memory) and checks it: both\n"
    "superblocks, both copies of every arena header, every allocation-log\n"
    "block, the free maps, and every block's accounting (referenced and free,\n"
    "or referenced twice, is corruption; allocated and unreachable is a leak).\n"
    "Prints one line per finding: block number, structure, class, failed check.\n"
    "\n"
    "  -q, --quiet   print only the summary line\n"
    "  -h, --help    this text\n"
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
check_image(const char *path, bool quiet)
{
    struct bdev dev;
    int err = cli_open_image("check", path, false, &dev);
    if (err) {
        return err == FS_ECORRUPT ? CHECK_EXIT_CORRUPT : CHECK_EXIT_OPERR;
    }
    struct fs *fs;
    struct fs_config config = { .read_only = true };
    err = fs_mount(&fs, &dev, &config);
    if (err) {
        printf("%s: CORRUPT: does not mount: %s (%s)\n", path, fs_mount_failure(),
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
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'q':
            quiet = true;
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
    return check_image(argv[optind], quiet);
}
