#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages memvirt needs, in named groups; installs only what is missing.
#
# Usage: install-deps.sh [--check] [--only GROUP[,GROUP...]] [--help]
#   --check        report per group what is present and missing; install nothing;
#                  exit 0 if every package of the chosen groups is present, else 1
#   --only GROUPS  only these groups (comma-separated); default: every group (make test
#                  needs them all)
# Groups: build (compile memvirt), tracer (BPF tracer: memvirt trace), lab (memvirt lab: a
# QEMU guest when /dev/kvm is missing), reports (memvirt report's plots and PDF), sweep
# (memvirt sweep), bench (bench/ scripts), docs (man pages, bash completion).
#
# Fresh cloud machines run unattended upgrades at boot: the script waits for the dpkg lock
# (a line every 10 s, up to MEMVIRT_DPKG_LOCK_WAIT seconds, default 1200) instead of failing.
set -euo pipefail

GROUPS_ALL=(build tracer lab reports sweep bench docs)

# The clang major version decides the versioned clang runtime package (libclang-rt-N-dev): the
# installed clang's when there is one, else the one the archive's clang depends on, else 14
# (Debian 12's).
clang_major() {
	local v
	v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\)\..*/\1/p' | head -1)
	if [ -z "$v" ] && command -v apt-cache >/dev/null 2>&1; then
		v=$(apt-cache depends clang 2>/dev/null | sed -n 's/.*Depends: clang-\([0-9][0-9]*\)$/\1/p' | head -1)
	fi
	echo "${v:-14}"
}

group_packages() {
	case $1 in
	build) echo build-essential cmake make pkg-config git libelf-dev zlib1g-dev libzstd-dev \
		libcapstone-dev linux-libc-dev clang-format python3 ;;
	tracer) echo libbpf-dev bpftool clang llvm lld "libclang-rt-$(clang_major)-dev" bpftrace ;;
	lab) echo qemu-system-x86 busybox-static kmod ;;
	reports) echo gnuplot-nox chromium ;;
	sweep) echo parallel ;;
	bench) echo hyperfine valgrind ;;
	docs) echo help2man groff-base man-db bash-completion ;;
	*) return 1 ;;
	esac
}

usage() { sed -n '4,15p' "$0" | sed 's/^# \{0,1\}//'; }

check=0
only=
while [ $# -gt 0 ]; do
	case $1 in
	--check) check=1 ;;
	--only)
		[ $# -ge 2 ] || {
			echo "install-deps: --only needs a list of groups: ${GROUPS_ALL[*]}" >&2
			exit 2
		}
		only=$2
		shift
		;;
	--only=*) only=${1#--only=} ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		echo "install-deps: unknown argument '$1' (try --help)" >&2
		exit 2
		;;
	esac
	shift
done

groups=("${GROUPS_ALL[@]}")
if [ -n "$only" ]; then
	IFS=, read -r -a groups <<<"$only"
	for g in "${groups[@]}"; do
		group_packages "$g" >/dev/null || {
			echo "install-deps: unknown group '$g': the groups are ${GROUPS_ALL[*]}" >&2
			exit 2
		}
	done
fi

# Without dpkg and apt-get nothing can be checked or installed: name what to install by hand.
if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	list=
	for g in "${groups[@]}"; do list+=" $g: $(group_packages "$g");"; done
	echo "install-deps: no apt-get/dpkg here: install these (Debian names) by hand:${list%;}" >&2
	exit 1
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

missing=()
total=0
for g in "${groups[@]}"; do
	present=()
	absent=()
	for p in $(group_packages "$g"); do
		total=$((total + 1))
		if installed "$p"; then present+=("$p"); else absent+=("$p"); fi
	done
	missing+=("${absent[@]}")
	if [ "$check" -eq 1 ]; then
		if [ ${#absent[@]} -eq 0 ]; then
			echo "install-deps: $g: ok (${present[*]})"
		else
			echo "install-deps: $g: missing ${absent[*]}${present:+ (present: ${present[*]})}"
		fi
	fi
done

here=$(cd "$(dirname "$0")" && pwd)
want_lab=0
for g in "${groups[@]}"; do [ "$g" = lab ] && want_lab=1; done

if [ "$check" -eq 1 ]; then
	[ ${#missing[@]} -eq 0 ] && exit 0
	exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all $total packages present (${groups[*]})"
	# The lab's kernel (memvirt lab): Debian's linux-image-amd64, unpacked into a cache.
	[ "$want_lab" -eq 1 ] && exec bash "$here/lab-kernel.sh" --quiet
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

# wait_dpkg_lock: poll until no process holds dpkg's lock (unattended upgrades at boot).
wait_dpkg_lock() {
	local lock=/var/lib/dpkg/lock-frontend limit=${MEMVIRT_DPKG_LOCK_WAIT:-1200} waited=0
	while lock_held "$lock"; do
		if [ "$waited" -ge "$limit" ]; then
			echo "install-deps: $lock still held after ${limit}s: wait for the other package manager, then run again" >&2
			exit 3
		fi
		[ $((waited % 10)) -eq 0 ] &&
			echo "install-deps: waiting for another package manager to release $lock (${waited}s)" >&2
		sleep 2
		waited=$((waited + 2))
	done
}

# lock_held LOCK: true while another process holds LOCK (fuser, else a non-blocking flock).
lock_held() {
	[ -e "$1" ] || return 1
	if command -v fuser >/dev/null 2>&1; then
		fuser "$1" >/dev/null 2>&1
	elif command -v flock >/dev/null 2>&1; then
		! flock -n "$1" true 2>/dev/null
	else
		return 1
	fi
}

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-o DPkg::Lock::Timeout=600)
# apt's and dpkg's progress go to a log, shown only if a step fails.
log=$(mktemp /tmp/install-deps-XXXXXX.log)
trap 'rm -f "$log"' EXIT
apt_step() {
	wait_dpkg_lock
	if ! apt-get "${apt_opts[@]}" "$@" >>"$log" 2>&1 </dev/null; then
		cat "$log" >&2
		echo "install-deps: 'apt-get $*' failed (its output above)" >&2
		exit 3
	fi
}
apt_step update -qq
apt_step install -y -qq --no-install-recommends "${missing[@]}"
if [ "$want_lab" -eq 1 ]; then bash "$here/lab-kernel.sh"; fi
