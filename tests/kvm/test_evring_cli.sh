#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt run and the guest event channel: OUT/events.mvev, run.json's "events", the options.
source "$(dirname "$0")/../cli/lib.sh"

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is not usable here"
	exit 77
fi

# 1024 first-touched 4K pages: 1024 guest_fault records, each with its chain.
expect 0 "chains run" -- "$MEMVIRT" run stride --footprint 4M --iters 1 --chains --out "$TMP/ch"
R=$TMP/ch/run.json
check "event file written" test -s "$TMP/ch/events.mvev"
check "event file named" test "$(json_get "$R" "['events']['path']")" = "$TMP/ch/events.mvev"
check "channel on" test "$(json_get "$R" "['events']['channel']")" = True
check "1024 fault records" test "$(json_get "$R" "['events']['records']['guest_fault']")" = 1024
check "one map record" test "$(json_get "$R" "['events']['records']['guest_map']")" = 1
check "1024 chains" test "$(json_get "$R" "['events']['records']['vmm_chain']")" = 1024
check "nothing dropped" test "$(json_get "$R" "['events']['dropped']['guest_full']")" = 0
check "nothing malformed" test "$(json_get "$R" "['events']['dropped']['malformed']")" = 0
check "ring size default" test "$(json_get "$R" "['events']['ring_bytes']")" = 1048576
check "file magic" test "$(head -c 8 "$TMP/ch/events.mvev")" = MVEVENTS
# The chains' GVAs are translated by the CPU through the table the host's MMU mode names.
MODE=$(host_mmu_mode)
check "chains: $MODE translation in the summary" grep -qxF -- "  $(translation_lines "$MODE" | head -1)" "$TMP/out"
check "chains: $MODE translation, second line" grep -qxF -- "  $(translation_lines "$MODE" | tail -1)" "$TMP/out"
check "chains: $MODE translation in run.json" translation_json_ok "$MODE" "$R" "['translation']"

# --ring-size and --no-events.
expect 0 "small ring" -- "$MEMVIRT" run stride --footprint 1M --iters 1 --ring-size 64K --out "$TMP/sm"
check "ring size" test "$(json_get "$TMP/sm/run.json" "['events']['ring_bytes']")" = 65536
expect 0 "no events" -- "$MEMVIRT" run stride --footprint 1M --iters 1 --no-events --out "$TMP/ne"
check "no event file" test ! -e "$TMP/ne/events.mvev"
check "channel off" test "$(json_get "$TMP/ne/run.json" "['events']['channel']")" = False
check "path null" test "$(json_get "$TMP/ne/run.json" "['events']['path']")" = None
expect 2 "ring size not a power of two" -- "$MEMVIRT" run nop --ring-size 48K
check "ring size error names the rule" has "power of two" "$TMP/err"
expect 2 "ring size too small" -- "$MEMVIRT" run nop --ring-size 1K
expect 2 "chains without events" -- "$MEMVIRT" run nop --chains --no-events
check "chains error names the fix" has "drop --no-events" "$TMP/err"
expect 2 "ring too large for memory" -- "$MEMVIRT" run nop --ring-size 256M --mem 64M
check "memory error names --mem" has "use --mem" "$TMP/err"

finish
