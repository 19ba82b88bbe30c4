#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# cmake --install into a staging DESTDIR, then the installed memvirt moved away from it: it must
# find its guest images and the sample run from its own place (no build tree, no variable), and
# its man pages and bash completion must work.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

unset MEMVIRT_GUEST_DIR
if ! DESTDIR="$TMP/stage" cmake --install "$BUILD" --prefix /usr >"$TMP/install.log" 2>&1; then
	sed 's/^/  /' "$TMP/install.log" | tail -5 >&2
	echo "FAIL: cmake --install" >&2
	exit 1
fi
# Moved after the install: nothing the build wrote into the binary points here.
mv "$TMP/stage" "$TMP/moved"
root=$(cd "$TMP/moved/usr" && pwd -P)
bin=$root/bin/memvirt
check "binary installed" test -x "$bin"
check "kernel image installed" test -f "$root/share/memvirt/kernel.elf"
check "workload image installed" test -f "$root/share/memvirt/workload.elf"
check "README installed" test -f "$root/share/doc/memvirt/README.md"
check "docs installed" test -f "$root/share/doc/memvirt/docs/architecture.md"

expect 0 "--version" -- "$bin" --version
check "version first" has "^memvirt [0-9][0-9.]*$" "$TMP/out"
check "version names the commit" has "^commit  *[0-9a-f]\{7,\}\(-dirty\)\?$\|^commit  *unknown$" "$TMP/out"
check "version names the tracer" has "^tracer " "$TMP/out"
check "images from the binary's place" has "^guest images  $root/share/memvirt$" "$TMP/out"
check "sample run from the binary's place" \
	has "^sample run  *$root/share/doc/memvirt/docs/sample-run$" "$TMP/out"
check "sample run installed" test -s "$root/share/doc/memvirt/docs/sample-run/pagetables.bin"

# The sample run, explained offline by the installed binary (no KVM, no build tree).
expect 0 "explain --sample" -- "$bin" explain --sample 0x8000000000
check "explain --sample walks the installed snapshot" has "^memvirt explain --run $root/share/doc/memvirt/docs/sample-run:" "$TMP/out"
check "explain --sample finds a GPA" has "^  GPA  0x" "$TMP/out"

expect 0 "info" -- "$bin" info
check "info ends with the commands line" sh -c "tail -1 '$TMP/out' | grep -q '^Commands: usable here: info, sim'"

expect 0 "sim" -- "$bin" sim --workload seq --footprint 1M --iters 1 --out "$TMP/sim"
check "sim.json written" test -s "$TMP/sim/sim.json"

# The images load before /dev/kvm is opened: a missing device is a host error (3) after them.
expect 3 "run without KVM" -- env MEMVIRT_KVM_DEVICE="$TMP/no-kvm" "$bin" run nop --out "$TMP/run"
check "run loaded the images" sh -c "! grep -q 'cannot open' '$TMP/err'"
check "run stopped at the device" has "$TMP/no-kvm" "$TMP/err"
# Without them, the error names where the installed binary looked.
mv "$root/share/memvirt" "$root/share/memvirt.away"
expect 4 "run without images" -- env MEMVIRT_KVM_DEVICE="$TMP/no-kvm" "$bin" run nop --out "$TMP/run"
check "missing image named" has "$root/share/memvirt/kernel.elf" "$TMP/err"
mv "$root/share/memvirt.away" "$root/share/memvirt"

# Man pages: memvirt(1) and one per command 'memvirt help' lists.
if grep -q '^MEMVIRT_HELP2MAN:FILEPATH=.*NOTFOUND' "$BUILD/CMakeCache.txt"; then
	echo "note: built without help2man: no man pages to check" >&2
else
	man1=$root/share/man/man1
	check "memvirt.1" test -f "$man1/memvirt.1"
	for c in $("$bin" help | sed -n '/^commands:/,/^$/{/^  [a-z]/p}' | awk '$1 != "help" {print $1}'); do
		check "memvirt-$c.1" test -f "$man1/memvirt-$c.1"
	done
	if command -v man >/dev/null; then
		MANWIDTH=80 man -P cat -l "$man1/memvirt-sim.1" >"$TMP/man.txt" 2>"$TMP/man.err"
	else
		groff -man -Tutf8 "$man1/memvirt-sim.1" >"$TMP/man.txt" 2>"$TMP/man.err"
	fi
	check "man page renders" has "^SYNOPSIS" "$TMP/man.txt"
	check "man page has the usage" has "memvirt sim \[options\] INPUT" "$TMP/man.txt"
	check "man page has the options" has "--preset NAME" "$TMP/man.txt"
	check "man page renders cleanly" test ! -s "$TMP/man.err"
fi

# Bash completion: sources cleanly, completes commands, options and names.
comp=$root/share/bash-completion/completions/memvirt
complete_words() {
	bash -c 'source "$1" || exit 1; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _memvirt; echo "${COMPREPLY[*]}"' _ "$comp" "$@"
}
check "completion sources" bash -c "source '$comp' >'$TMP/source.out' 2>&1 && complete -p memvirt >/dev/null"
check "completion sources quietly" test ! -s "$TMP/source.out"
check "memvirt si -> sim" test "$(complete_words memvirt si)" = sim
check "memvirt sim --pre -> --preset" test "$(complete_words memvirt sim --pre)" = --preset
check "presets" test "$(complete_words memvirt sim --preset z)" = "zen4 zen5"
check "workloads" test "$(complete_words memvirt run gu)" = gups
check "help COMMAND" test "$(complete_words memvirt help tr)" = trace
check "in the lab" test "$(complete_words memvirt lab --paging both -- run --foot)" = --footprint
# As bash-completion loads it on demand (inside a function) from XDG_DATA_DIRS.
loader=/usr/share/bash-completion/bash_completion
if [ -f "$loader" ]; then
	check "loaded on demand" test "$(XDG_DATA_DIRS=$root/share bash -c '. "$1"
		__load_completion memvirt || exit 1
		COMP_WORDS=(memvirt sim --preset z); COMP_CWORD=3; _memvirt; echo "${COMPREPLY[*]}"' \
		_ "$loader")" = "zen4 zen5"
fi

finish
