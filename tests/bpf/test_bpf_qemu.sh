#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# trace -- COMMAND on another VMM: QEMU booting the multiboot guest of bench/qemu-guest
# (SeaBIOS, then a guest that writes 0 to isa-debug-exit, so QEMU exits with status 1).
# Its kvmmmu work is shadow-page management and emulation, not walks (no paging in that
# guest): the trace must hold QEMU's kvm_mmu_get_page records, count its emulated
# instructions, name QEMU (not memvirt) in the header, and lose nothing.
source "$(dirname "$0")/lib.sh"
require_bpf_host
command -v qemu-system-x86_64 >/dev/null || skip "no qemu-system-x86_64"
QGUEST=$BUILD/bench/qemu-guest.elf
[ -f "$QGUEST" ] || skip "$QGUEST not built"

"$MEMVIRT" trace -o "$TMP/q.mvev" --json -- qemu-system-x86_64 -accel kvm -M pc -m 64 \
	-nographic -no-reboot -kernel "$QGUEST" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	>"$TMP/q.out" 2>"$TMP/q.err" </dev/null &
TRACER=$!
wait $TRACER
status=$?
check "trace passes on QEMU's exit status 1 (got $status)" test $status -eq 1

expect 0 "trace stat --json" -- "$MEMVIRT" trace stat --json "$TMP/q.mvev"
cp "$TMP/out" "$TMP/stat.json"
count() { python3 -c "import json,sys; d=json.load(open(sys.argv[1]))
print(sum(t['count'] for t in d['types'] if t['name'] == sys.argv[2]))" "$TMP/stat.json" "$1"; }
check "QEMU's shadow pages created ($(count kvm_mmu_get_page))" test "$(count kvm_mmu_get_page)" -gt 0
emul=$(json_get "$TMP/stat.json" "['kernel_counts']['emulate_insn']")
check "emulated instructions counted in the kernel ($emul)" test "$emul" -gt 1000
check "complete file" test "$(json_get "$TMP/stat.json" "['complete']")" = True
for s in kvm host; do
	check "nothing lost ($s)" test "$(json_get "$TMP/stat.json" "['dropped']['$s']")" -eq 0
done

"$MVEV_WALKS" "$TMP/q.mvev" 0 1 >"$TMP/w" || fails=$((fails + 1))
pid=$(kv "$TMP/w" pid)
check "header names the traced command, not the tracer ($pid vs $TRACER)" \
	test "$pid" -gt 0 -a "$pid" -ne "$TRACER"
check "the traced process's own threads are in the file" has "$pid" <(kv "$TMP/w" tids)
finish
