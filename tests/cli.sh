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

# ---- Bad input destroys nothing: mkfs refuses before it touches the image. ----
# The geometry is checked (and refused with exit 2) before any file is opened
# or any memory sized from the block count is allocated. A huge --size once
# died in ASan's allocator with exit 1 ("violations"): make test passes
# SAN_BUILD, and its crashsim must refuse such sizes with exit 2 too.
if [ -n "${SAN_BUILD:-}" ] && [ -x "$SAN_BUILD/crashsim" ]; then
    printf 'mkdir /d\n' > "$T/san.trace"
    expect "sanitizer build: mkfs --size 999999G is usage 2" 2 \
        "$SAN_BUILD/crashsim" mkfs "$T/san.img" --size 999999G
    expect "sanitizer build: run --mkfs --size 999999G is usage 2" 2 \
        "$SAN_BUILD/crashsim" run "$T/san.trace" --image "$T/san.img" --mkfs --size 999999G
    expect "sanitizer build: explore --size 999999G is usage 2" 2 \
        "$SAN_BUILD/crashsim" explore --workload "$T/san.trace" --size 999999G --db "$T/san.db" -q
else
    for i in 1 2 3; do n=$((n + 1)); echo "not ok $n # SKIP no SAN_BUILD with a crashsim"; done
fi
same() {  # same DESC FILE1 FILE2: byte-identical
    if cmp -s "$2" "$3"; then ok "$1"; else notok "$1 ($(cmp "$2" "$3" 2>&1 | head -1))"; fi
}
no_tmp() {  # no_tmp DESC DIR: no IMAGE.tmp-XXXXXX left in DIR
    left=$(ls -a "$2" | grep -c '\.tmp-')
    check "$1" "$left" 0
}
"$B" mkfs "$T/keep.img" --size 1M >/dev/null
cp "$T/keep.img" "$T/keep.orig"
expect "mkfs --size 999999G over an image is usage 2" 2 "$B" mkfs "$T/keep.img" --size 999999G
grep_out "it says the device is too large, and the limit" \
    "device too large (65535934464 blocks): at most 4194304 blocks of 16384 bytes (64 GiB)"
same "the refused mkfs leaves the old image byte-identical" "$T/keep.img" "$T/keep.orig"
expect "the limit scales with the block size" 2 \
    "$B" mkfs "$T/keep.img" --size 17G --block-size 4K
grep_out "4 KiB blocks stop at 16 GiB" "at most 4194304 blocks of 4096 bytes (16 GiB)"
same "the old image survives that too" "$T/keep.img" "$T/keep.orig"
expect "--size not a whole number of blocks is usage 2" 2 \
    "$B" mkfs "$T/keep.img" --size 8000000
grep_out "it names the block size and the nearest sizes" \
    "\-\-size 8000000 is not a whole number of 16384-byte blocks (7995392 or 8011776)"
expect "--size 1000000 is refused the same way" 2 "$B" mkfs "$T/keep.img" --size 1000000
grep_out "with its neighbours" "16384-byte blocks (999424 or 1015808)"
expect "--size 1000001K with 4K blocks" 2 "$B" mkfs "$T/keep.img" --size 1000001K --block-size 4K
grep_out "names 4096-byte blocks" "not a whole number of 4096-byte blocks"
same "the old image is untouched by the size errors" "$T/keep.img" "$T/keep.orig"
expect "mkfs into a missing directory exits 2" 2 "$B" mkfs "$T/nodir/x.img" --size 1M
grep_out "it says why" "No such file or directory"
mkdir "$T/adir"
expect "mkfs over a directory exits 2" 2 "$B" mkfs "$T/adir" --size 1M
grep_out "it says the target is a directory" "adir: not a regular file (a directory), not replaced"
if [ -d "$T/adir" ]; then ok "the directory is still there"; else
    notok "the directory is still there"; fi
no_tmp "no temporary image is left after the failures" "$T"
chmod 600 "$T/keep.img"
ln -s keep.img "$T/link.img"
expect "mkfs over an existing image through a link still replaces it" 0 \
    "$B" mkfs "$T/link.img" --size 2M --block-size 4K
check "the new image has the new size" "$(wc -c <"$T/keep.img" | tr -d ' ')" 2097152
if [ -L "$T/link.img" ]; then ok "the link stays a link"; else notok "the link stays a link"; fi
check "the replaced image keeps its permissions" "$(stat -c %a "$T/keep.img")" 600
expect "the replacement checks clean" 0 "$B" check "$T/keep.img"
no_tmp "no temporary image is left after success" "$T"

# ---- A full host file system: a 2 MiB tmpfs (needs root; skipped otherwise). ----
mkdir "$T/full"
trap 'umount "$T/full" 2>/dev/null; rm -rf "$T"' EXIT
if mount -t tmpfs -o size=2M tmpfs "$T/full" 2>/dev/null; then
    # The old image holds a directory, so it differs from a fresh format.
    printf 'mkdir /d\n' >"$T/one.trace"
    "$B" run "$T/one.trace" --image "$T/full/k.img" --mkfs --size 1M >/dev/null
    cp "$T/full/k.img" "$T/k.orig"
    dd if=/dev/zero of="$T/full/fill" bs=4096 2>/dev/null
    expect "mkfs on a full file system exits 2" 2 "$B" mkfs "$T/full/k.img" --size 1M
    grep_out "it says there is no space" "No space left on device"
    same "the old image survives a full file system" "$T/full/k.img" "$T/k.orig"
    expect "run --mkfs on a full file system exits 2" 2 \
        "$B" run "$T/one.trace" --image "$T/full/k.img" --mkfs --size 1M
    grep_out "run says there is no space" "No space left on device"
    same "the old image survives run --mkfs too" "$T/full/k.img" "$T/k.orig"
    no_tmp "no temporary image is left on the full file system" "$T/full"
    umount "$T/full"
else
    for i in 1 2 3 4 5 6 7; do n=$((n + 1)); echo "not ok $n # SKIP cannot mount a tmpfs"; done
fi

# ---- check: a file too short for any file system is corruption (4), not 8. ----
head -c 100 /dev/zero >"$T/z100"
: >"$T/empty"
head -c 100 "$T/a.img" >"$T/t100"          # sb0's magic, but 100 bytes
head -c 100000 "$T/a.img" >"$T/t100k"      # shorter than 10 blocks of 16 KiB
for f in z100 empty t100 t100k; do
    expect "check of the short file $f exits 4" 4 "$B" check "$T/$f"
    grep_out "$f: the reason is CORRUPT: too short" "$f: CORRUPT: image of [0-9]* bytes is shorter"
    lines=$(cat "$T/out" "$T/err" | wc -l)
    check "$f: the reason is one line" "$lines" 1
done
grep_out "the smallest size follows the probed block size" "(163840 bytes, 10 blocks)"
expect "check of a directory is operational 8" 8 "$B" check "$T/adir"
grep_out "it says so" "adir: not a regular file (a directory)"

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
