#!/bin/sh
# tests/report.sh BUILD: end-to-end tests of analysis/report.py and
# analysis/compare.py, in TAP. It records a small campaign database with the
# real crashsim (three runs of one 9-step trace with three syncs: torn writes,
# a hardened writeback cache, a faithful writeback cache), then checks the
# report's files, that the page names every outcome the results table holds,
# that its replay commands name violating states and actually replay, the
# exit codes of compare.py, and that both scripts fail cleanly on bad input.
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
