#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt sim with churn and pingpong on the synthetic guest OS, anonymous host memory, and
# --replay's usage errors. Expected counts from the workloads' definitions (churn: per round,
# a fresh mapping, one load and one store a 4K page, munmap; pingpong: each process one load
# and one store a page a round), the memvirt kernel's rules (demand faults, freed frames reused
# first, munmap flushes page by page up to 33 pages and discards the frames, the driver
# switches to each process and back), KVM's (a guest #PF exits under shadow paging; with
# NPT/EPT a frame's first touch is one NPT fault, a discard drops its entry with one flush per
# message) and Linux's for anonymous memory (a page read first faults twice: the zero page,
# then the copy, after one retried fault and the invalidation's flush).
source "$(dirname "$0")/lib.sh"

res() { json_get "$TMP/out" "$1"; }

# churn: 32 pages, 2 rounds, every mode.
expect 0 "churn all" -- "$MEMVIRT" sim --workload churn --footprint 128K --iters 2 --paging all \
	--json --out "$TMP/c"
for i in 0 1 2; do
	check "churn mode $i: accesses 2 rounds x 32 pages x 2" test "$(res "['results'][$i]['accesses']")" = 128
done
check "churn: guest faults 2 x 32" test "$(res "['config']['input']['guest_faults']")" = 64
check "churn: synthetic guest OS" test "$(res "['config']['input']['guest_os']")" = synthetic
T=$(res "['results'][1]['table_frames']['guest']")
check "nested: NPT faults = table frames + 64 data frames" \
	test "$(res "['results'][1]['tdp_mmu']['counters']['pf_fixed']")" = $((T + 64))
check "nested: present memory, no retry" \
	test "$(res "['results'][1]['tdp_mmu']['counters']['pf_taken']")" = $((T + 64))
check "nested: one flush per munmap's discard" test "$(res "['results'][1]['tdp_mmu']['counters']['tlb_flush']")" = 2
check "nested: only the tables stay mapped" test "$(res "['results'][1]['tdp_mmu']['counters']['pages_4k']")" = "$T"
check "nested: 64 frames discarded" test "$(res "['results'][1]['tdp_mmu']['discarded_pages']")" = 64
check "shadow: every guest fault exits" test "$(res "['results'][2]['shadow_mmu']['counters']['pf_guest']")" = 64
check "shadow: munmap of 32 pages flushes page by page" \
	test "$(res "['results'][2]['shadow_mmu']['counters']['invlpg']")" = 64
check "native: no TDP, no shadow MMU" test "$(res "['results'][0].get('tdp_mmu', 'none')")" = none

expect 0 "churn anon" -- "$MEMVIRT" sim --workload churn --footprint 128K --iters 2 --paging nested \
	--host-memory anon --json --out "$TMP/ca"
T=$(res "['results'][0]['table_frames']['guest']")
check "anon: host_memory recorded" test "$(res "['config']['host_memory']")" = anon
check "anon: two NPT faults a page read first" \
	test "$(res "['results'][0]['tdp_mmu']['counters']['pf_fixed']")" = $((T + 128))
check "anon: and one retried fault" \
	test "$(res "['results'][0]['tdp_mmu']['counters']['pf_taken']")" = $((T + 192))
check "anon: a flush per copy-on-write and per discard" \
	test "$(res "['results'][0]['tdp_mmu']['counters']['tlb_flush']")" = 66
check "anon: 64 zero-page maps" test "$(res "['results'][0]['tdp_mmu']['zero_page_maps']")" = 64

# pingpong: 2 processes, 16 pages each, 3 rounds.
expect 0 "pingpong all" -- "$MEMVIRT" sim --workload pingpong --footprint 64K --iters 3 --nproc 2 \
	--paging all --json --out "$TMP/p"
check "pingpong: accesses 2 x 3 x 16 x 2" test "$(res "['results'][0]['accesses']")" = 192
check "pingpong: guest faults 2 x 16" test "$(res "['config']['input']['guest_faults']")" = 32
check "pingpong: nproc recorded" test "$(res "['config']['input']['nproc']")" = 2
check "shadow: CR3 loads: the first and 2 per process a round" \
	test "$(res "['results'][2]['shadow_mmu']['exits']['cr3']")" = 13
T=$(res "['results'][1]['table_frames']['guest']")
check "nested: no exit for the switches: NPT faults = frames" \
	test "$(res "['results'][1]['tdp_mmu']['counters']['pf_taken']")" = $((T + 32))

# The table shows exits in every mode.
expect 0 "churn table" -- "$MEMVIRT" sim --workload churn --footprint 128K --iters 2 --paging all \
	--out "$TMP/ct"
check "table: VM exits row" has "^VM exits  *0  *[0-9]*  *[0-9]*$" "$TMP/out"
check "table: exit cycles row" has "^modelled exit cycles" "$TMP/out"

# Provenance: the version and commit --version prints, the command line as given, the time.
expect 0 "sim provenance" -- "$MEMVIRT" sim --workload churn --footprint 64K --iters 1 --json \
	--out "$TMP/pv"
check "schema" test "$(res "['schema']")" = memvirt-sim/1
check "provenance: version" test "$(res "['provenance']['memvirt_version']")" = \
	"$("$MEMVIRT" --version | head -1 | awk '{print $2}')"
check "provenance: commit" test "$(res "['provenance']['commit']")" = \
	"$("$MEMVIRT" --version | awk '$1 == "commit" {print $2}')"
check "provenance: command line" test "$(res "['provenance']['command_line']")" = \
	"$MEMVIRT sim --workload churn --footprint 64K --iters 1 --json --out $TMP/pv"
check "provenance: time" python3 -c "import re,sys; sys.exit(not re.fullmatch(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ', sys.argv[1]))" \
	"$(res "['provenance']['written_at']")"

# Usage errors: one line, exit 2.
for args in "--workload seq --host-memory bogus" "--workload seq --nproc 2" \
	"--workload pingpong --nproc 0" "--workload pingpong --nproc 16" \
	"--workload churn --host-memory anon --host-pages 2m" "--workload crash" \
	"--replay $TMP/nonexistent" "--trace /dev/null --nproc 2"; do
	# shellcheck disable=SC2086
	expect 2 "sim $args" -- "$MEMVIRT" sim $args --out "$TMP/e"
	check "sim $args: one line" one_line "$TMP/err"
done
finish
