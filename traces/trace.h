/*
 * traces/trace.h: workload traces — the line format of traces/FORMAT.md,
 * parsed into steps, and the deterministic data of write steps.
 *
 * A trace is a list of steps. Parsing never crashes on bad input: it stops at
 * the first error and describes it as "FILE:LINE:COL: message". Any step may
 * end with "expect=ENAME" (e.g. expect=ENOSPC): the step must then fail with
 * exactly that error; without it a step must succeed.
 *
 * Every trace file is read by one function, trace_load: a regular file of at
 * most TRACE_FILE_SIZE_MAX bytes, read whole and parsed from its real byte
 * count, so every command refuses the same files with the same messages. A
 * trace may name the image it is made for in a "# geometry:" comment line;
 * trace_geometry_parse reads that line.
 *
 * The format is traces/trace.c (the parser, the writer, the write data) and
 * traces/tracefile.c (trace_load and the geometry line), which share
 * traces/trace_impl.h; this header is all that code outside them may call.
 */
#ifndef TRACES_TRACE_H
#define TRACES_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TRACE_PATH_MAX   1024u      /* Bytes in a path, NUL included. */
#define TRACE_LINE_MAX   4096u      /* Bytes in a line. */
#define TRACE_STEPS_MAX  1000000u   /* Steps in a trace. */
#define TRACE_FILE_SIZE_MAX (16u << 20)     /* Bytes in a trace file; larger ones are refused. */
#define TRACE_GEOMETRY_SIZE_MIN (1u << 20)  /* Bytes: the smallest --size of a geometry line. */

enum trace_op {
    TRACE_MKDIR,            /* mkdir PATH */
    TRACE_CREATE,           /* create PATH */
    TRACE_WRITE,            /* write PATH OFFSET LENGTH seed=N */
    TRACE_TRUNCATE,         /* truncate PATH LENGTH */
    TRACE_RM,               /* rm PATH */
    TRACE_MV,               /* mv PATH NEWPATH */
    TRACE_SYNC,             /* sync */
    TRACE_SNAP_LABEL,       /* snap label FROM NEW */
    TRACE_SNAP_FORK,        /* snap fork FROM NEW */
    TRACE_SNAP_DELETE,      /* snap delete NAME */
    TRACE_TICK,             /* tick NANOSECONDS */
    TRACE_MOUNT,            /* mount NAME */
    TRACE_OP_COUNT
};

struct trace_step {
    enum trace_op op;               /* What to do. */
    uint32_t line;                  /* 1-based line in the source. */
    uint32_t column;                /* 1-based column of the op word in that line. */
    int expect;                     /* FS_E* the step must return; 0: success. */
    uint64_t offset;                /* write: byte offset. */
    uint64_t length;                /* write, truncate: bytes. */
    uint64_t seed;                  /* write: data seed. */
    uint64_t ns;                    /* tick: nanoseconds to advance. */
    char path[TRACE_PATH_MAX];      /* PATH; FROM (snap label/fork); NAME (snap delete, mount). */
    char path2[TRACE_PATH_MAX];     /* NEWPATH (mv); NEW (snap label/fork). */
};

struct trace {
    struct trace_step *steps;       /* Owned; trace_free releases them. */
    uint32_t count;                 /* Steps. */
    char name[256];                 /* File name used in error messages. */
};

/* The image a trace is made for: its "# geometry: --size S --block-size B
 * --arenas N" line (traces/FORMAT.md). Each option is optional; a field not
 * given is 0, so a caller takes each given one unless its own option says
 * otherwise. */
struct trace_geometry {
    uint32_t line;                  /* 1-based line of "# geometry:"; 0: the trace has none. */
    bool device_size_given;         /* --size was on the line. */
    bool block_size_given;          /* --block-size was on the line. */
    bool arena_count_given;         /* --arenas was on the line. */
    uint64_t device_size;           /* --size: bytes, >= TRACE_GEOMETRY_SIZE_MIN, whole blocks. */
    uint32_t block_size;            /* --block-size: bytes, fmt_block_size_valid. */
    uint32_t arena_count;           /* --arenas: 1..FMT_ARENA_COUNT_MAX. */
};

/* Parses text (NUL-terminated) named name. On error returns -1 and writes
 * "NAME:LINE:COL: message" to err; *out is then empty. */
int trace_parse_text(const char *name, const char *text, struct trace *out, char *err,
        size_t err_size);
/* Reads the trace file path and parses it: the one reader of trace files.
 * Refused, as "PATH:1:1: message", before anything is parsed: a file that
 * cannot be opened, one that is not a regular file (a directory, a FIFO, a
 * device, a socket), one larger than TRACE_FILE_SIZE_MAX bytes (also one
 * that grows past it while being read), a read error. The bytes read are
 * parsed with trace_parse_buf, so a NUL byte is an error like any control
 * character. On success, if text is not NULL, *text is the file's bytes
 * NUL-terminated (they hold no other NUL); the caller frees it. Returns 0,
 * or -1 with the message in err, *out empty and *text NULL. */
int trace_load(const char *path, struct trace *out, char **text, char *err, size_t err_size);
/* trace_load(path, out, NULL, err, err_size). */
int trace_parse_file(const char *path, struct trace *out, char *err, size_t err_size);
/* Parses size bytes (NUL bytes included: they are errors, not terminators)
 * and allows at most steps_max steps (<= TRACE_STEPS_MAX). The two functions
 * above are this one with strlen(text) and TRACE_STEPS_MAX. */
int trace_parse_buf(const char *name, const char *text, size_t size, uint32_t steps_max,
        struct trace *out, char *err, size_t err_size);
void trace_free(struct trace *t);

/* Finds the "# geometry:" line of size bytes of text named name and parses
 * it into *out. No such line is not an error (out->line is 0, nothing is
 * given). Returns 0, or -1 with "NAME:LINE:COL: message" in err and *out
 * zero: an unknown option, a missing or bad value, a repeated option, a
 * second geometry line, a control character or an overlong line in it. */
int trace_geometry_parse(const char *name, const char *text, size_t size,
        struct trace_geometry *out, char *err, size_t err_size);

/* Parses a number as the trace format writes one (decimal, optionally with a
 * K, M or G binary suffix: "65536", "64K"); false on anything else or
 * overflow. Regression-case headers use it too. */
bool trace_number_parse(const char *s, uint64_t *out);

/* True if two steps say the same thing: every field but line and column. */
bool trace_step_same(const struct trace_step *a, const struct trace_step *b);

/* The bytes of a write step: byte i of the write is a function of (seed, i)
 * only, so any slice can be regenerated. */
void trace_fill(uint64_t seed, uint64_t index, uint8_t *buf, size_t len);

/* The op's keyword ("write", "snap label", ...). */
const char *trace_op_name(enum trace_op op);
/* Formats a step as one line of the format (no newline); TRACE_LINE_MAX bytes
 * always suffice. The step must be representable (a bug otherwise): paths
 * absolute, no whitespace, '#' or control characters in paths and names. */
void trace_step_format(const struct trace_step *s, char *buf, size_t size);
/* Writes a whole trace in the format; returns 0 or -1 on I/O error. */
int trace_write(FILE *out, const struct trace *t, const char *header_comment);

#endif /* TRACES_TRACE_H */
