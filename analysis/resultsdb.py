"""analysis/resultsdb.py: opening a crashsim results database for reading.

One place for what report.py and compare.py both need.

connect(path): the file is opened read-only (never written, so a database
the user may only read will do), and its schema version (PRAGMA
user_version, docs/SCHEMA.md) is checked. A WAL database whose -shm file
cannot be created beside it (a file the user may only read, in a directory
they may not write) is opened immutable: with no -wal file beside it, the
file holds every commit. crashsim's own read-only commands
(sim/store/store.c, store_open_read) do the same.

names(db): the names the rows use, read from the database and copied from
nowhere: the outcomes in order with their kinds, meanings and which are
violations (outcome_kinds), the fault classes (fault_classes), the device
models (device_models) and the sync profiles (sync_profiles). A database that
predates those tables (schema version 2 or 1) has them derived from its rows;
Names.note() says so.

Nesting (schema version 6): a nested crash state is a crash state of the
post-recovery workload run on another state's recovered image; its id is its
parent's, '/', and its own (docs/SCHEMA.md, "State ids"). states.depth is 1
for a top-level state, 2 and more for a nested one, states.parent the parent's
id; runs.depth is the run's --depth. depth_sql() and parent_sql() read them,
and read an older database (without the columns) as depth 1, no parent;
nested_runs() says which runs hold nested states.
"""

import os
import sqlite3

SCHEMA_VERSION = 6          # sim/store/store.h STORE_SCHEMA_VERSION; 0 is the unversioned schema 1.


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


# ----------------------------------------------------------------------------
# Nesting: states.depth and states.parent, with their defaults for older databases.

def columns(db, table):
    """The column names of the table (an empty set if there is none)."""
    return {r[1] for r in db.execute("SELECT * FROM pragma_table_info(?)", (table,))}


def depth_sql(db, alias="s"):
    """An SQL expression for the depth of the states row alias: its
    states.depth, or 1 in a database older than nesting (version 5 or less)."""
    if "depth" in columns(db, "states"):
        return "coalesce(%s.depth, 1)" % alias
    return "1"


def parent_sql(db, alias="s"):
    """An SQL expression for the parent id of the states row alias: its
    states.parent, or NULL in a database older than nesting."""
    if "parent" in columns(db, "states"):
        return "%s.parent" % alias
    return "NULL"


def nested_runs(db):
    """run_id -> the deepest depth of its stored states, for the runs that
    hold nested states (depth 2 and more); {} for an older database."""
    if "depth" not in columns(db, "states"):
        return {}
    return {rid: depth for rid, depth in db.execute(
        "SELECT run_id, max(depth) FROM states WHERE depth > 1 GROUP BY 1")}


# ----------------------------------------------------------------------------
# The names: outcomes, fault classes, device models and sync profiles.

NAME_TABLES = ("outcome_kinds", "fault_classes", "device_models", "sync_profiles")


class Names:
    """What the database says about the names its rows use, for both scripts.

    A database of schema version 3 holds the names the C code spells in
    tables of their own (sim/store/store.c, names_write; docs/SCHEMA.md):
    outcome_kinds, fault_classes, device_models and sync_profiles. An older
    one (version 2, or the unversioned 1) lacks them, and the names are
    derived from the rows it holds instead (see names()). Nothing here spells
    a name: every list comes from the database.

    outcomes        every outcome, in order: outcome_kinds by rank, then any
                    other outcome the results table holds
    kind            outcome -> its kind (outcome_kinds.kind: fine, acceptable,
                    violation, unchecked; derived: violation or fine)
    violation       outcome -> True when it is a violation
    meaning         outcome -> one line, or None where the database has none
    listed          the outcomes outcome_kinds lists
    stored          outcome -> the set of results.violation flags (bools)
                    stored with it
    fault_classes   every fault class, in order: fault_classes by rank, then
                    any other class the states table holds, in first-seen order
    fault_class_info  class -> {"element", "verdict", "models"} as listed
    models          device models: device_models by rank, then runs' others
    profiles        sync profiles: sync_profiles by rank, then runs' others
    version         PRAGMA user_version (0: the unversioned schema 1)
    missing         the name tables the database lacks (or holds empty), whose
                    names were derived from its rows instead
    """

    def __init__(self):
        self.version = 0
        self.outcomes = []
        self.kind = {}
        self.violation = {}
        self.meaning = {}
        self.listed = set()
        self.stored = {}
        self.fault_classes = []
        self.fault_class_info = {}
        self.models = []
        self.profiles = []
        self.missing = []

    @property
    def violations(self):
        """The outcomes that are violations, in order."""
        return [o for o in self.outcomes if self.violation[o]]

    def is_violation(self, outcome):
        """Whether outcome is a violation; one the database never names
        counts as one (it cannot be vouched for)."""
        return self.violation.get(outcome, True)

    def outcome_key(self, outcome):
        """Sort key: the database's order, then unknown names alphabetically."""
        if outcome in self.violation:
            return (0, self.outcomes.index(outcome), outcome)
        return (1, 0, outcome)

    @staticmethod
    def ordered(known, present):
        """known (in its order) where present, then the rest of present sorted."""
        present = set(present)
        return [x for x in known if x in present] + sorted(present - set(known), key=str)

    # What is derived, and from where, for each name table a database lacks.
    DERIVED = {
        "outcome_kinds": "outcomes are the ones its results hold, each a violation when "
                         "its stored results.violation flag is set (kind violation, else "
                         "fine), with no meanings",
        "fault_classes": "fault classes are those of its states, in first-seen order",
        "device_models": "device models are those of its runs",
        "sync_profiles": "profiles are those of its runs",
    }

    def derived(self):
        """What was derived from the rows, one clause per missing table."""
        return "; ".join(self.DERIVED[t] for t in self.missing)

    def note(self):
        """One paragraph for a database that predates the name tables, else None."""
        if not self.missing:
            return None
        return ("This database (schema version %d) predates the name table%s %s: %s. "
                "crashsim adds the tables when it next opens the database for writing."
                % (self.version, "" if len(self.missing) == 1 else "s",
                   ", ".join(self.missing), self.derived()))

    def merged(self, other):
        """These names, with other's added after them where these lack them
        (compare.py reads two databases)."""
        m = Names()
        m.version = self.version
        m.missing = sorted(set(self.missing) | set(other.missing))
        for src in (self, other):
            for o in src.outcomes:
                # A listed name beats one derived from the other database's rows.
                take = o not in m.violation or (o in src.listed and o not in m.listed)
                if o not in m.violation:
                    m.outcomes.append(o)
                if take:
                    m.kind[o] = src.kind[o]
                    m.violation[o] = src.violation[o]
                    m.meaning[o] = src.meaning[o]
                    if o in src.listed:
                        m.listed.add(o)
                m.stored.setdefault(o, set()).update(src.stored.get(o, ()))
            for name, lst in ((src.fault_classes, m.fault_classes), (src.models, m.models),
                              (src.profiles, m.profiles)):
                lst.extend(x for x in name if x not in lst)
            for fc, info in src.fault_class_info.items():
                m.fault_class_info.setdefault(fc, info)
        return m


def _filled(db, tables, name):
    """Whether the name table exists and holds a row."""
    if name not in tables:
        return False
    return db.execute("SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1)" % name).fetchone()[0] > 0


def _first_seen(rows):
    """The distinct first items of rows, in order, NULL left out."""
    out = []
    for row in rows:
        if row[0] is not None and row[0] not in out:
            out.append(row[0])
    return out


def names(db, tables=None):
    """The Names of the database open on db (a connection from connect()).

    The name tables are read when present; what a table lacks is derived from
    the rows: outcomes (and whether they are violations) from results and its
    stored violation flags, fault classes from states.fault_class in
    first-seen order (by run, then cut), models and profiles from runs in
    run order. A name the rows use but the table does not list is appended
    after the table's, so every name the database holds is in the lists."""
    if tables is None:
        tables = {r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    n = Names()
    n.version = db.execute("PRAGMA user_version").fetchone()[0]
    n.missing = [t for t in NAME_TABLES if not _filled(db, tables, t)]

    # Outcomes: the table by rank, then the results' others. The stored flags
    # (and, without the table, each outcome's kind) come from one GROUP BY.
    present = db.execute("SELECT outcome, min(violation), max(violation), count(*)"
                         " FROM results GROUP BY outcome").fetchall()
    for o, lo, hi, _ in present:
        n.stored[o] = {bool(v) for v in {lo, hi} if v is not None}
    if "outcome_kinds" not in n.missing:
        for o, kind, viol, meaning in db.execute(
                "SELECT outcome, kind, violation, meaning FROM outcome_kinds"
                " ORDER BY rank, outcome"):
            if o is None or o in n.violation:
                continue
            if viol is None:
                viol = True in n.stored.get(o, {True})
            n.outcomes.append(o)
            n.violation[o] = bool(viol)
            n.kind[o] = kind or ("violation" if viol else "fine")
            n.meaning[o] = meaning or None
            n.listed.add(o)
    # Not listed (or no table): the stored flag decides, violation if any row
    # has it set; non-violations first, the most frequent first.
    rest = sorted((r for r in present if r[0] not in n.violation),
                  key=lambda r: (bool(r[2]), -r[3], r[0]))
    for o, _, hi, _ in rest:
        n.outcomes.append(o)
        n.violation[o] = bool(hi)
        n.kind[o] = "violation" if hi else "fine"
        n.meaning[o] = None

    # Fault classes: the table by rank, then the states' others, first seen.
    seen = _first_seen(db.execute(
        "SELECT fault_class, run_id, min(cut) FROM states GROUP BY run_id, fault_class"
        " ORDER BY run_id, 3, fault_class"))
    if "fault_classes" not in n.missing:
        for fc, element, verdict, models in db.execute(
                "SELECT fault_class, element, verdict, models FROM fault_classes"
                " ORDER BY rank, fault_class"):
            if fc is not None and fc not in n.fault_class_info:
                n.fault_classes.append(fc)
                n.fault_class_info[fc] = {"element": element, "verdict": verdict,
                                          "models": [m for m in (models or "").split(",") if m]}
    n.fault_classes += [fc for fc in seen if fc not in n.fault_class_info]

    # Device models and profiles: the tables by rank, then the runs' others.
    for table, column, out in (("device_models", "model", n.models),
                               ("sync_profiles", "profile", n.profiles)):
        if table not in n.missing:
            out.extend(_first_seen(db.execute(
                "SELECT %s FROM %s ORDER BY rank, %s" % (column, table, column))))
        out.extend(x for x in _first_seen(db.execute(
            "SELECT %s FROM runs ORDER BY run_id" % column)) if x not in out)
    return n
