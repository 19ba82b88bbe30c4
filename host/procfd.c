// SPDX-License-Identifier: GPL-2.0
/*
 * Which processes hold a KVM VM: a VMM keeps its VM open as a descriptor
 * whose /proc/PID/fd link reads "anon_inode:kvm-vm" (vCPUs are
 * "anon_inode:kvm-vcpu:N", /dev/kvm itself is the device path).
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/host.h"

#define KVM_VM_LINK "anon_inode:kvm-vm"

/* The live host's tree has no prefix; a fake tree's paths start with its root. */
static const char *root_prefix(const char *root)
{
	return !root || !strcmp(root, "") || !strcmp(root, "/") ? "" : root;
}

static bool fd_is_vm(const char *fddir, const char *name)
{
	char path[PATH_MAX], target[64];
	ssize_t n;

	if (snprintf(path, sizeof(path), "%s/%s", fddir, name) >= (int)sizeof(path))
		return false;
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, KVM_VM_LINK);
}

int host_pid_has_kvm_vm(const char *root, pid_t pid)
{
	char fddir[PATH_MAX];
	struct dirent *de;
	bool found = false;
	DIR *d;

	if (pid <= 0)
		return -ENOENT;
	if (snprintf(fddir, sizeof(fddir), "%s/proc/%d/fd", root_prefix(root), (int)pid) >=
	    (int)sizeof(fddir))
		return -ENAMETOOLONG;
	d = opendir(fddir);
	if (!d)
		return -errno;
	while (!found && (de = readdir(d)))
		found = de->d_name[0] != '.' && fd_is_vm(fddir, de->d_name);
	closedir(d);
	return found;
}

int kvm_vm_holders(const struct host_info *hi, pid_t self, pid_t *pid)
{
	const char *prefix = root_prefix(hi->live ? "/" : hi->root);
	char procdir[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (snprintf(procdir, sizeof(procdir), "%s/proc", prefix) >= (int)sizeof(procdir))
		return -ENAMETOOLONG;
	d = opendir(procdir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		long p = strtol(de->d_name, &end, 10);

		if (*end || end == de->d_name || p <= 0 || p == (long)self || p > INT_MAX)
			continue;
		/* Unreadable fd directories (vanished processes) count as no. */
		if (host_pid_has_kvm_vm(prefix, (pid_t)p) > 0) {
			if (!n && pid)
				*pid = (pid_t)p;
			n++;
		}
	}
	closedir(d);
	return n;
}
