#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt sim: walk counts from the hardware rules, lackey input, usage errors.
source "$(dirname "$0")/lib.sh"

res() { json_get "$TMP/out" "$1"; }
# num_eq A B: equal as numbers (JSON may write 4 or 4.0).
num_eq() { python3 -c "import sys; sys.exit(float(sys.argv[1]) != float(sys.argv[2]))" "$1" "$2"; }

expect 0 "sim --help" -- "$MEMVIRT" sim --help
check "sim --help has examples" has "examples:" "$TMP/out"

# 256 distinct 4K pages touched once (load + store each), textbook preset (no caches, no PWC):
# one walk per page; 4 refs native (4 levels), 4 + 4*4 + 4 = 24 nested, 4 shadow. Shadow (KVM's
# rules): the load maps the clean guest PTE read-only, so the store takes a second #PF exit and
# walks again: two exits and two walks per page.
expect 0 "stride all" -- "$MEMVIRT" sim --workload stride --footprint 1M --stride 4K --iters 1 \
	--paging all --json --out "$TMP/s1"
check "native accesses = 2 per page" test "$(res "['results'][0]['accesses']")" = 512
check "native walks = pages" test "$(res "['results'][0]['walks']['count']")" = 256
check "native refs/walk = 4" num_eq "$(res "['results'][0]['walks']['refs_per_walk']")" 4.0
check "nested walks = pages" test "$(res "['results'][1]['walks']['count']")" = 256
check "nested refs/walk = 24" num_eq "$(res "['results'][1]['walks']['refs_per_walk']")" 24.0
check "shadow refs/walk = 4" num_eq "$(res "['results'][2]['walks']['refs_per_walk']")" 4.0
check "shadow walks = 2 per page" test "$(res "['results'][2]['walks']['count']")" = 512
check "shadow pf exits = 2 per page" test "$(res "['results'][2]['shadow_events']['pf_exit']")" = 512
# The model's counters in the measured region (the default --roi measured): 512 fixes, no
# guest fault (the tables were built first), no emulated store: the machine's set-up before
# the region (building the tables, the first CR3 load) is not counted. Cycles from the
# textbook preset's [shadow] costs (pf_exit 2500): 512 * 2500.
check "shadow_mmu pf_fixed" test "$(res "['results'][2]['shadow_mmu']['counters']['pf_fixed']")" = 512
check "shadow_mmu pf_guest" test "$(res "['results'][2]['shadow_mmu']['counters']['pf_guest']")" = 0
check "shadow_mmu pf_emulate" test "$(res "['results'][2]['shadow_mmu']['counters']['pf_emulate']")" = 0
check "shadow_mmu exit cycles" test "$(res "['results'][2]['shadow_mmu']['cycles']['total']")" = 1280000
check "shadow_mmu only in shadow mode" test "$(res "['results'][0].get('shadow_mmu', 'none')")" = none
# --roi all counts the set-up too: one emulated store (into the root, shadowed by the CR3
# load) and the CR3 exit: 512 * 2500 + 4000 (wrprot_exit) + 2000 (cr3_exit).
expect 0 "stride all, --roi all" -- "$MEMVIRT" sim --workload stride --footprint 1M --stride 4K \
	--iters 1 --paging shadow --roi all --json --out "$TMP/s1a"
check "--roi all: pf_emulate" test "$(res "['results'][0]['shadow_mmu']['counters']['pf_emulate']")" = 1
check "--roi all: exit cycles" test "$(res "['results'][0]['shadow_mmu']['cycles']['total']")" = 1286000
check "--roi all: same accesses" test "$(res "['results'][0]['accesses']")" = 512
expect 0 "stride all, table" -- "$MEMVIRT" sim --workload stride --footprint 1M --stride 4K --iters 1 \
	--paging all --roi all --out "$TMP/s1t"
check "table: shadow rows" has "pf_emulate  *-  *-  *1$" "$TMP/out"
expect 0 "stride native, table" -- "$MEMVIRT" sim --workload stride --footprint 1M --stride 4K \
	--iters 1 --out "$TMP/s1n"
check "table: no shadow rows without shadow mode" sh -c '! grep -q pf_fixed "$1"' _ "$TMP/out"
check "sim.json written" python3 -m json.tool "$TMP/s1/sim.json" /dev/null
check "no temporary files left" test "$(ls "$TMP/s1")" = sim.json

# 2M guest and host pages: 3-level walks; nested 3 + 3*3 + 3 = 15; 4K guest on 2M host: 4+4*3+3.
expect 0 "stride 2m/2m" -- "$MEMVIRT" sim --workload stride --footprint 4M --iters 1 \
	--paging nested --page-size 2m --host-pages 2m --json --out "$TMP/s2"
check "2M walks = 2M pages" test "$(res "['results'][0]['walks']['count']")" = 2
check "2M/2M nested refs/walk = 15" num_eq "$(res "['results'][0]['walks']['refs_per_walk']")" 15.0
expect 0 "stride 4k/2m" -- "$MEMVIRT" sim --workload stride --footprint 1M --iters 1 \
	--paging nested --host-pages 2m --json --out "$TMP/s3"
check "4K/2M nested refs/walk = 19" num_eq "$(res "['results'][0]['walks']['refs_per_walk']")" 19.0

# Human table with all modes side by side.
expect 0 "table" -- "$MEMVIRT" sim --workload stride --footprint 1M --iters 1 --paging all \
	--out "$TMP/s4"
check "table has modes" grep -q "native *nested *shadow" "$TMP/out"
check "table has refs per walk" grep -q "refs per walk *4.00 *24.00 *4.00" "$TMP/out"

# Lackey: 3 loads, 2 stores, 1 modify (load + store) over 3 distinct pages of 4K.
cat >"$TMP/trace.txt" <<'T'
==123== Lackey, an example Valgrind tool
I  04001000,3
 L 7ff000000,8
 L 7ff000008,8
 S 7ff001000,4
 M 7ff002010,8
 L 7ff002018,8
 S 7ff000010,8
==123== end
T
expect 0 "lackey" -- "$MEMVIRT" sim --lackey "$TMP/trace.txt" --json --out "$TMP/l1"
check "lackey accesses = 3 L + 2 S + 2 for M" test "$(res "['results'][0]['accesses']")" = 7
check "lackey writes = 2 S + 1 M" test "$(res "['results'][0]['writes']")" = 3
check "lackey walks = 3 pages" test "$(res "['results'][0]['walks']['count']")" = 3
check "lackey no faults" test "$(res "['results'][0]['faults']")" = 0
check "lackey loads counted" test "$(res "['config']['input']['loads']")" = 3
expect 0 "lackey nested" -- "$MEMVIRT" sim --lackey "$TMP/trace.txt" --paging nested --json \
	--out "$TMP/l2"
check "lackey nested refs/walk = 24" num_eq "$(res "['results'][0]['walks']['refs_per_walk']")" 24.0

# The same trace as a memvirt access trace: same results as the lackey text, every mode.
expect 0 "convert" -- "$MEMVIRT" sim convert --lackey "$TMP/trace.txt" -o "$TMP/trace.mvat"
check "convert reports records" has "7 records" "$TMP/err"
check "convert: no temporary left" test -z "$(ls "$TMP" | grep 'trace.mvat.tmp')"
check "trace is binary with magic" test "$(head -c 4 "$TMP/trace.mvat")" = MVAT
expect 0 "lackey all" -- "$MEMVIRT" sim --lackey "$TMP/trace.txt" --paging all --json --out "$TMP/l5"
expect 0 "access trace all" -- "$MEMVIRT" sim --access-trace "$TMP/trace.mvat" --paging all \
	--json --out "$TMP/a1"
check "access trace: same results as lackey" python3 -c "
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
sys.exit(a['results'] != b['results'])" "$TMP/l5/sim.json" "$TMP/a1/sim.json"
check "access trace input kind" test "$(res "['config']['input']['kind']")" = access-trace
check "access trace records (6 + 1 fetch)" test "$(res "['config']['input']['records']")" = 7
cat "$TMP/trace.txt" | "$MEMVIRT" sim convert --lackey - -o - >"$TMP/piped.mvat" 2>/dev/null
check "convert through pipes: same bytes" cmp "$TMP/piped.mvat" "$TMP/trace.mvat"
# Each conversion writes its own OUT.tmp.XXXXXX, and SIGINT or SIGTERM removes it.
mkdir -p "$TMP/sig"
for sig in SIGINT SIGTERM; do
	check "convert, $sig: no temporary left" killed_cleanly $sig "$TMP/sig/t.mvat.tmp*" \
		--stdin-yes " L 7ff000000,8" -- "$MEMVIRT" sim convert --lackey - -o "$TMP/sig/t.mvat"
	check "convert, $sig: no output" test ! -e "$TMP/sig/t.mvat"
done
head -c 30 "$TMP/trace.mvat" >"$TMP/cut.mvat"
expect 2 "truncated access trace" -- "$MEMVIRT" sim --access-trace "$TMP/cut.mvat" --out "$TMP/a2"
check "truncated: file and offset" has "cut.mvat: offset" "$TMP/err"
check "truncated: one line" one_line "$TMP/err"
check "truncated: nothing written" test ! -e "$TMP/a2/sim.json"
expect 2 "lackey text as access trace" -- "$MEMVIRT" sim --access-trace "$TMP/trace.txt" \
	--out "$TMP/a3"
check "not a trace: names the option that reads it" has "read it with --lackey" "$TMP/err"
printf ' L 1000,8\n Q 2000,8\n' >"$TMP/badc.txt"
expect 2 "convert malformed" -- "$MEMVIRT" sim convert --lackey "$TMP/badc.txt" -o "$TMP/badc.mvat"
check "convert malformed: FILE:LINE" has "badc.txt:2:" "$TMP/err"
check "convert malformed: no output" test -z "$(ls "$TMP" | grep badc.mvat)"
expect 2 "convert usage" -- "$MEMVIRT" sim convert --lackey "$TMP/trace.txt"
check "convert usage: one line" one_line "$TMP/err"

printf ' L 1000,8\n X 2000,8\n' >"$TMP/bad.txt"
expect 2 "malformed lackey" -- "$MEMVIRT" sim --lackey "$TMP/bad.txt" --out "$TMP/l3"
check "malformed: FILE:LINE" has "bad.txt:2:" "$TMP/err"
check "malformed: one line" one_line "$TMP/err"
check "malformed: nothing written" test ! -e "$TMP/l3/sim.json"
expect 2 "missing lackey file" -- "$MEMVIRT" sim --lackey "$TMP/nosuch" --out "$TMP/l4"
check "missing lackey: one line" one_line "$TMP/err"

# Usage errors: one line, exit 2.
expect 2 "unknown preset" -- "$MEMVIRT" sim --preset nosuch --workload seq
check "unknown preset: one line" one_line "$TMP/err"
check "unknown preset named" has "nosuch" "$TMP/err"
expect 2 "bad option" -- "$MEMVIRT" sim --bogus
check "bad option: one line" one_line "$TMP/err"
check "bad option named" has "'--bogus'" "$TMP/err"
expect 2 "no input" -- "$MEMVIRT" sim
check "no input: one line" one_line "$TMP/err"
expect 2 "two inputs" -- "$MEMVIRT" sim --workload seq --lackey "$TMP/trace.txt"
expect 2 "bad paging" -- "$MEMVIRT" sim --paging sideways --workload seq
check "bad paging: one line" one_line "$TMP/err"
expect 2 "bad page size" -- "$MEMVIRT" sim --page-size 1g --workload seq
expect 2 "unsupported workload" -- "$MEMVIRT" sim --workload crash
expect 2 "preset and config" -- "$MEMVIRT" sim --preset zen4 --config x --workload seq
expect 2 "workload option with lackey" -- "$MEMVIRT" sim --lackey "$TMP/trace.txt" --iters 3

# A run directory's snapshot is read from a file: its workload passes the checks 'memvirt run'
# makes of the same options, or the run is refused in one line (no crash, no huge allocation).
# snap DIR KIND FOOTPRINT ITERS STRIDE: a one-region, one-page snapshot (docs/ptsnap.md).
snap() {
	mkdir -p "$1"
	python3 -c "
import struct, sys
kind, foot, iters, stride = (int(x) for x in sys.argv[2:6])
h = struct.pack('<8sIIQIIIIII6Q4Q', b'MVPTSNAP', 1, 128, 0x1000, 4, 46, 1, 1, kind, 0, foot,
                iters, 4096, 1, stride, 0x8000000000, 0, 0, 0, 0)
r = struct.pack('<QQII', 0, 1 << 26, 1, 0)
p = struct.pack('<QII', 0x1000, 4, 0) + bytes(4096)
open(sys.argv[1] + '/pagetables.bin', 'wb').write(h + r + p)" "$@"
}
for c in "chase-4k 4 4096 1 0 footprint of at least 8K" \
	"chase-small 4 100 1 0 not a positive multiple" \
	"seq-4 1 4 1 0 not a positive multiple" \
	"stride-0 2 1048576 1 0 stride 0 bytes must be" \
	"stride-big 2 4096 1 8192 stride 8K must be" \
	"random-iters-0 3 1048576 0 0 iters must be at least 1" \
	"gups-huge 5 4611686018427387904 1 0 above the largest guest memory" \
	"kind-99 99 1048576 1 0 not one of memvirt's"; do
	set -- $c
	name=$1 want=${c#* * * * * }
	snap "$TMP/snap-$name" "$2" "$3" "$4" "$5"
	expect 2 "crafted snapshot $name" -- "$MEMVIRT" sim --run "$TMP/snap-$name" --paging all \
		--out "$TMP/snap-$name/out"
	check "crafted snapshot $name: says '$want'" has "$want" "$TMP/err"
	check "crafted snapshot $name: one line" one_line "$TMP/err"
	check "crafted snapshot $name: names the file" has "snap-$name/pagetables.bin" "$TMP/err"
done

# --replay DIR adopts the snapshot's workload the same way, and checks it the same way.
: >"$TMP/snap-chase-4k/events.mvev"
expect 2 "crafted snapshot, --replay" -- "$MEMVIRT" sim --replay "$TMP/snap-chase-4k" --paging all \
	--out "$TMP/snap-chase-4k/out"
check "crafted snapshot, --replay: says so" has "footprint of at least 8K" "$TMP/err"
check "crafted snapshot, --replay: one line" one_line "$TMP/err"

# sim --workload makes the same checks as run.
expect 2 "sim --iters 0" -- "$MEMVIRT" sim --workload seq --iters 0 --out "$TMP/w0"
check "sim --iters 0: says so" has "iters must be at least 1" "$TMP/err"
check "sim --iters 0: one line" one_line "$TMP/err"
expect 2 "sim stride above footprint" -- "$MEMVIRT" sim --workload stride --footprint 4K \
	--stride 8K --out "$TMP/w1"
check "stride above footprint: says so" has "between 8 and the footprint" "$TMP/err"
expect 2 "sim chase 4K" -- "$MEMVIRT" sim --workload chase --footprint 4K --out "$TMP/w2"
check "sim chase 4K: says so" has "at least 8K" "$TMP/err"
expect 2 "sim footprint 8T" -- "$MEMVIRT" sim --workload gups --footprint 8T --out "$TMP/w3"
check "sim footprint 8T: says so" has "above the largest guest memory" "$TMP/err"
check "sim --workload errors: nothing written" test ! -e "$TMP/w0" -a ! -e "$TMP/w1"

# A pipe is read once: with more than one paging mode each mode would read it from its start,
# and all but the first would see nothing. A named pipe is refused in one line; standard input
# ('-') is kept for the modes after the first; one mode through any pipe works.
cat "$TMP/trace.txt" | "$MEMVIRT" sim --lackey /dev/stdin --paging all --out "$TMP/p1" \
	>"$TMP/out" 2>"$TMP/err"
check "pipe, --paging all: exit 2" test $? -eq 2
check "pipe, --paging all: one line" one_line "$TMP/err"
check "pipe, --paging all: says what to do" has "give it as '-' or save it to a file" "$TMP/err"
check "pipe, --paging all: nothing written" test ! -e "$TMP/p1"
cat "$TMP/trace.mvat" | "$MEMVIRT" sim --access-trace /dev/stdin --paging all --out "$TMP/p2" \
	>"$TMP/out" 2>"$TMP/err"
check "pipe, access trace, --paging all: exit 2" test $? -eq 2
cat "$TMP/trace.txt" | "$MEMVIRT" sim --lackey /dev/stdin --paging nested --json \
	--out "$TMP/p3" >"$TMP/out" 2>"$TMP/err"
check "pipe, one mode: exit 0" test $? -eq 0
check "pipe, one mode: every access" test "$(res "['results'][0]['accesses']")" = 7
cat "$TMP/trace.txt" | "$MEMVIRT" sim --lackey - --paging shadow --json --out "$TMP/p4" \
	>"$TMP/out" 2>"$TMP/err"
check "--lackey -, one mode: exit 0" test $? -eq 0
check "--lackey -, one mode: every access" test "$(res "['results'][0]['accesses']")" = 7
cat "$TMP/trace.txt" | "$MEMVIRT" sim --lackey - --paging all --json --out "$TMP/p5" \
	>"$TMP/out" 2>"$TMP/err"
check "--lackey -, --paging all: exit 0" test $? -eq 0
for i in 0 1 2; do
	check "--lackey -, --paging all: mode $i sees every access" \
		test "$(res "['results'][$i]['accesses']")" = 7
done

# A configuration is a small text file: an endless or huge one is refused at 1 MiB, a directory
# or a binary file in one line that says why.
expect 2 "config /dev/zero" -- timeout 20 "$MEMVIRT" sim --config /dev/zero --workload seq
check "config /dev/zero: names the limit" has "/dev/zero: larger than 1 MiB" "$TMP/err"
check "config /dev/zero: one line" one_line "$TMP/err"
head -c 2000000 /dev/zero | tr '\0' '#' >"$TMP/big.cfg"
expect 2 "config of 2 MB" -- "$MEMVIRT" sim --config "$TMP/big.cfg" --workload seq
check "config of 2 MB: names the limit" has "big.cfg: larger than 1 MiB" "$TMP/err"
expect 2 "config is a directory" -- "$MEMVIRT" sim --config "$TMP" --workload seq
check "config is a directory: says so" has "Is a directory" "$TMP/err"
check "config is a directory: one line" one_line "$TMP/err"
printf 'preset = zen4\0\n' >"$TMP/nul.cfg"
expect 2 "config with a NUL byte" -- "$MEMVIRT" sim --config "$TMP/nul.cfg" --workload seq
check "config with a NUL byte: says so" has "NUL byte" "$TMP/err"
check "no empty error messages" sh -c '! grep -q "error: *$" "$1"' _ "$TMP/err"

# An output directory that cannot be written is found before the simulation, not after it: a
# long run (8G of gups) still fails at once.
touch "$TMP/plainfile"
expect 3 "sim --out under a file" -- timeout 10 "$MEMVIRT" sim --workload gups --footprint 8G \
	--iters 100000000 --paging all --out "$TMP/plainfile/sub"
check "sim --out under a file: says so" has "plainfile/sub: cannot write there: Not a directory" \
	"$TMP/err"
check "sim --out under a file: one line" one_line "$TMP/err"

finish
