#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The command line without KVM: help, usage errors, bad sizes, bad images, info on fake hosts.
source "$(dirname "$0")/lib.sh"

expect 2 "no command" -- "$MEMVIRT"
expect 0 "help" -- "$MEMVIRT" help && check "help lists run" has "run " "$TMP/out"
check "help lists info" has "info " "$TMP/out"
expect 2 "unknown command" -- "$MEMVIRT" frobnicate
check "unknown command: one line" one_line "$TMP/err"
check "unknown command names it" has "frobnicate" "$TMP/err"

expect 0 "run --help" -- "$MEMVIRT" run --help
check "run --help has examples" has "examples:" "$TMP/out"
check "run --help lists gups" has "gups" "$TMP/out"
expect 2 "run without workload" -- "$MEMVIRT" run
check "no workload: one line" one_line "$TMP/err"
expect 2 "unknown workload" -- "$MEMVIRT" run nosuch
check "unknown workload named" has "unknown workload 'nosuch'" "$TMP/err"
expect 2 "unknown option" -- "$MEMVIRT" run seq --bogus
check "unknown option named" has "'--bogus'" "$TMP/err"
check "unknown option: one line" one_line "$TMP/err"
expect 2 "missing value" -- "$MEMVIRT" run seq --iters
check "missing value named" has "'--iters' needs a value" "$TMP/err"
expect 2 "bad size" -- "$MEMVIRT" run seq --footprint 12x
check "bad size named" has "--footprint '12x'" "$TMP/err"
expect 2 "bad page size" -- "$MEMVIRT" run seq --page-size 3k
check "bad page size explained" has "4k, 2m or 1g" "$TMP/err"
expect 2 "footprint not page multiple" -- "$MEMVIRT" run seq --footprint 5000
expect 2 "footprint too big for memory" -- "$MEMVIRT" run seq --footprint 1G --out "$TMP/big"
check "too big: suggests --mem" has "use --mem 1" "$TMP/err"
check "too big: one line" one_line "$TMP/err"
check "too big: nothing written" test ! -e "$TMP/big"
expect 2 "two workloads" -- "$MEMVIRT" run seq gups
expect 2 "bad timeout" -- "$MEMVIRT" run seq --timeout soon
expect 2 "mem not 2M multiple" -- "$MEMVIRT" run nop --mem 33M

# A corrupt kernel image given with --kernel is a bad input file, exit 2: one clear line, found
# before anything starts, nothing written.
printf 'not an elf at all' >"$TMP/bad.elf"
expect 2 "corrupt kernel" -- "$MEMVIRT" run nop --kernel "$TMP/bad.elf" --out "$TMP/bad"
check "corrupt kernel: one line" one_line "$TMP/err"
check "corrupt kernel named" has "^memvirt: error: --kernel .*bad.elf: not an ELF" "$TMP/err"
check "corrupt kernel: nothing written" test ! -e "$TMP/bad"
truncate -s 100M "$TMP/huge.elf"
expect 2 "oversized kernel" -- "$MEMVIRT" run nop --kernel "$TMP/huge.elf" --out "$TMP/huge"
check "oversized kernel explained" has "huge.elf" "$TMP/err"
expect 2 "corrupt program" -- "$MEMVIRT" run nop --program "$TMP/bad.elf" --out "$TMP/badp"
check "corrupt program: one line" one_line "$TMP/err"
expect 2 "missing program" -- "$MEMVIRT" explain --program "$TMP/nosuch.elf" --out "$TMP/badp"
check "missing program: named" has "^memvirt: error: --program .*nosuch.elf" "$TMP/err"
check "bad images: nothing written" test ! -e "$TMP/badp"

# An empty file or directory name says so (not "File name too long"), before anything starts.
for c in "run nop --out" "run nop --kernel" "run nop --program" "explain --out" "demo --out" \
	"sim --workload seq --out" "trace dump x -o" "sim convert --lackey x -o" "validate shadow --out" \
	"lab --out" "sweep --out" "sweep --emit-jobs"; do
	# shellcheck disable=SC2086
	expect 2 "$c ''" -- "$MEMVIRT" $c ''
	check "$c '': says it is empty" has "is empty: give a file or directory name" "$TMP/err"
	check "$c '': one line" one_line "$TMP/err"
done

# --repeat N: 1 to 1000 runs; anything else is one line, exit 2, before anything is written.
for v in 0 -1 1001 99999999999999999999 abc ""; do
	expect 2 "run --repeat '$v'" -- "$MEMVIRT" run touch --repeat "$v" --out "$TMP/rep"
	check "run --repeat '$v': one line" one_line "$TMP/err"
	check "run --repeat '$v': names the range" has "from 1 to 1000" "$TMP/err"
	expect 2 "demo --repeat '$v'" -- "$MEMVIRT" demo --lab no --repeat "$v" --out "$TMP/rep"
	check "demo --repeat '$v': one line" one_line "$TMP/err"
done
check "--repeat: nothing written" test ! -e "$TMP/rep"
MEMVIRT_KVM_DEVICE=/nonexistent/kvm expect 3 "run --repeat 2, no kvm" -- "$MEMVIRT" run touch --repeat 2 --out "$TMP/rep2"
check "--repeat, no kvm: names the run" has "run 1 of 2: .*kvm" "$TMP/err"
check "--repeat, no kvm: no repeat.json" test ! -e "$TMP/rep2/repeat.json"

# No /dev/kvm: say so and name the lab.
MEMVIRT_KVM_DEVICE=/nonexistent/kvm expect 3 "no kvm" -- "$MEMVIRT" run nop --out "$TMP/nokvm"
check "no kvm: one line" one_line "$TMP/err"
check "no kvm names the lab" has "memvirt lab -- run" "$TMP/err"

# --paging against the host's KVM mode (fake sysfs trees; nothing starts, nothing is written).
FX=$SRC/tests/fixtures/hosts
MEMVIRT_HOST_ROOT=$FX/pvm expect 3 "tdp on a PVM host" -- "$MEMVIRT" run nop --paging tdp --out "$TMP/p1"
check "PVM: shadow only" has "kvm_pvm) uses shadow paging only" "$TMP/err"
check "PVM: one line" one_line "$TMP/err"
check "PVM: nothing written" test ! -e "$TMP/p1"
MEMVIRT_HOST_ROOT=$FX/intel-ept expect 3 "shadow on an EPT host" -- "$MEMVIRT" run nop --paging shadow --out "$TMP/p2"
check "EPT: names the parameter" has "/sys/module/kvm_intel/parameters/ept=Y" "$TMP/err"
check "EPT: names the switch" has "modprobe -r kvm_intel && modprobe kvm_intel ept=0" "$TMP/err"
MEMVIRT_HOST_ROOT=$FX/intel-noept expect 3 "tdp on an EPT-off host" -- "$MEMVIRT" run nop --paging tdp --out "$TMP/p3"
check "EPT off: switch on" has "modprobe kvm_intel ept=1" "$TMP/err"
MEMVIRT_HOST_ROOT=$FX/amd-npt expect 3 "shadow on an NPT host" -- "$MEMVIRT" run nop --paging shadow --out "$TMP/p4"
check "NPT: switch off" has "modprobe kvm_amd npt=0" "$TMP/err"
expect 2 "bad paging mode" -- "$MEMVIRT" run nop --paging ept

# info: JSON parses; fake hosts report their MMU mode.
expect 0 "info --json" -- "$MEMVIRT" info --json
check "info json parses" python3 -m json.tool "$TMP/out" /dev/null
expect 0 "info on an EPT host" -- "$MEMVIRT" info --json --root "$SRC/tests/fixtures/hosts/intel-ept"
check "EPT host mode" test "$(json_get "$TMP/out" "['host']['kvm']['mmu_mode']")" = ept
expect 0 "info on an NPT host" -- "$MEMVIRT" info --json --root "$SRC/tests/fixtures/hosts/amd-npt"
check "NPT host mode" test "$(json_get "$TMP/out" "['host']['kvm']['mmu_mode']")" = npt
expect 2 "info bad root" -- "$MEMVIRT" info --root /nonexistent
expect 2 "info bad option" -- "$MEMVIRT" info --frob

# A full stdout is a host problem: one line naming it, exit 3, whichever command wrote there.
"$BUILD/test_evfile" --write "$TMP/full.ev" || check "test_evfile --write" false
for c in "help" "--version" "run --help" "info" "info --json" "trace stat $TMP/full.ev" \
	"trace stat --json $TMP/full.ev" "trace dump $TMP/full.ev" "trace dump --csv $TMP/full.ev" \
	"sim --workload seq --footprint 64K --iters 1 --out $TMP/full-sim" \
	"sim --workload seq --footprint 64K --iters 1 --json --out $TMP/full-sim"; do
	# shellcheck disable=SC2086
	"$MEMVIRT" $c >/dev/full 2>"$TMP/err" </dev/null
	check "$c >/dev/full: exit 3" test $? -eq 3
	check "$c >/dev/full: says so" \
		has "^memvirt: error: writing standard output: No space left on device$" "$TMP/err"
	check "$c >/dev/full: one line" one_line "$TMP/err"
done

# Out-of-range values are usage errors, not truncated, overflowed or ignored: one line, exit 2.
for c in "run seq --timeout 1e99" "run seq --timeout inf" "run seq --timeout nan" \
	"run seq --timeout -1" "run seq --timeout 0x" "trace -d 1e99 -- true" "trace -d inf -- true" \
	"trace -d nan -- true" "trace -d 0 -- true" "run pingpong --nproc 4294967297" \
	"run seq --translate-sample 4294967297" "run seq --footprint 8388607T" \
	"run seq --footprint 9223372036854771712" "explain --nproc 4294967297" \
	"lab --cpus 4294967297 -- true" "lab --timeout 4294967297 -- true" "demo extra"; do
	# shellcheck disable=SC2086
	expect 2 "$c" -- "$MEMVIRT" $c --out "$TMP/range"
	check "$c: one line" one_line "$TMP/err"
	check "$c: says what is expected" has "expected\\|above the largest\\|unexpected" "$TMP/err"
done
check "out-of-range values: nothing written" test ! -e "$TMP/range"
expect 2 "demo extra argument named" -- "$MEMVIRT" demo extra
check "demo extra: says unexpected" has "unexpected argument 'extra'" "$TMP/err"
expect 2 "--timeout 1e99 explained" -- "$MEMVIRT" run seq --timeout 1e99
check "--timeout 1e99: says the range" has "seconds from 0.001 to 31536000" "$TMP/err"
expect 2 "--nproc 4294967297 explained" -- "$MEMVIRT" run pingpong --nproc 4294967297
check "--nproc: says the range" has "from 1 to 15" "$TMP/err"
expect 2 "footprint near 2^63" -- "$MEMVIRT" run seq --footprint 9223372036854771712
check "footprint near 2^63: says the largest" has "above the largest guest memory, 64G" "$TMP/err"

finish
