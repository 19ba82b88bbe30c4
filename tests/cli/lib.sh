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

# The two lines saying which table the CPU walks in MODE, written from the hardware rule: with
# shadow paging KVM's shadow table maps GVA->HPA and the guest's tables are only its source; with
# NPT/EPT the guest's tables map GVA->GPA in hardware and KVM's nested table GPA->HPA.
translation_lines() {
	case $1 in
	shadow) printf '%s\n%s\n' "host KVM: shadow paging: the CPU walks KVM's shadow table, GVA->HPA;" \
		"the guest's tables are its source, write-protected and copied by KVM" ;;
	npt | ept) printf '%s\n%s\n' "host KVM: nested paging: the CPU walks the guest's tables, GVA->GPA," \
		"then KVM's ${1^^}, GPA->HPA, in one two-dimensional walk" ;;
	*) echo "host KVM: MMU mode unknown: which table the CPU walks is not known" ;;
	esac
}

# translation_json_ok MODE FILE KEY: the "translation" object at KEY names the tables by MODE's rule.
translation_json_ok() {
	local want
	case $1 in
	shadow) want="shadow GVA->HPA walked by the CPU|guest GVA->GPA source: write-protected and copied by KVM|" ;;
	npt | ept) want="guest GVA->GPA walked by the CPU|$1 GPA->HPA walked by the CPU|" ;;
	*) want="" ;;
	esac
	[ "$(python3 -c "import json,sys; t=eval('json.load(open(sys.argv[1]))' + sys.argv[2])
print(t['mode'], ''.join('%s %s %s|' % (x['table'], x['maps'], x['role']) for x in t['tables']))" \
		"$2" "$3")" = "$1 $want" ]
}

# killed_cleanly SIG GLOB [--stdin-yes LINE] -- COMMAND...: start COMMAND with SIG at its default
# action (a shell's background job ignores SIGINT), send SIG as soon as a file matching GLOB
# exists (its temporary), and succeed if SIG ended it and nothing matching GLOB is left.
# --stdin-yes feeds it LINE endlessly, an input that never ends.
killed_cleanly() {
	python3 - "$@" <<'PY'
import glob, signal, subprocess, sys, time
sig = getattr(signal, sys.argv[1]); pattern = sys.argv[2]; args = sys.argv[3:]
feed = None
if args[0] == "--stdin-yes":
    feed = subprocess.Popen(["yes", args[1]], stdout=subprocess.PIPE)
    args = args[2:]
args = args[1:]  # the "--"
p = subprocess.Popen(args, stdin=feed.stdout if feed else subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     preexec_fn=lambda: signal.signal(sig, signal.SIG_DFL))
if feed:
    feed.stdout.close()
end = time.time() + 20
while not glob.glob(pattern) and p.poll() is None and time.time() < end:
    time.sleep(0.002)
if p.poll() is not None:
    sys.exit("ended before its temporary was seen: exit %d" % p.returncode)
p.send_signal(sig)
rc = p.wait()
if feed:
    feed.kill(); feed.wait()
left = glob.glob(pattern)
if rc != -sig or left:
    sys.exit("status %d (want %d), left: %s" % (rc, -sig, left))
PY
}

finish() {
	echo "$passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}
