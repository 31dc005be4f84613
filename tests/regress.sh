#!/bin/sh
# tests/regress.sh BUILD: the regression corpus, case by case, in TAP; and the
# regress command itself: a changed outcome, a stale case and a malformed case.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"

"$B" regress traces/regress >"$T/out" 2>&1
rc=$?
while read -r word name rest; do
    case $word in
        ok) ok "regress $name $rest" ;;
        FAIL|ERROR) notok "regress $name $rest" ;;
    esac
done < "$T/out"
[ "$rc" -eq 0 ] && ok "the corpus passes (exit 0)" || notok "the corpus passes (exit $rc)"

c=traces/regress/default-pass.case
first=$(grep -m1 '^#@ state' "$c" | awk '{print $3}')
sed "s|^#@ state $first ok|#@ state $first lost_sync|" "$c" > "$T/changed.case"
"$B" regress "$T/changed.case" >"$T/out" 2>&1
[ $? -eq 1 ] && ok "a changed outcome fails (exit 1)" || notok "a changed outcome fails"
grep -q "$first: expected lost_sync, got ok" "$T/out" && ok "the failure names the id and both outcomes" \
    || { notok "the failure names the id and both outcomes"; sed 's/^/# /' "$T/out"; }

sed 's|^#@ wlog .*|#@ wlog 0123456789abcdef|' "$c" > "$T/stale.case"
"$B" regress "$T/stale.case" >"$T/out" 2>&1
[ $? -eq 1 ] && grep -q stale "$T/out" && ok "a case for another write log is stale" \
    || notok "a case for another write log is stale"

printf '#@ state nonsense ok\nsync\n' > "$T/bad.case"
"$B" regress "$T/bad.case" >"$T/out" 2>&1
[ $? -eq 2 ] && grep -q "bad directive" "$T/out" && ok "a malformed case is an error (exit 2)" \
    || notok "a malformed case is an error (exit 2)"

"$B" pin -w traces/workloads/default.trace -o "$T/pinned.case" w0 w5 >/dev/null 2>&1 \
    && "$B" regress "$T/pinned.case" >/dev/null 2>&1 \
    && ok "pin writes a case that regress passes" || notok "pin writes a case that regress passes"
"$B" pin -w traces/workloads/default.trace -o "$T/x.case" w99999 >/dev/null 2>&1
[ $? -eq 2 ] && ok "pin refuses a state beyond the write log" || notok "pin refuses a state beyond the write log"
