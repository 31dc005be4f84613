#!/bin/sh
# tests/cli.sh BUILD: end-to-end tests of the crashsim image commands, in TAP.
# Each case runs the real binary on a real image file and asserts exit codes
# and the lines a user reads.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"
blk() { dd if="$1" of="$2" bs=16384 count=1 seek="$3" conv=notrunc 2>/dev/null; }

expect "version" 0 "$B" --version
grep_out "version names the program" "crashsim "
expect "help lists commands" 0 "$B" --help
grep_out "help names mkfs" "mkfs"
expect "unknown command is a usage error" 2 "$B" frobnicate

expect "mkfs 8M" 0 "$B" mkfs "$T/a.img" --size 8M
grep_out "mkfs reports the geometry" "512 blocks of 16 KiB"
expect "check of a fresh image is clean" 0 "$B" check "$T/a.img"
grep_out "check summary says clean" "clean: 0 corrupt, 0 leaked, 0 warnings"

cp "$T/a.img" "$T/b.img"
head -c 16384 /dev/urandom > "$T/junk"
blk "$T/junk" "$T/b.img" 0
expect "garbage sb0 still checks clean" 0 "$B" check "$T/b.img"
grep_out "a warning names the sb1 fallback" "mounted from sb1"
blk "$T/junk" "$T/b.img" 511
expect "garbage in both superblocks exits 4" 4 "$B" check "$T/b.img"
lines=$(cat "$T/out" "$T/err" | wc -l)
if [ "$lines" -eq 1 ]; then ok "both-superblock failure is one line"; else
    notok "both-superblock failure is one line ($lines lines)"; fi

cp "$T/a.img" "$T/c.img"
head -c 16384 /dev/zero > "$T/zero"
blk "$T/zero" "$T/c.img" 1
expect "zeroed h0 falls back to h1" 0 "$B" check "$T/c.img"
grep_out "the h1 fallback is reported" "mounted from h1"
blk "$T/zero" "$T/c.img" 2
expect "both arena headers bad exits 4" 4 "$B" check "$T/c.img"
grep_out "the reason names the arena header" "arena header"

expect "check without an image is usage 16" 16 "$B" check
expect "check of a missing file is operational 8" 8 "$B" check "$T/none.img"
expect "mkfs without --size is usage 2" 2 "$B" mkfs "$T/d.img"
expect "mkfs with a bad block size is usage 2" 2 "$B" mkfs "$T/d.img" --size 8M --block-size 3K
expect "mkfs too small for its arenas fails" 2 "$B" mkfs "$T/d.img" --size 1M --arenas 32
if [ ! -e "$T/d.img" ]; then ok "a refused mkfs creates no file"; else
    notok "a refused mkfs creates no file"; fi
expect "mkfs 1M with 4K blocks" 0 "$B" mkfs "$T/e.img" --size 1M --block-size 4K --arenas 4
expect "check of the 4K image is clean" 0 "$B" check "$T/e.img"

expect "dump superblock" 0 "$B" dump "$T/a.img" 0
grep_out "dump decodes the superblock" "superblock: valid"
expect "dump arena header" 0 "$B" dump "$T/a.img" 1
grep_out "dump verifies h0 against the superblock" "h0, primary copy of arena 0: ok"
expect "dump log block" 0 "$B" dump "$T/a.img" 3
grep_out "dump lists the sync barrier" "sync    qgen"
expect "dump beyond the image is an error" 2 "$B" dump "$T/a.img" 99999
expect "dump --help" 0 "$B" dump --help
# make help names each target, whatever dependency files make has read.
make -s --no-print-directory help >"$T/help" 2>&1
[ "$(grep -cE '^  (test|explore|coverage|help) ' "$T/help")" -eq 4 ] && ok "make help lists the targets" \
    || { notok "make help lists the targets"; sed 's/^/# /' "$T/help"; }
