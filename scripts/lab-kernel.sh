#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch the lab's kernel: Debian's linux-image-amd64 kernel package, downloaded with
# apt-get download, unpacked with dpkg-deb and depmod'ed into memvirt's lab cache.
# Nothing is installed into /boot or /lib/modules. Idempotent: a kernel already in the
# cache is kept. Usage: lab-kernel.sh [--check] [--quiet] [PACKAGE]
#
# The cache: $MEMVIRT_LAB_CACHE, else /var/cache/memvirt/lab for root, else
# ${XDG_CACHE_HOME:-~/.cache}/memvirt/lab. It holds KVER/boot/vmlinuz-KVER (and
# vmlinux-KVER, see below),
# KVER/lib/modules/KVER (with modules.dep) and 'current', a link to the default KVER.
set -euo pipefail

if [ -n "${MEMVIRT_LAB_CACHE:-}" ]; then
	cache=$MEMVIRT_LAB_CACHE
elif [ "$(id -u)" -eq 0 ]; then
	cache=/var/cache/memvirt/lab
else
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/memvirt/lab
fi

check=0
quiet=0
while [ $# -gt 0 ]; do
	case $1 in
	--check) check=1 ;;
	--quiet) quiet=1 ;;
	*) break ;;
	esac
	shift
done

need() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "lab-kernel: '$1' is missing: install it with 'apt-get install $2' (or run scripts/install-deps.sh)" >&2
	exit 1
}
need apt-get apt
need dpkg-deb dpkg
need depmod kmod

# The versioned package behind the linux-image-amd64 meta-package, e.g. linux-image-6.1.0-57-amd64.
image_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

# Under TCG, decompressing an xz bzImage takes seconds. A kernel built with CONFIG_PVH
# boots from its ELF vmlinux directly (QEMU's PVH entry), so the cache keeps the
# bzImage's payload (boot protocol: setup_sects at 0x1f1, payload_offset at 0x248 and
# payload_length at 0x24c of the setup header) decompressed as boot/vmlinux-KVER.
extract_vmlinux() {
	local boot=$1 kv=$2 img=$1/vmlinuz-$2 sects off len start dec
	grep -q '^CONFIG_PVH=y' "$boot/config-$kv" 2>/dev/null || return 0
	case $(grep -o '^CONFIG_KERNEL_[A-Z0-9]*=y' "$boot/config-$kv") in
	CONFIG_KERNEL_XZ=y) dec="xz -dc" ;;
	CONFIG_KERNEL_GZIP=y) dec="gzip -dc" ;;
	CONFIG_KERNEL_ZSTD=y) dec="zstd -dc" ;;
	*) return 0 ;;
	esac
	sects=$(od -An -tu1 -j $((0x1f1)) -N1 "$img" | tr -d ' ')
	off=$(od -An -tu4 -j $((0x248)) -N4 "$img" | tr -d ' ')
	len=$(od -An -tu4 -j $((0x24c)) -N4 "$img" | tr -d ' ')
	start=$(((sects + 1) * 512 + off))
	if tail -c +$((start + 1)) "$img" | head -c "$len" | $dec >"$boot/vmlinux-$kv.new" 2>/dev/null ||
		[ "$(head -c 4 "$boot/vmlinux-$kv.new" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
		mv "$boot/vmlinux-$kv.new" "$boot/vmlinux-$kv"
	else
		rm -f "$boot/vmlinux-$kv.new"
		echo "lab-kernel: could not unpack $img's payload; the lab boots the bzImage (slower)" >&2
	fi
}

pkg=${1:-}
if [ -z "$pkg" ]; then
	pkg=$(image_package)
	if [ -z "$pkg" ] && [ "$check" -eq 0 ] && [ "$(id -u)" -eq 0 ]; then
		apt-get update -qq
		pkg=$(image_package)
	fi
	if [ -z "$pkg" ]; then
		echo "lab-kernel: apt knows no linux-image-amd64 package: run 'apt-get update' first" >&2
		exit 1
	fi
fi
kver=${pkg#linux-image-}

if [ -f "$cache/$kver/.complete" ]; then
	[ -f "$cache/$kver/boot/vmlinux-$kver" ] || extract_vmlinux "$cache/$kver/boot" "$kver"
	ln -sfn "$kver" "$cache/current"
	[ "$quiet" -eq 1 ] || echo "lab-kernel: $kver in $cache"
	exit 0
fi
if [ "$check" -eq 1 ]; then
	echo "lab-kernel: $kver is not in $cache: run 'bash scripts/lab-kernel.sh'" >&2
	exit 1
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp" # apt-get download hands the file to the _apt user
echo "lab-kernel: fetching $pkg into $cache"
# fetch PACKAGE: apt's output to stderr, the .deb's path (if any) to stdout.
fetch() {
	(cd "$tmp" && apt-get download -q "$1" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
	ls "$tmp"/*.deb 2>/dev/null | head -1 || true
}
deb=$(fetch "$pkg")
# Stale package lists name a version the archive no longer has: refresh them once.
if [ ! -f "$deb" ] && [ -z "${1:-}" ] && [ "$(id -u)" -eq 0 ]; then
	echo "lab-kernel: download failed; refreshing the package lists and trying again" >&2
	apt-get update -qq
	pkg=$(image_package)
	kver=${pkg#linux-image-}
	deb=$(fetch "$pkg")
fi
if [ ! -f "$deb" ]; then
	echo "lab-kernel: apt-get download $pkg fetched nothing: check the package name and 'apt-get update'" >&2
	exit 1
fi
dpkg-deb -x "$deb" "$tmp/root"
if [ ! -f "$tmp/root/boot/vmlinuz-$kver" ] || [ ! -d "$tmp/root/lib/modules/$kver" ]; then
	echo "lab-kernel: $deb holds no boot/vmlinuz-$kver and lib/modules/$kver" >&2
	exit 1
fi
depmod -b "$tmp/root" "$kver"
extract_vmlinux "$tmp/root/boot" "$kver"
rm -rf "${cache:?}/$kver"
mv "$tmp/root" "$cache/$kver"
touch "$cache/$kver/.complete"
ln -sfn "$kver" "$cache/current"
echo "lab-kernel: $kver in $cache"
