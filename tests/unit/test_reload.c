// SPDX-License-Identifier: GPL-2.0
/*
 * --reload-kvm against fake host trees: the exact module commands for Intel
 * EPT <-> shadow and AMD NPT <-> shadow, run through stand-in tools that log
 * them and rewrite the fake sysfs parameter; refusals for PVM, no KVM, a
 * non-root user, another running VM, and a fake tree with the real tools.
 * Never runs the real rmmod or modprobe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

#include "common/util.h"
#include "host/host.h"

#define FIXTURES MEMVIRT_SOURCE_DIR "/tests/fixtures/hosts"

static char tmp[] = "/tmp/memvirt-reload-XXXXXX";
static char root[600], logpath[600];

/* A fresh, writable copy of fixture @name as the host root; tools and log set up. */
static void use_tree(const char *name)
{
	char cmd[2400];

	snprintf(root, sizeof(root), "%s/%s", tmp, name);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && cp -a '%s/%s' '%s' && rm -f '%s'", root,
		 FIXTURES, name, root, logpath);
	CHECK(system(cmd) == 0);
	setenv("MEMVIRT_HOST_ROOT", root, 1);
	setenv("MEMVIRT_MODPROBE", FIXTURES "/tools/modprobe", 1);
	setenv("MEMVIRT_RMMOD", FIXTURES "/tools/rmmod", 1);
	unsetenv("MEMVIRT_FAKE_MODFAIL");
	setenv("MEMVIRT_FAKE_EUID", "0", 1);
}

/* The tool log so far, without its last newline ("" when no tool ran). */
static const char *tool_log(void)
{
	static char buf[1024];

	if (read_text_file(logpath, buf, sizeof(buf)))
		buf[0] = '\0';
	return buf;
}

static const char *param(const char *rel)
{
	static char buf[64];
	char path[800];

	snprintf(path, sizeof(path), "%s%s", root, rel);
	if (read_text_file(path, buf, sizeof(buf)))
		return "(absent)";
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static int reload(bool tdp, struct kvm_reload *r, char *err, size_t len)
{
	static struct host_info hi;
	struct kvm_reload_tools t;

	CHECK(host_info_probe(&hi, root) == 0);
	kvm_reload_tools_default(&t);
	err[0] = '\0';
	return kvm_reload_mmu(&hi, &t, tdp, r, err, len);
}

static void test_intel(void)
{
	struct kvm_reload r;
	char err[512];

	use_tree("intel-ept");
	/* EPT -> shadow: unload, then load with ept=0; the host now reports shadow paging. */
	CHECK(reload(false, &r, err, sizeof(err)) == 0);
	CHECK(r.reloaded);
	CHECK_EQ_U64(r.from, HOST_MMU_EPT);
	CHECK_EQ_U64(r.to, HOST_MMU_SHADOW);
	CHECK_STR(r.module, "kvm_intel");
	CHECK_STR(r.param, "ept=0");
	CHECK_STR(tool_log(), "rmmod kvm_intel\nmodprobe kvm_intel ept=0");
	CHECK_STR(param("/sys/module/kvm_intel/parameters/ept"), "N");
	/* And back. */
	CHECK(reload(true, &r, err, sizeof(err)) == 0);
	CHECK(r.reloaded);
	CHECK_EQ_U64(r.from, HOST_MMU_SHADOW);
	CHECK_EQ_U64(r.to, HOST_MMU_EPT);
	CHECK_STR(tool_log(), "rmmod kvm_intel\nmodprobe kvm_intel ept=0\n"
			      "rmmod kvm_intel\nmodprobe kvm_intel ept=1");
	CHECK_STR(param("/sys/module/kvm_intel/parameters/ept"), "Y");
	/* Already in that mode: nothing to do, no command. */
	CHECK(reload(true, &r, err, sizeof(err)) == 0);
	CHECK(!r.reloaded);
	CHECK_EQ_U64(r.from, HOST_MMU_EPT);
	CHECK_EQ_U64(r.to, HOST_MMU_EPT);
	CHECK_STR(tool_log(), "rmmod kvm_intel\nmodprobe kvm_intel ept=0\n"
			      "rmmod kvm_intel\nmodprobe kvm_intel ept=1");

	use_tree("intel-noept");
	CHECK(reload(true, &r, err, sizeof(err)) == 0);
	CHECK_STR(tool_log(), "rmmod kvm_intel\nmodprobe kvm_intel ept=1");
	CHECK_EQ_U64(r.to, HOST_MMU_EPT);
}

static void test_amd(void)
{
	struct kvm_reload r;
	char err[512];

	use_tree("amd-npt");
	CHECK(reload(false, &r, err, sizeof(err)) == 0);
	CHECK(r.reloaded);
	CHECK_EQ_U64(r.from, HOST_MMU_NPT);
	CHECK_EQ_U64(r.to, HOST_MMU_SHADOW);
	CHECK_STR(tool_log(), "rmmod kvm_amd\nmodprobe kvm_amd npt=0");
	CHECK_STR(param("/sys/module/kvm_amd/parameters/npt"), "0");
	CHECK(reload(true, &r, err, sizeof(err)) == 0);
	CHECK_EQ_U64(r.to, HOST_MMU_NPT);
	CHECK_STR(tool_log(), "rmmod kvm_amd\nmodprobe kvm_amd npt=0\n"
			      "rmmod kvm_amd\nmodprobe kvm_amd npt=1");
	CHECK_STR(param("/sys/module/kvm_amd/parameters/npt"), "1");
}

/* Each refusal: its errno, one line naming the cause, and no tool run. */
static void expect_refusal(bool tdp, int want, const char *words)
{
	struct kvm_reload r;
	char err[512];

	CHECK_EQ_U64(reload(tdp, &r, err, sizeof(err)), want);
	if (!strstr(err, words))
		fprintf(stderr, "error '%s' does not say '%s'\n", err, words);
	CHECK(strstr(err, words) != NULL);
	CHECK(strchr(err, '\n') == NULL);
	CHECK(!r.reloaded);
	CHECK_STR(tool_log(), "");
}

static void add_fd(const char *pid, const char *fd, const char *target)
{
	char dir[800], link[1900];

	snprintf(dir, sizeof(dir), "%s/proc/%s/fd", root, pid);
	snprintf(link, sizeof(link), "mkdir -p '%s' && ln -s '%s' '%s/%s'", dir, target, dir, fd);
	CHECK(system(link) == 0);
}

static void test_refusals(void)
{
	struct host_info hi;
	char self[32];
	pid_t pid = 0;

	use_tree("pvm");
	expect_refusal(true, -ENOTSUP, "kvm_pvm has shadow paging only and cannot switch");
	use_tree("nokvm");
	expect_refusal(true, -ENODEV, "no kvm_intel or kvm_amd module");

	/* Not root: the fake tree's own uid (1000), and the same through MEMVIRT_FAKE_EUID. */
	use_tree("intel-ept");
	unsetenv("MEMVIRT_FAKE_EUID");
	expect_refusal(false, -EPERM, "needs root (euid 1000)");
	setenv("MEMVIRT_FAKE_EUID", "1234", 1);
	expect_refusal(false, -EPERM, "needs root (euid 1234)");
	setenv("MEMVIRT_FAKE_EUID", "0", 1);

	/* Another process holds a VM; vCPU fds alone and our own VM do not count. */
	snprintf(self, sizeof(self), "%d", (int)getpid());
	add_fd(self, "3", "anon_inode:kvm-vm");
	add_fd("4343", "5", "anon_inode:kvm-vcpu:0");
	add_fd("4343", "6", "/dev/kvm");
	CHECK(host_info_probe(&hi, root) == 0);
	CHECK_EQ_U64(kvm_vm_holders(&hi, getpid(), &pid), 0);
	add_fd("4242", "9", "anon_inode:kvm-vm");
	CHECK_EQ_U64(kvm_vm_holders(&hi, getpid(), &pid), 1);
	CHECK_EQ_U64(pid, 4242);
	expect_refusal(false, -EBUSY, "another VM is running (pid 4242 holds a KVM VM)");

	/* A fake tree with the real tools would touch the real host: refused. */
	use_tree("amd-npt");
	unsetenv("MEMVIRT_MODPROBE");
	unsetenv("MEMVIRT_RMMOD");
	expect_refusal(false, -EINVAL, "set MEMVIRT_MODPROBE and MEMVIRT_RMMOD");
}

static void test_tool_failures(void)
{
	struct kvm_reload r;
	char err[512];

	/* rmmod fails (module in use): nothing else is tried. */
	use_tree("intel-ept");
	setenv("MEMVIRT_FAKE_MODFAIL", "rmmod", 1);
	CHECK_EQ_U64(reload(false, &r, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "rmmod kvm_intel' failed (exit status 1)") != NULL);
	CHECK_STR(tool_log(), "rmmod kvm_intel");
	CHECK(!r.reloaded);
	/* modprobe fails: the old parameter is tried again so the host keeps a KVM. */
	use_tree("amd-npt");
	setenv("MEMVIRT_FAKE_MODFAIL", "modprobe", 1);
	CHECK_EQ_U64(reload(false, &r, err, sizeof(err)), -EIO);
	CHECK(strstr(err, "modprobe kvm_amd npt=0' failed") != NULL);
	CHECK_STR(tool_log(), "rmmod kvm_amd\nmodprobe kvm_amd npt=0\nmodprobe kvm_amd npt=1");
	CHECK(!r.reloaded);
}

int main(void)
{
	char cmd[700];

	if (!mkdtemp(tmp)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(logpath, sizeof(logpath), "%s/tools.log", tmp);
	setenv("MEMVIRT_FAKE_MODLOG", logpath, 1);
	test_intel();
	test_amd();
	test_refusals();
	test_tool_failures();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	CHECK(system(cmd) == 0);
	TEST_DONE();
}
