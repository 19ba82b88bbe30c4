#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run-all.sh: every memvirt benchmark in one run, with a header that
# says where and on what the figures were taken.
#   bench/startup.sh        start-up: memvirt run nop vs QEMU vs a bare KVM VM
#   bench/guest_vs_host.sh  the same workload loop as a host process and a guest
#   bench/lab.sh            the lab: QEMU start to its command, per mode and kernel image
# The first two need /dev/kvm and are left out, saying so, where it is missing.
#
# Usage: bench/run-all.sh   (as root; `make bench` builds first and runs it)
# Environment: BUILD=DIR (default build), RUNS (startup.sh, default 20),
#              REPS (guest_vs_host.sh, default 5), and each script's own.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_find_build
export BUILD

commit=$(git -C "$BENCH_ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] &&
	[ -n "$(git --no-optional-locks -C "$BENCH_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	commit="$commit (plus uncommitted changes)"
fi
cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
kvm_mod=""
for m in kvm_pvm kvm_intel kvm_amd; do
	[ -d "/sys/module/$m" ] && kvm_mod="${kvm_mod:+$kvm_mod,}$m"
done

echo "== memvirt benchmarks"
printf '  %-14s %s\n' date "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
printf '  %-14s %s\n' kernel "$(uname -r)"
printf '  %-14s %s (%s CPUs)\n' cpu "$cpu" "$(nproc)"
printf '  %-14s %s\n' "kvm module" "${kvm_mod:-none}"
printf '  %-14s %s\n' memvirt "$("$BUILD/memvirt" --version 2>/dev/null | awk '{ print $2 }'), commit $commit"
printf '  %-14s %s\n' build "$BUILD"
echo

if [ -w /dev/kvm ] && [ "$(id -u)" -eq 0 ]; then
	bash "$BENCH_ROOT/bench/startup.sh"
	echo
	bash "$BENCH_ROOT/bench/guest_vs_host.sh"
	echo
else
	echo "(startup.sh and guest_vs_host.sh left out: they need root and /dev/kvm)"
	echo
fi
bash "$BENCH_ROOT/bench/lab.sh"
