/*
 * sim/cli/cmd_dump.c: crashsim dump IMAGE BLOCK — decode one block like debugfs.
 *
 * The block is read raw and decoded by its type field. Every verdict comes
 * from the bytes: superblocks check their self-hash, log and deadlist blocks
 * their body hash, arena headers the hash the superblock records for them.
 * Tree and data blocks are verified against their parent's pointer, which
 * a single-block dump does not have; their block hash is printed instead.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../fs/format.h"
#include "cli.h"

static const char dump_help[] =
    "usage: crashsim dump IMAGE BLOCK\n"
    "\n"
    "Decodes block number BLOCK of IMAGE: its type, header fields, hash verdict,\n"
    "and for allocation-log and deadlist blocks every entry.\n"
    "\n"
    "  -h, --help    this text\n"
    "\n"
    "Exit status: 0 decoded (whatever the verdict), 2 usage or operational error.\n";

static const char *
verdict(uint64_t stored, uint64_t computed)
{
    return stored == computed ? "ok" : "MISMATCH";
}

static void
dump_super(const uint8_t *buf, const struct bdev *dev)
{
    struct fmt_super sb;
    const char *why = fmt_super_unpack(buf, dev->block_size, dev->block_count, &sb);
    printf("superblock: %s\n", why == NULL ? "valid" : why);
    if (why != NULL && sb.arena_count == 0) {
        return;
    }
    printf("  blksz %u  bufspc %u  narena %u  qgen %" PRIu64 "  blocks %" PRIu64 "\n",
            fmt_get32(buf + 8), fmt_get32(buf + 12), fmt_get32(buf + 16),
            fmt_get64(buf + 96), fmt_get64(buf + 104));
    printf("  snap root block %" PRIu64 " hash %016" PRIx64 " height %u\n",
            fmt_get64(buf + 24) / dev->block_size, fmt_get64(buf + 32), fmt_get32(buf + 20));
    printf("  nextqid %" PRIu64 "  nextgen %" PRIu64 "  flags %" PRIx64 "\n",
            fmt_get64(buf + 80), fmt_get64(buf + 88), fmt_get64(buf + 72));
    uint32_t n = fmt_get32(buf + 16);
    for (uint32_t i = 0; i < n && i < FMT_ARENA_COUNT_MAX; i++) {
        const uint8_t *p = buf + FMT_SUPER_HEADER_SIZE + FMT_SUPER_ARENA_SIZE * i;
        printf("  arena %2u  header block %" PRIu64 "  hash %016" PRIx64 "\n", i,
                fmt_get64(p) / dev->block_size, fmt_get64(p + 8));
    }
}

/* The superblock (sb0, else sb1) for the arena-header verdict, if any. */
static bool
load_super(const struct bdev *dev, struct fmt_super *sb)
{
    uint8_t *buf = malloc(dev->block_size);
    bool ok = false;
    for (uint64_t b = 0; buf != NULL && b < 2 && !ok; b++) {
        uint64_t at = b == 0 ? 0 : dev->block_count - 1;
        ok = dev->read(dev, at, buf) == 0
            && fmt_super_unpack(buf, dev->block_size, dev->block_count, sb) == NULL;
    }
    free(buf);
    return ok;
}

static void
dump_arena(const uint8_t *buf, const struct bdev *dev, uint64_t block)
{
    struct fmt_arena_header h;
    fmt_arena_header_unpack(buf, &h);
    uint64_t hash = fmt_hash(buf, dev->block_size);
    printf("arena header\n  log head block %" PRIu64 "  size %" PRIu64 " blocks  used %" PRIu64
            " blocks\n  hash %016" PRIx64, h.loghd_addr / dev->block_size,
            h.size / dev->block_size, h.used / dev->block_size, hash);
    struct fmt_super sb;
    if (!load_super(dev, &sb)) {
        printf(" (no valid superblock to compare with)\n");
        return;
    }
    for (uint32_t i = 0; i < sb.arena_count; i++) {
        uint64_t h0 = sb.arena_addr[i] / dev->block_size;
        if (block == h0 || block == h0 + 1) {
            printf(": %s copy of arena %u: %s (superblock records %016" PRIx64 ")\n",
                    block == h0 ? "h0, primary" : "h1, backup", i,
                    verdict(sb.arena_hash[i], hash), sb.arena_hash[i]);
            return;
        }
    }
    printf(" (not at an arena header address of the superblock)\n");
}

static void
dump_log_entries(const uint8_t *d, uint32_t logsz, uint32_t block_size)
{
    static const char *ops[] = { "nop?", "alloc1", "free1", "sync", "alloc", "free" };
    for (uint32_t i = 0; i + 8 <= logsz;) {
        uint64_t w = fmt_get64(d + i);
        uint32_t op = (uint32_t)(w & 0xff);
        if (op == FMT_LOG_SYNC) {
            printf("  +%-5u sync    qgen %" PRIu64 "\n", i, w >> 8);
            i += 8;
            continue;
        }
        if (op < FMT_LOG_ALLOC1 || op > FMT_LOG_FREE) {
            printf("  +%-5u INVALID op %u (word %016" PRIx64 ")\n", i, op, w);
            return;
        }
        uint64_t len = block_size;
        if (op >= FMT_LOG_WIDE) {
            if (i + 16 > logsz) {
                printf("  +%-5u CUT SHORT %s\n", i, ops[op]);
                return;
            }
            len = fmt_get64(d + i + 8);
        }
        printf("  +%-5u %-7s block %" PRIu64 " count %" PRIu64 "\n", i, ops[op],
                (w & ~(uint64_t)0xff) / block_size, len / block_size);
        i += op >= FMT_LOG_WIDE ? 16 : 8;
    }
}

static void
dump_log(const uint8_t *buf, const struct bdev *dev, uint16_t type)
{
    struct fmt_log_header h;
    fmt_log_header_unpack(buf, &h);
    uint32_t logspc = fmt_logspc(dev->block_size);
    bool fits = h.logsz <= logspc;
    uint64_t computed = fits ? fmt_hash(buf + FMT_LOG_HEADER_SIZE, h.logsz) : 0;
    printf("%s block\n  logsz %u  logh %016" PRIx64 ": %s\n", fmt_type_name(type), h.logsz,
            h.logh, fits ? verdict(h.logh, computed) : "MISMATCH (logsz beyond the block)");
    if (h.logp.addr == FMT_ADDR_NIL) {
        printf("  next: none (end of chain)\n");
    } else {
        printf("  next: block %" PRIu64 "\n", h.logp.addr / dev->block_size);
    }
    if (!fits) {
        return;
    }
    if (type == FMT_TYPE_LOG) {
        dump_log_entries(buf + FMT_LOG_HEADER_SIZE, h.logsz, dev->block_size);
        return;
    }
    for (uint32_t i = 0; i + 8 <= h.logsz; i += 8) {
        printf("  +%-5u dead    block %" PRIu64 "\n", i,
                fmt_get64(buf + FMT_LOG_HEADER_SIZE + i) / dev->block_size);
    }
}

static void
dump_block(const uint8_t *buf, const struct bdev *dev, uint64_t block)
{
    uint16_t type = fmt_get16(buf);
    printf("block %" PRIu64 " (byte %" PRIu64 ") of %" PRIu64 ", %u bytes\n", block,
            block * dev->block_size, dev->block_count, dev->block_size);
    if (memcmp(buf, FMT_MAGIC, 8) == 0) {
        dump_super(buf, dev);
    } else if (type == FMT_TYPE_ARENA) {
        dump_arena(buf, dev, block);
    } else if (type == FMT_TYPE_LOG || type == FMT_TYPE_DLIST) {
        dump_log(buf, dev, type);
    } else if (type == FMT_TYPE_PIVOT || type == FMT_TYPE_LEAF) {
        printf("%s node\n  nval %u  valsz %u", fmt_type_name(type), fmt_get16(buf + 2),
                fmt_get16(buf + 4));
        if (type == FMT_TYPE_PIVOT) {
            printf("  nbuf %u  bufsz %u", fmt_get16(buf + 6), fmt_get16(buf + 8));
        }
        printf("\n  block hash %016" PRIx64 " (verified against its parent's pointer)\n",
                fmt_hash(buf, dev->block_size));
    } else {
        printf("data or unused (no header)\n  block hash %016" PRIx64 "\n  first bytes:",
                fmt_hash(buf, dev->block_size));
        for (uint32_t i = 0; i < 32; i++) {
            printf("%s%02x", i % 16 == 0 ? "\n   " : " ", buf[i]);
        }
        printf("\n");
    }
}

int
cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(dump_help, stdout);
            return EXIT_OK;
        }
        fputs(dump_help, stderr);
        return EXIT_USAGE;
    }
    uint64_t block;
    if (optind + 2 != argc || !cli_parse_u64(argv[optind + 1], &block)) {
        cli_error("dump", "expected IMAGE and a block number");
        fputs(dump_help, stderr);
        return EXIT_USAGE;
    }
    struct bdev dev;
    if (cli_open_image("dump", argv[optind], false, &dev) != 0) {
        return EXIT_USAGE;
    }
    int rc = EXIT_OK;
    uint8_t *buf = malloc(dev.block_size);
    if (block >= dev.block_count) {
        cli_error("dump", "block %" PRIu64 " beyond the image (%" PRIu64 " blocks)", block,
                dev.block_count);
        rc = EXIT_USAGE;
    } else if (buf == NULL || dev.read(&dev, block, buf) != 0) {
        cli_error("dump", "cannot read block %" PRIu64, block);
        rc = EXIT_USAGE;
    } else {
        dump_block(buf, &dev, block);
    }
    free(buf);
    bdev_file_close(&dev);
    return rc;
}
