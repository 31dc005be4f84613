# tests/lib/campaign.sh: what the campaign tests share, sourced after tap.sh
# with B set to the crashsim binary. $T/w.trace is the small workload
# (tests/lib/small.trace); q DB SQL queries a database in $T; run DB ARGS...
# runs a quiet two-worker campaign of it into $T/DB and echoes its exit code
# (its output in $T/out).
cp "$(dirname "$0")/lib/small.trace" "$T/w.trace"
q() { sqlite3 "$T/$1" "$2"; }
run() {
    db=$1; shift
    "$B" explore --workload "$T/w.trace" --db "$T/$db" -q -j 2 "$@" >"$T/out" 2>&1
    echo $?
}
