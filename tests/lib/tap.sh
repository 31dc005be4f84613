# tests/lib/tap.sh: the TAP helpers the shell tests share, sourced by each.
# T is a scratch directory, removed on exit; ok and notok print numbered
# results; expect DESC WANT_RC CMD... passes when CMD exits WANT_RC and shows
# the first 20 lines of its output otherwise; grep_out DESC PATTERN passes
# when the last expect's output matches; check DESC GOT WANT passes when the
# two strings are equal.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); echo "not ok $n - $1"; }
expect() {
    desc=$1; want=$2; shift 2
    "$@" >"$T/out" 2>"$T/err"; rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$desc"; else
        notok "$desc (exit $rc, want $want)"; sed 's/^/# /' "$T/out" "$T/err" | head -20; fi
}
grep_out() {
    if grep -q -- "$2" "$T/out" "$T/err"; then ok "$1"; else
        notok "$1 (no '$2')"; sed 's/^/# /' "$T/out" "$T/err" | head -20; fi
}
check() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 (got '$2', want '$3')"; fi; }
