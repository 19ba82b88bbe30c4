#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# memvirt sim's inputs: '-' on every reader, gzip and zstd read as the plain file, corrupt
# compressed files refused in one line, a FILE's kind found from its first bytes, the wrong
# option named, and simulated memory that grows with the pages touched, not with the space
# they are scattered over.
# Usage: test_sim_inputs.sh MEMVIRT BUILD_DIR
. "$(dirname "$0")/lib.sh"
set -o pipefail

# Traces written here from their definition (docs/access-trace.md), not by memvirt.
python3 - "$TMP" <<'PY'
import random, sys
d = sys.argv[1]
def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80); v >>= 7
    out.append(v); return bytes(out)
def zz(x):
    x &= (1 << 64) - 1
    return ((x << 1) & ((1 << 64) - 1)) ^ (((1 << 64) - 1) if x >> 63 else 0)
def mvat(path, addrs):
    b = bytearray(b"MVAT\r\n\x1a\n" + bytes([1, 0, 16, 0, 0, 0, 0, 0]))
    prev = 0
    for a in addrs:
        b.append(0 | (8 << 2)); b += varint(zz(a - prev)); prev = a  # load, 8 bytes
    b.append(3); b += varint(len(addrs))
    open(path, "wb").write(b)
random.seed(3)
# lackey text: a banner, fetches, loads, stores and modifies over 64 pages
lines = ["==4242== Lackey, an example Valgrind tool", "==4242== Command: ./a.out"]
kinds = ["I ", " L", " S", " M"]
for i in range(20000):
    k = random.choice(kinds)
    a = 0x4000000 + random.randrange(64 * 4096)
    lines.append(f"{k} {a:08x},{random.choice([1, 2, 4, 8])}")
lines.append("==4242== ")
open(f"{d}/t.lackey", "w").write("\n".join(lines) + "\n")
# 2000 loads over 50 pages
mvat(f"{d}/t.mvat", [0x7f0000000000 + random.randrange(50) * 4096 for _ in range(2000)])
# 300,000 distinct pages scattered over 1 TiB, each loaded once
pages = random.sample(range((1 << 40) >> 12), 300000)
mvat(f"{d}/sparse.mvat", [p << 12 for p in pages])
PY
cp "$SRC/tests/fuzz/corpus/evfile/stat.ev" "$TMP/t.mvev"
have_zstd=0
command -v zstd >/dev/null && have_zstd=1
for f in t.lackey t.mvat t.mvev; do
	gzip -c "$TMP/$f" >"$TMP/$f.gz"
	[ $have_zstd = 1 ] && zstd -q -c "$TMP/$f" >"$TMP/$f.zst"
done

results() { python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['results'], sort_keys=True))" "$1/sim.json"; }
same_results() { [ "$(results "$1")" = "$(results "$2")" ]; }

# Each kind plain, with its option, in every mode: the reference.
declare -A OPT=([t.lackey]=--lackey [t.mvat]=--access-trace [t.mvev]=--trace)
for f in t.lackey t.mvat t.mvev; do
	expect 0 "$f with ${OPT[$f]}" -- "$MEMVIRT" sim "${OPT[$f]}" "$TMP/$f" --paging all --out "$TMP/ref-$f"
	# FILE alone: the kind from the first bytes
	expect 0 "$f alone" -- "$MEMVIRT" sim "$TMP/$f" --paging all --out "$TMP/alone-$f"
	check "$f alone reads as ${OPT[$f]}" same_results "$TMP/ref-$f" "$TMP/alone-$f"
	for z in gz zst; do
		[ $z = zst ] && [ $have_zstd = 0 ] && continue
		expect 0 "$f.$z" -- "$MEMVIRT" sim "$TMP/$f.$z" --paging all --out "$TMP/$z-$f"
		check "$f.$z gives the results of $f" same_results "$TMP/ref-$f" "$TMP/$z-$f"
		# '-': a pipe, for one mode and (through a copy) for all three
		"$MEMVIRT" sim "${OPT[$f]}" - --paging all --out "$TMP/pipe-$z-$f" <"$TMP/$f.$z" >/dev/null 2>"$TMP/err"
		check "$f.$z through '-' --paging all" same_results "$TMP/ref-$f" "$TMP/pipe-$z-$f"
	done
	cat "$TMP/$f" | "$MEMVIRT" sim "${OPT[$f]}" - --paging nested --out "$TMP/pipe-$f" >/dev/null 2>"$TMP/err"
	check "$f through a pipe, nested" [ "$(python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['results'][0], sort_keys=True))" "$TMP/pipe-$f/sim.json")" = \
		"$(python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['results'][1], sort_keys=True))" "$TMP/ref-$f/sim.json")" ]
done
check "the lackey trace's accesses: loads + stores + 2 x modifies" \
	[ "$(json_get "$TMP/ref-t.lackey/sim.json" "['results'][0]['accesses']")" = \
	"$(awk '/^ L/{n++} /^ S/{n++} /^ M/{n+=2} END{print n}' "$TMP/t.lackey")" ]

# convert: '-' in and out, compressed in
"$MEMVIRT" sim convert --lackey - -o - <"$TMP/t.lackey.gz" 2>/dev/null >"$TMP/conv.mvat"
expect 0 "convert - -o - output is an access trace" -- "$MEMVIRT" sim --access-trace "$TMP/conv.mvat" --paging all --out "$TMP/conv"
check "converted from gzip through pipes: the lackey results" same_results "$TMP/ref-t.lackey" "$TMP/conv"

# trace stat and dump read '-' and compressed files
"$MEMVIRT" trace stat "$TMP/t.mvev" >"$TMP/stat.plain"
"$MEMVIRT" trace stat - <"$TMP/t.mvev.gz" >"$TMP/stat.pipe"
check "trace stat - (gzip) prints what trace stat FILE does" cmp -s "$TMP/stat.plain" "$TMP/stat.pipe"
"$MEMVIRT" trace dump "$TMP/t.mvev" >"$TMP/dump.plain"
"$MEMVIRT" trace dump - <"$TMP/t.mvev" >"$TMP/dump.pipe"
check "trace dump - prints what trace dump FILE does" cmp -s "$TMP/dump.plain" "$TMP/dump.pipe"
if [ $have_zstd = 1 ]; then
	"$MEMVIRT" trace dump "$TMP/t.mvev.zst" -o - >"$TMP/dump.zst"
	check "trace dump FILE.zst -o - prints what trace dump FILE does" cmp -s "$TMP/dump.plain" "$TMP/dump.zst"
fi

# corrupt and truncated compressed files: exit 2, one line
head -c 300 "$TMP/t.lackey.gz" >"$TMP/cut.gz"
expect 2 "truncated gzip" -- "$MEMVIRT" sim --lackey "$TMP/cut.gz" --out "$TMP/x"
check "truncated gzip: one line naming it" one_line "$TMP/err"
check "truncated gzip: says so" has "truncated gzip data" "$TMP/err"
python3 -c "
import sys; d = bytearray(open(sys.argv[1], 'rb').read()); d[12:40] = bytes(28); open(sys.argv[2], 'wb').write(d)" "$TMP/t.mvat.gz" "$TMP/bad.gz"
expect 2 "corrupt gzip" -- "$MEMVIRT" sim --access-trace "$TMP/bad.gz" --out "$TMP/x"
check "corrupt gzip: one line" one_line "$TMP/err"
if [ $have_zstd = 1 ]; then
	head -c 200 "$TMP/t.lackey.zst" >"$TMP/cut.zst"
	expect 2 "truncated zstd" -- "$MEMVIRT" sim "$TMP/cut.zst" --out "$TMP/x"
	check "truncated zstd: one line" one_line "$TMP/err"
	head -c 400 "$TMP/t.mvat.zst" >"$TMP/cut2.zst"
	expect 2 "truncated zstd access trace" -- "$MEMVIRT" sim --access-trace "$TMP/cut2.zst" --out "$TMP/x"
	check "truncated zstd access trace: one line" one_line "$TMP/err"
	check "truncated zstd access trace: says so" has "truncated zstd data" "$TMP/err"
	python3 -c "
import sys; d = bytearray(open(sys.argv[1], 'rb').read()); d[8:] = bytes(len(d) - 8); open(sys.argv[2], 'wb').write(d)" "$TMP/t.mvev.zst" "$TMP/bad.zst"
	expect 2 "corrupt zstd event file" -- "$MEMVIRT" sim --trace "$TMP/bad.zst" --out "$TMP/x"
	check "corrupt zstd event file: one line" one_line "$TMP/err"
fi
printf '\xfd7zXZ\0rest' >"$TMP/t.xz"
expect 2 "xz is named" -- "$MEMVIRT" sim "$TMP/t.xz" --out "$TMP/x"
check "xz: one line saying to decompress it" has "xz-compressed" "$TMP/err"

# the wrong option: what the file is and which option reads it
expect 2 "--lackey given an access trace" -- "$MEMVIRT" sim --lackey "$TMP/t.mvat" --out "$TMP/x"
check "--lackey x.mvat names --access-trace" has "access trace (MVAT): read it with --access-trace" "$TMP/err"
check "--lackey x.mvat: one line" one_line "$TMP/err"
expect 2 "--access-trace given lackey text (gzip)" -- "$MEMVIRT" sim --access-trace "$TMP/t.lackey.gz" --out "$TMP/x"
check "--access-trace x.lackey.gz names --lackey" has "lackey text: read it with --lackey" "$TMP/err"
expect 2 "--trace given an access trace" -- "$MEMVIRT" sim --trace "$TMP/t.mvat" --out "$TMP/x"
check "--trace x.mvat names --access-trace" has "read it with --access-trace" "$TMP/err"
expect 2 "--access-trace given an event file" -- "$MEMVIRT" sim --access-trace "$TMP/t.mvev" --out "$TMP/x"
check "--access-trace x.mvev names --trace" has "event file (MVEVENTS): read it with --trace" "$TMP/err"
printf 'hello\nworld\n' >"$TMP/text"
expect 2 "an unknown file alone" -- "$MEMVIRT" sim "$TMP/text" --out "$TMP/x"
check "unknown file: one line" one_line "$TMP/err"
mkdir -p "$TMP/notarun"
expect 2 "a directory without run.json" -- "$MEMVIRT" sim "$TMP/notarun" --out "$TMP/x"
check "a directory without run.json: says so" has "without run.json" "$TMP/err"
expect 2 "'-' alone" -- "$MEMVIRT" sim - --out "$TMP/x"
check "'-' alone: names the options" has "give --lackey -" "$TMP/err"
expect 2 "a FILE and an input option" -- "$MEMVIRT" sim "$TMP/t.mvat" --lackey "$TMP/t.lackey" --out "$TMP/x"

# Sparse memory: 300,000 pages scattered over 1 TiB, each touched once. Each is a TLB miss
# and a walk (no page is touched twice). Peak RSS (the child's, from getrusage) stays under
# 64 MiB plus 1 KiB per page touched (the tables cost 64 bytes until they hold more than six
# entries, the first-touch set 144 bytes per 512-page region): ~360 MiB, where 4K page tables
# took ~940 MiB.
for mode in native nested; do
	python3 - "$MEMVIRT" "$TMP/sparse.mvat" "$TMP/sparse-$mode" "$mode" >"$TMP/rss" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "sim", "--access-trace", sys.argv[2], "--paging", sys.argv[4],
                "--out", sys.argv[3]], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB
PY
	rss=$(cat "$TMP/rss")
	check "sparse $mode: ran" [ -n "$rss" ]
	check "sparse $mode: 300000 accesses" [ "$(json_get "$TMP/sparse-$mode/sim.json" "['results'][0]['accesses']")" = 300000 ]
	check "sparse $mode: 300000 walks" [ "$(json_get "$TMP/sparse-$mode/sim.json" "['results'][0]['walks']['count']")" = 300000 ]
	check "sparse $mode: peak RSS ${rss} KiB under 64 MiB + 1 KiB x 300000 pages" [ "${rss:-999999999}" -lt $((65536 + 300000)) ]
done
# Shadow mode adds KVM's model: about one shadow page per page here (each guest leaf table
# holds one entry, and is shadowed), ~300 bytes while it holds at most four entries (8.5 KiB
# when every shadow page had 4 KiB of SPTEs and 4 KiB of translations), and per leaf SPTE
# (the data page's, and the direct map's over each guest table) an rmap entry of ~100 bytes.
# Bound: 1 KiB more per page touched, 64 MiB + 2 KiB per page: ~650 MiB, where shadow pages
# of 4K SPTEs took ~2 GB.
python3 - "$MEMVIRT" "$TMP/sparse.mvat" "$TMP/sparse-shadow" >"$TMP/rss" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "sim", "--access-trace", sys.argv[2], "--paging", "shadow",
                "--out", sys.argv[3]], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)  # KiB
PY
rss=$(cat "$TMP/rss")
check "sparse shadow: ran" [ -n "$rss" ]
check "sparse shadow: 300000 accesses" [ "$(json_get "$TMP/sparse-shadow/sim.json" "['results'][0]['accesses']")" = 300000 ]
check "sparse shadow: 300000 guest faults, one per first touch" [ "$(json_get "$TMP/sparse-shadow/sim.json" "['results'][0]['shadow_mmu']['counters']['pf_guest']")" = 300000 ]
check "sparse shadow: peak RSS ${rss} KiB under 64 MiB + 2 KiB x 300000 pages" [ "${rss:-999999999}" -lt $((65536 + 2 * 300000)) ]

# Shadow mode's guest tables fill the first GiB (261,888 frames) before a page in each of
# 2^17 - 1 1G regions is mapped: each takes a leaf table and a directory of its own. One
# line naming the limit and the way out, exit 1 (a simulation failure).
python3 - "$TMP/gig.mvat" <<'PY'
import sys
def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80); v >>= 7
    out.append(v); return bytes(out)
b = bytearray(b"MVAT\r\n\x1a\n" + bytes([1, 0, 16, 0, 0, 0, 0, 0]))
for i in range(1, 1 << 17):
    b.append(8 << 2); b += varint(2 << 30)  # a load 1G after the last one: zigzag(1G) = 2G
b.append(3); b += varint((1 << 17) - 1)
open(sys.argv[1], "wb").write(b)
PY
expect 1 "shadow tables past the first GiB" -- "$MEMVIRT" sim --access-trace "$TMP/gig.mvat" --paging shadow --out "$TMP/x"
check "shadow tables past the first GiB: one line" one_line "$TMP/err"
check "shadow tables past the first GiB: names the limit" has "fill its first GiB, where shadow mode keeps them" "$TMP/err"
check "shadow tables past the first GiB: names the way out" has "use --paging native or nested" "$TMP/err"
expect 0 "the same trace, native" -- "$MEMVIRT" sim --access-trace "$TMP/gig.mvat" --paging native --out "$TMP/x"

# A 64G footprint: its tables (128 MiB of 4K leaves) and the pages its 10,000 accesses touch,
# not 64 GiB.
python3 - "$MEMVIRT" "$TMP/w64" >"$TMP/rss" <<'PY'
import resource, subprocess, sys
subprocess.run([sys.argv[1], "sim", "--workload", "random", "--footprint", "64G", "--iters",
                "10000", "--out", sys.argv[2]], check=True, stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
PY
rss=$(cat "$TMP/rss")
check "random over 64G: peak RSS ${rss} KiB under 1 GiB" [ "${rss:-999999999}" -lt $((1024 * 1024)) ]

echo "test_sim_inputs: $passes passed, $fails failed"
[ "$fails" -eq 0 ]
