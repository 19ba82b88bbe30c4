#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt validate's command line: usage errors (exit 2, one line), and without a usable
# /dev/kvm the pointer to the lab (exit 3) before any run.
source "$(dirname "$0")/lib.sh"

expect 0 "help" -- "$MEMVIRT" validate --help
check "help names both modes" has "shadow|nested" "$TMP/out"
expect 2 "no mode" -- "$MEMVIRT" validate
check "no mode: one line" one_line "$TMP/err"
expect 2 "unknown mode" -- "$MEMVIRT" validate tdp
check "unknown mode: names it" has "unknown mode 'tdp'" "$TMP/err"
expect 2 "unknown workload" -- "$MEMVIRT" validate shadow --workloads touch,bogus
check "unknown workload: names it" has "'bogus'" "$TMP/err"
expect 2 "empty list" -- "$MEMVIRT" validate shadow --workloads ,
expect 2 "bad footprint" -- "$MEMVIRT" validate shadow --footprint lots
expect 2 "extra argument" -- "$MEMVIRT" validate shadow nested
expect 2 "unknown option" -- "$MEMVIRT" validate shadow --bogus
expect 2 "footprint over guest memory" -- "$MEMVIRT" validate shadow --footprint 1G --mem 64M
check "footprint over memory: says how much" has "use --mem" "$TMP/err"

if ! [ -e /dev/kvm ]; then
	for m in shadow nested; do
		lab=$([ $m = shadow ] && echo shadow || echo tdp)
		expect 3 "$m without KVM" -- "$MEMVIRT" validate $m --workloads touch --out "$TMP/v"
		check "$m without KVM: names the lab command" \
			has "memvirt lab --paging $lab -- validate $m" "$TMP/err"
		check "$m without KVM: no table printed" test "$(grep -c pf_guest "$TMP/out")" = 0
	done
fi
finish
