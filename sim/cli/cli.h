/*
 * sim/cli/cli.h: what the crashsim subcommands share: argument parsing helpers,
 * exit codes, and opening image files.
 *
 * Exit codes: every command but check exits 0 on success, 1 when it found
 * violations, 2 on a usage or operational error. check follows fsck: 0 clean,
 * 1 leaks only, 4 corruption, 8 operational error, 16 usage.
 */
#ifndef SIM_CLI_CLI_H
#define SIM_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../../fs/bdev.h"

#define EXIT_OK         0
#define EXIT_VIOLATIONS 1
#define EXIT_USAGE      2

#define CRASHSIM_VERSION "0.1.0"

struct cli_command {
    const char *name;                       /* Subcommand word. */
    const char *summary;                    /* One line for the command list. */
    int (*run)(int argc, char **argv);      /* argv[0] is the subcommand. */
};

extern const struct cli_command cli_commands[];

/* The subcommands, each in the file named after its group. */
int cmd_explore(int argc, char **argv);      /* cmd_explore.c: explore, replay */
int cmd_replay(int argc, char **argv);
int cmd_probes(int argc, char **argv);       /* cmd_probes.c */
int cmd_merge(int argc, char **argv);        /* cmd_cluster.c: merge, jobs, slurm */
int cmd_jobs(int argc, char **argv);
int cmd_slurm(int argc, char **argv);
int cmd_matrix(int argc, char **argv);       /* cmd_matrix.c */
int cmd_regress(int argc, char **argv);      /* cmd_regress.c: regress, pin */
int cmd_pin(int argc, char **argv);
int cmd_minimize(int argc, char **argv);     /* cmd_regress.c, sim/campaign/minimize.c */
int cmd_report(int argc, char **argv);       /* cmd_analysis.c: report, compare */
int cmd_compare(int argc, char **argv);
int cmd_wlog(int argc, char **argv);         /* cmd_wlog.c: wlog export, wlog import */
int cmd_mkfs(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_run(int argc, char **argv);          /* cmd_run.c */
int cmd_gen(int argc, char **argv);          /* cmd_gen.c: gen random, gen ace */
int cmd_ls(int argc, char **argv);           /* cmd_inspect.c: ls, cat, stat, snapshots, tree */
int cmd_cat(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_snapshots(int argc, char **argv);
int cmd_tree(int argc, char **argv);

/* Parses "8M", "16K", "4096", "1G" (binary units). false on junk or overflow. */
bool cli_parse_size(const char *s, uint64_t *out);
/* Parses a decimal u64; false on junk or overflow. */
bool cli_parse_u64(const char *s, uint64_t *out);

/* Parses the options of a command that reads one run of a result database:
 * -d/--db FILE (default results.db), -n/--run N (default 0: the latest),
 * -o/--out FILE when out is not NULL (*out keeps its default otherwise),
 * -m/--mount LABEL when mount is not NULL (likewise), -h/--help (help on
 * stdout). Returns -1 to go on (operands from optind), else the exit status:
 * EXIT_OK after --help, EXIT_USAGE (help on stderr). */
int cli_db_run_options(int argc, char **argv, const char *help, const char **db,
        uint64_t *run, const char **out, const char **mount);

/* Prints "crashsim CMD: message" on stderr. */
void cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Opens an image file, probing its block size. On failure prints why and
 * returns the fs error. */
int cli_open_image(const char *cmd, const char *path, bool writable, struct bdev *out);

/* Creates the image file at path (mkfs and run --mkfs): validates the whole
 * geometry first (size a whole number of blocks and at least 1 MiB, block
 * size, arena count, the device limits of fs/format.h); then formats a
 * temporary file PATH.tmp-XXXXXX beside the target (its space reserved),
 * flushes it and renames it over the target, then syncs the directory. A
 * symbolic link is followed: the file it names is replaced. On any failure it
 * prints why, removes the temporary file and leaves an existing image as it
 * was. arenas 0 picks the default count. Returns 0, or EXIT_USAGE (usage and
 * operational errors alike). If out is not NULL it receives the new image,
 * open read-write under its final name; else the image is closed. */
int cli_mkfs_image(const char *cmd, const char *path, uint64_t size, uint32_t block_size,
        uint32_t arenas, struct bdev *out);

#endif /* SIM_CLI_CLI_H */
