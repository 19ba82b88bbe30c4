#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/guest_vs_host.sh: the same workload loop as a host process and as a
# memvirt guest workload, side by side, in rdtsc cycles per access.
#
# Both sides run wl_run() from workloads/gen.c (the same -O2 code) over an
# mmap'ed, untouched footprint, and both time it with rdtsc around wl_run()
# alone (guest: workloads/user/main.c; host: bench_hostloop). The guest's TSC
# runs at the host's rate, so the cycle counts compare directly. Both are
# pinned to one CPU.
#
# Two effects make a single plain figure misleading:
#   - First touch: neither side pre-touches, so each timed loop pays its own
#     demand faults, and a guest fault costs far more than a host fault (the
#     guest kernel's handler runs under KVM's instruction emulator). So each
#     case also runs with iters 1, which pays every first-touch fault and the
#     workload's set-up, and
#         steady state = (cycles(long) - cycles(iters 1))
#                        / (accesses(long) - accesses(iters 1))
#     The first-touch + set-up share is cycles(iters 1) less its accesses at
#     the steady-state cost, over cycles(long).
#   - Warm-up and drift: on these machines a fresh process's cost per access
#     falls over its first tens of milliseconds, on both sides, and the
#     machine's speed drifts by several percent between runs. So the long
#     runs last over a second, host and guest runs alternate, and each
#     repetition's guest/host ratio comes from its own adjacent pair.
# Figures are medians over REPS repetitions; the per-repetition ratios are
# printed too, to show the spread.
#
# Cases:
#   TLB-resident  seq over 256K with 4K pages: 64 pages, well inside the TLB,
#                 and the data inside the L2 cache.
#   TLB-missing   chase over 64M: one access per 4K page along a random cycle
#                 through 16384 pages, 8x the reach of a 2048-entry L2 TLB,
#                 so nearly every access misses the TLB; the lines it reads
#                 (1M) mostly stay in the caches, so the TLB miss dominates.
#                 The host uses 4K pages. The guest maps the region with 2M
#                 guest pages by default (TLBMISS_GUEST_PAGE=2m): guest RAM is
#                 not THP-backed, so KVM's shadow MMU still maps it with 4K
#                 entries (kvm_stats pages_4k, printed and checked below) and
#                 the TLB sees 4K pages on both sides, while the guest takes
#                 32 guest page faults instead of 16384 (each costs ~1M
#                 cycles). TLBMISS_GUEST_PAGE=4k runs the guest with 4K pages
#                 too, which adds about 5 s of first touch to each guest run.
#
# Usage: bench/guest_vs_host.sh   (as root)
# Environment: BUILD=DIR (default build), REPS (default 5), CPU (default
#              the last one), RESIDENT_ITERS (passes of the long run, default
#              400000), TLBMISS_ITERS (accesses of the long run, default
#              32000000), TLBMISS_GUEST_PAGE.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPS=${REPS:-5}
CPU=${CPU:-$(($(nproc) - 1))}
RESIDENT_ITERS=${RESIDENT_ITERS:-400000}
TLBMISS_ITERS=${TLBMISS_ITERS:-32000000}
TLBMISS_GUEST_PAGE=${TLBMISS_GUEST_PAGE:-2m}
for v in REPS RESIDENT_ITERS TLBMISS_ITERS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || bench_die "$v must be a positive integer"
done
[[ $TLBMISS_GUEST_PAGE =~ ^(4k|2m)$ ]] || bench_die "TLBMISS_GUEST_PAGE must be 4k or 2m"

bench_find_build
bench_need_root
MEMVIRT=$BUILD/memvirt
HOSTLOOP=$BUILD/bench/bench_hostloop
bench_need_files "$MEMVIRT" "$BUILD/guest/kernel.elf" "$BUILD/guest/workload.elf" "$HOSTLOOP"
bench_need_tools jq taskset

WORK=$(mktemp -d "${TMPDIR:-/tmp}/memvirt-gvh.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# host_run TAG WORKLOAD ARGS...: one pinned host loop, its JSON appended to WORK/TAG.
host_run() {
	local tag=$1
	shift
	taskset -c "$CPU" "$HOSTLOOP" "$@" >>"$WORK/$tag"
}

# guest_run TAG WORKLOAD ARGS...: one pinned guest run; the result and KVM's
# shadow page counts appended to WORK/TAG in the host loop's field names.
guest_run() {
	local tag=$1
	shift
	taskset -c "$CPU" "$MEMVIRT" run "$@" --no-verify --out "$WORK/out" --json >"$WORK/run.json" ||
		bench_die "memvirt run $* failed: see $WORK/run.json"
	jq -c '.result + {spte_4k: .kvm_stats.vm.pages_4k, spte_2m: .kvm_stats.vm.pages_2m}' \
		"$WORK/run.json" >>"$WORK/$tag"
}

field() {
	jq -r ".$2" "$WORK/$1"
}

# steady SIDE: per repetition, the long run's cycles/access beyond the
# median iters-1 run (first touch and set-up), one line each.
steady() {
	local c0 a0

	c0=$(field "$1.one" cycles | median)
	a0=$(field "$1.one" accesses | head -n 1)
	jq -r --argjson c0 "$c0" --argjson a0 "$a0" \
		'(.cycles - $c0) / (.accesses - $a0)' "$WORK/$1.long"
}

# first_touch_share SIDE STEADY: the iters-1 run's cycles beyond its accesses
# at the steady-state cost, as a share of the long run's cycles.
first_touch_share() {
	awk -v c0="$(field "$1.one" cycles | median)" -v a0="$(field "$1.one" accesses | head -n 1)" \
		-v cl="$(field "$1.long" cycles | median)" -v st="$2" \
		'BEGIN { printf "%.1f%%\n", 100 * (c0 - a0 * st) / cl }'
}

mcycles() {
	awk -v c="$(field "$1" cycles | median)" 'BEGIN { printf "%.1f", c / 1e6 }'
}

# ratios FILE_A FILE_B: per line, a / b, for two columns of numbers.
ratios() {
	paste "$1" "$2" | awk '{ printf "%.3f\n", $1 / $2 }'
}

# run_case TITLE TARGET HOSTARGS GUESTARGS ITERS: REPS x (iters 1, long) x (host, guest).
run_case() {
	local title=$1 target=$2 hargs=$3 gargs=$4 iters=$5 r it h g hs gs rw rs

	for ((r = 0; r < REPS; r++)); do
		for it in one:1 long:$iters; do
			# shellcheck disable=SC2086
			host_run "host.${it%%:*}" $hargs --iters "${it#*:}"
			# shellcheck disable=SC2086
			guest_run "guest.${it%%:*}" $gargs --iters "${it#*:}"
		done
	done
	for it in one long; do
		[ "$(field host.$it checksum | sort -u)" = "$(field guest.$it checksum | sort -u)" ] ||
			bench_die "$title: host and guest checksums differ: see $WORK"
	done
	field host.long cycles_per_access >"$WORK/h.whole"
	field guest.long cycles_per_access >"$WORK/g.whole"
	steady host >"$WORK/h.steady"
	steady guest >"$WORK/g.steady"
	h=$(median <"$WORK/h.whole")
	g=$(median <"$WORK/g.whole")
	hs=$(median <"$WORK/h.steady")
	gs=$(median <"$WORK/g.steady")
	rw=$(ratios "$WORK/g.whole" "$WORK/h.whole" | median)
	rs=$(ratios "$WORK/g.steady" "$WORK/h.steady" | median)

	echo "$title"
	printf '  %-46s %10s %10s %11s\n' "" host guest guest/host
	printf '  %-46s %10.3f %10.3f %10.3fx\n' "cycles/access, whole run (iters $iters)" \
		"$h" "$g" "$rw"
	printf '  %-46s %10.3f %10.3f %10.3fx\n' "cycles/access, without first touch" \
		"$hs" "$gs" "$rs"
	printf '  %-46s %s\n' "  guest/host of each repetition" \
		"$(ratios "$WORK/g.steady" "$WORK/h.steady" | paste -sd' ' -)"
	printf '  %-46s %10s %10s\n' "first touch + set-up, share of the whole run" \
		"$(first_touch_share host "$hs")" "$(first_touch_share guest "$gs")"
	printf '  %-46s %10s %10s\n' "Mcycles: iters 1" "$(mcycles host.one)" "$(mcycles guest.one)"
	printf '  %-46s %10s %10s\n' "Mcycles: iters $iters" "$(mcycles host.long)" \
		"$(mcycles guest.long)"
	printf '  %-46s %10s %10s\n' "guest page faults; shadow 4K / 2M entries" "" \
		"$(field guest.long guest_faults | head -n 1); $(field guest.long spte_4k | head -n 1) / $(field guest.long spte_2m | head -n 1)"
	if [ -n "$target" ]; then
		printf '  %-46s %s\n' "target: guest/host without first touch <= $target" \
			"$(awk -v r="$rs" -v t="$target" 'BEGIN { print (r <= t ? "met" : "NOT met") }')"
	fi
	if [ "$(field guest.long spte_2m | head -n 1)" != 0 ]; then
		echo "  note: KVM mapped part of the guest with 2M shadow entries: the TLB does not see the same page size on both sides"
	fi
	rm -f "$WORK"/host.* "$WORK"/guest.* "$WORK"/[hg].*
}

echo "== Guest vs host: the same wl_run() loop, rdtsc cycles per access (median of $REPS, CPU $CPU)"
echo "   guest/host is the median of each repetition's ratio of adjacent host and guest runs"
run_case "TLB-resident: seq over 256K (64 4K pages), 4K pages in host and guest" 1.10 \
	"seq --footprint 256K --page-size 4k" "seq --footprint 256K --page-size 4k" "$RESIDENT_ITERS"
run_case "TLB-missing: chase over 64M (16384 4K pages), host 4K pages, guest $TLBMISS_GUEST_PAGE pages" "" \
	"chase --footprint 64M --page-size 4k" "chase --footprint 64M --page-size $TLBMISS_GUEST_PAGE" \
	"$TLBMISS_ITERS"
