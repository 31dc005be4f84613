#!/bin/sh
# tests/coverage.sh BUILD: scripts/coverage keeps its groups apart, in TAP.
# `make coverage` measures which fs/ branches crash campaigns reach apart from
# the test programs; this runs the same script small: a gcov build of crashsim
# and test_format in a scratch directory (BUILD itself is not used: it need
# not be a gcov build), one campaign of tests/lib/small.trace under the first
# fault plan, and test_format as the tests group. It asserts that each group's
# counts land in its own directory and nowhere else (crashsim's objects only
# under campaigns, test_format's only under tests, none beside the objects),
# and are read from there alone (each group reaches branches the other does
# not, with the output inside the tree where gcovr searches by default),
# that the two groups reach different branches of the same fs/ total, that
# the merged file is their branch-by-branch sum, that the summary prints
# what the JSON files hold (and the same again from --no-run), that the
# HTML pages exist and are linked, and that bad arguments are usage errors
# (exit 2).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
. "$(dirname "$0")/lib/tap.sh"
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
cd "$ROOT" || exit 1

if ! command -v gcovr >/dev/null 2>&1; then
    skip "no gcovr (make deps)"
    exit 0
fi
C="$T/build-cov"
if make --no-print-directory COV=1 BUILD="$C" "$C/crashsim" "$C/tests/test_format" -j2 \
        >"$T/make" 2>&1; then
    ok "a gcov build of crashsim and test_format"
else
    notok "a gcov build of crashsim and test_format"
    tail -n 20 "$T/make" | sed 's/^/# /'
    exit 1
fi

# The output goes inside the tree, as make coverage's coverage/ does, so that
# gcovr's search of the tree (--root) would find the other group's counts if
# the script did not name each group's search path. build*/ is ignored by git.
O=$(mktemp -d "$ROOT/build-coverage-sh.XXXXXX") || exit 1
trap 'rm -rf "$T" "$O"' EXIT
expect "scripts/coverage on one small campaign and test_format exits 0" 0 \
    "$PY" scripts/coverage --build "$C" --out "$O" --workload tests/lib/small.trace \
    --plans 1 --tests test_format
cp "$T/out" "$T/summary"
G="$O/gcda"
check "campaign counts only under gcda/campaigns: crashsim's main, no test_format" \
    "$([ -f "$G/campaigns/sim/cli/main.gcda" ] && [ -f "$G/campaigns/fs/fs.gcda" ] \
       && [ ! -e "$G/campaigns/tests/test_format.gcda" ] && echo yes)" yes
check "test counts only under gcda/tests: test_format, no crashsim main" \
    "$([ -f "$G/tests/tests/test_format.gcda" ] && [ -f "$G/tests/fs/format.gcda" ] \
       && [ ! -e "$G/tests/sim/cli/main.gcda" ] && echo yes)" yes
check "no counts beside the build's objects" "$(find "$C" -name '*.gcda' | wc -l)" 0

# branches FILE: covered and total branches of a gcovr JSON file.
cat >"$T/count.py" <<'EOF'
import json, sys
def branches(path):
    data = json.load(open(path))
    return {(f["file"], l["line_number"], i): b["count"]
            for f in data["files"] for l in f["lines"] for i, b in enumerate(l["branches"])}
c, t, a = (branches(sys.argv[1] + "/" + g + ".json") for g in ("campaigns", "tests", "all"))
def hit(d):
    return sum(1 for v in d.values() if v > 0)
if sys.argv[2] == "totals":
    print(len(c), len(t), len(a))
elif sys.argv[2] == "hits":
    print(hit(c), hit(t), hit(a))
elif sys.argv[2] == "only":
    print(sum(1 for k in c if c[k] and not t[k]), sum(1 for k in t if t[k] and not c[k]))
elif sys.argv[2] == "sum":
    print("yes" if all(a[k] == c[k] + t[k] for k in a) and set(a) == set(c) else "no")
EOF
set -- $("$PY" "$T/count.py" "$O" totals)
check "the three files count the same fs/ branches" "$([ "$1" -gt 1000 ] && echo "$2 $3")" "$1 $1"
total=$1
set -- $("$PY" "$T/count.py" "$O" hits)
camp=$1; tests=$2; all=$3
check "campaigns and tests reach different numbers of branches" \
    "$([ "$camp" -ne "$tests" ] && [ "$camp" -gt 0 ] && [ "$tests" -gt 0 ] && echo yes)" yes
check "all reaches at least each group and at most both" \
    "$([ "$all" -ge "$camp" ] && [ "$all" -ge "$tests" ] && [ "$all" -le $((camp + tests)) ] \
       && echo yes)" yes
set -- $("$PY" "$T/count.py" "$O" only)
check "each group reaches branches the other does not" \
    "$([ "$1" -gt 0 ] && [ "$2" -gt 0 ] && echo yes)" yes
check "all.json is the branch-by-branch sum of the groups" "$("$PY" "$T/count.py" "$O" sum)" yes
for g in campaigns tests all; do
    case $g in campaigns) want=$camp ;; tests) want=$tests ;; *) want=$all ;; esac
    check "the summary prints the branches of $g from its file" \
        "$(grep -c "^coverage: $g: $want/$total branches of fs/" "$T/summary")" 1
done
check "the summary prints the campaigns' recovery and fs_check areas" \
    "$(grep -cE '^coverage: campaigns (recovery|fs_check): [0-9]+/[0-9]+ branches' "$T/summary")" 2
for g in campaigns tests all; do
    check "index.html links the pages of $g, which exist" \
        "$([ -f "$O/$g/index.html" ] && grep -q "href=\"$g/index.html\"" "$O/index.html" \
           && echo yes)" yes
done
check "the campaign results are in campaigns.db" \
    "$(sqlite3 "$O/campaigns.db" 'select count(*) from runs')" 1

expect "--no-run reads the same counts again" 0 \
    "$PY" scripts/coverage --build "$C" --out "$O" --workload tests/lib/small.trace \
    --plans 1 --tests test_format --no-run
check "--no-run prints the same summary" "$(grep 'branches of fs/' "$T/out")" \
    "$(grep 'branches of fs/' "$T/summary")"
expect "--no-run without earlier counts is a usage error" 2 \
    "$PY" scripts/coverage --build "$C" --out "$T/empty" --no-run
grep_out "it says so" "no counts of"
expect "a build without gcov data is a usage error" 2 \
    "$PY" scripts/coverage --build "$T" --out "$T/x"
grep_out "it says why" "not a gcov build"
expect "--plans 0 is a usage error" 2 "$PY" scripts/coverage --build "$C" --plans 0
expect "a missing workload is a usage error" 2 \
    "$PY" scripts/coverage --build "$C" --out "$T/x" --workload "$T/none.trace"
expect "a missing test program is a usage error" 2 \
    "$PY" scripts/coverage --build "$C" --out "$T/x" --tests test_none
