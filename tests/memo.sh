#!/bin/sh
# tests/memo.sh BUILD: memoized checking gives a full check's verdicts, in TAP.
# Every standard workload under ordered, writeback (hardened and faithful),
# torn and hostile (every media fault, lying flushes, forged and repointed
# blocks) is explored twice by the same build, in full (--no-memo) and
# memoized (the default); every stored row must agree state by state
# (scripts/same-behaviour: outcome, reason, recovered and legal sync points,
# leaks, corruption count, probes, signatures, duplicate links). One TAP line
# per campaign. fragmented-log under writeback/faithful and hostile/hardened
# is left out for time (115,000 and 139,000 states, about two minutes each
# checked in full); it is compared under the other three configurations.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"
root=$(cd "$(dirname "$0")/.." && pwd)

/usr/bin/python3 "$root/scripts/same-behaviour" "$B" "$B" --old-args=--no-memo --jobs 2 \
    --exclude fragmented-log.trace:writeback/faithful \
    --exclude fragmented-log.trace:hostile/hardened \
    --keep "$T/dbs" >"$T/same" 2>&1
rc=$?
while IFS= read -r line; do
    case $line in
        "same "*) ok "memoized = full: ${line#same      }" ;;
        "excluded "*) echo "# ${line}" ;;
        "DIFFERENT "*) notok "memoized = full: ${line#DIFFERENT }" ;;
        "  "*) echo "# $line" ;;
    esac
done <"$T/same"
check "same-behaviour exit status" "$rc" 0

# The comparison means something only if the two sides check differently:
# the full side knows nothing, the memoized side most lookups.
hits() {
    sqlite3 "$T/dbs/default.trace-writeback-faithful-$1.db" \
        "select coalesce(sum(memo_hits), -1) > 0 from results"
}
check "--no-memo: no lookup answered by a memo" "$(hits old)" 0
check "memoized: lookups answered by the memo" "$(hits new)" 1
