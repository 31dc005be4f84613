/*
 * sim/cli/cli.c: helpers shared by the subcommands (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int
cli_db_run_options(int argc, char **argv, const char *help, const char **db, uint64_t *run,
        const char **out, const char **mount)
{
    static const struct option opts[] = {
        { "db", required_argument, NULL, 'd' }, { "run", required_argument, NULL, 'n' },
        { "out", required_argument, NULL, 'o' }, { "mount", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    *db = "results.db";
    *run = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "d:n:o:m:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return EXIT_OK;
        }
        if (c == 'd') {
            *db = optarg;
        } else if (c == 'o' && out != NULL) {
            *out = optarg;
        } else if (c == 'm' && mount != NULL) {
            *mount = optarg;
        } else if (c != 'n' || !cli_parse_u64(optarg, run)) {
            fputs(help, stderr);
            return EXIT_USAGE;
        }
    }
    return -1;
}

bool
cli_parse_u64(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

bool
cli_parse_size(const char *s, uint64_t *out)
{
    if (s == NULL || *s < '0' || *s > '9') {
        return false;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0) {
        return false;
    }
    unsigned shift = 0;
    switch (*end) {
    case '\0':             break;
    case 'k': case 'K':    shift = 10; end++; break;
    case 'm': case 'M':    shift = 20; end++; break;
    case 'g': case 'G':    shift = 30; end++; break;
    default:               return false;
    }
    if (*end == 'i' && shift != 0) {
        end++;
    }
    if ((*end == 'B' || *end == 'b') && shift != 0) {
        end++;
    }
    if (*end != '\0' || (shift != 0 && v > (UINT64_MAX >> shift))) {
        return false;
    }
    *out = (uint64_t)v << shift;
    return true;
}

void
cli_error(const char *cmd, const char *fmt, ...)
{
    fprintf(stderr, "crashsim %s: ", cmd);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
cli_open_image(const char *cmd, const char *path, bool writable, struct bdev *out)
{
    const char *why = NULL;
    int err = bdev_file_open(out, path, 0, writable, &why);
    if (err) {
        cli_error(cmd, "%s: %s", path, why != NULL ? why : fs_strerror(err));
    }
    return err;
}
