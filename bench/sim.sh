#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Simulator throughput (M translations/s) against the input-loop and bare-TLB ceilings.
# Usage: bench/sim.sh [build-dir] [sim_bench args...]
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BUILD:-$here/../build}}
[ $# -gt 0 ] && shift
bin=$build/bench/sim_bench
if [ ! -x "$bin" ]; then
	cmake --build "$build" --target sim_bench >/dev/null
fi
pin=
if command -v taskset >/dev/null 2>&1 && taskset -c 1 true 2>/dev/null; then
	pin="taskset -c 1"
fi
echo "sim_bench (${pin:-unpinned}):"
exec $pin "$bin" "$@"
