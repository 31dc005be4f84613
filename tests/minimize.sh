#!/bin/sh
# tests/minimize.sh BUILD: delta debugging on a known failure — the seeded
# bug REPLAY_PAST_BARRIER (log replay ignores the committed barrier) — must
# give a smaller workload that still fails the same way, written as a case.
set -u
B="${1:-build}/crashsim"
# Spelled as scripts/mutants spells it: make matches the header dependencies
# in .d files by name, and build/../build-mutant-X would miss them.
root=$(dirname "$(dirname "$B")")
MB=build-mutant-REPLAY_PAST_BARRIER
[ "$root" = "." ] || MB="$root/$MB"
. "$(dirname "$0")/lib/tap.sh"

if ! make -s MUTANT=REPLAY_PAST_BARRIER BUILD="$MB" "$MB/crashsim" >"$T/make" 2>&1; then
    notok "build the REPLAY_PAST_BARRIER mutant"; sed 's/^/# /' "$T/make"; exit 0
fi
W=traces/workloads/default.trace
"$MB/crashsim" explore --workload "$W" --db "$T/m.db" --faults pass -q -j 2 >/dev/null 2>&1
id=$(sqlite3 "$T/m.db" "select state_id from violations order by cut desc limit 1")
want=$(sqlite3 "$T/m.db" "select outcome from violations where state_id='$id'")
[ -n "$id" ] && ok "the broken recovery fails ($id: $want)" || notok "the broken recovery fails"

"$MB/crashsim" minimize "$id" --db "$T/m.db" -o "$T/min.case" >"$T/out" 2>&1
[ $? -eq 0 ] && ok "minimize exits 0" || { notok "minimize exits 0"; sed 's/^/# /' "$T/out"; }
steps=$(grep -cv '^#\|^$' "$T/min.case")
orig=$(grep -cv '^#\|^$' "$W")
[ "$steps" -lt "$orig" ] && ok "the workload shrank ($orig -> $steps steps)" \
    || notok "the workload shrank ($orig -> $steps steps)"
grep -q "ops; crash after" "$T/out" && ok "the counter-example is described in words" \
    || notok "the counter-example is described in words"
"$MB/crashsim" regress "$T/min.case" >"$T/reg" 2>&1
[ $? -eq 0 ] && ok "the minimized case still fails the same way under the bug" \
    || { notok "the minimized case still fails the same way under the bug"; sed 's/^/# /' "$T/reg"; }
"$B" regress "$T/min.case" >"$T/reg" 2>&1
[ $? -eq 1 ] && ok "without the bug the minimized case no longer fails" \
    || notok "without the bug the minimized case no longer fails"
grep -v '^#' "$T/min.case" > "$T/min.trace"
"$B" run "$T/min.trace" --image "$T/x.img" --mkfs --size 8M >/dev/null 2>&1
[ $? -eq 0 ] && ok "the minimized trace runs with crashsim run" \
    || notok "the minimized trace runs with crashsim run"
"$B" minimize w0 --db "$T/m.db" -o "$T/none.case" >/dev/null 2>&1
[ $? -eq 1 ] && ok "a state that is not a violation is not minimized (exit 1)" \
    || notok "a state that is not a violation is not minimized (exit 1)"
