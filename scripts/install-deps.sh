#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install the Debian packages memvirt needs; installs only what is missing.
set -euo pipefail

PKGS=(
	build-essential cmake make pkg-config git
	clang llvm lld clang-format libclang-rt-14-dev
	libbpf-dev libelf-dev zlib1g-dev bpftool linux-libc-dev
	libcapstone-dev
	gnuplot-nox
	qemu-system-x86 busybox-static kmod hyperfine bpftrace
	valgrind python3
	help2man groff-base man-db bash-completion
)

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

here=$(cd "$(dirname "$0")" && pwd)

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PKGS[@]} packages present"
	# The lab's kernel (memvirt lab): Debian's linux-image-amd64, unpacked into a cache.
	exec bash "$here/lab-kernel.sh" --quiet
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
bash "$here/lab-kernel.sh"
