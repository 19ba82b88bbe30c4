# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers shared by the bench/*.sh scripts (sourced, not run): locating the
# build, checking tools, and small statistics over one number per line.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# BUILD (default: build) relative to the current directory, else to the repository root.
bench_find_build() {
	local b=${BUILD:-build}

	if [ -d "$b" ]; then
		BUILD=$(cd "$b" && pwd)
	elif [ -d "$BENCH_ROOT/$b" ]; then
		BUILD=$(cd "$BENCH_ROOT/$b" && pwd)
	else
		bench_die "build directory '$b' not found: run 'make build' first, or set BUILD=DIR"
	fi
}

bench_need_root() {
	[ "$(id -u)" -eq 0 ] || bench_die "run as root: memvirt needs /dev/kvm and pinned, untraced runs"
	[ -w /dev/kvm ] || bench_die "/dev/kvm is missing or not writable: see 'memvirt info'"
}

# bench_need_files FILE...: files the build must have produced.
bench_need_files() {
	local f

	for f in "$@"; do
		[ -e "$f" ] || bench_die "missing $f: run 'make build' first (or cmake --build $BUILD)"
	done
}

# bench_need_tools TOOL...: programs on PATH.
bench_need_tools() {
	local t

	for t in "$@"; do
		command -v "$t" >/dev/null ||
			bench_die "'$t' not found: run 'bash scripts/install-deps.sh' (as root)"
	done
}

# Median and minimum of the numbers on stdin, one per line.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else printf "%.6f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

minimum() {
	sort -g | head -n 1
}

# fmt_ms NS: nanoseconds as milliseconds with two decimals.
fmt_ms() {
	awk -v n="$1" 'BEGIN { printf "%.2f", n / 1e6 }'
}

# div A B [FORMAT]: A / B, "n/a" when B is 0.
div() {
	awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b == 0) print "n/a"; else printf f "\n", a / b }'
}
