#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Bash completion for memvirt, from its own --help and name tables so that it never drifts:
# the commands 'memvirt --help' lists, each command's options and their values (DIR, FILE,
# workload and preset names), the words of its usage lines (trace dump|stat, sim convert,
# validate shadow|nested). Run by the build (src/CMakeLists.txt).
# usage: gen-completion.sh MEMVIRT NAMES_PROGRAM OUTFILE
set -euo pipefail

memvirt=$1 names=$2 out=$3

commands=$("$memvirt" --help | sed -n '/^commands:/,/^$/{/^  [a-z]/p}' | awk '{print $1}')

# help_text COMMAND, as both generators read it
. "$(dirname "$0")/help-text.sh"

# Options: from the option column of lines that start with '-' (up to two blanks) and from
# usage lines (not the examples, which show other programs' options too); "--opt ARG" records the placeholder ARG. Prints "OPT ARG" or "OPT -".
options_of() {
	help_text "$1" | awk '
		# A short option takes the placeholder of the long one beside it: "-o, --output FILE".
		function scan(s,   t, n, f, k, o, shorts, ph) {
			k = 0
			ph = "-"
			while (match(s, /(^|[ ,[])--?[a-zA-Z][a-zA-Z0-9-]*( [A-Z][A-Z_]*)?/)) {
				t = substr(s, RSTART, RLENGTH)
				s = substr(s, RSTART + RLENGTH)
				sub(/^[ ,[]/, "", t)
				n = split(t, f, " ")
				if (!(f[1] in arg) || arg[f[1]] == "-")
					arg[f[1]] = n > 1 ? f[2] : "-"
				if (f[1] ~ /^-[^-]/ && n == 1)
					shorts[++k] = f[1]
				else if (n > 1 && ph == "-")
					ph = f[2]
			}
			for (o = 1; o <= k; o++)
				if (arg[shorts[o]] == "-")
					arg[shorts[o]] = ph
		}
		/^ +-/ { col = $0; sub(/^ +/, "", col); sub(/  .*/, "", col); scan(col) }
		/^(usage:|       memvirt )/ { scan($0) }
		END { for (o in arg) print o, arg[o] }' | sort
}

# Words after 'memvirt CMD' in its usage lines: dump, stat, convert, shadow, nested, shell;
# WORKLOAD when the command takes a workload name.
words_of() {
	help_text "$1" | sed -n -E "s/^(usage:|      ) memvirt $1 (\[?(WORKLOAD)\]?|([a-z|]+))( .*|$)/\3\4/p" |
		tr '|' '\n' | grep -E '^([a-z]+|WORKLOAD)$' | sort -u | tr '\n' ' ' | sed 's/ $//'
}

{
	cat <<HEAD
# bash completion for memvirt $("$memvirt" --version | head -1 | cut -d' ' -f2)
# Generated from 'memvirt --help' and each command's --help by scripts/gen-completion.sh.
HEAD
	echo "_memvirt_commands='$(paste -sd ' ' <<<"$commands")'"
	"$names" | while read -r what list; do echo "_memvirt_$what='$list'"; done
	# -g: bash-completion sources this file inside a function.
	echo 'declare -gA _memvirt_opts _memvirt_arg _memvirt_words'
	for c in $commands; do
		[ "$c" = help ] && continue
		opts=$(options_of "$c")
		echo "_memvirt_opts[$c]='$(awk '{print $1}' <<<"$opts" | paste -sd ' ')'"
		awk -v c="$c" '$2 != "-" { printf "_memvirt_arg[%s %s]=%s\n", c, $1, $2 }' <<<"$opts"
		echo "_memvirt_words[$c]='$(words_of "$c")'"
	done
	cat <<'BODY'

# The value of option $2 of command $1 (placeholder $3) for the word being completed, $4.
_memvirt_value()
{
	local cmd=$1 opt=$2 ph=$3 cur=$4
	case $opt in
	--workload | --workloads) COMPREPLY=($(compgen -W "$_memvirt_workloads" -- "$cur")) ;;
	--preset) COMPREPLY=($(compgen -W "$_memvirt_presets" -- "$cur")) ;;
	*)
		case $ph in
		DIR) COMPREPLY=($(compgen -d -- "$cur")) ;;
		FILE* | IMAGE | OUT* | PATH) COMPREPLY=($(compgen -f -- "$cur")) ;;
		esac
		;;
	esac
}

# Complete words $1.. of COMP_WORDS as a memvirt command line ('memvirt lab -- ...' nests).
_memvirt_line()
{
	local start=$1 cur=${COMP_WORDS[COMP_CWORD]} cmd i w npos=0 words
	if [ "$COMP_CWORD" -eq "$start" ]; then
		COMPREPLY=($(compgen -W "$_memvirt_commands --help --version" -- "$cur"))
		return
	fi
	cmd=${COMP_WORDS[start]}
	if [ "$cmd" = help ]; then
		[ "$COMP_CWORD" -eq $((start + 1)) ] &&
			COMPREPLY=($(compgen -W "$_memvirt_commands" -- "$cur"))
		return
	fi
	[ -n "${_memvirt_opts[$cmd]+set}" ] || return
	for ((i = start + 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [ "$w" = -- ]; then
			# lab runs a memvirt command (or any program); trace -- runs any program.
			if [ "$cmd" = lab ]; then
				_memvirt_line $((i + 1))
			elif [ "$COMP_CWORD" -eq $((i + 1)) ]; then
				COMPREPLY=($(compgen -c -- "$cur"))
			else
				COMPREPLY=($(compgen -f -- "$cur"))
			fi
			return
		fi
		if [ -n "${_memvirt_arg[$cmd $w]+set}" ]; then
			i=$((i + 1))
		elif [[ $w != -* ]]; then
			npos=$((npos + 1))
		fi
	done
	w=${COMP_WORDS[COMP_CWORD - 1]}
	if [ "$COMP_CWORD" -gt $((start + 1)) ] && [ -n "${_memvirt_arg[$cmd $w]+set}" ]; then
		_memvirt_value "$cmd" "$w" "${_memvirt_arg[$cmd $w]}" "$cur"
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "${_memvirt_opts[$cmd]}" -- "$cur"))
		return
	fi
	if [ "$npos" -eq 0 ] && [ -n "${_memvirt_words[$cmd]}" ]; then
		words=${_memvirt_words[$cmd]/WORKLOAD/$_memvirt_workloads}
		COMPREPLY=($(compgen -W "$words" -- "$cur"))
		return
	fi
	COMPREPLY=($(compgen -f -- "$cur"))
}

_memvirt()
{
	COMPREPLY=()
	_memvirt_line 1
}
complete -o filenames -F _memvirt memvirt
BODY
} >"$out.tmp"
bash -n "$out.tmp"
mv "$out.tmp" "$out"
