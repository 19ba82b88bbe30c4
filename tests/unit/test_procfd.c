// SPDX-License-Identifier: GPL-2.0
/*
 * host_pid_has_kvm_vm and kvm_vm_holders over a fake /proc tree: a process
 * with a VM descriptor, one with only vCPU and /dev/kvm descriptors, one with
 * no descriptors, no such process, and fd directories that cannot be read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#include "common/util.h"
#include "host/host.h"

static char root[] = "/tmp/memvirt-procfd-XXXXXX";

/* root/proc/PID/fd/FD -> TARGET (a dangling link, as /proc shows anonymous inodes). */
static void add_fd(int pid, int fd, const char *target)
{
	char dir[256], link[300];

	snprintf(dir, sizeof(dir), "%s/proc/%d/fd", root, pid);
	snprintf(link, sizeof(link), "%s/%d", dir, fd);
	CHECK(mkdir_p(dir) == 0);
	CHECK(symlink(target, link) == 0);
}

static void add_path(int pid, const char *rel, bool dir)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/%d%s", root, pid, rel);
	if (dir) {
		CHECK(mkdir_p(path) == 0);
		return;
	}
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
}

static void test_pid(void)
{
	char fd[256];

	/* A VMM: its VM among other descriptors. */
	add_fd(100, 0, "/dev/null");
	add_fd(100, 3, "/dev/kvm");
	add_fd(100, 4, "anon_inode:kvm-vm");
	add_fd(100, 5, "anon_inode:kvm-vcpu:0");
	CHECK_EQ_U64(host_pid_has_kvm_vm(root, 100), 1);
	/* vCPU descriptors, /dev/kvm and look-alikes are not a VM. */
	add_fd(200, 3, "/dev/kvm");
	add_fd(200, 4, "anon_inode:kvm-vcpu:0");
	add_fd(200, 5, "anon_inode:kvm-vm-extra");
	add_fd(200, 6, "/anon_inode:kvm-vm");
	CHECK_EQ_U64(host_pid_has_kvm_vm(root, 200), 0);
	/* No descriptor at all. */
	add_path(300, "/fd", true);
	CHECK_EQ_U64(host_pid_has_kvm_vm(root, 300), 0);
	/* No such process, and pids that cannot be. */
	CHECK_EQ_U64(host_pid_has_kvm_vm(root, 999), -ENOENT);
	CHECK_EQ_U64(host_pid_has_kvm_vm(root, 0), -ENOENT);
	CHECK_EQ_U64(host_pid_has_kvm_vm(root, -1), -ENOENT);
	/* A process whose fd directory is no directory. */
	add_path(400, "", true);
	add_path(400, "/fd", false);
	CHECK_EQ_U64(host_pid_has_kvm_vm(root, 400), -ENOTDIR);
	/* One whose fd directory may not be read (root reads it anyway). */
	add_fd(500, 7, "anon_inode:kvm-vm");
	snprintf(fd, sizeof(fd), "%s/proc/500/fd", root);
	CHECK(chmod(fd, 0) == 0);
	if (geteuid() != 0)
		CHECK_EQ_U64(host_pid_has_kvm_vm(root, 500), -EACCES);
	else
		CHECK_EQ_U64(host_pid_has_kvm_vm(root, 500), 1);
	CHECK(chmod(fd, 0755) == 0);
}

static void test_holders(void)
{
	struct host_info hi;
	char self[256];
	pid_t pid = 0;

	/* 100 and 500 hold a VM; 400's unreadable fd directory counts as no. */
	CHECK(host_info_probe(&hi, root) == 0);
	CHECK_EQ_U64(kvm_vm_holders(&hi, 1, &pid), 2);
	CHECK(pid == 100 || pid == 500);
	/* @self is left out. */
	CHECK_EQ_U64(kvm_vm_holders(&hi, 100, &pid), 1);
	CHECK_EQ_U64(pid, 500);
	/* Entries of /proc that are not processes are skipped: pid 0, "self". */
	add_path(0, "/fd", true);
	snprintf(self, sizeof(self), "%s/proc/0/fd/1", root);
	CHECK(symlink("anon_inode:kvm-vm", self) == 0);
	snprintf(self, sizeof(self), "%s/proc/self", root);
	CHECK(symlink("500", self) == 0);
	CHECK_EQ_U64(kvm_vm_holders(&hi, 100, NULL), 1);
}

/* The live host: this process holds no VM; pid 1 exists. */
static void test_live(void)
{
	CHECK_EQ_U64(host_pid_has_kvm_vm("/", getpid()), 0);
	CHECK_EQ_U64(host_pid_has_kvm_vm(NULL, getpid()), 0);
	CHECK(host_pid_has_kvm_vm("/", 1) >= 0 || host_pid_has_kvm_vm("/", 1) == -EACCES);
}

int main(void)
{
	char cmd[128];

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	test_pid();
	test_holders();
	test_live();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CHECK(system(cmd) == 0);
	TEST_DONE();
}
