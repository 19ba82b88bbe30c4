#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where outputs go and the exit status when they cannot: a defaulted output directory is
# named on stderr; an output that cannot be written is exit 3 in one line, a bad input 2.
# Run: test_outputs.sh MEMVIRT BUILD_DIR
source "$(dirname "$0")/lib.sh"
"$BUILD/test_evfile" --write "$TMP/good.mvev" || { echo "FAIL: test_evfile --write" >&2; exit 1; }

# sim without --out: memvirt-out/sim/sim.json in the current directory, and says so.
mkdir -p "$TMP/cwd"
abs=$(realpath "$MEMVIRT")
(cd "$TMP/cwd" && "$abs" sim --workload seq --footprint 64K --iters 1 >/dev/null 2>"$TMP/err")
check "sim default out: written" test -s "$TMP/cwd/memvirt-out/sim/sim.json"
check "sim default out: named in one line" test "$(cat "$TMP/err")" = \
	"memvirt: sim: wrote memvirt-out/sim/sim.json (choose with --out DIR)"
expect 0 "sim with --out says nothing" -- "$MEMVIRT" sim --workload seq --footprint 64K \
	--iters 1 --out "$TMP/s1"
check "sim --out: stderr empty" test ! -s "$TMP/err"

# run without --out, on a host without KVM (none here, or hidden): its failed record
# memvirt-out/nop/run.json, named on stderr before the error line, and not on stdout.
(cd "$TMP/cwd" && MEMVIRT_KVM_DEVICE=/nonexistent/kvm "$abs" run nop >"$TMP/out" 2>"$TMP/err")
check "run default out, no kvm: exit 3" test $? = 3
check "run default out: record written" test -s "$TMP/cwd/memvirt-out/nop/run.json"
check "run default out: named on stderr" test "$(head -1 "$TMP/err")" = \
	"memvirt: run: wrote memvirt-out/nop/run.json (choose with --out DIR)"
check "run default out: then the error" has "^memvirt: error: /nonexistent/kvm" "$TMP/err"
check "run default out: two lines" test "$(wc -l <"$TMP/err")" = 2
check "run default out: not on stdout" sh -c '! grep -q memvirt-out "$1"' _ "$TMP/out"
(cd "$TMP/cwd" && MEMVIRT_KVM_DEVICE=/nonexistent/kvm "$abs" run touch --repeat 2 >/dev/null \
	2>"$TMP/err")
check "run --repeat default out: the failed run's record named" test "$(head -1 "$TMP/err")" = \
	"memvirt: run: wrote memvirt-out/touch/rep1/run.json (choose with --out DIR)"
MEMVIRT_KVM_DEVICE=/nonexistent/kvm expect 3 "run --out, no kvm" -- "$MEMVIRT" run nop --out "$TMP/r1"
check "run --out: only the error on stderr" one_line "$TMP/err"
# explain without --out likewise: its run's record memvirt-out/explain/run.json named on stderr.
(cd "$TMP/cwd" && MEMVIRT_KVM_DEVICE=/nonexistent/kvm "$abs" explain touch >"$TMP/out" 2>"$TMP/err")
check "explain default out, no kvm: exit 3" test $? = 3
check "explain default out: record written" test -s "$TMP/cwd/memvirt-out/explain/run.json"
check "explain default out: named on stderr" test "$(head -1 "$TMP/err")" = \
	"memvirt: explain: wrote memvirt-out/explain/run.json (choose with --out DIR)"
check "explain default out: two lines" test "$(wc -l <"$TMP/err")" = 2
MEMVIRT_KVM_DEVICE=/nonexistent/kvm expect 3 "explain --out, no kvm" -- "$MEMVIRT" explain touch --out "$TMP/e1"
check "explain --out: only the error on stderr" one_line "$TMP/err"

# trace dump -o where no file can be: 3, one line; a bad input file: 2, one line.
: >"$TMP/afile"
expect 3 "trace dump -o under a file" -- "$MEMVIRT" trace dump "$TMP/good.mvev" -o "$TMP/afile/x.txt"
check "dump -o unwritable: one line" one_line "$TMP/err"
check "dump -o unwritable: names it" has "afile/x.txt" "$TMP/err"
head -c 100 "$TMP/good.mvev" >"$TMP/cut.mvev"
for c in "trace stat" "trace dump" "trace dump --join" "trace dump --perfetto"; do
	# shellcheck disable=SC2086
	expect 2 "$c on a cut file" -- "$MEMVIRT" $c "$TMP/cut.mvev"
	check "$c on a cut file: one error line" test "$(grep -c '^memvirt: error:' "$TMP/err")" = 1
done
expect 2 "trace stat on a missing file" -- "$MEMVIRT" trace stat "$TMP/nosuch.mvev"
expect 3 "sim --out under a file, found before simulating" -- "$MEMVIRT" sim --workload seq \
	--out "$TMP/afile/out"
check "sim --out unwritable: one line" one_line "$TMP/err"
expect 2 "sim --out ''" -- "$MEMVIRT" sim --workload seq --out ''
check "sim --out '': says empty" has "is empty" "$TMP/err"
expect 2 "trace dump -o ''" -- "$MEMVIRT" trace dump "$TMP/good.mvev" -o ''
check "trace dump -o '': says empty" has "is empty" "$TMP/err"

# A bad guest image is a bad input file (2), found before KVM is asked for: not a guest failure.
head -c 300 /dev/urandom >"$TMP/junk.elf"
for c in "run seq --kernel" "run seq --program" "explain --kernel" "explain --program"; do
	# shellcheck disable=SC2086
	expect 2 "$c junk" -- "$MEMVIRT" $c "$TMP/junk.elf" --out "$TMP/k"
	check "$c junk: one line naming the file" has "junk.elf: not an ELF file" "$TMP/err"
	check "$c junk: one line" one_line "$TMP/err"
done
expect 2 "run --out ''" -- "$MEMVIRT" run seq --out ''
check "run --out '': says empty, not 'File name too long'" has "is empty" "$TMP/err"
expect 2 "demo extra" -- "$MEMVIRT" demo extra
check "demo extra: names it" has "unexpected argument 'extra'" "$TMP/err"

# One name for one option: sim's guest page size is --page-size, as run's; --guest-pages, its
# former name, is still taken and gives the same results.
expect 0 "sim --help" -- "$MEMVIRT" sim --help
check "sim --help: --page-size documented" has "^  --page-size SIZE " "$TMP/out"
check "sim --help: --guest-pages named as taken, once" test "$(grep -c -- --guest-pages "$TMP/out")" = 1
for opt in --guest-pages --page-size; do
	expect 0 "sim $opt 2m" -- "$MEMVIRT" sim --workload seq --footprint 4M --iters 1 $opt 2m \
		--out "$TMP/p$opt"
	check "sim $opt 2m: guest 2M pages" has "guest 2M pages" "$TMP/out"
	expect 2 "sim $opt 1g refused" -- "$MEMVIRT" sim --workload seq $opt 1g
	check "sim $opt 1g: one line" one_line "$TMP/err"
	check "sim $opt 1g: names --page-size" has "^memvirt: error: --page-size '1g': expected 4k or 2m" "$TMP/err"
	expect 0 "sim $opt 2m, all modes" -- "$MEMVIRT" sim --workload random --footprint 16M \
		--iters 20000 --paging all $opt 2m --json --out "$TMP/q$opt"
done
expect 0 "sim 4k, all modes" -- "$MEMVIRT" sim --workload random --footprint 16M --iters 20000 \
	--paging all --json --out "$TMP/q4k"
# sim.json but for its provenance (the command line and the time differ).
sim_results() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); d.pop('provenance'); print(json.dumps(d))" "$1"; }
check "--guest-pages 2m and --page-size 2m: the same sim.json" \
	test "$(sim_results "$TMP/q--guest-pages/sim.json")" = "$(sim_results "$TMP/q--page-size/sim.json")"
check "--page-size 2m changes the results (4k differs)" \
	test "$(sim_results "$TMP/q--page-size/sim.json")" != "$(sim_results "$TMP/q4k/sim.json")"
finish
