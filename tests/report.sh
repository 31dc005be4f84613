#!/bin/sh
# tests/report.sh BUILD: end-to-end tests of analysis/report.py and
# analysis/compare.py, in TAP. It records a small campaign database with the
# real crashsim (three runs of one 9-step trace with three syncs: torn writes,
# a hardened writeback cache, a faithful writeback cache), then checks the
# report's files, that the page names every outcome the results table holds,
# that its replay commands name violating states and actually replay, the
# exit codes of compare.py, and that both scripts fail cleanly on bad input.
# The names (outcomes, kinds, meanings, fault classes, models, profiles) come
# from the database's name tables: the outcome legend is outcome_kinds, an
# outcome no code knows (added to a copy with sqlite3) is drawn and counted as
# its row says, a copy without the name tables (schema version 2, or 1) still
# makes a report with a note and compares, and the scripts spell no name.
set -u
BUILD=${1:-build}
if ! BUILD=$(cd "$BUILD" 2>/dev/null && pwd); then
    echo "not ok 1 - no build directory '${1:-build}'"
    exit 1
fi
B="$BUILD/crashsim"
PY=/usr/bin/python3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPORT="$ROOT/analysis/report.py"
COMPARE="$ROOT/analysis/compare.py"
. "$(dirname "$0")/lib/tap.sh"
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
holds() {  # holds DESC CONDITION...: passes when the shell test holds
    desc=$1; shift
    if "$@"; then ok "$desc"; else notok "$desc"; fi
}

if ! "$PY" -c 'import matplotlib, numpy, sqlite3' 2>/dev/null; then
    skip "$PY cannot import matplotlib, numpy and sqlite3 (make deps)"
    exit 0
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    skip "no sqlite3 command-line shell (make deps)"
    exit 0
fi
q() { sqlite3 "$T/r.db" "$1"; }

cat >"$T/tiny.trace" <<'EOF'
# tests/report.sh: 9 steps, 3 syncs; the 400000-byte writes grow the
# allocation log past one sector, which torn writes can break.
mkdir /d
create /d/a
write /d/a 0 400000 seed=1
sync
create /d/b
write /d/b 0 400000 seed=2
sync
rm /d/a
sync
EOF

# explore exits 1 when it finds violations; either 0 or 1 is a finished run.
explore() {  # explore DESC ARGS...
    desc=$1; shift
    "$B" explore -w "$T/tiny.trace" --db "$T/r.db" -j 2 -q "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ "$rc" -le 1 ]; then ok "$desc (exit $rc)"; else
        notok "$desc (exit $rc)"; sed 's/^/# /' "$T/out" "$T/err"; fi
}
explore "explore run 1: torn, pass,flush,prefix,torn" --model torn \
    --faults pass,flush,prefix,torn
explore "explore run 2: writeback hardened, pass,reorder:1" --model writeback \
    --profile hardened --faults pass,reorder:1
explore "explore run 3: writeback faithful, pass,reorder:1" --model writeback \
    --faults pass,reorder:1
holds "the database holds three runs" [ "$(q 'SELECT count(*) FROM runs')" = 3 ]
holds "the database holds violations" \
    [ "$(q 'SELECT count(*) FROM results WHERE violation')" -gt 0 ]
holds "run 2 (hardened) has no violations" \
    [ "$(q 'SELECT count(*) FROM results WHERE violation AND run_id = 2')" = 0 ]

cd "$T" || exit 1
expect "report.py writes a report" 0 "$PY" "$REPORT" --db r.db -o rep
grep_out "report.py names what it wrote" "rep/index.html: 3 runs"
holds "index.html exists" [ -s rep/index.html ]
for f in survival.png throughput.png leaks.png writelog_run1.png writelog_run2.png \
        writelog_run3.png; do
    holds "$f exists and is a PNG" sh -c "head -c 8 'rep/$f' | grep -q PNG"
done
missing=""
for o in $(q 'SELECT DISTINCT outcome FROM results'); do
    grep -q "</span>$o</td>" rep/index.html || missing="$missing $o"
done
holds "index.html names every outcome in the results table${missing:+ (missing:$missing)}" \
    [ -z "$missing" ]
holds "index.html links only PNGs beside it" \
    sh -c '! grep -Eo "src=\"[^\"]*\"" rep/index.html | grep -v "src=\"[a-z0-9_]*\.png\""'
missing=""
for png in $(grep -Eo 'src="[^"]*"' rep/index.html | sed 's/src="//; s/"$//'); do
    [ -f "rep/$png" ] || missing="$missing $png"
done
holds "every linked PNG exists${missing:+ (missing:$missing)}" [ -z "$missing" ]
holds "index.html fetches nothing from the network" \
    sh -c '! grep -Eqi "(src|href)=\"(https?:)?//" rep/index.html'
holds "the page names the recovery probes" grep -q "mount.sb1_fallback" rep/index.html
holds "the page names a probe no state reached" grep -q "log.replay_chain" rep/index.html

grep -Eo 'crashsim replay [^ <]+ --db [^ <]+ --run [0-9]+' rep/index.html >"$T/replays"
holds "the failure taxonomy lists replay commands" [ -s "$T/replays" ]
bad=""
while read -r _ _ id _ db _ run; do
    v=$(q "SELECT violation FROM results WHERE run_id = $run AND state_id = '$id'")
    [ "$v" = 1 ] && [ "$db" = r.db ] || bad="$bad $id/$run"
done <"$T/replays"
holds "every replay command names a violating state of its run${bad:+ (not:$bad)}" [ -z "$bad" ]
set -- $(head -n 1 "$T/replays")
expect "the first replay command replays a violation (exit 1)" 1 "$B" replay "$3" --db "$5" \
    --run "$7"

expect "compare: latest run against itself" 0 "$PY" "$COMPARE" r.db r.db
grep_out "compare prints a verdict" "verdict: no new violations in B"
# Run 3 violates by design (a writeback cache and no flushes loses completed
# syncs); whether run 1 does depends on the file system's handling of torn
# writes, so its expected exit status comes from the database.
expect "compare: hardened run A, violating run B exits 1" 1 "$PY" "$COMPARE" r.db r.db \
    --run-a 2 --run-b 3
grep_out "compare lists the new violation classes" "new in B: .*/drop ("
grep_out "compare prints throughput" "throughput: A [0-9]* states/s, B [0-9]* states/s"
want=0
[ "$(q 'SELECT count(*) FROM results WHERE violation AND run_id = 1')" -gt 0 ] && want=1
expect "compare: hardened run A, torn run B exits $want" $want "$PY" "$COMPARE" r.db r.db \
    --run-a 2 --run-b 1
expect "compare: violating run A, hardened run B exits 0" 0 "$PY" "$COMPARE" r.db r.db \
    --run-a 3 --run-b 2
grep_out "compare lists vanished violation classes" "vanished in B: .*corrupt/drop"
cp r.db r2.db
expect "compare across two database files" 0 "$PY" "$COMPARE" r.db r2.db --run-a 1 --run-b 1
grep_out "a run compared with its copy has no flips" "outcome flipped in 0 states"
expect "compare with one database is a usage error" 2 "$PY" "$COMPARE" r.db
expect "compare with a missing database exits 2" 2 "$PY" "$COMPARE" r.db none.db
grep_out "compare names the missing database" "none.db: no such database"
expect "compare with a missing run exits 2" 2 "$PY" "$COMPARE" r.db r.db --run-b 99
expect "compare with a bad run id is a usage error" 2 "$PY" "$COMPARE" r.db r.db --run-a x

# The names come from the database. legend PAGE COLS...: the cells COLS
# (0 outcome, 1 kind, 2 meaning, 3 in this database) of each row of the
# page's outcome legend (table class="legend"), tab-separated.
cat >"$T/legend.py" <<'PY'
import html.parser
import sys


class Legend(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.rows, self.row, self.cell = False, [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "legend") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.row = []
        elif self.inside and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "table":
            self.inside = False
        elif tag == "td" and self.cell is not None:
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row:
            self.rows.append(self.row)

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


p = Legend()
with open(sys.argv[1], encoding="utf-8") as f:
    p.feed(f.read())
for row in p.rows:
    print("\t".join(row[int(c)] for c in sys.argv[2:]))
PY
legend() { "$PY" "$T/legend.py" "$@"; }
TAB=$(printf '\t')
has_row() {  # has_row PAGE ROW COLS...: the legend has ROW in columns COLS
    page=$1; row=$2; shift 2
    legend "$page" "$@" | grep -qxF -- "$row"
}
total_is() {  # total_is PAGE N: the summary counts N violating states
    grep -q "\"viol\">$2 violating states<" "$1"
}
viols=$(q 'SELECT count(*) FROM results WHERE violation')
holds "the page counts the stored violations ($viols)" total_is rep/index.html "$viols"
sqlite3 -separator "$TAB" r.db 'SELECT outcome, meaning FROM outcome_kinds ORDER BY rank' \
    >"$T/want"
legend rep/index.html 0 2 >"$T/got"
holds "the outcome legend is outcome_kinds: every outcome in order, with its meaning" \
    cmp -s "$T/want" "$T/got"
holds "outcome_kinds lists the outcomes" [ "$(wc -l <"$T/want")" -gt 5 ]
sqlite3 -separator "$TAB" r.db "SELECT outcome, replace(kind, 'unchecked', 'not checked')
    FROM outcome_kinds ORDER BY rank" >"$T/want"
legend rep/index.html 0 1 >"$T/got"
holds "the legend gives each outcome its kind from outcome_kinds" cmp -s "$T/want" "$T/got"
missing=""
for fc in $(q 'SELECT fault_class FROM fault_classes ORDER BY rank'); do
    grep -q "<th>$fc states</th>" rep/index.html || missing="$missing $fc"
done
holds "the page has a column for every class of fault_classes${missing:+ (missing:$missing)}" \
    [ -z "$missing" ]
# The scripts spell no name as a string (a kind, which keys a style, may be
# spelled like an outcome: unchecked).
spelled=""
for name in $(q "SELECT outcome FROM outcome_kinds UNION SELECT fault_class FROM fault_classes
        UNION SELECT model FROM device_models UNION SELECT profile FROM sync_profiles
        EXCEPT SELECT kind FROM outcome_kinds"); do
    grep -Eq "[\"']$name[\"']" "$ROOT"/analysis/*.py && spelled="$spelled $name"
done
holds "analysis/*.py spells no outcome, fault class, model or profile${spelled:+ (:$spelled)}" \
    [ -z "$spelled" ]

# An outcome no code knows, in copies: 'melted', a violation, for a state of
# run 2 (which has none); 'shrugged', fine, for a violating state of run 3.
sid2=$(q "SELECT min(state_id) FROM results WHERE run_id = 2")
sid3=$(q "SELECT min(state_id) FROM results WHERE run_id = 3 AND violation")
cp r.db melted.db
sqlite3 melted.db "INSERT INTO outcome_kinds (outcome, rank, kind, violation, meaning)
    VALUES ('melted', 99, 'violation', 1, 'the disk melted (an outcome no code knows)');
    UPDATE results SET outcome = 'melted', violation = 1
    WHERE run_id = 2 AND state_id = '$sid2'"
expect "report.py on a database with an unknown violating outcome" 0 "$PY" "$REPORT" \
    --db melted.db -o rep-melted
holds "the unknown outcome is in the tables" grep -q "</span>melted</td>" rep-melted/index.html
holds "it is counted as the violation outcome_kinds says" \
    total_is rep-melted/index.html $((viols + 1))
holds "the taxonomy replays its state" \
    grep -q "crashsim replay $sid2 --db melted.db --run 2<" rep-melted/index.html
holds "the legend lists it as a violation, with its meaning, present" \
    has_row rep-melted/index.html \
    "melted${TAB}violation${TAB}the disk melted (an outcome no code knows)${TAB}present" 0 1 2 3
sqlite3 -separator "$TAB" melted.db 'SELECT outcome, meaning FROM outcome_kinds ORDER BY rank' \
    >"$T/want"
legend rep-melted/index.html 0 2 >"$T/got"
holds "the legend is outcome_kinds with the new outcome" cmp -s "$T/want" "$T/got"
expect "compare: the unknown violating outcome is a new violation" 1 "$PY" "$COMPARE" \
    r.db melted.db --run-a 2 --run-b 2
grep_out "compare lists the flip to the unknown outcome" "$sid2 .*-> melted  *new violation"
grep_out "compare tags it with its kind" "melted .*(violation)"

cp r.db shrugged.db
sqlite3 shrugged.db "INSERT INTO outcome_kinds (outcome, rank, kind, violation, meaning)
    VALUES ('shrugged', 98, 'fine', 0, 'the disk shrugged (an outcome no code knows)');
    UPDATE results SET outcome = 'shrugged', violation = 0
    WHERE run_id = 3 AND state_id = '$sid3'"
expect "report.py on a database with an unknown fine outcome" 0 "$PY" "$REPORT" \
    --db shrugged.db -o rep-shrugged
holds "the unknown fine outcome is in the tables" \
    grep -q "</span>shrugged</td>" rep-shrugged/index.html
holds "it is not counted as a violation" total_is rep-shrugged/index.html $((viols - 1))
holds "the taxonomy does not replay its state" \
    sh -c "! grep -q 'crashsim replay $sid3 --db shrugged.db --run 3<' rep-shrugged/index.html"
holds "the legend lists it as fine" has_row rep-shrugged/index.html "shrugged${TAB}fine" 0 1
expect "compare: the unknown fine outcome is a fix" 0 "$PY" "$COMPARE" r.db shrugged.db \
    --run-a 3 --run-b 3
grep_out "compare lists the flip to it as fixed" "$sid3 .*-> shrugged  *fixed"

# outcome_kinds decides; a stored results.violation that disagrees is flagged.
cp r.db disagree.db
sqlite3 disagree.db "INSERT INTO outcome_kinds (outcome, rank, kind, violation, meaning)
    VALUES ('melted', 99, 'violation', 1, 'the disk melted');
    UPDATE results SET outcome = 'melted', violation = 0
    WHERE run_id = 2 AND state_id = '$sid2'"
expect "report.py on a stored flag that disagrees with outcome_kinds" 0 "$PY" "$REPORT" \
    --db disagree.db -o rep-disagree
holds "the page counts it as outcome_kinds says" total_is rep-disagree/index.html $((viols + 1))
holds "the page flags the disagreement" grep -q \
    "<b>melted</b> is stored with violation=0, but outcome_kinds says it is a violation" \
    rep-disagree/index.html

# A database that predates the name tables (schema version 2): crashsim
# upgrades a file only when it opens it for writing, so a report may read one.
cp r.db old.db
sqlite3 old.db "DROP TABLE outcome_kinds; DROP TABLE fault_classes; DROP TABLE device_models;
    DROP TABLE sync_profiles; PRAGMA user_version = 2"
expect "report.py on a database without the name tables" 0 "$PY" "$REPORT" --db old.db \
    -o rep-old
holds "the page notes that the database predates the name tables" \
    grep -q "This database (schema version 2) predates the name tables" rep-old/index.html
holds "the page counts the stored violations" total_is rep-old/index.html "$viols"
q 'SELECT DISTINCT outcome FROM results ORDER BY 1' >"$T/want"
legend rep-old/index.html 0 | sort >"$T/got"
holds "its legend lists the outcomes the results hold" cmp -s "$T/want" "$T/got"
sqlite3 -separator "$TAB" r.db "SELECT DISTINCT outcome,
    CASE WHEN violation THEN 'violation' ELSE 'fine' END FROM results ORDER BY 1" >"$T/want"
legend rep-old/index.html 0 1 | sort >"$T/got"
holds "their kinds follow the stored violation flags" cmp -s "$T/want" "$T/got"
missing=""
for fc in $(q 'SELECT DISTINCT fault_class FROM states'); do
    grep -q "<th>$fc states</th>" rep-old/index.html || missing="$missing $fc"
done
holds "the page has a column for every fault class of the states${missing:+ (missing:$missing)}" \
    [ -z "$missing" ]
missing=""
for mp in $(q "SELECT DISTINCT model || '/' || profile FROM runs"); do
    grep -q "<th>${mp%/*} / ${mp#*/}</th>" rep-old/index.html || missing="$missing $mp"
done
holds "the survival matrix has every model/profile of the runs${missing:+ (missing:$missing)}" \
    [ -z "$missing" ]
for f in survival.png writelog_run3.png leaks.png; do
    holds "the old database's $f is a PNG" sh -c "head -c 8 'rep-old/$f' | grep -q PNG"
done
expect "compare on a database without the name tables" 0 "$PY" "$COMPARE" old.db old.db
grep_out "compare notes that it predates the name tables" \
    "note: A (old.db) predates the name tables"
expect "compare on it: hardened run A, violating run B exits 1" 1 "$PY" "$COMPARE" \
    old.db old.db --run-a 2 --run-b 3
grep_out "compare on it lists the new violation classes" "new in B: .*/drop ("
expect "compare of a new and an old database" 0 "$PY" "$COMPARE" r.db old.db --run-a 1 \
    --run-b 1
grep_out "the new and the old database agree" "outcome flipped in 0 states"
# The unversioned schema 1: user_version 0, and no results.retries either.
cp old.db v1.db
sqlite3 v1.db "ALTER TABLE results DROP COLUMN retries; PRAGMA user_version = 0"
expect "report.py on an unversioned (schema 1) database" 0 "$PY" "$REPORT" --db v1.db \
    -o rep-v1
holds "the page notes that it predates the name tables" \
    grep -q "This database (schema version 0) predates the name tables" rep-v1/index.html
expect "compare on an unversioned database" 0 "$PY" "$COMPARE" v1.db r.db --run-a 2 --run-b 2

expect "report.py on a missing database fails" 2 "$PY" "$REPORT" --db none.db -o rep2
grep_out "report.py names the missing database" "none.db: no such database"
holds "a failed report writes nothing" [ ! -e rep2 ]
holds "a failed report leaves no database behind" [ ! -e none.db ]
echo "not a database" >junk.db
expect "report.py on a file that is not SQLite fails" 2 "$PY" "$REPORT" --db junk.db -o rep2
sqlite3 other.db 'CREATE TABLE t (x)'
expect "report.py on a foreign SQLite database fails" 2 "$PY" "$REPORT" --db other.db -o rep2
grep_out "report.py says it is not a crashsim database" "not a crashsim database"

# The same scripts through the crashsim command line.
expect "crashsim report writes the page" 0 "$B" report --db "$T/r.db" -o "$T/rep3"
holds "crashsim report made index.html" [ -f "$T/rep3/index.html" ]
expect "crashsim compare of a run with itself: no new violations" 0 "$B" compare "$T/r.db" "$T/r.db"
expect "crashsim compare of a missing database: usage" 2 "$B" compare "$T/r.db" "$T/none.db"

# scripts/coverage-areas.py on a gcovr JSON made by hand: branches count only
# in the functions of each area (mount_super is recovery, fs_sync is not; all
# of fs/check.c is fs_check), and functions below 80% are listed.
cat > "$T/cov.json" <<'JSON'
{"files": [
 {"file": "fs/fs.c", "functions": [{"name": "fs_sync", "lineno": 1}, {"name": "mount_super", "lineno": 10}],
  "lines": [
   {"line_number": 2, "branches": [{"count": 0}, {"count": 0}]},
   {"line_number": 11, "branches": [{"count": 3}, {"count": 0}]},
   {"line_number": 12, "branches": [{"count": 1}, {"count": 1}]}]},
 {"file": "fs/check.c", "functions": [{"name": "check_log", "lineno": 1}],
  "lines": [{"line_number": 5, "branches": [{"count": 2}, {"count": 2}, {"count": 0}]}]},
 {"file": "fs/tree.c", "functions": [{"name": "tree_scan", "lineno": 1}],
  "lines": [{"line_number": 3, "branches": [{"count": 0}, {"count": 0}]}]}]}
JSON
expect "coverage-areas.py reads gcovr JSON" 0 "$PY" "$ROOT/scripts/coverage-areas.py" "$T/cov.json"
grep_out "recovery: only mount_super's branches" "coverage: recovery: 3/4 branches (75.0%)"
grep_out "fs_check: all of fs/check.c" "coverage: fs_check: 2/3 branches (66.7%)"
grep_out "functions below 80% are named" "fs/check.c check_log: 2/3"
