#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Access traces at scale: a generated trace of N accesses (default 100M) streamed through a
# pipe into 'memvirt sim --access-trace', and lackey text through 'memvirt sim convert';
# prints time and peak RSS of each (GNU time). Usage: bench/atrace.sh [build-dir] [accesses]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BUILD:-$here/../build}}
n=${2:-100000000}
gen=$build/bench/atrace_gen
memvirt=$build/memvirt
[ -x "$gen" ] || cmake --build "$build" --target atrace_gen >/dev/null
[ -x "$memvirt" ] || cmake --build "$build" --target memvirt >/dev/null
[ -x /usr/bin/time ] || { echo "bench/atrace.sh: needs GNU time (/usr/bin/time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

peak() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }
wall() { sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$1"; }

"$gen" -n "$n" | /usr/bin/time -v -o "$tmp/t1" "$memvirt" sim --access-trace /dev/stdin \
	--preset textbook --out "$tmp/s1" --json >"$tmp/j1"
acc=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['accesses'])" "$tmp/j1")
echo "sim --access-trace (pipe): $n records, $acc accesses simulated, wall $(wall "$tmp/t1"), peak RSS $(peak "$tmp/t1") KiB"

m=$((n / 10))
"$gen" -n "$m" -l | /usr/bin/time -v -o "$tmp/t2" "$memvirt" sim convert --lackey - -o - \
	2>/dev/null | wc -c >"$tmp/bytes"
echo "sim convert (pipe): $m accesses of lackey text -> $(cat "$tmp/bytes") bytes, wall $(wall "$tmp/t2"), peak RSS $(peak "$tmp/t2") KiB"
"$gen" -n "$m" >"$tmp/m.mvat"
echo "trace size: $(wc -c <"$tmp/m.mvat") bytes for $m accesses (+ fetches)"
