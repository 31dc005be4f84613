#!/bin/sh
# tests/mutants.sh BUILD: the mutant check of `make mutants` inside `make
# test` — every seeded bug of fs/mutants.h built and run against one fixed
# suite; each must be caught (an "equivalent" mutant must stay uncaught), and
# the total must be N/N. Minimization is left to `make mutants`.
set -u
. "$(dirname "$0")/lib/tap.sh"

/usr/bin/python3 scripts/mutants --no-minimize >"$T/out" 2>&1
rc=$?
while read -r name verdict rest; do
    case $verdict in
        caught) ok "mutant $name caught $rest" ;;
        missed) notok "mutant $name missed $rest" ;;
        not) case $rest in
                 *"as expected"*) ok "mutant $name is equivalent: not caught, as expected" ;;
                 *) notok "mutant $name $verdict $rest" ;;
             esac ;;
    esac
done < "$T/out"
total=$(grep -E '^caught [0-9]+/[0-9]+' "$T/out" | head -1)
k=$(echo "$total" | sed -E 's|^caught ([0-9]+)/([0-9]+).*|\1|')
all=$(echo "$total" | sed -E 's|^caught ([0-9]+)/([0-9]+).*|\2|')
if [ -n "$total" ] && [ "$k" = "$all" ] && [ "$all" -ge 26 ] && [ "$rc" -eq 0 ]; then
    ok "$total"
else
    notok "caught N/N with N >= 26 (got '${total:-no total}', exit $rc)"
    tail -n 20 "$T/out" | sed 's/^/# /'
fi

# A misspelled --only is a usage error naming the seeded bugs, not "0/0".
/usr/bin/python3 scripts/mutants --only DATA_NO_VERIFYY >"$T/only" 2>&1
check "--only with an unknown name exits 2" "$?" 2
if grep -q "no seeded bug named DATA_NO_VERIFYY" "$T/only" && grep -q "DATA_NO_VERIFY," "$T/only" \
        && ! grep -q "^caught" "$T/only"; then
    ok "--only with an unknown name names it and the known ones, and runs nothing"
else
    notok "--only with an unknown name names it and the known ones, and runs nothing"
    sed 's/^/# /' "$T/only"
fi
