# SPDX-License-Identifier: GPL-2.0
# Helpers for memvirt's command-line tests: run a command, check status and output.
MEMVIRT=${1:?usage: test.sh MEMVIRT BUILD_DIR}
BUILD=${2:?usage: test.sh MEMVIRT BUILD_DIR}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d /tmp/memvirt-cli-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
passes=0

# expect STATUS DESCRIPTION -- COMMAND...: run it, keep stdout/stderr in $TMP/out, $TMP/err.
expect() {
	local want=$1 what=$2
	shift 3
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	local got=$?
	if [ "$got" -ne "$want" ]; then
		echo "FAIL: $what: exit $got, expected $want" >&2
		sed 's/^/  stderr: /' "$TMP/err" | head -5 >&2
		fails=$((fails + 1))
		return 1
	fi
	passes=$((passes + 1))
	return 0
}

# check DESCRIPTION CONDITION...: a test(1)-style or command condition.
check() {
	local what=$1
	shift
	if "$@"; then
		passes=$((passes + 1))
	else
		echo "FAIL: $what" >&2
		fails=$((fails + 1))
	fi
}

has() { grep -q -- "$1" "$2"; }
one_line() { [ "$(wc -l <"$1")" -eq 1 ]; }
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval('d' + sys.argv[2]))" "$1" "$2"; }

# The host KVM's MMU mode as memvirt probes it: shadow, npt, ept or unknown. It decides which
# rule a KVM count follows: shadow paging intercepts every guest #PF (pf_guest = guest faults),
# NPT/EPT never sees them (pf_guest = 0, pf_fixed counts NPT/EPT violations).
host_mmu_mode() {
	"$MEMVIRT" info --json | python3 -c "import json,sys; print(json.load(sys.stdin)['host']['kvm']['mmu_mode'])"
}

finish() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}
