/*
 * sim/cli/cmd_analysis.c: crashsim report and crashsim compare — the Python
 * scripts of analysis/ (matplotlib, Debian's python3 at /usr/bin/python3),
 * found next to the checkout the binary was built in. C never parses what
 * they print: the commands hand over the arguments and pass on the status.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define PYTHON "/usr/bin/python3"

/* The path of analysis/SCRIPT: beside the build directory of this binary,
 * else relative to the working directory. */
static void
script_path(const char *script, char *out, size_t size)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(out, size, "%s/../analysis/%s", exe, script);
            if (access(out, R_OK) == 0) {
                return;
            }
        }
    }
    snprintf(out, size, "analysis/%s", script);
}

static int
run_script(const char *cmd, const char *script, int argc, char **argv)
{
    char path[PATH_MAX + 64];
    script_path(script, path, sizeof(path));
    if (access(PYTHON, X_OK) != 0 || access(path, R_OK) != 0) {
        cli_error(cmd, "needs %s and %s (make deps installs python3-matplotlib)", PYTHON, path);
        return EXIT_USAGE;
    }
    char **args = calloc((size_t)argc + 3, sizeof(char *));
    if (args == NULL) {
        return EXIT_USAGE;
    }
    args[0] = (char *)PYTHON;
    args[1] = path;
    for (int i = 1; i < argc; i++) {
        args[i + 1] = argv[i];
    }
    fflush(NULL);
    execv(PYTHON, args);
    cli_error(cmd, "cannot run %s", PYTHON);
    free(args);
    return EXIT_USAGE;
}

int
cmd_report(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: crashsim report [--db results.db] [-o report/] [--runs-max N]\n\n"
            "Writes a self-contained HTML report of the campaigns in the database, with\n"
            "matplotlib plots: summary, outcomes along the write log, survival matrix,\n"
            "failure taxonomy with replay commands, throughput, leaks, probe coverage.\n"
            "It runs analysis/report.py with /usr/bin/python3 (see analysis/README.md).\n\n"
            "Exit status: 0 written, 2 usage or operational error.\n");
        return EXIT_OK;
    }
    return run_script("report", "report.py", argc, argv);
}

int
cmd_compare(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        printf("usage: crashsim compare A.db B.db [--run-a N] [--run-b N]\n\n"
            "Shows two runs side by side (default: the latest of each): configuration,\n"
            "outcome counts, states whose outcome flipped, new and vanished violation\n"
            "classes, throughput change. It runs analysis/compare.py.\n\n"
            "Exit status: 0 no new violations in B, 1 B has violations A had not,\n"
            "2 usage or operational error.\n");
        return EXIT_OK;
    }
    return run_script("compare", "compare.py", argc, argv);
}
