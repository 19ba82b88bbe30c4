#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# trace -- COMMAND, and the errors: usage, not root, no tracefs, no BTF, no such pid,
# not a KVM process. Missing host features are faked through MEMVIRT_TRACEFS/MEMVIRT_BTF
# and a real unprivileged user (setpriv).
source "$(dirname "$0")/lib.sh"
require_bpf_host

expect 2 "no pid and no command" -- "$MEMVIRT" trace -o "$TMP/x.mvev"
expect 2 "both pid and command" -- "$MEMVIRT" trace -p 1 -- true
expect 2 "bad duration" -- "$MEMVIRT" trace -p 1 -d soon
expect 2 "bad ring size" -- "$MEMVIRT" trace -p 1 --ring 3000
expect 0 "help" -- "$MEMVIRT" trace --help
check "help shows -p and --" has "trace -p PID" "$TMP/out"

expect 3 "pid not found" -- "$MEMVIRT" trace -p 999999999
check "names the pid" has "no process with pid 999999999" "$TMP/err"
one_line "$TMP/err" || echo "FAIL: error is not one line" >&2
expect 3 "not a KVM process" -- "$MEMVIRT" trace -p $$
check "says why" has "is not a KVM VMM" "$TMP/err"

mkdir -p "$TMP/empty"
expect 3 "no tracefs" -- env MEMVIRT_TRACEFS="$TMP/empty" "$MEMVIRT" trace -p $$
check "gives the mount command" has "mount -t tracefs nodev $TMP/empty" "$TMP/err"
expect 3 "no BTF" -- env MEMVIRT_BTF="$TMP/empty/vmlinux" "$MEMVIRT" trace -p $$
check "says BTF" has "no BTF" "$TMP/err"
expect 3 "run --trace without tracefs" -- env MEMVIRT_TRACEFS="$TMP/empty" \
	"$MEMVIRT" run nop --trace --out "$TMP/nop"
check "run --trace error names tracefs" has "tracefs" "$TMP/err"

if command -v setpriv >/dev/null; then
	chmod 755 "$TMP"
	expect 3 "not root" -- setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all "$MEMVIRT" trace -p 1
	check "says root or CAP_BPF" has "needs root, or CAP_BPF and CAP_PERFMON" "$TMP/err"
else
	echo "note: setpriv missing, not-root case not run" >&2
fi

# trace -- COMMAND: the command starts only once the probes are attached, so its whole
# run is in the file: one completed read walk per first-touched page.
expect 0 "trace -- memvirt run" -- "$MEMVIRT" trace -o "$TMP/cmd.mvev" -- \
	"$MEMVIRT" run seq --footprint 4M --iters 1 --no-events --out "$TMP/cmd"
check "summary printed" has "kvm_mmu_walk" "$TMP/out"
check "the start names the probes attached" has "probes attached" "$TMP/err"
"$MVEV_WALKS" "$TMP/cmd.mvev" $MMAP_BASE $((4 << 20)) >"$TMP/w" || fails=$((fails + 1))
"$MEMVIRT" trace stat --json "$TMP/cmd.mvev" >"$TMP/cmd.json" || fails=$((fails + 1))
if [ "$(kvm_mode)" = shadow ]; then
	# Shadow paging, exact: seq reads each demand-paged page first, so each takes one failed
	# walk (the guest's #PF) and one completed read walk.
	check "all 1024 pages read-walked once" test "$(kv "$TMP/w" pages_read_walked_once)" -eq 1024
	check "all 1024 guest faults seen" test "$(kv "$TMP/w" pages_failed_once)" -eq 1024
else
	# TDP, bounded: no guest walk serves a fault; each first-touched frame NPT/EPT-faults
	# unless a 2M entry covers it, so at least 1024/512 requests.
	req=$(python3 -c "import json,sys; d=json.load(open(sys.argv[1]))
print(sum(t['count'] for t in d['types'] if t['name'] == 'kvm_mmu_spte_requested'))" "$TMP/cmd.json")
	check "no guest walk in the footprint under TDP" test "$(kv "$TMP/w" in_range)" -eq 0
	check "NPT/EPT faults recorded ($req >= 2)" test "$req" -ge 2
fi
check "trace stat has no warning on a traced guest" \
	test "$(json_get "$TMP/cmd.json" "['warnings']")" = "[]"

# Never silent: with every KVM probe left out, the capture says so at start, and trace stat
# warns that a guest ran without a KVM record.
kvm_events=kvm_mmu_pagetable_walk,kvm_mmu_paging_element,kvm_mmu_walker_error
kvm_events=$kvm_events,kvm_mmu_set_accessed_bit,kvm_mmu_set_dirty_bit,kvm_mmu_spte_requested
kvm_events=$kvm_events,kvm_mmu_set_spte,kvm_mmu_get_page,kvm_mmu_sync_page,kvm_mmu_unsync_page
kvm_events=$kvm_events,kvm_mmu_prepare_zap_page,fast_page_fault,kvm_tdp_mmu_spte_changed
kvm_events=$kvm_events,kvm_mmu_split_huge_page,handle_mmio_page_fault,kvm_mmu_zap_all_fast
kvm_events=$kvm_events,kvm_exit,kvm_entry,kvm_page_fault,kvm_cr,kvm_emulate_insn
expect 0 "run --trace with no KVM probe" -- env MEMVIRT_TRACE_SKIP=$kvm_events \
	"$MEMVIRT" run seq --footprint 64K --iters 1 --trace --out "$TMP/nokvm"
check "says no KVM probe attached" has "no KVM probe attached" "$TMP/err"
check "names a skipped probe and why" has "skipped kvm:kvm_exit: excluded by MEMVIRT_TRACE_SKIP" \
	"$TMP/err"
check "run.json lists why" has "excluded" <(json_get "$TMP/nokvm/run.json" "['trace']['probes']")
expect 0 "trace stat of it" -- "$MEMVIRT" trace stat "$TMP/nokvm/events.mvev"
check "trace stat warns: a guest ran, no KVM record" has "but the file has no KVM record" "$TMP/out"
expect 7 "trace -- COMMAND passes the command's failure on" -- \
	"$MEMVIRT" trace -o "$TMP/f.mvev" -- sh -c 'exit 7'
finish
