#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Peak memory of 'memvirt trace stat', 'trace dump --join' and 'trace dump --perfetto' on a
# generated event file of N guest-fault records (default 3M; test_evfile --write-many), in
# bytes per record: (peak RSS - peak RSS on a 1000-record file) / N. Then 'trace stat' on a
# file of N/2 kvm_exit/kvm_entry pairs (N records; test_evstat --write-exits), whose
# latencies it summarises.
# Usage: bench/trace_stat_mem.sh [N]   (BUILD=DIR for another build directory)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_find_build
bench_need_files "$BUILD/memvirt" "$BUILD/test_evfile" "$BUILD/test_evstat"
[ -x /usr/bin/time ] || bench_die "/usr/bin/time missing: apt-get install time"
n=${1:-3000000}
tmp=$(mktemp -d /tmp/memvirt-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
"$BUILD/test_evfile" --write-many "$tmp/big.mvev" "$n"
"$BUILD/test_evfile" --write-many "$tmp/small.mvev" 1000
"$BUILD/test_evstat" --write-exits "$tmp/exits.mvev" $((n / 2))
"$BUILD/test_evstat" --write-exits "$tmp/exits-small.mvev" 500

# peak_kb ARGS...: the peak RSS (KiB) of memvirt ARGS, output discarded.
peak_kb() {
	/usr/bin/time -f %M -o "$tmp/rss" "$BUILD/memvirt" "$@" >/dev/null 2>&1 || true
	tail -1 "$tmp/rss"
}

printf '%-26s %12s %12s %10s\n' command "peak RSS MB" "N records" "B/record"
for args in "trace stat" "trace dump --join" "trace dump --perfetto"; do
	# shellcheck disable=SC2086
	set -- $args
	sub=$2
	shift 2
	big=$(peak_kb trace "$sub" "$tmp/big.mvev" "$@")
	small=$(peak_kb trace "$sub" "$tmp/small.mvev" "$@")
	printf '%-26s %12.1f %12d %10.1f\n' "$args" "$(echo "$big / 1024" | bc -l)" "$n" \
		"$(echo "($big - $small) * 1024 / $n" | bc -l)"
done
big=$(peak_kb trace stat "$tmp/exits.mvev")
small=$(peak_kb trace stat "$tmp/exits-small.mvev")
printf '%-26s %12.1f %12d %10.1f\n' "trace stat, exit pairs" "$(echo "$big / 1024" | bc -l)" \
	$((n / 2 * 2)) "$(echo "($big - $small) * 1024 / $((n / 2 * 2))" | bc -l)"
