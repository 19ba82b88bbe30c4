#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# memvirt --version, memvirt help [COMMAND] and the last line of memvirt info on fake hosts.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

expect 0 "--version" -- "$MEMVIRT" --version
check "version first" has "^memvirt [0-9][0-9.]*$" "$TMP/out"
for line in commit tracer lab capstone "guest images"; do
	check "version names: $line" has "^$line  *[^ ]" "$TMP/out"
done
check "build-tree images" has "^guest images  $(cd "$BUILD" && pwd -P)/guest$" "$TMP/out"

expect 0 "help" -- "$MEMVIRT" help
cp "$TMP/out" "$TMP/help"
expect 0 "--help" -- "$MEMVIRT" --help
check "help is --help" cmp -s "$TMP/out" "$TMP/help"
for c in $(sed -n '/^commands:/,/^$/{/^  [a-z]/p}' "$TMP/help" | awk '$1 != "help" {print $1}'); do
	expect 0 "help $c" -- "$MEMVIRT" help "$c" && cp "$TMP/out" "$TMP/help-$c"
	expect 0 "$c --help" -- "$MEMVIRT" "$c" --help
	check "help $c is $c --help" cmp -s "$TMP/out" "$TMP/help-$c"
done
expect 2 "help of an unknown command" -- "$MEMVIRT" help frob
check "one error line" one_line "$TMP/err"
check "names the command" has "'frob'" "$TMP/err"
expect 2 "help with two commands" -- "$MEMVIRT" help run sim
check "one error line" one_line "$TMP/err"

# The last line of info: which commands work on the host, which need the lab, and why.
hosts=$SRC/tests/fixtures/hosts
expect 0 "info, EPT host" -- "$MEMVIRT" info --root "$hosts/intel-ept"
check "EPT host: KVM commands usable" sh -c "tail -1 '$TMP/out' | grep -q '^Commands: usable here: info, sim, trace dump, trace stat, report, sweep, explain --run, run, explain, demo, validate'"
expect 0 "info, no KVM" -- "$MEMVIRT" info --root "$hosts/nokvm"
check "no KVM: run unavailable, with the reason" sh -c "tail -1 '$TMP/out' | grep -q 'unavailable: run, explain, demo, validate.*(no /dev/kvm'"
expect 0 "info, live host" -- "$MEMVIRT" info
check "live host: one commands line last" sh -c "tail -1 '$TMP/out' | grep -q '^Commands: usable here: info, sim, trace dump, trace stat, report, sweep, explain --run'"
expect 0 "info --json, no KVM" -- "$MEMVIRT" info --json --root "$hosts/nokvm"
check "JSON: run unavailable" test "$(json_get "$TMP/out" "['commands']['unavailable'][0]")" = run
check "JSON: sim usable" test "$(json_get "$TMP/out" "['commands']['usable'][1]")" = sim

finish
