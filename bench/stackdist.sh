#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One 'memvirt sim --tlb-sizes' pass over 9 sizes against 9 runs, one per size: the time of
# each, side by side with the misses both give, and the ratio of the times.
# Usage: bench/stackdist.sh [WORKLOAD [FOOTPRINT]]   (BUILD=DIR selects the build)
# The 9 sizes are 16..4096 entries in 4 sets (4 to 1024 ways): a run per size has to fit
# the model's 1024-way limit, which the one pass itself does not have.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_find_build
bin=$BUILD/memvirt
bench_need_files "$bin"
workload=${1:-random}
footprint=${2:-64M}
sets=4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s%N; }
misses() { # sim.json -> the level-1 misses of the first mode
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["tlb"][0]["misses"])' "$1"
}

t0=$(now)
"$bin" sim --workload "$workload" --footprint "$footprint" --tlb-level 1 --tlb-sets $sets \
	--tlb-sizes 16..4096 --out "$tmp/one" --json >/dev/null
t1=$(now)
one_ns=$((t1 - t0))

sep_ns=0
sep=()
for e in 16 32 64 128 256 512 1024 2048 4096; do
	printf '[tlb1]\nlatency = 1\n[tlb1.all]\nentries = %u\nways = %u\npolicy = lru\n' \
		"$e" $((e / sets)) >"$tmp/c$e.conf"
	t0=$(now)
	"$bin" sim --workload "$workload" --footprint "$footprint" --config "$tmp/c$e.conf" \
		--out "$tmp/s$e" --json >/dev/null
	t1=$(now)
	sep_ns=$((sep_ns + t1 - t0))
	sep+=("$(misses "$tmp/s$e/sim.json")")
done

echo "workload $workload $footprint, TLB level 1, $sets sets, LRU"
printf '%-10s %14s %14s\n' entries "one pass" "separate run"
python3 - "$tmp/one/sim.json" "${sep[@]}" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["results"][0]["tlb_sizes"]
for r, s in zip(rows, sys.argv[2:]):
    print("%-10u %14u %14s%s" % (r["entries"], r["misses"], s, "" if int(s) == r["misses"] else "  DIFFERENT"))
PY
awk -v a="$one_ns" -v b="$sep_ns" 'BEGIN {
	printf "time: one pass %.2f s, 9 separate runs %.2f s, ratio %.1fx\n", a / 1e9, b / 1e9, b / a
}'
