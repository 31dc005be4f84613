"""analysis/resultsdb.py: opening a crashsim results database for reading.

One place for what report.py and compare.py both need: the file is opened
read-only (never written, so a database the user may only read will do), and
its schema version (PRAGMA user_version, docs/SCHEMA.md) is checked. A WAL
database whose -shm file cannot be created beside it (a file the user may
only read, in a directory they may not write) is opened immutable: with no
-wal file beside it, the file holds every commit. crashsim's own read-only
commands (sim/store/store.c, store_open_read) do the same.
"""

import os
import sqlite3

SCHEMA_VERSION = 2          # sim/store/store.h STORE_SCHEMA_VERSION; 0 is the unversioned schema 1.


class DatabaseError(Exception):
    """A database that cannot be read as a crashsim database; the message says why."""


def _uri(path, mode):
    quoted = os.path.abspath(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    return "file:%s?%s" % (quoted, mode)


def connect(path):
    """A read-only connection to the crashsim database at path."""
    if not os.path.exists(path):
        raise DatabaseError("%s: no such database" % path)
    if not os.path.isfile(path):
        raise DatabaseError("%s: not a file" % path)
    last = None
    for mode in ("mode=ro", "immutable=1"):
        try:
            db = sqlite3.connect(_uri(path, mode), uri=True)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            break
        except sqlite3.DatabaseError as e:
            last = e
    else:
        raise DatabaseError("%s: cannot read the database: %s" % (path, last))
    if version > SCHEMA_VERSION:
        raise DatabaseError("%s: database schema version %d is newer than this crashsim's "
                            "(%d): use a newer crashsim" % (path, version, SCHEMA_VERSION))
    missing = {"runs", "states", "results", "workloads"} - tables
    if missing:
        raise DatabaseError("%s: not a crashsim database (no %s table)"
                            % (path, ", ".join(sorted(missing))))
    return db, tables
