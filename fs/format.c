/*
 * fs/format.c: packing and unpacking of the fixed layouts in format.h, and the
 * block hash. xxhash is compiled into this file (XXH_INLINE_ALL): the shared
 * library is several times slower on 16 KiB blocks.
 *
 * Pack functions take our own in-memory values and assert on them; unpack
 * functions take device bytes and verify them, returning a reason on failure.
 */
#include "format.h"

#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t
fmt_hash(const void *p, size_t n)
{
    ASSERT(p != NULL || n == 0);
    return XXH3_64bits_withSeed(p, n, FMT_HASH_SEED);
}

void
fmt_bptr_pack(uint8_t *p, struct bptr bp)
{
    ASSERT(p != NULL);
    fmt_put64(p, bp.addr);
    fmt_put64(p + 8, bp.hash);
    fmt_put64(p + 16, bp.gen);
}

struct bptr
fmt_bptr_unpack(const uint8_t *p)
{
    ASSERT(p != NULL);
    return (struct bptr){ fmt_get64(p), fmt_get64(p + 8), fmt_get64(p + 16) };
}

void
fmt_log_header_pack(uint8_t *block, const struct fmt_log_header *h)
{
    ASSERT(h->type == FMT_TYPE_LOG || h->type == FMT_TYPE_DLIST);
    ASSERT(h->logsz <= fmt_logspc(FMT_BLOCK_SIZE_MAX));
    fmt_put16(block, h->type);
    fmt_put16(block + 2, h->logsz);
    fmt_put64(block + 4, h->logh);
    fmt_bptr_pack(block + 12, h->logp);
}

void
fmt_log_header_unpack(const uint8_t *block, struct fmt_log_header *h)
{
    ASSERT(block != NULL);
    h->type = fmt_get16(block);
    h->logsz = fmt_get16(block + 2);
    h->logh = fmt_get64(block + 4);
    h->logp = fmt_bptr_unpack(block + 12);
}

const char *
fmt_log_verify(uint32_t block_size, const uint8_t *block, uint16_t type)
{
    ASSERT(type == FMT_TYPE_LOG || type == FMT_TYPE_DLIST);
    ASSERT(fmt_block_size_valid(block_size));
    struct fmt_log_header h;
    fmt_log_header_unpack(block, &h);
    if (h.logsz > fmt_logspc(block_size)) {
        return "log size beyond the block";
    }
    if (h.logh != fmt_hash(block + FMT_LOG_HEADER_SIZE, h.logsz)) {
        return "log hash mismatch";
    }
    return NULL;
}

void
fmt_arena_header_pack(uint8_t *block, uint32_t block_size, const struct fmt_arena_header *h)
{
    ASSERT(fmt_block_size_valid(block_size));
    ASSERT(h->used <= h->size);
    memset(block, 0, block_size);
    fmt_put16(block, FMT_TYPE_ARENA);
    fmt_put64(block + 2, h->loghd_addr);
    fmt_put64(block + 10, h->loghd_hash);
    fmt_put64(block + 18, h->size);
    fmt_put64(block + 26, h->used);
}

void
fmt_arena_header_unpack(const uint8_t *block, struct fmt_arena_header *h)
{
    ASSERT(block != NULL);
    h->loghd_addr = fmt_get64(block + 2);
    h->loghd_hash = fmt_get64(block + 10);
    h->size = fmt_get64(block + 18);
    h->used = fmt_get64(block + 26);
}

void
fmt_super_pack(uint8_t *block, uint32_t block_size, const struct fmt_super *sb)
{
    ASSERT(fmt_block_size_valid(block_size));
    ASSERT(sb->block_size == block_size);
    ASSERT(sb->arena_count >= 1 && sb->arena_count <= FMT_ARENA_COUNT_MAX);
    memset(block, 0, block_size);
    memcpy(block, FMT_MAGIC, 8);
    fmt_put32(block + 8, sb->block_size);
    fmt_put32(block + 12, sb->bufspc);
    fmt_put32(block + 16, sb->arena_count);
    fmt_put32(block + 20, sb->snap_height);
    fmt_put64(block + 24, sb->snap_root.addr);
    fmt_put64(block + 32, sb->snap_root.hash);
    fmt_put64(block + 40, sb->snapdl_hd_addr);
    fmt_put64(block + 48, sb->snapdl_hd_hash);
    fmt_put64(block + 56, sb->snapdl_tl_addr);
    fmt_put64(block + 64, sb->snapdl_tl_hash);
    fmt_put64(block + 72, sb->flags);
    fmt_put64(block + 80, sb->nextqid);
    fmt_put64(block + 88, sb->nextgen);
    fmt_put64(block + 96, sb->qgen);
    fmt_put64(block + 104, sb->block_count);
    for (uint32_t i = 0; i < sb->arena_count; i++) {
        uint8_t *p = block + FMT_SUPER_HEADER_SIZE + FMT_SUPER_ARENA_SIZE * i;
        fmt_put64(p, sb->arena_addr[i]);
        fmt_put64(p + 8, sb->arena_hash[i]);
    }
    uint32_t n = fmt_super_size(sb->arena_count);
    fmt_put64(block + n, fmt_hash(block, n));
}

/* Field checks that need no hash: run before trusting narena for the hash span. */
static const char *
super_verify_fields(const struct fmt_super *sb, uint32_t block_size, uint64_t device_blocks)
{
    if (sb->block_size != block_size) {
        return "block size differs from the device's";
    }
    if (sb->bufspc != fmt_bufspc(block_size)) {
        return "bufspc does not match the block size";
    }
    if (sb->block_count != device_blocks) {
        return "device size differs from the size at format time";
    }
    if (sb->snap_height < 1 || sb->snap_height > FMT_SNAP_HEIGHT_MAX) {
        return "snapshot tree height out of range";
    }
    uint64_t device_size = device_blocks * block_size;
    if (sb->snap_root.addr % block_size != 0 || sb->snap_root.addr >= device_size) {
        return "snapshot tree root outside the device";
    }
    if (sb->nextgen == 0 || sb->nextqid == 0) {
        return "generation or qid counter is zero";
    }
    if (sb->qgen >= FMT_QGEN_LIMIT || sb->nextgen >= FMT_QGEN_LIMIT
            || sb->nextqid >= FMT_QGEN_LIMIT) {
        return "generation or qid counter out of range";
    }
    for (uint32_t i = 0; i < sb->arena_count; i++) {
        uint64_t a = sb->arena_addr[i];
        if (a % block_size != 0 || a == 0 || a + 3ull * block_size > device_size) {
            return "arena header address outside the device";
        }
        if (i > 0 && a <= sb->arena_addr[i - 1]) {
            return "arena addresses not increasing";
        }
    }
    return NULL;
}

const char *
fmt_super_unpack(const uint8_t *block, uint32_t block_size, uint64_t device_block_count,
        struct fmt_super *sb)
{
    ASSERT(fmt_block_size_valid(block_size));
    ASSERT(sb != NULL);
    memset(sb, 0, sizeof(*sb));
    if (memcmp(block, FMT_MAGIC, 8) != 0) {
        return "bad magic";
    }
    sb->arena_count = fmt_get32(block + 16);
    if (sb->arena_count < 1 || sb->arena_count > FMT_ARENA_COUNT_MAX) {
        return "arena count out of range";
    }
    uint32_t n = fmt_super_size(sb->arena_count);
    if (fmt_get64(block + n) != fmt_hash(block, n)) {
        return "superblock hash mismatch";
    }
    sb->block_size = fmt_get32(block + 8);
    sb->bufspc = fmt_get32(block + 12);
    sb->snap_height = fmt_get32(block + 20);
    sb->snap_root = (struct bptr){ fmt_get64(block + 24), fmt_get64(block + 32), 0 };
    sb->snapdl_hd_addr = fmt_get64(block + 40);
    sb->snapdl_hd_hash = fmt_get64(block + 48);
    sb->snapdl_tl_addr = fmt_get64(block + 56);
    sb->snapdl_tl_hash = fmt_get64(block + 64);
    sb->flags = fmt_get64(block + 72);
    sb->nextqid = fmt_get64(block + 80);
    sb->nextgen = fmt_get64(block + 88);
    sb->qgen = fmt_get64(block + 96);
    sb->block_count = fmt_get64(block + 104);
    for (uint32_t i = 0; i < sb->arena_count; i++) {
        const uint8_t *p = block + FMT_SUPER_HEADER_SIZE + FMT_SUPER_ARENA_SIZE * i;
        sb->arena_addr[i] = fmt_get64(p);
        sb->arena_hash[i] = fmt_get64(p + 8);
    }
    return super_verify_fields(sb, block_size, device_block_count);
}

const char *
fmt_type_name(uint16_t type)
{
    switch (type) {
    case FMT_TYPE_DATA:  return "data";
    case FMT_TYPE_PIVOT: return "pivot";
    case FMT_TYPE_LEAF:  return "leaf";
    case FMT_TYPE_LOG:   return "log";
    case FMT_TYPE_DLIST: return "deadlist";
    case FMT_TYPE_ARENA: return "arena";
    case FMT_TYPE_SUPER: return "super";
    default:             return "type?";
    }
}

void
fmt_dirent_pack(uint8_t *p, const struct fmt_dirent *d)
{
    ASSERT(p != NULL);
    ASSERT(d->qid != 0);
    fmt_put64(p, d->flag);
    fmt_put64(p + 8, d->qid);
    fmt_put32(p + 16, d->version);
    p[20] = d->qtype;
    fmt_put32(p + 21, d->mode);
    fmt_put64(p + 25, d->atime_ns);
    fmt_put64(p + 33, d->mtime_ns);
    fmt_put64(p + 41, d->length);
    fmt_put32(p + 49, (uint32_t)d->uid);
    fmt_put32(p + 53, (uint32_t)d->gid);
    fmt_put32(p + 57, (uint32_t)d->muid);
}

void
fmt_dirent_unpack(const uint8_t *p, struct fmt_dirent *d)
{
    ASSERT(p != NULL);
    d->flag = fmt_get64(p);
    d->qid = fmt_get64(p + 8);
    d->version = fmt_get32(p + 16);
    d->qtype = p[20];
    d->mode = fmt_get32(p + 21);
    d->atime_ns = fmt_get64(p + 25);
    d->mtime_ns = fmt_get64(p + 33);
    d->length = fmt_get64(p + 41);
    d->uid = (int32_t)fmt_get32(p + 49);
    d->gid = (int32_t)fmt_get32(p + 53);
    d->muid = (int32_t)fmt_get32(p + 57);
}

void
fmt_tree_pack(uint8_t *p, const struct fmt_tree *t)
{
    ASSERT(p != NULL);
    ASSERT(t->height >= 1);
    fmt_put32(p, t->nref);
    fmt_put32(p + 4, t->nlbl);
    fmt_put32(p + 8, t->height);
    fmt_put32(p + 12, t->flag);
    fmt_put64(p + 16, t->gen);
    fmt_put64(p + 24, t->pred);
    fmt_put64(p + 32, t->succ);
    fmt_put64(p + 40, t->base);
    fmt_bptr_pack(p + 48, t->root);
}

void
fmt_tree_unpack(const uint8_t *p, struct fmt_tree *t)
{
    ASSERT(p != NULL);
    t->nref = fmt_get32(p);
    t->nlbl = fmt_get32(p + 4);
    t->height = fmt_get32(p + 8);
    t->flag = fmt_get32(p + 12);
    t->gen = fmt_get64(p + 16);
    t->pred = fmt_get64(p + 24);
    t->succ = fmt_get64(p + 32);
    t->base = fmt_get64(p + 40);
    t->root = fmt_bptr_unpack(p + 48);
}

const char *
fmt_name_check(const uint8_t *name, size_t n)
{
    ASSERT(name != NULL || n == 0);
    if (n == 0) {
        return "an empty name";
    }
    /* The bytes a name may not hold, as a bitmap: 0x00-0x1f, '/' (0x2f),
     * 0x7f. Looked up without a branch per byte: every lookup and every
     * listing runs this over every name. */
    static const uint64_t bad[4] = { 0x00008000ffffffffull, 0x8000000000000000ull, 0, 0 };
    uint64_t hit = 0;
    for (size_t i = 0; i < n; i++) {
        hit |= bad[name[i] >> 6] >> (name[i] & 63);
    }
    if (hit & 1) {
        return "a name holding a control character or '/'";
    }
    if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.')) {
        return "a name that is . or ..";
    }
    return NULL;
}

const char *
fmt_kent_check(const uint8_t *k, uint16_t nk)
{
    ASSERT(k != NULL);
    if (nk < FMT_KENT_SIZE_MIN || nk > FMT_KENT_SIZE_MAX
            || fmt_get16(k + FMT_KENT_NLEN_OFFSET) != nk - FMT_KENT_SIZE_MIN || k[nk - 1] != 0) {
        return "directory entry key malformed";
    }
    bool root = fmt_get64(k + FMT_KEY_ID_OFFSET) == FMT_ADDR_NIL;
    if ((nk == FMT_KENT_SIZE_MIN) != root) {
        return root ? "root entry with a name" : "directory entry with an empty name";
    }
    return root ? NULL : fmt_name_check(k + FMT_KENT_NAME_OFFSET, nk - FMT_KENT_SIZE_MIN);
}
