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

# ---- Bad input is refused whole, with FILE:LINE:COL, and nothing is written. ----
printf '# geometry: --size 8M --sise 8M\nsync\n' > "$T/badgeo.trace"
expect "pin refuses an unknown option in the geometry line (exit 2)" 2 \
    "$B" pin -w "$T/badgeo.trace" -o "$T/badgeo.case" w0
grep_out "... naming the file, line and column" \
    "^$T/badgeo.trace:1:23: unknown option '--sise'"
[ ! -e "$T/badgeo.case" ] && ok "... and writes no case" || notok "... and writes no case"
printf 'sync\n# geometry: --size 8M --block-size 5K\n' > "$T/badblock.trace"
expect "pin refuses a bad block size in the geometry line (exit 2)" 2 \
    "$B" pin -w "$T/badblock.trace" -o "$T/badblock.case" w0
grep_out "... naming the file, line and column" \
    "^$T/badblock.trace:2:36: --block-size '5K' is not a block size"
expect "pin refuses a directory as workload (exit 2)" 2 "$B" pin -w "$T" -o "$T/dir.case" w0
grep_out "... as not a regular file" "^$T:1:1: not a regular file (a directory)"
[ ! -e "$T/dir.case" ] && ok "... and writes no case" || notok "... and writes no case"
expect "pin refuses /dev/zero as workload (exit 2)" 2 "$B" pin -w /dev/zero -o "$T/z.case" w0
grep_out "... without reading it" "^/dev/zero:1:1: not a regular file (a character device)"
printf '# geometry: --size 4M --block-size 4K\nmkdir /a\nsync\n' > "$T/geo.trace"
expect "pin takes each geometry field no option gives" 0 \
    "$B" pin -w "$T/geo.trace" --size 8M -o "$T/geo.case" w0
grep -q '^#@ size 8388608$' "$T/geo.case" && grep -q '^#@ block-size 4096$' "$T/geo.case" \
    && ok "... --size from the option, --block-size from the line" \
    || { notok "... --size from the option, --block-size from the line"; sed 's/^/# /' "$T/geo.case"; }

printf '#@ state w0 ok\nmkdir /a\000b\nsync\n' > "$T/nul.case"
expect "regress refuses a case with a NUL byte (exit 2)" 2 "$B" regress "$T/nul.case"
grep_out "... at its line and column" "ERROR $T/nul.case:2:9: control character 0x00"
printf '#@ state w0 ok\nsync # \000\n' > "$T/nulcomment.case"
expect "regress refuses a NUL byte in a comment too (exit 2)" 2 "$B" regress "$T/nulcomment.case"
grep_out "... at its line and column" "ERROR $T/nulcomment.case:2:8: control character 0x00"
mkdir "$T/dir.case"
expect "regress refuses a directory named like a case (exit 2)" 2 "$B" regress "$T/dir.case"
grep_out "... as not a regular file" "ERROR $T/dir.case:1:1: not a regular file (a directory)"
printf '#@state w0 ok\nsync\n' > "$T/nospace.case"
expect "regress refuses a '#@' line that is no directive (exit 2)" 2 "$B" regress "$T/nospace.case"
grep_out "... at its line" "ERROR $T/nospace.case:1:1: bad directive '#@state w0 ok'"
printf '#@ state w0 ok extra\nsync\n' > "$T/extra.case"
expect "regress refuses a state line with an extra word (exit 2)" 2 "$B" regress "$T/extra.case"
grep_out "... at its line" "ERROR $T/extra.case:1:1: bad directive 'state w0 ok extra'"
