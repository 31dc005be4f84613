/*
 * sim/campaign/coverage.c: --coverage-out (see coverage.h).
 */
#define _XOPEN_SOURCE 700                   /* nftw */
#include "coverage.h"

#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../fs/base.h"
#include "../check/gcov.h"

#define NFTW_FDS_MAX 16             /* Directories nftw may hold open at once. */

/* The build directory of this binary (build-cov/ for a COV=1 build). */
static int
build_dir(char *buf, size_t size)
{
    ASSERT(size > 1);
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n <= 0) {
        return -1;
    }
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL) {
        return -1;
    }
    *slash = '\0';
    return 0;
}

static int
gcda_unlink(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    size_t n = strlen(path);
    if (type == FTW_F && n > 5 && strcmp(path + n - 5, ".gcda") == 0 && unlink(path) != 0) {
        return -1;
    }
    return 0;
}

/* mkdir -p: each missing component of path, in turn. */
static int
mkdir_parents(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0') {
            continue;
        }
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            return -1;
        }
        buf[i] = c;
    }
    return 0;
}

int
coverage_begin(const char *out_dir)
{
    char dir[PATH_MAX];
    if (!cov_enabled() || build_dir(dir, sizeof(dir)) != 0) {
        fprintf(stderr, "crashsim explore: --coverage-out needs a gcov build (make COV=1)\n");
        return -1;
    }
    if (nftw(dir, gcda_unlink, NFTW_FDS_MAX, FTW_PHYS) != 0 || mkdir_parents(out_dir) != 0) {
        fprintf(stderr, "crashsim explore: --coverage-out: cannot prepare %s: %s\n", out_dir,
                strerror(errno));
        return -1;
    }
    cov_reset();
    return 0;
}

/* Runs argv (argv[0] looked up on PATH) with stdout on /dev/null; its status. */
static int
run_quietly(char *const argv[])
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        if (freopen("/dev/null", "w", stdout) == NULL) {
            _exit(127);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int
coverage_end(const char *out_dir, int64_t run_id)
{
    char dir[PATH_MAX], up[PATH_MAX + 4], root[PATH_MAX], filter[PATH_MAX + 8];
    char json[PATH_MAX + 32];
    if (build_dir(dir, sizeof(dir)) != 0) {
        return -1;
    }
    snprintf(up, sizeof(up), "%s/..", dir);
    if (realpath(up, root) == NULL) {
        return -1;
    }
    cov_dump();                     /* The workers dumped theirs when they exited. */
    snprintf(filter, sizeof(filter), "%s/fs/", root);
    snprintf(json, sizeof(json), "%s/run-%" PRId64 ".json", out_dir, run_id);
    char *argv[] = { "gcovr", "--root", root, "--object-directory", dir, "--filter", filter,
        "--json", json, NULL };
    int rc = run_quietly(argv);
    if (rc != 0) {
        fprintf(stderr, "crashsim explore: gcovr failed (%s; make deps installs it)\n",
                rc == 127 ? "not found" : "exit status not 0");
        return -1;
    }
    printf("coverage: %s\n", json);
    return 0;
}
