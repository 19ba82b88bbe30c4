#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What the kernel counts instead of recording, --trace-all, and the host side of each guest
# fault. A first-touch run of N 4K pages with the guest event channel and the default
# anonymous backing:
#   - the guest kernel runs in KVM's emulator, so there are emulator walks and emulated
#     instructions: counted (kvm_counts, trace stat, run.json), not recorded;
#   - each guest fault maps a frame KVM has never mapped, and the host page behind it is
#     faulted in by KVM's get_user_pages: with THP "never" the join finds a gup host fault for
#     every guest fault (exact); otherwise one gup fault may back a 2M huge page whose other
#     frames fault nothing, so at least N/512 of them (bounded). This holds in both MMU modes:
#     under TDP the fault is an NPT/EPT fault instead of a shadow one, with the same gup;
#   - --trace-all records every emulated instruction, as many as the kernel counted.
source "$(dirname "$0")/lib.sh"
require_bpf_host

N=1000
OUT=$TMP/c
expect 0 "run --trace of $N first-touch pages" -- \
	"$MEMVIRT" run seq --footprint $((N * 4))K --iters 1 --page-size 4k --trace --out "$OUT"
"$MEMVIRT" trace stat "$OUT/events.mvev" --json >"$TMP/stat.json" || fails=$((fails + 1))
"$MEMVIRT" trace stat "$OUT/events.mvev" >"$TMP/stat.txt" || fails=$((fails + 1))
ew=$(json_get "$TMP/stat.json" "['kernel_counts']['emulator_walks']")
ei=$(json_get "$TMP/stat.json" "['kernel_counts']['emulate_insn']")
check "emulator walks counted ($ew)" test "$ew" -gt 0
check "emulated instructions counted ($ei)" test "$ei" -gt 0
check "trace stat prints the kernel counts" has "counted in the kernel" "$TMP/stat.txt"
check "run.json has the same emulator walk count" \
	test "$(json_get "$OUT/run.json" "['trace']['kernel_counts']['emulator_walks']")" -eq "$ew"
check "no kvm_emulate_insn record by default" \
	test "$(json_get "$OUT/run.json" "['trace']['events']['kvm_emulate_insn']")" -eq 0
faults=$(json_get "$TMP/stat.json" "['join']['guest_faults']")
host=$(json_get "$TMP/stat.json" "['join']['with_host_fault']")
check "$N guest faults seen ($faults)" test "$faults" -eq $N
"$MEMVIRT" trace dump "$OUT/events.mvev" --join >"$TMP/join.txt" || fails=$((fails + 1))
gup=$(grep -c 'host fault (gup)' "$TMP/join.txt" || true)
if [ "$(thp_mode)" = never ]; then
	check "each guest fault joined to a host fault ($host of $faults)" test "$host" -eq "$faults"
	check "the host faults are KVM's get_user_pages ($gup)" test "$gup" -eq $N
	check "the join shows the HPA" test "$(grep -c ', HPA 0x' "$TMP/join.txt")" -eq $N
else
	check "guest faults joined to a gup host fault: $((N / 512)) <= $gup <= $N" \
		test "$gup" -ge $((N / 512)) -a "$gup" -le $N
	check "... each with its HPA" test "$(grep -c ', HPA 0x' "$TMP/join.txt")" -ge "$gup"
fi
check "run.json names the host gup fault hook" \
	test -n "$(json_get "$OUT/run.json" "['trace']['host_gup_fault_hook']")"

ALL=$TMP/all
expect 0 "run --trace-all of 200 pages" -- \
	"$MEMVIRT" run seq --footprint 800K --iters 1 --page-size 4k --trace-all --out "$ALL"
rec=$(json_get "$ALL/run.json" "['trace']['events']['kvm_emulate_insn']")
cnt=$(json_get "$ALL/run.json" "['trace']['kernel_counts']['emulate_insn']")
check "--trace-all records kvm_emulate_insn ($rec)" test "$rec" -gt 0
check "... one record per counted instruction ($cnt)" test "$rec" -eq "$cnt"
check "run.json says all_events" test "$(json_get "$ALL/run.json" "['trace']['all_events']")" = True
finish
