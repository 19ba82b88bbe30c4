#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/lab.sh: how fast the lab reaches its command, per MMU mode and per kernel image.
#
# What it measures (RUNS boots of each, median and minimum, seconds):
#   boot -> command   QEMU's start to the moment the lab's init starts COMMAND: QEMU and
#                     firmware, the kernel, the initramfs's modules, the host's root over
#                     9p, the overlay, and KVM loaded in the asked-for mode (lab.json's
#                     result.boot_to_command_s, timed by memvirt on the host's clock).
#   wall              QEMU's start to its exit, COMMAND included (here 'true').
#   memvirt lab       the whole 'memvirt lab ... -- true' process, spawn to exit.
# Side by side in one run: the cached ELF vmlinux booted through PVH (the lab's default)
# against the distribution's xz bzImage, which the kernel must decompress under TCG.
#
# Usage: bench/lab.sh [RUNS]   (default 5)
# Environment: BUILD=DIR (default build).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RUNS=${1:-${RUNS:-5}}
bench_find_build
MEMVIRT=$BUILD/memvirt
bench_need_files "$MEMVIRT"
bench_need_tools python3

info=$("$MEMVIRT" info --json)
ready=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["lab"].get("ready", False))' "$info")
[ "$ready" = True ] || bench_die "the lab is not ready: see 'memvirt info'"
image=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["lab"]["kernel_image"])' "$info")
kver=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["lab"]["kernel"])' "$info")
accel=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["lab"]["accel"])' "$info")
bzimage=$(dirname "$image")/vmlinuz-$kver
modules=$(dirname "$(dirname "$image")")/lib/modules/$kver

tmp=$(mktemp -d /tmp/memvirt-bench-lab-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# one LABEL MODE [lab options]: RUNS boots; prints a table row.
one() {
	local label=$1 mode=$2 i t0 t1
	shift 2
	: >"$tmp/boot" && : >"$tmp/wall" && : >"$tmp/proc"
	for i in $(seq "$RUNS"); do
		rm -rf "$tmp/out"
		t0=$(date +%s.%N)
		"$MEMVIRT" lab --paging "$mode" --mem 2G --out "$tmp/out" "$@" -- true 2>/dev/null
		t1=$(date +%s.%N)
		python3 - "$tmp/out/$mode/lab.json" "$tmp" "$t0" "$t1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["result"]
d = sys.argv[2]
open(d + "/boot", "a").write("%f\n" % r["boot_to_command_s"])
open(d + "/wall", "a").write("%f\n" % r["wall_s"])
open(d + "/proc", "a").write("%f\n" % (float(sys.argv[4]) - float(sys.argv[3])))
PY
	done
	printf '| %s | %s | %s | %s | %s |\n' "$label" "$mode" "$(bench_medmin "$tmp/boot")" \
		"$(bench_medmin "$tmp/wall")" "$(bench_medmin "$tmp/proc")"
}

bench_medmin() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f / %.2f", m, v[1] }'
}

echo "== lab: boot to command ($RUNS boots each, Linux $kver, accel $accel, median / min, seconds)"
echo "| kernel image | mode | boot -> command | wall | memvirt lab process |"
echo "|---|---|---|---|---|"
one "ELF vmlinux (PVH)" tdp
one "ELF vmlinux (PVH)" shadow
one "bzImage (xz)" tdp --kernel "$bzimage" --modules "$modules"
