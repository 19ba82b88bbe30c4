#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The cost of tracing a fault-heavy guest: PAGES first-touch 4K pages (WORKLOAD, one pass) run
# untraced, traced by 'memvirt trace -- ...' and with bpftrace counting the same tracepoints
# for the same process, interleaved in each of REPS rounds; medians of the run's own wall
# time (run.json wall_ns, so the tools' start-up is not counted), ratios to untraced, events
# per second and events lost.
#
#   sudo bench/trace.sh                 # PAGES=60000 REPS=5, guest demand paging
#   sudo bench/trace.sh --populate      # data mapped at mmap time: first touches are pure
#                                       # KVM shadow faults (the case the targets are about)
#   sudo PAGES=10000 REPS=3 bench/trace.sh
#   sudo WORKLOAD=seq bench/trace.sh    # read before write: two shadow faults per page
#
# WORKLOAD (default touch) writes each page before reading it: one KVM fault per page when
# populated, a guest fault and one KVM fault demand-paged.
#
# memvirt records fault walks and counts emulator walks and emulated instructions in the
# kernel; TRACE_ALL=1 passes --trace-all (a record per event) for comparison.
#
# Targets (docs/tracing.md): memvirt adds at most 10% and at most half of what bpftrace adds,
# and loses nothing.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

PAGES=${PAGES:-60000}
REPS=${REPS:-5}
WORKLOAD=${WORKLOAD:-touch}
bench_find_build
bench_need_root
MEMVIRT=$BUILD/memvirt
[ -x "$MEMVIRT" ] || bench_die "$MEMVIRT not built"
command -v bpftrace >/dev/null || bench_die "bpftrace missing: scripts/install-deps.sh"
[ -f "$BUILD/trace/bpf/kvmmmu.skel.h" ] || bench_die "memvirt built without the eBPF tracer"
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing

TMP=$(mktemp -d /tmp/memvirt-bench-trace-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
RUN=(run "$WORKLOAD" --footprint "$((PAGES * 4))K" --iters 1 --page-size 4k --no-events --no-verify)
VARIANT="demand-paged"
if [ "${1:-}" = --populate ]; then
	"$MEMVIRT" run --help | grep -q -- --populate || bench_die "this memvirt has no run --populate"
	RUN+=(--populate)
	VARIANT="populated"
fi
TRACE_OPTS=()
[ "${TRACE_ALL:-0}" = 1 ] && TRACE_OPTS=(--trace-all)

# The tracepoints memvirt attaches that exist here, as bpftrace probes counted per name.
probes=()
for e in kvmmmu/kvm_mmu_pagetable_walk kvmmmu/kvm_mmu_paging_element kvmmmu/kvm_mmu_walker_error \
	kvmmmu/kvm_mmu_set_accessed_bit kvmmmu/kvm_mmu_set_dirty_bit kvmmmu/kvm_mmu_spte_requested \
	kvmmmu/kvm_mmu_set_spte kvmmmu/kvm_mmu_get_page kvmmmu/kvm_mmu_sync_page \
	kvmmmu/kvm_mmu_unsync_page kvmmmu/kvm_mmu_prepare_zap_page kvmmmu/fast_page_fault \
	kvmmmu/kvm_tdp_mmu_spte_changed kvmmmu/kvm_mmu_split_huge_page \
	kvmmmu/handle_mmio_page_fault kvmmmu/kvm_mmu_zap_all_fast kvm/kvm_exit kvm/kvm_entry \
	kvm/kvm_page_fault kvm/kvm_cr kvm/kvm_emulate_insn exceptions/page_fault_user \
	exceptions/page_fault_kernel kmem/rss_stat; do
	[ -d "/sys/kernel/tracing/events/$e" ] && probes+=("tracepoint:${e/\//:}")
done
bt_prog="$(IFS=,; echo "${probes[*]}") /pid == cpid/ { @[probe] = count(); }"

wall_s() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['wall_ns'] / 1e9)" "$1"; }

for ((r = 1; r <= REPS; r++)); do
	"$MEMVIRT" "${RUN[@]}" --out "$TMP/u$r" >/dev/null
	wall_s "$TMP/u$r/run.json" >>"$TMP/untraced"

	# exec keeps the pid the probes filter on; the run's own summary goes to /dev/null.
	"$MEMVIRT" trace "${TRACE_OPTS[@]}" --json -o "$TMP/m$r.mvev" -- sh -c 'exec "$0" "$@" >/dev/null' \
		"$MEMVIRT" "${RUN[@]}" --out "$TMP/m$r" >"$TMP/m$r.json"
	wall_s "$TMP/m$r/run.json" >>"$TMP/memvirt"
	python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['trace']; print(t['records'], t['dropped'])" \
		"$TMP/m$r.json" >>"$TMP/memvirt.events"
	rm -f "$TMP/m$r.mvev" # gigabytes at the default size

	bpftrace -q -e "$bt_prog" -c "$MEMVIRT ${RUN[*]} --out $TMP/b$r" >"$TMP/b$r.txt" 2>&1
	wall_s "$TMP/b$r/run.json" >>"$TMP/bpftrace"
	awk -F': ' '/^@/ { n += $2 } END { print n + 0 }' "$TMP/b$r.txt" >>"$TMP/bpftrace.events"
	lost=$( (grep -o 'Lost [0-9]* events' "$TMP/b$r.txt" || true) | awk '{ n += $2 } END { print n + 0 }')
	echo "$lost" >>"$TMP/bpftrace.lost"
	echo "round $r/$REPS: untraced $(tail -n1 "$TMP/untraced") s, memvirt $(tail -n1 "$TMP/memvirt") s," \
		"bpftrace $(tail -n1 "$TMP/bpftrace") s" >&2
done

u=$(median <"$TMP/untraced")
m=$(median <"$TMP/memvirt")
b=$(median <"$TMP/bpftrace")
m_ev=$(awk '{ print $1 }' "$TMP/memvirt.events" | median)
m_lost=$(awk '{ n += $2 } END { print n + 0 }' "$TMP/memvirt.events")
b_ev=$(median <"$TMP/bpftrace.events")
b_lost=$(awk '{ n += $1 } END { print n + 0 }' "$TMP/bpftrace.lost")

echo "trace cost: $PAGES first-touch 4K pages ($WORKLOAD, 1 pass, $VARIANT${TRACE_OPTS:+, --trace-all}), median of $REPS rounds, run wall time"
for f in untraced memvirt bpftrace; do
	echo "  $f rounds (s): $(sort -n "$TMP/$f" | tr '\n' ' ')"
done
printf "  %-22s %9s %8s %12s %14s %8s\n" mode "wall_s" ratio "events" "events_per_s" lost
printf "  %-22s %9.3f %8.3f %12s %14s %8s\n" untraced "$u" 1 - - -
awk -v u="$u" -v t="$m" -v e="$m_ev" -v l="$m_lost" 'BEGIN {
	printf "  %-22s %9.3f %8.3f %12d %14.0f %8d\n", "memvirt trace", t, t / u, e, e / t, l }'
awk -v u="$u" -v t="$b" -v e="$b_ev" -v l="$b_lost" 'BEGIN {
	printf "  %-22s %9.3f %8.3f %12d %14.0f %8d\n", "bpftrace (count only)", t, t / u, e, e / t, l }'
awk -v u="$u" -v m="$m" -v b="$b" -v l="$m_lost" 'BEGIN {
	am = m - u; ab = b - u
	share = ab > 0 ? am / ab : 0
	printf "  memvirt adds %.1f%% (target <= 10%%), bpftrace adds %.1f%%; memvirt/bpftrace added time %.2f (target <= 0.5); lost %d (target 0)\n",
		100 * am / u, 100 * ab / u, share, l }'
