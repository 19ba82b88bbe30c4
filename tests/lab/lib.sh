# SPDX-License-Identifier: GPL-2.0
# Helpers for the lab's tests: is the lab ready here (QEMU and a lab kernel)?
# shellcheck source=../cli/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cli/lib.sh"

# lab_ready: 0 when 'memvirt lab' can boot here; else prints why on stderr.
lab_ready() {
	local json
	json=$("$MEMVIRT" info --json 2>/dev/null) || return 1
	python3 -c 'import json,sys
d=json.loads(sys.argv[1]).get("lab", {})
if d.get("inside"): sys.exit("inside the lab already")
if not d.get("ready"): sys.exit(d.get("error", "lab not ready"))' "$json"
}

skip_unless_lab_ready() {
	local why
	if ! why=$(lab_ready 2>&1); then
		echo "SKIP: the lab cannot start here: $why" >&2
		exit 77
	fi
}
