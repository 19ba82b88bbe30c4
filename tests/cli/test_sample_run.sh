#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The sample run directory shipped in docs/sample-run (a real run on KVM's shadow MMU, made in
# the lab) works with no KVM: trace stat and dump, sim --run and --replay, explain --run.
# Expected values come from elsewhere than the command checked: the event file is parsed here
# from docs/trace-format.md, GPAs are the guest kernel's own fault log (not the page-table
# walk), the fault count is the first-touch rule (one guest fault per 4K page written first).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

S=$SRC/docs/sample-run
for f in run.json events.mvev pagetables.bin lab.json README.md; do
	check "sample has $f" test -s "$S/$f"
done
check "sample under 1 MB" [ "$(du -cb "$S"/* | tail -1 | cut -f1)" -le 1048576 ]

# The guest faults, read from the event file's bytes: the 64-byte header (header_size at
# offset 10), then records of a 16-byte header (u16 type, u16 size) and a body; type 1 is a
# schema: u16 type, u16 source, u16 body_size, u16 nfields, char name[32], then 32-byte
# fields (char name[24], u16 kind, u16 offset, u16 count, u16 reserved). Prints
# "count" then one "cr2 gpa page_shift" line per guest_fault, in file order.
python3 - "$S/events.mvev" >"$TMP/faults" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"MVEVENTS", "magic"
off = struct.unpack_from("<H", data, 10)[0]
names, fields, faults = {}, {}, []
while off + 16 <= len(data):
    rtype, size = struct.unpack_from("<HH", data, off)
    body = data[off + 16:off + size]
    if rtype == 1:
        tid, _, _, nf = struct.unpack_from("<HHHH", body, 0)
        names[tid] = body[8:40].rstrip(b"\0").decode()
        fl = {}
        for i in range(nf):
            fb = body[40 + 32 * i:72 + 32 * i]
            fl[fb[:24].rstrip(b"\0").decode()] = struct.unpack_from("<HHH", fb, 24)
        fields[tid] = fl
    elif names.get(rtype) == "guest_fault":
        f = fields[rtype]
        get = lambda n: int.from_bytes(body[f[n][1]:f[n][1] + (8 if f[n][0] >= 4 else 4)], "little")
        faults.append((get("cr2"), get("gpa"), get("page_shift")))
    off += size
print(len(faults))
for cr2, gpa, shift in faults:
    print(hex(cr2), hex(gpa), shift)
PY
check "event file parsed" test -s "$TMP/faults"
nfaults=$(head -1 "$TMP/faults")
footprint=$(json_get "$S/run.json" "['config']['footprint_bytes']")
check "one guest fault per 4K page written first" [ "$nfaults" -eq $((footprint / 4096)) ]

expect 0 "trace stat" -- "$MEMVIRT" trace stat "$S/events.mvev"
check "trace stat counts the guest faults" \
	[ "$(awk '$1 == "guest_fault" && $2 == "guest" {print $3}' "$TMP/out")" = "$nfaults" ]
check "trace stat says it was recorded in the lab" has "^recorded in the lab: .*shadow paging" "$TMP/out"
expect 0 "trace dump" -- "$MEMVIRT" trace dump "$S/events.mvev" --type guest_fault
check "trace dump prints every guest fault" [ "$(grep -c ' guest_fault ' "$TMP/out")" = "$nfaults" ]
expect 0 "trace dump --join" -- "$MEMVIRT" trace dump "$S/events.mvev" --join
expect 0 "sim --run" -- "$MEMVIRT" sim --run "$S" --out "$TMP/sim-run"
check "sim --run wrote sim.json" test -s "$TMP/sim-run/sim.json"
expect 0 "sim --replay" -- "$MEMVIRT" sim --replay "$S" --out "$TMP/sim-replay"
check "sim --replay wrote sim.json" test -s "$TMP/sim-replay/sim.json"

# explain --run: the walk of the snapshot's tables against the kernel's log of the fault.
read -r cr2 gpa shift < <(sed -n 5p "$TMP/faults")
gva=$(printf '0x%x' $((cr2 + 0x18)))
want=$(printf '0x%016x' $((gpa + 0x18)))
expect 0 "explain --run GVA" -- "$MEMVIRT" explain --run "$S" "$gva"
check "explain: the GPA the guest kernel logged for $gva" \
	[ "$(awk '$1 == "GPA" {print $2}' "$TMP/out")" = "$want" ]
check "explain: four table levels read" [ "$(grep -cE '^       (PML4E|PDPTE|PDE|PTE) ' "$TMP/out")" = 4 ]
check "explain: HVA from the memory slot" has "^  HVA  0x[0-9a-f]* (from events.mvev" "$TMP/out"
check "explain: HPA needs a live run" has "^  HPA  live run only" "$TMP/out"
check "explain: the mode from run.json" has "^host KVM: shadow paging" "$TMP/out"
check "explain: at most 80 columns" [ -z "$(awk 'length > 80' "$TMP/out")" ]

# The page after the data region (data at 0x8000000000, docs/ptsnap.md) is not mapped.
unmapped=$(printf '0x%x' $((0x8000000000 + footprint)))
expect 0 "explain an unmapped GVA" -- "$MEMVIRT" explain --run "$S" "$unmapped"
check "explain: not mapped, not present in the PTE" has "^  GPA  none: #PF, not present in the PTE" "$TMP/out"
check "explain: a user read's error code" has "error code 0x4 " "$TMP/out"

expect 0 "explain --run --json" -- "$MEMVIRT" explain --run "$S" --json "$gva" "$unmapped"
check "json: schema" [ "$(json_get "$TMP/out" "['schema']")" = memvirt-explain-run/1 ]
check "json: provenance" [ -n "$(json_get "$TMP/out" "['provenance']['commit']")" ]
check "json: the logged GPA" [ "$(json_get "$TMP/out" "['addresses'][0]['gpa']")" = "$(printf '0x%x' $((gpa + 0x18)))" ]
check "json: unmapped" [ "$(json_get "$TMP/out" "['addresses'][1]['mapped']")" = False ]
check "json: no HPA" [ "$(json_get "$TMP/out" "['addresses'][0]['hpa']")" = None ]

expect 0 "explain --run, default addresses" -- "$MEMVIRT" explain --run "$S"
check "defaults: the data region's start" has "^  GVA  0x0000008000000000$" "$TMP/out"
check "defaults: the 2M alias" has "in a 2M guest page" "$TMP/out"
check "defaults: a logged fault agrees" has "agrees with the walk" "$TMP/out"
check "defaults: nothing differs" sh -c "! grep -q DIFFERS '$TMP/out'"
expect 0 "explain --sample" -- "$MEMVIRT" explain --sample "$gva"
check "--sample is this sample" [ "$(awk '$1 == "GPA" {print $2}' "$TMP/out")" = "$want" ]

# Bad input: one line, exit 2; a crafted snapshot is refused or walked, never a crash.
mkdir -p "$TMP/cut"
cp "$S"/* "$TMP/cut/"
head -c 5000 "$S/pagetables.bin" >"$TMP/cut/pagetables.bin"
expect 2 "truncated snapshot" -- "$MEMVIRT" explain --run "$TMP/cut"
check "truncated: one line" one_line "$TMP/err"
check "truncated: says so" has "truncated" "$TMP/err"
check "truncated: nothing on stdout" test ! -s "$TMP/out"
rm "$TMP/cut/pagetables.bin"
expect 2 "no snapshot" -- "$MEMVIRT" explain --run "$TMP/cut"
check "no snapshot: one line" one_line "$TMP/err"
# Two copies of the first table page (npages + 1): not what the writer makes.
python3 - "$S/pagetables.bin" "$TMP/cut/pagetables.bin" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
nreg, npages = struct.unpack_from("<II", d, 40)
first = 128 + 24 * nreg
struct.pack_into("<I", d, 44, npages + 1)
open(sys.argv[2], "wb").write(bytes(d) + bytes(d[first:first + 4112]))
PY
expect 2 "a table page twice" -- "$MEMVIRT" explain --run "$TMP/cut"
check "a table page twice: one line" one_line "$TMP/err"
# CR3 (header offset 16) at a frame the snapshot does not hold: the walk stops there.
python3 - "$S/pagetables.bin" "$TMP/cut/pagetables.bin" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], "rb").read())
struct.pack_into("<Q", d, 16, 0x7ff000)
open(sys.argv[2], "wb").write(bytes(d))
PY
expect 0 "CR3 outside the snapshot" -- "$MEMVIRT" explain --run "$TMP/cut" "$gva"
check "CR3 outside: no table" has "is in no table" "$TMP/out"
cp "$S/pagetables.bin" "$TMP/cut/"
head -c 3000 "$S/events.mvev" >"$TMP/cut/events.mvev"
expect 2 "truncated event file" -- "$MEMVIRT" explain --run "$TMP/cut"
check "truncated event file: one line" one_line "$TMP/err"

# Usage: a recorded run brings its own workload.
expect 2 "--run with --footprint" -- "$MEMVIRT" explain --run "$S" --footprint 1M
check "--run with --footprint: one line" one_line "$TMP/err"
expect 2 "--run with a workload" -- "$MEMVIRT" explain seq --run "$S"
expect 2 "--run and --sample" -- "$MEMVIRT" explain --run "$S" --sample
expect 2 "--run, bad GVA" -- "$MEMVIRT" explain --run "$S" 0xzz

finish
