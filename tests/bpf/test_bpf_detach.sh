#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Probes go away on every exit path: Ctrl-C (a complete file), SIGKILL of the consumer
# (trace -p) and of a traced run (run --trace). A BPF link made from a raw-tracepoint fd
# is released by the kernel when the last fd closes, which process death does.
source "$(dirname "$0")/lib.sh"
require_bpf_host

base_progs=$(mv_progs)
base_links=$(bpf_links)
# attached LOG: the capture logging to LOG said how many probes it attached (a number that
# depends on the kernel: events absent, programs rejected), and at least that many mv_
# programs are loaded (the loaded ones include the flush iterator and any stand-by hook).
attached() {
	local n
	n=$(probes_attached "$1")
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$(mv_progs)" -ge $((base_progs + n)) ]
}
detached() { [ "$(mv_progs)" -eq "$base_progs" ] && [ "$(bpf_links)" -eq "$base_links" ]; }

"$MEMVIRT" run churn --footprint 4M --iters 100000 --timeout 120 --no-verify --out "$TMP/a" \
	>"$TMP/a.log" 2>&1 &
A=$!
wait_for 5 is_kvm_process $A || echo "FAIL: VM A never opened a KVM VM" >&2

# SIGINT: clean stop, complete file, probes gone.
"$MEMVIRT" trace -p $A -o "$TMP/int.mvev" >"$TMP/int.out" 2>&1 &
T=$!
check "trace -p attached its probes" wait_for 60 attached "$TMP/int.out"
echo "trace -p said it attached $(probes_attached "$TMP/int.out") probes" >&2
sleep 0.5
kill -INT $T
wait $T
check "trace -p exits 0 after SIGINT" test $? -eq 0
check "SIGINT: probes detached" wait_for 3 detached
check "SIGINT: file complete" "$MVEV_WALKS" "$TMP/int.mvev" $MMAP_BASE 4096

# SIGKILL of the consumer: no cleanup code runs, the kernel detaches.
"$MEMVIRT" trace -p $A -o "$TMP/kill.mvev" >"$TMP/kill.out" 2>&1 &
T=$!
check "trace -p attached again" wait_for 60 attached "$TMP/kill.out"
echo "during: $(mv_progs) mv_ programs, $(bpf_links) links" >&2
kill -KILL $T
wait $T 2>/dev/null
check "SIGKILL of trace -p: no mv_ program or link left" wait_for 5 detached
echo "after: $(mv_progs) mv_ programs, $(bpf_links) links" >&2
kill -INT $A 2>/dev/null
wait $A

# SIGKILL of a run that traces itself.
"$MEMVIRT" run churn --footprint 4M --iters 100000 --timeout 120 --no-verify --trace \
	--out "$TMP/r" >"$TMP/r.out" 2>&1 &
R=$!
check "run --trace attached its probes" wait_for 60 attached "$TMP/r.out"
kill -KILL $R
wait $R 2>/dev/null
check "SIGKILL of run --trace: no mv_ program or link left" wait_for 5 detached
finish
