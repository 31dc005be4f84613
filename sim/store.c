/*
 * sim/store.c: the SQLite result store (see store.h and docs/SCHEMA.md).
 */
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "../fs/format.h"
#include "../fs/probes.h"

#define BATCH_ROWS 512u
#define BATCH_NS 250000000ull       /* A batch is committed after at most this long. */

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS workloads ("
    " workload_id INTEGER PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,"
    " text TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS runs ("
    " run_id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,"
    " git_rev TEXT, seed INTEGER NOT NULL, workload_id INTEGER REFERENCES workloads,"
    " model TEXT NOT NULL, profile TEXT NOT NULL, faults TEXT NOT NULL,"
    " block_size INTEGER NOT NULL, device_size INTEGER NOT NULL, arenas INTEGER NOT NULL,"
    " jobs INTEGER, shard TEXT, config_key TEXT NOT NULL,"
    " wlog_hash TEXT, op_count INTEGER, write_count INTEGER, flush_count INTEGER,"
    " state_count INTEGER, distinct_count INTEGER, run_violation TEXT,"
    " duration_ns INTEGER);"
    "CREATE TABLE IF NOT EXISTS wlog ("
    " run_id INTEGER NOT NULL, op_index INTEGER NOT NULL, kind TEXT NOT NULL,"
    " block INTEGER, content_hash TEXT, epoch INTEGER NOT NULL, qgen INTEGER NOT NULL,"
    " pass INTEGER, activity TEXT, block_type TEXT, mark TEXT,"
    " PRIMARY KEY (run_id, op_index)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS syncs ("
    " run_id INTEGER NOT NULL, sync_index INTEGER NOT NULL, step_index INTEGER,"
    " trace_line INTEGER, start_op INTEGER NOT NULL, end_op INTEGER NOT NULL,"
    " digest TEXT NOT NULL, PRIMARY KEY (run_id, sync_index)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS states ("
    " run_id INTEGER NOT NULL, state_id TEXT NOT NULL, cut INTEGER NOT NULL,"
    " fault_class TEXT NOT NULL, drops TEXT, torn_op INTEGER, torn_sectors INTEGER,"
    " torn_fill TEXT, signature TEXT NOT NULL, dup_of TEXT, pass INTEGER,"
    " last_write INTEGER, last_block_type TEXT,"
    " PRIMARY KEY (run_id, state_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS results ("
    " run_id INTEGER NOT NULL, state_id TEXT NOT NULL, outcome TEXT NOT NULL,"
    " violation INTEGER NOT NULL, reason TEXT, recovered_sync INTEGER,"
    " legal_lo INTEGER, legal_hi INTEGER, leaked_blocks INTEGER, corrupt_count INTEGER,"
    " duration_ns INTEGER, worker INTEGER, probes INTEGER,"
    " PRIMARY KEY (run_id, state_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS probes ("
    " bit INTEGER PRIMARY KEY, name TEXT NOT NULL);"
    "CREATE VIEW IF NOT EXISTS outcomes AS"
    " SELECT r.run_id, r.outcome, s.fault_class, count(*) AS states"
    " FROM results r JOIN states s USING (run_id, state_id) GROUP BY 1, 2, 3;"
    "CREATE VIEW IF NOT EXISTS violations AS"
    " SELECT r.run_id, r.state_id, r.outcome, r.reason, s.fault_class, s.pass, s.cut,"
    "  s.last_block_type FROM results r JOIN states s USING (run_id, state_id)"
    " WHERE r.violation;"
    "CREATE VIEW IF NOT EXISTS violations_by_pass AS"
    " SELECT run_id, coalesce(pass, 255) AS pass, outcome, count(*) AS states"
    " FROM violations GROUP BY 1, 2, 3;"
    "CREATE VIEW IF NOT EXISTS violations_by_fault_class AS"
    " SELECT run_id, fault_class, outcome, count(*) AS states FROM violations GROUP BY 1, 2, 3;";

enum stmt_id {
    ST_STATE,
    ST_RESULT,
    ST_WLOG,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    "INSERT OR REPLACE INTO states VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    "INSERT OR REPLACE INTO wlog VALUES (?,?,?,?,?,?,?,?,?,?,?)",
};

struct store {
    sqlite3 *db;                    /* The connection. */
    sqlite3_stmt *st[ST_COUNT];     /* Prepared statements. */
    uint32_t pending;               /* Rows in the open transaction. */
    uint64_t begun_ns;              /* When it began. */
    char text[8][512];              /* Strings returned by store_run_get. */
};

static int
exec(struct store *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "crashsim: sqlite: %s\n", msg != NULL ? msg : sqlite3_errstr(rc));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int
store_open(struct store **out, const char *path, char *err, size_t err_size)
{
    struct store *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (sqlite3_open(path, &s->db) != SQLITE_OK) {
        snprintf(err, err_size, "%s: %s", path, sqlite3_errmsg(s->db));
        store_close(s);
        return -1;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (exec(s, schema) != 0) {
        snprintf(err, err_size, "%s: cannot create the schema (not a crashsim database?)", path);
        store_close(s);
        return -1;
    }
    for (uint32_t i = 0; fs_probe_name(i) != NULL; i++) {
        char sql[160];
        snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO probes VALUES (%u, '%s')", i,
                fs_probe_name(i));
        if (exec(s, sql) != 0) {
            snprintf(err, err_size, "%s: cannot record the probe names", path);
            store_close(s);
            return -1;
        }
    }
    for (int i = 0; i < ST_COUNT; i++) {
        if (sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->st[i], NULL) != SQLITE_OK) {
            snprintf(err, err_size, "%s: %s", path, sqlite3_errmsg(s->db));
            store_close(s);
            return -1;
        }
    }
    *out = s;
    return 0;
}

void
store_close(struct store *s)
{
    if (s == NULL) {
        return;
    }
    store_flush(s);
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(s->st[i]);
    }
    sqlite3_close(s->db);
    free(s);
}

static void
hex64(char *buf, uint64_t v)
{
    snprintf(buf, 17, "%016" PRIx64, v);
}

static void
now_iso(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static uint64_t
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int
begin(struct store *s)
{
    if (s->pending == 0) {
        if (exec(s, "BEGIN") != 0) {
            return -1;
        }
        s->begun_ns = mono_ns();
    }
    s->pending++;
    return 0;
}

int
store_flush(struct store *s)
{
    if (s->pending == 0) {
        return 0;
    }
    s->pending = 0;
    return exec(s, "COMMIT");
}

static int
step_done(struct store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "crashsim: sqlite: %s\n", sqlite3_errmsg(s->db));
        return -1;
    }
    bool due = s->pending >= BATCH_ROWS || mono_ns() - s->begun_ns >= BATCH_NS;
    return due ? store_flush(s) : 0;      /* Bounds what a SIGKILL can lose. */
}

static int64_t
workload_id(struct store *s, const char *name, const char *text)
{
    char hash[17];
    hex64(hash, fmt_hash(text, strlen(text)));
    sqlite3_stmt *st;
    int64_t id = -1;
    if (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO workloads(name, hash, text) "
            "VALUES (?,?,?)", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
        sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (sqlite3_prepare_v2(s->db, "SELECT workload_id FROM workloads WHERE hash = ?", -1, &st,
            NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, hash, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) == SQLITE_ROW) {
            id = sqlite3_column_int64(st, 0);
        }
    }
    sqlite3_finalize(st);
    return id;
}

static void
config_key(const struct run_info *i, int64_t workload, char *buf, size_t size)
{
    snprintf(buf, size, "w%" PRId64 " %s %s %s seed=%" PRIu64 " bs=%u size=%" PRIu64
            " arenas=%u shard=%s", workload, i->model, i->profile, i->faults, i->seed,
            i->block_size, i->device_size, i->arenas, i->shard);
}

static int
run_find(struct store *s, const char *key, int64_t *run_id)
{
    sqlite3_stmt *st;
    int found = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT run_id FROM runs WHERE config_key = ? AND "
            "finished_at IS NULL ORDER BY run_id DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

int
store_run_begin(struct store *s, const struct run_info *info, bool resume, int64_t *run_id,
        bool *resumed)
{
    int64_t wid = workload_id(s, info->workload_name, info->workload_text);
    char key[512], now[32];
    config_key(info, wid, key, sizeof(key));
    *resumed = false;
    if (wid < 0) {
        return -1;
    }
    if (resume && run_find(s, key, run_id) == 1) {
        *resumed = true;
        return 0;
    }
    now_iso(now, sizeof(now));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO runs(started_at, git_rev, seed, workload_id, "
            "model, profile, faults, block_size, device_size, arenas, jobs, shard, config_key) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, info->git_rev, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)info->seed);
    sqlite3_bind_int64(st, 4, wid);
    sqlite3_bind_text(st, 5, info->model, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, info->profile, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, info->faults, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 8, info->block_size);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)info->device_size);
    sqlite3_bind_int64(st, 10, info->arenas);
    sqlite3_bind_int64(st, 11, info->jobs);
    sqlite3_bind_text(st, 12, info->shard, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 13, key, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    *run_id = sqlite3_last_insert_rowid(s->db);
    return rc == SQLITE_DONE ? 0 : -1;
}

static const char *
type_label(uint16_t type)
{
    return fmt_type_name(type);
}

int
store_run_wlog(struct store *s, int64_t run_id, const struct sim_dev *dev, uint64_t wlog_hash)
{
    static const char *kinds[] = { "write", "flush", "mark" };
    static const char *acts[] = { "", "log.grow", "log.compress", "dlist.merge" };
    sqlite3_stmt *st = s->st[ST_WLOG];
    for (uint32_t i = 0; i < dev->op_count; i++) {
        const struct sim_op *op = &dev->ops[i];
        char hash[17];
        if (begin(s) != 0) {
            return -1;
        }
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, i);
        sqlite3_bind_text(st, 3, kinds[op->kind], -1, SQLITE_STATIC);
        if (op->kind == SIM_OP_WRITE) {
            hex64(hash, dev->pool.hashes[op->content]);
            sqlite3_bind_int64(st, 4, (sqlite3_int64)op->block);
            sqlite3_bind_text(st, 5, hash, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 10, type_label(op->type), -1, SQLITE_STATIC);
        }
        sqlite3_bind_int64(st, 6, op->epoch);
        sqlite3_bind_int64(st, 7, (sqlite3_int64)op->qgen);
        if (op->pass != SIM_PASS_NONE) {
            sqlite3_bind_int64(st, 8, op->pass);
        }
        sqlite3_bind_text(st, 9, acts[op->activity], -1, SQLITE_STATIC);
        if (op->kind == SIM_OP_MARK) {
            sqlite3_bind_text(st, 11, sim_mark_names[op->mark], -1, SQLITE_STATIC);
        }
        if (step_done(s, st) != 0) {
            return -1;
        }
    }
    char hash[17], sql[256];
    hex64(hash, wlog_hash);
    snprintf(sql, sizeof(sql), "UPDATE runs SET wlog_hash='%s', op_count=%u, write_count=%u, "
            "flush_count=%u WHERE run_id=%" PRId64, hash, dev->op_count, dev->write_count,
            dev->flush_count, run_id);
    return store_flush(s) == 0 ? exec(s, sql) : -1;
}

int
store_run_sync(struct store *s, int64_t run_id, uint32_t index, uint32_t step, uint32_t line,
        uint32_t start_op, uint32_t end_op, uint64_t digest)
{
    char hash[17], sql[256];
    hex64(hash, digest);
    snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO syncs VALUES (%" PRId64 ", %u, %u, %u, "
            "%u, %u, '%s')", run_id, index, step, line, start_op, end_op, hash);
    return exec(s, sql);
}

int
store_run_end(struct store *s, int64_t run_id, uint64_t states, uint64_t distinct,
        const char *run_violation, uint64_t duration_ns)
{
    if (store_flush(s) != 0) {
        return -1;
    }
    char now[32];
    now_iso(now, sizeof(now));
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "UPDATE runs SET finished_at=?, state_count=?, "
            "distinct_count=?, run_violation=?, duration_ns=? WHERE run_id=?", -1, &st,
            NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)states);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)distinct);
    if (run_violation != NULL && run_violation[0] != '\0') {
        sqlite3_bind_text(st, 4, run_violation, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_int64(st, 5, (sqlite3_int64)duration_ns);
    sqlite3_bind_int64(st, 6, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
store_done_states(struct store *s, int64_t run_id, void (*fn)(void *arg, const char *id),
        void *arg)
{
    sqlite3_stmt *st;
    if (store_flush(s) != 0 || sqlite3_prepare_v2(s->db, "SELECT state_id FROM results WHERE "
            "run_id = ?", -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        fn(arg, (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return 0;
}

static void
bind_state(sqlite3_stmt *st, int64_t run_id, const struct state_row *r)
{
    const struct crash_state *c = r->state;
    char drops[CRASH_DROPS_MAX * 12 + 1] = "", sig[17];
    for (uint32_t i = 0, n = 0; i < c->drop_count; i++) {
        n += (uint32_t)snprintf(drops + n, sizeof(drops) - n, "%s%u", i ? "." : "", c->drops[i]);
    }
    hex64(sig, r->signature);
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, r->state_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, c->cut);
    sqlite3_bind_text(st, 4, crash_fault_class(c), -1, SQLITE_STATIC);
    if (c->drop_count > 0) {
        sqlite3_bind_text(st, 5, drops, -1, SQLITE_TRANSIENT);
    }
    if (c->torn != CRASH_NONE) {
        char fill[2] = { c->torn_fill, 0 };
        sqlite3_bind_int64(st, 6, c->torn);
        sqlite3_bind_int64(st, 7, c->torn_sectors);
        sqlite3_bind_text(st, 8, fill, -1, SQLITE_TRANSIENT);
    }
    sqlite3_bind_text(st, 9, sig, -1, SQLITE_TRANSIENT);
    if (r->dup_of != NULL) {
        sqlite3_bind_text(st, 10, r->dup_of, -1, SQLITE_TRANSIENT);
    }
    if (r->pass != SIM_PASS_NONE) {
        sqlite3_bind_int64(st, 11, r->pass);
    }
    if (r->last_write != UINT32_MAX) {
        sqlite3_bind_int64(st, 12, r->last_write);
        sqlite3_bind_text(st, 13, r->last_block_type, -1, SQLITE_TRANSIENT);
    }
}

int
store_result(struct store *s, int64_t run_id, const struct state_row *row,
        const struct result_row *r)
{
    if (begin(s) != 0) {
        return -1;
    }
    bind_state(s->st[ST_STATE], run_id, row);
    int rc = sqlite3_step(s->st[ST_STATE]);
    sqlite3_reset(s->st[ST_STATE]);
    sqlite3_clear_bindings(s->st[ST_STATE]);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "crashsim: sqlite: %s\n", sqlite3_errmsg(s->db));
        return -1;
    }
    sqlite3_stmt *st = s->st[ST_RESULT];
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_text(st, 2, row->state_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, outcome_name(r->outcome), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, outcome_is_violation(r->outcome));
    sqlite3_bind_text(st, 5, r->reason, -1, SQLITE_TRANSIENT);
    if (r->recovered_sync >= 0) {
        sqlite3_bind_int64(st, 6, r->recovered_sync);
    }
    sqlite3_bind_int64(st, 7, r->legal_lo);
    sqlite3_bind_int64(st, 8, r->legal_hi);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)r->leaked_blocks);
    sqlite3_bind_int64(st, 10, (sqlite3_int64)r->corrupt_count);
    sqlite3_bind_int64(st, 11, (sqlite3_int64)r->duration_ns);
    sqlite3_bind_int64(st, 12, r->worker);
    sqlite3_bind_int64(st, 13, (sqlite3_int64)r->probes);
    return step_done(s, st);
}

static const char *
keep(struct store *s, int slot, const unsigned char *text)
{
    snprintf(s->text[slot], sizeof(s->text[slot]), "%s", text != NULL ? (const char *)text : "");
    return s->text[slot];
}

int
store_run_get(struct store *s, int64_t *run_id, struct run_info *info, uint64_t *wlog_hash)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT r.run_id, r.git_rev, r.seed, w.name, w.text, r.model, r.profile, "
        "r.faults, r.block_size, r.device_size, r.arenas, r.wlog_hash, r.shard FROM runs r "
        "JOIN workloads w USING (workload_id) WHERE r.run_id = ? OR (? = 0) "
        "ORDER BY r.run_id DESC LIMIT 1";
    if (store_flush(s) != 0 || sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, *run_id);
    sqlite3_bind_int64(st, 2, *run_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *run_id = sqlite3_column_int64(st, 0);
        info->git_rev = keep(s, 0, sqlite3_column_text(st, 1));
        info->seed = (uint64_t)sqlite3_column_int64(st, 2);
        info->workload_name = keep(s, 1, sqlite3_column_text(st, 3));
        const unsigned char *text = sqlite3_column_text(st, 4);
        info->workload_text = text != NULL ? strdup((const char *)text) : NULL;
        info->model = keep(s, 2, sqlite3_column_text(st, 5));
        info->profile = keep(s, 3, sqlite3_column_text(st, 6));
        info->faults = keep(s, 4, sqlite3_column_text(st, 7));
        info->block_size = (uint32_t)sqlite3_column_int64(st, 8);
        info->device_size = (uint64_t)sqlite3_column_int64(st, 9);
        info->arenas = (uint32_t)sqlite3_column_int64(st, 10);
        const unsigned char *h = sqlite3_column_text(st, 11);
        *wlog_hash = h != NULL ? strtoull((const char *)h, NULL, 16) : 0;
        info->shard = keep(s, 5, sqlite3_column_text(st, 12));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int
store_probe_stats(struct store *s, int64_t run_id,
        void (*fn)(void *arg, uint32_t bit, const char *name, uint64_t hits, const char *first),
        void *arg)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT p.bit, p.name, (SELECT count(*) FROM results r WHERE r.run_id = ?1 "
        "AND (r.probes >> p.bit) & 1), (SELECT r.state_id FROM results r JOIN states t "
        "USING (run_id, state_id) WHERE r.run_id = ?1 AND (r.probes >> p.bit) & 1 "
        "ORDER BY t.cut, t.state_id LIMIT 1) FROM probes p ORDER BY p.bit";
    if (store_flush(s) != 0 || sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        return -1;
    }
    sqlite3_bind_int64(st, 1, run_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *first = sqlite3_column_text(st, 3);
        fn(arg, (uint32_t)sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                (uint64_t)sqlite3_column_int64(st, 2), first != NULL ? (const char *)first : NULL);
    }
    sqlite3_finalize(st);
    return 0;
}
