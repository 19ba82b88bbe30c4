#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Regenerate docs/sample-run: one real 'memvirt run' on KVM's shadow MMU, made in the lab
# (docs/lab.md) and traced with eBPF, small enough to ship with the docs, so that
# 'trace stat', 'trace dump', 'sim --run', 'sim --replay' and 'explain --run' work on any
# machine. Boots the lab once (1-3 minutes of both cores under TCG). The files are replaced
# only when the new run is complete and checked, and docs/sample-run/README.md's block
# "How this run was made" is rewritten from its lab.json and run.json.
# Usage: scripts/make-sample-run.sh [BUILD_DIR]   (default: build)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
memvirt=$build/memvirt
dest=$top/docs/sample-run
readme=$dest/README.md
# The run: a small write-first workload, so each data page gives one guest fault, one KVM
# shadow fault and one host fault (docs/guest.md, touch), in a few hundred KB of files.
run_args=(run touch --footprint 256K --trace --out run)
lab_args=(lab --paging shadow --mem 2G --timeout 900)
files=(run.json events.mvev pagetables.bin lab.json)
max_bytes=$((1024 * 1024))

die() {
	echo "make-sample-run: $*" >&2
	exit 1
}

[ -x "$memvirt" ] || die "no $memvirt: build first (cmake --build build)"
[ -f "$readme" ] || die "no $readme: run from a memvirt source tree"
command -v python3 >/dev/null || die "python3 is missing: apt-get install python3"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "make-sample-run: memvirt ${lab_args[*]} --out DIR -- ${run_args[*]}" >&2
if ! "$memvirt" "${lab_args[@]}" --out "$work/lab" -- "${run_args[@]}"; then
	tail -n 20 "$work/lab/shadow/lab-console.log" 2>/dev/null | sed 's/^/  console: /' >&2
	die "the lab run failed; the old sample is kept"
fi

# The lab runs the command in DIR/MODE: the run's relative --out comes back under it.
stage=$work/stage
mkdir -p "$stage"
for f in run.json events.mvev pagetables.bin; do
	[ -s "$work/lab/shadow/run/$f" ] || die "the run left no $f"
	cp "$work/lab/shadow/run/$f" "$stage/"
done
cp "$work/lab/shadow/lab.json" "$stage/"

# What a class will run on it must work before it replaces the old sample.
"$memvirt" trace stat "$stage/events.mvev" >/dev/null || die "trace stat fails on the new run"
"$memvirt" sim --run "$stage" --out "$work/sim-run" >/dev/null || die "sim --run fails"
"$memvirt" sim --replay "$stage" --out "$work/sim-replay" >/dev/null || die "sim --replay fails"
"$memvirt" explain --run "$stage" >/dev/null || die "explain --run fails"
size=$(du -cb "${files[@]/#/$stage/}" | tail -1 | cut -f1)
[ "$size" -le "$max_bytes" ] || die "the new sample is $size bytes, more than $max_bytes"

# The provenance block of the README, from the records themselves.
python3 - "$stage" "$readme" "$work/README.md" "${lab_args[*]}" "${run_args[*]}" <<'PY'
import json, sys

stage, readme, out, lab_args, run_args = sys.argv[1:6]
lab = json.load(open(f"{stage}/lab.json"))
run = json.load(open(f"{stage}/run.json"))
if run.get("status") != "ok" or run.get("paging_mode") != "shadow":
    sys.exit(f"make-sample-run: the run is {run.get('status')} in mode {run.get('paging_mode')}")
L = lab["lab"]
block = [
    "<!-- made: begin (scripts/make-sample-run.sh rewrites this block) -->",
    "| | |",
    "|---|---|",
    f"| command | `memvirt {lab_args} --out DIR -- {run_args}` (the files are DIR/shadow/run/{{run.json,events.mvev,pagetables.bin}} and DIR/shadow/lab.json) |",
    f"| made | {run['started_at']} |",
    f"| memvirt | {run['provenance']['memvirt_version']}, commit {run['provenance']['commit']} |",
    f"| lab kernel | Linux {L['kernel']} (KVM as modules, `{L['kvm_module']}`) |",
    f"| QEMU | {L['qemu']}, accelerator {L['accel']}, CPU model `{L['cpu_model']}` |",
    f"| KVM's MMU | {run['paging_mode']} paging (`paging_mode` in run.json) |",
    "<!-- made: end -->",
]
text = open(readme).read()
head, sep, rest = text.partition("<!-- made: begin")
_, sep2, tail = rest.partition("<!-- made: end -->")
if not sep or not sep2:
    sys.exit("make-sample-run: README.md has no '<!-- made: begin' ... '<!-- made: end -->' block")
open(out, "w").write(head + "\n".join(block) + tail)
PY

for f in "${files[@]}"; do
	cp "$stage/$f" "$dest/.$f.tmp"
	mv "$dest/.$f.tmp" "$dest/$f"
done
cp "$work/README.md" "$dest/.README.md.tmp"
mv "$dest/.README.md.tmp" "$readme"
echo "make-sample-run: $dest: $size bytes; review README.md's figures against the new run" >&2
