/*
 * tests/test_fields.c: every redundant on-disk field fs_check verifies is
 * checked — one forged image per field (docs/DESIGN.md, "Redundant fields").
 *
 * Method: build a small image (a directory, a file of three blocks, a label,
 * an overwrite that leaves a deadlist, a fork), then for each field change
 * it on a copy the way `explore --faults forge` does: the field's block gets
 * the wrong value under a right hash — its own hash resealed
 * (faultinject/forge.h's forge_seal) and every hash that named its old bytes
 * replaced by the new one, up to the superblocks. No hash can tell; the copy
 * still mounts (the test requires it, so the field is one mount does not
 * refuse), and fs_check must report corruption with the reason that names
 * the field's check. The pristine image checks clean, so each finding is the
 * forge's; each test fails if its check is removed.
 *
 * The fields are one table (FIELDS): a test name, the reason fs_check must
 * give, and the edit — of a leaf record, of the fork's snapshot record, of
 * every block of a type, or of every pivot — with the
 * image it needs when not the small one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#include "../faultinject/forge.h"
#include "../fs/keys.h"
#include "../fs/state.h"
#include "../fs/treenode.h"

#define BS (4 * KIB)
#define BLOCKS 512u
#define RESEAL_DEPTH_MAX 16u        /* Holders above a block: tree levels and the superblock. */

/* ---- Images. ---- */

static void
write_pattern(struct fs *fs, const char *path, uint64_t off, size_t len, uint64_t seed)
{
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    util_fill_random(buf, len, seed);
    CHECK_ERR(fs_write(fs, path, off, buf, len), 0);
    free(buf);
}

/* A directory, a file of three blocks, the label s1, an overwrite of the
 * file's first block (s1 keeps the old one: a deadlist), and the fork k of s1. */
static void
image(struct bdev *dev)
{
    util_mem_open(dev, BS, BLOCKS);
    struct fs *fs = util_format_mount(dev, 1);
    CHECK_ERR(fs_mkdir(fs, "/d"), 0);
    CHECK_ERR(fs_create(fs, "/d/f"), 0);
    write_pattern(fs, "/d/f", 0, 9000, 1);
    util_sync(fs);
    CHECK_ERR(fs_snap_label(fs, "main", "s1"), 0);
    write_pattern(fs, "/d/f", 0, BS, 2);
    util_sync(fs);
    CHECK_ERR(fs_snap_fork(fs, "s1", "k"), 0);
    util_unmount(fs);
}

/* A tree with a pivot: names long enough that the root leaf splits. */
static void
image_tall(struct bdev *dev)
{
    util_mem_open(dev, BS, 1024);
    struct fs *fs = util_format_mount(dev, 1);
    char path[FMT_NAME_MAX + 2];
    for (uint32_t i = 0; i < 64; i++) {
        int n = snprintf(path, sizeof(path), "/%03u", i);
        memset(path + n, 'x', 200);
        path[n + 200] = '\0';
        CHECK_ERR(fs_create(fs, path), 0);
    }
    util_unmount(fs);
}

/* An allocation log of more than one block: hundreds of free ranges in one
 * arena, so even the compressed log spans two blocks. */
static void
image_long_log(struct bdev *dev)
{
    util_mem_open(dev, BS, 2048);
    struct fs *fs = util_format_mount(dev, 1);
    util_alloc_blocks(fs, 1400, true, 2, NULL);
    util_sync(fs);
    util_unmount(fs);
}

static bool
holds_at(const uint8_t *b, uint32_t i, uint64_t hash)
{
    uint8_t f[8];
    fmt_put64(f, hash);
    return memcmp(b + i, f, 8) == 0;
}

/* Writes bytes (resealed) to block, then makes every metadata block that
 * named the old bytes' hash name the new one, and so on up to the
 * superblocks: what a forged write does to a crash image. */
static void
reseal(const struct bdev *dev, uint64_t block, uint8_t *bytes, uint32_t depth)
{
    assert_true(depth < RESEAL_DEPTH_MAX);
    uint8_t old[BS];
    CHECK_ERR(dev->read(dev, block, old), 0);
    forge_seal(bytes, BS);
    CHECK_ERR(dev->write(dev, block, bytes), 0);
    uint64_t from = fmt_hash(old, BS), to = fmt_hash(bytes, BS);
    if (from == to) {
        return;
    }
    uint8_t holder[BS];
    for (uint64_t m = 0; m < dev->block_count; m++) {
        CHECK_ERR(dev->read(dev, m, holder), 0);
        if (m == block || !forge_is_meta(holder, BS)) {
            continue;
        }
        bool named = false;
        for (uint32_t i = 0; i + 8 <= BS; i++) {
            if (holds_at(holder, i, from)) {
                fmt_put64(holder + i, to);
                named = true;
            }
        }
        if (named) {
            reseal(dev, m, holder, depth + 1);
        }
    }
}

/* ---- Edits. ---- */

/* One forged field: the test's name, the reason fs_check must give, one
 * edit, and the image it applies to (NULL: the small one). */
struct field {
    const char *name;               /* The test's name. */
    const char *why;                /* What fs_check's finding must say. */
    bool (*record)(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv);  /* A leaf record. */
    void (*fork)(struct fmt_tree *t);   /* The fork's snapshot record. */
    bool (*block)(uint8_t *block);  /* Every block of type type. */
    uint16_t type;                  /* Its type. */
    uint32_t count;                 /* Blocks block must change: 0 any but none. */
    bool (*pivot)(uint8_t *node);   /* Every pivot (one that verifies). */
    void (*image)(struct bdev *dev);    /* The image to forge, or NULL. */
};

/* The edit of f on the record k, v, if it is one f edits. */
static bool
record_edit(const struct field *f, uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (f->record != NULL) {
        return f->record(k, nk, v, nv);
    }
    if (k[0] != FMT_KSNAP || nk != FMT_KSNAP_SIZE || nv != FMT_TREE_SIZE) {
        return false;
    }
    struct fmt_tree t;
    fmt_tree_unpack(v, &t);
    if (t.base == GEN_NONE) {
        return false;               /* Not the fork's. */
    }
    f->fork(&t);
    fmt_tree_pack(v, &t);
    return true;
}

/* Applies f to every leaf record, every block of its type or every pivot
 * on the device, resealing each block whose bytes it changed; returns how
 * many it changed. */
static uint32_t
edit_device(const struct bdev *dev, const struct field *f)
{
    uint32_t changed = 0;
    uint8_t buf[BS], old[BS];
    for (uint64_t b = 0; b < dev->block_count; b++) {
        CHECK_ERR(dev->read(dev, b, buf), 0);
        memcpy(old, buf, BS);
        uint16_t type = fmt_block_type(buf);
        bool any = false;
        if (f->block != NULL) {
            any = type == f->type && forge_is_meta(buf, BS) && f->block(buf);
        } else if (f->pivot != NULL && type == FMT_TYPE_PIVOT
                && tree_node_verify(BS, buf, type) == NULL) {
            any = f->pivot(buf);
        } else if (f->pivot == NULL && type == FMT_TYPE_LEAF
                && tree_node_verify(BS, buf, type) == NULL) {
            for (uint16_t i = 0; i < fmt_node_nval(buf); i++) {
                struct kv kv = tree_node_val(BS, buf, i);
                any |= record_edit(f, (uint8_t *)(uintptr_t)kv.k, kv.nk,
                        (uint8_t *)(uintptr_t)kv.v, kv.nv);
            }
        }
        if (any && memcmp(old, buf, BS) != 0) {
            reseal(dev, b, buf, 0);
            changed++;
        }
    }
    return changed;
}

/* Directory entries and data pointers. */

static bool
is_file_entry(const uint8_t *k, uint16_t nk, uint16_t nv, const char *name)
{
    size_t n = strlen(name);
    return k[0] == FMT_KENT && nv == FMT_DIRENT_SIZE && nk == FMT_KENT_SIZE_MIN + n
        && memcmp(k + FMT_KENT_NAME_OFFSET, name, n) == 0;
}

static bool
edit_file_length(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_file_entry(k, nk, nv, "f")) {
        return false;
    }
    struct fmt_dirent d;
    fmt_dirent_unpack(v, &d);
    d.length = 100;                 /* Its second and third blocks lie past it. */
    fmt_dirent_pack(v, &d);
    return true;
}

static bool
edit_qid_type(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_file_entry(k, nk, nv, "f")) {
        return false;
    }
    v[20] ^= 0x01;                  /* qid.type: a bit the mode does not have. */
    return true;
}

static bool
edit_dir_length(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_file_entry(k, nk, nv, "d")) {
        return false;
    }
    struct fmt_dirent d;
    fmt_dirent_unpack(v, &d);
    d.length = BS;
    fmt_dirent_pack(v, &d);
    return true;
}

static bool
edit_dirent_flag(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_file_entry(k, nk, nv, "f")) {
        return false;
    }
    v[7] = 1;                       /* flag[8], reserved. */
    return true;
}

static bool
edit_qid(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_file_entry(k, nk, nv, "f")) {
        return false;
    }
    fmt_put64(v + 8, 1u << 20);         /* qid.path at or above nextqid. */
    return true;
}

static bool
edit_entry_parent(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_file_entry(k, nk, nv, "f")) {
        return false;
    }
    fmt_put64(k + FMT_KEY_ID_OFFSET, fmt_get64(v + 8));     /* /d/f in itself, a file. */
    return true;
}

static bool
edit_uplink(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (k[0] != FMT_KUP || nk != FMT_KUP_SIZE || nv != FMT_KENT_SIZE_MIN + 1
            || v[FMT_KENT_NAME_OFFSET] != 'd') {
        return false;
    }
    v[FMT_KENT_NAME_OFFSET] = 'e';      /* /d's up-link names an entry /e. */
    return true;
}

static bool
edit_file_to_dir(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_file_entry(k, nk, nv, "f")) {
        return false;
    }
    struct fmt_dirent d;
    fmt_dirent_unpack(v, &d);
    d.qtype = FMT_QID_DIR;              /* A directory without an up-link. */
    d.mode |= FMT_MODE_DIR;
    fmt_dirent_pack(v, &d);
    return true;
}

static bool
is_data(const uint8_t *k, uint16_t nk, uint16_t nv)
{
    return k[0] == FMT_KDAT && nk == FMT_KDAT_SIZE && nv == FMT_PTR_SIZE;
}

static bool
edit_data_qid(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    (void)v;
    if (!is_data(k, nk, nv)) {
        return false;
    }
    fmt_put64(k + FMT_KEY_ID_OFFSET, 1);    /* The root directory's; the keys keep their order. */
    return true;
}

static bool
edit_data_gen(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_data(k, nk, nv)) {
        return false;
    }
    struct bptr bp = fmt_bptr_unpack(v);
    bp.gen += 100;                  /* Born after the leaf that names it. */
    fmt_bptr_pack(v, bp);
    return true;
}

static bool
edit_data_hash(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_data(k, nk, nv)) {
        return false;
    }
    v[8 + 7] ^= 1;                      /* The data block's hash. */
    return true;
}

/* Labels and snapshot records (the fork's). */

static bool
is_label_s1(const uint8_t *k, uint16_t nk, uint16_t nv)
{
    return k[0] == FMT_KLABEL && nk == 3 && memcmp(k + 1, "s1", 2) == 0
        && nv == FMT_LABEL_VALUE_SIZE;
}

static bool
edit_label_flags(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_label_s1(k, nk, nv)) {
        return false;
    }
    fmt_put32(v + FMT_LABEL_FLAGS_OFFSET, fmt_label_flags(v) | 0x4);
    return true;
}

static bool
edit_label_name(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    (void)v;
    if (!is_label_s1(k, nk, nv)) {
        return false;
    }
    k[2] = 0x1f;                    /* "s1" -> "s" and a control character: same order. */
    return true;
}

static bool
edit_label_target(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_label_s1(k, nk, nv)) {
        return false;
    }
    fmt_put64(v + FMT_LABEL_SNAPID_OFFSET, 1000);   /* No such snapshot. */
    return true;
}

static void
base_none(struct fmt_tree *t)
{
    t->base = GEN_NONE;
}

static void
flag_set(struct fmt_tree *t)
{
    t->flag = 1;
}

static void
root_younger(struct fmt_tree *t)
{
    t->root.gen = t->gen + 1;
}

static void
height_more(struct fmt_tree *t)
{
    t->height++;                        /* Its root, a leaf (s1's, read before), as a pivot. */
}

static void
nlbl_more(struct fmt_tree *t)
{
    t->nlbl++;
}

static void
nref_more(struct fmt_tree *t)
{
    t->nref++;
}

static void
succ_of_base(struct fmt_tree *t)
{
    t->succ = t->base;                  /* A successor whose predecessor is not this. */
}

static void
gen_other(struct fmt_tree *t)
{
    t->gen--;                           /* Not the id its key holds. */
}

/* Deadlists. */

static bool
is_dlist(const uint8_t *k, uint16_t nk, uint16_t nv)
{
    return k[0] == FMT_KDLIST && nk == FMT_KDLIST_SIZE && nv == FMT_DLIST_VALUE_SIZE;
}

static bool
edit_dlist_birth(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    (void)v;
    if (!is_dlist(k, nk, nv)) {
        return false;
    }
    fmt_put64(k + FMT_KDLIST_BIRTH_OFFSET, fmt_get64(k + FMT_KEY_ID_OFFSET));
    return true;
}

static bool
edit_dlist_killer(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    (void)v;
    if (!is_dlist(k, nk, nv)) {
        return false;
    }
    fmt_put64(k + FMT_KEY_ID_OFFSET, 1000);     /* A killer no record has. */
    return true;
}

static bool
edit_dlist_tail_addr(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_dlist(k, nk, nv)) {
        return false;
    }
    fmt_put64(v + FMT_PTR_SIZE, 0);     /* tl.addr: sb0, not the chain's last block. */
    return true;
}

static bool
edit_dlist_tail_hash(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_dlist(k, nk, nv)) {
        return false;
    }
    v[FMT_PTR_SIZE + 8 + 7] ^= 1;       /* tl.hash; tl.addr still names the last block. */
    return true;
}

static bool
edit_dlist_head_gen(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_dlist(k, nk, nv)) {
        return false;
    }
    fmt_put64(v + 16, 1);               /* hd.gen: deadlist blocks are born at 0. */
    return true;
}

static bool
edit_dlist_hashes(uint8_t *k, uint16_t nk, uint8_t *v, uint16_t nv)
{
    if (!is_dlist(k, nk, nv)) {
        return false;
    }
    v[8 + 7] ^= 1;                      /* hd.hash, and tl.hash alike: they agree, */
    v[FMT_PTR_SIZE + 8 + 7] ^= 1;       /* but name no block's bytes. */
    return true;
}

static bool
edit_dlist_logsz(uint8_t *b)
{
    uint16_t logsz = fmt_get16(b + 2);
    if (logsz < FMT_DLIST_ENTRY_SIZE) {
        return false;
    }
    fmt_put16(b + 2, (uint16_t)(logsz - 4));    /* Half an entry short; logh resealed. */
    return true;
}

static bool
edit_dlist_entry(uint8_t *b)
{
    if (fmt_get16(b + 2) < FMT_DLIST_ENTRY_SIZE) {
        return false;
    }
    fmt_put64(b + FMT_LOG_HEADER_SIZE, BLOCKS / 2 * (uint64_t)BS);      /* A free block. */
    return true;
}

static bool
edit_dlist_entry_dropped(uint8_t *b)
{
    uint16_t logsz = fmt_get16(b + 2);
    if (logsz < FMT_DLIST_ENTRY_SIZE) {
        return false;
    }
    fmt_put16(b + 2, (uint16_t)(logsz - FMT_DLIST_ENTRY_SIZE));     /* The last entry left out. */
    return true;
}

/* Superblocks, arena headers, allocation logs, pivots. */

static bool
edit_super_flags(uint8_t *b)
{
    fmt_put64(b + 72, 1);               /* flag[8]. */
    return true;
}

static bool
edit_super_snapdl(uint8_t *b)
{
    fmt_put64(b + 40, BS);              /* snapdl.hd.addr: a block, not nil. */
    return true;
}

static bool
edit_arena_used(uint8_t *b)
{
    struct fmt_arena_header h;
    fmt_arena_header_unpack(b, &h);
    h.used -= BS;                       /* Still within size: mount takes it. */
    fmt_arena_header_pack(b, BS, &h);
    return true;
}

static bool
edit_log_link_gen(uint8_t *b)
{
    struct fmt_log_header h;
    fmt_log_header_unpack(b, &h);
    if (h.logp.addr == FMT_ADDR_NIL) {
        return false;
    }
    h.logp.gen = 0;                     /* Log blocks have no birth generation. */
    fmt_log_header_pack(b, &h);
    return true;
}

static bool
edit_log_tail_gen(uint8_t *b)
{
    struct fmt_log_header h;
    fmt_log_header_unpack(b, &h);
    if (h.logp.addr != FMT_ADDR_NIL) {
        return false;
    }
    h.logp.gen = 0;                     /* The tail links nowhere, with no generation. */
    fmt_log_header_pack(b, &h);
    return true;
}

/* A pivot's value i, to edit. */
static struct kv
pivot_val(uint8_t *node, uint16_t i)
{
    return tree_node_val(BS, node, i);
}

static bool
fill_more(uint8_t *node)
{
    uint8_t *pptr = (uint8_t *)(uintptr_t)pivot_val(node, 0).v;
    fmt_put16(pptr + FMT_PTR_SIZE, (uint16_t)(fmt_get16(pptr + FMT_PTR_SIZE) + 2));
    return true;
}

static bool
gen_younger(uint8_t *node)
{
    uint8_t *pptr = (uint8_t *)(uintptr_t)pivot_val(node, 0).v;
    fmt_put64(pptr + 16, 1u << 20);     /* Born after its parent and nextgen. */
    return true;
}

static bool
separator_later(uint8_t *node)
{
    if (fmt_node_nval(node) < 2) {
        return false;
    }
    struct kv kv = pivot_val(node, 1);
    ((uint8_t *)(uintptr_t)kv.k)[kv.nk - 1]++;      /* Above its child's first key. */
    return true;
}

/* ---- The table. ---- */

#define FIELDS(X) \
    X(child_fill, "its parent records", .pivot = fill_more, .image = image_tall) \
    X(child_gen, "above its parent's or nextgen", .pivot = gen_younger, .image = image_tall) \
    X(child_range, "outside the range its parent gives", .pivot = separator_later, \
            .image = image_tall) \
    X(data_past_length, "beyond the end of qid", .record = edit_file_length) \
    X(data_gen_above_node, "above its node's", .record = edit_data_gen) \
    X(data_hash, "hash mismatch", .record = edit_data_hash) \
    X(dirent_qid_type, "qid type differs from its mode", .record = edit_qid_type) \
    X(dirent_dir_length, "a directory with a nonzero length", .record = edit_dir_length) \
    X(dirent_flag, "directory entry: reserved flag set", .record = edit_dirent_flag) \
    X(dirent_qid, "qid 1048576 not below nextqid", .record = edit_qid) \
    X(dirent_parent, "is an orphan: its parent is not a directory", .record = edit_entry_parent) \
    X(data_qid, "which is no file", .record = edit_data_qid) \
    X(uplink_target, "does not name its directory's entry", .record = edit_uplink) \
    X(dirs_vs_uplinks, "3 directories but 2 up-links", .record = edit_file_to_dir) \
    X(label_flags, "sets unknown flags", .record = edit_label_flags) \
    X(label_target, "a label names a missing snapshot", .record = edit_label_target) \
    X(label_name, "a label's name is not one a label may have", .record = edit_label_name) \
    X(record_fork_base, "fork base", .fork = base_none) \
    X(record_flag, "reserved flag is set", .fork = flag_set) \
    X(record_root_gen, "root is born after the snapshot", .fork = root_younger) \
    X(record_height, "unexpected block type", .fork = height_more) \
    X(record_nlbl, "records nlbl 2 nref 0; found 1 labels, 0 successors", .fork = nlbl_more) \
    X(record_nref, "records nlbl 1 nref 1; found 1 labels, 0 successors", .fork = nref_more) \
    X(record_succ, "successor and predecessor links disagree", .fork = succ_of_base) \
    X(record_gen, "record stored under another snapshot id", .fork = gen_other) \
    X(dlist_birth, "birth generation is not below its killer", .record = edit_dlist_birth) \
    X(dlist_killer, "a deadlist belongs to no snapshot", .record = edit_dlist_killer) \
    X(dlist_tail_addr, "tail pointer does not name the chain's last block", \
            .record = edit_dlist_tail_addr) \
    X(dlist_tail_hash, "tail pointer does not name the chain's last block", \
            .record = edit_dlist_tail_hash) \
    X(dlist_pointer_gen, "pointer with a birth generation, not 0", \
            .record = edit_dlist_head_gen) \
    X(dlist_pointer_hash, "pointer's hash does not match the block", \
            .record = edit_dlist_hashes) \
    X(dlist_logsz, "logsz is not a whole number of entries", .block = edit_dlist_logsz, \
            .type = FMT_TYPE_DLIST) \
    X(dlist_entry, "referenced block is free", .block = edit_dlist_entry, \
            .type = FMT_TYPE_DLIST) \
    X(dlist_bytes_after_logsz, "bytes after logsz", .block = edit_dlist_entry_dropped, \
            .type = FMT_TYPE_DLIST) \
    X(super_flags, "unknown feature flags", .block = edit_super_flags, \
            .type = FMT_TYPE_SUPER, .count = 2) \
    X(super_snapdl, "the snapshot tree's deadlist is not empty", .block = edit_super_snapdl, \
            .type = FMT_TYPE_SUPER, .count = 2) \
    X(arena_used, "but its log allocates", .block = edit_arena_used, .type = FMT_TYPE_ARENA, \
            .count = 2) \
    X(log_link_gen, "chain link with a birth generation", .block = edit_log_link_gen, \
            .type = FMT_TYPE_LOG, .image = image_long_log) \
    X(log_tail_gen, "chain link with a birth generation", .block = edit_log_tail_gen, \
            .type = FMT_TYPE_LOG)

#define FIELD_ENTRY(n, w, ...) { .name = #n, .why = w, __VA_ARGS__ },
static const struct field fields[] = { FIELDS(FIELD_ENTRY) };
#define FIELD_COUNT (sizeof(fields) / sizeof(fields[0]))

/* ---- Tests. ---- */

static struct bdev pristine;

static int
setup(void **state)
{
    (void)state;
    image(&pristine);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    bdev_mem_close(&pristine);
    return 0;
}

static void
pristine_is_clean(void **state)
{
    (void)state;
    struct fs *fs = util_mount(&pristine, true);
    util_check_clean(fs, 0);
    util_unmount(fs);
}

/* One row of FIELDS: forge the field on a copy of its image; the copy
 * mounts, and fs_check reports corruption saying why. */
static void
forged_field(void **state)
{
    const struct field *f = *state;
    struct bdev dev;
    if (f->image != NULL) {
        f->image(&dev);
    } else {
        util_mem_clone(&dev, &pristine);
    }
    uint32_t changed = edit_device(&dev, f);
    if (f->count != 0) {
        assert_int_equal(changed, f->count);
    }
    assert_true(changed > 0);
    struct fs *fs = util_mount(&dev, true);
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    if (!util_check_has(&r, FS_CHECK_CORRUPT, f->why)) {
        util_check_print(&r);
        fail_msg("%s: fs_check did not report \"%s\"", f->name, f->why);
    }
    util_unmount(fs);
    bdev_mem_close(&dev);
}

/* Counters a superblock cannot hold. Both superblocks forged (every hash
 * resealed) with nextqid, then qgen, one commit short of FMT_QGEN_LIMIT,
 * which mount refuses: a create is FS_ENOSPC, a commit refuses with the
 * file system saying why, and the image still mounts and checks clean as
 * it was. No superblock mount would reject is written. */
static void
counters_exhausted(void **state)
{
    (void)state;
    static const uint32_t offs[] = { 80, 96 };          /* nextqid, qgen (fs/format.c). */
    for (uint32_t which = 0; which < 2; which++) {
        struct bdev dev;
        util_mem_clone(&dev, &pristine);
        uint8_t sb[BS];
        uint64_t blocks[2] = { 0, dev.block_count - 1 };
        for (uint32_t i = 0; i < 2; i++) {
            CHECK_ERR(dev.read(&dev, blocks[i], sb), 0);
            fmt_put64(sb + offs[which], FMT_QGEN_LIMIT - 2);
            reseal(&dev, blocks[i], sb, 0);
        }
        struct fs *fs = util_mount(&dev, false);
        if (which == 0) {
            CHECK_ERR(fs_create(fs, "/new"), FS_ENOSPC);
            CHECK_ERR(fs_mkdir(fs, "/new"), FS_ENOSPC);
            util_unmount(fs);
        } else {
            CHECK_ERR(fs_truncate(fs, "/d/f", 10), 0);
            CHECK_ERR(fs_sync(fs), FS_ENOSPC);
            assert_non_null(fs_broken(fs));
            assert_non_null(strstr(fs_broken(fs), "exhausted"));
            CHECK_ERR(fs_create(fs, "/new"), FS_EROFS);
            (void)fs_unmount(fs);
        }
        fs = util_mount(&dev, true);
        util_check_clean(fs, 0);
        struct fs_stat st;
        CHECK_ERR(fs_stat(fs, "/d/f", &st), 0);
        CHECK_EQ(st.size, 9000);                /* The commit that refused changed nothing. */
        util_unmount(fs);
        bdev_mem_close(&dev);
    }
}

/* The arenas' tiling: no forged image mounts with it broken (log replay
 * refuses an entry outside the arena as the superblock and header place it,
 * and the first log entry of every arena spans it whole), so the check is
 * proven on a mounted file system whose arena is made one block smaller in
 * memory, as a mount that trusted a forged size would hold it. */
static void
arena_geometry(void **state)
{
    (void)state;
    struct fs *fs = util_mount(&pristine, true);
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    CHECK_TRUE(!util_check_has(&r, FS_CHECK_CORRUPT, "tiling"));
    fs->arenas[0].size -= BS;
    util_check_run(fs, &r, false);
    fs->arenas[0].size += BS;
    CHECK_TRUE(util_check_has(&r, FS_CHECK_CORRUPT, "breaks the arenas' tiling"));
    util_unmount(fs);
}

/* ---- Deadlist entries that name the wrong block. ----
 *
 * A deadlist entry restates nothing a hash could catch: it is an address,
 * and an entry that names a block still in use under the right birth
 * generation frees that block when its snapshot goes. These tests forge the
 * entry itself (its block resealed) and require fs_check to see it. */

/* The data pointers of every leaf on the device that verifies; offs[i]
 * (if offs) is the file offset out[i]'s key names. */
static uint32_t
data_pointers(const struct bdev *dev, struct bptr *out, uint64_t *offs, uint32_t cap)
{
    uint32_t n = 0;
    uint8_t buf[BS];
    for (uint64_t b = 0; b < dev->block_count; b++) {
        CHECK_ERR(dev->read(dev, b, buf), 0);
        if (fmt_block_type(buf) != FMT_TYPE_LEAF
                || tree_node_verify(BS, buf, FMT_TYPE_LEAF) != NULL) {
            continue;
        }
        for (uint16_t i = 0; i < fmt_node_nval(buf); i++) {
            struct kv kv = tree_node_val(BS, buf, i);
            if (kv.k[0] == FMT_KDAT && kv.nv == FMT_PTR_SIZE && n < cap) {
                if (offs != NULL) {
                    offs[n] = key_dat_off(kv.k);
                }
                out[n++] = fmt_bptr_unpack(kv.v);
            }
        }
    }
    return n;
}

/* The deadlist blocks of dev, up to cap. */
static uint32_t
dlist_blocks(const struct bdev *dev, uint64_t *out, uint32_t cap)
{
    uint32_t n = 0;
    uint8_t buf[BS];
    for (uint64_t b = 0; b < dev->block_count && n < cap; b++) {
        CHECK_ERR(dev->read(dev, b, buf), 0);
        if (fmt_block_type(buf) == FMT_TYPE_DLIST && forge_is_meta(buf, BS)
                && fmt_get16(buf + 2) >= FMT_DLIST_ENTRY_SIZE) {
            out[n++] = b;
        }
    }
    return n;
}

/* Makes the first entry of deadlist block b name addr, resealed; returns the
 * address it named. */
static uint64_t
entry_forge(const struct bdev *dev, uint64_t b, uint64_t addr)
{
    uint8_t buf[BS];
    CHECK_ERR(dev->read(dev, b, buf), 0);
    uint64_t was = fmt_get64(buf + FMT_LOG_HEADER_SIZE);
    fmt_put64(buf + FMT_LOG_HEADER_SIZE, addr);
    reseal(dev, b, buf, 0);
    return was;
}

/* fs_check on dev reports corruption saying why. */
static void
check_says(const struct bdev *dev, const char *why)
{
    struct fs *fs = util_mount(dev, true);
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    if (!util_check_has(&r, FS_CHECK_CORRUPT, why)) {
        util_check_print(&r);
        fail_msg("fs_check did not report \"%s\"", why);
    }
    util_unmount(fs);
}

/* The small image's one deadlist, killed by main's record, lists the file's
 * old first block; the entry is made to name its second block, born with
 * it and still in main's tree (and in s1's and k's, which is allowed). */
static void
dead_entry_still_reached(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_clone(&dev, &pristine);
    uint64_t dl[2];
    assert_int_equal(dlist_blocks(&dev, dl, 2), 1);
    uint8_t buf[BS];
    CHECK_ERR(dev.read(&dev, dl[0], buf), 0);
    uint64_t listed = fmt_get64(buf + FMT_LOG_HEADER_SIZE);
    struct bptr ptrs[64];
    uint32_t n = data_pointers(&dev, ptrs, NULL, 64);
    uint64_t birth = UINT64_MAX, live = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        birth = ptrs[i].addr == listed ? ptrs[i].gen : birth;
    }
    for (uint32_t i = 0; i < n; i++) {
        live = ptrs[i].gen == birth && ptrs[i].addr != listed ? ptrs[i].addr : live;
    }
    assert_true(birth != UINT64_MAX && live != UINT64_MAX);
    entry_forge(&dev, dl[0], live);
    check_says(&dev, "still reached by the tree of snapshot");
    bdev_mem_close(&dev);
}

/* A kill awaiting the commit is checked against the mounted tree: the
 * small image's file has its second block overwritten (s1 keeps the old
 * one, so it is killed, not freed), and the kill is made to name the third
 * block, born with it and still in the mounted tree. */
static void
dead_kill_still_mounted(void **state)
{
    (void)state;
    struct bdev dev;
    util_mem_clone(&dev, &pristine);
    struct bptr ptrs[64];
    uint64_t offs[64];
    uint32_t n = data_pointers(&dev, ptrs, offs, 64);
    struct bptr second = { FMT_ADDR_NIL, 0, 0 }, third = second;
    for (uint32_t i = 0; i < n; i++) {
        second = offs[i] == BS ? ptrs[i] : second;
        third = offs[i] == 2 * BS ? ptrs[i] : third;
    }
    assert_true(second.addr != FMT_ADDR_NIL && third.addr != FMT_ADDR_NIL);
    CHECK_EQ(second.gen, third.gen);
    struct fs *fs = util_mount(&dev, false);
    write_pattern(fs, "/d/f", BS, BS, 5);
    struct fs_check_result r;
    util_check_run(fs, &r, false);
    CHECK_EQ(r.count[FS_CHECK_CORRUPT], 0);
    uint32_t k = 0;
    while (k < fs->kill_count && fs->kills[k].addr != second.addr) {
        k++;
    }
    assert_true(k < fs->kill_count);
    CHECK_EQ(fs->kills[k].killer, fs->tree.memgen);
    fs->kills[k].addr = third.addr;
    util_check_run(fs, &r, false);
    fs->kills[k].addr = second.addr;
    if (!util_check_has(&r, FS_CHECK_CORRUPT, "still reached by the mounted tree")) {
        util_check_print(&r);
        fail_msg("fs_check did not report the kill of a block the mounted tree holds");
    }
    util_unmount(fs);
    bdev_mem_close(&dev);
}

/* Two deadlists (two files born in different generations, both
 * overwritten after a label); each in turn has its first entry name the
 * other's block, which the walk meets after the entry, or before it. */
static void
dead_entry_names_metadata(void **state)
{
    (void)state;
    struct bdev two;
    util_mem_open(&two, BS, BLOCKS);
    struct fs *fs = util_format_mount(&two, 1);
    CHECK_ERR(fs_create(fs, "/a"), 0);
    write_pattern(fs, "/a", 0, BS, 1);
    util_sync(fs);
    CHECK_ERR(fs_create(fs, "/b"), 0);
    write_pattern(fs, "/b", 0, BS, 2);
    util_sync(fs);
    CHECK_ERR(fs_snap_label(fs, "main", "s1"), 0);
    write_pattern(fs, "/a", 0, BS, 3);
    write_pattern(fs, "/b", 0, BS, 4);
    util_unmount(fs);
    static const char *const why[2] = { "a deadlist block is listed in a deadlist",
        "listed block is a log, deadlist or snapshot-tree block" };
    bool seen[2] = { false, false };
    for (uint32_t i = 0; i < 2; i++) {
        struct bdev dev;
        util_mem_clone(&dev, &two);
        uint64_t dl[3];
        assert_int_equal(dlist_blocks(&dev, dl, 3), 2);
        entry_forge(&dev, dl[i], dl[1 - i] * BS);
        fs = util_mount(&dev, true);
        struct fs_check_result r;
        util_check_run(fs, &r, false);
        for (uint32_t w = 0; w < 2; w++) {
            seen[w] |= util_check_has(&r, FS_CHECK_CORRUPT, why[w]);
        }
        CHECK_TRUE(r.count[FS_CHECK_CORRUPT] > 0);
        util_unmount(fs);
        bdev_mem_close(&dev);
    }
    CHECK_TRUE(seen[0] && seen[1]);
    bdev_mem_close(&two);
}

#define FIXED_TESTS(X) X(pristine_is_clean) X(counters_exhausted) X(arena_geometry) \
    X(dead_entry_still_reached) X(dead_kill_still_mounted) X(dead_entry_names_metadata)
#define FIXED_ENTRY(name) cmocka_unit_test(name),
#define FIXED_COUNT(name) + 1

int
main(void)
{
    util_init();
    struct CMUnitTest tests[FIELD_COUNT FIXED_TESTS(FIXED_COUNT)] = { FIXED_TESTS(FIXED_ENTRY) };
    for (size_t i = 0; i < FIELD_COUNT; i++) {
        tests[0 FIXED_TESTS(FIXED_COUNT) + i] = (struct CMUnitTest){ fields[i].name,
            forged_field, NULL, NULL, (void *)(uintptr_t)&fields[i] };
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
