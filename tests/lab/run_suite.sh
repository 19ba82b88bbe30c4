#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# One ctest label (kvm or bpf) inside the lab in one MMU mode (shadow or tdp): the same
# tests that run natively where /dev/kvm exists, here on real KVM under QEMU.
# Usage: run_suite.sh MEMVIRT BUILD_DIR MODE LABEL
set -u
MODE=${3:?mode}
LABEL=${4:?label}
. "$(dirname "$0")/lib.sh"
skip_unless_lab_ready

out="$TMP/lab"
"$MEMVIRT" lab --paging "$MODE" --mem 3G --timeout 1300 --out "$out" -- \
	ctest --test-dir "$BUILD" -L "^$LABEL\$" --no-tests=error --output-on-failure -j1 </dev/null
status=$?
if [ "$status" -ne 0 ]; then
	echo "lab ($MODE): 'ctest -L $LABEL' exited $status; the lab kernel's console:" >&2
	tail -n 20 "$out/$MODE/lab-console.log" 2>/dev/null | sed 's/^/  console: /' >&2
fi
exit "$status"
