#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# --paging and --reload-kvm on a real KVM that can switch (kvm_amd npt=, kvm_intel ept=): a
# mismatch without --reload-kvm fails with the switch command in its one error line; with it,
# memvirt reloads the vendor module into the other mode and back, run.json records
# paging.reloaded/from/to, and the guest's faults follow the new mode's rule. Skips (77) where
# KVM cannot be reloaded: no /dev/kvm, not root, PVM (shadow only), KVM built in, another VM.
# The host is left in the mode it had.
source "$(dirname "$0")/../cli/lib.sh"

skip() {
	echo "SKIP: $*"
	exit 77
}

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	skip "/dev/kvm is not usable here"
fi
[ "$(id -u)" -eq 0 ] || skip "reloading KVM needs root (euid $(id -u))"
info() {
	"$MEMVIRT" info --json | python3 -c "import json,sys; print(json.load(sys.stdin)['host']['kvm'][sys.argv[1]])" "$1"
}
VENDOR=$(info vendor_module)
case $VENDOR in
kvm_amd) PARAM=npt ;;
kvm_intel) PARAM=ept ;;
kvm_pvm) skip "kvm_pvm has shadow paging only and cannot switch" ;;
*) skip "no KVM vendor module that can switch MMU modes ($VENDOR)" ;;
esac
[ -e /sys/module/$VENDOR/initstate ] || skip "$VENDOR is built into the kernel: it cannot be reloaded"
command -v modprobe >/dev/null || skip "no modprobe"
for fd in /proc/[0-9]*/fd/*; do
	pid=${fd#/proc/}
	pid=${pid%%/*}
	[ "$pid" = $$ ] && continue
	if [ "$(readlink "$fd" 2>/dev/null)" = anon_inode:kvm-vm ]; then
		skip "another VM holds KVM (pid $pid): reloading $VENDOR would fail"
	fi
done

ORIG=$(info mmu_mode) # shadow, npt or ept
case $ORIG in
shadow) ORIG_REQ=shadow OTHER_REQ=tdp OTHER=$PARAM ;;
npt | ept) ORIG_REQ=tdp OTHER_REQ=shadow OTHER=shadow ;;
*) skip "the host's MMU mode is unknown ($ORIG)" ;;
esac
echo "host KVM: $VENDOR in $ORIG mode; switching to $OTHER and back"
# The module parameter that selects each mode.
param_for() { [ "$1" = shadow ] && echo "$PARAM=0" || echo "$PARAM=1"; }

# Whatever happens, give the host back the mode it had.
restore() {
	if [ "$(info mmu_mode)" != "$ORIG" ]; then
		echo "restoring $VENDOR $(param_for "$ORIG")" >&2
		modprobe -r "$VENDOR" && modprobe "$VENDOR" "$(param_for "$ORIG")"
	fi
	rm -rf "$TMP"
}
trap restore EXIT

# pf_guest by the rule of MODE for N guest faults: every one in shadow mode, none with NPT/EPT.
pf_guest_rule() { [ "$1" = shadow ] && echo "$2" || echo 0; }

# A mismatch without --reload-kvm: exit 3, one error line naming the command that switches.
expect 3 "mismatch without --reload-kvm" -- "$MEMVIRT" run seq --footprint 1M --iters 1 \
	--paging $OTHER_REQ --out "$TMP/mm"
check "mismatch: one error line" one_line "$TMP/err"
check "mismatch: names the switch command" \
	has "modprobe -r $VENDOR && modprobe $VENDOR $(param_for "$OTHER")" "$TMP/err"
check "mismatch: no reload" test "$(info mmu_mode)" = "$ORIG"

# Switch: run.json records the reload; 256 first-touched pages follow the new mode's rule.
switch() {
	local req=$1 from=$2 to=$3
	expect 0 "run --paging $req --reload-kvm" -- "$MEMVIRT" run seq --footprint 1M --iters 1 \
		--paging "$req" --reload-kvm --out "$TMP/$req"
	local R=$TMP/$req/run.json
	check "$from -> $to: recorded" test "$(json_get "$R" "['paging']")" = \
		"{'reloaded': True, 'from': '$from', 'to': '$to'}"
	check "$from -> $to: mode recorded" test "$(json_get "$R" "['paging_mode']")" = "$to"
	check "$from -> $to: host mode" test "$(info mmu_mode)" = "$to"
	check "$from -> $to: said on stderr" has "reloaded $VENDOR with $(param_for "$to")" "$TMP/err"
	check "$from -> $to: guest faults" test "$(json_get "$R" "['result']['guest_faults']")" = 256
	check "$from -> $to: pf_guest by the $to rule" \
		test "$(json_get "$R" "['kvm_stats']['vcpu']['pf_guest']")" = "$(pf_guest_rule "$to" 256)"
}
switch $OTHER_REQ "$ORIG" "$OTHER"
# The mismatch the other way round names the command back.
expect 3 "mismatch back" -- "$MEMVIRT" run seq --footprint 1M --iters 1 --paging $ORIG_REQ \
	--out "$TMP/mm"
check "mismatch back: one error line" one_line "$TMP/err"
check "mismatch back: names the switch command" \
	has "modprobe -r $VENDOR && modprobe $VENDOR $(param_for "$ORIG")" "$TMP/err"
switch $ORIG_REQ "$OTHER" "$ORIG"

# The mode already matches: nothing is reloaded.
expect 0 "no reload when the mode matches" -- "$MEMVIRT" run seq --footprint 1M --iters 1 \
	--paging $ORIG_REQ --reload-kvm --out "$TMP/same"
check "no reload: recorded" test "$(json_get "$TMP/same/run.json" "['paging']['reloaded']")" = False

finish
