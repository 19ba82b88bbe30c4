#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt sim's results a reader can check: the effective configuration (--print-config reads
# back the same, sim.json carries it), the counted region (--roi, --warmup) against the
# workloads' definitions (workloads/gen.c), cold misses, every TLB level, provenance's host.
source "$(dirname "$0")/lib.sh"

res() { json_get "$TMP/out" "$1"; }

# --print-config prints what --config reads: printed, read back and printed again, the same.
for p in textbook golden-cove zen4 zen5; do
	expect 0 "print-config $p" -- "$MEMVIRT" sim --print-config --preset "$p"
	cp "$TMP/out" "$TMP/$p.cfg"
	check "print-config $p: no warning" test ! -s "$TMP/err"
	check "print-config $p: names it" has "^name = $p$" "$TMP/$p.cfg"
	expect 0 "print-config of $p's text" -- "$MEMVIRT" sim --print-config --config "$TMP/$p.cfg"
	check "print-config $p: round trip" cmp "$TMP/out" "$TMP/$p.cfg"
done
check "zen4 has two TLB levels" test "$(grep -c '^\[tlb[0-9]\]$' "$TMP/zen4.cfg")" = 2

# A file that starts from a preset and then defines a TLB level replaces the preset's whole
# hierarchy (zen4: tlb1 72 entries, tlb2 3072): said on stderr and in sim.json's warnings.
cat >"$TMP/replace.cfg" <<'C'
[sim]
preset = zen4
[tlb1]
latency = 1
[tlb1.all]
entries = 128
ways = 128
C
expect 0 "hierarchy replaced" -- "$MEMVIRT" sim --config "$TMP/replace.cfg" --workload seq \
	--footprint 64K --json --out "$TMP/rep"
check "replaced: warning on stderr" has "warning: .*replace.cfg:3: \[tlb1\] replaces preset zen4's whole TLB hierarchy (2 levels: tlb1 72 entries, tlb2 3072 entries)" "$TMP/err"
check "replaced: warning in sim.json" has "replaces preset zen4's whole TLB hierarchy" "$TMP/rep/sim.json"
check "replaced: one level left" test "$(res "['config']['effective']['tlb'].__len__()")" = 1
check "replaced: its entries" test "$(res "['config']['effective']['tlb'][0]['arrays'][0]['entries']")" = 128
check "replaced: zen4's caches kept" test "$(res "['config']['effective']['cache']['levels'].__len__()")" = 3
expect 0 "print-config of the file" -- "$MEMVIRT" sim --print-config --config "$TMP/replace.cfg"
check "print-config of the file: warns too" has "replaces preset zen4" "$TMP/err"
expect 0 "no warning for a preset" -- "$MEMVIRT" sim --preset zen4 --workload seq --footprint 64K \
	--json --out "$TMP/nowarn"
check "no warning for a preset: empty list" test "$(res "['warnings']")" = "[]"

# sim.json's configuration text is the configuration: read back, printed the same.
res "['config']['text']" >"$TMP/from-json.cfg"
check "effective: pwc pde entries" test "$(res "['config']['effective']['pwc']['levels']['pde']['entries']")" -gt 0
check "effective: memory latency" test "$(res "['config']['effective']['memory_latency']")" -gt 0
check "effective: shadow costs" test "$(res "['config']['effective']['shadow_costs']['pf_exit']")" -gt 0
check "cycles are modelled" test "$(res "['cycles']")" = modelled
expect 0 "sim.json's text" -- "$MEMVIRT" sim --print-config --config "$TMP/from-json.cfg"
check "sim.json's text: round trip" cmp "$TMP/out" "$TMP/zen4.cfg"

# Region of interest, chase over F = 1M: 256 pages, one element per page. Its definition
# (workloads/gen.c): set-up writes the permutation (one store per page), shuffles it (2 loads
# and 2 stores per swap, pages - 1 swaps) and links the cycle (2 loads and a store per page);
# the measured region is one load per iteration.
F=$((1 << 20)) ITERS=1000
P=$((F / 4096))
SETUP=$((P + 4 * (P - 1) + 3 * P))
expect 0 "chase, measured" -- "$MEMVIRT" sim --workload chase --footprint 1M --iters $ITERS \
	--paging all --json --out "$TMP/c1"
for i in 0 1 2; do
	check "chase measured [$i]: accesses = iters" test "$(res "['results'][$i]['accesses']")" = $ITERS
	check "chase measured [$i]: set-up seen" test "$(res "['results'][$i]['region']['setup_accesses']")" = $SETUP
	# every page was touched by the set-up: none is cold in the region
	check "chase measured [$i]: no cold miss" test "$(res "['results'][$i]['tlb'][0]['cold_misses']")" = 0
done
check "chase: roi recorded" test "$(res "['config']['roi']")" = measured
check "chase: warmup recorded" test "$(res "['config']['warmup']")" = 0
expect 0 "chase, all" -- "$MEMVIRT" sim --workload chase --footprint 1M --iters $ITERS \
	--paging all --roi all --json --out "$TMP/c2"
for i in 0 1 2; do
	check "chase all [$i]: + set-up" test "$(res "['results'][$i]['accesses']")" = $((ITERS + SETUP))
	check "chase all [$i]: cold = pages" test "$(res "['results'][$i]['tlb'][0]['cold_misses']")" = $P
done
check "chase all: roi recorded" test "$(res "['config']['roi']")" = all
expect 0 "chase, warm-up" -- "$MEMVIRT" sim --workload chase --footprint 1M --iters $ITERS \
	--warmup 100 --json --out "$TMP/c3"
check "chase warm-up: 100 fewer" test "$(res "['results'][0]['accesses']")" = $((ITERS - 100))
check "chase warm-up: recorded" test "$(res "['config']['warmup']")" = 100
check "chase warm-up: counted" test "$(res "['results'][0]['region']['warmup_accesses']")" = 100
expect 0 "chase, all, warm-up" -- "$MEMVIRT" sim --workload chase --footprint 1M --iters $ITERS \
	--roi all --warmup 7 --json --out "$TMP/c4"
check "chase all warm-up: 7 fewer" test "$(res "['results'][0]['accesses']")" = $((ITERS + SETUP - 7))
expect 2 "warm-up longer than the region" -- "$MEMVIRT" sim --workload chase --footprint 1M \
	--iters $ITERS --warmup $((ITERS + 1)) --out "$TMP/c5"
check "warm-up too long: one line" one_line "$TMP/err"
check "warm-up too long: says so" has "give a smaller warm-up" "$TMP/err"
expect 2 "bad --roi" -- "$MEMVIRT" sim --workload chase --roi some --out "$TMP/c6"
check "bad --roi: one line" one_line "$TMP/err"

# gups over 64K: the region is a load and a store per iteration; the check after it reads
# one word in 509 of the table's 8192 (workloads/gen.c): ceil(8192 / 509) = 17 loads.
expect 0 "gups, measured" -- "$MEMVIRT" sim --workload gups --footprint 64K --iters 500 \
	--json --out "$TMP/g1"
check "gups measured: 2 per iteration" test "$(res "['results'][0]['accesses']")" = 1000
check "gups measured: check not run" test "$(res "['results'][0]['region']['check_accesses']")" = 17
expect 0 "gups, all" -- "$MEMVIRT" sim --workload gups --footprint 64K --iters 500 --roi all \
	--json --out "$TMP/g2"
check "gups all: + the check" test "$(res "['results'][0]['accesses']")" = 1017

# Cold misses: seq over 256K with 4K pages from an empty TLB: the first access to each of
# the 256K / 4K = 64 pages misses every level; the second pass finds them warm.
for p in textbook zen4 golden-cove; do
	expect 0 "seq cold, $p" -- "$MEMVIRT" sim --workload seq --footprint 256K --iters 2 \
		--preset $p --paging all --json --out "$TMP/s-$p"
	L=$(res "['results'][0]['tlb'].__len__()")
	for i in 0 1 2; do
		for ((l = 0; l < L; l++)); do
			check "seq cold, $p [$i] tlb$((l + 1)): 64" \
				test "$(res "['results'][$i]['tlb'][$l]['cold_misses']")" = 64
		done
	done
done

# Every TLB level in the JSON and the table: zen4 and golden-cove have two.
for p in zen4 golden-cove; do
	expect 0 "levels, $p" -- "$MEMVIRT" sim --workload seq --footprint 256K --preset $p \
		--json --out "$TMP/lv-$p"
	check "$p: two levels in JSON" test "$(res "['results'][0]['tlb'].__len__()")" = 2
	check "$p: mpki per level" test "$(res "['results'][0]['tlb'][1]['misses_per_1000_accesses']")" != ""
	expect 0 "levels, $p, table" -- "$MEMVIRT" sim --workload seq --footprint 256K --preset $p \
		--paging all --out "$TMP/lv-$p"
	for l in 1 2; do
		check "$p table: TLB$l misses" has "^TLB$l misses  *[0-9]*  *[0-9]*  *[0-9]*$" "$TMP/out"
		check "$p table: TLB$l cold" has "^TLB$l cold misses  *64 " "$TMP/out"
		check "$p table: TLB$l MPKI" has "^TLB$l MPKI " "$TMP/out"
	done
	check "$p table: modelled cycles" has "^modelled cycles/acc" "$TMP/out"
	check "$p table: what was counted" has "^counted: the measured region" "$TMP/out"
done

# Provenance's host in sim.json, against what the host says itself.
J="$TMP/lv-zen4/sim.json"
host() { json_get "$J" "['provenance']['host']$1"; }
check "host: kernel release" test "$(host "['kernel']")" = "$(uname -r)"
want=False
[ -e /dev/kvm ] && want=True
check "host: /dev/kvm" test "$(host "['kvm_present']")" = $want
thp=$(sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)
check "host: THP" test "$(host "['thp']")" = "${thp:-None}"
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
check "host: CPU model" test "$(host "['cpu_model']")" = "${model:-None}"
lab=False
[ -n "$MEMVIRT_LAB_KERNEL" ] && lab=True
check "host: in the lab" test "$(host "['in_lab']")" = $lab
check "host: MMU mode member" python3 -c "import json,sys; sys.exit('kvm_mmu_mode' not in json.load(open(sys.argv[1]))['provenance']['host'])" "$J"

finish
