# SPDX-License-Identifier: GPL-2.0
# Helpers for the eBPF tracer tests: skip when the host cannot trace, read helper output.
# shellcheck source=../cli/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

MVEV_WALKS=$BUILD/mvev_walks
MMAP_BASE=$((0x8000000000)) # MV_MMAP_BASE (workloads/abi.h): every data region starts here

skip() {
	echo "SKIP: $*" >&2
	exit 77
}

# The host must offer what the tracer needs; anything missing is a skip, never a pass.
require_bpf_host() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	[ -e /dev/kvm ] || skip "no /dev/kvm"
	[ -f "$BUILD/trace/bpf/kvmmmu.skel.h" ] || skip "memvirt built without the eBPF tracer"
	[ -x "$MVEV_WALKS" ] || skip "helper $MVEV_WALKS not built"
	[ -e /sys/kernel/btf/vmlinux ] || skip "kernel without BTF"
	if [ ! -d /sys/kernel/tracing/events ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || skip "cannot mount tracefs"
	fi
	[ -d /sys/kernel/tracing/events/kvmmmu ] || skip "no kvmmmu tracepoints"
	command -v bpftool >/dev/null || skip "no bpftool"
}

# kv FILE KEY: the value of "KEY value" in FILE (mvev_walks output).
kv() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }

# Number of memvirt BPF programs (named mv_*) and of links of any kind loaded now.
mv_progs() { bpftool prog show 2>/dev/null | grep -c ' name mv_'; }
bpf_links() { bpftool link show 2>/dev/null | grep -c '^[0-9]*:'; }

# wait_for SECONDS CONDITION...: poll every 50 ms until CONDITION holds, for at most SECONDS of
# wall time (not a number of polls: under emulation each poll may take much longer).
wait_for() {
	local end=$((SECONDS + $1))
	shift
	while ((SECONDS < end)); do
		"$@" && return 0
		sleep 0.05
	done
	"$@"
}

# probes_attached LOG: how many probes a capture said it attached ("trace: N of M probes
# attached" on its stderr), empty until it has said so.
probes_attached() { sed -n 's/.*trace: \([0-9][0-9]*\) of [0-9][0-9]* probes attached.*/\1/p' "$1" | tail -n 1; }

# kvm_mode: "shadow", or "tdp" when KVM maps guests with EPT/NPT (kvm_intel ept, kvm_amd npt).
kvm_mode() {
	local p v
	for p in /sys/module/kvm_amd/parameters/npt /sys/module/kvm_intel/parameters/ept; do
		[ -r "$p" ] || continue
		v=$(cat "$p")
		case $v in Y | y | 1) echo tdp ;; *) echo shadow ;; esac
		return
	done
	echo shadow
}

# thp_mode: the host's transparent huge page mode (always, madvise, never).
thp_mode() { sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; }

is_kvm_process() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'anon_inode:kvm-vm'; }
