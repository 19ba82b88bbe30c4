#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt report: inputs from memvirt sim (a sweep-like directory of gups and churn points) and
# two traced run directories that are SYNTHETIC (written by report_rundir with the event-file
# writer on a fixed schedule; no guest ran), plus a validate document. Every expected count is
# recomputed here from the inputs or the fixture's schedule, not read from the report.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v gnuplot >/dev/null; then
	echo "SKIP: gnuplot is not installed (Debian: gnuplot-nox)"
	exit 77
fi
FIX=$BUILD/report_rundir
IN=$TMP/in
mkdir -p "$IN/sweep" "$IN/lab/shadow/r1" "$IN/lab/tdp/r1" "$IN/more"

# The sims: a sweep directory (sweep.json and one directory per point), one more elsewhere.
cat >"$IN/sweep/sweep.json" <<'J'
{"schema": "memvirt-sweep/1", "provenance": {"command_line": "memvirt sweep (test fixture)"}}
J
for fp in 256K 1M 4M; do
	expect 0 "sim gups $fp" -- "$MEMVIRT" sim --workload gups --footprint $fp --iters 3000 \
		--paging all --out "$IN/sweep/gups-$fp"
done
for fp in 256K 1M; do
	expect 0 "sim churn $fp" -- "$MEMVIRT" sim --workload churn --footprint $fp --iters 2 \
		--paging all --out "$IN/sweep/churn-$fp"
done
expect 0 "sim gups zen4 (two TLB levels)" -- "$MEMVIRT" sim --workload gups --preset zen4 \
	--footprint 1M --iters 2000 --paging all --out "$IN/more/gups-zen4"
# The traced runs: 64 faults in a TCG lab shadow run, 48 in a KVM-accelerated nested one.
# The shadow run's run.json has no "lab" object: the lab.json above it says TCG.
check "synthetic shadow run" "$FIX" "$IN/lab/shadow/r1" shadow 64
check "synthetic nested run" "$FIX" "$IN/lab/tdp/r1" npt 48 kvm
cat >"$IN/lab/shadow/lab.json" <<'J'
{"schema": 1, "lab": {"accel": "tcg", "paging": "shadow", "times_emulated": true},
 "command": ["memvirt", "run", "touch", "--out", "r1"], "result": {"failure": "none"}}
J
cat >"$IN/more/validate.json" <<'J'
{"schema": "memvirt-validate/1", "command": "validate",
 "provenance": {"command_line": "memvirt validate shadow --json"}, "mode": "shadow",
 "workloads": [{"workload": "touch", "guest_faults": 512}, {"workload": "nop", "guest_faults": 0}],
 "comparisons": [
  {"workload": "touch", "counter": "pf_fixed", "scope": "vcpu", "kvm": 512, "model": 510, "rel_err": 0.004, "claim": "none", "ok": true},
  {"workload": "touch", "counter": "pf_guest", "scope": "vcpu", "kvm": 512, "model": 512, "rel_err": 0, "claim": "exact", "ok": true},
  {"workload": "nop", "counter": "pf_guest", "scope": "vcpu", "kvm": 0, "model": 0, "rel_err": null, "claim": "exact", "ok": true}]}
J
echo '{"not": "ours"}' >"$IN/more/other.json"

OUT=$TMP/report
expect 0 "report of two directories" -- "$MEMVIRT" report "$IN/sweep" "$IN/lab" "$IN/more" -o "$OUT"
check "prints index.html's path last" test "$(tail -1 "$TMP/out")" = "$OUT/index.html"

plots="tlb_mpki walk_refs cycles crossover fault_timeline fault_map_0 fault_map_1 walk_levels fault_latency"
csvs="inputs tlb_mpki walk_refs cycles crossover fault_timeline fault_map trace_hist validate"
for f in index.html report.md; do check "$f exists" test -s "$OUT/$f"; done
for p in $plots; do
	for e in gp svg png; do check "plots/$p.$e exists" test -s "$OUT/plots/$p.$e"; done
done
for c in $csvs; do check "data/$c.csv exists" test -s "$OUT/data/$c.csv"; done
check "nothing else in data/" test "$(ls "$OUT/data" | wc -l)" -eq 9
check "no temporary left beside OUT" test -z "$(ls -A "$TMP" | grep '^\.')"

# Headers as docs/report.md gives them, and the rows, counted from the inputs.
cat >"$TMP/check.py" <<'PY'
import csv, glob, json, os, re, sys
src, out, inp = sys.argv[1:4]
bad = []
def fail(m): bad.append(m)
doc = open(os.path.join(src, "docs/report.md")).read()
headers = dict(re.findall(r"### data/(\w+)\.csv\n\n`([^`]+)`", doc))
rows = {}
for name in headers:
    path = os.path.join(out, "data", name + ".csv")
    if not os.path.exists(path):
        fail("missing " + path); continue
    with open(path) as f:
        first = f.readline().rstrip("\n")
    if first != headers[name]:
        fail("%s header %r, docs/report.md says %r" % (name, first, headers[name]))
    rows[name] = list(csv.DictReader(open(path)))
sims = [json.load(open(p)) for p in sorted(glob.glob(inp + "/**/sim.json", recursive=True))]
results = [(s, r) for s in sims for r in s["results"]]
def expect(name, n):
    if len(rows.get(name, [])) != n:
        fail("%s: %d rows, expected %d" % (name, len(rows.get(name, [])), n))
# inputs: one row per sim mode, 2 runs, 1 lab boot, 2 validated workloads
expect("inputs", len(results) + 2 + 1 + 2)
expect("tlb_mpki", sum(len(r["tlb"]) for s, r in results))
series = {}
for s, r in results:
    k = (s["config"]["input"]["workload"], r["mode"])
    series[k] = max(series.get(k, 0), len(r["walks"]["refs_histogram"]))
expect("walk_refs", sum(series.values()))
expect("cycles", len(results) + 2)
# the TCG run is in the CSV, last, and not drawn: the script draws the first results + 1 rows
gp = open(os.path.join(out, "plots/cycles.gp")).read()
if "every ::0::%d " % len(results) not in gp:
    fail("cycles.gp does not draw exactly the %d rows before the TCG run" % (len(results) + 1))
if rows.get("cycles") and rows["cycles"][-1]["times_emulated"] != "true":
    fail("the TCG run is not the last row of cycles.csv")
expect("crossover", sum(1 for s, r in results if "updates" in s["config"]["input"]))
expect("validate", 3)
# The fixture's schedule (tests/cli/report_rundir.c): fault k at k * 250 us, its SPTE
# 2000 + 1000 * (k % 4) ns later; host faults for even k.
runs = {"shadow/r1": 64, "tdp/r1": 48}
tl = 0
for label, n in runs.items():
    span = (n - 1) * 250000 + 2000 + 1000 * ((n - 1) % 4)
    bins = span // 1000000 + 1
    tl += 3 * bins
    got = {}
    for row in rows.get("fault_timeline", []):
        if row["input"] == label:
            got[row["layer"]] = got.get(row["layer"], 0) + int(row["faults"])
    want = {"guest faults": n, "KVM faults": n, "host faults": (n + 1) // 2}
    if got != want:
        fail("%s timeline sums %s, expected %s" % (label, got, want))
    cells = [int(r["faults"]) for r in rows.get("fault_map", []) if r["input"] == label]
    if len(cells) != 48 * 32 or sum(cells) != n:
        fail("%s map: %d cells, %d faults" % (label, len(cells), sum(cells)))
    lat = {}
    for k in range(n):
        b = (2000 + 1000 * (k % 4)).bit_length()
        lat[b] = lat.get(b, 0) + 1
    want_h = [("walk_levels", 3, n)] + [("fault_latency", b, lat.get(b, 0))
                                         for b in range(min(lat), max(lat) + 1)]
    got_h = [(r["metric"], int(r["bucket"]), int(r["count"]))
             for r in rows.get("trace_hist", []) if r["input"] == label]
    if got_h != want_h:
        fail("%s histograms %s, expected %s" % (label, got_h, want_h))
expect("fault_timeline", tl)
emulated = {r["input"]: r["times_emulated"] for r in rows.get("inputs", [])}
if emulated.get("shadow/r1") != "true" or emulated.get("tdp/r1") != "false":
    fail("times_emulated: %s" % emulated)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
check "CSV headers and rows" python3 "$TMP/check.py" "$SRC" "$OUT" "$IN"

# Every script draws again from OUT/plots, as a user would rerun it.
for p in $plots; do
	rm -f "$OUT/plots/$p.svg" "$OUT/plots/$p.png"
	check "gnuplot $p.gp" sh -c "cd '$OUT/plots' && gnuplot $p.gp 2>'$TMP/gp.err' && test -s $p.svg && test -s $p.png"
done
check "gnuplot -e dumb=1 draws text" sh -c "cd '$OUT/plots' && gnuplot -e dumb=1 cycles.gp | grep -q 'Cycles per access'"

# The HTML: balanced tags, every src and href a file of the report.
cat >"$TMP/htmlcheck.py" <<'PY'
import os, sys
from html.parser import HTMLParser
VOID = {"meta", "img", "br", "hr", "link", "input", "source", "wbr", "col", "area", "base"}
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.stack = []; s.refs = []; s.bad = []
    def handle_starttag(s, t, a):
        for k, v in a:
            if k in ("src", "href"): s.refs.append(v)
        if t not in VOID: s.stack.append(t)
    def handle_endtag(s, t):
        if t in VOID: return
        if not s.stack or s.stack[-1] != t:
            s.bad.append("unbalanced </%s> at %s, open %s" % (t, s.getpos(), s.stack[-3:]))
        else: s.stack.pop()
out = sys.argv[1]
p = P(); p.feed(open(os.path.join(out, "index.html")).read()); p.close()
if p.stack: p.bad.append("never closed: %s" % p.stack)
for r in p.refs:
    if "://" in r or r.startswith("/") or not os.path.isfile(os.path.join(out, r)):
        p.bad.append("bad reference " + r)
imgs = [r for r in p.refs if r.endswith(".svg")]
if len(imgs) != int(sys.argv[2]): p.bad.append("%d images, expected %s" % (len(imgs), sys.argv[2]))
print("\n".join(p.bad)); sys.exit(1 if p.bad else 0)
PY
check "index.html well-formed, references exist" python3 "$TMP/htmlcheck.py" "$OUT" 9
check "md: headline table" has "^| input | source | workload | mode | MPKI |" "$OUT/report.md"
check "md: the TCG run's times are emulated" has "Times are emulated" "$OUT/report.md"
check "html: the TCG run's times are emulated" has "Times are emulated" "$OUT/index.html"
check "md: captions name data and commands" has "Data: \`data/tlb_mpki.csv\`. Inputs made by: .*sim --workload gups" "$OUT/report.md"
check "md: every plot's image exists" sh -c "grep -o '](plots/[^)]*)' '$OUT/report.md' | tr -d '()]' | while read -r f; do test -f '$OUT/'\$f || exit 1; done"
check "md: nothing listed as not drawn" sh -c "! grep -q 'Plots not drawn' '$OUT/report.md'"

# The shipped sample run (docs/sample-run: a real traced run made in the lab under TCG): the
# timeline's and histograms' sums against the record counts memvirt trace stat reports.
if [ -d "$SRC/docs/sample-run" ]; then
	expect 0 "report of the sample run" -- "$MEMVIRT" report "$SRC/docs/sample-run" -o "$TMP/sample"
	"$MEMVIRT" trace stat --json "$SRC/docs/sample-run/events.mvev" >"$TMP/stat.json"
	check "sample run: faults per layer and walks as trace stat counts them" python3 - "$TMP/stat.json" "$TMP/sample/data" <<'PY'
import csv, json, sys
n = {t["name"]: t["count"] for t in json.load(open(sys.argv[1]))["types"]}
d = sys.argv[2]
tl = {}
for r in csv.DictReader(open(d + "/fault_timeline.csv")):
    tl[r["layer"]] = tl.get(r["layer"], 0) + int(r["faults"])
want = {"guest faults": n.get("guest_fault", 0), "KVM faults": n.get("kvm_page_fault", 0),
        "host faults": n.get("host_page_fault", 0) + n.get("host_gup_fault", 0)}
walks = sum(int(r["count"]) for r in csv.DictReader(open(d + "/trace_hist.csv"))
            if r["metric"] == "walk_levels")
ok = tl == want and walks == n.get("kvm_mmu_walk", 0)
print(tl, want, walks, n.get("kvm_mmu_walk"))
sys.exit(0 if ok else 1)
PY
	check "sample run: times emulated" has "Times are emulated" "$TMP/sample/report.md"
fi

# Sims only: the traced plots are not drawn, and the documents say why.
expect 0 "report of sims only" -- "$MEMVIRT" report "$IN/sweep" -o "$TMP/simonly"
check "no timeline drawn" test ! -e "$TMP/simonly/plots/fault_timeline.svg"
check "md says why" has "Faults per millisecond: no run directory with an event file" "$TMP/simonly/report.md"
check "html says why" has "Faults per millisecond: no run directory with an event file" "$TMP/simonly/index.html"
check "sims-only HTML well-formed" python3 "$TMP/htmlcheck.py" "$TMP/simonly" 4

# --json and --terminal.
expect 0 "--json" -- "$MEMVIRT" report "$IN/sweep" -o "$TMP/simonly" --json
check "json schema" test "$(json_get "$TMP/out" "['schema']")" = memvirt-report/1
check "json provenance" has '"command_line": ".*report' "$TMP/out"
check "json: 4 plots drawn" test "$(python3 -c "import json,sys; print(sum(p['drawn'] for p in json.load(open(sys.argv[1]))['plots']))" "$TMP/out")" = 4
expect 0 "--terminal" -- "$MEMVIRT" report "$IN/sweep" -o "$TMP/simonly" --terminal
check "terminal: text plots on stdout" has "TLB misses per 1000 accesses" "$TMP/out"
check "terminal: then the path" test "$(tail -1 "$TMP/out")" = "$TMP/simonly/index.html"

# Errors: one line, exit 2, nothing written, an earlier report untouched.
cp -r "$IN/sweep/gups-1M" "$IN/bad"
head -c 300 "$IN/sweep/gups-1M/sim.json" >"$IN/bad/sim.json"
cp "$OUT/index.html" "$TMP/index.before"
expect 2 "truncated sim.json" -- "$MEMVIRT" report "$IN" -o "$OUT"
check "one line" one_line "$TMP/err"
check "names the file" has "$IN/bad/sim.json: not well-formed JSON" "$TMP/err"
check "the earlier report untouched" cmp -s "$OUT/index.html" "$TMP/index.before"
expect 2 "truncated sim.json, new OUT" -- "$MEMVIRT" report "$IN/bad" -o "$TMP/new"
check "OUT not made" test ! -e "$TMP/new"
check "no temporary left" test -z "$(ls -A "$TMP" | grep '^\.')"
sed 's/memvirt-sim\/1/memvirt-sim\/9/' "$IN/sweep/gups-1M/sim.json" >"$IN/bad/sim.json"
expect 2 "wrong schema" -- "$MEMVIRT" report "$IN/bad" -o "$TMP/new"
check "one line naming schema" sh -c "test \$(wc -l <'$TMP/err') -eq 1 && grep -q 'not a memvirt-sim/1 document' '$TMP/err'"
head -c 100 "$IN/lab/shadow/r1/events.mvev" >"$IN/bad/events.mvev"
cp "$IN/lab/shadow/r1/run.json" "$IN/bad/run.json"
sed -i 's/memvirt-sim\/9/memvirt-sim\/1/' "$IN/bad/sim.json"
expect 2 "truncated event file" -- "$MEMVIRT" report "$IN/bad" -o "$TMP/new"
check "names the event file" sh -c "test \$(wc -l <'$TMP/err') -eq 1 && grep -q 'bad/events.mvev' '$TMP/err'"
mkdir -p "$TMP/empty"
expect 2 "no results" -- "$MEMVIRT" report "$TMP/empty" -o "$TMP/new"
check "one line" one_line "$TMP/err"
mkdir -p "$TMP/notreport" && touch "$TMP/notreport/keep"
expect 2 "OUT that is not a report" -- "$MEMVIRT" report "$IN/sweep" -o "$TMP/notreport"
check "its files kept" test -e "$TMP/notreport/keep"
for sig in SIGINT SIGTERM; do
	check "$sig while drawing: the temporary removed" killed_cleanly $sig "$TMP/.sig.tmp-*" \
		-- "$MEMVIRT" report "$IN/sweep" "$IN/lab" -o "$TMP/sig"
	check "$sig: OUT not made" test ! -e "$TMP/sig"
done
expect 2 "no DIR" -- "$MEMVIRT" report
expect 3 "no gnuplot" -- env PATH=/nonexistent "$MEMVIRT" report "$IN/sweep" -o "$TMP/new"
check "one line naming gnuplot" sh -c "test \$(wc -l <'$TMP/err') -eq 1 && grep -q 'gnuplot is not installed' '$TMP/err'"
check "OUT not made" test ! -e "$TMP/new"

finish
