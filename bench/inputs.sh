#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# memvirt sim's input path, in one run:
# (a) valgrind lackey on a small program, its output to a file, against the same run piped
#     into 'memvirt sim --lackey -' (the pipeline over lackey alone: the goal is within 5%);
# (b) the simulator's throughput (accesses per second, native mode) per input kind: an
#     access trace and lackey text of N generated accesses (bench/atrace_gen), plain, gzip
#     and zstd, from a file and from a pipe.
# Usage: bench/inputs.sh [build-dir] [accesses]   LACKEY_CMD="prog args" to change (a)'s program.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BUILD:-$here/../build}}
n=${2:-20000000}
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
	# shellcheck disable=SC2086 # the command's words
	t0=$(secs); valgrind --tool=lackey --trace-mem=yes --log-file="$tmp/l.txt" $cmd >/dev/null 2>&1; t1=$(secs)
	# shellcheck disable=SC2086
	t2=$(secs)
	{ valgrind --tool=lackey --trace-mem=yes --log-fd=9 $cmd 9>&1 >/dev/null 2>/dev/null; } |
		"$memvirt" sim --lackey - --out "$tmp/p" --json >"$tmp/p.json"
	t3=$(secs)
	lines=$(wc -l <"$tmp/l.txt")
	python3 - "$t0" "$t1" "$t2" "$t3" "$lines" "$(accesses "$tmp/p.json")" "$cmd" <<'PY'
import sys
t0, t1, t2, t3 = map(float, sys.argv[1:5])
alone, pipe = t1 - t0, t3 - t2
print(f"(a) lackey on '{sys.argv[7]}': {int(sys.argv[5])} lines")
print(f"    lackey alone, to a file:            {alone:7.2f} s")
print(f"    lackey | memvirt sim --lackey -:    {pipe:7.2f} s  ({int(sys.argv[6])} accesses simulated)")
print(f"    pipeline / lackey alone:            {pipe / alone:7.3f}")
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
	t0=$(secs); cat "$tmp/$f" | "$memvirt" sim $opt - --out "$tmp/o" --json >"$tmp/o.json"; t1=$(secs)
	printf '    %-14s pipe %16s  %s\n' "$f" "" "$(rate "$(accesses "$tmp/o.json")" "$t1" "$t0")"
done
