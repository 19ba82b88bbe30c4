#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt run, then memvirt sim over the run's own page tables (--run) and fault stream (--trace).
source "$(dirname "$0")/../cli/lib.sh"

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is not usable here"
	exit 77
fi

res() { json_get "$TMP/out" "$1"; }
num_eq() { python3 -c "import sys; sys.exit(float(sys.argv[1]) != float(sys.argv[2]))" "$1" "$2"; }

# stride over 6M touching each 4K page once: 1536 pages. The guest maps them with 4K pages, so
# 6M / 2M = 3 page tables hold the data; with the textbook preset (no caches, no PWC) each
# page is one walk of 4 references native, 4 + 4*4 + 4 = 24 nested, 4 shadow.
FOOT=$((6 << 20))
PAGES=$((FOOT / 4096))
expect 0 "run" -- "$MEMVIRT" run stride --footprint 6M --stride 4K --iters 1 --out "$TMP/r"
check "snapshot written" test -s "$TMP/r/pagetables.bin"
check "snapshot magic" test "$(head -c 8 "$TMP/r/pagetables.bin")" = MVPTSNAP
expect 0 "sim --run" -- "$MEMVIRT" sim --run "$TMP/r" --paging all --json --out "$TMP/s"
check "input is the run" test "$(res "['config']['input']['kind']")" = run
check "workload from the run" test "$(res "['config']['input']['workload']")" = stride
check "footprint from the run" test "$(res "['config']['input']['footprint']")" = $FOOT
check "data page tables = footprint / 2M" \
	test "$(res "['config']['input']['data_page_tables']")" = $((FOOT / (2 << 20)))
SNAP=$(res "['config']['input']['snapshot_table_pages']")
check "snapshot has the tables (> data tables)" test "$SNAP" -gt $((FOOT / (2 << 20)))
for i in 0 1 2; do
	check "mode $i: guest frames are the snapshot's" \
		test "$(res "['results'][$i]['table_frames']['guest']")" = "$SNAP"
	check "mode $i: walks = pages" test "$(res "['results'][$i]['walks']['count']")" = $PAGES
	check "mode $i: accesses = 2 per page" test "$(res "['results'][$i]['accesses']")" = $((2 * PAGES))
	check "mode $i: no faults" test "$(res "['results'][$i]['faults']")" = 0
done
check "native refs/walk = 4" num_eq "$(res "['results'][0]['walks']['refs_per_walk']")" 4
check "nested refs/walk = 24" num_eq "$(res "['results'][1]['walks']['refs_per_walk']")" 24
check "shadow refs/walk = 4" num_eq "$(res "['results'][2]['walks']['refs_per_walk']")" 4
check "PTE loads = walks (native)" \
	test "$(res "['results'][0]['walks']['guest_refs_by_level']['pte']")" = $PAGES

# The run's event file: one guest fault per first-touched page.
expect 0 "sim --trace" -- "$MEMVIRT" sim --trace "$TMP/r/events.mvev" --json --out "$TMP/t"
check "trace: faults = pages" test "$(res "['config']['input']['guest_faults']")" = $PAGES
check "trace: walks = pages" test "$(res "['results'][0]['walks']['count']")" = $PAGES

# Bad run directories: one line, exit 2.
mkdir -p "$TMP/empty"
expect 2 "run without snapshot" -- "$MEMVIRT" sim --run "$TMP/empty" --out "$TMP/e"
check "no snapshot: one line" one_line "$TMP/err"
check "no snapshot: names the file" has "pagetables.bin" "$TMP/err"
head -c 5000 "$TMP/r/pagetables.bin" >"$TMP/empty/pagetables.bin"
expect 2 "truncated snapshot" -- "$MEMVIRT" sim --run "$TMP/empty" --out "$TMP/e"
check "truncated: says so" has "truncated" "$TMP/err"
printf '[paging]\nlevels = 5\n' >"$TMP/l5.cfg"
expect 2 "levels mismatch" -- "$MEMVIRT" sim --run "$TMP/r" --config "$TMP/l5.cfg" --out "$TMP/e"
check "levels mismatch: says which" has "4-level paging" "$TMP/err"
finish
