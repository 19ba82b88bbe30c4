# SPDX-License-Identifier: GPL-2.0
# Sourced by gen-manpages.sh and gen-completion.sh: memvirt's help texts as both read them.
# Needs $memvirt set to the binary.

# COMMAND's help text ('memvirt --help' without COMMAND); a second one follows where the
# command has it: the capture options of 'trace', 'sim convert'.
help_text() {
	if [ -z "$1" ]; then
		"$memvirt" --help
		return
	fi
	"$memvirt" "$1" --help 2>&1
	more_help "$1"
}

# The second help text of 'trace' (capture: only with the tracer built) and 'sim' (convert).
more_help() {
	local text
	case $1 in
	trace) text=$("$memvirt" trace -p 1 --help 2>/dev/null) || return 0 ;;
	sim) text=$("$memvirt" sim convert --help 2>/dev/null) || return 0 ;;
	*) return 0 ;;
	esac
	printf '\n%s\n' "$text"
}
