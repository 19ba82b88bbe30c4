#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# trace -p sees the events of the process it is given and only those, while a second VM
# faults beside it. Both VMs fault all the time (churn maps, touches and unmaps its region
# again and again, at addresses from MV_MMAP_BASE up), so they share guest virtual ranges;
# what tells their records apart is the page size of their data: VM A uses 4K pages, whose
# completed walks read 4 levels, VM B 2M pages, whose completed walks stop at the PDE after
# 3 levels. A trace of A must hold no 3-level data walk, and no thread of B.
#
# That distinction holds under shadow paging only: under TDP (kvm_amd npt=1, kvm_intel ept=Y)
# KVM does not walk the guest's tables for a fault, so there the test checks what does not
# depend on walks: only A's threads in A's trace, A's KVM records there (churn reuses frames
# KVM has mapped already, so NPT/EPT faults may not come again, but the host's timer
# interrupts still exit the guest: bounded, at least one kvm_exit in the 2 s), and the same
# for B. The VMs run until the test stops them (their --timeout is only a guard): the capture
# takes seconds to load under emulation.
source "$(dirname "$0")/lib.sh"
require_bpf_host
MODE=$(kvm_mode)
# kvm_records FILE: records of source kvm in an event file.
kvm_records() {
	"$MEMVIRT" trace stat --json "$1" | python3 -c "import json,sys; d=json.load(sys.stdin)
print(sum(t['count'] for t in d['types'] if t['source'] == 'kvm'))"
}

start_vms() {
	"$MEMVIRT" run churn --footprint 4M --iters 100000000 --timeout 120 --no-verify \
		--out "$TMP/a" >"$TMP/a.log" 2>&1 &
	A=$!
	"$MEMVIRT" run churn --footprint 64M --page-size 2m --mem 512M --iters 1000000 \
		--timeout 120 --no-verify --out "$TMP/b" >"$TMP/b.log" 2>&1 &
	B=$!
	wait_for 5 is_kvm_process $A || echo "FAIL: VM A never opened a KVM VM" >&2
	wait_for 5 is_kvm_process $B || echo "FAIL: VM B never opened a KVM VM" >&2
}
stop_vms() {
	kill -INT $A $B 2>/dev/null
	wait $A $B
}
# only_threads_of PID TIDS: every tid of the comma list is a thread of PID.
only_threads_of() {
	local t
	for t in ${2//,/ }; do
		[ -d "/proc/$1/task/$t" ] || return 1
	done
}

start_vms
expect 0 "trace -p A for 2 s" -- "$MEMVIRT" trace -p $A -d 2 -o "$TMP/a.mvev" --json
cp "$TMP/out" "$TMP/trace.json"
check "B still running while A was traced" kill -0 $B
"$MVEV_WALKS" "$TMP/a.mvev" $MMAP_BASE $((1 << 40)) >"$TMP/w" || fails=$((fails + 1))
cat "$TMP/w"
check "only threads of A in A's trace ($(kv "$TMP/w" tids))" only_threads_of $A "$(kv "$TMP/w" tids)"
stop_vms
if [ "$MODE" = shadow ]; then
	check "A's data walks seen ($(kv "$TMP/w" in_range))" test "$(kv "$TMP/w" in_range)" -gt 100
	check "A's completed data walks all read 4 levels" test "$(kv "$TMP/w" completed_4_levels)" -gt 0
	check "no 3-level (2M, VM B) data walk in A's trace" \
		test "$(kv "$TMP/w" completed_3_levels)" -eq 0
else
	check "A's KVM records seen ($(kvm_records "$TMP/a.mvev"))" test "$(kvm_records "$TMP/a.mvev")" -gt 0
fi
check "file header names A" test "$(kv "$TMP/w" pid)" -eq $A
check "nothing lost" test "$(json_get "$TMP/trace.json" "['trace']['dropped']")" -eq 0

# The control: B traced the same way shows its 2M walks and none of A's.
start_vms
expect 0 "trace -p B for 1 s" -- "$MEMVIRT" trace -p $B -d 1 -o "$TMP/b.mvev"
"$MVEV_WALKS" "$TMP/b.mvev" $MMAP_BASE $((1 << 40)) >"$TMP/w2"
check "only threads of B in B's trace" only_threads_of $B "$(kv "$TMP/w2" tids)"
stop_vms
if [ "$MODE" = shadow ]; then
	check "control: B's 3-level walks show" test "$(kv "$TMP/w2" completed_3_levels)" -gt 0
	check "control: no 4-level data walk of A" test "$(kv "$TMP/w2" completed_4_levels)" -eq 0
else
	check "control: B's KVM records seen" test "$(kvm_records "$TMP/b.mvev")" -gt 0
fi
finish
