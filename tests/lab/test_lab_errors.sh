#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The lab's own errors, each one line and a non-zero status, with nothing booted:
# bad options (2), no lab kernel (3), no QEMU (3), not enough memory (3).
set -u
. "$(dirname "$0")/../cli/lib.sh"

expect 2 "no command" -- "$MEMVIRT" lab
check "no command: one line" one_line "$TMP/err"
expect 2 "bad --paging" -- "$MEMVIRT" lab --paging nested -- true
check "bad --paging: one line naming the choices" sh -c "[ \$(wc -l <'$TMP/err') -eq 1 ] && grep -q 'shadow, tdp or both' '$TMP/err'"
expect 2 "bad --accel" -- "$MEMVIRT" lab --accel hvf -- true
expect 2 "bad --mem" -- "$MEMVIRT" lab --mem 1M -- true
expect 2 "--kernel without --modules" -- "$MEMVIRT" lab --kernel /nonexistent -- true
check "--kernel without --modules: names --modules" has "--modules" "$TMP/err"
expect 2 "demo: bad --lab" -- "$MEMVIRT" demo --lab maybe
check "demo: bad --lab: one line" one_line "$TMP/err"
expect 0 "help" -- "$MEMVIRT" lab --help
check "help has examples" grep -q "^examples:" "$TMP/out"

# An empty cache: one line naming the fetch script.
MEMVIRT_LAB_CACHE="$TMP/empty-cache" expect 3 "no kernel" -- "$MEMVIRT" lab -- true
check "no kernel: one line" one_line "$TMP/err"
check "no kernel: names the fetch script" has "scripts/lab-kernel.sh" "$TMP/err"

# A fake kernel tree: modules.dep missing is named, with the depmod command.
mkdir -p "$TMP/k/lib/modules/9.9.9-test"
: >"$TMP/k/vmlinuz"
expect 3 "no modules.dep" -- "$MEMVIRT" lab --kernel "$TMP/k/vmlinuz" \
	--modules "$TMP/k/lib/modules/9.9.9-test" -- true
check "no modules.dep: names depmod" has "depmod" "$TMP/err"

# With a kernel tree in place, QEMU missing and too much memory are the next errors.
: >"$TMP/k/lib/modules/9.9.9-test/modules.dep"
kargs=(--kernel "$TMP/k/vmlinuz" --modules "$TMP/k/lib/modules/9.9.9-test")
expect 3 "no QEMU" -- "$MEMVIRT" lab "${kargs[@]}" --qemu /nonexistent/qemu-system-x86_64 -- true
check "no QEMU: one line" one_line "$TMP/err"
check "no QEMU: names the package" has "apt-get install qemu-system-x86" "$TMP/err"
if command -v qemu-system-x86_64 >/dev/null; then
	expect 3 "not enough memory" -- "$MEMVIRT" lab "${kargs[@]}" --mem 1T --paging tdp \
		--out "$TMP/m" -- true
	check "not enough memory: says so" has "not enough memory" "$TMP/err"
	check "not enough memory: names --mem" has "--mem" "$TMP/err"
	# The fake tree has no modules: the initramfs cannot be built, and says which one.
	expect 3 "module missing" -- "$MEMVIRT" lab "${kargs[@]}" --paging tdp --out "$TMP/n" -- true
	check "module missing: named" has "no module 'virtio_pci'" "$TMP/err"
fi

finish
