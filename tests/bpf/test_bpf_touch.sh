#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The walk rule: a traced run of N first-touch 4K pages yields exactly one KVM walk with 4
# levels for each page of the footprint under shadow paging, counted from the paging rules.
#
# touch stores to word 0 of each 4K page in order before it loads anything, so each page's
# first access is a write. With --populate the VMM writes the guest page tables at mmap time:
# the write takes no guest fault, only KVM's shadow fault, which walks the guest's 4 levels
# once (PML4E first; setting the A and D bits inside the walk), faults the host page in for
# writing (a fresh anonymous page: no zero page, no copy-on-write, so no retry) and sets one
# SPTE. Every in-range walk is a fault walk: even with --trace-all (emulator walks recorded
# too) the footprint sees the same N walks. Demand paged, the guest kernel maps each page
# first: one failed walk (#PF reflected to the guest, pf_guest), then the one 4-level walk of
# the retried write, and the host page behind it comes from KVM's get_user_pages.
source "$(dirname "$0")/lib.sh"
require_bpf_host
"$MEMVIRT" run --help | grep -q -- --populate || skip "this memvirt has no run --populate"

N=2048
OUT=$TMP/pop
expect 0 "run touch --populate --trace over $N pages" -- \
	"$MEMVIRT" run touch --footprint 8M --iters 1 --page-size 4k --populate --trace --out "$OUT"
"$MVEV_WALKS" "$OUT/events.mvev" "$MMAP_BASE" $((N * 4096)) >"$TMP/w" || fails=$((fails + 1))
cat "$TMP/w"
check "$N walks in the footprint: $(kv "$TMP/w" in_range)" test "$(kv "$TMP/w" in_range)" -eq $N
check "all of 4 levels" test "$(kv "$TMP/w" completed_4_levels)" -eq $N
check "each page walked exactly once, 4 levels" \
	test "$(kv "$TMP/w" pages_walked_once_4_levels)" -eq $N
check "every one a write walk" test "$(kv "$TMP/w" write_walks)" -eq $N
check "none failed" test "$(kv "$TMP/w" failed)" -eq 0
check "no guest fault (pf_guest 0)" \
	test "$(json_get "$OUT/run.json" "['kvm_stats']['vcpu']['pf_guest']")" -eq 0
check "no KVM record lost" test "$(kv "$TMP/w" dropped_kvm)" -eq 0
check "run.json trace.dropped == 0" test "$(json_get "$OUT/run.json" "['trace']['dropped']")" -eq 0
rec=$(json_get "$OUT/run.json" "['trace']['events']['kvm_mmu_walk']")
fw=$(json_get "$OUT/run.json" "['trace']['kernel_counts']['fault_walks']")
fl=$(json_get "$OUT/run.json" "['trace']['walks_flushed_at_stop']")
check "every walk record is a fault walk ($rec = $fw fault + $fl flushed at stop)" \
	test "$rec" -eq $((fw + fl))
check "the checksum verified" test "$(json_get "$OUT/run.json" "['result']['verified']")" = True
# The programs hand each shadow fault's records (walk, host_gup_fault, spte_requested,
# set_spte) to the ring as one sample; the consumer splits it. Every fault walk ends in one
# SPTE request and one SPTE set, and each first-touched page's host page came through gup.
ev() { json_get "$OUT/run.json" "['trace']['events']['$1']"; }
check "one kvm_mmu_spte_requested per fault walk ($(ev kvm_mmu_spte_requested) for $fw)" \
	test "$(ev kvm_mmu_spte_requested)" -eq "$fw"
check "one kvm_mmu_set_spte per fault walk ($(ev kvm_mmu_set_spte))" \
	test "$(ev kvm_mmu_set_spte)" -eq "$fw"
check "a host_gup_fault for each page ($(ev host_gup_fault) >= $N)" \
	test "$(ev host_gup_fault)" -ge $N

ALL=$TMP/all
expect 0 "the same with --trace-all" -- \
	"$MEMVIRT" run touch --footprint 8M --iters 1 --page-size 4k --populate --trace-all --out "$ALL"
"$MVEV_WALKS" "$ALL/events.mvev" "$MMAP_BASE" $((N * 4096)) >"$TMP/a" || fails=$((fails + 1))
check "no emulator walk in the footprint: $(kv "$TMP/a" in_range)" \
	test "$(kv "$TMP/a" in_range)" -eq $N
check "... each page once, 4 levels" test "$(kv "$TMP/a" pages_walked_once_4_levels)" -eq $N

N=1024
DP=$TMP/demand
expect 0 "run touch --trace over $N demand-paged pages" -- \
	"$MEMVIRT" run touch --footprint 4M --iters 1 --page-size 4k --trace --out "$DP"
"$MVEV_WALKS" "$DP/events.mvev" "$MMAP_BASE" $((N * 4096)) >"$TMP/d" || fails=$((fails + 1))
cat "$TMP/d"
check "one failed walk per page: $(kv "$TMP/d" failed)" test "$(kv "$TMP/d" pages_failed_once)" -eq $N
check "failed walks == KVM pf_guest" \
	test "$(kv "$TMP/d" failed)" -eq "$(json_get "$DP/run.json" "['kvm_stats']['vcpu']['pf_guest']")"
check "one completed 4-level walk per page: $(kv "$TMP/d" completed_4_levels)" \
	test "$(kv "$TMP/d" completed_4_levels)" -eq $N
check "... a write walk, each page written once" test "$(kv "$TMP/d" write_walks)" -eq $N
check "no KVM record lost" test "$(kv "$TMP/d" dropped_kvm)" -eq 0
# The host page behind each write is new: KVM's get_user_pages faults it in, no retry.
"$MEMVIRT" trace dump "$DP/events.mvev" --join >"$TMP/join.txt" || fails=$((fails + 1))
check "each guest fault joined to a gup host fault" \
	test "$(grep -c 'host fault (gup)' "$TMP/join.txt")" -eq $N
check "... with its HPA" test "$(grep -c ', HPA 0x' "$TMP/join.txt")" -eq $N
finish
