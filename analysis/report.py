#!/usr/bin/python3
"""analysis/report.py: an HTML report of a crashsim results database.

    /usr/bin/python3 analysis/report.py --db results.db -o report/

reads the SQLite database that `crashsim explore` writes (docs/SCHEMA.md) and
writes report/index.html plus PNG plots beside it. The page is self-contained:
CSS is inline, every image is a PNG file in the same directory referenced by a
relative link (no data URIs, no scripts, nothing fetched from the network), so
the directory can be copied or archived as a whole.

Sections:
  summary          every run with its configuration and totals; states by
                   outcome and fault class; consistency checks of the stored
                   data; violations by fault class and by sync pass, per run
  write log        per run (the first --runs-max), outcome of every crash
                   state against its cut (operation index), coloured by the
                   sync pass at the cut and shaped by the block type of the
                   last write before it
  survival matrix  device model x profile x workload -> violating states
                   (top-level), and a nested column when any run nests

Nested states (explore --nested, schema version 6): crash states of the
post-recovery workload, depth 2 and more (docs/SCHEMA.md). Where the page
counts states by run, outcome, fault class or pass, and in the write-log
plots and the survival cells, it counts the top-level states; the nested
ones have their own columns and table (runs: depth, nested states and
violations; "Outcomes per run: nested states, by depth"; the matrix's
nested column), and the headline's totals and the failure taxonomy count
both. A database older than nesting reads as top-level states only.
  taxonomy         violations grouped by outcome and reason (numbers folded),
                   with example states and their `crashsim replay` commands
  throughput       check time per state, cumulative check time, leaks
  probe coverage   hits per named recovery probe (a `probes` table), or
                   "no probe data"
  outcomes         every outcome the database names, with its kind and
                   meaning (outcome_kinds)

Method: every number on the page comes from a GROUP BY in SQLite, so a
database of 100k states is read in a few seconds; only the violating rows and
one duration per state travel to Python. The database is opened read-only and
never modified.

Names: the outcomes (their order, kinds, meanings and which are violations),
fault classes, device models and profiles are read from the database's name
tables (outcome_kinds, fault_classes, device_models, sync_profiles) by
resultsdb.names(), and this script spells none of them. A database that
predates those tables has them derived from its rows, and the page says so.
Colours go by an outcome's kind, so any name the database holds is drawn.

Files: this script is the command, the page and its sections: it reads the
database and writes index.html. analysis/report_plots.py, beside it, draws
the PNG figures from the numbers a section hands it, and never reads the
database itself.

Exit status: 0 report written, 2 usage or database error (message on stderr).
Only Debian's python3-matplotlib and python3-numpy are needed.
"""

import argparse
import collections
import html
import os
import re
import shlex
import sqlite3
import sys

import report_plots  # analysis/report_plots.py, beside this script
import resultsdb  # analysis/resultsdb.py, beside this script

PROG = "report.py"

# The names (outcomes, their kinds, meanings and which are violations, fault
# classes, device models, profiles) come from the database: resultsdb.names().
# What follows is style only, and works for any name the database holds.

# Outcome colours by kind (outcome_kinds.kind): the n-th outcome of a kind in
# the database's order takes the n-th colour of its kind, cycling; a kind not
# listed here is grey.
KIND_COLOURS = {
    "fine": ["#2e7d32", "#81c784"],
    "acceptable": ["#26a69a", "#80cbc4", "#b2dfdb"],
    "violation": ["#c62828", "#ef6c00", "#6a1b9a", "#ad1457", "#4527a0", "#283593",
                  "#000000", "#5d4037", "#616161"],
    "unchecked": ["#fbc02d"],
}
KIND_COLOUR_OTHER = "#999999"
# The css class of a kind's cell; a kind not listed is "bad" when it is a
# violation, else "warn".
KIND_CSS = {"fine": "good", "acceptable": "good", "violation": "bad", "unchecked": "warn"}
KIND_LABELS = {"unchecked": "not checked"}
KIND_NOTES = {"acceptable": "fine for a media-fault or forged state only",
              "unchecked": "no verdict, the state could not be checked"}

# The sync passes of the tables, "between syncs" (states.pass IS NULL) last;
# report_plots has their labels and colours.
PASSES = [0, 1, 2, 3, 4, report_plots.PASS_NONE]

TAXONOMY_GROUPS_MAX = 80        # Groups listed; the rest are summarised in one line.
TAXONOMY_EXAMPLES = 3           # Example states per group.
PIVOT_RUNS_MAX = 30             # Runs shown as columns of the outcome-by-run table.


class ReportError(Exception):
    """A problem with the input that ends the program with status 2."""


class Style:
    """The names of one database (resultsdb.Names) and the colours and
    labels drawn from them."""

    def __init__(self, names):
        self.names = names
        self.colour = {}
        per_kind = collections.Counter()
        for o in names.outcomes:
            palette = KIND_COLOURS.get(names.kind[o])
            if palette:
                self.colour[o] = palette[per_kind[names.kind[o]] % len(palette)]
                per_kind[names.kind[o]] += 1
            else:
                self.colour[o] = KIND_COLOUR_OTHER

    def is_violation(self, outcome):
        return self.names.is_violation(outcome)

    def outcome_key(self, outcome):
        return self.names.outcome_key(outcome)

    def kind_cell(self, outcome):
        """The kind cell of an outcome: its kind and css class."""
        kind = self.names.kind.get(outcome, "violation")
        css = KIND_CSS.get(kind, "bad" if self.is_violation(outcome) else "warn")
        return (KIND_LABELS.get(kind, kind), css)

    def outcome_cell(self, name):
        return ('<span class="oc" style="background:%s"></span>%s'
                % (self.colour.get(name, KIND_COLOUR_OTHER), esc(name)))

    def meaning(self, outcome):
        m = self.names.meaning.get(outcome)
        if m:
            return m
        if outcome in self.names.listed or "outcome_kinds" in self.names.missing:
            return "(no meaning stored)"
        return "(not in outcome_kinds)"

    def fault_classes(self, present):
        """Every fault class the database names, in its order, then any other
        of present (results without a states row: '?')."""
        known = self.names.fault_classes
        return known + sorted(set(present) - set(known), key=str)


def fold_reason(reason):
    """The reason with numbers, hex ids and quoted names folded, so that
    'check: block 259: file data: hash mismatch' and '... block 510 ...' are
    one failure class."""
    if not reason:
        return "(no reason)"
    s = re.sub(r"'[^']*'", "'…'", reason)
    s = re.sub(r"\b[0-9a-f]{8,16}\b", "#", s)
    s = re.sub(r"\d+", "#", s)
    return s[:160]


# ----------------------------------------------------------------------------
# Reading the database.

def open_db(path):
    """Opens path read-only; ReportError if it is missing or not a crashsim
    database (analysis/resultsdb.py)."""
    try:
        return resultsdb.connect(path)
    except resultsdb.DatabaseError as e:
        raise ReportError(str(e))


def workload_labels(db):
    """workload_id -> short display name (basename, plus the hash when two
    different workloads share it)."""
    rows = db.execute("SELECT workload_id, name, hash FROM workloads").fetchall()
    base = collections.Counter(os.path.basename(name or "?") for _, name, _ in rows)
    labels = {}
    for wid, name, digest in rows:
        b = os.path.basename(name or "?")
        labels[wid] = b if base[b] == 1 else "%s@%s" % (b, (digest or "")[:6])
    return labels


def load_runs(db):
    cur = db.execute("SELECT * FROM runs ORDER BY run_id")
    cols = [d[0] for d in cur.description]
    runs = [dict(zip(cols, row)) for row in cur]
    labels = workload_labels(db)
    for r in runs:
        r["workload"] = labels.get(r.get("workload_id"), "?")
    return runs


def load_counts(db):
    """The states, one GROUP BY: counts, (run, outcome, fault class, pass) ->
    top-level states (depth 1); nested, (run, depth, outcome) -> nested states
    (depth 2 and more); flags, outcome -> its stored violation flags (all
    states). A database older than nesting has top-level states only."""
    counts = collections.Counter()
    nested = collections.Counter()
    flags = collections.defaultdict(set)
    for run, outcome, viol, fclass, spass, depth, n in db.execute(
            "SELECT r.run_id, r.outcome, r.violation, coalesce(s.fault_class, '?'),"
            " coalesce(s.pass, -1), %s, count(*) FROM results r"
            " LEFT JOIN states s USING (run_id, state_id) GROUP BY 1, 2, 3, 4, 5, 6"
            % resultsdb.depth_sql(db)):
        if depth > 1:
            nested[(run, depth, outcome)] += n
        else:
            counts[(run, outcome, fclass, spass)] += n
        flags[outcome].add(bool(viol))
    return counts, nested, flags


# ----------------------------------------------------------------------------
# HTML helpers.

def esc(x):
    return html.escape("" if x is None else str(x))


def table(headers, rows, cls="", raw=False):
    """An HTML table; cells are escaped unless raw. A cell may be a (text,
    css class) pair."""
    out = ['<table class="%s">' % cls, "<tr>"]
    out += ["<th>%s</th>" % esc(h) for h in headers]
    out.append("</tr>")
    for row in rows:
        out.append("<tr>")
        for cell in row:
            klass = ""
            if isinstance(cell, tuple):
                cell, klass = cell
            text = cell if raw else esc(cell)
            out.append('<td class="%s">%s</td>' % (klass, text) if klass
                       else "<td>%s</td>" % text)
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


def fmt_ns(ns):
    if ns is None:
        return ""
    s = ns / 1e9
    if s >= 60:
        return "%dm%04.1fs" % (s // 60, s % 60)
    if s >= 1:
        return "%.2f s" % s
    return "%.1f ms" % (s * 1e3)


def fmt_rate(n, ns):
    if not n or not ns:
        return ""
    return "%.0f" % (n / (ns / 1e9))


CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5em 2em;
       color: #222; max-width: 1400px; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ddd;
     padding-bottom: 0.2em; margin-top: 2em; } h3 { margin-top: 1.5em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f1f1f1; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.good { background: #c8e6c9; } td.bad { background: #ffcdd2; font-weight: 600; }
td.none { background: #eee; color: #888; } td.warn { background: #fff3cd; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
pre.cmd { background: #f6f8fa; padding: 2px 6px; margin: 1px 0; white-space: pre-wrap; }
.oc { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.35em;
      border-radius: 2px; vertical-align: -0.05em; }
.muted { color: #777; } .note { background: #f6f8fa; border-left: 4px solid #90a4ae;
         padding: 0.5em 0.8em; margin: 0.8em 0; }
nav a { margin-right: 1em; } img { max-width: 100%; border: 1px solid #eee; }
.viol { color: #b71c1c; font-weight: 600; }
"""


# ----------------------------------------------------------------------------
# Sections.

def explored_line(runs, counts, nested):
    """What fraction of the crash-state space the runs cover: the states their
    plans enumerated (a shard's plan is its whole campaign's), those left out
    by sampling (--samples), the distinct ones checked and the duplicates, and
    how many are stored (a shard holds its slice; an unfinished run, part)."""
    stored = collections.Counter()
    for (run, o, fc, p), n in counts.items():
        stored[run] += n
    whole = [r for r in runs if not r.get("shard")]
    shards = len(runs) - len(whole)
    planned = sum(r.get("state_count") or 0 for r in whole)
    left = sum(r.get("sampled_out_count") or 0 for r in whole)
    distinct = sum(r.get("distinct_count") or 0 for r in whole)
    held = sum(stored[r["run_id"]] for r in whole)
    space = planned + left
    text = ("Explored: the %d whole runs' plans enumerated %d crash states of a space of %d "
            "(%.1f%%; %d left out by sampling); %d distinct ones are checked, %d are "
            "duplicates of a checked one; %d results are stored (%.1f%% of the enumerated)."
            % (len(whole), planned, space, 100.0 * planned / space if space else 100.0, left,
               distinct, planned - distinct, held, 100.0 * held / planned if planned else 100.0))
    if shards:
        text += (" %d runs are shards of a campaign (their states are counted once merged: "
                 "crashsim merge)." % shards)
    if nested or any((r.get("depth") or 1) > 1 for r in runs):
        enumerated = sum(r.get("nested_state_count") or 0 for r in whole)
        distinct = sum(r.get("nested_distinct_count") or 0 for r in whole)
        held = sum(n for (run, d, o), n in nested.items()
                   if run in {r["run_id"] for r in whole})
        text += (" Nested: the whole runs enumerated %d nested crash states (crashes in the "
                 "post-recovery workload, depth 2 and more), %d distinct and checked; %d are "
                 "stored." % (enumerated, distinct, held))
    return '<p id="explored">%s</p>' % esc(text)


def has_nesting(runs, nested):
    """Whether the page shows nested columns: a run of depth above 1, or
    nested states stored."""
    return bool(nested) or any((r.get("depth") or 1) > 1 for r in runs)


def nested_line(st, nested):
    """The headline's clause on nested states: how many, at which depths,
    how many violate."""
    n = sum(nested.values())
    v = sum(c for (run, d, o), c in nested.items() if st.is_violation(o))
    depths = sorted({d for (run, d, o) in nested})
    return (' <span id="nested-total">(of them %d nested states%s, <span class="%s">%d '
            "violating</span>)</span>"
            % (n, " at depth %s" % ", ".join(str(d) for d in depths) if depths else "",
               "viol" if v else "", v))


def section_summary(db, st, runs, counts, nested, flags, db_path):
    total = sum(counts.values()) + sum(nested.values())
    viol_total = (sum(n for (run, o, fc, p), n in counts.items() if st.is_violation(o))
                  + sum(n for (run, d, o), n in nested.items() if st.is_violation(o)))
    out = ['<h2 id="summary">Summary</h2>']
    note = st.names.note()
    if note:
        out.append('<p class="note" id="old-schema">%s</p>' % esc(note))
    outcomes = sorted({k[1] for k in counts} | {k[2] for k in nested}, key=st.outcome_key)
    out.append("<p>Database <code>%s</code>: %d runs, %d crash states, "
               "<span class=\"%s\">%d violating states</span>%s; outcomes present: %s.</p>"
               % (esc(db_path), len(runs), total, "viol" if viol_total else "",
                  viol_total, nested_line(st, nested) if has_nesting(runs, nested) else "",
                  ", ".join("<b>%s</b>" % esc(o) for o in outcomes) or "none"))
    out.append(explored_line(runs, counts, nested))
    # A disagreement between the stored violation flag and outcome_kinds (or
    # among the stored flags) is a harness bug worth shouting about.
    for o in outcomes:
        stored = flags[o]
        if len(stored) > 1 and o not in st.names.listed:
            out.append('<p class="note viol">Outcome <b>%s</b> is stored with violation=0 in '
                       "some states and 1 in others; the page counts it as a violation.</p>"
                       % esc(o))
        elif len(stored) > 1 or (stored and (True in stored) != st.is_violation(o)):
            out.append('<p class="note viol">Outcome <b>%s</b> is stored with violation=%s, '
                       "but outcome_kinds says it is %sa violation; the page follows "
                       "outcome_kinds.</p>"
                       % (esc(o), "/".join(str(int(v)) for v in sorted(stored)),
                          "" if st.is_violation(o) else "not "))

    out.append("<h3>Runs</h3>")
    viol_by_run = collections.Counter()
    states_by_run = collections.Counter()
    for (run, o, fc, p), n in counts.items():
        states_by_run[run] += n
        if st.is_violation(o):
            viol_by_run[run] += n
    nesting = has_nesting(runs, nested)
    rows = []
    for r in runs:
        rid = r["run_id"]
        v = viol_by_run[rid]
        unfinished = r.get("finished_at") is None
        stored = states_by_run[rid]
        states = r.get("state_count")
        states_txt = "%s" % states if states is not None else "%d stored" % stored
        if r.get("shard"):
            states_txt = "%d of %s (shard %s)" % (stored, states, r["shard"])
        elif states is not None and stored != states:
            states_txt += " (%d stored)" % stored
        rows.append([
            (rid, "n"), r["workload"], r.get("model"), r.get("profile"), r.get("faults"),
            (r.get("seed"), "n"), (states_txt, "n"), (r.get("distinct_count") or "", "n"),
            (r.get("sampled_out_count") if r.get("sampled_out_count") is not None else "", "n"),
            (v, "bad" if v else "good"),
        ] + (nested_run_cells(st, r, nested) if nesting else []) + [
            (fmt_ns(r.get("duration_ns")) + (" (unfinished)" if unfinished else ""),
             "warn" if unfinished else "n"),
            r.get("git_rev") or "(unknown)", r.get("started_at"),
            (r.get("run_violation") or "", "bad" if r.get("run_violation") else ""),
        ])
    out.append(table(["run", "workload", "device model", "profile", "faults", "seed",
                      "states", "distinct", "left out by sampling", "violations"]
                     + (["depth", "nested states", "nested violations"] if nesting else [])
                     + ["duration", "git rev", "started (UTC)", "run_violation"], rows))
    if nesting:
        out.append('<p class="muted">states, distinct and violations count the top-level '
                   "states (depth 1); nested states are crash states of the post-recovery "
                   "workload run on a recovered state (depth 2 and more, docs/SCHEMA.md), "
                   "stored, with what the run enumerated in brackets where it differs.</p>")
    top_outcomes = sorted({k[1] for k in counts}, key=st.outcome_key)

    out.append("<h3>States by outcome%s</h3>" % (": top-level states" if nesting else ""))
    by_oc = collections.Counter()
    for (run, o, fc, p), n in counts.items():
        by_oc[(o, fc)] += n
    classes = st.fault_classes(k[1] for k in by_oc)
    rows = []
    for o in top_outcomes:
        cells = [(n, "n") for n in (by_oc[(o, fc)] for fc in classes)]
        tot = sum(by_oc[(o, fc)] for fc in classes)
        rows.append([(st.outcome_cell(o), ""), st.kind_cell(o)]
                    + cells + [(tot, "n"), esc(st.meaning(o))])
    out.append(table(["outcome", "kind"] + ["%s states" % c for c in classes]
                     + ["total", "meaning"], rows, raw=True))

    if len(runs) <= PIVOT_RUNS_MAX and runs:
        out.append("<h3>Outcomes per run%s</h3>" % (": top-level states" if nesting else ""))
        per = collections.Counter()
        for (run, o, fc, p), n in counts.items():
            per[(o, run)] += n
        rows = []
        for o in top_outcomes:
            rows.append([(st.outcome_cell(o), "")] + [
                (per[(o, r["run_id"])] or "", "n" + (" bad" if per[(o, r["run_id"])]
                                                      and st.is_violation(o) else ""))
                for r in runs])
        out.append(table(["outcome"] + ["run %d" % r["run_id"] for r in runs], rows, raw=True))

    if nesting:
        out.append(section_nested_outcomes(st, runs, nested))
    out.append(section_consistency(db, runs, nested))
    out.append(section_violation_tables(st, runs, counts))
    return "\n".join(out)


def nested_run_cells(st, r, nested):
    """The Runs table's nested cells of run r: its depth, its nested states
    stored (and enumerated, where that differs) and their violations."""
    rid = r["run_id"]
    stored = sum(n for (run, d, o), n in nested.items() if run == rid)
    v = sum(n for (run, d, o), n in nested.items() if run == rid and st.is_violation(o))
    enumerated = r.get("nested_state_count")
    text = "%d" % stored
    if enumerated is not None and enumerated != stored:
        text += " (%d enumerated)" % enumerated
    nesting = (r.get("depth") or 1) > 1 or stored
    return [(r.get("depth") or 1, "n"), (text if nesting else "—", "n" if nesting else "none"),
            (v if nesting else "—", ("bad" if v else "good") if nesting else "none")]


def section_nested_outcomes(st, runs, nested):
    """Nested states by outcome, one column per run and depth: the per-run
    outcome table's counterpart for the states below the top level."""
    out = ['<h3 id="nested-outcomes">Outcomes per run: nested states, by depth</h3>',
           '<p class="muted">Crash states of the post-recovery workload, run on the '
           "recovered image of a state one level up (its parent); depth 2 crashes the "
           "recovery of a top-level state, depth 3 the recovery of a depth-2 state. Their "
           "ids are the parent's, '/', and their own.</p>"]
    if not nested:
        out.append("<p>No nested states are stored.</p>")
        return "\n".join(out)
    cols = sorted({(run, d) for (run, d, o) in nested})[:PIVOT_RUNS_MAX]
    outcomes = sorted({o for (run, d, o) in nested}, key=st.outcome_key)
    rows = []
    for o in outcomes:
        rows.append([(st.outcome_cell(o), ""), st.kind_cell(o)] + [
            (nested[(run, d, o)] or "", "n" + (" bad" if nested[(run, d, o)]
                                               and st.is_violation(o) else ""))
            for run, d in cols])
    totals = ["all nested states", ""] + [
        (sum(n for (r2, d2, o), n in nested.items() if (r2, d2) == (run, d)), "n")
        for run, d in cols]
    rows.append(totals)
    viol = ["violating", ""] + [
        (sum(n for (r2, d2, o), n in nested.items() if (r2, d2) == (run, d)
             and st.is_violation(o)), "n") for run, d in cols]
    rows.append([(c[0], "n bad" if c[0] else "n good") if isinstance(c, tuple) else c
                 for c in viol])
    out.append(table(["nested outcome", "kind"] + ["run %d depth %d" % c for c in cols],
                     [[c if isinstance(c, tuple) else (esc(c), "") for c in row]
                      for row in rows], raw=True))
    return "\n".join(out)


def section_consistency(db, runs, nested):
    """Cheap cross-checks of what the harness stored; each finding is a
    harness bug or an interrupted run, never a file-system verdict. The
    run's totals count its top-level states (depth 1), its nested totals the
    others."""
    stored = {rid: n for rid, n in db.execute(
        "SELECT r.run_id, count(*) FROM results r LEFT JOIN states s USING (run_id, state_id)"
        " WHERE %s = 1 GROUP BY 1" % resultsdb.depth_sql(db))}
    st = {rid: (n, orig, selfdup or 0) for rid, n, orig, selfdup in db.execute(
        "SELECT run_id, count(*), sum(dup_of IS NULL), sum(dup_of = state_id) FROM states s"
        " WHERE %s = 1 GROUP BY 1" % resultsdb.depth_sql(db))}
    nested_stored = collections.Counter()
    for (run, d, o), n in nested.items():
        nested_stored[run] += n
    orphans = db.execute("SELECT count(*) FROM results r LEFT JOIN states s"
                         " USING (run_id, state_id) WHERE s.run_id IS NULL").fetchone()[0]
    notes = []
    for r in runs:
        rid = r["run_id"]
        n = stored.get(rid, 0)
        sn, orig, selfdup = st.get(rid, (0, 0, 0))
        if r.get("finished_at") is None:
            notes.append("run %d is unfinished (finished_at is NULL): %d states stored so far."
                         % (rid, n))
            continue
        if r.get("shard"):
            notes.append("run %d is shard %s of its campaign: it holds %d of the %s states "
                         "the plan enumerated (crashsim merge joins the shards into one run)."
                         % (rid, r["shard"], n, r.get("state_count")))
            continue
        if r.get("state_count") is not None and r["state_count"] != n:
            notes.append("run %d: runs.state_count says %d states, the results table holds %d "
                         "(%+d). Rows with equal state ids replace each other, so the plan "
                         "enumerated some states more than once." % (rid, r["state_count"], n,
                                                                     n - r["state_count"]))
        if selfdup:
            notes.append("run %d: %d states are marked as duplicates of themselves "
                         "(states.dup_of = state_id): a repeated state id overwrote the row "
                         "of the state that was checked." % (rid, selfdup))
        distinct = r.get("distinct_count")
        if distinct is not None and orig is not None and distinct != orig + selfdup:
            notes.append("run %d: runs.distinct_count is %d, but %d stored states are not "
                         "duplicates." % (rid, distinct, orig + selfdup))
        enumerated = r.get("nested_state_count")
        if enumerated is not None and enumerated != nested_stored[rid]:
            notes.append("run %d: runs.nested_state_count says %d nested states, the results "
                         "table holds %d." % (rid, enumerated, nested_stored[rid]))
    if orphans:
        notes.append("%d results rows have no states row." % orphans)
    out = ['<h3 id="consistency">Consistency of the stored data</h3>']
    if not notes:
        out.append("<p>Run totals, stored rows and duplicate links agree.</p>")
    else:
        out.append('<div class="note"><p>These are findings about the harness, not about the '
                   "file system:</p><ul>%s</ul></div>"
                   % "".join("<li>%s</li>" % esc(n) for n in notes))
    return "\n".join(out)


def fault_class_legend(st):
    """The fault classes as the database lists them (fault_classes)."""
    info = st.names.fault_class_info
    if not info:
        return ("<p class=\"muted\">The database lists no fault classes (no fault_classes "
                "table); docs/SCHEMA.md (states.fault_class) says what each class is.</p>")
    rows = [[fc, ("<code>%s</code>" % esc(info[fc]["element"]) if info[fc]["element"]
                  else '<span class="muted">(none: the plan\'s cuts)</span>', ""),
             esc(info[fc]["verdict"]), esc(", ".join(info[fc]["models"]))]
            for fc in st.names.fault_classes if fc in info]
    return ("<p class=\"muted\">The fault classes as the database lists them (the "
            "fault_classes table; docs/SCHEMA.md, states.fault_class, says what each is): "
            "the --faults element that adds states of the class, how the checker judges "
            "them (verdict), and the device models that apply it.</p>"
            + table(["fault class", "--faults element", "verdict", "device models"],
                    [[esc(r[0]), r[1], r[2], r[3]] for r in rows], raw=True))


def section_violation_tables(st, runs, counts):
    """Violations by fault class and by sync pass, per run: 'violations / states'."""
    out = ["<h3>Violations by fault class</h3>",
           "<p class=\"muted\">Each cell: violating states / states of that class.</p>"]
    fc_all = collections.Counter()
    fc_viol = collections.Counter()
    ps_all = collections.Counter()
    ps_viol = collections.Counter()
    ps_out = collections.Counter()
    for (run, o, fc, p), n in counts.items():
        fc_all[(run, fc)] += n
        ps_all[(run, p)] += n
        if st.is_violation(o):
            fc_viol[(run, fc)] += n
            ps_viol[(run, p)] += n
            ps_out[(p, o)] += n
    classes = st.fault_classes(fc for _, fc in fc_all)

    def cell(viol, alls, key):
        if not alls[key]:
            return ("—", "none")
        return ("%d / %d" % (viol[key], alls[key]), "bad" if viol[key] else "good")

    rows = [[(r["run_id"], "n"), r["workload"], "%s/%s" % (r.get("model"), r.get("profile"))]
            + [cell(fc_viol, fc_all, (r["run_id"], fc)) for fc in classes] for r in runs]
    out.append(table(["run", "workload", "model/profile"] + classes, rows))
    out.append(fault_class_legend(st))

    out.append("<h3>Violations by sync pass</h3>")
    out.append("<p class=\"muted\">states.pass: the sync pass of the operation at the cut "
               "(docs/SCHEMA.md). Pass 0 writes the allocation logs and their barriers, "
               "pass 1 the tree and data blocks and the first arena headers, pass 2 the "
               "superblocks, pass 3 the second arena headers, pass 4 releases deferred "
               "frees. \"between syncs\" is a NULL pass.</p>")
    rows = [[(r["run_id"], "n"), r["workload"], "%s/%s" % (r.get("model"), r.get("profile"))]
            + [cell(ps_viol, ps_all, (r["run_id"], p)) for p in PASSES] for r in runs]
    out.append(table(["run", "workload", "model/profile"]
                     + [report_plots.pass_label(p) for p in PASSES], rows))
    outcomes = sorted({o for (p, o) in ps_out}, key=st.outcome_key)
    if outcomes:
        rows = [[report_plots.pass_label(p)]
                + [(ps_out[(p, o)] or "", "n") for o in outcomes]
                for p in PASSES if any(ps_out[(p, o)] for o in outcomes)]
        out.append("<p>All runs, violating states by pass and outcome:</p>")
        out.append(table(["pass"] + outcomes, rows))
    return "\n".join(out)


def load_write_log(db, st, rid):
    """One run's top-level states along the write log: rows of (cut, outcome,
    pass, last block type, states, violating states), and its syncs rows;
    ([], []) when the run has no results. Nested states are left out: their
    cuts index the post-recovery write log, which the database does not keep."""
    rows = [row + ((row[4] if st.is_violation(row[1]) else 0),) for row in db.execute(
        "SELECT s.cut, r.outcome, coalesce(s.pass, -1), s.last_block_type, count(*)"
        " FROM results r JOIN states s USING (run_id, state_id)"
        " WHERE r.run_id = ? AND %s = 1 GROUP BY 1, 2, 3, 4" % resultsdb.depth_sql(db),
        (rid,))]
    if not rows:
        return [], []
    syncs = db.execute("SELECT sync_index, start_op, end_op, trace_line FROM syncs"
                       " WHERE run_id = ? ORDER BY sync_index", (rid,)).fetchall()
    return rows, syncs


def section_write_log(db, st, runs, out_dir, runs_max):
    out = ['<h2 id="writelog">Outcomes along the write log</h2>',
           "<p>Where do crashes hurt? One plot per run. x is the cut of a crash state "
           "(operations 0..cut-1 reached the device); each row is an outcome, violations "
           "in red. A marker stands for all states of that run at that cut with that "
           "outcome (drop and torn variants of one cut share a cut); its area grows with "
           "the log of their number. Colour: the sync pass at the cut (grey: between "
           "syncs). Shape: the block type of the last write before the cut. Shaded bands "
           "are the sync calls recorded in the syncs table (start_op..end_op). The strip "
           "on top counts states per cut and how many of them violate.</p>"]
    shown = [r for r in runs][:runs_max]
    if len(runs) > len(shown):
        out.append('<p class="note">Showing the first %d of %d runs '
                   "(--runs-max).</p>" % (len(shown), len(runs)))
    for r in shown:
        rows, syncs = load_write_log(db, st, r["run_id"])
        if not rows:
            out.append("<p>Run %d: no results stored.</p>" % r["run_id"])
            continue
        name = report_plots.plot_write_log(st, r, rows, syncs, out_dir)
        out.append('<h3>Run %d</h3><img src="%s" alt="outcomes along the write log of run %d">'
                   % (r["run_id"], esc(name), r["run_id"]))
    return "\n".join(out)


def survival_cells(st, runs, counts, nested):
    """(workload, model, profile) -> dict(viol, states, runs, run_violation,
    unfinished, nested_viol, nested_states, depth), over the latest run of
    each configuration (config_key); viol and states count the top-level
    states, nested_viol and nested_states the nested ones, depth is the
    deepest run's."""
    latest = {}
    for r in runs:
        latest[r.get("config_key") or ("run", r["run_id"])] = r
    viol = collections.Counter()
    states = collections.Counter()
    for (run, o, fc, p), n in counts.items():
        states[run] += n
        if st.is_violation(o):
            viol[run] += n
    for (run, d, o), n in nested.items():
        states[(run, "nested")] += n
        if st.is_violation(o):
            viol[(run, "nested")] += n
    cells = {}
    for r in latest.values():
        key = (r["workload"], r.get("model"), r.get("profile"))
        c = cells.setdefault(key, {"viol": 0, "states": 0, "runs": [], "run_violation": False,
                                   "unfinished": False, "nested_viol": 0, "nested_states": 0,
                                   "depth": 1})
        c["viol"] += viol[r["run_id"]]
        c["states"] += states[r["run_id"]]
        c["nested_viol"] += viol[(r["run_id"], "nested")]
        c["nested_states"] += states[(r["run_id"], "nested")]
        c["depth"] = max(c["depth"], r.get("depth") or 1)
        c["runs"].append(r["run_id"])
        c["run_violation"] |= bool(r.get("run_violation"))
        c["unfinished"] |= r.get("finished_at") is None
    return cells


def section_survival(st, runs, counts, nested, out_dir):
    out = ['<h2 id="survival">Survival matrix</h2>',
           "<p>Violating states for each workload (rows) under each device model and "
           "profile (columns), summed over the latest run of every configuration "
           "(config_key: fault plan, seed, geometry and shard) in that cell. Green: no "
           "violation; red: at least one, or a run_violation (the file system disagreed "
           "with the oracle while running, marked !). * marks an unfinished run.</p>"]
    cells = survival_cells(st, runs, counts, nested)
    nesting = has_nesting(runs, nested)
    if nesting:
        out.append("<p>The cells count the top-level states (depth 1); the last column, "
                   '"nested", the nested states of the row\'s cells (crashes in the '
                   "post-recovery workload, depth 2 and more): violating / states. A cell "
                   "with nested states names them too.</p>")
    if not cells:
        return "\n".join(out + ["<p>No runs.</p>"])
    workloads = sorted({k[0] for k in cells})
    present = {(k[1], k[2]) for k in cells}
    # Columns in the database's order of models, then of profiles.
    models = resultsdb.Names.ordered(st.names.models, {m for m, _ in present})
    profiles = resultsdb.Names.ordered(st.names.profiles, {p for _, p in present})
    cols = [(m, p) for m in models for p in profiles if (m, p) in present]

    rows = []
    for w in workloads:
        row = [w]
        for m, p in cols:
            c = cells.get((w, m, p))
            if c is None:
                row.append(("—", "none"))
                continue
            text = "%d / %d%s%s" % (c["viol"], c["states"], " !" if c["run_violation"] else "",
                                    " *" if c["unfinished"] else "")
            if c["nested_states"]:
                text += "; nested %d / %d" % (c["nested_viol"], c["nested_states"])
            text += " (run %s)" % ", ".join(str(x) for x in sorted(c["runs"]))
            row.append((text, "bad" if c["viol"] or c["run_violation"] or c["nested_viol"]
                        else "good"))
        if nesting:
            row.append(nested_column_cell([cells[k] for k in cells if k[0] == w]))
        rows.append(row)
    out.append(table(["workload"] + ["%s / %s" % mp for mp in cols]
                     + (["nested"] if nesting else []), rows))

    report_plots.plot_survival(cells, workloads, cols, out_dir)
    out.append('<img src="survival.png" alt="survival matrix heatmap">')
    return "\n".join(out)


def nested_column_cell(row_cells):
    """The survival matrix's nested cell of a workload: its cells' nested
    states, violating / states, and the deepest depth; a dash when none of
    its runs nests."""
    states = sum(c["nested_states"] for c in row_cells)
    viol = sum(c["nested_viol"] for c in row_cells)
    depth = max(c["depth"] for c in row_cells)
    if not states and depth <= 1:
        return ("—", "none")
    return ("%d / %d (depth %d)" % (viol, states, max(depth, 2)), "bad" if viol else "good")


def violation_in(st):
    """An SQL condition, r.outcome IN (?, ...), and its parameters: the
    outcomes the database names as violations."""
    vs = st.names.violations
    return "r.outcome IN (%s)" % ", ".join("?" * len(vs)), vs


def section_taxonomy(db, st, tables, db_path):
    out = ['<h2 id="taxonomy">Failure taxonomy</h2>',
           "<p>Violating states grouped by outcome and reason, with numbers in the reason "
           "folded to # (so one failure on different blocks is one group). The last write "
           "before the cut is named by block type and its own sync pass (wlog.pass). "
           "Examples prefer states that were checked themselves (not duplicates of another "
           "state's image); each comes with the command that re-runs it and explains "
           "it.</p>"]
    has_wlog = "wlog" in tables
    wlog_join = (" LEFT JOIN wlog w ON w.run_id = s.run_id AND w.op_index = s.last_write"
                 if has_wlog else "")
    wlog_cols = ", w.block_type, w.pass" if has_wlog else ", s.last_block_type, NULL"
    groups = {}
    cond, params = violation_in(st)
    rows = db.execute(
        "SELECT r.run_id, r.state_id, r.outcome, r.reason, s.fault_class, s.dup_of"
        + wlog_cols + " FROM results r LEFT JOIN states s USING (run_id, state_id)"
        + wlog_join + " WHERE " + cond + " ORDER BY r.run_id, s.cut, r.state_id",
        params) if params else []
    for run, sid, outcome, reason, fclass, dup, btype, wpass in rows:
        key = (outcome, fold_reason(reason))
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"n": 0, "runs": collections.Counter(),
                               "classes": collections.Counter(),
                               "writes": collections.Counter(), "examples": [],
                               "more": [], "dup_examples": [], "reason": reason}
        g["n"] += 1
        g["runs"][run] += 1
        g["classes"][fclass or "?"] += 1
        g["writes"]["%s (%s)" % (btype or "no write", report_plots.pass_label(
            report_plots.PASS_NONE if wpass is None else wpass))] += 1
        # Examples: checked states of different runs first, then more checked
        # states, then duplicates. dup_of = state_id: see the consistency notes.
        checked = dup is None or dup == sid
        if not checked:
            bucket = g["dup_examples"]
        elif all(e[0] != run for e in g["examples"]):
            bucket = g["examples"]
        else:
            bucket = g["more"]
        if len(bucket) < TAXONOMY_EXAMPLES:
            bucket.append((run, sid, reason))
    if not groups:
        out.append('<p class="good">No violations in this database.</p>')
        return "\n".join(out)
    ordered = sorted(groups.items(), key=lambda kv: (st.outcome_key(kv[0][0]), -kv[1]["n"],
                                                     kv[0][1]))
    by_outcome = collections.Counter()
    for (o, _), g in ordered:
        by_outcome[o] += g["n"]
    out.append("<p>%d violating states in %d groups: %s.</p>" % (
        sum(by_outcome.values()), len(groups),
        ", ".join("%s %d" % (esc(o), n) for o, n in sorted(by_outcome.items(),
                                                            key=lambda x: st.outcome_key(x[0])))))
    rows = []
    for (o, folded), g in ordered[:TAXONOMY_GROUPS_MAX]:
        examples = (g["examples"] + g["more"] + g["dup_examples"])[:TAXONOMY_EXAMPLES]
        cmds = "".join(
            '<pre class="cmd">crashsim replay %s --db %s --run %d</pre>'
            % (esc(sid), esc(shlex.quote(db_path)), run) for run, sid, _ in examples)
        rows.append([
            (st.outcome_cell(o), ""), ("<code>%s</code><br><span class=\"muted\">e.g. %s</span>"
                                    % (esc(folded), esc(g["reason"])), ""),
            (g["n"], "n"),
            esc(", ".join("%s %d" % kv for kv in sorted(g["classes"].items()))),
            esc(", ".join("run %d: %d" % kv for kv in sorted(g["runs"].items())[:8])
                + (" …" if len(g["runs"]) > 8 else "")),
            esc(", ".join("%s ×%d" % kv for kv in g["writes"].most_common(3))),
            (cmds, ""),
        ])
    out.append(table(["outcome", "reason (folded)", "states", "fault classes", "runs",
                      "last write before the cut", "examples: replay"], rows, raw=True))
    if len(ordered) > TAXONOMY_GROUPS_MAX:
        rest = ordered[TAXONOMY_GROUPS_MAX:]
        out.append("<p>… and %d more groups with %d states.</p>"
                   % (len(rest), sum(g["n"] for _, g in rest)))
    return "\n".join(out)


def section_throughput(db, st, runs, out_dir):
    out = ['<h2 id="throughput">Throughput and leaks</h2>']
    rows = []
    for r in runs:
        dur = r.get("duration_ns")
        rows.append([(r["run_id"], "n"), r["workload"], (r.get("jobs") or "", "n"),
                     (r.get("state_count") or 0, "n"), (r.get("distinct_count") or 0, "n"),
                     (fmt_ns(dur), "n"), (fmt_rate(r.get("state_count"), dur), "n"),
                     (fmt_rate(r.get("distinct_count"), dur), "n")])
    check = {rid: (n, tot) for rid, n, tot in db.execute(
        "SELECT run_id, count(*), sum(duration_ns) FROM results WHERE duration_ns > 0"
        " GROUP BY 1")}
    for row in rows:
        n, tot = check.get(row[0][0], (0, 0))
        row += [(fmt_ns(tot), "n"), (fmt_rate(n, tot), "n")]
    out.append("<p>Wall-clock rates use runs.duration_ns (the whole campaign: recording, "
               "enumeration, checking with all workers, storing). Check time is the sum "
               "of results.duration_ns over the states that were checked themselves "
               "(duplicates store 0): per-worker work, so with j workers it can exceed the "
               "wall time up to j times.</p>")
    out.append(table(["run", "workload", "jobs", "states", "distinct", "wall time",
                      "states/s (wall)", "checked/s (wall)", "check time",
                      "checked/s per worker"], rows))

    per_run = collections.defaultdict(list)
    for rid, d in db.execute("SELECT r.run_id, coalesce(r.duration_ns, 0) FROM results r"
                             " JOIN states s USING (run_id, state_id)"
                             " ORDER BY r.run_id, s.cut, r.state_id"):
        per_run[rid].append(d)
    report_plots.plot_throughput(per_run, runs, out_dir)
    out.append("<p>Left: for each run, the states in enumeration (write-log) order against "
               "the cumulative time spent checking them; steep stretches are cheap states "
               "or runs of duplicates, flat stretches expensive ones. The results table "
               "records no completion time or sequence, so this is not wall-clock "
               "progress. Right: the distribution of the time to check one state.</p>")
    out.append('<img src="throughput.png" alt="throughput plots">')

    leaks = db.execute("SELECT coalesce(r.leaked_blocks, 0), r.outcome, count(*)"
                       " FROM results r GROUP BY 1, 2 ORDER BY 1").fetchall()
    zero = sum(n for v, _, n in leaks if v == 0)
    fine = collections.Counter()
    bad = collections.Counter()
    fine_outcomes = set()
    for v, o, n in leaks:
        if v > 0:
            (bad if st.is_violation(o) else fine)[v] += n
            if not st.is_violation(o):
                fine_outcomes.add(o)
    report_plots.plot_leaks(st, zero, fine, bad, fine_outcomes, out_dir)
    out.append("<h3>Leaks per state</h3><p>GEFS leaks blocks by design after some crashes; "
               "a leak alone is not a violation (its outcome says so: see "
               '<a href="#legend">outcomes</a>).</p>')
    out.append('<img src="leaks.png" alt="histogram of leaked blocks per state">')
    return "\n".join(out)


def section_probes(db, tables, out_dir):
    out = ['<h2 id="probes">Probe coverage</h2>']
    total, nonzero = db.execute("SELECT count(*), count(CASE WHEN probes != 0 THEN 1 END)"
                                " FROM results").fetchone()
    names = {}
    if "probes" in tables:
        try:
            names = {int(b): n for b, n in db.execute("SELECT bit, name FROM probes")
                     if b is not None and 0 <= int(b) < 64}
        except sqlite3.DatabaseError as e:
            out.append("<p>The probes table cannot be read (%s).</p>" % esc(e))
    if not names:
        out.append("<p><b>no probe data</b>: the database has no %sprobes table%s.</p>"
                   % ("readable " if "probes" in tables else "",
                      "" if not nonzero else
                      "; %d of %d states carry a non-zero results.probes bitmap, shown by "
                      "bit number below" % (nonzero, total)))
        if not nonzero:
            return "\n".join(out)
    bits = sorted(set(names) | (set(range(64)) if nonzero and not names else set()))
    sums = ", ".join("sum((probes >> %d) & 1)" % b for b in bits)
    hits = db.execute("SELECT %s FROM results WHERE probes IS NOT NULL" % sums).fetchone()
    hits = [h or 0 for h in hits]
    if not names:
        pairs = [("bit %d" % b, h) for b, h in zip(bits, hits) if h]
    else:
        pairs = [(names[b], h) for b, h in zip(bits, hits)]
        unknown = db.execute("SELECT count(*) FROM results WHERE probes & ? != 0",
                             (_mask_not(names),)).fetchone()[0]
        if unknown:
            out.append('<p class="note">%d states set bits that the probes table does not '
                       "name.</p>" % unknown)
    never = [n for n, h in pairs if h == 0]
    rows = [[esc(n), (h, "n" + (" bad" if h == 0 else "")),
             ("%.1f%%" % (100.0 * h / total) if total else "", "n")] for n, h in pairs]
    out.append("<p>%d states; %d probes, %d never hit%s.</p>"
               % (total, len(pairs), len(never),
                  ": " + ", ".join("<code>%s</code>" % esc(n) for n in never) if never else ""))
    out.append(table(["probe", "states hitting it", "share"], rows, raw=True))
    if pairs:
        report_plots.plot_probes(pairs, out_dir)
        out.append('<img src="probes.png" alt="hits per probe">')
    return "\n".join(out)


def _mask_not(names):
    mask = 0
    for b in names:
        mask |= 1 << b
    inv = ~mask & 0xFFFFFFFFFFFFFFFF
    return inv - (1 << 64) if inv >= 1 << 63 else inv     # As SQLite's signed 64-bit.


def section_legend(st, outcomes_present):
    """Every outcome the database names (outcome_kinds, in its order) with its
    kind and meaning, then any other outcome its results hold."""
    names = st.names
    rows = [[(st.outcome_cell(o), ""), st.kind_cell(o), esc(st.meaning(o)),
             ("present" if o in outcomes_present else "", "n")] for o in names.outcomes]
    by_kind = collections.OrderedDict()
    for o in names.outcomes:
        if not names.violation[o]:
            by_kind.setdefault(names.kind[o], []).append(o)
    kinds = "Violations: %s. Not violations: %s." % (
        ", ".join(names.violations) or "none",
        "; ".join("%s (%s%s)" % (", ".join(outs), KIND_LABELS.get(kind, kind),
                                 ": " + KIND_NOTES[kind] if kind in KIND_NOTES else "")
                  for kind, outs in by_kind.items()) or "none")
    if "outcome_kinds" in names.missing:
        intro = ("The database predates the outcome_kinds table: these are the outcomes its "
                 "results hold, a violation when their stored violation flag is set, and "
                 "their meanings are not stored. %s") % esc(kinds)
    else:
        intro = ("From the database's outcome_kinds table (crashsim writes it from "
                 "sim/check/outcome.h), in its order, then any other outcome its results "
                 "hold. %s") % esc(kinds)
    return ('<h2 id="legend">Outcomes</h2><p>%s</p>' % intro
            + table(["outcome", "kind", "meaning", "in this database"], rows, cls="legend",
                    raw=True))


# ----------------------------------------------------------------------------

def build(db_path, out_dir, runs_max):
    db, tables = open_db(db_path)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as e:
        raise ReportError("%s: cannot create the output directory: %s" % (out_dir, e))
    for old in os.listdir(out_dir):         # Plots of runs no longer present.
        if re.fullmatch(r"writelog_run\d+\.png|probes\.png|survival\.png", old):
            os.remove(os.path.join(out_dir, old))
    runs = load_runs(db)
    st = Style(resultsdb.names(db, tables))
    counts, nested, flags = load_counts(db)
    outcomes_present = {k[1] for k in counts} | {k[2] for k in nested}
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>crashsim report: %s</title>" % esc(os.path.basename(db_path)),
        "<style>%s</style></head><body>" % CSS,
        "<h1>crashsim campaign report</h1>",
        '<p class="muted">Generated by analysis/report.py from <code>%s</code>. '
        "The schema is in docs/SCHEMA.md.</p>" % esc(db_path),
        '<nav><a href="#summary">summary</a><a href="#writelog">write log</a>'
        '<a href="#survival">survival matrix</a><a href="#taxonomy">failure taxonomy</a>'
        '<a href="#throughput">throughput</a><a href="#probes">probe coverage</a>'
        '<a href="#legend">outcomes</a></nav>',
        section_summary(db, st, runs, counts, nested, flags, db_path),
        section_write_log(db, st, runs, out_dir, runs_max),
        section_survival(st, runs, counts, nested, out_dir),
        section_taxonomy(db, st, tables, db_path),
        section_throughput(db, st, runs, out_dir),
        section_probes(db, tables, out_dir),
        section_legend(st, outcomes_present),
        "</body></html>",
    ]
    db.close()
    path = os.path.join(out_dir, "index.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")
    return path, len(runs), sum(counts.values()) + sum(nested.values())


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog=PROG, description="Write an HTML report (index.html and PNG plots) of a "
        "crashsim results database.")
    ap.add_argument("--db", default="results.db", help="result database (default results.db)")
    ap.add_argument("-o", "--out", default="report", help="output directory (default report/)")
    ap.add_argument("--runs-max", type=int, default=12,
                    help="runs that get a write-log plot, the first by run id (default 12)")
    args = ap.parse_args(argv)
    if args.runs_max < 0:
        ap.error("--runs-max must be at least 0")
    try:
        path, nruns, nstates = build(args.db, args.out, args.runs_max)
    except ReportError as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as e:
        print("%s: %s: %s" % (PROG, args.db, e), file=sys.stderr)
        return 2
    print("%s: %d runs, %d states" % (path, nruns, nstates))
    return 0


if __name__ == "__main__":
    sys.exit(main())
