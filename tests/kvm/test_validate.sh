#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt validate in the host KVM's own MMU mode: the document's structure, and the counters
# the model claims exact against KVM within 2%, each by its rule:
# - shadow paging: KVM intercepts every guest #PF and reinjects the ones the guest tables
#   refuse, so pf_guest = the guest kernel's page faults, and the replay reinjects one per
#   guest_fault record; INVLPG exits and kvm_mmu_invlpg counts each, so invlpg = the guest
#   kernel's invlpg count (churn over 32 pages: munmap flushes page by page, 32 per round),
#   and the replay runs one per INVLPG record.
# - NPT/EPT: guest #PFs never exit: pf_guest = 0 for KVM and the model.
# - both: the host backs guest memory with anonymous pages: a page read before it is written
#   maps the zero page read-only, and its first write breaks copy-on-write (an invalidation,
#   its flush, a retried fault and one more fixed fault). seq reads each of its 1024 pages
#   first, touch writes them first: KVM's pf_fixed and tlb_flush differ by 1024 (within 2%).
# - both: pf_fixed, net of the idle VM (the nop run) on each side, is claimed within 2% at the
#   default 4M footprint, where the guest kernel's own few pages beyond the idle VM's weigh
#   less than 1%.
source "$(dirname "$0")/../cli/lib.sh"

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is not usable here"
	exit 77
fi
MODE=$(host_mmu_mode)
case $MODE in
shadow) VMODE=shadow NCOUNTERS=16 ;;
npt | ept) VMODE=nested NCOUNTERS=6 ;;
*)
	echo "SKIP: the host KVM's MMU mode is unknown ($MODE)"
	exit 77
	;;
esac

WLS="touch seq churn pingpong"
expect 0 "validate $VMODE" -- "$MEMVIRT" validate $VMODE --json --out "$TMP/v"
cp "$TMP/out" "$TMP/v.json"
res() { json_get "$TMP/v.json" "$1"; }
# row WORKLOAD COUNTER FIELD: one field of the comparison of WORKLOAD's COUNTER.
row() {
	python3 - "$TMP/v.json" "$1" "$2" "$3" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = [c for c in d["comparisons"] if c["workload"] == sys.argv[2] and c["counter"] == sys.argv[3]]
print(r[0][sys.argv[4]] if len(r) == 1 else "no-row")
PY
}
within() { python3 -c "import sys; k, m = int(sys.argv[1]), int(sys.argv[2]); sys.exit(not (abs(m - k) <= 0.02 * k))" "$1" "$2"; }
# wl WORKLOAD FIELD: one field of WORKLOAD's object in "workloads".
wl() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print([x for x in d['workloads'] if x['workload'] == sys.argv[2]][0][sys.argv[3]])" "$TMP/v.json" "$1" "$2"
}
kstat() { json_get "$TMP/v/$1/run.json" "$2"; }

check "mode recorded" test "$(res "['mode']")" = "$VMODE"
check "host MMU recorded" test "$(res "['host_mmu']")" = "$MODE"
check "in_lab recorded" python3 -c "import json,sys; sys.exit(type(json.load(open('$TMP/v.json'))['in_lab']) is not bool)"
check "tolerance 2%" test "$(res "['tolerance']")" = 0.02
check "one object per workload and counter, the idle VM's too" \
	test "$(res "['comparisons'].__len__()")" = $((5 * NCOUNTERS))
check "the idle VM is the baseline" test "$(wl nop baseline)" = True
check "validate: provenance commit" test "$(res "['provenance']['commit']")" = \
	"$("$MEMVIRT" --version | awk '$1 == "commit" {print $2}')"
check "run.json: provenance commit" test "$(kstat touch "['provenance']['commit']")" = \
	"$(res "['provenance']['commit']")"
check "every object has kvm, model, rel_err" python3 -c "
import json, sys
d = json.load(open('$TMP/v.json'))
sys.exit(not all({'workload', 'counter', 'kvm', 'model', 'rel_err', 'kvm_net', 'model_net',
                  'net_err', 'claim', 'exact', 'ok'} <= set(c) for c in d['comparisons']))"
for w in $WLS; do
	check "$w: replayed" test "$(wl $w error)" = None
	K=$(row $w pf_guest kvm)
	M=$(row $w pf_guest model)
	check "$w: pf_guest is KVM's run.json value" test "$K" = "$(kstat $w "['kvm_stats']['vcpu']['pf_guest']")"
	if [ $VMODE = shadow ]; then
		check "$w: KVM pf_guest = guest faults" test "$K" = "$(kstat $w "['guest_kernel']['page_faults']")"
		check "$w: model pf_guest within 2% of KVM's ($M vs $K)" within "$K" "$M"
		check "$w: model pf_guest = guest_fault records" \
			test "$M" = "$(wl $w guest_faults)"
	else
		check "$w: KVM pf_guest = 0 under $MODE" test "$K" = 0
		check "$w: model pf_guest = 0" test "$M" = 0
	fi
	check "$w: pf_guest claimed exact and ok" test "$(row $w pf_guest ok)" = True
	K=$(row $w pf_fixed kvm)
	KN=$(row $w pf_fixed kvm_net)
	check "$w: pf_fixed net is KVM's less the idle VM's" test "$KN" = $((K - $(row nop pf_fixed kvm)))
	check "$w: pf_fixed net claimed" test "$(row $w pf_fixed claim)" = net
	check "$w: model pf_fixed net within 2% ($(row $w pf_fixed model_net) vs $KN)" \
		within "$KN" "$(row $w pf_fixed model_net)"
	check "$w: pf_fixed ok" test "$(row $w pf_fixed ok)" = True
done
for c in pf_fixed tlb_flush; do
	D=$(($(row seq $c kvm) - $(row touch $c kvm)))
	check "KVM $c: seq - touch = 1024 pages read first, within 2% ($D)" within 1024 "$D"
done
if [ $VMODE = shadow ]; then
	check "churn: no INVLPG over 1024 pages (munmap reloads CR3)" test "$(row churn invlpg kvm)" = 0
	check "pingpong: switches replayed" test "$(wl pingpong replayed_records)" -gt 0
	# 32 pages: munmap flushes page by page. Without the idle VM, net claims are not judged.
	expect 0 "validate churn 128K" -- "$MEMVIRT" validate shadow --json --workloads churn \
		--footprint 128K --mem 64M --no-baseline --out "$TMP/c"
	cp "$TMP/out" "$TMP/v.json"
	K=$(row churn invlpg kvm)
	check "churn: INVLPGs happened (2 rounds x 32 pages)" test "$K" = 64
	check "churn: KVM invlpg = the guest's" test "$K" = "$(json_get "$TMP/c/churn/run.json" "['guest_kernel']['invlpg']")"
	check "churn: model invlpg within 2% ($(row churn invlpg model) vs $K)" within "$K" "$(row churn invlpg model)"
	check "no baseline: no net" test "$(row churn pf_fixed kvm_net)" = None
fi

# Text output: a table per workload.
expect 0 "validate $VMODE text" -- "$MEMVIRT" validate $VMODE --workloads touch --footprint 128K \
	--mem 64M --no-baseline --out "$TMP/t"
check "text: pf_guest row" grep -q "pf_guest .* exact: ok" "$TMP/out"
check "text: host MMU line" has "host MMU: $MODE" "$TMP/out"
# The other mode: KVM is in this one, so it is a host failure naming the lab.
OTHER=$([ $VMODE = shadow ] && echo nested || echo shadow)
expect 3 "validate $OTHER on a $MODE host" -- "$MEMVIRT" validate $OTHER --workloads touch \
	--footprint 128K --mem 64M --out "$TMP/o"
check "other mode: names the lab" has "memvirt lab --paging" "$TMP/err"
finish
