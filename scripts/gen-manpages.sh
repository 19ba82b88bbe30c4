#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Man pages from memvirt's own --help, so they never drift from it: memvirt(1) and one
# memvirt-COMMAND(1) per command that 'memvirt --help' lists. Run by the build (src/CMakeLists.txt).
# usage: gen-manpages.sh MEMVIRT HELP2MAN VERSION OUTDIR
set -euo pipefail

memvirt=$1 help2man=$2 version=$3 out=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/man1"

# "  NAME     summary" lines of the commands section, without 'help'.
commands=$("$memvirt" --help | sed -n '/^commands:/,/^$/{/^  [a-z]/p}' | awk '$1 != "help" {print $1}')
summary() { "$memvirt" --help | sed -n "s/^  $1 *//p" | head -1; }

# help_text COMMAND, as both generators read it
. "$(dirname "$0")/help-text.sh"

# page NAME SUMMARY [COMMAND]: help2man reads the help through a program that prints it, in
# the shape help2man knows ("Usage:", "Options:"); examples go in verbatim, as written.
page() {
	local name=$1 txt=$work/$1.txt
	help_text "${3:-}" >"$txt"
	# In the usage block, each 'memvirt ...' line is one more form ("or:"); other lines
	# (sim's INPUT) continue the form above them.
	sed -e '/^examples:$/,/^$/d' -e 's/^options:$/Options:/' "$txt" | awk '
		/^usage:/ { u = 1; line = "Usage:" substr($0, 7); next }
		u && /^ +memvirt / { print line; sub(/^ +/, ""); line = "    or: " $0; next }
		u && /^ +[^ ]/ { sub(/^ +/, " "); line = line $0; next }
		u { print line; u = 0 }
		{ print }
		END { if (u) print line }' >"$txt.help"
	printf '#!/bin/sh\ncat "%s"\n' "$txt.help" >"$work/$name"
	chmod +x "$work/$name"
	{
		if grep -q '^examples:$' "$txt"; then
			printf '[EXAMPLES]\n.nf\n'
			sed -n '/^examples:$/,/^$/{/^  /s/^  //p}' "$txt" | sed 's/\\/\\e/g; s/^[.'"'"']/\\\&&/'
			printf '.fi\n'
		fi
		printf '[SEE ALSO]\n.BR memvirt (1)'
		for c in $commands; do printf ',\n.BR memvirt-%s (1)' "$c"; done
		printf '\n.PP\nThe documentation is in\n.IR PREFIX/share/doc/memvirt ,\n'
		printf 'the docs/ folder of the source tree.\n'
	} >"$txt.h2m"
	"$help2man" --no-info --no-discard-stderr --section=1 --version-string="$version" \
		--source="memvirt $version" --manual="memvirt manual" --name="$2" \
		--include="$txt.h2m" --output="$out/man1/$name.1" "$work/$name"
}

page memvirt "memory virtualization under KVM: run, trace, simulate and explain"
for c in $commands; do
	page "memvirt-$c" "$(summary "$c")" "$c"
done
