/*
 * tests/fuzz/mount.c: fuzz target "mount" — mount, recovery, fs_check and
 * the file calls on an image of any bytes (image.h: the input holds the
 * blocks in use; fuzz_exercise: what is done and checked).
 *
 * Most mutations break a block's hash and are refused where it is read;
 * that refusal, and every path to it, is what this target covers. The
 * mount-sealed target gets past the hashes.
 */
#include "fuzz.h"
#include "image.h"

static struct fuzz_dev dev;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_dev_init(&dev);
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dev_load(&dev, data, size);
    fuzz_exercise(&dev.bdev);
    return 0;
}

size_t
fuzz_max_len(void)
{
    return FUZZ_IMAGE_INPUT_MAX;
}

void
fuzz_dict(FILE *out)
{
    fuzz_dict_format(out);
}
