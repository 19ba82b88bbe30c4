#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# memvirt lab: the init of the lab kernel's initramfs. It mounts the host's root
# read-only over virtio-9p under a tmpfs overlay, loads KVM in the MMU mode the job
# asks for with the real modprobe, runs the job's command in that root, writes its
# exit status for the host, and powers off. The job comes from the host in the 9p
# share 'mvctl': 'job' (variables) and 'cmd.sh' (the command, quoted by the host).
export PATH=/bin
/bin/busybox --install -s /bin

R=/newroot
CTL=/ctl

# The host reads 'status': a number is the command's exit status, 'lab-error: ...'
# is the lab's own failure, one line, said before the power goes off.
fail() {
	echo "lab-error: $*" >$CTL/status.new && mv $CTL/status.new $CTL/status
	echo "memvirt-lab: $*" >/dev/console
	sync
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r mod; do
	insmod "/mods/$mod" 2>/tmp/insmod.err || {
		echo "memvirt-lab: insmod $mod: $(cat /tmp/insmod.err)" >/dev/console
		poweroff -f
	}
done </mods/order

O9P=trans=virtio,version=9p2000.L,msize=262144
mkdir -p $CTL /host /rw $R
mount -t 9p -o $O9P mvctl $CTL || {
	echo "memvirt-lab: cannot mount the control share" >/dev/console
	poweroff -f
}
date +%s.%N >$CTL/booted
. $CTL/job

mount -t 9p -o $O9P,ro,cache=loose mvroot /host || fail "cannot mount the host's root over 9p"
mount -t tmpfs -o mode=755 tmpfs /rw || fail "cannot mount the overlay's tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work overlay $R ||
	fail "cannot mount the overlay over the host's root (overlay module, 9p lower)"

mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
# No tmpfs over /tmp: the host's /tmp stays visible (a build tree may live there), and
# writes to it land in the overlay's tmpfs like every other write.
mount -t tmpfs -o mode=755 tmpfs $R/run
mount -t tracefs nodev $R/sys/kernel/tracing 2>/dev/null
mount -t debugfs nodev $R/sys/kernel/debug 2>/dev/null
mount -t bpf bpf $R/sys/fs/bpf 2>/dev/null
# devtmpfs has no /dev/fd: bash process substitution and /dev/stdin need them.
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr

mkdir -p $R/run/memvirt-lab
mount --bind $CTL $R/run/memvirt-lab
if [ -n "$MV_OUT" ]; then
	mkdir -p "$R$MV_OUT"
	mount -t 9p -o $O9P mvout "$R$MV_OUT" || fail "cannot mount the output directory $MV_OUT"
fi
# The lab kernel's modules, where kmod's modprobe looks for them.
mkdir -p "$R/lib/modules/$MV_KVER"
mount --bind "$R$MV_MODDIR" "$R/lib/modules/$MV_KVER" ||
	fail "cannot bind the modules folder $MV_MODDIR"

# KVM in the asked-for mode: kvm_amd npt=0|1 on SVM, kvm_intel ept=0|1 on VMX.
if grep -qw svm /proc/cpuinfo; then
	vendor=kvm_amd
	param=npt
elif grep -qw vmx /proc/cpuinfo; then
	vendor=kvm_intel
	param=ept
else
	fail "the lab's CPU has neither SVM nor VMX (cpu model $MV_CPU): KVM cannot load"
fi
val=0
[ "$MV_PAGING" = tdp ] && val=1
chroot $R modprobe $vendor $param=$val 2>/tmp/modprobe.err ||
	fail "modprobe $vendor $param=$val: $(tail -n 1 /tmp/modprobe.err)"
[ -c $R/dev/kvm ] || fail "$vendor loaded but /dev/kvm did not appear"
got=$(cat /sys/module/$vendor/parameters/$param)
case "$got" in
1 | Y) got=1 ;;
*) got=0 ;;
esac
[ "$got" = "$val" ] || fail "$vendor loaded with $param=$got, not $param=$val"
echo "$vendor $param=$val" >$CTL/kvm

date +%s.%N >$CTL/started
if [ "$MV_SHELL" = 1 ]; then
	echo "memvirt lab: $MV_KVER, KVM $vendor $param=$val ($MV_PAGING); 'exit' powers off"
	chroot $R /usr/bin/setsid -c /bin/sh -c "cd \"$MV_CWD\" 2>/dev/null; exec /bin/bash -l" \
		</dev/ttyS0 >/dev/ttyS0 2>&1
	status=$?
else
	chroot $R /bin/sh -c "cd \"$MV_CWD\" && exec /bin/sh /run/memvirt-lab/cmd.sh" \
		</dev/null >$CTL/stdout 2>$CTL/stderr
	status=$?
fi
echo "$status" >$CTL/status.new && mv $CTL/status.new $CTL/status
sync
poweroff -f
