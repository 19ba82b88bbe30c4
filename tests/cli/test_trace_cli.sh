#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt trace dump/stat on a known event file (written by test_evfile --write), bad files, usage.
source "$(dirname "$0")/lib.sh"

EV=$TMP/sample.ev
"$BUILD/test_evfile" --write "$EV" || { echo "FAIL: test_evfile --write" >&2; exit 1; }

expect 0 "trace --help" -- "$MEMVIRT" trace --help
check "help has examples" has "examples:" "$TMP/out"
expect 0 "trace dump --help" -- "$MEMVIRT" trace dump --help

# The sample holds 2 guest faults, 101 kvm_exit/kvm_entry pairs, 40 walks (30 of 4 levels).
expect 0 "dump text" -- "$MEMVIRT" trace dump "$EV"
check "dump: 101 kvm_exit lines" test "$(grep -c ' kvm_exit ' "$TMP/out")" = 101
check "dump: guest fault fields by name" has "guest_fault *cr2=0x400123 rip=0x401000 gpa=0x5000" "$TMP/out"
check "dump: arrays" has "pte=\[0x1067,0x2067,0x3067,0x4067,0x5067\]" "$TMP/out"
check "dump: end record" has " end .*records=" "$TMP/out"
check "dump: nothing on stderr" test ! -s "$TMP/err"

expect 0 "dump csv long" -- "$MEMVIRT" trace dump "$EV" --csv-long
check "csv header" test "$(head -1 "$TMP/out")" = "offset,ts,time_ns,source,cpu,type,field,value"
check "csv: one row per field" test "$(grep -c ',guest_fault,' "$TMP/out")" = 12
check "csv: parses" python3 -c 'import csv,sys; rows=list(csv.reader(open(sys.argv[1]))); assert all(len(r)==8 for r in rows), rows' "$TMP/out"

# Text in CSV (RFC 4180): one pair of quotes around it, quotes inside doubled, so a comma in a
# note stays in its field.
"$BUILD/test_evfile" --write-writer "$TMP/writer.ev" || check "test_evfile --write-writer" false
expect 0 "dump csv, note" -- "$MEMVIRT" trace dump "$TMP/writer.ev" --csv-long
check "csv note: quoted once, quotes doubled" has ',note,text,"a ""quoted"", note\\x09with a tab"$' \
	"$TMP/out"
check "csv note: the text back in one field" python3 -c '
import csv, sys
rows = [r for r in csv.reader(open(sys.argv[1])) if r[5:7] == ["note", "text"]]
assert len(rows) == 1 and len(rows[0]) == 8, rows
assert rows[0][7] == "a \"quoted\", note\\x09with a tab", rows' "$TMP/out"

# SIGINT or SIGTERM during 'dump -o' leaves no temporary beside OUT (and no OUT).
mkdir -p "$TMP/sig"
"$BUILD/test_evfile" --write-many "$TMP/many.ev" 1000000 || check "test_evfile --write-many" false
for sig in SIGINT SIGTERM; do
	check "dump -o, $sig: no temporary left" killed_cleanly $sig "$TMP/sig/dump.txt.tmp.*" -- \
		"$MEMVIRT" trace dump "$TMP/many.ev" -o "$TMP/sig/dump.txt"
	check "dump -o, $sig: no output" test ! -e "$TMP/sig/dump.txt"
done
rm -f "$TMP/many.ev"

expect 0 "dump perfetto" -- "$MEMVIRT" trace dump "$EV" --perfetto -o "$TMP/trace.json"
check "perfetto: valid JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/trace.json"
check "perfetto: process, thread names, slices, instants, counters" python3 -c '
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
names = {e["args"]["name"] for e in ev if e["ph"] == "M" and e["name"] == "process_name"}
assert {"guest", "vmm", "kvm", "host"} <= names, names
assert any(e["ph"] == "M" and e["name"] == "thread_name" for e in ev)
assert sum(1 for e in ev if e["ph"] == "X" and e["name"] == "in host (exit)") == 101
assert sum(1 for e in ev if e["ph"] == "i" and e["name"] == "guest_fault") == 2
assert any(e["ph"] == "C" and e["name"].startswith("guest faults") for e in ev)
# one slice per joined guest fault: the sample joins the first of its two faults
faults = [e for e in ev if e["ph"] == "X" and e["name"].startswith("fault:")]
assert len(faults) == 1, faults
assert faults[0]["args"]["cr2"] == "0x400123" and faults[0]["args"]["gpa"] == "0x5000", faults
assert faults[0]["dur"] > 0 and faults[0]["args"]["host_fault"] == "exception", faults
' "$TMP/trace.json"
check "-o leaves no temporary" test "$(ls "$TMP" | grep -c tmp)" = 0

expect 0 "dump --join" -- "$MEMVIRT" trace dump "$EV" --join
check "join: the first fault has its walk and host fault" \
	has "GVA 0x400123 -> GPA 0x5000 (guest.*KVM walk 4 levels, SPTE level 1 | host fault (exception) HVA 0x7f0000005010" "$TMP/out"
check "join: summary" has "joined: 1 of 2 guest faults have a KVM walk, 1 a host fault" "$TMP/out"

expect 0 "stat" -- "$MEMVIRT" trace stat "$EV"
check "stat: kvm_exit count" has "kvm_exit  *kvm  *101" "$TMP/out"
check "stat: walk levels" has "4 levels  *30" "$TMP/out"
check "stat: lost records warned" has "^warning: 9 records were lost" "$TMP/out"
check "stat: joined line" has "joined: 1 of 2 guest faults have a KVM walk, 1 a host fault" "$TMP/out"
expect 0 "stat --json" -- "$MEMVIRT" trace stat "$EV" --json
check "stat json: exit latency max" test "$(json_get "$TMP/out" "['latency_ns']['exit_to_entry']['max']")" = 1005
# Walk times are 50, 150, ..., 3950 ns: the exact nearest-rank p50 is the 20th, 1950. The
# printed one is at or above it by less than 2^-7 of it (docs/trace-format.md).
check "stat json: percentile error stated" test \
	"$(json_get "$TMP/out" "['latency_ns']['walk_to_set_spte']['percentile_relative_error']")" = 0.0078125
p50=$(json_get "$TMP/out" "['latency_ns']['walk_to_set_spte']['p50']")
check "stat json: walk p50 within 2^-7 of 1950" test "$p50" -ge 1950 -a $(((p50 - 1950) * 128)) -lt 1950
check "stat json: shadow created" test "$(json_get "$TMP/out" "['shadow_pages']['created']")" = 2
check "stat json: dropped kvm" test "$(json_get "$TMP/out" "['dropped']['kvm']")" = 9

# Bad files: one error line naming the offset, non-zero exit; what was read is still printed.
head -c 2500 "$EV" >"$TMP/cut.ev"
expect 2 "dump truncated" -- "$MEMVIRT" trace dump "$TMP/cut.ev"
check "truncated: one error line" one_line "$TMP/err"
check "truncated: offset in message" has "offset [0-9]*: truncated" "$TMP/err"
check "truncated: records before it printed" has "guest_fault" "$TMP/out"
expect 2 "stat truncated" -- "$MEMVIRT" trace stat "$TMP/cut.ev"
check "stat truncated: one error line" one_line "$TMP/err"
expect 2 "perfetto truncated" -- "$MEMVIRT" trace dump "$TMP/cut.ev" --perfetto
check "perfetto truncated: still valid JSON" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/out"
head -c 200 /dev/zero | tr "\\0" x >"$TMP/bad.ev"
expect 2 "dump not an event file" -- "$MEMVIRT" trace dump "$TMP/bad.ev"
check "bad magic: one line" one_line "$TMP/err"
check "bad magic: says so" has "bad magic" "$TMP/err"
expect 2 "dump missing file" -- "$MEMVIRT" trace dump "$TMP/none.ev"
check "missing: one line" one_line "$TMP/err"
expect 2 "dump -o with a bad file writes nothing" -- "$MEMVIRT" trace dump "$TMP/bad.ev" -o "$TMP/x.txt"
check "bad input, -o: no output left" test ! -e "$TMP/x.txt"

# One name for one option: the ring buffer is --ring-size (as in run); --ring still works.
for opt in --ring-size --ring; do
	expect 2 "$opt 3000 refused" -- "$MEMVIRT" trace -p 1 $opt 3000
	check "$opt 3000: names --ring-size" has "^memvirt: error: --ring-size '3000'" "$TMP/err"
	expect 2 "$opt 4M taken (the error is -d's)" -- "$MEMVIRT" trace -p 1 $opt 4M -d soon
	check "$opt 4M: only -d refused" has "^memvirt: error: -d 'soon'" "$TMP/err"
done
check "help names --ring-size only" test "$("$MEMVIRT" trace -p 1 --help | grep -c -- '--ring')" = 1

# Usage.
expect 2 "dump without a file" -- "$MEMVIRT" trace dump
expect 2 "dump two formats" -- "$MEMVIRT" trace dump "$EV" --csv --perfetto
expect 2 "dump unknown option" -- "$MEMVIRT" trace dump "$EV" --bogus
expect 2 "stat two files" -- "$MEMVIRT" trace stat "$EV" "$EV"
check "usage errors are one line" one_line "$TMP/err"

# CSV tables: one per type, each after a "# type NAME" line, parseable once those are dropped.
expect 0 "dump csv tables" -- "$MEMVIRT" trace dump "$EV" --csv --type guest_fault,kvm_mmu_walk
check "csv tables: first header" test "$(sed -n 2p "$TMP/out")" = "offset,ts,time_ns,source,cpu,cr2,rip,gpa,cr3,error_code,page_shift"
check "csv tables: two tables" test "$(grep -c '^# type ' "$TMP/out")" = 2
check "csv tables: walk arrays as columns" has "^offset,ts,time_ns,source,cpu,addr,pferr,levels,pte_0,pte_1,pte_2,pte_3,pte_4,error$" "$TMP/out"
check "csv tables: rows as wide as headers" python3 -c '
import csv, sys
blocks = open(sys.argv[1]).read().strip().split("\n\n")
for b in blocks:
    lines = b.split("\n")
    assert lines[0].startswith("# type "), lines[0]
    rows = list(csv.reader(lines[1:]))
    assert len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows), rows
' "$TMP/out"

# Filters.
expect 0 "dump --type --cpu" -- "$MEMVIRT" trace dump "$EV" --type kvm_exit --cpu 1
check "filter: only kvm_exit of cpu 1" test "$(grep -vc '^#' "$TMP/out")" = "$(grep -c ' kvm  *1 kvm_exit ' "$TMP/out")"
check "filter: 50 exits on cpu 1" test "$(grep -c ' kvm_exit ' "$TMP/out")" = 50
expect 0 "dump --gva" -- "$MEMVIRT" trace dump "$EV" --gva 0x400000-0x400200
check "filter gva: the guest fault and the walk at 0x400abc are out, 0x400123 in" test "$(grep -vc '^#' "$TMP/out")" = 1
expect 2 "filter: unknown type" -- "$MEMVIRT" trace dump "$EV" --type bogus
check "filter: one error line" one_line "$TMP/err"
expect 2 "filter: bad cpu" -- "$MEMVIRT" trace dump "$EV" --cpu one
check "filter: one error line" one_line "$TMP/err"
expect 2 "filter: since after until" -- "$MEMVIRT" trace dump "$EV" --since 5 --until 4
expect 2 "filter: bad gva range" -- "$MEMVIRT" trace dump "$EV" --gva 0x5000
expect 2 "filter with --join" -- "$MEMVIRT" trace dump "$EV" --join --cpu 0
check "filter with --join: one error line" one_line "$TMP/err"

# stat: histograms over every sample.
expect 0 "stat histograms" -- "$MEMVIRT" trace stat "$EV"
check "stat: exit latency histogram" has "^histogram: kvm_exit -> kvm_entry, ns (101 samples" "$TMP/out"
check "stat: histogram rows" has "^  \[512, 1K) *[0-9]* |@" "$TMP/out"
expect 0 "stat --json histograms" -- "$MEMVIRT" trace stat "$EV" --json
check "stat json: histogram counts add up" python3 -c '
import json, sys
h = json.load(open(sys.argv[1]))["histograms"]["exit_to_entry_ns"]
assert h["count"] == 101 and sum(b["count"] for b in h["buckets"]) == 101, h
assert all(b["hi"] == 2 * b["lo"] for b in h["buckets"] if b["lo"] > 0), h
' "$TMP/out"

finish
