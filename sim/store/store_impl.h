/*
 * sim/store/store_impl.h: what the store's own files share (store.c, merge.c)
 * and nothing else includes: the connection and the few helpers every write
 * goes through. Every transaction still ends in store_commit, the one place a
 * write becomes durable (and where the CRASHSIM_STORE_EXIT_AT hook fires).
 */
#ifndef SIM_STORE_STORE_IMPL_H
#define SIM_STORE_STORE_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include <sqlite3.h>

enum stmt_id {
    ST_STATE,
    ST_RESULT,
    ST_WLOG,
    ST_COUNT
};

struct store {
    sqlite3 *db;                    /* The connection. */
    sqlite3_stmt *st[ST_COUNT];     /* Prepared statements (NULL when read-only). */
    bool read_only;                 /* Opened with store_open_read. */
    uint32_t pending;               /* Rows in the open batch transaction. */
    uint64_t begun_ns;              /* When it began. */
    char text[8][512];              /* Strings returned by store_run_get. */
};

/* Runs sql (any number of statements); -1 with the message on stderr. */
int store_exec(struct store *s, const char *sql);
/* Ends the open transaction. */
int store_commit(struct store *s);
/* One integer from a query with no parameters; -1 when it fails. */
int64_t store_query_int(struct store *s, const char *sql);
/* Whether table of database db ("main", or an attached database's name)
 * has column: an older database lacks what later versions added. */
bool store_has_column(struct store *s, const char *db, const char *table,
        const char *column);
/* v as 16 lower-case hex digits and a NUL. */
void store_hex64(char *buf, uint64_t v);

#endif /* SIM_STORE_STORE_IMPL_H */
