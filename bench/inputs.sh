#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# memvirt sim's input path, in one run:
# (a) valgrind lackey on a small program, its output to a file and into a pipe read by cat,
#     against the same run piped into 'memvirt sim --lackey -' (the pipeline over lackey
#     alone: the goal is within 5%), ROUNDS rounds (default 5), medians;
# (b) the simulator's throughput (accesses per second, native mode) per input kind: an
#     access trace and lackey text of N generated accesses (bench/atrace_gen), plain, gzip
#     and zstd, from a file and from a pipe.
# Usage: bench/inputs.sh [build-dir] [accesses]   LACKEY_CMD="prog args" to change (a)'s program,
#        ROUNDS=N its rounds.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BUILD:-$here/../build}}
n=${2:-20000000}
rounds=${ROUNDS:-5}
gen=$build/bench/atrace_gen
memvirt=$build/memvirt
cmd=${LACKEY_CMD:-/bin/ls -R /usr/share/doc/apt /usr/share/doc/bash /usr/share/doc/coreutils}
[ -x "$gen" ] || cmake --build "$build" --target atrace_gen >/dev/null
[ -x "$memvirt" ] || cmake --build "$build" --target memvirt >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

secs() { python3 -c 'import time; print(f"{time.monotonic():.3f}")'; }
accesses() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['accesses'])" "$1"; }
rate() { python3 -c "import sys; a,t=float(sys.argv[1]),float(sys.argv[2])-float(sys.argv[3]); print(f'{t:7.2f} s {a/t/1e6:7.2f} M accesses/s')" "$@"; }

echo "$("$memvirt" --version 2>/dev/null | head -1), $(nproc) CPUs"
if command -v valgrind >/dev/null; then
	# Each round runs, back to back: lackey to a file (as one records a trace), lackey into a
	# pipe read by cat (lackey's own cost with a pipe reader), and lackey piped into sim. The
	# ratios are per round; their median over the rounds is the figure.
	i=0
	while [ $i -lt "$rounds" ]; do
		i=$((i + 1))
		t0=$(secs)
		# shellcheck disable=SC2086 # the command's words
		valgrind --tool=lackey --trace-mem=yes --log-file="$tmp/l.txt" $cmd >/dev/null 2>&1
		t1=$(secs)
		# shellcheck disable=SC2086
		{ valgrind --tool=lackey --trace-mem=yes --log-fd=9 $cmd 9>&1 >/dev/null 2>/dev/null; } | cat >/dev/null
		t2=$(secs)
		# shellcheck disable=SC2086
		{ valgrind --tool=lackey --trace-mem=yes --log-fd=9 $cmd 9>&1 >/dev/null 2>/dev/null; } |
			"$memvirt" sim --lackey - --out "$tmp/p" --json >"$tmp/p.json"
		t3=$(secs)
		echo "$t0 $t1 $t2 $t3" >>"$tmp/rounds"
	done
	lines=$(wc -l <"$tmp/l.txt")
	python3 - "$tmp/rounds" "$lines" "$(accesses "$tmp/p.json")" "$cmd" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
file = [r[1] - r[0] for r in rows]
cat = [r[2] - r[1] for r in rows]
sim = [r[3] - r[2] for r in rows]
print(f"(a) lackey on '{sys.argv[4]}': {int(sys.argv[2])} lines, {len(rows)} rounds (median, min..max)")
def line(name, v):
    print(f"    {name:38s}{statistics.median(v):7.2f} s  ({min(v):.2f}..{max(v):.2f})")
line("lackey alone, to a file:", file)
line("lackey | cat >/dev/null:", cat)
line(f"lackey | memvirt sim --lackey -:", sim)
for name, base in (("file", file), ("cat", cat)):
    r = [s / b for s, b in zip(sim, base)]
    print(f"    pipeline / lackey {name + ':':30s}{statistics.median(r):7.3f}  ({min(r):.3f}..{max(r):.3f})")
print(f"    ({int(sys.argv[3])} accesses simulated per pipeline run)")
PY
else
	echo "(a) skipped: valgrind is not installed"
fi

echo "(b) $n generated accesses, native mode, textbook preset"
"$gen" -n "$n" >"$tmp/t.mvat"
"$gen" -n "$n" -l >"$tmp/t.lackey"
for f in t.mvat t.lackey; do
	gzip -1 -c "$tmp/$f" >"$tmp/$f.gz"
	if command -v zstd >/dev/null; then zstd -q -1 -c "$tmp/$f" >"$tmp/$f.zst"; fi
done
for f in t.mvat t.mvat.gz t.mvat.zst t.lackey t.lackey.gz t.lackey.zst; do
	[ -f "$tmp/$f" ] || continue
	t0=$(secs); "$memvirt" sim "$tmp/$f" --out "$tmp/o" --json >"$tmp/o.json"; t1=$(secs)
	printf '    %-14s file %10d bytes  %s\n' "$f" "$(wc -c <"$tmp/$f")" "$(rate "$(accesses "$tmp/o.json")" "$t1" "$t0")"
done
for f in t.mvat t.lackey; do
	opt=--access-trace; [ "$f" = t.lackey ] && opt=--lackey
	t0=$(secs)
	# shellcheck disable=SC2002 # a pipe, not a file, is what is measured
	cat "$tmp/$f" | "$memvirt" sim $opt - --out "$tmp/o" --json >"$tmp/o.json"
	t1=$(secs)
	printf '    %-14s pipe %16s  %s\n' "$f" "" "$(rate "$(accesses "$tmp/o.json")" "$t1" "$t0")"
done
