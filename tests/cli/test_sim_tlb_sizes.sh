#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt sim --tlb-sizes: one pass against one run per size with that size set in a
# configuration file (the set-associative model), the refusals, and a non-canonical access in a
# trace (#GP: a fault, not a TLB miss or walk, SDM Vol. 3A §4.5).
source "$(dirname "$0")/lib.sh"

res() { json_get "$TMP/out" "$1"; }
W=(--workload random --footprint 2M --iters 100000 --seed 3)

expect 0 "one pass, 4 sets" -- "$MEMVIRT" sim "${W[@]}" --tlb-sets 4 --tlb-sizes 16..256 \
	--json --out "$TMP/one"
cp "$TMP/out" "$TMP/one.json"
i=0
for e in 16 32 64 128 256; do
	printf '[tlb1]\nlatency = 1\n[tlb1.all]\nentries = %u\nways = %u\npolicy = lru\n' \
		"$e" $((e / 4)) >"$TMP/c$e.conf"
	expect 0 "run with $e entries" -- "$MEMVIRT" sim "${W[@]}" --config "$TMP/c$e.conf" \
		--json --out "$TMP/s$e"
	check "$e entries: one pass = its own run" \
		test "$(json_get "$TMP/one.json" "['results'][0]['tlb_sizes'][$i]['misses']")" = \
		"$(res "['results'][0]['tlb'][0]['misses']")"
	i=$((i + 1))
done
check "lookups reaching level 1 = accesses" \
	test "$(json_get "$TMP/one.json" "['results'][0]['tlb_sweep']['lookups']")" = \
	"$(json_get "$TMP/one.json" "['results'][0]['accesses']")"

expect 0 "list, every mode, table" -- "$MEMVIRT" sim "${W[@]}" --paging all \
	--tlb-sizes 16,64,256 --out "$TMP/t"
check "table: the sweep section" has "TLB level 1, one pass (LRU, fully associative)" "$TMP/out"

expect 2 "plru level" -- "$MEMVIRT" sim "${W[@]}" --preset zen4 --tlb-sizes 16..64 --out "$TMP/x"
check "plru: one line naming the policy" one_line "$TMP/err"
check "plru: says lru" has "policy = lru" "$TMP/err"
expect 2 "sizes not divisible by sets" -- "$MEMVIRT" sim "${W[@]}" --tlb-sets 3 \
	--tlb-sizes 16 --out "$TMP/x"
expect 2 "no such level" -- "$MEMVIRT" sim "${W[@]}" --tlb-level 2 --tlb-sizes 16 --out "$TMP/x"
expect 2 "sizes not increasing" -- "$MEMVIRT" sim "${W[@]}" --tlb-sizes 64,16 --out "$TMP/x"
expect 2 "--tlb-sets alone" -- "$MEMVIRT" sim "${W[@]}" --tlb-sets 4 --out "$TMP/x"
expect 2 "churn unmaps" -- "$MEMVIRT" sim --workload churn --tlb-sizes 16 --out "$TMP/x"
check "churn: one line" one_line "$TMP/err"

# A page, a non-canonical address (bit 47 set, 63:48 clear), the page again.
printf ' L 7ff000001000,8\n L 800000000000,8\n L 7ff000001008,8\n' >"$TMP/nc.txt"
expect 0 "non-canonical access" -- "$MEMVIRT" sim --lackey "$TMP/nc.txt" --paging all --json \
	--out "$TMP/nc"
for m in 0 1 2; do
	check "mode $m: 3 accesses" test "$(res "['results'][$m]['accesses']")" = 3
	check "mode $m: one fault, the #GP" test "$(res "['results'][$m]['faults']")" = 1
	check "mode $m: noncanonical 1" test "$(res "['results'][$m]['noncanonical']")" = 1
	check "mode $m: one TLB miss, the first touch" \
		test "$(res "['results'][$m]['tlb'][0]['misses']")" = 1
	check "mode $m: one walk" test "$(res "['results'][$m]['walks']['count']")" = 1
	check "mode $m: histogram holds the one walk" \
		test "$(res "['results'][$m]['walks']['refs_histogram']" | tr -cd 1-9 | wc -c)" -ge 1
done
expect 0 "non-canonical table" -- "$MEMVIRT" sim --lackey "$TMP/nc.txt" --out "$TMP/nc2"
check "table: non-canonical row" has "non-canonical (#GP) *1" "$TMP/out"
finish
