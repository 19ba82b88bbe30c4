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

# wait_for SECONDS CONDITION...: poll every 50 ms until CONDITION holds.
wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

is_kvm_process() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q 'anon_inode:kvm-vm'; }
