/*
 * tests/fuzz/replay.c: the plain main of a fuzz target (fuzz.h). Runs each
 * input file once through LLVMFuzzerTestOneInput, the same function
 * libFuzzer calls, so a finding reproduces without the fuzzer.
 *
 *   replay-TARGET [--dict | --max-len] [-v] FILE|DIR...
 *
 * A directory stands for its regular files, in name order. At the end it
 * prints how far the inputs got (fuzz.h, FUZZ_STAGES). Exit status: 0
 * when every input ran; 2 on a usage error or an input that cannot be read;
 * a finding aborts (SIGABRT, or the sanitizer's exit status).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* libFuzzer's byte mutator, which a custom mutator may call; a replay
 * never mutates, so this one is never called. */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t
LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size)
{
    (void)data;
    (void)max_size;
    return size;
}

static bool verbose;
static unsigned long ran;

static void
usage(FILE *out, const char *prog)
{
    fprintf(out,
        "usage: %s [--dict | --max-len] [-v] FILE|DIR...\n"
        "\n"
        "Runs each input FILE (each regular file of DIR, in name order) once\n"
        "through the fuzz target, as libFuzzer would, and prints how many ran\n"
        "and how far they got.\n"
        "A finding aborts with the target's report.\n"
        "\n"
        "  --dict      write the target's dictionary (libFuzzer -dict= format)\n"
        "  --max-len   print the target's input size bound (libFuzzer -max_len=)\n"
        "  -v          name each input before it runs\n"
        "  -h, --help  this text\n"
        "\n"
        "Exit status: 0 every input ran, 2 usage error or unreadable input;\n"
        "a finding aborts (SIGABRT or the sanitizer's status).\n", prog);
}

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (buf == NULL) {
            fprintf(stderr, "replay: %s: out of memory\n", path);
            fclose(f);
            return -1;
        }
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) {
            break;
        }
        cap *= 2;
        uint8_t *grown = realloc(buf, cap);
        if (grown == NULL) {
            free(buf);
        }
        buf = grown;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad) {
        fprintf(stderr, "replay: %s: read error\n", path);
        free(buf);
        return -1;
    }
    if (verbose) {
        fprintf(stderr, "replay: %s (%zu bytes)\n", path, n);
    }
    /* An exact-size copy, so a read past the input is caught as libFuzzer's is. */
    uint8_t *input = malloc(n > 0 ? n : 1);
    if (input == NULL) {
        free(buf);
        fprintf(stderr, "replay: %s: out of memory\n", path);
        return -1;
    }
    memcpy(input, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(input, n);
    free(input);
    ran++;
    return 0;
}

static int
name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return run_file(path);
    }
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') {
            continue;
        }
        if (count == cap) {
            cap = cap != 0 ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof(*names));
            if (grown == NULL) {
                rc = -1;
                break;
            }
            names = grown;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[count] = malloc(len);
        if (names[count] == NULL) {
            rc = -1;
            break;
        }
        snprintf(names[count++], len, "%s/%s", path, e->d_name);
    }
    closedir(d);
    if (rc != 0) {
        fprintf(stderr, "replay: %s: out of memory\n", path);
    }
    if (count > 1) {
        qsort(names, count, sizeof(*names), name_cmp);     /* Never NULL: an empty directory. */
    }
    for (size_t i = 0; i < count; i++) {
        struct stat fst;
        if (rc == 0 && stat(names[i], &fst) == 0 && S_ISREG(fst.st_mode)) {
            rc = run_file(names[i]);
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int
main(int argc, char **argv)
{
    const char *prog = strrchr(argv[0], '/') != NULL ? strrchr(argv[0], '/') + 1 : argv[0];
    int first = 1;
    bool dict = false;
    for (; first < argc && argv[first][0] == '-'; first++) {
        if (strcmp(argv[first], "--dict") == 0) {
            dict = true;
        } else if (strcmp(argv[first], "--max-len") == 0) {
            printf("%zu\n", fuzz_max_len());
            return 0;
        } else if (strcmp(argv[first], "-v") == 0) {
            verbose = true;
        } else if (strcmp(argv[first], "-h") == 0 || strcmp(argv[first], "--help") == 0) {
            usage(stdout, prog);
            return 0;
        } else if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        } else {
            fprintf(stderr, "%s: unknown option '%s'\n", prog, argv[first]);
            usage(stderr, prog);
            return 2;
        }
    }
    if (dict) {
        if (first != argc) {
            usage(stderr, prog);
            return 2;
        }
        fuzz_dict(stdout);
        return fflush(stdout) == 0 ? 0 : 2;
    }
    if (first == argc) {
        usage(stderr, prog);
        return 2;
    }
    LLVMFuzzerInitialize(&argc, &argv);
    for (int i = first; i < argc; i++) {
        if (run_path(argv[i]) != 0) {
            return 2;
        }
    }
    printf("%s: %lu inputs ran, no finding\n", prog, ran);
    for (uint32_t s = 0; s < FUZZ_STAGE_COUNT; s++) {
        if (fuzz_stage_count[s] != 0) {
            printf("  %lu %s\n", fuzz_stage_count[s], fuzz_stage_text((enum fuzz_stage)s));
        }
    }
    return 0;
}
