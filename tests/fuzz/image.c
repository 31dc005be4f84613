/*
 * tests/fuzz/image.c: the image the mount targets fuzz, and what they do
 * with it (image.h).
 *
 * Bounds. A hostile image may claim a file of 2^48 bytes, a directory
 * that contains itself, thousands of labels: the walk reads at most
 * READ_BUDGET bytes and lists at most WALK_ENTRIES_MAX entries per input,
 * to a depth of WALK_DEPTH_MAX, and skips holes with fs_seek_data, so no
 * input runs long because of what it claims.
 */
#include "image.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../faultinject/forge.h"
#include "../../fs/check.h"
#include "../../fs/format.h"
#include "../../fs/fs.h"

#define READ_BUDGET (256u * 1024u)      /* Bytes of file data read per input. */
#define WALK_ENTRIES_MAX 4096u          /* Directory entries visited per input. */
#define WALK_DEPTH_MAX 16u              /* Directory levels below the root. */
#define LABELS_MAX 64u                  /* Labels whose trees are read. */
#define PATH_SIZE 4096u

static uint8_t *
dev_at(const struct bdev *b, uint64_t block)
{
    struct fuzz_dev *d = b->context;
    return d->bytes + (size_t)block * FUZZ_BLOCK_SIZE;
}

static int
dev_read(const struct bdev *b, uint64_t block, void *buf)
{
    if (block >= b->block_count) {
        return FS_EIO;
    }
    memcpy(buf, dev_at(b, block), b->block_size);
    return 0;
}

static int
dev_write(const struct bdev *b, uint64_t block, const void *buf)
{
    if (block >= b->block_count) {
        return FS_EIO;
    }
    struct fuzz_dev *d = b->context;
    d->dirty[block / 8] |= (uint8_t)(1u << (block % 8));
    memcpy(dev_at(b, block), buf, b->block_size);
    return 0;
}

static int
dev_flush(const struct bdev *b)
{
    (void)b;
    return 0;
}

void
fuzz_dev_init(struct fuzz_dev *d)
{
    memset(d, 0, sizeof(*d));
    d->bytes = calloc(FUZZ_BLOCK_COUNT, FUZZ_BLOCK_SIZE);
    FUZZ_REQUIRE(d->bytes != NULL, "out of memory");
    d->bdev = (struct bdev){ .context = d, .block_size = FUZZ_BLOCK_SIZE,
        .block_count = FUZZ_BLOCK_COUNT, .read = dev_read, .write = dev_write,
        .flush = dev_flush };
}

uint8_t *
fuzz_dev_block(struct fuzz_dev *d, uint64_t b)
{
    return dev_at(&d->bdev, b);
}

static bool
bit(const uint8_t *map, uint32_t b)
{
    return (map[b / 8] & (1u << (b % 8))) != 0;
}

void
fuzz_dev_load(struct fuzz_dev *d, const uint8_t *data, size_t size)
{
    for (uint32_t b = 0; b < FUZZ_BLOCK_COUNT; b++) {
        if (bit(d->dirty, b)) {
            memset(fuzz_dev_block(d, b), 0, FUZZ_BLOCK_SIZE);
        }
    }
    memset(d->dirty, 0, sizeof(d->dirty));
    if (size < FUZZ_IMAGE_HEAD) {
        return;
    }
    const uint8_t *meta = data, *rest = data + FUZZ_PRESENT_BYTES;
    size_t off = FUZZ_IMAGE_HEAD;
    for (uint32_t group = 0; group < 2; group++) {
        for (uint32_t b = 0; b < FUZZ_BLOCK_COUNT && off < size; b++) {
            if (group == 0 ? !bit(meta, b) : !bit(rest, b) || bit(meta, b)) {
                continue;
            }
            size_t n = size - off < FUZZ_BLOCK_SIZE ? size - off : FUZZ_BLOCK_SIZE;
            memcpy(fuzz_dev_block(d, b), data + off, n);
            d->dirty[b / 8] |= (uint8_t)(1u << (b % 8));
            off += n;
        }
    }
}

size_t
fuzz_image_encode(const uint8_t *bytes, uint8_t **out)
{
    uint8_t head[FUZZ_IMAGE_HEAD] = { 0 };
    static const uint8_t zero[FUZZ_BLOCK_SIZE];
    size_t size = FUZZ_IMAGE_HEAD;
    for (uint32_t b = 0; b < FUZZ_BLOCK_COUNT; b++) {
        const uint8_t *block = bytes + (size_t)b * FUZZ_BLOCK_SIZE;
        if (memcmp(block, zero, FUZZ_BLOCK_SIZE) != 0) {
            uint32_t group = forge_is_meta(block, FUZZ_BLOCK_SIZE) ? 0 : 1;
            head[group * FUZZ_PRESENT_BYTES + b / 8] |= (uint8_t)(1u << (b % 8));
            size += FUZZ_BLOCK_SIZE;
        }
    }
    *out = malloc(size);
    if (*out == NULL) {
        return 0;
    }
    memcpy(*out, head, sizeof(head));
    size_t off = FUZZ_IMAGE_HEAD;
    for (uint32_t group = 0; group < 2; group++) {
        for (uint32_t b = 0; b < FUZZ_BLOCK_COUNT; b++) {
            if (bit(head + group * FUZZ_PRESENT_BYTES, b)) {
                memcpy(*out + off, bytes + (size_t)b * FUZZ_BLOCK_SIZE, FUZZ_BLOCK_SIZE);
                off += FUZZ_BLOCK_SIZE;
            }
        }
    }
    return size;
}

/* ---- What is done with an image. ---- */

/* The errors a call may return on a damaged image; FS_ECORRUPT and FS_EIO
 * only with the file system broken and saying why. */
static bool
damaged(struct fs *fs, int rc, const char *what)
{
    if (rc != FS_ECORRUPT && rc != FS_EIO) {
        return false;
    }
    FUZZ_REQUIRE(fs_broken(fs) != NULL, "%s: %s, but the file system does not say why", what,
            fs_strerror(rc));
    return true;
}

struct walk {
    struct fs *fs;
    bool sound;                         /* fs_check found no corruption. */
    uint32_t entries;                   /* Visited, against WALK_ENTRIES_MAX. */
    uint64_t budget;                    /* Bytes left to read. */
    uint8_t buf[FUZZ_BLOCK_SIZE];
    bool failed;                        /* A call reported damage: the walk stops. */
};

/* A walk's call failed: damage the file system reports is always allowed;
 * an answer about names (no such entry, not a directory) only where
 * fs_check found the image corrupt, since a sound image's listing and its
 * lookups agree. The walk stops either way. */
static void
walk_failed(struct walk *w, int rc, const char *what, const char *path)
{
    if (!damaged(w->fs, rc, what)) {
        FUZZ_REQUIRE(!w->sound && (rc == FS_ENOENT || rc == FS_ENOTDIR || rc == FS_EISDIR
                || rc == FS_ENAMETOOLONG), "%s %s: %s on an image fs_check found %s", what,
                path, fs_strerror(rc), w->sound ? "sound" : "corrupt");
    }
    w->failed = true;
}

static void
read_file(struct walk *w, const char *path, uint64_t size)
{
    uint64_t off = 0;
    while (off < size && w->budget > 0 && !w->failed) {
        uint64_t data;
        int rc = fs_seek_data(w->fs, path, off, &data);
        if (rc == FS_ENOENT) {
            return;                     /* The rest is a hole. */
        }
        if (rc != 0) {
            walk_failed(w, rc, "fs_seek_data", path);
            return;
        }
        FUZZ_REQUIRE(data >= off && data < size, "fs_seek_data %s from %llu: %llu of %llu", path,
                (unsigned long long)off, (unsigned long long)data, (unsigned long long)size);
        size_t done = 0;
        rc = fs_read(w->fs, path, data, w->buf, sizeof(w->buf), &done);
        if (rc != 0) {
            walk_failed(w, rc, "fs_read", path);
            return;
        }
        FUZZ_REQUIRE(done > 0 && done <= sizeof(w->buf), "fs_read %s at %llu: %zu bytes", path,
                (unsigned long long)data, done);
        w->budget -= FS_MIN(w->budget, done);
        off = data + done;
    }
}

/* One directory's entries, as fs_readdir gave them. */
struct dir {
    struct walk *w;
    const char *path;
    struct fs_dirent *e;                /* Entries; grows. */
    uint32_t count, cap;
};

static int
dir_entry(void *arg, const struct fs_dirent *e)
{
    struct dir *d = arg;
    if (d->w->entries >= WALK_ENTRIES_MAX) {
        return 1;
    }
    d->w->entries++;
    size_t n = strnlen(e->name, sizeof(e->name));
    FUZZ_REQUIRE(n >= 1 && n <= FS_NAME_MAX, "an entry of %s has a %zu-byte name", d->path, n);
    FUZZ_REQUIRE(memchr(e->name, '/', n) == NULL, "an entry of %s has a '/' in its name",
            d->path);
    if (d->count == d->cap) {
        d->cap = d->cap != 0 ? 2 * d->cap : 8;
        d->e = realloc(d->e, d->cap * sizeof(*d->e));
        FUZZ_REQUIRE(d->e != NULL, "out of memory");
    }
    d->e[d->count++] = *e;
    return 0;
}

/* Lists path (len bytes, "" for the root), reads each file, visits each
 * directory; the entries are kept first, since fs_readdir's callback may
 * not call the file system. A visit looks the entry's path up (fs_readdir,
 * fs_seek_data, fs_read resolve it): an entry listed must be found. */
static void
walk_dir(struct walk *w, char *path, size_t len, uint32_t depth)
{
    const char *p = len == 0 ? "/" : path;
    struct dir d = { w, p, NULL, 0, 0 };
    int rc = fs_readdir(w->fs, p, dir_entry, &d);
    if (rc != 0) {
        walk_failed(w, rc, "fs_readdir", p);
    }
    for (uint32_t i = 0; i < d.count && !w->failed; i++) {
        size_t n = strlen(d.e[i].name);
        if (len + 1 + n + 1 > PATH_SIZE) {
            continue;
        }
        path[len] = '/';
        memcpy(path + len + 1, d.e[i].name, n + 1);
        /* The entry says what it is: each visit looks the path up again. */
        if (d.e[i].is_dir && depth < WALK_DEPTH_MAX) {
            walk_dir(w, path, len + 1 + n, depth + 1);
        } else if (!d.e[i].is_dir) {
            read_file(w, path, d.e[i].size);
        }
        path[len] = '\0';
    }
    free(d.e);
}

struct labels {
    char name[LABELS_MAX][FS_NAME_MAX + 1];
    uint32_t count;
};

static int
label_add(void *arg, const struct fs_snapinfo *info)
{
    struct labels *l = arg;
    if (l->count == LABELS_MAX) {
        return 1;
    }
    snprintf(l->name[l->count++], sizeof(l->name[0]), "%s", info->name);
    return 0;
}

/* Step 1's reads: every file of every label. False when a call reported damage. */
static bool
read_everything(struct fs *fs, bool sound)
{
    static struct walk w;
    static struct labels labels;
    static char path[PATH_SIZE];
    w.fs = fs;
    w.sound = sound;
    w.entries = 0;
    w.budget = READ_BUDGET;
    w.failed = false;
    labels.count = 0;
    int rc = fs_snap_list(fs, label_add, &labels);
    if (rc != 0) {
        walk_failed(&w, rc, "fs_snap_list", "");
        return false;
    }
    path[0] = '\0';
    walk_dir(&w, path, 0, 0);               /* The mounted tree. */
    for (uint32_t i = 0; i < labels.count && !w.failed; i++) {
        rc = fs_view(fs, labels.name[i]);
        if (rc != 0) {
            walk_failed(&w, rc, "fs_view", labels.name[i]);
            return false;
        }
        walk_dir(&w, path, 0, 0);
    }
    if (!w.failed) {
        FUZZ_REQUIRE(fs_view(fs, NULL) == 0, "fs_view back to the mounted tree failed");
    }
    return !w.failed;
}

static struct fs_check_result check_result;

/* fs_check; true when it ran and found no corruption (check_result holds
 * what it found). */
static bool
check(struct fs *fs)
{
    struct fs_check_result *r = &check_result;
    int rc = fs_check(fs, r);
    if (rc != 0) {
        FUZZ_REQUIRE(rc == FS_ENOMEM || damaged(fs, rc, "fs_check"), "fs_check: %s",
                fs_strerror(rc));
        return false;
    }
    for (uint32_t i = 0; i < r->finding_count; i++) {
        FUZZ_REQUIRE(r->findings[i].cls < FS_CHECK_CLASS_COUNT && r->findings[i].why[0] != '\0',
                "fs_check finding %u without a class or reason", i);
    }
    return r->count[FS_CHECK_CORRUPT] == 0;
}

/* The first corruption check_result holds, in words. */
static const char *
check_first(void)
{
    static char buf[256];
    for (uint32_t i = 0; i < check_result.finding_count; i++) {
        const struct fs_check_finding *f = &check_result.findings[i];
        if (f->cls == FS_CHECK_CORRUPT) {
            snprintf(buf, sizeof(buf), "%s, block %llu: %s", f->what,
                    (unsigned long long)f->block, f->why);
            return buf;
        }
    }
    return "(none stored)";
}

/* The memory every mount borrows (fs_config.mem): made once, so no input
 * allocates the megabyte a mount's tables take. An image whose superblock
 * asks for more gets its own allocation. */
#define MOUNT_MEM (4u << 20)

static struct fs *
mount(const struct bdev *bdev, bool read_only)
{
    static void *mem;
    if (mem == NULL) {
        mem = malloc(MOUNT_MEM);
        FUZZ_REQUIRE(mem != NULL, "out of memory");
    }
    struct fs_config cfg = { .cache_block_count = FS_CACHE_BLOCKS_MIN, .read_only = read_only,
        .mem = mem, .mem_size = MOUNT_MEM };
    struct fs *fs = NULL;
    int rc = fs_mount(&fs, bdev, &cfg);
    if (rc != 0) {
        FUZZ_REQUIRE(rc == FS_ECORRUPT || rc == FS_EIO || rc == FS_EINVAL || rc == FS_ENOMEM
                || rc == FS_ENOSPC || rc == FS_ENOENT, "fs_mount: %s", fs_strerror(rc));
        const char *why = fs_mount_failure();
        FUZZ_REQUIRE(why != NULL && why[0] != '\0', "fs_mount: %s without a reason",
                fs_strerror(rc));
        return NULL;
    }
    return fs;
}

static int
main_label(void *arg, const struct fs_snapinfo *info)
{
    if (strcmp(info->name, "main") != 0) {
        return 0;
    }
    *(bool *)arg = info->mutable;
    return 1;
}

/* Whether the label mounted, main, may change: an image may say it is an
 * immutable label, and then every change is FS_EROFS. */
static bool
main_mutable(struct fs *fs)
{
    bool mutable = false;
    return fs_snap_list(fs, main_label, &mutable) == 0 && mutable;
}

/* The errors step 2's calls may return on an image that is not damaged:
 * names the image already had or lacks, a full device. */
static bool
step_ok(struct fs *fs, int rc, const char *what, bool *hurt)
{
    if (rc == 0 || rc == FS_EEXIST || rc == FS_ENOENT || rc == FS_ENOSPC || rc == FS_ENOTDIR
            || rc == FS_EISDIR || rc == FS_ENOTEMPTY) {
        return rc == 0;
    }
    if (rc == FS_EROFS) {
        FUZZ_REQUIRE(fs_broken(fs) != NULL || !main_mutable(fs),
                "%s: FS_EROFS on a healthy read-write mount of a mutable label", what);
        return false;
    }
    FUZZ_REQUIRE(damaged(fs, rc, what), "%s: %s", what, fs_strerror(rc));
    *hurt = true;
    return false;
}

/* Step 2: a small workload of every kind of change, then the unmount's commit. */
static bool
workload(struct fs *fs)
{
    static uint8_t data[3 * FUZZ_BLOCK_SIZE + 100];
    bool hurt = false;
    for (size_t i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 131 + 7);
    }
    fs_clock_set(fs, fs_clock(fs) + 1000);
    step_ok(fs, fs_mkdir(fs, "/fz"), "mkdir", &hurt);
    step_ok(fs, fs_create(fs, "/fz/a"), "create", &hurt);
    step_ok(fs, fs_write(fs, "/fz/a", 0, data, sizeof(data)), "write", &hurt);
    step_ok(fs, fs_sync(fs), "sync", &hurt);
    step_ok(fs, fs_write(fs, "/fz/a", FUZZ_BLOCK_SIZE / 2, data, 200), "overwrite", &hurt);
    step_ok(fs, fs_rename(fs, "/fz/a", "/fz/b"), "rename", &hurt);
    step_ok(fs, fs_truncate(fs, "/fz/b", FUZZ_BLOCK_SIZE + 10), "truncate", &hurt);
    step_ok(fs, fs_snap_label(fs, "main", "fz-label"), "snap label", &hurt);
    step_ok(fs, fs_remove(fs, "/fz/b"), "remove", &hurt);
    step_ok(fs, fs_snap_delete(fs, "fz-label"), "snap delete", &hurt);
    return !hurt && fs_broken(fs) == NULL;
}

void
fuzz_exercise(const struct bdev *bdev)
{
    struct fs *fs = mount(bdev, true);
    if (fs == NULL) {
        return;
    }
    FUZZ_STAGE(MOUNTED);
    bool sound = check(fs);
    if (sound) {
        FUZZ_STAGE(SOUND);
    }
    sound = read_everything(fs, sound) && sound;
    FUZZ_REQUIRE(fs_unmount(fs) == 0, "read-only unmount failed");

    fs = mount(bdev, false);
    if (fs == NULL) {
        return;
    }
    sound = workload(fs) && sound;
    int rc = fs_unmount(fs);
    if (rc != 0) {
        FUZZ_REQUIRE(rc == FS_ECORRUPT || rc == FS_EIO || rc == FS_ENOSPC || rc == FS_EROFS,
                "unmount: %s", fs_strerror(rc));
        sound = false;
    }
    if (sound) {
        FUZZ_STAGE(WRITTEN);
    }

    fs = mount(bdev, true);
    FUZZ_REQUIRE(fs != NULL || !sound, "a sound image does not mount after a clean workload: %s",
            fs_mount_failure());
    if (fs == NULL) {
        return;
    }
    FUZZ_STAGE(REMOUNTED);
    bool after = check(fs);
    FUZZ_REQUIRE(after || !sound, "a sound image is corrupt after a clean workload: %s",
            check_first());
    FUZZ_REQUIRE(fs_unmount(fs) == 0, "read-only unmount failed");
}

void
fuzz_dict_format(FILE *out)
{
    char name[64];
    fuzz_dict_str(out, "magic", FMT_MAGIC);
    static const uint16_t types[] = { FMT_TYPE_DATA, FMT_TYPE_PIVOT, FMT_TYPE_LEAF, FMT_TYPE_LOG,
        FMT_TYPE_DLIST, FMT_TYPE_ARENA, FMT_TYPE_SUPER };
    for (uint32_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        snprintf(name, sizeof(name), "type_%u", types[i]);
        fuzz_dict_be(out, name, types[i], 2);
    }
    static const uint8_t ops[] = { FMT_LOG_ALLOC1, FMT_LOG_FREE1, FMT_LOG_SYNC, FMT_LOG_ALLOC,
        FMT_LOG_FREE };
    for (uint32_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        snprintf(name, sizeof(name), "log_op_%u", ops[i]);
        fuzz_dict_be(out, name, ops[i], 1);
    }
    fuzz_dict_be(out, "block_size", FUZZ_BLOCK_SIZE, 4);
    fuzz_dict_be(out, "block_bytes", FUZZ_BLOCK_SIZE, 8);
    fuzz_dict_be(out, "device_bytes", (uint64_t)FUZZ_BLOCK_COUNT * FUZZ_BLOCK_SIZE, 8);
    fuzz_dict_be(out, "addr_nil", FMT_ADDR_NIL, 8);
    fuzz_dict_be(out, "tree_height_max", FMT_TREE_HEIGHT_MAX, 4);
}
