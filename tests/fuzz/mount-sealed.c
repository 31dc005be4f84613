/*
 * tests/fuzz/mount-sealed.c: fuzz target "mount-sealed" — mount, recovery,
 * fs_check and the file calls on a real image changed by structured edits
 * that every hash above them vouches for.
 *
 * Input:
 *     image_size[4]              little-endian: bytes of the image that follows
 *     image[image_size]          an image input (image.h): a real image
 *     edit[16] ...               at most EDITS_MAX edits, applied in order:
 *         block[2] field[2] op[1] pad[3] value[8]     (little-endian)
 * An edit picks the metadata block (forge_is_meta) numbered block modulo
 * the image's metadata blocks in block order, its field (forge_fields)
 * numbered field modulo the block's fields, and sets it to value (op 0),
 * adds value (op 1) or xors value (op 2, or any other op) into it, as a
 * big-endian number of the field's width. The block is then resealed, and
 * every block that holds its hash, up to the superblocks (damage_reseal,
 * the code `--faults forge` uses), so the edit gets past every checksum
 * and only the checks behind them can refuse it.
 *
 * The custom mutator keeps inputs in this shape: it leaves the image alone
 * and adds, removes or changes edits, choosing values that matter to a
 * file system (0, 1, all ones, powers of two, block addresses, sizes); the
 * custom crossover joins one input's image and edits to another's edits.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "image.h"
#include "../../faultinject/damage.h"
#include "../../faultinject/forge.h"
#include "../../fs/format.h"
#include "../../traces/prng.h"

#define EDIT_SIZE FUZZ_EDIT_SIZE
#define EDITS_MAX FUZZ_EDITS_MAX
#define FIELDS_MAX 4096u

enum { EDIT_SET, EDIT_ADD, EDIT_XOR, EDIT_OPS };

struct edit {
    uint16_t block;
    uint16_t field;
    uint8_t op;
    uint64_t value;
};

static struct fuzz_dev dev;
static uint64_t meta[FUZZ_BLOCK_COUNT];
static uint64_t meta_count;
static struct forge_field fields[FIELDS_MAX];
static uint8_t *damage_buf;

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);
size_t LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
        size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed);

static uint64_t
le_get(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void
le_put(uint8_t *p, uint64_t v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* Where the image and the edits lie in an input. */
static void
split(const uint8_t *data, size_t size, size_t *image_size, size_t *edits_at)
{
    if (size < 4) {
        *image_size = 0;
        *edits_at = size;
        return;
    }
    uint64_t n = le_get(data, 4);
    *image_size = n < size - 4 ? (size_t)n : size - 4;
    *edits_at = 4 + *image_size;
}

static struct edit
edit_get(const uint8_t *p)
{
    return (struct edit){ (uint16_t)le_get(p, 2), (uint16_t)le_get(p + 2, 2), p[4],
        le_get(p + 8, 8) };
}

static void
edit_put(uint8_t *p, struct edit e)
{
    memset(p, 0, EDIT_SIZE);
    le_put(p, e.block, 2);
    le_put(p + 2, e.field, 2);
    p[4] = e.op;
    le_put(p + 8, e.value, 8);
}

/* ---- The image as damage.h sees it. ---- */

static const uint8_t *
img_read(void *context, uint64_t block)
{
    return fuzz_dev_block(context, block);
}

static uint32_t
img_writer(void *context, uint64_t block)
{
    (void)context;
    (void)block;
    return CRASH_NONE;
}

static bool
img_changed(void *context, uint64_t block)
{
    (void)context;
    (void)block;
    return false;               /* Every block may be resealed, edited ones too. */
}

/* The metadata blocks, found anew: an edit may make one or unmake it. */
static uint64_t
img_meta(void *context, const uint64_t **blocks)
{
    struct fuzz_dev *d = context;
    meta_count = 0;
    for (uint32_t b = 0; b < FUZZ_BLOCK_COUNT; b++) {
        if ((d->dirty[b / 8] & (1u << (b % 8))) != 0
                && forge_is_meta(fuzz_dev_block(d, b), FUZZ_BLOCK_SIZE)) {
            meta[meta_count++] = b;
        }
    }
    *blocks = meta;
    return meta_count;
}

static const struct damage_image image = { &dev, FUZZ_BLOCK_SIZE, FUZZ_BLOCK_COUNT, img_read,
    img_writer, img_changed, img_meta };

static void
apply(struct edit e)
{
    const uint64_t *blocks;
    uint64_t n = img_meta(&dev, &blocks);
    if (n == 0) {
        return;
    }
    uint64_t b = blocks[e.block % n];
    static uint8_t bytes[FUZZ_BLOCK_SIZE];
    memcpy(bytes, fuzz_dev_block(&dev, b), FUZZ_BLOCK_SIZE);
    uint32_t nf = forge_fields(bytes, FUZZ_BLOCK_SIZE, fields, FIELDS_MAX);
    if (nf == 0) {
        return;
    }
    struct forge_field f = fields[e.field % FS_MIN(nf, FIELDS_MAX)];
    uint64_t v = 0;
    for (uint32_t i = 0; i < f.width; i++) {
        v = v << 8 | bytes[f.off + i];
    }
    v = e.op == EDIT_SET ? e.value : e.op == EDIT_ADD ? v + e.value : v ^ e.value;
    for (uint32_t i = 0; i < f.width; i++) {
        bytes[f.off + i] = (uint8_t)(v >> (8 * (f.width - 1 - i)));
    }
    struct damage out = { .buf = damage_buf };
    damage_reseal(&image, b, bytes, &out);
    for (uint32_t i = 0; i < out.count; i++) {
        uint8_t *to = fuzz_dev_block(&dev, out.block[i]);
        if (out.bytes[i] != to) {
            memcpy(to, out.bytes[i], FUZZ_BLOCK_SIZE);
        }
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_dev_init(&dev);
    damage_buf = malloc((size_t)DAMAGE_BLOCKS_MAX * FUZZ_BLOCK_SIZE);
    FUZZ_REQUIRE(damage_buf != NULL, "out of memory");
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t image_size, at;
    split(data, size, &image_size, &at);
    fuzz_dev_load(&dev, data + 4 * (size >= 4), image_size);
    for (uint32_t i = 0; i < EDITS_MAX && at + EDIT_SIZE <= size; i++, at += EDIT_SIZE) {
        apply(edit_get(data + at));
    }
    fuzz_exercise(&dev.bdev);
    return 0;
}

/* ---- The custom mutator. ---- */

/* A value an edit sets, adds or xors: one that matters to a file system. */
static uint64_t
pick_value(uint64_t *x, uint8_t op)
{
    uint64_t r = prng_splitmix64(x);
    uint32_t k = (uint32_t)(r >> 32);
    switch (r % 10) {
    case 0:
        return 0;
    case 1:
        return op == EDIT_SET ? 1 : (k & 1 ? 1 : UINT64_MAX);      /* +1, -1 */
    case 2:
        return UINT64_MAX >> (k % 64);                              /* All ones, shifted. */
    case 3:
        return 1ull << (k % 64);
    case 4:
        return (uint64_t)(k % FUZZ_BLOCK_COUNT) * FUZZ_BLOCK_SIZE;  /* A block's address. */
    case 5:
        return k % FUZZ_BLOCK_COUNT;
    case 6:
        return (uint64_t)(int64_t)(int32_t)(k % 64 - 32);            /* A small delta. */
    case 7:
        return FUZZ_BLOCK_SIZE - (k % 64);                          /* Near a block's end. */
    case 8:
        return k % 1024;
    default:
        return prng_splitmix64(x);
    }
}

static struct edit
new_edit(uint64_t *x)
{
    uint64_t r = prng_splitmix64(x);
    struct edit e = { (uint16_t)r, (uint16_t)(r >> 16), (uint8_t)((r >> 32) % EDIT_OPS), 0 };
    e.value = pick_value(x, e.op);
    return e;
}

size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
    uint64_t x = seed;
    size_t image_size, at;
    split(data, size, &image_size, &at);
    size_t count = (size - at) / EDIT_SIZE;
    if (count > EDITS_MAX) {
        count = EDITS_MAX;
    }
    size = at + count * EDIT_SIZE;              /* A partial edit goes. */
    uint64_t r = prng_splitmix64(&x);
    uint32_t what = (uint32_t)(r % 10);
    if (count == 0 || (what < 4 && count < EDITS_MAX)) {
        if (size + EDIT_SIZE > max_size) {
            return size;
        }
        size_t i = count != 0 ? (size_t)(r >> 8) % (count + 1) : 0;    /* Where it goes. */
        uint8_t *p = data + at + i * EDIT_SIZE;
        memmove(p + EDIT_SIZE, p, (count - i) * EDIT_SIZE);
        edit_put(p, new_edit(&x));
        return size + EDIT_SIZE;
    }
    size_t i = (size_t)(r >> 8) % count;
    uint8_t *p = data + at + i * EDIT_SIZE;
    struct edit e = edit_get(p);
    switch (what) {
    case 4:
    case 5:
        e.value = pick_value(&x, e.op);
        break;
    case 6:
        e.field = (uint16_t)prng_splitmix64(&x);
        break;
    case 7:
        e.block = (uint16_t)prng_splitmix64(&x);
        break;
    case 8:
        memmove(p, p + EDIT_SIZE, (count - i - 1) * EDIT_SIZE);
        return size - EDIT_SIZE;
    default:                                    /* libFuzzer's own byte mutations. */
        LLVMFuzzerMutate(p, EDIT_SIZE, EDIT_SIZE);
        return size;
    }
    edit_put(p, e);
    return size;
}

size_t
fuzz_max_len(void)
{
    return FUZZ_IMAGE_INPUT_MAX;
}

/* Crossing two inputs keeps the shape too: the first one's image, some of
 * its edits, then some of the second's (libFuzzer's byte crossover would
 * cut images apart). */
size_t
LLVMFuzzerCustomCrossOver(const uint8_t *data1, size_t size1, const uint8_t *data2,
        size_t size2, uint8_t *out, size_t max_out_size, unsigned int seed)
{
    uint64_t x = seed;
    size_t image1, at1, image2, at2;
    split(data1, size1, &image1, &at1);
    split(data2, size2, &image2, &at2);
    if (at1 > max_out_size) {
        return 0;
    }
    size_t n1 = (size1 - at1) / EDIT_SIZE, n2 = (size2 - at2) / EDIT_SIZE;
    size_t keep1 = n1 != 0 ? (size_t)(prng_splitmix64(&x) % (n1 + 1)) : 0;
    size_t from2 = n2 != 0 ? (size_t)(prng_splitmix64(&x) % n2) : 0;
    memcpy(out, data1, at1 + keep1 * EDIT_SIZE);
    size_t size = at1 + keep1 * EDIT_SIZE;
    for (size_t i = from2; i < n2 && keep1 + (i - from2) < EDITS_MAX
            && size + EDIT_SIZE <= max_out_size; i++) {
        memcpy(out + size, data2 + at2 + i * EDIT_SIZE, EDIT_SIZE);
        size += EDIT_SIZE;
    }
    return size;
}

void
fuzz_dict(FILE *out)
{
    fuzz_dict_format(out);
}
