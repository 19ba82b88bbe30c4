#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt explain on real KVM: golden text output (host addresses normalised), index fields
# from the hardware rule, 80 columns, JSON, and usage errors.
# Regenerate the golden files after an intended change of the guest layout or the output with
# MEMVIRT_UPDATE_GOLDEN=1 ctest -R test_explain, and review the diff.
source "$(dirname "$0")/lib.sh"

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "SKIP: /dev/kvm is not usable here"
	exit 77
fi
GOLDEN=$SRC/tests/golden/explain
MODE=$(host_mmu_mode)
echo "host KVM MMU mode: $MODE"

# Only what varies from run to run is replaced: host virtual addresses (mmap placement), the
# host physical page (its address and size, or the line saying why it is hidden), and the two
# lines on the host's MMU mode (checked against the mode's rule below).
normalise() {
	sed -E -e '/^host KVM: /{N;s/.*/<host KVM: MMU mode, two lines>/}' \
		-e 's/HVA 0x[0-9a-f]+/HVA <HVA>/g' \
		-e 's/^(  HVA  )0x[0-9a-f]+$/\1<HVA>/' \
		-e '/^  HPA  not shown:$/{N;s/\n.*//}' \
		-e 's/^(  HPA  ).*$/\1<HPA>/' "$1"
}

# golden NAME: compare $TMP/out, normalised, with tests/golden/explain/NAME.txt.
golden() {
	normalise "$TMP/out" >"$TMP/$1.txt"
	if [ -n "${MEMVIRT_UPDATE_GOLDEN:-}" ]; then
		cp "$TMP/$1.txt" "$GOLDEN/$1.txt"
	fi
	if diff -u "$GOLDEN/$1.txt" "$TMP/$1.txt" >"$TMP/diff"; then
		passes=$((passes + 1))
	else
		echo "FAIL: $1: output differs from $GOLDEN/$1.txt" >&2
		head -40 "$TMP/diff" >&2
		fails=$((fails + 1))
	fi
}

# Every "  GVA  0x..." line is followed by its index fields; compute them here from the
# 4-level rule (9 bits per level from bit 39 down, 12 bits of offset), ending at the leaf: a
# 2M page (the GPA line says "in a 2M guest page") has no PT index and a 21-bit offset, a 1G
# page no PD index either and a 30-bit offset.
fields_ok() {
	local gva size want got n=0
	while read -r gva size; do
		case $size in
		1G) want=$(printf 'PML4 %d | PDPT %d | offset 0x%x (30 bits)' \
			$(((gva >> 39) & 511)) $(((gva >> 30) & 511)) $((gva & 0x3fffffff))) ;;
		2M) want=$(printf 'PML4 %d | PDPT %d | PD %d | offset 0x%x (21 bits)' \
			$(((gva >> 39) & 511)) $(((gva >> 30) & 511)) $(((gva >> 21) & 511)) \
			$((gva & 0x1fffff))) ;;
		*) want=$(printf 'PML4 %d | PDPT %d | PD %d | PT %d | offset 0x%03x' \
			$(((gva >> 39) & 511)) $(((gva >> 30) & 511)) $(((gva >> 21) & 511)) \
			$(((gva >> 12) & 511)) $((gva & 4095))) ;;
		esac
		got=$(grep -A1 -x "  GVA  $gva" "$1" | sed -n '2s/^ *//p' | head -1)
		[ "$got" = "$want" ] || { echo "  $gva: '$got', expected '$want'" >&2; return 1; }
		n=$((n + 1))
	done < <(awk '/^  GVA  0x/ { if (g) print g, s; g = $2; s = "4K" }
		/^  GPA  0x.* in a [0-9]+[KMG] guest page/ { s = $5 }
		END { if (g) print g, s }' "$1")
	[ "$n" -gt 0 ]
}

width_ok() { ! awk 'length($0) > 80 { print FILENAME ":" FNR ": " length($0) " columns"; bad = 1 } END { exit !bad }' "$1" >&2; }

# The default: code page, data page, its 2M direct-map alias, an unmapped page.
expect 0 "default addresses" -- "$MEMVIRT" explain --out "$TMP/run"
golden default
# Which table translates, by the host's mode: lines 3-4, after the header.
check "default: $MODE translation lines" test "$(sed -n 3,4p "$TMP/out")" = "$(translation_lines "$MODE")"
check "default: index fields" fields_ok "$TMP/out"
check "default: 80 columns" width_ok "$TMP/out"
check "default: four addresses" test "$(grep -c '^  GVA  ' "$TMP/out")" = 4
check "default: walk agrees with KVM" test "$(grep -c 'KVM_TRANSLATE.*agrees$' "$TMP/out")" = 4
check "default: the fault and its error code" has "error code 0x4 (P=0 W=0 U=1 RSVD=0 I=0)" "$TMP/out"
check "default: run recorded" test -f "$TMP/run/run.json"
# The data page and its direct-map alias are the same guest page: the alias's GVA is
# MV_DIRECT_BASE + the data page's GPA.
gpa=$(grep -m1 -A20 '^data page' "$TMP/out" | sed -n 's/^  GPA  \(0x[0-9a-f]*\).*/\1/p' | head -1)
check "alias GVA is the direct map plus the GPA" \
	grep -qx "  GVA  $(printf '0x%016x' $((0xffff888000000000 + gpa)))" "$TMP/out"

# Requested addresses: data, kernel direct map, non-canonical (#GP), a hole; and 2M data pages.
expect 0 "given addresses" -- "$MEMVIRT" explain --out "$TMP/run" \
	0x8000000000 0xffff888000800000 0x0000800000000000 0xdead000 0xffffffff80201234
golden given
check "given: index fields" fields_ok "$TMP/out"
check "given: 80 columns" width_ok "$TMP/out"
check "given: #GP for a non-canonical address" has "#GP(0), the address is not canonical" "$TMP/out"
expect 0 "2M data pages" -- "$MEMVIRT" explain seq --footprint 4M --page-size 2m --out "$TMP/run" \
	0x8000212345 --access user-write
golden seq-2m
check "2M: index fields" fields_ok "$TMP/out"
check "2M: 80 columns" width_ok "$TMP/out"
check "2M: a 2M guest page" has "in a 2M guest page at" "$TMP/out"
expect 0 "user write to the code page" -- "$MEMVIRT" explain --access user-write --out "$TMP/run" 0x401000
check "write to code: protection fault" has "#PF, protection, decided at the PTE" "$TMP/out"
check "write to code: error code 0x7" has "error code 0x7 (P=1 W=1 U=1 RSVD=0 I=0)" "$TMP/out"

# JSON: the same chains; index fields against the rule.
expect 0 "json" -- "$MEMVIRT" explain --json --out "$TMP/run" 0x8000005018 0xffffffff80200000
check "json parses" python3 -m json.tool "$TMP/out" /dev/null
check "json schema" test "$(json_get "$TMP/out" "['schema']")" = memvirt-explain/1
g=0x8000005018
check "json fields" test "$(json_get "$TMP/out" "['addresses'][0]['fields']")" = \
	"{'pml4': $(((g >> 39) & 511)), 'pdpt': $(((g >> 30) & 511)), 'pd': $(((g >> 21) & 511)), 'pt': $(((g >> 12) & 511)), 'offset': $((g & 4095))}"
check "json: four levels" test "$(json_get "$TMP/out" "['addresses'][0]['guest_walk'].__len__()")" = 4
check "json: kernel image in a 2M page" test "$(json_get "$TMP/out" "['addresses'][1]['guest_page_size_bytes']")" = 2097152
check "json: KVM agrees" test "$(json_get "$TMP/out" "['addresses'][1]['kvm_translate_agrees']")" = True
check "json: host paging" test "$(json_get "$TMP/out" "['host_paging']")" = "$MODE"
check "json: $MODE translation" translation_json_ok "$MODE" "$TMP/out" "['translation']"
check "run.json: $MODE translation" translation_json_ok "$MODE" "$TMP/run/run.json" "['translation']"

# Usage errors: one line on stderr, nothing on stdout, exit 2.
for args in "0xzz" "0x1000 12abc" "nosuchworkload" "--access sideways 0x1000" "--footprint" \
	"$(seq -s ' ' 1 33)"; do
	# shellcheck disable=SC2086
	expect 2 "bad usage: $args" -- "$MEMVIRT" explain --out "$TMP/run" $args
	check "bad usage '$args': one error line" one_line "$TMP/err"
	check "bad usage '$args': no output" test ! -s "$TMP/out"
done
expect 2 "bad GVA message" -- "$MEMVIRT" explain 0xzz
check "bad GVA message names it" has "GVA '0xzz': expected a guest virtual address" "$TMP/err"
expect 0 "help" -- "$MEMVIRT" explain --help
check "help has examples" has "examples:" "$TMP/out"
check "help: 80 columns" width_ok "$TMP/out"

# This host's KVM is PVM (shadow only): --paging tdp fails clearly, with or without a reload.
if grep -q . /sys/module/kvm_pvm/parameters/* 2>/dev/null || [ -d /sys/module/kvm_pvm ]; then
	expect 3 "tdp on a shadow-only host" -- "$MEMVIRT" explain --paging tdp --out "$TMP/run"
	check "tdp: says why" has "uses shadow paging only and cannot switch" "$TMP/err"
	expect 3 "reload on PVM" -- "$MEMVIRT" explain --paging tdp --reload-kvm --out "$TMP/run"
	check "reload on PVM: says why" has "kvm_pvm has shadow paging only" "$TMP/err"
	check "reload on PVM: one line" one_line "$TMP/err"
fi

# memvirt run on this shadow-only host: --paging tdp names why it cannot switch.
if [ -d /sys/module/kvm_pvm ]; then
	expect 3 "run --paging tdp on PVM" -- "$MEMVIRT" run nop --paging tdp --out "$TMP/run"
	check "run tdp: one clear line" one_line "$TMP/err"
	check "run tdp: says why" has "uses shadow paging only and cannot switch" "$TMP/err"
	expect 3 "run --reload-kvm on PVM" -- "$MEMVIRT" run nop --paging tdp --reload-kvm --out "$TMP/run"
	check "run reload on PVM: says why" has "kvm_pvm has shadow paging only" "$TMP/err"
fi

# --reload-kvm end to end against a fake Intel EPT host (a copy of its tree, fake root) and
# stand-in module tools; the guest itself runs on this host's real KVM.
cp -a "$SRC/tests/fixtures/hosts/intel-ept" "$TMP/host"
fake() {
	env MEMVIRT_HOST_ROOT="$TMP/host" MEMVIRT_FAKE_EUID=0 MEMVIRT_FAKE_MODLOG="$TMP/modlog" \
		MEMVIRT_MODPROBE="$SRC/tests/fixtures/hosts/tools/modprobe" \
		MEMVIRT_RMMOD="$SRC/tests/fixtures/hosts/tools/rmmod" "$@"
}
expect 0 "reload ept -> shadow" -- fake "$MEMVIRT" run nop --paging shadow --reload-kvm --out "$TMP/rl"
check "reload: commands" test "$(cat "$TMP/modlog")" = "$(printf 'rmmod kvm_intel\nmodprobe kvm_intel ept=0')"
check "reload: fake sysfs rewritten" test "$(cat "$TMP/host/sys/module/kvm_intel/parameters/ept")" = N
check "reload: recorded" test "$(json_get "$TMP/rl/run.json" "['paging']")" = "{'reloaded': True, 'from': 'ept', 'to': 'shadow'}"
check "reload: mode recorded" test "$(json_get "$TMP/rl/run.json" "['paging_mode']")" = shadow
check "reload: said on stderr" has "reloaded kvm_intel with ept=0" "$TMP/err"
expect 0 "no reload when the mode matches" -- fake "$MEMVIRT" explain --paging shadow --reload-kvm --out "$TMP/rl" 0x401000
check "no reload: no command" test "$(wc -l <"$TMP/modlog")" -eq 2
check "no reload: recorded" test "$(json_get "$TMP/rl/run.json" "['paging']['reloaded']")" = False
expect 3 "reload refused without root" -- fake env MEMVIRT_FAKE_EUID=1000 "$MEMVIRT" run nop --paging tdp --reload-kvm --out "$TMP/rl"
check "not root: one line" one_line "$TMP/err"
check "not root: says so" has "needs root (euid 1000)" "$TMP/err"
mkdir -p "$TMP/host/proc/4242/fd" && ln -s anon_inode:kvm-vm "$TMP/host/proc/4242/fd/7"
expect 3 "reload refused with another VM" -- fake "$MEMVIRT" explain --paging tdp --reload-kvm --out "$TMP/rl"
check "other VM: names the pid" has "another VM is running (pid 4242" "$TMP/err"
check "refusals ran no command" test "$(wc -l <"$TMP/modlog")" -eq 2

finish
