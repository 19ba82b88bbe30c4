#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt sweep: a small sim sweep in parallel and its summary, usage errors, a failed point,
# an interrupted sweep resumed without redoing its finished points.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# rows FILE: the data lines of a CSV summary.
rows() { tail -n +2 "$1"; }
# col FILE NAME: the column NAME of every row (no field here holds a quoted comma but "dir").
col() {
	python3 - "$1" "$2" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    print(r[sys.argv[2]])
PY
}

# 3 footprints x 2 modes, two at a time: six points in the order first key slowest.
SW=$TMP/sw
expect 0 "small sim sweep" -- "$MEMVIRT" sweep --out "$SW" --footprint 64K..1M:x4 \
	--paging native,nested --jobs 2 -- sim --workload touch
check "six rows" test "$(rows "$SW/summary.csv" | wc -l)" -eq 6
check "footprints in order" test "$(col "$SW/summary.csv" footprint | paste -sd' ')" = \
	"64K 64K 256K 256K 1M 1M"
check "modes in order" test "$(col "$SW/summary.csv" paging | paste -sd' ')" = \
	"native nested native nested native nested"
check "every point ok" test "$(col "$SW/summary.csv" status | sort -u)" = ok
check "six done markers" test "$(ls "$SW"/points/*/done | wc -l)" -eq 6
check "point names" test -d "$SW/points/0003-footprint=256K,paging=native"
# Each child got its point's values: sim.json's footprint in bytes, its one mode.
for p in "0001-footprint=64K,paging=native:65536:native" "0004-footprint=256K,paging=nested:262144:nested" \
	"0006-footprint=1M,paging=nested:1048576:nested"; do
	IFS=: read -r d bytes mode <<<"$p"
	check "$d: footprint" test "$(json_get "$SW/points/$d/sim.json" "['config']['input']['footprint']")" = "$bytes"
	check "$d: mode" test "$(json_get "$SW/points/$d/sim.json" "['results'][0]['mode']")" = "$mode"
	check "$d: point.json" test "$(json_get "$SW/points/$d/point.json" "['parameters']['paging']")" = "$mode"
done
# touch stores once per 4K page (one pass, its default), then reads each once more as its
# check, which sim leaves out of the measured region (its default --roi measured):
# footprint / 4096 accesses counted.
check "accesses of 1M native" test "$(col "$SW/summary.csv" native_accesses | sed -n 5p)" = 256
check "accesses of 64K nested" test "$(col "$SW/summary.csv" nested_accesses | sed -n 2p)" = 16
check "summary.json schema" test "$(json_get "$SW/summary.json" "['schema']")" = memvirt-sweep/1
check "summary.json rows" test "$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['rows']))" "$SW/summary.json")" = 6
check "summary.json provenance" test -n "$(json_get "$SW/summary.json" "['provenance']['commit']")"

# --page-size reaches sim as --page-size, its own name: a 2M point walks 2M guest pages.
expect 0 "page-size sweep of sim" -- "$MEMVIRT" sweep --out "$TMP/swp" --page-size 4k,2m \
	-- sim --workload seq --footprint 4M --iters 1
for p in "0001-page-size=4k:4K" "0002-page-size=2m:2M"; do
	IFS=: read -r d size <<<"$p"
	check "$d: guest pages" test "$(json_get "$TMP/swp/points/$d/sim.json" "['config']['guest_pages']")" = "$size"
	check "$d: sim's --page-size" has " --page-size ${d#*=}\( \|\$\)" \
		<(json_get "$TMP/swp/points/$d/sim.json" "['provenance']['command_line']")
done

# The same DIR again: refused without --resume; with it and another grid, refused in one line.
expect 2 "DIR holds a sweep" -- "$MEMVIRT" sweep --out "$SW" --footprint 64K..1M:x4 \
	--paging native,nested -- sim --workload touch
check "says --resume" has "add --resume" "$TMP/err"
expect 2 "resume, other grid" -- "$MEMVIRT" sweep --out "$SW" --resume --footprint 64K \
	--paging native,nested -- sim --workload touch
check "other grid: one line" one_line "$TMP/err"
check "other grid: says so" has "another grid or command" "$TMP/err"
expect 2 "resume, other command" -- "$MEMVIRT" sweep --out "$SW" --resume --footprint 64K..1M:x4 \
	--paging native,nested -- sim --workload seq
check "other command: one line" one_line "$TMP/err"
# A finished sweep resumed runs nothing: its done markers stay as they were.
before=$(stat -c %Y.%y "$SW"/points/*/done | md5sum)
expect 0 "resume a finished sweep" -- "$MEMVIRT" sweep --out "$SW" --resume --footprint 64K..1M:x4 \
	--paging native,nested --jobs 2 -- sim --workload touch
check "nothing redone" test "$(stat -c %Y.%y "$SW"/points/*/done | md5sum)" = "$before"

# Bad grids and usage: exit 2, one line, nothing written.
bad() {
	local what=$1
	shift
	expect 2 "$what" -- "$MEMVIRT" sweep --out "$TMP/bad" "$@"
	check "$what: one line" one_line "$TMP/err"
	check "$what: nothing written" test ! -e "$TMP/bad"
}
bad "no command" --footprint 64K
bad "no --" --footprint 64K sim
bad "unknown command" -- frob
bad "reversed range" --footprint 1M..64K -- sim --workload touch
bad "factor 1" --footprint 64K..1M:x1 -- sim --workload touch
bad "empty value" --seed 1,,2 -- sim --workload touch
bad "key twice" --seed 1 --set seed=2 -- sim --workload touch
bad "bad --set" --set =4 -- sim --workload touch
bad "--jobs 0" --jobs 0 -- sim --workload touch
bad "command's --out" -- sim --workload touch --out x
bad "config key for run" --set tlb1.all.entries=64 -- run touch
bad "lab without its command" --paging shadow -- lab
printf 'seed = 1\nno equals here\n' >"$TMP/grid.bad"
bad "grid file line" --grid "$TMP/grid.bad" -- sim --workload touch
check "grid file: names the line" has "grid.bad:2:" "$TMP/err"
expect 3 "DIR not writable" -- "$MEMVIRT" sweep --out /proc/memvirt-sweep -- sim --workload touch
check "not writable: one line" one_line "$TMP/err"

# A point that fails (an unknown workload): exit 1, its row says so, the others are ok.
expect 1 "a failed point" -- "$MEMVIRT" sweep --out "$TMP/fail" --workload touch,frob \
	-- sim --footprint 64K
check "failed: row 2" test "$(col "$TMP/fail/summary.csv" status | paste -sd' ')" = "ok failed"
check "failed: its exit status" test "$(col "$TMP/fail/summary.csv" exit_status | sed -n 2p)" = 2
check "failed: no done marker" test ! -e "$TMP/fail/points/0002-workload=frob/done"
check "failed: its log says why" has "unknown workload" "$TMP/fail/points/0002-workload=frob/log.txt"
check "failed: a grid file gives the same summary" bash -c \
	"printf 'workload = touch, frob\n' >'$TMP/g' && '$MEMVIRT' sweep --out '$TMP/fail2' --grid '$TMP/g' -- sim --footprint 64K >/dev/null 2>&1; \
	 test \$? -eq 1 && cut -d, -f1-5 '$TMP/fail2/summary.csv' | cmp -s - <(cut -d, -f1-5 '$TMP/fail/summary.csv')"

# A configuration key through a file per point: sim.conf holds the value, sim.json its effect.
expect 0 "--set of a configuration key" -- "$MEMVIRT" sweep --out "$TMP/conf" \
	--set tlb1.all.entries=8,64 -- sim --workload touch --footprint 256K --paging native
check "conf: the value in the file" sh -c "tail -3 '$TMP/conf/points/0001-tlb1.all.entries=8/sim.conf' | grep -qx 'entries = 8'"
check "conf: given to sim" has '"file": ".*0002-tlb1.all.entries=64/sim.conf"' "$TMP/conf/points/0002-tlb1.all.entries=64/sim.json"

# The summary reads run.json (vmm/record.c's layout) and validate's JSON (src/cmd_validate.c's),
# hand-written here for a sweep laid out by --emit-jobs: this host may have no KVM. Point 2 is
# laid out as a lab point (its run in shadow/) that failed.
F=$TMP/fx
expect 0 "emit a run sweep" -- "$MEMVIRT" sweep --out "$F" --workload seq,touch \
	--emit-jobs "$TMP/fxjobs" -- run --footprint 1M
p1=$F/points/0001-workload=seq p2=$F/points/0002-workload=touch
mkdir -p "$p1" "$p2/shadow"
cat >"$p1/run.json" <<'J'
{"schema": "memvirt-run/1",
 "result": {"reported": true, "accesses": 1000, "cycles": 250000, "cycles_per_access": 250,
            "guest_faults": 256, "verified": true},
 "kvm_stats": {"vm": {"pages_4k": 10},
               "vcpu": {"exits": 300, "pf_taken": 260, "pf_fixed": 258, "pf_guest": 256}},
 "timing": {"guest_ns": 1500000000}}
J
echo '{"exit_status": 0, "duration_s": 2.5}' >"$p1/status.json"
echo "exit 0" >"$p1/done"
echo '{"result": {"accesses": 77}}' >"$p2/shadow/run.json"
cat >"$p2/validate.json" <<'J'
{"schema": "memvirt-validate/1", "comparisons": [
 {"workload": "touch", "counter": "pf_fixed", "claim": "exact", "ok": true},
 {"workload": "touch", "counter": "pf_guest", "claim": "net", "ok": false},
 {"workload": "touch", "counter": "exits", "claim": "none", "ok": false}]}
J
echo '{"exit_status": 1, "duration_s": 0.25}' >"$p2/status.json"
expect 1 "summary with a failed point" -- "$MEMVIRT" sweep --summary "$F"
check "failed point named" has "0002-workload=touch" "$TMP/err"
fx() { test "$(col "$F/summary.csv" "$1" | sed -n "$2p")" = "$3"; }
check "run: accesses" fx accesses 1 1000
check "run: cycles per access" fx cycles_per_access 1 250
check "run: guest faults" fx guest_faults 1 256
check "run: vcpu exits" fx exits 1 300
check "run: pf_fixed" fx pf_fixed 1 258
check "run: guest seconds" fx guest_s 1 1.5
check "run: verified" fx verified 1 true
check "run: duration" fx duration_s 1 2.500
check "lab point: its mode's figures" fx shadow_accesses 2 77
check "lab point: failed, exit 1" test "$(col "$F/summary.csv" status | sed -n 2p),$(col "$F/summary.csv" exit_status | sed -n 2p)" = "failed,1"
check "validate: exact claim passed" fx claim_touch_pf_fixed 2 pass
check "validate: net claim failed" fx claim_touch_pf_guest 2 fail
check "validate: no column for no claim" sh -c "! head -1 '$F/summary.csv' | grep -q claim_touch_exits"
check "validate: counts" test "$(col "$F/summary.csv" claims_passed | sed -n 2p)/$(col "$F/summary.csv" claims_failed | sed -n 2p)" = 1/1
check "summary.json: figures are numbers" test "$(json_get "$F/summary.json" "['rows'][0]['results']['guest_s']")" = 1.5

# Interrupted: SIGINT once two points are done; the others are not marked done, no child is
# left; --resume then runs the rest and leaves the two as they were.
IR=$TMP/ir
ir_args=(--seed 1..6 -- sim --workload random --footprint 16M --iters 400000)
python3 - "$MEMVIRT" "$IR" "${ir_args[@]}" >"$TMP/ir.out" 2>"$TMP/ir.err" <<'PY'
import glob, signal, subprocess, sys, time
m, d, args = sys.argv[1], sys.argv[2], sys.argv[3:]
p = subprocess.Popen([m, "sweep", "--out", d] + args, stdout=subprocess.DEVNULL,
                     stderr=subprocess.PIPE,
                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
end = time.time() + 120
while len(glob.glob(d + "/points/*/done")) < 2 and p.poll() is None and time.time() < end:
    time.sleep(0.005)
p.send_signal(signal.SIGINT)
err = p.stderr.read().decode()
print(p.wait())
sys.stderr.write(err)
PY
check "interrupted: exit 130" test "$(cat "$TMP/ir.out")" = 130
check "interrupted: says how to resume" has "finish with: memvirt sweep --resume --out $IR" "$TMP/ir.err"
ndone=$(ls "$IR"/points/*/done | wc -l)
check "interrupted: some points not done" test "$ndone" -ge 2 -a "$ndone" -lt 6
# ([-] keeps this check's own command line from matching)
check "interrupted: no child left" sh -c "! pgrep -f -- '[-]-out $IR/points' >/dev/null"
stamps() { for f in "$IR"/points/*/done; do stat -c '%n %y' "$f" "$(dirname "$f")/log.txt"; done; }
stamps >"$TMP/stamps.before"
expect 0 "resume" -- "$MEMVIRT" sweep --out "$IR" --resume "${ir_args[@]}"
check "resumed: six done" test "$(ls "$IR"/points/*/done | wc -l)" -eq 6
check "resumed: finished points not redone" sh -c \
	"for f in \$(cut -d' ' -f1 '$TMP/stamps.before' | sort -u); do stat -c '%n %y' \"\$f\"; done | cmp -s - '$TMP/stamps.before'"
check "resumed: six ok rows" test "$(col "$IR/summary.csv" status | grep -c '^ok$')" -eq 6
check "resumed: seeds 1..6" test "$(col "$IR/summary.csv" seed | paste -sd' ')" = "1 2 3 4 5 6"

finish
