#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/startup.sh: start-up cost of a memvirt guest against QEMU, in one run.
#
# What it measures (wall time, CLOCK_MONOTONIC, median and minimum of RUNS):
#   memvirt    `memvirt run nop --no-verify --json`: the guest kernel and the
#              nop workload, which exits at once. memvirt starts the vCPU in
#              guest user mode at the workload's first instruction, so its
#              first KVM_RUN is where the workload starts.
#   bare KVM   bench_bare_kvm: create a VM, run three real-mode instructions,
#              exit. The floor for any VMM process on this host.
#   QEMU       qemu-system-x86_64 -accel kvm booting bench/qemu-guest (a
#              multiboot v1 ELF that prints a marker on COM1 and leaves
#              through isa-debug-exit). Also run with -nic none, which drops
#              the iPXE option ROM SeaBIOS otherwise runs.
#
# How:
#   spawn -> exit          bench_spawn reads the clock before fork/spawn and
#                          after waitpid: exec, dynamic linking, the run,
#                          writing records and teardown are all inside.
#   spawn -> first KVM_RUN bench_spawn --first-kvm-run: a seccomp filter
#                          stops the child (under ptrace) on its first
#                          ioctl(KVM_RUN); separate runs from the untraced ones.
#   spawn -> QEMU marker   when the marker the guest writes first reaches
#                          QEMU's stdout (QEMU's first KVM_RUN is SeaBIOS).
#   memvirt's own clocks   from run.json: main() -> first KVM_RUN, VM creation
#                          -> first KVM_RUN (setup_ns), first KVM_RUN -> guest
#                          end (guest_ns). Not measured by anyone: the time
#                          from the KVM_RUN ioctl's entry to the first guest
#                          instruction (vCPU load, first shadow faults); it
#                          lies inside guest_ns.
#
# Usage: bench/startup.sh [RUNS]   (as root; default 20 runs of each)
# Environment: BUILD=DIR (default build), QEMU_RUNS (default RUNS),
#              OUT_TMPFS (default /dev/shm), OUT_DISK (default /var/tmp).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${1:-${RUNS:-20}}
QEMU_RUNS=${QEMU_RUNS:-$RUNS}
OUT_TMPFS=${OUT_TMPFS:-/dev/shm}
OUT_DISK=${OUT_DISK:-/var/tmp}
[[ $RUNS =~ ^[1-9][0-9]*$ && $QEMU_RUNS =~ ^[1-9][0-9]*$ ]] ||
	bench_die "RUNS and QEMU_RUNS must be positive integers"

bench_find_build
bench_need_root
MEMVIRT=$BUILD/memvirt
SPAWN=$BUILD/bench/bench_spawn
BARE=$BUILD/bench/bench_bare_kvm
QGUEST=$BUILD/bench/qemu-guest.elf
bench_need_files "$MEMVIRT" "$BUILD/guest/kernel.elf" "$BUILD/guest/workload.elf" \
	"$SPAWN" "$BARE" "$QGUEST"
bench_need_tools jq qemu-system-x86_64

WORK=$(mktemp -d "${TMPDIR:-/tmp}/memvirt-startup.XXXXXX")
TMPFS_OUT=$(mktemp -d "$OUT_TMPFS/memvirt-startup.XXXXXX")
DISK_OUT=$(mktemp -d "$OUT_DISK/memvirt-startup.XXXXXX")
trap 'rm -rf "$WORK" "$TMPFS_OUT" "$DISK_OUT"' EXIT

QEMU=(qemu-system-x86_64 -accel kvm -M pc -m 64 -nographic -no-reboot -kernel "$QGUEST"
	-device "isa-debug-exit,iobase=0xf4,iosize=0x04")
MARKER=MVGO

# spawn_once TAG ARGS...: one bench_spawn run; appends its JSON line to WORK/TAG.
spawn_once() {
	local tag=$1
	shift
	"$SPAWN" "$@" 2>>"$WORK/stderr.log" >>"$WORK/$tag"
}

# memvirt_once TAG OUTDIR [--first-kvm-run]: also keeps run.json's timing.
memvirt_once() {
	local tag=$1 out=$2
	shift 2
	spawn_once "$tag" "$@" --stdout "$WORK/run.json" -- \
		"$MEMVIRT" run nop --no-verify --out "$out/nop" --json
	jq -e '.status == "ok"' "$WORK/run.json" >/dev/null ||
		bench_die "memvirt run nop failed: see $WORK/run.json"
	jq -c '.timing + {wall_ns}' "$WORK/run.json" >>"$WORK/$tag.internal"
}

# col TAG FIELD: one field of every JSON line of WORK/TAG.
col() {
	jq -r ".$2" "$WORK/$1"
}

check_status() {
	local tag=$1 want=$2 bad

	bad=$(jq -r "select(.status != $want) | .status" "$WORK/$tag" | head -n 1)
	[ -z "$bad" ] || bench_die "$tag: exit status $bad (expected $want); see $WORK/stderr.log"
}

# row LABEL TAG FIELD: median and minimum of a field, in ms.
row() {
	printf '  %-58s %9s %9s\n' "$1" "$(fmt_ms "$(col "$2" "$3" | median)")" \
		"$(fmt_ms "$(col "$2" "$3" | minimum)")"
}

echo "== Start-up: memvirt vs QEMU ($RUNS runs each, QEMU $QEMU_RUNS; ms)"

# One untimed run of each first: page cache, KVM module state.
memvirt_once warmup "$TMPFS_OUT"
spawn_once warmup -- "$BARE"
spawn_once warmup --marker "$MARKER" -- "${QEMU[@]}"

for ((i = 0; i < RUNS; i++)); do
	memvirt_once mv "$TMPFS_OUT"
	memvirt_once mvdisk "$DISK_OUT"
	memvirt_once mvtrace "$TMPFS_OUT" --first-kvm-run
	spawn_once bare -- "$BARE"
	spawn_once baretrace --first-kvm-run -- "$BARE"
done
for ((i = 0; i < QEMU_RUNS; i++)); do
	spawn_once qemu --marker "$MARKER" -- "${QEMU[@]}"
	spawn_once qemulean --marker "$MARKER" -- "${QEMU[@]}" -nic none
done
for t in mv mvdisk mvtrace bare baretrace; do check_status $t 0; done
# isa-debug-exit: QEMU exits with (value << 1) | 1, and the guest writes 0.
for t in qemu qemulean; do check_status $t 1; done
jq -e 'select(.marker_ns == 0)' "$WORK/qemu" "$WORK/qemulean" >/dev/null &&
	bench_die "QEMU runs without the guest's marker: see $WORK/stderr.log"

printf '  %-58s %9s %9s\n' "" median min
echo "memvirt run nop (run.json on $OUT_TMPFS, $(stat -f -c %T "$OUT_TMPFS"), unless noted)"
row "spawn -> first KVM_RUN = workload's first instruction" mvtrace kvm_run_ns
row "spawn -> exit" mv exit_ns
row "spawn -> exit, run.json on $OUT_DISK ($(stat -f -c %T "$OUT_DISK"), fsync)" mvdisk exit_ns
row "  main() -> first KVM_RUN (memvirt's clock)" mv.internal main_to_first_instruction_ns
row "  VM creation -> first KVM_RUN (setup_ns)" mv.internal setup_ns
row "  first KVM_RUN -> guest exit (guest_ns)" mv.internal guest_ns
row "  main() -> guest exit (memvirt's clock)" mv.internal main_to_guest_end_ns
mv_first=$(col mvtrace kvm_run_ns | median)
mv_main_first=$(col mv.internal main_to_first_instruction_ns | median)
printf '  %-58s %9s\n' "  exec + dynamic linking before main() (difference)" \
	"$(fmt_ms $((${mv_first%.*} - ${mv_main_first%.*})))"
echo "bare KVM harness (bench_bare_kvm)"
row "spawn -> first KVM_RUN" baretrace kvm_run_ns
row "spawn -> exit" bare exit_ns
echo "QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{ print $4 }') -accel kvm, multiboot guest"
row "spawn -> guest's marker on COM1 (first guest instructions)" qemu marker_ns
row "spawn -> exit" qemu exit_ns
row "-nic none: spawn -> guest's marker on COM1" qemulean marker_ns
row "-nic none: spawn -> exit" qemulean exit_ns

mv_exit=$(col mv exit_ns | median)
echo "ratios (medians)"
for t in qemu qemulean; do
	label="QEMU"
	[ $t = qemulean ] && label="QEMU -nic none"
	printf '  %-58s %8sx\n' "$label / memvirt, to the first guest instruction" \
		"$(div "$(col $t marker_ns | median)" "$mv_first" %.0f)"
	printf '  %-58s %8sx\n' "$label / memvirt, to exit" \
		"$(div "$(col $t exit_ns | median)" "$mv_exit" %.0f)"
done
echo "targets"
printf '  %-58s %s\n' "memvirt spawn -> exit < 10 ms" \
	"$(awk -v v="$mv_exit" 'BEGIN { print (v < 1e7 ? "met" : "NOT met") }')"
printf '  %-58s %s\n' "QEMU / memvirt >= 200x (to exit, default QEMU command)" \
	"$(awk -v q="$(col qemu exit_ns | median)" -v m="$mv_exit" \
		'BEGIN { print (q >= 200 * m ? "met" : "NOT met") }')"
