#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt sweep --emit-jobs: the Slurm array script selects point K by SLURM_ARRAY_TASK_ID,
# GNU parallel runs jobs.txt, and 'sweep --summary' then finds every point done.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v parallel >/dev/null; then
	echo "SKIP: GNU parallel is not installed (Debian package 'parallel')" >&2
	exit 77
fi

SW=$TMP/sw
J=$TMP/jobs
printf '# two modes, three seeds\npaging = native, shadow\nseed = 1..3\n' >"$TMP/grid"
expect 0 "emit jobs" -- "$MEMVIRT" sweep --out "$SW" --grid "$TMP/grid" --jobs 2 \
	--emit-jobs "$J" -- sim --workload random --footprint 64K --iters 1000
check "nothing run yet" test ! -e "$SW/points"
check "six jobs" test "$(wc -l <"$J/jobs.txt")" -eq 6
check "each job a point" test "$(grep -c -- '--point [1-6] -- sim' "$J/jobs.txt")" -eq 6
check "sbatch syntax" bash -n "$J/sweep.sbatch"
check "an array of 6, 2 at a time" has '^#SBATCH --array=1-6%2$' "$J/sweep.sbatch"
check "README: the parallel line" has "parallel --joblog $J/joblog --resume -j 2 < $J/jobs.txt" "$J/README"

# Task 4 is the 4th point: paging = shadow (the slower key), seed = 1.
SWEEP_PRINT=1 SLURM_ARRAY_TASK_ID=4 expect 0 "sbatch selects" -- bash "$J/sweep.sbatch"
check "task 4 is point 4" has "--point 4 -- sim" "$TMP/out"
check "task 4 is the 4th line of jobs.txt" test "$(cat "$TMP/out")" = "$(sed -n 4p "$J/jobs.txt")"
expect 2 "no task id" -- env -u SLURM_ARRAY_TASK_ID bash "$J/sweep.sbatch"
SLURM_ARRAY_TASK_ID=4 expect 0 "run task 4" -- bash "$J/sweep.sbatch"
check "point 4 done" test -e "$SW/points/0004-paging=shadow,seed=1/done"
check "only point 4" test "$(ls "$SW"/points/*/done | wc -l)" -eq 1
check "point 4's parameters" test "$(json_get "$SW/points/0004-paging=shadow,seed=1/sim.json" "['config']['input']['seed']")" = 1
stamp=$(stat -c %y "$SW/points/0004-paging=shadow,seed=1/done")

expect 1 "summary before the rest" -- "$MEMVIRT" sweep --summary "$SW"
check "five not run" has "1 ok, 0 failed, 5 not run" "$TMP/out"

expect 0 "GNU parallel runs jobs.txt" -- bash -c "cd '$TMP' && parallel --joblog '$J/joblog' --resume -j 2 < '$J/jobs.txt'"
check "joblog: six exits 0" test "$(awk 'NR > 1 && $7 == 0' "$J/joblog" | wc -l)" -eq 6
check "point 4 not redone" test "$(stat -c %y "$SW/points/0004-paging=shadow,seed=1/done")" = "$stamp"
expect 0 "summary" -- "$MEMVIRT" sweep --summary "$SW"
check "six ok" has "6 ok, 0 failed, 0 not run" "$TMP/out"
check "summary rows" test "$(tail -n +2 "$SW/summary.csv" | wc -l)" -eq 6
check "shadow rows have shadow figures" test "$(python3 -c "import csv,sys
print(sum(1 for r in csv.DictReader(open(sys.argv[1])) if r['paging'] == 'shadow' and r['shadow_cycles_per_access']))" "$SW/summary.csv")" -eq 3
expect 2 "summary of no sweep" -- "$MEMVIRT" sweep --summary "$TMP"
check "no sweep: one line" one_line "$TMP/err"

finish
