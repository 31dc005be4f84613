#!/bin/sh
# tests/wlog.sh BUILD: end-to-end tests of crashsim wlog (traces/WLOG.md), in TAP.
# A tiny campaign makes a database; its run is exported in both formats and
# imported again (the log hash printed is the run's wlog_hash every time);
# the dm-log-writes file is replayed onto an image the way xfstests'
# replay-log does (an independent reader, below) and the image must be a
# clean file system; malformed files and bad usage exit 2 with one line.
set -u
B="${1:-build}/crashsim"
. "$(dirname "$0")/lib/tap.sh"
one_line() {  # one_line DESC: the last command printed exactly one line on stderr, nothing else
    if [ "$(wc -l < "$T/err")" -eq 1 ] && [ ! -s "$T/out" ]; then ok "$1"; else
        notok "$1"; sed 's/^/# /' "$T/out" "$T/err"; fi
}
hash_of() { sed -n 's/^log hash: //p' "$T/out"; }

# replay LOG IMAGE [MARK]: replays a dm-log-writes log onto IMAGE as replay-log
# (src/log-writes/log-writes.c) does: the super in sector 0, one sector per
# entry, data in the sectors after it, log_entry_valid's checks; stops after
# the first mark named MARK.
replay() {
    /usr/bin/python3 - "$@" <<'PY'
import struct, sys
log, img = sys.argv[1], sys.argv[2]
stop = sys.argv[3].encode() if len(sys.argv) > 3 else None
data = open(log, 'rb').read()
magic, version, nr_entries, ss = struct.unpack_from('<QQQI', data, 0)
if magic != 0x6a736677736872 or version != 1:
    sys.exit("bad super")
pos = ss
with open(img, 'r+b') as out:
    for i in range(nr_entries):
        sector, nr, flags, data_len = struct.unpack_from('<QQQQ', data, pos)
        if (flags == 0 and nr == 0) or (flags != 8 and data[pos + 32] != 0):
            sys.exit("malformed entry %d" % i)
        name = data[pos + 32:pos + 32 + data_len] if flags & 8 else None
        pos += ss
        if nr and not flags & 4:
            out.seek(sector * ss)
            out.write(data[pos:pos + nr * ss])
            pos += nr * ss
        if stop is not None and name == stop:
            break
PY
}

cat > "$T/w.trace" <<'TRACE'
mkdir /a
create /a/f
write /a/f 0 40000 seed=1
create /b
write /b 100 5000 seed=2
sync
write /a/f 8000 20000 seed=3
mv /b /c
sync
snap label main s1
rm /c
sync
TRACE

expect "a tiny campaign" 0 "$B" explore --workload "$T/w.trace" --db "$T/r.db" -q -j 2 --faults pass
stored=$(sqlite3 "$T/r.db" 'select wlog_hash from runs where run_id = 1')

expect "export dm-log-writes" 0 "$B" wlog export 1 --db "$T/r.db" --format dm-log-writes \
    -o "$T/x.dmlog"
grep_out "export names the run" "run 1: "
grep_out "export says what it wrote" "wrote $T/x.dmlog (dm-log-writes, "
check "export prints the run's wlog_hash" "$(hash_of)" "$stored"
expect "export native" 0 "$B" wlog export 1 --db "$T/r.db" -o "$T/x.wlog"
check "native export: the same hash" "$(hash_of)" "$stored"

expect "import dm-log-writes" 0 "$B" wlog import "$T/x.dmlog" -o "$T/y.wlog"
grep_out "import names the format" "x.dmlog: dm-log-writes, "
grep_out "import prints the geometry" "device: 512 blocks of 16384 bytes"
grep_out "import prints the base" "base image: "
grep_out "import counts operations" "operations: [0-9]* ([0-9]* writes, 0 flushes, [0-9]* marks)"
grep_out "import counts contents" "distinct contents: [1-9]"
check "dm-log-writes import: the run's hash" "$(hash_of)" "$stored"
ops=$(sed -n 's/^operations: \([0-9]*\).*/\1/p' "$T/out")
check "the same number of operations as the run" "$ops" \
    "$(sqlite3 "$T/r.db" 'select op_count from runs where run_id = 1')"
expect "import native" 0 "$B" wlog import "$T/x.wlog"
check "native import: the run's hash" "$(hash_of)" "$stored"
expect "import the converted file" 0 "$B" wlog import "$T/y.wlog"
check "converted import: the run's hash" "$(hash_of)" "$stored"
if cmp -s "$T/x.wlog" "$T/y.wlog"; then ok "dm-log-writes -> native equals the native export"
else notok "dm-log-writes -> native equals the native export"; fi

# The dm-log-writes log replays, as replay-log would, into real file systems.
truncate -s 8M "$T/final.img"
replay "$T/x.dmlog" "$T/final.img"
expect "replayed log: a clean file system" 0 "$B" check "$T/final.img"
expect "replayed log: the label it made" 0 "$B" snapshots "$T/final.img"
grep_out "replayed log: label s1 is there" "^s1 "
expect "replayed log: the renamed file, in the label" 0 "$B" stat --snapshot s1 "$T/final.img" /c
expect "replayed log: /a/f" 0 "$B" stat "$T/final.img" /a/f
grep_out "replayed log: /a/f has its 40000 bytes" "^size: 40000"
truncate -s 8M "$T/sync1.img"
replay "$T/x.dmlog" "$T/sync1.img" sync.end
expect "replayed to the first sync.end: clean" 0 "$B" check "$T/sync1.img"
expect "replayed to the first sync.end: /b not renamed yet" 0 "$B" stat "$T/sync1.img" /b

# A log recorded outside crashsim has no crashsim.device mark: the geometry is given.
/usr/bin/python3 - "$T/x.dmlog" "$T/foreign.dmlog" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
nr = struct.unpack_from('<Q', d, 16)[0]
struct.pack_into('<Q', d, 16, nr - 1)
open(sys.argv[2], 'wb').write(d[:512] + d[1024:])   # drop entry 0, the crashsim.device mark
PY
expect "foreign log without a block size: exit 2" 2 "$B" wlog import "$T/foreign.dmlog"
grep_out "it asks for the block size" "needs a block size"
expect "foreign log with --block-size and --size" 0 "$B" wlog import "$T/foreign.dmlog" \
    --block-size 16K --size 8M
check "foreign log: the same log hash" "$(hash_of)" "$stored"

# The kernel's sectorsize is the device's logical block size: 4 KiB on a 4Kn disk.
/usr/bin/python3 - "$T/x.dmlog" "$T/4k.dmlog" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
magic, version, nr, ss = struct.unpack_from('<QQQI', d, 0)
out = bytearray(struct.pack('<QQQI', magic, version, nr, 4096).ljust(4096, b'\0'))
pos = ss
for i in range(nr):
    sector, n, flags, data_len = struct.unpack_from('<QQQQ', d, pos)
    head = d[pos + 32:pos + 32 + data_len] if flags & 8 else b''
    pos += ss
    data = d[pos:pos + n * ss] if n and not flags & 4 else b''
    pos += len(data)
    out += struct.pack('<QQQQ', sector * ss // 4096, n * ss // 4096, flags, data_len)
    out += head.ljust(4096 - 32, b'\0') + data
open(sys.argv[2], 'wb').write(out)
PY
expect "a log with 4096-byte sectors" 0 "$B" wlog import "$T/4k.dmlog"
check "4096-byte sectors: the same log hash" "$(hash_of)" "$stored"

# Malformed files: exit 2, one line naming the failed check.
head -c 100000 "$T/x.wlog" > "$T/trunc.wlog"
expect "truncated native file: exit 2" 2 "$B" wlog import "$T/trunc.wlog"
one_line "truncated native file: one line"
grep_out "truncated native file: the reason" "truncated or extended"
cp "$T/x.wlog" "$T/flip.wlog"
printf 'Z' | dd of="$T/flip.wlog" bs=1 seek=200000 conv=notrunc 2>/dev/null
expect "damaged native file: exit 2" 2 "$B" wlog import "$T/flip.wlog"
grep_out "damaged native file: checksum" "checksum mismatch"
head -c 300000 "$T/x.dmlog" > "$T/trunc.dmlog"
expect "truncated dm-log-writes file: exit 2" 2 "$B" wlog import "$T/trunc.dmlog"
one_line "truncated dm-log-writes file: one line"
head -c 65536 /dev/urandom > "$T/junk"
expect "random bytes: exit 2" 2 "$B" wlog import "$T/junk"
grep_out "random bytes: not a write log" "not a write log"
: > "$T/empty"
expect "empty file: exit 2" 2 "$B" wlog import "$T/empty"
expect "missing file: exit 2" 2 "$B" wlog import "$T/none"
expect "a directory: exit 2" 2 "$B" wlog import "$T"

# Usage.
expect "wlog --help" 0 "$B" wlog --help
expect "wlog export --help" 0 "$B" wlog export --help
grep_out "export help names the formats" "dm-log-writes"
expect "wlog import --help" 0 "$B" wlog import --help
expect "wlog alone: usage" 2 "$B" wlog
expect "unknown subcommand: usage" 2 "$B" wlog frob
expect "export without -o: usage" 2 "$B" wlog export 1 --db "$T/r.db"
expect "export with a bad format: usage" 2 "$B" wlog export 1 --db "$T/r.db" --format x -o "$T/z"
expect "export of a missing run: exit 2" 2 "$B" wlog export 9 --db "$T/r.db" -o "$T/z"
grep_out "missing run: said so" "no such run"
expect "export from a missing database: exit 2" 2 "$B" wlog export 1 --db "$T/none.db" -o "$T/z"
expect "import with two files: usage" 2 "$B" wlog import "$T/x.wlog" "$T/y.wlog"
expect "import with a bad block size: usage" 2 "$B" wlog import "$T/x.wlog" --block-size 3K

# explore --wlog: the crash states of an imported log, judged by sync points
# derived from the log itself (traces/WLOG.md).
expect "explore --wlog of a dm-log-writes export: clean (exit 0)" 0 "$B" explore \
    --wlog "$T/x.dmlog" --db "$T/w.db" -q -j 2 --faults pass,flush,prefix
check "explore --wlog checked states" \
    "$([ "$(sqlite3 "$T/w.db" 'select count(*) from results')" -gt 0 ] && echo yes)" yes
expect "explore with both --workload and --wlog: usage" 2 "$B" explore --wlog "$T/x.dmlog" \
    --workload traces/workloads/default.trace --db "$T/w2.db" -q
# A foreign dm-log-writes log explores with the geometry given, as import takes it.
expect "explore --wlog of a foreign log without a block size: exit 2" 2 "$B" explore \
    --wlog "$T/foreign.dmlog" --db "$T/f.db" -q -j 2 --faults pass
grep_out "it asks for the block size" "needs a block size"
expect "explore --wlog of a foreign log with --block-size and --size: clean (exit 0)" 0 "$B" \
    explore --wlog "$T/foreign.dmlog" --block-size 16K --size 8M --db "$T/f.db" -q -j 2 \
    --faults pass,flush
check "the foreign log explores as the log it came from (same write-log hash)" \
    "$(sqlite3 "$T/f.db" 'select wlog_hash from runs')" \
    "$(sqlite3 "$T/w.db" 'select wlog_hash from runs')"
expect "explore --wlog --arenas: usage" 2 "$B" explore --wlog "$T/foreign.dmlog" --arenas 2 \
    --block-size 16K --db "$T/f2.db" -q
expect "explore --wlog --size without --block-size: usage" 2 "$B" explore \
    --wlog "$T/foreign.dmlog" --size 8M --db "$T/f2.db" -q
