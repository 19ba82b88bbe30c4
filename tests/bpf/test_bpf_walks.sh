#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# run --trace over N first-touched 4K pages: the walks KVM's shadow MMU makes for each page,
# counted from the paging rules, not from memvirt's own output.
#
# The guest kernel demand-faults its data pages, and seq reads each line before writing it, so
# a first touch of a page takes, under shadow paging:
#   1 walk that fails (guest PTE not present: the #PF is reflected to the guest, pf_guest),
#   1 completed read walk (sets the guest A bit; the shadow entry is read-only until the first
#     write, so KVM sees the D bit set), 4 levels, PML4 entry first,
#   1 or more completed write walks (sets D; retried when the host breaks COW of its zero page).
# Walks of the guest kernel's own addresses (emulated instructions) fall outside the range.
# Demand paging leaves the neighbours' guest PTEs not present at each fault, so KVM's shadow
# prefetch maps nothing ahead and these counts are exact whatever the host's THP mode.
#
# Under TDP (kvm_amd npt=1, kvm_intel ept=Y) the guest's #PFs do not exit and KVM's TDP MMU
# serves NPT/EPT faults without walking the guest's tables, so the rule is another, also
# exact: no walk in the footprint, pf_guest 0, the N guest faults of the event channel each
# joined to the NPT/EPT entry of its frame.
source "$(dirname "$0")/lib.sh"
require_bpf_host
MODE=$(kvm_mode)
echo "KVM MMU mode: $MODE" >&2

# check_tdp N OUT: the TDP rule for a run of N pages written into OUT.
check_tdp() {
	local N=$1 OUT=$2
	"$MVEV_WALKS" "$OUT/events.mvev" "$MMAP_BASE" $((N * 4096)) >"$TMP/w" || fails=$((fails + 1))
	check "no walk in the footprint under TDP" test "$(kv "$TMP/w" in_range)" -eq 0
	check "pf_guest 0 under TDP" \
		test "$(json_get "$OUT/run.json" "['kvm_stats']['vcpu']['pf_guest']")" -eq 0
	"$MEMVIRT" trace dump "$OUT/events.mvev" --join >"$TMP/j" || fails=$((fails + 1))
	tail -n 2 "$TMP/j"
	check "$N guest faults" test "$(grep -c ' GVA 0x' "$TMP/j")" -eq "$N"
	check "each joined to its frame's NPT/EPT entry" \
		test "$(grep -c 'NPT/EPT fault, SPTE level' "$TMP/j")" -eq "$N"
	check "no KVM record lost" test "$(kv "$TMP/w" dropped_kvm)" -eq 0
}

# check_walks N OUT: the rules above for a run of N pages written into OUT.
check_walks() {
	local N=$1 OUT=$2 pf_guest walks
	check "events.mvev written" test -s "$OUT/events.mvev"
	"$MVEV_WALKS" "$OUT/events.mvev" "$MMAP_BASE" $((N * 4096)) >"$TMP/w" || fails=$((fails + 1))
	cat "$TMP/w"
	check "one completed read walk per page ($N): $(kv "$TMP/w" read_walks)" \
		test "$(kv "$TMP/w" read_walks)" -eq "$N"
	check "every page read-walked exactly once" test "$(kv "$TMP/w" pages_read_walked_once)" -eq "$N"
	check "each read walk has 4 levels" test "$(kv "$TMP/w" read_walks_4_levels)" -eq "$N"
	check "levels top first (4,3,2,1)" test "$(kv "$TMP/w" level_order_errors)" -eq 0
	check "one failed walk per page ($N): $(kv "$TMP/w" failed)" test "$(kv "$TMP/w" failed)" -eq "$N"
	check "every page failed once" test "$(kv "$TMP/w" pages_failed_once)" -eq "$N"
	pf_guest=$(json_get "$OUT/run.json" "['kvm_stats']['vcpu']['pf_guest']")
	check "failed walks == KVM pf_guest ($pf_guest)" test "$(kv "$TMP/w" failed)" -eq "$pf_guest"
	check "every page write-walked" test "$(kv "$TMP/w" pages_write_walked)" -eq "$N"
	check "no KVM record lost" test "$(kv "$TMP/w" dropped_kvm)" -eq 0
	check "run.json trace.dropped == 0" test "$(json_get "$OUT/run.json" "['trace']['dropped']")" -eq 0
	walks=$(json_get "$OUT/run.json" "['trace']['events']['kvm_mmu_walk']")
	check "run.json counts the walks of the file ($walks)" test "$walks" -eq "$(kv "$TMP/w" walks)"
}

N=2000
OUT=$TMP/walks
expect 0 "run --trace of $N first-touch pages" -- \
	"$MEMVIRT" run seq --footprint $((N * 4))K --iters 1 --page-size 4k --trace --out "$OUT"
check "run.json lists the walk probe as attached" \
	has kvm_mmu_pagetable_walk <(json_get "$OUT/run.json" "['trace']['probes_attached']")
if [ "$MODE" != shadow ]; then
	check_tdp $N "$OUT"
	finish
	exit
fi
check_walks $N "$OUT"
check "the walk state of the vCPU thread is in its slot (spilled 0)" \
	test "$(json_get "$OUT/run.json" "['trace']['walk_threads_spilled']")" -eq 0

# The slow path: every thread's walk state in task-local storage, same walks.
N=500
OUT=$TMP/spilled
expect 0 "run --trace of $N pages, walk slots off" -- \
	env MEMVIRT_TRACE_NO_WALK_SLOTS=1 \
	"$MEMVIRT" run seq --footprint $((N * 4))K --iters 1 --page-size 4k --trace --out "$OUT"
check_walks $N "$OUT"
check "the walk state was in task-local storage" \
	test "$(json_get "$OUT/run.json" "['trace']['walk_threads_spilled']")" -ge 1
finish
