#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The lab itself, booted for real: a command's exit status, stdout, stderr and files come
# back; KVM is loaded in the asked-for mode (kvm_amd npt / kvm_intel ept = 1 for tdp, 0 for
# shadow); a run.json written inside names the lab; a hung command is killed at --timeout.
set -u
. "$(dirname "$0")/lib.sh"
skip_unless_lab_ready

lab() { "$MEMVIRT" lab --mem 1G --timeout 300 "$@"; }

# Status, streams and files of one command, in tdp mode.
expect 7 "status comes back" -- lab --paging tdp --out "$TMP/a" -- \
	sh -c 'echo to-stdout; echo to-stderr >&2; echo file-content > made-here; exit 7'
check "stdout comes back" grep -qx to-stdout "$TMP/out"
check "stderr comes back" grep -qx to-stderr "$TMP/err"
check "stderr keeps stdout apart" sh -c "! grep -q to-stderr '$TMP/out'"
check "a file written in the working directory comes back" \
	grep -qx file-content "$TMP/a/tdp/made-here"
check "lab.json records the status" [ "$(json_get "$TMP/a/tdp/lab.json" "['result']['exit_status']")" = 7 ]
check "lab.json records the mode" [ "$(json_get "$TMP/a/tdp/lab.json" "['lab']['paging']")" = tdp ]
check "the console is kept" [ -s "$TMP/a/tdp/lab-console.log" ]
check "one line says which mode and accelerator" grep -q "tdp mode: Linux .*(-cpu " "$TMP/err"

# Both modes, one boot each: the vendor module's nested-paging parameter is the rule
# (SVM: kvm_amd npt; VMX: kvm_intel ept), 1 or Y for tdp, 0 or N for shadow.
param='for p in /sys/module/kvm_amd/parameters/npt /sys/module/kvm_intel/parameters/ept; do
	[ -e "$p" ] && cat "$p"; done > param; [ -c /dev/kvm ] && echo yes > devkvm'
expect 0 "both modes" -- lab --paging both --out "$TMP/b" -- sh -c "$param"
check "shadow: nested paging off" grep -qxE '0|N' "$TMP/b/shadow/param"
check "tdp: nested paging on" grep -qxE '1|Y' "$TMP/b/tdp/param"
check "shadow: /dev/kvm" grep -qx yes "$TMP/b/shadow/devkvm"
check "tdp: /dev/kvm" grep -qx yes "$TMP/b/tdp/devkvm"

# The first failing mode's status is the lab's.
expect 5 "both modes, shadow fails" -- lab --paging both --out "$TMP/c" -- \
	sh -c 'grep -qxE "1|Y" /sys/module/kvm_amd/parameters/npt || exit 5'
check "both modes ran" [ -f "$TMP/c/shadow/lab.json" ] && [ -f "$TMP/c/tdp/lab.json" ]

# A memvirt subcommand runs this binary; its run.json names the lab.
expect 0 "run nop inside" -- lab --paging shadow --out "$TMP/d" -- \
	sh -c "'$MEMVIRT' run nop --out r && '$MEMVIRT' trace stat r/events.mvev > stat.txt"
check "run.json names the lab's mode" \
	[ "$(json_get "$TMP/d/shadow/r/run.json" "['lab']['paging']")" = shadow ]
check "run.json names the lab's kernel" \
	[ "$(json_get "$TMP/d/shadow/r/run.json" "['lab']['kernel']")" = "$(json_get "$TMP/d/shadow/lab.json" "['lab']['kernel']")" ]
check "run.json: KVM's own mode is shadow" \
	[ "$(json_get "$TMP/d/shadow/r/run.json" "['paging_mode']")" = shadow ]
check "run's output says whose times they are" grep -q "^  lab " "$TMP/out"
check "the event file says it was recorded in the lab" \
	grep -q "^recorded in the lab: .*shadow paging" "$TMP/d/shadow/stat.txt"

# --thp reaches the lab kernel's command line.
expect 0 "thp never" -- lab --paging tdp --thp never --out "$TMP/t" -- \
	sh -c 'cat /sys/kernel/mm/transparent_hugepage/enabled > thp'
check "thp never is in force" grep -q '\[never\]' "$TMP/t/tdp/thp"
check "lab.json records thp" [ "$(json_get "$TMP/t/tdp/lab.json" "['lab']['thp']")" = never ]

# A hung command: killed at --timeout, status 4, one error line.
t0=$(date +%s)
expect 4 "timeout" -- "$MEMVIRT" lab --mem 1G --paging tdp --timeout 20 --out "$TMP/e" -- sleep 3600
t1=$(date +%s)
check "timeout: killed within a minute" [ $((t1 - t0)) -lt 60 ]
check "timeout: one error line names --timeout" sh -c "grep -c 'error:' '$TMP/err' | grep -qx 1 && grep -q -- '--timeout' '$TMP/err'"
check "timeout: lab.json says so" [ "$(json_get "$TMP/e/tdp/lab.json" "['result']['failure']")" = timeout ]
# (The bracket keeps pgrep from matching its own shell's command line.)
check "timeout: no QEMU left" sh -c "! pgrep -f 'path=$TMP/e/td[p]' >/dev/null"

finish
