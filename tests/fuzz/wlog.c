/*
 * tests/fuzz/wlog.c: fuzz target "wlog" — write-log import
 * (traces/wlog.h), the native format and dm-log-writes, on any bytes.
 *
 * Properties, beyond no crash, hang, leak or sanitizer report:
 *   - a refused file is FS_ECORRUPT or FS_EINVAL with a reason, and leaves
 *     the disk empty;
 *   - an accepted file is a log the recording disk could have recorded: it
 *     exports in both formats, and each export imports to the same log
 *     (the same oplog_hash, the value runs.wlog_hash stores).
 * A foreign dm-log-writes log (no crashsim.device mark) is read with 4 KiB
 * blocks, as `crashsim wlog import --block-size 4K` would.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../fs/base.h"
#include "../../fs/bdev.h"
#include "../../traces/wlog.h"

#define ERR_SIZE 256u
#define FOREIGN_BLOCK_SIZE 4096u

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* Exports disk in format and imports the export: the same log must come
 * back. The export goes to one buffer kept from input to input: a new one
 * each time would be a fresh mmap under ASan, most of the target's time. */
static void
round_trip(const struct oplog_disk *disk, enum wlog_format format, uint64_t hash)
{
    static uint8_t *buf;
    static size_t cap;
    size_t size = wlog_encoded_size(disk, format);
    if (size > cap) {
        uint8_t *more = realloc(buf, size);
        if (more == NULL) {
            return;
        }
        buf = more;
        cap = size;
    }
    wlog_encode_into(disk, format, buf);
    char err[ERR_SIZE] = "";
    struct oplog_disk again;
    enum wlog_format found;
    struct wlog_geometry g = { FOREIGN_BLOCK_SIZE, 0 };
    int rc = wlog_decode(buf, size, &g, &again, &found, err, sizeof(err));
    if (rc == FS_ENOMEM) {
        return;
    }
    FUZZ_REQUIRE(rc == 0, "its %s export does not import: %s", wlog_format_name(format), err);
    FUZZ_REQUIRE(found == format, "its %s export imports as %s", wlog_format_name(format),
            wlog_format_name(found));
    FUZZ_REQUIRE(oplog_hash(&again.log) == hash && again.log.count == disk->log.count,
            "its %s export imports to another log", wlog_format_name(format));
    oplog_disk_deinit(&again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[ERR_SIZE] = "";
    struct oplog_disk disk;
    struct wlog_geometry g = { FOREIGN_BLOCK_SIZE, 0 };
    int rc = wlog_decode(data, size, &g, &disk, NULL, err, sizeof(err));
    if (rc != 0) {
        FUZZ_REQUIRE(rc == FS_ECORRUPT || rc == FS_EINVAL || rc == FS_ENOMEM,
                "refused with %s", fs_strerror(rc));
        FUZZ_REQUIRE(err[0] != '\0', "refused (%s) without a reason", fs_strerror(rc));
        return 0;
    }
    FUZZ_STAGE(ACCEPTED);
    FUZZ_REQUIRE(disk.log.count <= WLOG_OP_COUNT_MAX, "%u ops", disk.log.count);
    uint64_t hash = oplog_hash(&disk.log);
    for (uint32_t f = 0; f < WLOG_FORMAT_COUNT; f++) {
        round_trip(&disk, (enum wlog_format)f, hash);
    }
    oplog_disk_deinit(&disk);
    return 0;
}

size_t
fuzz_max_len(void)
{
    return FUZZ_WLOG_INPUT_MAX;
}

void
fuzz_dict(FILE *out)
{
    static const char native[8] = WLOG_NATIVE_MAGIC;
    char name[64];
    fuzz_dict_bytes(out, "native_magic", native, sizeof(native));
    fuzz_dict_le(out, "native_version", WLOG_VERSION, 4);
    fuzz_dict_le(out, "dm_magic", WLOG_DM_MAGIC, 8);
    fuzz_dict_le(out, "dm_version", WLOG_DM_VERSION, 4);
    fuzz_dict_le(out, "dm_sector", WLOG_DM_SECTOR_SIZE, 4);
    fuzz_dict_le(out, "block_4k", 4096, 4);
    fuzz_dict_le(out, "block_16k", 16384, 4);
    static const uint32_t flags[] = { WLOG_DM_FLAG_FLUSH, WLOG_DM_FLAG_FUA, WLOG_DM_FLAG_DISCARD,
        WLOG_DM_FLAG_MARK, WLOG_DM_FLAG_METADATA };
    for (uint32_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        snprintf(name, sizeof(name), "dm_flag_%u", i);
        fuzz_dict_le(out, name, flags[i], 8);
    }
    fuzz_dict_str(out, "mark_device", WLOG_DM_MARK_DEVICE " block_size=4096 block_count=256");
    fuzz_dict_str(out, "mark_base", WLOG_DM_MARK_BASE);
    fuzz_dict_str(out, "mark_qgen", WLOG_DM_MARK_QGEN " ");
    fuzz_dict_str(out, "mark_end", WLOG_DM_MARK_END);
    for (uint32_t m = 0; m < BDEV_MARK_COUNT; m++) {
        snprintf(name, sizeof(name), "bdev_mark_%u", m);
        fuzz_dict_str(out, name, bdev_mark_name((enum bdev_mark)m));
    }
}
