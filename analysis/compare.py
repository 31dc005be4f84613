#!/usr/bin/python3
"""analysis/compare.py: two crashsim runs side by side.

    /usr/bin/python3 analysis/compare.py A.db B.db [--run-a N] [--run-b N]

Run A is the baseline, run B the candidate; each defaults to the latest run
(the highest run_id) of its database, and A.db and B.db may be the same file.
The comparison prints:

  configuration   both runs' settings, differences marked with *
  outcomes        top-level states per outcome in A and B, and the change
  nested          nested states (depth 2 and more: crash states of the
                  post-recovery workload, docs/SCHEMA.md) per outcome and per
                  depth, and their violations, in rows of their own; printed
                  when either run holds nested states or nests (runs.depth)
  flips           states (joined by state_id) whose outcome differs, up to
                  --flips-max of them in write-log order, plus how many state
                  ids only one run has
  classes         violation classes (outcome / fault class, nested ones
                  apart) new in B and vanished from B
  throughput      states per second of each run (runs.state_count over
                  runs.duration_ns) and the relative change

State ids name a cut and faults of one write log. When the two runs recorded
different write logs (runs.wlog_hash differs: another workload, geometry,
profile or code), equal ids are different crash states and a warning says so.

Exit status:
  0  B has no violation that A did not have
  1  B has violations A did not: a state id that violates in B but is absent
     or fine in A, a violation class new in B, or a run_violation (the file
     system disagreed with the oracle while running) that A did not have
  2  usage error, or a database or run that cannot be read

A state violates when its stored results.violation says so. The outcomes'
order and kinds come from the databases' outcome_kinds tables (B's first;
analysis/resultsdb.py, names()); a database that predates them has them
derived from its stored violation flags, and a note says so.

Only the Python standard library is used. The databases are opened
read-only.
"""

import argparse
import os
import sqlite3
import sys

import resultsdb  # analysis/resultsdb.py, beside this script

PROG = "compare.py"
FLIPS_MAX = 50
# The outcomes, their order and kinds come from the databases (outcome_kinds,
# resultsdb.names); whether a state violates is its stored results.violation.
# The tag printed after an outcome's counts, by kind; fine and acceptable
# (fine for a media-fault or forged state) get none, an unknown kind its name.
KIND_TAGS = {"fine": "", "acceptable": "", "violation": "  (violation)",
             "unchecked": "  (not checked)"}
CONFIG_FIELDS = [
    ("workload", "workload"), ("workload_hash", "workload hash"), ("model", "device model"),
    ("profile", "profile"), ("faults", "faults"), ("seed", "seed"),
    ("block_size", "block size (bytes)"), ("device_size", "device size (bytes)"),
    ("arenas", "arenas (0: by size)"), ("shard", "shard"), ("jobs", "jobs"),
    ("git_rev", "git rev"), ("wlog_hash", "write-log hash"), ("op_count", "log operations"),
    ("write_count", "writes"), ("flush_count", "flushes"), ("state_count", "states"),
    ("distinct_count", "distinct states"), ("depth", "depth (--depth)"),
    ("nested_state_count", "nested states"), ("nested_distinct_count", "nested distinct"),
    ("run_violation", "run_violation"),
    ("started_at", "started (UTC)"), ("finished_at", "finished (UTC)"),
]
# Fields that differ between two runs of one configuration by nature.
INCIDENTAL = {"jobs", "started_at", "finished_at", "git_rev"}


class CompareError(Exception):
    """Ends the program with status 2."""


def open_db(path):
    """Opens path read-only (analysis/resultsdb.py); CompareError if it cannot
    be read as a crashsim database. Returns the connection and its tables."""
    try:
        return resultsdb.connect(path)
    except resultsdb.DatabaseError as e:
        raise CompareError(str(e))


def load_run(db, path, run_id):
    """The runs row (with the workload's name and hash) of run_id, or of the
    latest run when run_id is None."""
    sql = ("SELECT r.*, w.name AS workload, w.hash AS workload_hash FROM runs r"
           " LEFT JOIN workloads w USING (workload_id)")
    if run_id is None:
        cur = db.execute(sql + " ORDER BY r.run_id DESC LIMIT 1")
    else:
        cur = db.execute(sql + " WHERE r.run_id = ?", (run_id,))
    row = cur.fetchone()
    if row is None:
        raise CompareError("%s: %s" % (path, "no runs" if run_id is None
                                       else "no run %d" % run_id))
    run = dict(zip([d[0] for d in cur.description], row))
    run["workload"] = os.path.basename(run.get("workload") or "?")
    return run


def load_states(db, run_id):
    """state_id -> (outcome, violation, fault class, cut, depth); depth 1 in
    a database older than nesting."""
    return {sid: (o, bool(v), fc or "?", cut if cut is not None else -1, depth)
            for sid, o, v, fc, cut, depth in db.execute(
                "SELECT r.state_id, r.outcome, r.violation, s.fault_class, s.cut, %s"
                " FROM results r LEFT JOIN states s USING (run_id, state_id)"
                " WHERE r.run_id = ?" % resultsdb.depth_sql(db), (run_id,))}


def print_nested(sa, sb, names, out):
    """The nested states of both runs: per outcome, then per depth with their
    violations, A, B and the change."""
    na = [x for x in sa.values() if x[4] > 1]
    nb = [x for x in sb.values() if x[4] > 1]
    out("%-22s %10s %10s %10s" % ("nested outcome", "A", "B", "change"))
    ca, cb = {}, {}
    for xs, c in ((na, ca), (nb, cb)):
        for x in xs:
            c[x[0]] = c.get(x[0], 0) + 1
    for o in sorted(set(ca) | set(cb), key=names.outcome_key):
        out("  %-20s %10d %10d %+10d%s" % (o, ca.get(o, 0), cb.get(o, 0),
                                          cb.get(o, 0) - ca.get(o, 0), kind_tag(names, o)))
    depths = sorted({x[4] for x in na} | {x[4] for x in nb})
    for label, pick in [("nested states", lambda x: True),
                        ("nested violating", lambda x: x[1])]:
        a = sum(1 for x in na if pick(x))
        b = sum(1 for x in nb if pick(x))
        out("  %-20s %10d %10d %+10d" % (label, a, b, b - a))
        for d in depths if len(depths) > 1 else []:
            a = sum(1 for x in na if x[4] == d and pick(x))
            b = sum(1 for x in nb if x[4] == d and pick(x))
            out("    %-18s %10d %10d %+10d" % ("depth %d" % d, a, b, b - a))


def kind_tag(names, outcome):
    kind = names.kind.get(outcome)
    if kind in KIND_TAGS:
        return KIND_TAGS[kind]
    return "  (%s)" % (kind or ("violation" if names.is_violation(outcome) else "unknown"))


def rate(run):
    n, ns = run.get("state_count"), run.get("duration_ns")
    if not n or not ns:
        return None
    return n / (ns / 1e9)


def fmt(v, width):
    s = "" if v is None else str(v)
    return s if len(s) <= width else s[:width - 1] + "…"


def print_config(a, b, out):
    out("%-22s %-34s %s" % ("configuration", "A", "B"))
    for key, label in CONFIG_FIELDS:
        va, vb = a.get(key), b.get(key)
        mark = "*" if va != vb and key not in INCIDENTAL else " "
        out("%s %-20s %-34s %s" % (mark, label, fmt(va, 34), fmt(vb, 60)))
    out("%-22s %-34s %s" % ("  duration", _secs(a.get("duration_ns")),
                            _secs(b.get("duration_ns"))))


def _secs(ns):
    return "" if ns is None else "%.3f s" % (ns / 1e9)


def compare(a_path, b_path, run_a, run_b, flips_max, out):
    """Prints the comparison; returns the exit status (0 or 1)."""
    db_a, tables_a = open_db(a_path)
    db_b, tables_b = open_db(b_path)
    a = load_run(db_a, a_path, run_a)
    b = load_run(db_b, b_path, run_b)
    sa = load_states(db_a, a["run_id"])
    sb = load_states(db_b, b["run_id"])
    names_a = resultsdb.names(db_a, tables_a)
    names_b = resultsdb.names(db_b, tables_b)
    db_a.close()
    db_b.close()
    # B's names first (the candidate's code), then what only A names.
    names = names_b.merged(names_a)
    outcome_key = names.outcome_key

    out("A = %s run %d    B = %s run %d" % (a_path, a["run_id"], b_path, b["run_id"]))
    for label, path, n in (("A", a_path, names_a), ("B", b_path, names_b)):
        if n.missing and not (label == "B" and a_path == b_path):
            out("note: %s (%s) predates the name tables (%s): %s"
                % (label, path, ", ".join(n.missing), n.derived()))
    out("")
    print_config(a, b, out)
    if a.get("wlog_hash") != b.get("wlog_hash"):
        out("")
        out("warning: the runs recorded different write logs (wlog_hash); equal state ids "
            "name different crash states, so the state-by-state comparison is indicative "
            "only.")

    out("")
    nesting = (any(x[4] > 1 for x in sa.values()) or any(x[4] > 1 for x in sb.values())
               or (a.get("depth") or 1) > 1 or (b.get("depth") or 1) > 1)
    top_a = {sid: x for sid, x in sa.items() if x[4] <= 1}
    top_b = {sid: x for sid, x in sb.items() if x[4] <= 1}
    ca, cb = {}, {}
    for sid, (o, v, fc, cut, depth) in top_a.items():
        ca[o] = ca.get(o, 0) + 1
    for sid, (o, v, fc, cut, depth) in top_b.items():
        cb[o] = cb.get(o, 0) + 1
    out("%-22s %10s %10s %10s" % ("top-level outcome" if nesting else "outcome", "A", "B",
                                  "change"))
    for o in sorted(set(ca) | set(cb), key=outcome_key):
        out("  %-20s %10d %10d %+10d%s" % (o, ca.get(o, 0), cb.get(o, 0),
                                          cb.get(o, 0) - ca.get(o, 0), kind_tag(names, o)))
    va = sum(1 for x in top_a.values() if x[1])
    vb = sum(1 for x in top_b.values() if x[1])
    out("  %-20s %10d %10d %+10d" % ("all states", len(top_a), len(top_b),
                                    len(top_b) - len(top_a)))
    out("  %-20s %10d %10d %+10d" % ("violating states", va, vb, vb - va))
    if nesting:
        out("")
        print_nested(sa, sb, names, out)

    out("")
    both = sa.keys() & sb.keys()
    only_a = len(sa) - len(both)
    only_b = sb.keys() - sa.keys()
    flips = sorted((sid for sid in both if sa[sid][0] != sb[sid][0]),
                   key=lambda sid: (sb[sid][4], sb[sid][3], sid))
    out("states: %d in both runs, %d only in A, %d only in B" % (len(both), only_a, len(only_b)))
    out("outcome flipped in %d states%s" % (
        len(flips), ":" if flips else ""))
    for sid in flips[:flips_max]:
        oa, ob = sa[sid][0], sb[sid][0]
        tag = ("  new violation" if sb[sid][1] and not sa[sid][1]
               else "  fixed" if sa[sid][1] and not sb[sid][1] else "")
        out("  %-28s %-20s -> %-20s%s%s" % (sid, oa, ob, tag,
                                            "  (nested, depth %d)" % sb[sid][4]
                                            if sb[sid][4] > 1 else ""))
    if len(flips) > flips_max:
        out("  … and %d more" % (len(flips) - flips_max))

    out("")
    cls_a, cls_b = {}, {}
    for states, cls in ((sa, cls_a), (sb, cls_b)):
        for o, v, fc, cut, depth in states.values():
            if v:
                key = (o, fc + (" (nested)" if depth > 1 else ""))
                cls[key] = cls.get(key, 0) + 1
    new = sorted(set(cls_b) - set(cls_a), key=lambda k: (outcome_key(k[0]), k[1]))
    gone = sorted(set(cls_a) - set(cls_b), key=lambda k: (outcome_key(k[0]), k[1]))
    out("violation classes (outcome/fault class): %d in A, %d in B" % (len(cls_a), len(cls_b)))
    out("  new in B:      %s" % (", ".join("%s/%s (%d states)" % (o, fc, cls_b[(o, fc)])
                                           for o, fc in new) or "none"))
    out("  vanished in B: %s" % (", ".join("%s/%s (%d states in A)" % (o, fc, cls_a[(o, fc)])
                                           for o, fc in gone) or "none"))

    out("")
    ra, rb = rate(a), rate(b)
    if ra and rb:
        out("throughput: A %.0f states/s, B %.0f states/s (%+.1f%%)"
            % (ra, rb, 100.0 * (rb - ra) / ra))
    else:
        out("throughput: A %s, B %s (a run has no state_count or duration_ns)"
            % ("%.0f states/s" % ra if ra else "n/a", "%.0f states/s" % rb if rb else "n/a"))

    newly = [sid for sid, x in sb.items() if x[1] and not (sid in sa and sa[sid][1])]
    new_run_violation = bool(b.get("run_violation")) and not a.get("run_violation")
    out("")
    if newly or new or new_run_violation:
        parts = []
        if newly:
            flipped = sum(1 for sid in newly if sid in sa)
            deep = sum(1 for sid in newly if sb[sid][4] > 1)
            parts.append("%d violating states that A did not have (%d flipped, %d only in B%s)"
                         % (len(newly), flipped, len(newly) - flipped,
                            "; %d of them nested" % deep if deep else ""))
        if new:
            parts.append("%d new violation classes" % len(new))
        if new_run_violation:
            parts.append("a run_violation: %s" % b["run_violation"])
        out("verdict: B has %s" % "; ".join(parts))
        return 1
    out("verdict: no new violations in B")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG, description="Compare two crashsim runs (default: the latest run of each "
        "database). Exit 0: no new violations in B; 1: B has violations A did not; 2: usage "
        "or database error.")
    ap.add_argument("a_db", metavar="A.db", help="baseline database")
    ap.add_argument("b_db", metavar="B.db", help="candidate database (may be A.db)")
    ap.add_argument("--run-a", type=int, metavar="N", help="run id in A.db (default: latest)")
    ap.add_argument("--run-b", type=int, metavar="N", help="run id in B.db (default: latest)")
    ap.add_argument("--flips-max", type=int, default=FLIPS_MAX, metavar="N",
                    help="flipped states listed (default %d)" % FLIPS_MAX)
    args = ap.parse_args(argv)          # Exits 2 on a usage error.
    if args.flips_max < 0:
        ap.error("--flips-max must be at least 0")
    try:
        return compare(args.a_db, args.b_db, args.run_a, args.run_b, args.flips_max, print)
    except CompareError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:             # compare.py ... | head
        sys.stderr.close()
        sys.exit(0)
