#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt run end to end on real KVM: run.json contents, a crash explained, SIGINT, timeout, demo.
source "$(dirname "$0")/../cli/lib.sh"

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is not usable here"
	exit 77
fi

MODE=$(host_mmu_mode)
echo "host KVM MMU mode: $MODE"

# 1024 first-touched 4K pages: exactly 1024 guest faults in either mode, recorded in run.json.
# KVM's pf_guest: all 1024 in shadow mode (every guest #PF is intercepted), 0 with NPT/EPT (the
# guest's #PFs never exit). pf_fixed in both modes at least 2 per page: stride reads each fresh
# anonymous page before writing it, so KVM first maps the host's zero page read-only and the
# write faults again for a private page (tests/kvm/test_vmm.c states the bound in full).
case $MODE in
npt | ept) want_pf_guest=0 ;;
*) want_pf_guest=1024 ;;
esac
expect 0 "stride run" -- "$MEMVIRT" run stride --footprint 4M --iters 1 --out "$TMP/ok" --json
R=$TMP/ok/run.json
check "stdout is the record" python3 -m json.tool "$TMP/out" /dev/null
check "status ok" test "$(json_get "$R" "['status']")" = ok
check "schema" test "$(json_get "$R" "['schema']")" = memvirt-run/1
check "guest faults = pages" test "$(json_get "$R" "['result']['guest_faults']")" = 1024
check "checksum verified" test "$(json_get "$R" "['result']['verified']")" = True
check "kernel fault count" test "$(json_get "$R" "['guest_kernel']['page_faults']")" = 1024
check "KVM pf_guest by the $MODE rule" test "$(json_get "$R" "['kvm_stats']['vcpu']['pf_guest']")" = $want_pf_guest
# With host THP "always" a page may already be present in a huge host page: 1 fault, not 2.
min_fixed=2048
grep -q '\[always\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null && min_fixed=1024
check "KVM pf_fixed at least $min_fixed" test "$(json_get "$R" "['kvm_stats']['vcpu']['pf_fixed']")" -ge $min_fixed
check "paging mode recorded" test "$(json_get "$R" "['paging_mode']")" = "$MODE"
check "KVM vm stats present" test -n "$(json_get "$R" "['kvm_stats']['vm']['pages_4k']")"
check "host recorded" test "$(json_get "$R" "['host']['kvm']['usable']")" = True
check "console log written" test -f "$TMP/ok/console.log"

# Translation chains at the end of the run: a mapped data page and an unmapped address.
expect 0 "translate" -- "$MEMVIRT" run seq --footprint 1M --iters 1 --translate 0x8000000000,0xdead000 --translate-sample 4 --out "$TMP/tr"
check "six chains" test "$(json_get "$TMP/tr/run.json" "['translations'].__len__()")" = 6
check "data page mapped" test "$(json_get "$TMP/tr/run.json" "['translations'][0]['mapped']")" = True
check "4 guest levels" test "$(json_get "$TMP/tr/run.json" "['translations'][0]['guest_walk'].__len__()")" = 4
check "KVM_TRANSLATE agrees" test "$(json_get "$TMP/tr/run.json" "['translations'][0]['kvm_translate_agrees']")" = True
check "unmapped address" test "$(json_get "$TMP/tr/run.json" "['translations'][1]['mapped']")" = False
expect 2 "bad translate address" -- "$MEMVIRT" run nop --translate 0xzz

# Human summary.
expect 0 "summary" -- "$MEMVIRT" run seq --footprint 1M --iters 2 --out "$TMP/sum"
check "summary names verification" has "verified by host replay" "$TMP/out"
check "summary names the record" has "run.json" "$TMP/out"

# A crashing guest: one error line first, then registers and the disassembly at RIP.
expect 4 "crash" -- "$MEMVIRT" run crash --out "$TMP/crash"
check "crash: first line is the error" test "$(head -1 "$TMP/err" | grep -c '^memvirt: error: guest crashed: user-mode page fault')" = 1
check "crash: registers" has "rip " "$TMP/err"
check "crash: disassembly at rip" has "=> 0x" "$TMP/err"
check "crash: faulting store" has "0xdead000" "$TMP/err"
check "crash recorded" test "$(json_get "$TMP/crash/run.json" "['end']['kind']")" = guest-crash
check "crash dump recorded" has "code at rip" "$TMP/crash/run.json"

# 1G guest pages are not offered by this host's KVM: a clear error, not a crash.
if ! grep -q pdpe1gb /proc/cpuinfo; then
	expect 3 "1g pages" -- "$MEMVIRT" run stride --footprint 1G --page-size 1g --mem 2200M --out "$TMP/1g"
	check "1g pages explained" has "use --page-size 2m" "$TMP/err"
fi

# Timeout: stops the guest, still records statistics.
expect 4 "timeout" -- "$MEMVIRT" run seq --footprint 1M --iters 100000000 --timeout 0.5 --out "$TMP/to"
check "timeout recorded" test "$(json_get "$TMP/to/run.json" "['end']['kind']")" = timeout
check "timeout keeps stats" test -n "$(json_get "$TMP/to/run.json" "['kvm_stats']['vcpu']['exits']")"

# SIGINT: a clean stop with the results written.
"$MEMVIRT" run seq --footprint 1M --iters 100000000 --out "$TMP/int" >"$TMP/out" 2>"$TMP/err" &
pid=$!
for _ in $(seq 50); do
	[ "$(json_get "$TMP/int/run.json" "['status']" 2>/dev/null)" = running ] && break
	sleep 0.1
done
sleep 0.3
kill -INT $pid
wait $pid
check "SIGINT exit status 130" test $? -eq 130
check "SIGINT recorded" test "$(json_get "$TMP/int/run.json" "['end']['kind']")" = signal
check "SIGINT record complete" test "$(json_get "$TMP/int/run.json" "['status']")" = failed

# Host backings: freed guest frames must read as zero again whatever backs them
# (churn's checksum includes its reads of fresh mappings).
for b in thp memfd; do
	expect 0 "churn on $b" -- "$MEMVIRT" run churn --footprint 2M --iters 3 --mem 64M --backing $b --out "$TMP/b-$b"
	check "backing $b recorded" test "$(json_get "$TMP/b-$b/run.json" "['config']['backing']")" = $b
	check "churn on $b verified" test "$(json_get "$TMP/b-$b/run.json" "['result']['verified']")" = True
done
HP=/sys/kernel/mm/hugepages/hugepages-2048kB
if [ -w $HP/nr_hugepages ] && [ "$(cat $HP/free_hugepages)" -lt 32 ]; then
	expect 3 "hugetlb-2m without pages" -- "$MEMVIRT" run churn --footprint 2M --iters 2 --mem 64M --backing hugetlb-2m --out "$TMP/h0"
	check "hugetlb: says how to reserve" has "echo 32 > $HP/nr_hugepages" "$TMP/err"
	old=$(cat $HP/nr_hugepages)
	echo $((old + 32)) >$HP/nr_hugepages
	expect 0 "churn on hugetlb-2m" -- "$MEMVIRT" run churn --footprint 2M --iters 3 --mem 64M --backing hugetlb-2m --out "$TMP/h1"
	check "churn on hugetlb-2m verified" test "$(json_get "$TMP/h1/run.json" "['result']['verified']")" = True
	echo "$old" >$HP/nr_hugepages
fi

# Pingpong switches address spaces.
expect 0 "pingpong" -- "$MEMVIRT" run pingpong --footprint 64K --iters 50 --out "$TMP/pp"
check "pingpong CR3 switches" test "$(json_get "$TMP/pp/run.json" "['guest_kernel']['cr3_switches']")" = 200

# The default experiment.
expect 0 "demo" -- "$MEMVIRT" demo --lab no --out "$TMP/demo"
check "demo table" has "verified" "$TMP/out"
check "demo records" test -f "$TMP/demo/gups/run.json"

finish
